// The reading pane: one request fetches the message with its bodies and marks
// it read; its thread follows once the message is on screen (a thread may hold
// thousands of messages: only the THREAD_SHOWN newest are listed). The HTML is
// sanitised and shown in a frame sandboxed without scripts, under its own CSP,
// remote images held back until « Afficher les images » (then fetched through
// caduce's image proxy);
// attachments are listed with their download links, images previewed in place
// and PDFs drawn by pdf.js (its own chunk, loaded on the first « Aperçu »); in a
// shared mailbox, who handled the message.
// Actions are sent to the page as `mail-action` events. The opening is marked
// with User Timing marks (caduce-open-start, -answer, -rendered, -frame,
// -painted) that tests/e2e/mail-perf.mjs reads.
import { html, nothing } from 'lit';
import { jmap } from '../../lib/jmap';
import { store } from '../../lib/store';
import { formatSize } from '../../lib/jmap';
import { Light } from '../light';
import { SUMMARY_PROPS } from './email-list';
import { displayName, formatAddressList, handlingLines, listDate, remoteImagesNotice, threadIdsToShow, type EmailSummary, type MailboxInfo } from './mail-model';
import { isPdf } from './pdf-model';
import { escapeHtml, frameDocument, htmlToText, IMAGE_PROXY, sanitizeHtml } from './sanitize';
import frameCssUrl from './frame.css?url';

export interface BodyPart {
  partId: string | null;
  blobId: string | null;
  size: number;
  name: string | null;
  type: string;
  cid?: string | null;
  disposition?: string | null;
}

export interface FullEmail extends EmailSummary {
  bodyValues: Record<string, { value: string; isTruncated?: boolean }>;
  textBody: BodyPart[];
  htmlBody: BodyPart[];
  attachments: BodyPart[];
  inReplyTo?: string[] | null;
}

export type MailAction = 'reply' | 'reply-all' | 'forward' | 'toggle-read' | 'flag' | 'delete' | 'archive' | 'move' | 'resume';

/** The message marked read on opening (the detail `read` of `mail-read`), and the account's states around that change. */
export interface MailRead {
  accountId: string;
  id: string;
  keywords: Record<string, boolean>;
  mailboxIds: Record<string, boolean>;
  oldState: string;
  newState: string;
}

let openings = 0;

/** The most messages of a thread listed under « Conversation ». */
export const THREAD_SHOWN = 50;

const mark = (name: string) => {
  if (typeof performance !== 'undefined' && performance.mark) performance.mark(name);
};

/**
 * The reading frame's document, loaded once per reader: each message's
 * sanitised body is then put in its body, so that opening a message loads no
 * document, no CSP and no stylesheet again.
 */
const SHELL = frameDocument('', frameCssUrl);

/** The PDF preview's module (and pdf.js) is fetched on the first « Aperçu » of a PDF. */
let pdfModule: Promise<unknown> | null = null;
function loadPdfPreview(): Promise<unknown> {
  if (!pdfModule) {
    pdfModule = import('./pdf-preview');
    pdfModule.catch(() => (pdfModule = null));
  }
  return pdfModule;
}

export function bodyText(e: FullEmail): string {
  const parts = e.textBody?.length ? e.textBody : e.htmlBody || [];
  const out: string[] = [];
  for (const p of parts) {
    const v = p.partId ? e.bodyValues?.[p.partId]?.value : undefined;
    if (v === undefined) continue;
    out.push(p.type === 'text/html' ? (typeof DOMParser !== 'undefined' ? htmlToText(v) : '') : v);
  }
  return out.join('\n');
}

class MessageReader extends Light {
  static override properties = {
    accountId: { attribute: false },
    emailId: { attribute: false },
    summary: { attribute: false },
    folders: { attribute: false },
    shared: { type: Boolean },
    handling: { type: Boolean },
    baseHref: { attribute: false },
    email: { state: true },
    thread: { state: true },
    threadSize: { state: true },
    error: { state: true },
    showImages: { state: true },
    preview: { state: true },
    previewError: { state: true },
    imageFailures: { state: true },
  };
  accountId = '';
  emailId = '';
  summary: EmailSummary | undefined;
  folders: MailboxInfo[] = [];
  shared = false;
  /** The account's messages carry handledBy (urn:caduce:params:jmap:handling). */
  handling = false;
  baseHref = '';
  email: FullEmail | null = null;
  thread: EmailSummary[] = [];
  /** How many messages the thread holds (thread lists at most THREAD_SHOWN of them). */
  threadSize = 0;
  error = '';
  showImages = false;
  preview: BodyPart | null = null;
  previewError = '';
  /** Remote images the proxy could not bring (refused, not an image, the sender's host down). */
  imageFailures = 0;
  private loadedKey = '';
  /** The frame's body for the message shown, kept while only its keywords or thread change. */
  private frame: { key: string; body: string; blocked: number } | null = null;
  /** What the frame shows now (its key), and its document once loaded. */
  private shown = '';
  private shellDoc: Document | null = null;
  private shellWaiters: (() => void)[] = [];
  private opening = false;
  /** Time from asking to the message shown, for the e2e measures. */
  lastOpenMs = 0;

