// Known digests against node:crypto on random inputs: for every algorithm and encoding, the wasm
// digest equals node:crypto's over the wasm-normalized string; already-hashed input is re-encoded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { loadModule, randStr, rng } from './helpers.mjs';

const { Hashgate } = await loadModule();
const hg = await Hashgate.load();
const r = rng(42);

/** Random valid, already-normalized-looking e-mails (lowercase, no dots/tags), so that the
 * normalized form is predictable too. */
const emails = Array.from({ length: 500 }, () =>
  randStr(r, 'abcdefghijklmnopqrstuvwxyz0123456789_', 1 + Math.floor(r() * 20)) + '@' +
  randStr(r, 'abcdefghijklmnopqrstuvwxyz', 2 + Math.floor(r() * 10)) + '.com');

test('wasm digest: sha256 hex (meta) equals node:crypto', () => {
  for (const e of emails) {
    assert.equal(hg.normalize('em', '  ' + e.toUpperCase() + ' '), e);
    assert.equal(hg.hashEmail(e.toUpperCase()), createHash('sha256').update(e).digest('hex'));
  }
});

test('wasm digest: sha256 base64 (uid2 default) equals node:crypto', () => {
  for (const e of emails.slice(0, 200)) {
    assert.equal(hg.hash('em', e, { profile: 'uid2' }), createHash('sha256').update(e).digest('base64'));
    assert.equal(hg.hash('em', e, { profile: 'google', encoding: 'base64' }), createHash('sha256').update(e).digest('base64'));
  }
});

test('wasm digest: sha1 and md5 (liveramp) equal node:crypto', () => {
  for (const e of emails.slice(0, 200)) {
    const n = hg.normalize('em', e, { profile: 'liveramp' });
    assert.equal(hg.hash('em', e, { profile: 'liveramp', algo: 'sha1' }), createHash('sha1').update(n).digest('hex'));
    assert.equal(hg.hash('em', e, { profile: 'liveramp', algo: 'md5' }), createHash('md5').update(n).digest('hex'));
  }
});

test('wasm digest: hmac-sha256 with random keys equals node:crypto', () => {
  for (const e of emails.slice(0, 200)) {
    const key = randomBytes(1 + Math.floor(r() * 100));
    assert.equal(hg.hash('em', e, { algo: 'hmac-sha256', key: new Uint8Array(key) }),
      createHmac('sha256', key).update(e).digest('hex'));
  }
  assert.equal(hg.hash('em', 'a@b.com', { algo: 'hmac-sha256', key: 'k' }), createHmac('sha256', 'k').update('a@b.com').digest('hex'));
});

test('wasm digest: batch equals single calls for 3,000 values', () => {
  const many = Array.from({ length: 3000 }, (_, i) => emails[i % emails.length].replace('@', i + '@'));
  const want = many.map((e) => createHash('sha256').update(e).digest('hex'));
  assert.deepEqual(hg.hashBatch(many, { field: 'em' }), want);
});

test('wasm digest: already-hashed input is re-encoded, not hashed again', () => {
  for (const e of emails.slice(0, 50)) {
    const d = createHash('sha256').update(e).digest();
    assert.equal(hg.hashEmail(d.toString('hex').toUpperCase()), d.toString('hex'));
    assert.equal(hg.hash('em', d.toString('hex'), { profile: 'uid2' }), d.toString('base64'));
    assert.equal(hg.hash('em', d.toString('base64'), { profile: 'meta' }), d.toString('hex'));
  }
});
