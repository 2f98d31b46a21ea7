// Static files: the demo index at /, web/dist under /sdk/ (and /dist/), the demo pages under
// /demo/ (StaticFiles does the file system and the traversal checks); and the 404 of an unknown
// /v1/ path.
#include "gateway/api/gateway.hpp"
#include "gateway/api/request.hpp"

namespace hashgate::gw::api {

namespace {

Response redirect(std::string location) {
  Response r;
  r.status = 308;
  r.add("Location", std::move(location));
  return r;
}

}  // namespace

void Gateway::serve_static(Call& call) {
  const std::string_view path = path_of(call.req.target);
  Response r;
  if (path == "/" || path == "/index.html") {
    r.body = m_demo.index_html("/demo/", "hashgate demo");
    r.add("Content-Type", "text/html; charset=utf-8");
    r.add("Content-Security-Policy", m_cfg.csp);
    return call.done(std::move(r));
  }
  if (path == "/demo" || path == "/sdk") return call.done(redirect(std::string(path) + "/"));
  const StaticFiles* files = nullptr;
  std::string_view mount;
  if (path.rfind("/sdk/", 0) == 0)
    files = &m_sdk, mount = "/sdk/";
  else if (path.rfind("/dist/", 0) == 0)
    files = &m_sdk, mount = "/dist/";
  else if (path.rfind("/demo/", 0) == 0)
    files = &m_demo, mount = "/demo/";
  if (!files) return call.done(error(404, "not_found", "not found"));
  StaticFile f = files->get(path.substr(mount.size()), mount);
  if (f.status == 308) return call.done(redirect(std::move(f.location)));
  if (f.status != 200)
    return call.done(error(f.status, f.status == 400 ? "bad_path" : "not_found",
                           f.status == 400 ? "bad path" : "not found"));
  r.body = std::move(f.body);
  r.add("Content-Type", f.content_type);
  r.add("Content-Security-Policy", m_cfg.csp);
  r.add("Cache-Control", "no-cache");
  r.add("Cross-Origin-Resource-Policy", mount == "/demo/" ? "same-origin" : "cross-origin");
  call.done(std::move(r));
}

void Gateway::not_found(Call& call) { call.done(error(404, "not_found", "no such route")); }

}  // namespace hashgate::gw::api
