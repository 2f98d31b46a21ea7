// The Gateway: construction, handle(), the route table and the dispatch. The routes themselves
// live in one file per concern (see gateway.hpp). No sockets here: see http/server.cpp.
#include "gateway/api/gateway.hpp"

#include "gateway/api/security_headers.hpp"

#include <hashgate/hashgate.hpp>

#include <chrono>

#include "gateway/api/reply.hpp"
#include "gateway/api/request.hpp"
#include "gateway/policy/pii_guard.hpp"

namespace hashgate::gw::api {

namespace {

constexpr const char* k_key_required = "a valid site key or API key is required";
constexpr const char* k_origin_forbidden = "this origin may not use this site key";
constexpr const char* k_api_key_required =
    "this route needs the tenant's API key (Authorization: Bearer)";

/// Why `a` may not use a route that requires `access` (nullopt: it may). `forbidden` is the
/// route's 403 message for site keys. An API-key route refuses a site key with 403, and answers
/// 401 whenever no Authorization header was sent.
std::optional<Refusal> access_refusal(Access access, const char* forbidden, const Request& req,
                                      Auth& a) {
  if (access == Access::api_key) {
    if (a.status == 0 && a.kind != Auth::Kind::api) a.status = 403, a.reason = "api_key_required";
    if (!req.header("authorization") && a.status) a.status = 401, a.reason = "api_key_required";
    if (!a.status) return std::nullopt;
    return Refusal{a.status, a.reason, k_api_key_required, {}};
  }
  if (!a.status) return std::nullopt;
  const char* message = a.status == 401 || !forbidden ? k_key_required : forbidden;
  return Refusal{a.status, a.reason, message, {}};
}

}  // namespace

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Gateway::Gateway(config::Config cfg, Store& store, Metrics& metrics, Clock now)
    : m_cfg(std::move(cfg)),
      m_store(store),
      m_metrics(metrics),
      m_now(std::move(now)),
      m_sdk(m_cfg.sdk_root),
      m_demo(m_cfg.demo_root),
      m_routes(route_table()) {
  m_port = m_cfg.port;
  for (std::size_t i = 0; i < m_cfg.tenants.size(); ++i) {
    for (const auto& sk : m_cfg.tenants[i].site_keys) m_site_keys[sk.key] = i;
    const auto& pii = m_cfg.tenants[i].pii;
    m_pii.emplace_back(pii.phone_regions ? std::span<const Region>(*pii.phone_regions)
                                         : policy::default_phone_regions(),
                       pii.allow_paths);
  }
}

void Gateway::set_port(int port) { m_port = port; }

// The route table: one row per (methods, path). Allow (405) is the union of a path's rows; a
// row's label names it in logs and metrics; Access is checked before the handler runs.
Gateway::Table Gateway::route_table() {
  // clang-format off
  return Table{
    // methods              path                  access               label            handler
    {k_post | k_options,   "/v1/events",         Access::site_or_api, "events",        &Gateway::post_events, k_origin_forbidden},
    {k_get | k_options,    "/v1/optout",         Access::none,        "optout",        &Gateway::get_optout},
    {k_post,               "/v1/optout",         Access::site_or_api, "optout",        &Gateway::post_optout},
    {k_post | k_options,   "/v1/optin",          Access::site_or_api, "optin",         &Gateway::post_optin},
    {k_get | k_options,    "/v1/optout/status",  Access::none,        "optout_status", &Gateway::optout_status},
    {k_get,                "/v1/events/export",  Access::api_key,     "export",        &Gateway::export_events},
    {k_get,                "/v1/audit",          Access::api_key,     "audit",         &Gateway::audit},
    {k_post,               "/v1/audiences/{name}/members", Access::api_key, "audience_members", &Gateway::post_audience_members},
    {k_get,                "/v1/audiences",      Access::api_key,     "audiences",     &Gateway::get_audiences},
    {k_delete,             "/v1/audiences/{name}", Access::api_key,   "audience",      &Gateway::delete_audience},
    {k_post,               "/v1/matches",        Access::api_key,     "matches",       &Gateway::post_match},
    {k_get,                "/v1/matches",        Access::api_key,     "matches",       &Gateway::get_matches},
    {k_get,                "/v1/matches/{match_id}/export", Access::api_key, "match_export", &Gateway::export_match},
    {k_post,               "/v1/matches/{match_id}/activate", Access::api_key, "match_activate", &Gateway::activate_match},
    {k_get,                "/healthz",           Access::none,        "healthz",       &Gateway::healthz},
    {k_get,                "/readyz",            Access::none,        "readyz",        &Gateway::readyz},
    {k_get,                "/metrics",           Access::none,        "metrics",       &Gateway::metrics_text},
  };
  // clang-format on
}

// Outside the table (their paths are only documentation; select() matches them): every OPTIONS
// under /v1/ is a CORS preflight; any other method on an unknown /v1/ path is a 404; anything
// else is a static file, GET only.
Gateway::Table::Match Gateway::select(const Request& req) const {
  static const Route<Handler> k_preflight{k_options, "/v1/*", Access::none, "preflight",
                                          &Gateway::preflight};
  static const Route<Handler> k_not_found{k_any_method, "/v1/*", Access::none, "other",
                                          &Gateway::not_found};
  static const Route<Handler> k_static{k_get, "/*", Access::none, "static", &Gateway::serve_static};
  auto fallback = [](const Route<Handler>& r, bool method_allowed) {
    Table::Match m;
    m.route = &r;
    m.method_allowed = method_allowed;
    m.allowed = r.methods;
    return m;
  };
  const std::string_view path = path_of(req.target);
  const bool api = path.substr(0, 4) == "/v1/";
  if (api && req.method == "OPTIONS") return fallback(k_preflight, true);
  if (Table::Match m = m_routes.find(req.method, path); m.route) return m;
  if (api) return fallback(k_not_found, true);
  return fallback(k_static, req.method == "GET");
}

Done Gateway::labelled(const char* label, bool tls, Done done) {
  return [this, label, tls, done = std::move(done)](Response r) {
    r.route = label;
    add_security_headers(r, tls);
    m_metrics.add_request(r.status);
    done(std::move(r));
  };
}

void Gateway::handle(Request req, Done done) {
  Table::Match m = select(req);
  Call call{req, labelled(m.route->label, req.tls || m_cfg.tls(), std::move(done)), {}, m.params};
  if (m.method_allowed) {
    run(*m.route, call);
  } else {
    Response r = error(405, "method_not_allowed", "method not allowed on this route");
    r.add("Allow", allow_header(m.allowed));
    call.done(std::move(r));
  }
  hashgate::secure_clear(req.body);
}

void Gateway::run(const Route<Handler>& route, Call& call) {
  if (route.access != Access::none) {
    call.auth = authenticate(call.req);
    if (auto why = access_refusal(route.access, route.forbidden, call.req, call.auth))
      return call.done(refuse(*why));
  }
  (this->*route.handler)(call);
}

}  // namespace hashgate::gw::api
