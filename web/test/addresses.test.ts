import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  comboKey,
  currentToken,
  DirectoryLookup,
  looksLikeAddress,
  MAX_SUGGESTIONS,
  mergeSuggestions,
  recipientEntry,
  recipientQuery,
  replaceCurrentToken,
  replaceRecipientQuery,
  splitAddresses,
  takenAddresses,
  type DirectoryEntry,
} from '../src/lib/addresses';

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

describe('recipients of a message: recent correspondents merged with the directory', () => {
  const recent = [
    { name: 'Dr Jean Dupont', email: 'Jean.Dupont@chu-demo.fr' },
    { name: null, email: 'labo@analyses.fr' },
    { name: 'Julie Durand', email: 'julie.durand@ext.fr' },
  ];
  // What the directory answers for « dup ».
  const dup = {
    query: 'dup',
    entries: [
      { name: 'Jean DUPONT', address: 'jean.dupont@chu-demo.fr', type: 'PER', typeLabel: 'Professionnel de santé', structure: 'CHU Démo' },
      { name: 'Marc Dupuis', address: 'marc.dupuis@chu-demo.fr', type: 'PER', typeLabel: 'Professionnel de santé', structure: 'CHU Démo' },
    ] as DirectoryEntry[],
  };
  const none = { query: '', entries: [] };

  it('keeps one entry per address, a recent correspondent gaining the structure from the directory', () => {
    const list = mergeSuggestions('dup', recent, dup);
    expect(list.map((s) => s.email)).toEqual(['jean.dupont@chu-demo.fr', 'marc.dupuis@chu-demo.fr']);
    expect(list[0]).toEqual({ name: 'Dr Jean Dupont', email: 'jean.dupont@chu-demo.fr', structure: 'CHU Démo', typeLabel: 'Professionnel de santé', source: 'recent' });
    expect(list[1]).toMatchObject({ name: 'Marc Dupuis', structure: 'CHU Démo', source: 'directory' });
  });

  it('ranks the start of a name or address, then the start of a word, then anywhere; recent first at equal match', () => {
    const dir = {
      query: 'mar',
      entries: [
        { name: 'Anne Martinez', address: 'a.martinez@x.fr' }, // « mar » starts a word
        { name: 'Marc Dupuis', address: 'marc.dupuis@x.fr' }, // starts the name
        { name: 'Omar Ba', address: 'omar.ba@x.fr' }, // inside a word
      ],
    };
    const rec = [{ name: 'Lamar Jones', email: 'l.jones@y.fr' }, { name: 'Marie Curie', email: 'marie@y.fr' }];
    expect(mergeSuggestions('mar', rec, dir).map((s) => s.name)).toEqual(['Marie Curie', 'Marc Dupuis', 'Anne Martinez', 'Lamar Jones', 'Omar Ba']);
  });

  it('matches without regard to case or accents', () => {
    expect(mergeSuggestions('DUP', recent, none).map((s) => s.email)).toEqual(['jean.dupont@chu-demo.fr']);
    expect(mergeSuggestions('étienne', [{ name: 'Etienne Roux', email: 'e.roux@x.fr' }], none).length).toBe(1);
    expect(mergeSuggestions('Dup', [], dup).length).toBe(2);
  });

  it('leaves out the addresses already in À, Cc or Cci, and recent ones that do not match', () => {
    const taken = takenAddresses('Dr Jean Dupont <jean.dupont@chu-demo.fr>, dup', 'MARC.DUPUIS@chu-demo.fr; ', '');
    expect([...taken]).toEqual(['jean.dupont@chu-demo.fr', 'marc.dupuis@chu-demo.fr']);
    expect(mergeSuggestions('dup', recent, dup, taken)).toEqual([]);
    expect(mergeSuggestions('du', recent, { query: 'du', entries: dup.entries }, taken).map((s) => s.email)).toEqual(['julie.durand@ext.fr']);
    expect(mergeSuggestions('labo', recent, none).map((s) => s.email)).toEqual(['labo@analyses.fr']);
    expect(mergeSuggestions('  ', recent, dup)).toEqual([]);
  });

  it('keeps what the directory matched on fields not shown, last; an older answer only where it still matches', () => {
    const cardio = { query: 'cardio', entries: [{ name: 'Paul Roy', address: 'p.roy@x.fr', structure: 'Cardiologie' }, { name: 'Cardio Team', address: 'c@x.fr' }] };
    expect(mergeSuggestions('cardio', [], cardio).map((s) => s.email)).toEqual(['c@x.fr', 'p.roy@x.fr']);
    // « dupu » typed while the answer for « dup » is the last one received.
    expect(mergeSuggestions('dupu', [], dup).map((s) => s.email)).toEqual(['marc.dupuis@chu-demo.fr']);
  });

  it('shows 8 at most', () => {
    const many = { query: 'dup', entries: Array.from({ length: 20 }, (_, i) => ({ name: `Dupont ${i}`, address: `d${i}@x.fr` })) };
    expect(mergeSuggestions('dup', recent, many).length).toBe(MAX_SUGGESTIONS);
  });

  it('takes hostile names as text, and writes a safe « Nom <adresse> » entry', () => {
    const list = mergeSuggestions('<img', [], { query: '<img', entries: [{ name: '<img src=x onerror=alert(1)>', address: 'x@y.fr' }] });
    expect(list[0].name).toBe('<img src=x onerror=alert(1)>');
    expect(recipientEntry({ name: 'Dupont, Jean <chef>', email: 'j@x.fr' })).toBe('Dupont Jean chef <j@x.fr>');
    expect(recipientEntry({ name: 'A "B"\r\nBcc: z@w.fr', email: 'j@x.fr' })).toBe('A B Bcc: z@w.fr <j@x.fr>');
    expect(recipientEntry({ name: '', email: 'j@x.fr' })).toBe('j@x.fr');
  });

  it('replaces only the recipient being typed, names with spaces included', () => {
    expect(recipientQuery('Dr Jean Dupont <j@x.fr>, mar')).toBe('mar');
    expect(recipientQuery('jean du')).toBe('jean du');
    expect(replaceRecipientQuery('Dr Jean Dupont <j@x.fr>; jean du', 'Marc <m@x.fr>')).toBe('Dr Jean Dupont <j@x.fr>, Marc <m@x.fr>, ');
    expect(replaceRecipientQuery('', 'm@x.fr')).toBe('m@x.fr, ');
  });
});

