// The web mail's logic without a DOM: which rows of a long list are visible
// and which pages to fetch, the Email/query filter of a search, recipients
// typed as text, replies and forwards, who handled a message of a shared
// mailbox, dates, and the keyboard shortcuts. Tested in web/test/mail-model.test.ts.

export interface EmailAddress {
  name?: string | null;
  email: string;
}

export interface HandlingEntry {
  action: string;
  person?: string;
  name?: string;
  by?: string;
  at: string | number;
}

export interface EmailSummary {
  id: string;
  threadId: string;
  mailboxIds: Record<string, boolean>;
  keywords: Record<string, boolean>;
  from: EmailAddress[] | null;
  to: EmailAddress[] | null;
  cc?: EmailAddress[] | null;
  replyTo?: EmailAddress[] | null;
  subject: string | null;
  receivedAt: string;
  sentAt?: string | null;
  preview?: string;
  hasAttachment?: boolean;
  size?: number;
  messageId?: string[] | null;
  references?: string[] | null;
  handledBy?: HandlingEntry[] | null;
}

// ---- Virtual scrolling ----

export const PAGE_SIZE = 50;

/** The rows [start, end) to render for a viewport, with `overscan` rows on each side. */
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, total: number, overscan = 8) {
  if (total <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.max(0, Math.min(total - 1, first - overscan));
  const end = Math.min(total, first + count + overscan);
  return { start, end: Math.max(start, end) };
}

/** The page numbers (of `pageSize` rows) covering [start, end) not yet loaded nor loading. */
export function pagesToFetch(start: number, end: number, have: (page: number) => boolean, pageSize = PAGE_SIZE): number[] {
  const out: number[] = [];
  if (end <= start) return out;
  for (let p = Math.floor(start / pageSize); p <= Math.floor((end - 1) / pageSize); p++) if (!have(p)) out.push(p);
  return out;
}

// ---- Search ----

export interface SearchForm {
  text?: string;
  from?: string;
  to?: string;
  after?: string; // AAAA-MM-JJ, inclusive
  before?: string; // AAAA-MM-JJ, inclusive
  hasAttachment?: boolean;
  unhandled?: boolean;
  unread?: boolean;
}

export function isSearching(f: SearchForm): boolean {
  return !!(f.text?.trim() || f.from?.trim() || f.to?.trim() || f.after || f.before || f.hasAttachment || f.unhandled || f.unread);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A French refusal for a date range a person typed, or '' when it is fine. */
export function searchRefusal(f: SearchForm): string {
  if (f.after && !DAY.test(f.after)) return 'Date « Reçu à partir du » invalide : saisissez une date au format JJ/MM/AAAA.';
  if (f.before && !DAY.test(f.before)) return 'Date « Reçu jusqu’au » invalide : saisissez une date au format JJ/MM/AAAA.';
  if (f.after && f.before && f.after > f.before) return 'La date « Reçu à partir du » est après la date « Reçu jusqu’au » : inversez-les.';
  return '';
}

/**
 * The Email/query filter (RFC 8621 §4.4.1) of a search in one mailbox. Dates are
 * the person's local days: « Reçu jusqu’au » includes the whole day. « Non traités » keeps
 * the messages nobody answered yet ($answered is set by a reply from the mailbox).
 */
export function buildFilter(mailboxId: string, f: SearchForm, tzOffsetMinutes = new Date().getTimezoneOffset()): Record<string, unknown> {
  const c: Record<string, unknown> = { inMailbox: mailboxId };
  const text = f.text?.trim();
  if (text) c.text = text;
  if (f.from?.trim()) c.from = f.from.trim();
  if (f.to?.trim()) c.to = f.to.trim();
  const day = (d: string, plusDays: number) => {
    const t = Date.parse(`${d}T00:00:00Z`) + plusDays * 86400000 + tzOffsetMinutes * 60000;
    return new Date(t).toISOString().replace('.000Z', 'Z');
  };
  if (f.after && DAY.test(f.after)) c.after = day(f.after, 0);
  if (f.before && DAY.test(f.before)) c.before = day(f.before, 1);
  if (f.hasAttachment) c.hasAttachment = true;
  if (f.unread) c.notKeyword = '$seen';
  if (f.unhandled) {
    if (c.notKeyword) return { operator: 'AND', conditions: [c, { notKeyword: '$answered' }] };
    c.notKeyword = '$answered';
  }
  return c;
}

/** The search of a hash URL's query (?q=&de=&a=&du=&au=&pj=1&nonlus=1&nontraites=1). */
export function searchFromQuery(q: URLSearchParams): SearchForm {
  return {
    text: q.get('q') || '',
    from: q.get('de') || '',
    to: q.get('a') || '',
    after: q.get('du') || '',
    before: q.get('au') || '',
    hasAttachment: q.get('pj') === '1',
    unread: q.get('nonlus') === '1',
    unhandled: q.get('nontraites') === '1',
  };
}

/** The hash URL query of a search, empty values left out. */
export function queryFromSearch(f: SearchForm): string {
  const p = new URLSearchParams();
  if (f.text?.trim()) p.set('q', f.text.trim());
  if (f.from?.trim()) p.set('de', f.from.trim());
  if (f.to?.trim()) p.set('a', f.to.trim());
  if (f.after) p.set('du', f.after);
  if (f.before) p.set('au', f.before);
  if (f.hasAttachment) p.set('pj', '1');
  if (f.unread) p.set('nonlus', '1');
  if (f.unhandled) p.set('nontraites', '1');
  return p.toString();
}

// ---- Addresses ----

const ADDR = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** True for a plausible mail address (what a person types, not RFC 5322 in full). */
export function isAddress(s: string): boolean {
  return s.length <= 254 && ADDR.test(s);
}

/** Splits « Nom <a@b.fr>, c@d.fr; … » into addresses; the pieces that are not one are named. */
export function parseAddressList(text: string): { addresses: EmailAddress[]; invalid: string[] } {
  const addresses: EmailAddress[] = [];
  const invalid: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(/[,;\n]/)) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^(.*)<([^<>]+)>\s*$/.exec(part);
    const email = (m ? m[2] : part).trim().toLowerCase();
    const name = m ? m[1].trim().replace(/^"|"$/g, '') : '';
    if (!isAddress(email)) {
      invalid.push(part);
      continue;
    }
    if (seen.has(email)) continue;
    seen.add(email);
    addresses.push(name ? { name, email } : { email });
  }
  return { addresses, invalid };
}

