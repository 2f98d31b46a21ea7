// The onboarding jobs (onboarding_jobs.hpp): audience uploads and deletes, matches and their
// retention, and what an opt-out removes. Each reaches the database only through its Txn and
// keeps its SQL here, next to its logic. The match itself is gateway/onboarding's engine.

#include "onboarding_jobs.hpp"

#include "gateway/onboarding/difference.hpp"
#include "mirror.hpp"
#include "onboarding_rows.hpp"
#include "txn.hpp"
#include "util.hpp"

#include <openssl/rand.h>
#include <hashgate/hashgate.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>

namespace hashgate::gw::store_detail {

namespace ob = hashgate::gw::onboarding;

namespace {

/// The digest column's bytes of `id` (its own length: 32, 20 or 16 bytes).
Blob digest_blob(const ob::HashedId& id) {
  return Blob{std::string_view(reinterpret_cast<const char*>(id.digest.data()),
                               ob::id_kind_bytes(id.kind))};
}

Blob key_blob(const ob::MemberKey& k) {
  return Blob{std::string_view(reinterpret_cast<const char*>(k.data()), k.size())};
}

/// The bytes of a canonical hex digest (32, 40 or 64 hex digits); empty for anything else (a uid).
std::string hex_bytes(const std::string& hex) {
  if (hex.size() != 32 && hex.size() != 40 && hex.size() != 64) return {};
  std::string out(hex.size() / 2, '\0');
  auto span = std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(out.data()), out.size());
  if (!hashgate::decode_digest(hex, out.size(), span)) return {};
  return out;
}

/// Any of the kinds, so a lookup by digest alone uses the (tenant, kind, digest) keys.
constexpr const char* k_any_kind = "kind IN (0, 1, 2, 3, 4, 5)";

/// Writes one audit entry `detail` into the log of every tenant in `tenants`.
int audit_all(Txn& txn, std::initializer_list<std::string_view> tenants, std::string_view action,
              const nlohmann::ordered_json& detail) {
  const std::string text = detail.dump();
  for (std::string_view t : tenants) {
    if (int rc = txn.audit(txn.now(), t, action, text); rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace

// ---- audiences -------------------------------------------------------------------------------

namespace {

/// Adds one member (its ids) to an audience unless one of its ids is suppressed.
int add_member(Txn& txn, const AudienceUpload& up, const std::vector<ob::HashedId>& ids,
               AudienceUploadResult& r) {
  for (const auto& id : ids) {
    if (txn.mirror().contains(up.tenant, ob::hashed_id_hex(id))) {
      ++r.opted_out;
      return SQLITE_OK;
    }
  }
  const ob::MemberKey key = ob::member_key(up.tenant, ids);
  if (int rc = txn.run("INSERT OR IGNORE INTO audience_members(tenant, audience, member_key)"
                       " VALUES(?1, ?2, ?3)",
                       up.tenant, up.name, key_blob(key));
      rc != SQLITE_OK)
    return rc;
  if (txn.changes() == 0) return SQLITE_OK;
  ++r.added;
  for (const auto& id : ids) {
    if (int rc =
            txn.run("INSERT OR IGNORE INTO audience_ids(tenant, audience, kind, digest,"
                    " member_key) VALUES(?1, ?2, ?3, ?4, ?5)",
                    up.tenant, up.name, static_cast<int>(id.kind), digest_blob(id), key_blob(key));
        rc != SQLITE_OK)
      return rc;
  }
  return SQLITE_OK;
}

/// Deletes the member `key` of audience `name` of `tenant` with its ids; `removed` when it was
/// there.
int delete_member(Txn& txn, const std::string& tenant, const std::string& name, Blob key,
                  bool& removed) {
  if (int rc = txn.run("DELETE FROM audience_members WHERE tenant = ?1 AND audience = ?2"
                       " AND member_key = ?3",
                       tenant, name, key);
      rc != SQLITE_OK)
    return rc;
  removed = txn.changes() > 0;
  return txn.run("DELETE FROM audience_ids WHERE tenant = ?1 AND audience = ?2 AND member_key = ?3",
                 tenant, name, key);
}

/// Members of audience `name` of `tenant` into `n`.
int count_members(Txn& txn, const std::string& tenant, const std::string& name, std::size_t& n) {
  return txn.each_row(
      "SELECT count(*) FROM audience_members WHERE tenant = ?1 AND audience = ?2",
      [&](Statement& row) { n = static_cast<std::size_t>(row.int64(0)); }, tenant, name);
}

}  // namespace

int AudienceJob::run(Txn& txn) {
  const AudienceUpload& up = upload;
  if (int rc =
          txn.run("INSERT INTO audiences(tenant, name, created, updated) VALUES(?1, ?2, ?3, ?3)"
                  " ON CONFLICT(tenant, name) DO UPDATE SET updated = ?3",
                  up.tenant, up.name, txn.now());
      rc != SQLITE_OK)
    return rc;
  for (const auto& ids : up.add) {
    if (int rc = add_member(txn, up, ids, result); rc != SQLITE_OK) return rc;
  }
  for (const auto& ids : up.remove) {
    bool removed = false;
    const ob::MemberKey key = ob::member_key(up.tenant, ids);
    if (int rc = delete_member(txn, up.tenant, up.name, key_blob(key), removed); rc != SQLITE_OK)
      return rc;
    result.removed += removed ? 1 : 0;
  }
  if (int rc = count_members(txn, up.tenant, up.name, result.members); rc != SQLITE_OK) return rc;
  const nlohmann::ordered_json detail = {{"added", result.added},
                                         {"removed", result.removed},
                                         {"opted_out", result.opted_out},
                                         {"members", result.members}};
  if (int rc = txn.audit(txn.now(), up.tenant, "audience_upload", detail.dump()); rc != SQLITE_OK)
    return rc;
  for (const auto& other : up.also_audit) {
    const nlohmann::ordered_json seen = {{"advertiser", up.tenant}, {"members", result.members}};
    if (int rc = txn.audit(txn.now(), other, "audience_upload", seen.dump()); rc != SQLITE_OK)
      return rc;
  }
  if (result.removed > 0) txn.scrub_after_commit();
  return SQLITE_OK;
}

void AudienceJob::finish(std::error_code ec) {
  if (ec) {
    result = AudienceUploadResult{};
    result.error = ec;
  }
  invoke_safely(done, result);
}

int DeleteAudienceJob::run(Txn& txn) {
  if (int rc = txn.run("DELETE FROM audiences WHERE tenant = ?1 AND name = ?2", tenant, name);
      rc != SQLITE_OK)
    return rc;
  found = txn.changes() > 0;
  for (const char* sql : {"DELETE FROM audience_members WHERE tenant = ?1 AND audience = ?2",
                          "DELETE FROM audience_ids WHERE tenant = ?1 AND audience = ?2"}) {
    if (int rc = txn.run(sql, tenant, name); rc != SQLITE_OK) return rc;
  }
  if (!found) return SQLITE_OK;
  txn.scrub_after_commit();
  return txn.audit(txn.now(), tenant, "audience_delete", R"({"deleted":1})");
}

void DeleteAudienceJob::finish(std::error_code ec) { invoke_safely(done, ec, !ec && found); }

// ---- the publisher graph ---------------------------------------------------------------------

namespace {

/// One id of a publisher's event that carries a uid or online ids.
struct GraphRow {
  std::string person, uid, online_ids;
  ob::HashedId id;
  std::int64_t seen = 0;
};

/// The publisher's events after `from` that carry a uid or online ids, one row per hashed id
/// of a kind that identifies a person. The person is the uid, else "o:" + the online ids.
int read_graph_rows(Txn& txn, const std::string& tenant, std::int64_t from,
                    std::vector<GraphRow>& rows) {
  return txn.each_row(
      "SELECT e.uid, e.online_ids, e.received, i.kind, i.id FROM events e"
      " JOIN event_ids i ON i.event = e.seq WHERE e.tenant = ?1 AND e.seq > ?2"
      " AND (e.uid <> '' OR e.online_ids <> '{}') ORDER BY e.seq",
      [&](Statement& r) {
        const auto kind = ob::id_kind_by_name(r.text(3));
        const auto id = kind ? ob::decode_hashed_id(*kind, r.text(4)) : std::nullopt;
        if (!id) return;
        GraphRow g{r.text(0), r.text(0), r.text(1), *id, r.int64(2)};
        if (g.person.empty()) g.person = "o:" + g.online_ids;
        rows.push_back(std::move(g));
      },
      tenant, from);
}

/// Writes `rows` into persons and graph (newest online ids and last_seen win).
int write_graph_rows(Txn& txn, const std::string& tenant, const std::vector<GraphRow>& rows) {
  for (const GraphRow& g : rows) {
    if (int rc = txn.run(
            "INSERT INTO persons(tenant, person, uid, online_ids, last_seen)"
            " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(tenant, person) DO UPDATE SET"
            " online_ids = CASE WHEN excluded.online_ids <> '{}' THEN excluded.online_ids"
            " ELSE persons.online_ids END, last_seen = max(persons.last_seen, excluded.last_seen)",
            tenant, g.person, g.uid, g.online_ids, g.seen);
        rc != SQLITE_OK)
      return rc;
    if (int rc = txn.run("INSERT INTO graph(tenant, kind, digest, person, last_seen)"
                         " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(tenant, kind, digest, person)"
                         " DO UPDATE SET last_seen = max(graph.last_seen, excluded.last_seen)",
                         tenant, static_cast<int>(g.id.kind), digest_blob(g.id), g.person, g.seen);
        rc != SQLITE_OK)
      return rc;
  }
  return SQLITE_OK;
}

/// Brings the graph of publisher `tenant` up to its newest event (store_state
/// 'graph_seq.<tenant>' remembers how far it is).
int refresh_graph(Txn& txn, const std::string& tenant) {
  if (int rc = txn.index_pending(); rc != SQLITE_OK) return rc;
  const std::string key = "graph_seq." + tenant;
  std::int64_t from = 0, newest = 0;
  int rc = txn.each_row(
      "SELECT value FROM store_state WHERE key = ?1", [&](Statement& r) { from = r.int64(0); },
      key);
  if (rc == SQLITE_OK)
    rc = txn.each_row("SELECT coalesce(max(seq), 0) FROM events",
                      [&](Statement& r) { newest = r.int64(0); });
  if (rc != SQLITE_OK || newest <= from) return rc;
  std::vector<GraphRow> rows;
  if (rc = read_graph_rows(txn, tenant, from, rows); rc != SQLITE_OK) return rc;
  if (rc = write_graph_rows(txn, tenant, rows); rc != SQLITE_OK) return rc;
  return txn.run(
      "INSERT INTO store_state(key, value) VALUES(?1, ?2)"
      " ON CONFLICT(key) DO UPDATE SET value = ?2",
      key, newest);
}

}  // namespace

int purge_graph_before(Txn& txn, const std::string& tenant, std::int64_t cutoff,
                       std::size_t& purged) {
  for (const char* sql : {"DELETE FROM graph WHERE tenant = ?1 AND last_seen < ?2",
                          "DELETE FROM persons WHERE tenant = ?1 AND last_seen < ?2"}) {
    if (int rc = txn.run(sql, tenant, cutoff); rc != SQLITE_OK) return rc;
    purged += static_cast<std::size_t>(txn.changes());
  }
  return SQLITE_OK;
}

// ---- matches ---------------------------------------------------------------------------------

namespace {

/// An audience as the engine and the differencing rule read it.
struct AudienceInput {
  std::vector<ob::MemberKey> keys;  ///< sorted; a member's number is its index here
  std::vector<ob::AudienceId> ids;
};

ob::HashedId id_of(const Statement& r, int kind_col, int digest_col) {
  ob::HashedId id;
  id.kind = static_cast<ob::IdKind>(r.int64(kind_col));
  const std::string_view d = r.blob_view(digest_col);
  std::copy_n(d.begin(), std::min(d.size(), id.digest.size()), id.digest.begin());
  return id;
}

ob::MemberKey key_of(const Statement& r, int col) {
  ob::MemberKey k{};
  const std::string_view b = r.blob_view(col);
  std::copy_n(b.begin(), std::min(b.size(), k.size()), k.begin());
  return k;
}

int load_audience(Txn& txn, const std::string& tenant, const std::string& name, AudienceInput& in) {
  int rc = txn.each_row(
      "SELECT member_key FROM audience_members WHERE tenant = ?1 AND audience = ?2"
      " ORDER BY member_key",
      [&](Statement& r) { in.keys.push_back(key_of(r, 0)); }, tenant, name);
  if (rc != SQLITE_OK) return rc;
  return txn.each_row(
      "SELECT kind, digest, member_key FROM audience_ids WHERE tenant = ?1 AND audience = ?2"
      " ORDER BY kind, digest",
      [&](Statement& r) {
        const ob::MemberKey k = key_of(r, 2);
        const auto at = std::lower_bound(in.keys.begin(), in.keys.end(), k);
        if (at == in.keys.end() || *at != k) return;
        in.ids.push_back({id_of(r, 0, 1), static_cast<std::uint32_t>(at - in.keys.begin())});
      },
      tenant, name);
}

/// The earlier matches of an agreement with their member keys, oldest first.
struct Earlier {
  std::vector<std::string> ids;
  std::vector<std::vector<ob::MemberKey>> keys;
  std::vector<std::size_t> removed;
};

int load_earlier(Txn& txn, const std::string& agreement, Earlier& e) {
  int rc = txn.each_row(
      "SELECT match_id, removed FROM matches WHERE agreement = ?1 ORDER BY created, match_id",
      [&](Statement& r) {
        e.ids.push_back(r.text(0));
        e.removed.push_back(static_cast<std::size_t>(r.int64(1)));
      },
      agreement);
  e.keys.resize(e.ids.size());
  for (std::size_t i = 0; rc == SQLITE_OK && i < e.ids.size(); ++i) {
    rc = txn.each_row(
        "SELECT key FROM match_members WHERE match_id = ?1 ORDER BY key",
        [&](Statement& r) { e.keys[i].push_back(key_of(r, 0)); }, e.ids[i]);
  }
  return rc;
}

/// The publisher's graph: links in (kind, digest) order and the person of each number.
struct GraphInput {
  std::vector<ob::GraphLink> links;
  std::vector<std::string> persons;
};

/// A hash of strings that also takes views, so a lookup needs no copy of the row's text.
struct ViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

int load_graph(Txn& txn, const std::string& tenant, GraphInput& g) {
  std::unordered_map<std::string, std::uint32_t, ViewHash, std::equal_to<>> number;
  return txn.each_row(
      "SELECT kind, digest, person FROM graph WHERE tenant = ?1 ORDER BY kind, digest",
      [&](Statement& r) {
        const std::string_view person = r.text_view(2);
        auto it = number.find(person);
        if (it == number.end()) {
          it = number.emplace(std::string(person), static_cast<std::uint32_t>(number.size())).first;
          g.persons.push_back(it->first);
        }
        g.links.push_back({id_of(r, 0, 1), it->second});
      },
      tenant);
}

std::string new_match_id() {
  std::array<std::uint8_t, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return {};
  return "m_" + hashgate::to_hex(b);
}

int read_match(Txn& txn, const std::string& match_id, MatchInfo& out) {
  const std::string sql =
      std::string("SELECT ") + k_match_columns + " FROM matches WHERE match_id = ?1";
  return txn.each_row(
      sql, [&](Statement& r) { out = match_from_row(r); }, match_id);
}

}  // namespace

namespace {

/// Writes a new match: its row, its members' keys, and (when released) its people in order.
int store_match(Txn& txn, const MatchInfo& m, const AudienceInput& in, const GraphInput& g,
                const std::vector<std::uint32_t>& persons) {
  if (int rc = txn.run("INSERT INTO matches(match_id, agreement, advertiser, publisher, audience,"
                       " released, matched, audience_members, created)"
                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                       m.match_id, m.agreement, m.advertiser, m.publisher, m.audience,
                       m.status == ob::MatchStatus::released ? 1 : 0,
                       m.matched ? static_cast<std::int64_t>(*m.matched) : -1,
                       static_cast<std::int64_t>(m.audience_members), m.created);
      rc != SQLITE_OK)
    return rc;
  int rc = SQLITE_OK;
  Statement* key = txn.statement("INSERT INTO match_members(match_id, key) VALUES(?1, ?2)", rc);
  for (std::size_t i = 0; key && rc == SQLITE_OK && i < in.keys.size(); ++i)
    rc = key->run(m.match_id, key_blob(in.keys[i]));
  if (rc != SQLITE_OK || m.status != ob::MatchStatus::released) return rc;
  Statement* person =
      txn.statement("INSERT INTO match_persons(match_id, pos, person) VALUES(?1, ?2, ?3)", rc);
  for (std::size_t i = 0; person && rc == SQLITE_OK && i < persons.size(); ++i)
    rc = person->run(m.match_id, static_cast<std::int64_t>(i + 1), g.persons[persons[i]]);
  return rc;
}

/// The differencing rule against the agreement's earlier matches; fills `result` for an
/// unchanged or too similar audience and returns true then.
int check_earlier(Txn& txn, const MatchRequest& q, const AudienceInput& in, MatchResult& result,
                  bool& decided) {
  Earlier e;
  if (int rc = load_earlier(txn, q.agreement, e); rc != SQLITE_OK) return rc;
  std::vector<ob::EarlierMatch> earlier;
  for (std::size_t i = 0; i < e.ids.size(); ++i)
    earlier.push_back({e.ids[i], e.keys[i], e.removed[i]});
  const auto d = ob::check_difference(in.keys, earlier, q.min_audience);
  decided = d.kind != ob::DifferenceDecision::Kind::fresh;
  if (d.kind == ob::DifferenceDecision::Kind::too_similar) {
    result.decision = MatchDecision::too_similar;
    const nlohmann::ordered_json detail = {{"agreement", q.agreement}, {"refused", "too_similar"}};
    return audit_all(txn, {q.advertiser}, "match", detail);
  }
  if (d.kind != ob::DifferenceDecision::Kind::unchanged) return SQLITE_OK;
  result.decision = MatchDecision::unchanged;
  return read_match(txn, e.ids[d.earlier], result.match);
}

/// Runs the engine with both tenants' suppression lists.
ob::MatchOutcome run_engine(Txn& txn, const MatchRequest& q, const AudienceInput& in,
                            const GraphInput& g) {
  const SuppressionMirror& mirror = txn.mirror();
  ob::Suppression s;
  s.id = [&](const ob::HashedId& id) {
    const std::string hex = ob::hashed_id_hex(id);
    return mirror.contains(q.advertiser, hex) || mirror.contains(q.publisher, hex);
  };
  s.person = [&](std::uint32_t p) { return mirror.contains(q.publisher, g.persons[p]); };
  return ob::match_audience(in.ids, g.links, s);
}

}  // namespace

int MatchJob::run(Txn& txn) {
  const MatchRequest& q = request;
  bool exists = false;
  int rc = txn.each_row(
      "SELECT 1 FROM audiences WHERE tenant = ?1 AND name = ?2", [&](Statement&) { exists = true; },
      q.advertiser, q.audience);
  if (rc != SQLITE_OK || !exists) return rc;  // decision stays no_audience
  AudienceInput in;
  if (rc = load_audience(txn, q.advertiser, q.audience, in); rc != SQLITE_OK) return rc;
  bool decided = false;
  if (rc = check_earlier(txn, q, in, result, decided); rc != SQLITE_OK || decided) return rc;
  GraphInput g;
  if (rc = refresh_graph(txn, q.publisher); rc != SQLITE_OK) return rc;
  if (rc = load_graph(txn, q.publisher, g); rc != SQLITE_OK) return rc;
  const ob::MatchOutcome out = run_engine(txn, q, in, g);
  const ob::Release rel = ob::release_count(out.persons.size(), q.min_audience);
  MatchInfo& m = result.match;
  m = MatchInfo{new_match_id(), q.agreement, q.advertiser,   q.publisher, q.audience,
                rel.status,     rel.matched, in.keys.size(), txn.now()};
  if (m.match_id.empty()) return SQLITE_ERROR;
  if (rc = store_match(txn, m, in, g, out.persons); rc != SQLITE_OK) return rc;
  result.decision = MatchDecision::created;
  nlohmann::ordered_json detail = {
      {"match_id", m.match_id},
      {"agreement", m.agreement},
      {"status", m.status == ob::MatchStatus::released ? "released" : "below_threshold"},
      {"matched", nullptr},
      {"audience_members", m.audience_members}};
  if (m.matched) detail["matched"] = *m.matched;
  return audit_all(txn, {q.advertiser, q.publisher}, "match", detail);
}

void MatchJob::finish(std::error_code ec) {
  if (ec) {
    result = MatchResult{};
    result.error = ec;
  }
  invoke_safely(done, result);
}

// ---- retention of matches --------------------------------------------------------------------

int MatchPurgeJob::run(Txn& txn) {
  std::vector<std::array<std::string, 3>> gone;  // match_id, advertiser, publisher
  const std::set<std::string> live(keep.begin(), keep.end());
  int rc = txn.each_row("SELECT match_id, agreement, advertiser, publisher FROM matches",
                        [&](Statement& r) {
                          if (!live.count(r.text(1)))
                            gone.push_back({r.text(0), r.text(2), r.text(3)});
                        });
  for (const auto& [id, advertiser, publisher] : gone) {
    for (const char* sql : {"DELETE FROM match_members WHERE match_id = ?1",
                            "DELETE FROM match_persons WHERE match_id = ?1",
                            "DELETE FROM activations WHERE match_id = ?1",
                            "DELETE FROM matches WHERE match_id = ?1"}) {
      if (rc == SQLITE_OK) rc = txn.run(sql, id);
    }
    const nlohmann::ordered_json detail = {{"match_id", id}, {"reason", "agreement_ended"}};
    if (rc == SQLITE_OK) rc = audit_all(txn, {advertiser, publisher}, "match_purge", detail);
  }
  purged = gone.size();
  if (purged > 0) txn.scrub_after_commit();
  return rc;
}

void MatchPurgeJob::finish(std::error_code ec) { result->set_value(ec ? 0 : purged); }

// ---- opt-out ---------------------------------------------------------------------------------

int audience_member_ids(Txn& txn, const std::string& tenant, const std::string& hex,
                        std::vector<std::string>& out) {
  const std::string bytes = hex_bytes(hex);
  if (bytes.empty()) return SQLITE_OK;
  return txn.each_row(
      // CROSS JOIN keeps this order (a by digest, then b by member): without statistics SQLite
      // would otherwise scan every member of the tenant for each id.
      "SELECT DISTINCT b.kind, b.digest FROM audience_ids a CROSS JOIN audience_ids b"
      " ON b.tenant = a.tenant AND b.audience = a.audience AND b.member_key = a.member_key"
      " WHERE a.tenant = ?1 AND a.digest = ?2",
      [&](Statement& r) { out.push_back(ob::hashed_id_hex(id_of(r, 0, 1))); }, tenant, Blob{bytes});
}

namespace {

/// Deletes the audience members of advertiser `tenant` that hold digest `bytes`, and their keys
/// from the tenant's matches (each key deleted counts in the match's `removed`).
int forget_members(Txn& txn, const std::string& tenant, const std::string& bytes) {
  std::vector<std::pair<std::string, std::string>> members;  // audience, member_key
  int rc = txn.each_row(
      "SELECT audience, member_key FROM audience_ids WHERE tenant = ?1 AND digest = ?2",
      [&](Statement& r) { members.emplace_back(r.text(0), r.blob(1)); }, tenant, Blob{bytes});
  std::vector<std::string> matches;
  if (rc == SQLITE_OK && !members.empty())
    rc = txn.each_row(
        "SELECT match_id FROM matches WHERE advertiser = ?1",
        [&](Statement& r) { matches.push_back(r.text(0)); }, tenant);
  for (const auto& [audience, key] : members) {
    bool removed = false;
    if (rc == SQLITE_OK) rc = delete_member(txn, tenant, audience, Blob{key}, removed);
    for (const auto& m : matches) {
      if (rc == SQLITE_OK)
        rc = txn.run("DELETE FROM match_members WHERE match_id = ?1 AND key = ?2", m, Blob{key});
      if (rc == SQLITE_OK && txn.changes() > 0)
        rc = txn.run("UPDATE matches SET removed = removed + 1 WHERE match_id = ?1", m);
    }
  }
  return rc;
}

/// In the matches of advertiser `tenant`: deletes the publisher's people linked to `bytes`.
int forget_released(Txn& txn, const std::string& tenant, const std::string& bytes) {
  std::vector<std::pair<std::string, std::string>> matches;  // match_id, publisher
  int rc = txn.each_row(
      "SELECT match_id, publisher FROM matches WHERE advertiser = ?1",
      [&](Statement& r) { matches.emplace_back(r.text(0), r.text(1)); }, tenant);
  const std::string sql = std::string(
                              "DELETE FROM match_persons WHERE match_id = ?1 AND person IN"
                              " (SELECT person FROM graph WHERE tenant = ?2 AND ") +
                          k_any_kind + " AND digest = ?3)";
  for (const auto& [m, publisher] : matches) {
    if (rc == SQLITE_OK) rc = remove_from_activations(txn, m, publisher, bytes);
    if (rc == SQLITE_OK) rc = txn.run(sql, m, publisher, Blob{bytes});
  }
  return rc;
}

/// Deletes person `person` of publisher `tenant`: graph, persons, and its place in matches.
int forget_person(Txn& txn, const std::string& tenant, const std::string& person) {
  int rc = txn.run(
      "DELETE FROM match_persons WHERE match_id IN (SELECT match_id FROM matches WHERE"
      " publisher = ?1) AND person = ?2",
      tenant, person);
  for (const char* sql : {"DELETE FROM graph WHERE tenant = ?1 AND person = ?2",
                          "DELETE FROM persons WHERE tenant = ?1 AND person = ?2"}) {
    if (rc == SQLITE_OK) rc = txn.run(sql, tenant, person);
  }
  return rc;
}

}  // namespace

int forget_in_onboarding(Txn& txn, const std::string& tenant, const std::vector<std::string>& ids,
                         const std::vector<std::string>& uids) {
  std::set<std::string> people(uids.begin(), uids.end());
  const std::string by_digest = std::string("SELECT person FROM graph WHERE tenant = ?1 AND ") +
                                k_any_kind + " AND digest = ?2";
  int rc = SQLITE_OK;
  for (const auto& hex : ids) {
    const std::string bytes = hex_bytes(hex);
    if (bytes.empty()) continue;
    if (rc == SQLITE_OK) rc = forget_members(txn, tenant, bytes);
    if (rc == SQLITE_OK) rc = forget_released(txn, tenant, bytes);
    if (rc == SQLITE_OK)
      rc = txn.each_row(
          by_digest, [&](Statement& r) { people.insert(r.text(0)); }, tenant, Blob{bytes});
  }
  for (const auto& p : people) {
    if (rc == SQLITE_OK) rc = forget_person(txn, tenant, p);
  }
  return rc;
}

}  // namespace hashgate::gw::store_detail
