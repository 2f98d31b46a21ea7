// Unit tests of tenant roles and data-exchange agreements (gateway/onboarding/agreements).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/onboarding/agreements.hpp"

namespace ob = hashgate::gw::onboarding;
using nlohmann::json;

namespace {

// Tenants of the tests: two advertisers, a publisher, and one that is both.
const std::map<std::string, ob::Role, std::less<>> k_tenants{
    {"shop", ob::Role::advertiser},
    {"shop2", ob::Role::advertiser},
    {"news", ob::Role::publisher},
    {"mixed", ob::Role::both},
};

std::optional<ob::Role> role_of(std::string_view id) {
  auto it = k_tenants.find(id);
  if (it == k_tenants.end()) return std::nullopt;
  return it->second;
}

json valid_agreement() {
  return json{{"id", "shop-news-2026"},   {"advertiser", "shop"},
              {"publisher", "news"},      {"purpose", "Reach existing customers on news"},
              {"legal_basis", "consent"}, {"expires", "2026-12-31"}};
}

// The AgreementError message for `agreements`, or "" if it parses.
std::string error_of(const json& agreements) {
  try {
    ob::parse_agreements(agreements, role_of);
  } catch (const ob::AgreementError& e) {
    return e.what();
  }
  return "";
}

// The error for one agreement with `key` replaced by `value` (or removed when value is null).
std::string error_with(const std::string& key, const json& value) {
  json a = valid_agreement();
  if (value.is_null()) {
    a.erase(key);
  } else {
    a[key] = value;
  }
  return error_of(json::array({a}));
}

ob::Day day(const char* s) { return *ob::parse_date(s); }

}  // namespace

TEST(OnboardingAgreements, ParsesAValidAgreementWithTheDefaultFloor) {
  const auto all = ob::parse_agreements(json::array({valid_agreement()}), role_of);
  ASSERT_EQ(all.size(), 1u);
  const ob::Agreement& a = all[0];
  EXPECT_EQ(a.id, "shop-news-2026");
  EXPECT_EQ(a.advertiser, "shop");
  EXPECT_EQ(a.publisher, "news");
  EXPECT_EQ(a.purpose, "Reach existing customers on news");
  EXPECT_EQ(a.legal_basis, ob::LegalBasis::consent);
  EXPECT_EQ(a.min_audience, 100);
  EXPECT_EQ(ob::format_date(a.expires), "2026-12-31");

  json b = valid_agreement();
  b["id"] = "mixed_1";
  b["advertiser"] = "mixed";  // role both may advertise ...
  b["legal_basis"] = "legitimate_interest";
  b["min_audience"] = 1000;
  json c = valid_agreement();
  c["id"] = "c";
  c["publisher"] = "mixed";  // ... and publish
  c["min_audience"] = 10;
  const auto two = ob::parse_agreements(json::array({b, c}), role_of);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].legal_basis, ob::LegalBasis::legitimate_interest);
  EXPECT_EQ(two[0].min_audience, 1000);
  EXPECT_EQ(two[1].min_audience, 10);
  EXPECT_TRUE(ob::parse_agreements(json::array(), role_of).empty());
}

