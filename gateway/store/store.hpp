#pragma once
// The gateway's durable store (embedded SQLite, WAL, one writer thread with group commit).
// Layering: http → api → policy → store. This header is the contract between api/policy and
// store. Nothing here ever receives a raw identifier: ids are canonical lowercase hex digests.

#include <chrono>
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "gateway/store/onboarding.hpp"

namespace hashgate::gw {

/// SQLite durability level (PRAGMA synchronous). See docs/storage.md for what each survives.
enum class Durability { normal, full, extra };

/// Store-level error codes (category "hashgate.store"); SQLite failures use sqlite_category().
enum class StoreErrc {
  closed = 1,      ///< the store is closed or closing; nothing was written
  open_failed,     ///< the database could not be opened or configured
  schema_too_new,  ///< the database was written by a newer schema version than this build knows
  io,              ///< a statement or COMMIT failed; the transaction was rolled back
};

/// The error category of StoreErrc values.
const std::error_category& store_category() noexcept;
/// The error category whose values are SQLite (extended) result codes, messages from
/// sqlite3_errstr.
const std::error_category& sqlite_category() noexcept;
/// Makes a std::error_code from a StoreErrc value.
std::error_code make_error_code(StoreErrc e) noexcept;

struct StoreConfig {
  std::string data_dir;  ///< folder for hashgate.db (+ -wal, -shm)
  Durability durability = Durability::full;
  std::size_t queue_high_water = 20000;  ///< pending events above which submit() refuses (→ 503)
  /// Group commit: how long the writer waits for more submits before committing. 0 (default):
  /// commit at once with whatever is queued; submits arriving during a commit form the next batch.
  std::chrono::milliseconds max_batch_delay{0};
  std::size_t max_batch_events = 4096;  ///< group commit: at most this many events per transaction
  /// Deferred indexing of ids is written in slices of at most this many rows per table, one
  /// slice between two group commits, so that no request waits for a whole pass.
  std::size_t index_slice_rows = 1024;
  /// Test hook, empty in production: runs on the writer thread right after a slice of a deferred
  /// index pass has committed, before the writer does anything else. It may block (the pass then
  /// waits), e.g. while a test copies the database in the middle of a pass.
  std::function<void()> after_index_slice;
  /// Wall clock in unix seconds for audit times, link first/last seen and suppression `added`;
  /// empty means the system clock (tests inject a controllable one).
  std::function<std::int64_t()> clock;
};

/// A destination an accepted event is forwarded to (issue 16): one outbox row, written in the
/// event's transaction. Decided by the caller (event types, consent gate).
struct OutboxTarget {
  std::string destination;  ///< the destination's id
  int dma = 0;              ///< Google's DMA consent fields, packed by deliver/ (2 bits each)
};

/// One message waiting in the outbox for a destination, as the delivery worker reads it.
struct OutboxEntry {
  std::int64_t id = 0;  ///< never reused (names batches)
  int kind = 0;         ///< 0 event, 1 opt-out, 2 audience members (deliver::RowKind)
  std::int64_t created_ms = 0;
  std::int64_t batch = 0;
  int attempts = 0;
  std::string payload;  ///< event: its export line (without cursor); opt-out: the message JSON;
                        ///< audience: the members (deliver::encode_members), resolved at claim
  int dma = 0;
};

/// Rows waiting for a destination and the creation time of the oldest (0 when none).
struct OutboxCount {
  std::size_t pending = 0;
  std::int64_t oldest_created_ms = 0;
};

/// The consent signals an event arrived with, for a consent gate that runs after ingest: the
/// Kafka sink's gate per destination (docs/deploy.md). The SQLite store does not keep them.
struct ConsentSignals {
  bool known = false;  ///< false: not carried (SQLite mode, or a v1 Kafka record)
  bool gdpr = false;   ///< the event's gdpr flag
  std::string tc;      ///< its TC string, may be empty
  bool gpc = false;    ///< the request carried Sec-GPC: 1
};

/// One event as stored. All identifier values are canonical lowercase hex digests.
struct EventRecord {
  std::string tenant;
  std::string event_id;
  std::string type;
  std::int64_t time = 0;                                 ///< event time, unix seconds
  std::int64_t received = 0;                             ///< arrival time, unix seconds
  std::vector<std::pair<std::string, std::string>> ids;  ///< {"em", hex}, {"ph", hex}, ...
  std::string uid;                   ///< hg_uid first-party cookie value, or empty
  std::string online_ids_json;       ///< JSON object text, already validated
  std::string custom_json;           ///< JSON object text, already validated and PII-scanned
  std::string legal_basis;           ///< "consent" | "legitimate_interest" | ""
  std::string consent_summary;       ///< short JSON text: gdpr flag, purposes/vendor decision
  std::vector<OutboxTarget> outbox;  ///< destinations that get it (written only if accepted)
  ConsentSignals signals;            ///< Kafka mode: what the sink's consent gate decides on
};

/// Per-event outcome of a submit(), decided inside the write transaction.
enum class Outcome { accepted, duplicate, suppressed };

struct SubmitResult {
  std::error_code error;          ///< set when the transaction failed (nothing is durable)
  std::vector<Outcome> outcomes;  ///< one per submitted event, when !error
};

/// One audit-log entry. `detail` is JSON text that never contains a raw identifier.
struct AuditEntry {
  std::int64_t time = 0;
  std::string tenant;
  std::string action;  ///< optout | optin | purge | export | retention | startup | policy
  std::string detail;
};

/// A position in a tenant's export, between two events: export_events resumes strictly after it.
/// Every exported line carries its event's cursor; ExportCursor{} is the start. The store's
/// sequence numbers only grow and are never given out twice (not even after the newest events
/// were purged), so a cursor stays valid across opt-outs, purges and restarts.
struct ExportCursor {
  std::int64_t seq = 0;  ///< the event's sequence number in the store; 0 = before the first
};

/// The wire form of `c`: "c1." and the sequence number in lowercase hex without leading zeros
/// ("c1.2a"; at most 19 characters). "c1" is the format's version. Clients treat it as opaque.
inline std::string format_export_cursor(ExportCursor c) {
  static constexpr char k_hex[] = "0123456789abcdef";
  char digits[16];
  int n = 0;
  auto v = static_cast<std::uint64_t>(c.seq);
  do {
    digits[n++] = k_hex[v & 0xf];
    v >>= 4;
  } while (v != 0 && n < 16);
  std::string out = "c1.";
  while (n > 0) out += digits[--n];
  return out;
}

/// Reads a cursor's wire form `text`. Accepts exactly what format_export_cursor writes for a
/// sequence number 1 … 2^63 − 1: "c1.", then 1–16 lowercase hex digits, the first not 0. Anything
/// else (another version, upper case, a sign, spaces, too long) gives nullopt.
inline std::optional<ExportCursor> parse_export_cursor(std::string_view text) {
  constexpr std::string_view k_prefix = "c1.";
  if (text.size() <= k_prefix.size() || text.size() > k_prefix.size() + 16 ||
      text.substr(0, k_prefix.size()) != k_prefix || text[k_prefix.size()] == '0')
    return std::nullopt;
  std::uint64_t v = 0;
  for (char ch : text.substr(k_prefix.size())) {
    int d;
    if (ch >= '0' && ch <= '9')
      d = ch - '0';
    else if (ch >= 'a' && ch <= 'f')
      d = ch - 'a' + 10;
    else
      return std::nullopt;
    v = v << 4 | static_cast<std::uint64_t>(d);
  }
  if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return ExportCursor{static_cast<std::int64_t>(v)};
}

/// Every identifier an opt-out reached through its fan-out (the asked ones included): hashed ids
/// (canonical hex) and uids. The Kafka sink publishes the ones it was not asked for to the
/// opt-outs topic (docs/deploy.md).
struct OptOutClosure {
  std::vector<std::string> ids;
  std::vector<std::string> uids;
};

/// What an opt-out did (for the response, metrics and audit log).
struct OptOutResult {
  std::error_code error;
  std::size_t ids_suppressed = 0;  ///< identifiers newly added to the suppression list (after
                                   ///< fan-out; entries already suppressed are not counted)
  std::size_t events_purged = 0;   ///< stored events deleted
  OptOutClosure closure;           ///< what the fan-out reached (when !error)
};

class Store {
 public:
  /// Opens (creating if needed) the database under cfg.data_dir and starts the writer thread.
  /// Returns nullptr and sets `err` (with a message in `why`) on failure.
  static std::unique_ptr<Store> open(const StoreConfig& cfg, std::error_code& err,
                                     std::string& why);
  virtual ~Store() = default;

