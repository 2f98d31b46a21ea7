// The jobs that run through the writer's generic transaction path (TxnJob, jobs.hpp): opt-out,
// opt-in, retention purge and audit append. Each reaches the database only through its Txn and
// keeps its SQL here, next to its logic.

#include "jobs.hpp"

#include "mirror.hpp"
#include "txn.hpp"
#include "util.hpp"

#include <nlohmann/json.hpp>

#include <deque>
#include <span>
#include <unordered_set>
#include <utility>

namespace hashgate::gw::store_detail {

namespace {

/// Upper bound on identifiers visited by one opt-out fan-out (a guard against pathological graphs).
constexpr std::size_t k_max_closure = 100000;

/// One step of the fan-out: a query from an identifier (?2) of a tenant (?1) to its neighbours.
struct Edge {
  const char* sql;
  bool yields_uid;  ///< the query's rows are uids (else hashed ids)
};
/// From a hashed id: the uids linked to it, the uids of its events, the ids sharing an event.
constexpr Edge k_edges_from_id[] = {
    {"SELECT uid FROM links WHERE tenant = ?1 AND id = ?2", true},
    {"SELECT DISTINCT e.uid FROM event_ids a JOIN events e ON e.seq = a.event"
     " WHERE a.tenant = ?1 AND a.id = ?2 AND e.uid <> ''",
     true},
    {"SELECT DISTINCT b.id FROM event_ids a JOIN event_ids b ON b.event = a.event"
     " WHERE a.tenant = ?1 AND a.id = ?2",
     false},
};
/// From a uid: the ids linked to it and the ids of its events.
constexpr Edge k_edges_from_uid[] = {
    {"SELECT id FROM links WHERE tenant = ?1 AND uid = ?2", false},
    {"SELECT DISTINCT a.id FROM events e JOIN event_ids a ON a.event = e.seq"
     " WHERE e.tenant = ?1 AND e.uid = ?2 AND e.uid <> ''",
     false},
};

/// The opt-out closure: every identifier reached so far, and those still to visit.
struct Closure {
  std::unordered_set<std::string> ids, uids;
  std::deque<std::pair<bool, std::string>> frontier;  // {is_uid, value}
  bool truncated = false;

