// The pages of the mailed links: #/activation/<token> (first password) and
// #/reinitialisation/<token> (new password). The policy is explained before
// the person types, and the server's refusal is shown as it says it.
import { html, nothing } from 'lit';
import { api, ApiError } from '../lib/api';
import type { TokenInfo } from '../lib/types';
import { Light } from '../components/light';

export const POLICY =
  'Au moins 12 caractères. Il ne doit contenir ni votre adresse mail ni votre nom, et ne doit pas ' +
  'être un mot de passe courant. Une phrase de plusieurs mots est facile à retenir et difficile à deviner.';

class TokenPage extends Light {
  static override properties = {
    token: {},
    purpose: {},
    info: { state: true },
    state: { state: true },
    error: { state: true },
  };
  token = '';
  purpose: 'activation' | 'reset' = 'activation';
  info: TokenInfo | null = null;
  state: 'loading' | 'form' | 'done' | 'unusable' = 'loading';
  error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    this.load();
  }

  private async load() {
    try {
      this.info = await api.get<TokenInfo>('/api/password/token', { token: this.token });
      this.state = 'form';
    } catch (e) {
      this.state = (e as ApiError).status === 404 ? 'unusable' : 'form';
      if (this.state === 'form') this.error = (e as ApiError).userMessage;
    }
  }

  private async submit(e: SubmitEvent) {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const password = String(data.get('password') || '');
    const confirm = String(data.get('confirm') || '');
    if (password !== confirm) {
      this.error = 'Les deux mots de passe ne sont pas identiques : saisissez le même dans les deux champs.';
      return;
    }
    const activation = (this.info?.purpose || (this.purpose === 'reset' ? 'reset' : 'activation')) === 'activation';
    try {
      await api.post(activation ? '/api/activation' : '/api/password/reset', { token: this.token, password });
      this.state = 'done';
      this.error = '';
    } catch (err) {
      const ex = err as ApiError;
      this.error = ex.findings.length ? ex.findings.map((f) => f.message).join(' ') : ex.userMessage;
      if (ex.status === 400 || ex.status === 404) this.state = 'unusable';
    }
  }

  override render() {
    const activation = (this.info?.purpose || (this.purpose === 'reset' ? 'reset' : 'activation')) === 'activation';
    const title = activation ? 'Activation de votre compte' : 'Nouveau mot de passe';
    if (this.state === 'loading') return html`<section class="page narrow"><h1>${title}</h1><p role="status">Chargement…</p></section>`;
    if (this.state === 'unusable') {
      return html`<section class="page narrow">
        <h1>${title}</h1>
        <div class="alert" role="alert">
          Ce lien n’est plus valable : il a déjà servi ou il a expiré.
          ${activation
            ? 'Demandez à l’administrateur de votre structure de vous renvoyer le mail d’activation.'
            : html`Vous pouvez <a href="#/mot-de-passe-oublie">demander un nouveau lien</a>.`}
        </div>
        ${this.error && this.error !== '' ? html`<p>${this.error}</p>` : nothing}
      </section>`;
    }
    if (this.state === 'done') {
      return html`<section class="page narrow">
        <h1>${title}</h1>
        <div class="success" role="status">Votre mot de passe est enregistré.</div>
        <p><a class="button primary" href="#/connexion">Se connecter</a></p>
      </section>`;
    }
    return html`<section class="page narrow">
      <h1>${title}</h1>
      ${this.info ? html`<p>Choisissez le mot de passe du compte <strong>${this.info.address}</strong>.</p>` : nothing}
      <form @submit=${this.submit} novalidate>
        ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}
        <p id="policy" class="hint">${POLICY}</p>
        <input type="email" name="username" autocomplete="username" .value=${this.info?.address || ''} hidden />
        <div class="field">
          <label for="new-password">Mot de passe</label>
          <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="policy" />
        </div>
        <div class="field">
          <label for="confirm-password">Confirmez le mot de passe</label>
          <input id="confirm-password" name="confirm" type="password" autocomplete="new-password" required />
        </div>
        <button class="primary" type="submit">Enregistrer le mot de passe</button>
      </form>
    </section>`;
  }
}
customElements.define('c-token-page', TokenPage);
