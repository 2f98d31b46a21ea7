// CORS: the preflight route (OPTIONS under /v1/), the origins a site key may be used from
// ("self" = the gateway's own), and the Access-Control-* headers of an answer.
#include "gateway/api/gateway.hpp"
#include "gateway/api/reply.hpp"
#include "gateway/api/request.hpp"

namespace hashgate::gw::api {

namespace {

constexpr const char* k_allowed_headers = "Content-Type, X-Hashgate-Site-Key";

}  // namespace

std::vector<std::string> Gateway::self_origins() const {
  std::vector<std::string> out;
  int port = m_port;
  std::string scheme = m_cfg.tls() ? "https" : "http";
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  for (const char* host : {"127.0.0.1", "localhost", "[::1]"}) {
    out.push_back(scheme + "://" + host + ":" + std::to_string(port));
    if (default_port) out.push_back(scheme + "://" + host);
  }
  for (const auto& o : m_cfg.public_origins) out.push_back(o);
  return out;
}

bool Gateway::origin_matches(const config::SiteKey& sk, std::string_view origin) const {
  if (origin.empty()) return false;
  for (const auto& o : sk.allowed_origins) {
    if (o != "self") {
      if (o == origin) return true;
      continue;
    }
    for (const auto& s : self_origins())
      if (s == origin) return true;
  }
  return false;
}

bool Gateway::origin_allowed(const config::Tenant& t, std::string_view origin) const {
  for (const auto& sk : t.site_keys)
    if (origin_matches(sk, origin)) return true;
  return false;
}

const config::Tenant* Gateway::tenant_for_origin(std::string_view origin) const {
  for (const auto& t : m_cfg.tenants)
    if (origin_allowed(t, origin)) return &t;
  return nullptr;
}

void Gateway::add_cors(const Request& req, Response& res, const config::Tenant* t) const {
  const std::string* o = req.header("origin");
  if (!o) return;
  bool ok = t ? origin_allowed(*t, *o) : tenant_for_origin(*o) != nullptr;
  res.add("Vary", "Origin");
  if (!ok) return;
  res.add("Access-Control-Allow-Origin", *o);
  res.add("Access-Control-Allow-Credentials", "true");
}

/// The tenant a preflight from `origin` is for: the query's site key's tenant (if it allows the
/// origin), else the first tenant that allows it.
const config::Tenant* Gateway::preflight_tenant(const Request& req,
                                                const std::string& origin) const {
  const std::string key = site_key_of(query_of(req.target));
  if (key.empty()) return tenant_for_origin(origin);
  auto it = m_site_keys.find(key);
  if (it == m_site_keys.end() || !origin_allowed(m_cfg.tenants[it->second], origin)) return nullptr;
  return &m_cfg.tenants[it->second];
}

void Gateway::preflight(Call& call) {
  const std::string* origin = call.req.header("origin");
  const std::string* method = call.req.header("access-control-request-method");
  if (!origin || !method)
    return call.done(
        error(400, "bad_preflight", "Origin and Access-Control-Request-Method are required"));
  if (!preflight_tenant(call.req, *origin) || (*method != "GET" && *method != "POST")) {
    Response r = error(403, "origin_not_allowed", "this origin may not call the gateway");
    r.add("Vary", "Origin");
    return call.done(std::move(r));
  }
  Response r;
  r.status = 204;
  r.add("Access-Control-Allow-Origin", *origin);
  r.add("Access-Control-Allow-Credentials", "true");
  r.add("Access-Control-Allow-Methods", "GET, POST");
  r.add("Access-Control-Allow-Headers", k_allowed_headers);
  r.add("Access-Control-Max-Age", "600");
  r.add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  call.done(std::move(r));
}

}  // namespace hashgate::gw::api
