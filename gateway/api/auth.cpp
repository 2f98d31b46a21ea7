// Gateway::authenticate: which tenant a request speaks for, from its API key (Authorization:
// Bearer) or its site key (X-Hashgate-Site-Key or the query) and Origin.
#include <openssl/crypto.h>

#include <array>
#include <cstdint>

#include <hashgate/hashgate.hpp>
#include "gateway/api/gateway.hpp"
#include "gateway/api/request.hpp"
#include "gateway/policy/pii_guard.hpp"

namespace hashgate::gw::api {

Auth Gateway::authenticate(const Request& req) const {
  Auth a;
  if (const std::string* o = req.header("origin")) a.origin = *o;
  if (const std::string* authz = req.header("authorization")) {
    authenticate_api_key(*authz, a);
    return a;
  }
  std::string key;
  if (const std::string* k = req.header("x-hashgate-site-key")) key = *k;
  if (key.empty()) key = site_key_of(query_of(req.target));
  authenticate_site_key(key, a);
  return a;
}

void Gateway::authenticate_api_key(std::string_view authorization, Auth& a) const {
  // RFC 9110 §11.1: the scheme is case-insensitive ("BEARER" is "Bearer"); a space follows.
  std::string_view v = authorization;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  bool bearer = v.size() >= 8 && v[6] == ' ';
  for (std::size_t i = 0; bearer && i < 6; ++i) bearer = lower(v[i]) == "bearer"[i];
  if (!bearer) {
    a.status = 401;
    a.reason = "invalid_authorization";
    return;
  }
  std::string token(v.substr(7));
  while (!token.empty() && token.front() == ' ') token.erase(0, 1);
  std::array<std::uint8_t, 32> h{};
  hashgate::sha256(token, h);
  hashgate::secure_clear(token);
  // Compare against every tenant in constant time per comparison, without early exit.
  const config::Tenant* found = nullptr;
  for (const auto& t : m_cfg.tenants)
    if (t.api_key_sha256 && CRYPTO_memcmp(t.api_key_sha256->data(), h.data(), h.size()) == 0)
      found = &t;
  if (!found) {
    a.status = 401;
    a.reason = "invalid_api_key";
    return;
  }
  a.kind = Auth::Kind::api;
  a.tenant = found;
}

void Gateway::authenticate_site_key(const std::string& key, Auth& a) const {
  if (key.empty()) {
    a.status = 401;
    a.reason = "missing_key";
    return;
  }
  auto it = m_site_keys.find(key);
  if (it == m_site_keys.end()) {
    a.status = 401;
    a.reason = "unknown_site_key";
    return;
  }
  const config::Tenant& t = m_cfg.tenants[it->second];
  bool ok = false;
  for (const auto& sk : t.site_keys)
    if (sk.key == key && origin_matches(sk, a.origin)) ok = true;
  if (!ok) {
    a.status = 403;
    a.reason = a.origin.empty() ? "origin_required" : "origin_not_allowed";
    return;
  }
  a.kind = Auth::Kind::site;
  a.tenant = &t;
}

}  // namespace hashgate::gw::api