  protected override willUpdate(changed: Map<string, unknown>): void {
    if ((changed.has('emailId') || changed.has('accountId')) && `${this.accountId}/${this.emailId}` !== this.loadedKey) {
      this.loadedKey = `${this.accountId}/${this.emailId}`;
      this.email = null;
      this.thread = [];
      this.threadSize = 0;
      this.error = '';
      this.showImages = false;
      this.preview = null;
      this.previewError = '';
      this.frame = null;
      if (this.emailId) this.load();
    }
  }

  /** Reloads the message (after a pushed change that touched it). */
  async reload(): Promise<void> {
    // Only what changes (keywords, folders, who handled it): fetching the body
    // again would be traced as another opening of the message.
    const key = this.loadedKey;
    if (!this.emailId || !this.email) return;
    try {
      const r = await jmap.call<{ list: EmailSummary[] }>('Email/get', {
        accountId: this.accountId,
        ids: [this.emailId],
        properties: ['id', 'keywords', 'mailboxIds', ...(this.handling ? ['handledBy'] : [])],
      });
      if (key !== this.loadedKey || !this.email) return;
      if (r.list[0]) this.email = { ...this.email, ...r.list[0] };
      else this.error = "Ce message n'existe plus, ou vous n'avez pas accès à cette boîte aux lettres.";
    } catch {
      // The next change or opening tries again.
    }
  }

  private async load() {
    const key = this.loadedKey;
    mark('caduce-open-start');
    const t0 = performance.now();
    const accountId = this.accountId;
    const id = this.emailId;
    const props = [
      ...SUMMARY_PROPS,
      'cc',
      'bcc',
      'replyTo',
      'sentAt',
      'messageId',
      'inReplyTo',
      'references',
      'bodyValues',
      'textBody',
      'htmlBody',
      'attachments',
      ...(this.handling ? ['handledBy'] : []),
    ];
    const unseen = !!this.summary && !this.summary.keywords?.$seen;
    // The page holds back the push of this change until it has applied it (mail-read).
    const token = `${key}#${++openings}`;
    if (unseen) this.dispatchEvent(new CustomEvent('mail-read-begin', { detail: { accountId, token }, bubbles: true }));
    let read: MailRead | null = null;
    try {
      const { refs, res } = await jmap.run((b) => {
        const set = unseen ? b.add('Email/set', { accountId, update: { [id]: { 'keywords/$seen': true } } }) : null;
        const get = b.add('Email/get', {
          accountId,
          ids: [id],
          properties: props,
          fetchHTMLBodyValues: true,
          fetchTextBodyValues: true,
          maxBodyValueBytes: 2_000_000,
        });
        return { set, get };
      });
      const got = res.get<{ list: FullEmail[]; notFound: string[] }>(refs.get);
      const email = got.list[0];
      if (unseen && refs.set && email && !res.errorOf(refs.set)) {
        const set = res.get<{ oldState?: string; newState?: string; updated?: Record<string, unknown> | null }>(refs.set);
        if (set.updated && id in set.updated)
          read = { accountId, id, keywords: email.keywords, mailboxIds: email.mailboxIds, oldState: set.oldState || '', newState: set.newState || '' };
      }
      if (key !== this.loadedKey) return;
      mark('caduce-open-answer');
      // The header and the body appear together: the frame's document must be there.
      if (email && !this.shellDoc)
        await new Promise<void>((ok) => {
          this.shellWaiters.push(ok);
          setTimeout(ok, 2000); // the body follows whenever the frame loads
        });
      if (key !== this.loadedKey) return;
      if (!email) {
        this.error = "Ce message n'existe plus, ou vous n'avez pas accès à cette boîte aux lettres.";
        return;
      }
      this.email = email;
      this.opening = true;
      await this.updateComplete;
      mark('caduce-open-rendered');
      this.lastOpenMs = performance.now() - t0;
      this.dataset.openMs = String(Math.round(this.lastOpenMs));
      if (typeof requestAnimationFrame !== 'undefined') requestAnimationFrame(() => setTimeout(() => this.loadThread(key, email), 0));
    } catch (e) {
      if (key !== this.loadedKey) return;
      this.error = (e as { userMessage?: string }).userMessage || 'Le message n’a pas pu être ouvert.';
    } finally {
      // The list and the folder counts follow once the message is on screen (after its paint).
      if (unseen) {
        const tell = () => this.dispatchEvent(new CustomEvent('mail-read', { detail: { accountId, token, read }, bubbles: true }));
        if (read && this.isConnected && typeof requestAnimationFrame !== 'undefined') requestAnimationFrame(() => setTimeout(tell, 0));
        else tell();
      }
    }
  }

