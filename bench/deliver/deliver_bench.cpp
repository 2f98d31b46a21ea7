// Delivery throughput (issue 16): forwards N stored events through the delivery worker to a
// webhook on loopback and prints the delivered events per second, next to the budget
// (>= 20,000/s). A measurement, not a test. The second figure of the issue, ingest throughput
// with one destination attached against none, needs the outbox in the store (phase 2).
//   hashgate_deliver_bench [--events N] [--batch B] [--threads T] [--json FILE]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "gateway/deliver/memory_outbox.hpp"
#include "gateway/deliver/worker.hpp"
#include "tests/deliver/fake_destination.hpp"
#include "tests/deliver/test_util.hpp"

using namespace hashgate::gw::deliver;

namespace {

struct Args {
  std::size_t events = 200000;
  std::size_t batch = 500;
  std::size_t threads = 1;
  std::string json = "bench/out/deliver.json";
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--events")
      a.events = std::stoul(v);
    else if (k == "--batch")
      a.batch = std::stoul(v);
    else if (k == "--threads")
      a.threads = std::stoul(v);
    else if (k == "--json")
      a.json = v;
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  test::FakeDestination receiver;
  receiver.keep_bodies(false);
  Destination d;
  d.tenant = "bench";
  d.id = "hook";
  d.kind = Kind::webhook;
  parse_url(receiver.url("/hook"), d.url);
  d.secret = Secret(std::string("whsec_bench_0123456789abcdef"));
  d.batch_events = args.batch;

  MemoryOutbox outbox;
  outbox.record_done(false);
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  for (std::size_t i = 0; i < args.events; ++i)
    outbox.add("hook", RowKind::event,
               test::export_line("ev-" + std::to_string(i), "purchase", now_ms / 1000,
                                 "user" + std::to_string(i % 5000) + "@example.com"),
               now_ms);

  DeliveryMetrics metrics;
  WorkerOptions o;
  o.threads = args.threads;
  o.key_salt = "bench";
  Worker worker({d}, outbox, metrics, o);
  const std::size_t requests = (args.events + args.batch - 1) / args.batch;
  const auto t0 = std::chrono::steady_clock::now();
  worker.start();
  const bool all = receiver.wait_until(
      [&](const std::vector<test::Captured>& r) { return r.size() >= requests; },
      std::chrono::seconds(600));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  worker.stop();
  const auto delivered = metrics.delivered("hook");
  const double rate = static_cast<double>(delivered) / s;
  std::printf(
      "deliver: %zu events in %zu requests of %zu to a loopback webhook: %.2f s, %.0f events/s "
      "(budget >= 20000)%s\n",
      static_cast<std::size_t>(delivered), requests, args.batch, s, rate,
      all && delivered == args.events ? "" : "  INCOMPLETE");
  std::printf("deliver: ingest with one destination vs none: not measured yet (phase 2)\n");
  nlohmann::ordered_json j = {{"bench", "deliver"},
                              {"events", args.events},
                              {"delivered", delivered},
                              {"batch", args.batch},
                              {"threads", args.threads},
                              {"seconds", s},
                              {"delivered_events_per_s", rate},
                              {"budget_events_per_s", 20000},
                              {"ingest_slowdown", nullptr}};
  std::ofstream(args.json) << j.dump(2) << "\n";
  return all && delivered == args.events ? 0 : 1;
}
