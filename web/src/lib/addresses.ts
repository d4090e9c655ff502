// The guide's « Compte(s) de connexion » entry: several addresses in one text,
// separated by commas (the form), semicolons (the file) or spaces. And the
// recipients of a message (below).
import { debounce, Latest, type Debounced } from './debounce';
import { fold } from './text';

/** Splits the text into lowercase addresses, without blanks or repeats, in order. */
export function splitAddresses(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of text.split(/[,;\s]+/)) {
    const a = part.trim().replace(/^<|>$/g, '').toLowerCase();
    if (!a || seen.has(a)) continue;
    seen.add(a);
    out.push(a);
  }
  return out;
}

/** A light shape check, only to guide the person; the server decides. */
export function looksLikeAddress(a: string): boolean {
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a);
}

/**
 * The part being typed (after the last separator), for the suggestions, and
 * the text with that part replaced by a chosen address.
 */
export function currentToken(text: string): string {
  const m = /[^,;\s]*$/.exec(text);
  return m ? m[0] : '';
}

export function replaceCurrentToken(text: string, address: string): string {
  const token = currentToken(text);
  const head = text.slice(0, text.length - token.length);
  return `${head}${address}, `;
}

// ---- Recipients of a message: recent correspondents and the directory ----
//
// The composer's À, Cc and Cci fields hold « Nom <adresse>, … » texts, split on
// commas and semicolons only (names have spaces). As the person types, the part
// after the last separator is looked up among the mailbox's recent
// correspondents (at once) and in the directory (GET /api/directory/suggestions,
// debounced, the stale answers aborted); both lists are merged here.

/** An account of the directory as GET /api/directory/suggestions gives it. */
export interface DirectoryEntry {
  name: string;
  address: string;
  type?: string;
  typeLabel?: string;
  structure?: string;
}

/** A recipient a person may pick: where it comes from, and what to show. */
export interface RecipientSuggestion {
  name: string;
  email: string;
  structure: string;
  typeLabel: string;
  source: 'recent' | 'directory';
}

/** At most this many suggestions are shown. */
export const MAX_SUGGESTIONS = 8;
/** The directory is asked from this many typed characters on (its own minimum). */
export const DIRECTORY_MIN_CHARS = 2;

/** The recipient being typed: the text after the last comma or semicolon, trimmed. */
export function recipientQuery(text: string): string {
  const parts = text.split(/[,;]/);
  return parts[parts.length - 1].trim();
}

/** The text with the recipient being typed replaced by `entry`, ready for the next one. */
export function replaceRecipientQuery(text: string, entry: string): string {
  const parts = text.split(/[,;]/);
  parts.pop();
  const kept = parts.map((p) => p.trim()).filter(Boolean);
  return [...kept, entry].join(', ') + ', ';
}

/** The address inside « Nom <a@b.fr> » or a bare address, lowercase. */
export function addressOf(entry: string): string {
  const m = /<([^<>]+)>\s*$/.exec(entry);
  return (m ? m[1] : entry).trim().toLowerCase();
}

/** The addresses already written in the fields (every entry before the one being typed). */
export function takenAddresses(...texts: string[]): Set<string> {
  const out = new Set<string>();
  for (const text of texts) {
    const parts = text.split(/[,;]/);
    parts.pop();
    for (const p of parts) {
      const a = addressOf(p);
      if (a) out.add(a);
    }
  }
  return out;
}

/**
 * How well `s` answers `q` (both folded): 0 when s starts with it, 1 when a word
 * of s does (« dup » in « jean dupont », « dup » in « jean.dupont@… »), 2 when s
 * merely contains it, -1 when it does not.
 */
