#pragma once
// The gateway's two cookies: hg_optout (the browser's opt-out) and hg_uid (the first-party id,
// 128 random bits as 32 lowercase hex). Reading them from a request; writing them is
// Gateway::set_uid_cookie and friends (cookies.cpp), with the configured SameSite and Secure.

#include <string>

#include "gateway/api/gateway.hpp"

namespace hashgate::gw::api {

/// What a request's Cookie headers say (for a repeated name the first value counts).
struct RequestCookies {
  bool optout = false;       ///< hg_optout=1
  bool uid_present = false;  ///< an hg_uid cookie, valid or not
  std::string uid;           ///< the hg_uid value when it is a valid uid, else empty
};

/// Reads hg_optout and hg_uid from every Cookie header of `req`.
RequestCookies read_cookies(const Request& req);

/// True when `u` is a uid the gateway could have set (32 lowercase hex characters).
bool valid_uid(std::string_view u);

/// A fresh random uid (OpenSSL RAND_bytes); empty if the generator fails.
std::string new_uid();

}  // namespace hashgate::gw::api
