// « Gestion des comptes de connexion » (guide 2.1.2 and 3.2).
// For an ORG/APP mailbox: the nominative accounts that may open it, an address
// field with suggestions as one types (50 at most), several addresses separated
// by commas, « Ajouter un compte existant », and remove.
// For a nominative account: the mailboxes it may use, each with « Définir comme
// compte par défaut », and the guide's sentence about the next sign-in.
import { html, nothing } from 'lit';
import { api, ApiError } from '../lib/api';
import { currentToken, replaceCurrentToken, splitAddresses } from '../lib/addresses';
import { debounce, Latest } from '../lib/debounce';
import { displayName } from '../lib/labels';
import { NOMINATIVE, type AccountType, type Connections, type GrantAnswer, type Suggestion } from '../lib/types';
import { Light } from './light';

class ConnectionsPanel extends Light {
  static override properties = {
    accountId: { type: Number },
    accountType: {},
    address: {},
    structureId: { type: Number },
    data: { state: true },
    entry: { state: true },
    suggestions: { state: true },
    active: { state: true },
    result: { state: true },
    error: { state: true },
    busy: { state: true },
  };
  accountId = 0;
  accountType: AccountType = 'ORG';
  address = '';
  structureId = 0;
  data: Connections | null = null;
  entry = '';
  suggestions: Suggestion[] = [];
  active = -1;
  result: GrantAnswer | null = null;
  error = '';
  busy = false;
  private latest = new Latest();
  private suggestLater = debounce(() => this.suggest(), 150);

  override connectedCallback(): void {
    super.connectedCallback();
    this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.suggestLater.cancel();
    this.latest.cancel();
  }

  private async load() {
    try {
      this.data = await api.get<Connections>(`/api/accounts/${this.accountId}/connections`);
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    }
  }

  private async suggest() {
    const q = currentToken(this.entry).trim();
    if (!q) {
      this.suggestions = [];
      return;
    }
    const signal = this.latest.next();
    try {
      const list = await api.get<Suggestion[]>(`/api/structures/${this.structureId}/autocomplete`, { q, nominative: 1 }, signal);
      if (signal.aborted) return;
      const already = new Set(splitAddresses(this.entry));
      this.suggestions = list.filter((s) => !already.has(s.address)).slice(0, 50);
      this.active = -1;
    } catch (e) {
      if ((e as Error).name !== 'AbortError') this.suggestions = [];
    }
  }

  private choose(s: Suggestion) {
    this.entry = replaceCurrentToken(this.entry, s.address);
    this.suggestions = [];
    this.active = -1;
    this.querySelector<HTMLInputElement>('#connection-entry')?.focus();
  }

  private onKey(e: KeyboardEvent) {
    const n = this.suggestions.length;
    if (e.key === 'ArrowDown' && n) {
      e.preventDefault();
      this.active = (this.active + 1) % n;
    } else if (e.key === 'ArrowUp' && n) {
      e.preventDefault();
      this.active = (this.active - 1 + n) % n;
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (this.active >= 0 && this.active < n) this.choose(this.suggestions[this.active]);
      else this.add();
    } else if (e.key === 'Escape') {
      this.suggestions = [];
      this.active = -1;
    }
  }

  private async add() {
    const addresses = splitAddresses(this.entry);
    if (!addresses.length) {
      this.error = 'Saisissez l’adresse mail d’un compte nominatif (PER, INT ou MED), puis cliquez sur « Ajouter un compte existant ».';
      return;
    }
    this.busy = true;
    this.error = '';
    this.result = null;
    try {
      this.result = await api.post<GrantAnswer>(`/api/accounts/${this.accountId}/connections`, { addresses: addresses.join(', ') });
      const refused = new Set(this.result.refused.map((r) => r.address.toLowerCase()));
      this.entry = addresses.filter((a) => refused.has(a)).join(', ');
      this.suggestions = [];
      await this.load();
      this.dispatchEvent(new CustomEvent('connections-changed', { bubbles: true }));
    } catch (e) {
      const ex = e as ApiError;
      this.error = ex.findings.length ? ex.findings.map((f) => f.message).join(' ') : ex.userMessage;
    } finally {
      this.busy = false;
    }
  }

  private async revoke(personId: number, address: string) {
    if (!confirm(`Retirer à ${address} le droit d’ouvrir ${this.address} ?`)) return;
    try {
      await api.del(`/api/accounts/${this.accountId}/connections/${personId}`);
      this.result = null;
      await this.load();
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    }
  }

  private async setDefault(mailboxId: number | null) {
    this.error = '';
    try {
      this.data = await api.put<Connections>(`/api/accounts/${this.accountId}/default-mailbox`, { mailbox_id: mailboxId });
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    }
  }

