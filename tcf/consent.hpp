#pragma once
// Consent policy: decides whether an event may be processed under a tenant's legal basis and
// TCF policy, given the event's IAB TCF v2.2/v2.3 TC string. Standard library only.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hashgate::tcf {

struct TcString;

/// The tenant's legal basis for processing (config key `legal_basis`).
enum class LegalBasis { consent, legitimate_interest };

/// The tenant's TCF policy (config object `tcf`): our GVL vendor id, the purposes that must be
/// granted, whether the vendor itself must be granted, and whether TCF 2.2 policy versions apply.
struct TcfPolicy {
  int vendor_id = 0;
  std::vector<int> required_purposes;
  bool require_vendor_consent = true;
  bool strict_policy_version = true;
};

/// Result of a consent decision: `allowed`, a short machine reason ("ok", "no_tc_string",
/// "invalid_tc_string", "purpose_consent", ... see docs/tcf.md), and a compact JSON summary
/// that never contains the raw TC string.
struct ConsentDecision {
  bool allowed = false;
  std::string reason;
  std::string summary_json;
};

/// Decides whether `tc_string` grants `policy` under `basis`; `now_unix` is the current time in
/// seconds (strings dated more than a day in the future are refused). Never throws; an empty or
/// invalid string is denied.
ConsentDecision decide_consent(LegalBasis basis, const TcfPolicy& policy,
                               std::string_view tc_string, std::int64_t now_unix);

/// Same decision for an already decoded string `tc`.
ConsentDecision decide_consent(LegalBasis basis, const TcfPolicy& policy, const TcString& tc,
                               std::int64_t now_unix);

/// Checks a policy: vendor_id in 1..65535 (0 allowed only without require_vendor_consent), each
/// required purpose in 1..24. Returns "" when valid, else the bad field (e.g. "tcf.vendor_id").
std::string validate_policy(const TcfPolicy& policy);

/// Parses a config value "consent" / "legitimate_interest"; returns false on anything else.
bool parse_legal_basis(std::string_view text, LegalBasis& out);

/// The config spelling of `basis` ("consent" or "legitimate_interest").
std::string_view to_string(LegalBasis basis);

}  // namespace hashgate::tcf
