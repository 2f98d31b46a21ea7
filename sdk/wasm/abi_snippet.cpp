// The snippet module's exports: e-mail and phone, profiles meta/google/uid2, SHA-256 only. It calls
// the per-field normalizers directly so wasm-ld can drop every other field, profile and digest.
#include <emscripten.h>

#include <array>
#include <string>

#include "abi.hpp"

namespace {

using namespace hashgate;

/// Normalizes and hashes one e-mail or phone with SHA-256 into the buffer.
std::int32_t snippet_hash(std::string_view in, Field f, const Profile& p, const Options& opt) {
  const std::size_t used = in.size();
  std::array<std::uint8_t, 32> md{};
  const Encoding enc = opt.encoding.value_or(p.default_encoding);
  if (!decode_digest(in, md.size(), md)) {
    if (in.size() > k_max_input_bytes) return wasm::put_error(Errc::too_long, used);
    if (!valid_utf8(in)) return wasm::put_error(Errc::invalid_utf8, used);
    auto norm = f == Field::em ? normalize_email(in, p) : normalize_phone(in, p, opt.region);
    if (!norm) return wasm::put_error(norm.error(), used);
    const bool ok = sha256(*norm, std::span<std::uint8_t, 32>(md));
    secure_clear(*norm);
    if (!ok) return wasm::put_error(Errc::internal, used);
  }
  std::string out = enc == Encoding::hex ? to_hex(md) : to_base64(md);
  secure_zero(md.data(), md.size());
  return wasm::put_result(out, used);
}

}  // namespace

extern "C" {

/// Same signature as the full module's hg_hash; only em/ph, meta/google/uid2, sha256, no key.
EMSCRIPTEN_KEEPALIVE std::int32_t hg_hash(std::uint32_t in_len, std::uint32_t field,
                                          std::uint32_t profile_id, std::uint32_t region,
                                          std::uint32_t algo, std::uint32_t encoding,
                                          std::uint32_t key_len) {
  const std::size_t used = std::size_t{in_len} + key_len;
  if (in_len > wasm::k_io_size) return wasm::put_error(Errc::too_long, used);
  if (field != static_cast<std::uint32_t>(Field::em) &&
      field != static_cast<std::uint32_t>(Field::ph))
    return wasm::put_error(Errc::unsupported_field, used);
  if (profile_id > static_cast<std::uint32_t>(ProfileId::uid2))
    return wasm::put_error(Errc::unsupported_profile, used);
  if (algo != static_cast<std::uint32_t>(Algo::sha256) || key_len != 0)
    return wasm::put_error(Errc::unsupported_algo, used);
  if (encoding != wasm::k_encoding_default &&
      encoding > static_cast<std::uint32_t>(Encoding::base64))
    return wasm::put_error(Errc::unsupported_encoding, used);
  Options opt;
  if (!wasm::decode_region(region, opt.region)) return wasm::put_error(Errc::invalid_region, used);
  if (encoding != wasm::k_encoding_default) opt.encoding = static_cast<Encoding>(encoding);
  std::string_view in(reinterpret_cast<const char*>(wasm::io_buffer()), in_len);
  return snippet_hash(in, static_cast<Field>(field), profile(static_cast<ProfileId>(profile_id)),
                      opt);
}

}  // extern "C"
