// The hg_optout and hg_uid cookies: reading them, and the Set-Cookie values the gateway sends.
#include "gateway/api/cookies.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdint>

#include <hashgate/hashgate.hpp>

namespace hashgate::gw::api {

namespace {

constexpr std::int64_t k_day_s = 86400;

/// Calls f(name, value) for each name=value pair of a Cookie header (pairs without '=' skipped).
template <class F>
void each_cookie(std::string_view s, F&& f) {
  while (!s.empty()) {
    auto semi = s.find(';');
    std::string_view kv = s.substr(0, semi);
    while (!kv.empty() && kv.front() == ' ') kv.remove_prefix(1);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) f(kv.substr(0, eq), kv.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    s = s.substr(semi + 1);
  }
}

}  // namespace

RequestCookies read_cookies(const Request& req) {
  RequestCookies out;
  bool seen_optout = false;
  for (const auto& [name, value] : req.headers) {
    if (name != "cookie") continue;
    each_cookie(value, [&](std::string_view k, std::string_view v) {
      if (k == "hg_optout" && !seen_optout) {
        seen_optout = true;
        out.optout = v == "1";
      } else if (k == "hg_uid" && !out.uid_present) {
        out.uid_present = true;
        if (valid_uid(v)) out.uid = v;
      }
    });
  }
  return out;
}

bool valid_uid(std::string_view u) {
  if (u.size() != 32) return false;
  for (char c : u)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string new_uid() {
  std::array<std::uint8_t, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) return {};
  return hashgate::to_hex(b);
}

bool Gateway::secure_cookies(const Request& req) const {
  if (m_cfg.cookies.secure == config::CookieSecure::always) return true;
  if (m_cfg.cookies.secure == config::CookieSecure::never) return false;
  if (req.tls || m_cfg.tls()) return true;
  const std::string* host = req.header("host");
  if (!host) return true;
  std::string h = *host;
  if (h.rfind("[::1]", 0) == 0) return false;
  h = h.substr(0, h.find(':'));
  return !(h == "localhost" || h == "127.0.0.1");
}

std::string Gateway::cookie(std::string_view name, std::string_view value, std::int64_t max_age,
                            bool http_only, const Request& req) const {
  std::string c = std::string(name) + "=" + std::string(value) +
                  "; Max-Age=" + std::to_string(max_age) +
                  "; Path=/; SameSite=" + std::string(config::to_string(m_cfg.cookies.same_site));
  if (secure_cookies(req)) c += "; Secure";
  if (http_only) c += "; HttpOnly";
  return c;
}

std::string Gateway::set_uid_cookie(const std::string& uid, const Request& req) const {
  return cookie("hg_uid", uid, m_cfg.cookies.uid_max_age_days * k_day_s, true, req);
}

std::string Gateway::clear_uid_cookie(const Request& req) const {
  return cookie("hg_uid", "", 0, true, req);
}

std::string Gateway::set_optout_cookie(const Request& req) const {
  return cookie("hg_optout", "1", m_cfg.cookies.optout_max_age_days * k_day_s, false, req);
}

std::string Gateway::clear_optout_cookie(const Request& req) const {
  return cookie("hg_optout", "", 0, false, req);
}

}  // namespace hashgate::gw::api
