// Overload and slow clients (issue 7, part 4): 503 + Retry-After above the write queue's
// high-water mark with recovery afterwards; slowloris connections do not starve normal clients;
// header timeouts close stalled connections; the connection cap holds.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { base_config, k_patience_ms, make_event, post_events, request, start_gateway } from '../lib/gateway.mjs';

function temp_dir(tag) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hg-${tag}-`));
}

/** Opens a TCP connection to the gateway; resolves once connected. */
function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** Resolves when the socket is closed by the peer (or errors), with the time it took. */
function closed(sock) {
  const t0 = Date.now();
  return new Promise((resolve) => {
    sock.on('close', () => resolve(Date.now() - t0));
    sock.on('error', () => {});
    sock.resume();
  });
}

test('Reliability: above the queue high-water mark the gateway answers 503 + Retry-After, then recovers', async () => {
  const data_dir = temp_dir('overload');
  const gw = await start_gateway(base_config({ data_dir, store: { data_dir, durability: 'extra', queue_high_water: 1 } }));
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    let n = 0;
    const statuses = new Map();
    let retry_after = null;
    // A request is refused while another one's events wait for the writer (queue_high_water 1),
    // so a burst of 64 concurrent requests gets 503s; bursts repeat until one has.
    for (let burst = 0; burst < 50 && !statuses.get(503); ++burst) {
      const reqs = Array.from({ length: 64 }, () => {
        const events = Array.from({ length: 200 }, () => make_event(`ov-${n++}`, n));
        return post_events(gw.origin, events, { agent }).then((r) => {
          statuses.set(r.status, (statuses.get(r.status) || 0) + 1);
          if (r.status === 503) retry_after = r.headers['retry-after'];
        });
      });
      await Promise.all(reqs);
    }
    console.log('overload: statuses', JSON.stringify([...statuses]));
    assert.ok(statuses.get(503) > 0, 'a burst above the high-water mark must get 503');
    assert.match(String(retry_after), /^\d+$/, 'a 503 carries Retry-After in seconds');
    for (const code of statuses.keys()) assert.ok(code === 202 || code === 503, `unexpected status ${code}`);
    // Load dropped: a single request is accepted again. No wait needed: the queue counts only
    // events the writer has not taken yet, and every burst request has been answered.
    const r = await post_events(gw.origin, [make_event('ov-after', 1)], { agent });
    assert.equal(r.status, 202, r.body);
    agent.destroy();
  } finally {
    await gw.stop();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});

test('Reliability: hundreds of slowloris connections do not starve normal clients', async () => {
  const data_dir = temp_dir('slowloris');
  const gw = await start_gateway(base_config({ data_dir, timeouts: { header_ms: 2000, read_ms: 5000, idle_ms: 5000 } }));
  const slow = [];
  try {
    // 300 connections that send a request line and then dribble one header byte at a time.
    for (let i = 0; i < 300; ++i) {
      const s = await connect(gw.port);
      s.on('error', () => {});
      s.write('POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      slow.push(s);
    }
    const drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write('a'); }, 500);
    let ok = 0;
    try {
      for (let i = 0; i < 50; ++i) {
        const r = await post_events(gw.origin, [make_event(`slow-${i}`, i)]);
        if (r.status === 202) ok += 1;
      }
    } finally {
      clearInterval(drip);
    }
    console.log(`slowloris: ${ok}/50 normal requests served while 300 slow connections hung`);
    assert.equal(ok, 50);
  } finally {
    for (const s of slow) s.destroy();
    await gw.stop();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});

test('Reliability: a connection that never completes its headers is closed by the header timeout', async () => {
  const data_dir = temp_dir('timeout');
  const gw = await start_gateway(base_config({ data_dir, timeouts: { header_ms: 500, read_ms: 1000, idle_ms: 1000 } }));
  try {
    const s = await connect(gw.port);
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');  // no blank line: headers never end
    const done = closed(s);
    const waited = await Promise.race([done, sleep(k_patience_ms, -1, { ref: false })]);
    assert.notEqual(waited, -1, 'the gateway left a stalled connection open');
    // An idle keep-alive connection is closed too.
    const idle = await connect(gw.port);
    const idle_done = closed(idle);
    assert.notEqual(await Promise.race([idle_done, sleep(k_patience_ms, -1, { ref: false })]), -1, 'idle connection kept open');
    // The server still serves.
    assert.equal((await request(gw.origin, 'GET', '/healthz')).status, 200);
  } finally {
    await gw.stop();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});

/** GET /healthz over an open keep-alive socket; resolves with the status line's code. */
function healthz_on(sock) {
  return new Promise((resolve, reject) => {
    let text = '';
    const on_data = (d) => {
      text += d;
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1] || 0);
      if (text.length < end + 4 + length) return;
      sock.off('data', on_data);
      resolve(Number(text.slice(9, 12)));
    };
    sock.on('data', on_data);
    sock.once('error', reject);
    sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
}

test('Reliability: the connection cap refuses connections above it and recovers below it', async () => {
  const data_dir = temp_dir('cap');
  // Held connections must not time out while the test runs, however slow the machine.
  const long = { header_ms: k_patience_ms, read_ms: k_patience_ms, idle_ms: k_patience_ms };
  const gw = await start_gateway(base_config({ data_dir, limits: { max_connections: 20 }, timeouts: long }));
  const held = [];
  try {
    for (let i = 0; i < 19; ++i) held.push(await connect(gw.port));
    // The 20th is answered over its own connection: the gateway accepts in arrival order, so once
    // it has answered, all 20 are its connections (no sleep hoping the accepts have happened).
    const last = await connect(gw.port);
    held.push(last);
    assert.equal(await healthz_on(last), 200);
    // The 21st connection gets no service: it is closed or its request fails.
    const extra = await request(gw.origin, 'GET', '/healthz', { timeout_ms: 3000 }).then((r) => r.status, () => 'refused');
    assert.ok(extra === 'refused' || extra === 503, `above the cap the gateway answered ${extra}`);
    for (const s of held.splice(0)) s.destroy();
    // Service resumes once the gateway has seen the closes: retried until it answers 200 (each
    // try is answered at once, 503 or 200), within the suites' deadline.
    let status = 0;
    for (const deadline = Date.now() + k_patience_ms; status !== 200 && Date.now() < deadline;) {
      status = await request(gw.origin, 'GET', '/healthz').then((r) => r.status, () => 'refused');
      if (status !== 200) await sleep(50);
    }
    assert.equal(status, 200, 'service resumes below the cap');
  } finally {
    for (const s of held) s.destroy();
    await gw.stop();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});
