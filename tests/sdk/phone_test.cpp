// Phone numbers: international forms, (0) trunk marker, national numbers with a region, errors.
#include <gtest/gtest.h>

#include <string>

#include "hashgate/hashgate.hpp"

namespace {

using hashgate::ProfileId;

std::string ph(std::string_view v, const char* region = nullptr, ProfileId id = ProfileId::meta) {
  hashgate::Region r{};
  if (region != nullptr) r = *hashgate::region_by_code(region);
  auto res = hashgate::normalize_phone(v, hashgate::profile(id), r);
  // normalize(Field::ph) must agree with the dedicated entry point.
  hashgate::Options opt;
  opt.region = r;
  auto gen = hashgate::normalize(hashgate::Field::ph, v, hashgate::profile(id), opt);
  EXPECT_EQ(res.ok(), gen.ok());
  if (res.ok() && gen.ok()) {
    EXPECT_EQ(*res, *gen);
  }
  return res.ok() ? *res : "!" + std::string(hashgate::code_name(res.error()));
}

TEST(SdkPhone, InternationalForms) {
  EXPECT_EQ(ph("+44 (0)20 7946 0958", nullptr, ProfileId::google), "+442079460958");
  EXPECT_EQ(ph("+44 (0)20 7946 0958"), "442079460958");
  EXPECT_EQ(ph("0044 20 7946 0958"), "442079460958");
  EXPECT_EQ(ph("0044 (0)20 7946 0958"), "442079460958");
  EXPECT_EQ(ph("+44 020 7946 0958", nullptr, ProfileId::google), "+442079460958");
  EXPECT_EQ(ph("+31 (0)6-1234 5678", "DE", ProfileId::google), "+31612345678");  // region ignored
  EXPECT_EQ(ph("+1 (650) 555-1212"), "16505551212");
  EXPECT_EQ(ph("+1.650.555.1212", nullptr, ProfileId::uid2), "+16505551212");
  EXPECT_EQ(ph("+39 06 1234 5678"), "390612345678");  // Italy keeps its leading 0
  EXPECT_EQ(ph("+7 912 345-67-89"), "79123456789");
}

TEST(SdkPhone, NationalWithRegion) {
  EXPECT_EQ(ph("06 12345678", "NL"), "31612345678");
  EXPECT_EQ(ph("020-123 4567", "NL"), "31201234567");
  EXPECT_EQ(ph("0470 12 34 56", "BE"), "32470123456");
  EXPECT_EQ(ph("02 123 45 67", "BE"), "3221234567");
  EXPECT_EQ(ph("030 1234567", "DE"), "49301234567");
  EXPECT_EQ(ph("0151 23456789", "DE"), "4915123456789");
  EXPECT_EQ(ph("06 12 34 56 78", "FR"), "33612345678");
  EXPECT_EQ(ph("01.23.45.67.89", "FR"), "33123456789");
  EXPECT_EQ(ph("020 7946 0958", "GB"), "442079460958");
  EXPECT_EQ(ph("07700 900123", "GB"), "447700900123");
  EXPECT_EQ(ph("(650)555-1212", "US"), "16505551212");
  EXPECT_EQ(ph("1-650-555-1212", "US"), "16505551212");
  EXPECT_EQ(ph("650 555 1212", "CA"), "16505551212");
  EXPECT_EQ(ph("06 1234 5678", "IT"), "390612345678");  // IT: 0 is part of the number
  EXPECT_EQ(ph("347 123 4567", "IT"), "393471234567");
  EXPECT_EQ(ph("8 (912) 345-67-89", "RU"), "79123456789");  // RU trunk prefix 8
  EXPECT_EQ(ph("8 029 123-45-67", "BY"), "375291234567");   // BY trunk prefix 8
  EXPECT_EQ(ph("06 1 234 5678", "HU"), "3612345678");       // HU trunk prefix 06
  EXPECT_EQ(ph("55 1234 5678", "MX"), "525512345678");      // MX: no trunk prefix
  EXPECT_EQ(ph("0412 345 678", "AU"), "61412345678");
  EXPECT_EQ(ph("090-1234-5678", "JP"), "819012345678");
  // Already carrying the region's calling code, without '+'.
  EXPECT_EQ(ph("31612345678", "NL"), "31612345678");
  EXPECT_EQ(ph("16505551212", "US"), "16505551212");
  EXPECT_EQ(ph("06 12345678", "nl", ProfileId::google), "+31612345678");
}

TEST(SdkPhone, WithoutRegion) {
  EXPECT_EQ(ph("16505551212"), "16505551212");  // taken to include its country code
  EXPECT_EQ(ph("1 (234) 567-8901", nullptr, ProfileId::uid2), "+12345678901");
  EXPECT_EQ(ph("31 6 12345678", nullptr, ProfileId::google), "+31612345678");
  EXPECT_EQ(ph("06 12345678"), "!phone_needs_region");
  EXPECT_EQ(ph("020 7946 0958", nullptr, ProfileId::google), "!phone_needs_region");
}

TEST(SdkPhone, Errors) {
  EXPECT_EQ(ph("+1 650 CALL NOW"), "!invalid_phone");
  EXPECT_EQ(ph("650-555-1212 ext 3", "US"), "!invalid_phone");
  EXPECT_EQ(ph("650-555-1212x3", "US"), "!invalid_phone");
  EXPECT_EQ(ph("+31 6 12"), "!invalid_phone");  // too short
  EXPECT_EQ(ph("12", "NL"), "!invalid_phone");
  EXPECT_EQ(ph("+31 6 1234 5678 9012 3"), "!invalid_phone");  // 16 digits > E.164's 15
  EXPECT_EQ(ph("+1 650 555 121"), "!invalid_phone");          // NANP needs 10 digits
  EXPECT_EQ(ph("+1 650 555 12123"), "!invalid_phone");
  EXPECT_EQ(ph("+999 1234 5678"), "!invalid_phone");  // unassigned calling code
  EXPECT_EQ(ph("+0 123 456 789"), "!invalid_phone");
  EXPECT_EQ(ph("++31 6 12345678"), "!invalid_phone");
  EXPECT_EQ(ph("06+12345678", "NL"), "!invalid_phone");
  EXPECT_EQ(ph("#31612345678"), "!invalid_phone");
  EXPECT_EQ(ph("()- "), "!invalid_phone");
  EXPECT_EQ(ph("06 12345678", "BV"), "!invalid_region");  // ISO region without a plan
  EXPECT_EQ(ph("+683 4002", nullptr, ProfileId::uid2), "!invalid_phone");  // UID2: >= 10 digits
  EXPECT_EQ(ph("+683 4002"), "6834002");  // Niue: 7 digits is a real length
}

// Examples of the UID2 "Normalization and Encoding" page (IABTechLab/uid2docs,
// docs/getting-started/gs-normalization-encoding.md) and Snap's Conversions API parameters page.
TEST(SdkPhone, PublishedExamples) {
  EXPECT_EQ(ph("1 (234) 567-8901", nullptr, ProfileId::uid2), "+12345678901");
  EXPECT_EQ(ph("65 1234 5678", nullptr, ProfileId::uid2), "+6512345678");  // Singapore
  EXPECT_EQ(ph("(02) 1234 5678", "AU", ProfileId::uid2), "+61212345678");  // Sydney
  EXPECT_EQ(ph("(02) 1234 5678", nullptr, ProfileId::uid2), "!phone_needs_region");
  EXPECT_EQ(ph("+44 844 412 4653"), "448444124653");                        // Snap / Meta form
  EXPECT_EQ(ph("(800)555-0100", "US", ProfileId::google), "+18005550100");  // Google Data Manager
}

TEST(SdkPhone, LiveRampUsNational) {
  EXPECT_EQ(ph("(650) 555-1212", nullptr, ProfileId::liveramp), "6505551212");
  EXPECT_EQ(ph("+1 650 555 1212", nullptr, ProfileId::liveramp), "6505551212");
  EXPECT_EQ(ph("1-650-555-1212", "US", ProfileId::liveramp), "6505551212");
  EXPECT_EQ(ph("+44 20 7946 0958", nullptr, ProfileId::liveramp), "!invalid_phone");
  EXPECT_EQ(ph("06 12345678", "NL", ProfileId::liveramp), "!invalid_phone");
}

}  // namespace

