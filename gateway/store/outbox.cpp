// The outbox of destinations and the recipient ledger (issue 16, docs/destinations.md): the
// worker's claim and mark jobs (TxnJob, jobs.hpp), the opt-out's removal messages, and the
// SqliteStore members the delivery worker calls. Event rows are written by submit.cpp, in the
// event's own transaction.

#include "sqlite_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <unordered_map>

namespace hashgate::gw::store_detail {

namespace {

// The claim's order: retried rows (batch <> 0, the partial index outbox_batched) by batch, then
// the unbatched rows by id (the primary key). Every batch is formed from the first unbatched rows,
// so batched rows always have the lower ids.
constexpr const char* k_select_batched =
    "SELECT id, kind, created_ms, batch, attempts, payload, dma, coalesce(event, 0), tenant"
    " FROM outbox WHERE destination = ?1 AND batch <> 0 AND next_ms <= ?2 ORDER BY batch, id"
    " LIMIT ?3";
constexpr const char* k_select_unbatched =
    "SELECT id, kind, created_ms, batch, attempts, payload, dma, coalesce(event, 0), tenant"
    " FROM outbox WHERE destination = ?1 AND batch = 0 AND next_ms <= ?2 ORDER BY id LIMIT ?3";
constexpr const char* k_select_events =
    "SELECT seq, event_id, type, time, received, ids, uid, online_ids, custom, legal_basis,"
    " consent FROM events WHERE seq BETWEEN ?1 AND ?2";
/// Ledger rows per upsert statement of a claim: one statement's overhead for many rows.
constexpr std::size_t k_ledger_rows_per_upsert = 32;

/// The upsert of `rows` ledger rows: ?1 the destination, ?2 the time sent, then tenant, id and
/// kind per row.
std::string upsert_ledger_sql(std::size_t rows) {
  std::string sql =
      "INSERT INTO ledger(tenant, id, destination, kind, first_sent, last_sent) VALUES";
  for (std::size_t j = 0; j < rows; ++j) {
    const std::string p = std::to_string(3 + 3 * j);
    sql += (j == 0 ? "(?" : ",(?") + p + ", ?" + std::to_string(4 + 3 * j) + ", ?1, ?" +
           std::to_string(5 + 3 * j) + ", ?2, ?2)";
  }
  return sql +
         " ON CONFLICT(tenant, id, destination, kind)"
         " DO UPDATE SET last_sent = max(last_sent, excluded.last_sent)";
}

/// An id a claim sends to its destination, for the ledger.
struct SentId {
  std::string tenant, id, kind;
};

/// Appends the ids of the claimed event `ev` of `tenant` (and its uid when `with_uid`) to `out`.
void collect_sent(const std::string& tenant, const EventColumns& ev, bool with_uid,
                  std::vector<SentId>& out) {
  std::vector<std::pair<std::string, std::string>> ids;
  parse_ids_column(ev.ids, ids);
  if (with_uid && !ev.uid.empty()) ids.emplace_back("uid", ev.uid);
  for (auto& [kind, id] : ids) out.push_back(SentId{tenant, std::move(id), std::move(kind)});
}

/// Writes `sent` into the ledger of `dest`, sent at `time` (unix seconds): `first_sent` on
/// insert, `last_sent` on update; k_ledger_rows_per_upsert rows per statement, then one by one.
int write_ledger(Txn& txn, const std::string& dest, const std::vector<SentId>& sent,
                 std::int64_t time) {
  static const std::string many = upsert_ledger_sql(k_ledger_rows_per_upsert);
  static const std::string one = upsert_ledger_sql(1);
  for (std::size_t i = 0; i < sent.size();) {
    const std::size_t n =
        sent.size() - i >= k_ledger_rows_per_upsert ? k_ledger_rows_per_upsert : 1;
    int rc = SQLITE_OK;
    Statement* s = txn.statement(n == 1 ? one : many, rc);
    if (s == nullptr) return rc;
    ResetGuard g(*s);  // `sent` and `dest` outlive the step
    s->bind_static(1, dest);
    s->bind(2, time);
    for (std::size_t j = 0; j < n; ++j, ++i) {
      const int base = static_cast<int>(3 + 3 * j);
      s->bind_static(base, sent[i].tenant);
      s->bind_static(base + 1, sent[i].id);
      s->bind_static(base + 2, sent[i].kind);
    }
    if (rc = s->step(); rc != SQLITE_DONE) return rc;
  }
  return SQLITE_OK;
}

/// Resolves the audience row at the head of `rows` into the members sent now (activation.cpp);
/// a row with nobody left is deleted and the next one takes its place. Audience rows further
/// back are left for a later claim: the worker sends a non-event row alone, so only the head
/// one is sent now, and resolving the others would cost their reads for nothing.
int claim_audience_head(Txn& txn, const OutboxClaimJob& job, std::vector<OutboxEntry>& rows,
                        std::vector<std::pair<std::string, std::int64_t>>& events) {
  while (!rows.empty() && rows.front().kind == 2) {
    std::string members;
    int rc = claim_audience_row(txn, events.front().first, job.dest, rows.front().payload,
                                job.with_uid, job.now_ms / 1000, members);
    if (rc != SQLITE_OK) return rc;
    if (!members.empty()) {
      rows.front().payload = std::move(members);
      break;
    }
    rc =
        txn.run("DELETE FROM outbox WHERE destination = ?1 AND id = ?2", job.dest, rows.front().id);
    if (rc != SQLITE_OK) return rc;
    rows.erase(rows.begin());
    events.erase(events.begin());
  }
  for (std::size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].kind != 2) continue;
    rows.resize(i);
    events.resize(i);
    break;
  }
  return SQLITE_OK;
}

