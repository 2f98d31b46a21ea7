#pragma once
// The opt-out follower of a replica: reads <prefix>.optouts from the beginning, every partition,
// without a consumer group (assign only: librdkafka wants a group.id, which is never sent to the
// brokers because the follower neither subscribes nor commits), into the SuppressionSet. It is
// caught up once it has read every partition up to the high watermark it saw when it started;
// until then the replica is not ready (/readyz 503) and refuses events.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/kafka/client.hpp"
#include "gateway/kafka/suppression.hpp"

namespace hashgate::gw::kafka {

class OptoutFollower {
 public:
  /// Creates the consumer (nullptr with `why` naming the key on a refused property) and starts
  /// its thread, which waits for the topic's metadata and watermarks, then follows it.
  static std::unique_ptr<OptoutFollower> start(const config::KafkaSettings& s, SuppressionSet& set,
                                               std::string& why);
  ~OptoutFollower();
  /// True once every partition was read up to its high watermark at start-up.
  bool caught_up() const { return m_caught_up; }
  /// Records applied so far (for the log line and tests).
  std::uint64_t applied() const { return m_applied; }
  /// Stops the thread and closes the consumer.
  void stop();

 private:
  OptoutFollower(Handle rk, std::string topic, SuppressionSet& set);
  void run();
  bool begin();
  void consume(const rd_kafka_message_t& m);
  void advance(std::int32_t partition, std::int64_t next);

  Handle m_rk;
  std::string m_topic;
  SuppressionSet& m_set;
  std::vector<std::int64_t> m_target;  ///< per partition: high watermark at start-up
  std::vector<std::int64_t> m_next;    ///< per partition: next offset to read
  std::atomic<bool> m_caught_up{false};
  std::atomic<bool> m_stop{false};
  std::atomic<std::uint64_t> m_applied{0};
  std::thread m_thread;
};

}  // namespace hashgate::gw::kafka
