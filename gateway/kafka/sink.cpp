// The sink: Kafka → SQLite store, offsets committed after the store commit (sink.hpp).
#include "gateway/kafka/sink.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string_view>

namespace hashgate::gw::kafka {

namespace {

constexpr int k_poll_ms = 100;
constexpr std::size_t k_max_batch = 2000;
constexpr auto k_retry_pause = std::chrono::milliseconds(500);

}  // namespace

std::unique_ptr<Sink> Sink::start(const config::KafkaSettings& s, Store& store, Router route,
                                  std::string& why) {
  std::unique_ptr<Publisher> publisher = Publisher::open(s, why);
  if (!publisher) return nullptr;
  const std::string group = s.topic_prefix + ".sink";
  Conf conf = make_conf(s, {{"group.id", group.c_str()}, {"fetch.wait.max.ms", "50"}},
                        {{"enable.auto.commit", "false"},
                         {"enable.auto.offset.store", "false"},
                         {"auto.offset.reset", "earliest"}},
                        why);
  if (!conf) return nullptr;
  Handle rk = make_handle(RD_KAFKA_CONSUMER, std::move(conf), why);
  if (!rk) return nullptr;
  rd_kafka_poll_set_consumer(rk.get());
  Partitions topics(rd_kafka_topic_partition_list_new(2));
  rd_kafka_topic_partition_list_add(topics.get(), events_topic(s.topic_prefix).c_str(),
                                    RD_KAFKA_PARTITION_UA);
  rd_kafka_topic_partition_list_add(topics.get(), optouts_topic(s.topic_prefix).c_str(),
                                    RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(rk.get(), topics.get())) {
    why = std::string("sink: cannot subscribe: ") + rd_kafka_err2str(err);
    return nullptr;
  }
  std::unique_ptr<Sink> sink(new Sink(std::move(rk), store, events_topic(s.topic_prefix)));
  sink->m_publisher = std::move(publisher);
  sink->m_route = std::move(route);
  sink->m_thread = std::thread([p = sink.get()] { p->run(); });
  return sink;
}

Sink::Sink(Handle rk, Store& store, std::string events_topic)
    : m_rk(std::move(rk)), m_store(store), m_events_topic(std::move(events_topic)) {
  const char* hook = std::getenv("HASHGATE_TEST_SINK_EXIT");
  const std::string_view h = hook ? hook : "";
  for (const std::string_view when : {"before-commit:", "after-commit:"}) {
    if (h.substr(0, when.size()) != when) continue;
    m_crash.before = when[0] == 'b';
    m_crash.after_records = std::strtoull(hook + when.size(), nullptr, 10);
  }
}

void Sink::crash_point(bool before_commit) const {
  if (m_crash.after_records && m_taken >= m_crash.after_records && m_crash.before == before_commit)
    std::_Exit(137);
}

Sink::~Sink() { stop(); }

void Sink::stop() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
  if (m_rk) rd_kafka_consumer_close(m_rk.get());
  m_rk.reset();
}

/// Batches until stop(): take, write (again after a pause until the store takes it), commit.
void Sink::run() {
  while (!m_stop) {
    Batch b;
    if (!take(b)) continue;
    while (!write(b)) {
      if (m_stop) return;  // not committed: the next start writes the batch again
      std::fprintf(stderr, "hashgate-gateway: sink: store write failed; retrying the batch\n");
      std::this_thread::sleep_for(k_retry_pause);  // back-off, not synchronisation
    }
    commit(b);
  }
}

/// Polls up to k_max_batch records (waiting k_poll_ms for the first). False when none came.
bool Sink::take(Batch& b) {
  b.offsets.reset(rd_kafka_topic_partition_list_new(8));
  rd_kafka_message_t* m = rd_kafka_consumer_poll(m_rk.get(), k_poll_ms);
  while (m) {
    add(b, *m);
    rd_kafka_message_destroy(m);
    if (b.records >= k_max_batch) break;
    m = rd_kafka_consumer_poll(m_rk.get(), 0);
  }
  return b.records > 0;
}

/// Adds one polled message to `b`: its decoded record, and its offset to commit. A record that
/// does not decode is skipped (counted, logged by position only) and committed past.
void Sink::add(Batch& b, const rd_kafka_message_t& m) {
  if (m.err) return;  // end of partition or a transient error: nothing to write
  const char* topic = rd_kafka_topic_name(m.rkt);
  const auto value = std::string_view(static_cast<const char*>(m.payload), m.len);
  const bool is_event = m_events_topic == topic;
  if (auto ev = is_event ? decode_event(value) : std::nullopt) {
    if (m_route) m_route(*ev);
    b.items.emplace_back(std::move(*ev));
  } else if (auto opt = is_event ? std::nullopt : decode_opt(value))
    b.items.emplace_back(std::move(*opt));
  else
    std::fprintf(stderr, "hashgate-gateway: sink: skipped undecodable record %s [%d] @%lld\n",
                 topic, static_cast<int>(m.partition), static_cast<long long>(m.offset)),
        ++m_skipped;
  rd_kafka_topic_partition_t* tp =
      rd_kafka_topic_partition_list_find(b.offsets.get(), topic, m.partition);
  if (!tp) tp = rd_kafka_topic_partition_list_add(b.offsets.get(), topic, m.partition);
  tp->offset = m.offset + 1;
  ++b.records;
}

