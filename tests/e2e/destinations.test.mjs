// Destinations end to end (issue 16): the real gateway forwards accepted events to fake webhook
// receivers on loopback. Signatures verify; payloads have the documented shape; a consent-denied
// destination receives nothing; Retry-After is honoured; a destination that is down and comes
// back gets everything; an opt-out reaches exactly the destinations that had the person, and
// nothing of theirs is sent afterwards; no captured body ever holds a plain e-mail address.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { start_fake_destination } from '../lib/fake_destination.mjs';
import { tc_string } from '../lib/tc_string.mjs';
import { verifyHashgate } from '../lib/webhook_verifier.mjs';
import {
  base_config, k_patience_ms, k_root, request, sha256_hex, start_gateway,
} from '../lib/gateway.mjs';


const k_secret = 'test-webhook-secret-0123456789';
const k_env = { HG_HOOK_A: k_secret, HG_HOOK_B: k_secret, HG_HOOK_C: k_secret };

/** A webhook destination entry of the config. */
function hook(id, url, extra = {}) {
  return { id, kind: 'webhook', url, secret_env: `HG_HOOK_${id}`, timeout_ms: 5000, ...extra };
}

/** Starts a gateway with tenant t1's destinations `dests` and tenant overrides `tenant`. */
async function gateway_with(dests, tenant = {}) {
  const data_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-dest-'));
  const config = base_config({ data_dir });
  Object.assign(config.tenants[0], { destinations: dests }, tenant);
  const gw = await start_gateway(config, { env: k_env });
  return { gw, config, data_dir };
}

function post(origin, events, query = '') {
  return request(origin, 'POST', `/v1/events${query}`, {
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk_test' },
    body: { events },
  });
}

function event(event_id, ids, type = 'purchase') {
  return { event_id, type, time: Math.floor(Date.now() / 1000), ids, custom: { value: 5, currency: 'EUR' } };
}

/** Event ids delivered (2xx answered) to a fake destination, in arrival order. */
function delivered_ids(fake) {
  const out = [];
  for (const r of fake.captured) {
    if (r.answered_ok && r.json?.type === 'events') for (const e of r.json.events) out.push(e.event_id);
  }
  return out;
}

/** Marks each record with whether the fake answered 2xx (the responder's verdict). */
function responder(fn) {
  return (rec) => {
    const r = fn(rec);
    rec.answered_ok = r !== null && r.status >= 200 && r.status < 300;
    return r;
  };
}

async function metrics(origin) {
  return (await request(origin, 'GET', '/metrics')).body;
}

