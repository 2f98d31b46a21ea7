// Minimal hashgate integration: load the package once, hash in the page, send only hashes.
// hashgate.mjs is self-hosted next to this file (copy web/dist/hashgate.mjs); GATEWAY is where
// the hashgate gateway runs, and this page's origin must be allowed for the site key there.
import { Hashgate } from './hashgate.mjs';

const GATEWAY = 'http://127.0.0.1:8080';

// Profile "meta" (trim + lowercase e-mail, E.164 digits phone); NL for national phone numbers.
const hg = await Hashgate.load({ gateway: GATEWAY, siteKey: 'pk_demo', profile: 'meta', region: 'NL' });
const status = document.getElementById('status');
status.textContent = hg.isOptedOut() ? 'You opted out: this page sends nothing.' : '';

document.getElementById('signup').addEventListener('submit', async (event) => {
  event.preventDefault();
  const email = document.getElementById('email');
  const phone = document.getElementById('phone');
  try {
    // Hashing happens here, synchronously; send() posts only the hashes to the gateway.
    const result = await hg.send('lead', { email: email.value, phone: phone.value || undefined });
    status.textContent = result.sent === false
      ? `Nothing sent (${result.reason}).`   // opted out, or Global Privacy Control
      : `Sent (HTTP ${result.status}): e-mail hash ${hg.hashEmail(email.value).slice(0, 12)}…`;
  } catch (err) {
    // A TypeError with err.code (e.g. invalid_email); the value itself is never in the message.
    status.textContent = `Not sent: ${err.code || err.message}`;
  }
  email.value = '';
  phone.value = '';
});