  /// Queues events for the next group commit. `done` runs on the writer thread after the
  /// transaction committed (or failed). Dedupe on (tenant, event_id) and the suppression check
  /// happen inside the transaction. Returns false at once, without queuing, when the queue is
  /// above its high-water mark (caller answers 503 + Retry-After).
  virtual bool submit(std::vector<EventRecord> events, std::function<void(SubmitResult)> done) = 0;

  /// True if this tenant's suppression list holds `id` (hex digest or hg_uid). Thread-safe, fast
  /// (in-memory set mirrored from the table).
  virtual bool is_suppressed(const std::string& tenant, const std::string& id) const = 0;

  /// Opt-out with fan-out: suppresses `ids` and `uid` and every identifier ever linked with any
  /// of them (through stored events' uid ↔ id links), purges their events (secure_delete), and
  /// writes an audit entry. Durable when `done` runs.
  virtual void opt_out(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                       std::string source, std::function<void(OptOutResult)> done) = 0;

  /// What opt_out(tenant, ids, uid, ...) would reach now (OptOutResult::closure), without
  /// suppressing, purging or auditing anything: the Kafka sink publishes it before it applies
  /// the opt-out, so that a crash in between cannot lose it (the opt-out purges the links the
  /// fan-out follows). `done` runs on the writer thread. The default reaches the asked ones only.
  virtual void opt_out_closure(const std::string& tenant, std::vector<std::string> ids,
                               std::string uid, std::function<void(OptOutResult)> done);

