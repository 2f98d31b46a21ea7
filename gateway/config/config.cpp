// Strict JSON configuration loader: every key is known, every value range-checked.
#include "gateway/config/config.hpp"

#include <hashgate/hashgate.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "gateway/config/json_fields.hpp"

namespace hashgate::gw::config {

const char* const k_default_csp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

namespace {

using nlohmann::json;

using fields::fail;
using fields::get_int;
using fields::join;
using fields::only_keys;

std::string get_string(const json& obj, const std::string& where, const char* key, std::string def,
                       bool allow_empty = true) {
  if (!obj.contains(key)) return def;
  const auto& v = obj.at(key);
  if (!v.is_string()) fail(join(where, key), "must be a string");
  auto s = v.get<std::string>();
  if (!allow_empty && s.empty()) fail(join(where, key), "must not be empty");
  return s;
}

bool get_bool(const json& obj, const std::string& where, const char* key, bool def) {
  if (!obj.contains(key)) return def;
  const auto& v = obj.at(key);
  if (!v.is_boolean()) fail(join(where, key), "must be true or false");
  return v.get<bool>();
}

/// Reads the string `key` of `obj` as one of `names` (its config spellings); `def` when absent.
/// Fails with `why` (naming the allowed spellings) on any other string.
template <class E, std::size_t N>
E get_enum(const json& obj, const std::string& where, const char* key, E def,
           const std::pair<const char*, E> (&names)[N], const char* why) {
  if (!obj.contains(key)) return def;
  const std::string s = get_string(obj, where, key, "");
  for (const auto& [name, value] : names)
    if (s == name) return value;
  fail(join(where, key), why);
}

constexpr std::pair<const char*, SameSite> k_same_site[] = {
    {"Strict", SameSite::strict}, {"Lax", SameSite::lax}, {"None", SameSite::none}};
constexpr std::pair<const char*, CookieSecure> k_cookie_secure[] = {
    {"auto", CookieSecure::automatic},
    {"always", CookieSecure::always},
    {"never", CookieSecure::never}};
constexpr std::pair<const char*, Durability> k_durability[] = {
    {"normal", Durability::normal}, {"full", Durability::full}, {"extra", Durability::extra}};
constexpr std::pair<const char*, LegalBasis> k_legal_basis[] = {
    {"consent", LegalBasis::consent}, {"legitimate_interest", LegalBasis::legitimate_interest}};

/// The bytes of 64 lowercase hex characters; nullopt for anything else.
std::optional<Sha256> hex_digest(const std::string& s) {
  if (s.size() != 64) return std::nullopt;
  Sha256 out{};
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else
      return std::nullopt;
    out[i / 2] = static_cast<unsigned char>(out[i / 2] << 4 | v);
  }
  return out;
}

bool valid_origin(const std::string& o) {
  if (o == "self") return true;
  auto scheme_end = o.find("://");
  if (scheme_end == std::string::npos) return false;
  auto scheme = o.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  auto rest = o.substr(scheme_end + 3);
  if (rest.empty() || rest.find('/') != std::string::npos || rest.find('*') != std::string::npos)
    return false;
  for (char c : rest)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']'))
      return false;
  return true;
}

std::vector<Region> parse_phone_regions(const json& r, const std::string& where) {
  if (!r.is_array() || r.size() > 32)
    fail(where, "must be an array of at most 32 ISO 3166 alpha-2 region codes");
  std::vector<Region> out;
  for (const auto& x : r) {
    const auto reg = x.is_string() ? hashgate::region_by_code(x.get<std::string>()) : std::nullopt;
    if (!reg) fail(where, "each entry must be an ISO 3166 alpha-2 region code such as \"NL\"");
    bool dup = false;
    for (const auto& y : out) dup |= y.code == reg->code;
    if (dup) fail(where, "a region is listed twice");
    out.push_back(*reg);
  }
  return out;
}

