import { describe, expect, it } from 'vitest';
import { JmapClient } from '../src/lib/jmap';
import { EmailListModel } from '../src/components/mail/email-list';

// A fake JMAP server holding `total` messages in one folder, answering
// Email/query by position and Email/get through the result reference.
function fakeServer(total: number) {
  const requests: [string, Record<string, unknown>, string][][] = [];
  const session = {
    capabilities: { 'urn:ietf:params:jmap:core': { maxCallsInRequest: 16 } },
    accounts: { A1: { name: 'a', isPersonal: true, isReadOnly: false, accountCapabilities: {} } },
    primaryAccounts: {},
    username: 'a',
    apiUrl: '/jmap/api',
    downloadUrl: '',
    uploadUrl: '',
    eventSourceUrl: '',
    state: 's',
  };
  const state = { total };
  const fetchImpl = async (url: string, init?: RequestInit) => {
    if (url === '/.well-known/jmap') return new Response(JSON.stringify(session), { status: 200 });
    const body = JSON.parse(String(init?.body));
    requests.push(body.methodCalls);
    const out: unknown[] = [];
    let ids: string[] = [];
    for (const [name, args, id] of body.methodCalls) {
      if (name === 'Email/query') {
        const pos = args.position as number;
        ids = [];
        for (let i = pos; i < Math.min(pos + (args.limit as number), state.total); i++) ids.push(`M${state.total - i}`);
        out.push([name, { ids, position: pos, total: state.total, queryState: 'q' }, id]);
      } else if (name === 'Email/get') {
        if (args.ids) ids = args.ids as string[];
        else expect(args['#ids']).toEqual({ resultOf: 'c0', name: 'Email/query', path: '/ids' });
        out.push([name, { list: ids.map((i) => ({ id: i, subject: `Sujet ${i}`, keywords: {}, mailboxIds: { F1: true } })), state: 'e', notFound: [] }, id]);
      }
    }
    return new Response(JSON.stringify({ methodResponses: out, sessionState: 's' }), { status: 200 });
  };
  return { client: new JmapClient({ fetch: fetchImpl }), requests, state };
}

describe('EmailListModel', () => {
  it('loads only the pages of the rows in view, one request each, at 100,000 messages', async () => {
    const { client, requests } = fakeServer(100_000);
    let changes = 0;
    const m = new EmailListModel(client, 'A1', { inMailbox: 'F1' }, () => changes++);
    await m.ensure(0, 30);
    expect(m.total).toBe(100_000);
    expect(m.at(0)?.subject).toBe('Sujet M100000');
    await m.ensure(75_010, 75_040);
    expect(requests).toHaveLength(2);
    expect(requests[1][0][1]).toMatchObject({ position: 75_000, limit: 50, calculateTotal: true });
    expect(m.at(75_020)?.id).toBe('M24980');
    expect(m.at(40_000)).toBeUndefined();
    await m.ensure(75_010, 75_040);
    expect(requests).toHaveLength(2);
    expect(changes).toBeGreaterThan(0);
  });

  it('does not ask twice for a page already on its way', async () => {
    const { client, requests } = fakeServer(500);
    const m = new EmailListModel(client, 'A1', {}, () => undefined);
    await Promise.all([m.ensure(0, 40), m.ensure(10, 45)]);
    expect(requests).toHaveLength(1);
  });

  it('refreshes the pages in view after a change, and a removal shifts the positions at once', async () => {
    const { client, requests, state } = fakeServer(120);
    const m = new EmailListModel(client, 'A1', {}, () => undefined);
    await m.ensure(0, 20);
    m.remove('M119');
    expect(m.total).toBe(119);
    expect(m.at(1)?.id).toBe('M118');
    state.total = 121;
    await m.refresh();
    expect(requests).toHaveLength(2);
    expect(m.total).toBe(121);
    expect(m.at(0)?.id).toBe('M121');
    m.patch('M121', { keywords: { $seen: true } });
    expect(m.at(0)?.keywords).toEqual({ $seen: true });
  });

  it('keeps the error of a failed page for the screen to show', async () => {
    const client = new JmapClient({ fetch: async () => Promise.reject(new TypeError('down')) });
    const m = new EmailListModel(client, 'A1', {}, () => undefined);
    await m.ensure(0, 10);
    expect(m.error).toBeTruthy();
    expect(m.total).toBe(-1);
  });
});

describe('EmailListModel after pushed changes', () => {
  it('refetches only the changed messages when they are in view, and asks the pages again otherwise', async () => {
    const { client, requests } = fakeServer(100);
    const m = new EmailListModel(client, 'A1', { inMailbox: 'F1' }, () => undefined);
    await m.ensure(0, 20);
    await m.refetch(['M100']);
    expect(requests[1].map((c) => c[0])).toEqual(['Email/get']);
    expect(requests[1][0][1].ids).toEqual(['M100']);
    await m.refetch(['M3']); // not loaded: it may have entered the folder
    expect(requests[2].map((c) => c[0])).toEqual(['Email/query', 'Email/get']);
    const filtered = new EmailListModel(client, 'A1', { inMailbox: 'F1', notKeyword: '$seen' }, () => undefined);
    await filtered.ensure(0, 20);
    await filtered.refetch(['M100']);
    expect(requests[4].map((c) => c[0])).toEqual(['Email/query', 'Email/get']);
  });
});
