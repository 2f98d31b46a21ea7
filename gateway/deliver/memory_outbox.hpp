#pragma once
// An in-memory Outbox for tests and the bench (not durable). Records what was delivered and what
// failed, so tests can check exactly-once by batch and the failure reasons.

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/deliver/outbox.hpp"

namespace hashgate::gw::deliver {

/// Outbox in memory, thread-safe.
class MemoryOutbox final : public Outbox {
 public:
  /// A row that left the queue, with its outcome.
  struct Done {
    std::string dest;
    OutboxRow row;
    std::string reason;  ///< "" when delivered
    std::int64_t at_ms = 0;
  };

  /// Queues a row for `dest`, due at once; returns its id (1, 2, ... across destinations).
  std::int64_t add(const std::string& dest, RowKind kind, std::string payload,
                   std::int64_t created_ms, DmaConsent dma = {});
  /// Drops the pending rows of `dest` whose id is in `ids` (as an opt-out drops a person's rows).
  void drop(const std::string& dest, const std::vector<std::int64_t>& ids);

  std::vector<OutboxRow> fetch_due(const std::string& dest, std::size_t limit,
                                   std::int64_t now_ms) override;
  void mark_delivered(const std::string& dest, const std::vector<std::int64_t>& ids,
                      std::int64_t now_ms) override;
  void mark_retry(const std::string& dest, const std::vector<std::int64_t>& ids, std::int64_t batch,
                  std::int64_t next_ms, std::string_view reason) override;
  void mark_failed(const std::string& dest, const std::vector<std::int64_t>& ids,
                   std::string_view reason, std::int64_t now_ms) override;
  std::int64_t next_due(const std::string& dest) override;
  OutboxStats stats(const std::string& dest) override;

  /// Pending rows of `dest` (copies, in id order).
  std::vector<OutboxRow> pending(const std::string& dest) const;
  /// The next attempt time of pending row `id` of `dest`, or -1.
  std::int64_t next_at(const std::string& dest, std::int64_t id) const;
  /// Rows delivered or failed so far, in the order they left the queue.
  std::vector<Done> done() const;
  /// Whether done() keeps rows (default true; the bench turns it off to save memory).
  void record_done(bool on);

 private:
  struct Entry {
    OutboxRow row;
    std::int64_t next_ms = 0;
  };
  void finish(const std::string& dest, const std::vector<std::int64_t>& ids,
              std::string_view reason, std::int64_t now_ms);

  mutable std::mutex m_mu;
  std::int64_t m_next_id = 1;
  std::map<std::string, std::map<std::int64_t, Entry>> m_rows;
  /// Ids of rows that carry a batch, per destination: fetch_due looks at these first and then
  /// walks the unbatched rows in id order only until `limit`, so a long queue stays cheap.
  std::map<std::string, std::set<std::int64_t>> m_batched;
  std::vector<Done> m_done;
  bool m_record_done = true;
};

}  // namespace hashgate::gw::deliver
