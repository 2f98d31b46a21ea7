// The embedded SQLite store: one writer thread owning the write connection (group commit), one
// read connection for exports and the audit log, an in-memory mirror of the suppression list.
// See docs/storage.md for the schema, the durability of each setting and the privacy choices.

#include "store.hpp"

#include "sqlite_handle.hpp"
#include "wal_vfs.hpp"

#include <hashgate/hashgate.hpp>
#include <nlohmann/json.hpp>

#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <tuple>
#include <unordered_set>

namespace hashgate::gw {

namespace {

using store_detail::Connection;
using store_detail::ResetGuard;
using store_detail::Statement;
using store_detail::wal_vfs_name;

class StoreCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "hashgate.store"; }
  std::string message(int ev) const override {
    switch (static_cast<StoreErrc>(ev)) {
      case StoreErrc::closed:
        return "store is closed";
      case StoreErrc::open_failed:
        return "store could not be opened";
      case StoreErrc::schema_too_new:
        return "database schema is newer than this build";
      case StoreErrc::io:
        return "store transaction failed and was rolled back";
    }
    return "unknown store error";
  }
};

class SqliteCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int ev) const override { return sqlite3_errstr(ev); }
};

}  // namespace

const std::error_category& store_category() noexcept {
  static const StoreCategory k_category;
  return k_category;
}

const std::error_category& sqlite_category() noexcept {
  static const SqliteCategory k_category;
  return k_category;
}

std::error_code make_error_code(StoreErrc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

namespace {

/// Page cache of the write connection in KiB (SQLite's default is 2 MiB): the dedupe and id
/// indexes are hit at random, so a larger cache saves re-reading pages on every insert.
constexpr int k_write_cache_kib = 32 * 1024;

/// Current schema version (PRAGMA user_version). Bump it and append a migration to k_migrations.
constexpr int k_schema_version = 3;

/// Migration i brings a database from user_version i to i + 1 (run inside one transaction).
constexpr const char* k_migrations[] = {
    // 0 → 1: the initial schema.
    R"sql(
CREATE TABLE events(
  seq         INTEGER PRIMARY KEY,
  tenant      TEXT    NOT NULL,
  event_id    TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  time        INTEGER NOT NULL,
  received    INTEGER NOT NULL,
  ids         TEXT    NOT NULL DEFAULT '{}',
  uid         TEXT    NOT NULL DEFAULT '',
  online_ids  TEXT    NOT NULL DEFAULT '{}',
  custom      TEXT    NOT NULL DEFAULT '{}',
  legal_basis TEXT    NOT NULL DEFAULT '',
  consent     TEXT    NOT NULL DEFAULT '{}',
  UNIQUE(tenant, event_id)
);
CREATE INDEX events_received ON events(tenant, received);
CREATE INDEX events_uid ON events(tenant, uid);
CREATE TABLE event_ids(
  event  INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
  tenant TEXT    NOT NULL,
  kind   TEXT    NOT NULL,
  id     TEXT    NOT NULL
);
CREATE INDEX event_ids_id ON event_ids(tenant, id);
CREATE INDEX event_ids_event ON event_ids(event);
CREATE TABLE links(
  tenant     TEXT    NOT NULL,
  uid        TEXT    NOT NULL,
  id         TEXT    NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  PRIMARY KEY(tenant, uid, id)
) WITHOUT ROWID;
CREATE INDEX links_id ON links(tenant, id);
CREATE TABLE suppression(
  tenant TEXT    NOT NULL,
  digest BLOB    NOT NULL,
  added  INTEGER NOT NULL,
  PRIMARY KEY(tenant, digest)
) WITHOUT ROWID;
CREATE TABLE audit(
  seq    INTEGER PRIMARY KEY,
  time   INTEGER NOT NULL,
  tenant TEXT    NOT NULL,
  action TEXT    NOT NULL,
  detail TEXT    NOT NULL
);
CREATE INDEX audit_tenant_time ON audit(tenant, time);
)sql",
    // 1 → 2: fewer b-tree writes per event. event_ids becomes a WITHOUT ROWID table clustered on
    // (tenant, id) — the opt-out lookup key — instead of a rowid table plus an index; events_uid
    // only indexes events that carry a uid (server-to-server events have none); store_state keeps
    // `indexed_seq`, the last event whose ids are in event_ids and links (deferred indexing).
    R"sql(
CREATE TABLE event_ids_v2(
  event  INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
  tenant TEXT    NOT NULL,
  kind   TEXT    NOT NULL,
  id     TEXT    NOT NULL,
  PRIMARY KEY(tenant, id, event, kind)
) WITHOUT ROWID;
INSERT INTO event_ids_v2(event, tenant, kind, id) SELECT event, tenant, kind, id FROM event_ids;
DROP TABLE event_ids;
ALTER TABLE event_ids_v2 RENAME TO event_ids;
CREATE INDEX event_ids_event ON event_ids(event);
DROP INDEX events_uid;
CREATE INDEX events_uid ON events(tenant, uid) WHERE uid <> '';
CREATE TABLE store_state(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO store_state(key, value) VALUES('indexed_seq', (SELECT coalesce(max(seq), 0) FROM events));
)sql",
    // 2 → 3: no events_received index (one b-tree insert less per event). `received` becomes
    // non-decreasing in seq order (the writer keeps it so; rows of older versions are raised to
    // the running maximum here), so retention and export find their seq range by binary search.
    R"sql(
DROP INDEX events_received;
UPDATE events SET received = w.m
  FROM (SELECT seq, max(received) OVER (ORDER BY seq) AS m FROM events) AS w
  WHERE events.seq = w.seq AND events.received < w.m;
)sql",
};
static_assert(std::size(k_migrations) == k_schema_version);

/// How long SQLite waits for a lock before reporting SQLITE_BUSY.
constexpr int k_busy_timeout_ms = 5000;
/// When idle, how often the writer retries a post-purge WAL truncation that a reader blocked.
constexpr std::chrono::milliseconds k_scrub_retry{200};

/// Upper bound on identifiers visited by one opt-out fan-out (a guard against pathological graphs).
constexpr std::size_t k_max_closure = 100000;
/// Deferred indexing: accepted events reach event_ids/links in bulk, sorted by key, once this
/// many are waiting (or when the writer is idle for k_index_idle, and always before an opt-out
/// or a purge reads those tables). Random digests then dirty each index page once per pass
/// instead of once per event, which is most of the WAL traffic of a commit.
constexpr std::size_t k_index_batch = 8192;
constexpr std::chrono::milliseconds k_index_idle{20};
/// Rows read per step of an indexing pass.
constexpr std::int64_t k_index_chunk = 4096;

