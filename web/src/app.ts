// The app shell: the header with the person's cartouche (name and current
// mailbox) and its menu (« Changer de compte », « Déconnexion »), the
// administration entry for administrators, and the page of the current route.
import { html, nothing } from 'lit';
import { api, ApiError } from './lib/api';
import { isPublic, parseRoute, type Route } from './lib/router';
import { store } from './lib/store';
import type { Me } from './lib/types';
import { Connected, focusHeading } from './components/light';
import './pages/signin';
import './pages/forgot';
import './pages/token';
import './pages/home';
import './pages/users';
import './pages/account';
import './pages/import';
import './pages/traces';
import './pages/mail/mail-page';
import './pages/mail/preferences';
import { jmap } from './lib/jmap';
import { mail } from './pages/mail/mail-state';

class CaduceApp extends Connected {
  static override properties = {
    route: { state: true },
    menuOpen: { state: true },
    error: { state: true },
  };
  route: Route = parseRoute(location.hash);
  menuOpen = false;
  error = '';
  private lastRouteKey = '';

  private onHash = () => {
    this.route = parseRoute(location.hash);
    this.menuOpen = false;
  };
  private onDocClick = (e: MouseEvent) => {
    if (!this.menuOpen) return;
    const menu = this.querySelector('.cartouche-wrap');
    if (menu && !menu.contains(e.target as Node)) this.menuOpen = false;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
    document.addEventListener('click', this.onDocClick);
    api.onUnauthenticated = () => {
      store.signedOut();
      mail.stop();
      if (!isPublic(this.route)) location.hash = '#/connexion';
    };
    jmap.onUnauthenticated = api.onUnauthenticated;
    mail.subscribe(() => this.requestUpdate());
    store.loadMe().catch((e: ApiError) => (this.error = e.userMessage));
    // The mail session is asked for with the person, not after (sign-in to inbox).
    if (!isPublic(this.route)) jmap.loadSession().catch(() => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHash);
    document.removeEventListener('click', this.onDocClick);
  }

  protected override updated(): void {
    const key = location.hash + (store.me ? '+' : '-');
    if (key !== this.lastRouteKey && store.ready) {
      this.lastRouteKey = key;
      document.title = this.pageTitle();
      requestAnimationFrame(() => {
        const main = this.querySelector('main');
        if (main && !main.contains(document.activeElement)) focusHeading(main);
      });
    }
  }

  private pageTitle(): string {
    const names: Partial<Record<Route['name'], string>> = {
      signin: 'Connexion',
      forgot: 'Mot de passe oublié',
      activation: 'Activation du compte',
      reset: 'Nouveau mot de passe',
      users: 'Gestion des utilisateurs',
      'user-new': 'Créer un nouvel utilisateur',
      user: 'Éditer le compte',
      import: 'Importer une liste d’utilisateurs',
      traces: 'Traces',
      mail: 'Messagerie',
      preferences: 'Préférences',
    };
    const n = names[this.route.name];
    return n ? `${n} · caduce` : 'caduce';
  }

  private async switchMailbox(id: number) {
    this.menuOpen = false;
    // With the mail session known, the mail page opens the account at once and
    // makes it the server's current mailbox itself (one round trip less).
    const target = store.me?.mailboxes.find((x) => x.id === id);
    const account = target && mail.session ? mail.accountOf(target) : '';
    if (account) {
      location.hash = `#/mail/${encodeURIComponent(account)}`;
      return;
    }
    try {
      const me = await api.post<Me>('/api/me/mailbox', { mailbox_id: id });
      if (me && (me as Me).person) store.setMe(me);
      else await store.loadMe();
      const m = store.me?.mailboxes.find((x) => x.id === id);
      const acc = m && mail.session ? mail.accountOf(m) : '';
      location.hash = acc ? `#/mail/${encodeURIComponent(acc)}` : '#/mail';
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    }
  }

  private async signOut() {
    this.menuOpen = false;
    try {
      await api.del('/api/session');
    } catch {
      // Signed out on the server or not, the page forgets the person.
    }
    store.signedOut();
    mail.stop();
    location.hash = '#/connexion';
  }

