#pragma once
// The outbox contract between the delivery worker and the store. Phase 2 implements it over
// SQLite (rows written in the accepted event's transaction); MemoryOutbox serves tests and the
// bench. All times are unix milliseconds.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/deliver/consent_gate.hpp"

namespace hashgate::gw::deliver {

/// What an outbox row asks a destination to do.
enum class RowKind : std::uint8_t {
  event,         ///< forward one accepted event (payload: the event as in the export)
  optout,        ///< tell the destination to remove a person (payload: encode_optout())
  audience_add,  ///< add matched-audience members (payload: encode_members())
};
/// The stored spelling ("event", "optout", "audience_add").
std::string_view to_string(RowKind kind);

/// One pending message for one destination.
struct OutboxRow {
  std::int64_t id = 0;  ///< unique and never reused (SQLite: INTEGER PRIMARY KEY AUTOINCREMENT)
  RowKind kind = RowKind::event;
  std::int64_t created_ms = 0;  ///< when the row was written; max_age_hours counts from here
  std::int64_t batch = 0;       ///< 0 until first attempted; then the batch it is retried in
  int attempts = 0;             ///< delivery attempts so far
  std::string payload;          ///< JSON text, see RowKind
  DmaConsent dma;               ///< events only: Google's consent fields, fixed at ingest
};

/// Pending rows and the age of the oldest, for the pending gauges.
struct OutboxStats {
  std::size_t pending = 0;
  std::int64_t oldest_created_ms = 0;  ///< 0 when nothing is pending
};

/// Durable queue of rows per destination. Implementations are thread-safe: the worker calls them
/// from its own threads while ingest adds rows.
class Outbox {
 public:
  virtual ~Outbox() = default;
  /// At most `limit` rows of `dest` whose next attempt is due at `now_ms`, ordered so that rows
  /// of one earlier batch come first and together (ORDER BY batch = 0, batch, id): a batch is
  /// never split, so its Idempotency-Key always covers the same rows.
  virtual std::vector<OutboxRow> fetch_due(const std::string& dest, std::size_t limit,
                                           std::int64_t now_ms) = 0;
  /// The rows `ids` of `dest` were delivered at `now_ms`: remove them (phase 2 also updates the
  /// recipient ledger and, for opt-outs, audits the delivery, in the same transaction).
  virtual void mark_delivered(const std::string& dest, const std::vector<std::int64_t>& ids,
                              std::int64_t now_ms) = 0;
  /// The rows `ids` of `dest` failed retryably: remember `batch`, count the attempt, and retry
  /// them together at `next_ms`. `reason` is a short fixed word (never response text).
  virtual void mark_retry(const std::string& dest, const std::vector<std::int64_t>& ids,
                          std::int64_t batch, std::int64_t next_ms, std::string_view reason) = 0;
  /// The rows `ids` of `dest` failed for good (permanent answer, expired, unbuildable): remove
  /// them from the queue; phase 2 audits the failure with `reason`.
  virtual void mark_failed(const std::string& dest, const std::vector<std::int64_t>& ids,
                           std::string_view reason, std::int64_t now_ms) = 0;
  /// The earliest next attempt of any pending row of `dest`, or -1 when none is pending.
  virtual std::int64_t next_due(const std::string& dest) = 0;
  /// Pending rows of `dest` and the creation time of the oldest.
  virtual OutboxStats stats(const std::string& dest) = 0;
};

/// An opt-out as carried to destinations: our id for it, the person's hashed ids by kind (each
/// kind's values lowercase hex), and their hg_uid if any.
struct OptOutMessage {
  std::string optout_id;
  std::vector<std::pair<std::string, std::vector<std::string>>> ids;  ///< {"em", [...]}, ...
  std::string uid;
};
/// JSON text of `m` for OutboxRow::payload.
std::string encode_optout(const OptOutMessage& m);
/// Parses a payload written by encode_optout(); false when it is malformed.
bool decode_optout(std::string_view payload, OptOutMessage& out);

/// Matched-audience members: one entry per person, its hashed ids as (kind, lowercase hex) pairs
/// (a kind may repeat: a person with two e-mail hashes); a webhook's entries may also hold
/// ("uid", hg_uid). `match_id` names the match they come from ("" when not from a match).
struct AudienceMembers {
  std::vector<std::vector<std::pair<std::string, std::string>>> members;
  std::string match_id;
};
/// JSON text of `m` for OutboxRow::payload.
std::string encode_members(const AudienceMembers& m);
/// Parses a payload written by encode_members(); false when it is malformed.
bool decode_members(std::string_view payload, AudienceMembers& out);

}  // namespace hashgate::gw::deliver
