// What the mail screens share: the JMAP session, the account of each mailbox
// of /api/me, each account's folders with their unread counts and its
// identity, and the pushed changes (one EventSource for every account). The
// screens subscribe to it as to the app's store. A change the page made itself
// (a message marked read on opening) is applied here at once, so that its push
// asks the server nothing more; folder refreshes of one account never overlap.
import { jmap, JmapMethodError, JmapRequestError, type JmapSession, type StateChange } from '../../lib/jmap';
import { store } from '../../lib/store';
import type { Mailbox } from '../../lib/types';
import { accountIdFor, sortFolders, type EmailAddress, type MailboxInfo } from '../../components/mail/mail-model';

export interface Identity {
  id: string;
  name: string;
  email: string;
}

export interface AccountData {
  folders: MailboxInfo[];
  mailboxState: string;
  identity: Identity | null;
}

type Listener = () => void;
/** What changed in an account's messages: `reset` when the client must refetch all it shows. */
export interface EmailChange {
  accountId: string;
  reset: boolean;
  created: string[];
  updated: string[];
  destroyed: string[];
}
type EmailListener = (change: EmailChange) => void;

export function errorMessage(e: unknown): string {
  if (e instanceof JmapRequestError || e instanceof JmapMethodError) return e.userMessage;
  if (e && typeof e === 'object' && 'userMessage' in e) return String((e as { userMessage: string }).userMessage);
  return 'Une erreur inattendue est survenue. Réessayez.';
}

/** The longest a push waits for the page's own change to be applied. */
export const OWN_CHANGE_MS = 10_000;

export const FOLDER_PROPS = ['id', 'name', 'parentId', 'role', 'sortOrder', 'totalEmails', 'unreadEmails'];

export class MailState {
  session: JmapSession | null = null;
  accounts = new Map<string, AccountData>();
  error = '';
  private listeners = new Set<Listener>();
  private emailListeners = new Set<EmailListener>();
  private stopPush: (() => void) | null = null;
  private loading = new Map<string, Promise<AccountData>>();
  /** The Email state each account's screens were last brought to (RFC 8620 §5.1). */
  private emailStates = new Map<string, string>();
  private syncing = new Map<string, Promise<void>>();
  /** Own changes in flight by account, and the last push held back meanwhile. */
  private own = new Map<string, { pending: Set<string>; held: Record<string, string> | null }>();
  /** Folder refreshes by account: the one running, and whether another is due after it. */
  private refreshing = new Map<string, { running: Promise<void>; again: boolean }>();

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  onEmailChange(l: EmailListener): () => void {
    this.emailListeners.add(l);
    return () => this.emailListeners.delete(l);
  }
  changed(): void {
    for (const l of this.listeners) l();
  }

  async start(): Promise<JmapSession> {
    const s = await jmap.loadSession();
    if (this.session !== s) {
      this.session = s;
      if (!jmap.onSessionChanged) jmap.onSessionChanged = (ns) => this.sessionChanged(ns);
      this.startPush();
    }
    return s;
  }

  /** Forgets everything (sign-out, another person). */
  stop(): void {
    this.stopPush?.();
    this.stopPush = null;
    this.session = null;
    this.accounts.clear();
    this.loading.clear();
    this.emailStates.clear();
    jmap.reset();
  }

  private sessionChanged(s: JmapSession): void {
    this.session = s;
    for (const id of [...this.accounts.keys()]) if (!(id in s.accounts)) this.accounts.delete(id);
    // The menu of /api/me follows (a revoked right leaves it at once).
    store.loadMe().catch(() => undefined);
    this.changed();
  }

  private startPush(): void {
    this.stopPush?.();
    if (typeof EventSource === 'undefined') return;
    this.stopPush = jmap.subscribe(
      ['Email', 'Mailbox'],
      (c) => this.pushed(c),
      () => this.resyncAll(),
    );
  }

  private pushed(c: StateChange): void {
    for (const [accountId, types] of Object.entries(c.changed)) {
      const own = this.own.get(accountId);
      if (own) {
        own.held = types;
        continue;
      }
      const data = this.accounts.get(accountId);
      // Mailbox counts change with the Mailbox state (RFC 8621 §2); a server that
      // pushes no Mailbox state gets its folders asked again on every Email change.
      if (types.Mailbox && data && types.Mailbox !== data.mailboxState) this.refreshFolders(accountId).catch(() => undefined);
      else if (!types.Mailbox && types.Email && data && types.Email !== this.emailStates.get(accountId)) this.refreshFolders(accountId).catch(() => undefined);
      if (types.Email && types.Email !== this.emailStates.get(accountId)) this.syncEmail(accountId).catch(() => undefined);
    }
  }

