// The form « Mot de passe » of « Préférences » (POST /api/me/password): the
// checks made before asking the server, and the server's refusals placed
// beside the field they are about. The server checks everything again and
// alone knows the whole policy (names, common passwords).

export type PasswordField = 'current' | 'new' | 'confirm';
/** A French sentence per field, and `form` for what is about no field. */
export type PasswordRefusals = Partial<Record<PasswordField | 'form', string>>;

export interface PasswordEntry {
  current: string;
  new: string;
  confirm: string;
}

/** The policy's minimum length, in characters (code points: « é » counts once), as auth/password_policy.h. */
export const PASSWORD_MIN_CHARS = 12;
/** Longer passwords are refused by the server before hashing. */
export const PASSWORD_MAX_BYTES = 1024;

/** The refusals found before asking the server; empty when the form may be sent. */
export function passwordRefusals(f: PasswordEntry): PasswordRefusals {
  const out: PasswordRefusals = {};
  if (!f.current) out.current = 'Mot de passe actuel : saisissez le mot de passe avec lequel vous vous êtes connecté.';
  if (!f.new) out.new = 'Nouveau mot de passe : saisissez le mot de passe que vous voulez utiliser désormais.';
  else if ([...f.new].length < PASSWORD_MIN_CHARS)
    out.new = `Nouveau mot de passe : ${PASSWORD_MIN_CHARS} caractères au moins (il en a ${[...f.new].length}). Une phrase de plusieurs mots est plus facile à retenir.`;
  else if (new TextEncoder().encode(f.new).length > PASSWORD_MAX_BYTES) out.new = 'Nouveau mot de passe : il est trop long ; choisissez-en un plus court.';
  else if (f.current && f.new === f.current) out.new = 'Nouveau mot de passe : il doit être différent du mot de passe actuel.';
  if (!f.confirm && f.new) out.confirm = 'Confirmer : saisissez de nouveau le nouveau mot de passe.';
  else if (f.new && f.confirm !== f.new) out.confirm = 'Confirmer : les deux saisies du nouveau mot de passe ne sont pas identiques ; saisissez le même dans les deux champs.';
  return out;
}

export function hasRefusal(r: PasswordRefusals): boolean {
  return Object.values(r).some(Boolean);
}

/** What the API client gives for a refused request (lib/api's ApiError). */
export interface RefusedAnswer {
  status: number;
  detail?: string;
  title?: string;
  retryAfter?: number | null;
  findings?: { header?: string; code?: string; message?: string; field?: string; pointer?: string }[];
  userMessage?: string;
}

function fieldOf(f: { header?: string; code?: string; field?: string; pointer?: string }): PasswordField {
  const hint = [f.field, f.pointer, f.header, f.code]
    .filter(Boolean)
    .join(' ')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  if (/confirm/.test(hint)) return 'confirm';
  if (/\bcurrent\b|actuel|\/current|old/.test(hint)) return 'current';
  return 'new';
}

/**
 * The server's refusal placed by field: 403 is the current password (« Mot de
 * passe actuel incorrect. »); 400 and 422 carry the policy's findings (RFC 7807
 * problem), each beside its field (by `field`, `pointer` or `header`; the new
 * password otherwise); 429 says how long to wait; anything else is about the
 * form as a whole.
 */
export function serverRefusals(e: RefusedAnswer): PasswordRefusals {
  const detail = (e.detail || e.title || '').trim();
  const out: PasswordRefusals = {};
  const add = (field: PasswordField | 'form', text: string) => {
    const t = text.trim();
    if (!t) return;
    out[field] = out[field] ? `${out[field]} ${t}` : t;
  };
  switch (e.status) {
    case 403:
      // A 403 that is not about the password (a refused CSRF token) is about the form.
      if (!detail || /mot de passe/i.test(detail)) add('current', detail || 'Mot de passe actuel incorrect.');
      else add('form', detail);
      return out;
    case 400:
    case 422: {
      const findings = (Array.isArray(e.findings) ? e.findings : []).filter((f) => f && typeof f.message === 'string' && f.message.trim());
      for (const f of findings) add(fieldOf(f), f.message!);
      if (!findings.length) add('new', detail || 'Nouveau mot de passe : il ne respecte pas les règles ci-dessus.');
      return out;
    }
    case 429: {
      const wait = e.retryAfter && e.retryAfter > 0 ? ` Réessayez dans ${e.retryAfter} s.` : ' Patientez avant de réessayer.';
      add('form', `Trop de tentatives.${wait}`);
      return out;
    }
    case 404:
      add('form', 'Le changement de mot de passe n’est pas disponible sur ce serveur : utilisez le lien envoyé par mail ci-dessous.');
      return out;
    default:
      add('form', e.userMessage || detail || 'Le mot de passe n’a pas pu être changé. Réessayez dans un instant.');
      return out;
  }
}
