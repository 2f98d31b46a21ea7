// The replica's opt-out follower (follower.hpp).
#include "gateway/kafka/follower.hpp"

#include <cstdio>

#include "gateway/kafka/records.hpp"

namespace hashgate::gw::kafka {

namespace {

constexpr int k_poll_ms = 100;
constexpr int k_metadata_timeout_ms = 2000;

}  // namespace

std::unique_ptr<OptoutFollower> OptoutFollower::start(const config::KafkaSettings& s,
                                                      SuppressionSet& set, std::string& why) {
  Conf conf = make_conf(s, {{"fetch.wait.max.ms", "50"}},
                        {{"group.id", "hashgate-optout-follower-unused"},
                         {"enable.auto.commit", "false"},
                         {"enable.auto.offset.store", "false"},
                         {"enable.partition.eof", "true"},
                         {"auto.offset.reset", "earliest"}},
                        why);
  if (!conf) return nullptr;
  Handle rk = make_handle(RD_KAFKA_CONSUMER, std::move(conf), why);
  if (!rk) return nullptr;
  rd_kafka_poll_set_consumer(rk.get());  // one queue: consumer_poll also serves its events
  std::unique_ptr<OptoutFollower> f(
      new OptoutFollower(std::move(rk), optouts_topic(s.topic_prefix), set));
  f->m_thread = std::thread([p = f.get()] { p->run(); });
  return f;
}

OptoutFollower::OptoutFollower(Handle rk, std::string topic, SuppressionSet& set)
    : m_rk(std::move(rk)), m_topic(std::move(topic)), m_set(set) {}

OptoutFollower::~OptoutFollower() { stop(); }

void OptoutFollower::stop() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
  if (m_rk) rd_kafka_consumer_close(m_rk.get());
  m_rk.reset();
}

/// Learns the partitions and their high watermarks, and assigns them all from the beginning.
/// False (to be retried) while the cluster does not answer.
bool OptoutFollower::begin() {
  std::string why;
  const int n = partition_count(m_rk.get(), m_topic, k_metadata_timeout_ms, why);
  if (n < 0) {
    std::fprintf(stderr, "hashgate-gateway: opt-out follower waiting: %s\n", why.c_str());
    return false;
  }
  m_target.assign(static_cast<std::size_t>(n), 0);
  m_next.assign(static_cast<std::size_t>(n), 0);
  Partitions list(rd_kafka_topic_partition_list_new(n));
  for (int p = 0; p < n; ++p) {
    std::int64_t lo = 0, hi = 0;
    if (rd_kafka_query_watermark_offsets(m_rk.get(), m_topic.c_str(), p, &lo, &hi,
                                         k_metadata_timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return false;
    m_target[static_cast<std::size_t>(p)] = hi;
    m_next[static_cast<std::size_t>(p)] = lo;
    rd_kafka_topic_partition_list_add(list.get(), m_topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  if (rd_kafka_assign(m_rk.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  advance(0, m_next.empty() ? 0 : m_next[0]);  // empty partitions are caught up at once
  return true;
}

void OptoutFollower::run() {
  while (!m_stop && !begin()) {
    // begin() waited up to k_metadata_timeout_ms for the cluster; try again.
  }
  while (!m_stop) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(m_rk.get(), k_poll_ms);
    if (!m) continue;
    consume(*m);
    rd_kafka_message_destroy(m);
  }
}

/// Applies one record (or notes the end of a partition). A record that does not decode is
/// skipped: it cannot be an opt-out this gateway wrote.
void OptoutFollower::consume(const rd_kafka_message_t& m) {
  if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return advance(m.partition, m.offset);
  if (m.err) return;
  const auto value = std::string_view(static_cast<const char*>(m.payload), m.len);
  if (auto r = decode_opt(value)) {
    m_set.apply(suppression_key(r->tenant, r->id), m.offset, r->op == OptOp::optout);
    ++m_applied;
  }
  advance(m.partition, m.offset + 1);
}

/// Notes that `partition` was read up to `next`; sets caught_up when every partition reached
/// its start-up high watermark.
void OptoutFollower::advance(std::int32_t partition, std::int64_t next) {
  if (m_caught_up || partition < 0 || static_cast<std::size_t>(partition) >= m_next.size()) return;
  auto& n = m_next[static_cast<std::size_t>(partition)];
  if (next > n) n = next;
  for (std::size_t p = 0; p < m_next.size(); ++p)
    if (m_next[p] < m_target[p]) return;
  m_caught_up = true;
  std::fprintf(stderr, "hashgate-gateway: opt-outs caught up (%llu records)\n",
               static_cast<unsigned long long>(m_applied.load()));
}

}  // namespace hashgate::gw::kafka
