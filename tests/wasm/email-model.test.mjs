// The e-mail path (the batch's one-pass normalizer and its 4-lane SIMD digest, and the single
// call) against an independent JavaScript model of the documented rules (docs/normalization.md,
// the profile table) on random messy inputs: case, dots, +tags, stray and inner whitespace,
// invisible spaces (U+00A0, U+200B, U+FEFF), controls, NULs, several '@', bad domains, non-ASCII.
// Expected digests come from node:crypto, never from our own code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadModule, pick, rng } from './helpers.mjs';

const { Hashgate } = await loadModule();
const hg = await Hashgate.load();

const k_trim = new Set([' ', '\t', '\n', '\r', '\f', '\v', '\u00a0', '\ufeff', '\u200b']);

/** The model: the normalized e-mail under `profile`, or null when it must be rejected. */
function model(raw, profile) {
  if (Buffer.byteLength(raw, 'utf8') > 1024) return null;  // too_long
  let a = 0;
  let b = raw.length;
  while (a < b && k_trim.has(raw[a])) a++;
  while (b > a && k_trim.has(raw[b - 1])) b--;
  const v = raw.slice(a, b);
  if (v === '') return null;  // empty
  for (const c of v) {
    const u = c.codePointAt(0);
    if (u <= 0x20 || u === 0x7f || c === '\u00a0' || c === '\u200b' || c === '\ufeff') return null;
  }
  const parts = v.split('@');
  if (parts.length !== 2) return null;
  const lower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());  // ASCII only
  let [local, domain] = parts.map(lower);
  if (local === '' || domain === '' || domain.startsWith('.') || domain.endsWith('.') ||
      !domain.includes('.') || domain.includes('..')) return null;
  const gmail = domain === 'gmail.com';
  const google = gmail || domain === 'googlemail.com';
  const drop = { meta: [false, false], google: [google, google], uid2: [gmail, gmail],
    liveramp: [google, true] }[profile];
  if (drop[1]) local = local.split('+')[0];
  if (drop[0]) local = local.replaceAll('.', '');
  if (local === '') return null;
  return `${local}@${domain}`;
}

/** A messy e-mail-like string: mostly valid, with every kind of defect now and then. */
function messy(r) {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+';
  const word = (n) => { let s = ''; for (let i = 0; i < n; i++) s += chars[Math.floor(r() * chars.length)]; return s; };
  const odd = ['', '', '', '', '', ' ', '\t', '\u00a0', '\u200b', '\ufeff', '\u0000', '\u007f', '\u0001',
    '.', '..', '@', 'é', 'Ä', '€', '😀', 'İ'];
  const domains = ['gmail.com', 'GMail.COM', 'googlemail.com', 'example.com', 'Example.NL', 'a.io', 'mail.co.uk',
    'localhost', '.example.com', 'example.com.', 'ex..ample.com', '', 'exämple.de', 'x.y.z.w'];
  const local = word(Math.floor(r() * 30)) + pick(r, odd) + word(Math.floor(r() * 6));
  const domain = pick(r, domains) + pick(r, ['', '', '', '', pick(r, odd)]);
  const ws = () => (r() < 0.2 ? pick(r, [' ', '\t', '\n', '\u00a0', '\ufeff', '\u200b', ' \u00a0 ']) : '');
  const long = r() < 0.01 ? 'x'.repeat(1000 + Math.floor(r() * 60)) : '';
  const pad = r() < 0.01 ? ' '.repeat(1000 + Math.floor(r() * 60)) : '';  // too long, though trimmed short
  return pad + ws() + long + local + (r() < 0.93 ? '@' : '') + domain + ws();
}

const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex');

for (const profile of ['meta', 'google', 'uid2', 'liveramp']) {
  test(`wasm e-mail model (${profile}): hashBatch, hash and normalize match the documented rules`, () => {
    const r = rng(0xe3a11 + profile.length);
    const values = Array.from({ length: 20000 }, () => messy(r));
    const want = values.map((v) => model(v, profile));
    const enc = profile === 'uid2' ? 'hex' : undefined;  // uid2 defaults to base64
    const batch = hg.hashBatch(values, { profile, encoding: enc });
    let checked = 0;
    for (let i = 0; i < values.length; i++) {
      const w = want[i];
      const label = `value #${i} (${profile})`;  // never the value itself
      assert.equal(batch[i], w === null ? null : sha256(w), `hashBatch differs on ${label}`);
      if (i % 10 === 0) {
        let single = null;
        let norm = null;
        try { single = hg.hash('em', values[i], { profile, encoding: enc }); } catch (_) { single = null; }
        try { norm = hg.normalize('em', values[i], { profile }); } catch (_) { norm = null; }
        assert.equal(single, batch[i], `hash differs from hashBatch on ${label}`);
        assert.equal(norm, w, `normalize differs on ${label}`);
        checked++;
      }
    }
    const valid = want.filter((w) => w !== null).length;
    assert.ok(valid > 5000 && valid < 19000, `the generator should mix valid and invalid (${valid} valid)`);
    assert.ok(checked === 2000);
  });
}
