// The administrator's walk through the guide (sections 2.1, 2.1.2, 3 and 3.2) in a
// real browser against a real `caduce serve` with a fresh database:
//   sign-in page and its refusals; the cartouche and « Changer de compte »;
//   « Gestion des utilisateurs » (search, filters, sort); export (XLSX, CSV); the
//   exported CSV edited (a MED, a PER and an ORG row naming them in « Compte(s) de
//   connexion ») and imported with both boxes ticked, plan then report; an INT created
//   with the form and its conditional fields; two connection accounts added to an
//   ORG in one entry; a default mailbox set; the traces and their chain mark; an
//   administrator of another structure sees none of it (UI and API).
// Usage: CADUCE_BIN=build/dev/src/cli/caduce node tests/e2e/run.mjs
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, BIN, cli, freePort, launchBrowser, parseCsv, ROOT, startServer, Suite, toCsv, waitForMail } from './harness.mjs';
import { runMailWalk } from './mail.mjs';

const PASSWORD = 'Caduce-Essai-2026';
const ADMIN = 'claire.petit@chu-demo.fr';
const OTHER_ADMIN = 'jean.dupont@chu-demo.fr';
const OTHER = 'Clinique du Parc';
const WEB = join(ROOT, 'web/dist');

const suite = new Suite();
if (!existsSync(BIN)) {
  console.log(`e2e: the caduce binary is missing (${BIN}); set CADUCE_BIN`);
  console.log('e2e: 0 passed, 1 failed');
  process.exit(1);
}
if (!existsSync(join(WEB, 'index.html'))) {
  console.log('e2e: web/dist is not built (npm run build in web/)');
  console.log('e2e: 0 passed, 1 failed');
  process.exit(1);
}

// ---- The database: the demo structure, and another structure with its own accounts.
const db = join(suite.tmp, 'caduce.db');
cli(db, ['init', '--demo']);
cli(db, ['structure', 'add', OTHER, '--id-type', '2', '--id-value', '732829320', '--mss-domain', 'parc.mssante.fr']);
const common = ['CP=75001', 'VILLE=Paris', 'Département=75', 'Région=Île-de-France', 'Activité libérale=NON'];
cli(db, ['account', 'add', '--structure', OTHER, '--type', 'MED', '--set', 'Adresse mail=secret.parc@parc.fr',
  '--set', 'NOM=Lemoine', '--set', 'Prénom=Anne', '--set', 'Profession=Secrétaire médical', ...common.flatMap((c) => ['--set', c])]);
// Jean Dupont (a person of the demo structure) administers the other structure only.
const otherAdmin = cli(db, ['admin', 'add', '--structure', OTHER, OTHER_ADMIN], { allowFail: true });

// A real SMTP server (Debian's python3-aiosmtpd, tests/notify/smtp_sink.py) is the
// server's relay: the activation mails of the walk are caught there.
const smtpDir = join(suite.tmp, 'smtp');
mkdirSync(smtpDir);
const smtpPort = await freePort();
const smtp = spawn('/usr/bin/python3', [join(ROOT, 'tests/notify/smtp_sink.py'), '--port', String(smtpPort), '--dir', smtpDir],
  { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((ready, fail) => {
  smtp.stdout.on('data', (d) => { if (String(d).includes('ready')) ready(); });
  smtp.once('exit', (code) => fail(new Error(`the SMTP server stopped (${code})`)));
});
process.env.CADUCE_SMTP_URL = `smtp://127.0.0.1:${smtpPort}`;

const server = await startServer(db, WEB);
const browser = await launchBrowser();
const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1366, height: 900 }, acceptDownloads: true });
const page = await context.newPage();
suite.page = page;
page.setDefaultTimeout(Number(process.env.E2E_TIMEOUT_MS || 10000));
const problems = [];
page.on('console', (m) => {
  if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
});
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

