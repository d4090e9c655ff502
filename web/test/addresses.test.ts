import { describe, expect, it } from 'vitest';
import { currentToken, looksLikeAddress, replaceCurrentToken, splitAddresses } from '../src/lib/addresses';

describe('splitAddresses', () => {
  it('splits on commas (the form), semicolons (the file) and spaces', () => {
    expect(splitAddresses('a@x.fr, b@x.fr;c@x.fr  d@x.fr\n e@x.fr')).toEqual(['a@x.fr', 'b@x.fr', 'c@x.fr', 'd@x.fr', 'e@x.fr']);
  });
  it('lowercases, drops blanks and repeats, keeps the order', () => {
    expect(splitAddresses(' ,, B@X.fr ; b@x.fr, a@x.fr ,')).toEqual(['b@x.fr', 'a@x.fr']);
    expect(splitAddresses('')).toEqual([]);
    expect(splitAddresses(' ; , ')).toEqual([]);
  });
  it('removes angle brackets pasted from a mail client', () => {
    expect(splitAddresses('<a@x.fr>, <b@x.fr>')).toEqual(['a@x.fr', 'b@x.fr']);
  });
  it('keeps hostile text as text for the server to refuse', () => {
    expect(splitAddresses("x@y.fr'); DROP TABLE accounts;--")).toEqual(["x@y.fr')", 'drop', 'table', 'accounts', '--']);
  });
});

describe('typing in the connection field', () => {
  it('suggests for the address being typed, after the last separator', () => {
    expect(currentToken('a@x.fr, jea')).toBe('jea');
    expect(currentToken('a@x.fr,')).toBe('');
    expect(currentToken('so')).toBe('so');
  });
  it('replaces only that part with the chosen address and adds a comma', () => {
    expect(replaceCurrentToken('a@x.fr, jea', 'jean.dupont@x.fr')).toBe('a@x.fr, jean.dupont@x.fr, ');
    expect(replaceCurrentToken('', 'b@x.fr')).toBe('b@x.fr, ');
  });
  it('checks the shape only loosely', () => {
    expect(looksLikeAddress('a@x.fr')).toBe(true);
    expect(looksLikeAddress('a@x')).toBe(false);
    expect(looksLikeAddress('a b@x.fr')).toBe(false);
  });
});
