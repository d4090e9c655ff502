import { describe, expect, it } from 'vitest';
import {
  accountIdFor,
  buildFilter,
  draftFor,
  handlingLines,
  handlingMark,
  listDate,
  pagesToFetch,
  parseAddressList,
  remoteImagesNotice,
  searchRefusal,
  shortcutFor,
  sortFolders,
  threadIdsToShow,
  visibleRange,
  type EmailSummary,
  type MailboxInfo,
} from '../src/components/mail/mail-model';
import { attributeAllowed, defuseHandlers, elementVerdict, escapeHtml, frameCsp, frameDocument, safeUrl } from '../src/components/mail/sanitize';

describe('virtual list', () => {
  it('renders only the rows in view plus an overscan, at 100,000 messages', () => {
    const r = visibleRange(50_000 * 56, 800, 56, 100_000, 8);
    expect(r).toEqual({ start: 49_992, end: 50_024 });
    expect(r.end - r.start).toBeLessThan(40);
  });
  it('clamps at both ends and for an empty list', () => {
    expect(visibleRange(-100, 600, 50, 1000, 5)).toEqual({ start: 0, end: 18 });
    expect(visibleRange(1e9, 600, 50, 1000, 5).end).toBe(1000);
    expect(visibleRange(0, 600, 50, 0)).toEqual({ start: 0, end: 0 });
  });
  it('asks only for the pages of 50 that are missing', () => {
    const have = new Set([1]);
    expect(pagesToFetch(40, 160, (p) => have.has(p))).toEqual([0, 2, 3]);
    expect(pagesToFetch(10, 10, () => false)).toEqual([]);
  });
});

describe('search filter', () => {
  it('builds an Email/query filter with text, sender, recipient, attachment', () => {
    expect(buildFilter('F1', { text: ' radio ', from: 'dupont', to: 'secretariat', hasAttachment: true }, 0)).toEqual({
      inMailbox: 'F1',
      text: 'radio',
      from: 'dupont',
      to: 'secretariat',
      hasAttachment: true,
    });
  });
  it('makes « Au » include the whole local day', () => {
    const f = buildFilter('F1', { after: '2026-11-01', before: '2026-11-27' }, -60);
    expect(f.after).toBe('2026-10-31T23:00:00Z');
    expect(f.before).toBe('2026-11-27T23:00:00Z');
  });
  it('« non traités » and « non lus » together become an AND of two notKeyword', () => {
    expect(buildFilter('F1', { unhandled: true }, 0)).toEqual({ inMailbox: 'F1', notKeyword: '$answered' });
    expect(buildFilter('F1', { unhandled: true, unread: true }, 0)).toEqual({
      operator: 'AND',
      conditions: [{ inMailbox: 'F1', notKeyword: '$seen' }, { notKeyword: '$answered' }],
    });
  });
  it('refuses dates that are not dates or in the wrong order, in French', () => {
    expect(searchRefusal({ after: '2026-13' })).toContain('« Reçu à partir du » invalide');
    expect(searchRefusal({ after: '2026-11-30', before: '2026-11-01' })).toContain('inversez');
    expect(searchRefusal({ after: '2026-11-01' })).toBe('');
  });
});

describe('addresses', () => {
  it('splits names and addresses, lowercases, drops duplicates, names what is not an address', () => {
    const r = parseAddressList('Jean Dupont <Jean.Dupont@CHU-demo.fr>; sophie.martin@chu-demo.fr, jean.dupont@chu-demo.fr, pas une adresse, <script>@x');
    expect(r.addresses).toEqual([{ name: 'Jean Dupont', email: 'jean.dupont@chu-demo.fr' }, { email: 'sophie.martin@chu-demo.fr' }]);
    expect(r.invalid).toEqual(['pas une adresse', '<script>@x']);
  });
  it('refuses an address over 254 characters', () => {
    expect(parseAddressList(`${'a'.repeat(250)}@x.fr`).invalid).toHaveLength(1);
  });
});

const MSG: EmailSummary = {
  id: 'M1',
  threadId: 'T1',
  mailboxIds: { F1: true },
  keywords: {},
  from: [{ name: 'Dr Jean Dupont', email: 'jean.dupont@chu-demo.fr' }],
  to: [{ email: 'secretariat@chu-demo.fr' }, { email: 'sophie.martin@chu-demo.fr' }],
  cc: [{ email: 'Secretariat@chu-demo.fr' }, { email: 'lucas.bernard@chu-demo.fr' }],
  subject: 'Compte rendu',
  receivedAt: '2026-11-27T10:15:00Z',
  messageId: ['abc@chu-demo.fr'],
  references: ['root@chu-demo.fr'],
};

