#pragma once
// The in-memory mirror of the suppression table, internal to gateway/store.

#include "util.hpp"

#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace hashgate::gw::store_detail {

/// Every suppression entry's digest (suppression_digest(tenant, id)), so one set serves all
/// tenants. Loaded at open and changed only by the writer thread, right after the opt-out or
/// opt-in that changed the table committed: on that thread it is exact, and ingest needs no
/// table lookup. Any thread may read it.
class SuppressionMirror {
 public:
  /// Is the canonical `id` (or uid) of `tenant` suppressed? While the list is empty no digest is
  /// computed.
  bool contains(std::string_view tenant, std::string_view id) const {
    if (id.empty()) return false;
    std::shared_lock lk(m_mu);
    if (m_digests.empty()) return false;
    return m_digests.count(suppression_digest(tenant, id)) != 0;
  }
  /// Adds entries (digests) that a committed transaction wrote.
  void insert(std::vector<std::string> digests) {
    std::unique_lock lk(m_mu);
    for (auto& d : digests) m_digests.insert(std::move(d));
  }
  /// Removes entries (digests) that a committed transaction deleted.
  void erase(const std::vector<std::string>& digests) {
    std::unique_lock lk(m_mu);
    for (const auto& d : digests) m_digests.erase(d);
  }

 private:
  mutable std::shared_mutex m_mu;
  std::unordered_set<std::string> m_digests;
};

}  // namespace hashgate::gw::store_detail
