// The JSON API client: same-origin cookies, the CSRF header on every change,
// problem+json errors (RFC 9457) turned into ApiError with their findings.

export interface Finding {
  header: string;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly findings: Finding[];
  readonly retryAfter: number | null;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>, retryAfter: number | null) {
    const title = typeof body.title === 'string' ? body.title : '';
    const detail = typeof body.detail === 'string' ? body.detail : '';
    super(detail || title || `Erreur ${status}`);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.findings = Array.isArray(body.findings) ? (body.findings as Finding[]) : [];
    this.retryAfter = retryAfter;
    this.body = body;
  }

  /** The sentence to show a person: the server's detail, else a French default. */
  get userMessage(): string {
    if (this.detail) return this.detail;
    if (this.title) return this.title;
    return defaultMessage(this.status);
  }
}

export function defaultMessage(status: number): string {
  switch (status) {
    case 0:
      return 'Le serveur ne répond pas. Vérifiez votre connexion puis réessayez.';
    case 401:
      return 'Votre session a expiré : connectez-vous de nouveau.';
    case 403:
      return "Vous n'avez pas le droit de faire cette action.";
    case 404:
      return "Cet élément n'existe pas ou vous n'y avez pas accès.";
    case 413:
      return 'Le fichier est trop volumineux.';
    case 429:
      return 'Trop de tentatives : patientez avant de réessayer.';
    default:
      return status >= 500
        ? 'Le serveur a rencontré une erreur. Réessayez dans un instant.'
        : `La demande a été refusée (${status}).`;
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Reads a cookie's value from a `document.cookie`-shaped string. */
export function readCookie(cookies: string, name: string): string {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return '';
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  raw?: Blob | ArrayBuffer;
  contentType?: string;
  signal?: AbortSignal;
}

/** Builds `path?query`, leaving out empty values. */
export function withQuery(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}

export class Api {
  /** Called when an answer says the session is gone (401), except for sign-in. */
  onUnauthenticated: (() => void) | null = null;
  private csrf = '';

  constructor(
    private readonly fetchImpl: FetchLike = (i, init) => fetch(i, init),
    private readonly cookies: () => string = () => (typeof document !== 'undefined' ? document.cookie : ''),
  ) {}

  setCsrf(token: string): void {
    this.csrf = token;
  }

  csrfToken(): string {
    return readCookie(this.cookies(), 'caduce_csrf') || this.csrf;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let body: BodyInit | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw as BodyInit;
      headers['Content-Type'] = opts.contentType || 'application/octet-stream';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] = 'application/json';
    }
    if (method !== 'GET' && method !== 'HEAD') {
      const token = this.csrfToken();
      if (token) headers['X-CSRF-Token'] = token;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(withQuery(path, opts.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
        signal: opts.signal,
      });
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw e;
      throw new ApiError(0, {}, null);
    }
    if (response.status === 204) return undefined as T;
    const type = response.headers.get('Content-Type') || '';
    const isJson = type.includes('json');
    const data = isJson ? await response.json().catch(() => ({})) : {};
    if (!response.ok) {
      const retry = response.headers.get('Retry-After');
      const error = new ApiError(response.status, data as Record<string, unknown>, retry ? Number(retry) : null);
      if (response.status === 401 && path !== '/api/session' && this.onUnauthenticated) this.onUnauthenticated();
      throw error;
    }
    return data as T;
  }

  get<T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { query, signal });
  }
  post<T>(path: string, body?: unknown, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('POST', path, { body: body ?? {}, query });
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }
  del<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }
}

export const api = new Api();
