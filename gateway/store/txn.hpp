#pragma once
// What a job sees of the writer while its transaction is open, internal to gateway/store. Jobs
// reach the database only through a Txn, on the writer thread, between BEGIN IMMEDIATE and COMMIT.

#include "sqlite_handle.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hashgate::gw::store_detail {

class SqliteStore;
class SuppressionMirror;

/// One open write transaction, handed to TxnJob::run (jobs.hpp). Not copyable; valid only during
/// run().
class Txn {
 public:
  explicit Txn(SqliteStore& store) : m_store(store) {}
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  /// The statement for `sql`, compiled on first use on the write connection and kept until the
  /// store closes, so a job keeps its SQL next to its logic. nullptr when `sql` does not compile
  /// (SQLite's code in `rc`).
  Statement* statement(std::string_view sql, int& rc);
  /// Runs `sql` once with `args` bound (Statement::run); SQLITE_OK or SQLite's error code.
  template <typename... A>
  int run(std::string_view sql, const A&... args) {
    int rc = SQLITE_OK;
    Statement* s = statement(sql, rc);
    return s != nullptr ? s->run(args...) : rc;
  }
  /// Runs the query `sql` with `args` bound, calling `row(stmt)` for each result row
  /// (Statement::each_row); SQLITE_OK or SQLite's error code.
  template <typename Row, typename... A>
  int each_row(std::string_view sql, Row&& row, const A&... args) {
    int rc = SQLITE_OK;
    Statement* s = statement(sql, rc);
    return s != nullptr ? s->each_row(std::forward<Row>(row), args...) : rc;
  }
  /// The write connection, for helpers that take one (e.g. first_seq_received).
  sqlite3* db() const;
  /// Rows inserted, updated or deleted by the last statement run.
  std::int64_t changes() const;
  /// The store's clock (StoreConfig::clock or the system clock), unix seconds.
  std::int64_t now() const;
  /// Appends an audit row (`detail` is JSON without identifiers) in this transaction.
  int audit(std::int64_t time, std::string_view tenant, std::string_view action,
            std::string_view detail);
  /// Writes the deferred id index (event_ids, links) up to the newest accepted event, in this
  /// transaction. Call it before reading either table.
  int index_pending();
  /// Asks for the WAL to be checkpointed and truncated right after COMMIT, before finish(): call
  /// it after deleting rows, so their old page images leave the files (secure delete).
  void scrub_after_commit() { m_scrub = true; }
  /// Runs `fn` on the writer thread once COMMIT returned SQLITE_OK, before the job's finish();
  /// dropped on rollback. For in-memory state that mirrors the tables.
  void after_commit(std::function<void()> fn) { m_after_commit.push_back(std::move(fn)); }
  /// The id of a new outbox row (outbox.id has no default: every insert names one). Never given
  /// out before, also across restarts; ids name batches, so one must never be reused.
  std::int64_t next_outbox_id();
  /// Outbox rows were added for `dest`: once committed, Store::on_outbox hears of it.
  void outbox_added(std::string dest);
  /// The suppression mirror; change it only from an after_commit function.
  SuppressionMirror& mirror();

 private:
  friend class SqliteStore;
  SqliteStore& m_store;
  bool m_scrub = false;
  std::vector<std::function<void()>> m_after_commit;
};

}  // namespace hashgate::gw::store_detail
