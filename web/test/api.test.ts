import { describe, expect, it } from 'vitest';
import { Api, ApiError, readCookie, withQuery } from '../src/lib/api';

function reply(status: number, body?: unknown, headers: Record<string, string> = {}) {
  const h = new Headers(headers);
  if (body !== undefined && !h.has('Content-Type')) h.set('Content-Type', 'application/json');
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: h });
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected a refusal');
}

function recorder(answer: Response | (() => Response)) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchImpl = async (url: string, init?: RequestInit) => {
    calls.push({ url, init: init || {} });
    return typeof answer === 'function' ? answer() : answer;
  };
  return { calls, fetchImpl };
}

describe('Api', () => {
  it('sends the CSRF cookie as X-CSRF-Token on every change, never on a read', async () => {
    const { calls, fetchImpl } = recorder(() => reply(200, { ok: true }));
    const api = new Api(fetchImpl, () => 'a=1; caduce_csrf=tok%2Bx; caduce_session=hidden');
    await api.get('/api/me');
    await api.post('/api/me/mailbox', { mailbox_id: 3 });
    await api.patch('/api/accounts/1', { fields: {} });
    await api.del('/api/session');
    const headers = calls.map((c) => (c.init.headers as Record<string, string>)['X-CSRF-Token']);
    expect(headers).toEqual([undefined, 'tok+x', 'tok+x', 'tok+x']);
    expect(calls[1].init.body).toBe('{"mailbox_id":3}');
    expect((calls[1].init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(calls.every((c) => c.init.credentials === 'same-origin')).toBe(true);
  });

  it('falls back to the csrf_token of the sign-in answer when the cookie is not readable', async () => {
    const { calls, fetchImpl } = recorder(() => reply(204));
    const api = new Api(fetchImpl, () => '');
    api.setCsrf('from-body');
    await api.del('/api/session');
    expect((calls[0].init.headers as Record<string, string>)['X-CSRF-Token']).toBe('from-body');
  });

  it('turns problem+json into an ApiError with the French detail and the findings', async () => {
    const body = {
      type: 'about:blank',
      title: 'Compte invalide',
      status: 422,
      detail: 'Corrigez les champs signalés.',
      findings: [{ header: 'Adresse mail', severity: 'error', code: 'address.invalid', message: "L'adresse est invalide." }],
    };
    const { fetchImpl } = recorder(reply(422, body, { 'Content-Type': 'application/problem+json' }));
    const api = new Api(fetchImpl, () => '');
    const err = await failure(api.post('/api/structures/1/accounts', {}));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.userMessage).toBe('Corrigez les champs signalés.');
    expect(err.findings[0].header).toBe('Adresse mail');
  });

  it('reads Retry-After of a 429 and gives French defaults for bodiless errors', async () => {
    const { fetchImpl } = recorder(reply(429, {}, { 'Retry-After': '900' }));
    const err = await failure(new Api(fetchImpl, () => '').post('/api/session', {}));
    expect(err.retryAfter).toBe(900);
    expect(err.userMessage).toMatch(/Trop de tentatives/);
    const down = new Api(async () => {
      throw new TypeError('Failed to fetch');
    }, () => '');
    const e2 = await failure(down.get('/api/me'));
    expect(e2.status).toBe(0);
    expect(e2.userMessage).toMatch(/ne répond pas/);
  });

  it('calls onUnauthenticated on a 401, except for the sign-in itself', async () => {
    const { fetchImpl } = recorder(() => reply(401, { detail: 'Vous n’êtes pas connecté.' }));
    const api = new Api(fetchImpl, () => '');
    let count = 0;
    api.onUnauthenticated = () => (count += 1);
    await api.get('/api/me').catch(() => undefined);
    await api.post('/api/session', {}).catch(() => undefined);
    expect(count).toBe(1);
  });

  it('sends a raw file body with its content type (import upload)', async () => {
    const { calls, fetchImpl } = recorder(reply(202, { id: 'j1', state: 'planning' }));
    const api = new Api(fetchImpl, () => 'caduce_csrf=c');
    const file = new Blob(['a;b\r\n'], { type: 'text/csv' });
    await api.request('POST', '/api/structures/1/imports', { raw: file, contentType: 'text/csv', query: { name: 'liste é.csv', notify: true, visible: false } });
    expect(calls[0].url).toBe('/api/structures/1/imports?name=liste+%C3%A9.csv&notify=1&visible=0');
    expect(calls[0].init.body).toBe(file);
    expect((calls[0].init.headers as Record<string, string>)['Content-Type']).toBe('text/csv');
  });
});

describe('helpers', () => {
  it('withQuery leaves out empty values and encodes the rest', () => {
    expect(withQuery('/x', { q: 'a&b', type: '', offset: 0, status: undefined })).toBe('/x?q=a%26b&offset=0');
    expect(withQuery('/x')).toBe('/x');
  });
  it('readCookie finds one cookie among several', () => {
    expect(readCookie('caduce_csrf=abc; other=1', 'caduce_csrf')).toBe('abc');
    expect(readCookie('xcaduce_csrf=no', 'caduce_csrf')).toBe('');
  });
});
