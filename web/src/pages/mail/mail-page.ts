// The web mail: #/mail/<accountId>/<mailboxId>/<emailId>?search. The account
// named in the URL is opened (the server's current mailbox follows, so that the
// cartouche and every trace name it), its folders with their unread counts, the
// message list of the folder or of a search, the reading pane or the writing
// form. New mail arrives by push. Keyboard shortcuts, listed under « ? ».
import { html, nothing } from 'lit';
import { api } from '../../lib/api';
import { HANDLING, jmap } from '../../lib/jmap';
import { store } from '../../lib/store';
import type { Me } from '../../lib/types';
import { Connected } from '../../components/light';
import { EmailListModel } from '../../components/mail/email-list';
import {
  buildFilter,
  folderName,
  formatAddressList,
  isSearching,
  queryFromSearch,
  searchFromQuery,
  roleId,
  searchRefusal,
  shortcutFor,
  SHORTCUTS,
  type ComposeMode,
  type EmailSummary,
  type SearchForm,
} from '../../components/mail/mail-model';
import type { ComposeRequest } from '../../components/mail/composer';
import { bodyText, type FullEmail, type MailAction, type MailRead } from '../../components/mail/message-reader';
import '../../components/mail/message-list';
import '../../components/mail/message-reader';
import '../../components/mail/composer';
import { errorMessage, mail } from './mail-state';

class MailPage extends Connected {
  static override properties = {
    accountId: { attribute: false },
    mailboxId: { attribute: false },
    emailId: { attribute: false },
    query: { attribute: false },
    error: { state: true },
    compose: { state: true },
    help: { state: true },
    version: { state: true },
    searchError: { state: true },
    actionError: { state: true },
  };
  accountId = '';
  mailboxId = '';
  emailId = '';
  query = new URLSearchParams();
  error = '';
  compose: ComposeRequest | null = null;
  help = false;
  version = 0;
  searchError = '';
  actionError = '';
  private model: EmailListModel | null = null;
  private modelKey = '';
  private unsubMail: (() => void) | null = null;
  private unsubEmail: (() => void) | null = null;
  private suggestions: { accountId: string; list: { name?: string | null; email: string }[] } = { accountId: '', list: [] };
  private switching = '';
  private readyMarked = false;

