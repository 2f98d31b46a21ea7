// hashgate.min.js: the tag-manager snippet. web/build.sh wraps, in one IIFE: `const HG_WASM =
// "<hex of the snippet module>"`, core.js, transport.js, this file. E-mail and phone, profiles
// meta/google/uid2, SHA-256; a command queue on window.hashgate:
//   window.hashgate = window.hashgate || [];
//   hashgate.push(['init', {gateway, siteKey, profile, region}]);
//   hashgate.push(['send', 'purchase', {email, phone}, callback?]);
// Commands pushed before the script loaded are replayed in order. <script data-gateway
// data-site-key data-profile data-region> configures it without an 'init' command.

const hgWin = globalThis;
const hgScript = hgWin.document && hgWin.document.currentScript;
const hgCfg = { profile: 'meta', collectAdCookies: false };
if (hgScript && hgScript.dataset) {
  const ds = hgScript.dataset;
  if (ds.gateway) hgCfg.gateway = ds.gateway;
  if (ds.siteKey) hgCfg.siteKey = ds.siteKey;
  if (ds.profile) hgCfg.profile = ds.profile;
  if (ds.region) hgCfg.region = ds.region;
  if (ds.collectAdCookies === 'true') hgCfg.collectAdCookies = true;
}

/** Hashes an e-mail ('em') or phone ('ph') with the snippet wasm; throws TypeError(code). */
function hgSnippetHash(core, wire, value, cfg, region) {
  if (wire !== 'em' && wire !== 'ph') throw hgInputError('unsupported_field', wire);
  const sel = [HG_FIELDS[wire], hgSelect(HG_PROFILES, cfg.profile, 'unsupported_profile'),
    hgRegion(region || cfg.region), 0, HG_ENCODING_DEFAULT];
  const r = core.call('hg_hash', value, sel);
  if (typeof r !== 'string') hgThrow(r, wire);
  return r;
}

/** Runs one queued command against the loaded core. */
async function hgRun(core, cmd) {
  const name = cmd[0];
  const cb = typeof cmd[cmd.length - 1] === 'function' ? cmd[cmd.length - 1] : null;
  let result;
  try {
    if (name === 'init') {
      Object.assign(hgCfg, cmd[1] || {});
      result = { ok: true };
    } else if (name === 'send') {
      const reason = hgSuppression();
      if (reason) {
        result = { sent: false, reason };
      } else {
        if (!hgCfg.gateway) throw new TypeError('hashgate: gateway is not configured');
        const d = cmd[2] || {};
        const ev = hgBuildEvent(cmd[1], d, (w, v) => hgSnippetHash(core, w, v, hgCfg, d.region), hgCfg);
        const url = hgCfg.gateway.replace(/\/+$/, '') + '/v1/events';
        result = await hgPost(url, hgCfg.siteKey || '', JSON.stringify({ events: [ev] }), hgCfg);
        result.eventId = ev.event_id;
      }
    } else if (name === 'hash') {
      // ['hash', 'em'|'ph', value, {profile, region}?, callback]: the digest, for pages and tests.
      const o = cmd[3] && typeof cmd[3] === 'object' ? cmd[3] : {};
      const f = HG_SEND_FIELDS[cmd[1]] || String(cmd[1]);
      result = hgSnippetHash(core, f, String(cmd[2]), Object.assign({}, hgCfg, o), o.region);
    } else if (name === 'optOut') {
      const cookie = hgSetOptOutCookie();
      result = { cookie, gateway: hgCfg.gateway ? await hgPostOptOut(hgCfg.gateway, hgCfg.siteKey || '', {}) : 0 };
    } else if (name === 'isOptedOut') {
      result = hgSuppression() !== null;
    } else {
      throw new TypeError('hashgate: unknown command ' + String(name).slice(0, 32));
    }
  } catch (e) {
    if (cb) cb(e, null);
    else if (hgWin.console) hgWin.console.warn(e.message);
    return;
  }
  if (cb) cb(null, result);
}

/** Replaces the queue array by an object whose push() runs commands in order. */
function hgStart(core) {
  const queued = Array.isArray(hgWin.hashgate) ? hgWin.hashgate : [];
  let chain = Promise.resolve();
  const push = (...cmds) => {
    for (const c of cmds) if (Array.isArray(c)) chain = chain.then(() => hgRun(core, c));
    return chain;
  };
  hgWin.hashgate = { push, loaded: true, version: HG_VERSION };
  push(...queued);
}

if (!(hgWin.hashgate && hgWin.hashgate.loaded)) {
  hgInstantiate(hgHexBytes(HG_WASM)).then(hgStart, (e) => {
    if (hgWin.console) hgWin.console.warn('hashgate: could not load: ' + e.message);
  });
}
