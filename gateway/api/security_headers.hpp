#pragma once
// The security headers every answer of the gateway carries, whichever layer built it: the
// request handler (Gateway::handle) and the HTTP layer's own 400/413/431/501/503 answers.

#include "gateway/api/gateway.hpp"

namespace hashgate::gw::api {

/// Content-Security-Policy of API answers (static files carry static.csp instead).
inline constexpr const char* k_api_csp = "default-src 'none'; frame-ancestors 'none'";

/// Adds X-Content-Type-Options, Referrer-Policy, a CSP and Cache-Control: no-store unless `r`
/// already has its own CSP or Cache-Control, and HSTS when the connection is TLS (`tls`).
void add_security_headers(Response& r, bool tls);

}  // namespace hashgate::gw::api
