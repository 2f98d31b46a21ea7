// Checkout demo: hashes the buyer's e-mail and phone in the page and sends a purchase event
// (Hashgate#send). Only the hashes and the outcome are shown; raw values stay in the inputs.
import {
  load_instance, show_privacy_state, render_pairs, set_outcome, try_hash, classify_result,
} from '/demo/common.js';

const k_order = { value: 59.95, currency: 'EUR' };

const form = document.getElementById('checkout-form');
const buy = document.getElementById('buy');
const load_state = document.getElementById('load-state');
const sent = document.getElementById('sent');
const outcome = document.getElementById('outcome');
const $ = (id) => document.getElementById(id);

async function init() {
  try {
    const hg = await load_instance({ profile: $('profile').value, region: $('region').value });
    load_state.textContent = 'hashgate loaded: hashing happens in this page.';
    buy.disabled = false;
    document.body.dataset.ready = 'true';
    await show_privacy_state(hg);
  } catch (err) {
    load_state.textContent = `hashgate failed to load: ${err.message}`;
    document.body.dataset.ready = 'error';
    await show_privacy_state(null);
  }
}

async function on_submit(event) {
  event.preventDefault();
  buy.disabled = true;
  let hg = null;
  const profile = $('profile').value;
  const region = $('region').value;
  try {
    hg = await load_instance({ profile, region });
    const email = $('email').value;
    const phone = $('phone').value;
    const em = try_hash(hg, 'em', email, { profile });
    const ph = phone.trim() ? try_hash(hg, 'ph', phone, { profile, region }) : null;
    render_pairs(sent, [
      ['em', em.hash ?? `invalid (${em.error}) — not sent`],
      ['ph', ph ? (ph.hash ?? `invalid (${ph.error}) — not sent`) : '(empty)'],
      ['custom', JSON.stringify(k_order)],
    ]);
    if (!em.hash) {
      set_outcome(outcome, 'error', 'Please enter a valid e-mail address; nothing was sent.');
      return;
    }
    const payload = { email, custom: { ...k_order } };
    if (ph && ph.hash) payload.phone = phone;
    set_outcome(outcome, 'pending', 'Sending…');
    const result = await hg.send('purchase', payload);
    const [kind, text] = classify_result('Purchase event', result);
    set_outcome(outcome, kind, text);
    if (result && result.sent === false) {
      // Nothing was transmitted: drop the locally computed hashes from the page as well.
      sent.replaceChildren();
      $('sent-intro').textContent = 'Nothing left this browser.';
    } else {
      $('sent-intro').textContent = 'Only the hashes below, computed in this page before transmission.';
    }
  } catch (err) {
    set_outcome(outcome, 'error', `Sending failed: ${(err && (err.code || err.message)) || err}`);
  } finally {
    buy.disabled = false;
    document.body.dataset.done = String(Number(document.body.dataset.done || 0) + 1);
    await show_privacy_state(hg).catch(() => {});
  }
}

form.addEventListener('submit', on_submit);
init();
