// Memory: a million calls do not grow the wasm memory, and the I/O buffer is all zeros after a
// call (no personal data stays behind in linear memory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModule } from './helpers.mjs';

const { Hashgate } = await loadModule();
const hg = await Hashgate.load();

/** True if every byte of the I/O buffer is zero. */
function ioZero() {
  const { memory, ptr, size } = hg._debugMemory();
  return new Uint8Array(memory.buffer, ptr, size).every((b) => b === 0);
}

/** Offsets of `needle` (UTF-8) anywhere in linear memory. */
function findInMemory(needle) {
  const { memory } = hg._debugMemory();
  return Buffer.from(memory.buffer).indexOf(Buffer.from(needle));
}

test('wasm memory: the I/O buffer is zeroed after every kind of call', () => {
  hg.hashEmail('Leak.Check+Tag@Example.com');
  assert.ok(ioZero(), 'after hash');
  hg.normalize('em', 'Leak.Check@Example.com');
  assert.ok(ioZero(), 'after normalize');
  assert.throws(() => hg.hashEmail('leakcheck-invalid'));
  assert.ok(ioZero(), 'after an error');
  hg.hashBatch(['leak1@example.com', 'bad', 'leak2@example.com'], { field: 'em' });
  assert.ok(ioZero(), 'after a batch');
  hg.hash('em', 'leak3@example.com', { algo: 'hmac-sha256', key: 'secret-key-xyz' });
  assert.ok(ioZero(), 'after an HMAC');
  assert.equal(findInMemory('secret-key-xyz'), -1, 'the HMAC key stayed in memory');
  assert.equal(findInMemory('leak.check'), -1, 'a raw or normalized e-mail stayed in memory');
  assert.equal(findInMemory('leak2@example.com'), -1, 'a batch entry stayed in memory');
});

test('wasm memory: a million calls keep memory size constant', () => {
  const { memory } = hg._debugMemory();
  for (let i = 0; i < 1000; i++) hg.hashEmail(`warm${i}@example.com`);
  const before = memory.buffer.byteLength;
  for (let i = 0; i < 1_000_000; i++) {
    if (i % 3 === 0) hg.hashEmail(`user${i}@example.com`);
    else if (i % 3 === 1) hg.hashPhone(`+31 6 ${String(10000000 + i).slice(-8)}`);
    else {
      try { hg.hashEmail(`broken${i}`); } catch (_) { /* invalid on purpose */ }
    }
  }
  assert.equal(memory.buffer.byteLength, before);
  assert.ok(ioZero());
});
