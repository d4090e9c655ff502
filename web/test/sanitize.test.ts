// The sanitiser's walker over a spec-compliant HTML parser (jsdom's DOMParser,
// parse5): what a hostile message keeps, and how remote images are held back and
// then shown through the image proxy (GET /api/mail/image?url=…).
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { IMAGE_PROXY, proxiedImageUrl, sanitizeHtml, type SanitizeOptions } from '../src/components/mail/sanitize';

const { DOMParser } = new JSDOM('').window;
const parser = new DOMParser() as unknown as { parseFromString(s: string, t: 'text/html'): Document };
const ORIGIN = 'https://caduce.chu-demo.fr';
const clean = (html: string, opts: Partial<SanitizeOptions> = {}) => sanitizeHtml(html, { remoteImages: false, origin: ORIGIN, ...opts }, parser);
const proxy = (url: string) => `${ORIGIN}${IMAGE_PROXY}?url=${encodeURIComponent(url)}`;
/** The src of every img of `html`, in order ('' for none). */
const sources = (html: string) => [...parser.parseFromString(html, 'text/html').querySelectorAll('img')].map((i) => i.getAttribute('src') || '');

describe('remote images', () => {
  const mail = '<p>Résultats</p><img src="https://labo.example/logo.png" alt="Logo"><img src="http://pixel.example/o.gif?u=42" width="1" height="1">';

  it('are held back until asked: no source left, counted, a placeholder text', () => {
    const s = clean(mail);
    expect(s.blockedImages).toBe(2);
    expect(s.remoteImages).toBe(2);
    expect(sources(s.html)).toEqual(['', '']);
    expect(s.html).not.toContain('labo.example');
    expect(s.html).not.toContain('pixel.example');
    expect(s.html).toContain('alt="Logo"');
    expect(s.html).toContain('alt="[image bloquée]"');
  });

  it('point to the image proxy once asked, the URL encoded whole', () => {
    const s = clean(mail, { remoteImages: true });
    expect(s.blockedImages).toBe(0);
    expect(sources(s.html)).toEqual([proxy('https://labo.example/logo.png'), proxy('http://pixel.example/o.gif?u=42')]);
    expect(sources(s.html)[1]).toBe(`${ORIGIN}/api/mail/image?url=http%3A%2F%2Fpixel.example%2Fo.gif%3Fu%3D42`);
  });

  it('rewrites http and https only; a protocol-relative source is read as https', () => {
    expect(proxiedImageUrl('HTTPS://Labo.Example/a b.png', ORIGIN)).toBe(proxy('https://labo.example/a%20b.png'));
    expect(proxiedImageUrl('//labo.example/x.png', ORIGIN)).toBe(proxy('https://labo.example/x.png'));
    expect(proxiedImageUrl(' \thttps://labo.example/x.png\n', ORIGIN)).toBe(proxy('https://labo.example/x.png'));
    for (const bad of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'data:image/png;base64,AAAA',
      'ftp://labo.example/x.png',
      'file:///etc/passwd',
      'cid:part1@x',
      '/api/mail/image?url=https://x.example',
      'https://user:secret@labo.example/x.png',
      `${ORIGIN}/jmap/download/A1/B1/x.png`,
      `${ORIGIN}/api/mail/image?url=https%3A%2F%2Fx.example`,
      'https://',
      `https://labo.example/${'a'.repeat(2100)}`,
    ])
      expect(proxiedImageUrl(bad, ORIGIN), bad).toBe('');
  });

  it('hostile sources are dropped, shown or not', () => {
    const hostile =
      '<img src="javascript:alert(1)"><img src="jav&#x09;ascript:alert(2)"><img src="data:text/html,<script>alert(3)</script>">' +
      '<img src="data:image/svg+xml,<svg onload=alert(4)>"><img src="vbscript:x"><img src="/api/mail/image?url=https%3A%2F%2Ftraceur.example">';
    for (const remoteImages of [false, true]) {
      const s = clean(hostile, { remoteImages });
      expect(sources(s.html)).toEqual(['', '', '', '', '', '']);
      expect(s.html).not.toMatch(/javascript|script|svg|traceur/i);
    }
  });

  it('a message cannot use the proxy itself: a URL of caduce is never shown', () => {
    const s = clean(`<img src="${ORIGIN}/api/mail/image?url=https%3A%2F%2Ftraceur.example%2Fp.gif">`, { remoteImages: true });
    expect(sources(s.html)).toEqual(['']);
    expect(s.html).not.toContain('traceur');
  });

  it('srcset, background attributes and CSS url() never load anything', () => {
    const html =
      '<img src="https://labo.example/a.png" srcset="https://traceur.example/a2x.png 2x, https://traceur.example/a3x.png 3x">' +
      '<picture><source srcset="https://traceur.example/p.webp"><img src="cid:logo@x"></picture>' +
      '<table background="https://traceur.example/t.png"><tr><td background="https://traceur.example/td.png" bgcolor="#fff">x</td></tr></table>' +
      '<body background="https://traceur.example/b.png"><div style="background:url(https://traceur.example/s.png)">y</div>' +
      '<style>p{background-image:url("https://traceur.example/css.png")}</style><p>z</p>' +
      '<video poster="https://traceur.example/v.png"></video><input type="image" src="https://traceur.example/i.png">' +
      '<link rel="stylesheet" href="https://traceur.example/s.css"><img lowsrc="https://traceur.example/l.png" dynsrc="https://traceur.example/d.png">';
    for (const remoteImages of [false, true]) {
      const s = clean(html, { remoteImages, resolveCid: (cid) => (cid === 'logo@x' ? `${ORIGIN}/jmap/download/A1/B9/logo.png` : '') });
      expect(s.html).not.toContain('traceur');
      expect(s.html).not.toMatch(/srcset|background=|url\(|style|poster|lowsrc|dynsrc/i);
      expect(s.html).toContain('bgcolor="#fff"');
      expect(sources(s.html)).toEqual([remoteImages ? proxy('https://labo.example/a.png') : '', `${ORIGIN}/jmap/download/A1/B9/logo.png`, '']);
    }
  });

  it('cid: images are served from the message’s own parts, an unknown cid shows nothing', () => {
    const asked: string[] = [];
    const s = clean('<img src="cid:logo@x"><img src="CID:autre@x"><img src="cid:">', {
      resolveCid: (cid) => {
        asked.push(cid);
        return cid === 'logo@x' ? '/jmap/download/A1/B9/logo.png' : '';
      },
    });
    expect(asked).toEqual(['logo@x', 'autre@x', '']);
    expect(sources(s.html)).toEqual(['/jmap/download/A1/B9/logo.png', '', '']);
    expect(s.blockedImages).toBe(0);
  });
});

