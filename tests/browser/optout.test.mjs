// (d) With the hg_optout=1 cookie, and separately with navigator.globalPrivacyControl = true,
// the checkout demo stores nothing (the export is unchanged) and the page says why. A control
// run without either signal then stores the event, so the check can fail.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  export_events, launch_browser, require_artifacts, sha256_hex, start_gateway,
} from './lib/harness.mjs';

let gw;

before(async () => {
  require_artifacts();
  gw = await start_gateway();
});

after(async () => {
  await gw?.stop();
});

/** Runs one checkout in a fresh browser prepared by `prepare(context)`; returns the outcome. */
async function checkout_once(prepare) {
  const browser = await launch_browser();
  try {
    await prepare(browser.context);
    const page = await browser.context.newPage();
    await page.goto(`${gw.origin}/demo/checkout/`);
    await page.waitForFunction(() => document.body.dataset.ready);
    assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true',
      `checkout page could not load hashgate: ${await page.textContent('#load-state')}`);
    const email = `Opt.Test.${randomBytes(4).toString('hex')}@Example.com`;
    await page.fill('#email', email);
    await page.fill('#phone', '+31 6 1111 2222');
    await page.click('#buy');
    await page.waitForFunction(() => document.body.dataset.done === '1');
    return {
      em_hex: sha256_hex(email.toLowerCase()),
      kind: await page.getAttribute('#outcome', 'data-kind'),
      outcome: await page.textContent('#outcome'),
      privacy: await page.textContent('#privacy-state'),
    };
  } finally {
    await browser.close();
  }
}

test('browser: with the hg_optout cookie nothing is stored and the page says why', async () => {
  const before_export = await export_events(gw.origin);
  const r = await checkout_once((ctx) => ctx.addCookies([{ name: 'hg_optout', value: '1', url: gw.origin }]));
  assert.equal(r.kind, 'blocked', `outcome: ${r.outcome}`);
  assert.match(r.outcome, /opted out/i);
  assert.match(r.privacy, /opt-out cookie \(hg_optout\): set/i);
  const after_export = await export_events(gw.origin);
  assert.equal(after_export.text, before_export.text, 'the export must be unchanged');
  assert.ok(!after_export.text.includes(r.em_hex));
});

test('browser: with navigator.globalPrivacyControl = true nothing is stored and the page says why', async () => {
  const before_export = await export_events(gw.origin);
  const r = await checkout_once((ctx) => ctx.addInitScript(() => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { get: () => true, configurable: true });
  }));
  assert.equal(r.kind, 'blocked', `outcome: ${r.outcome}`);
  assert.match(r.outcome, /global privacy control/i);
  assert.match(r.privacy, /global privacy control: on/i);
  const after_export = await export_events(gw.origin);
  assert.equal(after_export.text, before_export.text, 'the export must be unchanged');
  assert.ok(!after_export.text.includes(r.em_hex));
});

test('browser: control run without opt-out signals stores the event', async () => {
  const r = await checkout_once(async () => {});
  assert.equal(r.kind, 'ok', `outcome: ${r.outcome}`);
  const { text } = await export_events(gw.origin);
  assert.ok(text.includes(r.em_hex), 'the export holds the control event');
});
