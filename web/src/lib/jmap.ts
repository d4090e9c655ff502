// The JMAP client of the web mail (RFC 8620 core, RFC 8621 mail): the session
// object, batched method calls with result references, the two kinds of
// errors (a request-level problem, RFC 8620 §3.6.1; a method error, §3.6.2),
// state tracking and resynchronisation through Foo/changes (§5.2), push over
// EventSource (§7.3), blob upload with progress (§6.1) and download URLs (§6.2).
// The browser session of /api/session authenticates it: same-origin cookies,
// and the CSRF header on every POST as for /api.
import { readCookie, type FetchLike } from './api';

export const CORE = 'urn:ietf:params:jmap:core';
export const MAIL = 'urn:ietf:params:jmap:mail';
export const SUBMISSION = 'urn:ietf:params:jmap:submission';
export const HANDLING = 'urn:caduce:params:jmap:handling';

export type Id = string;

export interface JmapAccount {
  name: string;
  isPersonal: boolean;
  isReadOnly: boolean;
  accountCapabilities: Record<string, Record<string, unknown>>;
}

export interface CoreCapability {
  maxSizeUpload: number;
  maxConcurrentUpload: number;
  maxSizeRequest: number;
  maxConcurrentRequests: number;
  maxCallsInRequest: number;
  maxObjectsInGet: number;
  maxObjectsInSet: number;
  collationAlgorithms: string[];
}

export interface JmapSession {
  capabilities: Record<string, Record<string, unknown>>;
  accounts: Record<Id, JmapAccount>;
  primaryAccounts: Record<string, Id>;
  username: string;
  apiUrl: string;
  downloadUrl: string;
  uploadUrl: string;
  eventSourceUrl: string;
  state: string;
}

export type Invocation = [string, Record<string, unknown>, string];

export interface ResultReference {
  resultOf: string;
  name: string;
  path: string;
}

/** A problem with the whole request (RFC 8620 §3.6.1) or its transport. */
export class JmapRequestError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly detail: string,
    readonly limit = '',
  ) {
    super(detail || type || `HTTP ${status}`);
  }

  /** The sentence to show a person, in French. */
  get userMessage(): string {
    if (this.status === 0) return 'Le serveur ne répond pas. Vérifiez votre connexion puis réessayez.';
    if (this.status === 401) return 'Votre session a expiré : connectez-vous de nouveau.';
    if (this.status === 403) return "Vous n'avez pas accès à cette boîte aux lettres.";
    if (this.status === 404) return 'La messagerie web n’est pas disponible sur ce serveur pour l’instant.';
    if (this.type.endsWith(':limit'))
      return `La demande dépasse une limite du serveur (${this.limit || 'taille'}) : réduisez-la puis réessayez.`;
    if (this.status === 413) return 'Le fichier est trop volumineux.';
    if (this.status >= 500) return 'Le serveur a rencontré une erreur. Réessayez dans un instant.';
    return this.detail || `La demande a été refusée (${this.status}).`;
  }
}

/** An error answered to one method call (RFC 8620 §3.6.2). */
export class JmapMethodError extends Error {
  constructor(
    readonly method: string,
    readonly type: string,
    readonly description: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`${method}: ${type}${description ? ` (${description})` : ''}`);
  }

  get userMessage(): string {
    return methodErrorMessage(this.type, this.description);
  }
}

/** French sentences for the method and set errors of RFC 8620 and 8621. */
export function methodErrorMessage(type: string, description = ''): string {
  switch (type) {
    case 'accountNotFound':
      return "Vous n'avez plus accès à cette boîte aux lettres.";
    case 'accountReadOnly':
    case 'forbidden':
      return "Vous n'avez pas le droit de faire cette action dans cette boîte aux lettres.";
    case 'notFound':
      return "Ce message n'existe plus ou a été déplacé.";
    case 'overQuota':
      return 'La boîte aux lettres est pleine : supprimez des messages puis réessayez.';
    case 'tooLarge':
      return 'Le message est trop volumineux : retirez des pièces jointes puis réessayez.';
    case 'stateMismatch':
      return 'La boîte a changé entre-temps : réessayez.';
    case 'invalidRecipients':
      return `Destinataire refusé${description ? ` : ${description}` : ''}. Corrigez l’adresse puis réessayez.`;
    case 'noRecipients':
      return 'Indiquez au moins un destinataire.';
    case 'forbiddenFrom':
      return "Vous ne pouvez pas envoyer depuis cette adresse.";
    case 'requestTooLarge':
      return 'Trop d’éléments à la fois : réduisez la sélection.';
    case 'serverUnavailable':
    case 'serverFail':
      return 'Le serveur a rencontré une erreur. Réessayez dans un instant.';
    default:
      return description ? `Erreur : ${description}` : `L’action a été refusée (${type}).`;
  }
}

