#pragma once
// A replica's in-memory suppression set: the newest state of every (tenant, id) key of the
// opt-outs topic, as SHA-256 keys (records.hpp suppression_key), never the ids themselves.
// Both the replica's own opt-outs (applied when their delivery report arrives) and the follower's
// replay of the topic go through apply(); the record's offset decides which is newer, so a
// replayed old record never undoes a newer local one (same key, same partition, same order).

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hashgate::gw::kafka {

class SuppressionSet {
 public:
  /// True when `tenant`'s identifier `id` (hex digest or uid) is opted out.
  bool contains(std::string_view tenant, std::string_view id) const;
  /// Records that the key `key` (suppression_key) is `suppressed` as of `offset` in its
  /// partition; ignored when a newer offset of the key was already applied. True when the key
  /// became suppressed by this call.
  bool apply(const std::string& key, std::int64_t offset, bool suppressed);
  /// Keys that are suppressed now.
  std::size_t size() const;

 private:
  struct State {
    std::int64_t offset = -1;
    bool suppressed = false;
  };
  mutable std::shared_mutex m_mu;
  std::unordered_map<std::string, State> m_keys;
  std::size_t m_suppressed = 0;
};

}  // namespace hashgate::gw::kafka
