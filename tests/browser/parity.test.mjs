// (a) Hashing inside Chromium (web/dist/hashgate.mjs loaded from the gateway) equals the native
// CLI (build/bin/hashgate hash) for e-mails and phones across the meta, google and uid2 profiles,
// including odd inputs, and both agree with the official shared vectors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  cli_hash, k_dist_url_path, k_root, launch_browser, require_artifacts, start_gateway,
} from './lib/harness.mjs';

const k_profiles = ['meta', 'google', 'uid2'];

// Inputs exercising the normalization rules of docs/normalization.md; error cases must fail in both.
const k_emails = [
  'john.smith@example.com',
  '  John.Smith@Example.COM  ',
  'Jane.Doe+news@gmail.com',
  'J.A.N.E.DOE@GoogleMail.com',
  'jane.doe+work@example.org',
  'first_last-99@sub.example.co.uk',
  'Jörg.Müller@Example.de',
  'ÉLODIE@exemple.fr',
  'a@b.co',
  '\tTabbed@Example.net\n',
  'no-at-sign.example.com',
  'two@@example.com',
  '@example.com',
  'user@localhost',
  'in ner@example.com',
  '',
  // already hashed: sha256("test@example.com"), upper-case hex, must be re-encoded not re-hashed
  '973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B',
];

const k_phones = [
  ['+31 6 12345678', ''],
  ['06-12345678', 'NL'],
  ['0031 6 1234 5678', ''],
  ['+44 (0)20 7946 0958', ''],
  ['020 7946 0958', 'GB'],
  ['(650) 555-1212', 'US'],
  ['1 (234) 567-8901', ''],
  ['+1-800-555-0100', ''],
  ['030 1234567', 'DE'],
  ['+33 1 23 45 67 89', ''],
  ['12345', ''],
  ['+31 6 CALL ME', ''],
  ['', ''],
];

/** The official vectors (cited sources) for e-mail and phone in the three browser profiles. */
function shared_vectors() {
  const file = path.join(k_root, 'tests/vectors/normalization.tsv');
  if (!fs.existsSync(file)) return [];
  const [head, ...rows] = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length);
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])))
    .filter((v) => (v.field === 'em' || v.field === 'ph') && k_profiles.includes(v.profile) && v.algo === 'sha256');
}

let gw;
let browser;
let page;

before(async () => {
  require_artifacts({ cli: true });
  gw = await start_gateway();
  browser = await launch_browser();
  page = await browser.context.newPage();
  const res = await page.goto(`${gw.origin}/demo/`);
  assert.equal(res.status(), 200, 'GET /demo/ must serve web/demo/index.html');
});

after(async () => {
  await browser?.close();
  await gw?.stop();
});

/** Hashes every case inside the page; returns [{ok, value} | {ok:false, code}]. */
async function hash_in_page(cases) {
  return page.evaluate(async ({ url, cases }) => {
    const { Hashgate } = await import(url);
    const hg = await Hashgate.load({ gateway: location.origin, siteKey: 'pk_demo', profile: 'meta' });
    return cases.map((c) => {
      const opts = { profile: c.profile };
      if (c.region) opts.region = c.region;
      if (c.encoding) opts.encoding = c.encoding;
      try {
        return { ok: true, value: hg.hash(c.field, c.value, opts) };
      } catch (err) {
        return { ok: false, code: String(err && err.code), type: err && err.name };
      }
    });
  }, { url: `${gw.origin}${k_dist_url_path}hashgate.mjs`, cases });
}

function all_cases() {
  const cases = [];
  for (const profile of k_profiles) {
    for (const value of k_emails) cases.push({ profile, field: 'em', value, region: '' });
    for (const [value, region] of k_phones) cases.push({ profile, field: 'ph', value, region });
    // The non-default encoding of each profile (hex <-> base64), both fields.
    const encoding = profile === 'uid2' ? 'hex' : 'base64';
    for (const value of k_emails.slice(0, 4)) cases.push({ profile, field: 'em', value, region: '', encoding });
    for (const [value, region] of k_phones.slice(0, 4)) cases.push({ profile, field: 'ph', value, region, encoding });
  }
  return cases;
}

test('browser: hashgate.mjs in Chromium equals the native CLI for e-mails and phones', async () => {
  const cases = all_cases();
  const got = await hash_in_page(cases);
  assert.equal(got.length, cases.length);
  let ok_count = 0;
  let err_count = 0;
  const mismatches = [];
  cases.forEach((c, i) => {
    const cli = cli_hash(c.profile, c.field, c.value, { region: c.region, encoding: c.encoding });
    const page_r = got[i];
    const label = `case #${i} (${c.profile}/${c.field}${c.region ? '/' + c.region : ''}${c.encoding ? '/' + c.encoding : ''})`;
    if (cli.status === 0) {
      if (!page_r.ok) mismatches.push(`${label}: CLI hashed it, the page threw ${page_r.type}(${page_r.code})`);
      else if (page_r.value !== cli.out) mismatches.push(`${label}: page ${page_r.value} != CLI ${cli.out}`);
      else ok_count++;
    } else {
      if (page_r.ok) mismatches.push(`${label}: CLI rejected it (exit ${cli.status}), the page hashed it`);
      else {
        err_count++;
        if (page_r.type !== 'TypeError') mismatches.push(`${label}: page threw ${page_r.type}, expected TypeError`);
      }
    }
  });
  assert.deepEqual(mismatches, []);
  // Both sides must have done real work: many hashes, and the malformed inputs rejected.
  assert.ok(ok_count >= 40, `only ${ok_count} cases hashed`);
  assert.ok(err_count >= 12, `only ${err_count} cases rejected`);
});

test('browser: hashgate.mjs in Chromium reproduces the official shared vectors', async () => {
  const vectors = shared_vectors();
  assert.ok(vectors.length >= 10, 'expected the vectors in tests/vectors/normalization.tsv');
  const got = await hash_in_page(vectors.map((v) => ({ profile: v.profile, field: v.field, value: v.input, region: v.region })));
  vectors.forEach((v, i) => {
    const where = `vector #${i} (${v.profile}/${v.field}, ${v.source})`;
    if (v.expected === 'ERROR' || v.normalized === 'ERROR') {
      assert.equal(got[i].ok, false, `${where} must be rejected`);
    } else {
      assert.equal(got[i].ok, true, `${where} threw ${got[i].code}`);
      assert.equal(got[i].value, v.expected, where);
    }
  });
});
