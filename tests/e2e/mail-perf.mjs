// The web mail at 100,000 messages, in Chromium against a real `caduce serve`:
// sign-in to the inbox on screen, switching mailboxes, opening a message, and a
// jump to the middle of the list. The ORG mailbox of the demo is filled with
// Email/import of one uploaded message (the JMAP path a migration would take),
// falling back to `caduce mail deliver` when the server has no Email/import.
// Prints figures and the machine; asserts nothing about time.
// Usage: CADUCE_BIN=build/release/src/cli/caduce MESSAGES=100000 node tests/e2e/mail-perf.mjs
import { cpus, loadavg, totalmem } from 'node:os';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, cli, launchBrowser, ROOT, startServer, Suite } from './harness.mjs';
import { deliver, message } from './mail.mjs';

const N = Number(process.env.MESSAGES || 100000);
const ORG = 'secretariat.cardiologie@chu-demo.fr';
const SECRETARY = 'sophie.martin@chu-demo.fr';
const suite = new Suite();
const db = join(suite.tmp, 'caduce.db');
cli(db, ['init', '--demo']);
const server = await startServer(db, join(ROOT, 'web/dist'));
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
const signIn = async () => {
  await page.goto(`${server.url}/#/connexion`);
  await page.getByLabel('Adresse mail').fill(SECRETARY);
  await page.getByLabel('Mot de passe', { exact: true }).fill('Caduce-Essai-2026');
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Connexion' }).click();
  await page.locator('c-mail-page[data-ready] .mail-row').first().waitFor({ timeout: 60000 });
  return Date.now() - t0;
};
await signIn();

// ---- The mailbox: N messages in the ORG's inbox.
let t = Date.now();
const filled = await page.evaluate(
  async ({ n, org, raw }) => {
    const csrf = decodeURIComponent((document.cookie.match(/(?:^|; )caduce_csrf=([^;]*)/) || [])[1] || '');
    const session = await (await fetch('/.well-known/jmap')).json();
    const accountId = Object.keys(session.accounts).find((id) => session.accounts[id].name.toLowerCase().includes('cardiologie') || id === org);
    const post = async (calls) => {
      const r = await fetch(session.apiUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: calls }),
      });
      return (await r.json()).methodResponses;
    };
    const [[, mb]] = await post([['Mailbox/get', { accountId, properties: ['id', 'role'] }, 'm']]);
    const inbox = mb.list.find((m) => m.role === 'inbox').id;
    const up = await fetch(session.uploadUrl.replace('{accountId}', encodeURIComponent(accountId)), {
      method: 'POST',
      headers: { 'Content-Type': 'message/rfc822', 'X-CSRF-Token': csrf },
      body: raw,
    });
    if (!up.ok) return { ok: false, why: `upload ${up.status}` };
    const { blobId } = await up.json();
    const per = Math.min(500, session.capabilities['urn:ietf:params:jmap:core'].maxObjectsInSet || 500);
    const calls = Math.min(16, session.capabilities['urn:ietf:params:jmap:core'].maxCallsInRequest || 16);
    let done = 0;
    while (done < n) {
      const batch = [];
      for (let c = 0; c < calls && done < n; c++) {
        const emails = {};
        for (let k = 0; k < per && done < n; k++, done++) emails[`e${done}`] = { blobId, mailboxIds: { [inbox]: true }, keywords: done % 3 ? { $seen: true } : {}, receivedAt: new Date(Date.UTC(2020, 0, 1) + done * 60000).toISOString() };
        batch.push(['Email/import', { accountId, emails }, `i${c}`]);
      }
      const res = await post(batch);
      const err = res.find((r) => r[0] === 'error');
      if (err) return { ok: false, why: JSON.stringify(err[1]), done };
    }
    return { ok: true, done };
  },
  { n: N, org: ORG, raw: message({ from: 'Laboratoire <laboratoire@chu-demo.fr>', to: ORG, subject: 'Résultats d’analyses', text: 'Résultats joints.\n'.repeat(40) }) },
);
if (!filled.ok) {
  console.log(`mail-perf: Email/import unavailable (${filled.why}); delivering ${Math.min(N, 2000)} messages with caduce mail deliver instead`);
  for (let i = 0; i < Math.min(N, 2000); i++) deliver(db, 'laboratoire@chu-demo.fr', ORG, message({ from: 'Laboratoire <laboratoire@chu-demo.fr>', to: ORG, subject: `Résultats ${i}`, text: 'Résultats.' }));
}
console.log(`mail-perf: mailbox filled in ${((Date.now() - t) / 1000).toFixed(1)} s (${filled.ok ? `${filled.done.toLocaleString('en')} by Email/import` : 'caduce mail deliver'})`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const signin = [];
const switching = [];
const opening = [];
const jump = [];
for (let i = 0; i < 5; i += 1) {
  await page.locator('#cartouche').click();
  await page.getByRole('menuitem', { name: 'Déconnexion' }).click();
  await page.getByRole('heading', { name: 'Connectez-vous' }).waitFor();
  signin.push(await signIn());
  for (const target of [SECRETARY, ORG]) {
    await page.locator('#cartouche').click();
    const item = page.getByRole('menuitem', { name: new RegExp(target.replace(/\./g, '\\.')) });
    await item.waitFor();
    t = Date.now();
    await item.click();
    // The list of the other mailbox is shown: its count appears once its first page answered.
    await page.waitForFunction((a) => document.querySelector('.mail-using')?.textContent.includes(a) && document.querySelector('.mail-count'), target);
    switching.push(Date.now() - t);
  }
  const row = page.locator('.mail-row:not(.placeholder)').nth(2 + i);
  const subject = (await row.locator('.mail-subject').innerText()).trim();
  t = Date.now();
  await row.click();
  await page.locator('#reader-subject', { hasText: subject.slice(0, 20) }).waitFor();
  await page.locator('iframe.mail-body').waitFor();
  opening.push(Date.now() - t);
  t = Date.now();
  await page.locator('.mail-list-scroll').evaluate((e, k) => (e.scrollTop = e.scrollHeight * (0.3 + 0.1 * k)), i);
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('.mail-row');
    return rows.length > 0 && !document.querySelector('.mail-row.placeholder');
  });
  jump.push(Date.now() - t);
}
const rowsInDom = await page.locator('.mail-row').count();
await browser.close();
await server.stop();
console.log(`mail-perf: machine ${cpus().length} × ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; caduce ${BIN}`);
console.log(`mail-perf: database ${(statSync(db).size / 2 ** 20).toFixed(0)} MiB; ORG inbox of ${filled.ok ? N.toLocaleString('en') : 'up to 2,000'} messages`);
console.log(`mail-perf: sign-in to inbox shown: median ${median(signin)} ms, max ${Math.max(...signin)} ms (target ≤ 1,000 ms)`);
console.log(`mail-perf: switching mailboxes, click to list shown: median ${median(switching)} ms, max ${Math.max(...switching)} ms (target ≤ 300 ms)`);
console.log(`mail-perf: opening a message, click to message shown: median ${median(opening)} ms, max ${Math.max(...opening)} ms (target ≤ 200 ms)`);
console.log(`mail-perf: jump to the middle of the list, rows shown: median ${median(jump)} ms, max ${Math.max(...jump)} ms; ${rowsInDom} rows in the DOM`);
rmSync(suite.tmp, { recursive: true, force: true });
