import { describe, expect, it } from 'vitest';
import {
  Batch,
  JmapClient,
  JmapMethodError,
  JmapRequestError,
  expandTemplate,
  formatSize,
  parseStateChange,
  type EventSourceLike,
  type JmapSession,
  type XhrLike,
} from '../src/lib/jmap';

const SESSION: JmapSession = {
  capabilities: {
    'urn:ietf:params:jmap:core': { maxSizeUpload: 1000, maxCallsInRequest: 4, maxObjectsInGet: 500 },
    'urn:ietf:params:jmap:mail': {},
    'urn:caduce:params:jmap:handling': {},
  },
  accounts: {
    a1: { name: 'claire.petit@chu-demo.fr', isPersonal: true, isReadOnly: false, accountCapabilities: {} },
    a2: { name: 'Secrétariat', isPersonal: false, isReadOnly: false, accountCapabilities: {} },
  },
  primaryAccounts: { 'urn:ietf:params:jmap:mail': 'a2' },
  username: 'claire.petit@chu-demo.fr',
  apiUrl: '/jmap/api',
  downloadUrl: '/jmap/download/{accountId}/{blobId}/{name}?accept={type}',
  uploadUrl: '/jmap/upload/{accountId}/',
  eventSourceUrl: '/jmap/eventsource?types={types}&closeafter={closeafter}&ping={ping}',
  state: 's1',
};

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

type Handler = (body: { using: string[]; methodCalls: [string, Record<string, unknown>, string][] }) => Response;

function server(handler: Handler, session: JmapSession = SESSION) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchImpl = async (url: string, init?: RequestInit) => {
    calls.push({ url, init: init || {} });
    if (url === '/.well-known/jmap') return json(200, session);
    return handler(JSON.parse(String(init?.body)));
  };
  const client = new JmapClient({ fetch: fetchImpl, cookies: () => 'caduce_csrf=t%2B1' });
  return { client, calls };
}

async function refusal<E>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (e) {
    return e as E;
  }
  throw new Error('expected a refusal');
}