let loads = 0;
const go = async (hash) => {
  // A new query each time: a full page load, as a person opening the address.
  loads += 1;
  await page.goto(`${server.url}/?v=${loads}${hash}`);
  await page.waitForLoadState('networkidle');
};
const signIn = async (address, password = PASSWORD) => {
  await go('#/connexion');
  await page.getByLabel('Adresse mail').fill(address);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Connexion' }).click();
};
const openActions = async () => {
  const button = page.getByRole('button', { name: 'Actions' });
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
};
const signOut = async () => {
  await page.locator('#cartouche').click();
  await page.getByRole('menuitem', { name: 'Déconnexion' }).click();
  await page.getByRole('heading', { name: 'Connectez-vous' }).waitFor();
};
const api = (method, path, body) =>
  page.evaluate(
    async ({ method, path, body }) => {
      const csrf = (document.cookie.match(/(?:^|; )caduce_csrf=([^;]*)/) || [])[1] || '';
      const r = await fetch(path, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      let json = null;
      try {
        json = await r.json();
      } catch {
        // no body
      }
      return { status: r.status, json };
    },
    { method, path, body },
  );

let structureId = null;
let orgId = null;
let sophieId = null;

console.log(`e2e: caduce ${server.url}, Chromium ${browser.version()}`);

await suite.test('the sign-in page « Connectez-vous » is in French, with « Mot de passe oublié ? », and passes axe', async () => {
  await go('');
  await page.getByRole('heading', { name: 'Connectez-vous' }).waitFor();
  assert((await page.locator('html').getAttribute('lang')) === 'fr', 'lang is not fr');
  await page.getByRole('link', { name: 'Mot de passe oublié ?' }).waitFor();
  await suite.screenshot(page, 'connexion');
  await suite.axe(page, 'connexion');
});

await suite.test('an ORG address is refused with the explanation of « Changer de compte »', async () => {
  await signIn('secretariat.cardiologie@chu-demo.fr');
  const alert = page.getByRole('alert');
  await alert.waitFor();
  const text = await alert.innerText();
  assert(/Changer de compte/.test(text) && /compte nominatif/.test(text), `message: ${text}`);
  await suite.screenshot(page, 'connexion-refus-org');
});

await suite.test('a wrong password is refused plainly, the password field is not echoed', async () => {
  await signIn(ADMIN, 'pas-le-bon-mot-de-passe');
  const text = await page.getByRole('alert').innerText();
  assert(text.length > 10 && !text.includes('pas-le-bon'), `message: ${text}`);
});

await suite.test('« Mot de passe oublié ? » answers the same for any address', async () => {
  await go('#/connexion');
  await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click();
  await page.getByLabel('Adresse mail').fill('personne.inconnue@nulle-part.fr');
  await page.getByRole('button', { name: 'Recevoir un lien' }).click();
  await page.getByText('Si un compte existe pour cette adresse').waitFor();
  await suite.screenshot(page, 'mot-de-passe-oublie');
});

await suite.test('an unusable activation link says so and what to do', async () => {
  await go('#/activation/jeton-invalide-0000');
  await page.getByText('Ce lien n’est plus valable').waitFor();
});

await suite.test('the administrator signs in; the cartouche shows her name and mailbox; the menu has « Changer de compte » and « Déconnexion »', async () => {
  await signIn(ADMIN);
  await page.locator('#cartouche').waitFor();
  assert((await page.locator('#cartouche').innerText()).includes('Claire'), 'name missing in the cartouche');
  await page.locator('#cartouche').click();
  await page.getByText('Changer de compte', { exact: true }).waitFor();
  await page.getByRole('menuitem', { name: 'Déconnexion' }).waitFor();
  await suite.screenshot(page, 'cartouche-menu');
  await page.keyboard.press('Escape');
  assert(await page.locator('#account-menu').isHidden(), 'Escape does not close the menu');
  await page.getByRole('link', { name: 'Administration' }).waitFor();
  await suite.axe(page, 'accueil');
});

await suite.test('« Gestion des utilisateurs » lists the structure’s accounts with the « Actions » menu', async () => {
  const t0 = Date.now();
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.locator('table.accounts tbody tr').first().waitFor();
  suite.figure(`Gestion des utilisateurs, first page shown ${Date.now() - t0} ms after the click (demo database)`);
  const rows = await page.locator('table.accounts tbody tr').count();
  assert(rows >= 6, `only ${rows} rows`);
  await page.getByRole('button', { name: 'Actions' }).click();
  for (const name of ['Exporter la liste d’utilisateurs (XLSX)', 'Exporter la liste d’utilisateurs (CSV)', 'Importer une liste d’utilisateurs', 'Créer un nouvel utilisateur']) {
    await page.getByRole('link', { name }).waitFor();
  }
  await suite.screenshot(page, 'gestion-des-utilisateurs');
  await suite.axe(page, 'gestion des utilisateurs');
  await page.keyboard.press('Escape');
  const me = await api('GET', '/api/me');
  structureId = me.json?.administers?.[0]?.id ?? null;
});

await suite.test('search as one types, filter by type, sort by name', async () => {
  const t0 = Date.now();
  await page.getByLabel('Rechercher').fill('dup');
  await page.waitForFunction(() => document.querySelectorAll('table.accounts tbody tr').length === 1);
  suite.figure(`search « dup » answered on screen in ${Date.now() - t0} ms (200 ms debounce included)`);
  assert((await page.locator('table.accounts tbody').innerText()).includes('jean.dupont@chu-demo.fr'), 'jean.dupont not found');
  await page.getByLabel('Rechercher').fill('');
  await page.getByLabel('Type').selectOption('ORG');
  await page.waitForFunction(() => [...document.querySelectorAll('table.accounts tbody tr')].every((r) => r.textContent.includes('ORG')));
  await page.getByLabel('Type').selectOption('');
  await page.getByRole('button', { name: 'Nom' }).click();
  await page.waitForFunction(() => document.querySelector('th[aria-sort="ascending"]')?.textContent.includes('Nom'));
});

const exported = {};
await suite.test('« Exporter la liste d’utilisateurs » downloads the XLSX and the CSV', async () => {
  for (const format of ['xlsx', 'csv']) {
    await openActions();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: `Exporter la liste d’utilisateurs (${format.toUpperCase()})` }).click(),
    ]);
    const file = join(suite.tmp, download.suggestedFilename());
    await download.saveAs(file);
    assert(download.suggestedFilename().endsWith(`.${format}`), `name ${download.suggestedFilename()}`);
    exported[format] = file;
  }
  assert(readFileSync(exported.xlsx).subarray(0, 2).toString() === 'PK', 'the XLSX is not a zip');
});

