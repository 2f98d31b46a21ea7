// Kafka-mode benchmark (issue 17): one hashgate-gateway replica producing to hashgate-kafka-mock's
// 3 brokers, beside nginx (`return 204`) and the fastify peer, with the wrk settings of
// bench/gateway/run.mjs (single-event POSTs and 100-event batches, rotating rounds, median); the
// CPU the mock brokers and the replica took during the single-event runs; and the opt-out
// propagation latency between two replicas (p50/p99 over BENCH_KAFKA_OPTOUTS opt-outs: from
// replica A's 200 to replica B reporting the uid suppressed on GET /v1/optout/status, polled
// back to back over one keep-alive connection).
// Usage: node bench/gateway/kafka.mjs  (env as run.mjs: BENCH_WRK_THREADS=2 BENCH_WRK_CONNECTIONS=64
// BENCH_WRK_DURATION=10s BENCH_GATEWAY_ROUNDS=3; BENCH_KAFKA_OPTOUTS=200). Writes bench/out/kafka.json.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import readline from 'node:readline';
import { free_port, k_root, start_listening, start_peer, wrk_events } from './peers.mjs';

const k_bin = resolve(process.env.HASHGATE_BIN_DIR || join(k_root, 'build/bin'));
const k_gateway = resolve(process.env.HASHGATE_GATEWAY || join(k_bin, 'hashgate-gateway'));
const k_mock = join(k_bin, 'hashgate-kafka-mock');
const k_config = join(k_root, 'examples/config/gateway-kafka.json');
const k_threads = Number(process.env.BENCH_WRK_THREADS || 2);
const k_connections = Number(process.env.BENCH_WRK_CONNECTIONS || 64);
const k_duration = process.env.BENCH_WRK_DURATION || '10s';
const k_rounds = Math.max(1, Number(process.env.BENCH_GATEWAY_ROUNDS || 3));
const k_optouts = Number(process.env.BENCH_KAFKA_OPTOUTS || 200);
const k_key = 'sk_demo';
const k_targets = ['nginx', 'fastify', 'kafka'];
const k_modes = [{ name: 'single', per_request: 1 }, { name: 'batch100', per_request: 100 }];
const k_tick = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The mock cluster: {pid, bootstrap, stop()}. */
async function start_mock() {
  const child = spawn(k_mock, ['--brokers', '3', '--partitions', '3'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const first = await new Promise((ok, fail) => {
    readline.createInterface({ input: child.stdout }).once('line', ok);
    child.on('exit', (c) => fail(new Error(`hashgate-kafka-mock exited with ${c}`)));
  });
  const exited = new Promise((ok) => child.on('exit', ok));
  return { pid: child.pid, bootstrap: first, async stop() { child.stdin.end(); await exited; } };
}

/** A Kafka-mode replica on a free port (config: examples/config/gateway-kafka.json, our brokers), once ready. */
async function start_replica(tmp, name, brokers) {
  const port = await free_port();
  const cfg = JSON.parse(readFileSync(k_config, 'utf8'));
  cfg.store.brokers = brokers;
  cfg.listen.port = port;
  for (const [k, v] of Object.entries(cfg.static)) cfg.static[k] = resolve(k_root, v);
  const file = join(tmp, `${name}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  const t = await start_listening(tmp, name, port, k_gateway, ['--config', file],
    { env: { ...process.env, HASHGATE_PORT: String(port) } });
  try {
    await wait_ready(port);
  } catch (e) {
    await t.stop();
    throw new Error(`${name}: ${e.message}\n${t.log()}`);
  }
  return t;
}

async function start_target(name, tmp, brokers) {
  return name === 'kafka' ? start_replica(tmp, name, brokers) : start_peer(name, tmp);
}

async function get(port, path, headers = {}, agent = undefined) {
  return new Promise((ok, fail) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => ok({ status: res.statusCode, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function wait_ready(port) {
  const until = Date.now() + 60000;
  while ((await get(port, '/readyz')).status !== 200) {
    if (Date.now() > until) throw new Error('replica not ready after 60 s');
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

function run_wrk(port, per_request, duration) {
  return wrk_events(port, { threads: k_threads, connections: k_connections, duration, per_request, key: k_key });
}

/** CPU ticks of process `pid` (user + system) and of the whole machine, from /proc. */
function cpu_ticks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  const proc = Number(fields[11]) + Number(fields[12]);
  const all = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  return { proc, all: all.reduce((a, b) => a + b, 0) };
}

/** Runs wrk on the replica while measuring the share of the machine's CPU each of `pids` took. */
function wrk_with_cpu(port, per_request, pids) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpu_ticks(p)]));
  const r = run_wrk(port, per_request, k_duration);
  const cpu = {};
  for (const [k, p] of Object.entries(pids)) {
    const after = cpu_ticks(p);
    cpu[k] = { share_of_machine: (after.proc - before[k].proc) / (after.all - before[k].all),
      cores: (after.proc - before[k].proc) / k_tick / r.seconds };
  }
  return { ...r, cpu };
}

/** Opt-out propagation: uid opted out at A (GET /v1/optout), then polled at B until suppressed. */
async function propagation(a_port, b_port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const lat = [];
  for (let i = 0; i < k_optouts; ++i) {
    const uid = randomBytes(16).toString('hex');
    const cookie = { cookie: `hg_uid=${uid}` };
    const r = await get(a_port, '/v1/optout?site_key=pk_demo', { ...cookie, accept: 'application/json' }, agent);
    if (r.status !== 200) throw new Error(`opt-out at A answered ${r.status}: ${r.body}`);
    const t0 = process.hrtime.bigint();
    const until = Date.now() + 10000;
    for (;;) {
      const s = await get(b_port, '/v1/optout/status', { ...cookie, authorization: `Bearer ${k_key}` }, agent);
      if (JSON.parse(s.body).suppressed) break;
      if (Date.now() > until) throw new Error('replica B never saw an opt-out within 10 s');
    }
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  agent.destroy();
  lat.sort((x, y) => x - y);
  const pct = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
  return { count: lat.length, p50_ms: pct(50), p99_ms: pct(99), max_ms: lat[lat.length - 1] };
}

async function measure_throughput(started, mock) {
  const runs = Object.fromEntries(k_targets.map((n) => [n, Object.fromEntries(k_modes.map((m) => [m.name, []]))]));
  for (const name of k_targets) run_wrk(started[name].port, 1, '2s');  // warm-up, not recorded
  for (let round = 0; round < k_rounds; ++round) {
    for (const name of k_targets.map((_, i) => k_targets[(i + round) % k_targets.length])) {
      for (const mode of k_modes) {
        const pids = name === 'kafka' ? { mock: mock.pid, replica: started.kafka.child.pid } : {};
        const r = wrk_with_cpu(started[name].port, mode.per_request, pids);
        runs[name][mode.name].push(r);
        console.error(`[kafka] round ${round + 1}/${k_rounds} ${name} ${mode.name}: ${Math.round(r.req_per_s)} req/s, ${r.errors} errors of ${r.requests}`);
        if (r.errors > 0.01 * r.requests) throw new Error(`${name} ${mode.name}: ${r.errors} of ${r.requests} requests failed`);
      }
    }
  }
  return runs;
}

function summarise(runs) {
  const results = {};
  for (const name of k_targets) {
    results[name] = {};
    for (const mode of k_modes) {
      const list = runs[name][mode.name];
      const sorted = [...list].sort((a, b) => a.req_per_s - b.req_per_s);
      results[name][mode.name] = { ...sorted[Math.floor(sorted.length / 2)], rounds_req_per_s: list.map((r) => r.req_per_s) };
    }
  }
  const ratio = (peer, mode) => {
    const a = results.kafka[mode].rounds_req_per_s, b = results[peer][mode].rounds_req_per_s;
    const each = a.map((x, i) => x / b[i]).sort((x, y) => x - y);
    return each[Math.floor(each.length / 2)];
  };
  const ratios = { single_vs_nginx_req: ratio('nginx', 'single'), single_vs_fastify_req: ratio('fastify', 'single') };
  return { results, ratios };
}

// ---- main ----
for (const f of [k_gateway, k_mock]) if (!existsSync(f)) { console.error(`bench/kafka: missing ${f} (make build)`); process.exit(2); }
const tmp = mkdtempSync(join(tmpdir(), 'hashgate-bench-kafka-'));
const load_start = loadavg();
const started = {};
let mock;
let code = 0;
let out;
try {
  mock = await start_mock();
  for (const name of k_targets) started[name] = await start_target(name, tmp, mock.bootstrap);
  const { results, ratios } = summarise(await measure_throughput(started, mock));
  started.second = await start_replica(tmp, 'second', mock.bootstrap);
  const prop = await propagation(started.kafka.port, started.second.port);
  out = { results, ratios, propagation: prop };
} catch (e) {
  console.error(`bench/kafka: ${e.message}`);
  if (started.kafka) console.error(started.kafka.log());
  code = 1;
} finally {
  for (const t of Object.values(started)) await t.stop();
  if (mock) await mock.stop();
  rmSync(tmp, { recursive: true, force: true });
}
if (code) process.exit(code);

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const pc = (x) => `${(100 * x).toFixed(0)} %`;
const s = out.results.kafka.single;
const lines = [`Kafka mode: wrk -t${k_threads} -c${k_connections} -d${k_duration}, loopback, ${cpus().length} cores, median of ${k_rounds} rounds, 3 mock brokers`,
  `${'target'.padEnd(9)} ${'mode'.padEnd(9)} ${'req/s'.padStart(10)} ${'events/s'.padStart(11)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`];
for (const [name, modes] of Object.entries(out.results)) {
  for (const [mode, r] of Object.entries(modes)) {
    lines.push(`${name.padEnd(9)} ${mode.padEnd(9)} ${fmt(r.req_per_s).padStart(10)} ${fmt(r.events_per_s).padStart(11)} ${(r.p50_us / 1000).toFixed(2).padStart(8)} ${(r.p99_us / 1000).toFixed(2).padStart(8)}`);
  }
}
lines.push(`kafka/nginx single ${out.ratios.single_vs_nginx_req.toFixed(2)}x, kafka/fastify single ${out.ratios.single_vs_fastify_req.toFixed(2)}x (req/s)`);
lines.push(`CPU during the median single run: mock brokers ${pc(s.cpu.mock.share_of_machine)} of the machine (${s.cpu.mock.cores.toFixed(2)} cores), replica ${pc(s.cpu.replica.share_of_machine)} (${s.cpu.replica.cores.toFixed(2)} cores)`);
lines.push(`opt-out propagation A → B over ${out.propagation.count}: p50 ${out.propagation.p50_ms.toFixed(1)} ms, p99 ${out.propagation.p99_ms.toFixed(1)} ms, max ${out.propagation.max_ms.toFixed(1)} ms`);
console.log(lines.join('\n'));
mkdirSync(resolve(k_root, 'bench/out'), { recursive: true });
writeFileSync(resolve(k_root, 'bench/out/kafka.json'), `${JSON.stringify({
  bench: 'kafka', threads: k_threads, connections: k_connections, duration: k_duration, rounds: k_rounds,
  gateway: k_gateway, machine: { nproc: cpus().length, cpu: cpus()[0]?.model, loadavg_at_start: load_start, loadavg_at_end: loadavg() },
  ...out }, null, 2)}\n`);
