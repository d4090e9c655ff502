// « Gestion des utilisateurs »: the accounts of the structure, searched as one
// types (server side, debounced, the older answer dropped), filtered by type and
// status, sorted, paged; the « Actions » menu of the guide.
import { html, nothing } from 'lit';
import { api, ApiError } from '../lib/api';
import { debounce, Latest } from '../lib/debounce';
import { displayName, formatTime, statusLabel } from '../lib/labels';
import { store } from '../lib/store';
import { ACCOUNT_TYPES, type AccountPage } from '../lib/types';
import { Connected } from '../components/light';
import '../components/admin-bar';

const PAGE = 50;
type SortKey = 'address' | 'nom' | 'type' | 'status' | 'last_sign_in';

export interface ListQuery {
  q: string;
  type: string;
  status: string;
  sort: SortKey;
  order: 'asc' | 'desc';
  offset: number;
}

export function queryFromParams(p: URLSearchParams): ListQuery {
  const sort = (['address', 'nom', 'type', 'status', 'last_sign_in'] as const).find((s) => s === p.get('sort')) || 'address';
  const offset = Math.max(0, Number(p.get('offset')) || 0);
  return {
    q: p.get('q') || '',
    type: ACCOUNT_TYPES.find((t) => t === p.get('type')) || '',
    status: ['pending', 'active', 'disabled'].find((s) => s === p.get('status')) || '',
    sort,
    order: p.get('order') === 'desc' ? 'desc' : 'asc',
    offset: offset - (offset % PAGE),
  };
}

export function paramsFromQuery(q: ListQuery): string {
  const p = new URLSearchParams();
  if (q.q) p.set('q', q.q);
  if (q.type) p.set('type', q.type);
  if (q.status) p.set('status', q.status);
  if (q.sort !== 'address') p.set('sort', q.sort);
  if (q.order !== 'asc') p.set('order', q.order);
  if (q.offset) p.set('offset', String(q.offset));
  return p.toString();
}

class Users extends Connected {
  static override properties = {
    query: { attribute: false },
    list: { state: true },
    loading: { state: true },
    error: { state: true },
    actionsOpen: { state: true },
  };
  query: URLSearchParams = new URLSearchParams();
  list: AccountPage | null = null;
  loading = false;
  error = '';
  actionsOpen = false;
  private state: ListQuery = queryFromParams(new URLSearchParams());
  private latest = new Latest();
  private loadedFor = '';
  private searchLater = debounce(() => this.reload(), 200);

  override connectedCallback(): void {
    super.connectedCallback();
    this.state = queryFromParams(this.query);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.searchLater.cancel();
    this.latest.cancel();
  }

  override willUpdate(changed: Map<string, unknown>): void {
    // A navigation to the list (a link, Back) brings its own query.
    if (changed.has('query') && changed.get('query') !== undefined) this.state = queryFromParams(this.query);
    // Loads when the structure changes or a navigation brought a query; typing goes
    // through the debounce instead.
    const sid = store.structureId;
    const navigated = changed.has('query') && changed.get('query') !== undefined;
    if (sid !== null && (navigated || !this.loadedFor.startsWith(`${sid}|`)) && !this.loading) this.reload();
  }

  private async reload() {
    const sid = store.structureId;
    if (sid === null) return;
    const signal = this.latest.next();
    this.loadedFor = `${sid}|${paramsFromQuery(this.state)}`;
    const qs = paramsFromQuery(this.state);
    history.replaceState(null, '', `#/admin/utilisateurs${qs ? `?${qs}` : ''}`);
    this.loading = true;
    try {
      const s = this.state;
      const page = await api.get<AccountPage>(
        `/api/structures/${sid}/accounts`,
        { q: s.q, type: s.type, status: s.status, sort: s.sort, order: s.order, offset: s.offset, limit: PAGE },
        signal,
      );
      if (signal.aborted) return;
      this.list = page;
      this.error = '';
      performance.mark('caduce:users-shown');
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      this.error = (e as ApiError).userMessage;
    } finally {
      if (!signal.aborted) this.loading = false;
    }
  }

  private set(patch: Partial<ListQuery>, now = true) {
    this.state = { ...this.state, offset: 0, ...patch };
    if (now) {
      this.searchLater.cancel();
      this.reload();
    } else {
      this.searchLater();
    }
    this.requestUpdate();
  }

  private sortBy(key: SortKey) {
    const order = this.state.sort === key && this.state.order === 'asc' ? 'desc' : 'asc';
    this.set({ sort: key, order });
  }

  private header(key: SortKey, text: string) {
    const active = this.state.sort === key;
    const aria = active ? (this.state.order === 'asc' ? 'ascending' : 'descending') : 'none';
    return html`<th scope="col" aria-sort=${aria}>
      <button class="sort" @click=${() => this.sortBy(key)}>
        ${text}<span aria-hidden="true" class="sort-mark">${active ? (this.state.order === 'asc' ? '▲' : '▼') : ''}</span>
      </button>
    </th>`;
  }

