// Unit tests of the differencing rule (gateway/onboarding/difference) and of the whole decision
// a match makes (agreement → differencing → match → release) on synthetic lists.
#include <gtest/gtest.h>

#include <hashgate/hashgate.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "gateway/onboarding/agreements.hpp"
#include "gateway/onboarding/difference.hpp"

namespace ob = hashgate::gw::onboarding;
using Kind = ob::DifferenceDecision::Kind;

namespace {

ob::HashedId em(int n) {
  ob::HashedId h;
  hashgate::sha256("user" + std::to_string(n) + "@example.com", h.digest);
  return h;
}

ob::HashedId ph(int n) {
  ob::HashedId h;
  h.kind = ob::IdKind::ph;
  hashgate::sha256("3161" + std::to_string(1000000 + n), h.digest);
  return h;
}

// An audience of people [first, first + count) by e-mail, plus a phone for every third one.
std::vector<ob::AudienceId> audience(int first, int count) {
  std::vector<ob::AudienceId> a;
  for (int i = 0; i < count; ++i) {
    const auto m = static_cast<std::uint32_t>(i);
    a.push_back({em(first + i), m});
    if ((first + i) % 3 == 0) a.push_back({ph(first + i), m});
  }
  return a;
}

std::vector<ob::MemberKey> keys(const std::vector<ob::AudienceId>& a) {
  return ob::member_keys("shop", a);
}

}  // namespace

TEST(OnboardingDifference, MemberKeysIgnoreOrderAndDuplicatesButNotKindOrTenant) {
  // SHA-256("hashgate/member/v1\0shop\0" 0x00 ‖ sha256("user1@example.com")), first 16 bytes,
  // computed independently with Python's hashlib:
  //   h=hashlib.sha256(b"user1@example.com").digest()
  //   hashlib.sha256(b"hashgate/member/v1\0shop\0\0"+h).hexdigest()[:32]
  const ob::HashedId one = em(1);
  const ob::MemberKey k = ob::member_key("shop", std::vector{one});
  EXPECT_EQ(hashgate::to_hex(k), "8df241a4804dd7eb4a2f36e1fb6a77d4");

  const ob::HashedId a = em(1), b = ph(1);
  EXPECT_EQ(ob::member_key("shop", std::vector{a, b}), ob::member_key("shop", std::vector{b, a}));
  EXPECT_EQ(ob::member_key("shop", std::vector{a, b, a}),
            ob::member_key("shop", std::vector{a, b}));
  EXPECT_NE(ob::member_key("shop", std::vector{a}), ob::member_key("shop", std::vector{a, b}));
  EXPECT_NE(ob::member_key("shop", std::vector{a}), ob::member_key("shop2", std::vector{a}));
  ob::HashedId a_as_external = a;
  a_as_external.kind = ob::IdKind::external_id;
  EXPECT_NE(ob::member_key("shop", std::vector{a}),
            ob::member_key("shop", std::vector{a_as_external}));

  // Entries of one member need not be adjacent; equal members collapse into one key.
  std::vector<ob::AudienceId> scattered{{a, 0}, {em(2), 1}, {b, 0}, {a, 2}, {b, 2}};
  const auto ks = ob::member_keys("shop", scattered);
  EXPECT_EQ(ks.size(), 2u);
  EXPECT_TRUE(std::is_sorted(ks.begin(), ks.end()));
}

TEST(OnboardingDifference, SymmetricDifferenceIsExactBelowTheCap) {
  const auto base = keys(audience(0, 1000));
  ASSERT_EQ(base.size(), 1000u);
  EXPECT_EQ(ob::symmetric_difference(base, base, 100), 0u);
  EXPECT_EQ(ob::symmetric_difference(base, keys(audience(0, 999)), 100), 1u);
  EXPECT_EQ(ob::symmetric_difference(base, keys(audience(0, 1001)), 100), 1u);
  EXPECT_EQ(ob::symmetric_difference(base, keys(audience(30, 1000)), 100), 60u);  // 30 out, 30 in
  EXPECT_EQ(ob::symmetric_difference(base, keys(audience(49, 1000)), 100), 98u);
  EXPECT_EQ(ob::symmetric_difference(base, keys(audience(50, 1000)), 100), 100u);
  EXPECT_EQ(ob::symmetric_difference(base, keys(audience(500, 1000)), 100), 100u);  // capped
  EXPECT_EQ(ob::symmetric_difference(base, keys(audience(500, 1000)), 5000), 1000u);
  EXPECT_EQ(ob::symmetric_difference(base, {}, 5000), 1000u);
  EXPECT_EQ(ob::symmetric_difference(base, keys(audience(0, 500)), 100), 100u);  // by size alone
  // A changed phone changes the member: one out, one in.
  auto changed = audience(0, 1000);
  changed[1].id = ph(123456);  // member 0's phone (person 0 has one)
  EXPECT_EQ(ob::symmetric_difference(base, keys(changed), 100), 2u);
}

