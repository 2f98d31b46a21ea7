// hashgate-gateway: loads the config, opens the store, serves until SIGTERM, then drains.
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "gateway/api/gateway.hpp"
#include "gateway/api/metrics.hpp"
#include "gateway/config/config.hpp"
#include "gateway/http/server.hpp"
#include "gateway/store/store.hpp"

namespace {

void usage(std::FILE* to) {
  std::fputs(
      "usage: hashgate-gateway --config FILE [--port-file FILE] [--check]\n"
      "  --config FILE     gateway configuration (JSON; see docs/configuration.md)\n"
      "  --port-file FILE  write the bound TCP port to FILE once listening (for port 0)\n"
      "  --check           validate the configuration and exit\n"
      "environment: HASHGATE_PORT overrides listen.port, HASHGATE_DATA_DIR overrides "
      "store.data_dir\n",
      to);
}

/// Writes a "policy" audit entry when a tenant's consent policy differs from the last one the
/// audit log recorded for it (first start-up included). The policy holds no personal data.
void audit_policy_change(hashgate::gw::Store& store, const hashgate::gw::config::Tenant& t,
                         std::int64_t now) {
  const std::string policy =
      nlohmann::json{{"legal_basis", std::string(to_string(t.legal_basis))},
                     {"gpc", t.gpc},
                     {"set_uid_cookie", t.set_uid_cookie},
                     {"retention_days", t.retention_days},
                     {"tcf",
                      {{"vendor_id", t.tcf.vendor_id},
                       {"required_purposes", t.tcf.required_purposes},
                       {"require_vendor_consent", t.tcf.require_vendor_consent},
                       {"strict_policy_version", t.tcf.strict_policy_version}}}}
          .dump();
  std::string last;
  for (const auto& e : store.audit(t.id, 0, static_cast<std::size_t>(-1)))
    if (e.action == "policy") last = e.detail;
  if (last != policy) store.append_audit(hashgate::gw::AuditEntry{now, t.id, "policy", policy});
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hashgate::gw;
  std::string config_path, port_file;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--config" || a == "-c") && i + 1 < argc)
      config_path = argv[++i];
    else if (a == "--port-file" && i + 1 < argc)
      port_file = argv[++i];
    else if (a == "--check")
      check = true;
    else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "hashgate-gateway: unknown argument %s\n", a.c_str());
      usage(stderr);
      return 64;
    }
  }
  if (config_path.empty()) {
    usage(stderr);
    return 64;
  }
  config::Config cfg;
  try {
    cfg = config::load_config(config_path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hashgate-gateway: refusing to start: %s\n", e.what());
    return 78;
  }
  if (check) {
    std::printf("config OK (%zu tenants)\n", cfg.tenants.size());
    return 0;
  }

  std::error_code fec;
  std::filesystem::create_directories(cfg.data_dir, fec);
  if (fec) {
    std::fprintf(stderr,
                 "hashgate-gateway: refusing to start: store.data_dir: cannot create %s: %s\n",
                 cfg.data_dir.c_str(), fec.message().c_str());
    return 73;
  }
  StoreConfig scfg;
  scfg.data_dir = cfg.data_dir;
  scfg.durability = cfg.durability;
  scfg.queue_high_water = cfg.queue_high_water;
  std::error_code sec;
  std::string why;
  std::unique_ptr<Store> store = Store::open(scfg, sec, why);
  if (!store) {
    std::fprintf(stderr, "hashgate-gateway: refusing to start: store: %s\n",
                 why.empty() ? sec.message().c_str() : why.c_str());
    return 73;
  }
  api::Metrics metrics;
  store->on_commit = [&metrics](double s) { metrics.observe_commit(s); };

  int rc = 0;
  {
    api::Gateway gateway(cfg, *store, metrics);
    std::unique_ptr<http::Server> server;
    try {
      server = std::make_unique<http::Server>(gateway, gateway.config());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hashgate-gateway: refusing to start: %s\n", e.what());
      store->close();
      return 75;
    }
    const int port = server->port();
    gateway.set_port(port);
    const std::int64_t now = api::system_now();
    for (const auto& t : cfg.tenants) {
      store->append_audit(
          AuditEntry{now, t.id, "startup",
                     nlohmann::json{{"config_sha256", cfg.source_sha256}, {"port", port}}.dump()});
      audit_policy_change(*store, t, now);
    }
    gateway.run_retention();
    if (!port_file.empty()) {
      std::string tmp = port_file + ".tmp";
      {
        std::ofstream out(tmp);
        out << port << "\n";
      }
      std::filesystem::rename(tmp, port_file, fec);
      if (fec) {
        std::fprintf(stderr, "hashgate-gateway: cannot write --port-file %s\n", port_file.c_str());
        store->close();
        return 73;
      }
    }
    std::string host = cfg.address == "0.0.0.0" || cfg.address == "::" ? "127.0.0.1" : cfg.address;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::string base =
        std::string(cfg.tls() ? "https" : "http") + "://" + host + ":" + std::to_string(port);
    std::printf("hashgate-gateway listening on %s (%d threads, data in %s)\n", base.c_str(),
                cfg.threads, cfg.data_dir.c_str());
    std::printf("demo: %s/  (pages under %s/demo/, SDK under %s/sdk/)\n", base.c_str(),
                base.c_str(), base.c_str());
    std::fflush(stdout);
    server->run();
    store->close();
    std::printf("hashgate-gateway: stopped\n");
    std::fflush(stdout);
  }
  return rc;
}
