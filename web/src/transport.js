// hashgate web transport: opt-out/GPC rule, event body, fetch with keepalive + retry, beacon.
// Concatenated by web/build.sh after core.js (no imports/exports).

const HG_OPTOUT_COOKIE = 'hg_optout';
/** Fields hashed by send(): the key in send() data → the wire name in `ids`. */
const HG_SEND_FIELDS = { email: 'em', em: 'em', phone: 'ph', ph: 'ph', fn: 'fn', ln: 'ln', db: 'db',
  ge: 'ge', ct: 'ct', st: 'st', zp: 'zp', country: 'country', external_id: 'external_id',
  externalId: 'external_id' };
/** First-party ad cookies collected as online_ids when collectAdCookies is on. */
const HG_AD_COOKIES = { _fbp: 'fbp', _fbc: 'fbc', _ga: 'ga' };

/** Reads a cookie from document.cookie, or null (also outside a browser). */
function hgCookie(name) {
  const d = globalThis.document;
  if (!d || typeof d.cookie !== 'string') return null;
  for (const part of d.cookie.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

/** Why nothing may be sent: 'opted_out' (hg_optout=1 cookie), 'gpc' (Global Privacy Control) or null. */
function hgSuppression() {
  if (hgCookie(HG_OPTOUT_COOKIE) === '1') return 'opted_out';
  const n = globalThis.navigator;
  if (n && n.globalPrivacyControl === true) return 'gpc';
  return null;
}

/** A random event id (crypto.randomUUID where available). */
function hgEventId() {
  const c = globalThis.crypto;
  if (c && c.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}

/**
 * Builds one wire-format event (docs/gateway-api.md) from send() data. `hashField(wireName, value)` hashes
 * locally; raw values never enter the result. Unknown keys of `data` are ignored.
 */
function hgBuildEvent(type, data, hashField, cfg) {
  const ids = {};
  for (const key of Object.keys(data)) {
    const wire = HG_SEND_FIELDS[key];
    const v = data[key];
    if (!wire || v === undefined || v === null || v === '') continue;
    ids[wire] = hashField(wire, String(v), key);
  }
  const ev = {
    event_id: typeof data.eventId === 'string' && data.eventId ? data.eventId : hgEventId(),
    type: String(type),
    time: Math.floor(Date.now() / 1000),
    ids,
  };
  const online = {};
  if (cfg.collectAdCookies) {
    for (const c of Object.keys(HG_AD_COOKIES)) {
      const v = hgCookie(c);
      if (v) online[HG_AD_COOKIES[c]] = v;
    }
  }
  if (data.onlineIds && typeof data.onlineIds === 'object') Object.assign(online, data.onlineIds);
  if (Object.keys(online).length) ev.online_ids = online;
  if (data.consent && typeof data.consent === 'object') ev.consent = data.consent;
  if (data.custom && typeof data.custom === 'object') ev.custom = data.custom;
  return ev;
}

/** True once the page is being hidden: later sends go by sendBeacon. Timers waiting wake up. */
let hgHiding = false;
const hgSleepers = new Set();
if (globalThis.addEventListener && globalThis.document) {
  globalThis.addEventListener('pagehide', () => {
    hgHiding = true;
    for (const wake of hgSleepers) wake();
    hgSleepers.clear();
  });
  globalThis.addEventListener('pageshow', () => { hgHiding = false; });
}

/** Waits `ms` milliseconds, or less if the page is hidden meanwhile. */
function hgSleep(ms) {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(t); hgSleepers.delete(done); resolve(); };
    const t = setTimeout(done, ms);
    hgSleepers.add(done);
  });
}

/** Milliseconds to wait from a Retry-After header (seconds or HTTP date), or null. */
function hgRetryAfter(res) {
  const h = res.headers && res.headers.get && res.headers.get('retry-after');
  if (!h) return null;
  if (/^\d+$/.test(h.trim())) return Number(h) * 1000;
  const t = Date.parse(h);
  return Number.isNaN(t) ? null : Math.max(0, t - Date.now());
}

/** Sends `body` with navigator.sendBeacon (text/plain, site key as query parameter). */
function hgBeacon(url, siteKey, body) {
  const n = globalThis.navigator;
  if (!n || !n.sendBeacon) return false;
  const u = url + (url.includes('?') ? '&' : '?') + 'site_key=' + encodeURIComponent(siteKey);
  return n.sendBeacon(u, new Blob([body], { type: 'text/plain' }));
}

/**
 * POSTs JSON `body` to `url` with the site key header, keepalive and credentials; retries network
 * errors, 5xx and 429 with exponential backoff (honouring Retry-After). Resolves
 * {sent, status, transport, response?}; rejects with Error (`.status`) when the gateway refuses.
 */
async function hgPost(url, siteKey, body, opts) {
  const retries = opts.retries === undefined ? 4 : opts.retries;
  const base = opts.retryBaseMs === undefined ? 500 : opts.retryBaseMs;
  for (let attempt = 0; ; attempt++) {
    if (hgHiding || opts.transport === 'beacon') {
      if (hgBeacon(url, siteKey, body)) return { sent: true, transport: 'beacon' };
      if (opts.transport === 'beacon') throw new Error('hashgate: sendBeacon refused the event');
    }
    let res = null;
    let wait = null;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Hashgate-Site-Key': siteKey },
        body,
        keepalive: body.length < 60000,
        credentials: 'include',
        mode: 'cors',
      });
    } catch (networkError) {
      res = null;
    }
    if (res && res.status < 300) {
      let response = null;
      try { response = await res.json(); } catch (_) { response = null; }
      return { sent: true, status: res.status, transport: 'fetch', response };
    }
    const retryable = !res || res.status >= 500 || res.status === 429;
    if (!retryable || attempt >= retries) {
      const e = new Error('hashgate: sending failed' + (res ? ' with HTTP ' + res.status : ' (network error)'));
      e.status = res ? res.status : 0;
      throw e;
    }
    if (res) wait = hgRetryAfter(res);
    if (wait === null) wait = base * 2 ** attempt * (0.5 + Math.random() / 2);
    await hgSleep(Math.min(wait, 60000));
  }
}

/** Sets the opt-out cookie for this site (400 days, Path=/, Secure on https). */
function hgSetOptOutCookie() {
  const d = globalThis.document;
  if (!d) return false;
  const secure = globalThis.location && globalThis.location.protocol === 'https:' ? '; Secure' : '';
  d.cookie = HG_OPTOUT_COOKIE + '=1; Max-Age=34560000; Path=/; SameSite=Lax' + secure;
  return true;
}

/** Tells the gateway about the opt-out (POST /v1/optout with hashed ids); resolves the status. */
async function hgPostOptOut(gateway, siteKey, ids) {
  try {
    const res = await fetch(gateway.replace(/\/+$/, '') + '/v1/optout', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Hashgate-Site-Key': siteKey },
      body: JSON.stringify({ ids }),
      keepalive: true,
      credentials: 'include',
      mode: 'cors',
    });
    return res.status;
  } catch (_) {
    return 0;
  }
}