TEST(OnboardingAgreements, ErrorsNameTheKey) {
  EXPECT_EQ(error_of(json::object()), "config: agreements: must be an array");
  EXPECT_EQ(error_of(json::array({1})), "config: agreements[0]: must be an object");
  EXPECT_EQ(error_with("bogus", 1), "config: agreements[0].bogus: unknown key");
  for (const char* key : {"id", "advertiser", "publisher", "purpose", "legal_basis", "expires"}) {
    EXPECT_EQ(error_with(key, nullptr),
              std::string("config: agreements[0].") + key + ": is required");
    EXPECT_EQ(error_with(key, 7),
              std::string("config: agreements[0].") + key + ": must be a string");
  }
  EXPECT_NE(error_with("id", "").find("agreements[0].id"), std::string::npos);
  EXPECT_NE(error_with("id", "has space").find("agreements[0].id"), std::string::npos);
  EXPECT_NE(error_with("id", std::string(65, 'a')).find("agreements[0].id"), std::string::npos);
  EXPECT_EQ(error_with("id", std::string(64, 'a')), "");

  EXPECT_EQ(error_with("advertiser", "nobody"),
            "config: agreements[0].advertiser: no tenant has this id");
  EXPECT_EQ(error_with("publisher", "nobody"),
            "config: agreements[0].publisher: no tenant has this id");
  EXPECT_EQ(error_with("advertiser", "news"),
            "config: agreements[0].advertiser: the tenant's role is \"publisher\"; it must be "
            "\"advertiser\" or \"both\"");
  EXPECT_EQ(error_with("publisher", "shop2"),
            "config: agreements[0].publisher: the tenant's role is \"advertiser\"; it must be "
            "\"publisher\" or \"both\"");
  json self = valid_agreement();
  self["advertiser"] = "mixed";
  self["publisher"] = "mixed";
  EXPECT_EQ(error_of(json::array({self})),
            "config: agreements[0].publisher: must differ from the advertiser");

  EXPECT_NE(error_with("purpose", "").find("agreements[0].purpose"), std::string::npos);
  EXPECT_NE(error_with("purpose", "line\nbreak").find("agreements[0].purpose"), std::string::npos);
  EXPECT_NE(error_with("purpose", std::string(501, 'x')).find("agreements[0].purpose"),
            std::string::npos);
  EXPECT_EQ(error_with("purpose", std::string(500, 'x')), "");

  EXPECT_EQ(error_with("legal_basis", "contract"),
            "config: agreements[0].legal_basis: must be \"consent\" or \"legitimate_interest\"");
  EXPECT_NE(error_with("legal_basis", "Consent").find("legal_basis"), std::string::npos);

  EXPECT_EQ(error_with("min_audience", 9),
            "config: agreements[0].min_audience: must be between 10 and 10000000");
  EXPECT_NE(error_with("min_audience", 10000001).find("min_audience"), std::string::npos);
  EXPECT_NE(error_with("min_audience", -100).find("min_audience"), std::string::npos);
  EXPECT_EQ(error_with("min_audience", 100.5),
            "config: agreements[0].min_audience: must be an integer");
  EXPECT_EQ(error_with("min_audience", "100"),
            "config: agreements[0].min_audience: must be an integer");
  EXPECT_EQ(error_with("min_audience", true),
            "config: agreements[0].min_audience: must be an integer");
  EXPECT_NE(error_with("min_audience", json(18446744073709551615ull)).find("min_audience"),
            std::string::npos);

  for (const char* bad : {"2025-02-29", "2025-02-30", "2025-13-01", "2025-00-10", "2025-01-00",
                          "2025-04-31", "2025-1-01", "20250101", "2025/01/01", "1969-12-31",
                          "2025-01-01T00:00", " 2025-01-01", "２０２５-01-01", ""}) {
    EXPECT_EQ(error_with("expires", bad),
              "config: agreements[0].expires: must be a calendar date YYYY-MM-DD")
        << bad;
  }
  EXPECT_EQ(error_with("expires", "2028-02-29"), "");

  // The second of two agreements with one id; the index names which.
  json dup = valid_agreement();
  EXPECT_EQ(error_of(json::array({valid_agreement(), dup})),
            "config: agreements[1].id: duplicate agreement id");
}

TEST(OnboardingAgreements, ErrorsNeverEchoTheValue) {
  // Values can be anything an operator typed, including a personal e-mail by mistake.
  for (const char* key : {"id", "advertiser", "publisher", "legal_basis", "expires"}) {
    const std::string e = error_with(key, "jan.jansen@example.nl");
    EXPECT_NE(e, "") << key;
    EXPECT_EQ(e.find("jansen"), std::string::npos) << e;
  }
  const std::string e = error_with("purpose", std::string("jan.jansen@example.nl\x01"));
  EXPECT_EQ(e.find("jansen"), std::string::npos) << e;
}

TEST(OnboardingAgreements, HostileInputIsRefusedNotCrashed) {
  EXPECT_NE(error_of(json::array({json::array({valid_agreement()})})), "");
  EXPECT_NE(error_with("id", json::object({{"$ne", 1}})), "");
  EXPECT_NE(error_with("expires", json::array({"2026-12-31"})), "");
  // Deep nesting inside an unknown key is refused by its name, without being walked.
  json deep = 1;
  for (int i = 0; i < 200; ++i) deep = json::array({deep});
  EXPECT_EQ(error_with("nested", deep), "config: agreements[0].nested: unknown key");
  // Many agreements: each is checked; a bad one deep in the list is named by its index.
  json many = json::array();
  for (int i = 0; i < 2000; ++i) {
    json a = valid_agreement();
    a["id"] = std::to_string(i).insert(0, 1, 'a');
    many.push_back(a);
  }
  EXPECT_EQ(ob::parse_agreements(many, role_of).size(), 2000u);
  many[1999]["min_audience"] = 0;
  EXPECT_NE(error_of(many).find("agreements[1999].min_audience"), std::string::npos);
  // No lookup at all: every tenant is unknown.
  EXPECT_THROW(ob::parse_agreements(json::array({valid_agreement()}), ob::TenantRoles{}),
               ob::AgreementError);
}

