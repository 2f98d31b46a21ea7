// The in-memory Outbox: the contract of outbox.hpp without durability.
#include "gateway/deliver/memory_outbox.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace hashgate::gw::deliver {

std::int64_t MemoryOutbox::add(const std::string& dest, RowKind kind, std::string payload,
                               std::int64_t created_ms, DmaConsent dma) {
  std::lock_guard lk(m_mu);
  const std::int64_t id = m_next_id++;
  OutboxRow row;
  row.id = id;
  row.kind = kind;
  row.created_ms = created_ms;
  row.payload = std::move(payload);
  row.dma = dma;
  m_rows[dest].emplace(id, Entry{std::move(row), created_ms});
  return id;
}

void MemoryOutbox::drop(const std::string& dest, const std::vector<std::int64_t>& ids) {
  std::lock_guard lk(m_mu);
  auto& rows = m_rows[dest];
  for (auto id : ids) {
    rows.erase(id);
    m_batched[dest].erase(id);
  }
}

std::vector<OutboxRow> MemoryOutbox::fetch_due(const std::string& dest, std::size_t limit,
                                               std::int64_t now_ms) {
  std::lock_guard lk(m_mu);
  auto it = m_rows.find(dest);
  if (it == m_rows.end() || limit == 0) return {};
  const auto& rows = it->second;
  // ORDER BY batch = 0, batch, id: earlier batches first and whole, then unbatched rows.
  std::vector<const Entry*> due;
  for (std::int64_t id : m_batched[dest]) {
    const Entry& e = rows.at(id);
    if (e.next_ms <= now_ms) due.push_back(&e);
  }
  std::sort(due.begin(), due.end(), [](const Entry* a, const Entry* b) {
    return std::pair(a->row.batch, a->row.id) < std::pair(b->row.batch, b->row.id);
  });
  if (due.size() > limit) due.resize(limit);
  for (auto r = rows.begin(); r != rows.end() && due.size() < limit; ++r)
    if (r->second.row.batch == 0 && r->second.next_ms <= now_ms) due.push_back(&r->second);
  std::vector<OutboxRow> out;
  out.reserve(due.size());
  for (const Entry* e : due) out.push_back(e->row);
  return out;
}

void MemoryOutbox::finish(const std::string& dest, const std::vector<std::int64_t>& ids,
                          std::string_view reason, std::int64_t now_ms) {
  std::lock_guard lk(m_mu);
  auto& rows = m_rows[dest];
  for (auto id : ids) {
    auto it = rows.find(id);
    if (it == rows.end()) continue;
    if (m_record_done)
      m_done.push_back({dest, std::move(it->second.row), std::string(reason), now_ms});
    rows.erase(it);
    m_batched[dest].erase(id);
  }
}

void MemoryOutbox::mark_delivered(const std::string& dest, const std::vector<std::int64_t>& ids,
                                  std::int64_t now_ms) {
  finish(dest, ids, "", now_ms);
}

void MemoryOutbox::mark_failed(const std::string& dest, const std::vector<std::int64_t>& ids,
                               std::string_view reason, std::int64_t now_ms) {
  finish(dest, ids, reason.empty() ? "failed" : reason, now_ms);
}

void MemoryOutbox::mark_retry(const std::string& dest, const std::vector<std::int64_t>& ids,
                              std::int64_t batch, std::int64_t next_ms, std::string_view) {
  std::lock_guard lk(m_mu);
  auto& rows = m_rows[dest];
  for (auto id : ids) {
    auto it = rows.find(id);
    if (it == rows.end()) continue;
    it->second.row.batch = batch;
    it->second.row.attempts += 1;
    it->second.next_ms = next_ms;
    if (batch != 0) m_batched[dest].insert(id);
  }
}

std::int64_t MemoryOutbox::next_due(const std::string& dest) {
  std::lock_guard lk(m_mu);
  auto it = m_rows.find(dest);
  if (it == m_rows.end() || it->second.empty()) return -1;
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  for (const auto& [id, e] : it->second) best = std::min(best, e.next_ms);
  return best;
}

OutboxStats MemoryOutbox::stats(const std::string& dest) {
  std::lock_guard lk(m_mu);
  OutboxStats s;
  auto it = m_rows.find(dest);
  if (it == m_rows.end()) return s;
  s.pending = it->second.size();
  for (const auto& [id, e] : it->second)
    if (s.oldest_created_ms == 0 || e.row.created_ms < s.oldest_created_ms)
      s.oldest_created_ms = e.row.created_ms;
  return s;
}

std::vector<OutboxRow> MemoryOutbox::pending(const std::string& dest) const {
  std::lock_guard lk(m_mu);
  std::vector<OutboxRow> out;
  auto it = m_rows.find(dest);
  if (it != m_rows.end())
    for (const auto& [id, e] : it->second) out.push_back(e.row);
  return out;
}

std::int64_t MemoryOutbox::next_at(const std::string& dest, std::int64_t id) const {
  std::lock_guard lk(m_mu);
  auto it = m_rows.find(dest);
  if (it == m_rows.end()) return -1;
  auto r = it->second.find(id);
  return r == it->second.end() ? -1 : r->second.next_ms;
}

void MemoryOutbox::record_done(bool on) {
  std::lock_guard lk(m_mu);
  m_record_done = on;
}

std::vector<MemoryOutbox::Done> MemoryOutbox::done() const {
  std::lock_guard lk(m_mu);
  return m_done;
}

}  // namespace hashgate::gw::deliver
