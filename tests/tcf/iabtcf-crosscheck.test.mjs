// Cross-check of `hashgate tcf decode` against the IAB's reference library @iabtcf/core:
// random TC models (seeded) are encoded by the library's segment encoders, decoded by the real
// CLI in one batch (stdin, one string per line), and every field is compared with the model.
// Run: HASHGATE_BIN=build/bin/hashgate node --test tests/tcf/iabtcf-crosscheck.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(path.join(root, 'package.json'));
const {
  TCModel, TCString, SegmentEncoder, Segment, PurposeRestriction, Base64Url, GVL,
} = require('@iabtcf/core');

const BIN = process.env.HASHGATE_BIN || path.join(root, 'build/bin/hashgate');
const VECTORS = path.join(root, 'tests/vectors');
const MODELS = Number(process.env.HASHGATE_TCF_MODELS || 1200);
const MAX_VENDOR = 3000;

// mulberry32: a small seeded PRNG, so every run checks the same models.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(0x7cf2026);
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (n, max, p) => {
  const out = [];
  for (let i = 1; i <= max && out.length < n; i++) if (rand() < p) out.push(i);
  return out;
};
const letters = () => String.fromCharCode(65 + int(0, 25), 65 + int(0, 25));

/// A random vendor set in one of four shapes, to force both encodings.
function vendorSet(shape) {
  const ids = new Set();
  switch (shape) {
    case 'empty': break;
    case 'sparse': {  // a handful of far-apart ids → range encoding is smaller
      const n = int(1, 12);
      for (let i = 0; i < n; i++) ids.add(int(1, MAX_VENDOR));
      break;
    }
    case 'blocks': {  // contiguous runs → range encoding
      const n = int(1, 6);
      for (let i = 0; i < n; i++) {
        const start = int(1, MAX_VENDOR - 200);
        const len = int(1, 200);
        for (let v = start; v < start + len; v++) ids.add(v);
      }
      break;
    }
    default: {  // dense random → bitfield encoding
      const max = int(1, MAX_VENDOR);
      const p = 0.2 + rand() * 0.6;
      for (let v = 1; v <= max; v++) if (rand() < p) ids.add(v);
      ids.add(max);
    }
  }
  return [...ids].sort((a, b) => a - b);
}
const shapes = ['empty', 'sparse', 'blocks', 'dense', 'dense'];

/// Reads the IsRangeEncoding bit of the vendor consent section from a core segment.
function vendorConsentIsRange(core) {
  const bits = Base64Url.decode(core);
  return bits[213 + 16] === '1';
}

function randomModel() {
  const m = {
    cmp_id: int(2, 4095),
    cmp_version: int(0, 4095),
    consent_screen: int(0, 63),
    consent_language: letters(),
    vendor_list_version: int(1, 4095),
    policy_version: int(2, 5),
    is_service_specific: rand() < 0.5,
    use_non_standard_texts: rand() < 0.5,
    purpose_one_treatment: rand() < 0.5,
    publisher_cc: letters(),
    // deciseconds between 2019 and 2030 (a third of them whole days, as CMPs write them)
    created_ds: rand() < 0.33 ? int(17897, 21915) * 864000 : int(15463008000, 18934560000),
    special_feature_optins: pick(12, 12, rand()),
    purposes_consent: pick(24, 24, rand()),
    purposes_li: pick(24, 24, rand()),
    vendor_consent: vendorSet(shapes[int(0, 4)]),
    vendor_li: vendorSet(shapes[int(0, 4)]),
    disclosed: rand() < 0.6 ? vendorSet(shapes[int(1, 4)]) : null,
    restrictions: [],
    publisher_tc: null,
  };
  m.last_updated_ds = m.created_ds + int(0, 864000 * 90);
  const nr = rand() < 0.5 ? 0 : int(1, 4);
  const seen = new Set();
  for (let i = 0; i < nr; i++) {
    const purpose = int(1, 11);
    const type = int(0, 2);
    if (seen.has(`${purpose}-${type}`)) continue;
    seen.add(`${purpose}-${type}`);
    const vendors = vendorSet(rand() < 0.5 ? 'sparse' : 'blocks');
    m.restrictions.push({ purpose, type, vendors });
  }
  m.restrictions.sort((a, b) => a.purpose - b.purpose || a.type - b.type);
  if (rand() < 0.4) {
    const n = int(0, 10);
    m.publisher_tc = {
      purposes_consent: pick(24, 24, rand()),
      purposes_li: pick(24, 24, rand()),
      num_custom_purposes: n,
      custom_purposes_consent: pick(n, n, rand()),
      custom_purposes_li: pick(n, n, rand()),
    };
  }
  return m;
}

