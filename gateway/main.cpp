// hashgate-gateway: loads the config, opens the store, serves until SIGTERM, then drains.
// main() reads as its steps: arguments → config → store → serve (listen, audit, port file, run).
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/api/gateway.hpp"
#include "gateway/api/metrics.hpp"
#include "gateway/config/config.hpp"
#include "gateway/deliver/route.hpp"
#include "gateway/deliver/store_outbox.hpp"
#include "gateway/deliver/worker.hpp"
#include "gateway/http/server.hpp"
#include "gateway/kafka/client.hpp"
#include "gateway/kafka/kafka_store.hpp"
#include "gateway/kafka/sink.hpp"
#include "gateway/policy/pii_guard.hpp"
#include "gateway/store/store.hpp"

namespace {

using namespace hashgate::gw;

/// Exit statuses of hashgate-gateway: sysexits.h values, documented in docs/configuration.md
/// ("Exit statuses"), so that a supervisor can tell a bad config from a busy port.
enum class Exit : int {
  ok = 0,          ///< clean drain after SIGTERM/SIGINT; --help; --check passed
  usage = 64,      ///< EX_USAGE: unknown argument, or no --config
  store = 73,      ///< EX_CANTCREAT: the data folder or the store cannot be created or opened
  port_file = 73,  ///< EX_CANTCREAT: the --port-file cannot be written
  listen = 75,     ///< EX_TEMPFAIL: the address cannot be bound, or TLS cert/key cannot be loaded
  config = 78,     ///< EX_CONFIG: the configuration file is refused
};

/// The command line.
struct Args {
  std::string config_path;
  std::string port_file;  ///< where to write the bound port once listening; empty: nowhere
  bool check = false;     ///< validate the configuration and exit
  bool sink = false;      ///< run as the Kafka sink (docs/deploy.md)
};

void usage(std::FILE* to) {
  std::fputs(
      "usage: hashgate-gateway --config FILE [--port-file FILE] [--check] [--sink]\n"
      "  --config FILE     gateway configuration (JSON; see docs/configuration.md)\n"
      "  --port-file FILE  write the bound TCP port to FILE once listening (for port 0)\n"
      "  --check           validate the configuration and exit\n"
      "  --sink            with store.kind kafka: consume the topics into the SQLite store\n"
      "                    under store.data_dir and serve it (export, audit; docs/deploy.md)\n"
      "environment: HASHGATE_PORT overrides listen.port, HASHGATE_DATA_DIR overrides "
      "store.data_dir\n",
      to);
}

/// Parses argv into `out`. Returns the status to exit with (--help, bad usage), or nullopt to go
/// on.
std::optional<Exit> parse_args(int argc, char** argv, Args& out) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--config" || a == "-c") && i + 1 < argc) {
      out.config_path = argv[++i];
    } else if (a == "--port-file" && i + 1 < argc) {
      out.port_file = argv[++i];
    } else if (a == "--check") {
      out.check = true;
    } else if (a == "--sink") {
      out.sink = true;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return Exit::ok;
    } else {
      std::fprintf(stderr, "hashgate-gateway: unknown argument %s\n", a.c_str());
      usage(stderr);
      return Exit::usage;
    }
  }
  if (out.config_path.empty()) {
    usage(stderr);
    return Exit::usage;
  }
  return std::nullopt;
}

