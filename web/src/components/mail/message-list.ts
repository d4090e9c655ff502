// The message list: virtual scrolling over the EmailListModel (only the rows
// in view, plus a margin, are in the DOM; a spacer keeps the scroll bar true
// to the whole folder), each row a link to #/mail/<account>/<folder>/<message>.
// A plain click on a row also says `mail-open` at once, so that the message is
// asked for in the click's own task rather than after the hash change.
import { html, nothing } from 'lit';
import { Light } from '../light';
import { cssProps } from './css-props';
import type { EmailListModel } from './email-list';
import { displayName, handlingMark, listDate, visibleRange, type EmailSummary } from './mail-model';

/** Row height in pixels; the stylesheet's .mail-row uses the same. */
export const ROW_HEIGHT = 76;

class MessageList extends Light {
  static override properties = {
    model: { attribute: false },
    selectedId: { attribute: false },
    baseHref: { attribute: false },
    query: { attribute: false },
    shared: { type: Boolean },
    version: { type: Number },
  };
  model: EmailListModel | null = null;
  selectedId = '';
  baseHref = '';
  query = '';
  shared = false;
  version = 0;
  private top = 0;
  private viewport = 800;
  private frame = 0;
  private resize: ResizeObserver | null = null;

  private scroller(): HTMLElement | null {
    return this.querySelector('.mail-list-scroll');
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (typeof ResizeObserver !== 'undefined') {
      this.resize = new ResizeObserver(() => this.measure());
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    cancelAnimationFrame(this.frame);
  }

  protected override firstUpdated(): void {
    const s = this.scroller();
    if (s && this.resize) this.resize.observe(s);
    this.measure();
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('model')) {
      const s = this.scroller();
      if (s) s.scrollTop = 0;
      this.top = 0;
      this.load();
    }
  }

  private measure() {
    const s = this.scroller();
    if (!s) return;
    this.viewport = s.clientHeight || 800;
    this.top = s.scrollTop;
    this.load();
    this.requestUpdate();
  }

  private onScroll = () => {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.measure());
  };

  private range() {
    const total = this.model && this.model.total >= 0 ? this.model.total : 0;
    return visibleRange(this.top, this.viewport, ROW_HEIGHT, total);
  }

  private load() {
    if (!this.model) return;
    const r = this.model.total < 0 ? { start: 0, end: 50 } : this.range();
    this.model.ensure(r.start, r.end).catch(() => undefined);
  }

  /** Scrolls the row at `index` into view (keyboard navigation). */
  reveal(index: number): void {
    const s = this.scroller();
    if (!s) return;
    const top = index * ROW_HEIGHT;
    if (top < s.scrollTop) s.scrollTop = top;
    else if (top + ROW_HEIGHT > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_HEIGHT - s.clientHeight;
  }

  private onClick = (ev: MouseEvent) => {
    if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey || ev.defaultPrevented) return;
    const id = (ev.target as Element | null)?.closest?.('a.mail-row')?.getAttribute('data-id');
    if (id) this.dispatchEvent(new CustomEvent('mail-open', { detail: { id }, bubbles: true }));
  };

  private row(i: number, e: EmailSummary | undefined, total: number) {
    if (!e) {
      return html`<div class="mail-row placeholder" role="listitem" aria-setsize=${total} aria-posinset=${i + 1}>
        <span class="muted">Chargement…</span>
      </div>`;
    }
    const unread = !e.keywords?.$seen;
    const flagged = !!e.keywords?.$flagged;
    const answered = !!e.keywords?.$answered;
    const mark = this.shared ? handlingMark(e.handledBy) : '';
    const sender = displayName(e.from?.[0]) || '(sans expéditeur)';
    const href = `${this.baseHref}/${encodeURIComponent(e.id)}${this.query ? `?${this.query}` : ''}`;
    return html`<div class="mail-row-wrap" role="listitem" aria-setsize=${total} aria-posinset=${i + 1}>
      <a
        class="mail-row${unread ? ' unread' : ''}${e.id === this.selectedId ? ' selected' : ''}"
        href=${href}
        data-id=${e.id}
        aria-current=${e.id === this.selectedId ? 'true' : nothing}
      >
        <span class="mail-row-top">
          <span class="mail-from">${unread ? html`<span class="sr-only">Non lu, </span>` : nothing}${sender}</span>
          <span class="mail-date">${listDate(e.receivedAt)}</span>
        </span>
        <span class="mail-subject">
          ${flagged ? html`<span class="flag" title="Suivi">⚑<span class="sr-only"> suivi,</span></span>` : nothing}
          ${answered ? html`<span class="answered" title="Répondu">↩<span class="sr-only"> répondu,</span></span>` : nothing}
          ${e.hasAttachment ? html`<span class="clip" title="Pièce jointe" aria-hidden="true">PJ</span><span class="sr-only">pièce jointe, </span>` : nothing}
          ${e.subject || '(sans objet)'}
        </span>
        <span class="mail-preview">${mark ? html`<span class="handled">${mark} · </span>` : nothing}${e.preview || ''}</span>
      </a>
    </div>`;
  }

  override render() {
    const m = this.model;
    if (!m) return nothing;
    const total = Math.max(0, m.total);
    const { start, end } = this.range();
    const rows = [];
    for (let i = start; i < end; i++) rows.push(this.row(i, m.at(i), total));
    return html`<div class="mail-list-scroll" @scroll=${this.onScroll} @click=${this.onClick} tabindex="-1">
      ${m.total === 0 ? html`<p class="mail-empty">Aucun message.</p>` : nothing}
      <div class="mail-list-spacer" ${cssProps({ height: `${total * ROW_HEIGHT}px` })}>
        <div class="mail-list-rows" role="list" aria-label="Messages" ${cssProps({ transform: `translateY(${start * ROW_HEIGHT}px)` })}>
          ${rows}
        </div>
      </div>
    </div>`;
  }
}

customElements.define('c-mail-list', MessageList);
