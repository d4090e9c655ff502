// « Préférences »: the default mailbox (PUT /api/me/default-mailbox), the
// password (POST /api/me/password with the current one; the server closes the
// person's other sessions; the reset link mailed to the person stays as a
// fallback), the personal access tokens of mail clients
// (GET/POST /api/me/tokens, DELETE /api/me/tokens/{id}; the secret is shown
// once) and the language.
import { html, nothing } from 'lit';
import { api, ApiError } from '../../lib/api';
import { store } from '../../lib/store';
import type { Me } from '../../lib/types';
import { Connected } from '../../components/light';
import { POLICY } from '../token';
import { hasRefusal, passwordRefusals, serverRefusals, type PasswordRefusals } from './password';
import { expiryRefusal, tokenList, tokenNameRefusal, type AccessToken } from './tokens';

function day(iso?: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleDateString('fr-FR');
}

class Preferences extends Connected {
  static override properties = {
    tokens: { state: true },
    tokensError: { state: true },
    newSecret: { state: true },
    message: { state: true },
    error: { state: true },
    nameError: { state: true },
    busy: { state: true },
    pwRefusals: { state: true },
    pwMessage: { state: true },
    pwBusy: { state: true },
  };
  tokens: AccessToken[] | null = null;
  tokensError = '';
  newSecret: { name: string; token: string } | null = null;
  message = '';
  error = '';
  nameError = '';
  busy = false;
  pwRefusals: PasswordRefusals = {};
  pwMessage = '';
  pwBusy = false;

  override connectedCallback(): void {
    super.connectedCallback();
    this.loadTokens();
  }

  private async loadTokens() {
    try {
      this.tokens = tokenList(await api.get<unknown>('/api/me/tokens'));
      this.tokensError = '';
    } catch (e) {
      this.tokens = [];
      this.tokensError = e instanceof ApiError && e.status === 404 ? 'Les jetons d’accès ne sont pas encore disponibles sur ce serveur.' : (e as ApiError).userMessage;
    }
  }

  private async setDefault(ev: Event) {
    ev.preventDefault();
    const id = Number(new FormData(ev.target as HTMLFormElement).get('mailbox'));
    this.error = '';
    this.message = '';
    try {
      const me = await api.put<Me>('/api/me/default-mailbox', { mailbox_id: id });
      if (me && me.person) store.setMe(me);
      else await store.loadMe();
      this.message = 'Compte par défaut enregistré : il s’ouvrira à votre prochaine connexion.';
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    }
  }

  private async passwordLink() {
    this.error = '';
    this.message = '';
    try {
      await api.post('/api/password/forgot', { address: store.me!.person.address });
      this.message = `Un lien pour choisir un nouveau mot de passe a été envoyé à ${store.me!.person.address}. Il est valable peu de temps.`;
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    }
  }

  private async changePassword(ev: Event) {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const data = new FormData(form);
    const entry = { current: String(data.get('current') || ''), new: String(data.get('new') || ''), confirm: String(data.get('confirm') || '') };
    this.pwMessage = '';
    this.pwRefusals = passwordRefusals(entry);
    if (hasRefusal(this.pwRefusals)) return this.focusRefused();
    this.pwBusy = true;
    try {
      await api.post('/api/me/password', { current: entry.current, new: entry.new });
      form.reset();
      this.pwMessage = 'Mot de passe modifié. Vos autres sessions ont été fermées.';
    } catch (e) {
      const err = e as ApiError;
      this.pwRefusals = serverRefusals(err instanceof ApiError ? { status: err.status, detail: err.detail, title: err.title, retryAfter: err.retryAfter, findings: err.findings, userMessage: err.userMessage } : { status: 0 });
      this.focusRefused();
    } finally {
      this.pwBusy = false;
    }
  }

  /** Focuses the first field refused, whose message is read with it (aria-describedby). */
  private async focusRefused() {
    await this.updateComplete;
    const first = (['current', 'new', 'confirm'] as const).find((f) => this.pwRefusals[f]);
    if (first) this.querySelector<HTMLInputElement>(`#pw-${first}`)?.focus();
  }

  private passwordField(name: 'current' | 'new' | 'confirm', label: string, autocomplete: string, extraDescribedBy = '') {
    const refusal = this.pwRefusals[name] || '';
    return html`<div class="field${refusal ? ' invalid' : ''}">
      <label for=${`pw-${name}`}>${label}</label>
      <input id=${`pw-${name}`} name=${name} type="password" autocomplete=${autocomplete} maxlength="1024" aria-invalid=${refusal ? 'true' : 'false'}
        aria-describedby=${[`pw-${name}-error`, extraDescribedBy].filter(Boolean).join(' ')} />
      <span id=${`pw-${name}-error`} class="finding error">${refusal}</span>
    </div>`;
  }

