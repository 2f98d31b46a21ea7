// (e) The tag-manager demo: commands queued in window.hashgate before hashgate.min.js loads are
// run once it loads (a purchase from the data layer), and a command pushed afterwards runs at
// once. Both arrive at the gateway as hashes only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  export_events, find_leaks, launch_browser, leak_needles, record_requests, sha256_hex,
  use_gateway,
} from './lib/harness.mjs';

const env = use_gateway();

test('browser: the GTM snippet page sends the queued command and later pushes', async () => {
  const tag = randomBytes(4).toString('hex');
  const queued_email = `GTM.Buyer.${tag}@Example.com`;
  const later_email = `newsletter.${tag}@example.net`;
  const { requests, settle } = record_requests(env.browser.context);
  // The site's data layer for this order (datalayer.js keeps an existing purchase entry).
  await env.browser.context.addInitScript((email) => {
    window.dataLayer = [{ event: 'purchase', value: 12.5, currency: 'EUR', user_data: { email } }];
  }, queued_email);
  const page = await env.browser.context.newPage();

  const first_post = page.waitForResponse((r) => r.url().includes('/v1/events') && r.request().method() === 'POST');
  await page.goto(`${env.gw.origin}/demo/gtm/`);
  const res = await first_post;
  assert.ok(res.status() >= 200 && res.status() < 300, `POST /v1/events answered ${res.status()}`);
  await page.waitForFunction(() => document.getElementById('snippet-state').dataset.kind);
  assert.equal(await page.getAttribute('#snippet-state', 'data-kind'), 'ok', await page.textContent('#snippet-state'));
  // The snippet's callback reported the queued purchase's outcome on the page.
  await page.waitForFunction(() => Number(document.getElementById('send-outcome').dataset.count) >= 1);
  assert.equal(await page.getAttribute('#send-outcome', 'data-kind'), 'ok', await page.textContent('#send-outcome'));
  assert.match(await page.textContent('#send-outcome'), /purchase: sent as hashes \(HTTP 202\)/);

  const queued_hex = sha256_hex(queued_email.toLowerCase());
  // The POST was answered 2xx, and a 2xx means the event is durable: the export has it now.
  const text1 = (await export_events(env.gw.origin)).text;
  assert.ok(text1.includes(queued_hex), 'the queued purchase was stored with the e-mail hash');
  assert.ok(text1.includes('purchase'));

  // A command pushed after the snippet has loaded.
  const second_post = page.waitForResponse((r) => r.url().includes('/v1/events') && r.request().method() === 'POST');
  await page.fill('#email', later_email);
  await page.click('#subscribe');
  await second_post;
  await page.waitForFunction(() => Number(document.getElementById('send-outcome').dataset.count) >= 2);
  assert.match(await page.textContent('#send-outcome'), /lead: sent as hashes/);
  const later_hex = sha256_hex(later_email);
  const text2 = (await export_events(env.gw.origin)).text;
  assert.ok(text2.includes(later_hex), 'the lead pushed after load was stored');

  await settle();
  const needles = [...leak_needles(queued_email), ...leak_needles(later_email)];
  assert.deepEqual(find_leaks(requests, needles), []);
  assert.ok(!(await page.textContent('#tag-log')).toLowerCase().includes(tag), 'the tag log redacts values');
});

test('browser: with Global Privacy Control the GTM snippet sends nothing and the page says why', async () => {
  const b = await launch_browser();
  try {
    const email = `gtm.gpc.${randomBytes(4).toString('hex')}@example.com`;
    await b.context.addInitScript((e) => {
      Object.defineProperty(navigator, 'globalPrivacyControl', { get: () => true, configurable: true });
      window.dataLayer = [{ event: 'purchase', value: 1, currency: 'EUR', user_data: { email: e } }];
    }, email);
    const { requests, settle } = record_requests(b.context);
    const before_export = await export_events(env.gw.origin);
    const page = await b.context.newPage();
    await page.goto(`${env.gw.origin}/demo/gtm/`);
    await page.waitForFunction(() => Number(document.getElementById('send-outcome').dataset.count) >= 1);
    assert.equal(await page.getAttribute('#send-outcome', 'data-kind'), 'blocked', await page.textContent('#send-outcome'));
    assert.match(await page.textContent('#send-outcome'), /purchase: not sent \(gpc\)/);
    await settle();
    assert.equal(requests.filter((r) => r.url.includes('/v1/events')).length, 0, 'no event request at all');
    assert.equal((await export_events(env.gw.origin)).text, before_export.text, 'the export is unchanged');
  } finally {
    await b.close();
  }
});
