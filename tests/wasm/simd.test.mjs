// The batch path's 4-lane wasm-SIMD SHA-256 (sdk/wasm/sha256x4.cpp) against OpenSSL and node:crypto:
// 2,000,000 random inputs of random lengths 0..300 bytes (block boundaries 55/56/63/64/119/120
// and neighbours over-represented), through the module's hg_sha256_records test export with
// simd = 1 (4-lane code) and simd = 0 (OpenSSL SHA256_*, the reference), compared with each
// other and with node:crypto. Lanes of one group get different lengths, so unequal block counts
// are covered. Also: hashBatch (SIMD) equals hash (OpenSSL) on every vector-like e-mail shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { loadModule, rng } from './helpers.mjs';

const { Hashgate } = await loadModule();
const hg = await Hashgate.load();
const { memory, ptr, size } = hg._debugMemory();
const x = hg._core.x;
const k_total = Number(process.env.HASHGATE_SIMD_INPUTS || 2000000);
const k_edges = [0, 1, 54, 55, 56, 57, 63, 64, 65, 118, 119, 120, 121, 127, 128, 129, 183, 184, 191, 192, 255, 256, 300];

test('wasm simd: 4-lane SHA-256 is bit-identical to OpenSSL and node:crypto on 2,000,000 random inputs', () => {
  const r = rng(20261129);
  const heap = new Uint8Array(memory.buffer, ptr, size);
  const pool = randomBytes(1 << 20);
  let done = 0;
  let mismatches = 0;
  while (done < k_total) {
    // One call: records [u16 len][bytes] up to ~half the buffer; digests after them.
    const lens = [];
    let at = 0;
    while (done + lens.length < k_total) {
      const len = r() < 0.3 ? k_edges[Math.floor(r() * k_edges.length)] : Math.floor(r() * 301);
      if (at + 2 + len > 24000) break;
      const src = Math.floor(r() * (pool.length - len));
      heap[at] = len & 255;
      heap[at + 1] = len >> 8;
      heap.set(pool.subarray(src, src + len), at + 2);
      lens.push([src, len]);
      at += 2 + len;
    }
    const records = heap.slice(0, at);
    const out = 32768;
    const n = lens.length;
    assert.equal(x.hg_sha256_records(at, n, out, 1), 0);
    const simd = heap.slice(out, out + n * 32);
    heap.fill(0, out, out + n * 32);
    heap.set(records);
    assert.equal(x.hg_sha256_records(at, n, out, 0), 0);
    const ossl = heap.slice(out, out + n * 32);
    heap.fill(0, 0, out + n * 32);
    // Every digest vs OpenSSL; a sample of one in 8 (and all edge lengths) vs node:crypto too,
    // so that node:crypto alone does not dominate the run time.
    for (let k = 0; k < n; k++) {
      const a = simd.subarray(k * 32, k * 32 + 32);
      const b = ossl.subarray(k * 32, k * 32 + 32);
      if (Buffer.compare(a, b) !== 0) { mismatches++; continue; }
      const [src, len] = lens[k];
      if ((k & 7) === 0 || k_edges.includes(len)) {
        const want = createHash('sha256').update(pool.subarray(src, src + len)).digest();
        if (Buffer.compare(a, want) !== 0) mismatches++;
      }
    }
    done += n;
  }
  assert.equal(mismatches, 0, 'SIMD digests differing from OpenSSL or node:crypto');
  assert.equal(done, k_total);
});

test('wasm simd: node:crypto check covers every input in a smaller full pass', () => {
  const r = rng(7);
  const heap = new Uint8Array(memory.buffer, ptr, size);
  for (let round = 0; round < 20; round++) {
    const inputs = [];
    let at = 0;
    for (let k = 0; k < 60; k++) {
      const len = k < k_edges.length ? k_edges[k] : Math.floor(r() * 301);
      const b = randomBytes(len);
      heap[at] = len & 255;
      heap[at + 1] = len >> 8;
      heap.set(b, at + 2);
      at += 2 + len;
      inputs.push(b);
    }
    assert.equal(x.hg_sha256_records(at, inputs.length, 32768, 1), 0);
    for (let k = 0; k < inputs.length; k++) {
      assert.equal(Buffer.from(heap.subarray(32768 + k * 32, 32768 + k * 32 + 32)).toString('hex'),
        createHash('sha256').update(inputs[k]).digest('hex'), `length ${inputs[k].length}`);
    }
    heap.fill(0);
  }
});

test('wasm simd: hashBatch (4-lane path) equals single hash (OpenSSL path) for e-mails of every length', () => {
  const r = rng(99);
  const values = [];
  for (let len = 1; len <= 300; len++) {
    for (let rep = 0; rep < 5; rep++) {
      const local = Array.from({ length: Math.max(1, len - 8) }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(r() * 36)]).join('');
      values.push((rep & 1 ? ' ' : '') + local.toUpperCase() + '@ex.com');
    }
  }
  values.push('not an e-mail', '', 'a@b.c', '\u00e9l\u00e8ve@example.fr');
  for (const profile of ['meta', 'google', 'uid2', 'liveramp']) {
    const batch = hg.hashBatch(values, { profile });
    values.forEach((v, i) => {
      let single = null;
      try { single = hg.hash('em', v, { profile }); } catch (_) { single = null; }
      assert.equal(batch[i], single, `${profile} value ${i}`);
    });
  }
});