/// The ids column: {"kind":"value",...} in the given order. Digests and kind names are plain
/// ASCII, written directly; anything else (or a repeated kind) goes through nlohmann (same text).
/// A JSON column's text, "{}" when there is none (a view of `s` or of a literal, never a
/// temporary: safe for Statement::bind_static).
std::string_view json_or_empty(const std::string& s) {
  return s.empty() ? std::string_view("{}") : std::string_view(s);
}

std::string ids_column(const std::vector<std::pair<std::string, std::string>>& ids) {
  auto plain = [](const std::string& t) {
    for (unsigned char c : t)
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
    return true;
  };
  bool simple = true;
  for (std::size_t i = 0; i < ids.size() && simple; ++i) {
    simple = plain(ids[i].first) && plain(ids[i].second);
    for (std::size_t j = 0; j < i && simple; ++j) simple = ids[j].first != ids[i].first;
  }
  if (!simple) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [kind, value] : ids) j[kind] = value;
    return j.dump();
  }
  std::string out = "{";
  for (const auto& [kind, value] : ids) {
    if (out.size() > 1) out += ',';
    out.append("\"").append(kind).append("\":\"").append(value).append("\"");
  }
  out += '}';
  return out;
}

/// The smallest seq whose event was received at or after `t` (one past the last seq if none), or
/// a negative SQLite error code. `received` is non-decreasing in seq order (schema 3), so this
/// is a binary search over seq with point reads; it replaces an index on received.
std::int64_t first_seq_received(sqlite3* db, std::int64_t t) {
  Statement last, probe;
  if (int rc = last.prepare(db, "SELECT coalesce(max(seq), 0) FROM events"); rc != SQLITE_OK)
    return -rc;
  if (int rc = last.step(); rc != SQLITE_ROW) return rc == SQLITE_DONE ? -SQLITE_CORRUPT : -rc;
  const std::int64_t end = last.int64(0) + 1;
  if (int rc = probe.prepare(db,
                             "SELECT seq, received FROM events WHERE seq >= ?1 ORDER BY seq"
                             " LIMIT 1");
      rc != SQLITE_OK) {
    return -rc;
  }
  std::int64_t lo = 0, hi = end, found = end;  // the answer lies in [lo, hi) or is `found`
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    ResetGuard g(probe);
    probe.bind(1, mid);
    const int rc = probe.step();
    if (rc == SQLITE_DONE) {  // no row at or after mid
      hi = mid;
      continue;
    }
    if (rc != SQLITE_ROW) return -rc;
    const std::int64_t seq = probe.int64(0);
    if (probe.int64(1) >= t) {
      found = seq;  // rows in [mid, seq) do not exist
      hi = mid;
    } else {
      lo = seq + 1;
    }
  }
  return found;
}

/// Reads the ids column ({"kind":"value",...} as written by write_submits) into (kind, value)
/// pairs. Fast path for the flat, escape-free objects we write; anything else goes through
/// nlohmann (same result, slower).
void parse_ids_column(const std::string& text,
                      std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  const std::size_t n = text.size();
  bool simple =
      n >= 2 && text.front() == '{' && text.back() == '}' && text.find('\\') == std::string::npos;
  std::size_t i = 1;
  auto read_string = [&](std::string& s) {
    if (i >= n || text[i] != '"') return false;
    const std::size_t end = text.find('"', i + 1);
    if (end == std::string::npos) return false;
    s.assign(text, i + 1, end - i - 1);
    i = end + 1;
    return true;
  };
  while (simple && i < n - 1) {
    std::pair<std::string, std::string> kv;
    simple = read_string(kv.first) && i < n && text[i++] == ':' && read_string(kv.second);
    if (!simple) break;
    out.push_back(std::move(kv));
    if (i < n - 1) simple = text[i++] == ',';
  }
  if (simple) return;
  out.clear();
  const auto ids = nlohmann::json::parse(text, nullptr, false);
  if (!ids.is_object()) return;
  for (const auto& [kind, value] : ids.items())
    if (value.is_string()) out.emplace_back(kind, value.get<std::string>());
}

/// Suppression entries are SHA-256("hashgate/suppression/v1" 0 tenant 0 id), never the id itself,
/// so a purged identifier's bytes do not survive in the file (see docs/storage.md).
std::string suppression_digest(std::string_view tenant, std::string_view id) {
  static constexpr std::string_view k_domain = "hashgate/suppression/v1";
  std::string input;
  input.reserve(k_domain.size() + tenant.size() + id.size() + 2);
  input.append(k_domain).push_back('\0');
  input.append(tenant).push_back('\0');
  input.append(id);
  std::array<std::uint8_t, 32> md{};
  hashgate::sha256(input, md);  // SDK's low-level SHA256_*: no EVP fetch per event
  return std::string(md.begin(), md.end());
}

