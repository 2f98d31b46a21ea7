#pragma once
// PII guard: finds plain e-mail addresses and phone numbers in any string, including
// URL-encoded forms and query strings. Reports only *that* and *where*, never the value.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hashgate::gw::policy {

/// What kind of raw identifier a string contains.
enum class PiiKind { none, email, phone };

/// Scans `s` (and its percent-/form-decoded variants) for an e-mail address or phone number.
PiiKind find_pii(std::string_view s);

/// Same test for an integer written as decimal digits (e.g. a phone sent as a JSON number).
PiiKind find_pii_in_integer(std::string_view digits);

/// Canonical lowercase hex of a digest of `bytes` bytes given as hex (either case) or, for
/// 32-byte digests, as 44-char standard base64. nullopt when `s` is not such a digest.
std::optional<std::string> canonical_digest(std::string_view s, std::size_t bytes);
/// True when canonical_digest(s, bytes) would return a value (nothing is allocated).
bool is_digest(std::string_view s, std::size_t bytes);

/// True if `s` is an acceptable online identifier: 1–200 chars of [A-Za-z0-9._:=/+-].
bool valid_online_id(std::string_view s);

/// Decodes %XX escapes (and '+' as space when `form`); invalid escapes are kept verbatim.
std::string percent_decode(std::string_view s, bool form);

}  // namespace hashgate::gw::policy
