// The reading pane: one request fetches the message with its bodies, marks it
// read, and fetches its thread; the HTML is sanitised and shown in a frame
// sandboxed without scripts, under its own CSP, remote images held back until
// « Afficher les images »; attachments are listed with their download links and
// an image preview; in a shared mailbox, who handled the message.
// Actions are sent to the page as `mail-action` events.
import { html, nothing } from 'lit';
import { jmap } from '../../lib/jmap';
import { formatSize } from '../../lib/jmap';
import { Light } from '../light';
import { cssProps } from './css-props';
import { SUMMARY_PROPS } from './email-list';
import { displayName, formatAddressList, handlingLines, listDate, type EmailSummary, type MailboxInfo } from './mail-model';
import { frameDocument, htmlToText, sanitizeHtml, textDocument } from './sanitize';
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
    error: { state: true },
    showImages: { state: true },
    preview: { state: true },
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
  error = '';
  showImages = false;
  preview: BodyPart | null = null;
  private loadedKey = '';
  /** Time from asking to the message shown, for the e2e measures. */
  lastOpenMs = 0;

  protected override willUpdate(changed: Map<string, unknown>): void {
    if ((changed.has('emailId') || changed.has('accountId')) && `${this.accountId}/${this.emailId}` !== this.loadedKey) {
      this.loadedKey = `${this.accountId}/${this.emailId}`;
      this.email = null;
      this.thread = [];
      this.error = '';
      this.showImages = false;
      this.preview = null;
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
    try {
      const unseen = this.summary && !this.summary.keywords?.$seen;
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
        const th = b.add('Thread/get', { accountId, '#ids': get.ref('/list/*/threadId') });
        const te = b.add('Email/get', { accountId, '#ids': th.ref('/list/*/emailIds'), properties: SUMMARY_PROPS });
        return { set, get, th, te };
      });
      if (key !== this.loadedKey) return;
      const got = res.get<{ list: FullEmail[]; notFound: string[] }>(refs.get);
      if (!got.list.length) {
        this.error = "Ce message n'existe plus, ou vous n'avez pas accès à cette boîte aux lettres.";
        return;
      }
      this.email = got.list[0];
      if (!res.errorOf(refs.te)) this.thread = res.get<{ list: EmailSummary[] }>(refs.te).list;
      if (unseen) this.dispatchEvent(new CustomEvent('mail-read', { detail: { id, keywords: this.email.keywords }, bubbles: true }));
      await this.updateComplete;
      this.lastOpenMs = performance.now() - t0;
      this.dataset.openMs = String(Math.round(this.lastOpenMs));
    } catch (e) {
      if (key !== this.loadedKey) return;
      this.error = (e as { userMessage?: string }).userMessage || 'Le message n’a pas pu être ouvert.';
    }
  }

  private act(action: MailAction, target = '') {
    if (!this.email) return;
    this.dispatchEvent(
      new CustomEvent('mail-action', { detail: { action, email: this.email, target, text: bodyText(this.email) }, bubbles: true }),
    );
  }

  private frameDoc(): { doc: string; blocked: number } {
    const e = this.email!;
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
      return { doc: frameDocument(s.html, this.showImages, frameCssUrl), blocked: s.blockedImages };
    }
    return { doc: textDocument(bodyText(e), frameCssUrl), blocked: 0 };
  }

  private onFrameLoad = (ev: Event) => {
    const f = ev.target as HTMLIFrameElement;
    try {
      const h = f.contentDocument?.body?.scrollHeight || 0;
      f.style.setProperty('height', `${Math.max(120, h + 24)}px`);
    } catch {
      // Without access to the frame, it keeps its default height and scrolls.
    }
  };

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
          // Images are previewed here. A PDF is only downloaded: the server sends every
          // blob as an attachment and forbids framing its responses (frame-ancestors 'none').
          const previewable = /^image\/(png|jpe?g|gif|webp)$/.test(a.type);
          return html`<li>
            <span class="att-name">${name}</span> <span class="muted">(${formatSize(a.size)})</span>
            <a class="button small" href=${url} download=${name}>Télécharger<span class="sr-only"> ${name}</span></a>
            ${previewable
              ? html`<button class="small" @click=${() => (this.preview = this.preview?.blobId === a.blobId ? null : a)} aria-expanded=${this.preview?.blobId === a.blobId ? 'true' : 'false'}>
                  Aperçu<span class="sr-only"> ${name}</span>
                </button>`
              : nothing}
          </li>`;
        })}
      </ul>
      ${this.preview
        ? html`<div class="att-preview">
            <img class="img-preview" alt=${`Aperçu de ${this.preview.name || 'l’image'}`} src=${jmap.downloadUrl(this.accountId, this.preview.blobId!, this.preview.name || 'image', this.preview.type)} />
          </div>`
        : nothing}
    </section>`;
  }

  override render() {
    if (!this.emailId) return html`<div class="reader-empty"><p class="muted">Sélectionnez un message pour le lire.</p></div>`;
    if (this.error) return html`<div class="reader"><div class="alert" role="alert">${this.error}</div></div>`;
    const e = this.email;
    if (!e) return html`<div class="reader"><p class="muted" role="status">Ouverture du message…</p></div>`;
    const { doc, blocked } = this.frameDoc();
    const seen = !!e.keywords?.$seen;
    const flagged = !!e.keywords?.$flagged;
    const moveTargets = this.folders.filter((f) => !e.mailboxIds?.[f.id] && f.role !== 'drafts');
    const handled = this.handling ? handlingLines(e.handledBy) : [];
    return html`<article class="reader" aria-labelledby="reader-subject">
      <div class="reader-toolbar" role="toolbar" aria-label="Actions sur le message">
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
            <h3>Conversation (${this.thread.length} messages)</h3>
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
      ${blocked && !this.showImages
        ? html`<div class="images-blocked">
            ${blocked} image${blocked > 1 ? 's' : ''} distante${blocked > 1 ? 's' : ''} bloquée${blocked > 1 ? 's' : ''} pour protéger votre vie privée.
            <button class="small" @click=${() => (this.showImages = true)}>Afficher les images</button>
          </div>`
        : nothing}
      <iframe
        class="mail-body"
        title="Contenu du message"
        sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
        referrerpolicy="no-referrer"
        .srcdoc=${doc}
        @load=${this.onFrameLoad}
        ${cssProps({})}
      ></iframe>
      ${this.attachments()}
    </article>`;
  }
}

customElements.define('c-mail-reader', MessageReader);
