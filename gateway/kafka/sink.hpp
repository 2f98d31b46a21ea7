#pragma once
// The sink (`hashgate-gateway --sink`, docs/deploy.md): a consumer group member ("<prefix>.sink"
// unless store.kafka sets group.id) that reads <prefix>.events and <prefix>.optouts into the
// embedded SQLite store, in the order it received them: runs of events as one submit() (the
// store dedupes by (tenant, event_id) and drops suppressed people), opt-outs as opt_out() (the
// store fans out through uid links and purges), opt-ins as opt_in(). It commits the batch's
// offsets only after every store write of the batch committed; a failed write is retried, and a
// crash replays from the last commit: at least once from Kafka, exactly once in the store.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/kafka/client.hpp"
#include "gateway/kafka/records.hpp"
#include "gateway/store/store.hpp"

namespace hashgate::gw::kafka {

class Sink {
 public:
  /// Creates the consumer (nullptr with `why` naming the key on a refused property), subscribes
  /// to both topics and starts the thread that writes into `store` (which must outlive it).
  static std::unique_ptr<Sink> start(const config::KafkaSettings& s, Store& store,
                                     std::string& why);
  ~Sink();
  /// Stops after the batch in hand (written and committed), leaves the group, joins the thread.
  void stop();
  /// Records written into the store and committed so far.
  std::uint64_t committed() const { return m_committed; }

 private:
  /// One record of a batch, in the order it was received.
  using Item = std::variant<EventRecord, OptRecord>;
  struct Batch {
    std::vector<Item> items;
    Partitions offsets;  ///< per topic-partition: the offset after the batch's last record
    std::size_t records = 0;
  };

  Sink(Handle rk, Store& store, std::string events_topic);
  void run();
  bool take(Batch& b);
  void add(Batch& b, const rd_kafka_message_t& m);
  bool write(const Batch& b);
  bool write_events(std::vector<EventRecord> events);
  bool write_opt(const OptRecord& r);
  void commit(const Batch& b);

  Handle m_rk;
  Store& m_store;
  std::string m_events_topic;
  std::atomic<bool> m_stop{false};
  std::atomic<std::uint64_t> m_committed{0};
  std::uint64_t m_skipped = 0;
  std::uint64_t m_taken = 0;  ///< records taken in batches so far
  /// Test hook (tests/kafka/cluster.test.mjs), off unless the environment sets
  /// HASHGATE_TEST_SINK_EXIT=before-commit:N or after-commit:N: once N records were taken, the
  /// process exits with status 137 right before (or after) a batch's offset commit, the two
  /// moments where a crash tells a correct order (store commit, then offsets) from a wrong one.
  struct CrashPoint {
    bool before = true;
    std::uint64_t after_records = 0;  ///< 0: off
  } m_crash;
  void crash_point(bool before_commit) const;
  std::thread m_thread;
};

}  // namespace hashgate::gw::kafka
