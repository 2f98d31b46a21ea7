// Opt-out routes: GET /v1/optout (the link in a privacy statement), POST /v1/optout (hashed ids
// from a server, or the browser's uid), POST /v1/optin, GET /v1/optout/status.
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include <hashgate/hashgate.hpp>
#include "gateway/api/body.hpp"
#include "gateway/api/cookies.hpp"
#include "gateway/api/gateway.hpp"
#include "gateway/api/reply.hpp"
#include "gateway/api/request.hpp"

namespace hashgate::gw::api {

using nlohmann::json;

namespace {

constexpr std::size_t k_max_optout_ids = 1000;  ///< id sets per opt-out or opt-in request

std::string optout_page() {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<title>Opt-out</title></head><body>\n<h1>You are opted out</h1>\n<p>This browser now "
         "carries the opt-out cookie <code>hg_optout</code>. No event from it is stored, and data "
         "linked to its identifier has been suppressed and deleted.</p>\n</body></html>\n";
}

/// The 200 answer of a recorded opt-out.
Response opted_out(std::size_t ids_suppressed, std::size_t events_purged) {
  return json_response(200, json{{"opted_out", true},
                                 {"ids_suppressed", ids_suppressed},
                                 {"events_purged", events_purged}});
}

/// The id sets of a POST /v1/optout body ({"ids": {...}} or {"ids": [{...}, ...]}, at most
/// k_max_optout_ids), as canonical digests; an empty body has none.
Step<std::vector<std::string>> read_optout_ids(const Request& req, std::size_t json_depth,
                                               const policy::PiiGuard& guard) {
  std::vector<std::string> ids;
  if (req.body.empty()) return ids;
  JsonDoc doc;
  if (auto bad = read_json_body(req, json_depth, doc)) return Unexpected{std::move(*bad)};
  const JsonDoc::Value body = doc.root();
  std::string pii_path;
  PiiScan scan{guard};
  if (find_raw_pii(body, "", pii_path, scan))
    return Unexpected{raw_pii_refusal(std::move(pii_path))};
  const JsonDoc::Value id_sets = body.is_object() ? body.find("ids") : JsonDoc::Value{};
  if (!id_sets.valid())
    return Unexpected{
        Refusal{400,
                "missing_ids",
                "the body needs \"ids\": {\"em\": \"<sha256>\", ...} or an array of them",
                {}}};
  if (id_sets.is_array() && id_sets.size() > k_max_optout_ids)
    return Unexpected{Refusal{413, "too_many_ids", "at most 1000 id sets per request", {}}};
  if (auto bad = read_id_sets(id_sets, true, k_max_optout_ids, ids))
    return Unexpected{Refusal{422, std::move(bad->code), "ids accept only sha256/sha1/md5 digests",
                              std::move(bad->path)}};
  return ids;
}

/// The id sets of a POST /v1/optin body from a server ({"ids": {...}} or an array of them).
Step<std::vector<std::string>> read_optin_ids(const std::string& text, std::size_t json_depth,
                                              const policy::PiiGuard& guard) {
  if (!hashgate::valid_utf8(text) || text_depth(text) > json_depth)
    return Unexpected{Refusal{400, "bad_json", "the body is not valid JSON", {}}};
  JsonDoc doc;
  const bool parsed = doc.parse(text, json_depth);
  std::string pii_path;
  PiiScan scan{guard};
  if (parsed && find_raw_pii(doc.root(), "", pii_path, scan))
    return Unexpected{raw_pii_refusal(std::move(pii_path))};
  const JsonDoc::Value id_sets =
      parsed && doc.root().is_object() ? doc.root().find("ids") : JsonDoc::Value{};
  if (!id_sets.valid())
    return Unexpected{Refusal{400, "missing_ids", "the body needs \"ids\"", {}}};
  std::vector<std::string> ids;
  if (auto bad = read_id_sets(id_sets, false, k_max_optout_ids, ids))
    return Unexpected{
        Refusal{422, std::move(bad->code), "ids accept only digests", std::move(bad->path)}};
  return ids;
}

/// Gathers the outcomes of one opt-out per tenant and answers once, after the last.
struct OptOutJoin {
  std::mutex mu;
  std::size_t left = 0, ids = 0, purged = 0;
  bool ok = true;
  std::function<void(std::size_t ids, std::size_t purged, bool ok)> done;

