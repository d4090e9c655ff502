// A JMAP client written by others (npm's jmap-jam) against a real `caduce serve`
// with a fresh demo database: a person signs in on the web API once to create a
// personal access token, then the client, with that token only, reads the
// session, lists the mailboxes of its accounts, queries and reads a message,
// uploads a file, writes and sends a message, and resynchronises with
// Email/changes. Ends with the line `jmap client: N passed, N failed`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import JamClient from 'jmap-jam';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = resolve(ROOT, process.env.CADUCE_BIN || 'build/dev/src/cli/caduce');
const DATA = join(ROOT, 'data');
const PASSWORD = 'Caduce-Essai-2026';

function freePort() {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.once('error', ko);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function startServer(db) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, ['--db', db, '--data', DATA, 'serve', '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: dirname(db),
    env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=0' },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`caduce serve stopped (${child.exitCode}):\n${log}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`caduce serve did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, log: () => log };
}

// Signs in with the password on the web API and creates a personal access token.
async function personalToken(url, address) {
  const signIn = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ address, password: PASSWORD }),
  });
  if (signIn.status !== 200) throw new Error(`sign-in: ${signIn.status} ${await signIn.text()}`);
  const cookies = signIn.headers.getSetCookie().map((c) => c.split(';')[0]);
  const csrf = cookies.find((c) => c.startsWith('caduce_csrf=')).slice('caduce_csrf='.length);
  const created = await fetch(`${url}/api/me/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookies.join('; '), 'X-CSRF-Token': csrf },
    body: JSON.stringify({ name: 'jmap-jam' }),
  });
  if (created.status !== 201) throw new Error(`token: ${created.status} ${await created.text()}`);
  return (await created.json()).secret;
}

let passed = 0;
let failed = 0;
async function step(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
  }
}
function assert(cond, what) {
  if (!cond) throw new Error(what);
}

const dir = mkdtempSync(join(tmpdir(), 'caduce-jmap-client-'));
const db = join(dir, 'caduce.db');
let server;
try {
  const init = spawnSync(BIN, ['--db', db, '--data', DATA, 'init', '--demo'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`caduce init --demo: ${init.stdout}\n${init.stderr}`);
  server = await startServer(db);
  const token = await personalToken(server.url, 'claire.petit@chu-demo.fr');
  const jam = new JamClient({ sessionUrl: `${server.url}/.well-known/jmap`, bearerToken: token });
  let session;
  let accountId;
  let inbox;
  let drafts;
  let sent;
  let state;

  await step('a wrong token is refused', async () => {
    const r = await fetch(`${server.url}/.well-known/jmap`, { headers: { Authorization: 'Bearer faux' } });
    assert(r.status === 401, `status ${r.status}`);
  });

  await step('session with the person’s accounts and primary account', async () => {
    session = await jam.session;
    accountId = session.primaryAccounts['urn:ietf:params:jmap:mail'];
    assert(accountId && session.accounts[accountId], 'no primary mail account');
    assert(session.capabilities['urn:ietf:params:jmap:core'], 'no core capability');
    assert(session.apiUrl && session.uploadUrl && session.downloadUrl, 'no URLs');
  });

  await step('Mailbox/get lists the five mailboxes with their roles', async () => {
    const [r] = await jam.api.Mailbox.get({ accountId, ids: null });
    const roles = Object.fromEntries(r.list.map((m) => [m.role, m.id]));
    for (const role of ['inbox', 'sent', 'drafts', 'trash', 'archive']) assert(roles[role], `no ${role}`);
    inbox = roles.inbox;
    drafts = roles.drafts;
    sent = roles.sent;
    state = undefined;
  });

  await step('Email/query and Email/get read a message of the inbox', async () => {
    const [q] = await jam.api.Email.query({
      accountId,
      filter: { inMailbox: inbox },
      sort: [{ property: 'receivedAt', isAscending: false }],
      limit: 10,
    });
    assert(Array.isArray(q.ids), 'no ids');
    const [g] = await jam.api.Email.get({
      accountId,
      ids: q.ids.length ? q.ids.slice(0, 1) : [],
      properties: ['id', 'subject', 'from', 'receivedAt', 'preview', 'blobId'],
    });
    state = g.state;
    if (q.ids.length) assert(g.list[0].id === q.ids[0] && typeof g.list[0].subject === 'string', 'bad message');
  });

  let identityId;
  await step('Identity/get gives the account’s address', async () => {
    const [r] = await jam.api.Identity.get({ accountId, ids: null });
    assert(r.list.length >= 1 && r.list[0].email === 'claire.petit@chu-demo.fr', JSON.stringify(r));
    identityId = r.list[0].id;
  });

  let blobId;
  await step('uploadBlob stores a file for the account', async () => {
    const r = await jam.uploadBlob(accountId, new Blob(['%PDF-1.4 compte rendu'], { type: 'application/pdf' }));
    assert(r.blobId && r.size === 21 && r.type === 'application/pdf', JSON.stringify(r));
    blobId = r.blobId;
  });

  let sentId;
  await step('Email/set and EmailSubmission/set send a message with an attachment', async () => {
    const [res] = await jam.requestMany((t) => {
      const draft = t.Email.set({
        accountId,
        create: {
          d1: {
            mailboxIds: { [drafts]: true },
            keywords: { $draft: true, $seen: true },
            from: [{ name: 'Claire Petit', email: 'claire.petit@chu-demo.fr' }],
            to: [{ name: 'Jean Dupont', email: 'jean.dupont@chu-demo.fr' }],
            subject: 'Compte rendu — essai jmap-jam',
            textBody: [{ partId: 't', type: 'text/plain' }],
            bodyValues: { t: { value: 'Bonjour,\nci-joint le compte rendu.\n' } },
            attachments: [{ blobId, type: 'application/pdf', name: 'compte-rendu.pdf' }],
          },
        },
      });
      const submission = t.EmailSubmission.set({
        accountId,
        create: { s1: { identityId, emailId: '#d1' } },
        onSuccessUpdateEmail: {
          '#s1': { [`mailboxIds/${drafts}`]: null, [`mailboxIds/${sent}`]: true, 'keywords/$draft': null },
        },
      });
      return { draft, submission };
    });
    assert(res.draft.created && res.draft.created.d1, JSON.stringify(res.draft));
    sentId = res.draft.created.d1.id;
    // jmap-jam keys responses by call id: the implicit Email/set of onSuccessUpdateEmail
    // (RFC 8621 §7.5) shares the submission's call id and comes after it.
    assert(res.submission.updated && sentId in res.submission.updated, JSON.stringify(res.submission));
    const [subs] = await jam.api.EmailSubmission.get({ accountId, ids: null });
    const sub = subs.list.find((x) => x.emailId === sentId);
    assert(sub && sub.undoStatus === 'final', JSON.stringify(subs));
    assert(sub.envelope.rcptTo.some((r) => r.email === 'jean.dupont@chu-demo.fr'), JSON.stringify(sub));
  });

  await step('the sent message is in « Envoyés » with its attachment', async () => {
    const [q] = await jam.api.Email.query({ accountId, filter: { inMailbox: sent } });
    assert(q.ids.includes(sentId), `not in sent: ${JSON.stringify(q.ids)}`);
    const [g] = await jam.api.Email.get({ accountId, ids: [sentId], properties: ['keywords', 'hasAttachment'] });
    assert(!g.list[0].keywords.$draft, 'still a draft');
  });

  await step('Email/changes resynchronises from the earlier state', async () => {
    assert(state, 'no earlier state');
    const [c] = await jam.api.Email.changes({ accountId, sinceState: state });
    assert(c.created.includes(sentId) || c.updated.includes(sentId), JSON.stringify(c));
  });

  await step('downloadBlob gives the uploaded file back', async () => {
    const r = await jam.downloadBlob({ accountId, blobId, mimeType: 'application/pdf', fileName: 'compte-rendu.pdf' });
    assert(r.status === 200 && (await r.text()) === '%PDF-1.4 compte rendu', `status ${r.status}`);
  });
} catch (e) {
  failed += 1;
  console.log(`FAIL setup: ${e && e.stack ? e.stack : e}`);
} finally {
  if (server) server.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`jmap client: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
