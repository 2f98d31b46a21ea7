// Activation end to end (issues 14 and 16; docs/onboarding.md, "Activation"): the real gateway,
// an advertiser `shop`, a publisher `news` with fake webhook receivers on loopback, and a third
// tenant. The publisher activates a released match to its own webhook: the receiver gets exactly
// the publisher's hashed ids of the matched people, signed; a later opt-out sends that receiver a
// removal with them, and so does an opt-out at the advertiser; no advertiser-only digest and no plain e-mail is ever in a captured body;
// nobody else can activate the match; a match below the floor and a vendor-gated destination are
// refused.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { start_fake_destination } from '../lib/fake_destination.mjs';
import { verifyHashgate } from '../lib/webhook_verifier.mjs';
import { base_config, request, sha256_hex, start_gateway } from '../lib/gateway.mjs';

const k_secret = 'test-webhook-secret-0123456789';
const k_users = 30;    // people logged in at the publisher
const k_matched = 20;  // of them, in the advertiser's list

const user_em = (i) => sha256_hex(`user${i}@example.com`);
const user_ph = (i) => sha256_hex(`+316100000${String(i).padStart(2, '0')}`);
const crm_ph = (i) => sha256_hex(`+491700000${String(i).padStart(2, '0')}`);  // only the advertiser has it
const stranger_em = (i) => sha256_hex(`nobody${i}@example.com`);              // no user of the publisher

function tenant(id, role, destinations = []) {
  return {
    id, role, api_key_sha256: sha256_hex(`sk_${id}`), legal_basis: 'legitimate_interest', gpc: true,
    retention_days: 30, destinations,
  };
}

function hook(id, url, extra = {}) {
  return { id, kind: 'webhook', url, secret_env: 'HG_HOOK', timeout_ms: 5000, events: ['purchase'], ...extra };
}

