#pragma once
// Delivery metrics with the pinned names (issue 16), rendered in the Prometheus text format like
// gateway/api/metrics.cpp; /metrics appends this text (phase 2). Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hashgate::gw::deliver {

/// The pending gauges of one destination at one moment.
struct PendingSample {
  std::string destination;
  std::size_t pending = 0;
  double oldest_seconds = 0;  ///< age of the oldest pending row; 0 when none
};

/// hashgate_destination_delivered_total{destination}, hashgate_destination_failed_total
/// {destination,reason}, hashgate_destination_pending{destination} and
/// hashgate_destination_oldest_pending_seconds{destination}.
class DeliveryMetrics {
 public:
  /// Makes `dest` appear (with zero) before anything was delivered.
  void add_destination(const std::string& dest);
  /// Counts `n` rows delivered to `dest` (any 2xx).
  void add_delivered(const std::string& dest, std::uint64_t n);
  /// Counts `n` rows of `dest` that failed for good or were kept back, by `reason`
  /// (http_<status>, expired, payload, too_old, unsupported, consent_<gate reason>).
  void add_failed(const std::string& dest, std::string_view reason, std::uint64_t n);

  /// Current counter values (for tests and the bench).
  std::uint64_t delivered(const std::string& dest) const;
  std::uint64_t failed(const std::string& dest, std::string_view reason) const;

  /// The exposition of all four metrics; `pending` is sampled by the caller.
  std::string render(const std::vector<PendingSample>& pending) const;

 private:
  mutable std::mutex m_mu;
  std::map<std::string, std::uint64_t> m_delivered;
  std::map<std::pair<std::string, std::string>, std::uint64_t, std::less<>> m_failed;
};

/// Appends `value` as a Prometheus label value (escapes '\\', '"' and newlines).
void append_label_value(std::string& out, std::string_view value);

}  // namespace hashgate::gw::deliver
