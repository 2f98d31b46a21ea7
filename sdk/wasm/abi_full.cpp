// The full module's exports: every field, profile, algorithm and encoding, single and batch.
#include <emscripten.h>

#include <cstring>
#include <string>

#include "abi.hpp"
#include "email_simd.hpp"
#include "internal.hpp"
#include "sha256x4.hpp"

namespace {

using namespace hashgate;
using hashgate::wasm::io_buffer;
using hashgate::wasm::k_io_size;

/// Validates the selectors and fills `p` and `opt`; Errc::ok or the reason.
Errc decode_call(std::uint32_t field, std::uint32_t profile_id, std::uint32_t region,
                 std::uint32_t algo, std::uint32_t encoding, Field& f, const Profile*& p,
                 Options& opt) noexcept {
  if (field > static_cast<std::uint32_t>(Field::external_id)) return Errc::unsupported_field;
  if (profile_id > static_cast<std::uint32_t>(ProfileId::liveramp))
    return Errc::unsupported_profile;
  if (algo > static_cast<std::uint32_t>(Algo::hmac_sha256)) return Errc::unsupported_algo;
  if (encoding != wasm::k_encoding_default &&
      encoding > static_cast<std::uint32_t>(Encoding::base64))
    return Errc::unsupported_encoding;
  if (!wasm::decode_region(region, opt.region)) return Errc::invalid_region;
  f = static_cast<Field>(field);
  p = &hashgate::profile(static_cast<ProfileId>(profile_id));
  opt.algo = static_cast<Algo>(algo);
  if (encoding != wasm::k_encoding_default) opt.encoding = static_cast<Encoding>(encoding);
  return Errc::ok;
}

/// Checks that input and key fit the buffer: input at [0, in_len), key right after it.
bool lengths_fit(std::uint32_t in_len, std::uint32_t key_len) noexcept {
  return in_len <= k_io_size && key_len <= k_io_size - in_len;
}

/// Index of the first NUL byte of `s` at or after `from`, or `n` if there is none. Eight bytes
/// at a time (a word has a zero byte iff (w - 0x01..01) & ~w & 0x80..80 is non-zero): cheaper
/// than a memchr call for the short values of a batch.
std::size_t find_nul(const char* s, std::size_t from, std::size_t n) noexcept {
  std::size_t i = from;
  for (; n - i >= 8; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s + i, 8);
    if ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull) break;
  }
  while (i < n && s[i] != '\0') ++i;
  return i;
}

/// Reused scratch of the batch path: up to four normalized values waiting for the 4-lane digest
/// and the output slots their digests go to. Every buffer is zeroed once its value is hashed.
struct BatchState {
  std::string scratch[4];
  alignas(16) char fast[4][wasm::k_fast_email_max];
  std::size_t fast_len[4] =
      {};  ///< > 0: the lane's value is in fast[i] (fast path), else scratch[i]
  std::string out;
  std::uint8_t* slot[4] = {};
  int lanes = 0;

  /// Normalizes `v` into the next lane (its slot is set by the caller), or re-encodes an
  /// already-hashed value straight into `dst`. Returns the value's status.
  Errc prepare(Field f, std::string_view v, const Profile& p, const Options& opt, std::uint8_t* dst,
               Encoding enc) {
    // The fast path reads up to 15 bytes past the value: still inside the I/O buffer?
    const bool room =
        reinterpret_cast<const std::uint8_t*>(v.data()) + v.size() + 16 <= io_buffer() + k_io_size;
    if (f == Field::em && p.id != ProfileId::liveramp && room && v.size() <= k_max_input_bytes) {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(v.data());
      if (const std::size_t n =
              wasm::fast_email(bytes, v.size(), p.id == ProfileId::meta, fast[lanes]);
          n != 0) {
        fast_len[lanes] = n;
        slot[lanes++] = nullptr;
        return Errc::ok;
      }
    }
    std::uint8_t md[32];
    if (v.size() > k_max_input_bytes) return Errc::too_long;
    if (decode_digest(v, 32, std::span<std::uint8_t>(md, 32))) {
      write(md, dst, enc);
      secure_zero(md, sizeof md);
      return Errc::ok;
    }
    std::string_view t;
    if (const Errc e = detail::precheck(v, t); e != Errc::ok) return e;
    std::string& s = scratch[lanes];
    Errc e = detail::normalize_field_into(f, t, p, opt, s);
    if (e == Errc::ok && s.empty()) e = Errc::empty;
    if (e != Errc::ok) {
      secure_zero(s.data(), s.capacity());
      s.clear();
      return e;
    }
    slot[lanes++] = nullptr;
    return Errc::ok;
  }

