// Gateway benchmark: wrk against hashgate-gateway (default durable mode, temp data dir and config
// copy), nginx (`return 204`) and a minimal fastify JSON endpoint, all on 127.0.0.1 with the same
// threads/connections/duration; single-event POSTs and 100-event batches.
// Usage: node bench/gateway/run.mjs   (env: BENCH_WRK_THREADS=2 BENCH_WRK_CONNECTIONS=64
// BENCH_WRK_DURATION=10s, BENCH_GATEWAY_ROUNDS=3, HASHGATE_GATEWAY=path, HASHGATE_GATEWAY_CONFIG=path,
// BENCH_GATEWAY_TARGETS=nginx,fastify,gateway to debug a subset; no JSON is written then).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { free_port, k_root, start_listening, start_peer, wrk_events } from './peers.mjs';

const k_gateway = resolve(process.env.HASHGATE_GATEWAY || join(k_root, 'build/bin/hashgate-gateway'));
const k_config = resolve(process.env.HASHGATE_GATEWAY_CONFIG || join(k_root, 'examples/config/gateway.json'));
const k_threads = Number(process.env.BENCH_WRK_THREADS || 2);
const k_connections = Number(process.env.BENCH_WRK_CONNECTIONS || 64);
const k_duration = process.env.BENCH_WRK_DURATION || '10s';
const k_key = 'sk_demo';
const k_all_targets = ['nginx', 'fastify', 'gateway'];
const k_targets = (process.env.BENCH_GATEWAY_TARGETS || k_all_targets.join(',')).split(',');
const k_modes = [{ name: 'single', per_request: 1 }, { name: 'batch100', per_request: 100 }];
const k_rounds = Math.max(1, Number(process.env.BENCH_GATEWAY_ROUNDS || 3));

function fail(msg, code = 1) {
  console.error(`bench/gateway: ${msg}`);
  process.exit(code);
}

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function sample_body(n, tag) {
  const now = Math.floor(Date.now() / 1000);
  const events = Array.from({ length: n }, (_, i) => ({
    event_id: `preflight-${tag}-${process.pid}-${n}-${i}`, type: 'purchase', time: now,
    ids: { em: 'a'.repeat(63) + (i % 10) }, custom: { value: 59.95, currency: 'EUR' },
  }));
  return JSON.stringify({ events });
}

// Starts one target on a free loopback port; returns { port, stop(), log() }.
async function start_target(name, tmp) {
  if (name !== 'gateway') return start_peer(name, tmp);
  const port = await free_port();
  const data_dir = join(tmp, 'gateway-data');
  mkdirSync(data_dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(k_config, 'utf8'));
  // Put the copy on our port whatever the schema spells it as; HASHGATE_PORT is set as well.
  if (typeof cfg.listen === 'string') cfg.listen = `127.0.0.1:${port}`;
  else if (cfg.listen && typeof cfg.listen === 'object') { cfg.listen.port = port; cfg.listen.address = '127.0.0.1'; }
  if ('port' in cfg) cfg.port = port;
  if (cfg.store && typeof cfg.store === 'object') cfg.store.data_dir = data_dir;
  // Relative static roots are taken from the repository root (where make run starts).
  if (cfg.static && typeof cfg.static === 'object') {
    for (const [k, v] of Object.entries(cfg.static)) {
      if (typeof v === 'string' && !v.startsWith('/')) cfg.static[k] = resolve(k_root, v);
    }
  }
  const cfg_file = join(tmp, 'gateway.json');
  writeFileSync(cfg_file, JSON.stringify(cfg, null, 2));
  return start_listening(tmp, name, port, k_gateway, ['--config', cfg_file],
    { env: { ...process.env, HASHGATE_PORT: String(port), HASHGATE_DATA_DIR: data_dir } });
}