  /** The message's thread, after it is painted: its size, and the THREAD_SHOWN newest messages. */
  private async loadThread(key: string, email: FullEmail) {
    const accountId = this.accountId;
    try {
      const th = await jmap.call<{ list: { id: string; emailIds: string[] }[] }>('Thread/get', { accountId, ids: [email.threadId] });
      const ids = th.list[0]?.emailIds || [];
      if (key !== this.loadedKey) return;
      this.threadSize = ids.length;
      if (ids.length <= 1) return;
      const shown = threadIdsToShow(ids, email.id, THREAD_SHOWN);
      const got = await jmap.call<{ list: EmailSummary[] }>('Email/get', { accountId, ids: shown, properties: SUMMARY_PROPS });
      if (key === this.loadedKey) this.thread = got.list;
    } catch {
      // The conversation is only a help: the message stays shown without it.
    }
  }

  private act(action: MailAction, target = '') {
    if (!this.email) return;
    this.dispatchEvent(
      new CustomEvent('mail-action', { detail: { action, email: this.email, target, text: bodyText(this.email) }, bubbles: true }),
    );
  }

  /** The frame's body, sanitised once per message and per « Afficher les images ». */
  private frameBody(): { key: string; body: string; blocked: number } {
    const e = this.email!;
    const key = `${this.accountId}/${e.id}/${this.showImages ? 1 : 0}`;
    if (this.frame?.key !== key) this.frame = { key, ...this.buildFrame(e) };
    return this.frame;
  }

  private buildFrame(e: FullEmail): { body: string; blocked: number } {
    const html = e.htmlBody?.find((p) => p.type === 'text/html' && p.partId && e.bodyValues?.[p.partId]);
    if (html && typeof DOMParser !== 'undefined') {
      const cids = new Map<string, BodyPart>();
      for (const a of [...(e.attachments || []), ...(e.htmlBody || [])]) if (a.cid && a.blobId) cids.set(a.cid.replace(/^<|>$/g, ''), a);
      const s = sanitizeHtml(e.bodyValues[html.partId!].value, {
        remoteImages: this.showImages,
        origin: location.origin,
        resolveCid: (cid) => {
          const a = cids.get(cid);
          return a ? jmap.downloadUrl(this.accountId, a.blobId!, a.name || 'image', a.type) : '';
        },
      });
      return { body: s.html, blocked: s.blockedImages };
    }
    return { body: `<pre class="plain">${escapeHtml(bodyText(e))}</pre>`, blocked: 0 };
  }

  /** The frame's document is loaded (once): messages can be shown in it. */
  private onShellLoad = (ev: Event) => {
    const doc = (ev.target as HTMLIFrameElement).contentDocument;
    if (!doc?.body || doc === this.shellDoc) return;
    this.shellDoc = doc;
    this.shown = '';
    // Images change the body's height as they arrive (load does not bubble: captured).
    doc.addEventListener('load', () => this.fitFrame(), true);
    doc.addEventListener(
      'error',
      (ev) => {
        const src = (ev.target as Element | null)?.getAttribute?.('src') || '';
        if (src.includes(IMAGE_PROXY)) this.imageFailures += 1;
      },
      true,
    );
    for (const ok of this.shellWaiters.splice(0)) ok();
    this.showBody();
  };

  private fitFrame() {
    const f = this.querySelector<HTMLIFrameElement>('iframe.mail-body');
    const h = this.shellDoc?.body?.scrollHeight || 0;
    f?.style.setProperty('height', `${Math.max(120, h + 24)}px`);
  }

