#pragma once
// The writer thread's jobs, internal to gateway/store. A job is one alternative of `Job`; the
// writer loop dispatches with std::visit. Submits are batched into group commits; every other
// job is a TxnJob: it carries its own transaction body and completion, and the writer runs it
// through one generic path (SqliteStore::run_in_transaction). A new job is a new struct here
// plus an alternative in `Job`; the writer loop does not change (docs/storage.md).

#include "onboarding_jobs.hpp"
#include "store.hpp"
#include "util.hpp"

#include <concepts>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

namespace hashgate::gw::store_detail {

class Txn;

/// A job that runs alone in one write transaction: the writer calls `run(txn)` between BEGIN
/// IMMEDIATE and COMMIT (SQLITE_OK commits, any other SQLite code rolls back), then `finish(ec)`
/// after the COMMIT returned (ec empty) or after the rollback (ec = the failure).
template <typename J>
concept TxnJob = requires(J& job, Txn& txn, std::error_code ec) {
  { job.run(txn) } -> std::same_as<int>;
  job.finish(ec);
};

/// Events for the next group commit (Store::submit); the only job the writer batches.
struct SubmitJob {
  std::vector<EventRecord> events;
  std::function<void(SubmitResult)> done;
};

/// Opt-out with fan-out over links and shared events (Store::opt_out).
struct OptOutJob {
  std::string tenant;
  std::vector<std::string> ids;
  std::string uid;
  std::string source;
  std::function<void(OptOutResult)> done;
  OptOutResult result;   ///< counts and closure, filled by run()
  bool dry_run = false;  ///< only the fan-out: nothing suppressed, purged or audited
                         ///< (Store::opt_out_closure)

  int run(Txn& txn);
  void finish(std::error_code ec);
};

/// Inside an opt-out: for every destination whose ledger holds any of `values` (hashed ids and
/// uids of the person; a uid is listed under kind `uid_kind`), deletes those ledger rows and
/// queues one removal message (outbox kind 1); `messages` counts them (outbox.cpp). With
/// `only_dest`, only that destination's ledger rows are looked at and deleted.
int enqueue_removals(Txn& txn, const std::string& tenant, const std::vector<std::string>& values,
                     const std::string& uid_kind, std::size_t& messages,
                     const std::string* only_dest = nullptr);

/// Records in the ledger that `id` (of `kind`: "em", …, or "uid") of `tenant` went to `dest` at
/// `sent` (unix seconds): first_sent on insert, last_sent on update (outbox.cpp).
int ledger_sent(Txn& txn, const std::string& tenant, const std::string& id, const std::string& dest,
                const std::string& kind, std::int64_t sent);

/// Queues a message row of `kind` (deliver::RowKind, not 0) with `payload` for `dest` of
/// `tenant`, created at `created_ms`, under a new outbox id (outbox.cpp). Every outbox insert
/// that is not an event's goes through here: outbox ids are the writer's (Txn::next_outbox_id).
int insert_message(Txn& txn, const std::string& tenant, const std::string& dest, int kind,
                   const std::string& payload, std::int64_t created_ms);

/// Removes the named ids from the suppression list (Store::opt_in).
struct OptInJob {
  std::string tenant;
  std::vector<std::string> ids;
  std::string uid;
  std::function<void(std::error_code)> done;

  int run(Txn& txn);
  void finish(std::error_code ec);
};

/// Retention: deletes a tenant's events received before `cutoff` (Store::purge_before).
struct PurgeJob {
  std::string tenant;
  std::int64_t cutoff = 0;
  std::shared_ptr<std::promise<std::size_t>> result;  ///< events deleted (0 on failure)
  std::size_t events = 0;                             ///< filled by run()

  int run(Txn& txn);
  void finish(std::error_code ec);
};

/// Appends one audit entry (Store::append_audit).
struct AuditJob {
  AuditEntry entry;

  int run(Txn& txn);
  void finish(std::error_code) {}
};

/// Claims due outbox rows of one destination and records their ids in the ledger
/// (Store::outbox_claim; outbox.cpp).
struct OutboxClaimJob {
  /// The claimed rows and, for event rows, the event's columns (index-aligned): the export line
  /// is formatted by the caller's thread, not the writer's.
  struct Claimed {
    std::vector<OutboxEntry> rows;
    std::vector<EventColumns> events;
  };
  std::string dest;
  std::size_t limit = 0;
  std::int64_t now_ms = 0;
  bool with_uid = false;
  std::vector<std::int64_t> delivered;  ///< rows to finish as delivered first
  std::shared_ptr<std::promise<Claimed>> result;
  Claimed claimed;  ///< filled by run()

  int run(Txn& txn);
  void finish(std::error_code ec);
};

/// What became of outbox rows the worker sent.
enum class OutboxFate { delivered, retry, failed };

/// Marks outbox rows delivered, to retry or failed (Store::outbox_delivered, …; outbox.cpp).
struct OutboxMarkJob {
  std::string dest;
  std::vector<std::int64_t> ids;
  OutboxFate fate = OutboxFate::delivered;
  std::int64_t batch = 0, next_ms = 0, now_ms = 0;
  std::string reason;
  std::shared_ptr<std::promise<void>> done;

  int run(Txn& txn);
  void finish(std::error_code) { done->set_value(); }
};

/// Everything the writer thread can be asked to do, in queue order.
using Job =
    std::variant<SubmitJob, OptOutJob, OptInJob, PurgeJob, AuditJob, AudienceJob, DeleteAudienceJob,
                 MatchJob, MatchPurgeJob, ActivateJob, OutboxClaimJob, OutboxMarkJob>;

}  // namespace hashgate::gw::store_detail
