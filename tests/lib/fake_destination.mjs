// A fake destination for the destination suites (issue 16): a webhook receiver on loopback that
// records every request (headers, raw body bytes, parsed JSON, arrival time) and answers what the
// test tells it to. It can go down (connection refused) and come back on the same port.
import http from 'node:http';

import { condition } from './gateway.mjs';

/**
 * Starts a receiver. Returns {url, captured, respond(fn), down(), up(), wait_for(check, what),
 * close()}. `respond(fn)`: fn(request record) → {status, headers?, body?}, or null to leave the
 * request unanswered; default 200.
 */
export async function start_fake_destination() {
  const captured = [];
  const waits = new Set();
  let responder = () => ({ status: 200 });
  const sockets = new Set();
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let json = null;
      try { json = JSON.parse(raw.toString('utf8')); } catch { /* kept raw */ }
      const rec = { at: Date.now(), method: req.method, url: req.url, headers: req.headers, raw, json };
      captured.push(rec);
      const r = responder(rec);
      if (r !== null) {  // null: hold the answer (the request stays in flight)
        res.writeHead(r.status, r.headers || {});
        res.end(r.body || '');
      }
      for (const w of waits) w.notify();
    });
  };
  let server = null;
  let port = 0;
  const listen = async () => {
    server = http.createServer(handler);
    server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    port = server.address().port;
  };
  await listen();
  const stop_listening = async () => {
    const s = server;
    server = null;
    if (!s) return;
    for (const sock of sockets) sock.destroy();
    await new Promise((resolve) => s.close(resolve));
  };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    captured,
    respond(fn) { responder = fn; },
    /** Stops listening: the gateway's next attempts are refused. */
    down: stop_listening,
    /** Listens again on the same port. */
    up: listen,
    /** Resolves once check() holds (checked now and after every request). */
    async wait_for(check, what) {
      const c = condition(check, what);
      waits.add(c);
      c.notify();
      try { await c.done; } finally { waits.delete(c); }
    },
    close: stop_listening,
  };
}
