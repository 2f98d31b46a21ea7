// The receiver-side check of docs/destinations.md, run by the deliver suite against requests the
// C++ worker really sent. Usage: node verify_webhook.mjs CASES.json → exit 0 when every case
// verifies exactly as its "expect" says.
import crypto from 'node:crypto';
import fs from 'node:fs';

// --- the verifier shown in docs/destinations.md ------------------------------------------------
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
// ------------------------------------------------------------------------------------------------

const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let failed = 0;
for (const c of cases) {
  const ok = verifyHashgate(c.secret, c.header, Buffer.from(c.body_b64, 'base64'), c.now);
  if (ok !== c.expect) {
    console.error(`case ${c.name}: verified=${ok}, expected ${c.expect}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
