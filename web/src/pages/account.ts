// « Créer un nouvel utilisateur » and « Éditer le compte »: the form of a type,
// built from GET /api/reference (only that type's fields, mandatory ones marked
// `*`, list fields as searchable inputs, conditional fields shown when their
// condition holds), the server's findings beside their field; on edit, the
// status panel and « Gestion des comptes de connexion ».
import { html, nothing, type TemplateResult } from 'lit';
import { api, ApiError, type Finding } from '../lib/api';
import {
  CONNECTIONS_HEADER,
  displayValue,
  formFields,
  missingMandatory,
  optionText,
  orphanFindings,
  payload,
  type FormField,
  type Values,
} from '../lib/form-model';
import { formatDate, formatTime, statusLabel, TYPE_INFO } from '../lib/labels';
import { store } from '../lib/store';
import { ACCOUNT_TYPES, NOMINATIVE, type Account, type AccountType, type Reference } from '../lib/types';
import { Connected } from '../components/light';
import '../components/admin-bar';
import '../components/connections';

function fieldId(header: string): string {
  return `f-${header
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}`;
}

class AccountPage extends Connected {
  static override properties = {
    accountId: { type: Number },
    initialType: {},
    type: { state: true },
    ref: { state: true },
    account: { state: true },
    values: { state: true },
    findings: { state: true },
    message: { state: true },
    error: { state: true },
    busy: { state: true },
    notify: { state: true },
  };
  accountId = 0;
  initialType = '';
  type: AccountType | '' = '';
  ref: Reference | null = null;
  account: Account | null = null;
  values: Values = {};
  findings: Finding[] = [];
  message = '';
  error = '';
  busy = false;
  notify = true;
  private original: Values = {};

