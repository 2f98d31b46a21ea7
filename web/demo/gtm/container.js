// Stand-in for a tag-manager container: it runs the "hashgate" custom HTML tag the way Google
// Tag Manager would (in a file, so the page works under a strict CSP). The tag queues commands
// in window.hashgate before the snippet exists, then injects hashgate.min.js; commands pushed
// after it loaded run at once. Raw values are never written to the page or the console.
(function () {
  'use strict';
  var meta = document.querySelector('meta[name="hashgate-dist"]');
  var dist = (meta && meta.content) || '/sdk/';
  var gateway = location.origin;
  var log = [];

  function show_log() {
    var el = document.getElementById('tag-log');
    if (el) el.textContent = log.join('\n');
  }

  function stamp() { return new Date().toISOString().slice(11, 23); }

  // Push a command and log it with every value redacted. A send gets the snippet's optional
  // callback (last element), which reports the outcome: {sent, status} or {sent:false, reason}.
  function push(cmd) {
    var redacted = cmd.map(function (part) {
      if (part && typeof part === 'object') {
        var o = {};
        Object.keys(part).forEach(function (k) {
          o[k] = k === 'gateway' || k === 'siteKey' || k === 'profile' || k === 'custom' ? part[k] : '<redacted>';
        });
        return o;
      }
      return part;
    });
    var label = JSON.stringify(redacted);
    if (cmd[0] === 'send') {
      cmd = cmd.concat([function (err, result) {
        var what = cmd[1];
        if (err) {
          report('error', what + ': failed (' + (err.code || err.name) + ')');
        } else if (result && result.sent === false) {
          report('blocked', what + ': not sent (' + result.reason + ') — ' +
            (result.reason === 'gpc' ? 'Global Privacy Control is on.' : 'you opted out (hg_optout cookie).'));
        } else if (result && result.response && result.response.accepted === 0) {
          report('blocked', what + ': sent as hashes, but the gateway did not store it (HTTP ' +
            result.status + ', dropped ' + JSON.stringify(result.response.dropped || {}) + ')');
        } else {
          report('ok', what + ': sent as hashes (HTTP ' + (result && result.status) + ')');
        }
      }]);
    }
    window.hashgate.push(cmd);
    log.push(stamp() + ' push ' + label);
    show_log();
  }

  // Outcome of a send: appended to the log and shown as the page's last outcome.
  function report(kind, text) {
    log.push(stamp() + ' ' + text);
    show_log();
    var el = document.getElementById('send-outcome');
    if (el) {
      el.className = 'outcome ' + kind;
      el.dataset.kind = kind;
      el.dataset.count = String(Number(el.dataset.count || 0) + 1);
      el.textContent = text;
    }
  }

  // ---- the custom HTML tag, part 1: queue before the snippet loads ----
  window.hashgate = window.hashgate || [];
  push(['init', { gateway: gateway, siteKey: 'pk_demo', profile: 'meta' }]);
  var order = (window.dataLayer || []).filter(function (e) { return e && e.event === 'purchase'; }).pop();
  if (order && order.user_data) {
    var ids = {};
    if (order.user_data.email) ids.email = order.user_data.email;
    if (order.user_data.phone) ids.phone = order.user_data.phone;
    ids.custom = { value: order.value, currency: order.currency };
    push(['send', 'purchase', ids]);
  }

  // ---- part 2: load the snippet (configurable through data- attributes as well) ----
  var s = document.createElement('script');
  s.async = true;
  s.src = dist + 'hashgate.min.js';
  s.setAttribute('data-gateway', gateway);
  s.setAttribute('data-site-key', 'pk_demo');
  s.setAttribute('data-profile', 'meta');
  s.onload = function () {
    log.push(stamp() + ' snippet script loaded; it runs the queued commands once its wasm is ready');
    show_log();
    set_state('ok', 'Snippet loaded.');
  };
  s.onerror = function () {
    set_state('error', 'Snippet failed to load from ' + s.src + ' (run "make web").');
  };
  document.head.appendChild(s);

  function set_state(kind, text) {
    var el = document.getElementById('snippet-state');
    if (!el) return;
    el.className = 'outcome ' + kind;
    el.dataset.kind = kind;
    el.textContent = text;
  }

  function on_ready() {
    show_log();
    var form = document.getElementById('newsletter-form');
    if (form) {
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var input = document.getElementById('email');
        if (!input.value.trim()) return;
        // ---- part 3: a command pushed after the snippet loaded ----
        push(['send', 'lead', { email: input.value }]);
        input.value = '';
      });
    }
    show_privacy();
  }

  function show_privacy() {
    var box = document.getElementById('privacy-state');
    if (!box) return;
    var cookie = document.cookie.split(';').some(function (c) { return c.trim() === 'hg_optout=1'; });
    var gpc = navigator.globalPrivacyControl === true;
    box.dataset.optedOut = String(cookie);
    box.dataset.gpc = String(gpc);
    box.textContent = 'Opt-out cookie (hg_optout): ' + (cookie ? 'set' : 'not set') +
      ' · Global Privacy Control: ' + (gpc ? 'on' : 'off') +
      (cookie || gpc ? ' — the snippet sends nothing.' : '');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', on_ready);
  else on_ready();
})();