/// Encodes a model with the IAB library's own segment encoders.
function encode(m) {
  const tc = new TCModel();
  tc.version = 2;
  tc.cmpId = m.cmp_id;
  tc.cmpVersion = m.cmp_version;
  tc.consentScreen = m.consent_screen;
  tc.consentLanguage = m.consent_language;
  tc.vendorListVersion = m.vendor_list_version;
  tc.policyVersion = m.policy_version;
  tc.isServiceSpecific = m.is_service_specific;
  tc.useNonStandardStacks = m.use_non_standard_texts;
  tc.purposeOneTreatment = m.purpose_one_treatment;
  tc.publisherCountryCode = m.publisher_cc;
  tc.created = new Date(m.created_ds * 100);
  tc.lastUpdated = new Date(m.last_updated_ds * 100);
  tc.specialFeatureOptins.set(m.special_feature_optins);
  tc.purposeConsents.set(m.purposes_consent);
  tc.purposeLegitimateInterests.set(m.purposes_li);
  tc.vendorConsents.set(m.vendor_consent);
  tc.vendorLegitimateInterests.set(m.vendor_li);
  // The restriction encoder merges ranges over the GVL's vendor ids; a stand-in GVL with every id
  // 1..MAX_VENDOR keeps the ranges exact (no `vendors` map: no GVL filtering).
  tc.publisherRestrictions.gvl = { vendorIds: new Set(Array.from({ length: MAX_VENDOR }, (_, i) => i + 1)) };
  for (const r of m.restrictions) {
    for (const v of r.vendors) tc.publisherRestrictions.add(v, new PurposeRestriction(r.purpose, r.type));
  }
  const segments = [Segment.CORE];
  if (m.disclosed) {
    tc.vendorsDisclosed.set(m.disclosed);
    segments.push(Segment.VENDORS_DISCLOSED);
  }
  if (m.publisher_tc) {
    const p = m.publisher_tc;
    tc.publisherConsents.set(p.purposes_consent);
    tc.publisherLegitimateInterests.set(p.purposes_li);
    tc.numCustomPurposes = p.num_custom_purposes;
    tc.publisherCustomConsents.set(p.custom_purposes_consent);
    tc.publisherCustomLegitimateInterests.set(p.custom_purposes_li);
    segments.push(Segment.PUBLISHER_TC);
  }
  return segments.map((s) => SegmentEncoder.encode(tc, s)).join('.');
}

// hashgate prints whole seconds without a fraction and tenths like JavaScript (".700Z").
const iso = (date) => date.toISOString().replace('.000Z', 'Z');

function runDecode(strings) {
  assert.ok(existsSync(BIN), `hashgate binary not found at ${BIN} (set HASHGATE_BIN)`);
  const res = spawnSync(BIN, ['tcf', 'decode', '-'], {
    input: strings.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 30,
  });
  assert.equal(res.error, undefined, String(res.error));
  const lines = res.stdout.split('\n').filter((l) => l.length > 0);
  return { status: res.status, stderr: res.stderr, out: lines.map((l) => JSON.parse(l)) };
}

