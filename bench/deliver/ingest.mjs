// Ingest with one destination attached against none (issue 16), and delivery through the real
// gateway: wrk posts 100-event batches (bench/gateway/events.lua) to hashgate-gateway twice per
// round, once with no destination and once with one webhook destination served by a loopback
// sink (bench/deliver/sink.mjs, its own process, answers 200). After the run with the
// destination the bench waits until the outbox is empty: delivered events / (load + drain time)
// is the delivered rate of the SQLite outbox. Writes bench/out/deliver_ingest.json.
// Usage: node bench/deliver/ingest.mjs   (env: BENCH_WRK_DURATION=10s, BENCH_WRK_CONNECTIONS=32,
// BENCH_DELIVER_ROUNDS=3, HASHGATE_GATEWAY=path; BENCH_DELIVER_DEAD=1 points the destination at a
// closed port, so only the outbox rows are written and nothing is delivered: the writer's share
// of the slowdown; no JSON is written then)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { k_root, spawn_logged, wrk_events } from '../gateway/peers.mjs';

const k_here = dirname(fileURLToPath(import.meta.url));
const k_gateway = resolve(process.env.HASHGATE_GATEWAY || join(k_root, 'build/bin/hashgate-gateway'));
const k_duration = process.env.BENCH_WRK_DURATION || '10s';
const k_connections = Number(process.env.BENCH_WRK_CONNECTIONS || 32);
const k_rounds = Math.max(1, Number(process.env.BENCH_DELIVER_ROUNDS || 3));
const k_key = 'sk_bench';
const k_secret = 'bench-webhook-secret-0123456789';
const k_dead = process.env.BENCH_DELIVER_DEAD === '1';

/** Starts `cmd args` with output to a log file; resolves {port, stop(), log()} once it wrote `port_file`. */
async function start(cmd, args, env, tmp, name) {
  const port_file = join(tmp, `${name}.port`);
  const { child, log, stop } = spawn_logged(tmp, name, cmd, [...args, '--port-file', port_file],
    { env: { ...process.env, ...env } });
  for (let i = 0; ; ++i) {
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${log()}`);
    if (existsSync(port_file) && readFileSync(port_file, 'utf8').trim()) break;
    if (i > 600) throw new Error(`${name} did not start:\n${log()}`);
    await sleep(50);
  }
  return { port: Number(readFileSync(port_file, 'utf8').trim()), log, stop };
}

function gateway_config(data_dir, sink_port) {
  const tenant = {
    id: 'bench', api_key_sha256: createHash('sha256').update(k_key).digest('hex'),
    legal_basis: 'legitimate_interest', retention_days: 30,
  };
  if (sink_port) {
    const port = k_dead ? 9 : sink_port;  // 9 (discard): nothing listens on loopback
    tenant.destinations = [{ id: 'sink', kind: 'webhook', url: `http://127.0.0.1:${port}/hook`, secret_env: 'HG_BENCH_HOOK' }];
  }
  return { listen: { address: '127.0.0.1', port: 0 }, store: { data_dir, durability: process.env.BENCH_DURABILITY || 'full' }, tenants: [tenant] };
}

async function metrics(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'close' } })).text();
  const value = (name) => text.split('\n').filter((l) => l.startsWith(name)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  return { accepted: value('hashgate_events_accepted_total'), delivered: value('hashgate_destination_delivered_total'),
    pending: value('hashgate_destination_pending{'), failed: value('hashgate_destination_failed_total') };
}

function run_wrk(port, duration) {
  const w = wrk_events(port, { threads: 2, connections: k_connections, duration, per_request: 100, key: k_key,
    latency: false, timeout_ms: 300000 });
  return { seconds: w.seconds, errors: w.errors, requests: w.requests, events_per_s: w.events_per_s };
}

