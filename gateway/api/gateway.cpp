// Routes, validation and policy wiring of the gateway. No sockets here: see http/server.cpp.
#include "gateway/api/gateway.hpp"

#include "gateway/api/json_doc.hpp"
#include "gateway/api/security_headers.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>

#include <hashgate/hashgate.hpp>
#include "gateway/config/config.hpp"
#include "gateway/policy/optout.hpp"
#include "gateway/policy/pii_guard.hpp"
#ifdef HASHGATE_HAVE_CONSENT
#include "gateway/policy/consent.hpp"
#endif

namespace hashgate::gw::api {

using nlohmann::json;
using policy::DropReason;

namespace {

constexpr std::int64_t k_max_future_s = 5 * 60;
constexpr std::int64_t k_max_age_s = 7 * 24 * 3600;
constexpr std::size_t k_max_custom_depth = 8;
constexpr std::size_t k_max_optout_ids = 1000;
constexpr const char* k_allowed_headers = "Content-Type, X-Hashgate-Site-Key";

const std::set<std::string>& event_types() {
  static const std::set<std::string> s{"purchase", "login",       "lead",   "page_view",
                                       "custom",   "add_to_cart", "sign_up"};
  return s;
}

/// Digest size in bytes for each accepted ids key.
std::size_t id_digest_bytes(const std::string& key) {
  static const std::map<std::string, std::size_t> m{
      {"em", 32}, {"ph", 32},      {"external_id", 32}, {"fn", 32},      {"ln", 32},
      {"ct", 32}, {"st", 32},      {"zp", 32},          {"country", 32}, {"db", 32},
      {"ge", 32}, {"em_sha1", 20}, {"em_md5", 16},      {"ph_sha1", 20}};
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

std::string path_key(const std::string& k) {
  if (k.empty() || k.size() > 64) return "<key>";
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return "<key>";
  if (policy::find_pii(k) != policy::PiiKind::none) return "<key>";
  return k;
}

/// One step of the walk from the root of find_raw_pii to the value being looked at: a key of an
/// object (`key` set) or an index of an array. The JSON pointer is only built when something is
/// found, so a clean body costs no path strings.
struct PiiFrame {
  const PiiFrame* up;
  std::string_view key;
  std::size_t index;
  bool is_key = false;
};

std::string pii_pointer(const std::string& root, const PiiFrame* f) {
  if (!f) return root;
  return pii_pointer(root, f->up) + "/" +
         (f->is_key ? path_key(std::string(f->key)) : std::to_string(f->index));
}

/// One request's PII scan: the tenant's guard, the request's budget of libphonenumber calls,
/// and whether the tenant's allow paths apply (they do below an event, nowhere else).
struct PiiScan {
  const policy::PiiGuard& guard;
  policy::PiiBudget budget{};
  bool event = false;
};

/// True when the value reached through `f` lies on one of the tenant's allow paths.
bool on_allow_path(const PiiScan& scan, const PiiFrame* f) {
  if (!scan.event || !scan.guard.has_allow_paths()) return false;
  std::array<policy::PathStep, 16> steps;
  std::size_t n = 0;
  for (; f; f = f->up) {
    if (n == steps.size()) return false;
    steps[n++] = policy::PathStep{f->key, f->index, f->is_key};
  }
  std::reverse(steps.begin(), steps.begin() + static_cast<std::ptrdiff_t>(n));
  return scan.guard.allowed({steps.data(), n});
}

bool find_raw_pii_at(JsonDoc::Value v, const std::string& root, const PiiFrame* f,
                     std::string& path, bool ids_object, PiiScan& scan) {
  switch (v.kind()) {
    case JsonDoc::Kind::string: {
      const std::string_view s = v.str();
      if (ids_object &&
          (policy::is_digest(s, 32) || policy::is_digest(s, 20) || policy::is_digest(s, 16)))
        return false;
      if (scan.guard.find(s, scan.budget, !on_allow_path(scan, f)) != policy::PiiKind::none) {
        path = pii_pointer(root, f);
        return true;
      }
      return false;
    }
    case JsonDoc::Kind::integer:
    case JsonDoc::Kind::unsigned_integer: {
      char buf[24];
      const auto conv = v.is_unsigned() ? std::to_chars(buf, buf + sizeof buf, v.as_uint64())
                                        : std::to_chars(buf, buf + sizeof buf, v.as_int64());
      const std::string_view d(buf, static_cast<std::size_t>(conv.ptr - buf));
      if (d.size() >= 10 && !on_allow_path(scan, f) &&
          scan.guard.find_in_integer(d, scan.budget) != policy::PiiKind::none) {
        path = pii_pointer(root, f);
        return true;
      }
      return false;
    }
    case JsonDoc::Kind::array: {
      bool found = false;
      v.elements([&](std::size_t i, JsonDoc::Value x) {
        if (found) return;
        const PiiFrame child{f, {}, i};
        found = find_raw_pii_at(x, root, &child, path, false, scan);
      });
      return found;
    }
    case JsonDoc::Kind::object: {
      // The values of an object reached by the key "ids" are digests: those are not scanned.
      const bool ids = f && f->is_key && f->key == "ids";
      return !v.members([&](std::string_view k, JsonDoc::Value x) {
        if (scan.guard.find(k, scan.budget) != policy::PiiKind::none) {
          path = pii_pointer(root, f) + "/<key>";
          return false;
        }
        const PiiFrame child{f, k, 0, true};
        return !find_raw_pii_at(x, root, &child, path, ids, scan);
      });
    }
    default:
      return false;
  }
}

/// Finds the first raw e-mail/phone in any string, key or long integer of `v`; sets `path` to
/// its JSON pointer (`at` is the pointer of `v`; keys that are not plain names read "<key>").
/// Values of an "ids" object that are valid digests are not scanned.
bool find_raw_pii(JsonDoc::Value v, const std::string& at, std::string& path, PiiScan& scan) {
  return find_raw_pii_at(v, at, nullptr, path, false, scan);
}

/// Nesting depth of JSON text without parsing it (strings skipped); guards the recursive parser.
std::size_t text_depth(std::string_view s) {
  std::size_t depth = 0, max_depth = 0;
  bool in_str = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_str = false;
      continue;
    }
    if (c == '"')
      in_str = true;
    else if (c == '{' || c == '[')
      max_depth = std::max(max_depth, ++depth);
    else if ((c == '}' || c == ']') && depth > 0)
      --depth;
  }
  return max_depth;
}

std::string_view path_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::map<std::string, std::string> query_of(std::string_view target) {
  std::map<std::string, std::string> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view qs = target.substr(q + 1);
  while (!qs.empty()) {
    auto amp = qs.find('&');
    std::string_view kv = qs.substr(0, amp);
    auto eq = kv.find('=');
    std::string k = policy::percent_decode(kv.substr(0, eq), true);
    std::string v =
        eq == std::string_view::npos ? "" : policy::percent_decode(kv.substr(eq + 1), true);
    out.emplace(std::move(k), std::move(v));
    if (amp == std::string_view::npos) break;
    qs = qs.substr(amp + 1);
  }
  return out;
}

std::map<std::string, std::string> cookies_of(const Request& req) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : req.headers) {
    if (name != "cookie") continue;
    std::string_view s = value;
    while (!s.empty()) {
      auto semi = s.find(';');
      std::string_view kv = s.substr(0, semi);
      while (!kv.empty() && kv.front() == ' ') kv.remove_prefix(1);
      auto eq = kv.find('=');
      if (eq != std::string_view::npos)
        out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
      if (semi == std::string_view::npos) break;
      s = s.substr(semi + 1);
    }
  }
  return out;
}

