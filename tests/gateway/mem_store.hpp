#pragma once
// In-memory test double of hashgate::gw::Store for the pure handler's unit tests. Callbacks run
// synchronously; `fail_next` and `full` simulate a failed transaction and an overloaded queue.

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "gateway/store/store.hpp"

namespace hashgate::gw::test {

/// A Store that keeps everything in maps. Not for production: no durability at all.
class MemStore : public Store {
 public:
  bool submit(std::vector<EventRecord> events, std::function<void(SubmitResult)> done) override {
    if (full) return false;
    SubmitResult r;
    if (fail_next) {
      fail_next = false;
      r.error = std::make_error_code(std::errc::io_error);
      done(r);
      return true;
    }
    for (auto& e : events) {
      bool sup = is_suppressed(e.tenant, e.uid);
      for (auto& [k, v] : e.ids) sup = sup || is_suppressed(e.tenant, v);
      if (sup) {
        r.outcomes.push_back(Outcome::suppressed);
      } else if (!seen.insert(e.tenant + "/" + e.event_id).second) {
        r.outcomes.push_back(Outcome::duplicate);
      } else {
        r.outcomes.push_back(Outcome::accepted);
        stored.push_back(e);
      }
    }
    done(r);
    return true;
  }
  bool is_suppressed(const std::string& tenant, const std::string& id) const override {
    return !id.empty() && suppressed.count(tenant + "/" + id);
  }
  void opt_out(const std::string& tenant, std::vector<std::string> ids, std::string uid,
               std::string source, std::function<void(OptOutResult)> done) override {
    OptOutResult r;
    last_source = source;
    if (!uid.empty()) ids.push_back(uid);
    for (auto& id : ids) r.ids_suppressed += suppressed.insert(tenant + "/" + id).second;
    for (auto it = stored.begin(); it != stored.end();) {
      bool hit = it->tenant == tenant && (std::find(ids.begin(), ids.end(), it->uid) != ids.end());
      for (auto& [k, v] : it->ids)
        hit = hit || (it->tenant == tenant && std::find(ids.begin(), ids.end(), v) != ids.end());
      if (hit) {
        it = stored.erase(it);
        ++r.events_purged;
      } else {
        ++it;
      }
    }
    done(r);
  }
  void opt_in(const std::string& tenant, std::vector<std::string> ids, std::string uid,
              std::function<void(std::error_code)> done) override {
    if (!uid.empty()) ids.push_back(uid);
    for (auto& id : ids) suppressed.erase(tenant + "/" + id);
    done({});
  }
  /// Lines carry only the event_id; `after` counts positions in `stored` (1-based), which,
  /// unlike the real store's cursors, shift when events are removed.
  std::vector<std::string> export_events(const std::string& tenant, std::int64_t since,
                                         ExportCursor after, std::size_t limit) override {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < stored.size(); ++i) {
      const auto& e = stored[i];
      if (e.tenant == tenant && e.received >= since && static_cast<std::int64_t>(i) >= after.seq &&
          out.size() < limit)
        out.push_back("{\"event_id\":\"" + e.event_id + "\"}");
    }
    return out;
  }
  std::vector<AuditEntry> audit(const std::string& tenant, std::int64_t since,
                                std::size_t) override {
    std::vector<AuditEntry> out;
    for (auto& a : audits)
      if (a.tenant == tenant && a.time >= since) out.push_back(a);
    return out;
  }
  void append_audit(AuditEntry entry) override { audits.push_back(std::move(entry)); }
  std::size_t purge_before(const std::string& tenant, std::int64_t cutoff) override {
    std::size_t n = 0;
    for (auto it = stored.begin(); it != stored.end();) {
      if (it->tenant == tenant && it->received < cutoff) {
        it = stored.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }
  std::size_t queue_depth() const override { return 0; }
  bool ready() const override { return is_ready; }
  void close() override {}

  std::vector<EventRecord> stored;
  std::set<std::string> seen;
  std::set<std::string> suppressed;
  std::vector<AuditEntry> audits;
  std::string last_source;
  bool fail_next = false;
  bool full = false;
  bool is_ready = true;
};

}  // namespace hashgate::gw::test