  private async createToken(ev: Event) {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('name') || '');
    const days = String(data.get('days') || '');
    this.nameError = tokenNameRefusal(name) || expiryRefusal(days);
    if (this.nameError) return;
    this.busy = true;
    try {
      const r = await api.post<{ token?: string; secret?: string; name?: string }>('/api/me/tokens', {
        name: name.trim(),
        expires_in_days: days ? Number(days) : null,
      });
      this.newSecret = { name: r.name || name.trim(), token: r.token || r.secret || '' };
      form.reset();
      await this.loadTokens();
    } catch (e) {
      const err = e as ApiError;
      this.nameError = err.findings[0]?.message || err.userMessage;
    } finally {
      this.busy = false;
    }
  }

  private async revoke(t: AccessToken) {
    if (!confirm(`Révoquer le jeton « ${t.name} » ? Le logiciel qui l’utilise ne pourra plus se connecter.`)) return;
    try {
      await api.del(`/api/me/tokens/${encodeURIComponent(String(t.id))}`);
      this.message = `Jeton « ${t.name} » révoqué.`;
      await this.loadTokens();
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    }
  }

  override render() {
    const me = store.me;
    if (!me) return nothing;
    const def = me.default_mailbox_id ?? me.person.id;
    return html`<section class="page preferences">
      <h1>Préférences</h1>
      ${this.message ? html`<div class="success" role="status">${this.message}</div>` : nothing}
      ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}

      <h2>Compte par défaut</h2>
      <form @submit=${this.setDefault}>
        <div class="field">
          <label for="pref-default">Boîte ouverte à la connexion</label>
          <select id="pref-default" name="mailbox">
            ${me.mailboxes.map((m) => html`<option value=${m.id} ?selected=${m.id === def}>${m.address}${m.description ? ` — ${m.description}` : ''}</option>`)}
          </select>
        </div>
        <button class="primary" type="submit">Définir comme compte par défaut</button>
      </form>

      <h2 id="pw-title">Mot de passe</h2>
      <form class="password-form" aria-labelledby="pw-title" @submit=${this.changePassword} novalidate>
        <p id="pw-policy" class="hint">${POLICY}</p>
        <input type="email" name="username" autocomplete="username" .value=${me.person.address} hidden />
        ${this.passwordField('current', 'Mot de passe actuel', 'current-password')}
        ${this.passwordField('new', 'Nouveau mot de passe', 'new-password', 'pw-policy')}
        ${this.passwordField('confirm', 'Confirmer', 'new-password')}
        ${this.pwRefusals.form ? html`<div class="alert" role="alert">${this.pwRefusals.form}</div>` : nothing}
        ${this.pwMessage ? html`<div class="success" role="status">${this.pwMessage}</div>` : nothing}
        <button class="primary" type="submit" ?disabled=${this.pwBusy}>${this.pwBusy ? 'Enregistrement…' : 'Changer le mot de passe'}</button>
      </form>
      <p class="hint">Mot de passe actuel oublié ? Recevez un lien à votre adresse ${me.person.address}, puis choisissez le nouveau mot de passe sur la page qu’il ouvre.</p>
      <button @click=${this.passwordLink}>Recevoir un lien pour changer de mot de passe</button>

      <h2>Jetons d’accès personnels</h2>
      <p class="hint">Un jeton permet à un logiciel de messagerie (Thunderbird, un téléphone) d’accéder à vos boîtes en votre nom, sans votre mot de passe. Il est personnel, révocable, et chaque accès est tracé.</p>
      ${this.newSecret
        ? html`<div class="success token-once" role="status">
            <p>Jeton « ${this.newSecret.name} » créé. Copiez-le maintenant : il ne sera plus jamais affiché.</p>
            <p><code class="token-secret">${this.newSecret.token}</code></p>
            <button class="small" @click=${() => navigator.clipboard?.writeText(this.newSecret!.token)}>Copier</button>
            <button class="small" @click=${() => (this.newSecret = null)}>J’ai copié le jeton</button>
          </div>`
        : nothing}
      ${this.tokensError ? html`<p class="muted">${this.tokensError}</p>` : nothing}
      ${this.tokens?.length
        ? html`<table class="tokens">
            <caption class="sr-only">Vos jetons</caption>
            <thead><tr><th scope="col">Nom</th><th scope="col">Créé le</th><th scope="col">Dernier usage</th><th scope="col">Expire le</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
            <tbody>
              ${this.tokens.map(
                (t) => html`<tr>
                  <td>${t.name}</td><td>${day(t.created_at)}</td><td>${day(t.last_used_at)}</td>
                  <td>${t.expired ? html`<strong>expiré</strong>` : t.expires_at ? day(t.expires_at) : 'jamais'}</td>
                  <td><button class="small danger" @click=${() => this.revoke(t)}>Révoquer<span class="sr-only"> ${t.name}</span></button></td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : this.tokens && !this.tokensError
          ? html`<p class="muted">Aucun jeton.</p>`
          : nothing}
      <form class="token-form" @submit=${this.createToken} novalidate>
        <div class="field${this.nameError ? ' invalid' : ''}">
          <label for="token-name">Nom du nouveau jeton</label>
          <input id="token-name" name="name" type="text" maxlength="100" aria-invalid=${this.nameError ? 'true' : 'false'} aria-describedby="token-name-error" />
          <span id="token-name-error" class="finding error">${this.nameError}</span>
        </div>
        <div class="field">
          <label for="token-days">Durée de validité</label>
          <select id="token-days" name="days">
            <option value="">Sans expiration</option>
            <option value="30">30 jours</option>
            <option value="90" selected>90 jours</option>
            <option value="365">1 an</option>
          </select>
        </div>
        <button type="submit" ?disabled=${this.busy}>Créer un jeton</button>
      </form>

      <h2>Langue</h2>
      <div class="field">
        <label for="pref-lang">Langue de l’interface</label>
        <select id="pref-lang" aria-describedby="pref-lang-hint">
          <option value="fr" selected>Français</option>
        </select>
        <span class="hint" id="pref-lang-hint">Le français est pour l’instant la seule langue proposée.</span>
      </div>
      <p><a href="#/mail">Retour à la messagerie</a></p>
    </section>`;
  }
}

customElements.define('c-preferences', Preferences);
