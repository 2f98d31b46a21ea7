#pragma once
// Phone detection of the PII guard, in two stages (docs/pii-guard.md):
//  1. PhoneCandidates, a cheap scan with no library behind it, finds the phone-shaped stretches
//     of a string: 8–17 digits with phone separators, not glued into an identifier
//     (fb.1.…, GA1.2.…, INV-2025-…), not a date, an IPv4 address, a year-plus-sequence number or
//     an ISBN. Most strings have none and never reach stage 2.
//  2. PhoneRules judges each candidate against numbering plans (libphonenumber): '+'/'00'
//     numbers in their own country's plan, national ones in the tenant's regions.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gateway/policy/pii_phonelib.hpp"
#include "hashgate/types.hpp"

namespace hashgate::gw::policy {

/// How many libphonenumber calls (≈10–30 µs each) one request may spend; when they run out,
/// the remaining phone-shaped values count as phones (fail closed).
inline constexpr std::uint32_t k_phone_calls_per_request = 2048;

/// The libphonenumber calls still allowed to one request (see k_phone_calls_per_request).
struct PhoneBudget {
  std::uint32_t calls_left = k_phone_calls_per_request;
  /// Takes one call from the budget; false when none is left.
  bool spend() { return calls_left > 0 ? (--calls_left, true) : false; }
};

/// One phone-shaped stretch of a string, as PhoneCandidates found it.
struct PhoneCandidate {
  static constexpr std::size_t k_max_digits = 17;  ///< "00" + 15 digits of E.164
  static constexpr std::size_t k_max_groups = 8;
  std::string_view text;  ///< from its '+', '(' or first digit to its last digit (or ')')
  std::array<char, k_max_digits> digits{};
  std::size_t n_digits = 0;                            ///< all digits, also past k_max_digits
  std::array<std::uint8_t, k_max_groups> group_len{};  ///< digits per group (the first 8)
  std::array<char, k_max_groups> sep{};                ///< separator before group i (i ≥ 1)
  std::size_t n_groups = 0;                            ///< all groups, also past k_max_groups
  bool plus = false;                                   ///< starts with '+'
  /// More than k_max_digits digits: several numbers (or none) in one stretch of text.
  bool long_text() const { return n_digits > k_max_digits; }
  /// No separator at all: a bare digit run.
  bool plain() const { return n_groups == 1 && !plus; }
  /// The digits as a view (the first k_max_digits).
  std::string_view digit_view() const {
    return {digits.data(), n_digits < k_max_digits ? n_digits : k_max_digits};
  }
};

/// Iterates over the phone-shaped stretches of a string (stage 1). No allocation; the string
/// must outlive the finder.
class PhoneCandidates {
 public:
  /// Fewer digits than this are never a phone number here (documented tolerance).
  static constexpr std::size_t k_min_digits = 8;
  explicit PhoneCandidates(std::string_view s) : m_s(s) {}
  /// Fills `c` with the next candidate; false when there is none left.
  bool next(PhoneCandidate& c);

 private:
  bool next_run();
  std::string_view m_s;
  std::size_t m_pos = 0;      ///< where the next run is looked for
  std::size_t m_run_end = 0;  ///< end of the current run of phone characters
  std::size_t m_piece = 0;    ///< start of the next piece inside the run
};

/// Stage 2: numbering-plan rules for the regions of one tenant. Immutable; thread-safe.
class PhoneRules {
 public:
  /// `regions`: national plans to check (ISO 3166 alpha-2). '+'/'00' numbers are checked in
  /// their own country's plan whatever the list holds. Loads libphonenumber (start-up).
  explicit PhoneRules(std::span<const Region> regions);
  /// True when `s` contains a phone number; spends `budget` on libphonenumber calls.
  bool find(std::string_view s, PhoneBudget& budget) const;
  /// True when candidate `c`, as a whole, is a phone number in some plan (stage 2 for one
  /// candidate; a long one never is: find() looks at its words).
  bool is_phone(const PhoneCandidate& c, PhoneBudget& budget) const;

 private:
  bool international(const PhoneCandidate& c, std::size_t prefix, PhoneBudget& budget) const;
  bool national(const PhoneCandidate& c, PhoneBudget& budget) const;
  bool in_words(const PhoneCandidate& c, PhoneBudget& budget) const;
  std::vector<phonelib::RegionPlan> m_plans;
  bool m_nanp = false;  ///< a NANP region (US, CA, …) is among them
};

/// True when the GS1 check digit (the last digit) of `digits` is right (GTIN-8/12/13/14, ISBN-13).
bool gs1_check_digit_ok(std::string_view digits);

}  // namespace hashgate::gw::policy