  /// Removes `ids`/`uid` from the suppression list and audits it. Durable when `done` runs.
  virtual void opt_in(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                      std::function<void(std::error_code)> done) = 0;

  /// Stored events of `tenant` received at or after `since` (unix seconds) and stored after
  /// `after` (strictly; ExportCursor{} = from the first), oldest first, at most `limit`, each as
  /// one NDJSON line (no trailing newline) whose last member is its own "cursor". To page, pass
  /// the last line's cursor as `after`. Writes an audit entry for the export.
  virtual std::vector<std::string> export_events(const std::string& tenant, std::int64_t since,
                                                 ExportCursor after, std::size_t limit) = 0;

  /// Audit entries of `tenant` at or after `since`, oldest first, at most `limit`; gateway-wide
  /// entries (tenant "", e.g. start-up) are included for every tenant.
  virtual std::vector<AuditEntry> audit(const std::string& tenant, std::int64_t since,
                                        std::size_t limit) = 0;
  /// Appends an audit entry (start-up, policy change, ...). Asynchronous, durable soon after.
  virtual void append_audit(AuditEntry entry) = 0;

  /// Deletes events of `tenant` received before `cutoff` (unix seconds) and uid ↔ id links last
  /// seen before it; audits it and returns the number of events deleted. Blocks until committed:
  /// never call it from a `done` callback (they run on the writer thread).
  virtual std::size_t purge_before(const std::string& tenant, std::int64_t cutoff) = 0;

  // ---- the outbox of destinations (issue 16, docs/destinations.md) ----
  // Called by the delivery worker's threads; the writes block until committed. The defaults
  // (a store without an outbox) hold nothing.

  /// Claims at most `limit` rows of `dest` due at `now_ms` (earlier batches first and whole) and,
  /// in the same transaction, records every id they carry in the recipient ledger (with the uid
  /// when `with_uid`), before anything is sent: a person who opts out while a request is in
  /// flight is still told. `delivered`: rows of `dest` delivered since the last claim, finished
  /// first in the same transaction as outbox_delivered() would (one commit per batch, not two).
  virtual std::vector<OutboxEntry> outbox_claim(const std::string& dest, std::size_t limit,
                                                std::int64_t now_ms, bool with_uid,
                                                const std::vector<std::int64_t>& delivered = {});
  /// Rows delivered: deletes them; audits each delivered opt-out (removal_delivered).
  virtual void outbox_delivered(const std::string& dest, const std::vector<std::int64_t>& ids,
                                std::int64_t now_ms);
  /// Rows to retry together as `batch` at `next_ms`.
  virtual void outbox_retry(const std::string& dest, const std::vector<std::int64_t>& ids,
                            std::int64_t batch, std::int64_t next_ms);
  /// Rows failed for good: deletes them; audits each failed opt-out (removal_failed, `reason`).
  virtual void outbox_failed(const std::string& dest, const std::vector<std::int64_t>& ids,
                             std::string_view reason, std::int64_t now_ms);
  /// The earliest next attempt of a row of `dest`, or -1 when none is pending.
  virtual std::int64_t outbox_next_due(const std::string& dest);
  /// Pending rows of `dest`.
  virtual OutboxCount outbox_count(const std::string& dest);
  /// A random value drawn once per database (Idempotency-Key material); empty without one.
  virtual std::string installation_id() const { return {}; }
  /// Runs after a commit that added outbox rows for `dest` (on the writer thread; keep it short).
  /// Set it before the first submit().
  std::function<void(const std::string& dest)> on_outbox;

