// The Kafka store of a gateway replica (kafka_store.hpp).
#include "gateway/kafka/kafka_store.hpp"

#include <chrono>
#include <cstdio>

namespace hashgate::gw::kafka {

/// One submit(), opt_out() or opt_in() waiting for the delivery reports of its records. Each
/// record's opaque is its Slot; the last report runs `finish` and frees the Pending.
struct Pending {
  struct Slot {
    Pending* pending;
    std::size_t index;
  };
  explicit Pending(std::size_t n) : slots(n), offsets(n, -1), left(n + 1) {
    for (std::size_t i = 0; i < n; ++i) slots[i] = Slot{this, i};
  }
  std::vector<Slot> slots;
  std::vector<std::int64_t> offsets;  ///< offset of each delivered record, -1 if not delivered
  std::atomic<std::size_t> left;      ///< reports to come, +1 until every record was produced
  std::atomic<bool> failed{false};
  std::function<void(Pending&)> finish;

  /// One record's report (or the end of producing); the last one finishes.
  void one_done() {
    if (--left) return;
    finish(*this);
    delete this;
  }
};

namespace {

constexpr int k_poll_ms = 100;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::unique_ptr<KafkaStore> KafkaStore::open(const config::KafkaSettings& s,
                                             std::size_t queue_high_water, std::string& why) {
  // Defaults the user may override: a failed delivery answers 503 within message.timeout.ms.
  Conf conf = make_conf(s, {{"message.timeout.ms", "5000"}, {"linger.ms", "1"}},
                        {{"enable.idempotence", "true"}, {"acks", "all"}}, why);
  if (!conf) return nullptr;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaStore::on_delivery);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaStore::on_error);
  std::unique_ptr<KafkaStore> store(new KafkaStore({}, s, queue_high_water));
  rd_kafka_conf_set_opaque(conf.get(), store.get());
  store->m_producer = make_handle(RD_KAFKA_PRODUCER, std::move(conf), why);
  if (!store->m_producer) return nullptr;
  store->m_follower = OptoutFollower::start(s, store->m_suppression, why);
  if (!store->m_follower) return nullptr;
  store->m_poller = std::thread([p = store.get()] { p->poll_loop(); });
  return store;
}

KafkaStore::KafkaStore(Handle producer, const config::KafkaSettings& s,
                       std::size_t queue_high_water)
    : m_producer(std::move(producer)),
      m_events_topic(events_topic(s.topic_prefix)),
      m_optouts_topic(optouts_topic(s.topic_prefix)),
      m_high_water(queue_high_water) {}

KafkaStore::~KafkaStore() { close(); }

void KafkaStore::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* slot = static_cast<Pending::Slot*>(m->_private);
  if (m->err)
    slot->pending->failed = true;
  else
    slot->pending->offsets[slot->index] = m->offset;
  slot->pending->one_done();
}

void KafkaStore::on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  if (err != RD_KAFKA_RESP_ERR__FATAL) return;  // transient: librdkafka retries, logs itself
  char why[512];
  rd_kafka_fatal_error(rk, why, sizeof why);
  std::fprintf(stderr, "hashgate-gateway: Kafka producer failed for good: %s (%s)\n", why, reason);
  static_cast<KafkaStore*>(opaque)->m_fatal = true;
}

/// Serves delivery reports (they complete requests) until close().
void KafkaStore::poll_loop() {
  while (!m_closed) rd_kafka_poll(m_producer.get(), k_poll_ms);
}

/// Produces one record of `p` (slot `index`); a record librdkafka refuses at once counts as a
/// failed delivery.
void KafkaStore::produce(const std::string& topic, const std::string& key, const std::string& value,
                         Pending& p, std::size_t index) {
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      m_producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&p.slots[index]), RD_KAFKA_V_END);
  if (err) {
    p.failed = true;
    p.one_done();
  }
}