  void add(bool is_uid, std::string value) {
    auto& seen = is_uid ? uids : ids;
    if (!value.empty() && seen.insert(value).second)
      frontier.emplace_back(is_uid, std::move(value));
  }
};

/// Breadth-first fan-out over uid ↔ id links and ids that occur in one event, until the frontier
/// is empty (or k_max_closure identifiers were reached: `truncated`).
int fan_out(Txn& txn, const std::string& tenant, Closure& c) {
  while (!c.frontier.empty()) {
    const auto [is_uid, value] = std::move(c.frontier.front());
    c.frontier.pop_front();
    const auto edges =
        is_uid ? std::span<const Edge>(k_edges_from_uid) : std::span<const Edge>(k_edges_from_id);
    for (const Edge& edge : edges) {
      const int rc = txn.each_row(
          edge.sql,
          [&](Statement& row) {
            std::string found = row.text(0);
            if (found.empty()) return true;
            if (c.ids.size() + c.uids.size() >= k_max_closure) {
              c.truncated = true;
              return false;
            }
            c.add(edge.yields_uid, std::move(found));
            return true;
          },
          tenant, value);
      if (rc != SQLITE_OK) return rc;
    }
    if (!is_uid) {  // the other ids of an audience member holding it (issue 14)
      std::vector<std::string> members;
      if (int rc = audience_member_ids(txn, tenant, value, members); rc != SQLITE_OK) return rc;
      for (auto& id : members) c.add(false, std::move(id));
    }
  }
  return SQLITE_OK;
}

/// Suppresses one identifier of the closure and deletes its events and links; its suppression
/// digest goes to `added`, the counts to `result`.
int suppress_and_purge(Txn& txn, const std::string& tenant, const std::string& value, bool is_uid,
                       std::int64_t t, std::vector<std::string>& added, OptOutResult& result) {
  const std::string digest = suppression_digest(tenant, value);
  if (int rc =
          txn.run("INSERT OR IGNORE INTO suppression(tenant, digest, added) VALUES(?1, ?2, ?3)",
                  tenant, Blob{digest}, t);
      rc != SQLITE_OK)
    return rc;
  if (txn.changes() > 0) ++result.ids_suppressed;
  added.push_back(digest);
  const char* delete_events =
      is_uid ? "DELETE FROM events WHERE tenant = ?1 AND uid = ?2 AND uid <> ''"
             : "DELETE FROM events WHERE seq IN"
               " (SELECT event FROM event_ids WHERE tenant = ?1 AND id = ?2)";
  if (int rc = txn.run(delete_events, tenant, value); rc != SQLITE_OK) return rc;
  result.events_purged += static_cast<std::size_t>(txn.changes());
  return txn.run(is_uid ? "DELETE FROM links WHERE tenant = ?1 AND uid = ?2"
                        : "DELETE FROM links WHERE tenant = ?1 AND id = ?2",
                 tenant, value);
}

/// Every identifier of the closure: hashed ids, then uids.
std::vector<std::string> closure_values(const Closure& c) {
  std::vector<std::string> out(c.ids.begin(), c.ids.end());
  out.insert(out.end(), c.uids.begin(), c.uids.end());
  return out;
}

}  // namespace

// ---- opt-out ---------------------------------------------------------------------------------

int OptOutJob::run(Txn& txn) {
  Closure c;
  for (const auto& id : ids) c.add(false, canonical_id(id));
  c.add(true, canonical_id(uid));
  if (int rc = txn.index_pending(); rc != SQLITE_OK) return rc;  // the fan-out reads the index
  if (int rc = fan_out(txn, tenant, c); rc != SQLITE_OK) return rc;
  result.closure.ids.assign(c.ids.begin(), c.ids.end());
  result.closure.uids.assign(c.uids.begin(), c.uids.end());
  if (dry_run) return SQLITE_OK;  // the index pass above may commit; nothing else was written
  std::size_t removals = 0;
  if (int rc = enqueue_removals(txn, tenant, closure_values(c), "uid", removals); rc != SQLITE_OK)
    return rc;
  const std::int64_t t = txn.now();
  std::vector<std::string> added;
  for (const auto& id : c.ids) {
    if (int rc = suppress_and_purge(txn, tenant, id, false, t, added, result); rc != SQLITE_OK)
      return rc;
  }
  for (const auto& u : c.uids) {
    if (int rc = suppress_and_purge(txn, tenant, u, true, t, added, result); rc != SQLITE_OK)
      return rc;
  }
  if (int rc = forget_in_onboarding(txn, tenant, result.closure.ids, result.closure.uids);
      rc != SQLITE_OK)
    return rc;
  nlohmann::ordered_json detail = {{"ids_suppressed", result.ids_suppressed},
                                   {"events_purged", result.events_purged},
                                   {"source", source}};
  if (removals > 0) detail["removals_queued"] = removals;
  if (c.truncated) detail["closure_truncated"] = true;
  if (int rc = txn.audit(t, tenant, "optout", detail.dump()); rc != SQLITE_OK) return rc;
  txn.scrub_after_commit();  // the purged rows' old page images are still in the WAL
  txn.after_commit([&mirror = txn.mirror(), added = std::move(added)]() mutable {
    mirror.insert(std::move(added));
  });
  return SQLITE_OK;
}

void OptOutJob::finish(std::error_code ec) {
  if (ec) {
    result = OptOutResult{};
    result.error = ec;
  }
  invoke_safely(done, result);
}

// ---- opt-in ----------------------------------------------------------------------------------

int OptInJob::run(Txn& txn) {
  std::vector<std::string> values;
  for (const auto& id : ids) {
    if (!id.empty()) values.push_back(canonical_id(id));
  }
  if (!uid.empty()) values.push_back(canonical_id(uid));
  std::vector<std::string> removed;
  for (const auto& v : values) {
    std::string digest = suppression_digest(tenant, v);
    if (int rc = txn.run("DELETE FROM suppression WHERE tenant = ?1 AND digest = ?2", tenant,
                         Blob{digest});
        rc != SQLITE_OK)
      return rc;
    if (txn.changes() > 0) removed.push_back(std::move(digest));
  }
  const nlohmann::ordered_json detail = {{"ids_removed", removed.size()}};
  if (int rc = txn.audit(txn.now(), tenant, "optin", detail.dump()); rc != SQLITE_OK) return rc;
  txn.after_commit(
      [&mirror = txn.mirror(), removed = std::move(removed)] { mirror.erase(removed); });
  return SQLITE_OK;
}

void OptInJob::finish(std::error_code ec) { invoke_safely(done, ec); }

// ---- retention -------------------------------------------------------------------------------

int PurgeJob::run(Txn& txn) {
  if (int rc = txn.index_pending(); rc != SQLITE_OK) return rc;  // links of kept events current
  const std::int64_t end = first_seq_received(txn.db(), cutoff);
  if (end < 0) return static_cast<int>(-end);
  if (int rc = txn.run("DELETE FROM events WHERE seq < ?3 AND tenant = ?1 AND received < ?2",
                       tenant, cutoff, end);
      rc != SQLITE_OK)
    return rc;
  events = static_cast<std::size_t>(txn.changes());
  if (int rc = txn.run("DELETE FROM links WHERE tenant = ?1 AND last_seen < ?2", tenant, cutoff);
      rc != SQLITE_OK)
    return rc;
  const auto links = static_cast<std::size_t>(txn.changes());
  std::size_t graph = 0;
  if (int rc = purge_graph_before(txn, tenant, cutoff, graph); rc != SQLITE_OK) return rc;
  // The recipient ledger is personal data too: what was last sent before the cutoff goes.
  if (int rc = txn.run("DELETE FROM ledger WHERE tenant = ?1 AND last_sent < ?2", tenant, cutoff);
      rc != SQLITE_OK)
    return rc;
  const auto ledger = static_cast<std::size_t>(txn.changes());
  nlohmann::ordered_json detail = {
      {"cutoff", cutoff}, {"events_purged", events}, {"links_purged", links}};
  if (graph > 0) detail["graph_purged"] = graph;
  if (ledger > 0) detail["ledger_purged"] = ledger;
  if (int rc = txn.audit(txn.now(), tenant, "retention", detail.dump()); rc != SQLITE_OK) return rc;
  if (events + links + graph + ledger > 0) txn.scrub_after_commit();
  return SQLITE_OK;
}

void PurgeJob::finish(std::error_code ec) { result->set_value(ec ? 0 : events); }

// ---- audit -----------------------------------------------------------------------------------

int AuditJob::run(Txn& txn) {
  const std::int64_t t = entry.time != 0 ? entry.time : txn.now();
  return txn.audit(t, entry.tenant, entry.action,
                   entry.detail.empty() ? std::string_view("{}") : std::string_view(entry.detail));
}

}  // namespace hashgate::gw::store_detail
