// Audit trail over restarts (issue 5, part 5): every start-up is recorded with the config digest,
// a tenant's consent policy is recorded when it first appears and again only when it changes, and
// opt-outs and exports are recorded without any identifier in them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { base_config, make_event, post_events, request, sha256_hex, start_gateway } from '../lib/gateway.mjs';

async function audit(gw) {
  const r = await request(gw.origin, 'GET', '/v1/audit?since=0', { headers: { authorization: 'Bearer sk_test' } });
  assert.equal(r.status, 200, r.body);
  return r.body.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

async function run_once(config, body) {
  const gw = await start_gateway(config);
  try {
    return await body(gw);
  } finally {
    await gw.stop();
  }
}

test('E2E: audit log records start-ups, policy changes, opt-outs and exports without identifiers', async () => {
  const data_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-audit-'));
  const config = base_config({ data_dir });
  const em = sha256_hex('audit.person@example.com');
  try {
    await run_once(config, async (gw) => {
      assert.equal((await post_events(gw.origin, [make_event('a-1', 1)])).status, 202);
      const r = await request(gw.origin, 'POST', '/v1/optout', {
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk_test' },
        body: { ids: { em } },
      });
      assert.equal(r.status, 200, r.body);
      assert.equal((await request(gw.origin, 'GET', '/v1/events/export?since=0', { headers: { authorization: 'Bearer sk_test' } })).status, 200);
    });
    // Same config: a start-up entry, but no new policy entry.
    await run_once(config, async () => {});
    // Changed consent policy: recorded once more.
    config.tenants[0].legal_basis = 'consent';
    config.tenants[0].tcf = { vendor_id: 42, required_purposes: [1, 3] };
    const entries = await run_once(config, audit);

    const actions = entries.map((e) => e.action);
    assert.equal(actions.filter((a) => a === 'startup').length, 3, JSON.stringify(actions));
    const policies = entries.filter((e) => e.action === 'policy');
    assert.equal(policies.length, 2, JSON.stringify(actions));
    const detail = (e) => (typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail);
    assert.equal(detail(policies[0]).legal_basis, 'legitimate_interest');
    assert.equal(detail(policies[1]).legal_basis, 'consent');
    assert.deepEqual(detail(policies[1]).tcf.required_purposes, [1, 3]);
    assert.ok(actions.includes('optout'), JSON.stringify(actions));
    assert.ok(actions.includes('export'), JSON.stringify(actions));
    for (const e of entries) {
      const text = JSON.stringify(e);
      assert.ok(!text.includes(em), `audit entry holds a hashed identifier: ${e.action}`);
      assert.ok(!/audit\.person/.test(text));
    }
  } finally {
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});
