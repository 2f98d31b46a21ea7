#pragma once
// The sink (`hashgate-gateway --sink`, docs/deploy.md): a consumer group member ("<prefix>.sink"
// unless store.kafka sets group.id) that reads <prefix>.events and <prefix>.optouts into the
// embedded SQLite store, in the order it received them: runs of events as one submit() (the
// store dedupes by (tenant, event_id) and drops suppressed people), opt-outs as opt_out() (the
// store fans out through uid links and purges), opt-ins as opt_in(). It commits the batch's
// offsets only after every store write of the batch committed; a failed write is retried, and a
// crash replays from the last commit: at least once from Kafka, exactly once in the store.
//
// An opt-out's fan-out reaches identifiers no replica was told about (the person's other ids in
// the store); the sink publishes them to <prefix>.optouts as opt-outs of their own (source
// "fanout") before it applies the opt-out, so that a crash in between cannot lose them, and
// publishes whatever the applied opt-out reached beyond that after its commit. A published id
// that comes back is already suppressed and its links purged: its fan-out reaches nothing new.
//
// Events get their outbox rows here (destinations, docs/destinations.md): `route` runs the
// consent gate of every destination on the event's consent signals, as ingest does in SQLite
// mode, and the store writes the rows with the event.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/kafka/client.hpp"
#include "gateway/kafka/publisher.hpp"
#include "gateway/kafka/records.hpp"
#include "gateway/store/store.hpp"

namespace hashgate::gw::kafka {

class Sink {
 public:
  /// Sets an event's outbox targets (EventRecord::outbox) from its consent signals; may be empty.
  using Router = std::function<void(EventRecord&)>;

  /// Creates the consumer and the fan-out publisher (nullptr with `why` naming the key on a
  /// refused property), subscribes to both topics and starts the thread that writes into `store`
  /// (which must outlive it), routing every event through `route` first.
  static std::unique_ptr<Sink> start(const config::KafkaSettings& s, Store& store, Router route,
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
  bool publish_until_done(const std::vector<OptRecord>& records);
  void run();
  bool take(Batch& b);
  void add(Batch& b, const rd_kafka_message_t& m);
  bool write(const Batch& b);
  bool write_events(std::vector<EventRecord> events);
  bool write_opt(const OptRecord& r);
  void commit(const Batch& b);

  Handle m_rk;
  Store& m_store;
  std::unique_ptr<Publisher> m_publisher;
  Router m_route;
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
