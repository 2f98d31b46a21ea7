// Kafka mode end to end (issue 17): real hashgate-gateway replicas and a sink (--sink) over
// hashgate-kafka-mock's brokers. Every wait is on an explicit condition (an answer, /readyz, the
// sink's export, the topic's keys), never on time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import { start_fake_destination } from '../lib/fake_destination.mjs';
import { tc_string } from '../lib/tc_string.mjs';
import { verifyHashgate } from '../lib/webhook_verifier.mjs';
import { export_all, k_gateway_bin, k_root, make_event, post_events, request, sha256_hex, start_gateway } from '../lib/gateway.mjs';
import { kafka_config, start_mock, wait_for } from '../lib/kafka.mjs';


const k_api = { 'content-type': 'application/json', authorization: 'Bearer sk_test' };

/**
 * A mock cluster, `replicas` ready replicas and (optionally) a sink, on one config (tenant t1
 * overridden by `tenant`; `env` for every process).
 */
async function start_cluster({ replicas = 1, sink = true, sink_env = {}, tenant = {}, env = {} } = {}) {
  const mock = await start_mock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-kafka-'));
  const cfg = kafka_config({ data_dir: path.join(dir, 'sink'), mock });
  Object.assign(cfg.tenants[0], tenant);
  const gateways = [];
  for (let i = 0; i < replicas; ++i) gateways.push(await start_gateway(cfg, { env }));
  for (const g of gateways) await wait_for(() => is_ready(g), 'replica ready');
  const c = { mock, cfg, replicas: gateways, sink: null };
  if (sink) c.sink = await start_sink(cfg, { ...env, ...sink_env });
  c.stop = async () => {
    for (const g of [...c.replicas, c.sink]) if (g) await g.kill9();
    await mock.stop();
  };
  return c;
}

function start_sink(cfg, env = {}) {
  return start_gateway(cfg, { args: ['--sink'], env });
}

async function is_ready(g) {
  return (await request(g.origin, 'GET', '/readyz')).status === 200;
}

/** Posts `events` to `g`; the event ids when the whole request was acknowledged, else null. */
async function post_acked(g, events) {
  const r = await post_events(g.origin, events).catch(() => ({ status: 0 }));
  if (r.status !== 202) return null;
  assert.equal(JSON.parse(r.body).accepted, events.length, r.body);
  return events.map((e) => e.event_id);
}

/** The sink's export as a list of event ids. */
async function exported_ids(sink) {
  return (await export_all(sink.origin)).map((l) => l.event_id);
}

/** Waits until the sink's export holds every id of `acked`, then checks none is there twice. */
async function assert_exported_once(sink, acked) {
  const ids = await wait_for(async () => {
    const got = await exported_ids(sink);
    const have = new Set(got);
    return [...acked].every((id) => have.has(id)) ? got : null;
  }, `the sink's export to hold all ${acked.size} acknowledged events`);
  assert.equal(ids.length, new Set(ids).size, 'an event is in the export twice');
  return ids;
}

/** Single events with ids `${prefix}-${i}` for i in [from, to). */
function events(prefix, from, to) {
  const out = [];
  for (let i = from; i < to; ++i) out.push(make_event(`${prefix}-${i}`, i));
  return out;
}

test('every acknowledged event is in the topic and, after the sink, in the export exactly once', async () => {
  const c = await start_cluster({ replicas: 2 });
  try {
    const acked = new Set();
    const requests = [];
    for (let b = 0; b < 40; ++b) {
      const batch = events(`a${b}`, 0, 5);
      requests.push(post_acked(c.replicas[b % 2], batch));
      requests.push(post_acked(c.replicas[(b + 1) % 2], batch));  // a client's retry elsewhere
    }
    for (const ids of await Promise.all(requests)) for (const id of ids || []) acked.add(id);
    assert.equal(acked.size, 200);
    const keys = new Set(await c.mock.command('keys hashgate.events'));
    for (const id of acked) assert.ok(keys.has(`t1/${id}`), `t1/${id} is not in the topic`);
    const ids = await assert_exported_once(c.sink, acked);
    assert.equal(ids.length, acked.size);
    // A replica keeps no events: its store routes say so.
    for (const [method, route] of [['GET', '/v1/events/export'], ['GET', '/v1/audit'], ['GET', '/v1/audiences'],
      ['POST', '/v1/audiences/a1/members'], ['DELETE', '/v1/audiences/a1'], ['GET', '/v1/matches'],
      ['POST', '/v1/matches'], ['GET', '/v1/matches/m1/export']]) {
      const r = await request(c.replicas[0].origin, method, route, { headers: k_api, body: method === 'POST' ? {} : undefined });
      assert.equal(r.status, 501, `${method} ${route}: ${r.status} ${r.body}`);
      assert.equal(JSON.parse(r.body).error, 'served_by_sink');
    }
  } finally {
    await c.stop();
  }
});

