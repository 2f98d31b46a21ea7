// OAuth 2.0 refresh-token grant for google_dm destinations (RFC 6749 §6; Google: "Using OAuth
// 2.0 for Web Server Applications", "Refreshing an access token").
#include "gateway/deliver/oauth.hpp"

#include <hashgate/hashgate.hpp>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "gateway/deliver/http_client.hpp"

namespace hashgate::gw::deliver {

namespace {

/// application/x-www-form-urlencoded encoding of one value (unreserved characters kept).
void append_form_value(std::string& out, std::string_view value) {
  static const char* k_hex = "0123456789ABCDEF";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 15];
    }
  }
}

/// ASCII case-insensitive equality with a lowercase `lower`.
bool iequals(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() &&
         std::equal(text.begin(), text.end(), lower.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

/// Longest lifetime believed (a day): a bogus expires_in must not keep a token for years.
constexpr std::int64_t k_max_lifetime_s = 24 * 3600;

}  // namespace

Request token_request(const OAuthSettings& oauth) {
  Request req;
  req.method = Method::post;
  req.url = oauth.token_url;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  std::string& b = req.body;
  b = "grant_type=refresh_token&client_id=";
  append_form_value(b, oauth.client_id);
  b += "&client_secret=";
  append_form_value(b, oauth.client_secret.view());
  b += "&refresh_token=";
  append_form_value(b, oauth.refresh_token.view());
  return req;
}

std::optional<TokenAnswer> parse_token_answer(std::string_view body, std::string& error) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) {
    error = "json";
    return std::nullopt;
  }
  TokenAnswer a;
  auto tok = j.find("access_token");
  if (tok == j.end() || !tok->is_string() || tok->get_ref<const std::string&>().empty() ||
      tok->get_ref<const std::string&>().size() > 8192) {
    error = "access_token";
  } else if (auto tt = j.find("token_type");
             tt == j.end() || !tt->is_string() ||
             !iequals(tt->get_ref<const std::string&>(), "bearer")) {
    error = "token_type";  // RFC 6749 §7.1: the client must understand the token type
  } else if (auto ex = j.find("expires_in");
             ex != j.end() && (!ex->is_number_integer() || ex->get<std::int64_t>() <= 0)) {
    error = "expires_in";
  } else {
    if (ex != j.end()) a.expires_in_s = std::min(ex->get<std::int64_t>(), k_max_lifetime_s);
    std::string value = tok->get<std::string>();
    a.access_token = Secret(std::move(value));
    hashgate::secure_clear(value);
  }
  if (tok != j.end() && tok->is_string()) hashgate::secure_clear(tok->get_ref<std::string&>());
  if (!error.empty()) return std::nullopt;
  return a;
}

std::string_view TokenCache::get(const OAuthSettings& oauth, HttpClient& client,
                                 std::int64_t now_ms, std::string& error) {
  if (!m_token.empty() && now_ms + k_margin_ms < m_expires_ms) return m_token.view();
  invalidate();
  ++m_refreshes;
  Request req = token_request(oauth);
  HttpResult res = client.send(req);
  hashgate::secure_clear(req.body);
  if (res.status == 0) {
    error = "oauth_" + res.error;
  } else if (res.status != 200) {
    error = "oauth_http_" + std::to_string(res.status);
  } else if (auto a = parse_token_answer(res.body, error)) {
    m_token = std::move(a->access_token);
    // A lifetime shorter than twice the margin is used for half of it.
    const std::int64_t life_ms = a->expires_in_s * 1000;
    m_expires_ms = now_ms + (life_ms > 2 * k_margin_ms ? life_ms : k_margin_ms + life_ms / 2);
  } else {
    error = "oauth_" + error;
  }
  hashgate::secure_clear(res.body);
  return error.empty() ? m_token.view() : std::string_view();
}

void TokenCache::invalidate() {
  m_token = Secret();
  m_expires_ms = 0;
}

void set_bearer(Request& req, std::string_view token) {
  std::string value = "Bearer " + std::string(token);
  for (auto& [name, v] : req.headers) {
    if (name == "Authorization") {
      hashgate::secure_clear(v);
      v = std::move(value);
      return;
    }
  }
  req.headers.emplace_back("Authorization", std::move(value));
}

}  // namespace hashgate::gw::deliver
