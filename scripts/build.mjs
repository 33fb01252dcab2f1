// Bundles the esi CLI with esbuild into dist/: one ES module entry (dist/esi.mjs) plus lazily loaded
// chunks, so the agent loads a provider's SDK only when a store uses it. Everything is bundled: the
// image needs no node_modules.
import { build } from 'esbuild';
import { isBuiltin } from 'node:module';
import { resolve } from 'node:path';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
// `import text from './file.yaml?raw'` (as vite reads it in tests) embeds the file's text in the bundle.
const rawText = {
  name: 'raw-text',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.slice(0, -4)), namespace: 'raw-text' }));
    b.onLoad({ filter: /.*/, namespace: 'raw-text' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text' }));
  },
};
// Node builtins reach the bundle through require(), not an ES import: Node 22 builds an ES module facade
// for a builtin by reading every export, and node:http's lazy WebSocket/EventSource exports then load
// the whole bundled undici (~40 ms CPU and ~10 MiB RSS at start-up, measured with bench/peers). A
// require() returns the plain CommonJS object and leaves those getters untouched.
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, (args) =>
      (args.kind === 'import-statement' || args.kind === 'dynamic-import') && isBuiltin(args.path) ? { path: args.path, namespace: 'builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};
const started = Date.now();
const result = await build({
  entryPoints: { esi: 'cli/entry.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minifySyntax: true,
  legalComments: 'linked',
  metafile: true,
  plugins: [rawText, builtinsViaRequire],
  logLevel: 'warning',
  define: { __ESI_VERSION__: JSON.stringify(pkg.version) },
  // Some CommonJS dependencies call require() for Node builtins; give the ESM bundle a real one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __esiCreateRequire } from 'node:module';\nconst require = __esiCreateRequire(import.meta.url);",
  },
});
await chmod('dist/esi.mjs', 0o755);
// The metafile lets test/unit/dockerfile.test.ts prove the image copies every source the bundle uses.
await mkdir('.esi-run', { recursive: true });
await writeFile('.esi-run/build-meta.json', JSON.stringify(result.metafile));
const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.mjs'));
const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.log(`built dist/esi.mjs + ${outputs.length - 1} chunks, ${(total / 1024 / 1024).toFixed(1)} MiB in ${Date.now() - started} ms`);
