// The sink's producer of fan-out opt-outs (publisher.hpp).
#include "gateway/kafka/publisher.hpp"

namespace hashgate::gw::kafka {

namespace {

constexpr int k_flush_ms = 100;

/// The reports of one publish() call: each record's opaque points here.
struct Reports {
  std::size_t left = 0;
  bool failed = false;
};

}  // namespace

std::unique_ptr<Publisher> Publisher::open(const config::KafkaSettings& s, std::string& why) {
  Conf conf = make_conf(s, {{"message.timeout.ms", "5000"}, {"linger.ms", "1"}},
                        {{"enable.idempotence", "true"}, {"acks", "all"}}, why);
  if (!conf) return nullptr;
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Publisher::on_delivery);
  Handle rk = make_handle(RD_KAFKA_PRODUCER, std::move(conf), why);
  if (!rk) return nullptr;
  return std::unique_ptr<Publisher>(new Publisher(std::move(rk), optouts_topic(s.topic_prefix)));
}

Publisher::~Publisher() {
  if (!m_rk) return;
  rd_kafka_purge(m_rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(m_rk.get(), 0);
}

/// Runs inside rd_kafka_flush/poll on the publishing thread: no locking needed.
void Publisher::on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* r = static_cast<Reports*>(m->_private);
  if (m->err) r->failed = true;
  --r->left;
}

bool Publisher::publish(const std::vector<OptRecord>& records, const std::atomic<bool>& stop) {
  Reports reports;
  for (const OptRecord& r : records) {
    const std::string key = opt_key(r), value = encode_opt(r);
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        m_rk.get(), RD_KAFKA_V_TOPIC(m_topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&reports), RD_KAFKA_V_END);
    if (err) {
      reports.failed = true;
      break;
    }
    ++reports.left;
  }
  // Every produced record gets a report within message.timeout.ms; on stop, the ones still
  // queued are purged, which reports them as failed, so `reports` never outlives its records.
  while (reports.left > 0) {
    if (stop) rd_kafka_purge(m_rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(m_rk.get(), k_flush_ms);
    rd_kafka_poll(m_rk.get(), 0);
  }
  return !reports.failed;
}

}  // namespace hashgate::gw::kafka
