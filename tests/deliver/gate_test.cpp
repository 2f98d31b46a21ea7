// The per-destination consent gate and Google's DMA consent fields.
#include <gtest/gtest.h>

#include "gateway/deliver/consent_gate.hpp"
#include "tests/deliver/test_util.hpp"

namespace hashgate::gw::deliver {
namespace {

constexpr std::int64_t k_now = 1764374400;  // 2025-11-29T00:00:00Z

Destination dest(int vendor) {
  Destination d;
  d.tcf_vendor_id = vendor;
  return d;
}

// From tests/vectors/tcf.tsv (iabtcf-java TCStringV2Test): purposes_consent {3..9} (no
// purpose 1), vendor_consent {23,37,47,48,53,65,98}.
const char* k_official_no_purpose_1 =
    "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA";

TEST(DeliverGate, WithoutGdprEverythingPasses) {
  const EventConsent c(false, "", false);
  EXPECT_EQ(gate(dest(755), c, k_now), GateReason::allowed);
  EXPECT_EQ(dma_consent(c), (DmaConsent{DmaStatus::unspecified, DmaStatus::unspecified}));
}

TEST(DeliverGate, GdprNeedsAValidString) {
  EXPECT_EQ(gate(dest(0), EventConsent(true, "", false), k_now), GateReason::no_tc_string);
  EXPECT_EQ(gate(dest(0), EventConsent(true, "not-a-tc-string!", false), k_now),
            GateReason::invalid_tc_string);
  EXPECT_EQ(dma_consent(EventConsent(true, "", false)),
            (DmaConsent{DmaStatus::denied, DmaStatus::denied}));
}

TEST(DeliverGate, PurposeOneIsRequired) {
  const EventConsent official(true, k_official_no_purpose_1, false);
  ASSERT_NE(official.tc(), nullptr);
  EXPECT_EQ(gate(dest(0), official, k_now), GateReason::purpose_1);
  EXPECT_EQ(gate(dest(23), official, k_now), GateReason::purpose_1);  // vendor 23 has consent
  const EventConsent no_p1(true, test::tc_string({2, 3, 4}, {755}), false);
  EXPECT_EQ(gate(dest(755), no_p1, k_now), GateReason::purpose_1);
}

TEST(DeliverGate, VendorConsentOnlyWhereTheDestinationHasAVendor) {
  const EventConsent c(true, test::tc_string({1}, {755}), false);
  ASSERT_NE(c.tc(), nullptr);
  EXPECT_EQ(gate(dest(0), c, k_now), GateReason::allowed);
  EXPECT_EQ(gate(dest(755), c, k_now), GateReason::allowed);
  EXPECT_EQ(gate(dest(89), c, k_now), GateReason::vendor);
}

TEST(DeliverGate, PublisherRestrictionOnPurposeOneDenies) {
  const EventConsent c(true, test::tc_string({1}, {755}, /*restrict_purpose_1_for=*/755), false);
  ASSERT_NE(c.tc(), nullptr);
  EXPECT_EQ(gate(dest(755), c, k_now), GateReason::publisher_restriction);
}

TEST(DeliverGate, DmaFieldsFollowGooglesTcfMapping) {
  struct Row {
    std::vector<int> purposes;
    DmaStatus user_data;
    DmaStatus personalization;
  };
  const Row rows[] = {
      {{1, 3, 4, 7}, DmaStatus::granted, DmaStatus::granted},
      {{1, 7}, DmaStatus::granted, DmaStatus::denied},
      {{1, 3, 4}, DmaStatus::denied, DmaStatus::granted},
      {{1, 3, 7}, DmaStatus::granted, DmaStatus::denied},
      {{7, 3, 4}, DmaStatus::denied, DmaStatus::granted},
      {{}, DmaStatus::denied, DmaStatus::denied},
  };
  for (const auto& r : rows) {
    const EventConsent c(true, test::tc_string(r.purposes, {755}), false);
    ASSERT_NE(c.tc(), nullptr);
    EXPECT_EQ(dma_consent(c), (DmaConsent{r.user_data, r.personalization}));
    // GPC denies both, whatever the TC string says.
    EXPECT_EQ(dma_consent(EventConsent(true, test::tc_string(r.purposes, {755}), true)),
              (DmaConsent{DmaStatus::denied, DmaStatus::denied}));
  }
  EXPECT_EQ(dma_consent(EventConsent(false, "", true)),
            (DmaConsent{DmaStatus::denied, DmaStatus::denied}));
}

TEST(DeliverGate, ReasonAndStatusSpellings) {
  EXPECT_EQ(to_string(GateReason::purpose_1), "purpose_1");
  EXPECT_EQ(to_string(GateReason::vendor_not_disclosed), "vendor_not_disclosed");
  EXPECT_EQ(to_string(DmaStatus::granted), "CONSENT_GRANTED");
  EXPECT_EQ(to_string(DmaStatus::denied), "CONSENT_DENIED");
  EXPECT_EQ(to_string(DmaStatus::unspecified), "CONSENT_STATUS_UNSPECIFIED");
}

}  // namespace
}  // namespace hashgate::gw::deliver
