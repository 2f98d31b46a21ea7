// The match as a sort-merge join over 16-byte proxies (docs/onboarding.md, "The match engine").
#include "gateway/onboarding/match.hpp"

#include <algorithm>
#include <cstring>

namespace hashgate::gw::onboarding {

namespace {

// A sortable stand-in for one input entry: the kind and the first 7 digest bytes as one
// big-endian number (so key order is (kind, digest) order), and the entry's index.
struct Proxy {
  std::uint64_t key;
  std::uint32_t index;
};

constexpr std::size_t k_key_bytes = 7;  // digest bytes held in the key; the rest compare apart
constexpr unsigned k_bucket_bits = 16;  // radix pass on kind + first digest byte

std::uint64_t key_of(const HashedId& id) noexcept {
  std::uint64_t k = static_cast<std::uint64_t>(id.kind);
  for (std::size_t i = 0; i < k_key_bytes; ++i) k = (k << 8) | id.digest[i];
  return k;
}

// Three-way comparison of the digest bytes that are not in the key.
int compare_tail(const HashedId& a, const HashedId& b) noexcept {
  return std::memcmp(a.digest.data() + k_key_bytes, b.digest.data() + k_key_bytes,
                     a.digest.size() - k_key_bytes);
}

bool sorted_by_id(auto entries) noexcept {
  for (std::size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].id < entries[i - 1].id) return false;
  }
  return true;
}

// Proxies of `entries` in (kind, digest) order. Already sorted input costs one pass; otherwise
// one counting pass by the top 16 key bits, a scatter, and a comparison sort inside each bucket
// (a few thousand entries, in cache). Equal keys fall back to the digest tail, so crafted
// digests that share a prefix cost O(n log n), never more.
template <typename Entry>
std::vector<Proxy> sorted_proxies(std::span<const Entry> entries) {
  std::vector<Proxy> out(entries.size());
  if (sorted_by_id(entries)) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      out[i] = Proxy{key_of(entries[i].id), static_cast<std::uint32_t>(i)};
    }
    return out;
  }
  constexpr unsigned k_shift = 8 * (k_key_bytes + 1) - k_bucket_bits;
  std::vector<std::uint32_t> start((std::size_t{1} << k_bucket_bits) + 1, 0);
  for (const Entry& e : entries) ++start[(key_of(e.id) >> k_shift) + 1];
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::uint64_t k = key_of(entries[i].id);
    out[fill[k >> k_shift]++] = Proxy{k, static_cast<std::uint32_t>(i)};
  }
  auto less = [&](const Proxy& a, const Proxy& b) {
    if (a.key != b.key) return a.key < b.key;
    return compare_tail(entries[a.index].id, entries[b.index].id) < 0;
  };
  for (std::size_t b = 0; b + 1 < start.size(); ++b) {
    if (start[b + 1] - start[b] > 1)
      std::sort(out.begin() + start[b], out.begin() + start[b + 1], less);
  }
  return out;
}

// A range of audience proxies and a range of graph proxies that hold the same identifier.
struct Run {
  std::uint32_t a_begin, a_end, g_begin, g_end;
};

std::vector<Run> equal_runs(std::span<const AudienceId> audience, const std::vector<Proxy>& a,
                            std::span<const GraphLink> graph, const std::vector<Proxy>& g) {
  std::vector<Run> runs;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < g.size()) {
    int c = a[i].key < g[j].key ? -1 : (a[i].key > g[j].key ? 1 : 0);
    if (c == 0) c = compare_tail(audience[a[i].index].id, graph[g[j].index].id);
    if (c < 0) {
      ++i;
    } else if (c > 0) {
      ++j;
    } else {
      const HashedId& id = audience[a[i].index].id;
      std::size_t i_end = i + 1, j_end = j + 1;
      while (i_end < a.size() && audience[a[i_end].index].id == id) ++i_end;
      while (j_end < g.size() && graph[g[j_end].index].id == id) ++j_end;
      runs.push_back(Run{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i_end),
                         static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(j_end)});
      i = i_end;
      j = j_end;
    }
  }
  return runs;
}