bool valid_allow_step(const std::string& step) {
  if (step == "*") return true;
  if (step.empty() || step.size() > 64) return false;
  for (char c : step)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

std::vector<std::string> parse_allow_paths(const json& a, const std::string& where) {
  if (!a.is_array() || a.size() > 32) fail(where, "must be an array of at most 32 JSON pointers");
  std::vector<std::string> out;
  for (const auto& x : a) {
    const std::string why =
        "each entry must be a JSON pointer below /custom/ (steps of [A-Za-z0-9_.-] or \"*\", "
        "at most 8 below custom), e.g. \"/custom/items/*/sku\"; ids can never be allowed";
    if (!x.is_string()) fail(where, why);
    const std::string p = x.get<std::string>();
    if (p.rfind("/custom/", 0) != 0) fail(where, why);
    std::size_t steps = 0;
    for (std::size_t at = 8; at <= p.size(); ++steps) {
      const std::size_t slash = std::min(p.find('/', at), p.size());
      if (!valid_allow_step(p.substr(at, slash - at))) fail(where, why);
      at = slash + 1;
    }
    if (steps > 8) fail(where, why);
    out.push_back(p);
  }
  return out;
}

void parse_pii(const json& t, const std::string& where, PiiSettings& out) {
  if (!t.contains("pii")) return;
  const std::string w = join(where, "pii");
  const auto& p = t.at("pii");
  only_keys(p, w, {"phone_regions", "allow_paths"});
  if (p.contains("phone_regions"))
    out.phone_regions = parse_phone_regions(p.at("phone_regions"), join(w, "phone_regions"));
  if (p.contains("allow_paths"))
    out.allow_paths = parse_allow_paths(p.at("allow_paths"), join(w, "allow_paths"));
}

// ---- agreements (issue 14) ------------------------------------------------------------------

/// Runs one of gateway/onboarding's parsers, turning its AgreementError (which already reads
/// "config: <key>: ...") into a ConfigError.
template <typename F>
auto onboarding_call(F&& parse) {
  try {
    return parse();
  } catch (const onboarding::AgreementError& e) {
    throw ConfigError(e.what());
  }
}

void parse_agreements(const json& j, Config& c) {
  if (!j.contains("agreements")) return;
  auto roles = [&c](std::string_view id) -> std::optional<onboarding::Role> {
    for (const auto& t : c.tenants)
      if (t.id == id) return t.role;
    return std::nullopt;
  };
  c.agreements =
      onboarding_call([&] { return onboarding::parse_agreements(j.at("agreements"), roles); });
}

// ---- tenants --------------------------------------------------------------------------------

std::string parse_tenant_id(const json& t, const std::string& where) {
  std::string id = get_string(t, where, "id", "", false);
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      fail(join(where, "id"), "only letters, digits, '_' and '-' are allowed");
  if (id.size() > 64) fail(join(where, "id"), "at most 64 characters");
  return id;
}

std::vector<std::string> parse_allowed_origins(const json& sk, const std::string& where) {
  const std::string w = join(where, "allowed_origins");
  if (!sk.contains("allowed_origins") || !sk.at("allowed_origins").is_array() ||
      sk.at("allowed_origins").empty())
    fail(w, "must be a non-empty array of origins");
  const auto& ao = sk.at("allowed_origins");
  std::vector<std::string> out;
  for (std::size_t j = 0; j < ao.size(); ++j) {
    std::string wo = w + "[" + std::to_string(j) + "]";
    if (!ao[j].is_string()) fail(wo, "must be a string");
    auto o = ao[j].get<std::string>();
    if (o == "*" || o == "null") fail(wo, "wildcard and null origins are not allowed");
    if (!valid_origin(o)) fail(wo, "must be \"self\" or scheme://host[:port] without a path");
    out.push_back(o);
  }
  return out;
}

SiteKey parse_site_key(const json& sk, const std::string& where, std::set<std::string>& seen_keys) {
  only_keys(sk, where, {"key", "allowed_origins"});
  SiteKey k;
  k.key = get_string(sk, where, "key", "", false);
  if (k.key.size() > 128) fail(join(where, "key"), "at most 128 characters");
  if (!seen_keys.insert(k.key).second) fail(join(where, "key"), "duplicate site key");
  k.allowed_origins = parse_allowed_origins(sk, where);
  return k;
}

std::vector<SiteKey> parse_site_keys(const json& t, const std::string& where,
                                     std::set<std::string>& seen_keys) {
  std::vector<SiteKey> out;
  if (!t.contains("site_keys")) return out;
  const auto& sk = t.at("site_keys");
  if (!sk.is_array()) fail(join(where, "site_keys"), "must be an array");
  for (std::size_t i = 0; i < sk.size(); ++i)
    out.push_back(
        parse_site_key(sk[i], join(where, "site_keys") + "[" + std::to_string(i) + "]", seen_keys));
  return out;
}

std::optional<Sha256> parse_api_key(const json& t, const std::string& where) {
  const std::string hex = get_string(t, where, "api_key_sha256", "");
  if (hex.empty()) return std::nullopt;
  auto digest = hex_digest(hex);
  if (!digest)
    fail(join(where, "api_key_sha256"), "must be 64 lowercase hex characters (sha256 of the key)");
  return digest;
}

TcfSettings parse_tcf(const json& t, const std::string& where) {
  TcfSettings out;
  if (!t.contains("tcf")) return out;
  const std::string w = join(where, "tcf");
  const auto& c = t.at("tcf");
  only_keys(c, w,
            {"vendor_id", "required_purposes", "require_vendor_consent", "strict_policy_version"});
  out.vendor_id = static_cast<int>(get_int(c, w, "vendor_id", 0, 0, 65535));
  if (c.contains("required_purposes")) {
    const auto& p = c.at("required_purposes");
    if (!p.is_array()) fail(join(w, "required_purposes"), "must be an array of purpose ids 1-24");
    out.required_purposes.clear();
    for (const auto& x : p) {
      if (!x.is_number_integer() || x.get<int>() < 1 || x.get<int>() > 24)
        fail(join(w, "required_purposes"), "must be an array of purpose ids 1-24");
      out.required_purposes.push_back(x.get<int>());
    }
  }
  out.require_vendor_consent = get_bool(c, w, "require_vendor_consent", true);
  out.strict_policy_version = get_bool(c, w, "strict_policy_version", true);
  return out;
}

Tenant parse_tenant(const json& t, const std::string& where, std::set<std::string>& seen_keys,
                    std::set<std::string>& seen_destinations) {
  only_keys(t, where,
            {"id", "site_keys", "api_key_sha256", "legal_basis", "tcf", "gpc", "set_uid_cookie",
             "retention_days", "pii", "role", "destinations"});
  Tenant out;
  out.id = parse_tenant_id(t, where);
  out.site_keys = parse_site_keys(t, where, seen_keys);
  out.api_key_sha256 = parse_api_key(t, where);
  if (out.site_keys.empty() && !out.api_key_sha256)
    fail(where, "needs at least one of site_keys or api_key_sha256");
  out.legal_basis = get_enum(t, where, "legal_basis", LegalBasis::consent, k_legal_basis,
                             "must be \"consent\" or \"legitimate_interest\"");
  out.tcf = parse_tcf(t, where);
  parse_pii(t, where, out.pii);
  out.gpc = get_bool(t, where, "gpc", true);
  out.set_uid_cookie = get_bool(t, where, "set_uid_cookie", false);
  out.retention_days = static_cast<int>(get_int(t, where, "retention_days", 90, 1, 3650));
  out.role = onboarding_call([&] { return onboarding::parse_role(t, where); });
  if (t.contains("destinations")) {
    out.destinations = deliver::parse_destinations(t.at("destinations"), where + ".destinations",
                                                   out.id, seen_destinations);
  }
  return out;
}

void parse_tenants(const json& j, Config& c) {
  if (!j.contains("tenants") || !j.at("tenants").is_array() || j.at("tenants").empty())
    fail("tenants", "must be a non-empty array");
  std::set<std::string> ids, keys, destinations;
  const auto& ts = j.at("tenants");
  for (std::size_t i = 0; i < ts.size(); ++i) {
    std::string w = "tenants[" + std::to_string(i) + "]";
    auto t = parse_tenant(ts[i], w, keys, destinations);
    if (!ids.insert(t.id).second) fail(w + ".id", "duplicate tenant id");
    c.tenants.push_back(std::move(t));
  }
  std::set<Sha256> api;
  for (std::size_t i = 0; i < c.tenants.size(); ++i)
    if (c.tenants[i].api_key_sha256 && !api.insert(*c.tenants[i].api_key_sha256).second)
      fail("tenants[" + std::to_string(i) + "].api_key_sha256", "the same API key is used twice");
}

// ---- top-level sections ---------------------------------------------------------------------

void parse_listen(const json& j, Config& c) {
  if (!j.contains("listen")) return;
  const auto& l = j.at("listen");
  only_keys(l, "listen", {"address", "port"});
  c.address = get_string(l, "listen", "address", c.address, false);
  c.port = static_cast<int>(get_int(l, "listen", "port", c.port, 0, 65535));
}

void parse_public_origins(const json& j, Config& c) {
  if (!j.contains("public_origins")) return;
  const auto& p = j.at("public_origins");
  if (!p.is_array()) fail("public_origins", "must be an array");
  for (const auto& o : p) {
    if (!o.is_string() || o.get<std::string>() == "self" || !valid_origin(o.get<std::string>()))
      fail("public_origins", "each entry must be scheme://host[:port]");
    c.public_origins.push_back(o.get<std::string>());
  }
}

void parse_limits(const json& j, Config& c) {
  if (!j.contains("limits")) return;
  const auto& l = j.at("limits");
  only_keys(
      l, "limits",
      {"body_bytes", "header_bytes", "max_events", "json_depth", "max_connections", "pipeline"});
  c.body_limit = get_int(l, "limits", "body_bytes", c.body_limit, 1024, 64 << 20);
  c.header_limit = get_int(l, "limits", "header_bytes", c.header_limit, 1024, 1 << 20);
  c.max_events = get_int(l, "limits", "max_events", c.max_events, 1, 500);
  c.json_depth = get_int(l, "limits", "json_depth", c.json_depth, 8, 64);
  c.max_connections = get_int(l, "limits", "max_connections", c.max_connections, 1, 1000000);
  c.pipeline_limit = get_int(l, "limits", "pipeline", c.pipeline_limit, 1, 64);
}

void parse_timeouts(const json& j, Config& c) {
  if (!j.contains("timeouts")) return;
  const auto& t = j.at("timeouts");
  only_keys(t, "timeouts", {"header_ms", "read_ms", "idle_ms", "drain_ms"});
  using ms = std::chrono::milliseconds;
  c.header_timeout = ms(get_int(t, "timeouts", "header_ms", 10000, 100, 600000));
  c.read_timeout = ms(get_int(t, "timeouts", "read_ms", 30000, 100, 600000));
  c.idle_timeout = ms(get_int(t, "timeouts", "idle_ms", 60000, 100, 3600000));
  c.drain_timeout = ms(get_int(t, "timeouts", "drain_ms", 10000, 0, 600000));
}

void parse_tls(const json& j, Config& c) {
  if (!j.contains("tls")) return;
  const auto& t = j.at("tls");
  only_keys(t, "tls", {"cert", "key"});
  c.tls_cert = get_string(t, "tls", "cert", "");
  c.tls_key = get_string(t, "tls", "key", "");
  if (c.tls_cert.empty() != c.tls_key.empty())
    fail(c.tls_cert.empty() ? "tls.cert" : "tls.key", "TLS needs both cert and key");
}

void parse_cookies(const json& j, Config& c) {
  if (!j.contains("cookies")) return;
  const auto& k = j.at("cookies");
  only_keys(k, "cookies", {"same_site", "secure", "uid_max_age_days", "optout_max_age_days"});
  c.cookies.same_site = get_enum(k, "cookies", "same_site", SameSite::lax, k_same_site,
                                 "must be Strict, Lax or None");
  c.cookies.secure = get_enum(k, "cookies", "secure", CookieSecure::automatic, k_cookie_secure,
                              "must be auto, always or never");
  if (c.cookies.same_site == SameSite::none && c.cookies.secure == CookieSecure::never)
    fail("cookies.secure", "SameSite=None requires Secure cookies");
  c.cookies.uid_max_age_days =
      static_cast<int>(get_int(k, "cookies", "uid_max_age_days", 395, 1, 400));
  c.cookies.optout_max_age_days =
      static_cast<int>(get_int(k, "cookies", "optout_max_age_days", 400, 1, 400));
}

void parse_static(const json& j, Config& c) {
  c.csp = k_default_csp;
  if (!j.contains("static")) return;
  const auto& s = j.at("static");
  only_keys(s, "static", {"sdk_root", "demo_root", "csp"});
  c.sdk_root = get_string(s, "static", "sdk_root", c.sdk_root);
  c.demo_root = get_string(s, "static", "demo_root", c.demo_root);
  c.csp = get_string(s, "static", "csp", c.csp, false);
}

constexpr std::pair<const char*, StoreKind> k_store_kind[] = {{"sqlite", StoreKind::sqlite},
                                                              {"kafka", StoreKind::kafka}};

/// True for "host:port" with a non-empty host of [A-Za-z0-9.-] (or a bracketed IPv6 address)
/// and a port 1–65535.
bool valid_broker(const std::string& b) {
  const auto colon = b.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == b.size() || colon + 6 < b.size())
    return false;
  const std::string host = b.substr(0, colon);
  const bool bracketed = host.front() == '[' && host.back() == ']';
  for (char ch : host)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' &&
        !(bracketed && (ch == ':' || ch == '[' || ch == ']')))
      return false;
  long port = 0;
  for (char ch : b.substr(colon + 1)) {
    if (ch < '0' || ch > '9') return false;
    port = port * 10 + (ch - '0');
  }
  return port >= 1 && port <= 65535;
}

