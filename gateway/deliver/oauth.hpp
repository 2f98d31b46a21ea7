#pragma once
// Access tokens from an OAuth 2.0 refresh token (RFC 6749 §6), for google_dm destinations with
// an `oauth` config object. Google's access tokens expire after about an hour; the worker asks
// TokenCache for a token before each request, and a refresh happens only when the cached one is
// missing, about to expire, or was refused with 401. Tokens never leave this class except into
// an Authorization header, and are zeroed when replaced.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/deliver/destination.hpp"
#include "gateway/deliver/payload.hpp"

namespace hashgate::gw::deliver {

class HttpClient;

/// The token endpoint's request: POST, application/x-www-form-urlencoded, grant_type
/// refresh_token with the client's id and secret in the body (RFC 6749 §6 and §2.3.1).
Request token_request(const OAuthSettings& oauth);

/// A successful token answer (RFC 6749 §5.1): the access token and its lifetime.
struct TokenAnswer {
  Secret access_token;
  std::int64_t expires_in_s = 3600;  ///< the answer's expires_in; 3600 when absent
};

/// Parses a 200 answer's JSON body; empty with `error` set to a fixed word ("json",
/// "access_token", "token_type", "expires_in") when it is not a usable bearer token answer.
std::optional<TokenAnswer> parse_token_answer(std::string_view body, std::string& error);

/// One destination's current access token. Not thread-safe: each destination has one worker
/// thread.
class TokenCache {
 public:
  /// Refresh this long before the token's expiry, so no request leaves with a dying token.
  static constexpr std::int64_t k_margin_ms = 5 * 60 * 1000;

  /// A token valid at `now_ms`, refreshed through `client` when needed. On failure returns an
  /// empty view and sets `error` ("oauth_<transport word>", "oauth_http_<status>" or
  /// "oauth_<parse word>"); the caller retries the batch later.
  std::string_view get(const OAuthSettings& oauth, HttpClient& client, std::int64_t now_ms,
                       std::string& error);
  /// Forgets the token (the API answered 401), so the next get() refreshes.
  void invalidate();
  /// Token refreshes so far (successful or not), for tests and logs.
  std::uint64_t refreshes() const { return m_refreshes; }

 private:
  Secret m_token;
  std::int64_t m_expires_ms = 0;
  std::uint64_t m_refreshes = 0;
};

/// Sets `Authorization: Bearer <token>` on `req`, replacing one that is there.
void set_bearer(Request& req, std::string_view token);

}  // namespace hashgate::gw::deliver
