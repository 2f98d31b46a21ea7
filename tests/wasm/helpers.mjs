// Shared helpers of the wasm suites: where dist/, the vectors and the native CLI are.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const distDir = process.env.HASHGATE_WEB_DIST || join(repoRoot, 'web', 'dist');
export const vectorsDir = join(repoRoot, 'tests', 'vectors');
export const cliPath = process.env.HASHGATE_CLI || join(repoRoot, 'build', 'bin', 'hashgate');

/** Imports web/dist/hashgate.mjs (fails with a hint when the package was not built). */
export async function loadModule() {
  const file = join(distDir, 'hashgate.mjs');
  if (!existsSync(file)) throw new Error(`${file} missing: run make web (web/build.sh)`);
  return import(pathToFileURL(file).href);
}

/** Parses a TSV file with a header row into objects. */
export function readTsv(file) {
  const [head, ...rows] = readFileSync(file, 'utf8').split('\n').filter((l) => l.length);
  const cols = head.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [cols[i], v])));
}

/**
 * Runs `hashgate hash --profile P --field F [--region CC] -- -` over `values` (one per line)
 * and returns one output line per value ('' for invalid), or {unsupported: code} when the CLI
 * refuses the field/profile combination as a whole (exit 64).
 */
export function cliHash(profile, field, region, values, extra = []) {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} missing: run make build (or set HASHGATE_CLI)`);
  const args = ['hash', '--profile', profile, '--field', field];
  if (region) args.push('--region', region);
  args.push(...extra, '--', '-');
  const r = spawnSync(cliPath, args, { input: values.join('\n') + '\n', maxBuffer: 64 << 20 });
  const unsupported = r.status === 64 && /: (unsupported_\w+)/.exec(r.stderr.toString());
  if (unsupported) return { unsupported: unsupported[1] };  // e.g. a field the profile lacks
  if (r.status !== 0 && r.status !== 65) {
    throw new Error(`hashgate CLI exited ${r.status}: ${r.stderr.toString().slice(0, 300)}`);
  }
  const lines = r.stdout.toString().split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Deterministic PRNG (mulberry32) so generated inputs are reproducible from a seed. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random pick from an array. */
export const pick = (r, xs) => xs[Math.floor(r() * xs.length)];

/** Random string of `n` characters from `alphabet`. */
export function randStr(r, alphabet, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/** A messy but mostly valid e-mail: case, spaces, dots, +tags, gmail, some invalid ones. */
export function genEmail(r) {
  const local = randStr(r, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-', 1 + Math.floor(r() * 14));
  const tag = r() < 0.2 ? '+' + randStr(r, 'abcxyz019', 1 + Math.floor(r() * 5)) : '';
  const domain = pick(r, ['gmail.com', 'GoogleMail.com', 'example.com', 'Example.NL', 'mail.co.uk', 'gmail.com', 'yahoo.com', 'web.de']);
  const ws = () => (r() < 0.15 ? pick(r, [' ', '  ', '\t']) : '');
  const roll = r();
  if (roll < 0.04) return ws() + local + tag + domain;            // no @
  if (roll < 0.06) return ws() + '@' + domain;                     // empty local part
  if (roll < 0.08) return local + '@' + domain.split('.')[0];      // undotted domain
  if (roll < 0.10) return local + '@@' + domain;
  if (roll < 0.12) return 'ünï' + local + '@' + domain;            // non-ASCII
  return ws() + local + tag + '@' + domain + ws();
}

/** A phone in a random national or international format, with region hints. */
export function genPhone(r) {
  const formats = [
    () => ['+31 6 ' + randStr(r, '0123456789', 8), ''],
    () => ['06-' + randStr(r, '0123456789', 8), 'NL'],
    () => ['(650) ' + randStr(r, '23456789', 3) + '-' + randStr(r, '0123456789', 4), 'US'],
    () => ['+1 ' + randStr(r, '23456789', 3) + ' 555 ' + randStr(r, '0123456789', 4), ''],
    () => ['+44 (0)20 ' + randStr(r, '0123456789', 4) + ' ' + randStr(r, '0123456789', 4), ''],
    () => ['0044 20 ' + randStr(r, '0123456789', 8), 'DE'],
    () => ['030 ' + randStr(r, '0123456789', 7), 'DE'],
    () => ['0' + randStr(r, '0123456789', 9), ''],
    () => ['+33 ' + randStr(r, '0123456789', 9), 'FR'],
    () => ['12' + randStr(r, '0123456789', 9), ''],
    () => ['555-CALL-' + randStr(r, '0123456789', 3), 'US'],
    () => [randStr(r, '0123456789', 1 + Math.floor(r() * 20)), pick(r, ['', 'US', 'NL', 'GB'])],
  ];
  return pick(r, formats)();
}