test(`hashgate tcf decode agrees with @iabtcf/core on ${MODELS} random TC models`, () => {
  const models = [];
  const strings = [];
  let rangeCount = 0;
  let bitfieldCount = 0;
  for (let i = 0; i < MODELS; i++) {
    const m = randomModel();
    const s = encode(m);
    if (vendorConsentIsRange(s.split('.')[0])) rangeCount++; else bitfieldCount++;
    models.push(m);
    strings.push(s);
  }
  // Both vendor encodings must really be exercised.
  assert.ok(rangeCount >= MODELS / 10, `range-encoded vendor sections: ${rangeCount}`);
  assert.ok(bitfieldCount >= MODELS / 10, `bitfield vendor sections: ${bitfieldCount}`);

  const { status, stderr, out } = runDecode(strings);
  assert.equal(status, 0, stderr);
  assert.equal(out.length, models.length);
  for (let i = 0; i < models.length; i++) {
    const m = models[i];
    const d = out[i];
    const ctx = `model ${i}`;
    assert.equal(d.version, 2, ctx);
    assert.equal(d.created, iso(new Date(m.created_ds * 100)), ctx);
    assert.equal(d.last_updated, iso(new Date(m.last_updated_ds * 100)), ctx);
    for (const k of ['cmp_id', 'cmp_version', 'consent_screen', 'consent_language',
      'vendor_list_version', 'policy_version', 'is_service_specific', 'use_non_standard_texts',
      'purpose_one_treatment', 'publisher_cc', 'special_feature_optins', 'purposes_consent',
      'purposes_li', 'vendor_consent', 'vendor_li']) {
      assert.deepEqual(d[k], m[k], `${ctx} field ${k}`);
    }
    assert.deepEqual(d.disclosed_vendors, m.disclosed ?? [], `${ctx} disclosed_vendors`);
    assert.equal(d.has_disclosed_vendors, m.disclosed !== null, ctx);
    assert.deepEqual(d.publisher_restrictions, m.restrictions, `${ctx} publisher_restrictions`);
    assert.deepEqual(d.publisher_tc, m.publisher_tc, `${ctx} publisher_tc`);
  }
});

test('the reference decoder and hashgate agree on every official vector', () => {
  const rows = readFileSync(path.join(VECTORS, 'tcf.tsv'), 'utf8').split('\n').slice(1)
    .filter((l) => l.trim().length > 0).map((l) => l.split('\t')[0]);
  assert.ok(rows.length >= 5);
  const { status, stderr, out } = runDecode(rows);
  assert.equal(status, 0, stderr);
  rows.forEach((s, i) => {
    const ref = TCString.decode(s);
    const d = out[i];
    const ids = (vec) => { const a = []; vec.forEach((v, id) => { if (v) a.push(id); }); return a; };
    assert.equal(d.cmp_id, ref.cmpId);
    assert.equal(d.cmp_version, ref.cmpVersion);
    assert.equal(d.consent_language, ref.consentLanguage);
    assert.equal(d.publisher_cc, ref.publisherCountryCode);
    assert.equal(d.vendor_list_version, ref.vendorListVersion);
    assert.equal(d.policy_version, ref.policyVersion);
    assert.equal(d.created_unix, Math.floor(ref.created.getTime() / 1000));
    assert.equal(d.created, iso(ref.created));
    assert.equal(d.last_updated, iso(ref.lastUpdated));
    assert.deepEqual(d.purposes_consent, ids(ref.purposeConsents));
    assert.deepEqual(d.purposes_li, ids(ref.purposeLegitimateInterests));
    assert.deepEqual(d.special_feature_optins, ids(ref.specialFeatureOptins));
    assert.deepEqual(d.vendor_consent, ids(ref.vendorConsents));
    assert.deepEqual(d.vendor_li, ids(ref.vendorLegitimateInterests));
    assert.deepEqual(d.disclosed_vendors, ids(ref.vendorsDisclosed));
  });
});

