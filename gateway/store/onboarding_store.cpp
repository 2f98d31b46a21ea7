// The onboarding calls of the SQLite store (issue 14): the writes are jobs on the writer thread
// (onboarding_jobs.cpp); the readers use the read connection, beside the writer, like export.cpp.

#include "onboarding_rows.hpp"
#include "sqlite_store.hpp"

#include <nlohmann/json.hpp>

namespace hashgate::gw::store_detail {

namespace {

/// Ends the read transaction of a connection when leaving scope.
struct EndRead {
  Connection& c;
  ~EndRead() { c.exec("COMMIT"); }
};

}  // namespace

void SqliteStore::update_audience(AudienceUpload upload,
                                  std::function<void(AudienceUploadResult)> done) {
  if (enqueue(AudienceJob{std::move(upload), done, {}})) return;
  AudienceUploadResult r;
  r.error = StoreErrc::closed;
  invoke_safely(done, r);
}

void SqliteStore::delete_audience(const std::string& tenant, std::string name,
                                  std::function<void(std::error_code, bool)> done) {
  if (enqueue(DeleteAudienceJob{tenant, std::move(name), done, false})) return;
  invoke_safely(done, make_error_code(StoreErrc::closed), false);
}

void SqliteStore::create_match(MatchRequest request, std::function<void(MatchResult)> done) {
  if (enqueue(MatchJob{std::move(request), done, {}})) return;
  MatchResult r;
  r.error = StoreErrc::closed;
  invoke_safely(done, r);
}

void SqliteStore::activate_match(ActivationRequest request,
                                 std::function<void(ActivationResult)> done) {
  if (enqueue(ActivateJob{std::move(request), done, {}})) return;
  ActivationResult r;
  r.error = StoreErrc::closed;
  invoke_safely(done, r);
}

std::size_t SqliteStore::purge_matches(const std::vector<std::string>& agreements) {
  MatchPurgeJob job{agreements, std::make_shared<std::promise<std::size_t>>(), 0};
  auto result = job.result->get_future();
  if (!enqueue(std::move(job))) return 0;
  return result.get();
}

std::vector<AudienceInfo> SqliteStore::audiences(const std::string& tenant) {
  std::vector<AudienceInfo> out;
  std::lock_guard lk(m_read_mu);
  Statement s;
  if (m_read.get() == nullptr ||
      s.prepare(m_read.get(),
                "SELECT a.name, a.updated, (SELECT count(*) FROM audience_members m WHERE"
                " m.tenant = a.tenant AND m.audience = a.name) FROM audiences a WHERE"
                " a.tenant = ?1 ORDER BY a.name") != SQLITE_OK)
    return out;
  s.each_row(
      [&](Statement& r) {
        out.push_back({r.text(0), static_cast<std::size_t>(r.int64(2)), r.int64(1)});
      },
      tenant);
  return out;
}

std::vector<MatchInfo> SqliteStore::matches(const std::string& tenant) {
  std::vector<MatchInfo> out;
  std::lock_guard lk(m_read_mu);
  Statement s;
  const std::string sql = std::string("SELECT ") + k_match_columns +
                          " FROM matches WHERE advertiser = ?1 OR publisher = ?1"
                          " ORDER BY created, match_id";
  if (m_read.get() == nullptr || s.prepare(m_read.get(), sql) != SQLITE_OK) return out;
  s.each_row([&](Statement& r) { out.push_back(match_from_row(r)); }, tenant);
  return out;
}

std::optional<MatchInfo> SqliteStore::find_match(const std::string& match_id) {
  std::optional<MatchInfo> out;
  std::lock_guard lk(m_read_mu);
  Statement s;
  const std::string sql =
      std::string("SELECT ") + k_match_columns + " FROM matches WHERE match_id = ?1";
  if (m_read.get() == nullptr || s.prepare(m_read.get(), sql) != SQLITE_OK) return out;
  s.each_row([&](Statement& r) { out = match_from_row(r); }, match_id);
  return out;
}

std::vector<std::string> SqliteStore::export_match(const MatchInfo& m, ExportCursor after,
                                                   std::size_t limit) {
  std::vector<std::string> lines;
  {
    std::lock_guard lk(m_read_mu);
    Statement s;
    if (m_read.get() == nullptr || limit == 0 ||
        s.prepare(m_read.get(),
                  "SELECT mp.pos, p.uid, p.online_ids FROM match_persons mp JOIN persons p ON"
                  " p.tenant = ?2 AND p.person = mp.person WHERE mp.match_id = ?1 AND mp.pos > ?3"
                  " ORDER BY mp.pos LIMIT ?4") != SQLITE_OK)
      return lines;
    s.each_row(
        [&](Statement& r) {
          const std::string uid = r.text(1);
          if (in_mirror(m.publisher, canonical_id(uid))) return;  // opted out since
          auto online = nlohmann::ordered_json::parse(r.text(2), nullptr, false);
          if (online.is_discarded()) online = nlohmann::ordered_json::object();
          lines.push_back(nlohmann::ordered_json{
              {"uid", uid}, {"online_ids", online}, {"cursor", format_export_cursor({r.int64(0)})}}
                              .dump());
        },
        m.match_id, m.publisher, after.seq, static_cast<std::int64_t>(limit));
  }
  const std::string detail =
      nlohmann::ordered_json{{"match_id", m.match_id}, {"lines", lines.size()}}.dump();
  append_audit(AuditEntry{now(), m.publisher, "match_export", detail});
  append_audit(AuditEntry{now(), m.advertiser, "match_export", detail});
  return lines;
}

}  // namespace hashgate::gw::store_detail
