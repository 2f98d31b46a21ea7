#pragma once
// The embedded SQLite store, internal to gateway/store: one writer thread owning the write
// connection (group commit), one read connection for exports and the audit log, an in-memory
// mirror of the suppression list. See docs/storage.md for the schema, the durability of each
// setting and the privacy choices. Its member functions live in:
//   sqlite_store.cpp  start-up, the queue, the writer loop, transactions, close
//   submit.cpp        group commits of submitted events
//   index_pass.cpp    the deferred, sorted indexing of ids (event_ids, links)
//   jobs.cpp          the jobs that run through the generic transaction path (TxnJob)
//   export.cpp        the readers: export and audit
//   onboarding_store.cpp  audiences, matches and their export (issue 14; jobs in
//   onboarding_jobs.cpp)

#include "jobs.hpp"
#include "mirror.hpp"
#include "sqlite_handle.hpp"
#include "store.hpp"
#include "txn.hpp"
#include "util.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace hashgate::gw::store_detail {

/// Event outbox rows per INSERT statement at the end of a group commit (SqliteStore::
/// flush_outbox): one statement's overhead for many rows.
inline constexpr std::size_t k_outbox_rows_per_insert = 32;

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(StoreConfig cfg) : m_cfg(std::move(cfg)) {}
  ~SqliteStore() override { close(); }

  /// Opens the database (open, migrate, load state, open reader) and starts the writer thread.
  std::error_code start(std::string& why);

  bool submit(std::vector<EventRecord> events, std::function<void(SubmitResult)> done) override;
  bool is_suppressed(const std::string& tenant, const std::string& id) const override;
  void opt_out(const std::string& tenant, std::vector<std::string> ids, std::string uid,
               std::string source, std::function<void(OptOutResult)> done) override;
  void opt_out_closure(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                       std::function<void(OptOutResult)> done) override;
  void opt_in(const std::string& tenant, std::vector<std::string> ids, std::string uid,
              std::function<void(std::error_code)> done) override;
  std::vector<std::string> export_events(const std::string& tenant, std::int64_t since,
                                         ExportCursor after, std::size_t limit) override;
  std::vector<AuditEntry> audit(const std::string& tenant, std::int64_t since,
                                std::size_t limit) override;
  void append_audit(AuditEntry entry) override;
  std::size_t purge_before(const std::string& tenant, std::int64_t cutoff) override;
  std::vector<OutboxEntry> outbox_claim(const std::string& dest, std::size_t limit,
                                        std::int64_t now_ms, bool with_uid,
                                        const std::vector<std::int64_t>& delivered) override;
  void outbox_delivered(const std::string& dest, const std::vector<std::int64_t>& ids,
                        std::int64_t now_ms) override;
  void outbox_retry(const std::string& dest, const std::vector<std::int64_t>& ids,
                    std::int64_t batch, std::int64_t next_ms) override;
  void outbox_failed(const std::string& dest, const std::vector<std::int64_t>& ids,
                     std::string_view reason, std::int64_t now_ms) override;
  std::int64_t outbox_next_due(const std::string& dest) override;
  OutboxCount outbox_count(const std::string& dest) override;
  std::string installation_id() const override { return m_installation; }
  // onboarding_store.cpp
  void update_audience(AudienceUpload upload,
                       std::function<void(AudienceUploadResult)> done) override;
  std::vector<AudienceInfo> audiences(const std::string& tenant) override;
  void delete_audience(const std::string& tenant, std::string name,
                       std::function<void(std::error_code, bool)> done) override;
  void create_match(MatchRequest request, std::function<void(MatchResult)> done) override;
  std::vector<MatchInfo> matches(const std::string& tenant) override;
  std::optional<MatchInfo> find_match(const std::string& match_id) override;
  std::vector<std::string> export_match(const MatchInfo& m, ExportCursor after,
                                        std::size_t limit) override;
  std::size_t purge_matches(const std::vector<std::string>& agreements) override;
  void activate_match(ActivationRequest request,
                      std::function<void(ActivationResult)> done) override;
  std::size_t queue_depth() const override;
  bool ready() const override { return m_ready.load(); }
  void close() override;

 private:
  friend class Txn;

  // ---- start-up (sqlite_store.cpp) ----
  std::error_code open_writer(std::string& path, std::string& why);
  std::error_code load_state(std::string& why);
  std::error_code open_reader(const std::string& path, std::string& why);
  std::error_code prepare_statements(std::string& why);
  /// The writer's own statements and their SQL (prepared at start-up, finalized at close).
  struct NamedStatement {
    Statement* stmt;
    const char* sql;
  };
  std::vector<NamedStatement> own_statements();

  // ---- queue and writer loop (sqlite_store.cpp) ----
  std::int64_t now() const;
  bool enqueue(Job job);
  void writer_loop();
  /// Waits for a job or close (true); or, when idle work is due first, does it and returns false.
  bool wait_for_job(std::unique_lock<std::mutex>& lk);
  /// Takes the submits that follow `first` in the queue into one group commit.
  std::vector<SubmitJob> take_batch(SubmitJob first, std::unique_lock<std::mutex>& lk);
  void run_group_commit(SubmitJob first, std::unique_lock<std::mutex>& lk);
  template <TxnJob J>
  void run_in_transaction(J& job);

  // ---- transactions (sqlite_store.cpp) ----
  /// Runs `body()` (returns an SQLite code) between BEGIN IMMEDIATE and COMMIT on the write
  /// connection: SQLITE_OK commits, anything else rolls back. After any failure the writer's
  /// in-memory index record is discarded (rollback()) and ready() may turn false
  /// (note_failure()). Returns the failure of BEGIN, the body or COMMIT, or nothing.
  template <typename Body>
  std::error_code transaction(Body&& body);
  int begin();
  int commit(std::chrono::steady_clock::time_point started);
  void rollback();
  void note_failure(int rc);
  int insert_audit(std::int64_t time, std::string_view tenant, std::string_view action,
                   std::string_view detail);
  /// Inside a generic job's transaction: if it deleted the newest events, records the highest
  /// seq given out as the floor (store_state.seq_floor) so no seq is ever given out twice.
  int keep_seq_floor();
  /// Reads seq_floor and the newest seq back from the table (start-up, after a rollback).
  int load_seq_state();
  void scrub_wal();

  // ---- group commit (submit.cpp) ----
  void run_submit_batch(std::vector<SubmitJob>& batch);
  std::error_code write_submits(const std::vector<SubmitJob*>& jobs,
                                std::vector<std::vector<Outcome>>& outcomes);
  /// Decides and writes one event inside the group transaction.
  int write_event(EventRecord& ev, Outcome& outcome);
  /// Queues the outbox rows of the accepted event `ev` (seq `seq`); flush_outbox() writes them.
  int write_outbox(const EventRecord& ev, std::int64_t seq);
  /// Writes the queued outbox rows of the group commit, k_outbox_rows_per_insert per statement.
  int flush_outbox();
  /// The next outbox id (never given out before, also across restarts: the highest is written
  /// to store_state 'outbox_id' by keep_outbox_id() in the same transaction).
  std::int64_t next_outbox_id() {
    m_outbox_id_dirty = true;
    return ++m_outbox_id;
  }
  /// Before a COMMIT that gave out outbox ids: records the highest (one write per transaction).
  int keep_outbox_id();
  void notify_outbox(bool committed);
  /// Is the canonical `id` (or uid) of `tenant` suppressed?
  bool in_mirror(const std::string& tenant, const std::string& id) const {
    return m_mirror.contains(tenant, id);
  }

  // ---- deferred indexing (index_pass.cpp) ----
  /// One id of an accepted event on its way to event_ids/links.
  struct IndexRow {
    std::string tenant, id, kind, uid;
    std::int64_t seq, received;
  };
  /// Accepted events' ids on their way into the index, sorted once by each table's key, and
  /// written in slices; the watermark moves to `last` when both orders are written.
  struct Generation {
    std::vector<IndexRow> rows;
    std::vector<std::uint32_t> id_order, link_order;
    std::size_t id_pos = 0, link_pos = 0;
    std::int64_t last = 0;
    bool done() const { return id_pos == id_order.size() && link_pos == link_order.size(); }
  };
  static Generation make_generation(std::vector<IndexRow> rows, std::int64_t last);
  /// Writes up to `max_rows` more rows of each order of `g`; moves the watermark when done.
  int write_slice(Generation& g, std::size_t max_rows);
  int index_events();
  int read_unindexed(std::vector<IndexRow>& rows, std::int64_t& last, std::size_t& events);
  int write_index_rows(std::vector<IndexRow> rows, std::int64_t last);
  std::error_code run_index();
  /// One bounded step of indexing, in its own transaction, between group commits.
  std::error_code run_index_slice();
  int load_indexed_seq();

  // ---- outbox (outbox.cpp) ----
  /// Queues `job` and waits until it committed or failed.
  void mark_outbox(OutboxMarkJob job);
  /// Runs the one-parameter query `sql` on the read connection.
  void read_outbox(const char* sql, const std::string& dest,
                   const std::function<void(Statement&)>& row);

  // ---- readers (export.cpp) ----
  bool read_export(const std::string& tenant, std::int64_t since, ExportCursor after,
                   std::size_t limit, std::vector<std::string>& lines, std::size_t& skipped);

  StoreConfig m_cfg;
  Connection m_write;  // owned by the writer thread after start()
  Connection m_read;   // guarded by m_read_mu
  mutable std::mutex m_read_mu;

  // The writer's own statements: transactions, the ingest path, the index pass, store_state.
  Statement m_begin, m_commit, m_rollback;
  Statement m_insert_event, m_insert_event_at, m_insert_event_id, m_upsert_link, m_insert_audit;
  Statement m_select_unindexed, m_set_indexed_seq, m_get_indexed_seq;
  Statement m_max_seq, m_get_seq_floor, m_set_seq_floor;
  Statement m_insert_outbox, m_insert_outboxes, m_get_outbox_id, m_set_outbox_id;
  // Statements of the jobs (Txn::statement), by SQL text; writer thread only.
  std::map<std::string, Statement, std::less<>> m_job_statements;

  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Job> m_queue;
  std::size_t m_pending_events = 0;
  bool m_closing = false;
  bool m_closed = false;
  std::thread m_writer;
  std::atomic<bool> m_ready{false};
  bool m_needs_scrub = false;      // writer thread only
  std::int64_t m_indexed_seq = 0;  // writer thread only: last seq in event_ids/links
  std::size_t m_unindexed = 0;     // writer thread only: accepted events not indexed yet (approx.)
  // Writer thread only: the ids of the events committed since the watermark, when complete
  // (m_backlog_valid); after a start-up or rollback they are read back from the events table.
  std::vector<IndexRow> m_backlog;
  bool m_backlog_valid = false;
  std::optional<Generation> m_generation;  // writer thread only: being written in slices
  std::int64_t m_last_seq = 0;  // highest seq the writer inserted (valid with m_backlog_valid)
  // Writer thread only: the latest `received` stored. Events never get an earlier one, so
  // `received` is non-decreasing in seq order (a clock step back stamps the latest time seen).
  std::int64_t m_max_received = 0;
  // Writer thread only: the newest seq in the events table, and store_state.seq_floor (the
  // highest seq given out when the newest events were deleted). While the first is below the
  // second the next event is given seq_floor + 1 explicitly, never a seq given out before.
  std::int64_t m_table_max_seq = 0;
  std::int64_t m_seq_floor = 0;

  SuppressionMirror m_mirror;
  std::string m_installation;  // store_state.installation, read at start-up
  // Writer thread only: destinations given outbox rows by the group commit being written.
  std::vector<std::string> m_outbox_added;
  /// An event's outbox row, written at the end of its group commit (one statement for many).
  struct QueuedOutboxRow {
    std::string destination, tenant;
    std::int64_t id, event, dma, created_ms;
  };
  std::vector<QueuedOutboxRow> m_outbox_rows;  // writer thread only
  // Writer thread only: the highest outbox id given out (store_state 'outbox_id' once
  // committed; after a rollback it stays ahead, which only leaves a gap), and whether the open
  // transaction gave one out.
  std::int64_t m_outbox_id = 0;
  bool m_outbox_id_dirty = false;
};

}  // namespace hashgate::gw::store_detail

namespace hashgate::gw::store_detail {

template <typename Body>
std::error_code SqliteStore::transaction(Body&& body) {
  const auto started = std::chrono::steady_clock::now();
  int rc = begin();
  if (rc == SQLITE_OK) rc = body();
  if (rc == SQLITE_OK) rc = keep_outbox_id();
  if (rc == SQLITE_OK) {
    rc = commit(started);  // on failure it has rolled back and noted the failure
  } else {
    rollback();
    note_failure(rc);
  }
  return rc == SQLITE_OK ? std::error_code{} : sqlite_error(rc);
}

}  // namespace hashgate::gw::store_detail
