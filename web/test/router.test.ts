import { describe, expect, it } from 'vitest';
import { href, isPublic, parseRoute } from '../src/lib/router';

describe('hash routes', () => {
  it('reads the mailed links', () => {
    expect(parseRoute('#/activation/abc_DEF-12')).toEqual({ name: 'activation', token: 'abc_DEF-12' });
    expect(parseRoute('#/reinitialisation/xyz')).toEqual({ name: 'reset', token: 'xyz' });
  });
  it('reads the administration pages', () => {
    expect(parseRoute('#/admin/utilisateurs').name).toBe('users');
    expect(parseRoute('#/admin/utilisateurs/42')).toEqual({ name: 'user', id: 42 });
    expect(parseRoute('#/admin/utilisateurs/nouveau?type=INT').name).toBe('user-new');
    expect(parseRoute('#/admin/import').name).toBe('import');
    const t = parseRoute('#/admin/traces?person=a%40x.fr');
    expect(t.name === 'traces' && t.query.get('person')).toBe('a@x.fr');
    const u = parseRoute('#/admin/utilisateurs?q=dup&offset=50');
    expect(u.name === 'users' && u.query.get('q')).toBe('dup');
  });
  it('sends anything else to not-found, hostile text included', () => {
    for (const h of ['#/admin/utilisateurs/-1', '#/admin/utilisateurs/1x', '#/activation', '#/%E0%A4%A', '#/admin/../etc', '#/<script>']) {
      expect(parseRoute(h).name).toBe('not-found');
    }
    expect(parseRoute('').name).toBe('home');
  });
  it('knows which pages a signed-out person may open', () => {
    expect(isPublic(parseRoute('#/connexion'))).toBe(true);
    expect(isPublic(parseRoute('#/activation/t'))).toBe(true);
    expect(isPublic(parseRoute('#/admin/utilisateurs'))).toBe(false);
  });
  it('builds hrefs without empty parameters', () => {
    expect(href('/admin/utilisateurs', { q: 'é', type: '' })).toBe('#/admin/utilisateurs?q=%C3%A9');
  });
});
