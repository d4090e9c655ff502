// « Connectez-vous »: address and password; the server's refusals shown as they
// are (an ORG/APP address gets the explanation of « Changer de compte »).
import { html, nothing } from 'lit';
import { api, ApiError } from '../lib/api';
import { store } from '../lib/store';
import type { SignInAnswer } from '../lib/types';
import { Light } from '../components/light';

class SignIn extends Light {
  static override properties = {
    error: { state: true },
    busy: { state: true },
  };
  error = '';
  busy = false;

  private async submit(e: SubmitEvent) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    const address = String(data.get('address') || '').trim();
    const password = String(data.get('password') || '');
    if (!address || !password) {
      this.error = !address
        ? 'Saisissez votre adresse mail.'
        : 'Saisissez votre mot de passe.';
      form.querySelector<HTMLInputElement>(!address ? '#signin-address' : '#signin-password')?.focus();
      return;
    }
    this.busy = true;
    this.error = '';
    try {
      const answer = await api.post<SignInAnswer>('/api/session', { address, password });
      api.setCsrf(answer.csrf_token);
      await store.loadMe();
      if (location.hash === '' || location.hash === '#/' || location.hash.startsWith('#/connexion')) {
        location.hash = '#/';
      }
    } catch (err) {
      const ex = err as ApiError;
      let message = ex.userMessage;
      if (ex.status === 429 && ex.retryAfter) {
        const minutes = Math.ceil(ex.retryAfter / 60);
        message += ` Réessayez dans ${minutes} minute${minutes > 1 ? 's' : ''}.`;
      }
      this.error = message;
      this.updateComplete.then(() => this.querySelector<HTMLElement>('#signin-error')?.focus());
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<section class="page narrow signin">
      <h1>Connectez-vous</h1>
      <form @submit=${this.submit} novalidate>
        ${this.error
          ? html`<div id="signin-error" class="alert" role="alert" tabindex="-1">${this.error}</div>`
          : nothing}
        <div class="field">
          <label for="signin-address">Adresse mail</label>
          <input id="signin-address" name="address" type="email" autocomplete="username" required
            aria-describedby=${this.error ? 'signin-error' : nothing} />
        </div>
        <div class="field">
          <label for="signin-password">Mot de passe</label>
          <input id="signin-password" name="password" type="password" autocomplete="current-password" required />
          <a class="after-field" href="#/mot-de-passe-oublie">Mot de passe oublié ?</a>
        </div>
        <button class="primary" type="submit" ?disabled=${this.busy}>Connexion</button>
      </form>
      <p class="hint">
        Connectez-vous avec votre compte nominatif. Pour ouvrir une boîte organisationnelle ou
        applicative, connectez-vous d’abord, puis choisissez-la dans « Changer de compte ».
      </p>
    </section>`;
  }
}
customElements.define('c-signin', SignIn);
