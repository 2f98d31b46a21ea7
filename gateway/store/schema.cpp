// The store's schema, one migration per version (schema.hpp). Append a migration to change it;
// never edit one that has shipped: files written by it exist.

#include "schema.hpp"

#include "store.hpp"
#include "util.hpp"

namespace hashgate::gw::store_detail {

const Migration k_migrations[] = {
    // 0 → 1: the initial schema.
    {1, R"sql(
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
)sql"},
    // 1 → 2: fewer b-tree writes per event. event_ids becomes a WITHOUT ROWID table clustered on
    // (tenant, id) — the opt-out lookup key — instead of a rowid table plus an index; events_uid
    // only indexes events that carry a uid (server-to-server events have none); store_state keeps
    // `indexed_seq`, the last event whose ids are in event_ids and links (deferred indexing).
    {2, R"sql(
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
)sql"},
    // 2 → 3: no events_received index (one b-tree insert less per event). `received` becomes
    // non-decreasing in seq order (the writer keeps it so; rows of older versions are raised to
    // the running maximum here), so retention and export find their seq range by binary search.
    {3, R"sql(
DROP INDEX events_received;
UPDATE events SET received = w.m
  FROM (SELECT seq, max(received) OVER (ORDER BY seq) AS m FROM events) AS w
  WHERE events.seq = w.seq AND events.received < w.m;
)sql"},
    // 3 → 4: export cursors. An export line's cursor is its event's seq, so a seq must never be
    // given out twice. SQLite hands out max(seq) + 1, which reuses the seqs of the newest events
    // once an opt-out or retention purge deleted them; `seq_floor` keeps the highest seq ever
    // given out at such a deletion, and the writer assigns past it (docs/storage.md, "Export
    // cursor").
    {4, R"sql(
INSERT OR IGNORE INTO store_state(key, value)
  VALUES('seq_floor', (SELECT coalesce(max(seq), 0) FROM events));
)sql"},
    // 4 → 5: onboarding (issue 14; docs/onboarding.md, "Data model"). Digests are BLOBs of their
    // own length (32, 20 or 16 bytes) with the kind as an integer (onboarding::IdKind); member
    // keys are 16-byte BLOBs. `graph` and `persons` are built from a publisher's events that carry
    // a uid or online ids (store_state 'graph_seq.<tenant>' is how far); matches keep the member
    // keys of their audience (differencing rule) and their people in order (the export's cursor).
    // IF NOT EXISTS: a test re-runs migrations on a file whose version was set back.
    {5, R"sql(
CREATE TABLE IF NOT EXISTS audiences(
  tenant  TEXT    NOT NULL,
  name    TEXT    NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  PRIMARY KEY(tenant, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audience_members(
  tenant     TEXT NOT NULL,
  audience   TEXT NOT NULL,
  member_key BLOB NOT NULL,
  PRIMARY KEY(tenant, audience, member_key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audience_ids(
  tenant     TEXT    NOT NULL,
  audience   TEXT    NOT NULL,
  kind       INTEGER NOT NULL,
  digest     BLOB    NOT NULL,
  member_key BLOB    NOT NULL,
  PRIMARY KEY(tenant, audience, kind, digest, member_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS audience_ids_digest ON audience_ids(tenant, digest);
CREATE INDEX IF NOT EXISTS audience_ids_member ON audience_ids(tenant, audience, member_key);
CREATE TABLE IF NOT EXISTS persons(
  tenant     TEXT    NOT NULL,
  person     TEXT    NOT NULL,
  uid        TEXT    NOT NULL,
  online_ids TEXT    NOT NULL,
  last_seen  INTEGER NOT NULL,
  PRIMARY KEY(tenant, person)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS graph(
  tenant    TEXT    NOT NULL,
  kind      INTEGER NOT NULL,
  digest    BLOB    NOT NULL,
  person    TEXT    NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY(tenant, kind, digest, person)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS graph_person ON graph(tenant, person);
CREATE TABLE IF NOT EXISTS matches(
  match_id         TEXT    PRIMARY KEY,
  agreement        TEXT    NOT NULL,
  advertiser       TEXT    NOT NULL,
  publisher        TEXT    NOT NULL,
  audience         TEXT    NOT NULL,
  released         INTEGER NOT NULL,
  matched          INTEGER NOT NULL,
  audience_members INTEGER NOT NULL,
  removed          INTEGER NOT NULL DEFAULT 0,
  created          INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS matches_agreement ON matches(agreement);
CREATE TABLE IF NOT EXISTS match_members(
  match_id TEXT NOT NULL,
  key      BLOB NOT NULL,
  PRIMARY KEY(match_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS match_persons(
  match_id TEXT    NOT NULL,
  pos      INTEGER NOT NULL,
  person   TEXT    NOT NULL,
  PRIMARY KEY(match_id, pos)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS match_persons_person ON match_persons(match_id, person);
)sql"},
    // 5 → 6: destinations (issue 16, docs/destinations.md). `outbox`: one row per message still
    // to deliver, per destination; an event row references its event, so purging the event drops
    // it. `ledger`: which hashed id (or uid) went to which destination, for opt-out propagation.
    {6, R"sql(
CREATE TABLE IF NOT EXISTS outbox(
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant      TEXT    NOT NULL,
  destination TEXT    NOT NULL,
  kind        INTEGER NOT NULL,
  event       INTEGER REFERENCES events(seq) ON DELETE CASCADE,
  payload     TEXT,
  dma         INTEGER NOT NULL DEFAULT 0,
  created_ms  INTEGER NOT NULL,
  next_ms     INTEGER NOT NULL DEFAULT 0,
  batch       INTEGER NOT NULL DEFAULT 0,
  attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(destination, batch = 0, batch, id);
CREATE INDEX IF NOT EXISTS outbox_event ON outbox(event) WHERE event IS NOT NULL;
CREATE TABLE IF NOT EXISTS ledger(
  tenant      TEXT    NOT NULL,
  id          TEXT    NOT NULL,
  destination TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  first_sent  INTEGER NOT NULL,
  last_sent   INTEGER NOT NULL,
  PRIMARY KEY(tenant, id, destination, kind)
) WITHOUT ROWID;
INSERT OR IGNORE INTO store_state(key, value) VALUES('installation', abs(random()));
)sql"},
    // 6 → 7: fewer b-tree writes per delivered event (docs/destinations.md, "Data model").
    // `outbox` is clustered on (destination, id), so a row is one b-tree entry: no AUTOINCREMENT
    // (the writer gives ids out and keeps the highest in store_state 'outbox_id', written once per
    // commit), no index on `event` and no foreign key (the claim drops a row whose event is gone),
    // and only retried rows (batch <> 0) are indexed. A claim names its batch by one
    // `outbox_batches` row instead of stamping each row. Pending rows keep their ids and batches.
    {7, R"sql(
CREATE TABLE outbox_v7(
  destination TEXT    NOT NULL,
  id          INTEGER NOT NULL,
  tenant      TEXT    NOT NULL,
  kind        INTEGER NOT NULL,
  event       INTEGER,
  payload     TEXT,
  dma         INTEGER NOT NULL DEFAULT 0,
  created_ms  INTEGER NOT NULL,
  next_ms     INTEGER NOT NULL DEFAULT 0,
  batch       INTEGER NOT NULL DEFAULT 0,
  attempts    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(destination, id)
) WITHOUT ROWID;
INSERT INTO outbox_v7(destination, id, tenant, kind, event, payload, dma, created_ms, next_ms,
                      batch, attempts)
  SELECT destination, id, tenant, kind, event, payload, dma, created_ms, next_ms, batch, attempts
  FROM outbox;
INSERT OR REPLACE INTO store_state(key, value) VALUES('outbox_id', max(
  (SELECT coalesce(max(id), 0) FROM outbox),
  (SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'outbox'),
  (SELECT coalesce(max(value), 0) FROM store_state WHERE key = 'outbox_id')));
DROP TABLE outbox;
ALTER TABLE outbox_v7 RENAME TO outbox;
CREATE INDEX IF NOT EXISTS outbox_batched ON outbox(destination, batch, id) WHERE batch <> 0;
CREATE TABLE IF NOT EXISTS outbox_batches(
  destination TEXT    NOT NULL,
  first_id    INTEGER NOT NULL,
  last_id     INTEGER NOT NULL,
  PRIMARY KEY(destination, first_id)
) WITHOUT ROWID;
)sql"},
    // 7 → 8: activation of matches to destinations (docs/onboarding.md, "Activation"). One row per
    // (match, destination) activated: counts only, no identifier; purged with its match.
    {8, R"sql(
CREATE TABLE IF NOT EXISTS activations(
  match_id    TEXT    NOT NULL,
  destination TEXT    NOT NULL,
  publisher   TEXT    NOT NULL,
  activated   INTEGER NOT NULL,
  persons     INTEGER NOT NULL,
  batches     INTEGER NOT NULL,
  PRIMARY KEY(match_id, destination)
) WITHOUT ROWID;
)sql"},
};
const int k_migration_count = static_cast<int>(std::size(k_migrations));

int schema_version() noexcept { return k_migrations[k_migration_count - 1].version; }

namespace {

/// PRAGMA user_version of `db`, or -1 when it cannot be read.
int user_version(Connection& db) {
  Statement s;
  int version = -1;
  if (s.prepare(db.get(), "PRAGMA user_version") != SQLITE_OK) return -1;
  if (s.each_row([&](Statement& r) { version = static_cast<int>(r.int64(0)); }) != SQLITE_OK)
    return -1;
  return version;
}

/// Rolls back an open transaction of `db` when it leaves scope before commit.
struct RollbackUnlessCommitted {
  Connection& db;
  bool committed = false;
  ~RollbackUnlessCommitted() {
    if (!committed) db.exec("ROLLBACK");
  }
};

std::error_code failed(std::string& why, const std::string& what, Connection& db, int rc) {
  why = "store: " + what + ": " + db.message();
  return sqlite_error(rc);
}

}  // namespace

std::error_code migrate(Connection& db, std::string& why) {
  for (int i = 0; i < k_migration_count; ++i) {  // the list is the schema: check it is sound
    if (k_migrations[i].version != i + 1) {
      why = "store: migration list out of order at version " + std::to_string(i + 1);
      return StoreErrc::open_failed;
    }
  }
  const int version = user_version(db);
  if (version < 0) {
    why = "store: cannot read the schema version: " + db.message();
    return StoreErrc::open_failed;
  }
  if (version > schema_version()) {
    why = "store: hashgate.db has schema version " + std::to_string(version) +
          ", this build knows up to " + std::to_string(schema_version());
    return StoreErrc::schema_too_new;
  }
  if (version == schema_version()) return {};
  if (int rc = db.exec("BEGIN IMMEDIATE"); rc != SQLITE_OK)
    return failed(why, "cannot start migration", db, rc);
  RollbackUnlessCommitted txn{db};
  for (int i = version; i < k_migration_count; ++i) {
    if (int rc = db.exec(k_migrations[i].sql); rc != SQLITE_OK) {
      return failed(why,
                    "migration to schema " + std::to_string(k_migrations[i].version) + " failed",
                    db, rc);
    }
  }
  const std::string set_version = "PRAGMA user_version=" + std::to_string(schema_version());
  if (int rc = db.exec(set_version.c_str()); rc != SQLITE_OK)
    return failed(why, "cannot record schema version", db, rc);
  if (int rc = db.exec("COMMIT"); rc != SQLITE_OK)
    return failed(why, "cannot commit migration", db, rc);
  txn.committed = true;
  return {};
}

}  // namespace hashgate::gw::store_detail
