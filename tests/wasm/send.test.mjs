// send(): the body is the wire format of docs/gateway-api.md with only hashes, against a local HTTP server;
// retries on 503 honouring Retry-After; the opt-out cookie and GPC suppress sending; the snippet's
// queue replays commands pushed before it loaded and obeys the same rules.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { loadModule } from './helpers.mjs';
import { loadSnippet } from './snippet-harness.mjs';

const { Hashgate } = await loadModule();
const k_email = 'Jane.Doe+News@Example.com';
const k_phone = '+31 (0)6 1234 5678';
const sha = (s) => createHash('sha256').update(s).digest('hex');

let server;
let gateway;
let requests = [];
let plan = [];  // queued responses: [status, headers]

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      const [status, headers] = plan.shift() || [202, {}];
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(status < 300 ? '{"accepted":1}' : '{"error":"busy"}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  gateway = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

/** Sets (or removes) the simulated browser globals. */
function browser({ cookie, gpc } = {}) {
  if (cookie === undefined) delete globalThis.document;
  else globalThis.document = { cookie };
  Object.defineProperty(globalThis, 'navigator', {
    value: gpc === undefined ? {} : { globalPrivacyControl: gpc }, configurable: true, writable: true,
  });
}

/** Asserts that no form of the raw values appears in a captured request. */
function assertNoRaw(req) {
  const hay = [req.url, JSON.stringify(req.headers), req.body].join('\n');
  const forms = (v) => [v, v.toLowerCase(), v.toUpperCase(), encodeURIComponent(v), encodeURIComponent(v.toLowerCase()),
    Buffer.from(v).toString('base64'), v.replace(/\D/g, '')].filter((f) => f.length >= 6);
  for (const v of [k_email, 'jane.doe', 'janedoe', 'example.com', k_phone]) {
    for (const f of forms(v)) assert.ok(!hay.toLowerCase().includes(f.toLowerCase()), 'a raw identifier form was sent');
  }
  assert.ok(!hay.includes('31612345678'.slice(2)), 'the raw phone digits were sent');
}

test('wasm send: posts only hashes in the wire format, with the site key', async () => {
  browser({ cookie: '' });
  requests = [];
  const hg = await Hashgate.load({ gateway, siteKey: 'pk_demo', profile: 'meta' });
  const r = await hg.send('purchase', { email: k_email, phone: k_phone, custom: { value: 59.95, currency: 'EUR' },
    consent: { gdpr: 1, legal_basis: 'consent' }, onlineIds: { fbp: 'fb.1.1764.123' } });
  assert.equal(r.sent, true);
  assert.equal(requests.length, 1);
  const req = requests[0];
  assert.equal(req.method, 'POST');
  assert.equal(req.url, '/v1/events');
  assert.equal(req.headers['x-hashgate-site-key'], 'pk_demo');
  assert.match(req.headers['content-type'], /^application\/json/);
  const body = JSON.parse(req.body);
  assert.equal(body.events.length, 1);
  const ev = body.events[0];
  assert.equal(ev.type, 'purchase');
  assert.match(ev.event_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(r.eventId, ev.event_id);
  assert.ok(Math.abs(ev.time - Date.now() / 1000) < 600);
  assert.deepEqual(Object.keys(ev.ids).sort(), ['em', 'ph']);
  assert.equal(ev.ids.em, sha('jane.doe+news@example.com'));  // meta: trim + lowercase
  assert.equal(ev.ids.ph, sha('31612345678'));                 // meta: E.164 digits without '+'
  assert.deepEqual(ev.custom, { value: 59.95, currency: 'EUR' });
  assert.deepEqual(ev.consent, { gdpr: 1, legal_basis: 'consent' });
  assert.deepEqual(ev.online_ids, { fbp: 'fb.1.1764.123' });
  assertNoRaw(req);
});

test('wasm send: keeps a given eventId; unknown keys (raw names) are never sent', async () => {
  browser({ cookie: 'other=1' });
  requests = [];
  const hg = await Hashgate.load({ gateway, siteKey: 'pk_demo' });
  await hg.send('lead', { email: k_email, eventId: 'ev-123', name: 'Jane Doe', address: 'Main St 1' });
  const ev = JSON.parse(requests[0].body).events[0];
  assert.equal(ev.event_id, 'ev-123');
  assert.ok(!requests[0].body.includes('Jane Doe') && !requests[0].body.includes('Main St'));
  assertNoRaw(requests[0]);
});

test('wasm send: invalid input throws TypeError naming the field and sends nothing', async () => {
  browser({ cookie: '' });
  requests = [];
  const hg = await Hashgate.load({ gateway, siteKey: 'pk_demo' });
  await assert.rejects(hg.send('purchase', { email: 'not-an-email' }),
    (e) => e instanceof TypeError && e.code === 'invalid_email' && e.field === 'email' && !e.message.includes('not-an-email'));
  assert.equal(requests.length, 0);
});

test('wasm send: retries 503 and 429 (Retry-After), then succeeds with the same event', async () => {
  browser({ cookie: '' });
  requests = [];
  plan = [[503, { 'Retry-After': '0' }], [429, { 'Retry-After': '0' }], [202, {}]];
  const hg = await Hashgate.load({ gateway, siteKey: 'pk_demo', retryBaseMs: 1 });
  const r = await hg.send('purchase', { email: k_email });
  assert.equal(r.sent, true);
  assert.equal(requests.length, 3);
  assert.equal(requests[0].body, requests[2].body);
});

test('wasm send: a 4xx other than 429 is not retried and rejects with Error', async () => {
  browser({ cookie: '' });
  requests = [];
  plan = [[422, {}]];
  const hg = await Hashgate.load({ gateway, siteKey: 'pk_demo', retryBaseMs: 1 });
  await assert.rejects(hg.send('purchase', { email: k_email }), (e) => e.status === 422);
  assert.equal(requests.length, 1);
});

test('wasm send: network errors are retried, then reject', async () => {
  browser({ cookie: '' });
  const hg = await Hashgate.load({ gateway: 'http://127.0.0.1:9', siteKey: 'pk_demo', retries: 2, retryBaseMs: 1 });
  await assert.rejects(hg.send('purchase', { email: k_email }), (e) => e.status === 0);
});

test('wasm send: the hg_optout=1 cookie suppresses sending', async () => {
  browser({ cookie: 'a=b; hg_optout=1' });
  requests = [];
  const hg = await Hashgate.load({ gateway, siteKey: 'pk_demo' });
  assert.equal(hg.isOptedOut(), true);
  assert.deepEqual(await hg.send('purchase', { email: k_email }), { sent: false, reason: 'opted_out' });
  assert.equal(requests.length, 0);
});

test('wasm send: navigator.globalPrivacyControl suppresses sending', async () => {
  browser({ cookie: '', gpc: true });
  requests = [];
  const hg = await Hashgate.load({ gateway, siteKey: 'pk_demo' });
  assert.equal(hg.isOptedOut(), true);
  assert.deepEqual(await hg.send('purchase', { email: k_email }), { sent: false, reason: 'gpc' });
  assert.equal(requests.length, 0);
  browser({ cookie: '', gpc: false });
  assert.equal(hg.isOptedOut(), false);
});

test('wasm optOut: sets the cookie and posts hashed ids to /v1/optout', async () => {
  browser({ cookie: '' });
  requests = [];
  const hg = await Hashgate.load({ gateway, siteKey: 'pk_demo' });
  const r = await hg.optOut({ email: k_email });
  assert.equal(r.gateway, 202);
  assert.match(globalThis.document.cookie, /^hg_optout=1;.*Max-Age=\d+.*Path=\//);
  assert.equal(requests[0].url, '/v1/optout');
  assert.deepEqual(JSON.parse(requests[0].body), { ids: { em: sha('jane.doe+news@example.com') } });
  assertNoRaw(requests[0]);
});

test('wasm send: collectAdCookies (off by default) adds _fbp/_fbc/_ga as online_ids', async () => {
  browser({ cookie: '_fbp=fb.1.1.2; _ga=GA1.2.3.4' });
  requests = [];
  const off = await Hashgate.load({ gateway, siteKey: 'pk_demo' });
  await off.send('page_view', {});
  assert.equal(JSON.parse(requests[0].body).events[0].online_ids, undefined);
  const on = await Hashgate.load({ gateway, siteKey: 'pk_demo', collectAdCookies: true });
  await on.send('page_view', {});
  assert.deepEqual(JSON.parse(requests[1].body).events[0].online_ids, { fbp: 'fb.1.1.2', ga: 'GA1.2.3.4' });
});

test('wasm snippet: replays queued init + send (data- attributes too), sends only hashes', async () => {
  requests = [];
  const queue = [['send', 'purchase', { email: k_email, phone: k_phone }]];
  const snip = await loadSnippet({ dataset: { gateway, siteKey: 'pk_demo', profile: 'uid2' }, queue });
  const r = await snip.push('send', 'lead', { email: k_email });
  assert.equal(r.sent, true);
  assert.equal(requests.length, 2);
  const ev = JSON.parse(requests[0].body).events[0];
  assert.equal(requests[0].headers['x-hashgate-site-key'], 'pk_demo');
  assert.equal(ev.type, 'purchase');
  assert.equal(ev.ids.em, createHash('sha256').update('jane.doe+news@example.com').digest('base64'));
  assert.equal(ev.ids.ph, createHash('sha256').update('+31612345678').digest('base64'));
  for (const req of requests) assertNoRaw(req);
});

test('wasm snippet: init command configures it; opt-out cookie and GPC suppress', async () => {
  requests = [];
  const snip = await loadSnippet({ queue: [['init', { gateway, siteKey: 'pk_x', profile: 'meta' }]], cookie: 'hg_optout=1' });
  assert.deepEqual({ ...(await snip.push('send', 'purchase', { email: k_email })) }, { sent: false, reason: 'opted_out' });
  const gpc = await loadSnippet({ queue: [['init', { gateway, siteKey: 'pk_x' }]], gpc: true });
  assert.deepEqual({ ...(await gpc.push('send', 'purchase', { email: k_email })) }, { sent: false, reason: 'gpc' });
  assert.equal(requests.length, 0);
  const ok = await loadSnippet({ queue: [['init', { gateway, siteKey: 'pk_x' }]] });
  await ok.push('send', 'purchase', { email: k_email });
  assert.equal(requests.length, 1);
  assert.equal(JSON.parse(requests[0].body).events[0].ids.em, sha('jane.doe+news@example.com'));
});

test('wasm snippet: beacon transport uses text/plain and the site_key query parameter', async () => {
  const beacons = [];
  const snip = await loadSnippet({ queue: [['init', { gateway, siteKey: 'pk_demo', transport: 'beacon' }]], beacons });
  const r = await snip.push('send', 'purchase', { email: k_email });
  assert.equal(r.transport, 'beacon');
  assert.equal(beacons.length, 1);
  assert.equal(beacons[0].url, `${gateway}/v1/events?site_key=pk_demo`);
  assert.equal(beacons[0].blob.type, 'text/plain');
  const text = await beacons[0].blob.text();
  assert.equal(JSON.parse(text).events[0].ids.em, sha('jane.doe+news@example.com'));
  assertNoRaw({ url: beacons[0].url, headers: {}, body: text });
});
