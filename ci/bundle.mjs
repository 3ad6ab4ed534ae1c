// The command as installed: dist/cli/main.js and everything it imports in one file.
// node 20 loads ~100 ES modules in about 0.15 s (resolution, one compile each); one file
// takes a third of that, and a build is a few seconds. Next to main.js on purpose: paths
// found from import.meta.url (patches/, node_modules/) are the same from both.
// zstd-napi (a native addon) and xz-decompress (loads its .wasm beside itself) stay
// outside, required from node_modules at run time.
import { chmodSync } from 'node:fs';
import { build } from 'esbuild';

const outfile = 'dist/cli/crossroot.mjs';
await build({
  entryPoints: ['dist/cli/main.js'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['zstd-napi', 'xz-decompress'],
  // CommonJS dependencies (tar-stream) call require() for node's modules.
  banner: { js: "import { createRequire as crossrootRequire } from 'node:module'; const require = crossrootRequire(import.meta.url);" },
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
// main.js was the package's bin before the bundle, and npx keeps the bin link it made for
// a checkout (~/.npm/_npx/*/node_modules/.bin/crossroot -> .../dist/cli/main.js) across
// changes of package.json: it must stay runnable, or `npx crossroot` there is "Permission denied".
chmodSync('dist/cli/main.js', 0o755);
