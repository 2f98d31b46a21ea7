#include "gateway/onboarding/difference.hpp"

#include <hashgate/hashgate.hpp>

#include <algorithm>
#include <string>

namespace hashgate::gw::onboarding {

namespace {

constexpr std::string_view k_domain = "hashgate/member/v1";

}  // namespace

MemberKey member_key(std::string_view tenant, std::span<const HashedId> ids) {
  std::vector<HashedId> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string input;
  input.reserve(k_domain.size() + tenant.size() + 2 + sorted.size() * (1 + Digest{}.size()));
  input.append(k_domain).push_back('\0');
  input.append(tenant).push_back('\0');
  for (const HashedId& id : sorted) {
    input.push_back(static_cast<char>(id.kind));
    input.append(reinterpret_cast<const char*>(id.digest.data()), id_kind_bytes(id.kind));
  }
  std::array<std::uint8_t, 32> md{};
  hashgate::sha256(input, md);
  hashgate::secure_clear(input);  // it held the member's hashed identifiers
  MemberKey key{};
  std::copy_n(md.begin(), key.size(), key.begin());
  return key;
}

std::vector<MemberKey> member_keys(std::string_view tenant, std::span<const AudienceId> audience) {
  // Order the entries by member (a stable counting sort would need the member count; a sort of
  // indices is simple and the SHA-256 per member dominates anyway).
  std::vector<std::uint32_t> order(audience.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  const bool grouped =
      std::is_sorted(audience.begin(), audience.end(),
                     [](const AudienceId& x, const AudienceId& y) { return x.member < y.member; });
  if (!grouped) {
    std::sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
      return audience[x].member < audience[y].member;
    });
  }
  std::vector<MemberKey> keys;
  std::vector<HashedId> ids;
  for (std::size_t i = 0; i < order.size();) {
    const std::uint32_t member = audience[order[i]].member;
    ids.clear();
    for (; i < order.size() && audience[order[i]].member == member; ++i) {
      ids.push_back(audience[order[i]].id);
    }
    keys.push_back(member_key(tenant, ids));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::size_t symmetric_difference(std::span<const MemberKey> a, std::span<const MemberKey> b,
                                 std::size_t cap) noexcept {
  const std::size_t gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (gap >= cap) return cap;
  std::size_t diff = 0, i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++diff;
      ++i;
    } else if (b[j] < a[i]) {
      ++diff;
      ++j;
    } else {
      ++i;
      ++j;
    }
    if (diff >= cap) return cap;
  }
  diff += (a.size() - i) + (b.size() - j);
  return std::min(diff, cap);
}

DifferenceDecision check_difference(std::span<const MemberKey> current,
                                    std::span<const EarlierMatch> earlier,
                                    std::size_t min_audience) noexcept {
  const std::size_t cap = std::max<std::size_t>(min_audience, 1);  // 0 must still mean "equal"
  DifferenceDecision close;
  bool have_close = false;
  for (std::size_t e = 0; e < earlier.size(); ++e) {
    const std::size_t d = symmetric_difference(current, earlier[e].members, cap);
    if (d == 0) return DifferenceDecision{DifferenceDecision::Kind::unchanged, e, 0};
    const std::size_t total = std::min(d + earlier[e].removed, cap);
    if (total < cap && !have_close) {
      close = DifferenceDecision{DifferenceDecision::Kind::too_similar, e, total};
      have_close = true;
    }
  }
  return close;
}

}  // namespace hashgate::gw::onboarding