namespace {

// All 249 ISO 3166-1 alpha-2 codes (ISO 3166 Maintenance Agency list), written out here
// independently of the SDK's tables.
constexpr std::string_view k_iso =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR "
    "BS "
    "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC "
    "EE "
    "EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK "
    "HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB "
    "LC "
    "LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ "
    "NA "
    "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU "
    "RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN "
    "TO "
    "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";
// North American Numbering Plan members (+1, 10-digit national numbers).
constexpr std::string_view k_nanp =
    "AG AI AS BB BM BS CA DM DO GD GU JM KN KY LC MP MS PR SX TC TT US VC VG VI";
// ISO regions without a telephone numbering plan of their own.
constexpr std::string_view k_no_plan = "BV HM TF UM";

TEST(SdkPhone, EveryIsoRegion) {
  std::size_t n = 0;
  for (std::size_t i = 0; i + 1 < k_iso.size(); i += 3) {
    const std::string cc(k_iso.substr(i, 2));
    ++n;
    SCOPED_TRACE(cc);
    const auto region = hashgate::region_by_code(cc);
    ASSERT_TRUE(region.has_value());
    // The country field accepts every code as is.
    auto c = hashgate::normalize(hashgate::Field::country, cc, hashgate::profile(ProfileId::meta));
    ASSERT_TRUE(c.ok());
    const std::string lower = {static_cast<char>(cc[0] + 32), static_cast<char>(cc[1] + 32)};
    EXPECT_EQ(*c, lower);
    const bool nanp = k_nanp.find(cc) != std::string_view::npos;
    const bool ten = nanp || cc == "RU" || cc == "KZ";
    const std::string national = ten ? "2025550123" : "28765432";  // 28x: unassigned codes
    auto r = hashgate::normalize_phone(national, hashgate::profile(ProfileId::google), *region);
    if (k_no_plan.find(cc) != std::string_view::npos) {
      EXPECT_EQ(r.error(), hashgate::Errc::invalid_region);
      continue;
    }
    ASSERT_TRUE(r.ok()) << hashgate::code_name(r.error());
    EXPECT_EQ(r->front(), '+');
    EXPECT_TRUE(r->ends_with(national));
    if (nanp) {
      EXPECT_EQ(*r, "+1" + national);
    }
  }
  EXPECT_EQ(n, 249u);
}

}  // namespace