  override connectedCallback(): void {
    super.connectedCallback();
    this.unsubMail = mail.subscribe(() => {
      const s = mail.session;
      if (s && this.accountId && !(this.accountId in s.accounts))
        this.error = "Vous n'avez pas accès à cette boîte aux lettres, ou le droit d'y accéder vous a été retiré.";
      this.requestUpdate();
    });
    this.unsubEmail = mail.onEmailChange((c) => {
      if (c.accountId !== this.accountId || !this.model) return;
      const reader = this.querySelector('c-mail-reader') as unknown as { reload(): Promise<void> } | null;
      // A message in or out of the folder moves positions: the pages in view are asked
      // again; a change of keywords or handling only refetches those messages.
      if (c.reset || c.created.length || c.destroyed.length) this.model.refresh().catch(() => undefined);
      else if (c.updated.length) this.model.refetch(c.updated).catch(() => undefined);
      if (this.emailId && (c.reset || c.updated.includes(this.emailId))) reader?.reload().catch(() => undefined);
    });
    document.addEventListener('keydown', this.onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.unsubMail?.();
    this.unsubEmail?.();
    document.removeEventListener('keydown', this.onKey);
  }

  protected override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('accountId') || changed.has('mailboxId') || changed.has('query') || !this.model)
      this.resolve().catch((e) => (this.error = errorMessage(e)));
  }

  /** Fills what the URL leaves out (the account, the inbox), switches the server's current mailbox, builds the list. */
  private async resolve(): Promise<void> {
    const session = await mail.start();
    if (!this.accountId) {
      const acc = mail.defaultAccount();
      if (acc) location.replace(`#/mail/${encodeURIComponent(acc)}`);
      return;
    }
    if (!(this.accountId in session.accounts)) {
      this.error = "Vous n'avez pas accès à cette boîte aux lettres, ou le droit d'y accéder vous a été retiré.";
      return;
    }
    this.error = '';
    const box = mail.mailboxOf(this.accountId);
    if (box && store.me && box.id !== store.me.current_mailbox_id && this.switching !== this.accountId) {
      this.switching = this.accountId;
      api
        .post<Me>('/api/me/mailbox', { mailbox_id: box.id })
        .then((me) => (me && (me as Me).person ? store.setMe(me) : store.loadMe()))
        .catch(() => undefined)
        .finally(() => (this.switching = ''));
    }
    const loading = mail.account(this.accountId);
    if (!this.mailboxId) {
      const data = await loading;
      const inbox = roleId(data.folders, 'inbox') || data.folders[0]?.id;
      if (inbox) location.replace(`#/mail/${encodeURIComponent(this.accountId)}/${encodeURIComponent(inbox)}`);
      return;
    }
    const form = searchFromQuery(this.query);
    const refusal = searchRefusal(form);
    this.searchError = refusal;
    const filter = buildFilter(this.mailboxId, refusal ? {} : form);
    const key = `${this.accountId}|${JSON.stringify(filter)}`;
    if (key !== this.modelKey) {
      this.modelKey = key;
      const acc = this.accountId;
      this.model = new EmailListModel(jmap, acc, filter, () => this.modelChanged(), this.hasHandling(), (state) => mail.noteEmailState(acc, state));
      // The first page loads while the folders do (one round trip, not two).
      this.model.ensure(0, 30).catch(() => undefined);
      this.requestUpdate();
    }
    await loading;
  }

  private modelChanged() {
    this.version += 1;
    if (!this.readyMarked && this.model && this.model.total >= 0) {
      this.readyMarked = true;
      this.updateComplete.then(() => {
        this.dataset.ready = '1';
        performance.mark('caduce-mail-ready');
      });
    }
  }

  /** Whether the server tells who handled each message of this account (handledBy). */
  private hasHandling(): boolean {
    return !!mail.session?.accounts[this.accountId]?.accountCapabilities?.[HANDLING];
  }

  private isShared(): boolean {
    const box = mail.mailboxOf(this.accountId);
    if (box) return box.type === 'ORG' || box.type === 'APP';
    return mail.session?.accounts[this.accountId]?.isPersonal === false;
  }

  private base(): string {
    return `#/mail/${encodeURIComponent(this.accountId)}/${encodeURIComponent(this.mailboxId)}`;
  }

  private go(emailId: string) {
    const q = this.query.toString();
    location.hash = `${this.base()}${emailId ? `/${encodeURIComponent(emailId)}` : ''}${q ? `?${q}` : ''}`;
  }

  // ---- Actions ----

  /** A message marked read on opening: its row and its folders' unread counts, without asking the server again. */
  private onRead(accountId: string, token: string, read: MailRead | null) {
    if (read && accountId === this.accountId) this.model?.patch(read.id, { keywords: read.keywords });
    const unread: Record<string, number> = {};
    for (const id of Object.keys(read?.mailboxIds || {})) unread[id] = -1;
    mail.endOwnChange(accountId, token, read ? { oldState: read.oldState, newState: read.newState, unread } : null);
  }

  private async setEmail(id: string, patch: Record<string, unknown>): Promise<boolean> {
    try {
      const r = await jmap.call<{ updated?: Record<string, unknown>; notUpdated?: Record<string, { type: string; description?: string }> }>('Email/set', {
        accountId: this.accountId,
        update: { [id]: patch },
      });
      const why = r.notUpdated?.[id];
      if (why) {
        this.actionError = why.description || 'Le serveur a refusé cette action.';
        return false;
      }
      this.actionError = '';
      return true;
    } catch (e) {
      this.actionError = errorMessage(e);
      return false;
    }
  }

  private async moveTo(e: EmailSummary, target: string) {
    const index = this.model?.indexOf(e.id) ?? -1;
    this.model?.remove(e.id);
    const next = index >= 0 ? this.model?.idAt(index) : undefined;
    if (e.id === this.emailId) this.go(next || '');
    if (!(await this.setEmail(e.id, { mailboxIds: { [target]: true } }))) this.model?.refresh().catch(() => undefined);
  }

  private async doAction(action: MailAction | ComposeMode, e: EmailSummary | null, text = '', target = '') {
    const data = mail.accounts.get(this.accountId);
    if (!data) return;
    if (action === 'new' || action === 'reply' || action === 'reply-all' || action === 'forward') {
      if (action !== 'new' && !e) return;
      this.compose = { mode: action, source: action === 'new' ? null : e, text };
      this.loadSuggestions();
      return;
    }
    if (!e) return;
    if (action === 'resume') {
      const full = e as FullEmail;
      this.compose = {
        mode: 'new',
        source: null,
        text: '',
        resume: {
          id: e.id,
          draft: {
            to: formatAddressList(e.to),
            cc: formatAddressList(e.cc),
            subject: e.subject || '',
            body: text,
            inReplyTo: full.inReplyTo || null,
            references: e.references || null,
          },
          attachments: (full.attachments || [])
            .filter((a) => a.blobId)
            .map((a) => ({ blobId: a.blobId!, name: a.name || 'piece-jointe', type: a.type, size: a.size })),
        },
      };
      this.loadSuggestions();
      return;
    }
    switch (action) {
      case 'toggle-read': {
        const seen = !e.keywords?.$seen;
        this.model?.patch(e.id, { keywords: { ...e.keywords, $seen: seen } });
        await this.setEmail(e.id, { 'keywords/$seen': seen ? true : null });
        (this.querySelector('c-mail-reader') as unknown as { reload(): Promise<void> } | null)?.reload();
        break;
      }
      case 'flag': {
        const flagged = !e.keywords?.$flagged;
        this.model?.patch(e.id, { keywords: { ...e.keywords, $flagged: flagged } });
        await this.setEmail(e.id, { 'keywords/$flagged': flagged ? true : null });
        (this.querySelector('c-mail-reader') as unknown as { reload(): Promise<void> } | null)?.reload();
        break;
      }
      case 'archive': {
        const archive = roleId(data.folders, 'archive');
        if (archive) await this.moveTo(e, archive);
        break;
      }
      case 'move':
        if (target) await this.moveTo(e, target);
        break;
      case 'delete': {
        const trash = roleId(data.folders, 'trash');
        if (trash && !e.mailboxIds?.[trash]) {
          await this.moveTo(e, trash);
          break;
        }
        if (!confirm('Supprimer définitivement ce message ? Cette action ne peut pas être annulée.')) break;
        this.model?.remove(e.id);
        if (e.id === this.emailId) this.go('');
        try {
          await jmap.call('Email/set', { accountId: this.accountId, destroy: [e.id] });
        } catch (err) {
          this.actionError = errorMessage(err);
        }
        break;
      }
    }
  }

  private loadSuggestions() {
    if (this.suggestions.accountId === this.accountId) return;
    const acc = this.accountId;
    this.suggestions = { accountId: acc, list: [] };
    mail
      .recentCorrespondents(acc)
      .then((list) => {
        if (this.suggestions.accountId === acc) {
          this.suggestions = { accountId: acc, list };
          this.requestUpdate();
        }
      })
      .catch(() => undefined);
  }

  private current(): EmailSummary | null {
    if (!this.emailId || !this.model) return null;
    return this.model.emails.get(this.emailId) || null;
  }

  private onKey = (e: KeyboardEvent) => {
    const action = shortcutFor(e);
    if (!action) return;
    if (this.compose && action !== 'close') return;
    if ((e.target as HTMLElement)?.closest?.('#account-menu, .cartouche-wrap')) return;
    const tag = (e.target as HTMLElement)?.tagName?.toLowerCase();
    if ((action === 'next' || action === 'previous' || action === 'open') && (tag === 'select' || tag === 'button' || (tag === 'a' && action === 'open'))) return;
    // The arrows move in the list only when the list has the focus; elsewhere they scroll.
    if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && !(e.target as HTMLElement)?.closest?.('c-mail-list')) return;
    const model = this.model;
    const cur = this.current();
    switch (action) {
      case 'next':
      case 'previous': {
        if (!model || model.total <= 0) return;
        e.preventDefault();
        const i = this.emailId ? model.indexOf(this.emailId) : -1;
        const j = Math.max(0, Math.min(model.total - 1, i + (action === 'next' ? 1 : -1)));
        const id = model.idAt(j);
        if (id) {
          (this.querySelector('c-mail-list') as unknown as { reveal(i: number): void } | null)?.reveal(j);
          this.go(id);
        }
        return;
      }
      case 'open':
        this.querySelector<HTMLElement>('#reader-subject')?.focus();
        return;
      case 'compose':
        e.preventDefault();
        this.doAction('new', null);
        return;
      case 'reply':
      case 'reply-all':
      case 'forward':
      case 'toggle-read':
      case 'flag':
      case 'delete':
      case 'archive': {
        if (!cur) return;
        e.preventDefault();
        const reader = this.querySelector('c-mail-reader') as unknown as { email: FullEmail | null } | null;
        const full = reader?.email && reader.email.id === cur.id ? reader.email : null;
        const text = full ? bodyText(full) : '';
        this.doAction(action, full || cur, text);
        return;
      }
      case 'search':
        e.preventDefault();
        this.querySelector<HTMLInputElement>('#mail-search')?.focus();
        return;
      case 'help':
        e.preventDefault();
        this.help = !this.help;
        return;
      case 'close':
        if (this.help) this.help = false;
        else if (this.compose) this.closeComposer();
        return;
    }
  };

  private closeComposer() {
    this.compose = null;
    mail.refreshFolders(this.accountId).catch(() => undefined);
  }

  private onSearch(ev: Event) {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    const form: SearchForm = {
      text: String(f.get('q') || ''),
      from: String(f.get('de') || ''),
      to: String(f.get('a') || ''),
      after: String(f.get('du') || ''),
      before: String(f.get('au') || ''),
      hasAttachment: f.get('pj') === '1',
      unread: f.get('nonlus') === '1',
      unhandled: f.get('nontraites') === '1',
    };
    const refusal = searchRefusal(form);
    if (refusal) {
      this.searchError = refusal;
      return;
    }
    const q = queryFromSearch(form);
    location.hash = `${this.base()}${q ? `?${q}` : ''}`;
  }

  // ---- Rendering ----

  private folders() {
    const data = mail.accounts.get(this.accountId);
    if (!data) return html`<p class="muted" role="status">Chargement des dossiers…</p>`;
    return html`<nav class="folders" aria-label="Dossiers">
      <ul>
        ${data.folders.map((f) => {
          const current = f.id === this.mailboxId;
          return html`<li>
            <a href=${`#/mail/${encodeURIComponent(this.accountId)}/${encodeURIComponent(f.id)}`} aria-current=${current ? 'page' : nothing}>
              <span class="folder-name">${folderName(f)}</span>
              ${f.unreadEmails > 0 ? html`<span class="unread-count">${f.unreadEmails}<span class="sr-only"> non lus</span></span>` : nothing}
            </a>
          </li>`;
        })}
      </ul>
    </nav>`;
  }

  private searchForm(shared: boolean) {
    const f = searchFromQuery(this.query);
    const advanced = !!(f.from || f.to || f.after || f.before || f.hasAttachment);
    return html`<form class="mail-search" role="search" @submit=${this.onSearch}>
      <label for="mail-search" class="sr-only">Rechercher dans ce dossier</label>
      <input id="mail-search" name="q" type="search" placeholder="Rechercher (texte, expéditeur…)" .value=${f.text || ''} />
      <button type="submit">Rechercher</button>
      <div class="search-toggles">
        <label class="check"><input type="checkbox" name="nonlus" value="1" .checked=${!!f.unread} @change=${(e: Event) => (e.target as HTMLInputElement).form?.requestSubmit()} /> Non lus</label>
        ${shared
          ? html`<label class="check"><input type="checkbox" name="nontraites" value="1" .checked=${!!f.unhandled} @change=${(e: Event) => (e.target as HTMLInputElement).form?.requestSubmit()} /> Non traités</label>`
          : nothing}
      </div>
      <details ?open=${advanced}>
        <summary>Recherche avancée</summary>
        <div class="advanced">
          <label>Expéditeur <input name="de" type="text" .value=${f.from || ''} /></label>
          <label>Destinataire <input name="a" type="text" .value=${f.to || ''} /></label>
          <label>Reçu à partir du <input name="du" type="date" .value=${f.after || ''} /></label>
          <label>Reçu jusqu’au <input name="au" type="date" .value=${f.before || ''} /></label>
          <label class="check"><input type="checkbox" name="pj" value="1" .checked=${!!f.hasAttachment} /> Avec pièce jointe</label>
        </div>
      </details>
      ${isSearching(f) ? html`<a class="clear-search" href=${this.base()}>Effacer la recherche</a>` : nothing}
      ${this.searchError ? html`<p class="finding error" role="alert">${this.searchError}</p>` : nothing}
    </form>`;
  }

  private helpDialog() {
    return html`<div class="help-dialog" role="dialog" aria-modal="false" aria-labelledby="help-title">
      <h2 id="help-title">Raccourcis clavier</h2>
      <table>
        <thead><tr><th scope="col">Touche</th><th scope="col">Action</th></tr></thead>
        <tbody>${SHORTCUTS.map((s) => html`<tr><td><kbd>${s.key}</kbd></td><td>${s.label}</td></tr>`)}</tbody>
      </table>
      <button @click=${() => (this.help = false)}>Fermer</button>
    </div>`;
  }

  override render() {
    if (this.error)
      return html`<section class="page">
        <h1>Messagerie</h1>
        <div class="alert" role="alert">${this.error}</div>
        <p><a href="#/mail">Ouvrir ma boîte aux lettres par défaut</a></p>
        ${store.isAdmin() ? html`<p><a class="button primary" href="#/admin/utilisateurs">Gestion des utilisateurs</a></p>` : nothing}
      </section>`;
    const session = mail.session;
    const data = mail.accounts.get(this.accountId);
    if (!session || !data || !this.mailboxId) return html`<p class="loading" role="status">Chargement de la messagerie…</p>`;
    const shared = this.isShared();
    const folder = data.folders.find((f) => f.id === this.mailboxId);
    const box = mail.mailboxOf(this.accountId);
    const address = data.identity?.email || box?.address || session.accounts[this.accountId]?.name || '';
    const label = box?.description || session.accounts[this.accountId]?.name || address;
    const summary = this.current() || undefined;
    return html`<div class="mail${this.emailId || this.compose ? ' has-reader' : ''}">
      <aside class="mail-side">
        <p class="mail-using">Boîte utilisée : <strong>${address}</strong>${shared ? html` <span class="badge type-${box?.type || 'ORG'}">partagée</span>` : nothing}</p>
        <button class="primary compose-button" @click=${() => this.doAction('new', null)}>Nouveau message</button>
        ${this.folders()}
        <p class="side-links"><a href="#/preferences">Préférences</a> · <button class="link" @click=${() => (this.help = true)}>Raccourcis (?)</button></p>
      </aside>
      <section class="mail-list-pane" aria-labelledby="mail-title">
        <h1 id="mail-title" class="mail-title">${folder ? folderName(folder) : 'Dossier'}<span class="subtitle">${label}</span></h1>
        ${this.searchForm(shared)}
        ${this.model?.error ? html`<div class="alert" role="alert">${errorMessage(this.model.error)}</div>` : nothing}
        ${this.model && this.model.total >= 0 ? html`<p class="mail-count muted">${this.model.total.toLocaleString('fr-FR')} message${this.model.total > 1 ? 's' : ''}</p>` : nothing}
        <c-mail-list
          .model=${this.model}
          .selectedId=${this.emailId}
          .baseHref=${this.base()}
          .query=${this.query.toString()}
          ?shared=${shared}
          .version=${this.version}
          @mail-open=${(ev: CustomEvent) => {
            // The link's hash follows with the same message; the reader starts now.
            if (!this.compose) this.emailId = ev.detail.id;
          }}
        ></c-mail-list>
      </section>
      <section class="mail-reader-pane" aria-label="Lecture">
        ${this.actionError ? html`<div class="alert" role="alert">${this.actionError}</div>` : nothing}
        ${this.emailId && !this.compose ? html`<p class="back-to-list"><a href=${this.base() + (this.query.toString() ? `?${this.query}` : '')}>← Retour à la liste</a></p>` : nothing}
        ${this.compose
          ? html`<c-mail-composer
              .accountId=${this.accountId}
              .fromAddress=${address}
              .fromLabel=${label}
              .identityId=${data.identity?.id || ''}
              .identityName=${data.identity?.name || ''}
              .folders=${data.folders}
              .request=${this.compose}
              .suggestions=${this.suggestions.list}
              @mail-compose-close=${() => this.closeComposer()}
              @mail-sent=${(ev: CustomEvent) => {
                const src = ev.detail.source as EmailSummary | null;
                if (src && (ev.detail.mode === 'reply' || ev.detail.mode === 'reply-all'))
                  this.model?.patch(src.id, { keywords: { ...src.keywords, $answered: true } });
                store.notice = 'Message envoyé.';
                store.changed();
                this.closeComposer();
              }}
            ></c-mail-composer>`
          : html`<c-mail-reader
              .accountId=${this.accountId}
              .emailId=${this.emailId}
              .summary=${summary}
              .folders=${data.folders}
              ?shared=${shared}
              ?handling=${this.hasHandling()}
              .baseHref=${this.base()}
              @mail-read-begin=${(ev: CustomEvent) => mail.beginOwnChange(ev.detail.accountId, ev.detail.token)}
              @mail-read=${(ev: CustomEvent) => this.onRead(ev.detail.accountId, ev.detail.token, ev.detail.read)}
              @mail-action=${(ev: CustomEvent) => this.doAction(ev.detail.action, ev.detail.email, ev.detail.text, ev.detail.target)}
            ></c-mail-reader>`}
      </section>
      ${this.help ? this.helpDialog() : nothing}
    </div>`;
  }
}

customElements.define('c-mail-page', MailPage);