test('brokers down: 503 with Retry-After while no leader answers, then no acknowledged loss', async () => {
  const c = await start_cluster();
  try {
    const acked = new Set(await post_acked(c.replicas[0], events('before', 0, 20)));
    await c.mock.command('down -1');
    const refused = await post_events(c.replicas[0].origin, events('during', 0, 3));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    await c.mock.command('up -1');
    // Until the producer has reconnected to every partition's leader (librdkafka's reconnect
    // back-off), a request may still fail as a whole; wait for one that spans the partitions.
    let n = 0;
    const ids = await wait_for(() => post_acked(c.replicas[0], events(`after${n++}`, 0, 20)), 'a 202 after the brokers came back');
    for (const id of ids) acked.add(id);
    await assert_exported_once(c.sink, acked);
  } finally {
    await c.stop();
  }
});

test('kill -9 of a replica under load loses no acknowledged event', async () => {
  const c = await start_cluster();
  try {
    const [replica] = c.replicas;
    const acked = new Set();
    let next = 0;
    let killed = false;
    const client = async () => {
      while (!killed) {
        const i = next++;
        const ids = await post_acked(replica, events('load', i, i + 1));
        for (const id of ids || []) acked.add(id);
        if (!killed && acked.size >= 150) {
          killed = true;
          await replica.kill9();
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    assert.ok(acked.size >= 150);
    await assert_exported_once(c.sink, acked);
  } finally {
    await c.stop();
  }
});

test('kill -9 of the sink, before or after its offset commit: no loss, no duplicate', async () => {
  // The first sink dies right before a batch's offset commit once 50 records were taken (its
  // store commit is done: the next sink gets the batch again and must not store it twice); the
  // second right after one (a sink that committed offsets before writing would lose the batch);
  // the third is killed -9 while busy.
  const c = await start_cluster({ sink_env: { HASHGATE_TEST_SINK_EXIT: 'before-commit:50' } });
  try {
    const acked = new Set();
    const post_batches = async (prefix, count, size) => {
      const all = await Promise.all(Array.from({ length: count }, (_, b) => post_acked(c.replicas[0], events(`${prefix}${b}`, 0, size))));
      for (const ids of all) for (const id of ids) acked.add(id);
    };
    await post_batches('s', 10, 10);
    assert.equal((await c.sink.wait_exit()).code, 137);
    c.sink = await start_sink(c.cfg, { HASHGATE_TEST_SINK_EXIT: 'after-commit:150' });
    await post_batches('t', 10, 10);
    assert.equal((await c.sink.wait_exit()).code, 137);
    c.sink = await start_sink(c.cfg);
    await assert_exported_once(c.sink, acked);
    await post_batches('u', 10, 20);
    await c.sink.kill9();
    c.sink = await start_sink(c.cfg);
    const ids = await assert_exported_once(c.sink, acked);
    assert.equal(ids.length, 400);
  } finally {
    await c.stop();
  }
});

test("an opt-out at replica A makes replica B drop that person's next event, and the sink purges them", async () => {
  const c = await start_cluster({ replicas: 2 });
  try {
    const [a, b] = c.replicas;
    const person = sha256_hex('optout-person@example.com');
    const with_person = (id) => ({ ...make_event(id, 1), ids: { em: person } });
    const other = await post_acked(a, [make_event('other-1', 2)]);
    assert.ok(await post_acked(a, [with_person('p-1')]));
    await wait_for(async () => (await exported_ids(c.sink)).includes('p-1'), "the person's event at the sink");
    const r = await request(a.origin, 'POST', '/v1/optout', { headers: k_api, body: { ids: { em: person } } });
    assert.equal(r.status, 200, r.body);
    // Replica A applied it before answering.
    const at_a = JSON.parse((await post_events(a.origin, [with_person('p-a')])).body);
    assert.deepEqual([at_a.accepted, at_a.dropped.suppressed], [0, 1]);
    // Replica B drops the person's next event once its follower has read the opt-out.
    let n = 0;
    await wait_for(async () => {
      const res = JSON.parse((await post_events(b.origin, [with_person(`p-b${n++}`)])).body);
      return res.dropped.suppressed === 1;
    }, 'replica B to drop the opted-out person');
    await wait_for(async () => {
      const ids = await exported_ids(c.sink);
      return ids.includes(other[0]) && !ids.some((id) => id.startsWith('p-'));
    }, 'the sink to purge the person and keep the others');
  } finally {
    await c.stop();
  }
});

/** The sink's audit log, oldest first. */
async function audit_log(sink) {
  const r = await request(sink.origin, 'GET', '/v1/audit?since=0', { headers: k_api });
  return r.body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

test("an opt-out's linked ids reach every replica: B drops an event carrying only the person's phone", async () => {
  const c = await start_cluster({ replicas: 2 });
  try {
    const [a, b] = c.replicas;
    const em = sha256_hex('linked-person@example.com');
    const ph = sha256_hex('+4915199999999');
    assert.ok(await post_acked(a, [{ ...make_event('linked-1', 1), ids: { em, ph } }]));
    await wait_for(async () => (await exported_ids(c.sink)).includes('linked-1'), 'the linking event at the sink');
    const r = await request(a.origin, 'POST', '/v1/optout', { headers: k_api, body: { ids: { em } } });
    assert.equal(r.status, 200, r.body);
    // The sink publishes the phone as an opt-out of its own; B's follower reads it.
    let n = 0;
    await wait_for(async () => {
      const res = JSON.parse((await post_events(b.origin, [{ ...make_event(`phone-b${n++}`, 2), ids: { ph } }])).body);
      return res.dropped.suppressed === 1;
    }, "replica B to drop an event carrying only the person's phone");
    // The published record comes back to the sink, which applies it (audited, source fanout)
    // and publishes nothing more: its fan-out reaches only ids already suppressed. Each key is
    // in the topic once.
    await wait_for(async () => (await audit_log(c.sink)).some((e) => e.action === 'optout' && e.detail.source === 'fanout'),
      "the sink to apply the phone's opt-out");
    const keys = (await c.mock.command('keys hashgate.optouts')).sort();
    assert.deepEqual(keys, [`t1/${em}`, `t1/${ph}`].sort());
    await wait_for(async () => !(await exported_ids(c.sink)).some((id) => id.startsWith('linked-') || id.startsWith('phone-')),
      "the sink to purge the person's events");
  } finally {
    await c.stop();
  }
});

const k_hook_secret = 'test-webhook-secret-0123456789';

/** The value of metric `name{labels}` in a /metrics text, or undefined. */
function metric(text, name, labels) {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

test('destinations in Kafka mode: the sink gates on the consent signals, delivers signed, and sends the removal', async () => {
  const fake = { A: await start_fake_destination(), C: await start_fake_destination() };
  const hook = (id, vendor) => ({ id, kind: 'webhook', url: fake[id].url, secret_env: `HG_HOOK_${id}`, timeout_ms: 5000, tcf_vendor_id: vendor });
  const c = await start_cluster({
    replicas: 2,
    env: { HG_HOOK_A: k_hook_secret, HG_HOOK_C: k_hook_secret },
    tenant: { legal_basis: 'consent', tcf: { vendor_id: 89, required_purposes: [1] }, destinations: [hook('A', 89), hook('C', 755)] },
  });
  try {
    const [a, b] = c.replicas;
    const em1 = sha256_hex('dest-one@example.com');
    const ph1 = sha256_hex('+4915188888888');
    const em2 = sha256_hex('dest-two@example.com');
    const r = await request(a.origin, 'POST', `/v1/events?gdpr=1&gdpr_consent=${tc_string([89])}`, {
      headers: k_api, body: { events: [{ ...make_event('d-1', 1), ids: { em: em1, ph: ph1 } }, { ...make_event('d-2', 2), ids: { em: em2 } }] },
    });
    assert.equal(r.status, 202, r.body);
    assert.equal(JSON.parse(r.body).accepted, 2, r.body);
    const delivered = () => fake.A.captured.filter((x) => x.json?.type === 'events').flatMap((x) => x.json.events.map((e) => e.event_id));
    await fake.A.wait_for(() => delivered().length === 2, 'A to receive both events from the sink');
    assert.deepEqual(delivered().sort(), ['d-1', 'd-2']);
    for (const rec of fake.A.captured) {
      assert.ok(verifyHashgate(k_hook_secret, rec.headers['hashgate-signature'], rec.raw), 'signature verifies');
      assert.equal(rec.json.tenant, 't1');
    }
    // C's vendor has no consent in the TC string: the sink's gate refused both, counted there.
    await wait_for(async () => metric((await request(c.sink.origin, 'GET', '/metrics')).body,
      'hashgate_destination_failed_total', 'destination="C",reason="consent_vendor"') === 2, "the sink's consent_vendor count for C");
    assert.equal(fake.C.captured.length, 0, 'the consent-denied destination received a request');
    // The replicas deliver nothing themselves: no worker, no destination metrics.
    const replica_metrics = (await request(a.origin, 'GET', '/metrics')).body;
    assert.equal(metric(replica_metrics, 'hashgate_destination_delivered_total', 'destination="A"'), undefined);
    // An opt-out at the other replica: the sink queues the removal for A, which had the person.
    const out = await request(b.origin, 'POST', '/v1/optout', { headers: k_api, body: { ids: { em: em1 } } });
    assert.equal(out.status, 200, out.body);
    const removal = () => fake.A.captured.find((x) => x.json?.type === 'optout');
    await fake.A.wait_for(removal, 'A to receive the removal');
    const m = removal();
    assert.ok(verifyHashgate(k_hook_secret, m.headers['hashgate-signature'], m.raw), 'removal signature verifies');
    assert.deepEqual(m.json.ids.em, [em1]);
    assert.deepEqual(m.json.ids.ph, [ph1]);  // linked in the store: the fan-out reaches it
    assert.ok(!m.raw.toString('utf8').includes(em2), 'the other person is not in the removal');
    assert.equal(fake.C.captured.length, 0, 'C never had the person: no removal');
  } finally {
    await c.stop();
    for (const f of Object.values(fake)) await f.close();
  }
});

test('a restarted replica is not ready until caught up, then enforces every earlier opt-out', async () => {
  const c = await start_cluster({ sink: false });
  try {
    const people = Array.from({ length: 50 }, (_, i) => sha256_hex(`late-${i}@example.com`));
    const r = await request(c.replicas[0].origin, 'POST', '/v1/optout', {
      headers: k_api, body: { ids: people.map((em) => ({ em })) },
    });
    assert.equal(r.status, 200, r.body);
    await c.mock.command('down -1');
    const late = await start_gateway(c.cfg);
    c.replicas.push(late);
    assert.equal((await request(late.origin, 'GET', '/readyz')).status, 503);
    assert.equal((await post_events(late.origin, events('early', 0, 1))).status, 503);
    await c.mock.command('up -1');
    await wait_for(() => is_ready(late), 'the late replica to catch up');
    const res = await post_events(late.origin, people.map((em, i) => ({ ...make_event(`late-${i}`, i), ids: { em } })));
    assert.equal(res.status, 202, res.body);
    const body = JSON.parse(res.body);
    assert.deepEqual([body.accepted, body.dropped.suppressed], [0, 50]);
  } finally {
    await c.stop();
  }
});

test('bad broker configuration refuses start-up naming the key', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-kafka-bad-'));
  const run = (store, args = []) => {
    const cfg = kafka_config({ data_dir: path.join(dir, 'var'), mock: { bootstrap: '127.0.0.1:1' } });
    cfg.store = { ...cfg.store, ...store };
    const file = path.join(dir, 'gateway.json');
    fs.writeFileSync(file, JSON.stringify(cfg));
    const p = spawnSync(k_gateway_bin, ['--config', file, ...args], { encoding: 'utf8', timeout: 60000 });
    return { status: p.status, stderr: p.stderr };
  };
  const cases = [
    [{ kafka: { 'no.such.property': 1 } }, 'store.kafka.no.such.property'],
    [{ kafka: { 'compression.type': 'rot13' } }, 'store.kafka.compression.type'],
    [{ kafka: { acks: 1 } }, 'store.kafka.acks'],
    [{ brokers: 'no-port' }, 'store.brokers'],
    [{ brokers: '' }, 'store.brokers'],
  ];
  for (const [store, key] of cases) {
    const p = run(store);
    assert.equal(p.status, 78, `${JSON.stringify(store)}: ${p.stderr}`);
    assert.match(p.stderr, new RegExp(key.replaceAll('.', '\\.')), p.stderr);
  }
  const sink_without_kafka = run({ kind: 'sqlite', brokers: undefined, kafka: undefined, topic_prefix: undefined }, ['--sink']);
  assert.equal(sink_without_kafka.status, 78, sink_without_kafka.stderr);
});
