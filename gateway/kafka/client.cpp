// librdkafka configuration and handles (client.hpp).
#include "gateway/kafka/client.hpp"

namespace hashgate::gw::kafka {

namespace {

/// Sets one property; on failure fills `why` naming `key` and returns false.
bool set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value,
         const std::string& key, std::string& why) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) ==
      RD_KAFKA_CONF_OK)
    return true;
  why = "config: " + key + ": " + errstr;
  return false;
}

}  // namespace

Conf make_conf(const config::KafkaSettings& s, std::initializer_list<Property> defaults,
               std::initializer_list<Property> pinned, std::string& why) {
  Conf conf(rd_kafka_conf_new());
  for (const auto& [name, value] : defaults)
    if (!set(conf.get(), name, value, std::string("gateway default ") + name, why)) return {};
  for (const auto& [name, value] : s.properties)
    if (!set(conf.get(), name, value, "store.kafka." + name, why)) return {};
  if (!set(conf.get(), "bootstrap.servers", s.brokers, "store.brokers", why)) return {};
  for (const auto& [name, value] : pinned)
    if (!set(conf.get(), name, value, std::string("gateway setting ") + name, why)) return {};
  return conf;
}

Handle make_handle(rd_kafka_type_t type, Conf conf, std::string& why) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (!rk) {
    why = std::string("config: store.kafka: ") + errstr;
    return {};
  }
  conf.release();  // rd_kafka_new owns it now
  return Handle(rk);
}

int partition_count(rd_kafka_t* rk, const std::string& topic, int timeout_ms, std::string& why) {
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, t, &md, timeout_ms);
  int n = -1;
  if (err) {
    why = "metadata of " + topic + ": " + rd_kafka_err2str(err);
  } else if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) {
    why = "topic " + topic + " does not exist (docs/deploy.md lists the topics to create)";
  } else {
    n = md->topics[0].partition_cnt;
  }
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  return n;
}

std::string check_settings(const config::KafkaSettings& settings) {
  // store.brokers was checked by the config loader; without it the clients connect nowhere.
  config::KafkaSettings s = settings;
  s.brokers.clear();
  std::string why;
  for (rd_kafka_type_t type : {RD_KAFKA_PRODUCER, RD_KAFKA_CONSUMER}) {
    Conf conf = type == RD_KAFKA_CONSUMER ? make_conf(s, {}, {{"group.id", "hashgate-check"}}, why)
                                          : make_conf(s, {}, {}, why);
    if (!conf) return why;
    // Quiet: this client never connects, so its notices (no bootstrap.servers, a producer
    // property on a consumer) would only confuse.
    rd_kafka_conf_set_log_cb(conf.get(), [](const rd_kafka_t*, int, const char*, const char*) {});
    // Creating a client checks the combination (e.g. an unknown security.protocol plugin);
    // it connects lazily, and is destroyed at once.
    if (!make_handle(type, std::move(conf), why)) return why;
  }
  return {};
}

}  // namespace hashgate::gw::kafka
