// Matched-audience demo (issue 14): a reader signs in to the publisher (e-mail hashed in the page),
// simulated readers sign in, the advertiser uploads a hashed customer list, matches it under the
// demo agreement, and the publisher exports its own identifiers of the matched readers. Every
// address is hashed here; only hashes leave the page. The API keys are the demo's (see
// examples/config/gateway.json): a real advertiser or publisher calls these routes from a server.
import { load_instance, show_privacy_state, set_outcome, try_hash } from '/demo/common.js';

const k_shop_key = 'sk_shop_demo';
const k_news_key = 'sk_news_demo';
const k_audience = 'demo-customers';
const k_agreement = 'shop-news-demo';
const $ = (id) => document.getElementById(id);
let hg = null;
let my_em = '';  // the hash of the signed-in address, never the address
let match_id = '';

/** Letters for a number, so an online id is never read as a phone number. */
const letters = (i) => String(i).replace(/\d/g, (d) => 'abcdefghij'[d]);

/** Calls the gateway's API with `key`; returns {status, body} (body parsed when JSON). */
async function api(key, method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* NDJSON or text */ }
  return { status: res.status, body: parsed, text };
}

/** Marks one more finished step on the body, for tests. */
function step_done(name) {
  document.body.dataset[name] = String(Number(document.body.dataset[name] || 0) + 1);
}

async function on_login(event) {
  event.preventDefault();
  const input = $('email');
  const em = try_hash(hg, 'em', input.value, { profile: 'meta' });
  if (!em.hash) {
    set_outcome($('login-outcome'), 'error', `Please enter a valid e-mail address (${em.error}).`);
    return;
  }
  my_em = em.hash;
  const result = await hg.send('login', { email: input.value });
  input.value = '';
  const ok = result && result.sent !== false && result.status === 202;
  set_outcome($('login-outcome'), ok ? 'ok' : 'blocked',
    ok ? `Signed in as ${my_em.slice(0, 12)}… (hash)` : `Not stored (${result && (result.reason || result.status)})`);
  step_done('login');
}

async function on_readers() {
  const emails = Array.from({ length: 30 }, (_, i) => `reader${i + 1}@example.com`);
  const hashes = hg.hashBatch(emails, { field: 'em', profile: 'meta' });
  const events = hashes.map((h, i) => ({
    event_id: `demo-reader-${i + 1}`, type: 'login', ids: { em: h }, online_ids: { ppid: `reader-${letters(i + 1)}` },
  }));
  const r = await api(k_news_key, 'POST', '/v1/events', { events });
  set_outcome($('readers-outcome'), r.status === 202 ? 'ok' : 'error',
    r.status === 202 ? `30 readers signed in (accepted ${r.body.accepted}).` : `HTTP ${r.status}`);
  step_done('readers');
}

async function on_upload() {
  const lines = $('crm').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const hashes = hg.hashBatch(lines, { field: 'em', profile: 'meta' }).filter(Boolean);
  if (my_em) hashes.push(my_em);
  const add = hashes.map((h) => ({ em: h }));
  const r = await api(k_shop_key, 'POST', `/v1/audiences/${k_audience}/members`, { add });
  set_outcome($('upload-outcome'), r.status === 200 ? 'ok' : 'error', r.status === 200
    ? `Uploaded: added ${r.body.added}, audience ${r.body.members} members, opted out ${r.body.dropped.opted_out}.`
    : `HTTP ${r.status}: ${r.body.error || ''}`);
  step_done('upload');
}

async function on_match() {
  const r = await api(k_shop_key, 'POST', '/v1/matches', { audience: k_audience, agreement: k_agreement });
  if (r.status === 200 || r.status === 201) {
    match_id = r.body.match_id;
    const count = r.body.matched === null ? 'below the floor (nothing released)' : `${r.body.matched} readers`;
    set_outcome($('match-outcome'), 'ok', `Match ${r.body.status}: ${count} of ${r.body.audience_members} customers.`);
  } else {
    set_outcome($('match-outcome'), 'error', `HTTP ${r.status}: ${r.body.error || ''}`);
  }
  $('match-outcome').dataset.matched = r.body && r.body.matched !== undefined ? String(r.body.matched) : '';
  step_done('match');
}

async function on_export() {
  if (!match_id) {
    set_outcome($('export-outcome'), 'error', 'Match first.');
    return;
  }
  const r = await api(k_news_key, 'GET', `/v1/matches/${match_id}/export?limit=1000`);
  const lines = r.status === 200 ? r.text.split('\n').filter(Boolean) : [];
  $('export-lines').textContent = lines.join('\n');
  set_outcome($('export-outcome'), r.status === 200 ? 'ok' : 'error',
    r.status === 200 ? `${lines.length} matched readers (the publisher's own ids).` : `HTTP ${r.status}`);
  $('export-outcome').dataset.lines = String(lines.length);
  step_done('export');
}

async function init() {
  $('crm').value = Array.from({ length: 20 }, (_, i) => `Reader${i + 1}@Example.com`)
    .concat(['customer.a@example.org', 'customer.b@example.org']).join('\n');
  try {
    hg = await load_instance({ profile: 'meta' });
    $('load-state').textContent = 'hashgate loaded: hashing happens in this page.';
    for (const id of ['signin', 'readers', 'upload', 'match', 'export']) $(id).disabled = false;
    document.body.dataset.ready = 'true';
  } catch (err) {
    $('load-state').textContent = `hashgate failed to load: ${err.message}`;
    document.body.dataset.ready = 'error';
  }
  await show_privacy_state(hg);
}

$('login-form').addEventListener('submit', on_login);
$('readers').addEventListener('click', on_readers);
$('upload').addEventListener('click', on_upload);
$('match').addEventListener('click', on_match);
$('export').addEventListener('click', on_export);
init();
