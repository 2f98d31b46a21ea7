// The match as a sort-merge join over 16-byte proxies (docs/onboarding.md, "The match engine").
#include "gateway/onboarding/match.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace hashgate::gw::onboarding {

namespace {

// A sortable stand-in for one input entry: the kind and the first 7 digest bytes as one
// big-endian number (so key order is (kind, digest) order), the entry's index in its input, and
// its owner (member or person), so that nothing after the sort reads the 40-byte entries.
struct Proxy {
  std::uint64_t key;
  std::uint32_t index;
  std::uint32_t owner;
};

constexpr std::size_t k_key_bytes = 7;  // digest bytes held in the key; the rest compare apart
constexpr unsigned k_bucket_bits = 16;  // radix pass on kind + first digest byte
constexpr unsigned k_bucket_shift = 8 * (k_key_bytes + 1) - k_bucket_bits;
constexpr std::size_t k_radix_min = 4096;  // smaller inputs are sorted with std::sort

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

std::uint32_t owner_of(const AudienceId& e) noexcept { return e.member; }
std::uint32_t owner_of(const GraphLink& e) noexcept { return e.person; }

// Proxies sorted by (kind, digest), and the largest owner number seen.
struct Sorted {
  std::vector<Proxy> proxies;
  std::size_t owners = 0;  ///< largest owner + 1 (0 for no entries)
};

// Within runs of equal keys (rare unless the input repeats an id), orders by the digest tail.
template <typename Entry>
void order_equal_keys(std::span<const Entry> entries, std::vector<Proxy>& v) {
  auto by_tail = [&](const Proxy& a, const Proxy& b) {
    return compare_tail(entries[a.index].id, entries[b.index].id) < 0;
  };
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i + 1;
    while (j < v.size() && v[j].key == v[i].key) ++j;
    if (j - i > 1) std::sort(v.begin() + i, v.begin() + j, by_tail);
    i = j;
  }
}

void insertion_sort_by_key(Proxy* p, std::size_t n) noexcept {
  for (std::size_t i = 1; i < n; ++i) {
    const Proxy x = p[i];
    std::size_t j = i;
    for (; j > 0 && p[j - 1].key > x.key; --j) p[j] = p[j - 1];
    p[j] = x;
  }
}

// Sorts one first-level bucket by key: a counting pass on the next 8 key bits into `scratch`,
// then each sub-bucket (about n / 256 entries for uniform digests) by insertion, or by
// std::sort when it is large (digests crafted to share a prefix), so never worse than n log n.
void sort_bucket(Proxy* p, std::size_t n, std::vector<Proxy>& scratch) {
  constexpr std::size_t k_small = 32;
  if (n <= k_small) return insertion_sort_by_key(p, n);
  constexpr unsigned k_shift = k_bucket_shift - 8;
  std::array<std::uint32_t, 257> start{};
  for (std::size_t i = 0; i < n; ++i) ++start[((p[i].key >> k_shift) & 0xFF) + 1];
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::array<std::uint32_t, 256> fill;
  std::copy_n(start.begin(), 256, fill.begin());
  scratch.resize(std::max(scratch.size(), n));
  for (std::size_t i = 0; i < n; ++i) scratch[fill[(p[i].key >> k_shift) & 0xFF]++] = p[i];
  for (std::size_t b = 0; b < 256; ++b) {
    Proxy* first = scratch.data() + start[b];
    const std::size_t m = start[b + 1] - start[b];
    if (m <= k_small) {
      insertion_sort_by_key(first, m);
    } else {
      std::sort(first, first + m, [](const Proxy& x, const Proxy& y) { return x.key < y.key; });
    }
  }
  std::copy_n(scratch.data(), n, p);
}