  /**
   * Puts the message's sanitised body in the frame, when it is not there yet.
   * The frame is sandboxed without scripts and under its CSP (img-src 'self'
   * blob: data:): nothing in the body can run, and images load only from caduce.
   */
  private showBody() {
    const doc = this.shellDoc;
    if (!doc?.body || !this.email || this.error) return;
    const { key, body } = this.frameBody();
    if (this.shown !== key) {
      this.shown = key;
      this.imageFailures = 0;
      doc.body.innerHTML = body;
      this.fitFrame();
    }
    if (this.opening) {
      this.opening = false;
      mark('caduce-open-frame');
      // After the next paint.
      requestAnimationFrame(() => setTimeout(() => mark('caduce-open-painted'), 0));
    }
  }

  protected override updated(): void {
    this.showBody();
  }

  private togglePreview(a: BodyPart) {
    if (this.preview?.blobId === a.blobId) {
      this.preview = null;
      return;
    }
    this.preview = a;
    this.previewError = '';
    if (isPdf(a))
      loadPdfPreview().catch(() => {
        if (this.preview === a) this.previewError = 'L’aperçu des PDF n’a pas pu être chargé : vérifiez votre connexion puis réessayez, ou téléchargez le fichier.';
      });
  }

  private previewPane(p: BodyPart) {
    const name = p.name || (isPdf(p) ? 'document.pdf' : 'image');
    const url = jmap.downloadUrl(this.accountId, p.blobId!, name, p.type);
    if (isPdf(p)) {
      if (this.previewError) return html`<div class="att-preview"><div class="alert" role="alert">${this.previewError}</div></div>`;
      return html`<div class="att-preview" aria-label=${`Aperçu de ${name}`} role="region">
        <c-pdf-preview .url=${url} .name=${name}></c-pdf-preview>
      </div>`;
    }
    return html`<div class="att-preview">
      <img class="img-preview" alt=${`Aperçu de ${p.name || 'l’image'}`} src=${url} />
    </div>`;
  }

  private attachments() {
    const e = this.email!;
    const list = (e.attachments || []).filter((a) => a.blobId && !(a.cid && a.disposition === 'inline' && a.type.startsWith('image/')));
    if (!list.length) return nothing;
    return html`<section class="attachments" aria-labelledby="att-title">
      <h3 id="att-title">Pièces jointes (${list.length})</h3>
      <ul>
        ${list.map((a) => {
          const name = a.name || 'piece-jointe';
          const url = jmap.downloadUrl(this.accountId, a.blobId!, name, a.type);
          // Images are shown in place; a PDF is drawn by pdf.js from its bytes (the
          // server sends every blob as an attachment and forbids framing it).
          const previewable = /^image\/(png|jpe?g|gif|webp)$/.test(a.type) || isPdf(a);
          return html`<li>
            <span class="att-name">${name}</span> <span class="muted">(${formatSize(a.size)})</span>
            <a class="button small" href=${url} download=${name}>Télécharger<span class="sr-only"> ${name}</span></a>
            ${previewable
              ? html`<button class="small" @click=${() => this.togglePreview(a)} aria-expanded=${this.preview?.blobId === a.blobId ? 'true' : 'false'}>
                  Aperçu<span class="sr-only"> ${name}</span>
                </button>`
              : nothing}
          </li>`;
        })}
      </ul>
      ${this.preview ? this.previewPane(this.preview) : nothing}
    </section>`;
  }

