#pragma once
// The sink's producer (docs/deploy.md "Linked identifiers"): publishes the identifiers an
// opt-out's fan-out reached, beyond the one the record named, to <prefix>.optouts, so that every
// replica suppresses them too. Synchronous: publish() returns once every record has its delivery
// report. Idempotent producer with acks=all, like a replica's.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/kafka/client.hpp"
#include "gateway/kafka/records.hpp"

namespace hashgate::gw::kafka {

class Publisher {
 public:
  /// Creates the producer; nullptr with `why` naming the key on a refused property.
  static std::unique_ptr<Publisher> open(const config::KafkaSettings& s, std::string& why);
  ~Publisher();
  /// Produces `records` to the opt-outs topic (key opt_key) and waits for every delivery report.
  /// True when all were delivered; false on any failure or once `stop` is set (the caller
  /// publishes them again later: a record already in the topic is only a newer copy of its
  /// key's state).
  bool publish(const std::vector<OptRecord>& records, const std::atomic<bool>& stop);

 private:
  Publisher(Handle rk, std::string topic) : m_rk(std::move(rk)), m_topic(std::move(topic)) {}
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*);

  Handle m_rk;
  std::string m_topic;
};

}  // namespace hashgate::gw::kafka
