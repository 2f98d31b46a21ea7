// Start-up of the benchmark peers and the wrk driver, shared by bench/gateway/run.mjs,
// bench/gateway/kafka.mjs and bench/deliver/ingest.mjs: children with their output in a log file,
// free loopback ports, nginx (`return 204`) and the fastify peer (fastify_server.mjs), and wrk
// posting bench/gateway/events.lua events.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const k_here = dirname(fileURLToPath(import.meta.url));
/** The repository root; children run there. */
export const k_root = resolve(k_here, '../..');

/** A TCP port free on 127.0.0.1 at the time of the call. */
export async function free_port() {
  const srv = createServer();
  await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address();
  await new Promise((ok) => srv.close(ok));
  return port;
}

/** Resolves once 127.0.0.1:`port` accepts a connection; throws if `child` exits or after `seconds`. */
export async function wait_port(port, child, seconds = 20) {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`exited with status ${child.exitCode} before listening`);
    const up = await new Promise((ok) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); ok(true); });
      s.on('error', () => ok(false));
    });
    if (up) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`not listening on 127.0.0.1:${port} after ${seconds}s`);
}

/**
 * Spawns `cmd args` in the repository root (spawn `opts` override) with stdout and stderr in
 * `tmp`/`name`.log; returns {child, log(), stop()}. A file, not a pipe: a pipe would fill up (and
 * stall the child) while spawnSync(wrk) blocks our event loop. stop() sends SIGTERM, SIGKILL
 * after 10 s.
 */
export function spawn_logged(tmp, name, cmd, args, opts = {}) {
  const log_file = join(tmp, `${name}.log`);
  const fd = openSync(log_file, 'w');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], cwd: k_root, ...opts });
  closeSync(fd);
  const exited = new Promise((ok) => child.on('exit', ok));
  return {
    child,
    log: () => readFileSync(log_file, 'utf8').slice(-2000),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * spawn_logged, then waits until the child listens on `port`; returns {child, port, log(), stop()}.
 * On failure the child is stopped and the error names `name` and carries its log tail.
 */
export async function start_listening(tmp, name, port, cmd, args, opts = {}) {
  const t = spawn_logged(tmp, name, cmd, args, opts);
  try {
    await wait_port(port, t.child);
  } catch (e) {
    await t.stop();
    throw new Error(`${name}: ${e.message}\n${t.log()}`);
  }
  return { ...t, port };
}

/** nginx.conf for a foreground nginx under `prefix` answering 204 to everything on `port`. */
function nginx_conf(prefix, port) {
  const t = (d) => join(prefix, d);
  return `daemon off;
worker_processes auto;
pid ${t('nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${t('body')}; proxy_temp_path ${t('proxy')};
  fastcgi_temp_path ${t('fastcgi')}; uwsgi_temp_path ${t('uwsgi')}; scgi_temp_path ${t('scgi')};
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location / { return 204; }
  }
}
`;
}

/** Starts peer `name` ('nginx' or 'fastify') on a free loopback port; {child, port, log(), stop()}. */
export async function start_peer(name, tmp) {
  const port = await free_port();
  if (name === 'nginx') {
    const prefix = join(tmp, 'nginx');
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const conf = join(prefix, 'nginx.conf');
    writeFileSync(conf, nginx_conf(prefix, port));
    return start_listening(tmp, name, port, 'nginx', ['-e', 'stderr', '-p', prefix, '-c', conf]);
  }
  if (name === 'fastify') {
    return start_listening(tmp, name, port, process.execPath, [join(k_here, 'fastify_server.mjs')],
      { env: { ...process.env, PORT: String(port) } });
  }
  throw new Error(`unknown peer '${name}'`);
}

/**
 * Runs wrk with events.lua against POST /v1/events on 127.0.0.1:`port`: `per_request` events a
 * request, Bearer `key`, --timeout 5s (--latency unless `latency` is false); `timeout_ms` bounds
 * the whole run. Returns wrk's WRKJSON figures plus seconds, errors (non-2xx + socket), per_request,
 * req_per_s, events_per_s (2xx requests × per_request) and the command line as args.
 */
export function wrk_events(port, { threads, connections, duration, per_request, key, latency = true,
  timeout_ms = 120000 }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${duration}`, '--timeout', '5s',
    ...(latency ? ['--latency'] : []), '-s', join(k_here, 'events.lua'),
    `http://127.0.0.1:${port}/v1/events`, '--', String(per_request), key];
  const nonce = String(Date.now() % 1e9 + Math.floor(Math.random() * 1e6));
  const r = spawnSync('wrk', args, { env: { ...process.env, BENCH_NONCE: nonce }, encoding: 'utf8',
    timeout: timeout_ms });
  const line = (r.stdout || '').split('\n').find((l) => l.startsWith('WRKJSON '));
  if (r.status !== 0 || !line) throw new Error(`wrk failed (status ${r.status}): ${r.stderr}${r.stdout}`);
  const s = JSON.parse(line.slice(8));
  const seconds = s.duration_us / 1e6;
  const errors = s.non2xx + s.connect + s.read + s.write + s.timeout;
  return {
    ...s, seconds, errors, per_request,
    req_per_s: s.requests / seconds,
    events_per_s: ((s.requests - s.non2xx) * per_request) / seconds,
    args: `wrk ${args.join(' ')}`,
  };
}
