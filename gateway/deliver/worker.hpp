#pragma once
// The delivery worker: takes due outbox rows per destination, sends them in batches on its own
// threads (ingest never waits for it), and marks each batch delivered, to retry (exponential
// backoff with jitter, Retry-After honoured) or failed (permanent answer, or max_age_hours
// reached). pump() runs one round synchronously, for tests with a fake clock.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/deliver/destination.hpp"
#include "gateway/deliver/metrics.hpp"
#include "gateway/deliver/oauth.hpp"
#include "gateway/deliver/outbox.hpp"
#include "gateway/deliver/retry.hpp"

namespace hashgate::gw::deliver {

class HttpClient;

/// What happened to the rows of one round (for the audit hook and tests).
struct DeliveryReport {
  enum class Outcome : std::uint8_t { delivered, retry, failed };
  const Destination* destination = nullptr;
  RowKind kind = RowKind::event;
  Outcome outcome = Outcome::delivered;
  std::string reason;  ///< "" when delivered; http_<status>, expired, payload, ... otherwise
  int status = 0;      ///< the HTTP status, 0 when none arrived
  std::vector<std::int64_t> ids;
  std::int64_t at_ms = 0;
};

/// Worker settings. Empty functions mean the real thing.
struct WorkerOptions {
  std::size_t threads = 2;  ///< destinations are spread over this many threads
  RetryPolicy retry;
  std::string key_salt;  ///< the installation's random id (Idempotency-Key material)
  std::function<std::int64_t()> now_ms;  ///< wall clock, unix ms
  std::function<double()> uniform01;     ///< jitter source in [0, 1)
  /// Called for every round's outcome, on the worker thread (phase 2: audit of removals and of
  /// permanent failures). Keep it short.
  std::function<void(const DeliveryReport&)> on_report;
  std::int64_t idle_poll_ms = 1000;  ///< re-check an idle destination this often
};

/// The outcome of pump(): rows taken from the queue in this round and the last verdict.
struct PumpResult {
  std::size_t rows = 0;  ///< 0 = nothing was due
  DeliveryReport::Outcome outcome = DeliveryReport::Outcome::delivered;
};

class Worker {
 public:
  /// `outbox` and `metrics` must outlive the worker.
  Worker(std::vector<Destination> destinations, Outbox& outbox, DeliveryMetrics& metrics,
         WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Starts the threads. Call at most once.
  void start();
  /// Stops the threads (a request in flight finishes or times out) and joins them.
  void stop();
  /// Rows were added for destination `dest`: wake its thread now.
  void notify(std::string_view dest);

  /// One round for destination `index`: fetch one batch, send it, mark the rows. Not to be called
  /// while the threads run.
  PumpResult pump(std::size_t index);

  const std::vector<Destination>& destinations() const { return m_dests; }
  /// The pending gauges of every destination, sampled now.
  std::vector<PendingSample> sample_pending();

 private:
  struct Lane;
  std::int64_t now() const;
  double jitter();
  void report(DeliveryReport r);
  void fail(std::size_t index, const std::vector<std::int64_t>& ids, RowKind kind,
            std::string_view reason, int status);
  /// Rows taken from the queue in one round (`count`, expired ones included) and the ones to send.
  struct Taken {
    std::size_t count = 0;
    std::vector<OutboxRow> live;
  };
  Taken take_batch(std::size_t index, std::int64_t now_ms);
  PumpResult send_batch(std::size_t index, std::vector<OutboxRow> rows, std::int64_t now_ms);
  /// Schedules the next attempt of `ids`, or fails them as expired when none fits before
  /// max_age_hours; returns which.
  DeliveryReport::Outcome retry(std::size_t index, const std::vector<OutboxRow>& rows,
                                const std::vector<std::int64_t>& ids, std::int64_t batch,
                                std::string_view reason, const std::string& retry_after);
  void run_thread(std::size_t t);
  /// google_dm with `oauth`: puts a fresh access token on `req`; false with `error` set when the
  /// token endpoint failed (the batch is retried later).
  bool authorize(std::size_t index, Request& req, std::int64_t now_ms, std::string& error);

  std::vector<Destination> m_dests;
  Outbox& m_outbox;
  DeliveryMetrics& m_metrics;
  WorkerOptions m_opt;
  std::vector<std::unique_ptr<HttpClient>> m_clients;  ///< one per destination
  /// Per destination with `oauth`: its token and a client for the token endpoint (null else).
  std::vector<std::unique_ptr<TokenCache>> m_tokens;
  std::vector<std::unique_ptr<HttpClient>> m_token_clients;
  std::vector<std::unique_ptr<Lane>> m_lanes;  ///< one per thread
  std::mutex m_rng_mu;
  std::uint64_t m_rng_state;
  std::atomic<bool> m_stop{false};
  std::vector<std::thread> m_threads;
};

}  // namespace hashgate::gw::deliver