/// A synthetic Global Vendor List: `n` vendors with random declared purposes.
function syntheticGvl(n) {
  const names = (k) => Object.fromEntries(Array.from({ length: k }, (_, i) => [i + 1,
    { id: i + 1, name: `p${i + 1}`, description: '', illustrations: [] }]));
  const vendors = {};
  for (let id = 1; id <= n; id++) {
    if (rand() < 0.15) continue;  // gaps in the id space, like the real GVL
    const purposes = pick(11, 11, 0.4);
    const legIntPurposes = pick(11, 11, 0.3).filter((p) => !purposes.includes(p) && p !== 1);
    vendors[id] = {
      id, name: `v${id}`, purposes, legIntPurposes,
      flexiblePurposes: rand() < 0.5 ? [...purposes, ...legIntPurposes].filter((p) => p > 1) : [],
      specialPurposes: rand() < 0.3 ? [1] : [], features: [], specialFeatures: pick(2, 2, 0.2),
      policyUrl: 'https://example.invalid/p', usesCookies: false, cookieRefresh: false,
      usesNonCookieAccess: false,
    };
  }
  return new GVL({
    gvlSpecificationVersion: 3, vendorListVersion: int(1, 4095), tcfPolicyVersion: 5,
    lastUpdated: '2025-06-01T16:00:00Z', purposes: names(11), specialPurposes: names(2),
    features: names(3), specialFeatures: names(2), stacks: {}, dataCategories: {}, vendors,
  });
}