describe('replies and forwards', () => {
  it('replies to the sender with Re, the thread headers and the quoted text', () => {
    const d = draftFor('reply', MSG, 'Bonjour\nCordialement', 'secretariat@chu-demo.fr');
    expect(d.to).toBe('Dr Jean Dupont <jean.dupont@chu-demo.fr>');
    expect(d.cc).toBe('');
    expect(d.subject).toBe('Re : Compte rendu');
    expect(d.inReplyTo).toEqual(['abc@chu-demo.fr']);
    expect(d.references).toEqual(['root@chu-demo.fr', 'abc@chu-demo.fr']);
    expect(d.body).toContain('> Bonjour\n> Cordialement');
  });
  it('replies to all without the mailbox itself and without duplicates', () => {
    const d = draftFor('reply-all', MSG, '', 'secretariat@chu-demo.fr');
    expect(d.cc).toBe('sophie.martin@chu-demo.fr, lucas.bernard@chu-demo.fr');
  });
  it('prefers Reply-To and does not stack prefixes', () => {
    const d = draftFor('reply', { ...MSG, subject: 'RE: Compte rendu', replyTo: [{ email: 'bureau@chu-demo.fr' }] }, '', 'x@y.fr');
    expect(d.to).toBe('bureau@chu-demo.fr');
    expect(d.subject).toBe('RE: Compte rendu');
  });
  it('forwards with Tr and the original headers, no recipient', () => {
    const d = draftFor('forward', MSG, 'Texte', 'secretariat@chu-demo.fr');
    expect(d.to).toBe('');
    expect(d.subject).toBe('Tr : Compte rendu');
    expect(d.body).toContain('-------- Message transféré --------');
    expect(d.body).toContain('De : Dr Jean Dupont <jean.dupont@chu-demo.fr>');
    expect(d.inReplyTo).toBeNull();
  });
});

describe('threads', () => {
  it('lists the newest of a long thread, the message opened among them', () => {
    const ids = Array.from({ length: 100000 }, (_, i) => `M${i}`);
    expect(threadIdsToShow(ids, 'M99999', 50)).toEqual(ids.slice(-50));
    const old = threadIdsToShow(ids, 'M3', 50);
    expect(old).toHaveLength(50);
    expect(old[0]).toBe('M3');
    expect(old.slice(1)).toEqual(ids.slice(-49));
    expect(threadIdsToShow(['A', 'B'], 'A', 50)).toEqual(['A', 'B']);
    expect(threadIdsToShow(['A', 'B'], 'Z', 1)).toEqual(['B']);
    expect(threadIdsToShow(['A'], 'A', 0)).toEqual([]);
  });
});

describe('who handled a message', () => {
  const list = [
    { action: 'opened', person: 'anne.roux@chu-demo.fr', at: '2026-11-27T09:00:00Z' },
    { action: 'answered', person: 'anne.roux@chu-demo.fr', at: '2026-11-27T09:30:00Z' },
    { action: 'opened', person: 'paul.henry@chu-demo.fr', at: 1_796_000_000_000_000 },
  ];
  it('lists each action in French, newest first', () => {
    const lines = handlingLines(list);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Ouvert par paul\.henry@chu-demo\.fr le /);
    expect(lines[1]).toMatch(/^Répondu par anne\.roux@chu-demo\.fr le 27\/11\/2026 à /);
  });
  it('marks the list row with the answer before any opening', () => {
    expect(handlingMark(list)).toBe('Répondu par anne.roux@chu-demo.fr');
    expect(handlingMark([])).toBe('');
    expect(handlingLines([{ action: 'seen', by: 'anne.roux@chu-demo.fr', at: '2026-11-27T09:00:00Z' }])[0]).toMatch(/^Marqué lu par anne\.roux@chu-demo\.fr le /);
  });
});

describe('dates, folders, accounts, shortcuts', () => {
  it('shows the time today, « hier », and dates otherwise', () => {
    const now = new Date(2026, 10, 27, 15, 0);
    expect(listDate(new Date(2026, 10, 27, 9, 5).toISOString(), now)).toBe('09:05');
    expect(listDate(new Date(2026, 10, 26, 9, 5).toISOString(), now)).toBe('hier');
    expect(listDate(new Date(2025, 0, 2).toISOString(), now)).toBe('02/01/2025');
    expect(listDate('garbage', now)).toBe('');
  });
  it('orders the standard folders as the guide and names them in French', () => {
    const f = (id: string, role: string | null, name = id): MailboxInfo => ({ id, name, role, parentId: null, sortOrder: 0, totalEmails: 0, unreadEmails: 0 });
    expect(sortFolders([f('z', null, 'Zeta'), f('t', 'trash'), f('i', 'inbox'), f('a', null, 'Alpha'), f('s', 'sent')]).map((m) => m.id)).toEqual(['i', 's', 't', 'a', 'z']);
  });
  it('finds the JMAP account of a mailbox of /api/me', () => {
    const accounts = { A12: { name: 'claire.petit@chu-demo.fr' }, A40: { name: 'Secrétariat' }, X: { name: 'autre@chu-demo.fr' } };
    expect(accountIdFor(accounts, { id: 40, address: 'secretariat@chu-demo.fr' })).toBe('A40');
    expect(accountIdFor(accounts, { id: 7, address: 'autre@chu-demo.fr' })).toBe('X');
    expect(accountIdFor(accounts, { id: 8, address: 'nobody@chu-demo.fr' })).toBe('');
  });
  it('maps keys to actions, never while typing nor with modifiers', () => {
    expect(shortcutFor({ key: 'r' })).toBe('reply');
    expect(shortcutFor({ key: '?' })).toBe('help');
    expect(shortcutFor({ key: 'r', ctrlKey: true })).toBeNull();
    expect(shortcutFor({ key: 'r', target: { tagName: 'TEXTAREA' } })).toBeNull();
    expect(shortcutFor({ key: 'Escape', target: { tagName: 'INPUT' } })).toBe('close');
  });
});