export function formatAddress(a: EmailAddress): string {
  return a.name ? `${a.name} <${a.email}>` : a.email;
}

export function displayName(a: EmailAddress | undefined | null): string {
  if (!a) return '';
  return a.name || a.email;
}

export function formatAddressList(list: EmailAddress[] | null | undefined): string {
  return (list || []).map(formatAddress).join(', ');
}

// ---- Replies and forwards ----

export type ComposeMode = 'new' | 'reply' | 'reply-all' | 'forward';

export interface Draft {
  to: string;
  cc: string;
  subject: string;
  body: string;
  inReplyTo: string[] | null;
  references: string[] | null;
}

function prefixed(subject: string, prefix: 'Re' | 'Tr'): string {
  const s = subject.trim();
  const re = prefix === 'Re' ? /^(re|ré|aw|sv)\s*:/i : /^(tr|fwd?|wg)\s*:/i;
  return re.test(s) ? s : `${prefix} : ${s}`;
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

function longDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString('fr-FR', { dateStyle: 'full', timeStyle: 'short' });
}

/**
 * The draft that answers or forwards `email` from the mailbox `self` (its
 * address): Reply-To before From; « Répondre à tous » adds the other recipients
 * without the mailbox itself; the thread headers follow RFC 5322 §3.6.4.
 */
export function draftFor(mode: ComposeMode, email: EmailSummary | null, bodyText: string, self: string): Draft {
  const blank: Draft = { to: '', cc: '', subject: '', body: '', inReplyTo: null, references: null };
  if (mode === 'new' || !email) return blank;
  const me = self.toLowerCase();
  const subject = email.subject || '';
  const header = `Le ${longDate(email.sentAt || email.receivedAt)}, ${formatAddressList(email.from)} a écrit :`;
  if (mode === 'forward') {
    const fwd = [
      '',
      '-------- Message transféré --------',
      `De : ${formatAddressList(email.from)}`,
      `Date : ${longDate(email.sentAt || email.receivedAt)}`,
      `Objet : ${subject}`,
      `À : ${formatAddressList(email.to)}`,
      '',
      bodyText,
    ].join('\n');
    return { ...blank, subject: prefixed(subject, 'Tr'), body: fwd };
  }
  const replyTo = email.replyTo?.length ? email.replyTo : email.from || [];
  const to = replyTo.filter((a) => a.email.toLowerCase() !== me);
  const toList = to.length ? to : replyTo;
  let cc: EmailAddress[] = [];
  if (mode === 'reply-all') {
    const taken = new Set(toList.map((a) => a.email.toLowerCase()));
    taken.add(me);
    for (const a of [...(email.to || []), ...(email.cc || [])]) {
      const k = a.email.toLowerCase();
      if (taken.has(k)) continue;
      taken.add(k);
      cc.push(a);
    }
  }
  const mid = email.messageId || [];
  return {
    to: formatAddressList(toList),
    cc: formatAddressList(cc),
    subject: prefixed(subject, 'Re'),
    body: `\n\n${header}\n${quote(bodyText)}`,
    inReplyTo: mid.length ? mid : null,
    references: mid.length ? [...(email.references || []), ...mid] : null,
  };
}

