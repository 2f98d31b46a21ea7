// Fuzzes the match engine against a brute-force reference: the input bytes choose small audiences
// and graphs over a tiny digest alphabet (many shared ids, shared prefixes and equal keys), the
// suppressed ids and people; the engine's matched people must equal the reference's.
#include "gateway/onboarding/match.hpp"

#include <algorithm>
#include <set>

#include "fuzz_common.hpp"

namespace ob = hashgate::gw::onboarding;

namespace {

// Digest from one byte: the low bits choose a tail, the high bits a prefix, so keys collide.
ob::HashedId id_of(std::uint8_t b) {
  ob::HashedId h;
  h.kind = static_cast<ob::IdKind>(b % 3);
  h.digest.fill(0);
  h.digest[0] = static_cast<std::uint8_t>(b >> 6);
  h.digest[31] = static_cast<std::uint8_t>(b >> 2);
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hashgate::fuzz::Cursor in(data, size);
  std::vector<ob::AudienceId> a(in.byte() % 40);
  for (auto& e : a) e = {id_of(in.byte()), static_cast<std::uint32_t>(in.byte() % 16)};
  std::vector<ob::GraphLink> g(in.byte() % 60);
  for (auto& l : g) l = {id_of(in.byte()), static_cast<std::uint32_t>(in.byte() % 24)};
  std::set<ob::HashedId> sup;
  for (int i = in.byte() % 4; i > 0; --i) sup.insert(id_of(in.byte()));
  const std::uint32_t bad_person = in.byte() % 32;
  ob::Suppression s{[&](const ob::HashedId& h) { return sup.count(h) > 0; },
                    [&](std::uint32_t p) { return p == bad_person; }};
  const auto out = ob::match_audience(a, g, s);

  std::set<std::uint32_t> bad_m, bad_p{bad_person}, expected;
  for (const auto& e : a)
    if (sup.count(e.id)) bad_m.insert(e.member);
  for (const auto& l : g)
    if (sup.count(l.id)) bad_p.insert(l.person);
  for (const auto& e : a)
    for (const auto& l : g)
      if (!bad_m.count(e.member) && !bad_p.count(l.person) && e.id == l.id)
        expected.insert(l.person);
  HG_FUZZ_CHECK(std::vector<std::uint32_t>(expected.begin(), expected.end()) == out.persons);
  return 0;
}
