// The sanitiser of a message's HTML, shown afterwards in an iframe sandboxed
// without allow-scripts and under its own CSP (defence in depth: the sandbox
// alone stops scripts; the sanitiser also drops what could mislead a person or
// leak that the message was read). An allow-list: elements and attributes not
// listed are dropped (the text of an unknown element is kept, the content of
// script, style and the like is not); URLs keep only http(s), mailto, tel, cid
// and same-origin downloads; remote images become placeholders until the person
// asks to show them, and are then fetched through the server's image proxy
// (GET /api/mail/image?url=…), never by the browser from the sender's host. The
// policy is pure (tested in node); the walker needs a DOM (a DOMParser).

const KEEP = new Set(
  (
    'a abbr address article aside b bdi bdo blockquote br caption center cite code col colgroup dd del details dfn div dl dt em ' +
    'figcaption figure font footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li main mark nav ol p pre q s samp section small ' +
    'span strike strong sub summary sup table tbody td tfoot th thead time tr tt u ul var wbr'
  ).split(' '),
);

/** Elements dropped with everything inside them. */
const DROP_WITH_CONTENT = new Set(
  'script style x-style noscript template iframe frame frameset object embed applet form input button select textarea option optgroup base meta link title head svg math canvas audio video source track portal xml'.split(
    ' ',
  ),
);

const GLOBAL_ATTRS = new Set(['title', 'lang', 'dir', 'align', 'valign', 'width', 'height', 'colspan', 'rowspan', 'border', 'cellpadding', 'cellspacing', 'bgcolor', 'color', 'face', 'size', 'start', 'type', 'reversed', 'summary', 'scope', 'headers', 'abbr', 'datetime', 'cite']);

export type ElementVerdict = 'keep' | 'unwrap' | 'drop';

/** What to do with an element: keep it, keep only its children, or drop it whole. */
export function elementVerdict(tag: string): ElementVerdict {
  const t = tag.toLowerCase();
  if (DROP_WITH_CONTENT.has(t)) return 'drop';
  return KEEP.has(t) ? 'keep' : 'unwrap';
}

/** A URL scheme check that survives the usual tricks (case, spaces, control characters, entities decoded by the parser). */
export function safeUrl(raw: string, kind: 'link' | 'image', origin = ''): 'ok' | 'remote' | 'bad' {
  // eslint-disable-next-line no-control-regex
  const v = raw.replace(/[\u0000-\u0020\u007f-\u009f]+/g, '').toLowerCase();
  if (!v) return 'bad';
  if (kind === 'image') {
    if (v.startsWith('cid:')) return 'ok';
    if (v.startsWith('data:image/') && !v.startsWith('data:image/svg')) return 'ok';
    if (origin && v.startsWith(origin.toLowerCase() + '/jmap/download/')) return 'ok';
    if (v.startsWith('/jmap/download/')) return 'ok';
    if (v.startsWith('https:') || v.startsWith('http:') || v.startsWith('//')) return 'remote';
    return 'bad';
  }
  if (/^(https?:|mailto:|tel:)/.test(v)) return 'ok';
  if (v.startsWith('#')) return 'ok';
  return 'bad';
}

/** Whether attribute `name` (with `value`) may stay on `tag`; URL attributes are checked by safeUrl. */
export function attributeAllowed(tag: string, name: string): boolean {
  const n = name.toLowerCase();
  if (n.startsWith('on')) return false;
  if (n === 'style' || n === 'class' || n === 'id' || n === 'srcset' || n === 'formaction' || n === 'xmlns' || n.includes(':')) return false;
  if (GLOBAL_ATTRS.has(n)) return true;
  const t = tag.toLowerCase();
  if (t === 'a' && (n === 'href' || n === 'name')) return true;
  if (t === 'img' && (n === 'src' || n === 'alt')) return true;
  return false;
}

/** The path of the server's image proxy: a signed-in person's remote image, fetched server-side. */
export const IMAGE_PROXY = '/api/mail/image';

/**
 * The proxy URL that shows the remote image `raw` (an http or https URL, or a
 * protocol-relative one, read as https), or '' when it is not one to fetch:
 * another scheme, credentials in the URL, a URL of caduce itself (a message
 * cannot use the proxy to reach caduce), or over 2,048 characters.
 */
export function proxiedImageUrl(raw: string, origin = ''): string {
  // As the URL parser reads an attribute: C0 controls and spaces trimmed, tabs and newlines dropped.
  // eslint-disable-next-line no-control-regex
  let v = raw.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
  if (v.startsWith('//')) v = `https:${v}`;
  if (!/^https?:\/\//i.test(v) || v.length > 2048) return '';
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return '';
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname || url.username || url.password) return '';
  if (origin && url.origin === new URL(origin).origin) return '';
  return `${origin}${IMAGE_PROXY}?url=${encodeURIComponent(url.href)}`;
}

export interface SanitizeOptions {
  /** Show remote images (the person clicked « Afficher les images »), through the image proxy. */
  remoteImages: boolean;
  /** Maps a cid: URL to the download URL of the inline part, or '' when unknown. */
  resolveCid?: (cid: string) => string;
  /** The page's origin (the proxy and the downloads are absolute URLs of it). */
  origin?: string;
}