// One pass builds the proxies in input order; input already in (kind, digest) order (as the
// store returns the graph) is done, and a small one is sorted by std::sort. Otherwise a counting
// pass on the top 16 key bits scatters them into buckets of a few thousand, each sorted by key in
// cache (sort_bucket); equal keys then compare their tails. Digests crafted to share a prefix cost
// O(n log n), never more.
template <typename Entry>
Sorted sorted_proxies(std::span<const Entry> entries) {
  Sorted s;
  // Counts per bucket; below k_radix_min entries a plain sort is cheaper than 65536 buckets.
  std::vector<std::uint32_t> start(
      entries.size() < k_radix_min ? 1 : (std::size_t{1} << k_bucket_bits) + 1, 0);
  bool sorted = true;
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::uint64_t key = key_of(entries[i].id);
    s.owners = std::max<std::size_t>(s.owners, std::size_t{owner_of(entries[i])} + 1);
    if (start.size() > 1) ++start[(key >> k_bucket_shift) + 1];
    if (i > 0 && key <= previous) {
      sorted = sorted && key == previous && compare_tail(entries[i - 1].id, entries[i].id) <= 0;
    }
    previous = key;
  }
  s.proxies.resize(entries.size());
  auto proxy = [&](std::size_t i, std::uint64_t key) {
    return Proxy{key, static_cast<std::uint32_t>(i), owner_of(entries[i])};
  };
  if (sorted || entries.size() < k_radix_min) {
    for (std::size_t i = 0; i < entries.size(); ++i) s.proxies[i] = proxy(i, key_of(entries[i].id));
    if (!sorted) {
      std::sort(s.proxies.begin(), s.proxies.end(),
                [](const Proxy& x, const Proxy& y) { return x.key < y.key; });
      order_equal_keys(entries, s.proxies);
    }
    return s;
  }
  for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
  std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::uint64_t key = key_of(entries[i].id);
    s.proxies[fill[key >> k_bucket_shift]++] = proxy(i, key);
  }
  std::vector<Proxy> scratch;
  for (std::size_t b = 0; b + 1 < start.size(); ++b) {
    sort_bucket(s.proxies.data() + start[b], start[b + 1] - start[b], scratch);
  }
  order_equal_keys(entries, s.proxies);
  return s;
}

// A range of audience proxies and a range of graph proxies that hold the same identifier.
struct Run {
  std::uint32_t a_begin, a_end, g_begin, g_end;
};

// Merges two sorted ranges with the three-way `cmp(audience proxy, graph proxy)` and the
// same-side equality `same_a`/`same_g`; calls `equal(a_begin, a_end, g_begin, g_end)` per
// matching pair of runs.
template <typename Cmp, typename SameA, typename SameG, typename Equal>
void merge(const Proxy* a, std::size_t a_begin, std::size_t a_end, const Proxy* g,
           std::size_t g_begin, std::size_t g_end, Cmp cmp, SameA same_a, SameG same_g,
           Equal equal) {
  std::size_t i = a_begin, j = g_begin;
  while (i < a_end && j < g_end) {
    const int c = cmp(a[i], g[j]);
    if (c < 0) {
      ++i;
    } else if (c > 0) {
      ++j;
    } else {
      std::size_t i2 = i + 1, j2 = j + 1;
      while (i2 < a_end && same_a(a[i], a[i2])) ++i2;
      while (j2 < g_end && same_g(g[j], g[j2])) ++j2;
      equal(i, i2, j, j2);
      i = i2;
      j = j2;
    }
  }
}

