// Destination configuration: strict parsing in the style of gateway/config/config.cpp (every key
// known, every value checked, errors name the key), secrets read from the environment.
#include "gateway/deliver/destination.hpp"

#include <hashgate/hashgate.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "gateway/config/config.hpp"
#include "gateway/config/json_fields.hpp"

namespace hashgate::gw::deliver {

namespace {

using nlohmann::json;

/// Largest batch each kind's API takes in one request (Meta: 1000 events per request; Google
/// Data Manager: 2000 events per events:ingest; webhook: our own limit).
std::size_t max_batch(Kind kind) {
  switch (kind) {
    case Kind::meta_capi:
      return 1000;
    case Kind::google_dm:
      return 2000;
    case Kind::webhook:
      break;
  }
  return 5000;
}

/// Default API base URL of a platform kind (the webhook kind has none: `url` is required).
const char* default_url(Kind kind) {
  switch (kind) {
    case Kind::meta_capi:
      return "https://graph.facebook.com/v21.0";
    case Kind::google_dm:
      return "https://datamanager.googleapis.com/v1";
    case Kind::webhook:
      break;
  }
  return "";
}

using config::fields::fail;
using config::fields::get_int;
using config::fields::join;
using config::fields::only_keys;

std::string get_string(const json& obj, const std::string& where, const char* key, bool required,
                       std::size_t max_len = 256) {
  if (!obj.contains(key)) {
    if (required) fail(join(where, key), "is required");
    return "";
  }
  const auto& v = obj.at(key);
  if (!v.is_string() || v.get_ref<const std::string&>().empty())
    fail(join(where, key), "must be a non-empty string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > max_len)
    fail(join(where, key), "at most " + std::to_string(max_len) + " characters");
  return s;
}

bool all_of(const std::string& s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}
bool id_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool env_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string get_digits(const json& obj, const std::string& where, const char* key, bool required) {
  auto s = get_string(obj, where, key, required, 32);
  if (!all_of(s, digit)) fail(join(where, key), "must be digits only");
  return s;
}

GoogleAccountType get_account_type(const json& obj, const std::string& where, const char* key) {
  static constexpr std::array k_types{
      GoogleAccountType::google_ads, GoogleAccountType::display_video_partner,
      GoogleAccountType::display_video_advertiser, GoogleAccountType::data_partner};
  const auto text = get_string(obj, where, key, false, 64);
  if (text.empty()) return GoogleAccountType::google_ads;
  for (auto t : k_types)
    if (to_string(t) == text) return t;
  fail(join(where, key),
       "must be GOOGLE_ADS, DISPLAY_VIDEO_PARTNER, DISPLAY_VIDEO_ADVERTISER or DATA_PARTNER");
}

/// Reads the secret named by `key` (a variable name) from the environment into `out`, and the
/// variable's name into `name`; the value must hold at least `min_size` bytes.
void read_secret(const json& obj, const std::string& where, const char* key, const EnvLookup& env,
                 std::string& name, Secret& out, std::size_t min_size = 1) {
  name = get_string(obj, where, key, true, 128);
  if (!all_of(name, env_char) || digit(name.front()))
    fail(join(where, key), "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
  auto value = env(name);
  if (!value) fail(join(where, key), "environment variable " + name + " is not set");
  if (value->empty()) fail(join(where, key), "environment variable " + name + " is empty");
  if (value->size() < min_size) {
    hashgate::secure_clear(*value);
    fail(join(where, key), "environment variable " + name + " must hold at least " +
                               std::to_string(min_size) + " bytes");
  }
  out = Secret(std::move(*value));
  hashgate::secure_clear(*value);
}

/// google_dm's `oauth` object: client id, the two secrets' variables, the token endpoint.
OAuthSettings parse_oauth(const json& obj, const std::string& where, const EnvLookup& env) {
  const std::string at = join(where, "oauth");
  if (!obj.is_object()) fail(at, "must be an object");
  only_keys(obj, at, {"client_id", "client_secret_env", "refresh_token_env", "token_url"});
  OAuthSettings o;
  o.client_id = get_string(obj, at, "client_id", true, 256);
  if (!std::all_of(o.client_id.begin(), o.client_id.end(),
                   [](char c) { return c > ' ' && c < 0x7F; }))
    fail(join(at, "client_id"), "must be printable ASCII without spaces");
  std::string url = get_string(obj, at, "token_url", false, 2048);
  if (url.empty()) url = "https://oauth2.googleapis.com/token";
  if (auto why = parse_url(url, o.token_url); !why.empty()) fail(join(at, "token_url"), why);
  read_secret(obj, at, "client_secret_env", env, o.client_secret_env, o.client_secret);
  read_secret(obj, at, "refresh_token_env", env, o.refresh_token_env, o.refresh_token);
  return o;
}

/// The destination's credentials: a signing secret (webhook), an access token, or (google_dm)
/// either an access token or `oauth` refresh credentials, exactly one of the two.
void read_credentials(const json& obj, const std::string& where, const EnvLookup& env,
                      Destination& d) {
  if (d.kind == Kind::webhook)
    return read_secret(obj, where, "secret_env", env, d.secret_env, d.secret, 16);
  if (d.kind == Kind::google_dm && obj.contains("oauth")) {
    if (obj.contains("access_token_env"))
      fail(join(where, "oauth"), "give either access_token_env or oauth, not both");
    d.oauth = parse_oauth(obj.at("oauth"), where, env);
    return;
  }
  read_secret(obj, where, "access_token_env", env, d.secret_env, d.secret);
}

void parse_events(const json& obj, const std::string& where, Destination& d) {
  if (!obj.contains("events")) return;
  const auto& ev = obj.at("events");
  const std::string key = join(where, "events");
  if (!ev.is_array() || ev.empty()) fail(key, "must be a non-empty array of event types");
  for (std::size_t i = 0; i < ev.size(); ++i) {
    const std::string wi = key + "[" + std::to_string(i) + "]";
    if (!ev[i].is_string()) fail(wi, "must be a string");
    const auto& t = ev[i].get_ref<const std::string&>();
    if (!known_event_types().count(t))
      fail(wi, "must be one of purchase, login, lead, page_view, custom, add_to_cart, sign_up");
    if (std::find(d.events.begin(), d.events.end(), t) != d.events.end()) fail(wi, "is repeated");
    d.events.push_back(t);
  }
}

void parse_url_key(const json& obj, const std::string& where, Destination& d) {
  std::string text = get_string(obj, where, "url", d.kind == Kind::webhook, 2048);
  if (text.empty()) text = default_url(d.kind);
  if (auto why = parse_url(text, d.url); !why.empty()) fail(join(where, "url"), why);
}

void parse_platform(const json& obj, const std::string& where, Destination& d) {
  if (d.kind == Kind::meta_capi) {
    d.meta.pixel_id = get_digits(obj, where, "pixel_id", true);
    d.meta.audience_id = get_digits(obj, where, "audience_id", true);
    d.meta.test_event_code = get_string(obj, where, "test_event_code", false, 64);
    if (!all_of(d.meta.test_event_code, id_char))
      fail(join(where, "test_event_code"), "only letters, digits, '_' and '-' are allowed");
  } else if (d.kind == Kind::google_dm) {
    auto& g = d.google;
    g.operating_account_type = get_account_type(obj, where, "operating_account_type");
    g.operating_account_id = get_digits(obj, where, "operating_account_id", true);
    if (obj.contains("login_account_type"))
      g.login_account_type = get_account_type(obj, where, "login_account_type");
    g.login_account_id = get_digits(obj, where, "login_account_id", false);
    if (g.login_account_type.has_value() != !g.login_account_id.empty())
      fail(join(where, "login_account_id"), "login_account_type and login_account_id go together");
    g.conversion_action_id = get_digits(obj, where, "conversion_action_id", true);
    g.user_list_id = get_digits(obj, where, "user_list_id", true);
  }
}

/// The keys every kind accepts, then the kind's own.
void check_keys(const json& obj, const std::string& where, Kind kind) {
  switch (kind) {
    case Kind::webhook:
      return only_keys(obj, where,
                       {"id", "kind", "url", "events", "tcf_vendor_id", "secret_env",
                        "max_age_hours", "batch_events", "timeout_ms", "ca_file"});
    case Kind::meta_capi:
      return only_keys(
          obj, where,
          {"id", "kind", "url", "events", "tcf_vendor_id", "access_token_env", "max_age_hours",
           "batch_events", "timeout_ms", "ca_file", "pixel_id", "audience_id", "test_event_code"});
    case Kind::google_dm:
      return only_keys(obj, where,
                       {"id", "kind", "url", "events", "tcf_vendor_id", "access_token_env",
                        "max_age_hours", "batch_events", "timeout_ms", "ca_file",
                        "operating_account_type", "operating_account_id", "login_account_type",
                        "login_account_id", "conversion_action_id", "user_list_id", "oauth"});
  }
}

Destination parse_one(const json& obj, const std::string& where, const std::string& tenant,
                      const EnvLookup& env) {
  if (!obj.is_object()) fail(where, "must be an object");
  Destination d;
  d.tenant = tenant;
  if (!parse_kind(get_string(obj, where, "kind", true, 32), d.kind))
    fail(join(where, "kind"), "must be \"webhook\", \"meta_capi\" or \"google_dm\"");
  check_keys(obj, where, d.kind);
  d.id = get_string(obj, where, "id", true, 64);
  if (!all_of(d.id, id_char))
    fail(join(where, "id"), "only letters, digits, '_' and '-' are allowed");
  parse_url_key(obj, where, d);
  parse_events(obj, where, d);
  d.tcf_vendor_id = static_cast<int>(get_int(obj, where, "tcf_vendor_id", 0, 0, 65535));
  d.max_age_hours = static_cast<int>(get_int(obj, where, "max_age_hours", 168, 1, 8760));
  d.batch_events = static_cast<std::size_t>(
      get_int(obj, where, "batch_events", std::min<std::size_t>(500, max_batch(d.kind)), 1,
              static_cast<std::int64_t>(max_batch(d.kind))));
  d.timeout_ms = static_cast<int>(get_int(obj, where, "timeout_ms", 10000, 100, 120000));
  d.ca_file = get_string(obj, where, "ca_file", false, 4096);
  if (!d.ca_file.empty() && !std::ifstream(d.ca_file).good())
    fail(join(where, "ca_file"), "cannot be read");
  parse_platform(obj, where, d);
  read_credentials(obj, where, env, d);
  return d;
}

}  // namespace

std::string_view to_string(Kind kind) {
  switch (kind) {
    case Kind::webhook:
      return "webhook";
    case Kind::meta_capi:
      return "meta_capi";
    case Kind::google_dm:
      return "google_dm";
  }
  return "webhook";
}

bool parse_kind(std::string_view text, Kind& out) {
  for (Kind k : {Kind::webhook, Kind::meta_capi, Kind::google_dm}) {
    if (to_string(k) == text) {
      out = k;
      return true;
    }
  }
  return false;
}

std::string_view to_string(GoogleAccountType type) {
  switch (type) {
    case GoogleAccountType::google_ads:
      return "GOOGLE_ADS";
    case GoogleAccountType::display_video_partner:
      return "DISPLAY_VIDEO_PARTNER";
    case GoogleAccountType::display_video_advertiser:
      return "DISPLAY_VIDEO_ADVERTISER";
    case GoogleAccountType::data_partner:
      return "DATA_PARTNER";
  }
  return "GOOGLE_ADS";
}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    hashgate::secure_clear(m_value);
    m_value = other.m_value;
  }
  return *this;
}

Secret::Secret(Secret&& other) noexcept : m_value(other.m_value) {
  hashgate::secure_clear(other.m_value);
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    hashgate::secure_clear(m_value);
    m_value = other.m_value;
    hashgate::secure_clear(other.m_value);
  }
  return *this;
}

Secret::~Secret() { hashgate::secure_clear(m_value); }

bool Destination::wants(std::string_view type) const {
  return events.empty() || std::find(events.begin(), events.end(), type) != events.end();
}

std::optional<std::string> system_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

const std::set<std::string, std::less<>>& known_event_types() {
  static const std::set<std::string, std::less<>> s{
      "purchase", "login", "lead", "page_view", "custom", "add_to_cart", "sign_up"};
  return s;
}

std::vector<Destination> parse_destinations(const json& value, const std::string& where,
                                            const std::string& tenant,
                                            std::set<std::string>& seen_ids, const EnvLookup& env) {
  if (!value.is_array()) fail(where, "must be an array of destinations");
  if (value.size() > 16) fail(where, "at most 16 destinations per tenant");
  std::vector<Destination> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string w = where + "[" + std::to_string(i) + "]";
    Destination d = parse_one(value[i], w, tenant, env);
    if (!seen_ids.insert(d.id).second)
      fail(join(w, "id"), "duplicate destination id (ids are unique across tenants)");
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace hashgate::gw::deliver