  /**
   * Before sending a change whose result the page applies itself: pushes of the
   * account wait for endOwnChange, or OWN_CHANGE_MS at most (an answer lost with
   * its screen must not stop the account's pushes).
   */
  beginOwnChange(accountId: string, token: string): void {
    const o = this.own.get(accountId);
    if (o) o.pending.add(token);
    else this.own.set(accountId, { pending: new Set([token]), held: null });
    setTimeout(() => {
      if (this.own.get(accountId)?.pending.has(token)) this.endOwnChange(accountId, token, null);
    }, OWN_CHANGE_MS);
  }

  /**
   * After that change (null when it failed). When it was the only change since
   * the state the screens know (`oldState`), they are now at `newState`: the
   * folders' unread counts move by `unread` (folder id → delta) at once, and the
   * push of that state asks nothing. A push held meanwhile is then handled.
   */
  endOwnChange(accountId: string, token: string, change: { oldState: string; newState: string; unread: Record<string, number> } | null): void {
    if (change?.oldState && change.newState) {
      if (this.emailStates.get(accountId) === change.oldState) this.emailStates.set(accountId, change.newState);
      const data = this.accounts.get(accountId);
      if (data && data.mailboxState === change.oldState) {
        data.folders = data.folders.map((f) => (change.unread[f.id] ? { ...f, unreadEmails: Math.max(0, f.unreadEmails + change.unread[f.id]) } : f));
        data.mailboxState = change.newState;
        this.changed();
      }
    }
    const o = this.own.get(accountId);
    if (!o?.pending.delete(token) || o.pending.size > 0) return;
    this.own.delete(accountId);
    if (o.held) this.pushed({ '@type': 'StateChange', changed: { [accountId]: o.held } });
  }

  private resyncAll(): void {
    for (const id of this.accounts.keys()) {
      this.refreshFolders(id).catch(() => undefined);
      this.syncEmail(id).catch(() => undefined);
    }
  }

  /** Records the Email state of data just fetched, when none is known yet. */
  noteEmailState(accountId: string, state: string): void {
    if (state && !this.emailStates.has(accountId)) this.emailStates.set(accountId, state);
  }

  /**
   * Brings the account's messages up to date with Email/changes since the
   * state known (several pages merged); without a state, or when the server
   * cannot calculate the changes, the screens refetch what they show.
   */
  syncEmail(accountId: string): Promise<void> {
    const running = this.syncing.get(accountId);
    if (running) return running.then(() => this.syncEmail(accountId));
    const p = (async () => {
      const since = this.emailStates.get(accountId);
      let change: EmailChange = { accountId, reset: true, created: [], updated: [], destroyed: [] };
      if (since) {
        const r = await jmap.changes(accountId, 'Email', since);
        this.emailStates.set(accountId, r.newState);
        if (!r.reset) change = { accountId, reset: false, created: r.created, updated: r.updated, destroyed: r.destroyed };
      } else {
        this.emailStates.delete(accountId);
      }
      for (const l of this.emailListeners) l(change);
    })();
    this.syncing.set(accountId, p);
    p.finally(() => this.syncing.delete(accountId)).catch(() => undefined);
    return p;
  }

  /** The accountId of a mailbox of /api/me. */
  accountOf(m: Mailbox): string {
    return this.session ? accountIdFor(this.session.accounts, m) : '';
  }

  /** The mailbox of /api/me behind an accountId. */
  mailboxOf(accountId: string): Mailbox | null {
    return store.me?.mailboxes.find((m) => this.accountOf(m) === accountId) || null;
  }

  /** The account a person lands in: the current mailbox of /api/me, else the session's primary mail account. */
  defaultAccount(): string {
    const current = store.currentMailbox();
    const id = current ? this.accountOf(current) : '';
    if (id) return id;
    return this.session?.primaryAccounts['urn:ietf:params:jmap:mail'] || Object.keys(this.session?.accounts || {})[0] || '';
  }

  /** Loads (once) an account's folders and identity in one request. */
  account(accountId: string): Promise<AccountData> {
    const have = this.accounts.get(accountId);
    if (have) return Promise.resolve(have);
    let p = this.loading.get(accountId);
    if (!p) {
      p = this.fetchAccount(accountId);
      this.loading.set(accountId, p);
      p.finally(() => this.loading.delete(accountId)).catch(() => undefined);
    }
    return p;
  }

