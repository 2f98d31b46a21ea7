// Private set intersection benchmark (issue 15). Two figures, written to bench/out/psi.json:
// 1. blind + reblind per element, every core: `hashgate psi blind` then `psi reblind` on
//    BENCH_PSI_ROWS e-mails (CSV parsing, normalization, SHA-256 and file I/O included), next to
//    the same steps written with @noble/curves (ristretto255) + node:crypto in worker threads, one
//    per core. Prints both and the ratio (budget: at least 10x).
// 2. end to end, both parties on this machine: two lists of BENCH_PSI_E2E_ROWS rows (one e-mail
//    each, 10% shared) through keygen, blind, reblind both ways and intersect on both sides, one
//    step after the other (intersect with --theirs-back: each side compares with its own reblind
//    of the other's list). Prints the wall time of each step and the total (budget: < 180 s),
//    the CPU seconds spent, and checks that both sides matched exactly the shared rows.
// Usage: node bench/psi/run.mjs   (env: HASHGATE_CLI, BENCH_PSI_ROWS=200000,
// BENCH_PSI_NOBLE=4000, BENCH_PSI_E2E_ROWS=1000000, BENCH_PSI_E2E_PLAIN=1 for intersect without
// --theirs-back)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const TAG = (field) => `hashgate/psi/v1/${field}:`;

// ---- the @noble/curves contender (runs in each worker) ------------------------------------------

const scalarOf = (bytes) => {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
};

async function nobleWorker({ emails, a, b }) {
  const { ristretto255, ristretto255_hasher } = await import('@noble/curves/ed25519.js');
  const Point = ristretto255.Point;
  const t0 = performance.now();
  // blind: normalize (meta: trim, lowercase), SHA-256, SHA-512(tag ‖ digest), map, a·H.
  const blinded = emails.map((e) => {
    const digest = createHash('sha256').update(e.trim().toLowerCase()).digest();
    const wide = createHash('sha512').update(TAG('em')).update(digest).digest();
    return ristretto255_hasher.deriveToCurve(new Uint8Array(wide)).multiply(a).toBytes();
  });
  // reblind: decode, b·P, encode.
  const back = blinded.map((bytes) => Point.fromBytes(bytes).multiply(b).toBytes());
  parentPort.postMessage({ ms: performance.now() - t0, first: Buffer.from(back[0]).toString('hex') });
}


// ---- main ------------------------------------------------------------------------------------------

function fail(msg, code = 1) {
  console.error(`bench/psi: ${msg}`);
  process.exit(code);
}

// Clock ticks of CPU time used by waited-for children (utime + stime of /proc/self/stat).
function childCpuSeconds() {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / 100;  // cutime, cstime (USER_HZ = 100)
}

function step(cli, args, label, log) {
  const cpu0 = childCpuSeconds();
  const t0 = performance.now();
  const r = spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) fail(`${label}: exit ${r.status}: ${r.stderr.slice(-800)}`);
  const cpu = childCpuSeconds() - cpu0;
  log(`${label.padEnd(28)} ${seconds.toFixed(2).padStart(8)} s  (cpu ${cpu.toFixed(1)} s)`);
  return { label, seconds, cpu, stderr: r.stderr };
}

const email = (n) => `  Customer${n}.Name@Example${n % 97}.COM `;

function writeCsv(file, header, rows) {
  const parts = [header];
  for (const [id, e] of rows) parts.push(`${id},${e}\n`);
  writeFileSync(file, parts.join(''));
}

async function perElement(cli, dir, log) {
  const rows = Number(process.env.BENCH_PSI_ROWS || 200000);
  const nobleCount = Number(process.env.BENCH_PSI_NOBLE || 4000);
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const f = (n) => path.join(dir, n);
  writeCsv(f('pe.csv'), 'id,email\n', Array.from({ length: rows }, (_, n) => [`r${n}`, email(n)]));
  step(cli, ['psi', 'keygen', '-o', f('pe_a.key')], 'keygen', () => {});
  step(cli, ['psi', 'keygen', '-o', f('pe_b.key')], 'keygen', () => {});
  log(`[1] hashgate: ${rows} e-mails, ${cores} cores`);
  const blind = step(cli, ['psi', 'blind', '--key', f('pe_a.key'), '--columns', 'email=em',
    '--id-column', 'id', f('pe.csv'), '-o', f('pe.psi'), '--state', f('pe.state')], 'blind', log);
  const reblind = step(cli, ['psi', 'reblind', '--key', f('pe_b.key'), f('pe.psi'), '-o',
    f('pe.back.psi')], 'reblind', log);
  const native_us = ((blind.seconds + reblind.seconds) / rows) * 1e6;

  // noble: the same two steps on nobleCount e-mails, split over one worker per core.
  const a = scalarOf(readFileSync(f('pe_a.key')));
  const b = scalarOf(readFileSync(f('pe_b.key')));
  const emails = Array.from({ length: nobleCount }, (_, n) => email(n));
  log(`[1] @noble/curves: ${nobleCount} e-mails over ${cores} worker threads`);
  const t0 = performance.now();
  const per = Math.ceil(nobleCount / cores);
  const results = await Promise.all(Array.from({ length: cores }, (_, w) => new Promise((res, rej) => {
    const worker = new Worker(fileURLToPath(import.meta.url), {
      workerData: { emails: emails.slice(w * per, (w + 1) * per), a, b } });
    worker.once('message', res);
    worker.once('error', rej);
  })));
  const noble_s = (performance.now() - t0) / 1000;
  const noble_us = (noble_s / nobleCount) * 1e6;
  // The same element from both: back[.] of e-mail 0 must be in hashgate's re-blinded file.
  const back = readFileSync(f('pe.back.psi')).toString('hex');
  if (!back.includes(results[0].first)) fail('noble and hashgate disagree on b·a·H(x)');
  const ratio = noble_us / native_us;
  log(`[1] per element: hashgate ${native_us.toFixed(2)} us, @noble/curves ${noble_us.toFixed(1)} us` +
    `  -> ${ratio.toFixed(1)}x`);
  return { rows, noble_count: nobleCount, cores, hashgate_us: native_us, noble_us, ratio,
    blind_s: blind.seconds, reblind_s: reblind.seconds, noble_s };
}