function metric(text, name, labels) {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/**
 * Reads `read()` until `check(value)` holds and returns the value: explicit synchronisation with
 * the worker, whose commits the test can only observe through the gateway's answers.
 */
async function until(read, check, what) {
  const deadline = Date.now() + k_patience_ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function until_metrics(origin, check, what) {
  return until(() => metrics(origin), check, what);
}

async function audit_log(origin) {
  const r = await request(origin, 'GET', '/v1/audit?since=0', { headers: { authorization: 'Bearer sk_test' } });
  return r.body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const k_plain_email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;

function assert_no_plain_email(fakes) {
  for (const f of fakes) {
    for (const r of f.captured) assert.ok(!k_plain_email.test(r.raw.toString('utf8')), 'a plain e-mail in a body');
  }
}

test('E2E destinations: signed webhook bodies of the documented shape; the consent gate holds', async () => {
  const a = await start_fake_destination();
  const b = await start_fake_destination();
  const y = await start_fake_destination();
  for (const f of [a, b, y]) f.respond(responder(() => ({ status: 200 })));
  const { gw, data_dir } = await gateway_with(
    [hook('A', a.url, { tcf_vendor_id: 89 }), hook('B', b.url, { events: ['lead'] }),
      { ...hook('C', y.url, { tcf_vendor_id: 755 }) }],
    { legal_basis: 'consent', tcf: { vendor_id: 89, required_purposes: [1] } });
  try {
    const tc = tc_string([89]);
    const evs = [
      event('p-1', { em: sha256_hex('one@example.com') }),
      event('p-2', { em: sha256_hex('two@example.com'), ph: sha256_hex('+4915112345678') }),
      event('l-1', { em: sha256_hex('three@example.com') }, 'lead'),
    ];
    const r = await post(gw.origin, evs, `?gdpr=1&gdpr_consent=${tc}`);
    assert.equal(r.status, 202, r.body);
    assert.equal(JSON.parse(r.body).accepted, 3, r.body);
    await a.wait_for(() => delivered_ids(a).length === 3, 'A to receive 3 events');
    await b.wait_for(() => delivered_ids(b).length === 1, 'B to receive the lead');
    assert.deepEqual(delivered_ids(a).sort(), ['l-1', 'p-1', 'p-2']);
    assert.deepEqual(delivered_ids(b), ['l-1']);

    for (const rec of [...a.captured, ...b.captured]) {
      assert.equal(rec.method, 'POST');
      assert.match(rec.headers['idempotency-key'], /^[0-9a-f]{32}$/);
      assert.ok(verifyHashgate(k_secret, rec.headers['hashgate-signature'], rec.raw), 'signature verifies');
      assert.ok(!verifyHashgate('another-secret-0123456789', rec.headers['hashgate-signature'], rec.raw));
      const body = rec.json;
      assert.deepEqual(Object.keys(body), ['type', 'tenant', 'destination', 'events']);
      assert.equal(body.type, 'events');
      assert.equal(body.tenant, 't1');
      for (const e of body.events) {
        for (const k of ['event_id', 'type', 'time', 'received', 'ids', 'online_ids', 'custom', 'legal_basis', 'consent']) {
          assert.ok(k in e, `event member ${k}`);
        }
        assert.ok(!('cursor' in e), 'no export cursor in a delivered event');
        for (const v of Object.values(e.ids)) assert.match(v, /^[0-9a-f]{64}$/);
      }
    }
    // C's vendor (755) has no consent in the TC string: nothing was queued for it, counted.
    // The counters move once the worker has marked the rows, just after the receiver answered.
    const text = await until_metrics(gw.origin,
      (t) => metric(t, 'hashgate_destination_delivered_total', 'destination="A"') === 3 &&
        metric(t, 'hashgate_destination_delivered_total', 'destination="B"') === 1, 'the delivered counters');
    assert.equal(metric(text, 'hashgate_destination_pending', 'destination="A"'), 0);
    assert.equal(y.captured.length, 0, 'the consent-denied destination received a request');
    assert.equal(metric(text, 'hashgate_destination_failed_total', 'destination="C",reason="consent_vendor"'), 3);
    assert.equal(metric(text, 'hashgate_destination_delivered_total', 'destination="A"'), 3);
    assert.equal(metric(text, 'hashgate_destination_delivered_total', 'destination="B"'), 1);
    assert.equal(metric(text, 'hashgate_destination_oldest_pending_seconds', 'destination="A"'), 0);
    assert_no_plain_email([a, b, y]);
  } finally {
    await gw.stop();
    for (const f of [a, b, y]) await f.close();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});

test('E2E destinations: an opt-out reaches exactly the destinations that had the person', async () => {
  const fakes = { A: await start_fake_destination(), B: await start_fake_destination(), C: await start_fake_destination() };
  for (const f of Object.values(fakes)) f.respond(responder(() => ({ status: 200 })));
  const { gw, data_dir } = await gateway_with([
    hook('A', fakes.A.url, { events: ['purchase'] }),
    hook('B', fakes.B.url, { events: ['lead'] }),
    hook('C', fakes.C.url),
  ]);
  const em1 = sha256_hex('person.one@example.com');
  const ph1 = sha256_hex('+33612345678');
  const x1 = sha256_hex('crm-4711');
  const em2 = sha256_hex('person.two@example.com');
  try {
    // Person 1: e-mail and phone in one event, phone and CRM id in another (linked ids).
    assert.equal((await post(gw.origin, [
      event('e-1', { em: em1, ph: ph1 }),
      event('e-2', { ph: ph1, external_id: x1 }),
      event('e-3', { em: em2 }, 'lead'),
    ])).status, 202);
    await fakes.A.wait_for(() => delivered_ids(fakes.A).length === 2, 'A: 2 purchases');
    await fakes.B.wait_for(() => delivered_ids(fakes.B).length === 1, 'B: 1 lead');
    await fakes.C.wait_for(() => delivered_ids(fakes.C).length === 3, 'C: 3 events');

    const r = await request(gw.origin, 'POST', '/v1/optout', {
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk_test' },
      body: { ids: { em: em1 } },
    });
    assert.equal(r.status, 200, r.body);
    const after_optout = Date.now();
    const removal = (f) => f.captured.find((c) => c.answered_ok && c.json?.type === 'optout');
    await fakes.A.wait_for(() => removal(fakes.A), 'A to receive the removal');
    await fakes.C.wait_for(() => removal(fakes.C), 'C to receive the removal');
    for (const [id, f] of [['A', fakes.A], ['C', fakes.C]]) {
      const m = removal(f);
      assert.ok(verifyHashgate(k_secret, m.headers['hashgate-signature'], m.raw));
      assert.deepEqual(Object.keys(m.json), ['type', 'tenant', 'destination', 'optout_id', 'ids']);
      assert.equal(m.json.destination, id);
      assert.match(m.json.optout_id, /^[0-9a-f]{32}$/);
      assert.deepEqual(m.json.ids.em, [em1]);
      assert.deepEqual(m.json.ids.ph, [ph1]);
      assert.deepEqual(m.json.ids.external_id, [x1]);
      assert.ok(!JSON.stringify(m.json).includes(em2), 'person 2 is not in the removal');
    }
    // The audit log: the opt-out queued two removals (not B's), each delivered and recorded.
    const audit = await until(() => audit_log(gw.origin),
      (log) => log.filter((e) => e.action === 'removal_delivered').length >= 2, 'two removal_delivered entries');
    const optout = audit.find((e) => e.action === 'optout');
    assert.equal(optout.detail.removals_queued, 2, JSON.stringify(optout));
    const delivered = audit.filter((e) => e.action === 'removal_delivered').map((e) => e.detail.destination).sort();
    assert.deepEqual(delivered, ['A', 'C']);
    for (const e of audit) assert.ok(![em1, ph1, x1].some((v) => JSON.stringify(e).includes(v)), 'an id in the audit log');

    // Afterwards nothing of the person is sent: their events are dropped; a marker event from
    // someone else is delivered after anything queued before it.
    assert.equal((await post(gw.origin, [event('e-4', { em: em1 }), event('e-5', { ph: ph1 }), event('e-6', { em: em2 })])).status, 202);
    await fakes.A.wait_for(() => delivered_ids(fakes.A).includes('e-6'), 'A: marker');
    await fakes.C.wait_for(() => delivered_ids(fakes.C).includes('e-6'), 'C: marker');
    for (const f of Object.values(fakes)) {
      for (const c of f.captured) {
        if (c.at < after_optout || c.json?.type === 'optout') continue;
        const text = c.raw.toString('utf8');
        assert.ok(![em1, ph1, x1].some((v) => text.includes(v)), 'a suppressed id was sent after its opt-out');
      }
    }
    assert.equal(fakes.B.captured.filter((c) => c.json?.type === 'optout').length, 0, 'B never had the person');
    assert_no_plain_email(Object.values(fakes));
  } finally {
    await gw.stop();
    for (const f of Object.values(fakes)) await f.close();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});

test('E2E destinations: the opt-out link (hg_uid cookie) sends a removal with the uid and the ids linked to it', async () => {
  const a = await start_fake_destination();
  a.respond(responder(() => ({ status: 200 })));
  const { gw, data_dir } = await gateway_with([hook('A', a.url)], { set_uid_cookie: true });
  const em = sha256_hex('cookie.person@example.com');
  try {
    const r = await request(gw.origin, 'POST', '/v1/events', {
      headers: { 'content-type': 'application/json', 'x-hashgate-site-key': 'pk_test', origin: 'http://127.0.0.1' },
      body: { events: [event('c-1', { em })] },
    });
    assert.equal(r.status, 202, r.body);
    const uid = /hg_uid=([^;]+)/.exec(String(r.headers['set-cookie']))?.[1];
    assert.ok(uid, `no hg_uid cookie: ${r.headers['set-cookie']}`);
    await a.wait_for(() => delivered_ids(a).includes('c-1'), 'c-1 delivered');
    const out = await request(gw.origin, 'GET', '/v1/optout', { headers: { cookie: `hg_uid=${uid}` } });
    assert.equal(out.status, 200, out.body);
    const removal = () => a.captured.find((c) => c.answered_ok && c.json?.type === 'optout');
    await a.wait_for(removal, 'the removal');
    assert.equal(removal().json.uid, uid);
    assert.deepEqual(removal().json.ids.em, [em]);
    assert.ok(verifyHashgate(k_secret, removal().headers['hashgate-signature'], removal().raw));
  } finally {
    await gw.stop();
    await a.close();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});

test('E2E destinations: Retry-After is honoured; down then up delivers everything; /readyz stays ready', async () => {
  const a = await start_fake_destination();
  let first = true;
  a.respond(responder(() => {
    if (!first) return { status: 200 };
    first = false;
    return { status: 429, headers: { 'retry-after': '2' } };
  }));
  const { gw, data_dir } = await gateway_with([hook('A', a.url)]);
  try {
    assert.equal((await post(gw.origin, [event('r-1', { em: sha256_hex('r1@example.com') })])).status, 202);
    await a.wait_for(() => delivered_ids(a).includes('r-1'), 'r-1 delivered after the 429');
    const [refused, accepted] = a.captured;
    assert.ok(accepted.at - refused.at >= 2000, `retried ${accepted.at - refused.at} ms after Retry-After: 2`);
    assert.equal(accepted.headers['idempotency-key'], refused.headers['idempotency-key']);

    await a.down();
    const ids = Array.from({ length: 40 }, (_, i) => `d-${i}`);
    for (let i = 0; i < ids.length; i += 10) {
      const batch = ids.slice(i, i + 10).map((id, k) => event(id, { em: sha256_hex(`d${i + k}@example.com`) }));
      assert.equal((await post(gw.origin, batch)).status, 202);
    }
    await until_metrics(gw.origin, (t) => metric(t, 'hashgate_destination_pending', 'destination="A"') === 40, '40 pending');
    assert.equal((await request(gw.origin, 'GET', '/readyz')).status, 200, 'a dead destination made /readyz fail');
    await a.up();
    await a.wait_for(() => ids.every((id) => delivered_ids(a).includes(id)), 'every event after the destination came back');
    // Exactly once per Idempotency-Key: a receiver that deduplicates by key sees each event once.
    const by_key = new Map();
    for (const c of a.captured) if (c.answered_ok && c.json?.type === 'events') by_key.set(c.headers['idempotency-key'], c.json.events.map((e) => e.event_id));
    const seen = [...by_key.values()].flat();
    assert.equal(new Set(seen).size, seen.length, 'an event under two keys');
  } finally {
    await gw.stop();
    await a.close();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});

test('Reliability destinations: kill -9 with deliveries pending loses nothing; retries keep their Idempotency-Key', async () => {
  // The first request is left unanswered and the gateway killed while it is in flight; more
  // events arrive meanwhile. After the restart the same key must carry exactly the same rows.
  const a = await start_fake_destination();
  let up = false;
  a.respond(responder(() => (up ? { status: 200 } : null)));
  const data_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-dest-crash-'));
  const config = base_config({ data_dir });
  config.tenants[0].destinations = [hook('A', a.url, { batch_events: 100 })];
  let gw = await start_gateway(config, { env: k_env });
  const send = async (i) => {
    const batch = Array.from({ length: 10 }, (_, k) => event(`k-${i}-${k}`, { em: sha256_hex(`k${i}.${k}@example.com`) }));
    const r = await post(gw.origin, batch);
    assert.equal(r.status, 202, r.body);
    return batch.map((e) => e.event_id);
  };
  try {
    const acked = await send(0);
    await a.wait_for(() => a.captured.length >= 1, 'a first request, held in flight');
    for (let i = 1; i < 5; ++i) acked.push(...(await send(i)));
    await gw.kill9();
    const before = a.captured.map((c) => ({ key: c.headers['idempotency-key'], ids: c.json.events.map((e) => e.event_id) }));
    up = true;
    gw = await start_gateway(config, { env: k_env });
    await a.wait_for(() => acked.every((id) => delivered_ids(a).includes(id)), 'every acknowledged event after the restart');
    for (const b of before) {
      const again = a.captured.find((c) => c.answered_ok && c.headers['idempotency-key'] === b.key);
      assert.ok(again, `batch ${b.key} was not retried under its key`);
      assert.deepEqual(again.json.events.map((e) => e.event_id), b.ids, 'a retried batch changed its rows');
    }
  } finally {
    await gw.stop();
    await a.close();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});
