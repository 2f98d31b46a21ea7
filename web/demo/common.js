// Shared helpers of the hashgate demo pages: locate and load the web package served by the
// gateway, show the privacy state (opt-out cookie, Global Privacy Control) and render results.
// Nothing here ever writes a raw e-mail address or phone number into the page or the console.

/** Reads a <meta name="hashgate-..."> setting of the page, or returns `fallback`. */
export function setting(name, fallback) {
  const el = document.querySelector(`meta[name="hashgate-${name}"]`);
  return el && el.content ? el.content : fallback;
}

/** Where the gateway serves web/dist/ (override per page with <meta name="hashgate-dist">). */
export const k_dist_path = setting('dist', '/sdk/');
/** The demo tenant's public site key (examples/config/gateway.json). */
export const k_site_key = setting('site-key', 'pk_demo');

let module_promise = null;

/** Imports hashgate.mjs once; rejects with a message telling how to build it when missing. */
export function import_hashgate() {
  if (!module_promise) {
    const url = new URL(`${k_dist_path}hashgate.mjs`, location.origin).href;
    module_promise = import(url).catch((err) => {
      module_promise = null;
      throw new Error(`could not load the web package from ${url} (run "make web"): ${err.message}`);
    });
  }
  return module_promise;
}

const instances = new Map();

/** Returns a loaded Hashgate instance for `profile` and default phone `region` (cached). */
export async function load_instance({ profile = 'meta', region = '' } = {}) {
  const key = `${profile}|${region}`;
  if (!instances.has(key)) {
    const { Hashgate } = await import_hashgate();
    const opts = { gateway: location.origin, siteKey: k_site_key, profile };
    if (region) opts.region = region;
    instances.set(key, Hashgate.load(opts).catch((err) => { instances.delete(key); throw err; }));
  }
  return instances.get(key);
}

/** True when the browser sends the Global Privacy Control signal. */
export function gpc_enabled() {
  return navigator.globalPrivacyControl === true;
}

/** Reads whether the (non-HttpOnly) hg_optout cookie is set in this browser. */
export function optout_cookie_set() {
  return document.cookie.split(';').some((c) => c.trim() === 'hg_optout=1');
}

/** Human explanation of a `reason` code returned by Hashgate#send when nothing was sent. */
export function explain_reason(reason) {
  const r = String(reason || '').toLowerCase();
  if (r.includes('gpc') || r.includes('privacy_control')) {
    return 'Global Privacy Control is on in this browser, so nothing was sent.';
  }
  if (r.includes('opt')) return 'You opted out (hg_optout cookie), so nothing was sent.';
  if (r.includes('consent')) return 'No consent for this purpose, so nothing was sent.';
  return 'Nothing was sent.';
}

/**
 * Fills the element #privacy-state with the opt-out state: cookie, GPC, and what the gateway
 * reports at GET /v1/optout/status. `hg` (optional) is a loaded Hashgate instance.
 */
export async function show_privacy_state(hg) {
  const box = document.getElementById('privacy-state');
  if (!box) return;
  let opted_out = optout_cookie_set();
  if (hg && typeof hg.isOptedOut === 'function') {
    try { opted_out = hg.isOptedOut() === true || opted_out; } catch { /* keep the cookie view */ }
  }
  const gpc = gpc_enabled();
  let server = 'unknown';
  try {
    const res = await fetch('/v1/optout/status', { credentials: 'same-origin', cache: 'no-store' });
    if (res.ok) {
      const body = await res.json().catch(() => null);
      if (body && typeof body === 'object') {
        const flag = body.opted_out ?? body.optedOut ?? body.optout;
        server = flag === undefined ? 'answered' : (flag ? 'opted out' : 'not opted out');
      }
    } else {
      server = `HTTP ${res.status}`;
    }
  } catch {
    server = 'unreachable';
  }
  const state = opted_out ? 'opted out' : (gpc ? 'Global Privacy Control on' : 'not opted out');
  box.dataset.optedOut = String(opted_out);
  box.dataset.gpc = String(gpc);
  box.closest('.privacy')?.classList.toggle('opted-out', opted_out || gpc);
  box.replaceChildren(
    line('State: ', state),
    line('Opt-out cookie (hg_optout): ', opted_out ? 'set' : 'not set'),
    line('Global Privacy Control: ', gpc ? 'on' : 'off'),
    line('Gateway (/v1/optout/status): ', server),
  );
}

function line(label, value) {
  const p = document.createElement('div');
  const b = document.createElement('strong');
  b.textContent = label;
  p.append(b, document.createTextNode(value));
  return p;
}

/** Renders `entries` ([label, text] pairs) into the <dl> `dl`, replacing its content. */
export function render_pairs(dl, entries) {
  const nodes = [];
  for (const [label, text] of entries) {
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.className = 'hash';
    dd.textContent = text;
    nodes.push(dt, dd);
  }
  dl.replaceChildren(...nodes);
}

/** Sets the outcome line `el` to `text` with class ok | blocked | error. */
export function set_outcome(el, kind, text) {
  el.className = `outcome ${kind}`;
  el.dataset.kind = kind;
  el.textContent = text;
}

/** Hashes `value` as `field` with `hg`, returning {hash} or {error: code}; never the value. */
export function try_hash(hg, field, value, opts) {
  try {
    return { hash: hg.hash(field, value, opts) };
  } catch (err) {
    return { error: (err && (err.code || err.name)) || 'error' };
  }
}

/** Short, value-free description of what Hashgate#send resolved to. */
export function describe_result(result) {
  if (!result || typeof result !== 'object') return 'sent';
  const parts = [];
  if ('status' in result) parts.push(`HTTP ${result.status}`);
  const r = result.response;
  if (r && typeof r === 'object') {
    if ('accepted' in r) parts.push(`accepted ${r.accepted}`);
    if (r.dropped && typeof r.dropped === 'object') {
      for (const [why, n] of Object.entries(r.dropped)) if (n) parts.push(`dropped ${n} (${why})`);
    }
    if (Array.isArray(r.rejected) && r.rejected.length) {
      parts.push(`rejected: ${r.rejected.map((x) => (x && (x.code || x.reason)) || 'yes').join(', ')}`);
    }
  }
  if (result.eventId) parts.push(`event ${result.eventId}`);
  return parts.join(', ') || 'sent';
}

/**
 * Classifies what Hashgate#send resolved to as [kind, text] for set_outcome(): nothing sent
 * (opt-out, GPC), sent but not stored by the gateway, or stored. `what` names the event.
 */
export function classify_result(what, result) {
  if (result && result.sent === false) {
    return ['blocked', `Not sent: ${explain_reason(result.reason)} (reason: ${result.reason})`];
  }
  const r = result && result.response;
  if (r && typeof r === 'object' && r.accepted === 0) {
    return ['blocked', `${what} sent as hashes, but the gateway did not store it: ${describe_result(result)}`];
  }
  return ['ok', `${what} sent as hashes: ${describe_result(result)}`];
}