TEST(OnboardingDifference, TooSimilarFromOneToMinAudienceMinusOneMembers) {
  const std::size_t k = 100;
  const auto first = keys(audience(0, 5000));
  const std::vector<ob::EarlierMatch> earlier{{"m1", first}};

  EXPECT_EQ(ob::check_difference(first, earlier, k).kind, Kind::unchanged);
  for (int d : {1, 50, 99}) {
    // d members added; d members removed; and a mix (d / 2 out, the rest in).
    for (const auto& a :
         {audience(0, 5000 + d), audience(d, 5000 - d), audience(d / 2, 5000 + d % 2)}) {
      const auto dec = ob::check_difference(keys(a), earlier, k);
      ASSERT_EQ(ob::symmetric_difference(keys(a), first, 1000), static_cast<std::size_t>(d));
      EXPECT_EQ(dec.kind, Kind::too_similar) << "difference " << d;
      EXPECT_EQ(dec.difference, static_cast<std::size_t>(d));
      EXPECT_EQ(dec.earlier, 0u);
    }
  }
  EXPECT_EQ(ob::check_difference(keys(audience(0, 5099)), earlier, k).kind, Kind::too_similar);
  EXPECT_EQ(ob::check_difference(keys(audience(0, 5100)), earlier, k).kind, Kind::fresh);
  EXPECT_EQ(ob::check_difference(keys(audience(100, 4900)), earlier, k).kind, Kind::fresh);
  EXPECT_EQ(ob::check_difference(keys(audience(50, 5000)), earlier, k).kind, Kind::fresh);  // 50+50
  EXPECT_EQ(ob::check_difference(keys(audience(0, 5000)), {}, k).kind, Kind::fresh);
}

TEST(OnboardingDifference, AnUnchangedAudienceWinsOverATooSimilarOne) {
  const auto a = keys(audience(0, 300));
  const auto b = keys(audience(0, 310));
  const auto c = keys(audience(1000, 300));
  const std::vector<ob::EarlierMatch> earlier{{"m1", a}, {"m2", c}, {"m3", b}};
  auto dec = ob::check_difference(b, earlier, 100);
  EXPECT_EQ(dec.kind, Kind::unchanged);
  EXPECT_EQ(earlier[dec.earlier].match_id, "m3");
  dec = ob::check_difference(keys(audience(0, 305)), earlier, 100);
  EXPECT_EQ(dec.kind, Kind::too_similar);
  EXPECT_EQ(earlier[dec.earlier].match_id, "m1");
  EXPECT_EQ(dec.difference, 5u);
  // min_audience 0 (never configured) still tells equal from different.
  EXPECT_EQ(ob::check_difference(keys(audience(0, 305)), earlier, 0).kind, Kind::fresh);
}

TEST(OnboardingDifference, PurgedKeysOfOptedOutMembersStillCount) {
  // Match m1 released on people 0..999. Then people 0..29 opt out: their keys are purged from
  // m1 (removed = 30) and from the audience. The same list again is m1's answer; the list with
  // k new members differs from the released one by 30 + k.
  const auto now = keys(audience(30, 970));
  const std::vector<ob::EarlierMatch> earlier{{"m1", now, 30}};
  EXPECT_EQ(ob::check_difference(now, earlier, 100).kind, Kind::unchanged);
  auto dec = ob::check_difference(keys(audience(30, 1039)), earlier, 100);  // 69 new
  EXPECT_EQ(dec.kind, Kind::too_similar);
  EXPECT_EQ(dec.difference, 99u);
  EXPECT_EQ(ob::check_difference(keys(audience(30, 1040)), earlier, 100).kind, Kind::fresh);
  // Opt-outs alone, 100 or more: the rest of the list is far enough from what was released.
  const std::vector<ob::EarlierMatch> many{{"m1", now, 100}};
  EXPECT_EQ(ob::check_difference(keys(audience(30, 971)), many, 100).kind, Kind::fresh);
}

// The whole decision of POST /v1/matches as phase 2 wires it, on synthetic lists: agreement,
// differencing against earlier matches, match with both tenants' opt-outs, release.
namespace {

struct Flow {
  std::vector<ob::Agreement> agreements;
  std::vector<ob::GraphLink> graph;  // publisher "news": person p has em(p), p < 1000
  std::set<ob::HashedId> advertiser_optouts, publisher_optouts;
  std::vector<std::vector<ob::MemberKey>> earlier;  // member keys of earlier matches
  std::vector<ob::Release> releases;

