// The outbox of destinations and the recipient ledger (issue 16, docs/destinations.md): the
// worker's claim and mark jobs (TxnJob, jobs.hpp), the opt-out's removal messages, and the
// SqliteStore members the delivery worker calls. Event rows are written by submit.cpp, in the
// event's own transaction.

#include "sqlite_store.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <random>

namespace hashgate::gw::store_detail {

namespace {

constexpr const char* k_select_due =
    "SELECT id, kind, created_ms, batch, attempts, payload, dma, coalesce(event, 0), tenant"
    " FROM outbox WHERE destination = ?1 AND next_ms <= ?2 ORDER BY batch = 0, batch, id"
    " LIMIT ?3";
constexpr const char* k_select_event =
    "SELECT seq, event_id, type, time, received, ids, uid, online_ids, custom, legal_basis,"
    " consent FROM events WHERE seq = ?1";
constexpr const char* k_upsert_ledger =
    "INSERT INTO ledger(tenant, id, destination, kind, first_sent, last_sent)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(tenant, id, destination, kind)"
    " DO UPDATE SET last_sent = max(last_sent, excluded.last_sent)";

/// Reads the event `seq` into `ev` and writes its ids (and uid when `with_uid`) into the ledger
/// of `dest`, sent at `sent` (unix seconds).
int claim_event(Txn& txn, const std::string& tenant, const std::string& dest, std::int64_t seq,
                bool with_uid, std::int64_t sent, EventColumns& ev) {
  int rc = txn.each_row(
      k_select_event, [&](Statement& r) { ev = event_columns(r); }, seq);
  if (rc != SQLITE_OK) return rc;
  std::vector<std::pair<std::string, std::string>> ids;
  parse_ids_column(ev.ids, ids);
  if (with_uid && !ev.uid.empty()) ids.emplace_back("uid", ev.uid);
  for (const auto& [kind, id] : ids) {
    if (rc = ledger_sent(txn, tenant, id, dest, kind, sent); rc != SQLITE_OK) return rc;
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
    rc = txn.run("DELETE FROM outbox WHERE id = ?1", rows.front().id);
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

/// Names the batch of unbatched event rows at the head of `rows` (the ones the worker sends
/// together) before they are sent, in the claim's transaction: the Idempotency-Key comes from the
/// batch, so a crash between the send and its answer cannot give the same key to other rows.
int stamp_batch(Txn& txn, const std::string& dest, std::vector<OutboxEntry>& rows) {
  if (rows.empty() || rows.front().batch != 0 || rows.front().kind != 0) return SQLITE_OK;
  const std::int64_t batch = rows.front().id;
  std::int64_t last = batch;
  for (OutboxEntry& r : rows) {
    if (r.batch != 0 || r.kind != 0) break;
    r.batch = batch;
    last = r.id;
  }
  // The run is every unbatched row of `dest` from its first id to its last: rows are claimed in
  // id order, and a row of another kind would have ended the run. `+destination` keeps the
  // planner on the id range: by the index on destination it would walk the whole backlog.
  return txn.run(
      "UPDATE outbox SET batch = ?2 WHERE +destination = ?1 AND batch = 0 AND id BETWEEN ?2 AND ?3",
      dest, batch, last);
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
  std::vector<std::pair<std::string, std::int64_t>> events;  // tenant, seq per row (0: none)
  auto& rows = claimed.rows;
  int rc = txn.each_row(
      k_select_due,
      [&](Statement& r) {
        rows.push_back(OutboxEntry{r.int64(0), static_cast<int>(r.int64(1)), r.int64(2), r.int64(3),
                                   static_cast<int>(r.int64(4)), r.text(5),
                                   static_cast<int>(r.int64(6))});
        events.emplace_back(r.text(8), r.int64(7));
      },
      dest, now_ms, static_cast<std::int64_t>(limit));
  if (rc != SQLITE_OK) return rc;
  if (rc = claim_audience_head(txn, *this, rows, events); rc != SQLITE_OK) return rc;
  if (rc = stamp_batch(txn, dest, rows); rc != SQLITE_OK) return rc;
  claimed.events.resize(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].kind != 0) continue;
    rc = claim_event(txn, events[i].first, dest, events[i].second, with_uid, now_ms / 1000,
                     claimed.events[i]);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

void OutboxClaimJob::finish(std::error_code ec) {
  if (ec) claimed = Claimed{};
  result->set_value(std::move(claimed));
}

int OutboxMarkJob::run(Txn& txn) {
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
  return txn.run(k_upsert_ledger, tenant, id, dest, kind, sent);
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
    const std::string payload = msg.dump();
    if (int rc = txn.run("INSERT INTO outbox(tenant, destination, kind, payload, created_ms)"
                         " VALUES(?1, ?2, 1, ?3, ?4)",
                         tenant, dest, payload, created_ms);
        rc != SQLITE_OK)
      return rc;
    txn.outbox_added(dest);
    ++messages;
  }
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
  read_outbox("SELECT coalesce(min(next_ms), -1) FROM outbox WHERE destination = ?1", dest,
              [&](Statement& r) { next = r.int64(0); });
  return next;
}

OutboxCount SqliteStore::outbox_count(const std::string& dest) {
  OutboxCount c;
  read_outbox("SELECT count(*), coalesce(min(created_ms), 0) FROM outbox WHERE destination = ?1",
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
