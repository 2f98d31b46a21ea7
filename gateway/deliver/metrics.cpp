// Prometheus text exposition (version 0.0.4) of the delivery counters and gauges.
#include "gateway/deliver/metrics.hpp"

#include <cstdio>

namespace hashgate::gw::deliver {

void append_label_value(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void DeliveryMetrics::add_destination(const std::string& dest) {
  std::lock_guard lk(m_mu);
  m_delivered.try_emplace(dest, 0);
}

void DeliveryMetrics::add_delivered(const std::string& dest, std::uint64_t n) {
  std::lock_guard lk(m_mu);
  m_delivered[dest] += n;
}

void DeliveryMetrics::add_failed(const std::string& dest, std::string_view reason,
                                 std::uint64_t n) {
  std::lock_guard lk(m_mu);
  m_failed[{dest, std::string(reason)}] += n;
}

std::uint64_t DeliveryMetrics::delivered(const std::string& dest) const {
  std::lock_guard lk(m_mu);
  auto it = m_delivered.find(dest);
  return it == m_delivered.end() ? 0 : it->second;
}

std::uint64_t DeliveryMetrics::failed(const std::string& dest, std::string_view reason) const {
  std::lock_guard lk(m_mu);
  auto it = m_failed.find(std::pair{dest, std::string(reason)});
  return it == m_failed.end() ? 0 : it->second;
}

std::string DeliveryMetrics::render(const std::vector<PendingSample>& pending) const {
  std::string o;
  auto series = [&o](const char* name, const std::string& dest) {
    o += name;
    o += "{destination=\"";
    append_label_value(o, dest);
    o += '"';
  };
  std::lock_guard lk(m_mu);
  o += "# HELP hashgate_destination_delivered_total Outbox rows delivered (any 2xx), by "
       "destination.\n"
       "# TYPE hashgate_destination_delivered_total counter\n";
  for (const auto& [dest, n] : m_delivered) {
    series("hashgate_destination_delivered_total", dest);
    o += "} " + std::to_string(n) + "\n";
  }
  o += "# HELP hashgate_destination_failed_total Rows not delivered for good, or kept back by the "
       "consent gate, by destination and reason.\n"
       "# TYPE hashgate_destination_failed_total counter\n";
  for (const auto& [key, n] : m_failed) {
    series("hashgate_destination_failed_total", key.first);
    o += ",reason=\"";
    append_label_value(o, key.second);
    o += "\"} " + std::to_string(n) + "\n";
  }
  o += "# HELP hashgate_destination_pending Outbox rows waiting for delivery.\n"
       "# TYPE hashgate_destination_pending gauge\n";
  for (const auto& s : pending) {
    series("hashgate_destination_pending", s.destination);
    o += "} " + std::to_string(s.pending) + "\n";
  }
  o += "# HELP hashgate_destination_oldest_pending_seconds Age of the oldest waiting row.\n"
       "# TYPE hashgate_destination_oldest_pending_seconds gauge\n";
  for (const auto& s : pending) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", s.oldest_seconds);
    series("hashgate_destination_oldest_pending_seconds", s.destination);
    o += std::string("} ") + buf + "\n";
  }
  return o;
}

}  // namespace hashgate::gw::deliver
