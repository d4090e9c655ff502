// Hash routes: the mails link to #/activation/<token> and
// #/reinitialisation/<token>, so the whole app uses the hash.
export type Route =
  | { name: 'home' }
  | { name: 'signin' }
  | { name: 'forgot' }
  | { name: 'activation'; token: string }
  | { name: 'reset'; token: string }
  | { name: 'users'; query: URLSearchParams }
  | { name: 'user-new'; query: URLSearchParams }
  | { name: 'user'; id: number }
  | { name: 'import' }
  | { name: 'traces'; query: URLSearchParams }
  | { name: 'mail'; accountId: string; mailboxId: string; emailId: string; query: URLSearchParams }
  | { name: 'preferences' }
  | { name: 'not-found' };

/** A JMAP Id as RFC 8620 §1.2 allows it (1–255 of A-Z a-z 0-9 - _). */
const JMAP_ID = /^[A-Za-z0-9_-]{1,255}$/;

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 0) return { name: 'home' };
  const [a, b, c] = parts;
  if (a === 'connexion' && parts.length === 1) return { name: 'signin' };
  if (a === 'mot-de-passe-oublie' && parts.length === 1) return { name: 'forgot' };
  if (a === 'activation' && b && parts.length === 2) return { name: 'activation', token: b };
  if (a === 'reinitialisation' && b && parts.length === 2) return { name: 'reset', token: b };
  if (a === 'preferences' && parts.length === 1) return { name: 'preferences' };
  if (a === 'mail' && parts.length <= 4 && parts.slice(1).every((p) => JMAP_ID.test(p))) {
    return { name: 'mail', accountId: b || '', mailboxId: c || '', emailId: parts[3] || '', query };
  }
  if (a === 'admin') {
    if (b === undefined || (b === 'utilisateurs' && c === undefined)) return { name: 'users', query };
    if (b === 'utilisateurs' && c === 'nouveau' && parts.length === 3) return { name: 'user-new', query };
    if (b === 'utilisateurs' && c && /^\d+$/.test(c) && parts.length === 3) return { name: 'user', id: Number(c) };
    if (b === 'import' && parts.length === 2) return { name: 'import' };
    if (b === 'traces' && parts.length === 2) return { name: 'traces', query };
  }
  return { name: 'not-found' };
}

export function href(path: string, query?: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

/** Routes a signed-out person may open. */
export function isPublic(r: Route): boolean {
  return r.name === 'signin' || r.name === 'forgot' || r.name === 'activation' || r.name === 'reset';
}
