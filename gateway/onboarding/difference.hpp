#pragma once
// The differencing rule: an audience whose member set differs from an audience already matched
// under the same agreement by more than 0 and fewer than min_audience members is refused
// (409 too_similar), because the two answers together would tell whether those few people use
// the publisher. An unchanged audience gets its earlier match back.
//
// Each match keeps the sorted 16-byte keys of its audience's members, not the members: the
// symmetric difference is then exact (up to a 2^-128-scale key collision) and costs one merge,
// which stops as soon as the difference reaches min_audience. docs/onboarding.md has the design.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gateway/onboarding/match.hpp"

namespace hashgate::gw::onboarding {

/// A member's fingerprint: the first 16 bytes of
/// SHA-256("hashgate/member/v1" 0 tenant 0 (kind byte ‖ digest bytes) for each id, ascending).
/// Equal for the same set of identifiers in any order; tenant-bound like suppression digests.
using MemberKey = std::array<std::uint8_t, 16>;

/// The key of one member with identifiers `ids` (any order, duplicates ignored) of `tenant`.
MemberKey member_key(std::string_view tenant, std::span<const HashedId> ids);

/// The sorted, duplicate-free keys of every member in `audience` (entries of a member need not be
/// adjacent). Two members with the same identifiers are one member.
std::vector<MemberKey> member_keys(std::string_view tenant, std::span<const AudienceId> audience);

/// |a Δ b| for two sorted, duplicate-free key lists, or `cap` if it is at least `cap` (the merge
/// stops there). O(|a| + |b|) at worst; O(1) when the sizes alone differ by `cap` or more.
std::size_t symmetric_difference(std::span<const MemberKey> a, std::span<const MemberKey> b,
                                 std::size_t cap) noexcept;

/// The member keys of one earlier match under the same agreement.
struct EarlierMatch {
  std::string_view match_id;
  std::span<const MemberKey> members;  ///< sorted, duplicate-free, as they are now
  /// Keys deleted from `members` since the match was made, because those members opted out (their
  /// keys are purged with the rest of their data). Each still counts as one member of difference
  /// from the released answer, which included them.
  std::size_t removed = 0;
};

/// The differencing decision for a new match.
struct DifferenceDecision {
  enum class Kind : std::uint8_t {
    fresh,        ///< no earlier match is within min_audience members: match it
    unchanged,    ///< same member set as `earlier`: answer with that match
    too_similar,  ///< differs from `earlier` by 1 … min_audience − 1 members: 409 too_similar
  };
  Kind kind = Kind::fresh;
  std::size_t earlier = 0;     ///< index into the earlier matches (unchanged, too_similar)
  std::size_t difference = 0;  ///< the symmetric difference found (too_similar)
};

/// Compares `current` (sorted, duplicate-free) with every earlier match under the agreement: the
/// difference from one is |current Δ members| + removed. A set equal to an earlier one's present
/// members wins over a too-similar one (answering with that match again releases nothing new);
/// otherwise the first earlier match whose difference is below `min_audience` refuses.
DifferenceDecision check_difference(std::span<const MemberKey> current,
                                    std::span<const EarlierMatch> earlier,
                                    std::size_t min_audience) noexcept;

}  // namespace hashgate::gw::onboarding
