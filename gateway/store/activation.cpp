// Activation of a released match to one of its publisher's destinations (docs/onboarding.md,
// "Activation"): the job that queues the match's people as audience-member outbox rows, and the
// claim step that turns such a row into the members sent now. A row stores only a range of the
// match's positions, never an identifier: who is sent is decided at claim, so a person who opted
// out (on either side) after the activation is never sent, and a purged match sends nothing.

#include "jobs.hpp"
#include "mirror.hpp"
#include "txn.hpp"
#include "util.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace hashgate::gw::store_detail {

namespace ob = hashgate::gw::onboarding;

namespace {

/// Identifiers sent per person at most: Google takes 10 per audience member, and 1,000 people of
/// 10 keep a request within the 10,000 rows or members Meta and Google take per call.
constexpr int k_ids_per_person = 10;

/// True for an hg_uid as the gateway makes them (lowercase hex): the members payload carries
/// only hex values, so any other uid stays out of it.
bool is_lower_hex(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

/// Positions [from, to] of the match's people, one outbox row each.
using Range = std::pair<std::int64_t, std::int64_t>;

/// The earlier activation of (match, destination) into `r`; `had` when there is one.
int read_activation(Txn& txn, const ActivationRequest& q, ActivationResult& r, bool& had) {
  return txn.each_row(
      "SELECT activated, persons, batches FROM activations WHERE match_id = ?1"
      " AND destination = ?2",
      [&](Statement& row) {
        had = true;
        r.activated = row.int64(0);
        r.persons = static_cast<std::size_t>(row.int64(1));
        r.rows = static_cast<std::size_t>(row.int64(2));
      },
      q.match_id, q.destination);
}

/// The match's people still present (their uid not suppressed; an opt-out by any id already
/// deleted them from match_persons), cut into ranges of at most `per_row` people.
int people_ranges(Txn& txn, const ActivationRequest& q, std::vector<Range>& ranges,
                  std::size_t& persons) {
  const std::size_t per_row = q.persons_per_row == 0 ? 1 : q.persons_per_row;
  std::size_t in_row = 0;
  return txn.each_row(
      "SELECT mp.pos, p.uid FROM match_persons mp JOIN persons p ON p.tenant = ?2"
      " AND p.person = mp.person WHERE mp.match_id = ?1 ORDER BY mp.pos",
      [&](Statement& r) {
        const std::string uid = r.text(1);
        if (!uid.empty() && txn.mirror().contains(q.publisher, canonical_id(uid))) return;
        const std::int64_t pos = r.int64(0);
        if (in_row == 0) ranges.emplace_back(pos, pos);
        ranges.back().second = pos;
        ++persons;
        in_row = in_row + 1 == per_row ? 0 : in_row + 1;
      },
      q.match_id, q.publisher);
}

/// One audience row per range for the destination (outbox kind 2; payload without identifiers).
int queue_ranges(Txn& txn, const ActivationRequest& q, const std::vector<Range>& ranges) {
  const std::int64_t created_ms = txn.now() * 1000;
  for (const auto& [from, to] : ranges) {
    const std::string payload =
        nlohmann::ordered_json{{"match_id", q.match_id}, {"from", from}, {"to", to}}.dump();
    if (int rc = insert_message(txn, q.publisher, q.destination, 2, payload, created_ms);
        rc != SQLITE_OK)
      return rc;
  }
  return SQLITE_OK;
}

/// Records the activation and audits it: the publisher's log has the destination and the exact
/// counts; the advertiser's only that its match was activated (the count of people still present
/// would tell it how many of its matched customers opted out at the publisher since).
int record_activation(Txn& txn, const ActivationRequest& q, const ActivationResult& r) {
  int rc = txn.run(
      "INSERT INTO activations(match_id, destination, publisher, activated, persons, batches)"
      " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(match_id, destination) DO UPDATE SET"
      " activated = ?4, persons = ?5, batches = ?6",
      q.match_id, q.destination, q.publisher, r.activated, static_cast<std::int64_t>(r.persons),
      static_cast<std::int64_t>(r.rows));
  const nlohmann::ordered_json mine = {{"match_id", q.match_id},
                                       {"destination", q.destination},
                                       {"persons", r.persons},
                                       {"batches", r.rows},
                                       {"resend", q.resend}};
  if (rc == SQLITE_OK) rc = txn.audit(r.activated, q.publisher, "match_activate", mine.dump());
  const nlohmann::ordered_json theirs = {{"match_id", q.match_id}};
  if (rc == SQLITE_OK) rc = txn.audit(r.activated, q.advertiser, "match_activate", theirs.dump());
  return rc;
}

}  // namespace

int ActivateJob::run(Txn& txn) {
  const ActivationRequest& q = request;
  bool had = false;
  if (int rc = read_activation(txn, q, result, had); rc != SQLITE_OK || (had && !q.resend)) {
    result.already = had;
    return rc;
  }
  result = ActivationResult{};
  std::vector<Range> ranges;
  if (int rc = people_ranges(txn, q, ranges, result.persons); rc != SQLITE_OK) return rc;
  if (int rc = queue_ranges(txn, q, ranges); rc != SQLITE_OK) return rc;
  result.rows = ranges.size();
  result.activated = txn.now();
  return record_activation(txn, q, result);
}

void ActivateJob::finish(std::error_code ec) {
  if (ec) {
    result = ActivationResult{};
    result.error = ec;
  }
  invoke_safely(done, result);
}

// ---- at claim: the members of one audience row ---------------------------------------------

namespace {

/// The people of positions [from, to] of `match_id` still in the match: person, uid.
int range_people(Txn& txn, const std::string& tenant, const std::string& match_id,
                 std::int64_t from, std::int64_t to,
                 std::vector<std::pair<std::string, std::string>>& out) {
  return txn.each_row(
      "SELECT mp.person, p.uid FROM match_persons mp JOIN persons p ON p.tenant = ?2"
      " AND p.person = mp.person WHERE mp.match_id = ?1 AND mp.pos BETWEEN ?3 AND ?4"
      " ORDER BY mp.pos",
      [&](Statement& r) { out.emplace_back(r.text(0), r.text(1)); }, match_id, tenant, from, to);
}

/// The hashed ids of `person` to send (newest first, at most k_ids_per_person, suppressed ones
/// left out) into `member` as kind → [hex]; each one recorded in the ledger of `dest`.
int person_ids(Txn& txn, const std::string& tenant, const std::string& dest,
               const std::string& person, bool webhook, std::int64_t sent,
               nlohmann::ordered_json& member) {
  const char* sql = webhook ? "SELECT kind, digest FROM graph WHERE tenant = ?1 AND person = ?2"
                              " ORDER BY last_seen DESC, kind, digest LIMIT ?3"
                            : "SELECT kind, digest FROM graph WHERE tenant = ?1 AND person = ?2"
                              " AND kind IN (0, 1) ORDER BY last_seen DESC, kind, digest LIMIT ?3";
  std::vector<std::pair<std::string, std::string>> ids;  // kind name, hex
  int rc = txn.each_row(
      sql,
      [&](Statement& r) {
        ob::HashedId id;
        id.kind = static_cast<ob::IdKind>(r.int64(0));
        const std::string_view d = r.blob_view(1);
        std::copy_n(d.begin(), std::min(d.size(), id.digest.size()), id.digest.begin());
        ids.emplace_back(std::string(ob::id_kind_name(id.kind)), ob::hashed_id_hex(id));
      },
      tenant, person, std::int64_t{k_ids_per_person});
  for (const auto& [kind, hex] : ids) {
    if (rc != SQLITE_OK) break;
    if (txn.mirror().contains(tenant, hex)) continue;  // suppressed since the match
    rc = ledger_sent(txn, tenant, hex, dest, kind, sent);
    if (!member.contains(kind)) member[kind] = nlohmann::ordered_json::array();
    member[kind].push_back(hex);
  }
  return rc;
}

}  // namespace

int claim_audience_row(Txn& txn, const std::string& tenant, const std::string& dest,
                       const std::string& payload, bool webhook, std::int64_t sent,
                       std::string& members) {
  members.clear();
  const auto range = nlohmann::json::parse(payload, nullptr, false);
  if (!range.is_object() || !range.contains("match_id") || !range["match_id"].is_string() ||
      !range.contains("from") || !range["from"].is_number_integer() || !range.contains("to") ||
      !range["to"].is_number_integer())
    return SQLITE_OK;  // not ours: sent as nothing, the row is dropped
  const std::string match_id = range["match_id"].get<std::string>();
  std::vector<std::pair<std::string, std::string>> people;
  int rc = range_people(txn, tenant, match_id, range["from"].get<std::int64_t>(),
                        range["to"].get<std::int64_t>(), people);
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& [person, uid] : people) {
    if (rc != SQLITE_OK) return rc;
    if (!uid.empty() && txn.mirror().contains(tenant, canonical_id(uid))) continue;
    nlohmann::ordered_json member = nlohmann::ordered_json::object();
    rc = person_ids(txn, tenant, dest, person, webhook, sent, member);
    if (rc != SQLITE_OK || member.empty()) continue;
    if (webhook && is_lower_hex(uid)) {  // the publisher's own id, for its own receiver
      member["uid"] = nlohmann::ordered_json::array({uid});
      rc = ledger_sent(txn, tenant, uid, dest, "uid", sent);
    }
    list.push_back(std::move(member));
  }
  if (rc == SQLITE_OK && !list.empty())
    members = nlohmann::ordered_json{{"match_id", match_id}, {"members", std::move(list)}}.dump();
  return rc;
}

