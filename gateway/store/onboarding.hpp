#pragma once
// What the store keeps for onboarding (issue 14): advertisers' audiences of hashed members, the
// publisher graph built from publishers' events, and matches with the member keys the
// differencing rule needs. The types of the Store calls that read and write them (store.hpp);
// docs/onboarding.md has the data model. Identifiers are binary digests, never raw values.

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "gateway/onboarding/ids.hpp"
#include "gateway/onboarding/match.hpp"

namespace hashgate::gw {

/// One upload to an advertiser's audience: members to add and to remove, each member the hashed
/// ids of one `ids` object (of the kinds that identify a person).
struct AudienceUpload {
  std::string tenant;  ///< the advertiser
  std::string name;    ///< [A-Za-z0-9_-]{1,64}
  std::vector<std::vector<onboarding::HashedId>> add, remove;
  /// Other tenants whose audit logs record the upload too (the publishers of the advertiser's
  /// agreements); counts only.
  std::vector<std::string> also_audit;
};

/// What an upload did, decided inside its transaction.
struct AudienceUploadResult {
  std::error_code error;      ///< set when nothing was written
  std::size_t added = 0;      ///< members that were not in the audience before
  std::size_t removed = 0;    ///< members that were in it and are gone
  std::size_t members = 0;    ///< members after the upload
  std::size_t opted_out = 0;  ///< members dropped: one of their ids is suppressed
};

/// One audience of a tenant.
struct AudienceInfo {
  std::string name;
  std::size_t members = 0;
  std::int64_t updated = 0;  ///< unix seconds of the last upload
};

/// A request for a match under one agreement.
struct MatchRequest {
  std::string agreement, advertiser, publisher, audience;
  std::size_t min_audience = 100;
};

/// A stored match as the API shows it: counts are the released (rounded) ones.
struct MatchInfo {
  std::string match_id, agreement, advertiser, publisher, audience;
  onboarding::MatchStatus status = onboarding::MatchStatus::below_threshold;
  std::optional<std::uint64_t> matched;  ///< rounded down to 10; nullopt below the floor
  std::uint64_t audience_members = 0;
  std::int64_t created = 0;  ///< unix seconds
};

/// What create_match decided.
enum class MatchDecision : std::uint8_t {
  created,      ///< a new match was made (`match`)
  unchanged,    ///< the same member set was matched before: `match` is that match
  too_similar,  ///< 1 … min_audience − 1 members of difference from an earlier match
  no_audience,  ///< the advertiser has no audience of that name
};

/// The answer of create_match.
struct MatchResult {
  std::error_code error;  ///< set when the transaction failed (nothing is stored)
  MatchDecision decision = MatchDecision::no_audience;
  MatchInfo match;
};

/// A request to activate a released match to one of its publisher's destinations (queue its
/// people as audience-member rows of that destination; docs/onboarding.md, "Activation").
struct ActivationRequest {
  std::string match_id, advertiser, publisher, destination;
  bool resend = false;                 ///< queue again even if this destination had the match
  std::size_t persons_per_row = 1000;  ///< people per outbox row (≤ 10 ids each: ≤ 10,000 ids)
};

/// What activate_match did, decided inside its transaction.
struct ActivationResult {
  std::error_code error;       ///< set when nothing was written
  bool already = false;        ///< the match was activated to this destination before (no rows)
  std::size_t persons = 0;     ///< people queued now (or, when `already`, at the first time)
  std::size_t rows = 0;        ///< outbox rows (requests) queued now (or at the first time)
  std::int64_t activated = 0;  ///< unix seconds of the (first) activation
};

}  // namespace hashgate::gw
