// Starts the real build/bin/hashgate-gateway for Node test suites: a temp data dir, a config given
// as an object, an ephemeral port learned through --port-file, and helpers to talk to it over
// loopback. Used by tests/reliability (and usable by any suite that needs a live gateway).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const k_root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const k_bin_dir = path.resolve(process.env.HASHGATE_BIN_DIR || path.join(k_root, 'build/bin'));
export const k_gateway_bin = path.join(k_bin_dir, 'hashgate-gateway');

/**
 * Deadline of every wait for a condition in these suites (start-up, drain, a count reached).
 * Generous on purpose: the waits end as soon as the condition holds, so the deadline only
 * matters on a machine too loaded to get there at all, and no assertion depends on speed.
 */
export const k_patience_ms = 120000;

/** Lowercase hex SHA-256 of a string, computed with node:crypto. */
export function sha256_hex(s) {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** A one-tenant config (tenant `t1`, API key `sk_test`, site key `pk_test` for `origin`). */
export function base_config({ data_dir, origin = 'http://127.0.0.1', ...overrides } = {}) {
  const cfg = {
    listen: { address: '127.0.0.1', port: 0 },
    threads: 2,
    store: { data_dir, durability: 'full' },
    static: { sdk_root: path.join(k_root, 'web/dist'), demo_root: path.join(k_root, 'web/demo') },
    tenants: [{
      id: 't1',
      site_keys: [{ key: 'pk_test', allowed_origins: [origin] }],
      api_key_sha256: sha256_hex('sk_test'),
      legal_basis: 'legitimate_interest',
      gpc: true,
      retention_days: 30,
    }],
  };
  for (const [k, v] of Object.entries(overrides)) {
    cfg[k] = v && typeof v === 'object' && !Array.isArray(v) ? { ...(cfg[k] || {}), ...v } : v;
  }
  return cfg;
}

/**
 * Starts the gateway with `config` (its store.data_dir is created if missing) and the extra
 * command-line `args` (e.g. ['--sink']). Returns
 * {port, origin, config_file, stop(), kill9(), output(), exited(), wait_exit()}.
 */
export async function start_gateway(config, { env = {}, timeout_ms = k_patience_ms, health_check = true, args = [] } = {}) {
  if (!fs.existsSync(k_gateway_bin)) throw new Error(`missing ${k_gateway_bin}: run "make build"`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-gw-'));
  if (config.store?.data_dir) fs.mkdirSync(config.store.data_dir, { recursive: true });
  const config_file = path.join(tmp, 'gateway.json');
  const port_file = path.join(tmp, 'port');
  fs.writeFileSync(config_file, JSON.stringify(config, null, 2));
  const child = spawn(k_gateway_bin, ['--config', config_file, '--port-file', port_file, ...args], {
    cwd: k_root,
    env: { ...process.env, HASHGATE_PORT: '', HASHGATE_DATA_DIR: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  let exit_info = null;
  const exit_promise = new Promise((resolve) => child.on('exit', (code, signal) => {
    exit_info = { code, signal };
    resolve(exit_info);
  }));

  const deadline = Date.now() + timeout_ms;
  let port = 0;
  while (!port) {
    if (exit_info) throw new Error(`gateway exited (${JSON.stringify(exit_info)}):\n${out}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`gateway did not start:\n${out}`); }
    try { port = Number(fs.readFileSync(port_file, 'utf8').trim()) || 0; } catch { /* not yet */ }
    if (!port) await sleep(50);
  }
  const origin = `http://127.0.0.1:${port}`;
  while (health_check && (await request(origin, 'GET', '/healthz').catch(() => ({ status: 0 }))).status !== 200) {
    if (exit_info || Date.now() > deadline) throw new Error(`gateway not healthy:\n${out}`);
    await sleep(50);
  }
  return {
    port,
    origin,
    config_file,
    output: () => out,
    exited: () => exit_info,
    /** Resolves {code, signal} when the process exits (on its own or not). */
    wait_exit: () => exit_promise,
    /** SIGTERM and wait for the drain to end (SIGKILL only after k_patience_ms). */
    async stop() {
      if (exit_info) return exit_info;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), k_patience_ms);
      const r = await exit_promise;
      clearTimeout(t);
      return r;
    },
    /** kill -9, as a crash would. */
    async kill9() {
      if (!exit_info) child.kill('SIGKILL');
      return exit_promise;
    },
  };
}

/**
 * A promise that resolves when `check()` (called on every `notify()`) first returns true, or
 * rejects with `what` after k_patience_ms: explicit synchronisation between the test and its
 * own clients, not a sleep.
 */
export function condition(check, what) {
  let resolve;
  let reject;
  const done = new Promise((res, rej) => { resolve = res; reject = rej; });
  const timer = setTimeout(() => reject(new Error(`gave up after ${k_patience_ms} ms waiting for ${what}`)), k_patience_ms);
  timer.unref();  // keeps nothing alive once the test is over
  const notify = () => {
    if (check()) {
      clearTimeout(timer);
      resolve();
    }
  };
  return { done, notify };
}

/**
 * One HTTP/1.1 request over loopback. Resolves {status, headers, body}; rejects on socket errors.
 * `agent` may be a keep-alive http.Agent; by default each request has its own connection.
 */
export function request(origin, method, pathname, { headers = {}, body, agent = false, timeout_ms = k_patience_ms } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${origin}${pathname}`, { method, headers, agent, timeout: timeout_ms }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

/** A valid event with a unique id and a hashed e-mail derived from `n`. */
export function make_event(event_id, n = 0) {
  return {
    event_id,
    type: 'purchase',
    time: Math.floor(Date.now() / 1000),
    ids: { em: sha256_hex(`customer${n}@example.com`) },
    custom: { value: 10 + (n % 90), currency: 'EUR' },
  };
}

/** POSTs events with the API key of base_config(). */
export function post_events(origin, events, { agent, api_key = 'sk_test' } = {}) {
  return request(origin, 'POST', '/v1/events', {
    agent,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${api_key}` },
    body: { events },
  });
}

/** Every exported event of the API key's tenant, as parsed NDJSON lines (pages through `limit`). */
export async function export_all(origin, { api_key = 'sk_test', limit = 100000 } = {}) {
  const r = await request(origin, 'GET', `/v1/events/export?since=0&limit=${limit}`, {
    headers: { authorization: `Bearer ${api_key}` },
  });
  if (r.status !== 200) throw new Error(`export answered ${r.status}: ${r.body.slice(0, 200)}`);
  return r.body.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}