let importFile = null;
await suite.test('the exported CSV gets a MED, a PER and an ORG naming them in « Compte(s) de connexion »', async () => {
  assert(exported.csv, 'no CSV export');
  const rows = parseCsv(readFileSync(exported.csv, 'utf8')).filter((r) => r.some((c) => c));
  const header = rows[0];
  const make = (values) => header.map((h) => values[h] ?? '');
  const place = { CP: '31059', VILLE: 'TOULOUSE', 'Département': '31', 'Région': 'Occitanie', 'Raison Sociale': 'CHU de Démonstration' };
  rows.push(make({ 'Type de compte': 'MED', 'Adresse mail': 'nadia.roux@chu-demo.fr', NOM: 'ROUX', 'Prénom': 'Nadia', Profession: 'Secrétaire médical', 'Activité libérale': 'NON', ...place }));
  rows.push(make({ 'Type de compte': 'PER', 'Adresse mail': 'paul.girard@chu-demo.fr', NOM: 'GIRARD', 'Prénom': 'Paul', RPPS: '10003456789', Profession: 'Médecin', 'Activité libérale': 'NON', ...place }));
  rows.push(make({
    'Type de compte': 'ORG', 'Adresse mail': 'accueil.pediatrie@chu-demo.fr', 'Description fonctionnelle': 'Accueil de pédiatrie',
    'Nom resp': 'Girard', 'Prénom resp': 'Paul', 'Type identifiant structure resp': '3', 'Identifiant structure resp': '31000123500012',
    'Compte(s) de connexion': 'nadia.roux@chu-demo.fr;paul.girard@chu-demo.fr', ...place,
  }));
  importFile = join(suite.tmp, 'utilisateurs-modifie.csv');
  writeFileSync(importFile, toCsv(rows));
});

await suite.test('import with both boxes ticked: the plan, then « Importer la liste d’utilisateurs », then the report', async () => {
  assert(importFile, 'no file to import');
  await openActions();
  await page.getByRole('link', { name: 'Importer une liste d’utilisateurs' }).click();
  await page.getByRole('heading', { name: 'Importer une liste d’utilisateurs' }).waitFor();
  await page.getByLabel('Fichier à importer (XLSX, XLS ou CSV)').setInputFiles(importFile);
  const notify = page.getByLabel('Envoyer une notification aux utilisateurs pour les avertir de leur inscription');
  const visible = page.getByLabel('Rendre les utilisateurs visibles dans l’annuaire');
  if (!(await notify.isChecked())) await notify.check();
  if (!(await visible.isChecked())) await visible.check();
  await suite.screenshot(page, 'import-choix');
  await suite.axe(page, 'import');
  await page.getByRole('button', { name: 'Vérifier le fichier' }).click();
  await page.getByRole('heading', { name: 'Ce que l’import va faire' }).waitFor({ timeout: 30000 });
  const plan = await page.locator('.counts').innerText();
  assert(/Comptes créés\s*3/.test(plan), `plan: ${plan}`);
  await suite.screenshot(page, 'import-plan');
  await page.getByRole('button', { name: 'Importer la liste d’utilisateurs' }).click();
  await page.getByRole('heading', { name: 'Compte-rendu de l’import' }).waitFor({ timeout: 30000 });
  const report = await page.locator('.counts').innerText();
  assert(/Comptes créés\s*3/.test(report) && /Droits de connexion accordés\s*2/.test(report), `report: ${report}`);
  await suite.screenshot(page, 'import-compte-rendu');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'XLSX' }).click()]);
  assert(/\.xlsx$/.test(download.suggestedFilename()), 'report download');
});

