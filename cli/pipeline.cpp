#include "pipeline.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <system_error>

namespace hashgate::cli {

namespace {

bool is_blank(std::string_view v) noexcept {
  for (char c : v) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') return false;
  }
  return true;
}

// Mixes `s` into the running fingerprint `h`, 8 bytes at a time. The inputs are encoded digests
// (already uniformly distributed), so a multiply-rotate mix is enough.
std::uint64_t mix_fingerprint(std::uint64_t h, std::string_view s) noexcept {
  constexpr std::uint64_t k_mul = 0x9E3779B97F4A7C15ull;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = ((h ^ w) * k_mul);
    h ^= h >> 29;
  }
  std::uint64_t tail = s.size();
  for (; i < s.size(); ++i) tail = (tail << 8) | static_cast<unsigned char>(s[i]);
  h = (h ^ tail) * k_mul;
  return h ^ (h >> 32);
}

// Makes room for `extra` more bytes in `s`; a grown buffer replaces the old one only after the
// old one is zeroed (it may hold copied raw columns).
void reserve_zeroed(std::string& s, std::size_t extra) {
  if (s.size() + extra <= s.capacity()) return;
  std::string bigger;
  bigger.reserve(std::max(s.size() + extra, 2 * s.capacity()));
  bigger.assign(s);
  if (!s.empty()) secure_zero(s.data(), s.size());
  s.swap(bigger);
}

}  // namespace

void append_zeroed(std::string& s, std::string_view bytes) {
  reserve_zeroed(s, bytes.size());
  s.append(bytes);
}

bool is_usage_error(Errc e) noexcept {
  return e == Errc::unsupported_field || e == Errc::unsupported_profile ||
         e == Errc::unsupported_algo || e == Errc::unsupported_encoding ||
         e == Errc::invalid_region || e == Errc::missing_key;
}

void Chunk::wipe() noexcept {
  fields.wipe();
  lines.clear();
  if (!out.empty()) secure_zero(out.data(), out.size());
  out.clear();
  row_ends.clear();
  keys.clear();
  events.clear();
  counts.clear();
  stopped = false;
  done = false;
}

void process_chunk(const RowPlan& plan, Chunk& c) {
  const std::size_t ncols = plan.kind.size();
  const std::size_t nhashed = plan.hashed.size();
  c.counts.assign(nhashed, ColumnCounts{});
  std::vector<std::string> digests(nhashed);
  for (std::size_t r = 0; r < c.rows(); ++r) {
    const std::size_t base = r * ncols;
    std::uint64_t key = 0x6A09E667F3BCC908ull;
    bool any_key = false;
    std::size_t digest_bytes = 0;
    for (std::size_t k = 0; k < nhashed; ++k) {
      const RowPlan::Hashed& h = plan.hashed[k];
      const std::string_view v = c.fields[base + h.index];
      digests[k].clear();
      if (is_blank(v)) {
        ++c.counts[k].empty;
      } else if (Result<std::string> res = hash(h.field, v, *plan.profile, plan.options);
                 res.ok()) {
        digests[k] = std::move(res.value());
        ++c.counts[k].hashed;
        any_key = true;
      } else {
        c.events.push_back(
            RowEvent{static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(k), res.error()});
        if (is_usage_error(res.error())) {
          c.stopped = true;  // the run stops here; later rows are never reported
          return;
        }
        ++c.counts[k].invalid;
      }
      key = mix_fingerprint(key, digests[k]);
      digest_bytes += digests[k].size();
    }
    if (any_key) c.keys.push_back(key == 0 ? 1 : key);  // 0 and 1 count as one key, as before

    // Encode the output row. Copied columns may need quoting (each byte at most doubled, plus
    // two quotes); digests are hex or base64 and never do.
    const std::string_view first = c.fields[base];
    const std::string_view last = c.fields[base + ncols - 1];
    const auto row_bytes = static_cast<std::size_t>(last.data() + last.size() - first.data());
    reserve_zeroed(c.out, 2 * row_bytes + 3 * ncols + digest_bytes + 2);
    bool first_out = true;
    for (std::size_t i = 0; i < ncols; ++i) {
      const std::size_t kind = plan.kind[i];
      if (kind == 1) continue;
      if (!first_out) c.out.push_back(plan.delimiter);
      first_out = false;
      if (kind == 0) {
        append_csv_field(c.out, c.fields[base + i], plan.delimiter);
      } else {
        c.out.append(digests[kind - 2]);
      }
    }
    if (plan.crlf) c.out.push_back('\r');
    c.out.push_back('\n');
    c.row_ends.push_back(c.out.size());
  }
}