/** A call added to a batch; `ref` points a later call at one of its results. */
export class CallRef {
  constructor(
    readonly id: string,
    readonly name: string,
  ) {}
  ref(path: string, name = this.name): ResultReference {
    return { resultOf: this.id, name, path };
  }
}

/** Method calls sent together in one request (RFC 8620 §3.3). */
export class Batch {
  readonly calls: Invocation[] = [];
  add(name: string, args: Record<string, unknown>): CallRef {
    const id = `c${this.calls.length}`;
    this.calls.push([name, args, id]);
    return new CallRef(id, name);
  }
}

/** The answers of one request, looked up by the call that asked. */
export class Responses {
  constructor(
    readonly invocations: Invocation[],
    readonly sessionState = '',
  ) {}

  /** The result of `call`; throws JmapMethodError when the server answered an error. */
  get<T = Record<string, unknown>>(call: CallRef): T {
    const hit = this.invocations.find((i) => i[2] === call.id && i[0] !== 'error') || null;
    if (hit) return hit[1] as T;
    const err = this.invocations.find((i) => i[2] === call.id && i[0] === 'error');
    if (err) {
      const { type, description, ...extra } = err[1] as { type?: string; description?: string };
      throw new JmapMethodError(call.name, String(type || 'serverFail'), String(description || ''), extra);
    }
    throw new JmapMethodError(call.name, 'serverFail', 'réponse absente');
  }

  /** The error type of `call`, or '' when it succeeded. */
  errorOf(call: CallRef): string {
    const err = this.invocations.find((i) => i[2] === call.id && i[0] === 'error');
    return err ? String((err[1] as { type?: string }).type || 'serverFail') : '';
  }
}

/** Expands a URI template of the session (RFC 6570 level 1, as RFC 8620 §2 uses). */
export function expandTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{([a-zA-Z]+)\}/g, (_m, k: string) => encodeURIComponent(vars[k] ?? ''));
}

export interface StateChange {
  '@type': 'StateChange';
  changed: Record<Id, Record<string, string>>;
}

/** Parses the data of a push event; null for anything that is not a StateChange. */
export function parseStateChange(data: string): StateChange | null {
  try {
    const v = JSON.parse(data) as StateChange;
    if (!v || v['@type'] !== 'StateChange' || typeof v.changed !== 'object' || v.changed === null) return null;
    return v;
  } catch {
    return null;
  }
}

export interface UploadResult {
  accountId: Id;
  blobId: Id;
  type: string;
  size: number;
}

/** What XMLHttpRequest offers that the upload needs (a fake in tests). */
export interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob): void;
  abort(): void;
  status: number;
  responseText: string;
  withCredentials: boolean;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

export interface EventSourceLike {
  addEventListener(type: string, listener: (e: { data: string }) => void): void;
  close(): void;
  onerror: ((e: unknown) => void) | null;
  onopen?: ((e: unknown) => void) | null;
}

export interface JmapDeps {
  fetch?: FetchLike;
  cookies?: () => string;
  xhr?: () => XhrLike;
  eventSource?: (url: string) => EventSourceLike;
  sessionUrl?: string;
}

/** A change set from Foo/changes, or `reset` when the client must refetch. */
export type SyncResult =
  | { reset: false; created: Id[]; updated: Id[]; destroyed: Id[]; newState: string; updatedProperties?: string[] | null }
  | { reset: true; newState: string };

export class JmapClient {
  session: JmapSession | null = null;
  /** Called when an answer says the browser session is gone (401). */
  onUnauthenticated: (() => void) | null = null;
  /** Called when a response's sessionState differs (an account appeared or went away). */
  onSessionChanged: ((s: JmapSession) => void) | null = null;
  private readonly fetchImpl: FetchLike;
  private readonly cookies: () => string;
  private readonly deps: JmapDeps;
  private sessionPromise: Promise<JmapSession> | null = null;

  constructor(deps: JmapDeps = {}) {
    this.deps = deps;
    this.fetchImpl = deps.fetch ?? ((i, init) => fetch(i, init));
    this.cookies = deps.cookies ?? (() => (typeof document !== 'undefined' ? document.cookie : ''));
  }

  private csrfHeaders(): Record<string, string> {
    const token = readCookie(this.cookies(), 'caduce_csrf');
    return token ? { 'X-CSRF-Token': token } : {};
  }

  private problem(status: number, body: Record<string, unknown>): JmapRequestError {
    if (status === 401 && this.onUnauthenticated) this.onUnauthenticated();
    return new JmapRequestError(
      status,
      typeof body.type === 'string' ? body.type : '',
      typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : '',
      typeof body.limit === 'string' ? body.limit : '',
    );
  }

