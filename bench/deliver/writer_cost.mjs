// The writer thread's instructions per accepted event, with no destination and with one webhook
// destination (issue 16's ingest-slowdown budget, docs/destinations.md "Measured"). A load-
// independent figure: the gateway runs under valgrind's callgrind, collecting only inside the
// writer thread's loop (`--toggle-collect=*writer_loop*`: group commits, deferred indexing, and
// with a destination the outbox rows, claims, ledger and deletions). The bench posts
// BENCH_COST_REQUESTS (default 200) requests of 100 events (the shape of bench/gateway/events.lua),
// 8 in flight, waits until the outbox drained, stops the gateway and reads callgrind's total, and
// the bytes the gateway wrote to files (the WAL and its checkpoints) per event.
// Usage: node bench/deliver/writer_cost.mjs [none|one ...]   (default: none one; env
// BENCH_COST_KEEP=PREFIX keeps callgrind's output as PREFIX-<mode>.out for callgrind_annotate)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const k_here = dirname(fileURLToPath(import.meta.url));
const k_root = resolve(k_here, '../..');
const k_gateway = resolve(process.env.HASHGATE_GATEWAY || join(k_root, 'build/bin/hashgate-gateway'));
const k_requests = Number(process.env.BENCH_COST_REQUESTS || 200);
const k_per = 100;
const k_inflight = 8;
const k_key = 'sk_bench';

function started(child, port_file, name) {
  return (async () => {
    for (let i = 0; ; ++i) {
      if (child.exitCode !== null) throw new Error(`${name} exited`);
      if (existsSync(port_file) && readFileSync(port_file, 'utf8').trim()) break;
      if (i > 1200) throw new Error(`${name} did not start`);
      await sleep(50);
    }
    return Number(readFileSync(port_file, 'utf8').trim());
  })();
}

function body(base, n) {
  const h = (a, b) => [a, b, a * 7 + 3, b * 13 + 5].map((x) => x.toString(16).padStart(16, '0')).join('');
  const events = [];
  for (let i = 0; i < k_per; ++i) {
    const c = base + i;
    events.push({ event_id: `c${n}-${c}`, type: 'purchase', time: Math.floor(Date.now() / 1000), ids: { em: h(n, c) },
      custom: { value: 59.95, currency: 'EUR' } });
  }
  return JSON.stringify({ events });
}

async function metric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
}

async function run(tmp, mode, sink_port) {
  const data_dir = join(tmp, `data-${mode}`);
  mkdirSync(data_dir, { recursive: true });
  const tenant = { id: 'bench', api_key_sha256: createHash('sha256').update(k_key).digest('hex'),
    legal_basis: 'legitimate_interest', retention_days: 30 };
  if (mode === 'one') {
    tenant.destinations = [{ id: 'sink', kind: 'webhook', url: `http://127.0.0.1:${sink_port}/hook`,
      secret_env: 'HG_BENCH_HOOK' }];
  }
  const cfg = join(tmp, `gw-${mode}.json`);
  writeFileSync(cfg, JSON.stringify({ listen: { address: '127.0.0.1', port: 0 },
    store: { data_dir, durability: 'full' }, tenants: [tenant] }));
  const port_file = join(tmp, `gw-${mode}.port`);
  const cg = join(tmp, `cg-${mode}.out`);
  const gw = spawn('valgrind', ['--tool=callgrind', '--toggle-collect=*writer_loop*', `--callgrind-out-file=${cg}`,
    k_gateway, '--config', cfg, '--port-file', port_file],
  { env: { ...process.env, HG_BENCH_HOOK: 'bench-webhook-secret-0123456789', HASHGATE_PORT: '', HASHGATE_DATA_DIR: '' },
    stdio: 'ignore' });
  const port = await started(gw, port_file, 'gateway');
  let next = 0;
  const nonce = Date.now() % 1e9;
  const worker = async () => {
    while (next < k_requests) {
      const n = next++;
      const r = await fetch(`http://127.0.0.1:${port}/v1/events`, { method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${k_key}` }, body: body(n * k_per, nonce) });
      if (r.status !== 202) throw new Error(`status ${r.status}`);
      await r.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: k_inflight }, worker));
  const accepted = await metric(port, 'hashgate_events_accepted_total');
  if (mode === 'one') {
    while (await metric(port, 'hashgate_destination_delivered_total') < accepted ||
           await metric(port, 'hashgate_destination_pending{') > 0) await sleep(200);
  }
  // Bytes the gateway wrote (WAL, checkpoints; /proc/<pid>/io `wchar`), per accepted event.
  const io = Object.fromEntries(readFileSync(`/proc/${gw.pid}/io`, 'utf8').trim().split('\n')
    .map((l) => l.split(': ')).map(([k, v]) => [k, Number(v)]));
  const exited = new Promise((r) => gw.on('exit', r));
  gw.kill('SIGTERM');
  await exited;
  if (process.env.BENCH_COST_KEEP) copyFileSync(cg, `${process.env.BENCH_COST_KEEP}-${mode}.out`);
  const line = readFileSync(cg, 'utf8').split('\n').find((l) => /^(summary|totals):/.test(l));
  const ir = Number(line.split(/\s+/)[1]);
  return { mode, accepted, writer_instructions: ir, per_event: Math.round(ir / accepted),
    bytes_written_per_event: Math.round(io.wchar / accepted) };
}

const modes = process.argv.slice(2).length ? process.argv.slice(2) : ['none', 'one'];
const tmp = mkdtempSync(join(tmpdir(), 'hashgate-writer-cost-'));
const port_file = join(tmp, 'sink.port');
const sink = spawn(process.execPath, [join(k_here, 'sink.mjs'), '--port-file', port_file], { stdio: 'ignore' });
try {
  const sink_port = await started(sink, port_file, 'sink');
  for (const m of modes) console.log(JSON.stringify(await run(tmp, m, sink_port)));
} finally {
  sink.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
