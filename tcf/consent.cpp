// Consent decision over a decoded TC string: TCF 2.2 legal-basis rules, policy version,
// publisher restrictions and the v2.3 Disclosed Vendors segment. See docs/tcf.md.

#include "tcf/consent.hpp"

#include <optional>

#include "tcf/tc_string.hpp"

namespace hashgate::tcf {

namespace {

/// Purposes that TCF policy allows only under consent (1: store/access; 3-6: personalisation).
bool consent_only_purpose(int purpose) { return purpose == 1 || (purpose >= 3 && purpose <= 6); }

/// Builds the summary JSON prefix shared by every decision.
std::string summary_head(LegalBasis basis, bool allowed, std::string_view reason) {
  std::string out = "{\"basis\":\"";
  out += to_string(basis);
  out += "\",\"allowed\":";
  out += allowed ? "true" : "false";
  out += ",\"reason\":\"";
  out += reason;
  out += '"';
  return out;
}

ConsentDecision simple_decision(LegalBasis basis, std::string reason, std::string_view error) {
  ConsentDecision d;
  d.allowed = false;
  d.reason = std::move(reason);
  d.summary_json = summary_head(basis, false, d.reason);
  if (!error.empty()) {
    // Decoder reasons are fixed texts plus a field name, never input bytes: safe to embed.
    d.summary_json += ",\"error\":\"";
    d.summary_json += error;
    d.summary_json += '"';
  }
  d.summary_json += '}';
  return d;
}

/// The first reason a decision is denied (later ones are not kept), and its purpose if any.
struct Denial {
  std::string reason = "ok";
  std::optional<int> purpose;
  void deny(std::string why, std::optional<int> p = std::nullopt) {
    if (reason != "ok") return;
    reason = std::move(why);
    purpose = p;
  }
};

/// Checks required purpose `p` for `vendor` under `basis` (publisher restrictions, consent or
/// legitimate interest); sets `vendor_consent_needed` when `p` is granted only by consent.
void check_purpose(LegalBasis basis, const TcString& tc, int vendor, int p, Denial& denial,
                   bool& vendor_consent_needed) {
  const unsigned types = publisher_restriction_types(tc, vendor, p);
  const bool not_allowed = types & 1U;
  const bool require_consent = types & 2U;
  const bool require_li = types & 4U;
  if (not_allowed || (require_consent && require_li))
    return denial.deny("publisher_restriction", p);
  const bool has_consent = tc.purposes_consent.contains(p);
  const bool has_li = tc.purposes_li.contains(p);
  if (basis == LegalBasis::consent) {
    // The tenant declared consent; a publisher demanding LI for this purpose rules it out.
    if (require_li) return denial.deny("publisher_restriction", p);
    if (!has_consent) denial.deny("purpose_consent", p);
    return;
  }
  const bool li_possible = !consent_only_purpose(p) && !require_consent;
  if (require_li) {
    if (consent_only_purpose(p)) return denial.deny("publisher_restriction", p);
    if (!has_li) denial.deny("purpose_li", p);
    return;
  }
  if (li_possible && has_li) return;
  if (has_consent) {
    vendor_consent_needed = true;
    return;
  }
  denial.deny(li_possible ? "purpose_li" : "purpose_consent", p);
}

/// What the string grants the policy's vendor.
struct VendorGrant {
  bool consent = false, li = false, disclosed = false;
};

/// Checks the policy's vendor: disclosed (v2.3), and granted consent (or, when no purpose needs
/// consent, legitimate interest).
VendorGrant check_vendor(const TcfPolicy& policy, const TcString& tc, bool vendor_consent_needed,
                         Denial& denial) {
  const int vendor = policy.vendor_id;
  VendorGrant g{tc.vendor_consent.contains(vendor), tc.vendor_li.contains(vendor),
                !tc.has_disclosed_vendors || tc.disclosed_vendors.contains(vendor)};
  if (!policy.require_vendor_consent) return g;
  if (!g.disclosed) {
    denial.deny("vendor_not_disclosed");
  } else if (vendor_consent_needed && !g.consent) {
    denial.deny("vendor_consent");
  } else if (!vendor_consent_needed && !g.li && !g.consent) {
    denial.deny("vendor_li");
  }
  return g;
}

/// The decision's JSON summary: basis, outcome, reason, the string's metadata and grants.
std::string decision_summary(LegalBasis basis, bool allowed, const Denial& denial, int vendor,
                             const VendorGrant& g, const TcString& tc) {
  std::string s = summary_head(basis, allowed, denial.reason);
  if (denial.purpose) s += ",\"purpose\":" + std::to_string(*denial.purpose);
  s += ",\"vendor_id\":" + std::to_string(vendor);
  s += ",\"cmp_id\":" + std::to_string(tc.cmp_id);
  s += ",\"cmp_version\":" + std::to_string(tc.cmp_version);
  s += ",\"vendor_list_version\":" + std::to_string(tc.vendor_list_version);
  s += ",\"policy_version\":" + std::to_string(tc.policy_version);
  s += ",\"created\":\"" + format_tc_time(tc.created_ds) + '"';
  s += ",\"last_updated\":\"" + format_tc_time(tc.last_updated_ds) + '"';
  s += ",\"purposes_consent\":";
  append_json_int_array(s, tc.purposes_consent.to_vector());
  s += ",\"purposes_li\":";
  append_json_int_array(s, tc.purposes_li.to_vector());
  s += std::string(",\"vendor_consent\":") + (g.consent ? "true" : "false");
  s += std::string(",\"vendor_li\":") + (g.li ? "true" : "false");
  s += std::string(",\"vendor_disclosed\":") +
       (tc.has_disclosed_vendors ? (g.disclosed ? "true" : "false") : "null");
  s += '}';
  return s;
}

}  // namespace

std::string_view to_string(LegalBasis basis) {
  return basis == LegalBasis::consent ? "consent" : "legitimate_interest";
}

bool parse_legal_basis(std::string_view text, LegalBasis& out) {
  if (text == "consent") {
    out = LegalBasis::consent;
    return true;
  }
  if (text == "legitimate_interest") {
    out = LegalBasis::legitimate_interest;
    return true;
  }
  return false;
}

std::string validate_policy(const TcfPolicy& policy) {
  // vendor_id 0 is allowed only when no vendor check is asked for (a first party off the GVL).
  const bool no_vendor = policy.vendor_id == 0 && !policy.require_vendor_consent;
  if (!no_vendor && (policy.vendor_id < 1 || policy.vendor_id > k_tcf_max_vendor_id)) {
    return "tcf.vendor_id";
  }
  for (int p : policy.required_purposes) {
    if (p < 1 || p > 24) return "tcf.required_purposes";
  }
  return "";
}

ConsentDecision decide_consent(LegalBasis basis, const TcfPolicy& policy,
                               std::string_view tc_string, std::int64_t now_unix) {
  if (tc_string.empty()) return simple_decision(basis, "no_tc_string", "");
  const auto decoded = decode_tc_string(tc_string);
  if (!decoded.ok()) return simple_decision(basis, "invalid_tc_string", decoded.error);
  return decide_consent(basis, policy, *decoded.tc, now_unix);
}

ConsentDecision decide_consent(LegalBasis basis, const TcfPolicy& policy, const TcString& tc,
                               std::int64_t now_unix) {
  const std::string bad_field = validate_policy(policy);
  if (!bad_field.empty()) return simple_decision(basis, "invalid_policy", bad_field);
  Denial denial;
  if (tc.created_unix() > now_unix + 86400) denial.deny("created_in_future");
  if (policy.strict_policy_version && tc.policy_version < 4 &&
      tc.created_unix() >= k_tcf_policy_v4_cutoff_unix) {
    denial.deny("policy_version");
  }
  // `vendor_consent_needed`: some purpose is granted only through consent.
  bool vendor_consent_needed = basis == LegalBasis::consent;
  for (int p : policy.required_purposes) {
    check_purpose(basis, tc, policy.vendor_id, p, denial, vendor_consent_needed);
  }
  const VendorGrant vendor = check_vendor(policy, tc, vendor_consent_needed, denial);
  ConsentDecision d;
  d.allowed = denial.reason == "ok";
  d.reason = denial.reason;
  d.summary_json = decision_summary(basis, d.allowed, denial, policy.vendor_id, vendor, tc);
  return d;
}

}  // namespace hashgate::tcf
