// Unit tests of the PII guard's phone path (gateway/policy/pii_phone.*, pii_phonelib.*) and of
// the guard's per-tenant settings (regions, allow paths, budget).
#include <gtest/gtest.h>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <string>
#include <vector>

#include "gateway/policy/pii_guard.hpp"
#include "gateway/policy/pii_phone.hpp"

using namespace hashgate::gw::policy;

namespace {

std::vector<std::string> candidates(std::string_view s) {
  std::vector<std::string> out;
  PhoneCandidates c(s);
  PhoneCandidate x;
  while (c.next(x)) out.emplace_back(x.text);
  return out;
}

PiiKind find_with(const PiiGuard& g, std::string_view s) {
  PiiBudget b;
  return g.find(s, b);
}

hashgate::Region region(const char* cc) { return *hashgate::region_by_code(cc); }

}  // namespace

// Every example number libphonenumber itself gives for the default regions, in the three ways
// it formats them, must be found: an oracle that does not come from our rules.
TEST(GatewayPiiPhone, FindsLibphonenumbersOwnExampleNumbersOfEveryDefaultRegion) {
  namespace pn = i18n::phonenumbers;
  const auto& u = *pn::PhoneNumberUtil::GetInstance();
  int checked = 0;
  std::string missed;
  for (hashgate::Region r : default_phone_regions()) {
    const std::string cc(r.view());
    for (auto type : {pn::PhoneNumberUtil::FIXED_LINE, pn::PhoneNumberUtil::MOBILE,
                      pn::PhoneNumberUtil::TOLL_FREE, pn::PhoneNumberUtil::PREMIUM_RATE,
                      pn::PhoneNumberUtil::SHARED_COST, pn::PhoneNumberUtil::VOIP,
                      pn::PhoneNumberUtil::PERSONAL_NUMBER}) {
      pn::PhoneNumber n;
      if (!u.GetExampleNumberForType(cc, type, &n)) continue;
      for (auto fmt : {pn::PhoneNumberUtil::NATIONAL, pn::PhoneNumberUtil::INTERNATIONAL,
                       pn::PhoneNumberUtil::E164}) {
        std::string s;
        u.Format(n, fmt, &s);
        ++checked;
        if (find_pii(s) != PiiKind::phone)
          missed += "  " + cc + " type " + std::to_string(type) + ": " + s + "\n";
      }
    }
  }
  EXPECT_GT(checked, 100);
  EXPECT_TRUE(missed.empty()) << "not found:\n" << missed;
}

TEST(GatewayPiiPhone, CandidatesSkipIdentifiersDatesAndCodes) {
  EXPECT_EQ(candidates("fb.1.1764374400123.1234567890"), std::vector<std::string>{});
  EXPECT_EQ(candidates("GA1.2.1234567890.1764374400"), std::vector<std::string>{});
  EXPECT_EQ(candidates("INV-2025-00042"), std::vector<std::string>{});
  EXPECT_EQ(candidates("2025-11-29 10:15:30"), std::vector<std::string>{});
  EXPECT_EQ(candidates("2025-000123"), std::vector<std::string>{});
  EXPECT_EQ(candidates("978-90-274-3964-2"), std::vector<std::string>{});
  EXPECT_EQ(candidates("0-306-40615-2"), std::vector<std::string>{});
  EXPECT_EQ(candidates("192.168.100.200"), std::vector<std::string>{});
  EXPECT_EQ(candidates("_gcl_au=1.1.1234567890.1764374400"), std::vector<std::string>{});
  // What stays: the number, without the text, the date or the identifier around it.
  EXPECT_EQ(candidates("Bel 06-12345678 na 17:00"), std::vector<std::string>{"06-12345678"});
  EXPECT_EQ(candidates("29.11.2025 0612345678"), std::vector<std::string>{"0612345678"});
  EXPECT_EQ(candidates("https://wa.me/31612345678"), std::vector<std::string>{"31612345678"});
  EXPECT_EQ(candidates("SKU-123 06 12345678"), std::vector<std::string>{"06 12345678"});
  EXPECT_EQ(candidates("+31 (0)6 1234 5678"), std::vector<std::string>{"+31 (0)6 1234 5678"});
  EXPECT_EQ(candidates("(06) 12345678"), std::vector<std::string>{"(06) 12345678"});
  EXPECT_EQ(candidates("06 12345678 / 020 1234567"),
            (std::vector<std::string>{"06 12345678", "020 1234567"}));
  EXPECT_EQ(candidates("06\xC2\xA0"
                       "12345678"),
            std::vector<std::string>{"06\xC2\xA0"
                                     "12345678"});
  EXPECT_EQ(candidates("06 1234"), std::vector<std::string>{});  // fewer than 8 digits
}

// Digit groups longer than an int holds go through the date and octet checks without overflow
// (fuzz_pii found `1234561234 * 10` under UBSan; the asan preset runs this with
// halt_on_error=1) and are never taken for a date.
TEST(GatewayPiiPhone, LongDigitGroupsAreNoDate) {
  for (const char* s : {"12345612345-12-12", "1-12345612345-1", "12-12-12345612345",
                        "2025-12345612345", "1.2.12345612345.4", "0612345678901234567"}) {
    const auto found = candidates(s);
    for (const auto& f : found) EXPECT_NE(f.find("12345612345"), std::string::npos) << s;
  }
  // A date of ordinary width next to a long run is still a date, and skipped.
  EXPECT_EQ(candidates("2025-11-29 10:15:30"), std::vector<std::string>{});
}

