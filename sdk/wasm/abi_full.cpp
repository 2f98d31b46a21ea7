// The full module's exports: every field, profile, algorithm and encoding, single and batch.
#include <emscripten.h>

#include <cstring>
#include <string>

#include "abi.hpp"

namespace {

using namespace hashgate;
using hashgate::wasm::io_buffer;
using hashgate::wasm::k_io_size;

/// Validates the selectors and fills `p` and `opt`; Errc::ok or the reason.
Errc decode_call(std::uint32_t field, std::uint32_t profile_id, std::uint32_t region,
                 std::uint32_t algo, std::uint32_t encoding, Field& f, const Profile*& p,
                 Options& opt) noexcept {
  if (field > static_cast<std::uint32_t>(Field::external_id)) return Errc::unsupported_field;
  if (profile_id > static_cast<std::uint32_t>(ProfileId::liveramp)) return Errc::unsupported_profile;
  if (algo > static_cast<std::uint32_t>(Algo::hmac_sha256)) return Errc::unsupported_algo;
  if (encoding != wasm::k_encoding_default && encoding > static_cast<std::uint32_t>(Encoding::base64))
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
  if (Errc e = decode_call(field, profile, region, 0, wasm::k_encoding_default, f, p, opt); e != Errc::ok)
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
  auto r = hash(f, in, *p, opt);
  if (!r) return wasm::put_error(r.error(), used);
  return wasm::put_result(*r, used);
}

/// Hashes many '\n'-separated values (input as for hg_hash); writes one line per
/// entry: the digest, or '!' followed by the decimal Errc. Returns the output length or -errc.
EMSCRIPTEN_KEEPALIVE std::int32_t hg_hash_batch(std::uint32_t in_len, std::uint32_t field,
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
  // Copy input and key out of the buffer so results can be written in place.
  std::string in(reinterpret_cast<const char*>(io_buffer()), in_len);
  std::string key(reinterpret_cast<const char*>(io_buffer()) + in_len, key_len);
  opt.key = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
  std::string out;
  std::size_t start = 0;
  Errc failure = Errc::ok;
  while (start < in.size()) {
    std::size_t end = in.find('\n', start);
    if (end == std::string::npos) end = in.size();
    auto r = hash(f, std::string_view(in).substr(start, end - start), *p, opt);
    if (r) {
      out += *r;
    } else {
      out += '!';
      out += std::to_string(static_cast<int>(r.error()));
    }
    out += '\n';
    start = end + 1;
  }
  secure_clear(in);
  secure_clear(key);
  if (out.size() > k_io_size) failure = Errc::too_long;
  std::int32_t n = failure == Errc::ok ? wasm::put_result(out, used) : wasm::put_error(failure, used);
  secure_clear(out);
  return n;
}

}  // extern "C"
