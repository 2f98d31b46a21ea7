// Prometheus text exposition (version 0.0.4) of the gateway's counters.
#include "gateway/api/metrics.hpp"

#include <cstdio>
#include <sstream>

namespace hashgate::gw::api {

void Metrics::add_dropped(const std::string& reason, std::uint64_t n) {
  std::lock_guard lk(m_mu);
  m_dropped[reason] += n;
}
void Metrics::add_event_rejected(const std::string& code, std::uint64_t n) {
  std::lock_guard lk(m_mu);
  m_event_rejected[code] += n;
}
void Metrics::add_request(int code) {
  std::lock_guard lk(m_mu);
  m_requests[code] += 1;
}
void Metrics::add_rejected(const std::string& reason) {
  std::lock_guard lk(m_mu);
  m_rejected[reason] += 1;
}
void Metrics::observe_commit(double seconds) {
  std::lock_guard lk(m_mu);
  for (std::size_t i = 0; i < k_buckets.size(); ++i)
    if (seconds <= k_buckets[i]) ++m_bucket_counts[i];
  ++m_commit_count;
  m_commit_sum += seconds;
}

std::string Metrics::render(std::size_t queue_depth, bool ready) const {
  std::ostringstream o;
  std::lock_guard lk(m_mu);
  o << "# HELP hashgate_events_accepted_total Events durably stored.\n"
    << "# TYPE hashgate_events_accepted_total counter\n"
    << "hashgate_events_accepted_total " << m_accepted.load() << "\n";
  o << "# HELP hashgate_events_dropped_total Events acknowledged but not stored, by reason.\n"
    << "# TYPE hashgate_events_dropped_total counter\n";
  for (const char* r : {"opted_out", "gpc", "suppressed", "consent", "duplicate"}) {
    auto it = m_dropped.find(r);
    o << "hashgate_events_dropped_total{reason=\"" << r << "\"} "
      << (it == m_dropped.end() ? 0 : it->second) << "\n";
  }
  o << "# HELP hashgate_events_rejected_total Events rejected by validation, by code.\n"
    << "# TYPE hashgate_events_rejected_total counter\n";
  for (const auto& [k, v] : m_event_rejected)
    o << "hashgate_events_rejected_total{code=\"" << k << "\"} " << v << "\n";
  o << "# HELP hashgate_requests_total HTTP requests answered, by status code.\n"
    << "# TYPE hashgate_requests_total counter\n";
  for (const auto& [k, v] : m_requests)
    o << "hashgate_requests_total{code=\"" << k << "\"} " << v << "\n";
  o << "# HELP hashgate_requests_rejected_total Requests rejected as a whole, by reason.\n"
    << "# TYPE hashgate_requests_rejected_total counter\n";
  for (const auto& [k, v] : m_rejected)
    o << "hashgate_requests_rejected_total{reason=\"" << k << "\"} " << v << "\n";
  o << "# HELP hashgate_store_commit_seconds Store group-commit duration.\n"
    << "# TYPE hashgate_store_commit_seconds histogram\n";
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    char le[32];
    std::snprintf(le, sizeof le, "%g", k_buckets[i]);
    o << "hashgate_store_commit_seconds_bucket{le=\"" << le << "\"} " << m_bucket_counts[i] << "\n";
  }
  o << "hashgate_store_commit_seconds_bucket{le=\"+Inf\"} " << m_commit_count << "\n"
    << "hashgate_store_commit_seconds_sum " << m_commit_sum << "\n"
    << "hashgate_store_commit_seconds_count " << m_commit_count << "\n";
  o << "# HELP hashgate_retention_purged_total Events deleted by the retention schedule.\n"
    << "# TYPE hashgate_retention_purged_total counter\n"
    << "hashgate_retention_purged_total " << m_retention_purged.load() << "\n";
  o << "# HELP hashgate_store_queue_depth Events waiting for the store writer.\n"
    << "# TYPE hashgate_store_queue_depth gauge\n"
    << "hashgate_store_queue_depth " << queue_depth << "\n";
  o << "# HELP hashgate_connections Open client connections.\n"
    << "# TYPE hashgate_connections gauge\n"
    << "hashgate_connections " << m_connections.load() << "\n";
  o << "# HELP hashgate_ready 1 while the store is writable.\n"
    << "# TYPE hashgate_ready gauge\n"
    << "hashgate_ready " << (ready ? 1 : 0) << "\n";
  return o.str();
}

}  // namespace hashgate::gw::api
