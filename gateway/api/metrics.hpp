#pragma once
// Prometheus metrics of the gateway (pinned names, see docs/gateway-api.md). Thread-safe.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace hashgate::gw::api {

/// Counters and the commit-latency histogram, rendered in the Prometheus text format.
class Metrics {
 public:
  /// Counts `n` stored events (hashgate_events_accepted_total).
  void add_accepted(std::uint64_t n) { m_accepted += n; }
  /// Counts `n` dropped events for `reason` (hashgate_events_dropped_total{reason}).
  void add_dropped(const std::string& reason, std::uint64_t n);
  /// Counts one per-event rejection with `code` (hashgate_events_rejected_total{code}).
  void add_event_rejected(const std::string& code, std::uint64_t n = 1);
  /// Counts one answered request with HTTP `code` (hashgate_requests_total{code}).
  void add_request(int code);
  /// Counts one request rejected as a whole for `reason`
  /// (hashgate_requests_rejected_total{reason}).
  void add_rejected(const std::string& reason);
  /// Counts events deleted by retention (hashgate_retention_purged_total).
  void add_retention_purged(std::uint64_t n) { m_retention_purged += n; }
  /// Observes one store commit of `seconds` (hashgate_store_commit_seconds).
  void observe_commit(double seconds);
  /// Current open connections (hashgate_connections).
  std::atomic<std::int64_t>& connections() { return m_connections; }
  /// The whole exposition; `queue_depth` and `ready` are sampled by the caller.
  std::string render(std::size_t queue_depth, bool ready) const;

 private:
  static constexpr std::array<double, 12> k_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  std::atomic<std::uint64_t> m_accepted{0};
  std::atomic<std::uint64_t> m_retention_purged{0};
  std::atomic<std::int64_t> m_connections{0};
  mutable std::mutex m_mu;
  std::map<std::string, std::uint64_t> m_dropped;
  std::map<std::string, std::uint64_t> m_event_rejected;
  std::map<int, std::uint64_t> m_requests;
  std::map<std::string, std::uint64_t> m_rejected;
  std::array<std::uint64_t, k_buckets.size()> m_bucket_counts{};
  std::uint64_t m_commit_count = 0;
  double m_commit_sum = 0;
};

}  // namespace hashgate::gw::api
