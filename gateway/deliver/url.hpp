#pragma once
// Destination URLs: http:// or https://, host (name, IPv4 or [IPv6]), optional port, path + query.
// No user-info, no fragment: a URL in the config never carries a credential.

#include <cstdint>
#include <string>
#include <string_view>

namespace hashgate::gw::deliver {

/// A parsed absolute http(s) URL.
struct Url {
  bool tls = false;        ///< https
  std::string host;        ///< without brackets for IPv6
  std::uint16_t port = 0;  ///< explicit or the scheme's default (80, 443)
  std::string target;      ///< path and query, always starting with '/'

  /// The Host header value: host, bracketed if IPv6, with ":port" unless it is the default.
  std::string host_header() const;
  /// The URL as text (scheme://host[:port]/target).
  std::string str() const;
};

/// Parses `text` into `out`. Returns "" on success, else a short reason that never repeats the
/// input (e.g. "must start with http:// or https://").
std::string parse_url(std::string_view text, Url& out);

/// Appends `path` to `base.target`, joining with exactly one '/', e.g. base "/v21.0" and path
/// "123/events" give "/v21.0/123/events".
Url with_path(const Url& base, std::string_view path);

}  // namespace hashgate::gw::deliver
