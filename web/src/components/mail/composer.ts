// The writing form: « Nouveau message », Répondre, Répondre à tous,
// Transférer. It states the mailbox it sends from; À, Cc and Cci are
// comboboxes (WAI-ARIA APG « list autocomplete ») suggesting, as the person
// types, the recent correspondents of that mailbox and the accounts of the
// directory (GET /api/directory/suggestions, debounced, stale answers
// aborted), name, address and structure; an address in neither list is still
// accepted (mail to outside); attachments upload at once
// with a progress bar and are checked against the server's maxSizeUpload; the
// draft is saved by itself a few seconds after each change (Email/set, the
// previous draft destroyed in the same request); sending is one request:
// Email/set then EmailSubmission/set with onSuccessUpdateEmail moving the copy
// from Brouillons to Envoyés (RFC 8621 §7.5).
import { html, nothing } from 'lit';
import {
  comboKey,
  DirectoryLookup,
  mergeSuggestions,
  recipientEntry,
  recipientQuery,
  replaceRecipientQuery,
  takenAddresses,
  type DirectoryEntry,
  type RecipientSuggestion,
} from '../../lib/addresses';
import { api } from '../../lib/api';
import { formatSize, jmap } from '../../lib/jmap';
import { Light, uid } from '../light';
import { draftFor, formatAddressList, isAddress, parseAddressList, roleId, type ComposeMode, type Draft, type EmailAddress, type EmailSummary, type MailboxInfo } from './mail-model';

type RecipientField = 'to' | 'cc' | 'bcc';
/** The draft with its Cci, which a resumed draft may carry. */
export type ComposerDraft = Draft & { bcc?: string };
const FIELD_NAMES: Record<RecipientField, string> = { to: 'À', cc: 'Cc', bcc: 'Cci' };

interface Attachment {
  key: number;
  name: string;
  size: number;
  type: string;
  progress: number;
  blobId: string;
  error: string;
  abort: AbortController;
}

export interface ComposeRequest {
  mode: ComposeMode;
  /** A saved draft to take up again: its fields, and its id (replaced at each save, destroyed on sending). */
  resume?: { id: string; draft: ComposerDraft; attachments: { blobId: string; name: string; type: string; size: number }[] };
  source: EmailSummary | null;
  text: string;
}

const AUTOSAVE_MS = 3000;
let attachmentKey = 0;

