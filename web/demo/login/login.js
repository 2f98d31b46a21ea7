// Publisher login demo: on sign-in the e-mail is hashed in the page, the hash becomes the
// session's pseudonymous user id (sessionStorage, never the address), and a 'login' event links
// it to the gateway's first-party cookie. The password is never read.
import {
  load_instance, show_privacy_state, render_pairs, set_outcome, try_hash, classify_result,
} from '/demo/common.js';

const k_session_key = 'hashgate-demo-session';
const $ = (id) => document.getElementById(id);
let hg = null;

function render_session() {
  const raw = sessionStorage.getItem(k_session_key);
  const session = raw ? JSON.parse(raw) : null;
  if (!session) {
    $('session').replaceChildren();
    $('signout').hidden = true;
    return;
  }
  render_pairs($('session'), [
    ['user (em hash)', session.em],
    ['signed in', new Date(session.at).toLocaleString()],
  ]);
  $('signout').hidden = false;
}

async function init() {
  render_session();
  try {
    hg = await load_instance({ profile: 'meta' });
    $('load-state').textContent = 'hashgate loaded: hashing happens in this page.';
    $('signin').disabled = false;
    document.body.dataset.ready = 'true';
  } catch (err) {
    $('load-state').textContent = `hashgate failed to load: ${err.message}`;
    document.body.dataset.ready = 'error';
  }
  await show_privacy_state(hg);
}

async function on_submit(event) {
  event.preventDefault();
  $('signin').disabled = true;
  const email_input = $('email');
  try {
    const em = try_hash(hg, 'em', email_input.value, { profile: 'meta' });
    if (!em.hash) {
      set_outcome($('outcome'), 'error', `Please enter a valid e-mail address (${em.error}).`);
      return;
    }
    sessionStorage.setItem(k_session_key, JSON.stringify({ em: em.hash, at: Date.now() }));
    render_session();
    const result = await hg.send('login', { email: email_input.value });
    const [kind, text] = classify_result('Signed in; login event', result);
    set_outcome($('outcome'), kind, text);
    // The address is no longer needed in the page.
    email_input.value = '';
    $('password').value = '';
  } catch (err) {
    set_outcome($('outcome'), 'error', `Login event failed: ${(err && (err.code || err.message)) || err}`);
  } finally {
    $('signin').disabled = false;
    document.body.dataset.done = String(Number(document.body.dataset.done || 0) + 1);
    await show_privacy_state(hg).catch(() => {});
  }
}

$('login-form').addEventListener('submit', on_submit);
$('signout').addEventListener('click', () => {
  sessionStorage.removeItem(k_session_key);
  render_session();
  set_outcome($('outcome'), '', 'Signed out.');
});
init();