async function endToEnd(cli, dir, log) {
  const rows = Number(process.env.BENCH_PSI_E2E_ROWS || 1000000);
  const shared = Math.floor(rows / 10);
  // By default each side's intersect reuses its own reblind of the other's list (--theirs-back),
  // as the protocol has it; BENCH_PSI_E2E_PLAIN=1 times the pinned four-option form, which
  // re-blinds the other's list again inside intersect.
  const plain = process.env.BENCH_PSI_E2E_PLAIN === '1';
  const f = (n) => path.join(dir, n);
  // A: people 0..rows-1; B: people 0..shared-1 (other case and spacing) and its own people.
  writeCsv(f('a.csv'), 'id,email\n', Array.from({ length: rows }, (_, n) => [`A${n}`, email(n)]));
  writeCsv(f('b.csv'), 'cust,mail\n', Array.from({ length: rows }, (_, n) => {
    const person = n < shared ? n : 10 * rows + n;
    return [`B${n}`, email(person).trim().toLowerCase()];
  }));
  log(`[2] end to end: ${rows} x ${rows} rows (one e-mail each), ${shared} shared`);
  const steps = [
    ['psi', 'keygen', '-o', f('a.key')], ['psi', 'keygen', '-o', f('b.key')],
    ['psi', 'blind', '--key', f('a.key'), '--columns', 'email=em', '--id-column', 'id', f('a.csv'),
      '-o', f('a.psi'), '--state', f('a.state')],
    ['psi', 'blind', '--key', f('b.key'), '--columns', 'mail=em', '--id-column', 'cust', f('b.csv'),
      '-o', f('b.psi'), '--state', f('b.state')],
    ['psi', 'reblind', '--key', f('b.key'), f('a.psi'), '-o', f('a.back.psi')],
    ['psi', 'reblind', '--key', f('a.key'), f('b.psi'), '-o', f('b.back.psi')],
    ['psi', 'intersect', '--key', f('a.key'), '--state', f('a.state'), '--back', f('a.back.psi'),
      '--theirs', f('b.psi'), ...(plain ? [] : ['--theirs-back', f('b.back.psi')]),
      '-o', f('a.matched.csv')],
    ['psi', 'intersect', '--key', f('b.key'), '--state', f('b.state'), '--back', f('b.back.psi'),
      '--theirs', f('a.psi'), ...(plain ? [] : ['--theirs-back', f('a.back.psi')]),
      '-o', f('b.matched.csv')],
  ];
  const labels = ['A keygen', 'B keygen', 'A blind', 'B blind', 'B reblinds A', 'A reblinds B',
    'A intersect', 'B intersect'];
  const done = steps.map((args, i) => step(cli, args, labels[i], log));
  const seconds = done.reduce((s, d) => s + d.seconds, 0);
  const cpu = done.reduce((s, d) => s + d.cpu, 0);
  for (const side of ['a', 'b']) {
    const lines = readFileSync(f(`${side}.matched.csv`), 'utf8').split('\n').filter(Boolean);
    if (lines.length - 1 !== shared) fail(`${side}: matched ${lines.length - 1} rows, expected ${shared}`);
  }
  log(`[2] total ${seconds.toFixed(1)} s wall, ${cpu.toFixed(1)} s cpu; both sides matched ${shared}`);
  return { rows, shared, seconds, cpu_seconds: cpu, theirs_back: !plain,
    steps: done.map(({ label, seconds: s, cpu: c }) => ({ label, seconds: s, cpu: c })) };
}

async function main() {
  const cli = path.resolve(process.env.HASHGATE_CLI || path.join(root, 'build/bin/hashgate'));
  if (!existsSync(cli)) fail(`missing ${cli}: build it first (make build); no figure measured`, 2);
  const log = (m) => console.error(`[psi] ${m}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hashgate-bench-psi-'));
  try {
    const loadavg_start = os.loadavg();
    const pe = await perElement(cli, dir, log);
    const e2e = await endToEnd(cli, dir, log);
    const out = { bench: 'psi', cli, machine: { cores: pe.cores, cpu: os.cpus()[0]?.model },
      loadavg_start, loadavg_end: os.loadavg(), per_element: pe, ratio_vs_noble: pe.ratio, e2e };
    mkdirSync(path.join(root, 'bench/out'), { recursive: true });
    writeFileSync(path.join(root, 'bench/out/psi.json'), JSON.stringify(out, null, 2) + '\n');
    console.log(`psi blind+reblind per element: hashgate ${pe.hashgate_us.toFixed(2)} us, ` +
      `@noble/curves ${pe.noble_us.toFixed(1)} us (${pe.cores} cores each): ${pe.ratio.toFixed(1)}x`);
    console.log(`psi ${e2e.rows} x ${e2e.rows} end to end: ${e2e.seconds.toFixed(1)} s ` +
      `(cpu ${e2e.cpu_seconds.toFixed(1)} s; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!isMainThread) {
  await nobleWorker(workerData);
} else {
  await main();
}
