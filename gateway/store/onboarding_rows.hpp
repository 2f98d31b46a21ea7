#pragma once
// A row of the matches table as a MatchInfo, internal to gateway/store: one column list for the
// writer's jobs and the readers.

#include "sqlite_handle.hpp"
#include "store.hpp"

namespace hashgate::gw::store_detail {

/// The columns match_from_row reads, in its order.
inline constexpr const char* k_match_columns =
    "match_id, agreement, advertiser, publisher, audience, released, matched, audience_members,"
    " created";

/// The MatchInfo of the current row of a query that selected k_match_columns. `matched` is
/// stored as -1 when it is withheld (below the floor).
inline MatchInfo match_from_row(const Statement& r) {
  MatchInfo m;
  m.match_id = r.text(0);
  m.agreement = r.text(1);
  m.advertiser = r.text(2);
  m.publisher = r.text(3);
  m.audience = r.text(4);
  m.status = r.int64(5) != 0 ? onboarding::MatchStatus::released
                             : onboarding::MatchStatus::below_threshold;
  if (r.int64(6) >= 0) m.matched = static_cast<std::uint64_t>(r.int64(6));
  m.audience_members = static_cast<std::uint64_t>(r.int64(7));
  m.created = r.int64(8);
  return m;
}

}  // namespace hashgate::gw::store_detail
