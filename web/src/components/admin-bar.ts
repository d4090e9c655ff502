// The administration's sub-navigation and the structure switcher (shown when the
// administrator holds several structures).
import { html, nothing } from 'lit';
import { store } from '../lib/store';
import type { ApiError } from '../lib/api';
import { Connected } from './light';

class AdminBar extends Connected {
  static override properties = { active: {}, error: { state: true } };
  active = '';
  error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    store.loadStructures().catch((e: ApiError) => (this.error = e.userMessage));
  }

  override render() {
    const list = store.structures || [];
    const link = (key: string, path: string, text: string) =>
      html`<a href=${path} aria-current=${this.active === key ? 'page' : nothing}>${text}</a>`;
    return html`<div class="adminbar">
      <nav aria-label="Administration" class="subnav">
        ${link('users', '#/admin/utilisateurs', 'Gestion des utilisateurs')}
        ${link('import', '#/admin/import', 'Importer')}
        ${link('traces', '#/admin/traces', 'Traces')}
      </nav>
      ${list.length > 1
        ? html`<div class="structure-switch">
            <label for="structure-select">Structure</label>
            <select id="structure-select" @change=${(e: Event) => store.selectStructure(Number((e.target as HTMLSelectElement).value))}>
              ${list.map((s) => html`<option value=${s.id} ?selected=${s.id === store.structureId}>${s.name}</option>`)}
            </select>
          </div>`
        : list.length === 1
          ? html`<p class="structure-name">Structure : <strong>${list[0].name}</strong></p>`
          : nothing}
    </div>
    ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}`;
  }
}
customElements.define('c-admin-bar', AdminBar);