async function preflight(name, port) {
  for (const n of [1, 100]) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST', body: sample_body(n, name),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${k_key}` },
    });
    const text = (await res.text()).slice(0, 300);
    const ok = name === 'gateway' ? res.status === 202 : res.status >= 200 && res.status < 300;
    if (!ok) throw new Error(`${name}: preflight POST of ${n} event(s) answered ${res.status}: ${text}`);
    if (name === 'gateway') {
      const body = JSON.parse(text);
      if (body.accepted !== n) throw new Error(`gateway: preflight accepted ${body.accepted} of ${n} events: ${text}`);
    }
  }
}

// Reads the gateway's Prometheus counters: events accepted, dropped (all reasons), rejected.
async function gateway_counters(port) {
  // A new connection (the pooled one from the preflight may have been closed as idle meanwhile).
  const res = await fetch(`http://127.0.0.1:${port}/metrics`,
    { headers: { authorization: `Bearer ${k_key}`, connection: 'close' } })
    .catch(() => fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${k_key}`, connection: 'close' } }));
  const text = await res.text();
  const sum = (name) => text.split('\n').filter((l) => l.startsWith(name))
    .reduce((a, l) => a + Number(l.trim().split(/\s+/).pop()), 0);
  return { accepted: sum('hashgate_events_accepted_total'), dropped: sum('hashgate_events_dropped_total'),
    rejected: sum('hashgate_events_rejected_total') };
}

function run_wrk(port, per_request, duration) {
  return wrk_events(port, { threads: k_threads, connections: k_connections, duration, per_request, key: k_key });
}

// ---- main ----
for (const cmd of ['wrk', 'nginx']) {
  if ((cmd === 'wrk' || k_targets.includes(cmd)) && !which(cmd)) {
    fail(`'${cmd}' not found — run scripts/deps.sh bench`, 2);
  }
}
if (k_targets.includes('gateway')) {
  if (!existsSync(k_gateway)) fail(`missing ${k_gateway} — build it first (make build); no figure measured`, 2);
  if (!existsSync(k_config)) fail(`missing ${k_config}; no figure measured`, 2);
}
const tmp = mkdtempSync(join(tmpdir(), 'hashgate-bench-gw-'));
const results = {};
const load_start = loadavg();
let code = 0;
const started = {};
const runs = {}; // runs[name][mode] = [wrk result per round]
let answered = 0;
try {
  // All targets run side by side (idle while another is measured); each round measures every
  // target once, in a rotating order, so slow phases of a shared machine hit all of them.
  for (const name of k_targets) {
    started[name] = await start_target(name, tmp);
    await preflight(name, started[name].port);
    const warm = run_wrk(started[name].port, 1, '2s').requests; // warm-up, not recorded
    if (name === 'gateway') answered += 101 + warm;
    runs[name] = Object.fromEntries(k_modes.map((m) => [m.name, []]));
  }
  for (let round = 0; round < k_rounds; ++round) {
    const order = k_targets.map((_, i) => k_targets[(i + round) % k_targets.length]);
    for (const name of order) {
      for (const mode of k_modes) {
        // The gateway leaves hundreds of MB of dirty pages per run; without a sync the kernel
        // writes them back during the next target's run, which then pays for them.
        spawnSync('sync');
        const r = run_wrk(started[name].port, mode.per_request, k_duration);
        runs[name][mode.name].push(r);
        if (name === 'gateway') answered += (r.requests - r.non2xx) * mode.per_request;
        console.error(`[gateway] round ${round + 1}/${k_rounds} ${name} ${mode.name}: ${Math.round(r.req_per_s)} req/s, ${r.errors} errors of ${r.requests}`);
        if (r.errors > 0.01 * r.requests) {
          console.error(`bench/gateway: ${name} ${mode.name}: ${r.errors} of ${r.requests} requests failed (non-2xx ${r.non2xx}, socket ${r.errors - r.non2xx}); figure not valid`);
          code = 1;
        }
      }
    }
  }
  // Each target and mode is reported by its median round (by req/s).
  for (const name of k_targets) {
    results[name] = {};
    for (const mode of k_modes) {
      const list = runs[name][mode.name];
      const sorted = [...list].sort((a, b) => a.req_per_s - b.req_per_s);
      results[name][mode.name] = { ...sorted[Math.floor(sorted.length / 2)],
        rounds_req_per_s: list.map((r) => r.req_per_s) };
    }
  }
  if (started.gateway) {
    // Every event wrk saw acknowledged must have been stored (in-flight ones at the end of a
    // run may be stored without wrk counting them, so >=).
    const c = await gateway_counters(started.gateway.port);
    results.gateway.counters = { ...c, acknowledged_min: answered };
    console.error(`[gateway] metrics: accepted ${c.accepted}, dropped ${c.dropped}, rejected ${c.rejected}; wrk saw >= ${answered} acknowledged`);
    if (c.accepted < answered || c.dropped || c.rejected) {
      console.error('bench/gateway: the gateway did not store every acknowledged event; figures not valid');
      code = 1;
    }
  }
} catch (e) {
  console.error(`bench/gateway: ${e.message}`);
  code = 1;
} finally {
  for (const [name, target] of Object.entries(started)) {
    await target.stop();
    if (name === 'gateway' && code) console.error(`[gateway] gateway log tail:\n${target.log()}`);
  }
  rmSync(tmp, { recursive: true, force: true });
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ms = (us) => (us / 1000).toFixed(2);
const lines = [`Gateway: wrk -t${k_threads} -c${k_connections} -d${k_duration}, loopback, ${cpus().length} cores, median of ${k_rounds} rounds`,
  `${'target'.padEnd(9)} ${'mode'.padEnd(9)} ${'req/s'.padStart(10)} ${'events/s'.padStart(11)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`];
for (const [name, modes] of Object.entries(results)) {
  for (const mode of k_modes.map((m) => m.name).filter((m) => modes[m])) {
    const r = modes[mode];
    lines.push(`${name.padEnd(9)} ${mode.padEnd(9)} ${fmt(r.req_per_s).padStart(10)} ${fmt(r.events_per_s).padStart(11)} ${ms(r.p50_us).padStart(8)} ${ms(r.p99_us).padStart(8)} ${String(r.errors).padStart(7)}`);
  }
}
const ratios = {};
const g = results.gateway;
if (g && results.nginx?.single && results.fastify?.single && g.single && g.batch100) {
  // Median of the per-round ratios: each pairs measurements taken minutes apart at most.
  const ratio = (peer, mode) => {
    const a = g[mode].rounds_req_per_s, b = results[peer][mode].rounds_req_per_s;
    const each = a.map((x, i) => x / b[i]).sort((x, y) => x - y);
    return each[Math.floor(each.length / 2)];
  };
  ratios.single_vs_nginx_req = ratio('nginx', 'single');
  ratios.single_vs_fastify_req = ratio('fastify', 'single');
  ratios.batch_vs_nginx_req = ratio('nginx', 'batch100');
  ratios.batch_vs_fastify_req = ratio('fastify', 'batch100');
  lines.push(`gateway/nginx   single ${ratios.single_vs_nginx_req.toFixed(2)}x   batch100 ${ratios.batch_vs_nginx_req.toFixed(2)}x (req/s)`);
  lines.push(`gateway/fastify single ${ratios.single_vs_fastify_req.toFixed(2)}x   batch100 ${ratios.batch_vs_fastify_req.toFixed(2)}x (req/s)`);
}
console.log(lines.join('\n'));
const complete = k_all_targets.every((t) => results[t]?.single && results[t]?.batch100);
if (complete && code === 0) {
  const out = resolve(k_root, 'bench/out');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'gateway.json'), `${JSON.stringify({
    bench: 'gateway', threads: k_threads, connections: k_connections, duration: k_duration, rounds: k_rounds,
    gateway: k_gateway, machine: { nproc: cpus().length, cpu: cpus()[0]?.model, loadavg_at_start: load_start,
      loadavg_at_end: loadavg() }, results, ratios }, null, 2)}\n`);
  console.error(`[gateway] wrote ${join(out, 'gateway.json')}`);
} else if (code === 0) {
  console.error('bench/gateway: subset run (BENCH_GATEWAY_TARGETS); no JSON written');
}
process.exit(code);