// Runs of equal ids: equal keys first (proxies only), then their tails (reads the entries).
std::vector<Run> equal_runs(std::span<const AudienceId> audience, const std::vector<Proxy>& a,
                            std::span<const GraphLink> graph, const std::vector<Proxy>& g) {
  std::vector<Run> runs;
  auto by_key = [](const Proxy& x, const Proxy& y) {
    return x.key < y.key ? -1 : (x.key > y.key ? 1 : 0);
  };
  auto same_key = [](const Proxy& x, const Proxy& y) { return x.key == y.key; };
  auto tail = [&](const Proxy& x, const Proxy& y) {
    return compare_tail(audience[x.index].id, graph[y.index].id);
  };
  auto same_a = [&](const Proxy& x, const Proxy& y) {
    return compare_tail(audience[x.index].id, audience[y.index].id) == 0;
  };
  auto same_g = [&](const Proxy& x, const Proxy& y) {
    return compare_tail(graph[x.index].id, graph[y.index].id) == 0;
  };
  auto add = [&](std::size_t a0, std::size_t a1, std::size_t g0, std::size_t g1) {
    runs.push_back(Run{static_cast<std::uint32_t>(a0), static_cast<std::uint32_t>(a1),
                       static_cast<std::uint32_t>(g0), static_cast<std::uint32_t>(g1)});
  };
  merge(a.data(), 0, a.size(), g.data(), 0, g.size(), by_key, same_key, same_key,
        [&](std::size_t a0, std::size_t a1, std::size_t g0, std::size_t g1) {
          merge(a.data(), a0, a1, g.data(), g0, g1, tail, same_a, same_g, add);
        });
  return runs;
}

// Flags per member or person.
enum : std::uint8_t { k_candidate = 1, k_suppressed = 2, k_matched = 4 };

// Marks the candidates that have a suppressed identifier (only candidates are looked up).
template <typename Entry>
void mark_suppressed(std::span<const Entry> entries, std::vector<std::uint8_t>& flags,
                     const std::function<bool(const HashedId&)>& suppressed) {
  if (!suppressed) return;
  for (const Entry& e : entries) {
    std::uint8_t& f = flags[owner_of(e)];
    if ((f & (k_candidate | k_suppressed)) == k_candidate && suppressed(e.id)) f |= k_suppressed;
  }
}

// Sets k_matched on every unsuppressed person and member of a run where both sides keep one.
void mark_matches(const std::vector<Run>& runs, const std::vector<Proxy>& a,
                  const std::vector<Proxy>& g, std::vector<std::uint8_t>& members,
                  std::vector<std::uint8_t>& persons) {
  for (const Run& r : runs) {
    bool person_left = false;
    for (std::uint32_t k = r.g_begin; k < r.g_end && !person_left; ++k) {
      person_left = !(persons[g[k].owner] & k_suppressed);
    }
    bool member_left = false;
    for (std::uint32_t k = r.a_begin; k < r.a_end; ++k) {
      std::uint8_t& f = members[a[k].owner];
      if (f & k_suppressed) continue;
      member_left = true;
      if (person_left) f |= k_matched;
    }
    if (!member_left) continue;
    for (std::uint32_t k = r.g_begin; k < r.g_end; ++k) {
      std::uint8_t& f = persons[g[k].owner];
      if (!(f & k_suppressed)) f |= k_matched;
    }
  }
}

}  // namespace

MatchOutcome match_audience(std::span<const AudienceId> audience, std::span<const GraphLink> graph,
                            const Suppression& suppression) {
  const Sorted a = sorted_proxies(audience);
  const Sorted g = sorted_proxies(graph);
  const std::vector<Run> runs = equal_runs(audience, a.proxies, graph, g.proxies);

  std::vector<std::uint8_t> members(a.owners, 0), persons(g.owners, 0);
  for (const Run& r : runs) {
    for (std::uint32_t k = r.a_begin; k < r.a_end; ++k) members[a.proxies[k].owner] |= k_candidate;
    for (std::uint32_t k = r.g_begin; k < r.g_end; ++k) persons[g.proxies[k].owner] |= k_candidate;
  }
  if (!runs.empty()) {
    mark_suppressed(audience, members, suppression.id);
    mark_suppressed(graph, persons, suppression.id);
  }
  if (suppression.person) {
    for (std::size_t p = 0; p < persons.size(); ++p) {
      if ((persons[p] & k_candidate) && suppression.person(static_cast<std::uint32_t>(p))) {
        persons[p] |= k_suppressed;
      }
    }
  }
  mark_matches(runs, a.proxies, g.proxies, members, persons);

  MatchOutcome out;
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