  // ---- onboarding (issue 14; onboarding.hpp). The defaults answer "closed" / nothing, for test
  // doubles without onboarding; the SQLite store implements them.

  /// Adds and removes members of an audience (created on first upload) in one transaction;
  /// members with a suppressed id are dropped. `done` runs after the commit.
  virtual void update_audience(AudienceUpload upload,
                               std::function<void(AudienceUploadResult)> done);
  /// The audiences of `tenant`, by name.
  virtual std::vector<AudienceInfo> audiences(const std::string& tenant);
  /// Deletes an audience and its members (matches keep their member keys: the differencing rule
  /// needs them). `done(ec, found)` runs after the commit.
  virtual void delete_audience(const std::string& tenant, std::string name,
                               std::function<void(std::error_code, bool)> done);
  /// Matches an audience with the publisher's graph under the differencing and release rules;
  /// both tenants' audit logs record it. `done` runs after the commit.
  virtual void create_match(MatchRequest request, std::function<void(MatchResult)> done);
  /// The matches `tenant` takes part in (as advertiser or publisher), oldest first.
  virtual std::vector<MatchInfo> matches(const std::string& tenant);
  /// The match `match_id`, or nullopt.
  virtual std::optional<MatchInfo> find_match(const std::string& match_id);
  /// The publisher's own identifiers of the people of match `m` after position `after` (0: from
  /// the start), at most `limit`, as NDJSON lines {"uid","online_ids","cursor"}; people who
  /// opted out since are left out. Audited in both tenants' logs.
  virtual std::vector<std::string> export_match(const MatchInfo& m, ExportCursor after,
                                                std::size_t limit);
  /// Deletes every match whose agreement is not in `agreements` (expired or removed), with its
  /// keys and people; blocks until committed. Returns the number of matches deleted.
  virtual std::size_t purge_matches(const std::vector<std::string>& agreements);
  /// Queues the people of a released match still present (not opted out) as audience-member
  /// rows of `request.destination`, in one transaction, and records the activation; a second
  /// activation to the same destination queues nothing unless `resend`. Audited in both logs.
  /// `done` runs after the commit.
  virtual void activate_match(ActivationRequest request,
                              std::function<void(ActivationResult)> done);

  /// Events waiting for the writer (for /metrics and overload decisions).
  virtual std::size_t queue_depth() const = 0;
  /// True while the database is writable (for /readyz).
  virtual bool ready() const = 0;
  /// Observed transaction durations (BEGIN to COMMIT, seconds) are reported here for the
  /// histogram, on the writer thread; may be empty. Set it before the first submit().
  std::function<void(double)> on_commit;

  /// Stops accepting, flushes the queue, commits and joins the writer thread.
  virtual void close() = 0;
};

inline void Store::opt_out_closure(const std::string&, std::vector<std::string> ids,
                                   std::string uid, std::function<void(OptOutResult)> done) {
  OptOutResult r;
  r.closure.ids = std::move(ids);
  if (!uid.empty()) r.closure.uids.push_back(std::move(uid));
  if (done) done(std::move(r));
}

// ---- onboarding defaults (inline: test doubles without onboarding link no store library) ---

inline void Store::update_audience(AudienceUpload, std::function<void(AudienceUploadResult)> done) {
  AudienceUploadResult r;
  r.error = std::make_error_code(std::errc::operation_not_supported);
  if (done) done(r);
}

inline std::vector<AudienceInfo> Store::audiences(const std::string&) { return {}; }

inline void Store::delete_audience(const std::string&, std::string,
                                   std::function<void(std::error_code, bool)> done) {
  if (done) done(std::make_error_code(std::errc::operation_not_supported), false);
}

inline void Store::create_match(MatchRequest, std::function<void(MatchResult)> done) {
  MatchResult r;
  r.error = std::make_error_code(std::errc::operation_not_supported);
  if (done) done(r);
}

inline std::vector<MatchInfo> Store::matches(const std::string&) { return {}; }

inline std::optional<MatchInfo> Store::find_match(const std::string&) { return std::nullopt; }

inline std::vector<std::string> Store::export_match(const MatchInfo&, ExportCursor, std::size_t) {
  return {};
}

inline std::size_t Store::purge_matches(const std::vector<std::string>&) { return 0; }

inline void Store::activate_match(ActivationRequest, std::function<void(ActivationResult)> done) {
  ActivationResult r;
  r.error = std::make_error_code(std::errc::operation_not_supported);
  if (done) done(r);
}

}  // namespace hashgate::gw

template <>
struct std::is_error_code_enum<hashgate::gw::StoreErrc> : std::true_type {};