void DuplicateCounter::add(std::span<const std::uint64_t> keys) {
  for (const std::uint64_t k : keys) m_buckets[k >> 56].push_back(k);
}

std::size_t DuplicateCounter::count() const {
  std::size_t dups = 0;
  std::vector<std::uint64_t> table;  // open addressing, linear probing; 0 marks a free slot
  for (const std::vector<std::uint64_t>& bucket : m_buckets) {
    unsigned bits = 4;
    while ((std::size_t{1} << bits) < 2 * bucket.size()) ++bits;
    const std::size_t mask = (std::size_t{1} << bits) - 1;
    table.assign(mask + 1, 0);
    bool zero_seen = false;
    for (const std::uint64_t k : bucket) {
      if (k == 0) {
        dups += zero_seen ? 1 : 0;
        zero_seen = true;
        continue;
      }
      for (std::size_t i = (k * 0xD6E8FEB86659FD93ull) >> (64 - bits);; i = (i + 1) & mask) {
        if (table[i] == k) {
          ++dups;
          break;
        }
        if (table[i] == 0) {
          table[i] = k;
          break;
        }
      }
    }
  }
  return dups;
}

ChunkPipeline::ChunkPipeline(const RowPlan& plan, std::size_t workers, std::size_t chunks)
    : m_plan(plan) {
  chunks = std::max<std::size_t>(chunks, 1);
  for (std::size_t i = 0; i < chunks; ++i) {
    auto c = std::make_unique<Chunk>();
    // Sized up front so that filling a chunk does not reallocate (and leave raw bytes behind).
    c->fields.reserve(k_chunk_bytes + (64 << 10));
    c->out.reserve(2 * k_chunk_bytes);
    c->lines.reserve(k_chunk_rows);
    c->row_ends.reserve(k_chunk_rows);
    m_free.push_back(c.get());
    m_chunks.push_back(std::move(c));
  }
  for (std::size_t i = 0; i < workers; ++i) {
    try {
      m_threads.emplace_back([this] { worker_loop(); });
    } catch (const std::system_error&) {
      break;  // run with the threads we have (none: process inline)
    }
  }
}

ChunkPipeline::~ChunkPipeline() {
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_work_cv.notify_all();
  for (std::thread& t : m_threads) t.join();
}

Chunk* ChunkPipeline::try_acquire() {
  if (m_free.empty()) return nullptr;
  Chunk* c = m_free.back();
  m_free.pop_back();
  return c;
}

void ChunkPipeline::submit(Chunk* c) {
  m_order.push_back(c);
  if (m_threads.empty()) {
    process_chunk(m_plan, *c);
    c->done = true;
    return;
  }
  {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(c);
  }
  m_work_cv.notify_one();
}

Chunk* ChunkPipeline::take_oldest(bool wait) {
  if (m_order.empty()) return nullptr;
  Chunk* c = m_order.front();
  if (!m_threads.empty()) {
    std::unique_lock lock(m_mutex);
    if (wait) {
      m_done_cv.wait(lock, [c] { return c->done; });
    } else if (!c->done) {
      return nullptr;
    }
  }
  m_order.pop_front();
  return c;
}

void ChunkPipeline::release(Chunk* c) {
  c->wipe();
  m_free.push_back(c);
}

void ChunkPipeline::worker_loop() {
  for (;;) {
    Chunk* c = nullptr;
    {
      std::unique_lock lock(m_mutex);
      m_work_cv.wait(lock, [this] { return m_stop || !m_queue.empty(); });
      if (m_stop) return;
      c = m_queue.front();
      m_queue.pop_front();
    }
    process_chunk(m_plan, *c);
    {
      std::lock_guard lock(m_mutex);
      c->done = true;
    }
    m_done_cv.notify_all();
  }
}

}  // namespace hashgate::cli
