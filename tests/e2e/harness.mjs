// End-to-end harness: a real `caduce serve` on a free loopback port with a fresh
// database, Debian's Chromium driven by playwright-core, axe-core checks,
// screenshots under build/e2e-screenshots/, and a `e2e: N passed, N failed` line.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const requireWeb = createRequire(join(ROOT, 'web/package.json'));
export const { chromium } = requireWeb('playwright-core');
const { default: AxeBuilder } = await import(requireWeb.resolve('@axe-core/playwright'));

export const BIN = resolve(ROOT, process.env.CADUCE_BIN || 'build/dev/src/cli/caduce');
export const SHOTS = join(ROOT, 'build/e2e-screenshots');
export const DATA = join(ROOT, 'data');

export function freePort() {
  return new Promise((ok, ko) => {
    const s = createServer();
    s.once('error', ko);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Runs the caduce command on the test database; throws with its output on failure. */
export function cli(db, args, { allowFail = false } = {}) {
  const r = spawnSync(BIN, ['--db', db, '--data', DATA, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0 && !allowFail) {
    throw new Error(`caduce ${args.join(' ')} → ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/** Starts `caduce serve`; resolves once /healthz answers. */
export async function startServer(db, webDir, extraArgs = [], cwd = dirname(db)) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, ['--db', db, '--data', DATA, 'serve', '--listen', `127.0.0.1:${port}`, '--web', webDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
    env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=0' },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`caduce serve stopped (${child.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => (child.kill('SIGKILL'), r()), 5000);
        child.once('exit', () => (clearTimeout(t), r()));
      });
    },
  };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A test context: counts, screenshots, axe. */
export class Suite {
  constructor() {
    this.passed = 0;
    this.failed = 0;
    this.shot = 0;
    this.figures = [];
    this.violations = [];
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    this.tmp = mkdtempSync(join(tmpdir(), 'caduce-e2e-'));
  }

  async test(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      this.passed += 1;
      console.log(`  ok    ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      this.failed += 1;
      console.log(`  FAIL  ${name}\n        ${String(e && e.stack ? e.stack : e).split('\n').slice(0, 6).join('\n        ')}`);
      if (this.page) await this.screenshot(this.page, `FAIL-${name}`).catch(() => undefined);
    }
  }

  async screenshot(page, name) {
    this.shot += 1;
    const file = join(SHOTS, `${String(this.shot).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  /** axe-core on the page: no serious or critical violation. */
  async axe(page, where) {
    const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (bad.length) {
      const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`).join('\n');
      throw new Error(`axe (${where}):\n${text}`);
    }
    return result.violations.length;
  }

  figure(text) {
    this.figures.push(text);
    console.log(`  figure ${text}`);
  }

  finish() {
    rmSync(this.tmp, { recursive: true, force: true });
    console.log('');
    for (const f of this.figures) console.log(`e2e figure: ${f}`);
    console.log(`screenshots: ${SHOTS}`);
    console.log(`e2e: ${this.passed} passed, ${this.failed} failed`);
    return this.failed === 0 ? 0 : 1;
  }
}

/**
 * Waits for the mail sent to `to` in a folder of .eml files (the server's outbox,
 * or the folder where the test SMTP server writes what it accepts), and returns it
 * as tests/notify/parse_mail.py reads it (Python's email package).
 */
export async function waitForMail(dir, to, { timeoutMs = 20000, seen = new Set() } = {}) {
  const { readdirSync } = await import('node:fs');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let names = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.eml')).sort();
    } catch {
      // the folder appears with the first mail
    }
    for (const n of names) {
      const file = join(dir, n);
      if (seen.has(file)) continue;
      const r = spawnSync('/usr/bin/python3', [join(ROOT, 'tests/notify/parse_mail.py'), file], { encoding: 'utf8' });
      if (r.status !== 0) continue;
      const mail = JSON.parse(r.stdout);
      if (mail.to_addr === to) {
        seen.add(file);
        return mail;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no mail to ${to} in ${dir} after ${timeoutMs} ms`);
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Parses the export's CSV (UTF-8 BOM, `;`, CRLF, quoted cells). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i += 1) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ';') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export function toCsv(rows) {
  const esc = (v) => (/[;"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return '\uFEFF' + rows.map((r) => r.map(esc).join(';')).join('\r\n') + '\r\n';
}