function api(origin, key, method, pathname, body) {
  const headers = { authorization: `Bearer sk_${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return request(origin, method, pathname, { headers, body });
}

const activate = (origin, key, match_id, body) =>
  api(origin, key, 'POST', `/v1/matches/${match_id}/activate`, body);

/** Every e-mail and phone hash of the audience_add members received by `fake`. */
function received(fake) {
  const em = new Set();
  const ph = new Set();
  for (const r of fake.captured) {
    if (r.json?.type !== 'audience_add') continue;
    for (const m of r.json.members) {
      for (const v of m.ids.em) em.add(v);
      for (const v of m.ids.ph) ph.add(v);
    }
  }
  return { em, ph };
}

test('E2E activation: the publisher sends its own ids of a released match; opt-outs follow', async () => {
  const hook_n = await start_fake_destination();
  const hook_o = await start_fake_destination();
  const fakes = [hook_n, hook_o];
  const data_dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-act-'));
  const config = base_config({ data_dir });
  config.tenants = [
    tenant('shop', 'advertiser'),
    tenant('news', 'publisher', [hook('N1', hook_n.url), hook('N2', hook_n.url, { tcf_vendor_id: 89 })]),
    tenant('other', 'publisher', [hook('O1', hook_o.url)]),
  ];
  config.agreements = [
    { id: 'shop-news', advertiser: 'shop', publisher: 'news', purpose: 'Offers to customers',
      legal_basis: 'legitimate_interest', min_audience: 10, expires: '2099-01-01' },
    { id: 'shop-news-big', advertiser: 'shop', publisher: 'news', purpose: 'Offers to customers',
      legal_basis: 'legitimate_interest', min_audience: 1000, expires: '2099-01-01' },
  ];
  const gw = await start_gateway(config, { env: { HG_HOOK: k_secret } });
  try {
    // The publisher's logins (server side: online ids name the person) build its graph.
    const now = Math.floor(Date.now() / 1000);
    const logins = Array.from({ length: k_users }, (_, i) => ({
      event_id: `login-${i}`, type: 'login', time: now, ids: { em: user_em(i), ph: user_ph(i) },
      online_ids: { pixel: `px-${i}` },
    }));
    let r = await api(gw.origin, 'news', 'POST', '/v1/events', { events: logins });
    assert.equal(r.status, 202, r.body);
    const add = [];
    for (let i = 0; i < k_matched; ++i) add.push({ em: user_em(i), ph: crm_ph(i) });
    for (let i = 0; i < 15; ++i) add.push({ em: stranger_em(i) });
    r = await api(gw.origin, 'shop', 'POST', '/v1/audiences/crm/members', { add });
    assert.equal(r.status, 200, r.body);
    r = await api(gw.origin, 'shop', 'POST', '/v1/matches', { audience: 'crm', agreement: 'shop-news' });
    assert.equal(r.status, 201, r.body);
    const match = JSON.parse(r.body);
    assert.equal(match.status, 'released');
    r = await api(gw.origin, 'shop', 'POST', '/v1/matches', { audience: 'crm', agreement: 'shop-news-big' });
    const small = JSON.parse(r.body);
    assert.equal(small.status, 'below_threshold', r.body);

    // Nobody but the match's publisher, for one of its own destinations without a vendor gate.
    for (const [key, id, body, status, reason] of [
      ['other', match.match_id, { destination: 'O1' }, 404, 'unknown_match'],
      ['shop', match.match_id, { destination: 'N1' }, 404, 'unknown_match'],
      ['news', 'm_00000000000000000000000000000000', { destination: 'N1' }, 404, 'unknown_match'],
      ['news', match.match_id, { destination: 'O1' }, 404, 'unknown_destination'],
      ['news', match.match_id, { destination: 'N2' }, 409, 'consent_gated_destination'],
      ['news', small.match_id, { destination: 'N1' }, 409, 'below_threshold'],
      ['news', match.match_id, { destination: 'N1', extra: 1 }, 400, 'invalid_body'],
    ]) {
      const a = await activate(gw.origin, key, id, body);
      assert.equal(a.status, status, `${key} ${JSON.stringify(body)}: ${a.body}`);
      assert.equal(JSON.parse(a.body).error, reason, a.body);
    }

    r = await activate(gw.origin, 'news', match.match_id, { destination: 'N1' });
    assert.equal(r.status, 202, r.body);
    const queued = JSON.parse(r.body);
    assert.equal(queued.status, 'queued');
    assert.equal(queued.persons, k_matched);
    assert.equal(queued.batches, 1);
    await hook_n.wait_for(() => received(hook_n).em.size >= k_matched, 'the audience at N1');
    const got = received(hook_n);
    assert.deepEqual([...got.em].sort(), Array.from({ length: k_matched }, (_, i) => user_em(i)).sort());
    assert.deepEqual([...got.ph].sort(), Array.from({ length: k_matched }, (_, i) => user_ph(i)).sort());
    for (const c of hook_n.captured.filter((x) => x.json?.type === 'audience_add')) {
      assert.ok(verifyHashgate(k_secret, c.headers['hashgate-signature'], c.raw), 'signature');
      assert.ok(!verifyHashgate('another-secret-0123456789', c.headers['hashgate-signature'], c.raw));
      assert.deepEqual(Object.keys(c.json), ['type', 'tenant', 'destination', 'match_id', 'members']);
      assert.equal(c.json.tenant, 'news');
      assert.equal(c.json.destination, 'N1');
      assert.equal(c.json.match_id, match.match_id);
      assert.match(c.headers['idempotency-key'], /^[0-9a-f]{32}$/);
    }

    // Again: nothing new is queued; the answer names the first activation.
    r = await activate(gw.origin, 'news', match.match_id, { destination: 'N1' });
    assert.equal(r.status, 202, r.body);
    assert.equal(JSON.parse(r.body).status, 'already_activated');
    assert.equal(JSON.parse(r.body).persons, k_matched);

    // A later opt-out at the publisher reaches N1 with the ids it received.
    r = await api(gw.origin, 'news', 'POST', '/v1/optout', { ids: { em: user_em(3) } });
    assert.equal(r.status, 200, r.body);
    const removal = () => hook_n.captured.find((c) => c.json?.type === 'optout');
    await hook_n.wait_for(removal, 'the removal at N1');
    const msg = removal();
    assert.ok(verifyHashgate(k_secret, msg.headers['hashgate-signature'], msg.raw));
    assert.deepEqual(msg.json.ids.em, [user_em(3)]);
    assert.deepEqual(msg.json.ids.ph, [user_ph(3)]);

    // An opt-out at the advertiser (its CRM unsubscribe) takes the person out of the activated
    // audience too: a removal to N1 with the publisher's ids of that person.
    r = await api(gw.origin, 'shop', 'POST', '/v1/optout', { ids: { em: user_em(7) } });
    assert.equal(r.status, 200, r.body);
    const second = () => hook_n.captured.find((c) => c.json?.type === 'optout' && c.json.ids.em.includes(user_em(7)));
    await hook_n.wait_for(second, 'the advertiser-side removal at N1');
    assert.ok(verifyHashgate(k_secret, second().headers['hashgate-signature'], second().raw));
    assert.deepEqual(second().json.ids.ph, [user_ph(7)]);

    // Audited in both logs: the publisher with counts, the advertiser without.
    const audit = async (key) => (await api(gw.origin, key, 'GET', '/v1/audit?since=0')).body
      .split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.action === 'match_activate');
    const news_log = await audit('news');
    assert.equal(news_log.length, 1);
    assert.equal(news_log[0].detail.persons, k_matched);
    assert.deepEqual((await audit('shop')).map((e) => e.detail), [{ match_id: match.match_id }]);

    // What never leaves: the advertiser's own phones, its members who are no users, plain e-mails.
    const bodies = fakes.flatMap((f) => f.captured.map((c) => c.raw.toString('utf8'))).join('\n');
    for (let i = 0; i < k_matched; ++i) assert.ok(!bodies.includes(crm_ph(i)), 'an advertiser phone');
    for (let i = 0; i < 15; ++i) assert.ok(!bodies.includes(stranger_em(i)), 'a non-user member');
    for (let i = k_matched; i < k_users; ++i) assert.ok(!bodies.includes(user_em(i)), 'an unmatched user');
    assert.ok(!/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/.test(bodies), 'a plain e-mail');
    assert.equal(hook_o.captured.length, 0);
  } finally {
    await gw.stop();
    for (const f of fakes) await f.close();
    fs.rmSync(data_dir, { recursive: true, force: true });
  }
});