describe('directory lookup as the person types', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(answer: (q: string, signal: AbortSignal) => Promise<DirectoryEntry[]>) {
    const asked: string[] = [];
    const answers: [string, string[]][] = [];
    const lookup = new DirectoryLookup(
      (q, signal) => {
        asked.push(q);
        return answer(q, signal);
      },
      (q, entries) => answers.push([q, entries.map((e) => e.address)]),
      150,
      () => Date.now(),
    );
    return { lookup, asked, answers };
  }
  const entry = (q: string): DirectoryEntry[] => [{ name: q, address: `${q}@x.fr` }];

  it('asks once, 150 ms after the last keystroke, and not for fewer than 2 characters', async () => {
    const { lookup, asked, answers } = setup(async (q) => entry(q));
    lookup.type('d');
    expect(answers).toEqual([['d', []]]);
    lookup.type('du');
    await vi.advanceTimersByTimeAsync(100);
    lookup.type('dup');
    await vi.advanceTimersByTimeAsync(149);
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual(['dup']);
    expect(answers.at(-1)).toEqual(['dup', ['dup@x.fr']]);
  });

  it('aborts the older request: its late answer never replaces the newer one', async () => {
    const pending = new Map<string, (v: DirectoryEntry[]) => void>();
    const signals = new Map<string, AbortSignal>();
    const { lookup, answers } = setup(
      (q, signal) =>
        new Promise((ok) => {
          pending.set(q, ok);
          signals.set(q, signal);
        }),
    );
    lookup.type('du');
    await vi.advanceTimersByTimeAsync(150);
    lookup.type('dup');
    await vi.advanceTimersByTimeAsync(150);
    expect(signals.get('du')!.aborted).toBe(true);
    pending.get('dup')!(entry('dup'));
    await vi.advanceTimersByTimeAsync(0);
    pending.get('du')!(entry('du'));
    await vi.advanceTimersByTimeAsync(0);
    expect(answers).toEqual([['dup', ['dup@x.fr']]]);
  });

  it('answers from its memory when the person types back, and nothing after cancel', async () => {
    const { lookup, asked, answers } = setup(async (q) => entry(q));
    lookup.type('dup');
    await vi.advanceTimersByTimeAsync(150);
    lookup.type('dupo');
    await vi.advanceTimersByTimeAsync(150);
    lookup.type('Dup');
    expect(answers.at(-1)).toEqual(['Dup', ['dup@x.fr']]);
    expect(asked).toEqual(['dup', 'dupo']);
    lookup.type('mart');
    lookup.cancel();
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked).toEqual(['dup', 'dupo']);
  });

  it('after a 429 waits for Retry-After, answering empty meanwhile; other failures answer empty', async () => {
    let fail: unknown = Object.assign(new Error('trop'), { status: 429, retryAfter: 2 });
    const { lookup, asked, answers } = setup(async (q) => {
      if (fail) throw fail;
      return entry(q);
    });
    lookup.type('du');
    await vi.advanceTimersByTimeAsync(150);
    expect(answers.at(-1)).toEqual(['du', []]);
    fail = null;
    lookup.type('dup');
    await vi.advanceTimersByTimeAsync(150);
    expect(asked).toEqual(['du']);
    expect(answers.at(-1)).toEqual(['dup', []]);
    await vi.advanceTimersByTimeAsync(2000);
    lookup.type('dupo');
    await vi.advanceTimersByTimeAsync(150);
    expect(asked).toEqual(['du', 'dupo']);
    expect(answers.at(-1)).toEqual(['dupo', ['dupo@x.fr']]);
    fail = Object.assign(new Error('panne'), { status: 500 });
    lookup.type('marti');
    await vi.advanceTimersByTimeAsync(150);
    expect(answers.at(-1)).toEqual(['marti', []]);
  });
});

