#pragma once
// The match: which of a publisher's people share a hashed identifier with an advertiser's
// audience, with both tenants' opt-outs applied, and what of it may be released. Pure
// computation over flat arrays (no SQLite, no JSON): the store loads the inputs, the API turns
// the outcome into answers. docs/onboarding.md describes the design and its measurements.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "gateway/onboarding/ids.hpp"

namespace hashgate::gw::onboarding {

/// One hashed identifier of one audience member. `member` numbers the members of the audience
/// (0 … n−1, dense; a member with an e-mail and a phone has two entries with the same number).
struct AudienceId {
  HashedId id;
  std::uint32_t member = 0;
};

/// One edge of the publisher's graph: a hashed identifier that the publisher's own events linked
/// to person `person` (0 … n−1, dense; the caller maps it to an hg_uid or a set of online ids).
struct GraphLink {
  HashedId id;
  std::uint32_t person = 0;
};

/// Opt-outs of the two tenants of the match. Each callback is optional (empty: nothing is
/// suppressed) and is called only for the identifiers and people that take part in a match, never
/// for the whole input, so it may cost a digest (the store's suppression list keeps digests).
struct Suppression {
  /// True if either tenant's suppression list holds this hashed identifier.
  std::function<bool(const HashedId&)> id;
  /// True if the publisher's person itself is suppressed (its hg_uid or an online id).
  std::function<bool(std::uint32_t person)> person;
};

/// What a match found.
struct MatchOutcome {
  /// The publisher's matched people, ascending. An audience member who shares an identifier of
  /// the same kind with a person matches that person unless the member or the person has any
  /// suppressed identifier (or the person is suppressed itself).
  std::vector<std::uint32_t> persons;
  std::size_t members_matched = 0;     ///< audience members that matched at least one person
  std::size_t members_suppressed = 0;  ///< members left out because of an opt-out
  std::size_t persons_suppressed = 0;  ///< people left out because of an opt-out
};

/// Intersects `audience` with `graph` by (kind, digest) and applies `suppression`. Either input
/// may be in any order; an input already sorted by id (as the store can return the graph) skips
/// its sort. Runs in O(n) memory and O(n log n) time in the worst case, whatever the digests.
MatchOutcome match_audience(std::span<const AudienceId> audience, std::span<const GraphLink> graph,
                            const Suppression& suppression = {});

/// Whether a match's count is released.
enum class MatchStatus : std::uint8_t { released, below_threshold };

/// What the advertiser learns of a match.
struct Release {
  MatchStatus status = MatchStatus::below_threshold;
  /// The matched count rounded down to a multiple of 10, or nullopt below the floor.
  std::optional<std::uint64_t> matched;
};

/// The release rule: `matched` people, floor `min_audience`. Fewer than `min_audience` releases
/// nothing (below_threshold, null); otherwise the count is rounded down to a multiple of 10.
Release release_count(std::uint64_t matched, std::uint64_t min_audience) noexcept;

}  // namespace hashgate::gw::onboarding
