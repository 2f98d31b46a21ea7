// TLS (issue 7, part 5): an HTTPS listener with a self-signed certificate made in the test; TLS 1.2+
// only; HSTS on every answer; cookies marked Secure.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { test } from 'node:test';

import { base_config, start_gateway } from '../lib/gateway.mjs';

function make_cert(dir) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key, cert };
}

function https_get(port, pathname, ca, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: pathname, method: 'GET', ca, headers }, (res) => {
      const protocol = res.socket.getProtocol();
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), protocol }));
    });
    req.on('error', reject);
    req.end();
  });
}

function handshake(port, options) {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      const v = s.getProtocol();
      s.destroy();
      resolve({ ok: true, version: v });
    });
    s.on('error', (e) => resolve({ ok: false, error: e.code || e.message }));
  });
}

test('Reliability: HTTPS with TLS 1.2+ only, HSTS and Secure cookies', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-tls-'));
  const { key, cert } = make_cert(dir);
  const data_dir = path.join(dir, 'data');
  const origin = 'https://127.0.0.1';
  const gw_cfg = base_config({ data_dir, origin, tls: { cert, key }, cookies: { secure: 'auto' } });
  let gw;
  try {
    // start_gateway probes /healthz over plain HTTP; a TLS listener refuses that, so probe ourselves.
    gw = await start_gateway(gw_cfg, { health_check: false });
    const ca = fs.readFileSync(cert);
    const health = await https_get(gw.port, '/healthz', ca);
    assert.equal(health.status, 200);
    assert.match(String(health.headers['strict-transport-security']), /max-age=\d+/);
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes(health.protocol), health.protocol);

    const optout = await https_get(gw.port, '/v1/optout?site_key=pk_test', ca, { origin, accept: 'application/json' });
    const cookies = [].concat(optout.headers['set-cookie'] || []);
    assert.ok(cookies.some((c) => /^hg_optout=1/.test(c)), `opt-out sets hg_optout: ${JSON.stringify(cookies)}`);
    for (const c of cookies) assert.match(c, /;\s*Secure/i, `cookie without Secure over TLS: ${c}`);

    // Old protocol versions are refused even when the client offers them (SECLEVEL=0 so that the
    // client side's own OpenSSL policy is not what refuses).
    for (const v of ['TLSv1', 'TLSv1.1']) {
      const r = await handshake(gw.port, { minVersion: v, maxVersion: v, ciphers: 'DEFAULT@SECLEVEL=0' });
      assert.equal(r.ok, false, `${v} handshake must fail, got ${JSON.stringify(r)}`);
    }
    const modern = await handshake(gw.port, { minVersion: 'TLSv1.2' });
    assert.equal(modern.ok, true, JSON.stringify(modern));
  } finally {
    if (gw) await gw.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
