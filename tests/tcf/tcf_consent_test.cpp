// Consent decision table: legal basis × purposes × vendor signals × TCF 2.2 rules × publisher
// restrictions × the v2.3 Disclosed Vendors segment.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tcf/consent.hpp"
#include "tcf/tc_string.hpp"

namespace hashgate::tcf {
namespace {

constexpr int k_vendor = 755;
constexpr std::int64_t k_now = 1764374400;      // 2025-11-29T00:00:00Z
constexpr std::int64_t k_created = 1748908800;  // 2025-06-03T00:00:00Z

struct Row {
  const char* name;
  LegalBasis basis;
  std::vector<int> required;
  std::vector<int> purposes_consent;
  std::vector<int> purposes_li;
  bool vendor_consent;
  bool vendor_li;
  const char* reason;  // expected; "ok" = allowed
  int purpose = 0;     // expected failing purpose in the summary (0: none)
};

TcString make_tc(const std::vector<int>& pc, const std::vector<int>& pli, bool vc, bool vli) {
  TcString tc;
  tc.version = 2;
  tc.created_ds = k_created * 10;
  tc.last_updated_ds = k_created * 10;
  tc.cmp_id = 10;
  tc.policy_version = 5;
  tc.consent_language = "EN";
  tc.publisher_cc = "NL";
  for (int p : pc) tc.purposes_consent.insert(p);
  for (int p : pli) tc.purposes_li.insert(p);
  if (vc) tc.vendor_consent.insert(k_vendor);
  if (vli) tc.vendor_li.insert(k_vendor);
  tc.vendor_consent.insert(1);  // other vendors never matter
  tc.vendor_li.insert(2);
  return tc;
}

TcfPolicy policy(std::vector<int> required) {
  TcfPolicy p;
  p.vendor_id = k_vendor;
  p.required_purposes = std::move(required);
  return p;
}

constexpr auto C = LegalBasis::consent;
constexpr auto LI = LegalBasis::legitimate_interest;

const std::vector<Row> k_table = {
    {"consent_all_granted", C, {1, 2, 7}, {1, 2, 7}, {}, true, false, "ok"},
    {"consent_missing_purpose", C, {1, 2, 7}, {1, 7}, {2}, true, true, "purpose_consent", 2},
    {"consent_li_is_not_enough", C, {2}, {}, {2}, true, true, "purpose_consent", 2},
    {"consent_missing_vendor", C, {1, 2}, {1, 2}, {}, false, true, "vendor_consent"},
    {"consent_no_purposes_required", C, {}, {}, {}, true, false, "ok"},
    {"li_purposes_by_li", LI, {2, 7, 8}, {}, {2, 7, 8}, false, true, "ok"},
    {"li_purposes_by_consent", LI, {2, 7}, {2, 7}, {}, true, false, "ok"},
    {"li_by_consent_needs_vendor_consent", LI, {7}, {7}, {}, false, true, "vendor_consent"},
    {"li_missing_purpose", LI, {2, 7}, {}, {2}, false, true, "purpose_li", 7},
    {"li_missing_vendor", LI, {2}, {}, {2}, false, false, "vendor_li"},
    {"li_vendor_consent_suffices", LI, {2}, {}, {2}, true, false, "ok"},
    {"li_never_for_purpose_1", LI, {1}, {}, {1}, true, true, "purpose_consent", 1},
    {"li_never_for_purpose_3", LI, {3}, {}, {3}, true, true, "purpose_consent", 3},
    {"li_never_for_purpose_4", LI, {4}, {}, {4}, true, true, "purpose_consent", 4},
    {"li_never_for_purpose_5", LI, {5}, {}, {5}, true, true, "purpose_consent", 5},
    {"li_never_for_purpose_6", LI, {6}, {}, {6}, true, true, "purpose_consent", 6},
    {"li_purpose_3_by_consent", LI, {3, 7}, {3}, {7}, true, true, "ok"},
    {"li_purpose_3_consent_vendor_li_only", LI, {3}, {3}, {}, false, true, "vendor_consent"},
};

TEST(TcfConsent, DecisionTable) {
  for (const auto& row : k_table) {
    SCOPED_TRACE(row.name);
    const auto d = decide_consent(
        row.basis, policy(row.required),
        make_tc(row.purposes_consent, row.purposes_li, row.vendor_consent, row.vendor_li), k_now);
    EXPECT_EQ(d.reason, row.reason);
    EXPECT_EQ(d.allowed, std::string(row.reason) == "ok");
    const auto j = nlohmann::json::parse(d.summary_json);
    EXPECT_EQ(j["allowed"], d.allowed);
    EXPECT_EQ(j["reason"], row.reason);
    EXPECT_EQ(j["basis"], row.basis == C ? "consent" : "legitimate_interest");
    if (row.purpose) {
      EXPECT_EQ(j["purpose"], row.purpose);
    } else {
      EXPECT_FALSE(j.contains("purpose"));
    }
  }
}

TEST(TcfConsent, VendorNotRequiredWhenPolicySaysSo) {
  auto p = policy({2});
  p.require_vendor_consent = false;
  EXPECT_TRUE(decide_consent(C, p, make_tc({2}, {}, false, false), k_now).allowed);
  EXPECT_TRUE(decide_consent(LI, p, make_tc({}, {2}, false, false), k_now).allowed);
  EXPECT_EQ(decide_consent(C, p, make_tc({}, {}, false, false), k_now).reason, "purpose_consent");
}

TEST(TcfConsent, StrictPolicyVersionForStringsCreatedAfterSeptember2023) {
  const auto p = policy({2});
  auto tc = make_tc({2}, {}, true, false);
  tc.policy_version = 2;
  tc.created_ds = k_tcf_policy_v4_cutoff_unix * 10;  // 2023-10-01T00:00:00Z
  EXPECT_EQ(decide_consent(C, p, tc, k_now).reason, "policy_version");
  tc.created_ds = (k_tcf_policy_v4_cutoff_unix - 1) * 10;  // 2023-09-30T23:59:59Z
  EXPECT_EQ(decide_consent(C, p, tc, k_now).reason, "ok");
  tc.created_ds = k_created * 10;
  tc.policy_version = 3;
  EXPECT_EQ(decide_consent(C, p, tc, k_now).reason, "policy_version");
  tc.policy_version = 4;
  EXPECT_EQ(decide_consent(C, p, tc, k_now).reason, "ok");
  tc.policy_version = 2;
  auto lax = p;
  lax.strict_policy_version = false;
  EXPECT_EQ(decide_consent(C, lax, tc, k_now).reason, "ok");
}

TEST(TcfConsent, OfficialTcf23ExampleFailsStrictPolicyVersion) {
  // tcf.tsv row "IAB TCF 2.3 spec example": created 2025-06-03 with policy version 2.
  const std::string s =
      "CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA.YAAAAAAAAAAA";
  TcfPolicy p;
  p.vendor_id = 4;
  EXPECT_EQ(decide_consent(C, p, s, k_now).reason, "policy_version");
  p.strict_policy_version = false;
  EXPECT_EQ(decide_consent(C, p, s, k_now).reason, "ok");  // vendor 4 consented and disclosed
  p.vendor_id = 5;                                         // disclosed, no consent
  EXPECT_EQ(decide_consent(C, p, s, k_now).reason, "vendor_consent");
  p.vendor_id = 6;  // not disclosed
  EXPECT_EQ(decide_consent(C, p, s, k_now).reason, "vendor_not_disclosed");
}

TEST(TcfConsent, FutureCreationDateIsRefused) {
  auto tc = make_tc({2}, {}, true, false);
  tc.created_ds = (k_now + 2 * 86400) * 10;
  EXPECT_EQ(decide_consent(C, policy({2}), tc, k_now).reason, "created_in_future");
  tc.created_ds = (k_now + 3600) * 10;  // small clock skew is fine
  EXPECT_EQ(decide_consent(C, policy({2}), tc, k_now).reason, "ok");
}

TcString with_restriction(TcString tc, int purpose, int type, int vendor) {
  TcfPublisherRestriction r;
  r.purpose = purpose;
  r.type = type;
  r.vendors.insert(vendor);
  tc.publisher_restrictions.push_back(std::move(r));
  return tc;
}

TEST(TcfConsent, PublisherRestrictions) {
  const auto all = make_tc({2, 7}, {2, 7}, true, true);
  // Type 0: purpose not allowed for this vendor.
  EXPECT_EQ(decide_consent(C, policy({2}), with_restriction(all, 2, 0, k_vendor), k_now).reason,
            "publisher_restriction");
  EXPECT_EQ(decide_consent(LI, policy({2}), with_restriction(all, 2, 0, k_vendor), k_now).reason,
            "publisher_restriction");
  // Restrictions on another vendor or on a purpose we do not need are irrelevant.
  EXPECT_TRUE(decide_consent(C, policy({2}), with_restriction(all, 2, 0, 9), k_now).allowed);
  EXPECT_TRUE(decide_consent(C, policy({2}), with_restriction(all, 7, 0, k_vendor), k_now).allowed);
  // Type 1: consent required even under legitimate interest.
  const auto li_only = make_tc({}, {7}, false, true);
  EXPECT_TRUE(decide_consent(LI, policy({7}), li_only, k_now).allowed);
  EXPECT_EQ(
      decide_consent(LI, policy({7}), with_restriction(li_only, 7, 1, k_vendor), k_now).reason,
      "purpose_consent");
  const auto consented = make_tc({7}, {}, true, false);
  EXPECT_TRUE(
      decide_consent(LI, policy({7}), with_restriction(consented, 7, 1, k_vendor), k_now).allowed);
  EXPECT_TRUE(
      decide_consent(C, policy({7}), with_restriction(consented, 7, 1, k_vendor), k_now).allowed);
  // Type 2: legitimate interest required; a consent tenant cannot process that purpose.
  EXPECT_EQ(decide_consent(C, policy({7}), with_restriction(all, 7, 2, k_vendor), k_now).reason,
            "publisher_restriction");
  EXPECT_TRUE(
      decide_consent(LI, policy({7}), with_restriction(all, 7, 2, k_vendor), k_now).allowed);
  EXPECT_EQ(
      decide_consent(LI, policy({7}), with_restriction(consented, 7, 2, k_vendor), k_now).reason,
      "purpose_li");
  EXPECT_EQ(decide_consent(LI, policy({3}),
                           with_restriction(make_tc({3}, {3}, true, true), 3, 2, k_vendor), k_now)
                .reason,
            "publisher_restriction");
  // Conflicting types 1 and 2 for the same vendor and purpose: refused.
  EXPECT_EQ(
      decide_consent(LI, policy({7}),
                     with_restriction(with_restriction(all, 7, 1, k_vendor), 7, 2, k_vendor), k_now)
          .reason,
      "publisher_restriction");
}

TEST(TcfConsent, DisclosedVendorsSegmentIsHonoured) {
  auto tc = make_tc({2}, {2}, true, true);
  tc.has_disclosed_vendors = true;
  tc.disclosed_vendors.insert(1);
  EXPECT_EQ(decide_consent(C, policy({2}), tc, k_now).reason, "vendor_not_disclosed");
  tc.disclosed_vendors.insert(k_vendor);
  EXPECT_TRUE(decide_consent(C, policy({2}), tc, k_now).allowed);
  const auto j = nlohmann::json::parse(decide_consent(C, policy({2}), tc, k_now).summary_json);
  EXPECT_EQ(j["vendor_disclosed"], true);
}

TEST(TcfConsent, EmptyAndInvalidStringsAreDenied) {
  const auto none = decide_consent(C, policy({1}), std::string_view{}, k_now);
  EXPECT_FALSE(none.allowed);
  EXPECT_EQ(none.reason, "no_tc_string");
  const auto bad = decide_consent(C, policy({1}), std::string_view{"COtybn4PA_zT4Kj!"}, k_now);
  EXPECT_FALSE(bad.allowed);
  EXPECT_EQ(bad.reason, "invalid_tc_string");
  const auto j = nlohmann::json::parse(bad.summary_json);
  EXPECT_EQ(j["reason"], "invalid_tc_string");
  EXPECT_EQ(bad.summary_json.find("COty"), std::string::npos);
}

TEST(TcfConsent, SummaryNeverContainsTheRawString) {
  const std::string s = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA";
  TcfPolicy p;
  p.vendor_id = 1;
  p.required_purposes = {2};
  p.require_vendor_consent = false;
  const auto d = decide_consent(C, p, s, k_now);
  EXPECT_TRUE(d.allowed) << d.reason;  // 2020 string, purpose 2 consented
  EXPECT_EQ(d.summary_json.find(s.substr(0, 8)), std::string::npos);
  const auto j = nlohmann::json::parse(d.summary_json);
  EXPECT_EQ(j["cmp_id"], 675);
  EXPECT_EQ(j["created"], "2020-01-26T17:01:00Z");
  EXPECT_EQ(j["purposes_consent"], nlohmann::json({2, 10}));
}

TEST(TcfConsent, InvalidPolicyIsDenied) {
  TcfPolicy p;  // vendor_id 0
  EXPECT_EQ(decide_consent(C, p, make_tc({}, {}, true, true), k_now).reason, "invalid_policy");
  EXPECT_EQ(validate_policy(p), "tcf.vendor_id");
  p.require_vendor_consent = false;  // a first party off the GVL: purposes only
  EXPECT_EQ(validate_policy(p), "");
  p.required_purposes = {3};
  EXPECT_EQ(decide_consent(C, p, make_tc({3}, {}, false, false), k_now).reason, "ok");
  EXPECT_EQ(decide_consent(C, p, make_tc({}, {3}, false, false), k_now).reason, "purpose_consent");
  p.vendor_id = 5;
  p.required_purposes = {25};
  EXPECT_EQ(validate_policy(p), "tcf.required_purposes");
}

TEST(TcfConsent, LegalBasisSpelling) {
  LegalBasis b = LegalBasis::consent;
  EXPECT_TRUE(parse_legal_basis("legitimate_interest", b));
  EXPECT_EQ(b, LegalBasis::legitimate_interest);
  EXPECT_EQ(to_string(b), "legitimate_interest");
  EXPECT_TRUE(parse_legal_basis("consent", b));
  EXPECT_EQ(b, LegalBasis::consent);
  EXPECT_FALSE(parse_legal_basis("Consent", b));
  EXPECT_FALSE(parse_legal_basis("", b));
}

}  // namespace
}  // namespace hashgate::tcf
