// « Mot de passe oublié ? »: asks for a reset link. The answer is the same
// whether the address exists or not (no enumeration).
import { html, nothing } from 'lit';
import { api, ApiError } from '../lib/api';
import { Light } from '../components/light';

class Forgot extends Light {
  static override properties = {
    sent: { state: true },
    error: { state: true },
    busy: { state: true },
  };
  sent = false;
  error = '';
  busy = false;

  private async submit(e: SubmitEvent) {
    e.preventDefault();
    const address = String(new FormData(e.target as HTMLFormElement).get('address') || '').trim();
    if (!address) {
      this.error = 'Saisissez l’adresse mail de votre compte.';
      return;
    }
    this.busy = true;
    this.error = '';
    try {
      await api.post('/api/password/forgot', { address });
      this.sent = true;
    } catch (err) {
      this.error = (err as ApiError).userMessage;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`<section class="page narrow">
      <h1>Mot de passe oublié</h1>
      ${this.sent
        ? html`<div class="success" role="status">
              Si un compte existe pour cette adresse, un message avec un lien pour choisir un
              nouveau mot de passe vient de lui être envoyé. Le lien est valable une heure.
            </div>
            <p><a href="#/connexion">Retour à la connexion</a></p>`
        : html`<p>Saisissez l’adresse mail de votre compte nominatif : vous recevrez un lien pour
              choisir un nouveau mot de passe.</p>
            <form @submit=${this.submit} novalidate>
              ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}
              <div class="field">
                <label for="forgot-address">Adresse mail</label>
                <input id="forgot-address" name="address" type="email" autocomplete="username" required />
              </div>
              <button class="primary" type="submit" ?disabled=${this.busy}>Recevoir un lien</button>
              <a class="secondary-link" href="#/connexion">Retour à la connexion</a>
            </form>`}
    </section>`;
  }
}
customElements.define('c-forgot', Forgot);
