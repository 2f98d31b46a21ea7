// Shared harness of the Chromium tests: locates the built artefacts (failing loudly when one is
// missing), starts the real gateway binary on an ephemeral port with a temp data dir and a temp
// config derived from examples/config/gateway.json, drives Debian's Chromium through
// playwright-core, and records every request a page makes.
import { spawn, spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { k_patience_ms } from '../../lib/gateway.mjs';

export const k_root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const k_bin_dir = path.resolve(process.env.HASHGATE_BIN_DIR || path.join(k_root, 'build/bin'));
export const k_cli = path.join(k_bin_dir, 'hashgate');
export const k_gateway_bin = path.join(k_bin_dir, 'hashgate-gateway');
export const k_dist_dir = path.resolve(process.env.HASHGATE_DIST_DIR || path.join(k_root, 'web/dist'));
export const k_config = path.resolve(process.env.HASHGATE_CONFIG || path.join(k_root, 'examples/config/gateway.json'));
export const k_chromium = process.env.HASHGATE_CHROMIUM || '/usr/bin/chromium';
export const k_site_key = 'pk_demo';
export const k_api_key = 'sk_demo';
/** Where the gateway serves web/dist/ (must match web/demo/common.js k_dist_path). */
export const k_dist_url_path = '/sdk/';

const k_chromium_args = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Throws one clear error listing every artefact the browser tests need but cannot find. */
export function require_artifacts({ cli = false, gateway = true, web = true } = {}) {
  const missing = [];
  const need = (file, how) => { if (!fs.existsSync(file)) missing.push(`${path.relative(k_root, file) || file} (${how})`); };
  if (web) {
    need(path.join(k_dist_dir, 'hashgate.mjs'), 'run "make web"');
    need(path.join(k_dist_dir, 'hashgate.min.js'), 'run "make web"');
  }
  if (gateway) {
    need(k_gateway_bin, 'run "make build"');
    need(k_config, 'examples/config/gateway.json, written by the gateway module');
  }
  if (cli) need(k_cli, 'run "make build"');
  need(k_chromium, 'Debian package chromium, installed by scripts/deps.sh');
  if (missing.length) {
    throw new Error(`browser tests cannot run, missing artefacts:\n  - ${missing.join('\n  - ')}\n` +
      `(set HASHGATE_BIN_DIR to use binaries from another build folder)`);
  }
}

/** SHA-256 lowercase hex of a UTF-8 string, computed independently with node:crypto. */
export function sha256_hex(s) {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Runs the native CLI: `hashgate hash --profile P --field F [--region R] VALUE`. */
export function cli_hash(profile, field, value, { region = '', encoding = '' } = {}) {
  const args = ['hash', '--profile', profile, '--field', field];
  if (region) args.push('--region', region);
  if (encoding) args.push('--encoding', encoding);
  args.push('--', value);
  const r = spawnSync(k_cli, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

// Rewrites the example config for a test instance: every origin on 127.0.0.1/localhost becomes
// "self" (the test pages come from the gateway itself), the listen port becomes 0 (the kernel
// picks one; the gateway writes it to --port-file, so no port is guessed free beforehand), the
// data dir is `data_dir`; cookies drop `Secure` only if the config asks for it explicitly.
function derive_config(example, { data_dir }) {
  const origin = 'self';
  const port = 0;
  const host_re = /^(https?:\/\/)(127\.0\.0\.1|localhost)(:\d+)?\/?$/;
  const walk = (v, key) => {
    if (Array.isArray(v)) {
      const out = v.map((x) => walk(x, key));
      // An allowed-origins list also gets the exact test origin.
      if (out.some((x) => typeof x === 'string' && x === origin)) return [...new Set(out)];
      return out;
    }
    if (v && typeof v === 'object') {
      const o = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x, k);
      return o;
    }
    if (typeof v === 'string') {
      if (host_re.test(v)) return origin;
      if (/^(127\.0\.0\.1|localhost|0\.0\.0\.0):\d+$/.test(v)) return `127.0.0.1:${port}`;
      if (/^(data_dir|dataDir|data)$/i.test(key || '')) return data_dir;
      return v;
    }
    if (typeof v === 'number' && /^port$/i.test(key || '')) return port;
    return v;
  };
  return walk(example, '');
}

/**
 * Starts build/bin/hashgate-gateway on an ephemeral port with a temp data dir. Returns
 * {origin, port, data_dir, stop(), output()}; throws with the gateway's output when it exits
 * or does not answer /healthz within k_patience_ms.
 */
export async function start_gateway() {
  require_artifacts({ web: false, gateway: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-browser-gw-'));
  const data_dir = path.join(tmp, 'data');
  fs.mkdirSync(data_dir);
  const example = JSON.parse(fs.readFileSync(k_config, 'utf8'));
  const config_file = path.join(tmp, 'gateway.json');
  const port_file = path.join(tmp, 'port');
  fs.writeFileSync(config_file, JSON.stringify(derive_config(example, { data_dir }), null, 2));

  let output = '';
  const child = spawn(k_gateway_bin, ['--config', config_file, '--port-file', port_file], {
    cwd: k_root,
    env: { ...process.env, HASHGATE_PORT: '0', HASHGATE_DATA_DIR: data_dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });

  const stop = async () => {
    if (exited) return;
    const done = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const t = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, k_patience_ms);
    await done;
    clearTimeout(t);
    fs.rmSync(tmp, { recursive: true, force: true });
  };

  // Readiness: the port file appears once the socket listens, then /healthz answers (a wait for
  // a condition, ended early by an exit; not a timing assertion).
  let port = 0;
  let origin = '(no port yet)';
  for (const deadline = Date.now() + k_patience_ms; !exited && Date.now() < deadline; await sleep(50)) {
    if (!port) {
      try { port = Number(fs.readFileSync(port_file, 'utf8').trim()) || 0; } catch { /* not yet */ }
      if (!port) continue;
      origin = `http://127.0.0.1:${port}`;
    }
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.ok) return { origin, port, data_dir, config_file, stop, output: () => output };
    } catch { /* not answering yet */ }
  }
  await stop();
  throw new Error(`gateway did not become healthy on ${origin}` +
    (exited ? ` (exited with ${exited.code ?? exited.signal})` : '') + `; its output:\n${output}`);
}

/** Reads GET /v1/events/export?since=0 with the demo API key; returns {text, events}. */
export async function export_events(origin) {
  const res = await fetch(`${origin}/v1/events/export?since=0`, {
    headers: { Authorization: `Bearer ${k_api_key}` },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`export answered HTTP ${res.status}: ${text.slice(0, 300)}`);
  const events = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  return { text, events };
}

/** Launches Chromium with a fresh temp profile; returns {context, close()}. */
export async function launch_browser(options = {}) {
  const { chromium } = await import('playwright-core');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-browser-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: k_chromium,
    headless: true,
    args: k_chromium_args,
    viewport: { width: 1100, height: 900 },
    ...options,
  });
  // Every wait for the page (waitForFunction, waitForResponse, ...) ends when its condition
  // holds; the deadline only has to be generous enough for a loaded machine.
  context.setDefaultTimeout(k_patience_ms);
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Records every request made in `context` (all pages, workers, beacons): URL, method, all
 * headers, and the body. Returns {requests, settle()}; settle() waits for pending header reads.
 */
export function record_requests(context) {
  const requests = [];
  const pending = [];
  context.on('request', (req) => {
    const entry = { url: req.url(), method: req.method(), type: req.resourceType(), headers: req.headers(), body: '' };
    const buf = req.postDataBuffer();
    if (buf) entry.body = buf.toString('latin1');
    requests.push(entry);
    pending.push(req.allHeaders().then((h) => { entry.headers = h; }, () => {}));
  });
  return { requests, settle: () => Promise.all(pending) };
}

/**
 * Every form in which `raw` could leak: as-is, case-folded, encodeURIComponent, form encoding
 * (spaces as '+'), encodeURI, base64, and for phones its digits alone. Compared lowercase.
 */
export function leak_needles(raw, { phone = false } = {}) {
  const forms = new Set([raw, raw.trim()]);
  forms.add(encodeURIComponent(raw));
  forms.add(encodeURIComponent(raw).replace(/%20/g, '+'));
  forms.add(new URLSearchParams({ x: raw }).toString().slice(2));
  forms.add(encodeURI(raw));
  forms.add(Buffer.from(raw, 'utf8').toString('base64').replace(/=+$/, ''));
  forms.add(JSON.stringify(raw).slice(1, -1));
  if (phone) {
    const digits = raw.replace(/\D/g, '');
    forms.add(digits);
    // A national form without the trunk 0 is also the subscriber number.
    if (digits.startsWith('0')) forms.add(digits.slice(1));
    // The last 9 digits: the subscriber number without any country code or trunk prefix.
    if (digits.length > 9) forms.add(digits.slice(-9));
  }
  return [...forms].filter((f) => f.length >= 6).map((f) => f.toLowerCase());
}

/** Returns a list of "where" strings for every needle found in the recorded requests. */
export function find_leaks(requests, needles) {
  const hits = [];
  for (const r of requests) {
    const parts = [['url', r.url], ['body', r.body]];
    for (const [k, v] of Object.entries(r.headers || {})) parts.push([`header ${k}`, `${k}: ${v}`]);
    for (const [where, text] of parts) {
      const hay = String(text || '').toLowerCase();
      let decoded = hay;
      try { decoded = decodeURIComponent(hay.replace(/\+/g, ' ')); } catch { /* keep raw */ }
      for (const n of needles) {
        if (hay.includes(n) || decoded.includes(n)) hits.push(`${r.method} ${r.url.split('?')[0]} ${where} contains a form of the raw value (needle #${needles.indexOf(n)})`);
      }
    }
  }
  return hits;
}

/**
 * Registers the calling test file's before/after hooks: checks the artefacts (`cli` also needs the
 * native CLI), starts the gateway and, unless `browser` is false, Chromium; stops both afterwards.
 * Returns an object whose `gw` and `browser` are set once the `before` hook has run.
 */
export function use_gateway({ browser = true, cli = false } = {}) {
  const env = { gw: null, browser: null };
  before(async () => {
    require_artifacts({ cli });
    env.gw = await start_gateway();
    if (browser) env.browser = await launch_browser();
  });
  after(async () => {
    await env.browser?.close();
    await env.gw?.stop();
  });
  return env;
}
