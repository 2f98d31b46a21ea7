// What one stored event costs SQLite alone, outside the gateway: the `events` table of the
// store's schema, group commits of 32 rows with synchronous=FULL in WAL mode, with or without
// each secondary index. Run by sqlite_cost.sh under callgrind (instructions per row) — a
// load-independent figure for deciding which index an event can afford (docs/performance.md).
//
//   sqlite_cost DB_PATH VARIANT ROWS      VARIANT bits: 1 = events_received, 2 = events_uid
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

bool ok(int rc, sqlite3* db, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
  std::fprintf(stderr, "sqlite_cost: %s: %s\n", what, sqlite3_errmsg(db));
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: sqlite_cost DB_PATH VARIANT ROWS\n");
    return 64;
  }
  const std::string path = argv[1];
  const int variant = std::atoi(argv[2]);
  const int rows = std::atoi(argv[3]);
  constexpr int k_batch = 32;
  sqlite3* db = nullptr;
  if (!ok(sqlite3_open(path.c_str(), &db), db, "open")) return 1;
  const std::string schema =
      std::string(
          "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;"
          " PRAGMA cache_size=-32768;"
          "CREATE TABLE events(seq INTEGER PRIMARY KEY, tenant TEXT NOT NULL, event_id TEXT NOT "
          "NULL, type TEXT NOT NULL, time INTEGER NOT NULL, received INTEGER NOT NULL, ids TEXT "
          "NOT NULL DEFAULT '{}', uid TEXT NOT NULL DEFAULT '', online_ids TEXT NOT NULL DEFAULT "
          "'{}', custom TEXT NOT NULL DEFAULT '{}', legal_basis TEXT NOT NULL DEFAULT '', consent "
          "TEXT NOT NULL DEFAULT '{}', UNIQUE(tenant, event_id));") +
      ((variant & 1) ? "CREATE INDEX events_received ON events(tenant, received);" : "") +
      ((variant & 2) ? "CREATE INDEX events_uid ON events(tenant, uid) WHERE uid <> '';" : "");
  if (!ok(sqlite3_exec(db, schema.c_str(), nullptr, nullptr, nullptr), db, "schema")) return 1;
  sqlite3_stmt* ins = nullptr;
  if (!ok(sqlite3_prepare_v2(db,
                             "INSERT OR IGNORE INTO events(tenant, event_id, type, time, received,"
                             " ids, uid, online_ids, custom, legal_basis, consent)"
                             " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                             -1, &ins, nullptr),
          db, "prepare")) {
    return 1;
  }
  // The shape of bench/gateway/events.lua's events after the gateway's canonicalisation.
  const std::string ids =
      R"({"em":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"})";
  const std::string custom = R"({"currency":"EUR","value":59.95})";
  const std::string consent = R"({"gdpr":0})";
  for (int i = 0; i < rows;) {
    if (!ok(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), db, "begin")) return 1;
    for (int j = 0; j < k_batch && i < rows; ++j, ++i) {
      const std::string event_id = "b1-" + std::to_string(i % 2) + "-" + std::to_string(i);
      sqlite3_bind_text(ins, 1, "demo", 4, SQLITE_STATIC);
      sqlite3_bind_text(ins, 2, event_id.data(), static_cast<int>(event_id.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 3, "purchase", 8, SQLITE_STATIC);
      sqlite3_bind_int64(ins, 4, 1764374400);
      sqlite3_bind_int64(ins, 5, 1764374400 + i / 30000);
      sqlite3_bind_text(ins, 6, ids.data(), static_cast<int>(ids.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 7, "", 0, SQLITE_STATIC);
      sqlite3_bind_text(ins, 8, "{}", 2, SQLITE_STATIC);
      sqlite3_bind_text(ins, 9, custom.data(), static_cast<int>(custom.size()), SQLITE_STATIC);
      sqlite3_bind_text(ins, 10, "consent", 7, SQLITE_STATIC);
      sqlite3_bind_text(ins, 11, consent.data(), static_cast<int>(consent.size()), SQLITE_STATIC);
      if (!ok(sqlite3_step(ins), db, "insert")) return 1;
      sqlite3_reset(ins);
    }
    if (!ok(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit")) return 1;
  }
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return 0;
}
