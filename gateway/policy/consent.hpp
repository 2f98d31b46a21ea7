#pragma once
// Consent policy: decides whether an event may be processed under a tenant's legal basis and
// TCF policy, given the event's IAB TCF v2.2/v2.3 TC string.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hashgate::gw {

/// The tenant's legal basis for processing (config key `legal_basis`).
enum class LegalBasis { consent, legitimate_interest };

/// The tenant's TCF policy (config object `tcf`): our vendor id, the purposes that must be
/// granted, whether the vendor itself must be granted, and whether TCF 2.2 policy versions apply.
struct TcfPolicy {
    int vendor_id = 0;
    std::vector<int> required_purposes;
    bool require_vendor_consent = true;
    bool strict_policy_version = true;
};

/// Result of a consent decision: `allowed`, a short machine reason (e.g. "ok", "no_tc_string",
/// "invalid_tc_string", "purpose_3_not_granted"), and a compact JSON summary without the raw string.
struct ConsentDecision {
    bool allowed = false;
    std::string reason;
    std::string summary_json;
};

/// Decides whether `tc_string` grants `policy` under `basis`; `now_unix` is the current time in
/// seconds (used only for the policy-version rule). Never throws; empty/invalid strings are denied.
ConsentDecision decide_consent(LegalBasis basis, const TcfPolicy& policy, std::string_view tc_string,
                               std::int64_t now_unix);

/// Parses a config value "consent" / "legitimate_interest"; returns false on anything else.
bool parse_legal_basis(std::string_view text, LegalBasis& out);

/// The config spelling of `basis` ("consent" or "legitimate_interest").
std::string_view to_string(LegalBasis basis);

}  // namespace hashgate::gw
