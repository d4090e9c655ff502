import { describe, expect, it } from 'vitest';
import { expiryRefusal, tokenList, tokenNameRefusal } from '../src/pages/mail/tokens';
import { queryFromSearch, searchFromQuery } from '../src/components/mail/mail-model';

describe('personal access tokens', () => {
  it('reads the list whatever its envelope', () => {
    const t = { id: 1, name: 'Thunderbird' };
    expect(tokenList({ tokens: [t] })).toEqual([t]);
    expect(tokenList([t])).toEqual([t]);
    expect(tokenList(null)).toEqual([]);
  });
  it('refuses an empty, long or control-character name, and a bad validity, in French', () => {
    expect(tokenNameRefusal('  ')).toContain('donnez un nom');
    expect(tokenNameRefusal('x'.repeat(101))).toContain('100 caractères');
    expect(tokenNameRefusal('a\u0007b')).toContain('caractères de contrôle');
    expect(tokenNameRefusal('Téléphone de garde')).toBe('');
    expect(expiryRefusal('')).toBe('');
    expect(expiryRefusal('90')).toBe('');
    expect(expiryRefusal('0')).toContain('entre 1 et 3 650');
    expect(expiryRefusal('1.5')).toContain('entre 1 et 3 650');
  });
});

describe('search in the URL', () => {
  it('round-trips every field and leaves empty ones out', () => {
    const f = { text: 'radio thorax', from: 'dupont', to: '', after: '2026-11-01', before: '', hasAttachment: true, unread: false, unhandled: true };
    const q = queryFromSearch(f);
    expect(q).toBe('q=radio+thorax&de=dupont&du=2026-11-01&pj=1&nontraites=1');
    expect(searchFromQuery(new URLSearchParams(q))).toEqual({ ...f, to: '', before: '' });
  });
  it('ignores unknown and hostile parameters', () => {
    const f = searchFromQuery(new URLSearchParams('pj=oui&x=<script>&q=%3Cb%3E'));
    expect(f.hasAttachment).toBe(false);
    expect(f.text).toBe('<b>');
  });
});