  private actions(sid: number) {
    return html`<div class="actions-wrap" @keydown=${(e: KeyboardEvent) => {
        if (e.key === 'Escape') {
          this.actionsOpen = false;
          this.querySelector<HTMLElement>('#actions-button')?.focus();
        }
      }}>
      <button id="actions-button" class="actions" aria-expanded=${this.actionsOpen ? 'true' : 'false'} aria-controls="actions-list"
        @click=${() => (this.actionsOpen = !this.actionsOpen)}>Actions</button>
      <ul id="actions-list" class="actions-list" ?hidden=${!this.actionsOpen} @click=${() => setTimeout(() => (this.actionsOpen = false))}>
        <li><a href="/api/structures/${sid}/export?format=xlsx" download>Exporter la liste d’utilisateurs (XLSX)</a></li>
        <li><a href="/api/structures/${sid}/export?format=csv" download>Exporter la liste d’utilisateurs (CSV)</a></li>
        <li><a href="#/admin/import">Importer une liste d’utilisateurs</a></li>
        <li><a href="#/admin/utilisateurs/nouveau">Créer un nouvel utilisateur</a></li>
      </ul>
    </div>`;
  }

  override render() {
    const sid = store.structureId;
    const s = this.state;
    const list = this.list;
    const from = list && list.total ? s.offset + 1 : 0;
    const to = list ? Math.min(s.offset + PAGE, list.total) : 0;
    return html`<c-admin-bar active="users"></c-admin-bar>
      <section class="page wide">
        <div class="page-head">
          <h1>Gestion des utilisateurs</h1>
          ${sid !== null ? this.actions(sid) : nothing}
        </div>
        <form class="filters" role="search" @submit=${(e: Event) => e.preventDefault()}>
          <div class="field grow">
            <label for="users-q">Rechercher</label>
            <input id="users-q" type="search" .value=${s.q} autocomplete="off"
              placeholder="Adresse, nom ou prénom"
              @input=${(e: InputEvent) => this.set({ q: (e.target as HTMLInputElement).value }, false)} />
          </div>
          <div class="field">
            <label for="users-type">Type</label>
            <select id="users-type" @change=${(e: Event) => this.set({ type: (e.target as HTMLSelectElement).value })}>
              <option value="" ?selected=${!s.type}>Tous</option>
              ${ACCOUNT_TYPES.map((t) => html`<option value=${t} ?selected=${s.type === t}>${t}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="users-status">Statut</label>
            <select id="users-status" @change=${(e: Event) => this.set({ status: (e.target as HTMLSelectElement).value })}>
              <option value="" ?selected=${!s.status}>Tous</option>
              <option value="pending" ?selected=${s.status === 'pending'}>En attente d’activation</option>
              <option value="active" ?selected=${s.status === 'active'}>Actif</option>
              <option value="disabled" ?selected=${s.status === 'disabled'}>Désactivé</option>
            </select>
          </div>
        </form>
        ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}
        <p class="count" role="status" aria-live="polite">
          ${list
            ? list.total === 0
              ? 'Aucun compte ne correspond.'
              : `Comptes ${from} à ${to} sur ${list.total.toLocaleString('fr-FR')}`
            : 'Chargement…'}
        </p>
        <div class="table-wrap">
          <table class="accounts" aria-busy=${this.loading ? 'true' : 'false'}>
            <caption class="sr-only">Comptes de la structure</caption>
            <thead>
              <tr>
                ${this.header('type', 'Type')} ${this.header('address', 'Adresse mail')} ${this.header('nom', 'Nom')}
                ${this.header('status', 'Statut')}
                <th scope="col">Annuaire</th>
                ${this.header('last_sign_in', 'Dernière connexion')}
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              ${(list?.items || []).map(
                (a) => html`<tr>
                  <td><span class="badge type-${a.type}">${a.type}</span></td>
                  <td class="address"><a href="#/admin/utilisateurs/${a.id}">${a.address}</a></td>
                  <td>${displayName(a)}</td>
                  <td><span class="status status-${a.status}">${statusLabel(a.status, a.disabled_reason)}</span></td>
                  <td>${a.visible ? 'Visible' : 'Masqué'}</td>
                  <td>${formatTime(a.last_sign_in) || '—'}</td>
                  <td><a class="edit" href="#/admin/utilisateurs/${a.id}">Éditer le compte<span class="sr-only"> ${a.address}</span></a></td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${list && list.total > PAGE
          ? html`<nav class="pager" aria-label="Pages">
              <button ?disabled=${s.offset === 0} @click=${() => this.set({ offset: Math.max(0, s.offset - PAGE) })}>Précédent</button>
              <span>Page ${Math.floor(s.offset / PAGE) + 1} sur ${Math.ceil(list.total / PAGE)}</span>
              <button ?disabled=${s.offset + PAGE >= list.total} @click=${() => this.set({ offset: s.offset + PAGE })}>Suivant</button>
            </nav>`
          : nothing}
      </section>`;
  }
}
customElements.define('c-users', Users);