// ---- Threads ----

/**
 * The ids of a thread to list under « Conversation »: its `max` newest (a
 * thread's emailIds are oldest first, RFC 8621 §3), with `current` among them.
 */
export function threadIdsToShow(emailIds: string[], current: string, max: number): string[] {
  if (max < 1) return [];
  const shown = emailIds.slice(-max);
  if (!shown.includes(current) && emailIds.includes(current)) shown[0] = current;
  return shown;
}

// ---- Who handled a message of a shared mailbox ----

const ACTIONS: Record<string, string> = {
  opened: 'Ouvert',
  seen: 'Marqué lu',
  unseen: 'Marqué non lu',
  unflagged: 'Plus suivi',
  copied: 'Copié',
  destroyed: 'Supprimé définitivement',
  submitted: 'Envoyé',
  forwarded: 'Transféré',
  answered: 'Répondu',
  moved: 'Déplacé',
  flagged: 'Suivi',
  downloaded: 'Pièce jointe téléchargée',
  deleted: 'Supprimé',
  sent: 'Envoyé',
};

function entryDate(at: string | number): Date {
  // The server gives a UTCDate; microseconds since the epoch are accepted too.
  if (typeof at === 'number') return new Date(at > 1e14 ? at / 1000 : at);
  return new Date(at);
}

/** One French line per action, newest first: « Répondu par anne.roux@… le 27/11/2026 à 10:15 ». */
export function handlingLines(list: HandlingEntry[] | null | undefined): string[] {
  if (!list?.length) return [];
  return [...list]
    .sort((a, b) => entryDate(b.at).getTime() - entryDate(a.at).getTime())
    .map((e) => {
      const who = e.name || e.person || e.by || 'quelqu’un';
      const d = entryDate(e.at);
      const when = Number.isNaN(d.getTime())
        ? ''
        : ` le ${d.toLocaleDateString('fr-FR')} à ${d.toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' })}`;
      return `${ACTIONS[e.action] || e.action} par ${who}${when}`;
    });
}

/**
 * What the reader says of a message's remote images, blocked by default: nothing
 * when it has none, else the notice, with « Afficher les images » only when the
 * server shows them (GET /api/me remote_images; off, the proxy refuses them all).
 */
export function remoteImagesNotice(blocked: number, serverShowsThem: boolean): { text: string; offer: boolean } | null {
  if (blocked <= 0) return null;
  return serverShowsThem
    ? { text: 'Les images distantes de ce message sont bloquées.', offer: true }
    : { text: 'Les images distantes de ce message sont bloquées : ce serveur ne les affiche pas.', offer: false };
}

/** The short mark of the list: the latest answer or move, else the latest opening. */
export function handlingMark(list: HandlingEntry[] | null | undefined): string {
  if (!list?.length) return '';
  const pick = (acts: string[]) =>
    list.filter((e) => acts.includes(e.action)).sort((a, b) => entryDate(b.at).getTime() - entryDate(a.at).getTime())[0];
  const e = pick(['answered', 'moved']) || pick(['opened']);
  if (!e) return '';
  return `${ACTIONS[e.action]} par ${e.name || e.person || e.by || 'quelqu’un'}`;
}

// ---- Dates ----

/** The list's date: the time today, « hier », the day and month this year, else the full date. */
export function listDate(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = (a: Date, b: Date) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  if (sameDay(d, now)) return d.toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });
  const y = new Date(now);
  y.setDate(now.getDate() - 1);
  if (sameDay(d, y)) return 'hier';
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString('fr-FR', { day: 'numeric', month: 'short' });
  return d.toLocaleDateString('fr-FR');
}

// ---- Keyboard shortcuts ----

export type ShortcutAction =
  | 'next'
  | 'previous'
  | 'open'
  | 'compose'
  | 'reply'
  | 'reply-all'
  | 'forward'
  | 'toggle-read'
  | 'flag'
  | 'delete'
  | 'archive'
  | 'search'
  | 'help'
  | 'close';