  Flow() {
    nlohmann::json a = {
        {"id", "deal"},          {"advertiser", "shop"},     {"publisher", "news"},
        {"purpose", "retarget"}, {"legal_basis", "consent"}, {"expires", "2026-07-01"}};
    agreements = ob::parse_agreements(nlohmann::json::array({a}), [](std::string_view t) {
      return t == "news"                   ? std::optional(ob::Role::publisher)
             : t == "shop" || t == "shop2" ? std::optional(ob::Role::advertiser)
                                           : std::nullopt;
    });
    for (int p = 0; p < 1000; ++p) graph.push_back({em(p), static_cast<std::uint32_t>(p)});
  }

  // "403", "409", or the release's status and count ("released 120", "below_threshold").
  std::string match(const std::string& tenant, const std::string& agreement,
                    const std::vector<ob::AudienceId>& a, const char* today = "2026-06-30") {
    const ob::Agreement* ag = ob::find_agreement(agreements, agreement);
    if (!ag || !ob::agreement_allows(*ag, tenant, *ob::parse_date(today))) return "403";
    auto mk = ob::member_keys(tenant, a);
    std::vector<ob::EarlierMatch> prior;
    for (const auto& e : earlier) prior.push_back({"", e});
    const auto dec = ob::check_difference(mk, prior, static_cast<std::size_t>(ag->min_audience));
    if (dec.kind == Kind::too_similar) return "409";
    ob::Release r;
    if (dec.kind == Kind::unchanged) {
      r = releases[dec.earlier];
    } else {
      ob::Suppression s;
      s.id = [&](const ob::HashedId& h) {
        return advertiser_optouts.count(h) > 0 || publisher_optouts.count(h) > 0;
      };
      r = ob::release_count(ob::match_audience(a, graph, s).persons.size(),
                            static_cast<std::uint64_t>(ag->min_audience));
      earlier.push_back(std::move(mk));
      releases.push_back(r);
    }
    return r.matched ? "released " + std::to_string(*r.matched) : "below_threshold";
  }
};

// Members 0..n-1 are people [first, first + n) by e-mail (people ≥ 1000 are not users).
std::vector<ob::AudienceId> people(int first, int n) {
  std::vector<ob::AudienceId> a;
  for (int i = 0; i < n; ++i) a.push_back({em(first + i), static_cast<std::uint32_t>(i)});
  return a;
}

}  // namespace

TEST(OnboardingFlow, FloorDifferencingOptOutsAndAgreements) {
  Flow f;
  // 99 users + 1000 strangers: below the floor; 100 users (other lists: no earlier match is
  // within 100 members): released.
  auto list99 = people(901, 99);
  auto strangers = people(5000, 1000);
  list99.insert(list99.end(), strangers.begin(), strangers.end());
  for (std::uint32_t i = 0; i < list99.size(); ++i) list99[i].member = i;
  EXPECT_EQ(f.match("shop", "deal", list99), "below_threshold");
  EXPECT_EQ(f.match("shop", "deal", people(0, 100)), "released 100");
  // The same list again: the earlier answer. One or 99 members more: refused. 100 more: allowed.
  EXPECT_EQ(f.match("shop", "deal", people(0, 100)), "released 100");
  EXPECT_EQ(f.match("shop", "deal", people(0, 101)), "409");
  EXPECT_EQ(f.match("shop", "deal", people(0, 199)), "409");
  EXPECT_EQ(f.match("shop", "deal", people(0, 200)), "released 200");
  EXPECT_EQ(f.match("shop", "deal", people(0, 309)), "released 300");  // 109 from (0, 200)
  // Opt-outs on both sides before the match: 3 at the advertiser, 2 at the publisher.
  for (int p : {400, 401, 402}) f.advertiser_optouts.insert(em(p));
  for (int p : {403, 404}) f.publisher_optouts.insert(em(p));
  EXPECT_EQ(f.match("shop", "deal", people(400, 105)), "released 100");  // 105 - 5 = 100
  // One publisher opt-out takes a list of exactly 100 users to 99: nothing is released.
  f.publisher_optouts.insert(em(750));
  EXPECT_EQ(f.match("shop", "deal", people(700, 100)), "below_threshold");
  f.advertiser_optouts.insert(em(600));  // and one advertiser opt-out does the same
  EXPECT_EQ(f.match("shop", "deal", people(550, 100)), "below_threshold");
  // No agreement: another advertiser, an unknown id, the publisher itself, or expired.
  EXPECT_EQ(f.match("shop2", "deal", people(0, 500)), "403");
  EXPECT_EQ(f.match("shop", "nodeal", people(0, 500)), "403");
  EXPECT_EQ(f.match("news", "deal", people(0, 500)), "403");
  EXPECT_EQ(f.match("shop", "deal", people(0, 500), "2026-07-01"), "403");
}
