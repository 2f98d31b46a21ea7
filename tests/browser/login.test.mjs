// The publisher login demo hashes the e-mail at sign-in, keeps only the hash as the session's
// user id, sends a 'login' event with hashes only, and the gateway stores it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  export_events, find_leaks, leak_needles, record_requests, sha256_hex,
  use_gateway,
} from './lib/harness.mjs';

const env = use_gateway();

test('browser: login demo links the hashed e-mail to the session and stores a login event', async () => {
  const email = `Reader.${randomBytes(4).toString('hex')}@Example.nl`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const { requests, settle } = record_requests(env.browser.context);
  const page = await env.browser.context.newPage();
  await page.goto(`${env.gw.origin}/demo/login/`);
  await page.waitForFunction(() => document.body.dataset.ready);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', await page.textContent('#load-state'));

  await page.fill('#email', email);
  await page.fill('#password', password);
  const posted = page.waitForResponse((r) => r.url().includes('/v1/events') && r.request().method() === 'POST');
  await page.click('#signin');
  await posted;
  await page.waitForFunction(() => document.body.dataset.done === '1');
  assert.equal(await page.getAttribute('#outcome', 'data-kind'), 'ok', await page.textContent('#outcome'));

  const em_hex = sha256_hex(email.toLowerCase());
  assert.ok((await page.textContent('#session')).includes(em_hex), 'the session shows the hash');
  const stored = await page.evaluate(() => sessionStorage.getItem('hashgate-demo-session'));
  assert.ok(stored.includes(em_hex) && !stored.toLowerCase().includes(email.toLowerCase()));
  assert.equal(await page.inputValue('#email'), '', 'the address is cleared after sign-in');

  await settle();
  const needles = [...leak_needles(email), ...leak_needles(password)];
  assert.deepEqual(find_leaks(requests, needles), []);
  const { text, events } = await export_events(env.gw.origin);
  assert.ok(text.includes(em_hex), 'the export holds the login hash');
  assert.equal(events.find((e) => JSON.stringify(e).includes(em_hex)).type, 'login');
});