describe('sanitiser policy', () => {
  it('drops scripts, frames, forms and their content; unwraps unknown elements', () => {
    for (const t of ['script', 'SCRIPT', 'style', 'iframe', 'form', 'input', 'object', 'embed', 'svg', 'math', 'base', 'meta', 'link', 'textarea'])
      expect(elementVerdict(t)).toBe('drop');
    expect(elementVerdict('p')).toBe('keep');
    expect(elementVerdict('blink')).toBe('unwrap');
    expect(elementVerdict('body')).toBe('unwrap');
  });
  it('refuses event handlers, styles, ids and unknown attributes', () => {
    expect(attributeAllowed('img', 'onerror')).toBe(false);
    expect(attributeAllowed('a', 'ONCLICK')).toBe(false);
    expect(attributeAllowed('div', 'style')).toBe(false);
    expect(attributeAllowed('a', 'xlink:href')).toBe(false);
    expect(attributeAllowed('img', 'srcset')).toBe(false);
    expect(attributeAllowed('a', 'href')).toBe(true);
    expect(attributeAllowed('div', 'href')).toBe(false);
    expect(attributeAllowed('td', 'colspan')).toBe(true);
  });
  it('keeps only safe link schemes, whatever the disguise', () => {
    for (const bad of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', 'java\u0000script:x', 'vbscript:x', 'data:text/html,<script>', 'file:///etc/passwd', ''])
      expect(safeUrl(bad, 'link')).toBe('bad');
    for (const ok of ['https://ans.fr', 'http://x.fr', 'mailto:a@b.fr', 'tel:+33100000000', '#ancre']) expect(safeUrl(ok, 'link')).toBe('ok');
  });
  it('holds remote images back, keeps inline parts and raster data images', () => {
    expect(safeUrl('https://tracker.example/p.gif', 'image')).toBe('remote');
    expect(safeUrl('//tracker.example/p.gif', 'image')).toBe('remote');
    expect(safeUrl('cid:part1@x', 'image')).toBe('ok');
    expect(safeUrl('data:image/png;base64,AAAA', 'image')).toBe('ok');
    expect(safeUrl('data:image/svg+xml,<svg onload=alert(1)>', 'image')).toBe('bad');
    expect(safeUrl('/jmap/download/A1/B1/x.png', 'image')).toBe('ok');
    expect(safeUrl('javascript:alert(1)', 'image')).toBe('bad');
  });
  it('renames handler attributes inside tags before parsing, and leaves text alone', () => {
    expect(defuseHandlers('<img src=x onerror="a()"><p/onclick=b ONMOUSEOVER = c>on= online</p>')).toBe(
      '<img src=x data-x-onerror="a()"><p/data-x-onclick=b data-x-ONMOUSEOVER = c>on= online</p>',
    );
    expect(attributeAllowed('img', 'data-x-onerror')).toBe(false);
    expect(defuseHandlers('<STYLE type="text/css">b{}</style ><p style="color:red">x</p><stylet>')).toBe(
      '<x-style type="text/css">b{}</x-style ><p data-x-style="color:red">x</p><stylet>',
    );
    expect(elementVerdict('x-style')).toBe('drop');
  });
  it('puts the frame under a CSP with no script, images from caduce, blob: and data: only', () => {
    expect(frameCsp()).toContain("default-src 'none'");
    expect(frameCsp()).toContain("img-src 'self' blob: data:;");
    expect(frameCsp()).not.toContain('https:');
    expect(frameCsp()).not.toContain('http:');
    expect(frameCsp()).not.toContain('script');
    expect(frameDocument('<p>x</p>', '/a"b.css')).toContain('href="/a&quot;b.css"');
    expect(escapeHtml('<img src=x onerror="a">&')).toBe('&lt;img src=x onerror=&quot;a&quot;&gt;&amp;');
  });
});

describe('remoteImagesNotice', () => {
  it('says nothing of a message without remote images', () => {
    expect(remoteImagesNotice(0, true)).toBeNull();
    expect(remoteImagesNotice(0, false)).toBeNull();
  });
  it('offers « Afficher les images » only when the server shows them', () => {
    expect(remoteImagesNotice(2, true)).toEqual({ text: 'Les images distantes de ce message sont bloquées.', offer: true });
    const off = remoteImagesNotice(2, false);
    expect(off?.offer).toBe(false);
    expect(off?.text).toMatch(/ce serveur ne les affiche pas/);
  });
});
