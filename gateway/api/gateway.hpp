#pragma once
// The request handler: a pure function request → response (no sockets), holding the routes,
// JSON ↔ structs, tenants and keys, CORS, cookies, static files and metrics. The http/ layer
// feeds it parsed requests; unit tests call it directly with a Store test double.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/api/metrics.hpp"
#include "gateway/api/static_files.hpp"
#include "gateway/config/config.hpp"
#include "gateway/policy/pii_guard.hpp"
#include "gateway/store/store.hpp"

namespace hashgate::gw::api {

/// One HTTP request as the handler sees it. Header names are lowercase.
struct Request {
  std::string method;  ///< "GET", "POST", "OPTIONS", ...
  std::string target;  ///< origin-form target, with the query string
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool tls = false;  ///< the connection is TLS
  /// Runs a task on the thread that serves this request's connection (set by the HTTP layer).
  /// Store completions use it to build their answer there instead of on the writer thread,
  /// which is the gateway's one serial stage. Unset (tests): the task runs where it is called.
  std::function<void(std::function<void()>)> defer;
  /// The first value of header `name` (lowercase), or nullptr.
  const std::string* header(std::string_view name) const;
};

/// One HTTP response. `route` is a fixed label for logs (never the raw path or query).
struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;
  std::string route = "other";
  /// Appends a header (Set-Cookie may repeat).
  void add(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

/// Receives the response; may be called on the store's writer thread.
using Done = std::function<void(Response)>;
/// Current time in unix seconds (injectable for tests).
using Clock = std::function<std::int64_t()>;

/// Wall-clock unix seconds.
std::int64_t system_now();

/// The gateway's request handler. Thread-safe: handle() may run on many threads at once.
class JsonDoc;

class Gateway {
 public:
  /// `store` and `metrics` must outlive the Gateway. `now` is the clock (tests inject one).
  Gateway(config::Config cfg, Store& store, Metrics& metrics, Clock now = system_now);

  /// Sets the port the server is bound to (for the "self" origins). Call before serving.
  void set_port(int port);
  /// Handles one request; `done` receives the response exactly once (possibly asynchronously,
  /// after the store committed).
  void handle(Request req, Done done);
  /// A whole-request error response (JSON {"error","message"}), counted under `reason`.
  Response error(int status, std::string_view reason, std::string_view message) const;
  /// Purges events older than each tenant's retention_days; returns the number deleted.
  std::size_t run_retention();
  /// Marks the gateway as draining (readyz answers 503).
  void set_draining() { m_draining = true; }
  /// The configuration in use.
  const config::Config& config() const { return m_cfg; }
  /// The metrics registry.
  Metrics& metrics() { return m_metrics; }
  /// The origins that count as "self" (the gateway's own), given the bound port.
  std::vector<std::string> self_origins() const;

 private:
  struct Auth;
  void route(Request& req, Done& done);
  void post_events(Request& req, Done done, const Auth& auth);
  void get_optout(Request& req, Done done);
  void post_optout(Request& req, Done done, const Auth& auth);
  void post_optin(Request& req, Done done, const Auth& auth);
  Response optout_status(const Request& req, const Auth& auth);
  Response export_events(const Request& req, const Auth& auth);
  Response audit(const Request& req, const Auth& auth);
  Response preflight(const Request& req);
  std::optional<Response> read_json_body(const Request& req, JsonDoc& doc) const;
  Response serve_static(const Request& req, std::string_view path);
  Auth authenticate(const Request& req) const;
  bool origin_allowed(const config::Tenant& t, const std::string& origin) const;
  const config::Tenant* tenant_for_origin(const std::string& origin) const;
  void add_cors(const Request& req, Response& res, const config::Tenant* t) const;
  bool secure_cookies(const Request& req) const;
  /// The PII guard of tenant `t` (one of m_cfg.tenants).
  const policy::PiiGuard& pii_guard(const config::Tenant& t) const {
    return m_pii[static_cast<std::size_t>(&t - m_cfg.tenants.data())];
  }
  std::string cookie(const std::string& name, const std::string& value, std::int64_t max_age,
                     bool http_only, const Request& req) const;

  config::Config m_cfg;
  Store& m_store;
  Metrics& m_metrics;
  Clock m_now;
  std::atomic<int> m_port{0};
  std::atomic<bool> m_draining{false};
  std::map<std::string, std::size_t> m_site_keys;        ///< site key → tenant index
  std::vector<std::vector<unsigned char>> m_api_hashes;  ///< per tenant, empty if none
  StaticFiles m_sdk;
  StaticFiles m_demo;
  std::vector<policy::PiiGuard> m_pii;  ///< per tenant, in m_cfg.tenants order
};

}  // namespace hashgate::gw::api
