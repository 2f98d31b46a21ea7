// Error codes: invalid input throws TypeError with .code (the SDK's name) and never echoes the
// value; unknown selectors are TypeErrors too; batch gives null per invalid entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModule } from './helpers.mjs';

const { Hashgate } = await loadModule();
const hg = await Hashgate.load();

/** Asserts that fn throws a TypeError with `.code` === code whose message lacks `secret`. */
function throwsCode(fn, code, secret) {
  let err = null;
  try { fn(); } catch (e) { err = e; }
  assert.ok(err, `expected ${code}, nothing was thrown`);
  assert.ok(err instanceof TypeError, `expected TypeError, got ${err && err.constructor.name}`);
  assert.equal(err.code, code);
  if (secret) assert.ok(!err.message.toLowerCase().includes(secret.toLowerCase()), 'the message echoes the value');
}

test('wasm errors: invalid e-mails', () => {
  for (const v of ['no-at-sign.example.com', 'two@@example.com', '@example.com', 'jane@localhost', 'a@b@c.com']) {
    throwsCode(() => hg.hashEmail(v), 'invalid_email', v);
  }
});

test('wasm errors: phones', () => {
  throwsCode(() => hg.hashPhone('555-CALL-NOW', { region: 'US' }), 'invalid_phone', '555-CALL-NOW');
  throwsCode(() => hg.hashPhone('+1 23', { region: 'NL' }), 'invalid_phone', '23');
  throwsCode(() => hg.hashPhone('06 12345678', { region: 'ZZ' }), 'invalid_region');
  throwsCode(() => hg.hashPhone('06 12345678', { region: 'NLD' }), 'invalid_region');
});

test('wasm errors: empty and too long', () => {
  throwsCode(() => hg.hash('em', '   '), 'empty');
  throwsCode(() => hg.hash('em', 'a'.repeat(1100) + '@example.com'), 'too_long');
  throwsCode(() => hg.hash('em', 'a'.repeat(70000) + '@example.com'), 'too_long');
});

test('wasm errors: unknown field, profile, algo, encoding; missing HMAC key', () => {
  throwsCode(() => hg.hash('shoe_size', '42'), 'unsupported_field');
  throwsCode(() => hg.hash('em', 'a@example.com', { profile: 'myspace' }), 'unsupported_profile');
  throwsCode(() => hg.hash('em', 'a@example.com', { algo: 'sha3' }), 'unsupported_algo');
  throwsCode(() => hg.hash('em', 'a@example.com', { encoding: 'base32' }), 'unsupported_encoding');
  throwsCode(() => hg.hash('em', 'a@example.com', { algo: 'hmac-sha256' }), 'missing_key');
});

test('wasm errors: a non-string value is invalid_value, not a crash', () => {
  throwsCode(() => hg.hash('em', 42), 'invalid_value');
  throwsCode(() => hg.normalize('em', null), 'invalid_value');
});

test('wasm errors: the thrown error names the field', () => {
  try {
    hg.hash('em', 'nobody');
    assert.fail('no error');
  } catch (e) {
    assert.equal(e.field, 'em');
    assert.match(e.message, /em/);
  }
});

test('wasm errors: hashBatch gives null exactly for the invalid entries', () => {
  const out = hg.hashBatch(['a@example.com', 'bad', '', 'B@Example.com ', 'x\n@y.com', 7, 'c'.repeat(70000)], { field: 'em' });
  assert.equal(out.length, 7);
  assert.equal(out[0], hg.hashEmail('a@example.com'));
  assert.equal(out[1], null);
  assert.equal(out[2], null);
  assert.equal(out[3], hg.hashEmail('b@example.com'));
  assert.equal(out[4], null);
  assert.equal(out[5], null);
  assert.equal(out[6], null);
});

test('wasm errors: Hashgate.load rejects an unknown profile or region', async () => {
  await assert.rejects(Hashgate.load({ profile: 'nope' }), (e) => e instanceof TypeError && e.code === 'unsupported_profile');
  await assert.rejects(Hashgate.load({ region: 'N' }), (e) => e instanceof TypeError && e.code === 'invalid_region');
});