export const SHORTCUTS: { key: string; action: ShortcutAction; label: string }[] = [
  { key: 'j', action: 'next', label: 'Message suivant' },
  { key: 'k', action: 'previous', label: 'Message précédent' },
  { key: 'Entrée', action: 'open', label: 'Ouvrir le message sélectionné' },
  { key: 'n', action: 'compose', label: 'Nouveau message' },
  { key: 'r', action: 'reply', label: 'Répondre' },
  { key: 'a', action: 'reply-all', label: 'Répondre à tous' },
  { key: 't', action: 'forward', label: 'Transférer' },
  { key: 'u', action: 'toggle-read', label: 'Marquer comme lu ou non lu' },
  { key: 's', action: 'flag', label: 'Suivre (drapeau)' },
  { key: 'Suppr', action: 'delete', label: 'Mettre à la corbeille' },
  { key: 'e', action: 'archive', label: 'Archiver' },
  { key: '/', action: 'search', label: 'Rechercher' },
  { key: '?', action: 'help', label: 'Afficher cette aide' },
  { key: 'Échap', action: 'close', label: 'Fermer' },
];

/** The action of a key press, or null: never while typing in a field, never with Ctrl, Alt or Meta. */
export function shortcutFor(e: { key: string; ctrlKey?: boolean; altKey?: boolean; metaKey?: boolean; target?: unknown }): ShortcutAction | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  const t = e.target as { tagName?: string; isContentEditable?: boolean } | null;
  const tag = t?.tagName?.toLowerCase();
  if (tag === 'input' || tag === 'textarea' || tag === 'select' || t?.isContentEditable) return e.key === 'Escape' ? 'close' : null;
  switch (e.key) {
    case 'j':
    case 'ArrowDown':
      return 'next';
    case 'k':
    case 'ArrowUp':
      return 'previous';
    case 'Enter':
      return 'open';
    case 'n':
      return 'compose';
    case 'r':
      return 'reply';
    case 'a':
      return 'reply-all';
    case 't':
      return 'forward';
    case 'u':
      return 'toggle-read';
    case 's':
      return 'flag';
    case 'Delete':
    case '#':
      return 'delete';
    case 'e':
      return 'archive';
    case '/':
      return 'search';
    case '?':
      return 'help';
    case 'Escape':
      return 'close';
    default:
      return null;
  }
}

// ---- Mailboxes ----

export interface MailboxInfo {
  id: string;
  name: string;
  parentId: string | null;
  role: string | null;
  sortOrder: number;
  totalEmails: number;
  unreadEmails: number;
}

const ROLE_ORDER = ['inbox', 'drafts', 'sent', 'archive', 'trash'];
const ROLE_NAMES: Record<string, string> = {
  inbox: 'Boîte de réception',
  drafts: 'Brouillons',
  sent: 'Envoyés',
  archive: 'Archives',
  trash: 'Corbeille',
};

/** The folder's French name: the role's name for the standard folders. */
export function folderName(m: MailboxInfo): string {
  return (m.role && ROLE_NAMES[m.role]) || m.name;
}

/** Standard folders in the guide's order, then the others by sortOrder and name. */
export function sortFolders(list: MailboxInfo[]): MailboxInfo[] {
  const rank = (m: MailboxInfo) => {
    const i = m.role ? ROLE_ORDER.indexOf(m.role) : -1;
    return i < 0 ? ROLE_ORDER.length : i;
  };
  return [...list].sort((a, b) => rank(a) - rank(b) || a.sortOrder - b.sortOrder || a.name.localeCompare(b.name, 'fr'));
}

/** The id of the folder with `role`, or ''. */
export function roleId(list: MailboxInfo[], role: string): string {
  return list.find((m) => m.role === role)?.id || '';
}

/** The JMAP accountId of a mailbox of /api/me ("A" + its id), else the account of the same name. */
export function accountIdFor(accounts: Record<string, { name: string }>, mailbox: { id: number; address: string; description?: string }): string {
  const direct = `A${mailbox.id}`;
  if (direct in accounts) return direct;
  if (String(mailbox.id) in accounts) return String(mailbox.id);
  const names = [mailbox.address, mailbox.description].filter(Boolean).map((s) => s!.toLowerCase());
  for (const [id, a] of Object.entries(accounts)) if (names.includes(a.name.toLowerCase())) return id;
  return '';
}