  override connectedCallback(): void {
    super.connectedCallback();
    this.type = (ACCOUNT_TYPES as string[]).includes(this.initialType) ? (this.initialType as AccountType) : '';
    this.load();
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('initialType') && changed.get('initialType') !== undefined && !this.accountId) {
      this.type = (ACCOUNT_TYPES as string[]).includes(this.initialType) ? (this.initialType as AccountType) : '';
      this.values = {};
      this.findings = [];
      this.error = '';
    }
    if (changed.has('accountId') && changed.get('accountId') !== undefined) {
      this.account = null;
      this.values = {};
      this.findings = [];
      this.message = '';
      this.error = '';
      this.load();
    }
  }

  private async load() {
    try {
      this.ref = await store.loadReference();
      await store.loadStructures();
      if (this.accountId) await this.loadAccount();
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    }
  }

  private async loadAccount() {
    const a = await api.get<Account>(`/api/accounts/${this.accountId}`);
    this.setAccount(a);
  }

  private setAccount(a: Account) {
    this.account = a;
    this.type = a.type;
    if (this.ref) {
      const values: Values = {};
      for (const f of formFields(this.ref, a.type, a.fields)) values[f.header] = displayValue(f, a.fields[f.header] || '');
      this.values = values;
      this.original = { ...values };
    }
  }

  private fields(): FormField[] {
    if (!this.ref || !this.type) return [];
    return formFields(this.ref, this.type, this.values, this.findings, { connections: !this.accountId });
  }

  private chooseType(t: AccountType) {
    this.type = t;
    this.findings = [];
    this.error = '';
    history.replaceState(null, '', `#/admin/utilisateurs/nouveau?type=${t}`);
  }

  private async submit(e: SubmitEvent) {
    e.preventDefault();
    const fields = this.fields();
    const missing = missingMandatory(fields, this.values);
    if (missing.length) {
      this.findings = missing.map((h) => ({
        header: h,
        severity: 'error',
        code: 'required',
        message: `« ${h} » est obligatoire : remplissez ce champ.`,
      }));
      this.error = 'Des champs obligatoires sont vides : ils sont signalés ci-dessous.';
      this.focusFirstFinding();
      return;
    }
    this.busy = true;
    this.error = '';
    this.message = '';
    try {
      if (this.accountId && this.account) {
        const changed = new Set(fields.filter((f) => (this.values[f.header] || '') !== (this.original[f.header] || '')).map((f) => f.header));
        if (changed.size === 0) {
          this.message = 'Aucune modification à enregistrer.';
          return;
        }
        const a = await api.patch<Account>(`/api/accounts/${this.accountId}`, { fields: payload(fields, this.values, changed) });
        this.findings = a.findings || [];
        this.setAccount(a);
        this.message = 'Le compte est enregistré.';
      } else {
        const sid = store.structureId;
        const body = { type: this.type, fields: payload(fields, this.values), notify: NOMINATIVE.includes(this.type as AccountType) && this.notify };
        const a = await api.post<Account>(`/api/structures/${sid}/accounts`, body);
        sessionStorage.setItem('caduce.created', a.fields['Adresse mail'] || '');
        location.hash = `#/admin/utilisateurs/${a.id}`;
      }
    } catch (err) {
      const ex = err as ApiError;
      this.findings = ex.findings;
      this.error = ex.findings.length
        ? 'Le compte n’est pas enregistré : corrigez les champs signalés.'
        : ex.userMessage;
      this.focusFirstFinding();
    } finally {
      this.busy = false;
    }
  }

  private focusFirstFinding() {
    this.updateComplete.then(() => {
      const el = this.querySelector<HTMLElement>('[aria-invalid="true"]') || this.querySelector<HTMLElement>('#form-error');
      el?.focus();
    });
  }

  private async act(path: string, done: string) {
    this.error = '';
    this.message = '';
    try {
      const a = await api.post<Account | { queued: boolean }>(`/api/accounts/${this.accountId}/${path}`);
      if (a && 'id' in a) this.setAccount(a as Account);
      this.message = done;
    } catch (e) {
      this.error = (e as ApiError).userMessage;
    }
  }

  private input(f: FormField): TemplateResult {
    const id = fieldId(f.header);
    const errors = f.findings.filter((x) => x.severity === 'error');
    const describedBy = [f.findings.length ? `${id}-findings` : '', f.condition ? `${id}-condition` : ''].filter(Boolean).join(' ');
    const value = this.values[f.header] || '';
    const onInput = (e: Event) => {
      this.values = { ...this.values, [f.header]: (e.target as HTMLInputElement).value };
    };
    const isDate = /^date/i.test(f.header);
    return html`<div class="field ${errors.length ? 'invalid' : ''}">
      <label for=${id}>${f.header}${f.mandatory ? html` <span class="required" aria-hidden="true">*</span><span class="sr-only"> (obligatoire)</span>` : nothing}</label>
      ${f.options
        ? html`<input id=${id} list="${id}-list" .value=${value} @input=${onInput} @change=${onInput} autocomplete="off"
              aria-invalid=${errors.length ? 'true' : 'false'} aria-describedby=${describedBy || nothing}
              placeholder="Tapez pour rechercher" />
            <datalist id="${id}-list">${f.options.map((o) => html`<option value=${optionText(o)}></option>`)}</datalist>`
        : html`<input id=${id} type=${isDate ? 'date' : 'text'} .value=${value} @input=${onInput}
              aria-invalid=${errors.length ? 'true' : 'false'} aria-describedby=${describedBy || nothing} />`}
      ${f.condition ? html`<p id="${id}-condition" class="hint">${f.condition}</p>` : nothing}
      ${f.header === CONNECTIONS_HEADER
        ? html`<p class="hint">Adresses des comptes nominatifs (PER, INT ou MED) qui pourront ouvrir cette boîte, séparées par des virgules.</p>`
        : nothing}
      ${f.findings.length
        ? html`<ul id="${id}-findings" class="findings">
            ${f.findings.map((x) => html`<li class="finding ${x.severity}">${x.severity === 'warning' ? 'Attention : ' : ''}${x.message}</li>`)}
          </ul>`
        : nothing}
    </div>`;
  }

  private typeChoice() {
    return html`<fieldset class="type-choice">
      <legend>Type de compte <span aria-hidden="true">*</span></legend>
      ${ACCOUNT_TYPES.map(
        (t) => html`<label class="type-option">
          <input type="radio" name="account-type" value=${t} .checked=${this.type === t} @change=${() => this.chooseType(t)} />
          <span><strong>${t}</strong> : ${TYPE_INFO[t].explanation}<br /><em>Exemple : ${TYPE_INFO[t].example}</em></span>
        </label>`,
      )}
    </fieldset>`;
  }

  private statusPanel(a: Account) {
    const nominative = NOMINATIVE.includes(a.type);
    return html`<section class="panel status-panel" aria-labelledby="status-title">
      <h2 id="status-title">Statut du compte</h2>
      <dl class="facts">
        <dt>Statut</dt><dd><span class="status status-${a.status}">${statusLabel(a.status, a.disabled_reason)}</span></dd>
        ${a.status === 'pending' && a.pending_since ? html`<dt>En attente depuis</dt><dd>${formatTime(a.pending_since)}</dd>` : nothing}
        ${a.created_at ? html`<dt>Créé le</dt><dd>${formatTime(a.created_at)}</dd>` : nothing}
        ${a.updated_at ? html`<dt>Modifié le</dt><dd>${formatTime(a.updated_at)}</dd>` : nothing}
        ${nominative ? html`<dt>Dernière connexion</dt><dd>${formatTime(a.last_sign_in) || 'Jamais'}</dd>` : nothing}
        <dt>Date de péremption</dt><dd>${formatDate(a.expires) || 'Aucune'}</dd>
        ${a.visible !== undefined ? html`<dt>Annuaire</dt><dd>${a.visible ? 'Visible' : 'Masqué'}</dd>` : nothing}
      </dl>
      <div class="buttons">
        ${nominative && a.status === 'pending'
          ? html`<button @click=${() => this.act('activation', 'Le mail d’activation a été renvoyé.')}>Renvoyer le mail d’activation</button>`
          : nothing}
        ${a.status === 'disabled'
          ? html`<button @click=${() => this.act('enable', 'Le compte est réactivé.')}>Réactiver le compte</button>`
          : html`<button class="danger" @click=${() => confirm('Désactiver ce compte ? Plus personne ne pourra l’utiliser.') && this.act('disable', 'Le compte est désactivé.')}>Désactiver le compte</button>`}
      </div>
    </section>`;
  }

  override render() {
    const editing = !!this.accountId;
    const a = this.account;
    const title = editing ? 'Éditer le compte' : 'Créer un nouvel utilisateur';
    const fields = this.fields();
    const orphans = orphanFindings(fields, this.findings);
    const created = editing ? sessionStorage.getItem('caduce.created') : null;
    if (created && a) sessionStorage.removeItem('caduce.created');
    return html`<c-admin-bar active="users"></c-admin-bar>
      <section class="page">
        <p class="breadcrumb"><a href="#/admin/utilisateurs">Gestion des utilisateurs</a> › ${title}</p>
        <h1>${title}${a ? html` <span class="subtitle">${a.fields['Adresse mail']}</span>` : nothing}</h1>
        ${created && a ? html`<div class="success" role="status">L’utilisateur ${created} est créé.</div>` : nothing}
        ${this.message ? html`<div class="success" role="status">${this.message}</div>` : nothing}
        ${this.error ? html`<div id="form-error" class="alert" role="alert" tabindex="-1">${this.error}
            ${orphans.length ? html`<ul>${orphans.map((x) => html`<li>${x.header ? `${x.header} : ` : ''}${x.message}</li>`)}</ul>` : nothing}</div>` : nothing}
        ${editing && !a && !this.error ? html`<p role="status">Chargement…</p>` : nothing}
        ${a ? html`<div class="panels">${this.statusPanel(a)}
            <c-connections .accountId=${a.id} .accountType=${a.type} .address=${a.fields['Adresse mail'] || ''} .structureId=${a.structure_id}></c-connections></div>` : nothing}
        ${!editing ? this.typeChoice() : nothing}
        ${this.type && this.ref && (!editing || a)
          ? html`<form class="account-form" @submit=${this.submit} novalidate>
              <h2>${editing ? 'Informations du compte' : `Compte ${this.type}`}</h2>
              <p class="hint">Les champs marqués d’un astérisque (<span aria-hidden="true">*</span><span class="sr-only">étoile</span>) sont obligatoires.</p>
              <div class="grid">${fields.filter((f) => f.visible).map((f) => this.input(f))}</div>
              ${!editing && NOMINATIVE.includes(this.type as AccountType)
                ? html`<label class="check"><input type="checkbox" .checked=${this.notify}
                    @change=${(e: Event) => (this.notify = (e.target as HTMLInputElement).checked)} />
                    Envoyer une notification à l’utilisateur pour l’avertir de son inscription</label>`
                : nothing}
              <div class="buttons">
                <button class="primary" type="submit" ?disabled=${this.busy}>Enregistrer l’utilisateur</button>
                <a class="secondary-link" href="#/admin/utilisateurs">Annuler</a>
              </div>
            </form>`
          : nothing}
      </section>`;
  }
}
customElements.define('c-account-page', AccountPage);
