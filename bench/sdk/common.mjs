// Helpers shared by the Node and Chromium drivers of the SDK benchmark (Node side only).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate_emails, normalize_email } from '../lib/emails.mjs';

export const k_root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const k_out_dir = resolve(k_root, 'bench/out');
/** The web package folder measured; HASHGATE_WEB_DIST overrides web/dist (e.g. another build). */
export const k_web_dist = resolve(process.env.HASHGATE_WEB_DIST || resolve(k_root, 'web/dist'));
/** Our SDK module, hashgate.mjs in k_web_dist. */
export const k_sdk_module = resolve(k_web_dist, 'hashgate.mjs');
export const k_count = Number(process.env.BENCH_SDK_COUNT || 200000);
export const k_rounds = Math.max(5, Number(process.env.BENCH_SDK_ROUNDS || 5));
export const k_seed = 20261129;
/** The field name our SDK's hash()/hashBatch() take for e-mails. */
export const k_field = process.env.BENCH_SDK_FIELD || 'em';

/** Fails with a clear message (exit 2) when web/dist/hashgate.mjs has not been built. */
export function require_sdk() {
  if (!existsSync(k_sdk_module)) {
    console.error(`bench/sdk: missing ${k_sdk_module} — build it first (make web) or set HASHGATE_WEB_DIST; no figure measured`);
    process.exit(2);
  }
}

/** The expected outputs, computed independently with node:crypto from the same seeded inputs:
 *  lowercase SHA-256 hex of each trimmed, lowercased e-mail. */
export function expected_outputs(count = k_count, seed = k_seed) {
  return generate_emails(count, seed).map(
    (v) => createHash('sha256').update(normalize_email(v)).digest('hex'));
}

/** SHA-256 hex of the newline-joined list of outputs (recorded in the JSON). */
export function fingerprint(list) {
  return createHash('sha256').update(list.join('\n')).digest('hex');
}

/** Adds the budget ratios (ours vs hash-wasm) and writes bench/out/<name>.json. */
export function write_result(name, payload) {
  const by = Object.fromEntries(payload.results.map((r) => [r.name, r]));
  const peer = by['hash-wasm'];
  payload.ratios = {
    batch_vs_hash_wasm: by['hashgate.hashBatch'].values_per_s / peer.values_per_s,
    single_vs_hash_wasm: by['hashgate.hash'].values_per_s / peer.values_per_s,
  };
  mkdirSync(k_out_dir, { recursive: true });
  const file = resolve(k_out_dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
  return file;
}

/** One-line description of the machine load, recorded next to every figure. */
export async function machine_info() {
  const os = await import('node:os');
  return {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    loadavg_at_start: os.loadavg(),
  };
}