  /** Fetches the session object (GET /.well-known/jmap); cached until `reset()`. */
  loadSession(force = false): Promise<JmapSession> {
    if (this.sessionPromise && !force) return this.sessionPromise;
    const p = (async () => {
      let r: Response;
      try {
        r = await this.fetchImpl(this.deps.sessionUrl ?? '/.well-known/jmap', {
          headers: { Accept: 'application/json' },
          credentials: 'same-origin',
        });
      } catch {
        throw new JmapRequestError(0, '', '');
      }
      const body = (await r.json().catch(() => ({}))) as Record<string, unknown>;
      if (!r.ok) throw this.problem(r.status, body);
      const s = body as unknown as JmapSession;
      if (!s.apiUrl || typeof s.accounts !== 'object') throw new JmapRequestError(r.status, 'invalidSession', '');
      this.session = s;
      return s;
    })();
    this.sessionPromise = p;
    p.catch(() => {
      if (this.sessionPromise === p) this.sessionPromise = null;
    });
    return p;
  }

  reset(): void {
    this.session = null;
    this.sessionPromise = null;
  }

  core(): CoreCapability {
    return (this.session?.capabilities[CORE] ?? {}) as unknown as CoreCapability;
  }

  /** Capabilities to declare in `using`: the ones this client speaks that the server offers. */
  using(): string[] {
    const offered = this.session?.capabilities ?? {};
    return [CORE, MAIL, SUBMISSION, HANDLING].filter((c) => c === CORE || c === MAIL || c in offered);
  }

