#pragma once
// PII guard: finds plain e-mail addresses and phone numbers in any string, including
// URL-encoded forms and query strings. Reports only *that* and *where*, never the value.
// Phones: pii_phone.hpp (candidate finder, then numbering plans). docs/pii-guard.md.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/policy/pii_phone.hpp"
#include "hashgate/types.hpp"

namespace hashgate::gw::policy {

/// What kind of raw identifier a string contains.
enum class PiiKind { none, email, phone };

/// The libphonenumber calls one request may still spend (see k_phone_calls_per_request).
using PiiBudget = PhoneBudget;

/// One step of a JSON path below an event: an object key (`is_key`) or an array index.
struct PathStep {
  std::string_view key;
  std::size_t index = 0;
  bool is_key = false;
};

/// The national plans checked when a tenant names none (`pii.phone_regions` absent):
/// NL BE DE FR GB ES IT US.
std::span<const Region> default_phone_regions();

/// The PII guard of one tenant: its phone regions and its allowed identifier paths. Built once
/// at start-up (it loads libphonenumber); immutable and thread-safe afterwards.
class PiiGuard {
 public:
  /// `phone_regions`: national numbering plans to check (`pii.phone_regions`); '+'/'00'
  /// numbers are checked in their own country's plan whatever it holds. `allow_paths`
  /// (`pii.allow_paths`): JSON pointers below an event, each under "/custom/", with "*" for any
  /// one key or index; values there are not checked for phone numbers (e-mail still is).
  /// Throws std::invalid_argument for a path outside /custom (the config loader checks first).
  PiiGuard(std::span<const Region> phone_regions, std::span<const std::string> allow_paths);
  /// Scans `s` and its percent-/form-decoded variants for an e-mail address, and for a phone
  /// number unless `phones` is false; spends `budget` on libphonenumber calls.
  PiiKind find(std::string_view s, PiiBudget& budget, bool phones = true) const;
  /// Same test for an integer written as decimal digits (a phone sent as a JSON number).
  PiiKind find_in_integer(std::string_view digits, PiiBudget& budget) const;
  /// True when `steps` (the path of a value below an event) matches one of the allow paths.
  bool allowed(std::span<const PathStep> steps) const;
  /// True when the tenant has allow paths (callers skip building paths otherwise).
  bool has_allow_paths() const { return !m_allow.empty(); }

 private:
  PhoneRules m_phones;
  std::vector<std::vector<std::string>> m_allow;  ///< each path's steps after "/custom"
};

/// The guard with the default regions and no allow paths (keys, opt-out bodies, tools).
const PiiGuard& default_pii_guard();

/// default_pii_guard().find(s) with a budget of its own.
PiiKind find_pii(std::string_view s);

/// default_pii_guard().find_in_integer(digits) with a budget of its own.
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