export interface Sanitized {
  html: string;
  /** Remote images held back (none when they are shown). */
  blockedImages: number;
  /** Remote images the message has, shown or not, through the proxy or dropped. */
  remoteImages: number;
}

/**
 * Sanitises `input` with the browser's inert parser (DOMParser: no script
 * runs, no resource loads) and returns the body's HTML and how many remote
 * images were held back. With `remoteImages`, each http(s) image points to the
 * image proxy instead; a source that cannot be proxied is dropped.
 */
export function sanitizeHtml(input: string, opts: SanitizeOptions, parser: { parseFromString(s: string, t: 'text/html'): Document } = new DOMParser()): Sanitized {
  const doc = parser.parseFromString(defuseHandlers(input), 'text/html');
  let blocked = 0;
  let remote = 0;
  const walk = (node: Node) => {
    for (const child of [...node.childNodes]) {
      if (child.nodeType === 8 || child.nodeType === 7 || child.nodeType === 4) {
        child.remove(); // comments, processing instructions, CDATA
        continue;
      }
      if (child.nodeType !== 1) continue;
      const el = child as Element;
      const tag = el.localName;
      const verdict = el.namespaceURI && el.namespaceURI !== 'http://www.w3.org/1999/xhtml' ? 'drop' : elementVerdict(tag);
      if (verdict === 'drop') {
        el.remove();
        continue;
      }
      walk(el);
      if (verdict === 'unwrap') {
        el.replaceWith(...el.childNodes);
        continue;
      }
      for (const attr of [...el.attributes]) {
        if (!attributeAllowed(tag, attr.name)) el.removeAttribute(attr.name);
      }
      if (tag === 'a') {
        const href = el.getAttribute('href');
        if (href !== null) {
          if (safeUrl(href, 'link', opts.origin) !== 'ok') el.removeAttribute('href');
          else if (!href.trim().startsWith('#')) {
            el.setAttribute('target', '_blank');
            el.setAttribute('rel', 'noopener noreferrer');
          }
        }
      }
      if (tag === 'img') {
        const src = el.getAttribute('src') || '';
        let verdictUrl = safeUrl(src, 'image', opts.origin);
        if (verdictUrl === 'ok' && src.trim().toLowerCase().startsWith('cid:')) {
          const url = opts.resolveCid?.(src.trim().slice(4)) || '';
          if (url) el.setAttribute('src', url);
          else verdictUrl = 'bad';
        }
        if (verdictUrl === 'bad') el.removeAttribute('src');
        if (verdictUrl === 'remote') {
          remote += 1;
          const proxied = opts.remoteImages ? proxiedImageUrl(src, opts.origin) : '';
          if (proxied) el.setAttribute('src', proxied);
          else {
            if (!opts.remoteImages) blocked += 1;
            el.removeAttribute('src');
            el.setAttribute('alt', el.getAttribute('alt') || '[image bloquée]');
          }
        }
      }
    }
  };
  walk(doc.body);
  return { html: doc.body.innerHTML, blockedImages: blocked, remoteImages: remote };
}

/**
 * Renames, before parsing, what the browser would report as a CSP violation
 * even in an inert document: event handler and style attributes (onload= →
 * data-x-onload=) and style elements (<style> → <x-style>, dropped whole). Not
 * a security step (the walker drops every element and attribute not allowed,
 * renamed or not), only quiet logs.
 */
export function defuseHandlers(html: string): string {
  return html
    .replace(/<(\/?)style(?=[\s>/])/gi, '<$1x-style')
    .replace(/<[a-zA-Z][^>]*>/g, (tag) => tag.replace(/([\s"'/])(on[a-zA-Z]+|style)(\s*=)/gi, '$1data-x-$2$3'));
}

/** The text of an HTML body, for quoting in a reply: sanitised first, blocks as lines. */
export function htmlToText(input: string, parser: { parseFromString(s: string, t: 'text/html'): Document } = new DOMParser()): string {
  const clean = sanitizeHtml(input, { remoteImages: false }, parser).html.replace(/<(br|\/p|\/div|\/li|\/tr|\/h[1-6]|\/blockquote)\b[^>]*>/gi, '$&\n');
  const text = parser.parseFromString(clean, 'text/html').body.textContent || '';
  return text.replace(/[ \t\u00a0]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The CSP of the reading frame: no script, no form, no font; images only from
 * caduce itself (inline parts, the image proxy for remote images once asked),
 * blob: and data: (raster images, checked by the sanitiser); the frame's one
 * stylesheet. The server's own CSP still applies on top (a srcdoc frame
 * inherits it).
 */
export function frameCsp(): string {
  return "default-src 'none'; img-src 'self' blob: data:; style-src 'self'; font-src 'none'; form-action 'none'; base-uri 'none'";
}

/** The whole document put in the frame's srcdoc; `cssUrl` is the frame's stylesheet. */
export function frameDocument(body: string, cssUrl = ''): string {
  const css = cssUrl ? `<link rel="stylesheet" href="${escapeHtml(cssUrl)}">` : '';
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${frameCsp()}"><meta name="referrer" content="no-referrer">${css}</head><body>${body}</body></html>`;
}

/** Plain text shown in the frame: escaped and wrapped. */
export function textDocument(text: string, cssUrl = ''): string {
  return frameDocument(`<pre class="plain">${escapeHtml(text)}</pre>`, cssUrl);
}