// Flags per member or person: bit 0 candidate (in some run), bit 1 suppressed, bit 2 matched.
enum : std::uint8_t { k_candidate = 1, k_suppressed = 2, k_matched = 4 };

template <typename Entry, typename Owner>
std::vector<std::uint8_t> flag_table(std::span<const Entry> entries, Owner owner) {
  std::uint32_t max = 0;
  for (const Entry& e : entries) max = std::max(max, owner(e));
  return std::vector<std::uint8_t>(entries.empty() ? 0 : std::size_t{max} + 1, 0);
}

// Marks the candidates that have a suppressed identifier (only candidates are looked up).
template <typename Entry, typename Owner>
void mark_suppressed(std::span<const Entry> entries, Owner owner, std::vector<std::uint8_t>& flags,
                     const std::function<bool(const HashedId&)>& suppressed) {
  if (!suppressed) return;
  for (const Entry& e : entries) {
    std::uint8_t& f = flags[owner(e)];
    if ((f & (k_candidate | k_suppressed)) == k_candidate && suppressed(e.id)) f |= k_suppressed;
  }
}

}  // namespace

MatchOutcome match_audience(std::span<const AudienceId> audience, std::span<const GraphLink> graph,
                            const Suppression& suppression) {
  const std::vector<Proxy> a = sorted_proxies(audience);
  const std::vector<Proxy> g = sorted_proxies(graph);
  const std::vector<Run> runs = equal_runs(audience, a, graph, g);

  auto member_of = [](const AudienceId& e) { return e.member; };
  auto person_of = [](const GraphLink& e) { return e.person; };
  std::vector<std::uint8_t> members = flag_table(audience, member_of);
  std::vector<std::uint8_t> persons = flag_table(graph, person_of);
  for (const Run& r : runs) {
    for (std::uint32_t k = r.a_begin; k < r.a_end; ++k)
      members[audience[a[k].index].member] |= k_candidate;
    for (std::uint32_t k = r.g_begin; k < r.g_end; ++k)
      persons[graph[g[k].index].person] |= k_candidate;
  }
  mark_suppressed(audience, member_of, members, suppression.id);
  mark_suppressed(graph, person_of, persons, suppression.id);
  if (suppression.person) {
    for (std::size_t p = 0; p < persons.size(); ++p) {
      if ((persons[p] & k_candidate) && suppression.person(static_cast<std::uint32_t>(p))) {
        persons[p] |= k_suppressed;
      }
    }
  }

  MatchOutcome out;
  for (const Run& r : runs) {
    bool person_left = false;
    for (std::uint32_t k = r.g_begin; k < r.g_end && !person_left; ++k) {
      person_left = !(persons[graph[g[k].index].person] & k_suppressed);
    }
    bool member_left = false;
    for (std::uint32_t k = r.a_begin; k < r.a_end; ++k) {
      std::uint8_t& f = members[audience[a[k].index].member];
      if (f & k_suppressed) continue;
      member_left = true;
      if (person_left) f |= k_matched;
    }
    if (!member_left) continue;
    for (std::uint32_t k = r.g_begin; k < r.g_end; ++k) {
      std::uint8_t& f = persons[graph[g[k].index].person];
      if (!(f & k_suppressed)) f |= k_matched;
    }
  }
  for (std::size_t p = 0; p < persons.size(); ++p) {
    if (persons[p] & k_matched) out.persons.push_back(static_cast<std::uint32_t>(p));
    if (persons[p] & k_suppressed) ++out.persons_suppressed;
  }
  for (const std::uint8_t f : members) {
    if (f & k_matched) ++out.members_matched;
    if (f & k_suppressed) ++out.members_suppressed;
  }
  return out;
}

Release release_count(std::uint64_t matched, std::uint64_t min_audience) noexcept {
  if (matched < min_audience) return Release{MatchStatus::below_threshold, std::nullopt};
  return Release{MatchStatus::released, matched - matched % 10};
}

}  // namespace hashgate::gw::onboarding
