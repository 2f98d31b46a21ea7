// SDK benchmark under Node: our hashBatch/hash against hash-wasm, js-sha256, @noble/hashes,
// node:crypto and WebCrypto on 200,000 generated e-mails. Usage: node bench/sdk/node.mjs
import * as node_crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createSHA256 } from 'hash-wasm';
import { sha256 as noble_sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex as noble_bytes_to_hex } from '@noble/hashes/utils.js';
// js-sha256's "node" export delegates to node:crypto; benchmark its own (pure JS) code instead.
import { sha256 as js_sha256 } from '../../node_modules/js-sha256/src/core.mjs';
import { generate_emails } from '../lib/emails.mjs';
import { format_table, make_contenders, run_rounds } from './contenders.mjs';
import { expected_outputs, fingerprint, k_count, k_field, k_rounds, k_sdk_module, k_seed,
  machine_info, require_sdk, write_result } from './common.mjs';

require_sdk();
const machine = await machine_info();
const mod = await import(pathToFileURL(k_sdk_module).href);
const Hashgate = mod.Hashgate ?? mod.default;
if (!Hashgate || typeof Hashgate.load !== 'function') {
  console.error('bench/sdk: web/dist/hashgate.mjs exports no Hashgate.load()');
  process.exit(2);
}
const hg = await Hashgate.load({ profile: 'meta' });

const values = generate_emails(k_count, k_seed);
const contenders = await make_contenders({
  hg, field: k_field, createSHA256, js_sha256, noble_sha256, noble_bytes_to_hex,
  node_crypto, subtle: globalThis.crypto.subtle,
});
const log = (m) => console.error(`[sdk/node] ${m}`);
const expected = expected_outputs();
let run;
try {
  run = await run_rounds(contenders, values, k_rounds, () => performance.now(), log, expected);
} catch (e) {
  console.error(`bench/sdk (node): ${e.message}`);
  process.exit(1);
}
const { results } = run;
const got = fingerprint(expected);
console.log(format_table(`SDK under Node ${process.version}: ${k_count} e-mails, median of ${k_rounds} rounds`, results));
const file = write_result('sdk-node', {
  bench: 'sdk', module: k_sdk_module, runtime: `node ${process.version}`, count: k_count, rounds: k_rounds, seed: k_seed,
  machine, loadavg_at_end: (await import('node:os')).loadavg(), fingerprint: got, results,
});
log(`wrote ${file}`);
