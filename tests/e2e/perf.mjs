// « Gestion des utilisateurs » at 100,000 accounts, in Chromium against a real
// `caduce serve`: time from navigation to the first page on screen, and for each
// keystroke of the search the server's answer time (resource timing) and the time
// until the table shows it (the 200 ms debounce included). Prints figures and the
// machine; asserts nothing about time.
// Usage: CADUCE_BIN=build/release/src/cli/caduce ACCOUNTS=100000 node tests/e2e/perf.mjs
import { cpus, totalmem } from 'node:os';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, cli, launchBrowser, ROOT, startServer, Suite } from './harness.mjs';

const N = Number(process.env.ACCOUNTS || 100000);
const suite = new Suite();
const db = join(suite.tmp, 'caduce.db');
cli(db, ['init', '--demo']);

// The accounts, as the import file an administrator would load.
const header = ['Type de compte', 'Adresse mail', 'NOM', 'Prénom', 'CP', 'VILLE', 'Département', 'Région', 'Profession', 'Activité libérale'];
const noms = ['MARTIN', 'BERNARD', 'THOMAS', 'PETIT', 'ROBERT', 'RICHARD', 'DURAND', 'DUBOIS', 'MOREAU', 'LAURENT', 'SIMON', 'MICHEL'];
const prenoms = ['Alice', 'Bruno', 'Chloé', 'David', 'Emma', 'Fabien', 'Gaëlle', 'Hugo', 'Inès', 'Jules', 'Katia', 'Léo'];
const lines = [header.join(';')];
for (let i = 0; i < N; i += 1) {
  const nom = `${noms[i % noms.length]}${Math.floor(i / 144)}`;
  const prenom = prenoms[Math.floor(i / noms.length) % prenoms.length];
  lines.push(['MED', `${prenom.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '')}.${nom.toLowerCase()}.${i}@chu-demo.fr`, nom, prenom, '31059', 'TOULOUSE', '31', 'Occitanie', 'Secrétaire médical', 'NON'].join(';'));
}
const file = join(suite.tmp, 'comptes.csv');
writeFileSync(file, '\uFEFF' + lines.join('\r\n') + '\r\n');
let t = Date.now();
cli(db, ['import', file, '--structure', 'CHU de Démonstration']);
console.log(`perf: ${N.toLocaleString('en')} accounts imported in ${((Date.now() - t) / 1000).toFixed(1)} s`);

const server = await startServer(db, join(ROOT, 'web/dist'));
const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
await page.goto(`${server.url}/#/connexion`);
await page.getByLabel('Adresse mail').fill('claire.petit@chu-demo.fr');
await page.getByLabel('Mot de passe', { exact: true }).fill('Caduce-Essai-2026');
await page.getByRole('button', { name: 'Connexion' }).click();
await page.getByRole('link', { name: 'Administration' }).waitFor();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const firstPage = [];
for (let i = 0; i < 5; i += 1) {
  await page.goto(`${server.url}/#/`);
  await page.getByRole('link', { name: 'Administration' }).waitFor();
  t = Date.now();
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.locator('table.accounts tbody tr').first().waitFor();
  firstPage.push(Date.now() - t);
}

const server_ms = [];
const screen_ms = [];
for (const word of ['martin12', 'dubois3', 'emma', 'ines.l']) {
  await page.getByLabel('Rechercher').fill('');
  await page.waitForTimeout(400);
  let typed = '';
  for (const ch of word) {
    typed += ch;
    await page.evaluate(() => performance.clearResourceTimings());
    t = Date.now();
    await page.getByLabel('Rechercher').press(ch === '.' ? 'Period' : ch);
    const want = encodeURIComponent(typed);
    await page.waitForFunction((q) => performance.getEntriesByType('resource').some((e) => e.name.includes(`q=${q}`) && e.responseEnd > 0), want);
    await page.waitForFunction(() => document.querySelector('table.accounts')?.getAttribute('aria-busy') === 'false');
    screen_ms.push(Date.now() - t);
    const d = await page.evaluate((q) => {
      const e = performance.getEntriesByType('resource').find((x) => x.name.includes(`q=${q}`));
      return e ? e.responseEnd - e.requestStart : -1;
    }, want);
    server_ms.push(d);
  }
}
await browser.close();
await server.stop();
const total = statSync(db).size;
console.log(`perf: machine ${cpus().length} × ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; caduce ${BIN}`);
console.log(`perf: database ${(total / 2 ** 20).toFixed(0)} MiB, ${N.toLocaleString('en')} accounts + demo`);
console.log(`perf: first page of « Gestion des utilisateurs » on screen after navigation: median ${median(firstPage)} ms, max ${Math.max(...firstPage)} ms (target ≤ 300 ms)`);
console.log(`perf: search keystroke, request to answer: median ${median(server_ms).toFixed(0)} ms, max ${Math.max(...server_ms).toFixed(0)} ms over ${server_ms.length} keystrokes (target ≤ 100 ms)`);
console.log(`perf: search keystroke to table updated (200 ms debounce included): median ${median(screen_ms)} ms, max ${Math.max(...screen_ms)} ms`);
rmSync(suite.tmp, { recursive: true, force: true });
