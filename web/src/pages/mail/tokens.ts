// Personal access tokens as GET /api/me/tokens gives them, and the checks of
// the form that creates one (the server checks again).
export interface AccessToken {
  id: number | string;
  name: string;
  created_at?: string | null;
  last_used_at?: string | null;
  expires_at?: string | null;
  expired?: boolean;
}

/** The token list whatever its envelope: a bare array or {items|tokens: [...]}. */
export function tokenList(body: unknown): AccessToken[] {
  if (Array.isArray(body)) return body as AccessToken[];
  const o = (body || {}) as { items?: AccessToken[]; tokens?: AccessToken[] };
  return o.items || o.tokens || [];
}

/** A token name a person may give: 1 to 100 printable characters. */
export function tokenNameRefusal(name: string): string {
  const n = name.trim();
  if (!n) return 'Nom : donnez un nom à ce jeton (exemple : « Thunderbird du bureau »).';
  if (n.length > 100) return 'Nom : 100 caractères au plus.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(n)) return 'Nom : retirez les caractères de contrôle.';
  return '';
}

/** The validity a person picked: empty (none) or a whole number of days from 1 to 3650. */
export function expiryRefusal(days: string): string {
  if (!days) return '';
  const n = Number(days);
  if (!Number.isInteger(n) || n < 1 || n > 3650) return 'Durée de validité : entre 1 et 3 650 jours, ou sans expiration.';
  return '';
}