  private onMenuKey(e: KeyboardEvent) {
    if (e.key === 'Escape' && this.menuOpen) {
      this.menuOpen = false;
      this.querySelector<HTMLElement>('#cartouche')?.focus();
      return;
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const items = [...this.querySelectorAll<HTMLElement>('#account-menu [role=menuitem]')];
    if (!items.length) return;
    e.preventDefault();
    if (!this.menuOpen) {
      this.menuOpen = true;
      this.updateComplete.then(() => this.querySelector<HTMLElement>('#account-menu [role=menuitem]')?.focus());
      return;
    }
    const i = items.indexOf(document.activeElement as HTMLElement);
    const next = e.key === 'ArrowDown' ? (i + 1) % items.length : (i - 1 + items.length) % items.length;
    items[next].focus();
  }

  private header() {
    const me = store.me;
    if (!me) {
      return html`<header class="topbar"><a class="brand" href="#/">caduce</a></header>`;
    }
    const current = store.currentMailbox();
    const name = [me.person.prenom, me.person.nom].filter(Boolean).join(' ') || me.person.address;
    const inAdmin = ['users', 'user-new', 'user', 'import', 'traces'].includes(this.route.name);
    return html`<header class="topbar">
      <a class="brand" href="#/">caduce</a>
      <nav aria-label="Navigation principale" class="mainnav">
        <a href="#/mail" aria-current=${!inAdmin && (this.route.name === 'home' || this.route.name === 'mail') ? 'page' : nothing}>Messagerie</a>
        ${store.isAdmin()
          ? html`<a href="#/admin/utilisateurs" aria-current=${inAdmin ? 'page' : nothing}>Administration</a>`
          : nothing}
      </nav>
      <div class="cartouche-wrap" @keydown=${this.onMenuKey}>
        <button
          id="cartouche"
          class="cartouche"
          aria-haspopup="menu"
          aria-expanded=${this.menuOpen ? 'true' : 'false'}
          aria-controls="account-menu"
          @click=${() => {
            this.menuOpen = !this.menuOpen;
            if (this.menuOpen) mail.loadAllUnread().catch(() => undefined);
          }}
        >
          <span class="cartouche-name">${name}</span>
          <span class="cartouche-mailbox">${current ? current.description || current.address : ''}</span>
        </button>
        <div id="account-menu" role="menu" aria-label="Compte" ?hidden=${!this.menuOpen}>
          <p class="menu-title" id="switch-title">Changer de compte</p>
          <div role="group" aria-labelledby="switch-title">
            ${me.mailboxes.map(
              (m) => html`<button
                role="menuitem"
                class="menu-mailbox"
                aria-current=${m.id === me.current_mailbox_id ? 'true' : nothing}
                @click=${() => this.switchMailbox(m.id)}
              >
                <span class="menu-mailbox-address">${m.address}</span>
                ${m.description ? html`<span class="menu-mailbox-desc">${m.description}</span>` : nothing}
                <span class="badge type-${m.type}">${m.type}</span>
                ${this.unreadBadge(m)}
                ${m.id === me.current_mailbox_id ? html`<span class="sr-only">(compte affiché)</span>` : nothing}
              </button>`,
            )}
          </div>
          <hr />
          <button role="menuitem" class="menu-preferences" @click=${() => ((this.menuOpen = false), (location.hash = '#/preferences'))}>Préférences</button>
          <button role="menuitem" class="menu-signout" @click=${this.signOut}>Déconnexion</button>
        </div>
      </div>
    </header>`;
  }

  private unreadBadge(m: { id: number; address: string; description: string }) {
    const acc = mail.session ? mail.accountOf(m as Parameters<typeof mail.accountOf>[0]) : '';
    const n = acc ? mail.unread(acc) : null;
    if (!n) return nothing;
    return html`<span class="unread-count">${n}<span class="sr-only"> non lus</span></span>`;
  }

  private page() {
    const r = this.route;
    if (!store.ready) return html`<p class="loading" role="status">Chargement…</p>`;
    if (!store.me && !isPublic(r)) return html`<c-signin></c-signin>`;
    switch (r.name) {
      case 'signin':
        return store.me ? this.mailPage() : html`<c-signin></c-signin>`;
      case 'forgot':
        return html`<c-forgot></c-forgot>`;
      case 'activation':
      case 'reset':
        return html`<c-token-page .token=${r.token} .purpose=${r.name}></c-token-page>`;
      case 'home':
        return this.mailPage();
      case 'mail':
        return html`<c-mail-page .accountId=${r.accountId} .mailboxId=${r.mailboxId} .emailId=${r.emailId} .query=${r.query}></c-mail-page>`;
      case 'preferences':
        return html`<c-preferences></c-preferences>`;
      case 'users':
        return html`<c-users .query=${r.query}></c-users>`;
      case 'user-new':
        return html`<c-account-page .accountId=${0} .initialType=${r.query.get('type') || ''}></c-account-page>`;
      case 'user':
        return html`<c-account-page .accountId=${r.id}></c-account-page>`;
      case 'import':
        return html`<c-import></c-import>`;
      case 'traces':
        return html`<c-traces .query=${r.query}></c-traces>`;
      default:
        return html`<section class="page">
          <h1>Page introuvable</h1>
          <p>Cette adresse ne correspond à aucune page. <a href="#/">Revenir à l’accueil</a></p>
        </section>`;
    }
  }

  private mailPage() {
    return html`<c-mail-page .accountId=${''} .mailboxId=${''} .emailId=${''} .query=${new URLSearchParams()}></c-mail-page>`;
  }

  override render() {
    return html`<button class="skip" @click=${() => focusHeading(this.querySelector('main')!)}>Aller au contenu</button>
      ${this.header()}
      ${store.notice
        ? html`<div class="notice" role="status">
            ${store.notice}
            <button class="link" @click=${() => ((store.notice = ''), store.changed())}>Fermer</button>
          </div>`
        : nothing}
      ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}
      <main id="contenu">${this.page()}</main>`;
  }
}

customElements.define('c-app', CaduceApp);