  /// Hashes the pending lanes (values of field `f`) and writes their encoded digests into their
  /// slots.
  void flush(Field f, Encoding enc) {
    if (lanes == 0) return;
    const std::uint8_t* data[4];
    std::size_t len[4];
    for (int i = 0; i < lanes; ++i) {
      data[i] = reinterpret_cast<const std::uint8_t*>(fast_len[i] ? fast[i] : scratch[i].data());
      len[i] = fast_len[i] ? fast_len[i] : scratch[i].size();
    }
    std::uint8_t md[4][32];
    wasm::sha256x4(data, len, lanes, md);
    for (int i = 0; i < lanes; ++i) {
      write(md[i], slot[i], enc);
      if (fast_len[i]) {
        secure_zero(fast[i], fast_len[i]);
        fast_len[i] = 0;
        slot[i] = nullptr;
        continue;
      }
      // The e-mail normalizer leaves nothing past the value's end (it zeroes what it drops), so
      // its lanes need only their bytes zeroed; other fields zero the whole capacity.
      secure_zero(scratch[i].data(), f == Field::em ? scratch[i].size() : scratch[i].capacity());
      scratch[i].clear();
      slot[i] = nullptr;
    }
    secure_zero(md, sizeof md);
    lanes = 0;
  }

  /// Writes the hex or base64 of a 32-byte digest at `dst`.
  void write(const std::uint8_t* md, std::uint8_t* dst, Encoding enc) {
    if (enc == Encoding::hex) {
      wasm::hex32(md, dst);
      return;
    }
    out.clear();
    detail::append_base64({md, 32}, out);
    std::memcpy(dst, out.data(), out.size());
    secure_clear(out);
  }
};

/// The one BatchState (the module is single-threaded); buffers keep their capacity.
BatchState& batch_state() {
  static BatchState state;
  return state;
}

}  // namespace