  /** Sends the calls of `batch` in one POST to the apiUrl. */
  async send(batch: Batch): Promise<Responses> {
    const session = await this.loadSession();
    const max = this.core().maxCallsInRequest;
    if (max && batch.calls.length > max) throw new JmapRequestError(400, 'urn:ietf:params:jmap:error:limit', '', 'maxCallsInRequest');
    let r: Response;
    try {
      r = await this.fetchImpl(session.apiUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...this.csrfHeaders() },
        credentials: 'same-origin',
        body: JSON.stringify({ using: this.using(), methodCalls: batch.calls }),
      });
    } catch {
      throw new JmapRequestError(0, '', '');
    }
    const body = (await r.json().catch(() => ({}))) as Record<string, unknown>;
    if (!r.ok) throw this.problem(r.status, body);
    const responses = Array.isArray(body.methodResponses) ? (body.methodResponses as Invocation[]) : null;
    if (!responses) throw new JmapRequestError(r.status, 'invalidResponse', '');
    const state = typeof body.sessionState === 'string' ? body.sessionState : '';
    // A new session state, or an account gone (a right revoked): the accounts changed.
    const gone = responses.some((r) => r[0] === 'error' && (r[1] as { type?: string })?.type === 'accountNotFound');
    if ((state && this.session && state !== this.session.state) || gone) {
      this.loadSession(true)
        .then((s) => this.onSessionChanged?.(s))
        .catch(() => undefined);
    }
    return new Responses(responses, state);
  }

  /** Builds a batch with `build`, sends it, and returns what `build` returned with the answers. */
  async run<T>(build: (b: Batch) => T): Promise<{ refs: T; res: Responses }> {
    const b = new Batch();
    const refs = build(b);
    const res = await this.send(b);
    return { refs, res };
  }

  /** One call, its result or a thrown JmapMethodError. */
  async call<T = Record<string, unknown>>(name: string, args: Record<string, unknown>): Promise<T> {
    const { refs, res } = await this.run((b) => b.add(name, args));
    return res.get<T>(refs);
  }

  /**
   * Asks `Type/changes` since `sinceState` until the server has no more, and
   * merges the pages (RFC 8620 §5.2). A `cannotCalculateChanges` answer gives
   * `reset: true`: the caller refetches what it shows.
   */
  async changes(accountId: Id, type: string, sinceState: string, maxChanges = 500): Promise<SyncResult> {
    const created = new Set<Id>();
    const updated = new Set<Id>();
    const destroyed = new Set<Id>();
    let state = sinceState;
    let updatedProperties: string[] | null | undefined;
    for (let round = 0; round < 50; round++) {
      const { refs, res } = await this.run((b) => b.add(`${type}/changes`, { accountId, sinceState: state, maxChanges }));
      const err = res.errorOf(refs);
      if (err === 'cannotCalculateChanges') {
        const st = await this.call<{ state: string }>(`${type}/get`, { accountId, ids: [] });
        return { reset: true, newState: st.state };
      }
      const c = res.get<{
        newState: string;
        hasMoreChanges: boolean;
        created: Id[];
        updated: Id[];
        destroyed: Id[];
        updatedProperties?: string[] | null;
      }>(refs);
      for (const id of c.created) created.add(id);
      for (const id of c.updated) if (!created.has(id)) updated.add(id);
      for (const id of c.destroyed) {
        if (created.has(id)) created.delete(id);
        else destroyed.add(id);
        updated.delete(id);
      }
      updatedProperties = round === 0 ? c.updatedProperties : updatedProperties && c.updatedProperties ? [...new Set([...updatedProperties, ...c.updatedProperties])] : null;
      state = c.newState;
      if (!c.hasMoreChanges) break;
    }
    return { reset: false, created: [...created], updated: [...updated], destroyed: [...destroyed], newState: state, updatedProperties };
  }

  /** The URL that downloads a blob as `name` (RFC 8620 §6.2). */
  downloadUrl(accountId: Id, blobId: Id, name: string, type = 'application/octet-stream'): string {
    const t = this.session?.downloadUrl ?? '/jmap/download/{accountId}/{blobId}/{name}?accept={type}';
    return expandTemplate(t, { accountId, blobId, name: name || 'piece-jointe', type });
  }

  /** A French refusal when `size` exceeds the server's maxSizeUpload, else ''. */
  uploadRefusal(name: string, size: number): string {
    const max = this.core().maxSizeUpload;
    if (max && size > max)
      return `« ${name} » fait ${formatSize(size)}, plus que la taille maximale d’un envoi (${formatSize(max)}) : choisissez un fichier plus petit.`;
    return '';
  }

  /**
   * Uploads `file` to the account (RFC 8620 §6.1) with XMLHttpRequest, so that
   * `onProgress(sent, total)` follows the bytes sent; `signal` aborts it.
   */
  async upload(accountId: Id, file: Blob & { name?: string }, onProgress?: (sent: number, total: number) => void, signal?: AbortSignal): Promise<UploadResult> {
    const session = await this.loadSession();
    const refusal = this.uploadRefusal(file.name || 'fichier', file.size);
    if (refusal) throw new JmapRequestError(413, 'urn:ietf:params:jmap:error:limit', refusal, 'maxSizeUpload');
    const url = expandTemplate(session.uploadUrl, { accountId });
    const make = this.deps.xhr ?? (() => new XMLHttpRequest() as unknown as XhrLike);
    const xhr = make();
    return new Promise<UploadResult>((resolve, reject) => {
      xhr.open('POST', url);
      xhr.withCredentials = true;
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      for (const [k, v] of Object.entries(this.csrfHeaders())) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onload = () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(xhr.responseText || '{}');
        } catch {
          body = {};
        }
        if (xhr.status >= 200 && xhr.status < 300 && typeof body.blobId === 'string') {
          onProgress?.(file.size, file.size);
          resolve(body as unknown as UploadResult);
        } else reject(this.problem(xhr.status || 0, body));
      };
      xhr.onerror = () => reject(new JmapRequestError(0, '', ''));
      xhr.onabort = () => reject(new DOMException('Envoi annulé', 'AbortError'));
      signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(file);
    });
  }

  /** The EventSource URL for `types` (RFC 8620 §7.3); '*' for every type. */
  eventSourceUrl(types: string[] | '*', ping = 60): string {
    const t = this.session?.eventSourceUrl ?? '/jmap/eventsource?types={types}&closeafter={closeafter}&ping={ping}';
    return expandTemplate(t, { types: types === '*' ? '*' : types.join(','), closeafter: 'no', ping: String(ping) });
  }

  /**
   * Subscribes to pushed state changes; returns the function that closes the
   * stream. The browser's EventSource reconnects by itself after a drop;
   * `onReconnect` lets the caller resynchronise what it missed.
   */
  subscribe(types: string[] | '*', onChange: (c: StateChange) => void, onReconnect?: () => void): () => void {
    const make = this.deps.eventSource ?? ((url: string) => new EventSource(url, { withCredentials: true }) as unknown as EventSourceLike);
    const es = make(this.eventSourceUrl(types));
    let dropped = false;
    es.addEventListener('state', (e) => {
      const c = parseStateChange(e.data);
      if (c) onChange(c);
    });
    es.onerror = () => {
      dropped = true;
    };
    es.onopen = () => {
      if (dropped) {
        dropped = false;
        onReconnect?.();
      }
    };
    return () => es.close();
  }
}

/** A size for people: « 12 Ko », « 3,4 Mo ». */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} o`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} Ko`;
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1).replace('.', ',') : Math.round(mb)} Mo`;
}

export const jmap = new JmapClient();
