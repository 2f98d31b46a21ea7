// Delivery worker: batches per destination, backoff, expiry, and the threads that drive them.
#include "gateway/deliver/worker.hpp"

#include <hashgate/hashgate.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>

#include "gateway/deliver/http_client.hpp"
#include "gateway/deliver/payload.hpp"

namespace hashgate::gw::deliver {

namespace {

constexpr std::int64_t k_ms_per_hour = 3600 * 1000;

/// The rows of `due` sent together: a non-event row alone; else all rows of the first row's
/// batch (fetch_due puts earlier batches first and whole), or the leading unbatched events.
std::vector<OutboxRow> select_batch(std::vector<OutboxRow> due) {
  std::vector<OutboxRow> out;
  const std::int64_t batch = due.front().batch;
  if (due.front().kind != RowKind::event) {
    out.push_back(std::move(due.front()));
    return out;
  }
  for (auto& r : due) {
    if (r.kind != RowKind::event || r.batch != batch) break;
    out.push_back(std::move(r));
  }
  return out;
}

/// Zeroes what a request held: the body (hashed ids, Meta's token) and header values (tokens).
void scrub(Request& req) {
  hashgate::secure_clear(req.body);
  for (auto& [name, value] : req.headers) hashgate::secure_clear(value);
}

}  // namespace

/// The destinations one thread serves, with their wake-up times.
struct Worker::Lane {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::size_t> dests;
  std::vector<std::int64_t> wake_at;
  std::vector<char> poked;
  bool any_poked = false;
};

Worker::Worker(std::vector<Destination> destinations, Outbox& outbox, DeliveryMetrics& metrics,
               WorkerOptions options)
    : m_dests(std::move(destinations)),
      m_outbox(outbox),
      m_metrics(metrics),
      m_opt(std::move(options)),
      m_rng_state(std::random_device{}() ^ (std::uint64_t{std::random_device{}()} << 32)) {
  for (const auto& d : m_dests) {
    ClientOptions co;
    co.timeout = std::chrono::milliseconds(d.timeout_ms);
    co.ca_file = d.ca_file;
    m_clients.push_back(std::make_unique<HttpClient>(co));
    m_tokens.push_back(d.oauth ? std::make_unique<TokenCache>() : nullptr);
    m_token_clients.push_back(d.oauth ? std::make_unique<HttpClient>(co) : nullptr);
    m_metrics.add_destination(d.id);
  }
  const std::size_t n =
      m_dests.empty() ? 0 : std::clamp<std::size_t>(m_opt.threads, 1, m_dests.size());
  for (std::size_t t = 0; t < n; ++t) m_lanes.push_back(std::make_unique<Lane>());
  for (std::size_t i = 0; i < m_dests.size(); ++i) {
    Lane& lane = *m_lanes[i % n];
    lane.dests.push_back(i);
    lane.wake_at.push_back(0);
    lane.poked.push_back(1);
  }
}

Worker::~Worker() { stop(); }

std::int64_t Worker::now() const {
  if (m_opt.now_ms) return m_opt.now_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

double Worker::jitter() {
  if (m_opt.uniform01) return m_opt.uniform01();
  std::lock_guard lk(m_rng_mu);
  // splitmix64: plenty for spreading retries; not a secret.
  std::uint64_t z = (m_rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

void Worker::report(DeliveryReport r) {
  if (!m_opt.on_report) return;
  try {
    m_opt.on_report(r);
  } catch (...) {
    // The rows are already marked; a failing hook must not stop delivery.
  }
}

void Worker::fail(std::size_t index, const std::vector<std::int64_t>& ids, RowKind kind,
                  std::string_view reason, int status) {
  if (ids.empty()) return;
  const Destination& d = m_dests[index];
  const std::int64_t t = now();
  m_outbox.mark_failed(d.id, ids, reason, t);
  m_metrics.add_failed(d.id, reason, ids.size());
  report({&d, kind, DeliveryReport::Outcome::failed, std::string(reason), status, ids, t});
}

Worker::Taken Worker::take_batch(std::size_t index, std::int64_t now_ms) {
  const Destination& d = m_dests[index];
  auto due = m_outbox.fetch_due(d.id, d.batch_events, now_ms);
  if (due.empty()) return {};
  auto batch = select_batch(std::move(due));
  const std::int64_t max_age = std::int64_t{d.max_age_hours} * k_ms_per_hour;
  std::vector<OutboxRow> live;
  std::vector<std::int64_t> expired;
  for (auto& r : batch) {
    if (now_ms - r.created_ms >= max_age)
      expired.push_back(r.id);
    else
      live.push_back(std::move(r));
  }
  fail(index, expired, batch.front().kind, "expired", 0);
  return {batch.size(), std::move(live)};
}

PumpResult Worker::pump(std::size_t index) {
  const std::int64_t t = now();
  Taken taken = take_batch(index, t);
  if (taken.live.empty()) return {taken.count, DeliveryReport::Outcome::failed};
  PumpResult r = send_batch(index, std::move(taken.live), t);
  r.rows = taken.count;
  return r;
}

PumpResult Worker::send_batch(std::size_t index, std::vector<OutboxRow> rows, std::int64_t now_ms) {
  const Destination& d = m_dests[index];
  const RowKind kind = rows.front().kind;
  const std::int64_t batch = rows.front().batch != 0 ? rows.front().batch : rows.front().id;
  Built b;
  try {
    b = build_request(d, rows, idempotency_key(m_opt.key_salt, d.id, batch), now_ms / 1000);
  } catch (const std::exception&) {  // a builder bug must not end the worker thread
    b = Built{};
    for (const auto& r : rows) b.rejected.push_back({r.id, "payload"});
  }
  std::map<std::string_view, std::vector<std::int64_t>> rejected;
  for (const auto& r : b.rejected) rejected[r.reason].push_back(r.id);
  for (const auto& [reason, ids] : rejected) fail(index, ids, kind, reason, 0);
  if (b.sent.empty()) {
    scrub(b.request);
    return {rows.size(), DeliveryReport::Outcome::failed};
  }
  if (std::string why; m_tokens[index] && !authorize(index, b.request, now_ms, why)) {
    scrub(b.request);
    return {rows.size(), retry(index, rows, b.sent, batch, why, "")};
  }
  HttpResult res = m_clients[index]->send(b.request);
  scrub(b.request);
  hashgate::secure_clear(res.body);
  Verdict v = res.status != 0 ? classify(res.status) : Verdict::retry;
  if (res.status == 401 && m_tokens[index]) {  // expired or revoked: refresh, then try again
    m_tokens[index]->invalidate();
    v = Verdict::retry;
  }
  if (v == Verdict::delivered) {
    const std::int64_t t = now();
    m_outbox.mark_delivered(d.id, b.sent, t);
    m_metrics.add_delivered(d.id, b.sent.size());
    report({&d, kind, DeliveryReport::Outcome::delivered, "", res.status, b.sent, t});
    return {rows.size(), DeliveryReport::Outcome::delivered};
  }
  const std::string reason = res.status != 0 ? "http_" + std::to_string(res.status) : res.error;
  if (v == Verdict::permanent) {
    fail(index, b.sent, kind, reason, res.status);
    return {rows.size(), DeliveryReport::Outcome::failed};
  }
  return {rows.size(), retry(index, rows, b.sent, batch, reason, res.retry_after)};
}

DeliveryReport::Outcome Worker::retry(std::size_t index, const std::vector<OutboxRow>& rows,
                                      const std::vector<std::int64_t>& ids, std::int64_t batch,
                                      std::string_view reason, const std::string& retry_after) {
  const Destination& d = m_dests[index];
  const std::int64_t t = now();
  int attempts = 0;
  std::int64_t oldest = t;
  for (const auto& r : rows) {
    if (std::find(ids.begin(), ids.end(), r.id) == ids.end()) continue;
    attempts = std::max(attempts, r.attempts);
    oldest = std::min(oldest, r.created_ms);
  }
  std::optional<std::int64_t> wish;
  if (auto s = parse_retry_after(retry_after, t / 1000))
    wish = *s > m_opt.retry.max_retry_after_ms / 1000 ? m_opt.retry.max_retry_after_ms : *s * 1000;
  const std::int64_t next = t + next_delay_ms(
                                    m_opt.retry, attempts + 1, [this] { return jitter(); }, wish);
  const std::int64_t deadline = oldest + std::int64_t{d.max_age_hours} * k_ms_per_hour;
  if (next >= deadline) {  // no attempt left before max_age_hours: give up now
    fail(index, ids, rows.front().kind, "expired", 0);
    return DeliveryReport::Outcome::failed;
  }
  m_outbox.mark_retry(d.id, ids, batch, next, reason);
  report({&d, rows.front().kind, DeliveryReport::Outcome::retry, std::string(reason), 0, ids, t});
  return DeliveryReport::Outcome::retry;
}

bool Worker::authorize(std::size_t index, Request& req, std::int64_t now_ms, std::string& error) {
  const std::string_view token =
      m_tokens[index]->get(*m_dests[index].oauth, *m_token_clients[index], now_ms, error);
  if (token.empty()) return false;
  set_bearer(req, token);
  return true;
}

void Worker::start() {
  for (std::size_t t = 0; t < m_lanes.size(); ++t)
    m_threads.emplace_back([this, t] { run_thread(t); });
}

void Worker::stop() {
  m_stop = true;
  for (auto& lane : m_lanes) {
    std::lock_guard lk(lane->mu);
    lane->cv.notify_all();
  }
  for (auto& th : m_threads)
    if (th.joinable()) th.join();
  m_threads.clear();
}

void Worker::notify(std::string_view dest) {
  for (std::size_t i = 0; i < m_dests.size(); ++i) {
    if (m_dests[i].id != dest) continue;
    Lane& lane = *m_lanes[i % m_lanes.size()];
    std::lock_guard lk(lane.mu);
    lane.poked[i / m_lanes.size()] = 1;
    lane.any_poked = true;
    lane.cv.notify_one();
    return;
  }
}

void Worker::run_thread(std::size_t t) {
  Lane& lane = *m_lanes[t];
  std::unique_lock lk(lane.mu);
  while (!m_stop) {
    bool busy = false;
    std::int64_t wake = now() + m_opt.idle_poll_ms;
    lane.any_poked = false;
    for (std::size_t k = 0; k < lane.dests.size() && !m_stop; ++k) {
      const std::int64_t t_now = now();
      if (!lane.poked[k] && lane.wake_at[k] > t_now) {
        wake = std::min(wake, lane.wake_at[k]);
        continue;
      }
      lane.poked[k] = 0;
      const std::size_t index = lane.dests[k];
      lk.unlock();
      const PumpResult r = pump(index);
      const std::int64_t due = r.rows != 0 ? t_now : m_outbox.next_due(m_dests[index].id);
      lk.lock();
      busy = busy || r.rows != 0;
      lane.wake_at[k] = due < 0 ? now() + m_opt.idle_poll_ms : due;
      wake = std::min(wake, lane.wake_at[k]);
    }
    if (busy || m_stop) continue;
    const std::int64_t wait = wake - now();
    if (wait > 0)
      lane.cv.wait_for(lk, std::chrono::milliseconds(wait),
                       [&] { return m_stop || lane.any_poked; });
  }
}

std::vector<PendingSample> Worker::sample_pending() {
  std::vector<PendingSample> out;
  const std::int64_t t = now();
  for (const auto& d : m_dests) {
    const OutboxStats s = m_outbox.stats(d.id);
    const double age =
        s.pending ? static_cast<double>(std::max<std::int64_t>(0, t - s.oldest_created_ms)) / 1000.0
                  : 0.0;
    out.push_back({d.id, s.pending, age});
  }
  return out;
}

}  // namespace hashgate::gw::deliver