  /** What comes above the message's body: the state, or the toolbar and the headers. */
  private top(e: FullEmail | null, blocked: number) {
    if (!this.emailId) return html`<p class="muted">Sélectionnez un message pour le lire.</p>`;
    if (this.error) return html`<div class="alert" role="alert">${this.error}</div>`;
    if (!e) return html`<p class="muted" role="status">Ouverture du message…</p>`;
    const seen = !!e.keywords?.$seen;
    const flagged = !!e.keywords?.$flagged;
    const notice = remoteImagesNotice(blocked, store.me?.remote_images !== false);
    const moveTargets = this.folders.filter((f) => !e.mailboxIds?.[f.id] && f.role !== 'drafts');
    const handled = this.handling ? handlingLines(e.handledBy) : [];
    return html`<div class="reader-toolbar" role="toolbar" aria-label="Actions sur le message">
        ${e.keywords?.$draft ? html`<button class="primary" @click=${() => this.act('resume')}>Reprendre le brouillon</button>` : nothing}
        <button @click=${() => this.act('reply')}>Répondre</button>
        <button @click=${() => this.act('reply-all')}>Répondre à tous</button>
        <button @click=${() => this.act('forward')}>Transférer</button>
        <button @click=${() => this.act('toggle-read')}>${seen ? 'Marquer comme non lu' : 'Marquer comme lu'}</button>
        <button @click=${() => this.act('flag')} aria-pressed=${flagged ? 'true' : 'false'}>${flagged ? 'Ne plus suivre' : 'Suivre'}</button>
        <button @click=${() => this.act('archive')}>Archiver</button>
        <button class="danger" @click=${() => this.act('delete')}>Supprimer</button>
        <label class="move">
          <span class="sr-only">Déplacer vers</span>
          <select @change=${(ev: Event) => {
            const s = ev.target as HTMLSelectElement;
            if (s.value) this.act('move', s.value);
            s.value = '';
          }}>
            <option value="">Déplacer vers…</option>
            ${moveTargets.map((f) => html`<option value=${f.id}>${f.role === 'inbox' ? 'Boîte de réception' : f.name}</option>`)}
          </select>
        </label>
      </div>
      <h2 id="reader-subject" tabindex="-1">${e.subject || '(sans objet)'}</h2>
      <dl class="reader-head">
        <dt>De</dt><dd>${formatAddressList(e.from) || '(inconnu)'}</dd>
        ${e.to?.length ? html`<dt>À</dt><dd>${formatAddressList(e.to)}</dd>` : nothing}
        ${e.cc?.length ? html`<dt>Cc</dt><dd>${formatAddressList(e.cc)}</dd>` : nothing}
        <dt>Date</dt><dd>${new Date(e.sentAt || e.receivedAt).toLocaleString('fr-FR', { dateStyle: 'full', timeStyle: 'short' })}</dd>
      </dl>
      ${this.handling
        ? html`<section class="handling" aria-label="Traitement dans la boîte partagée">
            ${handled.length
              ? html`<ul>${handled.map((l) => html`<li>${l}</li>`)}</ul>`
              : html`<p class="muted">Personne d’autre n’a encore traité ce message.</p>`}
          </section>`
        : nothing}
      ${this.thread.length > 1
        ? html`<nav class="thread" aria-label="Conversation">
            <h3>
              Conversation (${this.threadSize.toLocaleString('fr-FR')} messages${this.threadSize > this.thread.length
                ? `, les ${this.thread.length} plus récents listés`
                : ''})
            </h3>
            <ol>
              ${[...this.thread]
                .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
                .map(
                  (t) => html`<li>
                    ${t.id === e.id
                      ? html`<span aria-current="true"><strong>${displayName(t.from?.[0])}</strong> · ${listDate(t.receivedAt)} (ce message)</span>`
                      : html`<a href=${`${this.baseHref}/${encodeURIComponent(t.id)}`}>${displayName(t.from?.[0])} · ${listDate(t.receivedAt)} · ${t.subject || '(sans objet)'}</a>`}
                  </li>`,
                )}
            </ol>
          </nav>`
        : nothing}
      ${notice && !this.showImages
        ? html`<div class="images-blocked" role="status">
            ${notice.text}
            ${notice.offer
              ? html`<button class="small" @click=${() => (this.showImages = true)}>Afficher les images</button>`
              : nothing}
          </div>`
        : nothing}
      ${this.showImages && this.imageFailures
        ? html`<div class="images-blocked" role="status">
            ${this.imageFailures > 1 ? `${this.imageFailures} images distantes n’ont pas pu être affichées` : 'Une image distante n’a pas pu être affichée'} :
            le serveur les refuse ou l’expéditeur ne les fournit pas.
          </div>`
        : nothing}`;
  }

  override render() {
    const e = this.error ? null : this.email;
    const blocked = e ? this.frameBody().blocked : 0;
    // The frame stays from one message to the next (see SHELL); hidden while there is none.
    return html`<article class=${this.emailId ? 'reader' : 'reader-empty'} aria-labelledby=${e ? 'reader-subject' : nothing}>
      ${this.top(e, blocked)}
      <iframe
        class="mail-body"
        title="Contenu du message"
        ?hidden=${!e}
        sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
        referrerpolicy="no-referrer"
        .srcdoc=${SHELL}
        @load=${this.onShellLoad}
      ></iframe>
      ${e ? this.attachments() : nothing}
    </article>`;
  }
}

customElements.define('c-mail-reader', MessageReader);
