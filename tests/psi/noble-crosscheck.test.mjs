// Independent cross-check of `hashgate psi` (libsodium's ristretto255) with @noble/curves (its own
// ristretto255 in JavaScript) and node:crypto: the .psi files the real CLI writes are parsed as
// docs/psi.md describes them, and every element is recomputed here.
// - H(x): with the key 1, `blind` writes H(x) itself, which must equal noble's
//   deriveToCurve(SHA-512(tag ‖ SHA-256(normalized value))) (= crypto_core_ristretto255_from_hash).
// - blinding: with a keygen key a, the elements are a·H(x); reblind with b gives b·a·H(x).
// - commutativity: blind with b then reblind with a gives the same set as a then b, and noble's
//   a·(b·P) equals b·(a·P) for random points.
// Run: HASHGATE_BIN=build/bin/hashgate node --test tests/psi/noble-crosscheck.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(path.join(root, 'package.json'));
const { ristretto255, ristretto255_hasher } = await import(
  require.resolve('@noble/curves/ed25519.js'));
const Point = ristretto255.Point;
const L = Point.Fn.ORDER;

const BIN = process.env.HASHGATE_BIN || path.join(root, 'build/bin/hashgate');
const dir = mkdtempSync(path.join(os.tmpdir(), 'hashgate-psi-noble-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = (name) => path.join(dir, name);

function hashgate(...args) {
  const r = spawnSync(BIN, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `hashgate ${args.join(' ')}: ${r.stderr}`);
  return r;
}

const hex = (b) => Buffer.from(b).toString('hex');
const scalarOf = (bytes) => {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
};
const bytesOf = (n) => {
  const b = Buffer.alloc(32);
  for (let i = 0; i < 32; i++, n >>= 8n) b[i] = Number(n & 0xffn);
  return b;
};

// Parses a .psi file as docs/psi.md lays it out.
function readPsi(p) {
  const b = readFileSync(p);
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x48, 0x47, 0x50, 0x53, 0x49, 0x0d, 0x0a]);
  assert.equal(b[8], 1, 'version');
  const count = Number(b.readBigUInt64LE(32));
  assert.equal(b.length, 40 + 32 * count, 'size = header + count elements');
  const elements = [];
  for (let i = 0; i < count; i++) elements.push(hex(b.subarray(40 + 32 * i, 72 + 32 * i)));
  return { stage: b[9], kinds: b.readUInt16LE(10), listId: hex(b.subarray(16, 32)), elements };
}

// The people of the test and, per field, the string each profile (meta) hashes.
const people = Array.from({ length: 40 }, (_, i) => ({
  id: `r${i}`,
  email: `  First${i}.Last@Example.COM`,
  emailNormalized: `first${i}.last@example.com`,
  phone: `+31 6 ${String(20000000 + i)}`,
  phoneNormalized: `316${String(20000000 + i)}`,
}));
writeFileSync(file('in.csv'),
  'id,email,phone\n' + people.map((p) => `${p.id},${p.email},${p.phone}`).join('\n') + '\n');

// H(x) per docs/psi.md: deriveToCurve(SHA-512("hashgate/psi/v1/" + field + ":" ‖ SHA-256(x))).
function H(field, normalized) {
  const digest = createHash('sha256').update(normalized).digest();
  const wide = createHash('sha512').update(`hashgate/psi/v1/${field}:`).update(digest).digest();
  return ristretto255_hasher.deriveToCurve(new Uint8Array(wide));
}
const points = people.flatMap((p) => [H('em', p.emailNormalized), H('ph', p.phoneNormalized)]);

function blind(key, out) {
  hashgate('psi', 'blind', '--key', key, '--columns', 'email=em,phone=ph', '--id-column', 'id',
    file('in.csv'), '-o', out, '--state', `${out}.state`);
  return readPsi(out);
}
const sorted = (xs) => [...xs].sort();

test('H(x): blinding with the key 1 writes crypto_core_ristretto255_from_hash(SHA-512(tag ‖ digest))', () => {
  writeFileSync(file('one.key'), bytesOf(1n));
  const list = blind(file('one.key'), file('one.psi'));
  assert.equal(list.stage, 1);
  assert.equal(list.kinds, 0b11, 'em and ph');
  assert.deepEqual(sorted(list.elements), sorted(points.map((P) => hex(P.toBytes()))));
});

test('blind gives a·H(x), reblind b·a·H(x), and a·b·H(x) equals b·a·H(x)', () => {
  hashgate('psi', 'keygen', '-o', file('a.key'));
  hashgate('psi', 'keygen', '-o', file('b.key'));
  const a = scalarOf(readFileSync(file('a.key')));
  const b = scalarOf(readFileSync(file('b.key')));
  assert.ok(a > 0n && a < L && b > 0n && b < L, 'keys are canonical scalars');

  const aList = blind(file('a.key'), file('a.psi'));
  assert.deepEqual(sorted(aList.elements), sorted(points.map((P) => hex(P.multiply(a).toBytes()))));

  hashgate('psi', 'reblind', '--key', file('b.key'), file('a.psi'), '-o', file('a.back.psi'));
  const back = readPsi(file('a.back.psi'));
  assert.equal(back.stage, 2);
  assert.equal(back.listId, aList.listId, 'a re-blinded list keeps its list id');
  // Element by element, in the sender's order: back[i] = b·a.psi[i].
  back.elements.forEach((e, i) => {
    assert.equal(e, hex(Point.fromHex(aList.elements[i]).multiply(b).toBytes()));
  });

  // The other way round through the CLI: b first, then a.
  blind(file('b.key'), file('b.psi'));
  hashgate('psi', 'reblind', '--key', file('a.key'), file('b.psi'), '-o', file('b.back.psi'));
  assert.deepEqual(sorted(readPsi(file('b.back.psi')).elements), sorted(back.elements));
  assert.deepEqual(sorted(back.elements),
    sorted(points.map((P) => hex(P.multiply(b).multiply(a).toBytes()))));
});

test('noble: a·(b·P) == b·(a·P) for random scalars and points', () => {
  for (let i = 0; i < 16; i++) {
    const a = Point.Fn.create(scalarOf(randomBytes(64)));
    const b = Point.Fn.create(scalarOf(randomBytes(64)));
    const P = ristretto255_hasher.deriveToCurve(new Uint8Array(randomBytes(64)));
    if (a === 0n || b === 0n) continue;
    assert.ok(P.multiply(b).multiply(a).equals(P.multiply(a).multiply(b)));
  }
});
