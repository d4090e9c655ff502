// The landing page after sign-in: the mailbox in use, and for an administrator
// the way to the administration. The web mail comes here later.
import { html, nothing } from 'lit';
import { store } from '../lib/store';
import { Connected } from '../components/light';

class Home extends Connected {
  override render() {
    const me = store.me;
    if (!me) return nothing;
    const current = store.currentMailbox();
    return html`<section class="page">
      <h1>Bonjour ${me.person.prenom} ${me.person.nom}</h1>
      ${current
        ? html`<p>Compte affiché : <strong>${current.address}</strong>${current.description ? html` (${current.description})` : nothing}.</p>`
        : nothing}
      <p>La messagerie web de caduce arrive dans une prochaine version. Vous pouvez déjà changer de compte
        depuis le cartouche à votre nom, en haut à droite.</p>
      ${store.isAdmin()
        ? html`<p><a class="button primary" href="#/admin/utilisateurs">Gestion des utilisateurs</a></p>`
        : nothing}
    </section>`;
  }
}
customElements.define('c-home', Home);
