// Unit tests of the match engine and the release rule (gateway/onboarding/match). Audiences and
// publisher graphs are synthetic lists whose overlap is known by construction; a brute-force
// reference (nested std::set lookups, written independently of the engine) checks random cases.
#include <gtest/gtest.h>

#include <hashgate/hashgate.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>

#include "gateway/onboarding/match.hpp"

namespace ob = hashgate::gw::onboarding;

namespace {

ob::HashedId id(ob::IdKind kind, const std::string& text) {
  ob::HashedId h;
  h.kind = kind;
  hashgate::sha256(text, h.digest);
  return h;
}

ob::HashedId em(int n) { return id(ob::IdKind::em, "user" + std::to_string(n) + "@example.com"); }
ob::HashedId ph(int n) { return id(ob::IdKind::ph, "3161" + std::to_string(1000000 + n)); }

// A publisher with `persons` people: person p logged in with em(p); even people also gave ph(p).
std::vector<ob::GraphLink> publisher(int persons) {
  std::vector<ob::GraphLink> g;
  for (int p = 0; p < persons; ++p) {
    g.push_back({em(p), static_cast<std::uint32_t>(p)});
    if (p % 2 == 0) g.push_back({ph(p), static_cast<std::uint32_t>(p)});
  }
  return g;
}

// Brute force: person p matches when some unsuppressed member holds an id equal to one of p's ids.
std::set<std::uint32_t> reference(const std::vector<ob::AudienceId>& a,
                                  const std::vector<ob::GraphLink>& g,
                                  const std::set<ob::HashedId>& suppressed,
                                  const std::set<std::uint32_t>& suppressed_persons = {}) {
  std::set<std::uint32_t> bad_members, bad_persons = suppressed_persons, out;
  for (const auto& e : a)
    if (suppressed.count(e.id)) bad_members.insert(e.member);
  for (const auto& l : g)
    if (suppressed.count(l.id)) bad_persons.insert(l.person);
  for (const auto& e : a) {
    if (bad_members.count(e.member)) continue;
    for (const auto& l : g)
      if (l.id == e.id && !bad_persons.count(l.person)) out.insert(l.person);
  }
  return out;
}

std::set<std::uint32_t> as_set(const std::vector<std::uint32_t>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST(OnboardingMatch, CountsAKnownOverlapExactly) {
  const auto g = publisher(5000);
  // 3000 members: members 0..1199 are people 0..2399 step 2 by e-mail (1200 matches), members
  // 1200..1499 are odd people 1..599 by phone only (they gave no phone: 0 matches), members
  // 1500..1799 are even people 3000..3598 by phone only (300 matches), the rest are strangers.
  std::vector<ob::AudienceId> a;
  std::uint32_t m = 0;
  for (int p = 0; p < 2400; p += 2, ++m) a.push_back({em(p), m});
  for (int p = 1; p < 600; p += 2, ++m) a.push_back({ph(p), m});
  for (int p = 3000; p < 3600; p += 2, ++m) a.push_back({ph(p), m});
  for (int s = 0; s < 1200; ++s, ++m) a.push_back({em(100000 + s), m});
  ASSERT_EQ(m, 3000u);

  const ob::MatchOutcome out = ob::match_audience(a, g);
  EXPECT_EQ(out.persons.size(), 1500u);
  EXPECT_EQ(out.members_matched, 1500u);
  EXPECT_TRUE(std::is_sorted(out.persons.begin(), out.persons.end()));
  EXPECT_EQ(out.persons.front(), 0u);
  EXPECT_EQ(out.persons.back(), 3598u);
  EXPECT_EQ(as_set(out.persons), reference(a, g, {}));
}

TEST(OnboardingMatch, SamePersonTwiceCountsOnceAndKindsMustAgree) {
  const auto g = publisher(10);
  std::vector<ob::AudienceId> a{
      {em(0), 0}, {ph(0), 0},  // one member, both ids of person 0
      {em(2), 1}, {ph(2), 2},  // two members that are both person 2
      {em(4), 3}, {em(4), 4},  // two members sharing one e-mail
  };
  // Person 6's e-mail digest offered as a phone: the same bytes of another kind never match.
  ob::HashedId wrong_kind = em(6);
  wrong_kind.kind = ob::IdKind::ph;
  a.push_back({wrong_kind, 5});
  const auto out = ob::match_audience(a, g);
  EXPECT_EQ(out.persons, (std::vector<std::uint32_t>{0, 2, 4}));
  EXPECT_EQ(out.members_matched, 5u);
}

TEST(OnboardingMatch, OneMemberMatchesEveryPersonThatSharesItsId) {
  // A shared family phone linked to three people of the publisher.
  std::vector<ob::GraphLink> g{{ph(7), 0}, {ph(7), 1}, {ph(7), 2}, {em(3), 3}};
  std::vector<ob::AudienceId> a{{ph(7), 0}};
  EXPECT_EQ(ob::match_audience(a, g).persons, (std::vector<std::uint32_t>{0, 1, 2}));
}

TEST(OnboardingMatch, OptOutsOnEitherSideExcludeThePerson) {
  const auto g = publisher(100);
  std::vector<ob::AudienceId> a;
  for (std::uint32_t p = 0; p < 100; p += 2) {
    a.push_back({em(static_cast<int>(p)), p / 2});
    a.push_back({ph(static_cast<int>(p)), p / 2});
  }
  ASSERT_EQ(ob::match_audience(a, g).persons.size(), 50u);

  // The advertiser's list has member 0's phone (person 0); the publisher's has person 10's
  // e-mail; the publisher's hg_uid of person 20 is suppressed; and person 31 (not in the
  // audience) is suppressed, which changes nothing.
  const std::set<ob::HashedId> suppressed{ph(0), em(10)};
  std::size_t id_calls = 0;
  ob::Suppression s;
  s.id = [&](const ob::HashedId& h) {
    ++id_calls;
    return suppressed.count(h) > 0;
  };
  s.person = [](std::uint32_t p) { return p == 20 || p == 31; };
  const auto out = ob::match_audience(a, g, s);
  EXPECT_EQ(out.persons.size(), 47u);
  for (std::uint32_t gone : {0u, 10u, 20u}) {
    EXPECT_FALSE(std::binary_search(out.persons.begin(), out.persons.end(), gone)) << gone;
  }
  // Members: 0 (its phone) and 5 (person 10's e-mail, on the publisher's list, suppresses the
  // member too: either tenant's list counts). People: 0 (ph(0) is its phone too), 10 and 20; 31
  // is no candidate, so it is neither looked up nor counted.
  EXPECT_EQ(out.members_matched, 47u);  // member 10 kept, but its only person (20) is gone
  EXPECT_EQ(out.members_suppressed, 2u);
  EXPECT_EQ(out.persons_suppressed, 3u);
  EXPECT_EQ(as_set(out.persons), reference(a, g, suppressed, {20, 31}));
  // Only the ids of the 50 matching members and the 50 matched people were looked up (each at
  // most once, and not after the first suppressed one), never the 50 unmatched people's.
  EXPECT_LE(id_calls, 200u);
  EXPECT_GT(id_calls, 100u);
}

TEST(OnboardingMatch, EmptyInputsMatchNobody) {
  const auto g = publisher(10);
  std::vector<ob::AudienceId> a{{em(1), 0}};
  EXPECT_TRUE(ob::match_audience({}, g).persons.empty());
  EXPECT_TRUE(ob::match_audience(a, {}).persons.empty());
  EXPECT_TRUE(ob::match_audience({}, {}).persons.empty());
}

TEST(OnboardingMatch, CraftedDigestsWithACommonPrefixStillMatchExactly) {
  // Digests an attacker chose: all share their first 24 bytes, so the sort key and the radix
  // bucket are the same for all, and only the last bytes tell them apart.
  auto crafted = [](std::uint32_t n, ob::IdKind k = ob::IdKind::em) {
    ob::HashedId h;
    h.kind = k;
    h.digest.fill(0xAB);
    for (int b = 0; b < 4; ++b) h.digest[31 - b] = static_cast<std::uint8_t>(n >> (8 * b));
    return h;
  };
  // 20000 people (the radix path) and 600 (the small-input sort).
  for (const std::uint32_t n : {20000u, 600u}) {
    std::vector<ob::GraphLink> g;
    std::vector<ob::AudienceId> a;
    for (std::uint32_t i = 0; i < n; ++i) g.push_back({crafted(i), i});
    for (std::uint32_t i = 0; i < n; i += 3) a.push_back({crafted(i * 2), i});
    a.push_back({crafted(5, ob::IdKind::external_id), 99999});
    // In order (the pre-sorted path) and shuffled (the sort, where only the tails differ).
    for (int shuffled = 0; shuffled < 2; ++shuffled) {
      const auto out = ob::match_audience(a, g);
      EXPECT_EQ(out.persons.size(), (n - 1) / 6 + 1) << n;  // multiples of 6 below n
      for (std::uint32_t p : out.persons) EXPECT_EQ(p % 6, 0u);
      std::mt19937 rng(7);
      std::shuffle(a.begin(), a.end(), rng);
      std::shuffle(g.begin(), g.end(), rng);
    }
  }
}

TEST(OnboardingMatch, CraftedDigestsThatShareTwoBytesStillSortAndMatch) {
  // Digests that share only their first two bytes: one radix bucket and one sub-bucket of 30000
  // entries whose keys differ (the comparison-sort fallback), in shuffled order.
  auto crafted = [](std::uint32_t n) {
    ob::HashedId h;
    h.digest.fill(0);
    h.digest[0] = 0x12;
    h.digest[1] = 0x34;
    for (int b = 0; b < 4; ++b) h.digest[2 + b] = static_cast<std::uint8_t>(n >> (24 - 8 * b));
    h.digest[31] = static_cast<std::uint8_t>(n);
    return h;
  };
  std::vector<ob::GraphLink> g;
  std::vector<ob::AudienceId> a;
  for (std::uint32_t i = 0; i < 30000; ++i) g.push_back({crafted(i * 7), i});
  for (std::uint32_t i = 0; i < 30000; ++i) a.push_back({crafted(i * 5), i});
  std::mt19937 rng(11);
  std::shuffle(a.begin(), a.end(), rng);
  std::shuffle(g.begin(), g.end(), rng);
  const auto out = ob::match_audience(a, g);
  // i * 7 = j * 5 for i < 30000, j < 30000: i a multiple of 5 with 7i / 5 < 30000, i.e.
  // i = 0, 5, ..., 21425: 4286 people.
  EXPECT_EQ(out.persons.size(), 4286u);
  for (std::uint32_t p : out.persons) EXPECT_EQ(p % 5, 0u);
}

TEST(OnboardingMatch, AgreesWithABruteForceReferenceOnRandomInputs) {
  // Small id alphabets so that duplicates, shared ids and suppressed ones are frequent; inputs
  // in random order and, every other round, the graph pre-sorted (the store's order).
  std::mt19937 rng(20260101);
  for (int round = 0; round < 200; ++round) {
    const int alphabet = 5 + static_cast<int>(rng() % 60);
    auto random_id = [&] {
      std::string v = "v";  // (not "v" + …: GCC 12 warns -Wrestrict on that, wrongly)
      v += std::to_string(rng() % alphabet);
      return id(static_cast<ob::IdKind>(rng() % 3), v);
    };
    std::vector<ob::AudienceId> a(rng() % 80);
    for (auto& e : a) e = {random_id(), static_cast<std::uint32_t>(rng() % 30)};
    std::vector<ob::GraphLink> g(rng() % 120);
    for (auto& l : g) l = {random_id(), static_cast<std::uint32_t>(rng() % 50)};
    if (round % 2) {
      std::sort(g.begin(), g.end(), [](auto& x, auto& y) { return x.id < y.id; });
    }
    std::set<ob::HashedId> suppressed;
    for (int i = 0; i < static_cast<int>(rng() % 4); ++i) suppressed.insert(random_id());
    std::set<std::uint32_t> bad_persons{static_cast<std::uint32_t>(rng() % 50)};
    ob::Suppression s{[&](const ob::HashedId& h) { return suppressed.count(h) > 0; },
                      [&](std::uint32_t p) { return bad_persons.count(p) > 0; }};
    const auto out = ob::match_audience(a, g, s);
    ASSERT_EQ(as_set(out.persons), reference(a, g, suppressed, bad_persons)) << "round " << round;
    ASSERT_EQ(out.persons.size(), as_set(out.persons).size());
  }
}

TEST(OnboardingRelease, FloorAtMinAudienceAndRoundingDownToTens) {
  using ob::MatchStatus;
  auto r = ob::release_count(99, 100);
  EXPECT_EQ(r.status, MatchStatus::below_threshold);
  EXPECT_FALSE(r.matched.has_value());
  r = ob::release_count(100, 100);
  EXPECT_EQ(r.status, MatchStatus::released);
  EXPECT_EQ(r.matched, 100u);
  EXPECT_EQ(ob::release_count(109, 100).matched, 100u);
  EXPECT_EQ(ob::release_count(110, 100).matched, 110u);
  EXPECT_EQ(ob::release_count(123457, 100).matched, 123450u);
  EXPECT_FALSE(ob::release_count(0, 10).matched.has_value());
  EXPECT_FALSE(ob::release_count(999, 1000).matched.has_value());
  EXPECT_EQ(ob::release_count(1000, 1000).matched, 1000u);
  // A floor that is not a multiple of 10: released from 15 on, as 10.
  EXPECT_FALSE(ob::release_count(14, 15).matched.has_value());
  EXPECT_EQ(ob::release_count(15, 15).matched, 10u);
}