/** One measured run: ingest events/s; with a sink, also the delivered rate until the outbox drained. */
async function measure(tmp, round, sink) {
  const data_dir = join(tmp, `data-${round}-${sink ? 'one' : 'none'}`);
  mkdirSync(data_dir, { recursive: true });
  const cfg_file = join(tmp, `gw-${round}-${sink ? 'one' : 'none'}.json`);
  writeFileSync(cfg_file, JSON.stringify(gateway_config(data_dir, sink?.port)));
  const gw = await start(k_gateway, ['--config', cfg_file], { HG_BENCH_HOOK: k_secret, HASHGATE_PORT: '', HASHGATE_DATA_DIR: '' }, tmp, `gw-${round}-${sink ? 'one' : 'none'}`);
  try {
    spawnSync('sync');
    const t0 = Date.now();
    const w = run_wrk(gw.port, k_duration);
    const out = { ingest_events_per_s: w.events_per_s, errors: w.errors, requests: w.requests };
    if (sink && !k_dead) {
      let m = await metrics(gw.port);
      const t1 = Date.now();
      const at_end = m.delivered;
      while (m.pending > 0 || m.delivered < m.accepted) {
        if (Date.now() - t0 > 600000) throw new Error(`outbox did not drain: ${JSON.stringify(m)}`);
        await sleep(100);
        m = await metrics(gw.port);
      }
      out.delivered = m.delivered;
      out.failed = m.failed;
      out.delivered_events_per_s = m.delivered / ((Date.now() - t0) / 1000);
      // The backlog left when the load stopped, drained by the worker alone.
      out.drain_events_per_s = (m.delivered - at_end) / Math.max(0.001, (Date.now() - t1) / 1000);
    }
    return out;
  } finally {
    await gw.stop();
    rmSync(data_dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!existsSync(k_gateway)) { console.error(`bench/deliver: missing ${k_gateway} (make build)`); process.exit(2); }
const tmp = mkdtempSync(join(tmpdir(), 'hashgate-bench-deliver-'));
const load_start = loadavg();
let sink;
let code = 0;
try {
  sink = await start(process.execPath, [join(k_here, 'sink.mjs')], {}, tmp, 'sink');
  const none = [];
  const one = [];
  for (let round = 0; round < k_rounds; ++round) {
    // Alternating order per round, so a slow phase of a shared machine hits both.
    const order = round % 2 === 0 ? [false, true] : [true, false];
    for (const attached of order) {
      const r = await measure(tmp, round, attached ? sink : null);
      (attached ? one : none).push(r);
      console.error(`[deliver] round ${round + 1}/${k_rounds} ${attached ? 'one destination' : 'no destination'}: ` +
        `${Math.round(r.ingest_events_per_s)} events/s ingested` +
        (attached ? `, ${Math.round(r.delivered_events_per_s)} events/s delivered (${r.delivered} events, ${r.failed} failed; ` +
          `backlog drained at ${Math.round(r.drain_events_per_s)} events/s)` : ''));
      if (r.errors > 0.01 * r.requests || (attached && r.failed > 0)) code = 1;
    }
  }
  const base = median(none.map((r) => r.ingest_events_per_s));
  const attached = median(one.map((r) => r.ingest_events_per_s));
  const result = {
    bench: 'deliver_ingest', gateway: k_gateway, duration: k_duration, connections: k_connections, rounds: k_rounds,
    cores: cpus().length, loadavg_start: load_start, loadavg_end: loadavg(),
    ingest_events_per_s_none: base, ingest_events_per_s_one: attached,
    ingest_slowdown_percent: 100 * (1 - attached / base),
    delivered_events_per_s_sqlite: median(one.map((r) => r.delivered_events_per_s)),
    drain_events_per_s_sqlite: median(one.map((r) => r.drain_events_per_s)),
    runs: { none, one },
  };
  mkdirSync(join(k_root, 'bench/out'), { recursive: true });
  if (!k_dead) writeFileSync(join(k_root, 'bench/out/deliver_ingest.json'), JSON.stringify(result, null, 2));
  console.log(JSON.stringify({ ingest_events_per_s_none: Math.round(base), ingest_events_per_s_one: Math.round(attached),
    ingest_slowdown_percent: Number(result.ingest_slowdown_percent.toFixed(1)),
    delivered_events_per_s_sqlite: Math.round(result.delivered_events_per_s_sqlite),
    drain_events_per_s_sqlite: Math.round(result.drain_events_per_s_sqlite) }));
} catch (e) {
  console.error(`bench/deliver: ${e.message}`);
  code = 1;
} finally {
  if (sink) await sink.stop();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
