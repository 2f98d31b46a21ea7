#pragma once
// hashgate SDK: normalize identifiers exactly as an ad platform expects, then hash them.
// Depends only on the C++ standard library and OpenSSL libcrypto. No exceptions.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hashgate/error.hpp"
#include "hashgate/result.hpp"
#include "hashgate/types.hpp"

namespace hashgate {

/// Options for normalize() and hash().
struct Options {
  Region region{};                      ///< default region for national phone numbers (empty: none)
  Algo algo = Algo::sha256;             ///< digest algorithm
  std::optional<Encoding> encoding;     ///< output encoding; the profile's default when empty
  std::span<const std::uint8_t> key{};  ///< HMAC key, required for Algo::hmac_sha256
};

/// Normalizes `value` as field `f` under profile `p`: the exact string the platform hashes.
/// Already-hashed input is not normalized here (see hash()). Errors name the reason only.
Result<std::string> normalize(Field f, std::string_view value, const Profile& p,
                              const Options& opt = {});

/// Normalizes then hashes `value`, returning the encoded digest. Input that already is a digest
/// of the requested algorithm (hex of either case, or base64 of the raw bytes) is re-encoded in
/// the requested encoding, never hashed again.
Result<std::string> hash(Field f, std::string_view value, const Profile& p,
                         const Options& opt = {});

/// One result of hash_batch(): the encoded digest, or the error for that entry.
struct BatchItem {
  Errc error = Errc::ok;
  std::string value;  ///< encoded digest when error == Errc::ok
};

/// Hashes many values held in one buffer, separated by `sep` (default '\n'; a trailing
/// separator does not add an empty entry). Each entry is handled as by hash().
std::vector<BatchItem> hash_batch(Field f, std::string_view buffer, const Profile& p,
                                  const Options& opt = {}, char sep = '\n');

/// Normalizes an e-mail address under profile `p` (the e-mail rules of normalize(Field::em)).
/// Kept in its own translation unit so size-sensitive builds link only what they call.
Result<std::string> normalize_email(std::string_view value, const Profile& p);

/// Normalizes a phone number under profile `p` with default `region` for national numbers
/// (empty: none); the rules of normalize(Field::ph).
Result<std::string> normalize_phone(std::string_view value, const Profile& p, Region region);

// ---- lower level building blocks (also used by the CLI, wasm ABI and gateway) ----

/// Computes the digest of `data` with `algo` into `out` (which must hold digest_size(algo)
/// bytes). `key` is used only for hmac_sha256. Returns Errc::ok or Errc::missing_key/internal.
Errc digest(Algo algo, std::string_view data, std::span<std::uint8_t> out,
            std::span<const std::uint8_t> key = {}) noexcept;

/// SHA-256 of `data` into `out` without linking the other algorithms (for size-sensitive
/// builds such as the tag-manager snippet). Returns false only on a libcrypto failure.
bool sha256(std::string_view data, std::span<std::uint8_t, 32> out) noexcept;

/// Lowercase hex of `bytes`.
std::string to_hex(std::span<const std::uint8_t> bytes);
/// Standard base64 (RFC 4648 §4, with padding) of `bytes`.
std::string to_base64(std::span<const std::uint8_t> bytes);

/// If `value` (after trimming ASCII whitespace) already is a digest of `size` bytes, as hex of
/// either case or as standard base64, decodes it into `out` and returns true.
bool decode_digest(std::string_view value, std::size_t size, std::span<std::uint8_t> out) noexcept;

/// True if `s` is well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;
/// Appends the UTF-8 encoding of code point `cp` (a scalar value: at most U+10FFFF, not a
/// surrogate) to `out`.
void append_utf8(std::string& out, char32_t cp);

/// Overwrites `n` bytes at `p` with zeros in a way the compiler may not elide.
void secure_zero(void* p, std::size_t n) noexcept;
/// Zeroes a string's bytes (its whole capacity) and clears it.
void secure_clear(std::string& s) noexcept;

}  // namespace hashgate
