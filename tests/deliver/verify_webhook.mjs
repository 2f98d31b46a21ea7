// The receiver-side check of docs/destinations.md, run by the deliver suite against requests the
// C++ worker really sent. Usage: node verify_webhook.mjs CASES.json → exit 0 when every case
// verifies exactly as its "expect" says.
import fs from 'node:fs';

import { verifyHashgate } from '../lib/webhook_verifier.mjs';

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