await suite.test('the activation mail of an imported person: link followed, password set, the new user signs in', async () => {
  // The mail went through the relay: the real SMTP server received it.
  const mail = await waitForMail(smtpDir, 'nadia.roux@chu-demo.fr');
  const link = (mail.text.match(/https?:\/\/\S+#\/activation\/[A-Za-z0-9_-]+/) || [])[0];
  assert(link, `no activation link in: ${mail.text.slice(0, 400)}`);
  const token = link.split('#/activation/')[1];
  const admin = await context.cookies();
  await context.clearCookies();
  await go(`#/activation/${token}`);
  await page.getByRole('heading', { name: 'Activation de votre compte' }).waitFor();
  await page.getByText('nadia.roux@chu-demo.fr').waitFor();
  await page.getByLabel('Mot de passe', { exact: true }).fill('court');
  await page.getByLabel('Confirmez le mot de passe').fill('court');
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await page.getByRole('alert').waitFor();
  await suite.screenshot(page, 'activation-refus');
  await page.getByLabel('Mot de passe', { exact: true }).fill('Une phrase de passe bien longue 42');
  await page.getByLabel('Confirmez le mot de passe').fill('Une phrase de passe bien longue 42');
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
  await page.getByText('Votre mot de passe est enregistré.').waitFor();
  await suite.screenshot(page, 'activation-faite');
  await signIn('nadia.roux@chu-demo.fr', 'Une phrase de passe bien longue 42');
  await page.waitForFunction(() => document.querySelector('#cartouche')?.textContent.includes('Nadia'));
  await context.clearCookies();
  await context.addCookies(admin);
});

await suite.test('« Créer un nouvel utilisateur »: an INT, with the conditional fields appearing', async () => {
  await go('#/admin/utilisateurs/nouveau');
  await page.getByRole('heading', { name: 'Créer un nouvel utilisateur' }).waitFor();
  await page.getByText('médecin interne ou étranger').waitFor();
  await page.getByRole('radio', { name: /INT/ }).check();
  const civilite = page.getByLabel(/Civilité exercice/);
  assert(!(await civilite.isVisible()), 'Civilité exercice shown before the profession');
  await page.getByLabel(/^Adresse mail/).fill('ines.moreau@chu-demo.fr');
  await page.getByLabel(/^NOM/).fill('Moreau');
  await page.getByLabel(/^Prénom/).fill('Inès');
  await page.getByLabel(/^CP/).fill('31059');
  await page.getByLabel(/^VILLE/).fill('Toulouse');
  await page.getByLabel(/^Département/).fill('31');
  await page.getByLabel(/^Région/).fill('Occitanie');
  await page.getByLabel(/^Profession/).fill('Médecin');
  await civilite.waitFor();
  await suite.screenshot(page, 'creation-int-civilite');
  await page.getByLabel(/^Activité libérale/).fill('NON');
  await page.getByLabel(/^Type identifiant structure resp/).fill('3');
  await page.getByLabel(/^Identifiant structure resp/).fill('31000123500012');
  await civilite.fill('DR');
  await suite.axe(page, 'création');
  await page.getByRole('button', { name: 'Enregistrer l’utilisateur' }).click();
  await page.getByRole('heading', { name: /Éditer le compte/ }).waitFor();
  await page.getByText('En attente d’activation').first().waitFor();
  await suite.screenshot(page, 'compte-int-cree');
});

await suite.test('a refused form shows the server’s findings beside their field, nothing written', async () => {
  await go('#/admin/utilisateurs/nouveau?type=MED');
  await page.getByLabel(/^Adresse mail/).fill('pas-une-adresse');
  for (const [label, value] of [[/^NOM/, 'Test'], [/^Prénom/, 'Test'], [/^CP/, '31059'], [/^VILLE/, 'Toulouse'], [/^Département/, '31'], [/^Région/, 'Occitanie'], [/^Profession/, 'Secrétaire médical'], [/^Activité libérale/, 'NON']]) {
    await page.getByLabel(label).fill(value);
  }
  await page.getByRole('button', { name: 'Enregistrer l’utilisateur' }).click();
  await page.locator('.field.invalid .finding').first().waitFor();
  const invalid = await page.locator('.field.invalid label').first().innerText();
  assert(invalid.startsWith('Adresse mail'), `finding on ${invalid}`);
  await suite.screenshot(page, 'creation-refus');
  const list = await api('GET', `/api/structures/${structureId}/accounts?q=pas-une`);
  assert(list.json && list.json.total === 0, 'something was written');
});

await suite.test('on the ORG mailbox, two connection accounts added in one entry separated by a comma', async () => {
  const found = await api('GET', `/api/structures/${structureId}/accounts?q=secretariat&type=ORG`);
  orgId = found.json?.items?.[0]?.id;
  assert(orgId, 'ORG not found through the API');
  await go(`#/admin/utilisateurs/${orgId}`);
  await page.getByRole('heading', { name: 'Gestion des comptes de connexion' }).waitFor();
  await page.getByText('La recherche en cours de frappe est limitée à 50 réponses.').waitFor();
  const entry = page.getByLabel(/Ajouter un compte de connexion/);
  await entry.fill('luc');
  await page.getByRole('option', { name: /lucas\.bernard@chu-demo\.fr/ }).click();
  await entry.press('End');
  await entry.type('claire.petit@chu-demo.fr, laboratoire@chu-demo.fr');
  await suite.screenshot(page, 'connexion-saisie');
  await page.getByRole('button', { name: 'Ajouter un compte existant' }).click();
  await page.getByText('Compte(s) ajouté(s)').waitFor();
  await page.waitForFunction(() => document.querySelector('ul.connections')?.textContent.includes('lucas.bernard@chu-demo.fr'));
  const listed = await page.locator('ul.connections').innerText();
  assert(listed.includes('lucas.bernard@chu-demo.fr') && listed.includes('claire.petit@chu-demo.fr'), `listed: ${listed}`);
  const refused = await page.locator('.result .alert').innerText();
  assert(refused.includes('laboratoire@chu-demo.fr'), `an APP address is not refused: ${refused}`);
  await suite.screenshot(page, 'gestion-des-comptes-de-connexion');
  await suite.axe(page, 'compte ORG');
});

await suite.test('« Définir comme compte par défaut » on a nominative account, with the guide’s sentence', async () => {
  const found = await api('GET', `/api/structures/${structureId}/accounts?q=lucas`);
  const lucas = found.json?.items?.[0];
  assert(lucas, 'lucas not found');
  await go(`#/admin/utilisateurs/${lucas.id}`);
  await page.getByRole('heading', { name: 'Gestion des comptes de connexion' }).waitFor();
  const box = page.getByRole('checkbox', { name: /Définir comme compte par défaut : secretariat\.cardiologie/ });
  await box.check();
  await page.getByText('A la prochaine connexion avec l’identifiant lucas.bernard@chu-demo.fr, le compte secretariat.cardiologie@chu-demo.fr sera affiché par défaut.').waitFor();
  await suite.screenshot(page, 'compte-par-defaut');
  await suite.axe(page, 'compte nominatif');
});

await suite.test('the status panel disables and enables an account', async () => {
  const found = await api('GET', `/api/structures/${structureId}/accounts?q=sophie`);
  sophieId = found.json?.items?.[0]?.id;
  await go(`#/admin/utilisateurs/${sophieId}`);
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Désactiver le compte' }).click();
  await page.getByText('Le compte est désactivé.').waitFor();
  await page.getByRole('button', { name: 'Réactiver le compte' }).click();
  await page.getByText('Le compte est réactivé.').waitFor();
});

await suite.test('« Traces »: the structure’s trail with the chain verified mark, filters and export', async () => {
  await go('#/admin/traces');
  await page.getByRole('heading', { name: 'Traces' }).waitFor();
  await page.getByText('Chaîne des traces vérifiée').waitFor();
  await page.locator('table.traces tbody tr').first().waitFor();
  await suite.screenshot(page, 'traces');
  await suite.axe(page, 'traces');
  await page.getByLabel('Action').fill('right.');
  await page.getByRole('button', { name: 'Filtrer' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('table.traces tbody tr')].every((r) => r.textContent.includes('right.')));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Exporter les traces (CSV)' }).click()]);
  assert(/\.csv$/.test(download.suggestedFilename()), 'trace export');
});

await suite.test('works with the keyboard alone: Tab reaches the cartouche, the menu opens with Enter, focus is visible', async () => {
  await go('#/admin/utilisateurs');
  await page.locator('#cartouche').focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menuitem', { name: 'Déconnexion' }).waitFor();
  await page.keyboard.press('ArrowDown');
  const focused = await page.evaluate(() => document.activeElement?.getAttribute('role'));
  assert(focused === 'menuitem', `focus on ${focused}`);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert(outline !== 'none', 'no visible focus');
  await page.keyboard.press('Escape');
});

await suite.test('a tablet (768 × 1024) shows the list without horizontal page scroll', async () => {
  await page.setViewportSize({ width: 768, height: 1024 });
  await go('#/admin/utilisateurs');
  await page.locator('table.accounts tbody tr').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert(overflow <= 0, `page overflows by ${overflow}px`);
  await suite.screenshot(page, 'tablette-gestion-des-utilisateurs');
  await page.setViewportSize({ width: 1366, height: 900 });
});

await suite.test('the secretary switches to the ORG mailbox with « Changer de compte »', async () => {
  await signOut();
  await signIn('sophie.martin@chu-demo.fr');
  await page.locator('#cartouche').waitFor();
  await page.locator('#cartouche').click();
  await page.getByRole('menuitem', { name: /sophie\.martin@chu-demo\.fr/ }).click();
  await page.waitForFunction(() => document.querySelector('#cartouche')?.textContent.includes('sophie.martin@chu-demo.fr'));
  await page.locator('#cartouche').click();
  await page.getByRole('menuitem', { name: /Secrétariat de cardiologie/ }).click();
  await page.waitForFunction(() => document.querySelector('#cartouche')?.textContent.includes('Secrétariat de cardiologie'));
  assert(!(await page.getByRole('link', { name: 'Administration' }).count()), 'a non-administrator sees Administration');
  await suite.screenshot(page, 'changer-de-compte');
});

await suite.test('a non-administrator gets 403 on the administration API', async () => {
  const r = await api('GET', `/api/structures/${structureId}/accounts`);
  assert(r.status === 403, `status ${r.status}`);
});

if (otherAdmin.status === 0) {
  await suite.test('an administrator of another structure sees none of it, by UI and by API', async () => {
    await signOut();
    await signIn(OTHER_ADMIN);
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.locator('table.accounts tbody tr').first().waitFor();
    const text = await page.locator('table.accounts tbody').innerText();
    assert(text.includes('secret.parc@parc.fr'), 'own structure missing');
    assert(!text.includes('@chu-demo.fr'), `demo accounts visible: ${text}`);
    await page.getByLabel('Rechercher').fill('claire');
    await page.waitForFunction(() => document.querySelectorAll('table.accounts tbody tr').length === 0);
    await suite.screenshot(page, 'autre-structure');
    for (const path of [`/api/structures/${structureId}/accounts`, `/api/accounts/${orgId}`, `/api/accounts/${sophieId}/connections`, `/api/structures/${structureId}/audit`]) {
      const r = await api('GET', path);
      assert(r.status === 404 || r.status === 403, `${path} answered ${r.status}`);
    }
    const grant = await api('POST', `/api/accounts/${orgId}/connections`, { addresses: OTHER_ADMIN });
    assert(grant.status === 404 || grant.status === 403, `grant answered ${grant.status}`);
    const ac = await api('GET', `/api/structures/${structureId}/autocomplete?q=cl&nominative=1`);
    assert(ac.status === 404 || ac.status === 403, `autocomplete answered ${ac.status}`);
    await go(`#/admin/utilisateurs/${orgId}`);
    await page.getByRole('alert').waitFor();
  });
} else {
  await suite.test('an administrator of another structure sees none of it', async () => {
    assert(false, `caduce admin add refused: ${otherAdmin.stderr.trim()}`);
  });
}

await suite.test('no CSP violation and no script error on any page', async () => {
  assert(problems.length === 0, problems.join('\n'));
});


await browser.close();
await server.stop();
smtp.kill('SIGTERM');

// The web mail walk, on its own server and database (tests/e2e/mail.mjs).
await runMailWalk(suite);
const code = suite.finish();
process.exit(code);