bool KafkaStore::submit(std::vector<EventRecord> events, std::function<void(SubmitResult)> done) {
  if (queue_depth() + events.size() > m_high_water) return false;
  if (m_closed || m_fatal || !m_follower->caught_up()) {
    done(SubmitResult{make_error_code(StoreErrc::closed), {}});
    return true;
  }
  // The api layer dropped suppressed people just before (policy::is_suppressed, against the same
  // set), and the sink's store drops or purges them again: checking here a second time cost two
  // SHA-256 per event for a window of microseconds (docs/performance.md "Kafka mode").
  auto* p = new Pending(events.size());
  p->finish = [done = std::move(done), n = events.size()](Pending& p) mutable {
    SubmitResult r;
    if (p.failed)
      r.error = make_error_code(StoreErrc::io);
    else
      r.outcomes.assign(n, Outcome::accepted);
    done(std::move(r));
  };
  for (std::size_t i = 0; i < events.size(); ++i)
    produce(m_events_topic, event_key(events[i]), encode_event(events[i]), *p, i);
  p->one_done();  // every record is produced: the last report may now finish
  return true;
}

bool KafkaStore::is_suppressed(const std::string& tenant, const std::string& id) const {
  return m_suppression.contains(tenant, id);
}

/// Produces `records` to the opt-outs topic; once every one has its report, applies the
/// delivered ones to the suppression set at their offsets and calls `done` with the number of
/// keys newly suppressed and whether all were delivered.
void KafkaStore::produce_opts(std::vector<OptRecord> records,
                              std::function<void(std::size_t newly, bool ok)> done) {
  if (m_closed || m_fatal) return done(0, false);
  std::vector<std::string> keys;
  for (const auto& r : records) keys.push_back(suppression_key(r.tenant, r.id));
  auto* p = new Pending(records.size());
  p->finish = [this, keys = std::move(keys),
               optout = records.empty() || records[0].op == OptOp::optout,
               done = std::move(done)](Pending& p) {
    std::size_t newly = 0;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (p.offsets[i] >= 0) newly += m_suppression.apply(keys[i], p.offsets[i], optout);
    done(newly, !p.failed);
  };
  for (std::size_t i = 0; i < records.size(); ++i)
    produce(m_optouts_topic, opt_key(records[i]), encode_opt(records[i]), *p, i);
  p->one_done();
}

namespace {

/// One record per identifier (and the uid) of an opt-out or opt-in.
std::vector<OptRecord> opt_records(OptOp op, const std::string& tenant,
                                   const std::vector<std::string>& ids, const std::string& uid,
                                   const std::string& source) {
  std::vector<OptRecord> out;
  const std::int64_t now = unix_now();
  for (const auto& id : ids) out.push_back(OptRecord{op, tenant, id, false, source, now});
  if (!uid.empty()) out.push_back(OptRecord{op, tenant, uid, true, source, now});
  return out;
}

}  // namespace

void KafkaStore::opt_out(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                         std::string source, std::function<void(OptOutResult)> done) {
  produce_opts(opt_records(OptOp::optout, tenant, ids, uid, source),
               [done = std::move(done)](std::size_t newly, bool ok) {
                 OptOutResult r;
                 if (!ok) r.error = make_error_code(StoreErrc::io);
                 r.ids_suppressed = newly;  // events are purged by the sink, not here
                 done(r);
               });
}

void KafkaStore::opt_in(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                        std::function<void(std::error_code)> done) {
  produce_opts(opt_records(OptOp::optin, tenant, ids, uid, ""),
               [done = std::move(done)](std::size_t, bool ok) {
                 done(ok ? std::error_code{} : make_error_code(StoreErrc::io));
               });
}

std::size_t KafkaStore::queue_depth() const {
  return m_producer ? static_cast<std::size_t>(rd_kafka_outq_len(m_producer.get())) : 0;
}

bool KafkaStore::ready() const { return !m_closed && !m_fatal && m_follower->caught_up(); }

void KafkaStore::close() {
  if (m_closed.exchange(true)) return;
  if (m_poller.joinable()) m_poller.join();
  if (m_producer) {
    rd_kafka_flush(m_producer.get(), 10000);
    // Whatever is still undelivered fails its request (503) rather than hanging it.
    rd_kafka_purge(m_producer.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(m_producer.get(), 0);
  }
  if (m_follower) m_follower->stop();
}

}  // namespace hashgate::gw::kafka