/// `store.brokers`: a comma-separated list of host:port, at least one.
std::string parse_brokers(const json& s) {
  if (!s.contains("brokers")) fail("store.brokers", "is required when store.kind is kafka");
  const std::string list = get_string(s, "store", "brokers", "", false);
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto end = std::min(list.find(',', start), list.size());
    if (!valid_broker(list.substr(start, end - start)))
      fail("store.brokers", "must be a comma-separated list of host:port (port 1-65535)");
    start = end + 1;
  }
  return list;
}

/// `store.kafka`: librdkafka properties, each a string, integer or boolean. The keys the gateway
/// pins (bootstrap.servers comes from store.brokers; acks and idempotence make the 2xx durable)
/// are refused here; the rest are checked by librdkafka at start-up.
std::vector<std::pair<std::string, std::string>> parse_kafka_properties(const json& s) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!s.contains("kafka")) return out;
  const auto& k = s.at("kafka");
  if (!k.is_object()) fail("store.kafka", "must be an object of librdkafka properties");
  for (const auto& [name, v] : k.items()) {
    const std::string key = "store.kafka." + name;
    if (name == "bootstrap.servers" || name == "metadata.broker.list")
      fail(key, "set the brokers with store.brokers");
    if (name == "acks" || name == "request.required.acks" || name == "enable.idempotence")
      fail(key, "pinned by the gateway (acks=all, idempotent producer)");
    if (v.is_string())
      out.emplace_back(name, v.get<std::string>());
    else if (v.is_number_integer() || v.is_boolean())
      out.emplace_back(name, v.dump());
    else
      fail(key, "must be a string, an integer or a boolean");
  }
  return out;
}

