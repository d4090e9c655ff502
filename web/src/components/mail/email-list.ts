// The message list's data: positions filled page by page with Email/query
// (position, limit 50) and Email/get of the ids by result reference, in one
// request per page; a refresh after a pushed change refetches the pages in
// view and keeps the rest as stale until scrolled to. Holds no DOM.
import type { JmapClient } from '../../lib/jmap';
import { PAGE_SIZE, pagesToFetch, type EmailSummary } from './mail-model';

export const SUMMARY_PROPS = ['id', 'threadId', 'mailboxIds', 'keywords', 'from', 'to', 'subject', 'receivedAt', 'preview', 'hasAttachment', 'size'];

export class EmailListModel {
  total = -1;
  error: unknown = null;
  readonly emails = new Map<string, EmailSummary>();
  private ids = new Map<number, string>();
  private loaded = new Set<number>();
  private pending = new Map<number, Promise<void>>();
  private generation = 0;
  private lastRange = { start: 0, end: PAGE_SIZE };

  constructor(
    private readonly client: JmapClient,
    readonly accountId: string,
    readonly filter: Record<string, unknown>,
    private readonly onChange: () => void,
    private readonly withHandling = false,
    private readonly onState: (state: string) => void = () => undefined,
  ) {}

  get properties(): string[] {
    return this.withHandling ? [...SUMMARY_PROPS, 'handledBy'] : SUMMARY_PROPS;
  }

  at(i: number): EmailSummary | undefined {
    const id = this.ids.get(i);
    return id ? this.emails.get(id) : undefined;
  }

  idAt(i: number): string | undefined {
    return this.ids.get(i);
  }

  indexOf(id: string): number {
    for (const [i, v] of this.ids) if (v === id) return i;
    return -1;
  }

  /** Loads the pages covering rows [start, end) that are missing. */
  async ensure(start: number, end: number): Promise<void> {
    this.lastRange = { start, end };
    const want = pagesToFetch(start, Math.max(end, start + 1), (p) => this.loaded.has(p) || this.pending.has(p));
    await Promise.all([...want.map((p) => this.loadPage(p)), ...this.pending.values()]);
  }

  private loadPage(page: number): Promise<void> {
    const gen = this.generation;
    const p = (async () => {
      try {
        const { refs, res } = await this.client.run((b) => {
          const q = b.add('Email/query', {
            accountId: this.accountId,
            filter: this.filter,
            sort: [{ property: 'receivedAt', isAscending: false }],
            position: page * PAGE_SIZE,
            limit: PAGE_SIZE,
            calculateTotal: true,
          });
          const g = b.add('Email/get', { accountId: this.accountId, '#ids': q.ref('/ids'), properties: this.properties });
          return { q, g };
        });
        if (gen !== this.generation) return;
        const q = res.get<{ ids: string[]; position: number; total?: number }>(refs.q);
        const g = res.get<{ list: EmailSummary[]; state?: string }>(refs.g);
        if (g.state) this.onState(g.state);
        for (const e of g.list) this.emails.set(e.id, e);
        q.ids.forEach((id, k) => this.ids.set(q.position + k, id));
        if (typeof q.total === 'number') {
          this.total = q.total;
          for (const i of [...this.ids.keys()]) if (i >= q.total) this.ids.delete(i);
        }
        this.loaded.add(page);
        this.error = null;
      } catch (e) {
        if (gen === this.generation) this.error = e;
      } finally {
        if (gen === this.generation) this.pending.delete(page);
        this.onChange();
      }
    })();
    this.pending.set(page, p);
    return p;
  }

  /** Refetches the pages in view (after a pushed change); other pages load again when scrolled to. */
  async refresh(): Promise<void> {
    this.generation += 1;
    this.loaded.clear();
    this.pending.clear();
    await this.ensure(this.lastRange.start, this.lastRange.end);
  }

  /**
   * Brings the list up to date after messages among `ids` changed. When they are
   * all in view and only their keywords or handling changed, only they are
   * fetched again; a message unknown here (it may have entered the folder), one
   * that changed folders, or a filter on keywords asks the pages again.
   */
  async refetch(ids: string[]): Promise<void> {
    const plain = Object.keys(this.filter).every((k) => k === 'inMailbox');
    if (!plain || ids.some((id) => !this.emails.has(id))) return this.refresh();
    const r = await this.client.call<{ list: EmailSummary[]; notFound: string[] }>('Email/get', { accountId: this.accountId, ids, properties: this.properties });
    let moved = r.notFound?.length > 0;
    for (const e of r.list) {
      const before = this.emails.get(e.id);
      if (before && Object.keys(before.mailboxIds || {}).sort().join() !== Object.keys(e.mailboxIds || {}).sort().join()) moved = true;
      this.emails.set(e.id, e);
    }
    if (moved) return this.refresh();
    this.onChange();
  }

  /** Applies a local change at once (keywords, folders), before the server answers. */
  patch(id: string, change: Partial<EmailSummary>): void {
    const e = this.emails.get(id);
    if (!e) return;
    this.emails.set(id, { ...e, ...change });
    this.onChange();
  }

  /** Takes a message out of the list at once (moved or deleted); the refresh confirms. */
  remove(id: string): void {
    const i = this.indexOf(id);
    if (i < 0) return;
    const next = new Map<number, string>();
    for (const [k, v] of this.ids) {
      if (k < i) next.set(k, v);
      else if (k > i) next.set(k - 1, v);
    }
    this.ids = next;
    if (this.total > 0) this.total -= 1;
    this.onChange();
  }
}