test('TCString.encode with a Global Vendor List: hashgate equals the reference decoder', () => {
  const strings = [];
  for (let g = 0; g < 10; g++) {
    const gvl = syntheticGvl(int(50, MAX_VENDOR));
    const ids = Object.keys(gvl.vendors).map(Number);
    for (let i = 0; i < 30; i++) {
      const tc = new TCModel(gvl);
      tc.cmpId = int(2, 4095);
      tc.cmpVersion = int(0, 4095);
      tc.isServiceSpecific = rand() < 0.5;
      tc.purposeOneTreatment = rand() < 0.3;
      tc.publisherCountryCode = letters();
      if (rand() < 0.5) tc.updated(); else tc.created = tc.lastUpdated = new Date(int(15463008000, 18934560000) * 100);
      tc.purposeConsents.set(pick(11, 11, rand()));
      tc.purposeLegitimateInterests.set(pick(11, 11, rand()));
      tc.specialFeatureOptins.set(pick(2, 2, rand()));
      tc.vendorConsents.set(ids.filter(() => rand() < 0.5));
      tc.vendorLegitimateInterests.set(ids.filter(() => rand() < 0.3));
      for (let r = int(0, 3); r > 0; r--) {
        const pr = new PurposeRestriction(int(1, 11), int(0, 2));
        for (const v of ids.filter(() => rand() < 0.1)) tc.publisherRestrictions.add(v, pr);
      }
      tc.publisherConsents.set(pick(11, 11, rand()));
      tc.publisherLegitimateInterests.set(pick(11, 11, rand()));
      tc.supportOOB = rand() < 0.5;
      if (tc.supportOOB) tc.vendorsAllowed.set(ids.filter(() => rand() < 0.2));
      strings.push(TCString.encode(tc, { isForVendors: rand() < 0.5 }));
    }
  }
  const { status, stderr, out } = runDecode(strings);
  assert.equal(status, 0, stderr);
  assert.equal(out.length, strings.length);
  const ids = (vec) => { const a = []; vec.forEach((v, id) => { if (v) a.push(id); }); return a; };
  const segType = (seg) => parseInt(Base64Url.decode(seg.charAt(0)).slice(0, 3), 2);
  let withRestrictions = 0;
  const seen = { 1: 0, 2: 0, 3: 0, vendors: 0 };
  strings.forEach((s, i) => {
    const ref = TCString.decode(s);
    const d = out[i];
    const ctx = `string ${i}`;
    const types = s.split('.').slice(1).map(segType);
    for (const t of types) seen[t]++;
    if (d.vendor_consent.length > 0) seen.vendors++;
    assert.equal(d.created, iso(ref.created), ctx);
    assert.equal(d.last_updated, iso(ref.lastUpdated), ctx);
    assert.equal(d.cmp_id, ref.cmpId, ctx);
    assert.equal(d.cmp_version, ref.cmpVersion, ctx);
    assert.equal(d.consent_screen, ref.consentScreen, ctx);
    assert.equal(d.consent_language, ref.consentLanguage, ctx);
    assert.equal(d.vendor_list_version, ref.vendorListVersion, ctx);
    assert.equal(d.policy_version, ref.policyVersion, ctx);
    assert.equal(d.is_service_specific, ref.isServiceSpecific, ctx);
    assert.equal(d.use_non_standard_texts, ref.useNonStandardStacks, ctx);
    assert.equal(d.purpose_one_treatment, ref.purposeOneTreatment, ctx);
    assert.equal(d.publisher_cc, ref.publisherCountryCode, ctx);
    assert.deepEqual(d.special_feature_optins, ids(ref.specialFeatureOptins), ctx);
    assert.deepEqual(d.purposes_consent, ids(ref.purposeConsents), ctx);
    assert.deepEqual(d.purposes_li, ids(ref.purposeLegitimateInterests), ctx);
    assert.deepEqual(d.vendor_consent, ids(ref.vendorConsents), ctx);
    assert.deepEqual(d.vendor_li, ids(ref.vendorLegitimateInterests), ctx);
    assert.equal(d.has_disclosed_vendors, types.includes(1), ctx);
    assert.equal(d.has_allowed_vendors, types.includes(2), ctx);
    assert.deepEqual(d.disclosed_vendors, ids(ref.vendorsDisclosed), ctx);
    const restrictions = ref.publisherRestrictions.getRestrictions()
      .map((pr) => ({ purpose: pr.purposeId, type: pr.restrictionType,
        vendors: [...ref.publisherRestrictions.getVendors(pr)].sort((a, b) => a - b) }))
      .filter((r) => r.vendors.length > 0)
      .sort((a, b) => a.purpose - b.purpose || a.type - b.type);
    if (restrictions.length) withRestrictions++;
    assert.deepEqual(d.publisher_restrictions, restrictions, ctx);
    if (types.includes(3)) {
      assert.deepEqual(d.publisher_tc, {
        purposes_consent: ids(ref.publisherConsents),
        purposes_li: ids(ref.publisherLegitimateInterests),
        num_custom_purposes: ref.numCustomPurposes,
        custom_purposes_consent: ids(ref.publisherCustomConsents),
        custom_purposes_li: ids(ref.publisherCustomLegitimateInterests),
      }, ctx);
    } else {
      assert.equal(d.publisher_tc, null, ctx);
    }
  });
  // Every segment type and non-trivial content must really occur.
  assert.ok(withRestrictions > 20, `strings with publisher restrictions: ${withRestrictions}`);
  assert.ok(seen[1] > 20 && seen[2] > 5 && seen[3] > 20 && seen.vendors > 200, JSON.stringify(seen));
});

test('invalid strings give exit 65, a reason on stderr and never the input', () => {
  const bad = ['COtybn4PA_zT4Kj', 'not a tc string!', 'BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA'];
  const { status, stderr, out } = runDecode(['COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA', ...bad]);
  assert.equal(status, 65);
  assert.equal(out.length, 4);
  assert.equal(out[0].cmp_id, 675);
  for (const o of out.slice(1)) assert.equal(typeof o.error, 'string');
  assert.match(stderr, /line 2: invalid TC string: truncated/);
  assert.match(stderr, /line 4: invalid TC string: unsupported version/);
  for (const b of bad) assert.ok(!stderr.includes(b.slice(0, 10)), 'input echoed on stderr');
  const one = spawnSync(BIN, ['tcf', 'decode', 'COtybn4PA_zT4Kj'], { encoding: 'utf8' });
  assert.equal(one.status, 65);
  assert.match(one.stderr, /truncated/);
});
