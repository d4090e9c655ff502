// « Importer une liste d'utilisateurs »: a file (picker or drag and drop), the
// guide's two boxes, the dry run's plan, then « Importer la liste
// d'utilisateurs » applies it; a progress bar fed by the job's event stream;
// the report on screen and as downloads.
import { html, nothing } from 'lit';
import { api, ApiError } from '../lib/api';
import { ACTION_LABELS, COUNT_LABELS } from '../lib/labels';
import { acceptedFile, canApply, initialFlow, isRunning, progressFraction, reduceImport, type ImportEvent, type ImportFlow } from '../lib/import-flow';
import { store } from '../lib/store';
import type { ImportJob } from '../lib/types';
import { Connected } from '../components/light';
import '../components/admin-bar';

class ImportPage extends Connected {
  static override properties = {
    flow: { state: true },
    dragging: { state: true },
  };
  flow: ImportFlow = initialFlow;
  dragging = false;
  private file: File | null = null;
  private events: EventSource | null = null;
  private poll: ReturnType<typeof setTimeout> | null = null;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopWatching();
  }

  private dispatch(e: ImportEvent) {
    this.flow = reduceImport(this.flow, e);
  }

  private pick(file: File | null | undefined) {
    if (!file) return;
    if (!acceptedFile(file.name)) {
      this.dispatch({ kind: 'error', message: `« ${file.name} » n’est pas un fichier XLSX, XLS ou CSV : choisissez la liste exportée, enregistrée dans l’un de ces formats.` });
      this.file = null;
      return;
    }
    this.file = file;
    this.dispatch({ kind: 'file', name: file.name });
  }

  private async upload() {
    const sid = store.structureId;
    if (!this.file || sid === null) return;
    this.dispatch({ kind: 'upload' });
    const f = this.flow;
    try {
      const job = await api.request<ImportJob>('POST', `/api/structures/${sid}/imports`, {
        query: { name: this.file.name, notify: f.notify, visible: f.visible, all_or_nothing: f.allOrNothing },
        raw: this.file,
        contentType: this.file.type || 'application/octet-stream',
      });
      this.dispatch({ kind: 'job', job });
      this.watch(job.id);
    } catch (e) {
      this.dispatch({ kind: 'error', message: (e as ApiError).userMessage });
    }
  }

  private async apply() {
    const job = this.flow.job;
    if (!job || !canApply(this.flow)) return;
    this.dispatch({ kind: 'apply' });
    try {
      const next = await api.post<ImportJob>(`/api/imports/${job.id}/apply`);
      this.dispatch({ kind: 'job', job: next });
      this.watch(job.id);
    } catch (e) {
      this.dispatch({ kind: 'error', message: (e as ApiError).userMessage });
    }
  }

  /** Follows the job by its event stream; falls back to polling if the stream breaks. */
  private watch(id: string) {
    this.stopWatching();
    const source = new EventSource(`/api/imports/${encodeURIComponent(id)}/events`);
    this.events = source;
    source.addEventListener('progress', (e) => {
      const d = JSON.parse((e as MessageEvent).data);
      this.dispatch({ kind: 'progress', rows_read: d.rows_read || 0, rows_applied: d.rows_applied || 0 });
    });
    source.addEventListener('state', (e) => {
      const d = JSON.parse((e as MessageEvent).data);
      if (d.state && d.state !== 'planned' && d.state !== 'applied' && d.state !== 'failed') this.dispatch({ kind: 'state', state: d.state });
    });
    source.addEventListener('done', (e) => {
      this.dispatch({ kind: 'job', job: JSON.parse((e as MessageEvent).data) });
      this.stopWatching();
      this.focusResult();
    });
    source.onerror = () => {
      source.close();
      if (this.events === source) this.events = null;
      if (isRunning(this.flow)) this.pollJob(id);
    };
  }

  private async pollJob(id: string) {
    try {
      const job = await api.get<ImportJob>(`/api/imports/${encodeURIComponent(id)}`);
      this.dispatch({ kind: 'job', job });
      if (isRunning(this.flow)) this.poll = setTimeout(() => this.pollJob(id), 1000);
      else this.focusResult();
    } catch (e) {
      this.dispatch({ kind: 'error', message: (e as ApiError).userMessage });
    }
  }

  private stopWatching() {
    this.events?.close();
    this.events = null;
    if (this.poll) clearTimeout(this.poll);
    this.poll = null;
  }

  private focusResult() {
    this.updateComplete.then(() => this.querySelector<HTMLElement>('#import-result')?.focus());
  }

  private restart() {
    this.stopWatching();
    this.file = null;
    this.dispatch({ kind: 'reset' });
  }

  private drop(e: DragEvent) {
    e.preventDefault();
    this.dragging = false;
    this.pick(e.dataTransfer?.files?.[0]);
  }

  private chooser() {
    const f = this.flow;
    const locked = f.phase !== 'choose' && f.phase !== 'failed';
    return html`<form class="import-form" @submit=${(e: Event) => (e.preventDefault(), this.upload())}>
      <div class="dropzone ${this.dragging ? 'dragging' : ''}"
        @dragover=${(e: DragEvent) => (e.preventDefault(), (this.dragging = true))}
        @dragleave=${() => (this.dragging = false)}
        @drop=${this.drop}>
        <label for="import-file">Fichier à importer (XLSX, XLS ou CSV)</label>
        <input id="import-file" type="file" accept=".xlsx,.xls,.csv" ?disabled=${locked}
          @change=${(e: Event) => this.pick((e.target as HTMLInputElement).files?.[0])} />
        <p class="hint">ou déposez le fichier ici.${f.fileName ? html` Fichier choisi : <strong>${f.fileName}</strong>` : nothing}</p>
      </div>
      <label class="check"><input type="checkbox" .checked=${f.notify} ?disabled=${locked}
        @change=${(e: Event) => this.dispatch({ kind: 'option', name: 'notify', value: (e.target as HTMLInputElement).checked })} />
        Envoyer une notification aux utilisateurs pour les avertir de leur inscription</label>
      <label class="check"><input type="checkbox" .checked=${f.visible} ?disabled=${locked}
        @change=${(e: Event) => this.dispatch({ kind: 'option', name: 'visible', value: (e.target as HTMLInputElement).checked })} />
        Rendre les utilisateurs visibles dans l’annuaire</label>
      <label class="check"><input type="checkbox" .checked=${f.allOrNothing} ?disabled=${locked}
        @change=${(e: Event) => this.dispatch({ kind: 'option', name: 'allOrNothing', value: (e.target as HTMLInputElement).checked })} />
        Ne rien importer si une ligne est rejetée</label>
      <div class="buttons">
        <button class="primary" type="submit" ?disabled=${!f.fileName || locked}>Vérifier le fichier</button>
      </div>
      <p class="hint">La vérification montre ce que l’import fera, sans rien enregistrer. Vous importez ensuite la liste en un clic.</p>
    </form>`;
  }

  private progress() {
    const f = this.flow;
    const frac = progressFraction(f);
    const label = f.phase === 'uploading' ? 'Envoi du fichier…' : f.phase === 'planning' ? 'Vérification du fichier…' : 'Import en cours…';
    const done = f.phase === 'applying' ? f.rowsApplied : f.rowsRead;
    return html`<div class="progress-block" role="status" aria-live="polite">
      <label for="import-progress">${label}</label>
      ${frac === null
        ? html`<progress id="import-progress"></progress>`
        : html`<progress id="import-progress" max="100" .value=${Math.round(frac * 100)}></progress>`}
      <span>${done.toLocaleString('fr-FR')} ligne(s)${f.total ? ` sur ${f.total.toLocaleString('fr-FR')}` : ''}</span>
    </div>`;
  }

  private report() {
    const f = this.flow;
    const job = f.job;
    const r = job?.report;
    if (!job || !r) return nothing;
    const plan = f.phase === 'planned';
    const rows = r.rows.filter((x) => x.action !== 'unchanged' || x.findings.length);
    return html`<section id="import-result" class="panel report" tabindex="-1" aria-labelledby="report-title">
      <h2 id="report-title">${plan ? 'Ce que l’import va faire' : 'Compte-rendu de l’import'}</h2>
      ${plan ? html`<p>Rien n’est encore enregistré. Vérifiez le plan, puis importez la liste.</p>` : nothing}
      <dl class="counts">
        ${Object.entries(r.counts).map(([k, v]) => html`<div class="count-${k}"><dt>${COUNT_LABELS[k] || k}</dt><dd>${v}</dd></div>`)}
      </dl>
      ${r.file_findings.length
        ? html`<h3>Remarques sur le fichier</h3>
            <ul class="findings">${r.file_findings.map((x) => html`<li class="finding ${x.severity}">${x.header ? `${x.header} : ` : ''}${x.message}</li>`)}</ul>`
        : nothing}
      ${rows.length
        ? html`<div class="table-wrap"><table class="report-rows">
            <caption>Détail par ligne</caption>
            <thead><tr><th scope="col">Ligne</th><th scope="col">Adresse mail</th><th scope="col">Résultat</th><th scope="col">Remarques</th></tr></thead>
            <tbody>${rows.map(
              (x) => html`<tr class="action-${x.action}">
                <td>${x.row}</td><td>${x.address}</td><td>${ACTION_LABELS[x.action] || x.action}</td>
                <td>${x.findings.length ? html`<ul class="findings">${x.findings.map((y) => html`<li class="finding ${y.severity}">${y.header ? `${y.header} : ` : ''}${y.message}</li>`)}</ul>` : ''}</td>
              </tr>`,
            )}</tbody>
          </table></div>`
        : nothing}
      <p class="downloads">
        Télécharger le ${plan ? 'plan' : 'compte-rendu'} :
        <a href="/api/imports/${job.id}/report?format=xlsx" download>XLSX</a>,
        <a href="/api/imports/${job.id}/report?format=csv" download>CSV</a>
      </p>
      <div class="buttons">
        ${plan
          ? html`<button class="primary" ?disabled=${!canApply(f)} @click=${this.apply}>Importer la liste d’utilisateurs</button>
              ${!canApply(f) ? html`<p class="alert">Le fichier ne peut pas être importé tel quel : corrigez les lignes signalées puis recommencez.</p>` : nothing}`
          : nothing}
        <button @click=${this.restart}>${plan ? 'Choisir un autre fichier' : 'Importer un autre fichier'}</button>
      </div>
    </section>`;
  }

  override render() {
    const f = this.flow;
    return html`<c-admin-bar active="import"></c-admin-bar>
      <section class="page">
        <p class="breadcrumb"><a href="#/admin/utilisateurs">Gestion des utilisateurs</a> › Importer une liste d’utilisateurs</p>
        <h1>Importer une liste d’utilisateurs</h1>
        <p>Exportez la liste depuis « Gestion des utilisateurs », modifiez-la dans votre tableur (une ligne par compte,
          les comptes nominatifs d’une boîte organisationnelle dans la colonne « Compte(s) de connexion », séparés par des
          points-virgules), puis importez-la ici.</p>
        ${this.chooser()}
        ${f.error ? html`<div class="alert" role="alert">${f.error}</div>` : nothing}
        ${isRunning(f) ? this.progress() : nothing}
        ${f.phase === 'planned' || f.phase === 'applied' ? this.report() : nothing}
        ${f.phase === 'applied' ? html`<p><a href="#/admin/utilisateurs">Voir la liste des utilisateurs</a></p>` : nothing}
      </section>`;
  }
}
customElements.define('c-import', ImportPage);