// ---- an advertiser's opt-out after delivery -------------------------------------------------

int remove_from_activations(Txn& txn, const std::string& match_id, const std::string& publisher,
                            const std::string& bytes) {
  std::vector<std::string> dests;
  int rc = txn.each_row(
      "SELECT destination FROM activations WHERE match_id = ?1",
      [&](Statement& r) { dests.push_back(r.text(0)); }, match_id);
  if (rc != SQLITE_OK || dests.empty()) return rc;
  std::vector<std::pair<std::string, std::string>> people;  // person, uid
  rc = txn.each_row(
      "SELECT p.person, p.uid FROM persons p WHERE p.tenant = ?2 AND p.person IN"
      " (SELECT g.person FROM graph g WHERE g.tenant = ?2 AND g.kind IN (0, 1, 2, 3, 4, 5)"
      " AND g.digest = ?3) AND p.person IN (SELECT person FROM match_persons WHERE"
      " match_id = ?1)",
      [&](Statement& r) { people.emplace_back(r.text(0), r.text(1)); }, match_id, publisher,
      Blob{bytes});
  for (const auto& [person, uid] : people) {
    std::vector<std::string> values;  // every id of the person the ledger may hold, and the uid
    rc = txn.each_row(
        "SELECT kind, digest FROM graph WHERE tenant = ?1 AND person = ?2",
        [&](Statement& r) {
          ob::HashedId id;
          id.kind = static_cast<ob::IdKind>(r.int64(0));
          const std::string_view d = r.blob_view(1);
          std::copy_n(d.begin(), std::min(d.size(), id.digest.size()), id.digest.begin());
          values.push_back(ob::hashed_id_hex(id));
        },
        publisher, person);
    if (!uid.empty()) values.push_back(canonical_id(uid));
    std::size_t queued = 0;
    for (const std::string& dest : dests) {
      if (rc == SQLITE_OK) rc = enqueue_removals(txn, publisher, values, "uid", queued, &dest);
    }
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace hashgate::gw::store_detail
