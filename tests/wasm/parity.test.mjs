// Parity with the native CLI (build/bin/hashgate, or HASHGATE_CLI) on 10,000 generated inputs
// across profiles and fields, through hash() and hashBatch(); plus snippet parity for em/ph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliHash, genEmail, genPhone, loadModule, pick, randStr, rng } from './helpers.mjs';
import { loadSnippet } from './snippet-harness.mjs';

const { Hashgate } = await loadModule();
const hg = await Hashgate.load();
const k_profiles = ['meta', 'google', 'uid2', 'liveramp'];

/** 10,000 inputs: e-mails and phones mostly, plus every other field, grouped by CLI call. */
function generate() {
  const r = rng(20261129);
  const groups = new Map();
  const add = (profile, field, region, value) => {
    const key = `${profile}\t${field}\t${region}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(value);
  };
  const others = {
    fn: () => pick(r, ['Mary', ' JOHN ', 'Zoë', "O'Brien", 'Dr. Anne', 'jean-luc', 'Ünal']),
    ln: () => pick(r, ['Smith', ' van der Berg', 'Müller', 'García-López', 'SMITH Jr.']),
    db: () => pick(r, ['2/16/1997', '1997-02-16', '19970216', '31.12.1980', '2001-02-30', 'soon']),
    ge: () => pick(r, ['m', 'F', 'male', 'Female', 'x', '']),
    ct: () => pick(r, ['Amsterdam', 'New York', ' SAN-FRANCISCO ', 'Köln']),
    st: () => pick(r, ['CA', 'California', 'ny', 'Noord-Holland']),
    zp: () => pick(r, ['94025', '1234 AB', '94025-1234', 'SW1A 1AA']),
    country: () => pick(r, ['US', 'United States', 'nl', 'Netherlands', 'Germany', 'Atlantis']),
    external_id: () => randStr(r, 'abcdefABCDEF0123456789-_', 1 + Math.floor(r() * 30)),
  };
  for (let i = 0; i < 10000; i++) {
    const profile = pick(r, k_profiles);
    const roll = r();
    if (roll < 0.45) {
      add(profile, 'em', '', genEmail(r));
    } else if (roll < 0.9) {
      const [value, region] = genPhone(r);
      add(profile, 'ph', region, value);
    } else {
      const field = pick(r, Object.keys(others));
      add(profile, field, '', others[field]());
    }
  }
  return groups;
}

const groups = generate();

test('wasm parity: 10,000 generated inputs hash exactly as the native CLI', () => {
  let total = 0;
  let valid = 0;
  const mismatches = [];
  for (const [key, values] of groups) {
    const [profile, field, region] = key.split('\t');
    const native = cliHash(profile, field, region, values);
    if (native.unsupported) {
      for (const v of values) {
        total++;
        if (v.trim() === '') continue;  // 'empty' is reported before the field check
        assert.throws(() => hg.hash(field, v, { profile, region: region || undefined }),
          (e) => e.code === native.unsupported, `${profile}/${field}: wasm must refuse as the CLI does`);
      }
      continue;
    }
    assert.equal(native.length, values.length, `CLI line count for ${key}`);
    const batch = hg.hashBatch(values, { field, profile, region: region || undefined });
    values.forEach((v, i) => {
      let single;
      try {
        single = hg.hash(field, v, { profile, region: region || undefined });
      } catch (e) {
        assert.ok(e instanceof TypeError && typeof e.code === 'string', 'invalid input throws TypeError(code)');
        single = '';
      }
      const b = batch[i] === null ? '' : batch[i];
      if (single !== native[i] || b !== native[i]) {
        mismatches.push(`${profile}/${field}/${region || '-'} #${i}: cli=${native[i] ? 'digest' : 'invalid'} hash=${single ? 'digest' : 'invalid'}`);
      }
      if (single) valid++;
      total++;
    });
  }
  assert.equal(total, 10000);
  assert.ok(valid > 5000, `only ${valid} valid inputs: the generator is too harsh`);
  assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} mismatches`);
});

test('wasm parity: the snippet equals the full module on e-mails and phones (meta/google/uid2)', async () => {
  const snip = await loadSnippet({});
  const r = rng(7);
  for (let i = 0; i < 600; i++) {
    const profile = pick(r, ['meta', 'google', 'uid2']);
    const [field, value, region] = r() < 0.5 ? ['em', genEmail(r), ''] : ['ph', ...genPhone(r)];
    const o = { profile, region: region || undefined };
    let want = null;
    try { want = hg.hash(field, value, o); } catch (e) { want = e.code; }
    let got = null;
    try { got = await snip.hash(field, value, o); } catch (e) { got = e.code; }
    assert.equal(got, want, `${profile}/${field} input #${i}`);
  }
});
