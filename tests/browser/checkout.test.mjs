// (b) The checkout demo sends only hashes: every request of the whole flow (URL, all headers,
// body) is recorded and searched for the raw e-mail and phone in any case or encoding.
// (c) The gateway stored the purchase: the export (Bearer sk_demo) holds the sha256 hex of the
// normalized e-mail and phone, computed here with node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  export_events, find_leaks, leak_needles, record_requests, sha256_hex,
  use_gateway,
} from './lib/harness.mjs';

const k_tag = randomBytes(4).toString('hex');
// A fake buyer; mixed case and padding exercise the meta profile's trim + lowercase.
const k_email = `  Ada.Lovelace.${k_tag}@Example.ORG `;
const k_email_normalized = `ada.lovelace.${k_tag}@example.org`;
const k_phone = '06 4827 1953';           // NL mobile, national form
const k_phone_normalized = '31648271953'; // meta: E.164 digits without '+'
export const k_screenshot = '/tmp/hashgate-checkout.png';

const env = use_gateway();

test('browser: checkout demo sends only hashes and the gateway stores the purchase', async () => {
  const { requests, settle } = record_requests(env.browser.context);
  const page = await env.browser.context.newPage();
  const console_lines = [];
  const page_errors = [];
  page.on('console', (m) => {
    console_lines.push(m.text());
    // CSP violations and script errors show up as console errors (a favicon 404 does not count).
    if (m.type() === 'error' && !/favicon/.test(m.location().url || '')) page_errors.push(m.text());
  });
  page.on('pageerror', (e) => page_errors.push(e.message));

  await page.goto(`${env.gw.origin}/demo/checkout/`);
  await page.waitForFunction(() => document.body.dataset.ready);
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true',
    `checkout page could not load hashgate: ${await page.textContent('#load-state')}`);

  await page.fill('#email', k_email);
  await page.fill('#phone', k_phone);
  await page.selectOption('#region', 'NL');
  await page.selectOption('#profile', 'meta');
  const posted = page.waitForResponse((r) => r.url().includes('/v1/events') && r.request().method() === 'POST');
  await page.click('#buy');
  const res = await posted;
  await page.waitForFunction(() => document.body.dataset.done === '1');

  const outcome = await page.textContent('#outcome');
  assert.equal(await page.getAttribute('#outcome', 'data-kind'), 'ok', `outcome: ${outcome}`);
  assert.ok(res.status() >= 200 && res.status() < 300, `POST /v1/events answered ${res.status()}`);

  // The page shows the hashes it sent (and only them).
  const shown = await page.textContent('#sent');
  const em_hex = sha256_hex(k_email_normalized);
  const ph_hex = sha256_hex(k_phone_normalized);
  assert.ok(shown.includes(em_hex), 'the page shows the e-mail hash');
  assert.ok(shown.includes(ph_hex), 'the page shows the phone hash');

  await page.screenshot({ path: k_screenshot, fullPage: true });
  assert.deepEqual(page_errors, [], 'no script errors or CSP violations on the checkout page');

  // Leak check over every request of the flow.
  await settle();
  const events_posts = requests.filter((r) => r.url.includes('/v1/events') && r.method === 'POST');
  assert.equal(events_posts.length, 1, 'exactly one event POST');
  assert.ok(events_posts[0].body.includes(em_hex), 'the POST body carries the e-mail hash');
  assert.ok(events_posts[0].body.includes(ph_hex), 'the POST body carries the phone hash');
  const needles = [...leak_needles(k_email), ...leak_needles(k_email_normalized),
    ...leak_needles(k_phone, { phone: true }), ...leak_needles('+31 6 4827 1953', { phone: true })];
  assert.ok(requests.length >= 3, `recorded ${requests.length} requests`);
  assert.deepEqual(find_leaks(requests, needles), []);
  // Nor did the page log the raw values.
  assert.deepEqual(find_leaks([{ url: '', method: 'console', headers: {}, body: console_lines.join('\n') }], needles), []);

  // (c) The gateway stored it: the export carries both hashes, never the raw values.
  const { text, events } = await export_events(env.gw.origin);
  assert.ok(events.length >= 1, 'the export has the stored event');
  assert.ok(text.includes(em_hex), 'the export holds sha256(normalized e-mail)');
  assert.ok(text.includes(ph_hex), 'the export holds sha256(normalized phone)');
  assert.deepEqual(find_leaks([{ url: '', method: 'export', headers: {}, body: text }], needles), []);
  const purchase = events.find((e) => JSON.stringify(e).includes(em_hex));
  assert.equal(purchase.type, 'purchase');
});

test('browser: checkout with the google and uid2 profiles stores the platform-normalized hashes', async () => {
  const { requests, settle } = record_requests(env.browser.context);
  const page = await env.browser.context.newPage();
  const tag = randomBytes(4).toString('hex');
  // gmail: google and uid2 drop the dots and the +tag of the local part (docs/normalization.md).
  const cases = [
    { profile: 'google', email: `Jane.Doe.${tag}+Shop@GMail.com`, normalized: `janedoe${tag}@gmail.com`,
      phone: '+44 (0)20 7946 0958', region: 'GB', phone_normalized: '+442079460958' },
    { profile: 'uid2', email: ` Max.Mustermann.${tag}+x@gmail.com`, normalized: `maxmustermann${tag}@gmail.com`,
      phone: '030 1234567', region: 'DE', phone_normalized: '+49301234567' },
  ];
  for (const c of cases) {
    await page.goto(`${env.gw.origin}/demo/checkout/`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    await page.fill('#email', c.email);
    await page.fill('#phone', c.phone);
    await page.selectOption('#region', c.region);
    await page.selectOption('#profile', c.profile);
    await page.click('#buy');
    await page.waitForFunction(() => document.body.dataset.done === '1');
    assert.equal(await page.getAttribute('#outcome', 'data-kind'), 'ok', await page.textContent('#outcome'));
  }
  await settle();
  const { text } = await export_events(env.gw.origin);
  for (const c of cases) {
    // The gateway stores ids canonical as lowercase hex, whatever encoding the profile sends.
    assert.ok(text.includes(sha256_hex(c.normalized)), `${c.profile}: export holds sha256 of the normalized e-mail`);
    assert.ok(text.includes(sha256_hex(c.phone_normalized)), `${c.profile}: export holds sha256 of the E.164 phone`);
    const needles = [...leak_needles(c.email), ...leak_needles(c.normalized), ...leak_needles(c.phone, { phone: true }),
      ...leak_needles(c.phone_normalized, { phone: true })];
    assert.deepEqual(find_leaks(requests, needles), [], `${c.profile}: no raw value in any request`);
  }
});
