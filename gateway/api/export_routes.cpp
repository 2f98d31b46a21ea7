// A tenant's stored data: export and audit (API key only; GET /v1/events/export and
// GET /v1/audit, NDJSON) and the retention purge (Gateway::run_retention, on a timer).
#include <nlohmann/json.hpp>

#include "gateway/api/gateway.hpp"
#include "gateway/api/request.hpp"

namespace hashgate::gw::api {

using nlohmann::json;

namespace {

/// Reads export's and audit's `since` (unix seconds, default 0) and `limit` (1-100000, default
/// 1000) query parameters; returns the message for a bad one, or nullptr.
const char* since_and_limit(const std::string& target, std::int64_t& since, std::int64_t& limit) {
  const Query q = query_of(target);
  if (auto it = q.find("since"); it != q.end() && !parse_int(it->second, 0, INT64_MAX / 2, since))
    return "since must be unix seconds (a non-negative integer)";
  if (auto it = q.find("limit"); it != q.end() && !parse_int(it->second, 1, 100000, limit))
    return "limit must be an integer 1-100000";
  return nullptr;
}

/// Reads export's `after` query parameter (a cursor from an exported line; absent = from the
/// start); returns the message for a bad one, or nullptr. The message never echoes the value.
const char* export_after(const std::string& target, ExportCursor& after) {
  const Query q = query_of(target);
  auto it = q.find("after");
  if (it == q.end()) return nullptr;
  auto cursor = parse_export_cursor(it->second);
  if (!cursor) return "after must be the cursor of an exported event";
  after = *cursor;
  return nullptr;
}

/// An NDJSON answer: one line per element of `lines`.
Response ndjson(const std::vector<std::string>& lines) {
  Response r;
  for (const auto& l : lines) {
    r.body += l;
    r.body += '\n';
  }
  r.add("Content-Type", "application/x-ndjson");
  return r;
}

}  // namespace

bool Gateway::refused_in_kafka_mode(Call& call) {
  if (m_cfg.store_kind != config::StoreKind::kafka) return false;
  call.done(error(501, "served_by_sink",
                  "this gateway is a Kafka replica and keeps no events: this route is served by "
                  "the sink (hashgate-gateway --sink, docs/deploy.md)"));
  return true;
}

void Gateway::export_events(Call& call) {
  if (refused_in_kafka_mode(call)) return;
  std::int64_t since = 0, limit = 1000;
  if (const char* bad = since_and_limit(call.req.target, since, limit))
    return call.done(error(400, "invalid_parameter", bad));
  ExportCursor after;
  if (const char* bad = export_after(call.req.target, after))
    return call.done(error(400, "invalid_parameter", bad));
  call.done(ndjson(
      m_store.export_events(call.auth.tenant->id, since, after, static_cast<std::size_t>(limit))));
}

void Gateway::audit(Call& call) {
  if (refused_in_kafka_mode(call)) return;
  std::int64_t since = 0, limit = 1000;
  if (const char* bad = since_and_limit(call.req.target, since, limit))
    return call.done(error(400, "invalid_parameter", bad));
  std::vector<std::string> lines;
  for (const auto& e :
       m_store.audit(call.auth.tenant->id, since, static_cast<std::size_t>(limit))) {
    json detail = json::parse(e.detail, nullptr, false);
    if (detail.is_discarded()) detail = e.detail;
    lines.push_back(
        json{{"time", e.time}, {"tenant", e.tenant}, {"action", e.action}, {"detail", detail}}
            .dump());
  }
  call.done(ndjson(lines));
}

std::size_t Gateway::run_retention() {
  std::size_t total = 0;
  const std::int64_t now = m_now();
  for (const auto& t : m_cfg.tenants) {
    std::int64_t cutoff = now - std::int64_t{t.retention_days} * 86400;
    // The store writes the retention audit entry itself.
    total += m_store.purge_before(t.id, cutoff);
  }
  m_metrics.add_retention_purged(total);
  // Matches live as long as their agreement: those of expired or removed ones go (issue 14).
  std::vector<std::string> in_force;
  for (const auto& a : m_cfg.agreements)
    if (today() < a.expires) in_force.push_back(a.id);
  m_store.purge_matches(in_force);
  return total;
}

}  // namespace hashgate::gw::api
