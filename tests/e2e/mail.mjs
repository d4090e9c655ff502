// The web mail walk of the guide (section 3) in Debian's Chromium against a real
// `caduce serve` with its own fresh demo database:
//   the secretary (MED) signs in and lands in her own mailbox; switches to the ORG
//   mailbox of her service with « Changer de compte »; opens the message a doctor
//   (PER) sent to the ORG address with a PDF; downloads the PDF; replies from the
//   ORG mailbox; the doctor sees the reply from the ORG address; the traces page
//   shows the secretary's actions; once the administrator sets the ORG as her
//   default, her next sign-in opens it; signing in with the ORG address is refused
//   with the explanation; a revoked right removes the ORG from her menu at the next
//   action; she writes to the doctor, picked from the directory's suggestions
//   after typing « dup »; she changes her password in « Préférences » (her other
//   session ends, the old password is refused). Also: a hostile HTML message is
//   shown sanitised; new mail appears
//   without reload (push); axe on each screen; the tablet layout.
// Run by tests/e2e/run.mjs (same summary line), or alone:
//   CADUCE_BIN=build/dev/src/cli/caduce node tests/e2e/mail.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assert, BIN, cli, DATA, launchBrowser, ROOT, startServer, Suite } from './harness.mjs';

const requireWeb = createRequire(join(ROOT, 'web/package.json'));
const { default: AxeBuilder } = await import(requireWeb.resolve('@axe-core/playwright'));

const PASSWORD = 'Caduce-Essai-2026';
const ADMIN = 'claire.petit@chu-demo.fr';
const SECRETARY = 'sophie.martin@chu-demo.fr';
const DOCTOR = 'jean.dupont@chu-demo.fr';
const ORG = 'secretariat.cardiologie@chu-demo.fr';
const WEB = join(ROOT, 'web/dist');

// A small valid PDF of two pages, each a coloured square (drawn without fonts).
const square = (rgb) => `${rgb} rg 20 20 160 160 re f`;
export const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R 5 0 R]/Count 2>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>endobj\n' +
    `4 0 obj<</Length ${square('0.1 0.3 0.6').length}>>stream\n${square('0.1 0.3 0.6')}\nendstream endobj\n` +
    '5 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 6 0 R>>endobj\n' +
    `6 0 obj<</Length ${square('0.7 0.2 0.1').length}>>stream\n${square('0.7 0.2 0.1')}\nendstream endobj\n` +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
);
// Bytes named .pdf that are no PDF at all.
export const BROKEN_PDF = Buffer.from('Ceci n’est pas un PDF : fichier tronqué lors de l’envoi.\n');

