#pragma once
// librdkafka handles for the gateway: configurations built from the typed config (the user's
// `store.kafka` properties checked one by one, naming the key on error) and owning pointers.
// The only files that include <librdkafka/rdkafka.h> are in gateway/kafka/.

#include <librdkafka/rdkafka.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "gateway/config/config.hpp"

namespace hashgate::gw::kafka {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct PartitionsDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using Partitions = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionsDeleter>;

/// One property set by the gateway: name and value.
using Property = std::pair<const char*, const char*>;

/// A configuration with, in this order: `defaults` (the user may override them), the user's
/// `s.properties`, then bootstrap.servers from `s.brokers` and `pinned` (the user may not). On a
/// refused property returns nullptr with `why` = "config: store.kafka.<name>: <librdkafka's
/// reason>" (a pinned one is named as itself).
Conf make_conf(const config::KafkaSettings& s, std::initializer_list<Property> defaults,
               std::initializer_list<Property> pinned, std::string& why);

/// Creates a client of `type` from `conf` (taken over in every case); nullptr with `why` set on
/// failure.
Handle make_handle(rd_kafka_type_t type, Conf conf, std::string& why);

/// Number of partitions of `topic` from the cluster's metadata, or -1 (with `why`) when the
/// metadata did not come within `timeout_ms` or the topic does not exist.
int partition_count(rd_kafka_t* rk, const std::string& topic, int timeout_ms, std::string& why);

/// Checks `s` with librdkafka the way start-up would, without connecting: every property is
/// known and its value valid for a producer and a consumer. Empty when good, else the reason
/// naming the key.
std::string check_settings(const config::KafkaSettings& s);

}  // namespace hashgate::gw::kafka
