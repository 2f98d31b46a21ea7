// The replica's suppression set (suppression.hpp).
#include "gateway/kafka/suppression.hpp"

#include <mutex>

#include "gateway/kafka/records.hpp"

namespace hashgate::gw::kafka {

bool SuppressionSet::contains(std::string_view tenant, std::string_view id) const {
  if (id.empty()) return false;
  const std::string key = suppression_key(tenant, id);
  std::shared_lock lk(m_mu);
  auto it = m_keys.find(key);
  return it != m_keys.end() && it->second.suppressed;
}

bool SuppressionSet::apply(const std::string& key, std::int64_t offset, bool suppressed) {
  std::unique_lock lk(m_mu);
  State& s = m_keys[key];
  if (offset < s.offset) return false;
  const bool newly = suppressed && !s.suppressed;
  if (s.suppressed != suppressed) suppressed ? ++m_suppressed : --m_suppressed;
  s = State{offset, suppressed};
  return newly;
}

std::size_t SuppressionSet::size() const {
  std::shared_lock lk(m_mu);
  return m_suppressed;
}

}  // namespace hashgate::gw::kafka