extern "C" {

/// Normalizes the `in_len` input bytes as `field` under `profile` (see abi.hpp for selectors).
EMSCRIPTEN_KEEPALIVE std::int32_t hg_normalize(std::uint32_t in_len, std::uint32_t field,
                                               std::uint32_t profile, std::uint32_t region) {
  const std::size_t used = in_len;
  if (!lengths_fit(in_len, 0)) return wasm::put_error(Errc::too_long, used);
  Field f{};
  const Profile* p = nullptr;
  Options opt;
  if (Errc e = decode_call(field, profile, region, 0, wasm::k_encoding_default, f, p, opt);
      e != Errc::ok)
    return wasm::put_error(e, used);
  std::string_view in(reinterpret_cast<const char*>(io_buffer()), in_len);
  auto r = normalize(f, in, *p, opt);
  if (!r) return wasm::put_error(r.error(), used);
  std::int32_t n = wasm::put_result(*r, used);
  secure_clear(*r);
  return n;
}

/// Normalizes then hashes the input; a `key_len`-byte HMAC key follows the input in the buffer.
EMSCRIPTEN_KEEPALIVE std::int32_t hg_hash(std::uint32_t in_len, std::uint32_t field,
                                          std::uint32_t profile, std::uint32_t region,
                                          std::uint32_t algo, std::uint32_t encoding,
                                          std::uint32_t key_len) {
  const std::size_t used = std::size_t{in_len} + key_len;
  if (!lengths_fit(in_len, key_len)) return wasm::put_error(Errc::too_long, used);
  Field f{};
  const Profile* p = nullptr;
  Options opt;
  if (Errc e = decode_call(field, profile, region, algo, encoding, f, p, opt); e != Errc::ok)
    return wasm::put_error(e, used);
  std::string_view in(reinterpret_cast<const char*>(io_buffer()), in_len);
  opt.key = std::span<const std::uint8_t>(io_buffer() + in_len, key_len);
  BatchState& b = batch_state();
  const Errc e = detail::hash_into(f, in, *p, opt, b.scratch[0], b.out);
  if (e != Errc::ok) return wasm::put_error(e, used);
  const std::int32_t n = wasm::put_result(b.out, used);
  secure_clear(b.out);
  return n;
}

/// Hashes `count` NUL-separated values (input and key as for hg_hash) into fixed-width slots:
/// value k's encoded digest at out_off + k * width, then one status byte per value at
/// out_off + count * width + k (0 = ok, else the Errc). Returns the width, or -errc for the call.
/// SHA-256 goes through the 4-lane SIMD digest; the other algorithms through the SDK.
EMSCRIPTEN_KEEPALIVE std::int32_t hg_hash_batch(std::uint32_t in_len, std::uint32_t field,
                                                std::uint32_t profile, std::uint32_t region,
                                                std::uint32_t algo, std::uint32_t encoding,
                                                std::uint32_t key_len, std::uint32_t count,
                                                std::uint32_t out_off) {
  const std::size_t used = std::size_t{in_len} + key_len;
  if (!lengths_fit(in_len, key_len)) return wasm::put_error(Errc::too_long, used);
  Field f{};
  const Profile* p = nullptr;
  Options opt;
  if (Errc e = decode_call(field, profile, region, algo, encoding, f, p, opt); e != Errc::ok)
    return wasm::put_error(e, used);
  const Encoding enc = opt.encoding.value_or(p->default_encoding);
  const std::size_t dsize = digest_size(opt.algo);
  const std::size_t width = enc == Encoding::hex ? dsize * 2 : (dsize + 2) / 3 * 4;
  if (out_off < used || out_off > k_io_size ||
      std::size_t{count} * (width + 1) > k_io_size - out_off)
    return wasm::put_error(Errc::too_long, used);
  std::uint8_t* const io = io_buffer();
  opt.key = std::span<const std::uint8_t>(io + in_len, key_len);
  const std::string_view in(reinterpret_cast<const char*>(io), in_len);
  std::uint8_t* const digests = io + out_off;
  std::uint8_t* const status = digests + std::size_t{count} * width;
  BatchState& b = batch_state();
  const bool simd = opt.algo == Algo::sha256;
  std::size_t start = 0;
  std::uint32_t k = 0;
  for (; k < count && start <= in.size(); ++k) {
    const std::size_t end = find_nul(in.data(), start, in.size());
    const std::string_view v = in.substr(start, end - start);
    start = end + 1;
    if (!simd) {
      const Errc e = detail::hash_into(f, v, *p, opt, b.scratch[0], b.out);
      status[k] = static_cast<std::uint8_t>(e);
      if (e == Errc::ok) std::memcpy(digests + std::size_t{k} * width, b.out.data(), width);
      continue;
    }
    const Errc e = b.prepare(f, v, *p, opt, digests + std::size_t{k} * width, enc);
    status[k] = static_cast<std::uint8_t>(e);
    if (e == Errc::ok && b.lanes > 0 && b.slot[b.lanes - 1] == nullptr) {
      b.slot[b.lanes - 1] = digests + std::size_t{k} * width;
      if (b.lanes == 4) b.flush(f, enc);
    }
  }
  if (simd) b.flush(f, enc);
  secure_clear(b.out);
  secure_zero(io, used);
  if (k != count || start <= in.size()) {  // fewer or more values than announced
    secure_zero(digests, std::size_t{count} * (width + 1));
    return -static_cast<std::int32_t>(Errc::invalid_value);
  }
  return static_cast<std::int32_t>(width);
}

/// Test hook for the SIMD digest: `count` records [u16 little-endian length][bytes] at the start
/// of the buffer; writes count 32-byte SHA-256 digests at out_off, through the 4-lane code
/// (simd = 1) or OpenSSL (simd = 0). Returns 0, or -too_long if the records overrun.
EMSCRIPTEN_KEEPALIVE std::int32_t hg_sha256_records(std::uint32_t in_len, std::uint32_t count,
                                                    std::uint32_t out_off, std::uint32_t simd) {
  std::uint8_t* const io = io_buffer();
  if (in_len > k_io_size || out_off < in_len || out_off > k_io_size ||
      std::size_t{count} * 32 > k_io_size - out_off)
    return wasm::put_error(Errc::too_long, in_len);
  const std::uint8_t* data[4];
  std::size_t len[4];
  std::uint8_t md[4][32];
  std::size_t at = 0;
  std::uint32_t k = 0;
  while (k < count) {
    int lanes = 0;
    for (; lanes < 4 && k + lanes < count; ++lanes) {
      if (at + 2 > in_len) return wasm::put_error(Errc::too_long, in_len);
      len[lanes] = io[at] | (std::size_t{io[at + 1]} << 8);
      data[lanes] = io + at + 2;
      at += 2 + len[lanes];
      if (at > in_len) return wasm::put_error(Errc::too_long, in_len);
    }
    if (simd) {
      wasm::sha256x4(data, len, lanes, md);
    } else {
      for (int l = 0; l < lanes; ++l)
        sha256(std::string_view(reinterpret_cast<const char*>(data[l]), len[l]),
               std::span<std::uint8_t, 32>(md[l], 32));
    }
    for (int l = 0; l < lanes; ++l) std::memcpy(io + out_off + std::size_t{k + l} * 32, md[l], 32);
    k += lanes;
  }
  secure_zero(io, in_len);
  return 0;
}

}  // extern "C"