TEST(OnboardingAgreements, TenantRoleDefaultsToAdvertiser) {
  EXPECT_EQ(ob::parse_role(json{{"id", "t"}}, "tenants[0]"), ob::Role::advertiser);
  EXPECT_EQ(ob::parse_role(json{{"role", "publisher"}}, "tenants[0]"), ob::Role::publisher);
  EXPECT_EQ(ob::parse_role(json{{"role", "both"}}, "tenants[0]"), ob::Role::both);
  EXPECT_EQ(ob::parse_role(json{{"role", "advertiser"}}, "tenants[0]"), ob::Role::advertiser);
  for (const json& bad : {json("Publisher"), json(""), json(1), json(nullptr), json::array()}) {
    try {
      ob::parse_role(json{{"role", bad}}, "tenants[3]");
      ADD_FAILURE() << bad.dump();
    } catch (const ob::AgreementError& e) {
      EXPECT_EQ(std::string(e.what()),
                "config: tenants[3].role: must be \"advertiser\", \"publisher\" or \"both\"");
    }
  }
  EXPECT_TRUE(ob::may_advertise(ob::Role::both) && ob::may_publish(ob::Role::both));
  EXPECT_FALSE(ob::may_advertise(ob::Role::publisher) || ob::may_publish(ob::Role::advertiser));
}

TEST(OnboardingAgreements, AllowsOnlyItsAdvertiserUntilItExpires) {
  const auto all = ob::parse_agreements(json::array({valid_agreement()}), role_of);
  const ob::Agreement& a = all[0];
  EXPECT_EQ(ob::find_agreement(all, "shop-news-2026"), &a);
  EXPECT_EQ(ob::find_agreement(all, "shop-news"), nullptr);

  EXPECT_TRUE(ob::agreement_allows(a, "shop", day("2026-01-01")));
  EXPECT_TRUE(ob::agreement_allows(a, "shop", day("2026-12-30")));
  EXPECT_FALSE(ob::agreement_allows(a, "shop", day("2026-12-31")));  // ends at the start of it
  EXPECT_FALSE(ob::agreement_allows(a, "shop", day("2027-06-01")));
  EXPECT_FALSE(ob::agreement_allows(a, "shop2", day("2026-01-01")));  // another advertiser
  EXPECT_FALSE(ob::agreement_allows(a, "news", day("2026-01-01")));   // the publisher

  EXPECT_EQ(ob::export_access(a, "news", day("2026-12-30")), ob::ExportAccess::allowed);
  EXPECT_EQ(ob::export_access(a, "news", day("2026-12-31")), ob::ExportAccess::gone);
  EXPECT_EQ(ob::export_access(a, "shop", day("2026-01-01")), ob::ExportAccess::not_found);
  EXPECT_EQ(ob::export_access(a, "mixed", day("2026-01-01")), ob::ExportAccess::not_found);
}

TEST(OnboardingAgreements, DatesAreCalendarDays) {
  // Days since 1970-01-01, computed independently: date -u -d 2026-12-31 +%s → 1798675200 / 86400.
  EXPECT_EQ(day("2026-12-31").time_since_epoch().count(), 20818);
  EXPECT_EQ(day("1970-01-01").time_since_epoch().count(), 0);
  EXPECT_EQ(ob::format_date(day("2000-02-29")), "2000-02-29");
  EXPECT_FALSE(ob::parse_date("2100-02-29"));
  EXPECT_EQ(ob::format_date(day("9999-12-31")), "9999-12-31");
  const auto t =
      std::chrono::sys_seconds{std::chrono::seconds{1798761599}};  // 2026-12-31T23:59:59Z
  EXPECT_EQ(ob::format_date(ob::utc_day(t)), "2026-12-31");
}
