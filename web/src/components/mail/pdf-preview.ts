// The preview of a PDF attachment in the reading pane, drawn by pdf.js: the
// bytes are fetched from the attachment's download URL (same origin, the
// session's cookie), parsed in pdf.js's worker served by caduce itself, and
// each page is drawn on a canvas, one at a time, with « Page précédente » and
// « Page suivante ». Nothing of the PDF runs: no eval, no scripting, no XFA
// form, no annotation layer; links are not followed. This module and pdf.js are
// a chunk of their own, loaded only when a person previews a PDF.
import { html, nothing } from 'lit';
import { getDocument, GlobalWorkerOptions, type PDFDocumentLoadingTask, type PDFDocumentProxy, type RenderTask } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { Light } from '../light';
import { MAX_PREVIEW_BYTES, movePage, pageScale, pdfErrorMessage } from './pdf-model';
import './pdf-preview.css';

GlobalWorkerOptions.workerSrc = workerUrl;

class PreviewError extends Error {
  constructor(
    override readonly name: string,
    readonly status = 0,
  ) {
    super(name);
  }
}

class PdfPreview extends Light {
  static override properties = {
    url: { attribute: false },
    name: { attribute: false },
    page: { state: true },
    pages: { state: true },
    error: { state: true },
    busy: { state: true },
  };
  /** The attachment's download URL. */
  url = '';
  name = '';
  page = 1;
  pages = 0;
  error = '';
  busy = true;
  private doc: PDFDocumentProxy | null = null;
  private loading: PDFDocumentLoadingTask | null = null;
  private task: RenderTask | null = null;
  private loadedUrl = '';
  private abort: AbortController | null = null;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.close();
  }

  private close() {
    this.abort?.abort();
    this.task?.cancel();
    this.loading?.destroy().catch(() => undefined);
    this.doc = null;
    this.loading = null;
    this.task = null;
    this.loadedUrl = '';
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('url') && this.url && this.url !== this.loadedUrl) this.open().catch(() => undefined);
    else if (changed.has('page') && this.doc) this.draw().catch(() => undefined);
  }

  private async open() {
    this.close();
    const url = this.url;
    this.loadedUrl = url;
    this.busy = true;
    this.error = '';
    this.pages = 0;
    this.page = 1;
    this.dataset.state = 'loading';
    try {
      const abort = new AbortController();
      this.abort = abort;
      let r: Response;
      try {
        r = await fetch(url, { credentials: 'same-origin', signal: abort.signal });
      } catch {
        throw new PreviewError('Network');
      }
      if (!r.ok) throw new PreviewError('Network', r.status);
      if (Number(r.headers.get('content-length') || 0) > MAX_PREVIEW_BYTES) throw new PreviewError('TooLarge');
      const data = new Uint8Array(await r.arrayBuffer());
      if (data.byteLength > MAX_PREVIEW_BYTES) throw new PreviewError('TooLarge');
      if (url !== this.loadedUrl) return;
      this.loading = getDocument({
        data,
        isEvalSupported: false,
        enableXfa: false,
        // Fonts the PDF does not embed fall back to the system's; nothing else is fetched.
        useWorkerFetch: false,
        useWasm: false,
        stopAtErrors: false,
      });
      const doc = await this.loading.promise;
      if (url !== this.loadedUrl) return;
      this.doc = doc;
      this.pages = doc.numPages;
      await this.draw();
    } catch (e) {
      if (url !== this.loadedUrl) return;
      const name = e instanceof Error ? e.name : '';
      this.error = pdfErrorMessage(name, e instanceof PreviewError ? e.status : 0);
      this.busy = false;
      this.dataset.state = 'error';
    }
  }

  private async draw() {
    const doc = this.doc;
    if (!doc) return;
    this.busy = true;
    this.task?.cancel();
    const n = this.page;
    const page = await doc.getPage(n);
    await this.updateComplete;
    const canvas = this.querySelector('canvas');
    if (!canvas || doc !== this.doc || n !== this.page) return;
    const box = this.querySelector('.pdf-pages') as HTMLElement | null;
    const base = page.getViewport({ scale: 1 });
    const { scale, ratio } = pageScale(base.width, (box?.clientWidth || 800) - 24, window.devicePixelRatio);
    const viewport = page.getViewport({ scale: scale * ratio });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    // Through the CSSOM: the page's CSP allows no style attribute.
    canvas.style.setProperty('width', `${Math.floor(viewport.width / ratio)}px`);
    const task = page.render({ canvas, viewport });
    this.task = task;
    try {
      await task.promise;
      if (this.task !== task) return;
      this.busy = false;
      this.dataset.state = 'rendered';
      this.dataset.page = String(n);
    } catch (e) {
      if (e instanceof Error && e.name === 'RenderingCancelledException') return;
      throw e;
    }
  }

  private go(delta: number) {
    const next = movePage(this.page, delta, this.pages);
    if (next !== this.page) this.page = next;
  }

  override render() {
    const label = this.name || 'le PDF';
    if (this.error)
      return html`<div class="pdf-preview">
        <div class="alert" role="alert">${this.error}</div>
      </div>`;
    return html`<div class="pdf-preview" aria-busy=${this.busy ? 'true' : 'false'}>
      <div class="pdf-bar" role="toolbar" aria-label=${`Pages de ${label}`}>
        <button class="small" @click=${() => this.go(-1)} ?disabled=${this.page <= 1}>Page précédente</button>
        <span class="pdf-count" aria-live="polite">${this.pages ? `Page ${this.page} sur ${this.pages}` : 'Ouverture du PDF…'}</span>
        <button class="small" @click=${() => this.go(1)} ?disabled=${!this.pages || this.page >= this.pages}>Page suivante</button>
      </div>
      <div class="pdf-pages">
        ${this.pages ? html`<canvas role="img" aria-label=${`Page ${this.page} sur ${this.pages} de ${label}`}></canvas>` : nothing}
      </div>
    </div>`;
  }
}

customElements.define('c-pdf-preview', PdfPreview);