  private shared() {
    const persons = this.data?.persons || [];
    const open = this.suggestions.length > 0;
    return html`<p>Ce cartouche permet de définir le(s) compte(s) nominatif(s) (MED, PER ou INT) pouvant utiliser le
        compte via la messagerie web de caduce.</p>
      <p>Afin d’accéder à ce compte via la messagerie web, il sera nécessaire de se connecter dans un premier temps à un
        des comptes nominatifs paramétrés dans ce cartouche.</p>
      <h3>Compte(s) nominatif(s) permettant la connexion au compte ${this.address}</h3>
      ${this.data === null
        ? html`<p role="status">Chargement…</p>`
        : persons.length === 0
          ? html`<p class="empty">Il n’y a aucun compte de connexion associé à ce compte.</p>`
          : html`<p>Il a ${persons.length} compte(s) de connexion associé(s) à ce compte.</p>
              <ul class="connections">
                ${persons.map(
                  (p) => html`<li>
                    <span class="badge type-${p.type}">${p.type}</span>
                    <a href="#/admin/utilisateurs/${p.id}">${p.address}</a>
                    <span class="muted">${displayName(p)}</span>
                    ${p.status === 'pending' ? html`<span class="status status-pending">En attente d’activation</span>` : nothing}
                    <button class="small danger" @click=${() => this.revoke(p.id, p.address)}>
                      Retirer<span class="sr-only"> ${p.address}</span>
                    </button>
                  </li>`,
                )}
              </ul>`}
      <div class="field combo">
        <label for="connection-entry">Ajouter un compte de connexion (compte nominatif de type PER, INT ou MED) <span aria-hidden="true">*</span></label>
        <p id="connection-hint" class="hint">La recherche en cours de frappe est limitée à 50 réponses.<br />
          Vous pouvez ajouter plusieurs comptes de connexion, en les séparant par des virgules</p>
        <div class="combo-row">
          <input id="connection-entry" type="text" role="combobox" autocomplete="off" spellcheck="false"
            aria-autocomplete="list" aria-expanded=${open ? 'true' : 'false'} aria-controls="connection-suggestions"
            aria-describedby="connection-hint"
            aria-activedescendant=${this.active >= 0 ? `suggestion-${this.active}` : nothing}
            .value=${this.entry}
            @input=${(e: InputEvent) => {
              this.entry = (e.target as HTMLInputElement).value;
              this.suggestLater();
            }}
            @keydown=${this.onKey}
            @blur=${() => setTimeout(() => (this.suggestions = []), 200)} />
          <button class="primary" ?disabled=${this.busy} @click=${this.add}>Ajouter un compte existant</button>
        </div>
        <ul id="connection-suggestions" role="listbox" class="suggestions" aria-label="Suggestions" ?hidden=${!open}>
          ${this.suggestions.map(
            (s, i) => html`<li id="suggestion-${i}" role="option" aria-selected=${i === this.active ? 'true' : 'false'}
                @mousedown=${(e: Event) => e.preventDefault()} @click=${() => this.choose(s)}>
                <span class="badge type-${s.type}">${s.type}</span> ${s.address}
                <span class="muted">${displayName(s)}</span>
              </li>`,
          )}
        </ul>
      </div>
      ${this.result
        ? html`<div class="result" role="status">
            ${this.result.granted.length
              ? html`<p class="success">Compte(s) ajouté(s) : ${this.result.granted.join(', ')}.</p>`
              : nothing}
            ${this.result.refused.length
              ? html`<div class="alert"><p>Compte(s) refusé(s) :</p>
                  <ul>${this.result.refused.map((r) => html`<li><strong>${r.address}</strong> : ${r.message}</li>`)}</ul></div>`
              : nothing}
          </div>`
        : nothing}`;
  }

  private nominative() {
    const list = this.data?.mailboxes || [];
    const own = list.find((m) => m.id === this.accountId);
    const others = list.filter((m) => m.id !== this.accountId);
    const def = others.find((m) => m.default);
    const rows = [
      { id: this.accountId, address: this.address, description: '', type: this.accountType, default: !def },
      ...others,
    ];
    void own;
    const shown = def ? def.address : this.address;
    return html`<p class="default-sentence" role="status">A la prochaine connexion avec l’identifiant ${this.address}, le compte ${shown} sera affiché par défaut.</p>
      <p>Ce cartouche contient le(s) compte(s) organisationnel(s) et applicatif(s) que ce compte peut utiliser via la
        messagerie web de caduce.</p>
      ${this.data === null
        ? html`<p role="status">Chargement…</p>`
        : html`<table class="defaults">
            <caption>Compte par défaut</caption>
            <thead><tr><th scope="col">Compte</th><th scope="col">Compte par défaut</th></tr></thead>
            <tbody>
              ${rows.map(
                (m) => html`<tr>
                  <th scope="row"><span class="badge type-${m.type}">${m.type}</span> ${m.address}
                    ${m.description ? html`<span class="muted">${m.description}</span>` : nothing}</th>
                  <td><label class="check"><input type="checkbox" .checked=${m.default}
                    @change=${(e: Event) => {
                      const on = (e.target as HTMLInputElement).checked;
                      this.setDefault(on && m.id !== this.accountId ? m.id : null);
                    }} />
                    Définir comme compte par défaut<span class="sr-only"> : ${m.address}</span></label></td>
                </tr>`,
              )}
            </tbody>
          </table>
          ${others.length === 0
            ? html`<p class="empty">Ce compte n’a accès à aucune boîte organisationnelle ou applicative : ajoutez-le
                depuis la page de la boîte concernée.</p>`
            : nothing}`}`;
  }

  override render() {
    const nominative = NOMINATIVE.includes(this.accountType);
    return html`<section class="panel connections-panel" aria-labelledby="connections-title">
      <h2 id="connections-title">Gestion des comptes de connexion</h2>
      ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}
      ${nominative ? this.nominative() : this.shared()}
    </section>`;
  }
}
customElements.define('c-connections', ConnectionsPanel);