/// Canonical form of an identifier: ASCII lowercase. Hex digests are case-insensitive; hg_uid
/// values are lowercase hex from the gateway, so they are compared case-insensitively as well.
std::string canonical_id(std::string_view id) {
  std::string out(id);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// Mirror key: tenant and digest, so one set serves all tenants.
std::string mirror_key(std::string_view tenant, std::string_view id) {
  return suppression_digest(tenant, id);
}

std::error_code sqlite_error(int rc) { return {rc, sqlite_category()}; }

/// Parses stored JSON text for export; falls back to an empty object on anything unexpected.
nlohmann::ordered_json parse_object(const std::string& text) {
  if (text.empty()) return nlohmann::ordered_json::object();
  auto j = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return nlohmann::ordered_json::object();
  return j;
}

/// A unit of work for the writer thread; `kind` selects which fields are used.
struct Job {
  enum class Kind { submit, opt_out, opt_in, audit, purge };
  Kind kind = Kind::submit;
  std::vector<EventRecord> events;
  std::function<void(SubmitResult)> submit_done;
  std::string tenant;
  std::vector<std::string> ids;
  std::string uid;
  std::string source;
  std::function<void(OptOutResult)> opt_out_done;
  std::function<void(std::error_code)> opt_in_done;
  AuditEntry audit;
  std::int64_t cutoff = 0;
  std::shared_ptr<std::promise<std::size_t>> purge_result;
};

/// Calls a user callback, never letting an exception escape into the writer thread.
template <typename F, typename... A>
void invoke_safely(const F& f, A&&... args) {
  if (!f) return;
  try {
    f(std::forward<A>(args)...);
  } catch (...) {
    // A callback's failure must not stop the writer; the data is already durable.
  }
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(StoreConfig cfg) : m_cfg(std::move(cfg)) {}

  ~SqliteStore() override { close(); }

  std::error_code start(std::string& why);

  bool submit(std::vector<EventRecord> events, std::function<void(SubmitResult)> done) override;
  bool is_suppressed(const std::string& tenant, const std::string& id) const override;
  void opt_out(const std::string& tenant, std::vector<std::string> ids, std::string uid,
               std::string source, std::function<void(OptOutResult)> done) override;
  void opt_in(const std::string& tenant, std::vector<std::string> ids, std::string uid,
              std::function<void(std::error_code)> done) override;
  std::vector<std::string> export_events(const std::string& tenant, std::int64_t since,
                                         std::size_t limit) override;
  std::vector<AuditEntry> audit(const std::string& tenant, std::int64_t since,
                                std::size_t limit) override;
  void append_audit(AuditEntry entry) override;
  std::size_t purge_before(const std::string& tenant, std::int64_t cutoff) override;
  std::size_t queue_depth() const override;
  bool ready() const override { return m_ready.load(); }
  void close() override;

 private:
  std::int64_t now() const;
  bool enqueue(Job job);
  void writer_loop();
  void run_submit_batch(std::vector<Job>& batch);
  int write_submits(const std::vector<Job*>& jobs, std::vector<std::vector<Outcome>>& outcomes);
  void run_opt_out(Job& job);
  void run_opt_in(Job& job);
  void run_audit(Job& job);
  void run_purge(Job& job);
  int begin();
  int commit(std::chrono::steady_clock::time_point started);
  void rollback();
  void note_failure(int rc);
  int insert_audit(std::int64_t time, const std::string& tenant, const std::string& action,
                   const std::string& detail);
  /// Is the canonical `id` (or uid) of `tenant` in the suppression mirror?
  bool in_mirror(const std::string& tenant, const std::string& id) const;
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
  int write_index_rows(std::vector<IndexRow> rows, std::int64_t last);
  int run_index();
  /// One bounded step of indexing, in its own transaction, between group commits.
  int run_index_slice();
  int load_indexed_seq();
  void scrub_wal();
  std::error_code prepare_statements(std::string& why);

  StoreConfig m_cfg;
  Connection m_write;  // owned by the writer thread after start()
  Connection m_read;   // guarded by m_read_mu
  mutable std::mutex m_read_mu;

  Statement m_begin, m_commit, m_rollback;
  Statement m_insert_event, m_insert_event_id, m_upsert_link;
  Statement m_insert_suppression, m_delete_suppression, m_insert_audit;
  Statement m_links_by_id, m_links_by_uid, m_cooccurring_ids, m_uids_by_id, m_ids_by_uid;
  Statement m_delete_events_by_id, m_delete_events_by_uid, m_delete_links_by_id,
      m_delete_links_by_uid;
  Statement m_purge_events, m_purge_links;
  Statement m_select_unindexed, m_set_indexed_seq, m_get_indexed_seq;

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

  mutable std::shared_mutex m_mirror_mu;
  std::unordered_set<std::string> m_mirror;  // mirror_key(tenant, id) of every suppressed entry
};

std::int64_t SqliteStore::now() const {
  if (m_cfg.clock) return m_cfg.clock();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::error_code SqliteStore::start(std::string& why) {
  std::error_code fs_err;
  if (m_cfg.data_dir.empty()) {
    why = "store: data_dir is empty";
    return StoreErrc::open_failed;
  }
  std::filesystem::create_directories(m_cfg.data_dir, fs_err);
  if (fs_err) {
    why = "store: cannot create data_dir: " + fs_err.message();
    return StoreErrc::open_failed;
  }
  const std::string path = (std::filesystem::path(m_cfg.data_dir) / "hashgate.db").string();
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
  {
    // journal_mode=WAL silently stays as it was on file systems without shared memory: check.
    Statement s;
    s.prepare(m_write.get(), "PRAGMA journal_mode");
    if (s.step() != SQLITE_ROW || s.text(0) != "wal") {
      why = "store: hashgate.db could not be switched to WAL mode";
      return StoreErrc::open_failed;
    }
  }

  // Schema: read user_version, refuse newer files, run the missing migrations in one transaction.
  int version = 0;
  {
    Statement s;
    s.prepare(m_write.get(), "PRAGMA user_version");
    if (s.step() == SQLITE_ROW) version = static_cast<int>(s.int64(0));
  }
  if (version > k_schema_version) {
    why = "store: hashgate.db has schema version " + std::to_string(version) +
          ", this build knows up to " + std::to_string(k_schema_version);
    return StoreErrc::schema_too_new;
  }
  if (version < k_schema_version) {
    if (int rc = m_write.exec("BEGIN IMMEDIATE"); rc != SQLITE_OK) {
      why = "store: cannot start migration: " + m_write.message();
      return sqlite_error(rc);
    }
    for (int v = version; v < k_schema_version; ++v) {
      if (int rc = m_write.exec(k_migrations[v]); rc != SQLITE_OK) {
        why =
            "store: migration to schema " + std::to_string(v + 1) + " failed: " + m_write.message();
        m_write.exec("ROLLBACK");
        return sqlite_error(rc);
      }
    }
    const std::string set_version = "PRAGMA user_version=" + std::to_string(k_schema_version);
    if (int rc = m_write.exec(set_version.c_str()); rc != SQLITE_OK) {
      why = "store: cannot record schema version: " + m_write.message();
      m_write.exec("ROLLBACK");
      return sqlite_error(rc);
    }
    if (int rc = m_write.exec("COMMIT"); rc != SQLITE_OK) {
      why = "store: cannot commit migration: " + m_write.message();
      m_write.exec("ROLLBACK");
      return sqlite_error(rc);
    }
  }

  if (auto ec = prepare_statements(why)) return ec;

  {
    Statement s;
    s.prepare(m_write.get(), "SELECT received FROM events ORDER BY seq DESC LIMIT 1");
    if (s.step() == SQLITE_ROW) m_max_received = s.int64(0);
  }

  // Events accepted before a crash may not be indexed yet: index them before serving.
  if (int rc = load_indexed_seq(); rc != SQLITE_OK) {
    why = "store: cannot read the index state: " + m_write.message();
    return sqlite_error(rc);
  }
  m_unindexed = 1;
  if (int rc = run_index(); rc != SQLITE_OK) {
    why = "store: cannot index stored events: " + m_write.message();
    return sqlite_error(rc);
  }

  // Load the suppression mirror.
  {
    Statement s;
    s.prepare(m_write.get(), "SELECT digest FROM suppression");
    while (s.step() == SQLITE_ROW) m_mirror.insert(s.blob(0));
  }

  // The read connection: WAL lets it read a consistent snapshot beside the writer.
  if (int rc = m_read.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX); rc != SQLITE_OK) {
    why = "store: cannot open read connection: " + m_read.message();
    return sqlite_error(rc);
  }
  sqlite3_busy_timeout(m_read.get(), k_busy_timeout_ms);
  if (int rc = m_read.exec("PRAGMA query_only=ON;"); rc != SQLITE_OK) {
    why = "store: cannot configure read connection: " + m_read.message();
    return sqlite_error(rc);
  }

  m_ready = true;
  m_writer = std::thread([this] { writer_loop(); });
  return {};
}

std::error_code SqliteStore::prepare_statements(std::string& why) {
  sqlite3* db = m_write.get();
  struct Item {
    Statement* stmt;
    const char* sql;
  };
  const Item items[] = {
      {&m_begin, "BEGIN IMMEDIATE"},
      {&m_commit, "COMMIT"},
      {&m_rollback, "ROLLBACK"},
      {&m_insert_event,
       "INSERT OR IGNORE INTO events(tenant, event_id, type, time, received, ids, uid, online_ids,"
       " custom, legal_basis, consent) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"},
      {&m_insert_event_id,
       "INSERT OR IGNORE INTO event_ids(event, tenant, kind, id) VALUES(?1, ?2, ?3, ?4)"},
      {&m_upsert_link,
       "INSERT INTO links(tenant, uid, id, first_seen, last_seen) VALUES(?1, ?2, ?3, ?4, ?4)"
       " ON CONFLICT(tenant, uid, id) DO UPDATE SET"
       " first_seen = min(first_seen, excluded.first_seen),"
       " last_seen = max(last_seen, excluded.last_seen)"},
      {&m_insert_suppression,
       "INSERT OR IGNORE INTO suppression(tenant, digest, added) VALUES(?1, ?2, ?3)"},
      {&m_delete_suppression, "DELETE FROM suppression WHERE tenant = ?1 AND digest = ?2"},
      {&m_insert_audit, "INSERT INTO audit(time, tenant, action, detail) VALUES(?1, ?2, ?3, ?4)"},
      {&m_links_by_id, "SELECT uid FROM links WHERE tenant = ?1 AND id = ?2"},
      {&m_links_by_uid, "SELECT id FROM links WHERE tenant = ?1 AND uid = ?2"},
      {&m_cooccurring_ids,
       "SELECT DISTINCT b.id FROM event_ids a JOIN event_ids b ON b.event = a.event"
       " WHERE a.tenant = ?1 AND a.id = ?2"},
      {&m_uids_by_id,
       "SELECT DISTINCT e.uid FROM event_ids a JOIN events e ON e.seq = a.event"
       " WHERE a.tenant = ?1 AND a.id = ?2 AND e.uid <> ''"},
      {&m_ids_by_uid,
       "SELECT DISTINCT a.id FROM events e JOIN event_ids a ON a.event = e.seq"
       " WHERE e.tenant = ?1 AND e.uid = ?2 AND e.uid <> ''"},
      {&m_delete_events_by_id,
       "DELETE FROM events WHERE seq IN (SELECT event FROM event_ids WHERE tenant = ?1 AND id = "
       "?2)"},
      {&m_delete_events_by_uid, "DELETE FROM events WHERE tenant = ?1 AND uid = ?2 AND uid <> ''"},
      {&m_delete_links_by_id, "DELETE FROM links WHERE tenant = ?1 AND id = ?2"},
      {&m_delete_links_by_uid, "DELETE FROM links WHERE tenant = ?1 AND uid = ?2"},
      {&m_purge_events, "DELETE FROM events WHERE seq < ?3 AND tenant = ?1 AND received < ?2"},
      {&m_purge_links, "DELETE FROM links WHERE tenant = ?1 AND last_seen < ?2"},
      {&m_select_unindexed,
       "SELECT seq, tenant, ids, uid, received FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"},
      {&m_set_indexed_seq, "UPDATE store_state SET value = ?1 WHERE key = 'indexed_seq'"},
      {&m_get_indexed_seq, "SELECT value FROM store_state WHERE key = 'indexed_seq'"},
  };
  for (const auto& item : items) {
    if (int rc = item.stmt->prepare(db, item.sql); rc != SQLITE_OK) {
      why = std::string("store: cannot prepare statement: ") + m_write.message();
      return sqlite_error(rc);
    }
  }
  return {};
}

bool SqliteStore::enqueue(Job job) {
  {
    std::lock_guard lk(m_mu);
    if (m_closing) return false;
    if (job.kind == Job::Kind::submit) {
      const std::size_t n = job.events.size();
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
  Job job;
  job.kind = Job::Kind::submit;
  job.events = std::move(events);
  job.submit_done = std::move(done);
  return enqueue(std::move(job));
}

bool SqliteStore::is_suppressed(const std::string& tenant, const std::string& id) const {
  return in_mirror(tenant, canonical_id(id));
}

void SqliteStore::opt_out(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                          std::string source, std::function<void(OptOutResult)> done) {
  Job job;
  job.kind = Job::Kind::opt_out;
  job.tenant = tenant;
  job.ids = std::move(ids);
  job.uid = std::move(uid);
  job.source = std::move(source);
  job.opt_out_done = done;
  if (!enqueue(std::move(job))) {
    OptOutResult r;
    r.error = StoreErrc::closed;
    invoke_safely(done, r);
  }
}

void SqliteStore::opt_in(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                         std::function<void(std::error_code)> done) {
  Job job;
  job.kind = Job::Kind::opt_in;
  job.tenant = tenant;
  job.ids = std::move(ids);
  job.uid = std::move(uid);
  job.opt_in_done = done;
  if (!enqueue(std::move(job))) invoke_safely(done, make_error_code(StoreErrc::closed));
}

void SqliteStore::append_audit(AuditEntry entry) {
  Job job;
  job.kind = Job::Kind::audit;
  job.audit = std::move(entry);
  enqueue(std::move(job));
}

std::size_t SqliteStore::purge_before(const std::string& tenant, std::int64_t cutoff) {
  Job job;
  job.kind = Job::Kind::purge;
  job.tenant = tenant;
  job.cutoff = cutoff;
  job.purge_result = std::make_shared<std::promise<std::size_t>>();
  auto result = job.purge_result->get_future();
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
  for (Statement* s : {&m_begin,
                       &m_commit,
                       &m_rollback,
                       &m_insert_event,
                       &m_insert_event_id,
                       &m_upsert_link,
                       &m_insert_suppression,
                       &m_delete_suppression,
                       &m_insert_audit,
                       &m_links_by_id,
                       &m_links_by_uid,
                       &m_cooccurring_ids,
                       &m_uids_by_id,
                       &m_ids_by_uid,
                       &m_delete_events_by_id,
                       &m_delete_events_by_uid,
                       &m_delete_links_by_id,
                       &m_delete_links_by_uid,
                       &m_purge_events,
                       &m_purge_links,
                       &m_select_unindexed,
                       &m_set_indexed_seq,
                       &m_get_indexed_seq}) {
    s->finalize();
  }
  {
    std::lock_guard lk(m_read_mu);
    m_read.reset();
  }
  m_write.reset();
}

// ---- writer thread -------------------------------------------------------------------------

void SqliteStore::writer_loop() {
  pthread_setname_np(pthread_self(), "hg-writer");  // named in top, perf and /proc
  for (;;) {
    std::unique_lock lk(m_mu);
    const bool to_index = m_unindexed > 0 || m_generation.has_value();
    if (to_index || m_needs_scrub) {
      const auto wait = to_index ? k_index_idle : k_scrub_retry;
      if (!m_cv.wait_for(lk, wait, [&] { return !m_queue.empty() || m_closing; })) {
        lk.unlock();
        if (to_index) run_index();       // idle: index the accepted events
        if (m_needs_scrub) scrub_wal();  // idle: retry the post-purge WAL truncation
        continue;
      }
    } else {
      m_cv.wait(lk, [&] { return !m_queue.empty() || m_closing; });
    }
    if (m_queue.empty()) {  // closing and drained
      lk.unlock();
      if (m_unindexed > 0 || m_generation) run_index();
      break;
    }

    Job first = std::move(m_queue.front());
    m_queue.pop_front();
    if (first.kind != Job::Kind::submit) {
      lk.unlock();
      switch (first.kind) {
        case Job::Kind::opt_out:
          run_opt_out(first);
          break;
        case Job::Kind::opt_in:
          run_opt_in(first);
          break;
        case Job::Kind::audit:
          run_audit(first);
          break;
        case Job::Kind::purge:
          run_purge(first);
          break;
        case Job::Kind::submit:
          break;
      }
      continue;
    }

    // Group commit: take consecutive submit jobs (FIFO order is kept with other job kinds) up
    // to max_batch_events, waiting at most max_batch_delay for more to arrive.
    std::vector<Job> batch;
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
      Job& next = m_queue.front();
      if (next.kind != Job::Kind::submit) break;
      if (n + next.events.size() > m_cfg.max_batch_events) break;
      n += next.events.size();
      m_pending_events -= next.events.size();
      batch.push_back(std::move(next));
      m_queue.pop_front();
    }
    lk.unlock();
    run_submit_batch(batch);
    // Indexing runs in slices between group commits, so no request waits for a whole pass.
    if (m_generation || m_unindexed >= k_index_batch) run_index_slice();
  }
}

int SqliteStore::begin() {
  ResetGuard g(m_begin);
  int rc = m_begin.step();
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int SqliteStore::commit(std::chrono::steady_clock::time_point started) {
  int rc;
  {
    ResetGuard g(m_commit);
    rc = m_commit.step();
  }
  if (rc != SQLITE_DONE) {
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
    ResetGuard g(m_rollback);                        // already have rolled back on I/O errors)
    m_rollback.step();
  }
  // An indexing pass inside the rolled-back transaction may have moved the watermark, and the
  // writer's record may name rolled-back events: read the watermark back, rebuild from the table.
  m_backlog.clear();
  m_backlog_valid = false;
  m_generation.reset();
  if (load_indexed_seq() == SQLITE_OK) m_unindexed = std::max<std::size_t>(m_unindexed, 1);
}

int SqliteStore::load_indexed_seq() {
  ResetGuard g(m_get_indexed_seq);
  int rc = m_get_indexed_seq.step();
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_CORRUPT : rc;
  m_indexed_seq = m_get_indexed_seq.int64(0);
  return SQLITE_OK;
}

/// Copies the ids of up to `max_events` accepted events past the watermark into event_ids and
/// links, sorted by key, and moves the watermark, inside the caller's transaction.
int SqliteStore::index_events() {
  if (m_generation) {  // a pass written in slices so far: finish it
    if (int rc = write_slice(*m_generation, std::numeric_limits<std::size_t>::max());
        rc != SQLITE_OK)
      return rc;
    m_generation.reset();
  }
  if (m_backlog_valid) {
    // Fast path: the writer recorded every event it committed since the watermark.
    std::vector<IndexRow> rows;
    rows.swap(m_backlog);
    return write_index_rows(std::move(rows), m_last_seq);
  }
  // After a start-up or a rollback: read what is past the watermark back from the events table.
  std::vector<std::pair<std::string, std::string>> ids;
  for (;;) {
    std::vector<IndexRow> rows;
    std::int64_t last = m_indexed_seq;
    std::size_t n = 0;
    {
      ResetGuard g(m_select_unindexed);
      m_select_unindexed.bind(1, m_indexed_seq);
      m_select_unindexed.bind(2, k_index_chunk);
      int step;
      while ((step = m_select_unindexed.step()) == SQLITE_ROW) {
        ++n;
        last = m_select_unindexed.int64(0);
        parse_ids_column(m_select_unindexed.text(2), ids);
        for (auto& [kind, value] : ids) {
          rows.push_back(IndexRow{m_select_unindexed.text(1), std::move(value), std::move(kind),
                                  m_select_unindexed.text(3), last, m_select_unindexed.int64(4)});
        }
      }
      if (step != SQLITE_DONE) return step;
    }
    if (n == 0) break;
    if (int rc = write_index_rows(std::move(rows), last); rc != SQLITE_OK) return rc;
    if (n < static_cast<std::size_t>(k_index_chunk)) break;
  }
  // Caught up: from now on the writer's own record is complete.
  m_backlog.clear();
  m_last_seq = m_indexed_seq;
  m_backlog_valid = true;
  return SQLITE_OK;
}

SqliteStore::Generation SqliteStore::make_generation(std::vector<IndexRow> rows,
                                                     std::int64_t last) {
  // Key order: neighbouring inserts land on the same b-tree pages. The rows stay in place; index
  // arrays are sorted (moving four strings per swap cost more than the comparisons).
  Generation g;
  g.rows = std::move(rows);
  g.last = last;
  g.id_order.resize(g.rows.size());
  for (std::size_t i = 0; i < g.id_order.size(); ++i) g.id_order[i] = static_cast<std::uint32_t>(i);
  const auto& r = g.rows;
  // Links only for rows with a uid (browser events); server events have none.
  for (std::uint32_t k : g.id_order)
    if (!r[k].uid.empty()) g.link_order.push_back(k);
  std::sort(g.id_order.begin(), g.id_order.end(), [&](std::uint32_t x, std::uint32_t y) {
    return std::tie(r[x].tenant, r[x].id, r[x].seq, r[x].kind) <
           std::tie(r[y].tenant, r[y].id, r[y].seq, r[y].kind);
  });
  std::sort(g.link_order.begin(), g.link_order.end(), [&](std::uint32_t x, std::uint32_t y) {
    return std::tie(r[x].tenant, r[x].uid, r[x].id) < std::tie(r[y].tenant, r[y].uid, r[y].id);
  });
  return g;
}

int SqliteStore::write_slice(Generation& g, std::size_t max_rows) {
  // event_ids inserts are OR IGNORE: after a crash between two slices, the events past the
  // watermark are indexed again from the table, and the rows of committed slices are there.
  for (std::size_t n = 0; n < max_rows && g.id_pos < g.id_order.size(); ++n, ++g.id_pos) {
    const IndexRow& r = g.rows[g.id_order[g.id_pos]];
    ResetGuard guard(m_insert_event_id);  // `g.rows` is not changed while a row is bound
    m_insert_event_id.bind(1, r.seq);
    m_insert_event_id.bind_static(2, r.tenant);
    m_insert_event_id.bind_static(3, r.kind);
    m_insert_event_id.bind_static(4, r.id);
    if (int s = m_insert_event_id.step(); s != SQLITE_DONE) return s;
  }
  for (std::size_t n = 0; n < max_rows && g.link_pos < g.link_order.size(); ++n, ++g.link_pos) {
    const IndexRow& r = g.rows[g.link_order[g.link_pos]];
    ResetGuard guard(m_upsert_link);
    m_upsert_link.bind_static(1, r.tenant);
    m_upsert_link.bind_static(2, r.uid);
    m_upsert_link.bind_static(3, r.id);
    m_upsert_link.bind(4, r.received);
    if (int s = m_upsert_link.step(); s != SQLITE_DONE) return s;
  }
  if (!g.done()) return SQLITE_OK;
  if (g.last > m_indexed_seq) {
    ResetGuard guard(m_set_indexed_seq);
    m_set_indexed_seq.bind(1, g.last);
    if (int s = m_set_indexed_seq.step(); s != SQLITE_DONE) return s;
    m_indexed_seq = g.last;
  }
  return SQLITE_OK;
}

int SqliteStore::write_index_rows(std::vector<IndexRow> rows, std::int64_t last) {
  Generation g = make_generation(std::move(rows), last);
  return write_slice(g, std::numeric_limits<std::size_t>::max());
}

/// One indexing pass over everything accepted so far, in its own transaction.
int SqliteStore::run_index() {
  const auto started = std::chrono::steady_clock::now();
  int rc = begin();
  if (rc == SQLITE_OK) rc = index_events();
  if (rc == SQLITE_OK) {
    rc = commit(started);
    if (rc == SQLITE_OK) m_unindexed = 0;
  } else {
    rollback();
    note_failure(rc);
  }
  return rc;
}

int SqliteStore::run_index_slice() {
  if (!m_backlog_valid) return run_index();  // after a rollback: catch up from the table
  const auto started = std::chrono::steady_clock::now();
  if (!m_generation) {
    std::vector<IndexRow> rows;
    rows.swap(m_backlog);
    m_generation = make_generation(std::move(rows), m_last_seq);
    m_unindexed = 0;
  }
  int rc = begin();
  if (rc == SQLITE_OK) rc = write_slice(*m_generation, m_cfg.index_slice_rows);
  if (rc == SQLITE_OK) rc = commit(started);
  if (rc != SQLITE_OK) {
    rollback();  // forgets the generation; the table is the record again
    note_failure(rc);
    return rc;
  }
  if (m_generation->done()) m_generation.reset();
  invoke_safely(m_cfg.after_index_slice);
  return SQLITE_OK;
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

int SqliteStore::insert_audit(std::int64_t time, const std::string& tenant,
                              const std::string& action, const std::string& detail) {
  ResetGuard g(m_insert_audit);
  m_insert_audit.bind(1, time);
  m_insert_audit.bind(2, tenant);
  m_insert_audit.bind(3, action);
  m_insert_audit.bind(4, detail);
  int rc = m_insert_audit.step();
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

bool SqliteStore::in_mirror(const std::string& tenant, const std::string& id) const {
  if (id.empty()) return false;
  // The mirror holds every committed suppression entry and only the writer thread changes it
  // (after its opt-out/opt-in commits), so on that thread it is exact: no table lookup per event.
  std::shared_lock lk(m_mirror_mu);
  if (m_mirror.empty()) return false;  // nobody opted out: no digest to compute
  return m_mirror.count(mirror_key(tenant, id)) != 0;
}

void SqliteStore::run_submit_batch(std::vector<Job>& batch) {
  std::vector<Job*> all;
  for (Job& j : batch) all.push_back(&j);
  std::vector<std::vector<Outcome>> outcomes;
  const int rc = write_submits(all, outcomes);
  if (rc == SQLITE_OK || batch.size() == 1) {
    // Only now, after COMMIT returned SQLITE_OK (or the transaction was rolled back), report.
    for (std::size_t j = 0; j < batch.size(); ++j) {
      SubmitResult r;
      if (rc == SQLITE_OK)
        r.outcomes = std::move(outcomes[j]);
      else
        r.error = sqlite_error(rc);
      invoke_safely(batch[j].submit_done, std::move(r));
    }
    return;
  }
  // The group failed as a whole: retry each request in its own transaction so one bad request
  // (or a transient error) does not fail the requests it happened to share a commit with.
  for (Job& job : batch) {
    std::vector<Job*> one{&job};
    std::vector<std::vector<Outcome>> single;
    const int r1 = write_submits(one, single);
    SubmitResult r;
    if (r1 == SQLITE_OK)
      r.outcomes = std::move(single[0]);
    else
      r.error = sqlite_error(r1);
    invoke_safely(job.submit_done, std::move(r));
  }
}

int SqliteStore::write_submits(const std::vector<Job*>& jobs,
                               std::vector<std::vector<Outcome>>& outcomes) {
  const auto started = std::chrono::steady_clock::now();
  outcomes.assign(jobs.size(), {});
  int rc = begin();
  for (std::size_t j = 0; j < jobs.size() && rc == SQLITE_OK; ++j) {
    auto& out = outcomes[j];
    out.reserve(jobs[j]->events.size());
    for (EventRecord& ev : jobs[j]->events) {
      for (auto& [kind, value] : ev.ids) value = canonical_id(value);
      ev.uid = canonical_id(ev.uid);
      ev.received = std::max(ev.received, m_max_received);
      bool suppressed = in_mirror(ev.tenant, ev.uid);
      for (const auto& kv : ev.ids) suppressed = suppressed || in_mirror(ev.tenant, kv.second);
      if (suppressed) {
        out.push_back(Outcome::suppressed);
        continue;
      }
      {
        // Every bound string outlives the step: `ev`'s members, `ids` below, literals.
        const std::string ids = ids_column(ev.ids);
        ResetGuard g(m_insert_event);
        m_insert_event.bind_static(1, ev.tenant);
        m_insert_event.bind_static(2, ev.event_id);
        m_insert_event.bind_static(3, ev.type);
        m_insert_event.bind(4, ev.time);
        m_insert_event.bind(5, ev.received);
        m_insert_event.bind_static(6, ids);
        m_insert_event.bind_static(7, ev.uid);
        m_insert_event.bind_static(8, json_or_empty(ev.online_ids_json));
        m_insert_event.bind_static(9, json_or_empty(ev.custom_json));
        m_insert_event.bind_static(10, ev.legal_basis);
        m_insert_event.bind_static(11, json_or_empty(ev.consent_summary));
        int s = m_insert_event.step();
        if (s != SQLITE_DONE) {
          rc = s;
          break;
        }
      }
      if (sqlite3_changes(m_write.get()) == 0) {
        out.push_back(Outcome::duplicate);  // UNIQUE(tenant, event_id), also within this batch
        continue;
      }
      // event_ids and links are filled later, in bulk (index_events).
      const std::int64_t seq = sqlite3_last_insert_rowid(m_write.get());
      if (m_backlog_valid) {
        for (const auto& [kind, value] : ev.ids)
          m_backlog.push_back(IndexRow{ev.tenant, value, kind, ev.uid, seq, ev.received});
        m_last_seq = seq;
      }
      out.push_back(Outcome::accepted);
      m_max_received = ev.received;
      ++m_unindexed;
    }
  }
  if (rc == SQLITE_OK) {
    rc = commit(started);
  } else {
    rollback();
    note_failure(rc);
  }
  return rc;
}

void SqliteStore::run_opt_out(Job& job) {
  const auto started = std::chrono::steady_clock::now();
  OptOutResult result;
  const std::string& tenant = job.tenant;

  // Fan-out: breadth-first closure over uid ↔ id links and ids that occur in one event.
  std::unordered_set<std::string> seen_ids;
  std::unordered_set<std::string> seen_uids;
  std::deque<std::pair<bool, std::string>> frontier;  // {is_uid, value}
  for (const auto& id : job.ids) {
    if (!id.empty() && seen_ids.insert(canonical_id(id)).second)
      frontier.emplace_back(false, canonical_id(id));
  }
  const std::string start_uid = canonical_id(job.uid);
  if (!start_uid.empty() && seen_uids.insert(start_uid).second)
    frontier.emplace_back(true, start_uid);

  int rc = begin();
  if (rc == SQLITE_OK) rc = index_events();  // the fan-out reads event_ids and links
  bool truncated = false;
  auto visit = [&](Statement& s, const std::string& value, bool yields_uid) {
    ResetGuard g(s);
    s.bind(1, tenant);
    s.bind(2, value);
    int step;
    while ((step = s.step()) == SQLITE_ROW) {
      std::string found = s.text(0);
      if (found.empty()) continue;
      if (seen_ids.size() + seen_uids.size() >= k_max_closure) {
        truncated = true;
        break;
      }
      auto& seen = yields_uid ? seen_uids : seen_ids;
      if (seen.insert(found).second) frontier.emplace_back(yields_uid, std::move(found));
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = step;
  };
  while (rc == SQLITE_OK && !frontier.empty()) {
    auto [is_uid, value] = std::move(frontier.front());
    frontier.pop_front();
    if (is_uid) {
      visit(m_links_by_uid, value, false);
      visit(m_ids_by_uid, value, false);
    } else {
      visit(m_links_by_id, value, true);
      visit(m_uids_by_id, value, true);
      visit(m_cooccurring_ids, value, false);
    }
  }

  const std::int64_t t = now();
  std::vector<std::string> added_keys;
  auto suppress_and_purge = [&](const std::string& value, bool is_uid) {
    if (rc != SQLITE_OK) return;
    const std::string digest = suppression_digest(tenant, value);
    {
      ResetGuard g(m_insert_suppression);
      m_insert_suppression.bind(1, tenant);
      m_insert_suppression.bind_blob(2, digest);
      m_insert_suppression.bind(3, t);
      if (int s = m_insert_suppression.step(); s != SQLITE_DONE) {
        rc = s;
        return;
      }
      if (sqlite3_changes(m_write.get()) > 0) ++result.ids_suppressed;
      added_keys.push_back(digest);
    }
    Statement& del_events = is_uid ? m_delete_events_by_uid : m_delete_events_by_id;
    {
      ResetGuard g(del_events);
      del_events.bind(1, tenant);
      del_events.bind(2, value);
      if (int s = del_events.step(); s != SQLITE_DONE) {
        rc = s;
        return;
      }
      result.events_purged += static_cast<std::size_t>(sqlite3_changes(m_write.get()));
    }
    Statement& del_links = is_uid ? m_delete_links_by_uid : m_delete_links_by_id;
    ResetGuard g(del_links);
    del_links.bind(1, tenant);
    del_links.bind(2, value);
    if (int s = del_links.step(); s != SQLITE_DONE) rc = s;
  };
  for (const auto& id : seen_ids) suppress_and_purge(id, false);
  for (const auto& uid : seen_uids) suppress_and_purge(uid, true);

  if (rc == SQLITE_OK) {
    nlohmann::ordered_json detail = {{"ids_suppressed", result.ids_suppressed},
                                     {"events_purged", result.events_purged},
                                     {"source", job.source}};
    if (truncated) detail["closure_truncated"] = true;
    rc = insert_audit(t, tenant, "optout", detail.dump());
  }
  if (rc == SQLITE_OK) {
    m_needs_scrub = true;  // the purged rows' old page images are still in the WAL
    rc = commit(started);
  } else {
    rollback();
  }
  if (rc == SQLITE_OK) {
    std::unique_lock lk(m_mirror_mu);
    for (auto& k : added_keys) m_mirror.insert(std::move(k));
  } else {
    result = OptOutResult{};
    result.error = sqlite_error(rc);
  }
  invoke_safely(job.opt_out_done, result);
}

void SqliteStore::run_opt_in(Job& job) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> values;
  for (const auto& id : job.ids) {
    if (!id.empty()) values.push_back(canonical_id(id));
  }
  if (!job.uid.empty()) values.push_back(canonical_id(job.uid));
  std::vector<std::string> removed;
  int rc = begin();
  for (const auto& v : values) {
    if (rc != SQLITE_OK) break;
    const std::string digest = suppression_digest(job.tenant, v);
    ResetGuard g(m_delete_suppression);
    m_delete_suppression.bind(1, job.tenant);
    m_delete_suppression.bind_blob(2, digest);
    if (int s = m_delete_suppression.step(); s != SQLITE_DONE)
      rc = s;
    else if (sqlite3_changes(m_write.get()) > 0)
      removed.push_back(digest);
  }
  if (rc == SQLITE_OK) {
    nlohmann::ordered_json detail = {{"ids_removed", removed.size()}};
    rc = insert_audit(now(), job.tenant, "optin", detail.dump());
  }
  if (rc == SQLITE_OK)
    rc = commit(started);
  else
    rollback();
  if (rc == SQLITE_OK) {
    std::unique_lock lk(m_mirror_mu);
    for (const auto& k : removed) m_mirror.erase(k);
  }
  invoke_safely(job.opt_in_done, rc == SQLITE_OK ? std::error_code{} : sqlite_error(rc));
}

void SqliteStore::run_audit(Job& job) {
  const auto started = std::chrono::steady_clock::now();
  int rc = begin();
  if (rc == SQLITE_OK) {
    const std::int64_t t = job.audit.time != 0 ? job.audit.time : now();
    rc = insert_audit(t, job.audit.tenant, job.audit.action,
                      job.audit.detail.empty() ? "{}" : job.audit.detail);
  }
  if (rc == SQLITE_OK)
    commit(started);
  else
    rollback();
}

void SqliteStore::run_purge(Job& job) {
  const auto started = std::chrono::steady_clock::now();
  std::size_t events = 0;
  std::size_t links = 0;
  int rc = begin();
  if (rc == SQLITE_OK) rc = index_events();  // links of the kept events stay current
  const std::int64_t end = rc == SQLITE_OK ? first_seq_received(m_write.get(), job.cutoff) : 0;
  if (end < 0) rc = static_cast<int>(-end);
  if (rc == SQLITE_OK) {
    ResetGuard g(m_purge_events);
    m_purge_events.bind(1, job.tenant);
    m_purge_events.bind(2, job.cutoff);
    m_purge_events.bind(3, end);
    if (int s = m_purge_events.step(); s != SQLITE_DONE)
      rc = s;
    else
      events = static_cast<std::size_t>(sqlite3_changes(m_write.get()));
  }
  if (rc == SQLITE_OK) {
    ResetGuard g(m_purge_links);
    m_purge_links.bind(1, job.tenant);
    m_purge_links.bind(2, job.cutoff);
    if (int s = m_purge_links.step(); s != SQLITE_DONE)
      rc = s;
    else
      links = static_cast<std::size_t>(sqlite3_changes(m_write.get()));
  }
  if (rc == SQLITE_OK) {
    nlohmann::ordered_json detail = {
        {"cutoff", job.cutoff}, {"events_purged", events}, {"links_purged", links}};
    rc = insert_audit(now(), job.tenant, "retention", detail.dump());
  }
  if (rc == SQLITE_OK) {
    m_needs_scrub = events + links > 0;
    rc = commit(started);
  } else {
    rollback();
  }
  job.purge_result->set_value(rc == SQLITE_OK ? events : 0);
}

// ---- readers -------------------------------------------------------------------------------

std::vector<std::string> SqliteStore::export_events(const std::string& tenant, std::int64_t since,
                                                    std::size_t limit) {
  std::vector<std::string> lines;
  std::size_t skipped = 0;
  {
    std::lock_guard lk(m_read_mu);
    if (m_read.get() == nullptr || limit == 0) return lines;
    // One read transaction, so the seq bound and the rows come from the same snapshot.
    if (m_read.exec("BEGIN") != SQLITE_OK) return lines;
    struct EndRead {
      Connection& c;
      ~EndRead() { c.exec("COMMIT"); }
    } end_read{m_read};
    const std::int64_t from = first_seq_received(m_read.get(), since);
    Statement s;
    if (from < 0 || s.prepare(m_read.get(),
                              "SELECT event_id, type, time, received, ids, uid, online_ids, custom,"
                              " legal_basis, consent FROM events"
                              " WHERE seq >= ?3 AND tenant = ?1 AND received >= ?2"
                              " ORDER BY seq") != SQLITE_OK) {
      return lines;
    }
    s.bind(1, tenant);
    s.bind(2, since);
    s.bind(3, from);
    while (lines.size() < limit && s.step() == SQLITE_ROW) {
      auto ids = parse_object(s.text(4));
      const std::string uid = s.text(5);
      // Suppressed people's events are purged at opt-out; filter anyway (defence in depth).
      bool suppressed = !uid.empty() && is_suppressed(tenant, uid);
      for (const auto& [kind, value] : ids.items()) {
        if (value.is_string() && is_suppressed(tenant, value.get<std::string>())) suppressed = true;
      }
      if (suppressed) {
        ++skipped;
        continue;
      }
      nlohmann::ordered_json line = {
          {"event_id", s.text(0)},  {"type", s.text(1)},     {"time", s.int64(2)},
          {"received", s.int64(3)}, {"ids", std::move(ids)},
      };
      if (!uid.empty()) line["uid"] = uid;
      line["online_ids"] = parse_object(s.text(6));
      line["custom"] = parse_object(s.text(7));
      line["legal_basis"] = s.text(8);
      line["consent"] = parse_object(s.text(9));
      lines.push_back(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  nlohmann::ordered_json detail = {{"since", since}, {"events", lines.size()}};
  if (skipped > 0) detail["suppressed_skipped"] = skipped;
  append_audit(AuditEntry{now(), tenant, "export", detail.dump()});
  return lines;
}

std::vector<AuditEntry> SqliteStore::audit(const std::string& tenant, std::int64_t since,
                                           std::size_t limit) {
  std::vector<AuditEntry> out;
  std::lock_guard lk(m_read_mu);
  if (m_read.get() == nullptr || limit == 0) return out;
  Statement s;
  // Gateway-wide entries (tenant "") such as start-up are visible to every tenant.
  if (s.prepare(m_read.get(),
                "SELECT time, tenant, action, detail FROM audit"
                " WHERE (tenant = ?1 OR tenant = '') AND time >= ?2 ORDER BY time, seq LIMIT ?3") !=
      SQLITE_OK) {
    return out;
  }
  s.bind(1, tenant);
  s.bind(2, since);
  s.bind(3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  while (s.step() == SQLITE_ROW) {
    out.push_back(AuditEntry{s.int64(0), s.text(1), s.text(2), s.text(3)});
  }
  return out;
}

}  // namespace

std::unique_ptr<Store> Store::open(const StoreConfig& cfg, std::error_code& err, std::string& why) {
  auto store = std::make_unique<SqliteStore>(cfg);
  err = store->start(why);
  if (err) {
    store->close();
    return nullptr;
  }
  return store;
}

}  // namespace hashgate::gw