/// Reads the events `seqs` into `out` by seq; an event that is gone (purged by an opt-out or the
/// retention) is missing from it. A dense range (the usual claim: one destination's rows are in
/// seq order) is read by one range query, else one query per event.
int read_events(Txn& txn, std::vector<std::int64_t> seqs,
                std::unordered_map<std::int64_t, EventColumns>& out) {
  if (seqs.empty()) return SQLITE_OK;
  std::sort(seqs.begin(), seqs.end());
  const auto keep = [&](Statement& r) {
    const std::int64_t seq = r.int64(0);
    if (std::binary_search(seqs.begin(), seqs.end(), seq)) out.emplace(seq, event_columns(r));
  };
  const std::int64_t span = seqs.back() - seqs.front() + 1;
  if (span <= 2 * static_cast<std::int64_t>(seqs.size()) + 16)
    return txn.each_row(k_select_events, keep, seqs.front(), seqs.back());
  for (const std::int64_t seq : seqs) {
    if (int rc = txn.each_row(k_select_events, keep, seq, seq); rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

/// The opt-out id inside a removal message's payload ("" when unreadable).
std::string optout_id_of(const std::string& payload) {
  const auto j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object() || !j.contains("optout_id") || !j["optout_id"].is_string()) return {};
  return j["optout_id"].get<std::string>();
}

/// Deletes row `id` of `dest`; an opt-out row is audited as delivered or failed first.
int finish_row(Txn& txn, const OutboxMarkJob& job, std::int64_t id) {
  std::string tenant, payload;
  std::int64_t kind = -1;
  int rc = txn.each_row(
      "SELECT tenant, kind, coalesce(payload, '') FROM outbox WHERE id = ?1 AND destination = ?2",
      [&](Statement& r) {
        tenant = r.text(0);
        kind = r.int64(1);
        payload = r.text(2);
      },
      id, job.dest);
  if (rc != SQLITE_OK || kind < 0) return rc;  // gone already (an opt-out dropped it)
  if (kind == 1) {
    const bool ok = job.fate == OutboxFate::delivered;
    nlohmann::ordered_json detail = {{"destination", job.dest},
                                     {"optout_id", optout_id_of(payload)}};
    if (!ok) detail["reason"] = job.reason;
    rc = txn.audit(job.now_ms / 1000, tenant, ok ? "removal_delivered" : "removal_failed",
                   detail.dump());
    if (rc != SQLITE_OK) return rc;
    txn.scrub_after_commit();  // the message held the person's hashed ids
  }
  return txn.run("DELETE FROM outbox WHERE id = ?1 AND destination = ?2", id, job.dest);
}

/// Deletes the event rows `ids` of `dest` (a delivered or failed batch) by one statement over
/// their id range, when the range holds exactly them and nothing else (`all`); otherwise
/// changes nothing, and the caller finishes them one by one.
int delete_event_range(Txn& txn, const std::string& dest, const std::vector<std::int64_t>& ids,
                       bool& all) {
  all = false;
  if (ids.size() < 2) return SQLITE_OK;
  const auto [lo, hi] = std::minmax_element(ids.begin(), ids.end());
  if (int rc = txn.run("SAVEPOINT outbox_range"); rc != SQLITE_OK) return rc;
  int rc =
      txn.run("DELETE FROM outbox WHERE destination = ?1 AND id BETWEEN ?2 AND ?3 AND kind = 0",
              dest, *lo, *hi);
  // The range holds other rows of `dest` (a row of another kind, another batch) or not all of
  // them: undo, and go row by row.
  all = rc == SQLITE_OK && txn.changes() == static_cast<std::int64_t>(ids.size());
  if (rc == SQLITE_OK && !all) rc = txn.run("ROLLBACK TO outbox_range");
  const int released = txn.run("RELEASE outbox_range");
  return rc != SQLITE_OK ? rc : released;
}

/// Names the batch of unbatched event rows at the head of `rows` (the ones the worker sends
/// together) before they are sent, in the claim's transaction: the Idempotency-Key comes from the
/// batch, so a crash between the send and its answer cannot give the same key to other rows. One
/// outbox_batches row names the id range (the rows are not rewritten); resolve_batches() turns it
/// into row stamps at the destination's next claim, for the rows of it still pending.
int stamp_batch(Txn& txn, const std::string& dest, std::vector<OutboxEntry>& rows) {
  if (rows.empty() || rows.front().batch != 0 || rows.front().kind != 0) return SQLITE_OK;
  const std::int64_t batch = rows.front().id;
  std::int64_t last = batch;
  for (OutboxEntry& r : rows) {
    if (r.batch != 0 || r.kind != 0) break;
    r.batch = batch;
    last = r.id;
  }
  // The range is every unbatched row of `dest` from its first id to its last: rows are claimed
  // in id order, and a row of another kind would have ended the run.
  return txn.run("INSERT INTO outbox_batches(destination, first_id, last_id) VALUES(?1, ?2, ?3)",
                 dest, batch, last);
}

/// Stamps the rows of `dest` still pending in a batch named by an earlier claim with that batch,
/// and forgets the names. Normally nothing is left (the batch was delivered, failed, or stamped
/// by outbox_retry); after a crash between a send and its answer the rows are retried as their
/// batch, under its key.
int resolve_batches(Txn& txn, const std::string& dest) {
  std::vector<std::pair<std::int64_t, std::int64_t>> named;
  int rc = txn.each_row(
      "SELECT first_id, last_id FROM outbox_batches WHERE destination = ?1",
      [&](Statement& r) { named.emplace_back(r.int64(0), r.int64(1)); }, dest);
  for (const auto& [first, last] : named) {
    if (rc != SQLITE_OK) break;
    rc = txn.run(
        "UPDATE outbox SET batch = ?2 WHERE destination = ?1 AND id BETWEEN ?2 AND ?3"
        " AND batch = 0",
        dest, first, last);
  }
  if (rc != SQLITE_OK || named.empty()) return rc;
  return txn.run("DELETE FROM outbox_batches WHERE destination = ?1", dest);
}

/// Appends the due rows of `dest` at `now_ms`, at most `limit`: retried batches first, then the
/// unbatched rows; `events` gets each row's tenant and event seq (0: none).
int select_due(Txn& txn, const std::string& dest, std::int64_t now_ms, std::size_t limit,
               std::vector<OutboxEntry>& rows,
               std::vector<std::pair<std::string, std::int64_t>>& events) {
  const auto add = [&](Statement& r) {
    rows.push_back(OutboxEntry{r.int64(0), static_cast<int>(r.int64(1)), r.int64(2), r.int64(3),
                               static_cast<int>(r.int64(4)), r.text(5),
                               static_cast<int>(r.int64(6))});
    events.emplace_back(r.text(8), r.int64(7));
  };
  int rc = txn.each_row(k_select_batched, add, dest, now_ms, static_cast<std::int64_t>(limit));
  if (rc != SQLITE_OK || rows.size() >= limit) return rc;
  return txn.each_row(k_select_unbatched, add, dest, now_ms,
                      static_cast<std::int64_t>(limit - rows.size()));
}

}  // namespace

// ---- the worker's jobs -----------------------------------------------------------------------

int OutboxClaimJob::run(Txn& txn) {
  if (!delivered.empty()) {  // the previous batch's rows, in this transaction
    OutboxMarkJob done;
    done.dest = dest;
    done.ids = delivered;
    done.now_ms = now_ms;
    if (int rc = done.run(txn); rc != SQLITE_OK) return rc;
  }
  if (int rc = resolve_batches(txn, dest); rc != SQLITE_OK) return rc;
  std::vector<std::pair<std::string, std::int64_t>> events;  // tenant, seq per row (0: none)
  std::vector<OutboxEntry> due;
  if (int rc = select_due(txn, dest, now_ms, limit, due, events); rc != SQLITE_OK) return rc;
  if (int rc = claim_audience_head(txn, *this, due, events); rc != SQLITE_OK) return rc;
  std::vector<std::int64_t> seqs;
  for (std::size_t i = 0; i < due.size(); ++i) {
    if (due[i].kind == 0) seqs.push_back(events[i].second);
  }
  std::unordered_map<std::int64_t, EventColumns> read;
  if (int rc = read_events(txn, std::move(seqs), read); rc != SQLITE_OK) return rc;
  std::vector<SentId> sent;
  for (std::size_t i = 0; i < due.size(); ++i) {
    EventColumns ev;
    if (due[i].kind == 0) {
      const auto it = read.find(events[i].second);
      if (it == read.end()) {  // its event is gone: dropped, never sent
        const int rc =
            txn.run("DELETE FROM outbox WHERE destination = ?1 AND id = ?2", dest, due[i].id);
        if (rc != SQLITE_OK) return rc;
        continue;
      }
      collect_sent(events[i].first, it->second, with_uid, sent);
      ev = std::move(it->second);
    }
    claimed.rows.push_back(std::move(due[i]));
    claimed.events.push_back(std::move(ev));
  }
  if (int rc = write_ledger(txn, dest, sent, now_ms / 1000); rc != SQLITE_OK) return rc;
  return stamp_batch(txn, dest, claimed.rows);
}

void OutboxClaimJob::finish(std::error_code ec) {
  if (ec) claimed = Claimed{};
  result->set_value(std::move(claimed));
}

int OutboxMarkJob::run(Txn& txn) {
  if (fate != OutboxFate::retry) {
    bool all = false;
    if (int rc = delete_event_range(txn, dest, ids, all); rc != SQLITE_OK || all) return rc;
  }
  for (const std::int64_t id : ids) {
    if (fate != OutboxFate::retry) {  // an event row needs no audit: one statement
      if (int rc = txn.run("DELETE FROM outbox WHERE id = ?1 AND destination = ?2 AND kind = 0", id,
                           dest);
          rc != SQLITE_OK)
        return rc;
      if (txn.changes() > 0) continue;
    }
    const int rc = fate == OutboxFate::retry
                       ? txn.run(
                             "UPDATE outbox SET batch = ?3, next_ms = ?4, attempts = attempts + 1"
                             " WHERE id = ?1 AND destination = ?2",
                             id, dest, batch, next_ms)
                       : finish_row(txn, *this, id);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

int ledger_sent(Txn& txn, const std::string& tenant, const std::string& id, const std::string& dest,
                const std::string& kind, std::int64_t sent) {
  return write_ledger(txn, dest, {SentId{tenant, id, kind}}, sent);
}

// ---- opt-out: one removal message per destination that had the person ------------------------

int enqueue_removals(Txn& txn, const std::string& tenant, const std::vector<std::string>& values,
                     const std::string& uid_kind, std::size_t& messages,
                     const std::string* only_dest) {
  // destination → kind → ids the destination received (uid under `uid_kind`)
  std::map<std::string, std::map<std::string, std::vector<std::string>>> had;
  for (const std::string& v : values) {
    int rc = txn.each_row(
        "SELECT destination, kind FROM ledger WHERE tenant = ?1 AND id = ?2",
        [&](Statement& r) {
          if (only_dest == nullptr || r.text(0) == *only_dest)
            had[r.text(0)][r.text(1)].push_back(v);
        },
        tenant, v);
    if (rc == SQLITE_OK)
      rc = only_dest == nullptr
               ? txn.run("DELETE FROM ledger WHERE tenant = ?1 AND id = ?2", tenant, v)
               : txn.run("DELETE FROM ledger WHERE tenant = ?1 AND id = ?2 AND destination = ?3",
                         tenant, v, *only_dest);
    if (rc != SQLITE_OK) return rc;
  }
  const std::int64_t created_ms = txn.now() * 1000;
  for (auto& [dest, kinds] : had) {
    nlohmann::ordered_json msg = {
        {"optout_id", random_hex_id()},
        {"ids", {{"em", nlohmann::json::array()}, {"ph", nlohmann::json::array()}}}};
    for (auto& [kind, ids] : kinds) {
      if (kind == uid_kind)
        msg["uid"] = ids.front();
      else
        msg["ids"][kind] = std::move(ids);
    }
    if (int rc = insert_message(txn, tenant, dest, 1, msg.dump(), created_ms); rc != SQLITE_OK)
      return rc;
    ++messages;
  }
  return SQLITE_OK;
}

int insert_message(Txn& txn, const std::string& tenant, const std::string& dest, int kind,
                   const std::string& payload, std::int64_t created_ms) {
  if (int rc = txn.run("INSERT INTO outbox(destination, id, tenant, kind, payload, created_ms)"
                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
                       dest, txn.next_outbox_id(), tenant, static_cast<std::int64_t>(kind), payload,
                       created_ms);
      rc != SQLITE_OK)
    return rc;
  txn.outbox_added(dest);
  return SQLITE_OK;
}

std::string random_hex_id() {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 8; ++i) {
    const unsigned v = rd();
    out += k_hex[(v >> 4) & 0xf];
    out += k_hex[v & 0xf];
    out += k_hex[(v >> 12) & 0xf];
    out += k_hex[(v >> 8) & 0xf];
  }
  return out;
}

// ---- SqliteStore: what the worker calls -------------------------------------------------------

std::vector<OutboxEntry> SqliteStore::outbox_claim(const std::string& dest, std::size_t limit,
                                                   std::int64_t now_ms, bool with_uid,
                                                   const std::vector<std::int64_t>& delivered) {
  auto result = std::make_shared<std::promise<OutboxClaimJob::Claimed>>();
  auto future = result->get_future();
  OutboxClaimJob job{dest, limit, now_ms, with_uid, delivered, result, {}};
  if (!enqueue(std::move(job))) return {};
  OutboxClaimJob::Claimed claimed = future.get();
  for (std::size_t i = 0; i < claimed.rows.size(); ++i) {  // formatted here, off the writer
    if (claimed.rows[i].kind == 0 && claimed.events[i].seq != 0)
      claimed.rows[i].payload = delivery_line(claimed.events[i]);
  }
  return std::move(claimed.rows);
}

void SqliteStore::mark_outbox(OutboxMarkJob job) {
  job.done = std::make_shared<std::promise<void>>();
  auto done = job.done->get_future();
  if (enqueue(std::move(job))) done.wait();
}

void SqliteStore::outbox_delivered(const std::string& dest, const std::vector<std::int64_t>& ids,
                                   std::int64_t now_ms) {
  OutboxMarkJob job;
  job.dest = dest;
  job.ids = ids;
  job.now_ms = now_ms;
  mark_outbox(std::move(job));
}

void SqliteStore::outbox_retry(const std::string& dest, const std::vector<std::int64_t>& ids,
                               std::int64_t batch, std::int64_t next_ms) {
  OutboxMarkJob job;
  job.dest = dest;
  job.ids = ids;
  job.fate = OutboxFate::retry;
  job.batch = batch;
  job.next_ms = next_ms;
  mark_outbox(std::move(job));
}

void SqliteStore::outbox_failed(const std::string& dest, const std::vector<std::int64_t>& ids,
                                std::string_view reason, std::int64_t now_ms) {
  OutboxMarkJob job;
  job.dest = dest;
  job.ids = ids;
  job.fate = OutboxFate::failed;
  job.now_ms = now_ms;
  job.reason = std::string(reason);
  mark_outbox(std::move(job));
}

std::int64_t SqliteStore::outbox_next_due(const std::string& dest) {
  std::int64_t next = -1;
  // Unbatched rows are due at once (next_ms 0); only retried ones wait.
  read_outbox(
      "SELECT CASE WHEN EXISTS(SELECT 1 FROM outbox WHERE destination = ?1 AND batch = 0) THEN 0"
      " ELSE coalesce((SELECT min(next_ms) FROM outbox WHERE destination = ?1 AND batch <> 0), -1)"
      " END",
      dest, [&](Statement& r) { next = r.int64(0); });
  return next;
}

OutboxCount SqliteStore::outbox_count(const std::string& dest) {
  OutboxCount c;
  // A row whose event is gone (an opt-out or the retention purged it) is not pending: the
  // destination's next claim drops it.
  read_outbox(
      "SELECT count(*), coalesce(min(created_ms), 0) FROM outbox AS o"
      " WHERE destination = ?1 AND (kind <> 0 OR EXISTS(SELECT 1 FROM events"
      " WHERE seq = o.event))",
      dest, [&](Statement& r) {
        c.pending = static_cast<std::size_t>(r.int64(0));
        c.oldest_created_ms = r.int64(1);
      });
  return c;
}

void SqliteStore::read_outbox(const char* sql, const std::string& dest,
                              const std::function<void(Statement&)>& row) {
  std::lock_guard lk(m_read_mu);
  if (m_read.get() == nullptr) return;
  Statement s;
  if (s.prepare(m_read.get(), sql) == SQLITE_OK) s.each_row(row, dest);
}

}  // namespace hashgate::gw::store_detail