  void add(const OptOutResult& r) {
    std::unique_lock lk(mu);
    if (r.error) ok = false;
    ids += r.ids_suppressed;
    purged += r.events_purged;
    if (--left) return;
    lk.unlock();
    done(ids, purged, ok);
  }
};

}  // namespace

// ---- GET /v1/optout --------------------------------------------------------------------------

void Gateway::get_optout(Call& call) {
  // A site key narrows the suppression to one tenant; without it the browser's hg_uid is
  // suppressed for every tenant (the cookie is the gateway's, not a tenant's).
  std::vector<const config::Tenant*> tenants;
  if (const std::string key = site_key_of(query_of(call.req.target)); !key.empty()) {
    auto it = m_site_keys.find(key);
    if (it == m_site_keys.end())
      return call.done(error(401, "unknown_site_key", "unknown site key"));
    tenants.push_back(&m_cfg.tenants[it->second]);
  } else {
    for (const auto& t : m_cfg.tenants) tenants.push_back(&t);
  }
  const std::string uid = read_cookies(call.req).uid;
  auto respond = [this, meta = cors_view(call.req), as_json = wants_json(call.req)](
                     std::size_t ids, std::size_t purged, bool ok) {
    Response r;
    if (!ok) {
      r = error(503, "store_error", "the opt-out could not be recorded; retry later");
    } else if (as_json) {
      r = opted_out(ids, purged);
    } else {
      r.body = optout_page();
      r.add("Content-Type", "text/html; charset=utf-8");
      r.add("Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    }
    r.add("Set-Cookie", set_optout_cookie(meta));
    r.add("Set-Cookie", clear_uid_cookie(meta));
    add_cors(meta, r, nullptr);
    return r;
  };
  if (uid.empty()) return call.done(respond(0, 0, true));
  auto join = std::make_shared<OptOutJoin>();
  join->left = tenants.size();
  join->done = [respond, done = std::move(call.done)](std::size_t ids, std::size_t purged,
                                                      bool ok) { done(respond(ids, purged, ok)); };
  for (const auto* t : tenants)
    m_store.opt_out(t->id, {}, uid, "optout_link", [join](OptOutResult r) { join->add(r); });
}

// ---- POST /v1/optout -------------------------------------------------------------------------

void Gateway::post_optout(Call& call) {
  const config::Tenant& tenant = *call.auth.tenant;
  const bool browser = call.auth.kind == Auth::Kind::site;
  const BodyWiper wipe_body{call.req.body};
  auto ids = read_optout_ids(call.req, m_cfg.json_depth, pii_guard(*call.auth.tenant));
  if (!ids) {
    Response r = refuse(ids.error());
    add_cors(call.req, r, &tenant);
    return call.done(std::move(r));
  }
  const std::string uid = browser ? read_cookies(call.req).uid : std::string();
  auto respond = [this, meta = cors_view(call.req), browser, &tenant](const OptOutResult& r) {
    Response res = r.error
                       ? error(503, "store_error", "the opt-out could not be recorded; retry later")
                       : opted_out(r.ids_suppressed, r.events_purged);
    if (browser && !r.error) {
      res.add("Set-Cookie", set_optout_cookie(meta));
      res.add("Set-Cookie", clear_uid_cookie(meta));
    }
    add_cors(meta, res, &tenant);
    return res;
  };
  if (ids->empty() && uid.empty()) {
    if (browser) return call.done(respond(OptOutResult{}));
    Response r = error(400, "missing_ids", "the body needs \"ids\"");
    add_cors(call.req, r, &tenant);
    return call.done(std::move(r));
  }
  m_store.opt_out(tenant.id, std::move(*ids), uid, browser ? "optout_browser" : "optout_api",
                  [respond, done = std::move(call.done)](OptOutResult r) { done(respond(r)); });
}

// ---- POST /v1/optin --------------------------------------------------------------------------

void Gateway::post_optin(Call& call) {
  const config::Tenant& tenant = *call.auth.tenant;
  const bool browser = call.auth.kind == Auth::Kind::site;
  std::vector<std::string> ids;
  if (!browser) {
    const BodyWiper wipe_body{call.req.body};
    auto read = read_optin_ids(call.req.body, m_cfg.json_depth, pii_guard(*call.auth.tenant));
    if (!read) return call.done(refuse(read.error()));
    ids = std::move(*read);
  }
  const std::string uid = browser ? read_cookies(call.req).uid : std::string();
  auto respond = [this, meta = cors_view(call.req), browser, &tenant](std::error_code ec) {
    Response r = ec ? error(503, "store_error", "the opt-in could not be recorded; retry later")
                    : json_response(200, json{{"opted_out", false}});
    if (browser && !ec) r.add("Set-Cookie", clear_optout_cookie(meta));
    add_cors(meta, r, &tenant);
    return r;
  };
  if (ids.empty() && uid.empty()) return call.done(respond({}));
  m_store.opt_in(tenant.id, std::move(ids), uid,
                 [respond, done = std::move(call.done)](std::error_code ec) { done(respond(ec)); });
}

// ---- GET /v1/optout/status -------------------------------------------------------------------

void Gateway::optout_status(Call& call) {
  const Request& req = call.req;
  const Auth auth = authenticate(req);
  const RequestCookies cookies = read_cookies(req);
  const config::Tenant* t = auth.tenant;
  if (!t && req.header("origin")) t = tenant_for_origin(*req.header("origin"));
  const bool gpc = header_is(req, "sec-gpc", "1") && (t ? t->gpc : true);
  bool suppressed = false;
  if (!cookies.uid.empty()) {
    if (t)
      suppressed = m_store.is_suppressed(t->id, cookies.uid);
    else
      for (const auto& x : m_cfg.tenants)
        suppressed = suppressed || m_store.is_suppressed(x.id, cookies.uid);
  }
  Response r = json_response(200, json{{"opted_out", cookies.optout || gpc || suppressed},
                                       {"cookie", cookies.optout},
                                       {"gpc", gpc},
                                       {"suppressed", suppressed}});
  add_cors(req, r, auth.tenant);
  call.done(std::move(r));
}

}  // namespace hashgate::gw::api
