// SDK benchmark in headless Chromium (playwright-core, /usr/bin/chromium): serves the bench page,
// node_modules and web/dist (HASHGATE_WEB_DIST) from a loopback-only HTTP server and runs the same contenders as
// bench/sdk/node.mjs (minus node:crypto). Usage: node bench/sdk/browser.mjs
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';
import { expected_outputs, fingerprint, k_count, k_field, k_root, k_rounds, k_sdk_module, k_seed, k_web_dist,
  machine_info, require_sdk, write_result } from './common.mjs';
import { format_table } from './contenders.mjs';

require_sdk();
const k_types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.map': 'application/json' };
const k_allowed = ['/bench/', '/node_modules/'];

// Static file server restricted to a few folders of the checkout; /web/dist/ is k_web_dist.
function serve(req, res) {
  const path = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
  let file = null;
  if (path === '/favicon.ico') { res.writeHead(204).end(); return; }
  if (path === '/') file = resolve(k_root, 'bench/sdk/page.html');
  else if (path.startsWith('/web/dist/')) {
    const f = normalize(join(k_web_dist, path.slice('/web/dist/'.length)));
    if (f.startsWith(k_web_dist + sep)) file = f;
  }
  else if (k_allowed.some((p) => path.startsWith(p))) {
    const f = normalize(join(k_root, path));
    if (f.startsWith(k_root + sep)) file = f;
  }
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': k_types[extname(file)] || 'application/octet-stream',
    'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
}

const machine = await machine_info();
const server = createServer(serve);
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const url = `http://127.0.0.1:${server.address().port}/`;
const user_data_dir = mkdtempSync(join(tmpdir(), 'hashgate-bench-chromium-'));
let context = null;
let code = 0;
try {
  context = await chromium.launchPersistentContext(user_data_dir, {
    executablePath: '/usr/bin/chromium',
    headless: false, // '--headless=new' is passed explicitly below
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => console.error(m.text()));
  page.on('pageerror', (e) => console.error(`[sdk/chromium] page error: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.bench_ready === true, null, { timeout: 30000 });
  page.setDefaultTimeout(0);
  const expected = expected_outputs();
  const out = await page.evaluate(([c, s, r, f, e]) => window.run_bench(c, s, r, f, e),
    [k_count, k_seed, k_rounds, k_field, expected]);
  if (out.error) {
    console.error(`bench/sdk (chromium): ${out.error}`);
    code = 1;
  } else if (out.fingerprint !== fingerprint(expected)) {
    console.error('bench/sdk (chromium): the page checked against a different reference');
    code = 1;
  } else {
    const ua = out.user_agent.match(/Chrome\/[\d.]+/)?.[0] ?? out.user_agent;
    console.log(format_table(`SDK in headless Chromium (${ua}): ${k_count} e-mails, median of ${k_rounds} rounds`, out.results));
    const file = write_result('sdk-chromium', {
      bench: 'sdk', module: k_sdk_module, runtime: ua, count: k_count, rounds: k_rounds, seed: k_seed,
      machine, loadavg_at_end: (await import('node:os')).loadavg(), fingerprint: out.fingerprint,
      results: out.results,
    });
    console.error(`[sdk/chromium] wrote ${file}`);
  }
} catch (e) {
  console.error(`bench/sdk (chromium): ${e.message}`);
  code = 1;
} finally {
  if (context) await context.close();
  server.close();
  rmSync(user_data_dir, { recursive: true, force: true });
}
process.exit(code);
