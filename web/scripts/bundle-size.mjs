// Prints the gzipped size of the built JavaScript and fails above the budget
// (200 KiB). Also writes a .gz beside each JS/CSS asset, which the server sends
// to browsers that accept gzip.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET = 200 * 1024;
const dir = new URL('../dist/assets/', import.meta.url).pathname;
let js = 0;
for (const name of readdirSync(dir)) {
  if (!/\.(js|css)$/.test(name)) continue;
  const gz = gzipSync(readFileSync(join(dir, name)), { level: 9 });
  writeFileSync(join(dir, name + '.gz'), gz);
  if (name.endsWith('.js')) js += gz.length;
}
const kib = (js / 1024).toFixed(1);
console.log(`web bundle: ${kib} KiB of JavaScript gzipped (budget 200 KiB)`);
if (js > BUDGET) {
  console.error('web bundle: over budget');
  process.exit(1);
}
