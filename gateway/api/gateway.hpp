#pragma once
// The request handler: a pure function request → response (no sockets). The http/ layer feeds it
// parsed requests; unit tests call it directly with a Store test double.
//
// gateway.cpp holds construction, handle(), the route table and the dispatch; the routes live in
// one file per concern: event_routes.cpp (POST /v1/events), optout_routes.cpp (opt-out, opt-in,
// status), export_routes.cpp (export, audit, retention), onboarding_routes.cpp (audiences,
// matches, match export), static_routes.cpp (static files, 404),
// health_routes.cpp (healthz, readyz, metrics), cors.cpp (preflight, CORS, origins). Shared
// helpers: auth.cpp (credentials), cookies.cpp, request.cpp, reply.cpp, body.cpp, and the pure
// parse_event.cpp and route_table.cpp.

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

#include "gateway/api/auth.hpp"
#include "gateway/api/json_doc.hpp"
#include "gateway/api/metrics.hpp"
#include "gateway/api/route_table.hpp"
#include "gateway/api/static_files.hpp"
#include "gateway/config/config.hpp"
#include "gateway/deliver/metrics.hpp"
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

/// One HTTP response. `route` is a fixed label for logs (never the raw path or query); the
/// Gateway sets it from the route table.
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

/// One request on its way through a route: the request, the reply callback (it labels the
/// response with the route's label, adds the security headers and counts it; call it exactly
/// once), the caller's credentials (set for routes whose Access is not none) and the values of
/// the path's named segments (views of req.target).
struct Call {
  Request& req;
  Done done;
  Auth auth;
  PathParams params;
};

/// The delivery worker as the handler sees it (issue 16): its metrics, which also count the
/// events a destination's consent gate refused, and the sampler of its pending gauges.
struct Delivery {
  deliver::DeliveryMetrics* metrics = nullptr;
  std::function<std::vector<deliver::PendingSample>()> sample_pending;
};

struct Refusal;
struct RequestCookies;
struct EventBatch;

/// The gateway's request handler. Thread-safe: handle() may run on many threads at once.
class Gateway {
 public:
  /// `store` and `metrics` must outlive the Gateway. `now` is the clock (tests inject one).
  Gateway(config::Config cfg, Store& store, Metrics& metrics, Clock now = system_now);

  /// Attaches the delivery worker's metrics (appended to /metrics). Call before serving.
  void set_delivery(Delivery d) { m_delivery = std::move(d); }
  /// Sets the port the server is bound to (for the "self" origins). Call before serving.
  void set_port(int port);
  /// Handles one request; `done` receives the response exactly once (possibly asynchronously,
  /// after the store committed).
  void handle(Request req, Done done);
  /// A whole-request error response (JSON {"error","message"}), counted under `reason`.
  Response error(int status, std::string_view reason, std::string_view message) const;
  /// The response for `why` (JSON {"error","message"[,"path"]}), counted under its reason: the
  /// one place where a route's refusals become answers.
  Response refuse(const Refusal& why) const;
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
  /// The PII guard of tenant `t` (one of m_cfg.tenants).
  const policy::PiiGuard& pii_guard(const config::Tenant& t) const {
    return m_pii[static_cast<std::size_t>(&t - m_cfg.tenants.data())];
  }
  using Handler = void (Gateway::*)(Call&);
  using Table = RouteTable<Handler>;

  // gateway.cpp: the table and the dispatch.
  static Table route_table();
  Table::Match select(const Request& req) const;
  Done labelled(const char* label, bool tls, Done done);
  void run(const Route<Handler>& route, Call& call);

  // auth.cpp
  Auth authenticate(const Request& req) const;
  void authenticate_api_key(std::string_view authorization, Auth& a) const;
  void authenticate_site_key(const std::string& key, Auth& a) const;

  // cors.cpp
  void preflight(Call& call);
  const config::Tenant* preflight_tenant(const Request& req, const std::string& origin) const;
  bool origin_matches(const config::SiteKey& sk, std::string_view origin) const;
  bool origin_allowed(const config::Tenant& t, std::string_view origin) const;
  const config::Tenant* tenant_for_origin(std::string_view origin) const;
  void add_cors(const Request& req, Response& res, const config::Tenant* t) const;

  // cookies.cpp
  bool secure_cookies(const Request& req) const;
  std::string cookie(std::string_view name, std::string_view value, std::int64_t max_age,
                     bool http_only, const Request& req) const;
  std::string set_uid_cookie(const std::string& uid, const Request& req) const;
  std::string clear_uid_cookie(const Request& req) const;
  std::string set_optout_cookie(const Request& req) const;
  std::string clear_optout_cookie(const Request& req) const;

  // event_routes.cpp: POST /v1/events and its steps.
  void post_events(Call& call);
  std::optional<Response> drop_opted_out(const Request& req, const config::Tenant& tenant,
                                         const RequestCookies& cookies, std::size_t events);
  std::shared_ptr<EventBatch> start_batch(Call& call, const RequestCookies& cookies);
  void build_events(const Request& req, JsonDoc::Value events, EventBatch& batch);
  void hand_to_store(std::shared_ptr<EventBatch> batch, const Request& req);
  void events_stored(EventBatch& batch, const SubmitResult& res);
  Response events_answer(const EventBatch& batch, std::size_t accepted);

  // optout_routes.cpp
  void get_optout(Call& call);
  void post_optout(Call& call);
  void post_optin(Call& call);
  void optout_status(Call& call);

  // export_routes.cpp
  /// In Kafka mode (a replica keeps no events) answers 501 "served_by_sink" and returns true:
  /// every route that reads the store (export, audit, audiences, matches) calls it first.
  bool refused_in_kafka_mode(Call& call);
  void export_events(Call& call);
  void audit(Call& call);

  // onboarding_routes.cpp (issue 14)
  void post_audience_members(Call& call);
  void get_audiences(Call& call);
  void delete_audience(Call& call);
  void post_match(Call& call);
  void get_matches(Call& call);
  void export_match(Call& call);
  /// POST /v1/matches/{match_id}/activate: queues a released match's people for one of the
  /// publisher's destinations (docs/onboarding.md, "Activation").
  void activate_match(Call& call);
  /// The UTC day of the gateway's clock (agreements end at the start of their `expires` day).
  onboarding::Day today() const;
  // health_routes.cpp
  void healthz(Call& call);
  void readyz(Call& call);
  void metrics_text(Call& call);

  // static_routes.cpp
  void serve_static(Call& call);
  void not_found(Call& call);

  config::Config m_cfg;
  Store& m_store;
  Metrics& m_metrics;
  Clock m_now;
  std::atomic<int> m_port{0};
  std::atomic<bool> m_draining{false};
  std::map<std::string, std::size_t, std::less<>> m_site_keys;  ///< site key → tenant index
  StaticFiles m_sdk;
  StaticFiles m_demo;
  std::vector<policy::PiiGuard> m_pii;  ///< per tenant, in m_cfg.tenants order
  Delivery m_delivery;
  const Table m_routes;
};

}  // namespace hashgate::gw::api
