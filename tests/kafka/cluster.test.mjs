// Kafka mode end to end (issue 17): real hashgate-gateway replicas and a sink (--sink) over
// hashgate-kafka-mock's brokers. Every wait is on an explicit condition (an answer, /readyz, the
// sink's export, the topic's keys), never on time.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import { export_all, k_gateway_bin, make_event, post_events, request, sha256_hex, start_gateway } from '../lib/gateway.mjs';
import { kafka_config, start_mock, wait_for } from '../lib/kafka.mjs';

const k_api = { 'content-type': 'application/json', authorization: 'Bearer sk_test' };

/** A mock cluster, `replicas` ready replicas and (optionally) a sink, on one config. */
async function start_cluster({ replicas = 1, sink = true, sink_env = {} } = {}) {
  const mock = await start_mock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-kafka-'));
  const cfg = kafka_config({ data_dir: path.join(dir, 'sink'), mock });
  const gateways = [];
  for (let i = 0; i < replicas; ++i) gateways.push(await start_gateway(cfg));
  for (const g of gateways) await wait_for(() => is_ready(g), 'replica ready');
  const c = { mock, cfg, replicas: gateways, sink: null };
  if (sink) c.sink = await start_sink(cfg, sink_env);
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
    const r = await request(c.replicas[0].origin, 'GET', '/v1/events/export', { headers: k_api });
    assert.equal(r.status, 501);
    assert.equal(JSON.parse(r.body).error, 'served_by_sink');
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