/// `store.topic_prefix`: 1–200 characters of [A-Za-z0-9._-] (Kafka's topic alphabet).
std::string parse_topic_prefix(const json& s, std::string def) {
  std::string p = get_string(s, "store", "topic_prefix", std::move(def), false);
  if (p.size() > 200) fail("store.topic_prefix", "must be at most 200 characters");
  for (char ch : p)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-')
      fail("store.topic_prefix", "may hold only A-Z a-z 0-9 . _ -");
  return p;
}

/// The Kafka keys of `store` (`s`): read when kind is kafka, refused otherwise.
void parse_store_kafka(const json& s, Config& c) {
  if (c.store_kind != StoreKind::kafka) {
    for (const char* k : {"brokers", "topic_prefix", "kafka"})
      if (s.contains(k)) fail(std::string("store.") + k, "needs store.kind \"kafka\"");
    return;
  }
  c.kafka.brokers = parse_brokers(s);
  c.kafka.topic_prefix = parse_topic_prefix(s, c.kafka.topic_prefix);
  c.kafka.properties = parse_kafka_properties(s);
}

void parse_store(const json& j, Config& c) {
  if (!j.contains("store")) return;
  const auto& s = j.at("store");
  only_keys(
      s, "store",
      {"data_dir", "durability", "queue_high_water", "kind", "brokers", "topic_prefix", "kafka"});
  c.store_kind =
      get_enum(s, "store", "kind", c.store_kind, k_store_kind, "must be sqlite or kafka");
  parse_store_kafka(s, c);
  c.data_dir = get_string(s, "store", "data_dir", c.data_dir, false);
  c.durability = get_enum(s, "store", "durability", c.durability, k_durability,
                          "must be normal, full or extra");
  c.queue_high_water = get_int(s, "store", "queue_high_water", c.queue_high_water, 1, 10000000);
}

}  // namespace