function matchRank(s: string, q: string): number {
  if (!q || !s) return -1;
  if (s.startsWith(q)) return 0;
  const at = s.indexOf(q);
  if (at < 0) return -1;
  for (let i = at; i >= 0; i = s.indexOf(q, i + 1)) if (/[\s.\-_@'’<]/.test(s[i - 1])) return 1;
  return 2;
}

function rankOf(s: RecipientSuggestion, q: string): number {
  const ranks = [matchRank(fold(s.name), q), matchRank(fold(s.email), q)].filter((r) => r >= 0);
  return ranks.length ? Math.min(...ranks) : -1;
}

/**
 * The suggestions for the typed `query`: the recent correspondents that match it
 * and the directory's answer, one entry per address (a recent correspondent found
 * in the directory gains its structure and type), none of `taken`, best match
 * first (start of the name or address, then start of a word, then anywhere), and
 * at equal match the recent correspondents first, each list in its own order.
 * `directory` is the directory's answer and the query it answered: for the
 * query being typed, its entries are all kept (the server may match on fields
 * not shown, which come last); for an older query (the newer answer is on its
 * way), only those whose name or address still matches.
 */
export function mergeSuggestions(
  query: string,
  recent: { name?: string | null; email: string }[],
  directory: { query: string; entries: DirectoryEntry[] },
  taken: Set<string> = new Set(),
  max = MAX_SUGGESTIONS,
): RecipientSuggestion[] {
  const q = fold(query.trim());
  if (!q) return [];
  const current = fold(directory.query.trim()) === q;
  const byAddress = new Map<string, RecipientSuggestion>();
  const order: RecipientSuggestion[] = [];
  for (const r of recent) {
    const email = (r.email || '').trim().toLowerCase();
    if (!email || taken.has(email) || byAddress.has(email)) continue;
    const s: RecipientSuggestion = { name: (r.name || '').trim(), email, structure: '', typeLabel: '', source: 'recent' };
    if (rankOf(s, q) < 0) continue;
    byAddress.set(email, s);
    order.push(s);
  }
  for (const d of directory.entries) {
    const email = (d.address || '').trim().toLowerCase();
    if (!email || taken.has(email)) continue;
    if (!current && rankOf({ name: d.name || '', email, structure: '', typeLabel: '', source: 'directory' }, q) < 0) continue;
    const known = byAddress.get(email);
    if (known) {
      known.structure ||= d.structure || '';
      known.typeLabel ||= d.typeLabel || '';
      known.name ||= d.name || '';
      continue;
    }
    const s: RecipientSuggestion = { name: (d.name || '').trim(), email, structure: d.structure || '', typeLabel: d.typeLabel || '', source: 'directory' };
    byAddress.set(email, s);
    order.push(s);
  }
  const ranked = order.map((s, i) => ({ s, i, r: rankOf(s, q) }));
  // Entries the server matched on hidden fields come after every visible match.
  for (const x of ranked) if (x.r < 0) x.r = 3;
  ranked.sort((a, b) => a.r - b.r || (a.s.source === b.s.source ? 0 : a.s.source === 'recent' ? -1 : 1) || a.i - b.i);
  return ranked.slice(0, max).map((x) => x.s);
}

/** « Nom <adresse> », or the bare address: what picking a suggestion writes in the field. */
export function recipientEntry(s: { name: string; email: string }): string {
  const name = s.name.replace(/[<>",;\r\n]/g, ' ').replace(/\s+/g, ' ').trim();
  return name ? `${name} <${s.email}>` : s.email;
}

// ---- The keyboard of a combobox (WAI-ARIA APG, « list autocomplete ») ----

export interface ComboKeyResult {
  /** The option now active (aria-activedescendant), -1 for none. */
  active: number;
  /** The option to pick now, -1 for none. */
  pick: number;
  /** True when the list is to be closed. */
  close: boolean;
  /** True when the key was used here: no default action, no page shortcut. */
  handled: boolean;
}

/**
 * What a key does in a recipient field whose list shows `count` options with
 * `active` highlighted: the arrows move (and wrap), Enter or Tab pick the active
 * option, Escape closes the list. Nothing is active until an arrow is pressed,
 * so an address typed in full (to outside) is never replaced by a suggestion.
 * Enter never sends the message from a recipient field.
 */
export function comboKey(key: string, count: number, active: number): ComboKeyResult {
  const open = count > 0;
  const none = { active, pick: -1, close: false, handled: false };
  switch (key) {
    case 'ArrowDown':
      return open ? { active: active < 0 || active >= count - 1 ? 0 : active + 1, pick: -1, close: false, handled: true } : none;
    case 'ArrowUp':
      return open ? { active: active <= 0 || active >= count ? count - 1 : active - 1, pick: -1, close: false, handled: true } : none;
    case 'Home':
    case 'End':
      return open && active >= 0 ? { active: key === 'Home' ? 0 : count - 1, pick: -1, close: false, handled: true } : none;
    case 'Enter':
      if (open && active >= 0 && active < count) return { active: -1, pick: active, close: true, handled: true };
      return { active: -1, pick: -1, close: true, handled: true };
    case 'Tab':
      if (open && active >= 0 && active < count) return { active: -1, pick: active, close: true, handled: true };
      return { active: -1, pick: -1, close: open, handled: false };
    case 'Escape':
      return open ? { active: -1, pick: -1, close: true, handled: true } : none;
    default:
      return none;
  }
}

// ---- The directory, asked as the person types ----

/** Asks the directory for `q`; rejects with an AbortError once `signal` aborts. */
export type DirectoryFetch = (q: string, signal: AbortSignal) => Promise<DirectoryEntry[]>;

/**
 * Looks up the directory for what is typed: `wait` ms after the last keystroke
 * (so « dup » typed quickly asks once), aborting the request of an older query
 * (its late answer never replaces a newer one), remembering the last answers,
 * and pausing after a 429 for the Retry-After it names. `onAnswer(q, entries)`
 * is called with the answer for the query typed last only; a failed lookup
 * answers an empty list (the recent correspondents still show).
 */
export class DirectoryLookup {
  private readonly latest = new Latest();
  private readonly later: Debounced<[string]>;
  private readonly cache = new Map<string, DirectoryEntry[]>();
  private wanted = '';
  private pausedUntil = 0;

  constructor(
    private readonly fetcher: DirectoryFetch,
    private readonly onAnswer: (q: string, entries: DirectoryEntry[]) => void,
    wait = 150,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.later = debounce((q: string) => void this.run(q), wait);
  }

  /** The person typed `query` (the recipient being written). */
  type(query: string): void {
    const q = query.trim();
    this.wanted = q;
    if (fold(q).length < DIRECTORY_MIN_CHARS) {
      this.later.cancel();
      this.latest.cancel();
      this.onAnswer(q, []);
      return;
    }
    const known = this.cache.get(fold(q));
    if (known) {
      this.later.cancel();
      this.latest.cancel();
      this.onAnswer(q, known);
      return;
    }
    this.later(q);
  }

  /** Drops the pending lookup and aborts the one in flight (field left, form closed). */
  cancel(): void {
    this.wanted = '';
    this.later.cancel();
    this.latest.cancel();
  }

  private async run(q: string): Promise<void> {
    if (this.now() < this.pausedUntil) {
      if (q === this.wanted) this.onAnswer(q, []);
      return;
    }
    const signal = this.latest.next();
    try {
      const entries = await this.fetcher(q, signal);
      if (signal.aborted) return;
      this.cache.set(fold(q), entries);
      if (this.cache.size > 50) this.cache.delete(this.cache.keys().next().value as string);
      if (q === this.wanted) this.onAnswer(q, entries);
    } catch (e) {
      if (signal.aborted || (e as Error)?.name === 'AbortError') return;
      const err = e as { status?: number; retryAfter?: number | null };
      if (err.status === 429) this.pausedUntil = this.now() + Math.max(1, err.retryAfter || 5) * 1000;
      if (q === this.wanted) this.onAnswer(q, []);
    }
  }
}
