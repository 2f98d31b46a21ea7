// Security headers of every answer (see security_headers.hpp).
#include "gateway/api/security_headers.hpp"

namespace hashgate::gw::api {

void add_security_headers(Response& r, bool tls) {
  r.add("X-Content-Type-Options", "nosniff");
  r.add("Referrer-Policy", "no-referrer");
  bool has_csp = false, has_cache = false;
  for (const auto& [k, v] : r.headers) {
    if (k == "Content-Security-Policy") has_csp = true;
    if (k == "Cache-Control") has_cache = true;
  }
  if (!has_csp) r.add("Content-Security-Policy", k_api_csp);
  if (!has_cache) r.add("Cache-Control", "no-store");
  if (tls) r.add("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

}  // namespace hashgate::gw::api
