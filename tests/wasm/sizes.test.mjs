// The built artefacts stay within the budgets (gzip -9): snippet <= 16 KiB including its
// wasm, hashgate.mjs <= 28 KiB; and each carries its wasm (nothing else to fetch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { distDir } from './helpers.mjs';

const gz = (name) => gzipSync(readFileSync(join(distDir, name)), { level: 9 }).length;

test('wasm sizes: hashgate.min.js is at most 16 KiB gzipped', () => {
  assert.ok(gz('hashgate.min.js') <= 16 * 1024, `${gz('hashgate.min.js')} B gz`);
});

test('wasm sizes: hashgate.mjs is at most 28 KiB gzipped', () => {
  assert.ok(gz('hashgate.mjs') <= 28 * 1024, `${gz('hashgate.mjs')} B gz`);
});

test('wasm sizes: both files embed a wasm module (\\0asm magic) and fetch no .wasm file', () => {
  // hashgate.mjs embeds the bytes one character per byte, the snippet as hex (web/src/core.js).
  const magic = { 'hashgate.mjs': '"\0asm\x01\0\0\0', 'hashgate.min.js': '"0061736d01000000' };
  for (const [name, head] of Object.entries(magic)) {
    const text = readFileSync(join(distDir, name), 'utf8');
    assert.ok(text.includes(head), `${name} lacks an embedded wasm`);
    assert.ok(!/\.wasm['"`]/.test(text), `${name} refers to a .wasm file`);
  }
});
