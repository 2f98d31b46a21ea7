#pragma once
// The Outbox of the running gateway: the store's outbox table and recipient ledger
// (gateway/store/outbox.cpp), behind the worker's Outbox interface. Delivered rows are finished
// in the transaction of the destination's next claim (or by next_due()/flush()), so a batch costs
// one commit: a crash in between re-sends them under the same Idempotency-Key (at least once).

#include <map>
#include <mutex>
#include <string>

#include "gateway/deliver/destination.hpp"
#include "gateway/deliver/outbox.hpp"
#include "gateway/store/store.hpp"

namespace hashgate::gw::deliver {

class StoreOutbox final : public Outbox {
 public:
  /// `store` must outlive this; `destinations` says which ones also receive the uid (webhook),
  /// so that the ledger records it.
  StoreOutbox(Store& store, const std::vector<Destination>& destinations);

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
  /// Finishes every delivered row still held back (call after the worker stopped).
  void flush();

 private:
  /// Delivered rows of one destination not yet finished in the store.
  struct Held {
    std::vector<std::int64_t> ids;
    std::int64_t at_ms = 0;
  };
  /// A copy of what `dest` holds back; release_held() drops its first `n` ids once finished.
  Held held_of(const std::string& dest);
  void release_held(const std::string& dest, std::size_t n);

  Store& m_store;
  std::mutex m_mu;
  std::map<std::string, Held, std::less<>> m_held;
  std::map<std::string, bool, std::less<>> m_with_uid;  ///< destination id → sends the uid
};

}  // namespace hashgate::gw::deliver