/// Writes the batch in order: each run of events as one submit, each opt record on its own.
/// False when any store write failed (the caller writes the whole batch again: every write is
/// idempotent, events by their event_id, opt-outs by their key).
bool Sink::write(const Batch& b) {
  std::vector<EventRecord> run;
  for (const Item& item : b.items) {
    if (const auto* ev = std::get_if<EventRecord>(&item)) {
      run.push_back(*ev);
      continue;
    }
    if (!run.empty() && !write_events(std::move(run))) return false;
    run.clear();
    if (!write_opt(std::get<OptRecord>(item))) return false;
  }
  return run.empty() || write_events(std::move(run));
}

/// One submit; waits for its commit. Duplicates and suppressed events are outcomes, not errors.
bool Sink::write_events(std::vector<EventRecord> events) {
  std::promise<bool> committed;
  auto result = committed.get_future();
  auto done = [&committed](SubmitResult r) { committed.set_value(!r.error); };
  // The store refuses when its queue is full: wait until it takes the batch.
  while (!m_store.submit(events, done)) std::this_thread::sleep_for(k_retry_pause);
  return result.get();
}

namespace {

/// Runs `call(done)` against the store and waits for `done`'s value (done runs on the writer).
template <typename Result, typename Call>
Result wait_store(Call call) {
  std::promise<Result> p;
  auto f = p.get_future();
  call([&p](Result r) { p.set_value(std::move(r)); });
  return f.get();
}

/// Opt-out records (source "fanout", the time of `r`) for the identifiers of `c` other than
/// `r`'s own, those in `known` and, with `skip_suppressed`, those `store` suppresses already.
std::vector<OptRecord> linked_records(const OptRecord& r, const OptOutClosure& c,
                                      const OptOutClosure* known, const Store* skip_suppressed) {
  std::vector<OptRecord> out;
  auto has = [](const std::vector<std::string>& in, const std::string& v) {
    return std::find(in.begin(), in.end(), v) != in.end();
  };
  auto add = [&](const std::vector<std::string>& values, bool is_uid) {
    for (const auto& v : values) {
      if (is_uid == r.is_uid && v == r.id) continue;
      if (known && has(is_uid ? known->uids : known->ids, v)) continue;
      if (skip_suppressed && skip_suppressed->is_suppressed(r.tenant, v)) continue;
      out.push_back(OptRecord{OptOp::optout, r.tenant, v, is_uid, "fanout", r.time});
    }
  };
  add(c.ids, false);
  add(c.uids, true);
  return out;
}

}  // namespace

/// Publishes `records`, again after a pause while the brokers refuse them. False on stop().
bool Sink::publish_until_done(const std::vector<OptRecord>& records) {
  while (!records.empty() && !m_publisher->publish(records, m_stop)) {
    if (m_stop) return false;
    std::fprintf(stderr, "hashgate-gateway: sink: publishing fan-out opt-outs failed; retrying\n");
    std::this_thread::sleep_for(k_retry_pause);  // back-off, not synchronisation
  }
  return true;
}

/// One opt-in, or one opt-out with its fan-out published (sink.hpp): the closure before, the
/// store's opt-out (fan-out and purge), then what the opt-out reached beyond the closure. Waits
/// for each commit.
bool Sink::write_opt(const OptRecord& r) {
  std::vector<std::string> ids;
  if (!r.is_uid) ids.push_back(r.id);
  const std::string uid = r.is_uid ? r.id : std::string();
  if (r.op == OptOp::optin) {
    return !wait_store<std::error_code>(
        [&](auto done) { m_store.opt_in(r.tenant, ids, uid, std::move(done)); });
  }
  const auto before = wait_store<OptOutResult>(
      [&](auto done) { m_store.opt_out_closure(r.tenant, ids, uid, std::move(done)); });
  if (before.error || !publish_until_done(linked_records(r, before.closure, nullptr, &m_store)))
    return false;
  const auto after = wait_store<OptOutResult>([&](auto done) {
    m_store.opt_out(r.tenant, ids, uid, r.source.empty() ? "kafka" : r.source, std::move(done));
  });
  if (after.error) return false;
  // Reached only now (an audience upload in between): published after the commit, best effort
  // across a crash (docs/deploy.md).
  return publish_until_done(linked_records(r, after.closure, &before.closure, nullptr));
}

/// Commits the batch's offsets (synchronously). A failed commit only means these records come
/// again after a restart or rebalance, and the store drops them as duplicates.
void Sink::commit(const Batch& b) {
  m_taken += b.records;
  crash_point(true);
  if (rd_kafka_resp_err_t err = rd_kafka_commit(m_rk.get(), b.offsets.get(), 0)) {
    std::fprintf(stderr, "hashgate-gateway: sink: offset commit failed: %s\n",
                 rd_kafka_err2str(err));
    return;
  }
  m_committed += b.records;
  crash_point(false);
}

}  // namespace hashgate::gw::kafka