/// Loads and validates the configuration file `path` into `cfg`; prints why it is refused.
std::optional<Exit> load(const std::string& path, config::Config& cfg) {
  try {
    cfg = config::load_config(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hashgate-gateway: refusing to start: %s\n", e.what());
    return Exit::config;
  }
  return std::nullopt;
}

/// The store's settings from the gateway configuration.
StoreConfig store_config(const config::Config& cfg) {
  StoreConfig s;
  s.data_dir = cfg.data_dir;
  s.durability = cfg.durability;
  s.queue_high_water = cfg.queue_high_water;
  return s;
}

/// Checks the Kafka settings with librdkafka (kind kafka only); prints why they are refused.
std::optional<Exit> check_kafka(const config::Config& cfg) {
  if (cfg.store_kind != config::StoreKind::kafka) return std::nullopt;
  const std::string why = kafka::check_settings(cfg.kafka);
  if (why.empty()) return std::nullopt;
  std::fprintf(stderr, "hashgate-gateway: refusing to start: %s\n", why.c_str());
  return Exit::config;
}

/// A replica's Kafka store; nullptr (after a message naming the key) when refused.
std::unique_ptr<Store> open_kafka_store(const config::Config& cfg) {
  std::string why;
  std::unique_ptr<Store> store = kafka::KafkaStore::open(cfg.kafka, cfg.queue_high_water, why);
  if (!store) std::fprintf(stderr, "hashgate-gateway: refusing to start: %s\n", why.c_str());
  return store;
}

/// Creates the data folder and opens the store; nullptr (after a message) if either fails.
std::unique_ptr<Store> open_store(const config::Config& cfg) {
  std::error_code ec;
  std::filesystem::create_directories(cfg.data_dir, ec);
  if (ec) {
    std::fprintf(stderr,
                 "hashgate-gateway: refusing to start: store.data_dir: cannot create %s: %s\n",
                 cfg.data_dir.c_str(), ec.message().c_str());
    return nullptr;
  }
  std::string why;
  std::unique_ptr<Store> store = Store::open(store_config(cfg), ec, why);
  if (!store) {
    std::fprintf(stderr, "hashgate-gateway: refusing to start: store: %s\n",
                 why.empty() ? ec.message().c_str() : why.c_str());
  }
  return store;
}

/// The PII guard settings in force for `t`: its phone regions (the default list when the
/// config names none) and its allow paths, for the policy audit entry.
nlohmann::json pii_policy(const hashgate::gw::config::Tenant& t) {
  std::vector<std::string> regions;
  for (const auto& r : t.pii.phone_regions ? std::span<const hashgate::Region>(*t.pii.phone_regions)
                                           : hashgate::gw::policy::default_phone_regions())
    regions.emplace_back(r.view());
  return {{"phone_regions", regions}, {"allow_paths", t.pii.allow_paths}};
}

/// Writes a "policy" audit entry when a tenant's consent or PII policy differs from the last one
/// the audit log recorded for it (first start-up included). The policy holds no personal data.
void audit_policy_change(Store& store, const config::Tenant& t, std::int64_t now) {
  const std::string policy = nlohmann::json{
      {"legal_basis", std::string(to_string(t.legal_basis))},
      {"gpc", t.gpc},
      {"set_uid_cookie", t.set_uid_cookie},
      {"retention_days", t.retention_days},
      {"tcf",
       {{"vendor_id", t.tcf.vendor_id},
        {"required_purposes", t.tcf.required_purposes},
        {"require_vendor_consent", t.tcf.require_vendor_consent},
        {"strict_policy_version", t.tcf.strict_policy_version}}},
      {"pii", pii_policy(t)}}.dump();
  std::string last;
  for (const auto& e : store.audit(t.id, 0, static_cast<std::size_t>(-1)))
    if (e.action == "policy") last = e.detail;
  if (last != policy) store.append_audit(AuditEntry{now, t.id, "policy", policy});
}

/// Audits the start-up (config digest, port) and any policy change, in every tenant's log.
void audit_startup(Store& store, const config::Config& cfg, int port) {
  const std::int64_t now = api::system_now();
  for (const auto& t : cfg.tenants) {
    store.append_audit(
        AuditEntry{now, t.id, "startup",
                   nlohmann::json{{"config_sha256", cfg.source_sha256}, {"port", port}}.dump()});
    audit_policy_change(store, t, now);
  }
}

/// Writes `port` to `path` through a temporary file and a rename, so readers never see half.
bool write_port_file(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::fprintf(stderr, "hashgate-gateway: cannot write --port-file %s\n", path.c_str());
  return !ec;
}

/// Prints where the gateway listens and where the demo pages are.
void print_banner(const config::Config& cfg, int port) {
  std::string host = cfg.address == "0.0.0.0" || cfg.address == "::" ? "127.0.0.1" : cfg.address;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const std::string base =
      std::string(cfg.tls() ? "https" : "http") + "://" + host + ":" + std::to_string(port);
  const std::string data =
      cfg.store_kind == config::StoreKind::kafka
          ? "Kafka " + cfg.kafka.brokers + ", topics " + cfg.kafka.topic_prefix + ".*"
          : cfg.data_dir;
  std::printf("hashgate-gateway listening on %s (%d threads, data in %s)\n", base.c_str(),
              cfg.threads, data.c_str());
  std::printf("demo: %s/  (pages under %s/demo/, SDK under %s/sdk/)\n", base.c_str(), base.c_str(),
              base.c_str());
  std::fflush(stdout);
}

/// The delivery worker (issue 16) over the store's outbox, for every tenant's destinations:
/// its own threads, woken by the store when rows are committed. Ingest never waits for it and
/// /readyz never looks at it.
class Delivery {
 public:
  /// `enabled` false (a Kafka replica, which keeps no outbox): no worker.
  Delivery(const config::Config& cfg, Store& store, bool enabled) : m_outbox(store, all(cfg)) {
    std::vector<deliver::Destination> dests = all(cfg);
    if (dests.empty() || !enabled) return;
    deliver::WorkerOptions opt;
    opt.threads = cfg.delivery_threads;
    opt.key_salt = store.installation_id();
    for (const auto& d : dests) m_metrics.add_destination(d.id);
    m_worker = std::make_unique<deliver::Worker>(std::move(dests), m_outbox, m_metrics, opt);
    store.on_outbox = [w = m_worker.get()](const std::string& dest) { w->notify(dest); };
    m_worker->start();
  }
  /// Stops the threads; call before the store closes.
  void stop() {
    if (!m_worker) return;
    m_worker->stop();
    m_outbox.flush();
  }
  /// The delivery metrics, or nullptr without a worker.
  deliver::DeliveryMetrics* metrics() { return m_worker ? &m_metrics : nullptr; }
  /// What the handler needs: the metrics and the pending gauges (nothing without destinations).
  api::Delivery view() {
    if (!m_worker) return {};
    return {&m_metrics, [w = m_worker.get()] { return w->sample_pending(); }};
  }

 private:
  static std::vector<deliver::Destination> all(const config::Config& cfg) {
    std::vector<deliver::Destination> out;
    for (const auto& t : cfg.tenants)
      out.insert(out.end(), t.destinations.begin(), t.destinations.end());
    return out;
  }
  deliver::DeliveryMetrics m_metrics;
  deliver::StoreOutbox m_outbox;
  std::unique_ptr<deliver::Worker> m_worker;
};

/// Closes the store (after stopping the sink, if any, which writes into it), and says so when
/// the gateway stopped cleanly.
Exit close_store(Store& store, kafka::Sink* sink, Exit e) {
  if (sink) sink->stop();
  store.close();
  if (e == Exit::ok) {
    std::printf("hashgate-gateway: stopped\n");
    std::fflush(stdout);
  }
  return e;
}

/// The sink's routing of an event to its tenant's destinations: the consent gate of each on the
/// signals the replica recorded, at the event's arrival time (as ingest does in SQLite mode). A
/// record without signals (version 1) goes to none.
kafka::Sink::Router sink_router(const config::Config& cfg, deliver::DeliveryMetrics* metrics) {
  return [&cfg, metrics](EventRecord& ev) {
    if (!ev.signals.known) return;
    for (const auto& t : cfg.tenants) {
      if (t.id != ev.tenant || t.destinations.empty()) continue;
      const deliver::EventConsent consent(ev.signals.gdpr, ev.signals.tc, ev.signals.gpc);
      deliver::route_event(t.destinations, consent, ev.received, ev, metrics);
    }
  };
}

/// The sink feeding `store` from the topics of `s`, routing events to the destinations of
/// `cfg`; nullptr (after a message) when refused.
std::unique_ptr<kafka::Sink> start_sink(const config::KafkaSettings& s, const config::Config& cfg,
                                        Store& store, deliver::DeliveryMetrics* metrics) {
  std::string why;
  std::unique_ptr<kafka::Sink> sink = kafka::Sink::start(s, store, sink_router(cfg, metrics), why);
  if (!sink) std::fprintf(stderr, "hashgate-gateway: refusing to start: %s\n", why.c_str());
  return sink;
}

/// Listens, audits the start-up, runs the first retention pass, writes the port file, then
/// serves until SIGTERM/SIGINT has drained the connections. The delivery worker runs unless this
/// is a Kafka replica (the sink delivers). With `sink_from`, a sink feeds the store from those
/// topics meanwhile (started once the store reports to the metrics and the worker, stopped
/// before it closes). Closes the store in every case, while the metrics still exist.
Exit serve(const config::Config& cfg, Store& store, const std::string& port_file,
           const config::KafkaSettings* sink_from = nullptr) {
  api::Metrics metrics;
  store.on_commit = [&metrics](double s) { metrics.observe_commit(s); };
  Delivery delivery(cfg, store, cfg.store_kind != config::StoreKind::kafka);
  std::unique_ptr<kafka::Sink> owned_sink;
  if (sink_from && !(owned_sink = start_sink(*sink_from, cfg, store, delivery.metrics()))) {
    delivery.stop();
    return close_store(store, nullptr, Exit::config);
  }
  kafka::Sink* sink = owned_sink.get();
  api::Gateway gateway(cfg, store, metrics);
  gateway.set_delivery(delivery.view());
  std::unique_ptr<http::Server> server;
  try {
    server = std::make_unique<http::Server>(gateway, gateway.config());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hashgate-gateway: refusing to start: %s\n", e.what());
    delivery.stop();
    return close_store(store, sink, Exit::listen);
  }
  const int port = server->port();
  gateway.set_port(port);
  audit_startup(store, cfg, port);
  gateway.run_retention();
  if (!port_file.empty() && !write_port_file(port_file, port)) {
    delivery.stop();
    return close_store(store, sink, Exit::port_file);
  }
  print_banner(cfg, port);
  server->run();
  delivery.stop();
  return close_store(store, sink, Exit::ok);
}

/// The sink (--sink): the SQLite store under store.data_dir, fed from the topics, served like a
/// SQLite gateway (export, audit, retention). The sink stops before the store closes.
Exit serve_sink(config::Config cfg, const std::string& port_file) {
  if (cfg.store_kind != config::StoreKind::kafka) {
    std::fprintf(stderr, "hashgate-gateway: refusing to start: --sink needs store.kind kafka\n");
    return Exit::config;
  }
  std::unique_ptr<Store> store = open_store(cfg);
  if (!store) return Exit::store;
  cfg.store_kind = config::StoreKind::sqlite;  // this process serves the SQLite store
  return serve(cfg, *store, port_file, &cfg.kafka);
}

int status(Exit e) { return static_cast<int>(e); }

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (auto done = parse_args(argc, argv, args)) return status(*done);
  config::Config cfg;
  if (auto refused = load(args.config_path, cfg)) return status(*refused);
  if (auto refused = check_kafka(cfg)) return status(*refused);
  if (args.check) {
    std::printf("config OK (%zu tenants)\n", cfg.tenants.size());
    return status(Exit::ok);
  }
  if (args.sink) return status(serve_sink(std::move(cfg), args.port_file));
  const bool kafka = cfg.store_kind == config::StoreKind::kafka;
  std::unique_ptr<Store> store = kafka ? open_kafka_store(cfg) : open_store(cfg);
  if (!store) return status(kafka ? Exit::config : Exit::store);
  return status(serve(cfg, *store, args.port_file));
}
