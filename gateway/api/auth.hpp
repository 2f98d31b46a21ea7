#pragma once
// The caller's credentials as Gateway::authenticate (auth.cpp) found them.

#include <string>

#include "gateway/config/config.hpp"

namespace hashgate::gw::api {

/// Who is calling: a site key used from an allowed origin, a tenant's API key, or neither (then
/// `status` and `reason` say why, when credentials were present but bad or missing).
struct Auth {
  enum class Kind { none, site, api } kind = Kind::none;
  const config::Tenant* tenant = nullptr;
  int status = 0;      ///< 401/403 when the credentials were missing or bad, else 0
  std::string reason;  ///< rejection reason (missing_key, unknown_site_key, ...)
  std::string origin;  ///< the Origin header, if any
};

}  // namespace hashgate::gw::api
