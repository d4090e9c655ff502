// « Traces »: the structure's audit trail, newest first, filtered by mailbox,
// person, action and dates, paged by sequence number, exportable as CSV, with a
// visible mark of whether the hash chain verifies.
import { html, nothing } from 'lit';
import { api, ApiError, withQuery } from '../lib/api';
import { formatTime } from '../lib/labels';
import { store } from '../lib/store';
import type { AuditItem, AuditPage } from '../lib/types';
import { Connected } from '../components/light';
import '../components/admin-bar';

const LIMIT = 100;

interface Filters {
  mailbox: string;
  person: string;
  action: string;
  from: string;
  to: string;
}

function detailsText(d: unknown): string {
  if (d === null || d === undefined || d === '') return '';
  if (typeof d === 'string') return d;
  try {
    return JSON.stringify(d);
  } catch {
    return '';
  }
}

class Traces extends Connected {
  static override properties = {
    query: { attribute: false },
    items: { state: true },
    chain: { state: true },
    more: { state: true },
    error: { state: true },
    loading: { state: true },
  };
  query: URLSearchParams = new URLSearchParams();
  items: AuditItem[] = [];
  chain: AuditPage['chain'] | null = null;
  more = false;
  error = '';
  loading = false;
  private filters: Filters = { mailbox: '', person: '', action: '', from: '', to: '' };
  private loadedFor: number | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    for (const k of Object.keys(this.filters) as (keyof Filters)[]) this.filters[k] = this.query.get(k) || '';
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('query') && changed.get('query') !== undefined) {
      for (const k of Object.keys(this.filters) as (keyof Filters)[]) this.filters[k] = this.query.get(k) || '';
      this.loadedFor = null;
    }
    if (store.structureId !== null && store.structureId !== this.loadedFor && !this.loading) this.load(false);
  }

  private async load(append: boolean) {
    const sid = store.structureId;
    if (sid === null) return;
    this.loadedFor = sid;
    this.loading = true;
    this.error = '';
    try {
      const before = append && this.items.length ? this.items[this.items.length - 1].seq : undefined;
      const page = await api.get<AuditPage>(`/api/structures/${sid}/audit`, { ...this.filters, before_seq: before, limit: LIMIT });
      this.items = append ? this.items.concat(page.items) : page.items;
      this.chain = page.chain;
      this.more = page.items.length === LIMIT;
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    } finally {
      this.loading = false;
    }
  }

  private submit(e: SubmitEvent) {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    for (const k of Object.keys(this.filters) as (keyof Filters)[]) this.filters[k] = String(data.get(k) || '').trim();
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(this.filters)) if (v) p.set(k, v);
    history.replaceState(null, '', `#/admin/traces${p.toString() ? `?${p}` : ''}`);
    this.load(false);
  }

  override render() {
    const sid = store.structureId;
    const f = this.filters;
    return html`<c-admin-bar active="traces"></c-admin-bar>
      <section class="page wide">
        <div class="page-head">
          <h1>Traces</h1>
          ${sid !== null
            ? html`<a class="button" href=${withQuery(`/api/structures/${sid}/audit/export`, { format: 'csv', ...f })} download>Exporter les traces (CSV)</a>`
            : nothing}
        </div>
        ${this.chain
          ? this.chain.verified
            ? html`<p class="chain ok" role="status"><span aria-hidden="true">✔</span> Chaîne des traces vérifiée :
                ${this.chain.entries.toLocaleString('fr-FR')} entrées, aucune n’a été modifiée, supprimée ou déplacée.
                <span class="head">Empreinte de tête : <code>${this.chain.head.slice(0, 16)}…</code></span></p>`
            : html`<p class="chain broken" role="alert"><span aria-hidden="true">✖</span> La chaîne des traces ne se vérifie pas :
                une entrée a été modifiée, supprimée ou déplacée. Prévenez l’opérateur du serveur.</p>`
          : nothing}
        <form class="filters" @submit=${this.submit}>
          <div class="field"><label for="t-mailbox">Boîte aux lettres</label>
            <input id="t-mailbox" name="mailbox" type="email" .value=${f.mailbox} placeholder="adresse exacte" /></div>
          <div class="field"><label for="t-person">Personne</label>
            <input id="t-person" name="person" type="email" .value=${f.person} placeholder="adresse exacte" /></div>
          <div class="field"><label for="t-action">Action</label>
            <input id="t-action" name="action" type="text" .value=${f.action} placeholder="par ex. account." list="t-actions" />
            <datalist id="t-actions">
              ${['account.', 'right.', 'default.', 'import.', 'session.', 'export.'].map((a) => html`<option value=${a}></option>`)}
            </datalist></div>
          <div class="field"><label for="t-from">Du</label><input id="t-from" name="from" type="date" .value=${f.from} /></div>
          <div class="field"><label for="t-to">Au</label><input id="t-to" name="to" type="date" .value=${f.to} /></div>
          <div class="field"><button class="primary" type="submit">Filtrer</button></div>
        </form>
        ${this.error ? html`<div class="alert" role="alert">${this.error}</div>` : nothing}
        <div class="table-wrap">
          <table class="traces" aria-busy=${this.loading ? 'true' : 'false'}>
            <caption class="sr-only">Traces de la structure, les plus récentes d’abord</caption>
            <thead><tr>
              <th scope="col">N°</th><th scope="col">Date</th><th scope="col">Personne</th><th scope="col">Boîte</th>
              <th scope="col">Action</th><th scope="col">Objet</th><th scope="col">Détail</th><th scope="col">Adresse IP</th>
            </tr></thead>
            <tbody>
              ${this.items.map(
                (t) => html`<tr>
                  <td>${t.seq}</td><td>${formatTime(t.time)}</td><td>${t.person || t.actor}</td><td>${t.mailbox}</td>
                  <td><code>${t.action}</code></td><td>${t.object}</td><td class="details">${detailsText(t.details)}</td><td>${t.ip}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
        ${!this.loading && this.items.length === 0 && !this.error ? html`<p>Aucune trace ne correspond.</p>` : nothing}
        ${this.more ? html`<button @click=${() => this.load(true)} ?disabled=${this.loading}>Traces plus anciennes</button>` : nothing}
      </section>`;
  }
}
customElements.define('c-traces', Traces);