describe('hostile HTML', () => {
  it('keeps the text and safe links, drops scripts, handlers, forms and frames', () => {
    const s = clean(
      '<p id="x" onclick="alert(1)">Bonjour <b>équipe</b></p><script>parent.pwned=1</script>' +
        '<a href="javascript:alert(3)">cliquez</a><a href="https://ans.example/doc">lien sûr</a><a href="//hote.example/x">relatif</a>' +
        '<form action="https://x.example"><input name="p"></form><iframe src="https://x.example"></iframe><svg onload="alert(4)"></svg>' +
        '<a href="data:text/html,<script>alert(5)</script>">data</a><!-- <img src=https://traceur.example/c.gif> -->',
    );
    expect(s.html).toContain('Bonjour <b>équipe</b>');
    expect(s.html).toContain('<a href="https://ans.example/doc" target="_blank" rel="noopener noreferrer">lien sûr</a>');
    expect(s.html).toContain('<a>cliquez</a>');
    expect(s.html).toContain('<a>relatif</a>');
    expect(s.html).toContain('<a>data</a>');
    for (const bad of ['<script', 'onclick', 'onload', 'javascript:', '<form', '<input', '<iframe', '<svg', 'traceur', 'id="x"', 'data:text'])
      expect(s.html.toLowerCase()).not.toContain(bad);
  });
});