bool valid_uid(const std::string& u) {
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

bool parse_int(const std::string& s, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return false;
  out = v;
  return true;
}

bool header_is(const Request& req, std::string_view name, std::string_view value) {
  const std::string* h = req.header(name);
  if (!h) return false;
  std::string_view v = *h;
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v == value;
}

bool content_type_ok(const Request& req) {
  const std::string* ct = req.header("content-type");
  if (!ct) return false;
  std::string v = ct->substr(0, ct->find(';'));
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v == "application/json" || v == "text/plain";
}

bool wants_json(const Request& req) {
  const std::string* a = req.header("accept");
  if (!a) return false;
  auto j = a->find("application/json");
  auto h = a->find("text/html");
  return j != std::string::npos && (h == std::string::npos || j < h);
}

Response json_response(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = body.dump();
  r.add("Content-Type", "application/json");
  return r;
}

/// The 202/422 answer of POST /v1/events, {"accepted":n,"dropped":{reason:n},"rejected":[...]},
/// written directly (it is built for every request, often on the writer's completion path).
/// Byte-identical to nlohmann's dump of the same object: keys in order, zero counts left out.
std::string events_answer(std::size_t accepted, const std::map<std::string, std::uint64_t>& dropped,
                          const json& rejected) {
  std::string out = "{\"accepted\":" + std::to_string(accepted) + ",\"dropped\":{";
  bool first = true;
  for (const auto& [k, v] : dropped) {
    if (v == 0) continue;
    if (!first) out += ',';
    first = false;
    out += json(k).dump();  // reason names are fixed ASCII words; dump() keeps it exact anyway
    out += ':' + std::to_string(v);
  }
  out += "},\"rejected\":";
  out += rejected.empty() ? "[]" : rejected.dump();
  out += '}';
  return out;
}

/// One id entry (canonical) or the rejection code and path.
struct IdsResult {
  std::vector<std::pair<std::string, std::string>> ids;
  std::string code, path;
};

IdsResult parse_ids(JsonDoc::Value ids, const std::string& at) {
  IdsResult r;
  if (!ids.is_object()) {
    r.code = "invalid_ids";
    r.path = at;
    return r;
  }
  ids.members([&](std::string_view key, JsonDoc::Value v) {
    const std::string k(key);
    std::size_t bytes = id_digest_bytes(k);
    if (!bytes) {
      r.code = "unknown_field";
      r.path = at + "/" + path_key(k);
      return false;
    }
    if (!v.is_string()) {
      r.code = "invalid_hash";
      r.path = at + "/" + k;
      return false;
    }
    auto canon = policy::canonical_digest(v.str(), bytes);
    if (!canon) {
      r.code = "invalid_hash";
      r.path = at + "/" + k;
      return false;
    }
    r.ids.emplace_back(k, std::move(*canon));
    return true;
  });
  return r;
}

/// Reads "ids" given as one id set or an array of them (at most `limit` sets) into `out`.
/// Returns the first invalid set's result; `indexed` names array members "/ids/<i>" in paths.
std::optional<IdsResult> read_id_sets(JsonDoc::Value sets, bool indexed, std::size_t limit,
                                      std::vector<std::string>& out) {
  std::optional<IdsResult> bad;
  auto take = [&](std::size_t i, JsonDoc::Value set) {
    if (bad || i >= limit) return;
    auto r = parse_ids(set, indexed ? "/ids/" + std::to_string(i) : "/ids");
    if (!r.code.empty()) return bad.emplace(std::move(r)), void();
    for (auto& [k, v] : r.ids) out.push_back(v);
  };
  if (sets.is_array())
    sets.elements(take);
  else
    take(0, sets);
  return bad;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

const std::string* Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Gateway::Auth {
  enum class Kind { none, site, api } kind = Kind::none;
  const config::Tenant* tenant = nullptr;
  int status = 0;      ///< 401/403 when the credentials were present but bad
  std::string reason;  ///< rejection reason
  std::string origin;  ///< Origin header, if any
};

Gateway::Gateway(config::Config cfg, Store& store, Metrics& metrics, Clock now)
    : m_cfg(std::move(cfg)),
      m_store(store),
      m_metrics(metrics),
      m_now(std::move(now)),
      m_sdk(m_cfg.sdk_root),
      m_demo(m_cfg.demo_root) {
  m_port = m_cfg.port;
  for (std::size_t i = 0; i < m_cfg.tenants.size(); ++i) {
    for (const auto& sk : m_cfg.tenants[i].site_keys) m_site_keys[sk.key] = i;
    std::vector<unsigned char> h;
    const auto& hex = m_cfg.tenants[i].api_key_sha256;
    for (std::size_t j = 0; j + 1 < hex.size(); j += 2)
      h.push_back(static_cast<unsigned char>(std::stoi(hex.substr(j, 2), nullptr, 16)));
    m_api_hashes.push_back(std::move(h));
    const auto& pii = m_cfg.tenants[i].pii;
    m_pii.emplace_back(pii.phone_regions ? std::span<const Region>(*pii.phone_regions)
                                         : policy::default_phone_regions(),
                       pii.allow_paths);
  }
}

void Gateway::set_port(int port) { m_port = port; }

std::vector<std::string> Gateway::self_origins() const {
  std::vector<std::string> out;
  int port = m_port;
  std::string scheme = m_cfg.tls() ? "https" : "http";
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  for (const char* host : {"127.0.0.1", "localhost", "[::1]"}) {
    out.push_back(scheme + "://" + host + ":" + std::to_string(port));
    if (default_port) out.push_back(scheme + "://" + host);
  }
  for (const auto& o : m_cfg.public_origins) out.push_back(o);
  return out;
}

bool Gateway::origin_allowed(const config::Tenant& t, const std::string& origin) const {
  if (origin.empty()) return false;
  for (const auto& sk : t.site_keys)
    for (const auto& o : sk.allowed_origins) {
      if (o == "self") {
        for (const auto& s : self_origins())
          if (s == origin) return true;
      } else if (o == origin) {
        return true;
      }
    }
  return false;
}

const config::Tenant* Gateway::tenant_for_origin(const std::string& origin) const {
  for (const auto& t : m_cfg.tenants)
    if (origin_allowed(t, origin)) return &t;
  return nullptr;
}

namespace {

/// True when an Authorization value starts with the Bearer scheme and a space: the scheme is
/// case-insensitive (RFC 9110 §11.1), so "BEARER x" and "bearer x" count too.
bool bearer_scheme(std::string_view v) {
  if (v.size() < 8 || v[6] != ' ') return false;
  for (std::size_t i = 0; i < 6; ++i) {
    const char c = v[i] >= 'A' && v[i] <= 'Z' ? static_cast<char>(v[i] - 'A' + 'a') : v[i];
    if (c != "bearer"[i]) return false;
  }
  return true;
}

}  // namespace

Gateway::Auth Gateway::authenticate(const Request& req) const {
  Auth a;
  if (const std::string* o = req.header("origin")) a.origin = *o;
  if (const std::string* authz = req.header("authorization")) {
    const std::string_view v = *authz;
    if (!bearer_scheme(v)) {
      a.status = 401;
      a.reason = "invalid_authorization";
      return a;
    }
    std::string token(v.substr(7));
    while (!token.empty() && token.front() == ' ') token.erase(0, 1);
    std::array<std::uint8_t, 32> h{};
    hashgate::sha256(token, h);
    policy::secure_clear(token);
    // Compare against every tenant in constant time per comparison, without early exit.
    std::size_t found = m_api_hashes.size();
    for (std::size_t i = 0; i < m_api_hashes.size(); ++i) {
      if (m_api_hashes[i].size() == h.size() &&
          CRYPTO_memcmp(m_api_hashes[i].data(), h.data(), h.size()) == 0)
        found = i;
    }
    if (found == m_api_hashes.size()) {
      a.status = 401;
      a.reason = "invalid_api_key";
      return a;
    }
    a.kind = Auth::Kind::api;
    a.tenant = &m_cfg.tenants[found];
    return a;
  }
  std::string key;
  if (const std::string* k = req.header("x-hashgate-site-key")) key = *k;
  if (key.empty()) {
    auto q = query_of(req.target);
    if (auto it = q.find("site_key"); it != q.end())
      key = it->second;
    else if (auto it2 = q.find("key"); it2 != q.end())
      key = it2->second;
  }
  if (key.empty()) {
    a.status = 401;
    a.reason = "missing_key";
    return a;
  }
  auto it = m_site_keys.find(key);
  if (it == m_site_keys.end()) {
    a.status = 401;
    a.reason = "unknown_site_key";
    return a;
  }
  const auto& t = m_cfg.tenants[it->second];
  bool ok = false;
  for (const auto& sk : t.site_keys) {
    if (sk.key != key) continue;
    for (const auto& o : sk.allowed_origins) {
      if (a.origin.empty()) break;
      if (o == "self") {
        for (const auto& s : self_origins())
          if (s == a.origin) ok = true;
      } else if (o == a.origin) {
        ok = true;
      }
    }
  }
  if (!ok) {
    a.status = 403;
    a.reason = a.origin.empty() ? "origin_required" : "origin_not_allowed";
    return a;
  }
  a.kind = Auth::Kind::site;
  a.tenant = &t;
  return a;
}

void Gateway::add_cors(const Request& req, Response& res, const config::Tenant* t) const {
  const std::string* o = req.header("origin");
  if (!o) return;
  bool ok = t ? origin_allowed(*t, *o) : tenant_for_origin(*o) != nullptr;
  res.add("Vary", "Origin");
  if (!ok) return;
  res.add("Access-Control-Allow-Origin", *o);
  res.add("Access-Control-Allow-Credentials", "true");
}

bool Gateway::secure_cookies(const Request& req) const {
  if (m_cfg.cookies.secure == "always") return true;
  if (m_cfg.cookies.secure == "never") return false;
  if (req.tls || m_cfg.tls()) return true;
  const std::string* host = req.header("host");
  if (!host) return true;
  std::string h = *host;
  if (h.rfind("[::1]", 0) == 0) return false;
  h = h.substr(0, h.find(':'));
  return !(h == "localhost" || h == "127.0.0.1");
}

std::string Gateway::cookie(const std::string& name, const std::string& value, std::int64_t max_age,
                            bool http_only, const Request& req) const {
  std::string c = name + "=" + value + "; Max-Age=" + std::to_string(max_age) +
                  "; Path=/; SameSite=" + m_cfg.cookies.same_site;
  if (secure_cookies(req)) c += "; Secure";
  if (http_only) c += "; HttpOnly";
  return c;
}

Response Gateway::error(int status, std::string_view reason, std::string_view message) const {
  m_metrics.add_rejected(std::string(reason));
  Response r = json_response(status, json{{"error", reason}, {"message", message}});
  if (status == 503 || status == 429) r.add("Retry-After", "1");
  if (status == 401) r.add("WWW-Authenticate", "Bearer realm=\"hashgate\"");
  return r;
}

void Gateway::handle(Request req, Done done) {
  bool tls = req.tls || m_cfg.tls();
  Done wrapped = [this, tls, done = std::move(done)](Response r) {
    add_security_headers(r, tls);
    m_metrics.add_request(r.status);
    done(std::move(r));
  };
  route(req, wrapped);
  policy::secure_clear(req.body);
}

void Gateway::route(Request& req, Done& done) {
  std::string path(path_of(req.target));
  const std::string& m = req.method;
  auto method_not_allowed = [&](const char* allow, const char* route) {
    Response r = error(405, "method_not_allowed", "method not allowed on this route");
    r.add("Allow", allow);
    r.route = route;
    done(std::move(r));
  };
  if (m == "OPTIONS" && path.rfind("/v1/", 0) == 0) {
    Response r = preflight(req);
    r.route = "preflight";
    return done(std::move(r));
  }
  if (path == "/healthz") {
    Response r;
    r.body = "ok\n";
    r.add("Content-Type", "text/plain; charset=utf-8");
    r.route = "healthz";
    return m == "GET" ? done(std::move(r)) : method_not_allowed("GET", "healthz");
  }
  if (path == "/readyz") {
    if (m != "GET") return method_not_allowed("GET", "readyz");
    bool ok = m_store.ready() && !m_draining;
    Response r;
    r.status = ok ? 200 : 503;
    r.body = ok ? "ready\n" : "not ready\n";
    r.add("Content-Type", "text/plain; charset=utf-8");
    if (!ok) r.add("Retry-After", "1");
    r.route = "readyz";
    return done(std::move(r));
  }
  if (path == "/metrics") {
    if (m != "GET") return method_not_allowed("GET", "metrics");
    Response r;
    r.body = m_metrics.render(m_store.queue_depth(), m_store.ready());
    r.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.route = "metrics";
    return done(std::move(r));
  }
  // Runs `handler` with the request's credentials, or answers 401 (no or bad key) / 403 (with
  // `forbidden` as the message) under `route`.
  static constexpr const char* k_key_required = "a valid site key or API key is required";
  auto with_auth = [&](const char* route, const char* forbidden, auto&& handler) {
    Auth a = authenticate(req);
    if (!a.status) return handler(a);
    Response r = error(a.status, a.reason, a.status == 401 ? k_key_required : forbidden);
    r.route = route;
    done(std::move(r));
  };
  if (path == "/v1/events") {
    if (m != "POST") return method_not_allowed("POST, OPTIONS", "events");
    return with_auth("events", "this origin may not use this site key",
                     [&](const Auth& a) { post_events(req, done, a); });
  }
  if (path == "/v1/optout") {
    if (m == "GET") return get_optout(req, done);
    if (m != "POST") return method_not_allowed("GET, POST, OPTIONS", "optout");
    return with_auth("optout", k_key_required, [&](const Auth& a) { post_optout(req, done, a); });
  }
  if (path == "/v1/optin") {
    if (m != "POST") return method_not_allowed("POST, OPTIONS", "optin");
    return with_auth("optin", k_key_required, [&](const Auth& a) { post_optin(req, done, a); });
  }
  if (path == "/v1/optout/status") {
    if (m != "GET") return method_not_allowed("GET, OPTIONS", "optout_status");
    Auth a = authenticate(req);
    Response r = optout_status(req, a);
    r.route = "optout_status";
    return done(std::move(r));
  }
  if (path == "/v1/events/export" || path == "/v1/audit") {
    const char* route = path == "/v1/audit" ? "audit" : "export";
    if (m != "GET") return method_not_allowed("GET", route);
    Auth a = authenticate(req);
    Response r;
    if (a.status == 0 && a.kind != Auth::Kind::api) a.status = 403, a.reason = "api_key_required";
    if (!req.header("authorization") && a.status) a.status = 401, a.reason = "api_key_required";
    if (a.status)
      r = error(a.status, a.reason,
                "this route needs the tenant's API key (Authorization: Bearer)");
    else
      r = path == "/v1/audit" ? audit(req, a) : export_events(req, a);
    r.route = route;
    return done(std::move(r));
  }
  if (path.rfind("/v1/", 0) == 0) {
    Response r = error(404, "not_found", "no such route");
    r.route = "other";
    return done(std::move(r));
  }
  if (m != "GET") return method_not_allowed("GET", "static");
  Response r = serve_static(req, path);
  r.route = "static";
  return done(std::move(r));
}

namespace {

/// The request's valid hg_uid cookie value, or empty.
std::string uid_cookie(const Request& req) {
  auto cookies = cookies_of(req);
  if (auto it = cookies.find("hg_uid"); it != cookies.end() && valid_uid(it->second))
    return it->second;
  return {};
}

/// What an asynchronous answer needs of the request for CORS and cookies (origin, host, TLS),
/// without its body: the store's callback may outlive the request.
Request cors_view(const Request& req) {
  Request meta;
  meta.tls = req.tls;
  for (const auto& h : req.headers)
    if (h.first == "origin" || h.first == "host") meta.headers.push_back(h);
  return meta;
}

}  // namespace

// ---- events ---------------------------------------------------------------------------------

namespace {

/// Zeroes a request body when the handler that read it returns (JsonDoc values are views of it).
struct BodyWiper {
  std::string& body;
  ~BodyWiper() { policy::secure_clear(body); }
};

}  // namespace

std::optional<Response> Gateway::read_json_body(const Request& req, JsonDoc& doc) const {
  // A parsed body is well-formed UTF-8 and nests at most json_depth deep (JsonDoc checks both),
  // so the two whole-body scans below run only to name why a body failed, in a fixed order
  // that does not depend on where the parser stopped.
  if (doc.parse(req.body, m_cfg.json_depth)) return std::nullopt;
  if (!hashgate::valid_utf8(req.body))
    return error(400, "invalid_utf8", "the body is not well-formed UTF-8");
  if (text_depth(req.body) > m_cfg.json_depth)
    return error(400, "too_deep", "the JSON nesting is too deep");
  return error(400, "bad_json", "the body is not valid JSON");
}

void Gateway::post_events(Request& req, Done done, const Auth& auth) {
  const config::Tenant& tenant = *auth.tenant;
  auto finish = [this, &req, &tenant](Response r) {
    r.route = "events";
    add_cors(req, r, &tenant);
    return r;
  };
  if (!content_type_ok(req))
    return done(finish(error(415, "unsupported_media_type",
                             "Content-Type must be application/json or text/plain")));
  // The document's strings are views of the body, zeroed when this handler returns (the
  // document zeroes its own copies).
  const BodyWiper wipe_body{req.body};
  JsonDoc doc;
  if (auto bad = read_json_body(req, doc)) return done(finish(std::move(*bad)));
  const JsonDoc::Value body = doc.root();
  if (!body.is_object())
    return done(finish(error(400, "bad_request", "the body must be a JSON object")));
  std::optional<Response> top_error;
  body.members([&](std::string_view key, JsonDoc::Value) {
    const std::string k(key);
    if (policy::find_pii(k) != policy::PiiKind::none) {
      Response r = error(422, "raw_pii", "a raw e-mail address or phone number was found");
      r.body = json{{"error", "raw_pii"},
                    {"message", "a raw e-mail address or phone number was found"},
                    {"path", "/<key>"}}
                   .dump();
      top_error = std::move(r);
      return false;
    }
    if (k != "events") {  // a site key goes in the header or the query, never the body
      Response r = error(400, "unknown_field", "unknown top-level field");
      r.body = json{{"error", "unknown_field"},
                    {"message", "unknown top-level field"},
                    {"path", "/" + path_key(k)}}
                   .dump();
      top_error = std::move(r);
      return false;
    }
    return true;
  });
  if (top_error) return done(finish(std::move(*top_error)));
  const JsonDoc::Value events = body.find("events");
  if (!events.valid() || !events.is_array()) {
    Response r = error(400, "missing_events", "the body needs an \"events\" array");
    r.body = json{{"error", "missing_events"},
                  {"message", "the body needs an \"events\" array"},
                  {"path", "/events"}}
                 .dump();
    return done(finish(std::move(r)));
  }
  if (events.size() > m_cfg.max_events)
    return done(
        finish(error(413, "too_many_events",
                     "a batch holds at most " + std::to_string(m_cfg.max_events) + " events")));

  // Request-level opt-outs: acknowledged and dropped before anything is looked at or stored.
  auto cookies = cookies_of(req);
  policy::OptOutSignals sig;
  sig.optout_cookie = cookies.count("hg_optout") && cookies["hg_optout"] == "1";
  sig.gpc = header_is(req, "sec-gpc", "1");
  DropReason req_drop = policy::request_drop_reason(sig, tenant.gpc);
  if (req_drop != DropReason::none) {
    std::string reason(policy::drop_reason_name(req_drop));
    m_metrics.add_dropped(reason, events.size());
    json d = json::object();
    if (events.size() != 0) d[reason] = events.size();
    Response r =
        json_response(202, json{{"accepted", 0}, {"dropped", d}, {"rejected", json::array()}});
    if (sig.optout_cookie && cookies.count("hg_uid"))
      r.add("Set-Cookie", cookie("hg_uid", "", 0, true, req));
    return done(finish(std::move(r)));
  }

  std::string uid;
  bool new_uid_cookie = false;
  if (auth.kind == Auth::Kind::site && tenant.set_uid_cookie) {
    if (auto it = cookies.find("hg_uid"); it != cookies.end() && valid_uid(it->second)) {
      uid = it->second;
    } else {
      uid = new_uid();
      new_uid_cookie = !uid.empty();
    }
  }
  auto q = query_of(req.target);
  const std::int64_t now = m_now();

  json rejected = json::array();
  std::map<std::string, std::uint64_t> dropped;
  std::vector<EventRecord> records;
  std::vector<std::size_t> record_index;
  auto reject = [&](std::size_t i, const std::string& code, const std::string& path) {
    rejected.push_back(json{{"index", i}, {"code", code}, {"path", path}});
    m_metrics.add_event_rejected(code);
  };
  // Consent from the query string (beacons): the default of every event of the request.
  const auto gdpr_it = q.find("gdpr");
  const bool query_gdpr = gdpr_it != q.end() && gdpr_it->second == "1";
  const auto tc_it = q.find("gdpr_consent");
  const std::string query_tc = tc_it != q.end() ? tc_it->second : std::string();
  PiiScan scan{pii_guard(tenant), {}, true};
  events.elements([&](std::size_t i, JsonDoc::Value ev) {
    std::string at = "/events/" + std::to_string(i);
    std::string pii_path;
    if (find_raw_pii(ev, at, pii_path, scan)) return reject(i, "raw_pii", pii_path);
    if (!ev.is_object()) return reject(i, "invalid_event", at);
    std::string bad_key;
    ev.members([&](std::string_view k, JsonDoc::Value) {
      if (k != "event_id" && k != "type" && k != "time" && k != "ids" && k != "online_ids" &&
          k != "consent" && k != "custom") {
        bad_key = k;
        return false;
      }
      return true;
    });
    if (!bad_key.empty()) return reject(i, "unknown_field", at + "/" + path_key(bad_key));
    EventRecord rec;
    rec.tenant = tenant.id;
    rec.received = now;
    rec.uid = uid;
    // event_id
    const JsonDoc::Value event_id = ev.find("event_id");
    if (!event_id.valid() || !event_id.is_string())
      return reject(i, "missing_field", at + "/event_id");
    rec.event_id = event_id.str();
    bool id_ok = !rec.event_id.empty() && rec.event_id.size() <= 128;
    for (char c : rec.event_id)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
            c == '-'))
        id_ok = false;
    if (!id_ok) return reject(i, "invalid_event_id", at + "/event_id");
    // type
    const JsonDoc::Value type = ev.find("type");
    if (!type.valid() || !type.is_string()) return reject(i, "missing_field", at + "/type");
    rec.type = type.str();
    if (!event_types().count(rec.type)) return reject(i, "invalid_type", at + "/type");
    // time
    if (const JsonDoc::Value t = ev.find("time"); t.valid()) {
      if (!t.is_integer()) return reject(i, "invalid_time", at + "/time");
      if (t.is_unsigned() && t.as_uint64() > static_cast<std::uint64_t>(INT64_MAX))
        return reject(i, "invalid_time", at + "/time");
      rec.time = t.as_int64();
      if (rec.time > now + k_max_future_s || rec.time < now - k_max_age_s)
        return reject(i, "invalid_time", at + "/time");
    } else {
      rec.time = now;
    }
    // ids
    if (const JsonDoc::Value ids = ev.find("ids"); ids.valid()) {
      auto r = parse_ids(ids, at + "/ids");
      if (!r.code.empty()) return reject(i, r.code, r.path);
      rec.ids = std::move(r.ids);
    }
    // online_ids
    std::string bad_online;
    if (const JsonDoc::Value o = ev.find("online_ids"); o.valid()) {
      if (!o.is_object() || o.size() > 16) {
        bad_online = at + "/online_ids";
      } else {
        o.members([&](std::string_view key, JsonDoc::Value v) {
          const std::string k(key);
          bool key_ok = !k.empty() && k.size() <= 32;
          for (char c : k)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) key_ok = false;
          if (!key_ok) {
            bad_online = at + "/online_ids/" + path_key(k);
            return false;
          }
          if (!v.is_string() || !policy::valid_online_id(v.str())) {
            bad_online = at + "/online_ids/" + k;
            return false;
          }
          return true;
        });
        if (bad_online.empty()) o.dump(rec.online_ids_json);
      }
    }
    if (!bad_online.empty()) return reject(i, "invalid_online_id", bad_online);
    if (rec.ids.empty() && rec.online_ids_json.size() <= 2)
      return reject(i, "missing_field", at + "/ids");
    // custom
    if (const JsonDoc::Value c = ev.find("custom"); c.valid()) {
      if (!c.is_object()) return reject(i, "invalid_custom", at + "/custom");
      if (c.depth() > k_max_custom_depth) return reject(i, "too_deep", at + "/custom");
      c.dump(rec.custom_json);
    }
    // consent
    int gdpr = query_gdpr ? 1 : 0;
    std::string tc = query_tc;
    if (const JsonDoc::Value c = ev.find("consent"); c.valid()) {
      std::string bad;
      if (!c.is_object())
        bad = at + "/consent";
      else
        c.members([&](std::string_view key, JsonDoc::Value v) {
          const std::string k(key);
          if (k == "gdpr") {
            if (v.is_boolean())
              gdpr = v.boolean() ? 1 : 0;
            else if (v.is_integer() &&
                     (static_cast<int>(v.as_int64()) == 0 || static_cast<int>(v.as_int64()) == 1))
              gdpr = static_cast<int>(v.as_int64());  // nlohmann's get<int>(): a static_cast
            else
              bad = at + "/consent/gdpr";
          } else if (k == "tcf") {
            if (v.is_string() && v.str().size() <= 65536)
              tc = v.str();
            else
              bad = at + "/consent/tcf";
          } else if (k == "legal_basis") {
            if (!v.is_string() || (v.str() != "consent" && v.str() != "legitimate_interest"))
              bad = at + "/consent/legal_basis";
          } else {
            bad = at + "/consent/" + path_key(k);
          }
          return bad.empty();
        });
      if (!bad.empty()) return reject(i, "invalid_consent", bad);
    }
    rec.legal_basis = tenant.legal_basis;
    if (gdpr == 1) {
#ifdef HASHGATE_HAVE_CONSENT
      TcfPolicy pol;
      pol.vendor_id = tenant.tcf.vendor_id;
      pol.required_purposes = tenant.tcf.required_purposes;
      pol.require_vendor_consent = tenant.tcf.require_vendor_consent;
      pol.strict_policy_version = tenant.tcf.strict_policy_version;
      LegalBasis basis = tenant.legal_basis == "legitimate_interest"
                             ? LegalBasis::legitimate_interest
                             : LegalBasis::consent;
      ConsentDecision d = decide_consent(basis, pol, tc, now);
      if (!d.allowed) {
        ++dropped["consent"];
        return;
      }
      rec.consent_summary =
          d.summary_json.empty() ? json{{"gdpr", 1}, {"reason", d.reason}}.dump() : d.summary_json;
#else
      ++dropped["consent"];  // fail closed: no TCF decoder in this build
      return;
#endif
    } else {
      rec.consent_summary = R"({"gdpr":0})";
    }
    if (policy::is_suppressed(m_store, tenant.id, rec.ids, rec.uid)) {
      ++dropped["suppressed"];
      return;
    }
    records.push_back(std::move(rec));
    record_index.push_back(i);
  });
  for (const auto& [k, v] : dropped) m_metrics.add_dropped(k, v);

  // The answer, from here or from the store's completion (then `rq` is the kept copy of `req`).
  auto answer = [this, &tenant, new_uid_cookie, uid](
                    const Request& rq, std::size_t accepted,
                    const std::map<std::string, std::uint64_t>& drop, const json& rej) {
    std::size_t dropped_total = 0;
    for (const auto& [k, v] : drop) dropped_total += v;
    int status = (accepted == 0 && dropped_total == 0 && !rej.empty()) ? 422 : 202;
    if (status == 422) m_metrics.add_rejected("validation");
    Response r;
    r.status = status;
    r.body = events_answer(accepted, drop, rej);
    r.add("Content-Type", "application/json");
    if (new_uid_cookie && accepted > 0)
      r.add("Set-Cookie",
            cookie("hg_uid", uid, std::int64_t{m_cfg.cookies.uid_max_age_days} * 86400, true, rq));
    r.route = "events";
    add_cors(rq, r, &tenant);
    return r;
  };

  if (records.empty()) return done(answer(req, 0, dropped, rejected));

  // The completion may run on the writer thread after this frame is gone: capture by value.
  Request meta;
  meta.method = req.method;
  meta.target = "/v1/events";
  meta.tls = req.tls;
  for (const auto& h : req.headers)
    if (h.first == "origin" || h.first == "host") meta.headers.push_back(h);
  auto shared_done = std::make_shared<Done>(std::move(done));
  auto ctx = std::make_shared<std::tuple<Request, std::map<std::string, std::uint64_t>, json>>(
      std::move(meta), std::move(dropped), std::move(rejected));
  auto complete = [this, ctx, shared_done, &tenant, answer](SubmitResult res) {
    auto& [rq, drop, rej] = *ctx;
    if (res.error) {
      Response r = error(503, "store_error", "the events could not be stored; retry later");
      r.route = "events";
      add_cors(rq, r, &tenant);
      return (*shared_done)(std::move(r));
    }
    std::size_t accepted = 0;
    std::uint64_t dup = 0, sup = 0;
    for (auto o : res.outcomes) {
      if (o == Outcome::accepted)
        ++accepted;
      else if (o == Outcome::duplicate)
        ++dup;
      else
        ++sup;
    }
    m_metrics.add_accepted(accepted);
    if (dup) {
      drop["duplicate"] += dup;
      m_metrics.add_dropped("duplicate", dup);
    }
    if (sup) {
      drop["suppressed"] += sup;
      m_metrics.add_dropped("suppressed", sup);
    }
    // Every stored event has an outcome, so accepted + dropped > 0: always 202 here.
    (*shared_done)(answer(rq, accepted, drop, rej));
  };
  bool queued;
  if (req.defer) {
    // The writer only hands the outcomes over; the answer is built on the connection's thread.
    queued =
        m_store.submit(std::move(records), [defer = req.defer, complete](SubmitResult res) mutable {
          defer([complete = std::move(complete), res = std::move(res)]() mutable {
            complete(std::move(res));
          });
        });
  } else {
    queued = m_store.submit(std::move(records), std::move(complete));
  }
  if (!queued) {
    Response r = error(503, "overload", "the store queue is full; retry later");
    r.route = "events";
    add_cors(req, r, &tenant);
    (*shared_done)(std::move(r));
  }
}

