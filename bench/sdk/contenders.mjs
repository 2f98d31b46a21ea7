// The SDK benchmark's contenders and round runner, shared by the Node and the Chromium runs.
// Every contender maps raw e-mails to lowercase-hex SHA-256 of the normalized (trim + lowercase)
// address; outputs are compared element-wise, so a faster-but-wrong contender fails the run.

const k_hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of a byte array through a 256-entry table (the fast way to do it in plain JS). */
export function to_hex(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += k_hex[bytes[i]];
  return s;
}

/** Builds the contender list from the loaded libraries in `env`:
 *  { hg, createSHA256, js_sha256, noble_sha256, noble_bytes_to_hex, node_crypto?, subtle }.
 *  `hg` is our loaded Hashgate instance; `node_crypto` is absent in the browser. */
export async function make_contenders(env) {
  const enc = new TextEncoder();
  const norm = (v) => v.trim().toLowerCase();
  const list = [];

  list.push({
    name: 'hashgate.hashBatch', ours: true,
    run(values) { return env.hg.hashBatch(values, { field: env.field, profile: 'meta' }); },
  });
  list.push({
    name: 'hashgate.hash', ours: true,
    run(values) {
      const out = new Array(values.length);
      const opts = { profile: 'meta' };
      for (let i = 0; i < values.length; i++) out[i] = env.hg.hash(env.field, values[i], opts);
      return out;
    },
  });
  const wasm_hasher = await env.createSHA256();
  list.push({
    name: 'hash-wasm', ours: false,
    run(values) {
      const out = new Array(values.length);
      for (let i = 0; i < values.length; i++) {
        wasm_hasher.init();
        wasm_hasher.update(norm(values[i]));
        out[i] = wasm_hasher.digest('hex');
      }
      return out;
    },
  });
  list.push({
    name: 'js-sha256', ours: false,
    run(values) {
      const out = new Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = env.js_sha256(norm(values[i]));
      return out;
    },
  });
  list.push({
    name: '@noble/hashes', ours: false,
    run(values) {
      const out = new Array(values.length);
      for (let i = 0; i < values.length; i++) {
        out[i] = env.noble_bytes_to_hex(env.noble_sha256(enc.encode(norm(values[i]))));
      }
      return out;
    },
  });
  if (env.node_crypto) {
    const { createHash } = env.node_crypto;
    list.push({
      name: 'node:crypto', ours: false,
      run(values) {
        const out = new Array(values.length);
        for (let i = 0; i < values.length; i++) {
          out[i] = createHash('sha256').update(norm(values[i])).digest('hex');
        }
        return out;
      },
    });
  }
  const subtle = env.subtle;
  list.push({
    name: 'WebCrypto (await each)', ours: false,
    async run(values) {
      const out = new Array(values.length);
      for (let i = 0; i < values.length; i++) {
        out[i] = to_hex(new Uint8Array(await subtle.digest('SHA-256', enc.encode(norm(values[i])))));
      }
      return out;
    },
  });
  list.push({
    name: 'WebCrypto (Promise.all)', ours: false,
    async run(values) {
      const digests = await Promise.all(values.map((v) => subtle.digest('SHA-256', enc.encode(norm(v)))));
      return digests.map((d) => to_hex(new Uint8Array(d)));
    },
  });
  return list;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function describe(x) {
  return x === null ? 'null' : typeof x === 'string' ? `a string of length ${x.length}` : typeof x;
}

/** Runs one untimed verification round, then `rounds` timed rounds with the contender order
 *  rotated each round. Every contender's outputs must equal `expected` (computed independently,
 *  e.g. with node:crypto); throws otherwise, naming the contender and the first bad index.
 *  Returns { reference: string[], results: [{name, ours, seconds: number[], median_s, values_per_s}] }. */
export async function run_rounds(contenders, values, rounds, now, log, expected) {
  const reference = expected;
  const errors = [];
  for (const c of contenders) {
    let out;
    try {
      out = await c.run(values);
    } catch (e) {
      errors.push(`${c.name}: threw ${e && e.name}: ${e && e.message}`);
      continue;
    }
    if (!Array.isArray(out) || out.length !== values.length) {
      errors.push(`${c.name}: returned ${Array.isArray(out) ? out.length : typeof out} results for ${values.length} values`);
      continue;
    }
    let bad = 0;
    let first = -1;
    for (let i = 0; i < out.length; i++) {
      if (out[i] !== reference[i]) { bad++; if (first < 0) first = i; }
    }
    if (bad) {
      errors.push(`${c.name}: ${bad} of ${out.length} outputs differ from the reference ` +
        `(first at index ${first}: got ${describe(out[first])})`);
    } else {
      log(`verified ${c.name}: all ${out.length} outputs equal the reference`);
    }
  }
  if (errors.length) throw new Error(`output check failed:\n  ${errors.join('\n  ')}`);
  const seconds = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const idx = (k + r) % contenders.length;
      const t0 = now();
      const out = await contenders[idx].run(values);
      const t1 = now();
      if (out.length !== values.length || out[values.length - 1] !== reference[values.length - 1]) {
        throw new Error(`${contenders[idx].name}: output changed between rounds`);
      }
      seconds[idx].push((t1 - t0) / 1000);
    }
    log(`round ${r + 1}/${rounds} done`);
  }
  const results = contenders.map((c, i) => {
    const m = median(seconds[i]);
    return { name: c.name, ours: c.ours, seconds: seconds[i], median_s: m, values_per_s: values.length / m };
  });
  return { reference, results };
}

/** Formats the result table with our two entry points' ratios against each peer. */
export function format_table(title, results) {
  const ours = results.filter((r) => r.ours);
  const lines = [title];
  const head = ['contender'.padEnd(26), 'values/s'.padStart(12), 'median s'.padStart(9),
    ...ours.map((o) => `${o.name.replace('hashgate.', '')}/x`.padStart(14))];
  lines.push(head.join(' '));
  for (const r of results) {
    const ratios = ours.map((o) => (o.values_per_s / r.values_per_s).toFixed(2).padStart(14));
    lines.push([r.name.padEnd(26), Math.round(r.values_per_s).toLocaleString('en-US').padStart(12),
      r.median_s.toFixed(3).padStart(9), ...ratios].join(' '));
  }
  return lines.join('\n');
}
