// Prints the gzipped size of the built JavaScript and fails when the initial
// bundle is over the budget (200 KiB): the entry named by index.html and every
// chunk it imports statically, what a browser loads before the first screen.
// Chunks reached only by a dynamic import() (the PDF preview and pdf.js) and
// workers are lazy: printed apart, outside the budget. Also writes a .gz beside
// each JS/CSS asset, which the server sends to browsers that accept gzip.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 200 * 1024;
const dist = new URL('../dist/', import.meta.url).pathname;
const dir = join(dist, 'assets');

const gz = new Map();
for (const name of readdirSync(dir)) {
  if (!/\.(m?js|css)$/.test(name)) continue;
  const zipped = gzipSync(readFileSync(join(dir, name)), { level: 9 });
  writeFileSync(join(dir, name + '.gz'), zipped);
  gz.set(name, zipped.length);
}

/** The chunks a module imports statically (import … from "./x.js", import "./x.js", export … from). */
export function staticImports(code) {
  const out = new Set();
  const re = /(?:^|[;\s}])(?:import|export)\s*(?:[\w$*{}\s,]*?\s*from\s*)?["']\.\/([^"']+\.m?js)["']/g;
  for (const m of code.matchAll(re)) out.add(m[1]);
  return out;
}

const html = readFileSync(join(dist, 'index.html'), 'utf8');
const entries = [...html.matchAll(/<script[^>]*\ssrc="\/?assets\/([^"]+\.m?js)"/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="\/?assets\/([^"]+\.m?js)"/g)].map((m) => basename(m[1]));
const initial = new Set();
const todo = [...entries];
while (todo.length) {
  const name = todo.pop();
  if (initial.has(name) || !gz.has(name)) continue;
  initial.add(name);
  for (const dep of staticImports(readFileSync(join(dir, name), 'utf8'))) todo.push(dep);
}
const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="\/?assets\/([^"]+\.css)"/g)].map((m) => basename(m[1]));

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
let js = 0;
for (const n of initial) js += gz.get(n);
const lazy = [...gz.keys()].filter((n) => /\.m?js$/.test(n) && !initial.has(n)).sort();
let cssBytes = 0;
for (const n of css) cssBytes += gz.get(n) || 0;
console.log(`web bundle: initial ${kib(js)} of JavaScript gzipped in ${initial.size} file${initial.size > 1 ? 's' : ''} (budget 200 KiB), ${kib(cssBytes)} of CSS`);
for (const n of lazy) console.log(`web bundle: lazy ${n} ${kib(gz.get(n))} gzipped`);
if (!entries.length) {
  console.error('web bundle: no script in dist/index.html');
  process.exit(1);
}
if (js > BUDGET) {
  console.error('web bundle: the initial bundle is over budget');
  process.exit(1);
}
