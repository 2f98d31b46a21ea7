// hashgate web core: loads the embedded wasm and wraps its flat C ABI (sdk/wasm/abi.hpp).
// Concatenated by web/build.sh into both hashgate.mjs and hashgate.min.js (no imports/exports).

/** Error code names, in the order of hashgate::Errc (sdk/include/hashgate/error.hpp). */
const HG_ERRORS = ['ok', 'invalid_email', 'invalid_phone', 'phone_needs_region', 'invalid_utf8',
  'too_long', 'empty', 'unsupported_field', 'unsupported_profile', 'unsupported_algo',
  'unsupported_encoding', 'invalid_region', 'invalid_date', 'invalid_country', 'invalid_gender',
  'invalid_value', 'missing_key', 'internal'];
/** Selector tables: names accepted by the JS API → the small ints of the C ABI. */
const HG_FIELDS = { em: 0, email: 0, ph: 1, phone: 1, fn: 2, ln: 3, db: 4, ge: 5, ct: 6, st: 7,
  zp: 8, country: 9, external_id: 10 };
const HG_PROFILES = { meta: 0, google: 1, uid2: 2, euid: 2, liveramp: 3 };
const HG_ALGOS = { sha256: 0, sha1: 1, md5: 2, 'hmac-sha256': 3 };
const HG_ENCODINGS = { hex: 0, base64: 1 };
const HG_ENCODING_DEFAULT = 255;
const hgEncoder = new TextEncoder();
const hgDecoder = new TextDecoder();

/** A TypeError for invalid input: `.code` is the SDK error name; the value is never echoed. */
function hgInputError(code, field) {
  const e = new TypeError('hashgate: ' + (field ? field + ': ' : '') + code);
  e.code = code;
  if (field) e.field = field;
  return e;
}

/** Looks a name up in a selector table, or throws TypeError(code). */
function hgSelect(table, name, code) {
  if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(table, name)) return table[name];
  throw hgInputError(code);
}

/** Packs an ISO 3166 alpha-2 region ("NL") as c0 | c1 << 8; 0 for none. */
function hgRegion(region) {
  if (region === undefined || region === null || region === '') return 0;
  if (typeof region !== 'string' || !/^[A-Za-z]{2}$/.test(region)) throw hgInputError('invalid_region');
  const r = region.toUpperCase();
  return r.charCodeAt(0) | (r.charCodeAt(1) << 8);
}

/**
 * Decodes the embedded wasm. The snippet embeds it as hex (gzips ~13% smaller than base64 and
 * is plain ASCII, safe in a classic script of any charset); hashgate.mjs, an ES module and so
 * always read as UTF-8, embeds the bytes themselves, one character per byte (gzips ~3% smaller
 * than hex; docs/web.md).
 */
function hgHexBytes(hex) {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

/** The bytes of a string holding one byte per character (hashgate.mjs's embedded wasm). */
function hgRawBytes(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < out.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * Compiles and instantiates a standalone wasm module. The only WASI call given a real answer is
 * clock_time_get (the current year bounds dates of birth); any other import traps.
 */
async function hgInstantiate(bytes) {
  const module = await WebAssembly.compile(bytes);
  let memory = null;
  const known = {
    clock_time_get(clockId, precision, outPtr) {
      new DataView(memory.buffer).setBigUint64(outPtr, BigInt(Date.now()) * 1000000n, true);
      return 0;
    },
  };
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') continue;
    (imports[imp.module] = imports[imp.module] || {})[imp.name] = known[imp.name] || (() => {
      throw new Error('hashgate: unexpected wasm import ' + imp.name);
    });
  }
  const instance = await WebAssembly.instantiate(module, imports);
  memory = instance.exports.memory;
  if (instance.exports._initialize) instance.exports._initialize();
  return new HgCore(instance.exports);
}

/** The wasm instance and its one I/O buffer. Every call zeroes the buffer before returning. */
class HgCore {
  constructor(exports) {
    this.x = exports;
    this.ptr = exports.hg_buffer();
    this.size = exports.hg_buffer_size();
  }

  /** A view of the I/O buffer (re-created if memory was ever replaced). */
  heap() {
    if (!this.view || this.view.buffer !== this.x.memory.buffer) {
      this.view = new Uint8Array(this.x.memory.buffer, this.ptr, this.size);
    }
    return this.view;
  }

  /**
   * The hot single call: hg_hash on `value` with selectors f, p, r, a, e and no key. No array,
   * closure or view is created per call. Returns the digest string or the negated error index.
   */
  hash(value, f, p, r, a, e) {
    const heap = this.heap();
    // Short ASCII values (nearly all identifiers) are copied code unit by code unit: cheaper than
    // an encodeInto call and its result object. Anything else goes through the encoder.
    let written = value.length;
    if (written <= 128) {
      for (let i = 0; i < written; i++) {
        const c = value.charCodeAt(i);
        if (c > 127) { written = -1; break; }
        heap[i] = c;
      }
    } else {
      written = -1;
    }
    if (written < 0) {
      const res = hgEncoder.encodeInto(value, heap);
      written = res.written;
      if (res.read < value.length) {
        heap.fill(0);
        return -5;  // too_long: does not fit the buffer
      }
    }
    let n = -17;
    try {
      n = this.x.hg_hash(written, f, p, r, a, e, 0);
      return n < 0 ? n : hgDecoder.decode(this.head(n));
    } finally {
      heap.fill(0, 0, n > written ? n : written);
    }
  }

  /** A cached view of the first `n` bytes of the buffer (results are short: one per length). */
  head(n) {
    if (!this.heads || this.heads.buffer !== this.x.memory.buffer) {
      this.heads = [];
      this.heads.buffer = this.x.memory.buffer;
    }
    return this.heads[n] || (this.heads[n] = this.heap().subarray(0, n));
  }

  /**
   * Writes `value` into the buffer and runs export `fn` on it (see run()). Returns the result
   * string, or a negative number: the negated error index.
   */
  call(fn, value, sel, key) {
    const { read, written } = hgEncoder.encodeInto(value, this.heap());
    if (read < value.length) {
      this.heap().fill(0);
      return -5;  // too_long: does not fit the buffer
    }
    return this.run(fn, written, sel, key);
  }

  /**
   * Runs export `fn` on the `len` input bytes already in the buffer, with an optional key
   * (string or Uint8Array) appended after them, and the selectors `sel`. Returns the result
   * string or the negated error index. Zeroes every byte it used before returning.
   */
  run(fn, len, sel, key) {
    const heap = this.heap();
    let used = len;
    let n = -17;
    try {
      let keyLen = 0;
      if (key !== undefined && key !== null) {
        const k = typeof key === 'string' ? hgEncoder.encode(key) : key;
        if (!(k instanceof Uint8Array)) throw hgInputError('missing_key');
        if (len + k.length > this.size) return -5;
        heap.set(k, len);
        keyLen = k.length;
        used += keyLen;
        if (typeof key === 'string') k.fill(0);
      }
      n = this.x[fn](len, ...sel, keyLen);
      return n < 0 ? n : hgDecoder.decode(heap.subarray(0, n));
    } finally {
      heap.fill(0, 0, Math.max(used, n));
    }
  }
}

/** Throws the right error for a negative ABI result: TypeError(code), or Error for internal. */
function hgThrow(n, field) {
  const code = HG_ERRORS[-n] || 'internal';
  if (code === 'internal') {
    const e = new Error('hashgate: internal error');
    e.code = code;
    throw e;
  }
  throw hgInputError(code, field);
}
