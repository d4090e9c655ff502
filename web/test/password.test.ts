import { describe, expect, it } from 'vitest';
import { hasRefusal, passwordRefusals, serverRefusals } from '../src/pages/mail/password';

const good = 'Trois chats gris dorment';

describe('the password form of « Préférences », before asking the server', () => {
  it('names each empty field', () => {
    const r = passwordRefusals({ current: '', new: '', confirm: '' });
    expect(r.current).toMatch(/^Mot de passe actuel : saisissez/);
    expect(r.new).toMatch(/^Nouveau mot de passe : saisissez/);
    expect(r.confirm).toBeUndefined();
    expect(passwordRefusals({ current: 'x', new: good, confirm: '' }).confirm).toMatch(/^Confirmer : saisissez/);
  });
  it('refuses a mismatch beside « Confirmer »', () => {
    const r = passwordRefusals({ current: 'ancien-mot-de-passe', new: good, confirm: `${good} ` });
    expect(r).toEqual({ confirm: expect.stringContaining('ne sont pas identiques') });
  });
  it('counts characters, not bytes, for the minimum of 12', () => {
    expect(passwordRefusals({ current: 'a', new: 'éééééééééé', confirm: 'éééééééééé' }).new).toContain('12 caractères au moins (il en a 10)');
    expect(passwordRefusals({ current: 'a', new: 'éééééééééééé', confirm: 'éééééééééééé' })).toEqual({});
  });
  it('refuses the same password, and one longer than the server hashes', () => {
    expect(passwordRefusals({ current: good, new: good, confirm: good }).new).toContain('différent du mot de passe actuel');
    const huge = 'x'.repeat(2000);
    expect(passwordRefusals({ current: 'a', new: huge, confirm: huge }).new).toContain('trop long');
  });
  it('lets a good form through', () => {
    const r = passwordRefusals({ current: 'Caduce-Essai-2026', new: good, confirm: good });
    expect(hasRefusal(r)).toBe(false);
  });
});

describe('the server’s refusals, beside their field', () => {
  it('puts 403 beside « Mot de passe actuel »', () => {
    expect(serverRefusals({ status: 403, detail: 'Mot de passe actuel incorrect.' })).toEqual({ current: 'Mot de passe actuel incorrect.' });
    expect(serverRefusals({ status: 403 })).toEqual({ current: 'Mot de passe actuel incorrect.' });
  });
  it('keeps a 403 that is not about the password (CSRF) for the form', () => {
    expect(serverRefusals({ status: 403, detail: 'Jeton CSRF absent ou invalide.' })).toEqual({ form: 'Jeton CSRF absent ou invalide.' });
  });
  it('maps the policy findings of a 422 problem to their fields', () => {
    const r = serverRefusals({
      status: 422,
      detail: 'Le mot de passe ne respecte pas les règles.',
      findings: [
        { header: 'Nouveau mot de passe', code: 'password.contains_name', message: 'Il ne doit pas contenir votre nom.' },
        { field: 'new', message: 'C’est un mot de passe courant.' },
        { pointer: '/current', message: 'Saisissez votre mot de passe actuel.' },
        { header: 'Confirmer', message: 'Différent.' },
        { header: 'x', message: '   ' },
      ],
    });
    expect(r).toEqual({
      new: 'Il ne doit pas contenir votre nom. C’est un mot de passe courant.',
      current: 'Saisissez votre mot de passe actuel.',
      confirm: 'Différent.',
    });
  });
  it('shows the detail of a 400 without findings beside the new password', () => {
    expect(serverRefusals({ status: 400, detail: 'Au moins 12 caractères.' })).toEqual({ new: 'Au moins 12 caractères.' });
    expect(serverRefusals({ status: 400, findings: 'nope' as never }).new).toContain('ne respecte pas');
  });
  it('says how long to wait after a 429, and falls back for the rest', () => {
    expect(serverRefusals({ status: 429, retryAfter: 30 }).form).toBe('Trop de tentatives. Réessayez dans 30 s.');
    expect(serverRefusals({ status: 429 }).form).toContain('Patientez');
    expect(serverRefusals({ status: 404 }).form).toContain('lien');
    expect(serverRefusals({ status: 500, userMessage: 'Le serveur a rencontré une erreur.' })).toEqual({ form: 'Le serveur a rencontré une erreur.' });
  });
  it('shows hostile server text as text only (no markup is built here)', () => {
    expect(serverRefusals({ status: 422, findings: [{ message: '<img src=x onerror=alert(1)>' }] }).new).toBe('<img src=x onerror=alert(1)>');
  });
});