std::string_view to_string(SameSite s) {
  switch (s) {
    case SameSite::strict:
      return "Strict";
    case SameSite::none:
      return "None";
    case SameSite::lax:
      break;
  }
  return "Lax";
}

std::string_view to_string(CookieSecure s) {
  switch (s) {
    case CookieSecure::always:
      return "always";
    case CookieSecure::never:
      return "never";
    case CookieSecure::automatic:
      break;
  }
  return "auto";
}

int default_threads() {
  // One core is the store's writer thread (SQLite, fsync); the I/O threads get the rest.
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 2 ? static_cast<int>(cores) - 1 : 1;
}

std::string sha256_hex(const std::string& data) {
  std::array<std::uint8_t, 32> md{};
  hashgate::sha256(data, md);  // low-level SHA256_*: no EVP fetch per call
  return hashgate::to_hex(md);
}

/// `delivery`: {"threads"} of the delivery worker (docs/destinations.md).
void parse_delivery(const json& j, Config& c) {
  if (!j.contains("delivery")) return;
  const json& d = j.at("delivery");
  if (!d.is_object()) fail("delivery", "must be an object");
  only_keys(d, "delivery", {"threads"});
  c.delivery_threads = static_cast<std::size_t>(get_int(d, "delivery", "threads", 2, 1, 16));
}

