// The writing form: « Nouveau message », Répondre, Répondre à tous,
// Transférer. It states the mailbox it sends from; recipients get suggestions
// from the recent correspondents of that mailbox; attachments upload at once
// with a progress bar and are checked against the server's maxSizeUpload; the
// draft is saved by itself a few seconds after each change (Email/set, the
// previous draft destroyed in the same request); sending is one request:
// Email/set then EmailSubmission/set with onSuccessUpdateEmail moving the copy
// from Brouillons to Envoyés (RFC 8621 §7.5).
import { html, nothing } from 'lit';
import { formatSize, jmap } from '../../lib/jmap';
import { fold } from '../../lib/text';
import { Light, uid } from '../light';
import { draftFor, formatAddress, parseAddressList, roleId, type ComposeMode, type Draft, type EmailAddress, type EmailSummary, type MailboxInfo } from './mail-model';

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
  resume?: { id: string; draft: Draft; attachments: { blobId: string; name: string; type: string; size: number }[] };
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
  };
  accountId = '';
  fromAddress = '';
  fromLabel = '';
  identityId = '';
  identityName = '';
  folders: MailboxInfo[] = [];
  request: ComposeRequest = { mode: 'new', source: null, text: '' };
  suggestions: EmailAddress[] = [];
  draft: Draft = draftFor('new', null, '', '');
  attachments: Attachment[] = [];
  error = '';
  status = '';
  sending = false;
  activeField: 'to' | 'cc' | '' = '';
  private savedDraftId = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dirty = false;
  private saving: Promise<void> | null = null;
  private ids = { to: uid('to'), cc: uid('cc'), subject: uid('subject'), body: uid('body'), files: uid('files'), list: uid('sugg') };

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('request')) {
      this.draft = this.request.resume ? this.request.resume.draft : draftFor(this.request.mode, this.request.source, this.request.text, this.fromAddress);
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
      this.dirty = false;
      this.status = '';
      this.error = '';
    }
  }

  protected override firstUpdated(): void {
    const first = this.draft.to ? this.querySelector<HTMLElement>(`#${this.ids.body}`) : this.querySelector<HTMLElement>(`#${this.ids.to}`);
    first?.focus();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.timer) clearTimeout(this.timer);
  }

  private edit(field: keyof Draft, value: string) {
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
    const drafts = roleId(this.folders, 'drafts');
    const from: EmailAddress[] = [{ name: this.identityName || null, email: this.fromAddress }];
    const e: Record<string, unknown> = {
      mailboxIds: drafts ? { [drafts]: true } : {},
      keywords: { $draft: true, $seen: true },
      from,
      to: to.length ? to : null,
      cc: cc.length ? cc : null,
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
    const to = parseAddressList(this.draft.to);
    const cc = parseAddressList(this.draft.cc);
    if (to.invalid.length) return `À : « ${to.invalid[0]} » n’est pas une adresse. Corrigez-la (exemple : prenom.nom@domaine.fr).`;
    if (cc.invalid.length) return `Cc : « ${cc.invalid[0]} » n’est pas une adresse. Corrigez-la (exemple : prenom.nom@domaine.fr).`;
    if (!to.addresses.length && !cc.addresses.length) return 'À : indiquez au moins un destinataire.';
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

  private suggestionsFor(field: 'to' | 'cc'): EmailAddress[] {
    if (this.activeField !== field) return [];
    const value = this.draft[field];
    const last = fold(value.split(/[,;]/).pop()!.trim());
    if (last.length < 1) return [];
    const taken = new Set(parseAddressList(value).addresses.map((a) => a.email));
    return this.suggestions.filter((s) => !taken.has(s.email) && (fold(s.email).includes(last) || fold(s.name || '').includes(last))).slice(0, 8);
  }

  private pick(field: 'to' | 'cc', a: EmailAddress) {
    const parts = this.draft[field].split(/[,;]/);
    parts.pop();
    const kept = parts.map((p) => p.trim()).filter(Boolean);
    this.edit(field, [...kept, formatAddress(a)].join(', ') + ', ');
    this.querySelector<HTMLInputElement>(`#${this.ids[field]}`)?.focus();
  }

  private onRecipientKey(field: 'to' | 'cc', e: KeyboardEvent) {
    const list = this.suggestionsFor(field);
    if (!list.length) return;
    const items = [...this.querySelectorAll<HTMLElement>(`#${this.ids.list}-${field} [role=option]`)];
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      items[0]?.focus();
    } else if (e.key === 'Escape') {
      this.activeField = '';
    }
  }

  private recipientField(field: 'to' | 'cc', label: string) {
    const list = this.suggestionsFor(field);
    const listId = `${this.ids.list}-${field}`;
    return html`<div class="field recipient">
      <label for=${this.ids[field]}>${label}</label>
      <input
        id=${this.ids[field]}
        type="text"
        autocomplete="off"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded=${list.length ? 'true' : 'false'}
        aria-controls=${listId}
        aria-describedby=${`${this.ids[field]}-hint`}
        .value=${this.draft[field]}
        @input=${(e: Event) => {
          this.activeField = field;
          this.edit(field, (e.target as HTMLInputElement).value);
        }}
        @focus=${() => (this.activeField = field)}
        @keydown=${(e: KeyboardEvent) => this.onRecipientKey(field, e)}
      />
      <span class="hint" id=${`${this.ids[field]}-hint`}>Plusieurs adresses séparées par des virgules.</span>
      <ul class="suggestions" id=${listId} role="listbox" aria-label="Suggestions" ?hidden=${!list.length}>
        ${list.map(
          (a, i, all) => html`<li
            role="option"
            tabindex="-1"
            aria-selected="false"
            @click=${() => this.pick(field, a)}
            @keydown=${(e: KeyboardEvent) => {
              const items = [...this.querySelectorAll<HTMLElement>(`#${listId} [role=option]`)];
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                this.pick(field, a);
              } else if (e.key === 'ArrowDown') {
                e.preventDefault();
                items[Math.min(i + 1, all.length - 1)]?.focus();
              } else if (e.key === 'ArrowUp') {
                e.preventDefault();
                if (i === 0) this.querySelector<HTMLElement>(`#${this.ids[field]}`)?.focus();
                else items[i - 1]?.focus();
              } else if (e.key === 'Escape') {
                this.activeField = '';
                this.querySelector<HTMLElement>(`#${this.ids[field]}`)?.focus();
              }
            }}
          >
            ${a.name ? html`<strong>${a.name}</strong> ` : nothing}<span>${a.email}</span>
          </li>`,
        )}
      </ul>
    </div>`;
  }

  override render() {
    const titles: Record<ComposeMode, string> = { new: 'Nouveau message', reply: 'Répondre', 'reply-all': 'Répondre à tous', forward: 'Transférer' };
    return html`<section class="composer" aria-labelledby="composer-title">
      <h2 id="composer-title" tabindex="-1">${titles[this.request.mode]}</h2>
      <p class="sent-from">Envoyé depuis : <strong>${this.fromAddress}</strong>${this.fromLabel && this.fromLabel !== this.fromAddress ? html` (${this.fromLabel})` : nothing}
        <span class="hint">Pour envoyer depuis une autre boîte, changez de compte avec le cartouche à votre nom.</span></p>
      <form @submit=${this.send} novalidate>
        ${this.recipientField('to', 'À')} ${this.recipientField('cc', 'Cc')}
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
