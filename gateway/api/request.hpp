#pragma once
// Reading a request: its path and query string, the site key of the query, headers that are
// compared as words, and the part of a request that an asynchronous answer keeps (CORS view).
// Pure functions over api::Request.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "gateway/api/gateway.hpp"

namespace hashgate::gw::api {

/// Decoded query parameters; for a repeated name the first value counts.
using Query = std::map<std::string, std::string>;

/// The path of an origin-form `target` (everything before '?'), not decoded.
std::string_view path_of(std::string_view target);

/// The query parameters of `target`, percent- and form-decoded ('+' is a space).
Query query_of(std::string_view target);

/// The site key a query names: `site_key`, else `key` (a present but empty `site_key` wins);
/// empty when neither is there.
std::string site_key_of(const Query& q);

/// True when header `name` of `req`, without surrounding spaces, is exactly `value`.
bool header_is(const Request& req, std::string_view name, std::string_view value);

/// True when Content-Type is application/json or text/plain (parameters and case ignored).
bool content_type_ok(const Request& req);

/// True when Accept names application/json before (or without) text/html.
bool wants_json(const Request& req);

/// Parses a decimal integer `s` (digits only, at most 19) within [lo, hi] into `out`.
bool parse_int(const std::string& s, std::int64_t lo, std::int64_t hi, std::int64_t& out);

/// What an asynchronous answer needs of `req` for CORS and cookies (TLS, Origin and Host),
/// without its body or target: a store completion may outlive the request.
Request cors_view(const Request& req);

}  // namespace hashgate::gw::api