Config parse_config(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw ConfigError("config: the file is not valid JSON");
  only_keys(
      j, "",
      {"listen", "threads", "public_origins", "limits", "timeouts", "tls", "cookies", "static",
       "store", "retention_interval_s", "delivery", "tenants", "agreements", "$comment"});
  Config c;
  parse_listen(j, c);
  c.threads = static_cast<int>(get_int(j, "", "threads", default_threads(), 1, 256));
  parse_public_origins(j, c);
  parse_limits(j, c);
  parse_timeouts(j, c);
  parse_tls(j, c);
  parse_cookies(j, c);
  parse_static(j, c);
  parse_store(j, c);
  c.retention_interval =
      std::chrono::seconds(get_int(j, "", "retention_interval_s", 3600, 1, 86400 * 7));
  parse_delivery(j, c);
  parse_tenants(j, c);
  parse_agreements(j, c);
  return c;
}

Config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("config: cannot read file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  Config c = parse_config(text);
  c.source_sha256 = sha256_hex(text);
  if (const char* p = std::getenv("HASHGATE_PORT"); p && *p) {
    char* end = nullptr;
    long v = std::strtol(p, &end, 10);
    if (*end != '\0' || v < 0 || v > 65535)
      throw ConfigError("config: HASHGATE_PORT: must be 0-65535");
    c.port = static_cast<int>(v);
  }
  if (const char* d = std::getenv("HASHGATE_DATA_DIR"); d && *d) c.data_dir = d;
  return c;
}

}  // namespace hashgate::gw::config
