// Every official vector (tests/vectors/normalization.tsv) through the full wasm module, and
// the e-mail/phone SHA-256 rows of meta/google/uid2 through the snippet as well.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModule, readTsv, vectorsDir } from './helpers.mjs';
import { loadSnippet } from './snippet-harness.mjs';

const rows = readTsv(join(vectorsDir, 'normalization.tsv'));
const { Hashgate } = await loadModule();
const hg = await Hashgate.load();

test('wasm: the vector file is not empty', () => {
  assert.ok(rows.length >= 20, `only ${rows.length} vectors`);
});

for (const [i, v] of rows.entries()) {
  const name = `wasm vector ${i + 2}: ${v.profile}/${v.field}${v.region ? '/' + v.region : ''} (${v.source})`;
  test(name, () => {
    const opts = { profile: v.profile, region: v.region || undefined, algo: v.algo || 'sha256',
      encoding: v.encoding || undefined };
    if (v.expected === '' || v.expected === 'error' || v.expected.startsWith('!')) {
      assert.throws(() => hg.hash(v.field, v.input, opts), TypeError);
      return;
    }
    if (v.normalized !== '') assert.equal(hg.normalize(v.field, v.input, opts), v.normalized);
    assert.equal(hg.hash(v.field, v.input, opts), v.expected);
    assert.deepEqual(hg.hashBatch([v.input], { ...opts, field: v.field }), [v.expected]);
  });
}

test('wasm snippet: e-mail/phone sha256 vectors of meta/google/uid2 match', async () => {
  const snip = await loadSnippet({});
  let n = 0;
  for (const v of rows) {
    if (!['em', 'ph'].includes(v.field) || !['meta', 'google', 'uid2'].includes(v.profile)) continue;
    if (v.expected === '' || (v.algo || 'sha256') !== 'sha256' || v.encoding !== (v.profile === 'uid2' ? 'base64' : 'hex')) continue;
    const got = await snip.hash(v.field, v.input, { profile: v.profile, region: v.region || undefined });
    assert.equal(got, v.expected, `row for ${v.profile}/${v.field} (${v.source})`);
    n++;
  }
  assert.ok(n >= 10, `only ${n} snippet rows`);
});
