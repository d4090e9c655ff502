// Build of the caduce web UI: one index.html, hashed assets, no inline script or
// style (the server's CSP is default-src 'self'), precompressed .gz beside each
// asset is left to the build script (scripts/bundle-size.mjs).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
