#pragma once
// The Kafka store of a gateway replica (store.kind "kafka", docs/deploy.md): the Store interface
// over an idempotent producer (acks=all) and an opt-out follower. A replica keeps no events:
// submit() produces each accepted event to <prefix>.events and completes once every one has a
// delivery report (any failure fails the whole submit: the api layer answers 503, never a
// partial 2xx). opt_out()/opt_in() produce one record per identifier to <prefix>.optouts and
// apply them to the in-memory suppression set when delivered. Export, audit and retention are
// the sink's (gateway/kafka/sink.hpp): here they hold nothing, and the api layer refuses those
// routes in Kafka mode.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "gateway/config/config.hpp"
#include "gateway/kafka/client.hpp"
#include "gateway/kafka/follower.hpp"
#include "gateway/kafka/records.hpp"
#include "gateway/kafka/suppression.hpp"
#include "gateway/store/store.hpp"

namespace hashgate::gw::kafka {

struct Pending;

class KafkaStore final : public Store {
 public:
  /// Creates the producer and the opt-out follower (they connect in the background). nullptr
  /// with `why` ("config: store.kafka.<name>: ...") when librdkafka refuses a property.
  /// `queue_high_water`: records waiting for delivery above which submit() refuses (503).
  static std::unique_ptr<KafkaStore> open(const config::KafkaSettings& s,
                                          std::size_t queue_high_water, std::string& why);
  ~KafkaStore() override;

  /// Produces every event (each outcome `accepted`): the suppression check is the api layer's,
  /// against this replica's set, and the sink's store applies its own.
  bool submit(std::vector<EventRecord> events, std::function<void(SubmitResult)> done) override;
  bool is_suppressed(const std::string& tenant, const std::string& id) const override;
  void opt_out(const std::string& tenant, std::vector<std::string> ids, std::string uid,
               std::string source, std::function<void(OptOutResult)> done) override;
  void opt_in(const std::string& tenant, std::vector<std::string> ids, std::string uid,
              std::function<void(std::error_code)> done) override;
  /// Nothing: a replica keeps no events (the sink serves the export).
  std::vector<std::string> export_events(const std::string&, std::int64_t, ExportCursor,
                                         std::size_t) override {
    return {};
  }
  /// Nothing: the audit log is the sink's.
  std::vector<AuditEntry> audit(const std::string&, std::int64_t, std::size_t) override {
    return {};
  }
  /// Dropped: a replica has no audit log (its start-up is in its own stderr).
  void append_audit(AuditEntry) override {}
  /// 0: retention runs in the sink.
  std::size_t purge_before(const std::string&, std::int64_t) override { return 0; }
  /// Records waiting for their delivery report.
  std::size_t queue_depth() const override;
  /// True once the follower has caught up and while the producer has no fatal error.
  bool ready() const override;
  void close() override;

 private:
  KafkaStore(Handle producer, const config::KafkaSettings& s, std::size_t queue_high_water);
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  void poll_loop();
  void produce(const std::string& topic, const std::string& key, const std::string& value,
               Pending& p, std::size_t index);
  void produce_opts(std::vector<OptRecord> records,
                    std::function<void(std::size_t newly, bool ok)> done);

  Handle m_producer;
  std::string m_events_topic;
  std::string m_optouts_topic;
  std::size_t m_high_water;
  SuppressionSet m_suppression;
  std::unique_ptr<OptoutFollower> m_follower;
  std::atomic<bool> m_fatal{false};
  std::atomic<bool> m_closed{false};
  std::thread m_poller;
};

}  // namespace hashgate::gw::kafka
