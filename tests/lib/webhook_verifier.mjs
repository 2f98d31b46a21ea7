// The receiver-side signature check shown in docs/destinations.md, shared by the deliver suite's
// verify_webhook.mjs and the destinations end-to-end test.
import crypto from 'node:crypto';

export function verifyHashgate(secret, header, rawBody, nowSeconds = Math.floor(Date.now() / 1000),
                               toleranceSeconds = 300) {
  const fields = Object.fromEntries(
    String(header).split(',').map((kv) => kv.trim().split('=', 2)).filter((kv) => kv.length === 2));
  const t = Number(fields.t);
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest();
  const given = Buffer.from(fields.v1 ?? '', 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
