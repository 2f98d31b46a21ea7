// StoreOutbox: the worker's Outbox over the gateway's store.
#include "gateway/deliver/store_outbox.hpp"

#include <algorithm>

namespace hashgate::gw::deliver {

StoreOutbox::StoreOutbox(Store& store, const std::vector<Destination>& destinations)
    : m_store(store) {
  for (const Destination& d : destinations) m_with_uid[d.id] = d.kind == Kind::webhook;
}

std::vector<OutboxRow> StoreOutbox::fetch_due(const std::string& dest, std::size_t limit,
                                              std::int64_t now_ms) {
  const auto it = m_with_uid.find(dest);
  const bool with_uid = it != m_with_uid.end() && it->second;
  const Held held = held_of(dest);
  std::vector<OutboxEntry> claimed = m_store.outbox_claim(dest, limit, now_ms, with_uid, held.ids);
  release_held(dest, held.ids.size());
  std::vector<OutboxRow> out;
  for (OutboxEntry& e : claimed) {
    OutboxRow r;
    r.id = e.id;
    r.kind = e.kind == 1 ? RowKind::optout : e.kind == 2 ? RowKind::audience_add : RowKind::event;
    r.created_ms = e.created_ms;
    r.batch = e.batch;
    r.attempts = e.attempts;
    r.payload = std::move(e.payload);
    r.dma = unpack_dma(e.dma);
    out.push_back(std::move(r));
  }
  return out;
}

void StoreOutbox::mark_delivered(const std::string& dest, const std::vector<std::int64_t>& ids,
                                 std::int64_t now_ms) {
  std::lock_guard lk(m_mu);
  Held& h = m_held[dest];
  h.ids.insert(h.ids.end(), ids.begin(), ids.end());
  h.at_ms = now_ms;
}

StoreOutbox::Held StoreOutbox::held_of(const std::string& dest) {
  std::lock_guard lk(m_mu);
  const auto it = m_held.find(dest);
  return it == m_held.end() ? Held{} : it->second;
}

void StoreOutbox::release_held(const std::string& dest, std::size_t n) {
  // Only once the store has finished them, so that stats() never counts them twice or not at
  // all. Only the destination's own worker thread adds to its entry, so these are the first n.
  std::lock_guard lk(m_mu);
  const auto it = m_held.find(dest);
  if (it == m_held.end() || n == 0) return;
  auto& ids = it->second.ids;
  ids.erase(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(std::min(n, ids.size())));
  if (ids.empty()) m_held.erase(it);
}

void StoreOutbox::flush() {
  std::map<std::string, Held, std::less<>> all;
  {
    std::lock_guard lk(m_mu);
    all = m_held;
  }
  for (const auto& [dest, h] : all) {
    m_store.outbox_delivered(dest, h.ids, h.at_ms);
    release_held(dest, h.ids.size());
  }
}

void StoreOutbox::mark_retry(const std::string& dest, const std::vector<std::int64_t>& ids,
                             std::int64_t batch, std::int64_t next_ms, std::string_view) {
  m_store.outbox_retry(dest, ids, batch, next_ms);
}

void StoreOutbox::mark_failed(const std::string& dest, const std::vector<std::int64_t>& ids,
                              std::string_view reason, std::int64_t now_ms) {
  m_store.outbox_failed(dest, ids, reason, now_ms);
}

std::int64_t StoreOutbox::next_due(const std::string& dest) {
  // The worker asks when its destination is idle: finish what it delivered last.
  if (const Held h = held_of(dest); !h.ids.empty()) {
    m_store.outbox_delivered(dest, h.ids, h.at_ms);
    release_held(dest, h.ids.size());
  }
  return m_store.outbox_next_due(dest);
}

OutboxStats StoreOutbox::stats(const std::string& dest) {
  const OutboxCount c = m_store.outbox_count(dest);
  std::size_t held = 0;
  {
    std::lock_guard lk(m_mu);
    if (const auto it = m_held.find(dest); it != m_held.end()) held = it->second.ids.size();
  }
  if (c.pending <= held) return OutboxStats{};
  return OutboxStats{c.pending - held, c.oldest_created_ms};
}

}  // namespace hashgate::gw::deliver
