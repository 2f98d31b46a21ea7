// Assembles web/dist/ from the two optimized wasm modules and the JS sources in web/src/:
// hashgate.mjs (ES module, full wasm embedded), hashgate.min.js (IIFE snippet, snippet wasm
// embedded, minified with terser), hashgate.d.ts. Prints raw + gzip sizes; exits 1 over budget.
// Usage: node web/src/assemble.mjs <full.wasm> <snippet.wasm> <out dir>
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', '..', 'package.json'));
const { minify } = require('terser');

/** Budgets in bytes, gzipped (issue 3). */
const k_budget = { 'hashgate.min.js': 16 * 1024, 'hashgate.mjs': 28 * 1024 };

const [fullWasm, snippetWasm, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node assemble.mjs <full.wasm> <snippet.wasm> <out dir>');
  process.exit(64);
}
const pkg = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8'));
const src = (f) => readFileSync(join(here, f), 'utf8');
const hex = (f) => readFileSync(f).toString('hex');

/** Lists a module's imports; the loader stubs them, so there must be none it would call. */
function imports(file) {
  const mod = new WebAssembly.Module(readFileSync(file));
  return WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
}

const header = `// hashgate ${pkg.version} — ${pkg.license}. Built by web/build.sh; do not edit.\n`;
const version = `const HG_VERSION = ${JSON.stringify(pkg.version)};\n`;

/**
 * The bytes of a wasm file as the body of a JS string literal, one character per byte (U+0000 to
 * U+00FF, UTF-8 in the file): only the backslash, both quotes, CR and LF are escaped. Gzips
 * smaller than hex (docs/web.md); only for hashgate.mjs, which as an ES module is always UTF-8.
 */
function raw(f) {
  const esc = { 0x5c: '\\\\', 0x22: '\\"', 0x27: "\\'", 0x0a: '\\n', 0x0d: '\\r' };
  let text = '';
  for (const b of readFileSync(f)) text += esc[b] || String.fromCharCode(b);
  return text;
}

// The wasm string goes in after minification, so terser never re-escapes it; String() keeps
// terser from folding the placeholder's length into the decoder.
const k_wasm_slot = 'HG_WASM_BYTES_GO_HERE';
const mjsBody = version + `const HG_WASM = String("${k_wasm_slot}");\n` + src('core.js') + src('transport.js') +
  src('hashgate.js');
const mjsMin = await minify(mjsBody + '\nexport { Hashgate };\nexport default Hashgate;\n', {
  module: true, ecma: 2020, compress: { passes: 2 }, mangle: true,
});
if (mjsMin.code.split(k_wasm_slot).length !== 2) throw new Error('assemble: wasm slot not found once in the minified module');
mjsMin.code = mjsMin.code.replace(k_wasm_slot, () => raw(fullWasm));
const snippetBody = version + `const HG_WASM = "${hex(snippetWasm)}";\n` + src('core.js') + src('transport.js') +
  src('snippet.js');
const snippetMin = await minify(`(function(){"use strict";\n${snippetBody}\n})();`, {
  ecma: 2020, compress: { passes: 2, toplevel: true }, mangle: { toplevel: true },
});

mkdirSync(outDir, { recursive: true });
const outputs = {
  'hashgate.mjs': header + mjsMin.code + '\n',
  'hashgate.min.js': header + snippetMin.code + '\n',
  'hashgate.d.ts': src('hashgate.d.ts'),
};
for (const [name, text] of Object.entries(outputs)) writeFileSync(join(outDir, name), text);

let over = false;
const row = (name, raw) => {
  const gz = gzipSync(raw, { level: 9 }).length;
  const budget = k_budget[name];
  const flag = budget ? (gz > budget ? `  OVER BUDGET (${budget} B gz)` : `  (budget ${budget} B gz)`) : '';
  if (budget && gz > budget) over = true;
  console.log(`web: ${name.padEnd(22)} ${String(raw.length).padStart(7)} B raw ${String(gz).padStart(7)} B gz${flag}`);
};
row('hashgate-full.wasm', readFileSync(fullWasm));
row('hashgate-snippet.wasm', readFileSync(snippetWasm));
for (const [name, text] of Object.entries(outputs)) row(name, Buffer.from(text));
/** Imports the loader in core.js answers (anything else would trap at run time). */
const k_known_imports = new Set(['wasi_snapshot_preview1.clock_time_get', 'wasi_snapshot_preview1.proc_exit']);
for (const f of [fullWasm, snippetWasm]) {
  const list = imports(f);
  console.log(`web: ${f.split('/').pop()} imports: ${list.length ? list.join(', ') : 'none'}`);
  const unknown = list.filter((i) => !k_known_imports.has(i));
  if (unknown.length) {
    console.error(`web: ${f.split('/').pop()} needs imports the loader does not provide: ${unknown.join(', ')}`);
    over = true;
  }
}
if (over) {
  console.error('web: size budget exceeded or unknown wasm imports');
  process.exit(1);
}
