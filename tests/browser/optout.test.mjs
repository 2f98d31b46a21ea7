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

test('browser: the opt-out link stops sending and purges what this browser sent before', async () => {
  const browser = await launch_browser();
  try {
    const page = await browser.context.newPage();
    const buy = async (email) => {
      await page.goto(`${gw.origin}/demo/checkout/`);
      await page.waitForFunction(() => document.body.dataset.ready === 'true');
      await page.fill('#email', email);
      await page.fill('#phone', '');
      await page.click('#buy');
      await page.waitForFunction(() => document.body.dataset.done === '1');
      return [await page.getAttribute('#outcome', 'data-kind'), await page.textContent('#outcome')];
    };
    const tag = randomBytes(4).toString('hex');
    const first = `before.optout.${tag}@example.com`;
    const second = `after.optout.${tag}@example.com`;

    const [kind1, text1] = await buy(first);
    assert.equal(kind1, 'ok', text1);
    assert.ok((await export_events(gw.origin)).text.includes(sha256_hex(first)), 'stored before the opt-out');

    // The privacy statement's link: GET /v1/optout sets the cookie and shows a confirmation.
    const nav = page.waitForNavigation();
    await page.click('#optout-link');
    const res = await nav;
    assert.equal(res.status(), 200, 'GET /v1/optout answers with a confirmation page');
    const cookies = await browser.context.cookies(gw.origin);
    assert.ok(cookies.some((c) => c.name === 'hg_optout' && c.value === '1'), 'hg_optout=1 is set');

    const [kind2, text2] = await buy(second);
    assert.equal(kind2, 'blocked', text2);
    assert.match(text2, /opted out/i);
    assert.match(await page.textContent('#privacy-state'), /State: opted out/);

    const { text } = await export_events(gw.origin);
    assert.ok(!text.includes(sha256_hex(second)), 'nothing stored after the opt-out');
    assert.ok(!text.includes(sha256_hex(first)), 'the earlier event of this browser is purged from the export');
  } finally {
    await browser.close();
  }
});