describe('keyboard of the recipient list', () => {
  it('moves with the arrows and wraps; nothing is active until an arrow is pressed', () => {
    expect(comboKey('ArrowDown', 3, -1)).toMatchObject({ active: 0, handled: true });
    expect(comboKey('ArrowDown', 3, 2)).toMatchObject({ active: 0 });
    expect(comboKey('ArrowUp', 3, 0)).toMatchObject({ active: 2 });
    expect(comboKey('ArrowUp', 3, -1)).toMatchObject({ active: 2 });
    expect(comboKey('End', 3, 0)).toMatchObject({ active: 2, handled: true });
    expect(comboKey('Home', 3, 2)).toMatchObject({ active: 0 });
    expect(comboKey('ArrowDown', 0, -1)).toMatchObject({ active: -1, handled: false });
  });
  it('picks the active option with Enter or Tab, and keeps a typed address otherwise', () => {
    expect(comboKey('Enter', 3, 1)).toEqual({ active: -1, pick: 1, close: true, handled: true });
    expect(comboKey('Tab', 3, 2)).toEqual({ active: -1, pick: 2, close: true, handled: true });
    // Nothing active: Enter closes the list and does not send; Tab moves on.
    expect(comboKey('Enter', 3, -1)).toEqual({ active: -1, pick: -1, close: true, handled: true });
    expect(comboKey('Enter', 0, -1)).toMatchObject({ pick: -1, handled: true });
    expect(comboKey('Tab', 3, -1)).toEqual({ active: -1, pick: -1, close: true, handled: false });
    expect(comboKey('Enter', 2, 5)).toMatchObject({ pick: -1 });
  });
  it('closes with Escape only when open, so Escape then closes the form', () => {
    expect(comboKey('Escape', 3, 1)).toEqual({ active: -1, pick: -1, close: true, handled: true });
    expect(comboKey('Escape', 0, -1).handled).toBe(false);
    expect(comboKey('a', 3, 1)).toEqual({ active: 1, pick: -1, close: false, handled: false });
  });
});