TEST(GatewayPiiPhone, FindsTheIssuesMisses) {
  // The five phones of issue 18 that the earlier heuristic let through.
  for (const char* s : {"06.12.34.56.78", "0470.12.34.56", "06 - 12345678",
                        "https://wa.me/31612345678", "555.123.4567"})
    EXPECT_EQ(find_pii(s), PiiKind::phone) << s;
  // The shop values it refused.
  for (const char* s : {"2025-11-29 10:15:30", "2025-000123", "INV-2025-00042", "0012345678905",
                        "978-90-274-3964-2"})
    EXPECT_EQ(find_pii(s), PiiKind::none) << s;
}

TEST(GatewayPiiPhone, TrunkMarkerDoesNotHideAnInternationalNumber) {
  // Checked in the number's own plan, so no region list is needed for them.
  const PiiGuard none_national({}, {});
  for (const char* s : {"+31 (0)6 1234 5678", "+44 (0)20 7946 0958", "0031 (0)6 12345678",
                        "+49 (0) 30 12345678", "+41 (0)79 123 45 67"})
    EXPECT_EQ(find_with(none_national, s), PiiKind::phone) << s;
  // National numbers are checked only in the configured regions.
  EXPECT_EQ(find_with(none_national, "06 12345678"), PiiKind::none);
  const std::vector<hashgate::Region> r_nl = {region("NL")};
  const PiiGuard nl(r_nl, {});
  EXPECT_EQ(find_with(nl, "06 12345678"), PiiKind::phone);
  EXPECT_EQ(find_with(nl, "(555) 123-4567"), PiiKind::none);  // no NANP region
  const std::vector<hashgate::Region> r_us = {region("US")};
  const PiiGuard us(r_us, {});
  EXPECT_EQ(find_with(us, "(555) 123-4567"), PiiKind::phone);
  EXPECT_EQ(find_with(us, "06 12345678"), PiiKind::none);
  const std::vector<hashgate::Region> r_pl = {region("PL")};
  const PiiGuard pl(r_pl, {});                               // a region outside the default list
  EXPECT_EQ(find_with(pl, "22 123 45 67"), PiiKind::phone);  // Warsaw
  EXPECT_EQ(find_with(default_pii_guard(), "22 123 45 67"), PiiKind::none);
}

TEST(GatewayPiiPhone, BarcodesNeedAnAssignedMobileNumber) {
  // A bare run with a right GS1 check digit is a barcode unless it is a mobile number.
  EXPECT_TRUE(gs1_check_digit_ok("036000291452"));
  EXPECT_TRUE(gs1_check_digit_ok("4006381333931"));
  EXPECT_FALSE(gs1_check_digit_ok("4006381333932"));
  EXPECT_EQ(find_pii("036000291452"), PiiKind::none);    // UPC-A; also a German landline
  EXPECT_EQ(find_pii("0012345678905"), PiiKind::none);   // UPC-A as GTIN-13 ("001" + 10)
  EXPECT_EQ(find_pii("015123456789"), PiiKind::phone);   // a German mobile
  EXPECT_EQ(find_pii("0031612345678"), PiiKind::phone);  // its check digit is right too
}

TEST(GatewayPiiPhone, RunningOutOfBudgetCountsAsAPhone) {
  PiiBudget empty{0};
  EXPECT_EQ(default_pii_guard().find("06 12345678", empty), PiiKind::phone);
  EXPECT_EQ(default_pii_guard().find("2025-000123", empty), PiiKind::none);  // no call needed
  EXPECT_EQ(default_pii_guard().find("purchase", empty), PiiKind::none);
  // Too long for NL, BE and FR: three calls to say so. With two left, it counts as a phone.
  const std::vector<hashgate::Region> r = {region("NL"), region("BE"), region("FR")};
  const PiiGuard g(r, {});
  PiiBudget plenty;
  EXPECT_EQ(g.find("0999 999 999 999", plenty), PiiKind::none);
  EXPECT_EQ(plenty.calls_left, k_phone_calls_per_request - 3);
  PiiBudget two{2};
  EXPECT_EQ(g.find("0999 999 999 999", two), PiiKind::phone);
  EXPECT_EQ(two.calls_left, 0u);
}

TEST(GatewayPiiPhone, AllowPathsExemptPhonesOnlyUnderCustom) {
  const std::vector<std::string> paths = {"/custom/items/*/sku", "/custom/order/0/ref"};
  const PiiGuard g(default_phone_regions(), paths);
  ASSERT_TRUE(g.has_allow_paths());
  auto key = [](const char* k) { return PathStep{k, 0, true}; };
  auto index = [](std::size_t i) { return PathStep{{}, i, false}; };
  const std::vector<PathStep> sku = {key("custom"), key("items"), index(3), key("sku")};
  EXPECT_TRUE(g.allowed(sku));
  EXPECT_TRUE(g.allowed(std::vector<PathStep>{key("custom"), key("order"), index(0), key("ref")}));
  EXPECT_FALSE(g.allowed(std::vector<PathStep>{key("custom"), key("order"), index(1), key("ref")}));
  EXPECT_FALSE(g.allowed(std::vector<PathStep>{key("custom"), key("items"), index(3)}));
  EXPECT_FALSE(g.allowed(std::vector<PathStep>{key("ids"), key("items"), index(3), key("sku")}));
  // Phones are not looked for on an allowed path; e-mail addresses still are.
  PiiBudget b;
  EXPECT_EQ(g.find("0612345678", b, false), PiiKind::none);
  EXPECT_EQ(g.find("jan@example.nl", b, false), PiiKind::email);
  EXPECT_THROW(PiiGuard(default_phone_regions(), std::vector<std::string>{"/ids/em"}),
               std::invalid_argument);
  EXPECT_THROW(PiiGuard(default_phone_regions(), std::vector<std::string>{"/custom//x"}),
               std::invalid_argument);
}
