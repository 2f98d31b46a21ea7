// SqliteStore: start-up, the job queue, the writer loop, the transaction helper and close
// (sqlite_store.hpp). Group commits are in submit.cpp, the deferred index in index_pass.cpp, the
// other jobs in jobs.cpp, the readers in export.cpp.

#include "sqlite_store.hpp"

#include "schema.hpp"
#include "wal_vfs.hpp"

#include <pthread.h>

#include <filesystem>
#include <future>
#include <type_traits>
#include <variant>

namespace hashgate::gw::store_detail {

namespace {

/// Page cache of the write connection in KiB (SQLite's default is 2 MiB): the dedupe and id
/// indexes are hit at random, so a larger cache saves re-reading pages on every insert.
constexpr int k_write_cache_kib = 32 * 1024;
/// How long SQLite waits for a lock before reporting SQLITE_BUSY.
constexpr int k_busy_timeout_ms = 5000;
/// When idle, how often the writer retries a post-purge WAL truncation that a reader blocked.
constexpr std::chrono::milliseconds k_scrub_retry{200};
/// Deferred indexing: accepted events reach event_ids/links in bulk, sorted by key, once this
/// many are waiting (or when the writer is idle for k_index_idle, and always before an opt-out
/// or a purge reads those tables). Random digests then dirty each index page once per pass
/// instead of once per event, which is most of the WAL traffic of a commit.
constexpr std::size_t k_index_batch = 8192;
constexpr std::chrono::milliseconds k_index_idle{20};

/// Visitor from lambdas, for std::visit.
template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;  // clang before 17 deduces no aggregate template arguments

/// The insert of k_outbox_rows_per_insert event rows into the outbox (SqliteStore::flush_outbox).
const char* insert_outboxes_sql() {
  static const std::string sql = [] {
    std::string s =
        "INSERT INTO outbox(destination, id, tenant, kind, event, dma, created_ms) VALUES";
    for (std::size_t i = 0; i < k_outbox_rows_per_insert; ++i)
      s += i == 0 ? "(?, ?, ?, 0, ?, ?, ?)" : ",(?, ?, ?, 0, ?, ?, ?)";
    return s;
  }();
  return sql.c_str();
}

}  // namespace

std::int64_t SqliteStore::now() const {
  if (m_cfg.clock) return m_cfg.clock();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- start-up --------------------------------------------------------------------------------

std::error_code SqliteStore::start(std::string& why) {
  std::string path;
  if (auto ec = open_writer(path, why)) return ec;
  if (auto ec = migrate(m_write, why)) return ec;
  if (auto ec = load_state(why)) return ec;
  if (auto ec = open_reader(path, why)) return ec;
  m_ready = true;
  m_writer = std::thread([this] { writer_loop(); });
  return {};
}

/// Creates the data folder and opens the write connection in WAL mode with the configured
/// durability; `path` receives the database file's path.
std::error_code SqliteStore::open_writer(std::string& path, std::string& why) {
  if (m_cfg.data_dir.empty()) {
    why = "store: data_dir is empty";
    return StoreErrc::open_failed;
  }
  std::error_code fs_err;
  std::filesystem::create_directories(m_cfg.data_dir, fs_err);
  if (fs_err) {
    why = "store: cannot create data_dir: " + fs_err.message();
    return StoreErrc::open_failed;
  }
  path = (std::filesystem::path(m_cfg.data_dir) / "hashgate.db").string();
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  // Every commit syncs the WAL unless durability is normal: only then may WAL writes be gathered
  // into one write per commit (wal_vfs.hpp; the default VFS if it could not be registered).
  const char* vfs = m_cfg.durability == Durability::normal ? nullptr : wal_vfs_name();
  if (int rc = m_write.open(path, flags, vfs); rc != SQLITE_OK) {
    why = "store: cannot open hashgate.db: " + m_write.message();
    return sqlite_error(rc);
  }
  sqlite3_extended_result_codes(m_write.get(), 1);
  const char* sync = m_cfg.durability == Durability::normal  ? "NORMAL"
                     : m_cfg.durability == Durability::extra ? "EXTRA"
                                                             : "FULL";
  sqlite3_busy_timeout(m_write.get(), k_busy_timeout_ms);
  const std::string pragmas =
      std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + sync +
      "; PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; PRAGMA cache_size=-" +
      std::to_string(k_write_cache_kib) + ";";
  if (int rc = m_write.exec(pragmas.c_str()); rc != SQLITE_OK) {
    why = "store: cannot configure hashgate.db: " + m_write.message();
    return sqlite_error(rc);
  }
  // journal_mode=WAL silently stays as it was on file systems without shared memory: check.
  Statement s;
  std::string mode;
  if (s.prepare(m_write.get(), "PRAGMA journal_mode") == SQLITE_OK)
    s.each_row([&](Statement& r) { mode = r.text(0); });
  if (mode != "wal") {
    why = "store: hashgate.db could not be switched to WAL mode";
    return StoreErrc::open_failed;
  }
  return {};
}

/// Prepares the writer's statements and reads what it keeps in memory: the latest `received`,
/// the index watermark, the seq floor, the suppression mirror. Events accepted before a crash
/// may not be indexed yet: they are indexed here, before the store serves anything.
std::error_code SqliteStore::load_state(std::string& why) {
  if (auto ec = prepare_statements(why)) return ec;
  Statement s;
  if (s.prepare(m_write.get(), "SELECT received FROM events ORDER BY seq DESC LIMIT 1") ==
      SQLITE_OK)
    s.each_row([&](Statement& r) { m_max_received = r.int64(0); });
  int rc = load_indexed_seq();
  if (rc == SQLITE_OK) rc = load_seq_state();
  if (rc == SQLITE_OK)
    rc = m_get_outbox_id.each_row([&](Statement& r) { m_outbox_id = r.int64(0); });
  if (rc != SQLITE_OK) {
    why = "store: cannot read the store state: " + m_write.message();
    return sqlite_error(rc);
  }
  m_unindexed = 1;
  if (auto ec = run_index()) {
    why = "store: cannot index stored events: " + m_write.message();
    return ec;
  }
  std::vector<std::string> digests;
  if (s.prepare(m_write.get(), "SELECT digest FROM suppression") == SQLITE_OK)
    rc = s.each_row([&](Statement& r) { digests.push_back(r.blob(0)); });
  if (rc != SQLITE_OK) {
    why = "store: cannot read the suppression list: " + m_write.message();
    return sqlite_error(rc);
  }
  m_mirror.insert(std::move(digests));
  if (s.prepare(m_write.get(), "SELECT value FROM store_state WHERE key = 'installation'") ==
      SQLITE_OK)
    s.each_row([&](Statement& r) { m_installation = std::to_string(r.int64(0)); });
  return {};
}

/// The read connection: WAL lets it read a consistent snapshot beside the writer.
std::error_code SqliteStore::open_reader(const std::string& path, std::string& why) {
  if (int rc = m_read.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX); rc != SQLITE_OK) {
    why = "store: cannot open read connection: " + m_read.message();
    return sqlite_error(rc);
  }
  sqlite3_busy_timeout(m_read.get(), k_busy_timeout_ms);
  if (int rc = m_read.exec("PRAGMA query_only=ON;"); rc != SQLITE_OK) {
    why = "store: cannot configure read connection: " + m_read.message();
    return sqlite_error(rc);
  }
  return {};
}

std::vector<SqliteStore::NamedStatement> SqliteStore::own_statements() {
  return {
      {&m_begin, "BEGIN IMMEDIATE"},
      {&m_commit, "COMMIT"},
      {&m_rollback, "ROLLBACK"},
      {&m_insert_event,
       "INSERT OR IGNORE INTO events(tenant, event_id, type, time, received, ids, uid, online_ids,"
       " custom, legal_basis, consent) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
      // The same with the seq named, for the first event after the newest ones were deleted.
      {&m_insert_event_at,
       "INSERT OR IGNORE INTO events(tenant, event_id, type, time, received, ids, uid, online_ids,"
       " custom, legal_basis, consent, seq)"
       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"},
      // OR IGNORE: after a crash between two slices of a pass, the events past the watermark
      // are indexed again from the table, and the rows of the committed slices are there.
      {&m_insert_event_id,
       "INSERT OR IGNORE INTO event_ids(event, tenant, kind, id) VALUES(?1, ?2, ?3, ?4)"},
      {&m_upsert_link,
       "INSERT INTO links(tenant, uid, id, first_seen, last_seen) VALUES(?1, ?2, ?3, ?4, ?4)"
       " ON CONFLICT(tenant, uid, id) DO UPDATE SET"
       " first_seen = min(first_seen, excluded.first_seen),"
       " last_seen = max(last_seen, excluded.last_seen)"},
      {&m_insert_audit, "INSERT INTO audit(time, tenant, action, detail) VALUES(?1, ?2, ?3, ?4)"},
      {&m_select_unindexed,
       "SELECT seq, tenant, ids, uid, received FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"},
      {&m_set_indexed_seq, "UPDATE store_state SET value = ?1 WHERE key = 'indexed_seq'"},
      {&m_get_indexed_seq, "SELECT value FROM store_state WHERE key = 'indexed_seq'"},
      {&m_max_seq, "SELECT coalesce(max(seq), 0) FROM events"},
      {&m_get_seq_floor, "SELECT value FROM store_state WHERE key = 'seq_floor'"},
      {&m_set_seq_floor, "UPDATE store_state SET value = ?1 WHERE key = 'seq_floor'"},
      {&m_insert_outbox,
       "INSERT INTO outbox(destination, id, tenant, kind, event, dma, created_ms)"
       " VALUES(?1, ?2, ?3, 0, ?4, ?5, ?6)"},
      {&m_insert_outboxes, insert_outboxes_sql()},
      {&m_get_outbox_id, "SELECT value FROM store_state WHERE key = 'outbox_id'"},
      {&m_set_outbox_id, "UPDATE store_state SET value = ?1 WHERE key = 'outbox_id'"},
  };
}

std::error_code SqliteStore::prepare_statements(std::string& why) {
  for (const auto& [stmt, sql] : own_statements()) {
    if (int rc = stmt->prepare(m_write.get(), sql); rc != SQLITE_OK) {
      why = std::string("store: cannot prepare statement: ") + m_write.message();
      return sqlite_error(rc);
    }
  }
  return {};
}

// ---- the public interface: queue work ---------------------------------------------------------

bool SqliteStore::enqueue(Job job) {
  {
    std::lock_guard lk(m_mu);
    if (m_closing) return false;
    if (const auto* submit = std::get_if<SubmitJob>(&job)) {
      const std::size_t n = submit->events.size();
      // Refuse when the new events would lift the queue above its high-water mark; an empty
      // queue always accepts, so one request larger than the mark is not refused forever.
      if (m_pending_events > 0 && m_pending_events + n > m_cfg.queue_high_water) return false;
      m_pending_events += n;
    }
    m_queue.push_back(std::move(job));
  }
  m_cv.notify_one();
  return true;
}

bool SqliteStore::submit(std::vector<EventRecord> events, std::function<void(SubmitResult)> done) {
  return enqueue(SubmitJob{std::move(events), std::move(done)});
}

bool SqliteStore::is_suppressed(const std::string& tenant, const std::string& id) const {
  return in_mirror(tenant, canonical_id(id));
}

void SqliteStore::opt_out(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                          std::string source, std::function<void(OptOutResult)> done) {
  OptOutJob job{.tenant = tenant,
                .ids = std::move(ids),
                .uid = std::move(uid),
                .source = std::move(source),
                .done = done,
                .result = {}};
  if (!enqueue(std::move(job))) {
    OptOutResult r;
    r.error = StoreErrc::closed;
    invoke_safely(done, r);
  }
}

void SqliteStore::opt_out_closure(const std::string& tenant, std::vector<std::string> ids,
                                  std::string uid, std::function<void(OptOutResult)> done) {
  OptOutJob job{.tenant = tenant,
                .ids = std::move(ids),
                .uid = std::move(uid),
                .source = {},
                .done = done,
                .result = {},
                .dry_run = true};
  if (!enqueue(std::move(job))) {
    OptOutResult r;
    r.error = StoreErrc::closed;
    invoke_safely(done, r);
  }
}

void SqliteStore::opt_in(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                         std::function<void(std::error_code)> done) {
  OptInJob job{.tenant = tenant, .ids = std::move(ids), .uid = std::move(uid), .done = done};
  if (!enqueue(std::move(job))) invoke_safely(done, make_error_code(StoreErrc::closed));
}

void SqliteStore::append_audit(AuditEntry entry) { enqueue(AuditJob{std::move(entry)}); }

std::size_t SqliteStore::purge_before(const std::string& tenant, std::int64_t cutoff) {
  PurgeJob job{.tenant = tenant,
               .cutoff = cutoff,
               .result = std::make_shared<std::promise<std::size_t>>(),
               .events = 0};
  auto result = job.result->get_future();
  if (!enqueue(std::move(job))) return 0;
  return result.get();
}

std::size_t SqliteStore::queue_depth() const {
  std::lock_guard lk(m_mu);
  return m_pending_events;
}

void SqliteStore::close() {
  {
    std::lock_guard lk(m_mu);
    if (m_closed) return;
    m_closed = true;
    m_closing = true;
  }
  m_cv.notify_all();
  if (m_writer.joinable()) m_writer.join();
  m_ready = false;
  // Finalize every statement before closing the connections; the last close checkpoints the WAL.
  for (const auto& named : own_statements()) named.stmt->finalize();
  m_job_statements.clear();
  {
    std::lock_guard lk(m_read_mu);
    m_read.reset();
  }
  m_write.reset();
}

// ---- writer thread ---------------------------------------------------------------------------

void SqliteStore::writer_loop() {
  pthread_setname_np(pthread_self(), "hg-writer");  // named in top, perf and /proc
  for (;;) {
    std::unique_lock lk(m_mu);
    if (!wait_for_job(lk)) continue;  // idle work was done instead
    if (m_queue.empty()) break;       // closing, and the queue is drained
    Job job = std::move(m_queue.front());
    m_queue.pop_front();
    // Submits are batched into one group commit; every other job is a TxnJob and runs alone
    // through the generic path, so a new job type needs no change here.
    std::visit(Overloaded{
                   [&](SubmitJob& first) { run_group_commit(std::move(first), lk); },
                   [&](TxnJob auto& other) {
                     lk.unlock();
                     run_in_transaction(other);
                   },
               },
               job);
  }
  if (m_unindexed > 0 || m_generation) run_index();  // close(): index what is left
}

bool SqliteStore::wait_for_job(std::unique_lock<std::mutex>& lk) {
  const auto has_job = [&] { return !m_queue.empty() || m_closing; };
  const bool to_index = m_unindexed > 0 || m_generation.has_value();
  if (!to_index && !m_needs_scrub) {
    m_cv.wait(lk, has_job);
    return true;
  }
  if (m_cv.wait_for(lk, to_index ? k_index_idle : k_scrub_retry, has_job)) return true;
  lk.unlock();
  if (to_index) run_index();       // idle: index the accepted events
  if (m_needs_scrub) scrub_wal();  // idle: retry the post-purge WAL truncation
  return false;
}

std::vector<SubmitJob> SqliteStore::take_batch(SubmitJob first, std::unique_lock<std::mutex>& lk) {
  // Consecutive submit jobs (FIFO order is kept with other jobs) up to max_batch_events, waiting
  // at most max_batch_delay for more to arrive.
  std::vector<SubmitJob> batch;
  std::size_t n = first.events.size();
  m_pending_events -= n;
  batch.push_back(std::move(first));
  const auto deadline = std::chrono::steady_clock::now() + m_cfg.max_batch_delay;
  while (n < m_cfg.max_batch_events) {
    if (m_queue.empty()) {
      if (m_closing || m_cfg.max_batch_delay.count() <= 0) break;
      if (!m_cv.wait_until(lk, deadline, [&] { return !m_queue.empty() || m_closing; })) break;
      if (m_queue.empty()) break;
    }
    auto* next = std::get_if<SubmitJob>(&m_queue.front());
    if (next == nullptr || n + next->events.size() > m_cfg.max_batch_events) break;
    n += next->events.size();
    m_pending_events -= next->events.size();
    batch.push_back(std::move(*next));
    m_queue.pop_front();
  }
  return batch;
}

void SqliteStore::run_group_commit(SubmitJob first, std::unique_lock<std::mutex>& lk) {
  std::vector<SubmitJob> batch = take_batch(std::move(first), lk);
  lk.unlock();
  run_submit_batch(batch);
  // Indexing runs in slices between group commits, so no request waits for a whole pass.
  if (m_generation || m_unindexed >= k_index_batch) run_index_slice();
}

template <TxnJob J>
void SqliteStore::run_in_transaction(J& job) {
  Txn txn(*this);
  const std::error_code ec = transaction([&] {
    int rc = job.run(txn);
    if (rc == SQLITE_OK) rc = keep_seq_floor();  // the job may have deleted the newest events
    if (rc == SQLITE_OK && txn.m_scrub) m_needs_scrub = true;  // commit() scrubs right after
    return rc;
  });
  if (!ec) {
    for (auto& fn : txn.m_after_commit) fn();
  }
  job.finish(ec);
}

// ---- transactions ----------------------------------------------------------------------------

int SqliteStore::begin() { return m_begin.run(); }

int SqliteStore::commit(std::chrono::steady_clock::time_point started) {
  if (int rc = m_commit.run(); rc != SQLITE_OK) {
    rollback();
    note_failure(rc);
    return rc;
  }
  m_ready = true;
  if (on_commit) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    invoke_safely(on_commit, took.count());
  }
  if (m_needs_scrub) scrub_wal();
  return SQLITE_OK;
}

void SqliteStore::note_failure(int rc) {
  switch (rc & 0xff) {  // primary result code
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_BUSY:
      m_ready = false;  // the next successful commit sets it again
      break;
    default:
      break;  // a constraint or trigger failure says nothing about the database's health
  }
}

void SqliteStore::rollback() {
  if (sqlite3_get_autocommit(m_write.get()) == 0) {  // a transaction is open (SQLite may
    m_rollback.run();                                // already have rolled back on I/O errors)
  }
  // An indexing pass inside the rolled-back transaction may have moved the watermark, and the
  // writer's record may name rolled-back events: read the watermark back, rebuild from the table.
  m_backlog.clear();
  m_backlog_valid = false;
  m_generation.reset();
  if (load_indexed_seq() == SQLITE_OK) m_unindexed = std::max<std::size_t>(m_unindexed, 1);
  load_seq_state();  // the newest seq and the floor as committed
}

int SqliteStore::insert_audit(std::int64_t time, std::string_view tenant, std::string_view action,
                              std::string_view detail) {
  return m_insert_audit.run(time, tenant, action, detail);
}

int SqliteStore::keep_outbox_id() {
  if (!m_outbox_id_dirty) return SQLITE_OK;
  m_outbox_id_dirty = false;  // also on failure: the transaction rolls back, the ids go unused
  return m_set_outbox_id.run(m_outbox_id);
}

int SqliteStore::keep_seq_floor() {
  std::int64_t newest = 0;
  if (int rc = m_max_seq.each_row([&](Statement& r) { newest = r.int64(0); }); rc != SQLITE_OK)
    return rc;
  if (newest < m_table_max_seq && m_table_max_seq > m_seq_floor) {
    // The newest events are gone: SQLite would give their seqs out again (max + 1).
    if (int rc = m_set_seq_floor.run(m_table_max_seq); rc != SQLITE_OK) return rc;
    m_seq_floor = m_table_max_seq;
  }
  m_table_max_seq = newest;
  return SQLITE_OK;
}

int SqliteStore::load_seq_state() {
  if (int rc = m_get_seq_floor.each_row([&](Statement& r) { m_seq_floor = r.int64(0); });
      rc != SQLITE_OK)
    return rc;
  return m_max_seq.each_row([&](Statement& r) { m_table_max_seq = r.int64(0); });
}

/// After a purge the deleted rows' old page images still sit in the WAL file: checkpoint and
/// truncate it. If a reader holds an old snapshot the checkpoint is partial; retry after the
/// next commit.
void SqliteStore::scrub_wal() {
  int log_frames = 0;
  int checkpointed = 0;
  // No busy wait here: a long export must not stall ingestion. If a reader is in the way the
  // writer retries after the next commit, or after k_scrub_retry when idle.
  sqlite3_busy_timeout(m_write.get(), 0);
  int rc = sqlite3_wal_checkpoint_v2(m_write.get(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                     &log_frames, &checkpointed);
  sqlite3_busy_timeout(m_write.get(), k_busy_timeout_ms);
  m_needs_scrub = !(rc == SQLITE_OK && log_frames == 0);
}

// ---- Txn: what a job sees of the writer -------------------------------------------------------

Statement* Txn::statement(std::string_view sql, int& rc) {
  auto& cache = m_store.m_job_statements;
  auto it = cache.find(sql);
  if (it != cache.end()) return &it->second;
  Statement s;
  rc = s.prepare(m_store.m_write.get(), sql);
  if (rc != SQLITE_OK) return nullptr;
  return &cache.emplace(std::string(sql), std::move(s)).first->second;
}

sqlite3* Txn::db() const { return m_store.m_write.get(); }

std::int64_t Txn::changes() const { return sqlite3_changes(m_store.m_write.get()); }

std::int64_t Txn::now() const { return m_store.now(); }

int Txn::audit(std::int64_t time, std::string_view tenant, std::string_view action,
               std::string_view detail) {
  return m_store.insert_audit(time, tenant, action, detail);
}

int Txn::index_pending() { return m_store.index_events(); }

SuppressionMirror& Txn::mirror() { return m_store.m_mirror; }

std::int64_t Txn::next_outbox_id() { return m_store.next_outbox_id(); }

void Txn::outbox_added(std::string dest) {
  after_commit(
      [&store = m_store, dest = std::move(dest)] { invoke_safely(store.on_outbox, dest); });
}

}  // namespace hashgate::gw::store_detail