describe('JmapClient', () => {
  it('fetches the session once, then posts batched calls with result references and the CSRF header', async () => {
    const { client, calls } = server((b) =>
      json(200, {
        sessionState: 's1',
        methodResponses: [
          ['Email/query', { ids: ['e1', 'e2'], position: 0, total: 2, queryState: 'q1' }, b.methodCalls[0][2]],
          ['Email/get', { list: [{ id: 'e1' }, { id: 'e2' }], state: 'st', notFound: [] }, b.methodCalls[1][2]],
        ],
      }),
    );
    const { refs, res } = await client.run((b) => {
      const q = b.add('Email/query', { accountId: 'a1', filter: { inMailbox: 'm1' }, limit: 50 });
      const g = b.add('Email/get', { accountId: 'a1', '#ids': q.ref('/ids') });
      return { q, g };
    });
    await client.call('Core/echo', {}).catch(() => undefined);
    expect(calls.filter((c) => c.url === '/.well-known/jmap')).toHaveLength(1);
    const post = calls[1];
    expect(post.url).toBe('/jmap/api');
    expect((post.init.headers as Record<string, string>)['X-CSRF-Token']).toBe('t+1');
    const sent = JSON.parse(String(post.init.body));
    expect(sent.using).toEqual([
      'urn:ietf:params:jmap:core',
      'urn:ietf:params:jmap:mail',
      'urn:caduce:params:jmap:handling',
    ]);
    expect(sent.methodCalls[1][1]['#ids']).toEqual({ resultOf: 'c0', name: 'Email/query', path: '/ids' });
    expect(res.get<{ total: number }>(refs.q).total).toBe(2);
    expect(res.get<{ list: unknown[] }>(refs.g).list).toHaveLength(2);
  });

  it('turns a method error into JmapMethodError with a French message, the other calls still answer', async () => {
    const { client } = server((b) =>
      json(200, {
        sessionState: 's1',
        methodResponses: [
          ['error', { type: 'accountNotFound' }, b.methodCalls[0][2]],
          ['Mailbox/get', { list: [], state: 'x' }, b.methodCalls[1][2]],
        ],
      }),
    );
    const { refs, res } = await client.run((b) => [
      b.add('Email/get', { accountId: 'forged', ids: ['1'] }),
      b.add('Mailbox/get', { accountId: 'a1' }),
    ]);
    const e = (() => {
      try {
        res.get(refs[0]);
      } catch (err) {
        return err as JmapMethodError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(JmapMethodError);
    expect(e.type).toBe('accountNotFound');
    expect(e.userMessage).toBe("Vous n'avez plus accès à cette boîte aux lettres.");
    expect(res.get<{ state: string }>(refs[1]).state).toBe('x');
  });

  it('reports a request-level problem (RFC 8620 §3.6.1) and a limit by name', async () => {
    const { client } = server(() =>
      json(400, { type: 'urn:ietf:params:jmap:error:limit', limit: 'maxSizeRequest', status: 400, detail: 'too big' }),
    );
    const e = await refusal<JmapRequestError>(client.call('Email/get', { accountId: 'a1' }));
    expect(e).toBeInstanceOf(JmapRequestError);
    expect(e.limit).toBe('maxSizeRequest');
    expect(e.userMessage).toContain('maxSizeRequest');
  });

  it('refuses more calls than maxCallsInRequest before sending anything', async () => {
    const { client, calls } = server(() => json(200, { methodResponses: [] }));
    const b = new Batch();
    for (let i = 0; i < 5; i++) b.add('Core/echo', {});
    const e = await refusal<JmapRequestError>(client.send(b));
    expect(e.limit).toBe('maxCallsInRequest');
    expect(calls.filter((c) => c.url === '/jmap/api')).toHaveLength(0);
  });

  it('calls onUnauthenticated on a 401 so that the app goes back to sign-in', async () => {
    const { client } = server(() => json(401, { title: 'Unauthorized' }));
    let gone = 0;
    client.onUnauthenticated = () => gone++;
    const e = await refusal<JmapRequestError>(client.call('Mailbox/get', { accountId: 'a1' }));
    expect(e.status).toBe(401);
    expect(gone).toBe(1);
  });

  it('says the server does not answer when the network fails, and a garbage body is a problem, not a crash', async () => {
    const down = new JmapClient({ fetch: async () => Promise.reject(new TypeError('failed')) });
    expect((await refusal<JmapRequestError>(down.loadSession())).userMessage).toContain('ne répond pas');
    const { client } = server(() => new Response('<html>oops', { status: 200 }));
    const e = await refusal<JmapRequestError>(client.call('Mailbox/get', {}));
    expect(e.type).toBe('invalidResponse');
  });

  it('refetches the session when a response carries another sessionState (a right revoked)', async () => {
    let n = 0;
    const sessions = [SESSION, { ...SESSION, state: 's2', accounts: { a1: SESSION.accounts.a1 } }];
    const client = new JmapClient({
      fetch: async (url: string) => {
        if (url === '/.well-known/jmap') return json(200, sessions[Math.min(n++, 1)]);
        return json(200, { sessionState: 's2', methodResponses: [['Core/echo', {}, 'c0']] });
      },
    });
    const changed = new Promise<JmapSession>((resolve) => (client.onSessionChanged = resolve));
    await client.call('Core/echo', {});
    const s = await changed;
    expect(Object.keys(s.accounts)).toEqual(['a1']);
  });

  it('merges pages of Foo/changes until hasMoreChanges is false', async () => {
    const pages = [
      { oldState: 's0', newState: 's1', hasMoreChanges: true, created: ['e1', 'e2'], updated: ['e0'], destroyed: [] },
      { oldState: 's1', newState: 's2', hasMoreChanges: false, created: ['e3'], updated: ['e1'], destroyed: ['e2', 'e9'] },
    ];
    const seen: string[] = [];
    const { client } = server((b) => {
      seen.push(String(b.methodCalls[0][1].sinceState));
      return json(200, { methodResponses: [['Email/changes', pages.shift(), b.methodCalls[0][2]]] });
    });
    const r = await client.changes('a1', 'Email', 's0');
    expect(seen).toEqual(['s0', 's1']);
    expect(r).toMatchObject({ reset: false, newState: 's2', updated: ['e0'], destroyed: ['e9'] });
    if (!r.reset) expect(r.created.sort()).toEqual(['e1', 'e3']);
  });

  it('answers reset with the current state on cannotCalculateChanges', async () => {
    const { client } = server((b) => {
      const [name, , id] = b.methodCalls[0];
      if (name === 'Email/changes') return json(200, { methodResponses: [['error', { type: 'cannotCalculateChanges' }, id]] });
      return json(200, { methodResponses: [['Email/get', { state: 's9', list: [], notFound: [] }, id]] });
    });
    expect(await client.changes('a1', 'Email', 'old')).toEqual({ reset: true, newState: 's9' });
  });

  it('builds download and event source URLs from the session templates, encoding each part', async () => {
    const { client } = server(() => json(200, {}));
    await client.loadSession();
    expect(client.downloadUrl('a1', 'b/1', 'compte rendu é.pdf', 'application/pdf')).toBe(
      '/jmap/download/a1/b%2F1/compte%20rendu%20%C3%A9.pdf?accept=application%2Fpdf',
    );
    expect(client.eventSourceUrl(['Email', 'Mailbox'])).toBe('/jmap/eventsource?types=Email%2CMailbox&closeafter=no&ping=60');
    expect(expandTemplate('/x/{a}/{missing}', { a: '../..' })).toBe('/x/..%2F../');
  });

  it('uploads with progress and the CSRF header, and refuses a file over maxSizeUpload before sending', async () => {
    const { client } = server(() => json(200, {}));
    await client.loadSession();
    const sent: { url: string; headers: Record<string, string>; body?: Blob } = { url: '', headers: {} };
    const fake: XhrLike = {
      open: (_m, url) => (sent.url = url),
      setRequestHeader: (k, v) => (sent.headers[k] = v),
      send(body) {
        sent.body = body;
        this.upload.onprogress?.({ loaded: 5, total: 10, lengthComputable: true });
        this.status = 201;
        this.responseText = JSON.stringify({ accountId: 'a1', blobId: 'B1', type: 'application/pdf', size: 10 });
        this.onload?.();
      },
      abort() {},
      status: 0,
      responseText: '',
      withCredentials: false,
      upload: { onprogress: null },
      onload: null,
      onerror: null,
      onabort: null,
    };
    const withXhr = new JmapClient({ fetch: async () => json(200, SESSION), cookies: () => 'caduce_csrf=k', xhr: () => fake });
    const progress: number[] = [];
    const file = new Blob(['0123456789'], { type: 'application/pdf' });
    const r = await withXhr.upload('a1', file, (s, t) => progress.push(s / t));
    expect(r.blobId).toBe('B1');
    expect(sent.url).toBe('/jmap/upload/a1/');
    expect(sent.headers['X-CSRF-Token']).toBe('k');
    expect(progress).toEqual([0.5, 1]);
    const big = Object.assign(new Blob([new Uint8Array(2000)]), { name: 'scanner.pdf' });
    const e = await refusal<JmapRequestError>(withXhr.upload('a1', big));
    expect(e.detail).toContain('« scanner.pdf »');
    expect(e.detail).toContain('taille maximale');
  });

  it('subscribes to pushed StateChange events, ignores garbage, and asks for a resync after a reconnect', async () => {
    const listeners: Record<string, (e: { data: string }) => void> = {};
    let closed = false;
    let url = '';
    const es: EventSourceLike = {
      addEventListener: (t, l) => (listeners[t] = l),
      close: () => (closed = true),
      onerror: null,
      onopen: null,
    };
    const client = new JmapClient({ fetch: async () => json(200, SESSION), eventSource: (u) => ((url = u), es) });
    await client.loadSession();
    const got: unknown[] = [];
    let resyncs = 0;
    const stop = client.subscribe('*', (c) => got.push(c.changed), () => resyncs++);
    expect(url).toContain('types=*');
    listeners.state({ data: '{"@type":"StateChange","changed":{"a1":{"Email":"s5"}}}' });
    listeners.state({ data: 'not json' });
    listeners.state({ data: '{"@type":"Other"}' });
    es.onerror?.({});
    es.onopen?.({});
    stop();
    expect(got).toEqual([{ a1: { Email: 's5' } }]);
    expect(resyncs).toBe(1);
    expect(closed).toBe(true);
  });
});

describe('helpers', () => {
  it('parses only StateChange objects', () => {
    expect(parseStateChange('{"@type":"StateChange","changed":{}}')).toEqual({ '@type': 'StateChange', changed: {} });
    expect(parseStateChange('{"@type":"StateChange","changed":null}')).toBeNull();
    expect(parseStateChange('')).toBeNull();
  });
  it('formats sizes in French units', () => {
    expect(formatSize(900)).toBe('900 o');
    expect(formatSize(12 * 1024)).toBe('12 Ko');
    expect(formatSize(3.4 * 1024 * 1024)).toBe('3,4 Mo');
    expect(formatSize(25 * 1024 * 1024)).toBe('25 Mo');
  });
});

describe('accounts that go away', () => {
  it('refetches the session when a call answers accountNotFound, even with the same sessionState', async () => {
    let sessions = 0;
    const client = new JmapClient({
      fetch: async (url: string) => {
        if (url === '/.well-known/jmap') {
          sessions++;
          return new Response(JSON.stringify(SESSION), { status: 200 });
        }
        return new Response(JSON.stringify({ sessionState: 's1', methodResponses: [['error', { type: 'accountNotFound' }, 'c0']] }), { status: 200 });
      },
    });
    const changed = new Promise<void>((resolve) => (client.onSessionChanged = () => resolve()));
    await client.call('Email/query', { accountId: 'a2' }).catch(() => undefined);
    await changed;
    expect(sessions).toBe(2);
  });
});
