// Prints the results of bench/out/*.json as Markdown tables (for docs/performance.md).
// Usage: node bench/report.mjs
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const k_out = resolve(dirname(fileURLToPath(import.meta.url)), 'out');
const load = (n) => {
  const f = resolve(k_out, `${n}.json`);
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null;
};
const int = (n) => Math.round(n).toLocaleString('en-US');
const la = (a) => (a ? a.map((x) => x.toFixed(2)).join(' / ') : '?');
const lines = [];

for (const rt of ['node', 'chromium']) {
  const j = load(`sdk-${rt}`);
  if (!j) { lines.push(`SDK (${rt}): no result`, ''); continue; }
  lines.push(`**SDK, ${j.runtime}**: ${int(j.count)} e-mails, median of ${j.rounds} rounds; load average ` +
    `(1/5/15 min) ${la(j.machine.loadavg_at_start)} at start, ${la(j.loadavg_at_end)} at end.`, '');
  lines.push('| contender | values/s | median s | hashBatch ÷ it | hash ÷ it |', '|---|---:|---:|---:|---:|');
  const by = Object.fromEntries(j.results.map((r) => [r.name, r]));
  for (const r of j.results) {
    lines.push(`| ${r.name} | ${int(r.values_per_s)} | ${r.median_s.toFixed(3)} | ` +
      `${(by['hashgate.hashBatch'].values_per_s / r.values_per_s).toFixed(2)}x | ` +
      `${(by['hashgate.hash'].values_per_s / r.values_per_s).toFixed(2)}x |`);
  }
  lines.push('');
}

const g = load('gateway');
if (g) {
  lines.push(`**Gateway**: wrk -t${g.threads} -c${g.connections} -d${g.duration}, median of ${g.rounds ?? 1} rounds; load average ` +
    `${la(g.machine.loadavg_at_start)} at start, ${la(g.machine.loadavg_at_end)} at end.`, '');
  lines.push('| target | mode | req/s | events/s | p50 ms | p99 ms | errors | req/s per round |', '|---|---|---:|---:|---:|---:|---:|---|');
  for (const t of ['gateway', 'nginx', 'fastify']) {
    for (const m of ['single', 'batch100']) {
      const r = g.results[t][m];
      lines.push(`| ${t} | ${m} | ${int(r.req_per_s)} | ${int(r.events_per_s)} | ${(r.p50_us / 1000).toFixed(2)} | ` +
        `${(r.p99_us / 1000).toFixed(2)} | ${r.errors} of ${int(r.requests)} | ` +
        `${(r.rounds_req_per_s ?? [r.req_per_s]).map(int).join(', ')} |`);
    }
  }
  const x = g.ratios;
  lines.push('', `Ratios (req/s, median of the per-round ratios): gateway/nginx ${x.single_vs_nginx_req.toFixed(2)}x single, ` +
    `${x.batch_vs_nginx_req.toFixed(2)}x batch100; gateway/fastify ${x.single_vs_fastify_req.toFixed(2)}x single, ` +
    `${x.batch_vs_fastify_req.toFixed(2)}x batch100. Gateway counters after the run: ` +
    `${int(g.results.gateway.counters.accepted)} events accepted (wrk saw ≥ ${int(g.results.gateway.counters.acknowledged_min)} acknowledged), ` +
    `${g.results.gateway.counters.dropped} dropped, ${g.results.gateway.counters.rejected} rejected.`, '');
} else lines.push('Gateway: no result', '');

const c = load('cli');
if (c) {
  lines.push(`**CLI**: ${int(c.rows)} rows, median of ${c.rounds} rounds; load average ` +
    `${la(c.machine.loadavg_at_start)} at start, ${la(c.machine.loadavg_at_end)} at end.`, '');
  lines.push('| tool | seconds | rows/s |', '|---|---:|---:|');
  lines.push(`| hashgate hash-file | ${c.hashgate_median_s.toFixed(3)} | ${int(c.rows / c.hashgate_median_s)} |`);
  lines.push(`| Python ${c.python} csv + hashlib | ${c.python_median_s.toFixed(3)} | ${int(c.rows / c.python_median_s)} |`);
  lines.push('', `Ratio: ${c.ratio_vs_python.toFixed(2)}x.`, '');
} else lines.push('CLI: no result', '');
console.log(lines.join('\n'));