/** An RFC 5322 message; `html` adds an HTML alternative, `pdf` a PDF attachment. */
export function message({ from, to, subject, text, html = '', pdf = null, pdfName = 'compte-rendu.pdf', messageId }) {
  const enc = (s) => `=?UTF-8?B?${Buffer.from(s).toString('base64')}?=`;
  const b64 = (buf) => buf.toString('base64').replace(/.{76}/g, '$&\r\n');
  const head = [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${enc(subject)}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${messageId || `${Date.now()}.${Math.random().toString(36).slice(2)}@chu-demo.fr`}>`,
    'MIME-Version: 1.0',
  ];
  const textPart = ['Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: base64', '', b64(Buffer.from(text))].join('\r\n');
  let body = textPart;
  if (html) {
    const htmlPart = ['Content-Type: text/html; charset=UTF-8', 'Content-Transfer-Encoding: base64', '', b64(Buffer.from(html))].join('\r\n');
    body = ['Content-Type: multipart/alternative; boundary="alt"', '', '--alt', textPart, '--alt', htmlPart, '--alt--'].join('\r\n');
  }
  if (pdf) {
    const att = [`Content-Type: application/pdf; name="${pdfName}"`, `Content-Disposition: attachment; filename="${pdfName}"`, 'Content-Transfer-Encoding: base64', '', b64(pdf)].join('\r\n');
    return [...head, 'Content-Type: multipart/mixed; boundary="mix"', '', '--mix', body, '--mix', att, '--mix--', ''].join('\r\n');
  }
  return [...head, ...(body === textPart ? textPart.split('\r\n') : body.split('\r\n')), ''].join('\r\n');
}

/** Delivers a message with `caduce mail deliver`. */
export function deliver(db, from, to, raw) {
  const r = spawnSync(BIN, ['--db', db, '--data', DATA, 'mail', 'deliver', '--from', from, '--to', to], { input: raw, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`caduce mail deliver → ${r.status}\n${r.stdout}\n${r.stderr}`);
}

export async function runMailWalk(suite) {
  const db = join(suite.tmp, 'mail.db');
  cli(db, ['init', '--demo']);
  // The sender's image host of « Afficher les images », on loopback: caduce may reach it in this test only.
  process.env.CADUCE_REMOTE_IMAGES_ALLOW_PRIVATE = 'on';
  const server = await startServer(db, WEB);
  const browser = await launchBrowser();
  const problems = [];
  const newContext = async (viewport = { width: 1366, height: 900 }) => {
    const context = await browser.newContext({ locale: 'fr-FR', viewport, acceptDownloads: true });
    const page = await context.newPage();
    page.on('console', (m) => {
      // Remote images asked for with « Afficher les images » come through caduce's image proxy: nothing is refused.
      if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    return page;
  };
  const axe = async (page, where) => {
    // The message itself (its frame) is the sender's content, not the interface.
    const result = await new AxeBuilder({ page }).exclude('iframe.mail-body').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (bad.length) throw new Error(`axe (${where}):\n${bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('\n')}`);
  };
  const signIn = async (page, address) => {
    await page.goto(`${server.url}/#/connexion`);
    await page.getByLabel('Adresse mail').fill(address);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Connexion' }).click();
    return t0;
  };
  const listReady = (page) => page.locator('c-mail-page[data-ready] .mail-row').first().waitFor({ timeout: 15000 });
  const api = (page, method, path, body) =>
    page.evaluate(
      async ({ method, path, body }) => {
        const csrf = (document.cookie.match(/(?:^|; )caduce_csrf=([^;]*)/) || [])[1] || '';
        const r = await fetch(path, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) }, body: body === undefined ? undefined : JSON.stringify(body) });
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

  console.log(`e2e mail: caduce ${server.url}`);
  const probe = await fetch(`${server.url}/.well-known/jmap`);
  // The JMAP session needs a signed-in person: without one the route answers 401;
  // a 404 means the server has no JMAP API, and the walk fails at once.
  if (probe.status !== 401) {
    await suite.test('caduce serve has a JMAP API', async () => {
      assert(false, `/.well-known/jmap answered ${probe.status} without a session (expected 401)`);
    });
    await browser.close();
    await server.stop();
    return;
  }

  deliver(
    db,
    DOCTOR,
    ORG,
    message({
      from: `Dr Jean Dupont <${DOCTOR}>`,
      to: ORG,
      subject: 'Compte rendu de consultation — M. Durand',
      text: 'Bonjour,\n\nVeuillez trouver ci-joint le compte rendu de consultation de M. Durand.\n\nDr Jean Dupont',
      pdf: PDF,
      messageId: 'cr-durand@chu-demo.fr',
    }),
  );
  deliver(
    db,
    DOCTOR,
    ORG,
    message({
      from: `Dr Jean Dupont <${DOCTOR}>`,
      to: ORG,
      subject: 'Résultats illisibles',
      text: 'Le fichier joint a été abîmé en route.',
      pdf: BROKEN_PDF,
      pdfName: 'resultats.pdf',
    }),
  );
  deliver(
    db,
    'inconnu@exterieur.fr',
    ORG,
    message({
      from: 'Expéditeur douteux <inconnu@exterieur.fr>',
      to: ORG,
      subject: 'Message piégé',
      text: 'Texte brut du message piégé',
      html:
        '<p id="x" onclick="alert(1)">Bonjour <b>équipe</b></p><script>window.parent.pwned=1</script>' +
        '<img src="https://traceur.example/pixel.gif" onerror="alert(2)"><a href="javascript:alert(3)">cliquez</a>' +
        '<a href="https://ans.example/doc">lien sûr</a><form action="https://x.example"><input name="p"></form>' +
        '<iframe src="https://x.example"></iframe><svg onload="alert(4)"></svg><style>body{display:none}</style>',
    }),
  );

  // The administrator: ids, and the secretary's default back to her own mailbox.
  const admin = await newContext();
  await signIn(admin, ADMIN);
  await admin.locator('#cartouche').waitFor();
  const structures = (await api(admin, 'GET', '/api/structures')).json;
  const sid = structures[0].id;
  const find = async (q) => (await api(admin, 'GET', `/api/structures/${sid}/accounts?q=${encodeURIComponent(q)}`)).json.items.find((a) => a.address === q);
  const sophie = await find(SECRETARY);
  const org = await find(ORG);
  const reset = await api(admin, 'PUT', `/api/accounts/${sophie.id}/default-mailbox`, { mailbox_id: sophie.id });
  assert(reset.status === 200, `default reset answered ${reset.status}`);

  const page = await newContext();
  suite.page = page;
  let orgAccount = '';

  await suite.test('mail: the secretary signs in and lands in her own mailbox (sign-in to inbox timed)', async () => {
    const t0 = await signIn(page, SECRETARY);
    await page.locator('c-mail-page[data-ready]').waitFor({ timeout: 15000 });
    suite.figure(`mail: sign-in to her inbox shown ${Date.now() - t0} ms (demo mailbox, target ≤ 1 s)`);
    const using = await page.locator('.mail-using').innerText();
    assert(using.includes(SECRETARY), `mailbox in use: ${using}`);
    assert((await page.locator('#mail-title').innerText()).includes('Boîte de réception'), 'not the inbox');
    assert(/#\/mail\/[^/]+\/[^/]+/.test(page.url()), `URL ${page.url()}`);
    await suite.screenshot(page, 'mail-boite-personnelle');
    await axe(page, 'boîte personnelle');
  });

  await suite.test('mail: « Changer de compte » lists her mailboxes with unread counts and switches to the ORG (timed)', async () => {
    await page.locator('#cartouche').click();
    const item = page.getByRole('menuitem', { name: new RegExp(ORG.replace(/\./g, '\\.')) });
    await item.waitFor();
    await page.locator('#account-menu .unread-count').first().waitFor({ timeout: 5000 });
    await suite.screenshot(page, 'mail-changer-de-compte');
    const t0 = Date.now();
    await item.click();
    await page.waitForFunction((org) => document.querySelector('.mail-using')?.textContent.includes(org) && document.querySelector('c-mail-page .mail-row'), ORG);
    suite.figure(`mail: switch to the ORG mailbox, list shown ${Date.now() - t0} ms (target ≤ 300 ms)`);
    orgAccount = decodeURIComponent(page.url().split('#/mail/')[1].split('/')[0]);
    // The cartouche is rendered by the shell after the page's own switch: wait for it, then check.
    await page.waitForFunction(() => document.querySelector('#cartouche')?.textContent.includes('cardiologie'), null, { timeout: 5000 })
      .catch(() => {});
    assert((await page.locator('#cartouche').innerText()).includes('cardiologie'), 'the cartouche does not name the ORG');
    await suite.screenshot(page, 'mail-boite-org');
  });

  await suite.test('mail: she opens the doctor’s message with its PDF, sees it, and downloads the PDF', async () => {
    const row = page.locator('.mail-row', { hasText: 'Compte rendu de consultation' });
    const t0 = Date.now();
    await row.click();
    await page.locator('#reader-subject', { hasText: 'Compte rendu de consultation' }).waitFor();
    suite.figure(`mail: message opened ${Date.now() - t0} ms after the click (target ≤ 200 ms)`);
    const body = await page.frameLocator('iframe.mail-body').locator('body').innerText();
    assert(body.includes('compte rendu de consultation de M. Durand'), `body: ${body}`);
    await page.locator('.att-name', { hasText: 'compte-rendu.pdf' }).waitFor();
    assert(/#\/mail\/[^/]+\/[^/]+\/[^/?]+/.test(page.url()), `URL does not name the message: ${page.url()}`);
    await suite.screenshot(page, 'mail-message-pdf');
    await axe(page, 'lecture');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Télécharger/ }).first().click()]);
    const file = await download.path();
    const bytes = readFileSync(file);
    assert(bytes.subarray(0, 5).toString() === '%PDF-', 'the download is not the PDF');
    assert(bytes.equals(PDF), 'the downloaded PDF differs from the one sent');
  });

  await suite.test('mail: she previews the doctor’s PDF in the reading pane (pdf.js, its own chunk), page by page', async () => {
    const chunks = [];
    page.on('request', (r) => chunks.push(r.url()));
    await page.getByRole('button', { name: /Aperçu.*compte-rendu\.pdf/ }).click();
    const preview = page.locator('c-pdf-preview[data-state=rendered]');
    await preview.waitFor({ timeout: 15000 });
    await page.getByText('Page 1 sur 2').waitFor();
    const inked = () =>
      page.locator('c-pdf-preview canvas').evaluate((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200)) n += 1;
        return { n, w: c.width, h: c.height, center: [...c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data] };
      });
    const first = await inked();
    assert(first.n > (first.w * first.h) / 4, `page 1 is blank: ${JSON.stringify(first)}`);
    assert(first.center[2] > first.center[0], `page 1 is not the blue square: ${first.center}`);
    await suite.screenshot(page, 'mail-apercu-pdf');
    await axe(page, 'aperçu du PDF');
    await page.getByRole('button', { name: 'Page suivante' }).click();
    await page.locator('c-pdf-preview[data-page="2"][data-state=rendered]').waitFor();
    await page.getByText('Page 2 sur 2').waitFor();
    const second = await inked();
    assert(second.center[0] > second.center[2], `page 2 is not the red square: ${second.center}`);
    assert(await page.getByRole('button', { name: 'Page suivante' }).isDisabled(), '« Page suivante » after the last page');
    assert(chunks.some((u) => /\/assets\/pdf\.worker[^/]*\.mjs$/.test(u)), `pdf.js worker not served by caduce: ${chunks.filter((u) => u.includes('/assets/')).join(' ')}`);
    assert(chunks.every((u) => u.startsWith(server.url) || u.startsWith('data:') || u.startsWith('blob:')), 'the preview fetched from elsewhere');
    await page.getByRole('button', { name: /Aperçu.*compte-rendu\.pdf/ }).click();
    await preview.waitFor({ state: 'detached' });
  });

  await suite.test('mail: a corrupt PDF gets a clear French explanation instead of a preview', async () => {
    const back = page.url();
    await page.locator('.mail-row', { hasText: 'Résultats illisibles' }).click();
    await page.locator('#reader-subject', { hasText: 'Résultats illisibles' }).waitFor();
    await page.getByRole('button', { name: /Aperçu.*resultats\.pdf/ }).click();
    const alert = page.locator('c-pdf-preview [role=alert]');
    await alert.waitFor({ timeout: 15000 });
    const text = await alert.innerText();
    assert(/endommagé/.test(text) && /téléchargez-le/.test(text), `corrupt PDF: ${text}`);
    await suite.screenshot(page, 'mail-pdf-endommage');
    await page.goto(back);
    await page.locator('#reader-subject', { hasText: 'Compte rendu de consultation' }).waitFor();
  });

  await suite.test('mail: a link to the message of the ORG mailbox opens it for a person with the right', async () => {
    const url = page.url();
    const other = await newContext();
    await signIn(other, DOCTOR);
    await other.locator('c-mail-page[data-ready]').waitFor({ timeout: 15000 });
    await other.goto(url);
    await other.locator('#reader-subject', { hasText: 'Compte rendu de consultation' }).waitFor();
    await other.context().close();
  });

  await suite.test('mail: she replies from the ORG mailbox, the form says « Envoyé depuis » the ORG', async () => {
    await page.getByRole('button', { name: 'Répondre', exact: true }).click();
    const from = await page.locator('.sent-from').innerText();
    assert(from.includes(ORG), `Envoyé depuis: ${from}`);
    assert((await page.getByLabel('À', { exact: true }).inputValue()).includes(DOCTOR), 'the reply is not to the doctor');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Control+Home');
    await page.getByRole('textbox', { name: 'Message', exact: true }).pressSequentially('Bien reçu, le dossier est complet. Le secrétariat.');
    await suite.screenshot(page, 'mail-reponse');
    await axe(page, 'rédaction');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await page.getByText('Message envoyé.').waitFor();
  });

  await suite.test('mail: the doctor sees the reply from the ORG address', async () => {
    const doctor = await newContext();
    await signIn(doctor, DOCTOR);
    await doctor.locator('c-mail-page[data-ready]').waitFor({ timeout: 15000 });
    await doctor.locator('#cartouche').click();
    await doctor.getByRole('menuitem', { name: new RegExp(DOCTOR.replace(/\./g, '\\.')) }).click();
    const row = doctor.locator('.mail-row', { hasText: 'Re : Compte rendu de consultation' });
    await row.waitFor({ timeout: 15000 });
    await row.click();
    const head = await doctor.locator('.reader-head').innerText();
    assert(head.includes(ORG), `From: ${head}`);
    const body = await doctor.frameLocator('iframe.mail-body').locator('body').innerText();
    assert(body.includes('Bien reçu, le dossier est complet'), `body: ${body}`);
    await suite.screenshot(doctor, 'mail-medecin-recoit-reponse');
    await doctor.context().close();
  });

  await suite.test('mail: the ORG message shows who opened and answered it', async () => {
    await page.goto(page.url().split('?')[0]);
    await page.locator('.mail-row', { hasText: 'Compte rendu de consultation' }).first().click();
    const handling = page.locator('.handling');
    await handling.waitFor();
    const text = await handling.innerText();
    assert(/Ouvert par/.test(text) && text.includes(SECRETARY), `handling: ${text}`);
    assert(/Répondu par/.test(text), `handling: ${text}`);
    await page.getByLabel('Non traités').check();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('.mail-row:not(.placeholder)')];
      return location.hash.includes('nontraites=1') && rows.length > 0 && !rows.some((r) => r.textContent.includes('Compte rendu de consultation'));
    });
    await suite.screenshot(page, 'mail-non-traites');
    await page.getByLabel('Non traités').uncheck();
  });

  await suite.test('mail: a hostile HTML message is shown sanitised, remote images only on request', async () => {
    await page.locator('.mail-row', { hasText: 'Message piégé' }).click();
    await page.locator('#reader-subject', { hasText: 'Message piégé' }).waitFor();
    const frame = page.frameLocator('iframe.mail-body');
    await frame.locator('body', { hasText: 'Bonjour' }).waitFor();
    const html = await frame.locator('body').innerHTML();
    for (const bad of ['<script', 'onclick', 'onerror', 'onload', 'javascript:', '<form', '<input', '<iframe', '<svg', '<style', 'traceur.example'])
      assert(!html.toLowerCase().includes(bad), `${bad} left in the frame: ${html}`);
    assert(html.includes('https://ans.example/doc'), 'the safe link was dropped');
    assert((await page.locator('iframe.mail-body').getAttribute('sandbox')).split(' ').every((t) => t !== 'allow-scripts'), 'the frame may run scripts');
    assert(!(await page.evaluate(() => window.pwned)), 'a script of the message ran');
    await page.getByText('Les images distantes de ce message sont bloquées.').waitFor();
    assert((await frame.locator('img').getAttribute('src')) === null, 'the tracking pixel has a source before « Afficher les images »');
    await suite.screenshot(page, 'mail-message-html-assaini');
    await page.getByRole('button', { name: 'Afficher les images' }).click();
    await page.getByText('Les images distantes de ce message sont bloquées.').waitFor({ state: 'detached' });
    // Shown through caduce's image proxy, never fetched by the browser from the sender's host.
    await frame.locator('img[src]').waitFor();
    const src = await frame.locator('img').getAttribute('src');
    assert(src === `${server.url}/api/mail/image?url=${encodeURIComponent('https://traceur.example/pixel.gif')}`, `image source: ${src}`);
    const csp = await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert(/img-src 'self' blob: data:;/.test(csp) && !/https?:/.test(csp), `frame CSP: ${csp}`);
    // traceur.example does not exist: the proxy cannot bring it, and the pane says so.
    await page.getByText('Une image distante n’a pas pu être affichée').waitFor({ timeout: 15000 });
  });

  await suite.test('mail: an image of the message itself (cid:) is shown from its own part, remote ones stay blocked', async () => {
    // A 1×1 PNG as the message's inline part, and a tracking pixel beside it.
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
    const raw = [
      `From: Dr Jean Dupont <${DOCTOR}>`,
      `To: ${ORG}`,
      'Subject: Lettre avec le logo du service',
      `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
      'Message-ID: <logo-service@chu-demo.fr>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/related; boundary="rel"',
      '',
      '--rel',
      'Content-Type: text/html; charset=UTF-8',
      '',
      '<p>Logo du service :</p><img src="cid:logo@chu-demo.fr" alt="Logo du service"><img src="https://traceur.example/ouvert.gif" alt="pixel">',
      '--rel',
      'Content-Type: image/png; name="logo.png"',
      'Content-Transfer-Encoding: base64',
      'Content-ID: <logo@chu-demo.fr>',
      'Content-Disposition: inline; filename="logo.png"',
      '',
      png,
      '--rel--',
      '',
    ].join('\r\n');
    deliver(db, DOCTOR, ORG, raw);
    await page.locator('.mail-row', { hasText: 'Lettre avec le logo du service' }).click();
    await page.locator('#reader-subject', { hasText: 'Lettre avec le logo du service' }).waitFor();
    const frame = page.frameLocator('iframe.mail-body');
    const logo = frame.locator('img[alt="Logo du service"]');
    await logo.waitFor();
    const src = await logo.getAttribute('src');
    assert(/\/jmap\/download\//.test(src), `the inline image is not served from the message's part: ${src}`);
    await page.waitForFunction(() => document.querySelector('iframe.mail-body').contentDocument.querySelector('img[alt="Logo du service"]')?.naturalWidth === 1);
    assert((await frame.locator('img[alt="pixel"]').getAttribute('src')) === null, 'the tracking pixel has a source');
    await page.getByText('Les images distantes de ce message sont bloquées.').waitFor();
    assert(!(await page.locator('.att-name', { hasText: 'logo.png' }).count()), 'the inline image is listed as an attachment');
  });

  await suite.test('mail: « Afficher les images » shows a remote image fetched by caduce, never by the browser', async () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
    const seen = [];
    const host = createServer((req, res) => {
      seen.push({ url: req.url, cookie: req.headers.cookie || '', referer: req.headers.referer || '' });
      res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': png.length });
      res.end(png);
    });
    await new Promise((ok) => host.listen(0, '127.0.0.1', ok));
    const remote = `http://127.0.0.1:${host.address().port}/entete.png?destinataire=secretariat`;
    const asked = [];
    const onRequest = (r) => asked.push(r.url());
    page.on('request', onRequest);
    try {
      deliver(db, 'laboratoire@chu-demo.fr', ORG, message({ from: `Laboratoire <laboratoire@chu-demo.fr>`, to: ORG, subject: 'Bulletin avec en-tête distant', text: 'Bulletin.', html: `<p>Bulletin du laboratoire</p><img src="${remote}" alt="En-tête">` }));
      await page.locator('.mail-row', { hasText: 'Bulletin avec en-tête distant' }).click();
      await page.getByText('Les images distantes de ce message sont bloquées.').waitFor();
      assert(seen.length === 0, 'the image was fetched before « Afficher les images »');
      await page.getByRole('button', { name: 'Afficher les images' }).click();
      await page.waitForFunction(() => document.querySelector('iframe.mail-body').contentDocument.querySelector('img[alt="En-tête"]')?.naturalWidth === 1, null, { timeout: 15000 });
      assert(seen.length === 1 && seen[0].url === '/entete.png?destinataire=secretariat', `image host saw: ${JSON.stringify(seen)}`);
      assert(!seen[0].cookie && !seen[0].referer, `the image host got the reader's cookie or address: ${JSON.stringify(seen[0])}`);
      assert(!asked.some((u) => u.startsWith(remote.split('/entete')[0])), 'the browser fetched the image itself');
      await suite.screenshot(page, 'mail-images-affichees');
    } finally {
      page.off('request', onRequest);
      host.close();
    }
  });

  await suite.test('mail: new mail appears without reload (push)', async () => {
    await page.locator('.mail-title').waitFor();
    deliver(db, DOCTOR, ORG, message({ from: `Dr Jean Dupont <${DOCTOR}>`, to: ORG, subject: 'Nouveau résultat poussé', text: 'Arrivé pendant la lecture.' }));
    await page.locator('.mail-row', { hasText: 'Nouveau résultat poussé' }).waitFor({ timeout: 10000 });
  });

  await suite.test('mail: the traces page of the administration shows the secretary’s actions on the ORG', async () => {
    await admin.goto(`${server.url}/#/admin/traces?mailbox=${encodeURIComponent(ORG)}&person=${encodeURIComponent(SECRETARY)}`);
    await admin.locator('table tbody tr').first().waitFor({ timeout: 10000 });
    const text = await admin.locator('table tbody').innerText();
    assert(/email\.opened/.test(text), `no opening traced: ${text.slice(0, 400)}`);
    assert(/email\.(answered|sent|submitted)/.test(text), `no answer traced: ${text.slice(0, 400)}`);
    assert(!text.includes('Compte rendu de consultation'), 'the subject went into the trail');
    await suite.screenshot(admin, 'mail-traces-secretaire');
  });

  await suite.test('mail: once the administrator sets the ORG as her default, her next sign-in opens it', async () => {
    const r = await api(admin, 'PUT', `/api/accounts/${sophie.id}/default-mailbox`, { mailbox_id: org.id });
    assert(r.status === 200, `default answered ${r.status}`);
    await page.locator('#cartouche').click();
    await page.getByRole('menuitem', { name: 'Déconnexion' }).click();
    await page.getByRole('heading', { name: 'Connectez-vous' }).waitFor();
    await signIn(page, SECRETARY);
    await page.locator('c-mail-page[data-ready]').waitFor({ timeout: 15000 });
    const using = await page.locator('.mail-using').innerText();
    assert(using.includes(ORG), `mailbox in use: ${using}`);
    await suite.screenshot(page, 'mail-connexion-org-par-defaut');
  });

  await suite.test('mail: signing in with the ORG address is refused with the explanation', async () => {
    const other = await newContext();
    await signIn(other, ORG);
    const text = await other.getByRole('alert').innerText();
    assert(/Changer de compte/.test(text), `message: ${text}`);
    await suite.screenshot(other, 'mail-connexion-adresse-org-refusee');
    await other.context().close();
  });

  await suite.test('mail: a revoked right removes the ORG from her menu at her next action', async () => {
    const r = await api(admin, 'DELETE', `/api/accounts/${org.id}/connections/${sophie.id}`);
    assert(r.status === 204, `revoke answered ${r.status}`);
    // Her next action: opening a message of the ORG mailbox.
    await page.locator('.mail-row:not(.placeholder)').first().click();
    await page.waitForFunction(
      (org) => ![...document.querySelectorAll('#account-menu [role=menuitem]')].some((e) => e.textContent.includes(org)),
      ORG,
      { timeout: 10000 },
    );
    await page.locator('#cartouche').click();
    const menu = await page.locator('#account-menu').innerText();
    assert(!menu.includes(ORG), `menu still lists the ORG: ${menu}`);
    await suite.screenshot(page, 'mail-droit-retire');
    await page.keyboard.press('Escape');
    await page.goto(`${server.url}/#/mail/${encodeURIComponent(orgAccount)}`);
    await page.getByRole('alert').waitFor();
  });

  await suite.test('mail: « Préférences » offers the default mailbox, the password link, tokens and the language', async () => {
    await page.goto(`${server.url}/#/preferences`);
    await page.getByRole('heading', { name: 'Préférences' }).waitFor();
    await page.getByLabel('Boîte ouverte à la connexion').waitFor();
    await page.getByRole('button', { name: 'Recevoir un lien pour changer de mot de passe' }).waitFor();
    await page.getByLabel('Langue de l’interface').waitFor();
    await page.getByRole('button', { name: 'Créer un jeton' }).click();
    await page.getByText('donnez un nom à ce jeton').waitFor();
    await suite.screenshot(page, 'mail-preferences');
    await axe(page, 'préférences');
  });

  await suite.test('mail: she types « dup » in À, picks the doctor from the directory with the keyboard, and sends', async () => {
    await page.goto(`${server.url}/#/mail`);
    await page.locator('c-mail-page[data-ready]').waitFor({ timeout: 15000 });
    await page.getByRole('button', { name: 'Nouveau message' }).click();
    const to = page.getByRole('combobox', { name: 'À', exact: true });
    await to.pressSequentially('dup', { delay: 60 });
    const typed = Date.now();
    const option = page.getByRole('option', { name: new RegExp(DOCTOR.replace(/\./g, '\\.')) });
    await option.waitFor();
    suite.figure(`mail: directory suggestion shown ${Date.now() - typed} ms after the last key (150 ms of it waiting for more keys)`);
    const text = await option.innerText();
    assert(text.includes('CHU de Démonstration') && /Dupont/i.test(text), `suggestion: ${text}`);
    assert((await to.getAttribute('aria-expanded')) === 'true', 'the combobox does not say it is open');
    await to.press('ArrowDown');
    const active = await to.getAttribute('aria-activedescendant');
    assert(active && (await page.locator(`#${active}`).innerText()).includes(DOCTOR), `active option: ${active}`);
    assert((await page.locator(`#${active}`).getAttribute('aria-selected')) === 'true', 'the active option is not selected');
    await suite.screenshot(page, 'mail-suggestions-annuaire');
    await axe(page, 'suggestions de destinataires');
    await to.press('Enter');
    assert((await to.inputValue()).includes(`<${DOCTOR}>`), `À: ${await to.inputValue()}`);
    assert((await to.getAttribute('aria-expanded')) === 'false', 'the list stayed open');
    assert(await page.locator('c-mail-composer').count(), 'Enter in À sent or closed the form');
    // An address in no list (another operator) stays as typed; Escape closes the list, not the form.
    const cc = page.getByRole('combobox', { name: 'Cc', exact: true });
    await cc.pressSequentially('secr', { delay: 40 });
    await page.getByRole('option', { name: new RegExp(ORG.replace(/\./g, '\\.')) }).waitFor();
    await cc.press('Escape');
    assert((await cc.getAttribute('aria-expanded')) === 'false' && (await page.locator('c-mail-composer').count()), 'Escape closed the form');
    await cc.fill('');
    await cc.pressSequentially('confrere@autre-operateur.fr');
    await cc.press('Enter');
    assert((await cc.inputValue()).startsWith('confrere@autre-operateur.fr'), `Cc: ${await cc.inputValue()}`);
    await cc.fill('');
    await page.getByLabel('Objet').fill('Rendez-vous de M. Durand');
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Bonjour Docteur,\n\nM. Durand est reçu jeudi à 10 h.\n\nLe secrétariat');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await page.getByText('Message envoyé.').waitFor();
    const doctor = await newContext();
    await signIn(doctor, DOCTOR);
    await doctor.locator('c-mail-page[data-ready]').waitFor({ timeout: 15000 });
    await doctor.locator('#cartouche').click();
    await doctor.getByRole('menuitem', { name: new RegExp(DOCTOR.replace(/\./g, '\\.')) }).click();
    await doctor.locator('.mail-row', { hasText: 'Rendez-vous de M. Durand' }).waitFor({ timeout: 15000 });
    await doctor.context().close();
  });

  await suite.test('mail: a draft with a Cci keeps it when she takes it up again', async () => {
    await page.getByRole('button', { name: 'Nouveau message' }).click();
    await page.getByRole('combobox', { name: 'À', exact: true }).fill(DOCTOR);
    await page.getByRole('combobox', { name: 'Cci', exact: true }).fill('cadre.sante@chu-demo.fr');
    await page.getByLabel('Objet').fill('Brouillon avec copie cachée');
    await page.getByRole('button', { name: 'Enregistrer le brouillon' }).click();
    await page.getByText(/Brouillon enregistré/).waitFor();
    await page.locator('c-mail-composer').getByRole('button', { name: 'Fermer' }).click();
    await page.locator('nav.folders a', { hasText: 'Brouillons' }).click();
    await page.locator('.mail-row', { hasText: 'Brouillon avec copie cachée' }).click();
    await page.getByRole('button', { name: 'Reprendre le brouillon' }).click();
    const bcc = page.getByRole('combobox', { name: 'Cci', exact: true });
    await page.waitForFunction(() => [...document.querySelectorAll('c-mail-composer input[role=combobox]')].some((i) => i.value.includes('cadre.sante@chu-demo.fr')));
    assert((await bcc.inputValue()).includes('cadre.sante@chu-demo.fr'), `Cci: ${await bcc.inputValue()}`);
    await page.locator('c-mail-composer').getByRole('button', { name: 'Fermer' }).click();
  });

  await suite.test('mail: she changes her password in « Préférences »; her other session ends; the old password is refused, the new one opens her mail', async () => {
    const NEW = 'Trois chats gris dorment au soleil';
    const other = await newContext();
    await signIn(other, SECRETARY);
    await other.locator('c-mail-page[data-ready]').waitFor({ timeout: 15000 });
    await page.goto(`${server.url}/#/preferences`);
    const form = page.locator('form.password-form');
    await form.getByLabel('Mot de passe actuel').waitFor();
    await form.getByText('Au moins 12 caractères').waitFor();
    // Checked before asking: a confirmation that differs.
    await form.getByLabel('Mot de passe actuel').fill(PASSWORD);
    await form.getByLabel('Nouveau mot de passe').fill(NEW);
    await form.getByLabel('Confirmer').fill(`${NEW}!`);
    await form.getByRole('button', { name: 'Changer le mot de passe' }).click();
    await page.locator('#pw-confirm-error', { hasText: 'ne sont pas identiques' }).waitFor();
    assert((await form.getByLabel('Confirmer').getAttribute('aria-invalid')) === 'true', 'Confirmer is not marked invalid');
    // The server's policy: her own name is refused, beside the new password.
    await form.getByLabel('Nouveau mot de passe').fill('sophie-martin-secretaire');
    await form.getByLabel('Confirmer').fill('sophie-martin-secretaire');
    await form.getByRole('button', { name: 'Changer le mot de passe' }).click();
    const policy = await page.locator('#pw-new-error').filter({ hasText: /\S/ }).innerText();
    assert(policy.length > 10 && !/sophie-martin-secretaire/.test(policy), `policy refusal: ${policy}`);
    // A wrong current password, beside its field.
    await form.getByLabel('Mot de passe actuel').fill('pas-le-bon-mot-de-passe');
    await form.getByLabel('Nouveau mot de passe').fill(NEW);
    await form.getByLabel('Confirmer').fill(NEW);
    await form.getByRole('button', { name: 'Changer le mot de passe' }).click();
    await page.locator('#pw-current-error', { hasText: 'Mot de passe actuel incorrect.' }).waitFor();
    await suite.screenshot(page, 'mail-preferences-mot-de-passe-refus');
    await axe(page, 'préférences, mot de passe refusé');
    await form.getByLabel('Mot de passe actuel').fill(PASSWORD);
    await form.getByRole('button', { name: 'Changer le mot de passe' }).click();
    await page.getByText('Mot de passe modifié. Vos autres sessions ont été fermées.').waitFor();
    assert((await form.getByLabel('Nouveau mot de passe').inputValue()) === '', 'the form kept the password');
    await page.getByRole('button', { name: 'Recevoir un lien pour changer de mot de passe' }).waitFor();
    await suite.screenshot(page, 'mail-preferences-mot-de-passe-modifie');
    await axe(page, 'préférences, mot de passe modifié');
    const gone = await api(other, 'GET', '/api/me');
    assert(gone.status === 401, `her other session answered ${gone.status}`);
    await other.context().close();
    await page.locator('#cartouche').click();
    await page.getByRole('menuitem', { name: 'Déconnexion' }).click();
    await page.getByRole('heading', { name: 'Connectez-vous' }).waitFor();
    await signIn(page, SECRETARY);
    const refused = await page.getByRole('alert').innerText();
    assert(refused.length > 10, `old password: ${refused}`);
    await page.getByLabel('Mot de passe', { exact: true }).fill(NEW);
    await page.getByRole('button', { name: 'Connexion' }).click();
    await page.locator('c-mail-page[data-ready]').waitFor({ timeout: 15000 });
    assert((await page.locator('.mail-using').innerText()).includes(SECRETARY), 'the new password did not open her mail');
  });

  await suite.test('mail: the tablet layout shows the list, then the message over it, without overflow', async () => {
    const tablet = await newContext({ width: 820, height: 1180 });
    await signIn(tablet, DOCTOR);
    await listReady(tablet);
    await tablet.locator('.mail-row').first().click();
    await tablet.locator('#reader-subject').waitFor();
    const overflow = await tablet.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert(!overflow, 'the page is wider than the tablet');
    await tablet.getByRole('link', { name: '← Retour à la liste' }).waitFor();
    await suite.screenshot(tablet, 'mail-tablette');
    await tablet.context().close();
  });

  await suite.test('mail: no CSP violation and no script error on the mail screens', async () => {
    assert(problems.length === 0, problems.join('\n'));
  });

  await browser.close();
  await server.stop();
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!existsSync(BIN) || !existsSync(join(WEB, 'index.html'))) {
    console.log(`e2e: the caduce binary (${BIN}) or web/dist is missing`);
    console.log('e2e: 0 passed, 1 failed');
    process.exit(1);
  }
  const suite = new Suite();
  await runMailWalk(suite);
  process.exit(suite.finish());
}