class Composer extends Light {
  static override properties = {
    accountId: { attribute: false },
    fromAddress: { attribute: false },
    fromLabel: { attribute: false },
    identityId: { attribute: false },
    identityName: { attribute: false },
    folders: { attribute: false },
    request: { attribute: false },
    suggestions: { attribute: false },
    draft: { state: true },
    attachments: { state: true },
    error: { state: true },
    status: { state: true },
    sending: { state: true },
    activeField: { state: true },
    listOpen: { state: true },
    activeOption: { state: true },
    directory: { state: true },
  };
  accountId = '';
  fromAddress = '';
  fromLabel = '';
  identityId = '';
  identityName = '';
  folders: MailboxInfo[] = [];
  request: ComposeRequest = { mode: 'new', source: null, text: '' };
  suggestions: EmailAddress[] = [];
  draft: ComposerDraft = draftFor('new', null, '', '');
  attachments: Attachment[] = [];
  error = '';
  status = '';
  sending = false;
  activeField: RecipientField | '' = '';
  listOpen = false;
  activeOption = -1;
  directory: { query: string; entries: DirectoryEntry[] } = { query: '', entries: [] };
  private savedDraftId = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dirty = false;
  private saving: Promise<void> | null = null;
  private bccLoading: Promise<void> | null = null;
  private ids = { to: uid('to'), cc: uid('cc'), bcc: uid('bcc'), subject: uid('subject'), body: uid('body'), files: uid('files'), list: uid('sugg') };
  private lookup = new DirectoryLookup(
    (q, signal) => api.get<{ items?: DirectoryEntry[] }>('/api/directory/suggestions', { q, limit: 10 }, signal).then((r) => (Array.isArray(r?.items) ? r.items : [])),
    (query, entries) => (this.directory = { query, entries }),
  );

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('request')) {
      this.draft = this.request.resume ? { bcc: '', ...this.request.resume.draft } : { ...draftFor(this.request.mode, this.request.source, this.request.text, this.fromAddress), bcc: '' };
      this.attachments = (this.request.resume?.attachments || []).map((a) => ({
        key: ++attachmentKey,
        name: a.name,
        size: a.size,
        type: a.type,
        progress: 1,
        blobId: a.blobId,
        error: '',
        abort: new AbortController(),
      }));
      this.savedDraftId = this.request.resume?.id || '';
      this.bccLoading = this.request.resume && this.request.resume.draft.bcc === undefined ? this.loadBcc(this.request.resume.id) : null;
      this.dirty = false;
      this.status = '';
      this.error = '';
    }
  }

  /**
   * The Cci of a draft taken up again, read from the draft itself when the list
   * did not give it, so that saving or sending never drops it. Kept as typed if
   * the person wrote in Cci meanwhile.
   */
  private async loadBcc(id: string): Promise<void> {
    try {
      const r = await jmap.call<{ list?: { id: string; bcc?: EmailAddress[] | null }[] }>('Email/get', { accountId: this.accountId, ids: [id], properties: ['bcc'] });
      const bcc = formatAddressList(r.list?.[0]?.bcc);
      if (bcc && !this.draft.bcc && this.savedDraftId === id) this.draft = { ...this.draft, bcc };
    } catch {
      // The draft keeps its other fields; the person sees an empty Cci.
    }
  }

  protected override firstUpdated(): void {
    const first = this.draft.to ? this.querySelector<HTMLElement>(`#${this.ids.body}`) : this.querySelector<HTMLElement>(`#${this.ids.to}`);
    first?.focus();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.timer) clearTimeout(this.timer);
    this.lookup.cancel();
  }

  private edit(field: keyof ComposerDraft, value: string) {
    this.draft = { ...this.draft, [field]: value };
    this.touch();
  }

  private touch() {
    this.dirty = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.saveDraft().catch(() => undefined), AUTOSAVE_MS);
  }

  private emailObject(asDraft: boolean) {
    const to = parseAddressList(this.draft.to).addresses;
    const cc = parseAddressList(this.draft.cc).addresses;
    const bcc = parseAddressList(this.draft.bcc || '').addresses;
    const drafts = roleId(this.folders, 'drafts');
    const from: EmailAddress[] = [{ name: this.identityName || null, email: this.fromAddress }];
    const e: Record<string, unknown> = {
      mailboxIds: drafts ? { [drafts]: true } : {},
      keywords: { $draft: true, $seen: true },
      from,
      to: to.length ? to : null,
      cc: cc.length ? cc : null,
      bcc: bcc.length ? bcc : null,
      subject: this.draft.subject,
      bodyValues: { body: { value: this.draft.body } },
      textBody: [{ partId: 'body', type: 'text/plain' }],
      attachments: this.attachments.filter((a) => a.blobId).map((a) => ({ blobId: a.blobId, type: a.type, name: a.name, disposition: 'attachment' })),
    };
    if (this.draft.inReplyTo) e.inReplyTo = this.draft.inReplyTo;
    if (this.draft.references) e.references = this.draft.references;
    if (!asDraft) e.keywords = { $seen: true, $draft: true };
    return e;
  }

  /** Saves the draft in Brouillons, replacing the one saved before. */
  async saveDraft(): Promise<void> {
    if (!this.dirty || this.sending) return;
    if (this.bccLoading) await this.bccLoading;
    if (this.saving) await this.saving;
    this.dirty = false;
    this.saving = (async () => {
      try {
        const previous = this.savedDraftId;
        const r = await jmap.call<{ created?: Record<string, { id: string }>; notCreated?: Record<string, { type: string; description?: string }> }>('Email/set', {
          accountId: this.accountId,
          create: { draft: this.emailObject(true) },
          ...(previous ? { destroy: [previous] } : {}),
        });
        const made = r.created?.draft;
        if (made) {
          this.savedDraftId = made.id;
          this.status = `Brouillon enregistré à ${new Date().toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' })}`;
        } else this.status = 'Le brouillon n’a pas pu être enregistré.';
      } catch {
        this.status = 'Le brouillon n’a pas pu être enregistré ; il le sera au prochain changement.';
        this.dirty = true;
      } finally {
        this.saving = null;
      }
    })();
    await this.saving;
  }

  private refusal(): string {
    let count = 0;
    for (const field of ['to', 'cc', 'bcc'] as const) {
      const list = parseAddressList(this.draft[field] || '');
      if (list.invalid.length) return `${FIELD_NAMES[field]} : « ${list.invalid[0]} » n’est pas une adresse. Corrigez-la (exemple : prenom.nom@domaine.fr).`;
      count += list.addresses.length;
    }
    if (!count) return 'À : indiquez au moins un destinataire.';
    if (this.attachments.some((a) => !a.blobId && !a.error)) return 'Pièces jointes : attendez la fin de l’envoi des fichiers.';
    if (!this.identityId) return 'Cette boîte aux lettres ne permet pas d’envoyer (aucune identité d’envoi).';
    return '';
  }

  private async send(ev: Event) {
    ev.preventDefault();
    const refusal = this.refusal();
    if (refusal) {
      this.error = refusal;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    if (this.bccLoading) await this.bccLoading;
    if (this.saving) await this.saving;
    this.sending = true;
    this.error = '';
    const drafts = roleId(this.folders, 'drafts');
    const sent = roleId(this.folders, 'sent');
    const onSuccess: Record<string, unknown> = { 'keywords/$draft': null };
    if (drafts) onSuccess[`mailboxIds/${drafts}`] = null;
    if (sent) onSuccess[`mailboxIds/${sent}`] = true;
    try {
      const { refs, res } = await jmap.run((b) => {
        const set = b.add('Email/set', {
          accountId: this.accountId,
          create: { msg: this.emailObject(false) },
          ...(this.savedDraftId ? { destroy: [this.savedDraftId] } : {}),
        });
        const sub = b.add('EmailSubmission/set', {
          accountId: this.accountId,
          create: { s: { identityId: this.identityId, emailId: '#msg' } },
          onSuccessUpdateEmail: { '#s': onSuccess },
        });
        return { set, sub };
      });
      const set = res.get<{ created?: Record<string, { id: string }>; notCreated?: Record<string, { type: string; description?: string }> }>(refs.set);
      if (!set.created?.msg) {
        const why = set.notCreated?.msg;
        throw Object.assign(new Error(), { userMessage: why ? describeSetError(why) : 'Le message n’a pas pu être préparé.' });
      }
      this.savedDraftId = set.created.msg.id; // kept as a draft if the submission fails
      const sub = res.get<{ created?: Record<string, unknown>; notCreated?: Record<string, { type: string; description?: string }> }>(refs.sub);
      if (!sub.created?.s) {
        const why = sub.notCreated?.s;
        throw Object.assign(new Error(), { userMessage: why ? describeSetError(why) : 'Le message n’a pas pu être envoyé.' });
      }
      this.dispatchEvent(new CustomEvent('mail-sent', { detail: { mode: this.request.mode, source: this.request.source }, bubbles: true }));
    } catch (e) {
      this.error = `${(e as { userMessage?: string }).userMessage || 'Le message n’a pas pu être envoyé.'} Il reste dans Brouillons.`;
    } finally {
      this.sending = false;
    }
  }

  private async close() {
    if (this.timer) clearTimeout(this.timer);
    await this.saveDraft().catch(() => undefined);
    for (const a of this.attachments) if (!a.blobId) a.abort.abort();
    this.dispatchEvent(new CustomEvent('mail-compose-close', { bubbles: true }));
  }

  private addFiles(files: FileList | null) {
    if (!files) return;
    for (const f of [...files]) {
      const a: Attachment = { key: ++attachmentKey, name: f.name, size: f.size, type: f.type || 'application/octet-stream', progress: 0, blobId: '', error: '', abort: new AbortController() };
      a.error = jmap.uploadRefusal(f.name, f.size);
      this.attachments = [...this.attachments, a];
      if (a.error) continue;
      jmap
        .upload(this.accountId, f, (sent, total) => {
          a.progress = total ? sent / total : 0;
          this.requestUpdate();
        }, a.abort.signal)
        .then((r) => {
          a.blobId = r.blobId;
          a.progress = 1;
          this.touch();
          this.requestUpdate();
        })
        .catch((e) => {
          if ((e as Error)?.name === 'AbortError') return;
          a.error = `« ${a.name} » : ${(e as { userMessage?: string }).userMessage || 'envoi impossible'}`;
          this.requestUpdate();
        });
    }
  }

  private removeAttachment(a: Attachment) {
    a.abort.abort();
    this.attachments = this.attachments.filter((x) => x !== a);
    this.touch();
  }

  /** The suggestions shown under `field`: none unless it is the field being typed in. */
  private suggestionsFor(field: RecipientField): RecipientSuggestion[] {
    if (this.activeField !== field || !this.listOpen) return [];
    const query = recipientQuery(this.draft[field] || '');
    const taken = takenAddresses(this.draft.to, this.draft.cc, this.draft.bcc || '');
    return mergeSuggestions(query, this.suggestions, this.directory, taken);
  }

  private typed(field: RecipientField, value: string) {
    this.activeField = field;
    this.listOpen = true;
    this.activeOption = -1;
    this.edit(field, value);
    this.lookup.type(recipientQuery(value));
  }

  private closeList() {
    this.listOpen = false;
    this.activeOption = -1;
    this.lookup.cancel();
  }

  private pick(field: RecipientField, s: RecipientSuggestion) {
    this.edit(field, replaceRecipientQuery(this.draft[field] || '', recipientEntry(s)));
    this.closeList();
    this.querySelector<HTMLInputElement>(`#${this.ids[field]}`)?.focus();
  }

  private onRecipientKey(field: RecipientField, e: KeyboardEvent) {
    if (e.isComposing) return;
    const list = this.suggestionsFor(field);
    const r = comboKey(e.key, list.length, this.activeOption);
    if (r.handled) {
      e.preventDefault();
      e.stopPropagation(); // neither the page's shortcuts (Escape closes the form) nor sending
    }
    if (r.pick >= 0) this.pick(field, list[r.pick]);
    else if (e.key === 'Enter') {
      // Enter on an address typed in full (to outside) ends the entry.
      const typed = recipientQuery(this.draft[field] || '');
      if (typed && isAddress(typed.toLowerCase())) this.edit(field, replaceRecipientQuery(this.draft[field] || '', typed));
      this.closeList();
    } else if (r.close) this.closeList();
    else this.activeOption = r.active;
    if (r.active >= 0) this.querySelector(`#${this.ids.list}-${field}-${r.active}`)?.scrollIntoView({ block: 'nearest' });
  }

  private recipientField(field: RecipientField) {
    const label = FIELD_NAMES[field];
    const list = this.suggestionsFor(field);
    const listId = `${this.ids.list}-${field}`;
    const open = list.length > 0;
    const active = open && this.activeOption >= 0 && this.activeOption < list.length ? `${listId}-${this.activeOption}` : '';
    return html`<div class="field recipient">
      <label for=${this.ids[field]}>${label}</label>
      <input
        id=${this.ids[field]}
        type="text"
        autocomplete="off"
        spellcheck="false"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded=${open ? 'true' : 'false'}
        aria-controls=${listId}
        aria-activedescendant=${active || nothing}
        aria-describedby=${`${this.ids.to}-hint`}
        .value=${this.draft[field] || ''}
        @input=${(e: Event) => this.typed(field, (e.target as HTMLInputElement).value)}
        @focus=${() => {
          if (this.activeField !== field) this.closeList();
          this.activeField = field;
        }}
        @blur=${() => this.closeList()}
        @keydown=${(e: KeyboardEvent) => this.onRecipientKey(field, e)}
      />
      ${field === 'to'
        ? html`<span class="hint" id=${`${this.ids.to}-hint`}>Plusieurs adresses séparées par des virgules. Tapez au moins deux lettres d’un nom pour chercher dans l’annuaire ; une adresse hors annuaire reste permise.</span>`
        : nothing}
      <ul class="suggestions" id=${listId} role="listbox" aria-label=${`Suggestions pour ${label}`} ?hidden=${!open}>
        ${list.map(
          (s, i) => html`<li
            id=${`${listId}-${i}`}
            role="option"
            aria-selected=${i === this.activeOption ? 'true' : 'false'}
            @mousedown=${(e: Event) => e.preventDefault()}
            @click=${() => this.pick(field, s)}
          >
            ${s.name ? html`<strong>${s.name}</strong> ` : nothing}<span>${s.name ? `<${s.email}>` : s.email}</span>
            ${s.structure || s.typeLabel ? html`<span class="muted"> — ${[s.typeLabel, s.structure].filter(Boolean).join(', ')}</span>` : nothing}
          </li>`,
        )}
      </ul>
      <span class="sr-only" aria-live="polite">${this.activeField === field && this.listOpen && recipientQuery(this.draft[field] || '') ? (open ? `${list.length} suggestion${list.length > 1 ? 's' : ''}` : '') : ''}</span>
    </div>`;
  }

  override render() {
    const titles: Record<ComposeMode, string> = { new: 'Nouveau message', reply: 'Répondre', 'reply-all': 'Répondre à tous', forward: 'Transférer' };
    return html`<section class="composer" aria-labelledby="composer-title">
      <h2 id="composer-title" tabindex="-1">${titles[this.request.mode]}</h2>
      <p class="sent-from">Envoyé depuis : <strong>${this.fromAddress}</strong>${this.fromLabel && this.fromLabel !== this.fromAddress ? html` (${this.fromLabel})` : nothing}
        <span class="hint">Pour envoyer depuis une autre boîte, changez de compte avec le cartouche à votre nom.</span></p>
      <form @submit=${this.send} novalidate>
        ${this.recipientField('to')} ${this.recipientField('cc')} ${this.recipientField('bcc')}
        <div class="field">
          <label for=${this.ids.subject}>Objet</label>
          <input id=${this.ids.subject} type="text" maxlength="998" .value=${this.draft.subject} @input=${(e: Event) => this.edit('subject', (e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for=${this.ids.body}>Message</label>
          <textarea id=${this.ids.body} rows="14" .value=${this.draft.body} @input=${(e: Event) => this.edit('body', (e.target as HTMLTextAreaElement).value)}></textarea>
        </div>
        <div class="field">
          <label for=${this.ids.files}>Pièces jointes</label>
          <input id=${this.ids.files} type="file" multiple @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            this.addFiles(input.files);
            input.value = '';
          }} />
          ${jmap.core().maxSizeUpload ? html`<span class="hint">Taille maximale par fichier : ${formatSize(jmap.core().maxSizeUpload)}.</span>` : nothing}
          ${this.attachments.length
            ? html`<ul class="upload-list">
                ${this.attachments.map(
                  (a) => html`<li>
                    <span>${a.name} <span class="muted">(${formatSize(a.size)})</span></span>
                    ${a.error
                      ? html`<span class="finding error" role="alert">${a.error}</span>`
                      : a.blobId
                        ? html`<span class="ok">Prête</span>`
                        : html`<progress max="100" .value=${Math.round(a.progress * 100)} aria-label=${`Envoi de ${a.name}`}></progress>`}
                    <button type="button" class="small" @click=${() => this.removeAttachment(a)}>Retirer<span class="sr-only"> ${a.name}</span></button>
                  </li>`,
                )}
              </ul>`
            : nothing}
        </div>
        ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}
        <div class="buttons">
          <button class="primary" type="submit" ?disabled=${this.sending}>${this.sending ? 'Envoi…' : 'Envoyer'}</button>
          <button type="button" @click=${() => ((this.dirty = true), this.saveDraft())}>Enregistrer le brouillon</button>
          <button type="button" @click=${this.close}>Fermer</button>
          <span class="muted" role="status">${this.status}</span>
        </div>
      </form>
    </section>`;
  }
}

function describeSetError(e: { type: string; description?: string }): string {
  switch (e.type) {
    case 'invalidRecipients':
      return `Destinataire refusé${e.description ? ` : ${e.description}` : ''}. Corrigez l’adresse.`;
    case 'noRecipients':
      return 'À : indiquez au moins un destinataire.';
    case 'tooLarge':
      return 'Le message est trop volumineux : retirez une pièce jointe.';
    case 'overQuota':
      return 'La boîte aux lettres est pleine.';
    case 'forbiddenFrom':
      return 'Vous ne pouvez pas envoyer depuis cette adresse.';
    case 'blobNotFound':
      return 'Une pièce jointe n’a pas été reçue par le serveur : retirez-la et ajoutez-la de nouveau.';
    default:
      return e.description || `Refus du serveur (${e.type}).`;
  }
}

customElements.define('c-mail-composer', Composer);