// ---- opt-out / opt-in -----------------------------------------------------------------------

namespace {

std::string optout_page(bool ok) {
  return std::string(
             "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             "<title>Opt-out</title></head><body>\n<h1>") +
         (ok ? "You are opted out" : "Opt-out recorded in this browser") +
         "</h1>\n<p>This browser now carries the opt-out cookie <code>hg_optout</code>. No event "
         "from it is stored, and data linked to its identifier has been suppressed and "
         "deleted.</p>\n"
         "</body></html>\n";
}

}  // namespace

void Gateway::get_optout(Request& req, Done done) {
  std::string uid = uid_cookie(req);
  // A site key narrows the suppression to one tenant; without it the browser's hg_uid is
  // suppressed for every tenant (the cookie is the gateway's, not a tenant's).
  std::vector<const config::Tenant*> tenants;
  auto q = query_of(req.target);
  std::string key = q.count("site_key") ? q["site_key"] : q.count("key") ? q["key"] : "";
  if (!key.empty()) {
    auto it = m_site_keys.find(key);
    if (it == m_site_keys.end()) {
      Response r = error(401, "unknown_site_key", "unknown site key");
      r.route = "optout";
      return done(std::move(r));
    }
    tenants.push_back(&m_cfg.tenants[it->second]);
  } else {
    for (const auto& t : m_cfg.tenants) tenants.push_back(&t);
  }
  Request meta;
  meta.tls = req.tls;
  for (const auto& h : req.headers)
    if (h.first == "origin" || h.first == "host" || h.first == "accept") meta.headers.push_back(h);
  auto respond = [this, meta](std::size_t ids, std::size_t purged, bool ok) {
    Response r;
    if (!ok) {
      r = error(503, "store_error", "the opt-out could not be recorded; retry later");
    } else if (wants_json(meta)) {
      r = json_response(
          200, json{{"opted_out", true}, {"ids_suppressed", ids}, {"events_purged", purged}});
    } else {
      r.body = optout_page(true);
      r.add("Content-Type", "text/html; charset=utf-8");
      r.add("Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    }
    r.add("Set-Cookie",
          cookie("hg_optout", "1", std::int64_t{m_cfg.cookies.optout_max_age_days} * 86400, false,
                 meta));
    r.add("Set-Cookie", cookie("hg_uid", "", 0, true, meta));
    r.route = "optout";
    add_cors(meta, r, nullptr);
    return r;
  };
  if (uid.empty()) return done(respond(0, 0, true));
  struct Join {
    std::mutex mu;
    std::size_t left, ids = 0, purged = 0;
    bool ok = true;
    Done done;
  };
  auto join = std::make_shared<Join>();
  join->left = tenants.size();
  join->done = std::move(done);
  for (const auto* t : tenants) {
    m_store.opt_out(t->id, {}, uid, "optout_link", [join, respond](OptOutResult r) {
      std::unique_lock lk(join->mu);
      if (r.error) join->ok = false;
      join->ids += r.ids_suppressed;
      join->purged += r.events_purged;
      if (--join->left) return;
      lk.unlock();
      join->done(respond(join->ids, join->purged, join->ok));
    });
  }
}

void Gateway::post_optout(Request& req, Done done, const Auth& auth) {
  const config::Tenant& tenant = *auth.tenant;
  auto finish = [this, &req, &tenant](Response r) {
    r.route = "optout";
    add_cors(req, r, &tenant);
    return r;
  };
  std::vector<std::string> ids;
  if (!req.body.empty()) {
    if (!content_type_ok(req))
      return done(
          finish(error(415, "unsupported_media_type", "Content-Type must be application/json")));
    const BodyWiper wipe_body{req.body};
    JsonDoc doc;
    if (auto bad = read_json_body(req, doc)) return done(finish(std::move(*bad)));
    const JsonDoc::Value body = doc.root();
    std::string pii_path, root;
    PiiScan scan{pii_guard(tenant)};
    if (find_raw_pii(body, root, pii_path, scan)) {
      Response r = error(422, "raw_pii", "a raw e-mail address or phone number was found");
      r.body = json{{"error", "raw_pii"},
                    {"message", "a raw e-mail address or phone number was found"},
                    {"path", pii_path}}
                   .dump();
      return done(finish(std::move(r)));
    }
    const JsonDoc::Value id_sets = body.is_object() ? body.find("ids") : JsonDoc::Value{};
    if (!id_sets.valid())
      return done(
          finish(error(400, "missing_ids",
                       "the body needs \"ids\": {\"em\": \"<sha256>\", ...} or an array of them")));
    if (id_sets.is_array() && id_sets.size() > k_max_optout_ids)
      return done(finish(error(413, "too_many_ids", "at most 1000 id sets per request")));
    if (auto bad = read_id_sets(id_sets, true, k_max_optout_ids, ids)) {
      Response e = error(422, bad->code, "invalid identifier");
      e.body = json{{"error", bad->code},
                    {"message", "ids accept only sha256/sha1/md5 digests"},
                    {"path", bad->path}}
                   .dump();
      return done(finish(std::move(e)));
    }
  }
  std::string uid;
  bool browser = auth.kind == Auth::Kind::site;
  if (browser) uid = uid_cookie(req);
  const Request meta = cors_view(req);
  auto respond = [this, meta, browser, &tenant](const OptOutResult& r) {
    Response res;
    if (r.error) {
      res = error(503, "store_error", "the opt-out could not be recorded; retry later");
    } else {
      res = json_response(200, json{{"opted_out", true},
                                    {"ids_suppressed", r.ids_suppressed},
                                    {"events_purged", r.events_purged}});
    }
    if (browser && !r.error) {
      res.add("Set-Cookie",
              cookie("hg_optout", "1", std::int64_t{m_cfg.cookies.optout_max_age_days} * 86400,
                     false, meta));
      res.add("Set-Cookie", cookie("hg_uid", "", 0, true, meta));
    }
    res.route = "optout";
    add_cors(meta, res, &tenant);
    return res;
  };
  if (ids.empty() && uid.empty()) {
    if (!browser) return done(finish(error(400, "missing_ids", "the body needs \"ids\"")));
    return done(respond(OptOutResult{}));
  }
  auto shared_done = std::make_shared<Done>(std::move(done));
  m_store.opt_out(tenant.id, std::move(ids), uid, browser ? "optout_browser" : "optout_api",
                  [shared_done, respond](OptOutResult r) { (*shared_done)(respond(r)); });
}

void Gateway::post_optin(Request& req, Done done, const Auth& auth) {
  const config::Tenant& tenant = *auth.tenant;
  std::vector<std::string> ids;
  bool browser = auth.kind == Auth::Kind::site;
  if (!browser) {
    if (!hashgate::valid_utf8(req.body) || text_depth(req.body) > m_cfg.json_depth) {
      Response r = error(400, "bad_json", "the body is not valid JSON");
      r.route = "optin";
      return done(std::move(r));
    }
    const BodyWiper wipe_body{req.body};
    JsonDoc doc;
    const bool parsed = doc.parse(req.body, m_cfg.json_depth);
    std::string pii_path, root;
    PiiScan scan{pii_guard(tenant)};
    if (parsed && find_raw_pii(doc.root(), root, pii_path, scan)) {
      Response r = error(422, "raw_pii", "a raw e-mail address or phone number was found");
      r.body = json{{"error", "raw_pii"},
                    {"message", "a raw e-mail address or phone number was found"},
                    {"path", pii_path}}
                   .dump();
      r.route = "optin";
      return done(std::move(r));
    }
    const JsonDoc::Value id_sets =
        parsed && doc.root().is_object() ? doc.root().find("ids") : JsonDoc::Value{};
    if (!id_sets.valid()) {
      Response r = error(400, "missing_ids", "the body needs \"ids\"");
      r.route = "optin";
      return done(std::move(r));
    }
    if (auto bad = read_id_sets(id_sets, false, k_max_optout_ids, ids)) {
      Response e = error(422, bad->code, "invalid identifier");
      e.body =
          json{{"error", bad->code}, {"message", "ids accept only digests"}, {"path", bad->path}}
              .dump();
      e.route = "optin";
      return done(std::move(e));
    }
  }
  std::string uid;
  if (browser) uid = uid_cookie(req);
  const Request meta = cors_view(req);
  auto respond = [this, meta, browser, &tenant](std::error_code ec) {
    Response r = ec ? error(503, "store_error", "the opt-in could not be recorded; retry later")
                    : json_response(200, json{{"opted_out", false}});
    if (browser && !ec) r.add("Set-Cookie", cookie("hg_optout", "", 0, false, meta));
    r.route = "optin";
    add_cors(meta, r, &tenant);
    return r;
  };
  if (ids.empty() && uid.empty()) return done(respond({}));
  auto shared_done = std::make_shared<Done>(std::move(done));
  m_store.opt_in(tenant.id, std::move(ids), uid,
                 [shared_done, respond](std::error_code ec) { (*shared_done)(respond(ec)); });
}

Response Gateway::optout_status(const Request& req, const Auth& auth) {
  auto cookies = cookies_of(req);
  bool cookie_set = cookies.count("hg_optout") && cookies["hg_optout"] == "1";
  const config::Tenant* t = auth.tenant;
  if (!t && req.header("origin")) t = tenant_for_origin(*req.header("origin"));
  bool gpc_header = header_is(req, "sec-gpc", "1");
  bool gpc = gpc_header && (t ? t->gpc : true);
  bool suppressed = false;
  if (auto it = cookies.find("hg_uid"); it != cookies.end() && valid_uid(it->second)) {
    if (t)
      suppressed = m_store.is_suppressed(t->id, it->second);
    else
      for (const auto& x : m_cfg.tenants)
        suppressed = suppressed || m_store.is_suppressed(x.id, it->second);
  }
  Response r = json_response(200, json{{"opted_out", cookie_set || gpc || suppressed},
                                       {"cookie", cookie_set},
                                       {"gpc", gpc},
                                       {"suppressed", suppressed}});
  add_cors(req, r, auth.tenant);
  return r;
}

// ---- export / audit -------------------------------------------------------------------------

namespace {

/// Reads export's and audit's `since` (unix seconds, default 0) and `limit` (1-100000, default
/// 1000) query parameters; returns the message for a bad one, or nullptr.
const char* since_and_limit(const std::string& target, std::int64_t& since, std::int64_t& limit) {
  auto q = query_of(target);
  if (q.count("since") && !parse_int(q["since"], 0, INT64_MAX / 2, since))
    return "since must be unix seconds (a non-negative integer)";
  if (q.count("limit") && !parse_int(q["limit"], 1, 100000, limit))
    return "limit must be an integer 1-100000";
  return nullptr;
}

}  // namespace

Response Gateway::export_events(const Request& req, const Auth& auth) {
  std::int64_t since = 0, limit = 1000;
  if (const char* bad = since_and_limit(req.target, since, limit))
    return error(400, "invalid_parameter", bad);
  auto lines = m_store.export_events(auth.tenant->id, since, static_cast<std::size_t>(limit));
  Response r;
  for (auto& l : lines) {
    r.body += l;
    r.body += '\n';
  }
  r.add("Content-Type", "application/x-ndjson");
  return r;
}

Response Gateway::audit(const Request& req, const Auth& auth) {
  std::int64_t since = 0, limit = 1000;
  if (const char* bad = since_and_limit(req.target, since, limit))
    return error(400, "invalid_parameter", bad);
  auto entries = m_store.audit(auth.tenant->id, since, static_cast<std::size_t>(limit));
  Response r;
  for (const auto& e : entries) {
    json detail = json::parse(e.detail, nullptr, false);
    if (detail.is_discarded()) detail = e.detail;
    r.body += json{{"time", e.time}, {"tenant", e.tenant}, {"action", e.action}, {"detail", detail}}
                  .dump();
    r.body += '\n';
  }
  r.add("Content-Type", "application/x-ndjson");
  return r;
}

// ---- CORS preflight, static files, retention -------------------------------------------------

Response Gateway::preflight(const Request& req) {
  const std::string* origin = req.header("origin");
  const std::string* method = req.header("access-control-request-method");
  if (!origin || !method)
    return error(400, "bad_preflight", "Origin and Access-Control-Request-Method are required");
  const config::Tenant* t = nullptr;
  auto q = query_of(req.target);
  std::string key = q.count("site_key") ? q["site_key"] : q.count("key") ? q["key"] : "";
  if (!key.empty()) {
    auto it = m_site_keys.find(key);
    if (it != m_site_keys.end() && origin_allowed(m_cfg.tenants[it->second], *origin))
      t = &m_cfg.tenants[it->second];
  } else {
    t = tenant_for_origin(*origin);
  }
  if (!t || (*method != "GET" && *method != "POST")) {
    Response r = error(403, "origin_not_allowed", "this origin may not call the gateway");
    r.add("Vary", "Origin");
    return r;
  }
  Response r;
  r.status = 204;
  r.add("Access-Control-Allow-Origin", *origin);
  r.add("Access-Control-Allow-Credentials", "true");
  r.add("Access-Control-Allow-Methods", "GET, POST");
  r.add("Access-Control-Allow-Headers", k_allowed_headers);
  r.add("Access-Control-Max-Age", "600");
  r.add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return r;
}

Response Gateway::serve_static(const Request& req, std::string_view path) {
  (void)req;
  Response r;
  if (path == "/" || path == "/index.html") {
    r.body = m_demo.index_html("/demo/", "hashgate demo");
    r.add("Content-Type", "text/html; charset=utf-8");
    r.add("Content-Security-Policy", m_cfg.csp);
    return r;
  }
  const StaticFiles* files = nullptr;
  std::string_view mount;
  if (path.rfind("/sdk/", 0) == 0)
    files = &m_sdk, mount = "/sdk/";
  else if (path.rfind("/dist/", 0) == 0)
    files = &m_sdk, mount = "/dist/";
  else if (path.rfind("/demo/", 0) == 0)
    files = &m_demo, mount = "/demo/";
  else if (path == "/demo" || path == "/sdk") {
    r.status = 308;
    r.add("Location", std::string(path) + "/");
    return r;
  }
  if (!files) return error(404, "not_found", "not found");
  StaticFile f = files->get(path.substr(mount.size()), mount);
  if (f.status == 308) {
    r.status = 308;
    r.add("Location", f.location);
    return r;
  }
  if (f.status != 200)
    return error(f.status, f.status == 400 ? "bad_path" : "not_found",
                 f.status == 400 ? "bad path" : "not found");
  r.body = std::move(f.body);
  r.add("Content-Type", f.content_type);
  r.add("Content-Security-Policy", m_cfg.csp);
  r.add("Cache-Control", "no-cache");
  r.add("Cross-Origin-Resource-Policy", mount == "/demo/" ? "same-origin" : "cross-origin");
  return r;
}

std::size_t Gateway::run_retention() {
  std::size_t total = 0;
  const std::int64_t now = m_now();
  for (const auto& t : m_cfg.tenants) {
    std::int64_t cutoff = now - std::int64_t{t.retention_days} * 86400;
    // The store writes the retention audit entry itself.
    total += m_store.purge_before(t.id, cutoff);
  }
  m_metrics.add_retention_purged(total);
  return total;
}

}  // namespace hashgate::gw::api
