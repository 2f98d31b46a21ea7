// The matched-audience demo end to end in Chromium: a reader signs in to the publisher (hashed in
// the page), 30 readers sign in, the advertiser uploads 22 addresses plus the reader's hash and
// matches them (21 people in common: released as 20), and the publisher exports 21 lines of its
// own ids, one of them the reader's cookie id. No address leaves the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { find_leaks, leak_needles, record_requests, use_gateway } from './lib/harness.mjs';

const env = use_gateway();

test('browser: publisher demo runs the matched-audience flow with hashes only', async () => {
  const email = `Reader.${randomBytes(4).toString('hex')}@Example.nl`;
  const { requests, settle } = record_requests(env.browser.context);
  const page = await env.browser.context.newPage();
  await page.goto(`${env.gw.origin}/demo/publisher/`);
  await page.waitForFunction(() => document.body.dataset.ready);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', await page.textContent('#load-state'));

  await page.fill('#email', email);
  await page.click('#signin');
  await page.waitForFunction(() => document.body.dataset.login === '1');
  assert.equal(await page.getAttribute('#login-outcome', 'data-kind'), 'ok', await page.textContent('#login-outcome'));
  for (const [button, flag] of [['#readers', 'readers'], ['#upload', 'upload'], ['#match', 'match']]) {
    await page.click(button);
    await page.waitForFunction((f) => document.body.dataset[f] === '1', flag);
  }
  assert.equal(await page.getAttribute('#upload-outcome', 'data-kind'), 'ok', await page.textContent('#upload-outcome'));
  assert.equal(await page.getAttribute('#match-outcome', 'data-matched'), '20', await page.textContent('#match-outcome'));
  await page.click('#export');
  await page.waitForFunction(() => document.body.dataset.export === '1');
  assert.equal(await page.getAttribute('#export-outcome', 'data-lines'), '21', await page.textContent('#export-outcome'));
  const lines = (await page.textContent('#export-lines')).split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.filter((l) => l.uid !== '').length, 1, 'the reader is exported by its cookie id');

  await settle();
  assert.deepEqual(find_leaks(requests, leak_needles(email)), []);
  assert.ok(!lines.some((l) => JSON.stringify(l).includes('@')));
});