  private async fetchAccount(accountId: string): Promise<AccountData> {
    const { refs, res } = await jmap.run((b) => ({
      mb: b.add('Mailbox/get', { accountId, properties: FOLDER_PROPS }),
      id: b.add('Identity/get', { accountId }),
    }));
    const mb = res.get<{ list: MailboxInfo[]; state: string }>(refs.mb);
    let identity: Identity | null = null;
    if (!res.errorOf(refs.id)) identity = res.get<{ list: Identity[] }>(refs.id).list[0] || null;
    const data: AccountData = { folders: sortFolders(mb.list), mailboxState: mb.state, identity };
    this.accounts.set(accountId, data);
    this.changed();
    return data;
  }

  /** Asks the account's folders again; calls while one runs make one more afterwards, not one each. */
  refreshFolders(accountId: string): Promise<void> {
    const r = this.refreshing.get(accountId);
    if (r) {
      r.again = true;
      return r.running;
    }
    const entry = { running: Promise.resolve(), again: false };
    entry.running = (async () => {
      try {
        do {
          entry.again = false;
          await this.fetchFolders(accountId);
        } while (entry.again);
      } finally {
        this.refreshing.delete(accountId);
      }
    })();
    this.refreshing.set(accountId, entry);
    return entry.running;
  }

  private async fetchFolders(accountId: string): Promise<void> {
    const r = await jmap.call<{ list: MailboxInfo[]; state: string }>('Mailbox/get', { accountId, properties: FOLDER_PROPS });
    const data = this.accounts.get(accountId);
    if (data) {
      data.folders = sortFolders(r.list);
      data.mailboxState = r.state;
    } else this.accounts.set(accountId, { folders: sortFolders(r.list), mailboxState: r.state, identity: null });
    this.changed();
  }

  /** Unread messages of every account's inbox, in one request (the cartouche's menu). */
  async loadAllUnread(): Promise<void> {
    const s = await this.start();
    const ids = Object.keys(s.accounts).filter((id) => !this.accounts.has(id));
    if (!ids.length) return;
    const { refs, res } = await jmap.run((b) =>
      ids.map((accountId) => ({
        mb: b.add('Mailbox/get', { accountId, properties: FOLDER_PROPS }),
        id: b.add('Identity/get', { accountId }),
      })),
    );
    ids.forEach((accountId, i) => {
      if (res.errorOf(refs[i].mb) || this.accounts.has(accountId)) return;
      const mb = res.get<{ list: MailboxInfo[]; state: string }>(refs[i].mb);
      const identity = res.errorOf(refs[i].id) ? null : res.get<{ list: Identity[] }>(refs[i].id).list[0] || null;
      this.accounts.set(accountId, { folders: sortFolders(mb.list), mailboxState: mb.state, identity });
    });
    this.changed();
  }

  /** Unread count of an account's inbox, or null while unknown. */
  unread(accountId: string): number | null {
    const f = this.accounts.get(accountId)?.folders.find((m) => m.role === 'inbox');
    return f ? f.unreadEmails : null;
  }

  /** Addresses this person wrote to or heard from lately in `accountId` (the composer's suggestions). */
  async recentCorrespondents(accountId: string): Promise<EmailAddress[]> {
    const data = await this.account(accountId);
    const sent = data.folders.find((f) => f.role === 'sent');
    const inbox = data.folders.find((f) => f.role === 'inbox');
    const { refs, res } = await jmap.run((b) => {
      const out = [];
      for (const f of [sent, inbox]) {
        if (!f) continue;
        const q = b.add('Email/query', { accountId, filter: { inMailbox: f.id }, sort: [{ property: 'receivedAt', isAscending: false }], limit: 100 });
        out.push(b.add('Email/get', { accountId, '#ids': q.ref('/ids'), properties: ['from', 'to', 'cc'] }));
      }
      return out;
    });
    const seen = new Map<string, EmailAddress>();
    for (const r of refs) {
      if (res.errorOf(r)) continue;
      for (const e of res.get<{ list: { from: EmailAddress[] | null; to: EmailAddress[] | null; cc: EmailAddress[] | null }[] }>(r).list)
        for (const a of [...(e.from || []), ...(e.to || []), ...(e.cc || [])]) {
          const k = a.email.toLowerCase();
          if (!seen.has(k) || (!seen.get(k)!.name && a.name)) seen.set(k, { name: a.name || null, email: k });
        }
    }
    const self = data.identity?.email.toLowerCase();
    return [...seen.values()].filter((a) => a.email !== self);
  }
}

export const mail = new MailState();
