// Destination config: the three kinds, defaults, secrets from the environment, and every error
// naming its key without echoing a secret.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/config/config.hpp"
#include "gateway/deliver/destination.hpp"
#include "tests/deliver/test_util.hpp"

namespace hashgate::gw::deliver {
namespace {

using nlohmann::json;
using test::env_of;

const char* k_secret = "whsec_0123456789abcdef0123";
const char* k_token = "EAAG-meta-token-value";

EnvLookup env() {
  return env_of({{"HOOK_SECRET", k_secret},
                 {"META_TOKEN", k_token},
                 {"GOOGLE_TOKEN", "ya29.tok"},
                 {"G_CLIENT_SECRET", "gcs-client-secret"},
                 {"G_REFRESH", "1//refresh-token"},
                 {"EMPTY", ""},
                 {"SHORT", "short"}});
}

json webhook() {
  return {{"id", "crm"},
          {"kind", "webhook"},
          {"url", "https://hooks.example.com/hg?x=1"},
          {"secret_env", "HOOK_SECRET"}};
}
json meta() {
  return {{"id", "fb"},
          {"kind", "meta_capi"},
          {"pixel_id", "1234567890"},
          {"audience_id", "987"},
          {"access_token_env", "META_TOKEN"},
          {"tcf_vendor_id", 89}};
}
json google() {
  return {{"id", "gads"},
          {"kind", "google_dm"},
          {"access_token_env", "GOOGLE_TOKEN"},
          {"operating_account_id", "1234567890"},
          {"conversion_action_id", "555"},
          {"user_list_id", "777"},
          {"tcf_vendor_id", 755}};
}

/// google() with refresh-token credentials instead of an access token.
json google_oauth() {
  json g = google();
  g.erase("access_token_env");
  g["oauth"] = {{"client_id", "123-abc.apps.googleusercontent.com"},
                {"client_secret_env", "G_CLIENT_SECRET"},
                {"refresh_token_env", "G_REFRESH"}};
  return g;
}

std::vector<Destination> parse(const json& arr) {
  std::set<std::string> seen;
  return parse_destinations(arr, "tenants[0].destinations", "shop", seen, env());
}

/// The message of the ConfigError that parsing `arr` throws ("" if none).
std::string error_of(const json& arr) {
  try {
    parse(arr);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(DeliverConfig, ParsesTheThreeKindsWithDefaults) {
  auto ds = parse(json::array({webhook(), meta(), google()}));
  ASSERT_EQ(ds.size(), 3u);
  const auto& w = ds[0];
  EXPECT_EQ(w.tenant, "shop");
  EXPECT_EQ(w.kind, Kind::webhook);
  EXPECT_TRUE(w.url.tls);
  EXPECT_EQ(w.url.host, "hooks.example.com");
  EXPECT_EQ(w.url.port, 443);
  EXPECT_EQ(w.url.target, "/hg?x=1");
  EXPECT_EQ(w.secret.view(), k_secret);
  EXPECT_EQ(w.secret_env, "HOOK_SECRET");
  EXPECT_EQ(w.max_age_hours, 168);
  EXPECT_EQ(w.batch_events, 500u);
  EXPECT_EQ(w.tcf_vendor_id, 0);
  EXPECT_TRUE(w.wants("purchase"));
  EXPECT_TRUE(w.wants("page_view"));

  const auto& m = ds[1];
  EXPECT_EQ(m.kind, Kind::meta_capi);
  EXPECT_EQ(m.url.str(), "https://graph.facebook.com/v21.0");
  EXPECT_EQ(m.meta.pixel_id, "1234567890");
  EXPECT_EQ(m.meta.audience_id, "987");
  EXPECT_EQ(m.secret.view(), k_token);
  EXPECT_EQ(m.tcf_vendor_id, 89);

  const auto& g = ds[2];
  EXPECT_EQ(g.kind, Kind::google_dm);
  EXPECT_EQ(g.url.str(), "https://datamanager.googleapis.com/v1");
  EXPECT_EQ(g.google.operating_account_type, GoogleAccountType::google_ads);
  EXPECT_EQ(g.google.operating_account_id, "1234567890");
  EXPECT_FALSE(g.google.login_account_type.has_value());
  EXPECT_EQ(g.google.conversion_action_id, "555");
  EXPECT_EQ(g.google.user_list_id, "777");
}

TEST(DeliverConfig, EventsFilterAndLimits) {
  json w = webhook();
  w["events"] = {"purchase", "lead"};
  w["max_age_hours"] = 24;
  w["batch_events"] = 50;
  w["timeout_ms"] = 2500;
  auto d = parse(json::array({w})).front();
  EXPECT_TRUE(d.wants("purchase"));
  EXPECT_TRUE(d.wants("lead"));
  EXPECT_FALSE(d.wants("page_view"));
  EXPECT_EQ(d.max_age_hours, 24);
  EXPECT_EQ(d.batch_events, 50u);
  EXPECT_EQ(d.timeout_ms, 2500);
}

TEST(DeliverConfig, MissingEnvironmentVariableNamesTheKey) {
  json w = webhook();
  w["secret_env"] = "NOT_SET_ANYWHERE";
  EXPECT_EQ(error_of(json::array({w})),
            "config: tenants[0].destinations[0].secret_env: environment variable NOT_SET_ANYWHERE "
            "is not set");
  json m = meta();
  m["access_token_env"] = "EMPTY";
  EXPECT_EQ(error_of(json::array({m})),
            "config: tenants[0].destinations[0].access_token_env: environment variable EMPTY is "
            "empty");
}

TEST(DeliverConfig, ErrorsNeverEchoASecret) {
  json w = webhook();
  w["secret_env"] = "SHORT";
  const auto e = error_of(json::array({w}));
  EXPECT_NE(e.find("secret_env"), std::string::npos) << e;
  EXPECT_NE(e.find("at least 16 bytes"), std::string::npos) << e;
  EXPECT_EQ(e.find("short"), std::string::npos) << e;  // the value "short" is not in it
  // A secret put in the config file itself is refused by key, and its value is not repeated.
  json bad = webhook();
  bad["secret"] = k_secret;
  const auto e2 = error_of(json::array({bad}));
  EXPECT_EQ(e2, "config: tenants[0].destinations[0].secret: unknown key");
  EXPECT_EQ(e2.find(k_secret), std::string::npos);
}

json with_key(json base, const char* k, json v) {
  base[k] = std::move(v);
  return base;
}

struct BadCase {
  const char* name;
  json value;
  const char* key;  // the key the message must name, "config: <key>: ..."
};

std::vector<BadCase> bad_cases() {
  auto with = [](json base, const char* k, json v) {
    return with_key(std::move(base), k, std::move(v));
  };
  auto without = [](json base, const char* k) {
    base.erase(k);
    return base;
  };
  return {
      {"not_array", json::object(), "tenants[0].destinations"},
      {"entry_not_object", json::array({"x"}), "tenants[0].destinations[0]"},
      {"no_kind", json::array({without(webhook(), "kind")}), "tenants[0].destinations[0].kind"},
      {"bad_kind", json::array({with(webhook(), "kind", "kafka")}),
       "tenants[0].destinations[0].kind"},
      {"kind_not_string", json::array({with(webhook(), "kind", 3)}),
       "tenants[0].destinations[0].kind"},
      {"no_id", json::array({without(webhook(), "id")}), "tenants[0].destinations[0].id"},
      {"bad_id", json::array({with(webhook(), "id", "a b")}), "tenants[0].destinations[0].id"},
      {"long_id", json::array({with(webhook(), "id", std::string(65, 'a'))}),
       "tenants[0].destinations[0].id"},
      {"dup_id", json::array({webhook(), webhook()}), "tenants[0].destinations[1].id"},
      {"webhook_no_url", json::array({without(webhook(), "url")}),
       "tenants[0].destinations[0].url"},
      {"url_scheme", json::array({with(webhook(), "url", "ftp://x.example")}),
       "tenants[0].destinations[0].url"},
      {"url_userinfo", json::array({with(webhook(), "url", "https://user:pw@x.example/")}),
       "tenants[0].destinations[0].url"},
      {"url_fragment", json::array({with(webhook(), "url", "https://x.example/a#b")}),
       "tenants[0].destinations[0].url"},
      {"url_port", json::array({with(webhook(), "url", "https://x.example:99999/")}),
       "tenants[0].destinations[0].url"},
      {"url_empty_port", json::array({with(webhook(), "url", "https://x.example:/")}),
       "tenants[0].destinations[0].url"},
      {"url_no_host", json::array({with(webhook(), "url", "https:///path")}),
       "tenants[0].destinations[0].url"},
      {"url_space", json::array({with(webhook(), "url", "https://x.example/a b")}),
       "tenants[0].destinations[0].url"},
      {"url_huge",
       json::array({with(webhook(), "url", "https://x.example/" + std::string(3000, 'a'))}),
       "tenants[0].destinations[0].url"},
      {"events_not_array", json::array({with(webhook(), "events", "purchase")}),
       "tenants[0].destinations[0].events"},
      {"events_empty", json::array({with(webhook(), "events", json::array())}),
       "tenants[0].destinations[0].events"},
      {"events_unknown", json::array({with(webhook(), "events", {"purchase", "refund"})}),
       "tenants[0].destinations[0].events[1]"},
      {"events_repeat", json::array({with(webhook(), "events", {"lead", "lead"})}),
       "tenants[0].destinations[0].events[1]"},
      {"events_number", json::array({with(webhook(), "events", {1})}),
       "tenants[0].destinations[0].events[0]"},
      {"vendor_range", json::array({with(webhook(), "tcf_vendor_id", 70000)}),
       "tenants[0].destinations[0].tcf_vendor_id"},
      {"vendor_type", json::array({with(webhook(), "tcf_vendor_id", "755")}),
       "tenants[0].destinations[0].tcf_vendor_id"},
      {"max_age_zero", json::array({with(webhook(), "max_age_hours", 0)}),
       "tenants[0].destinations[0].max_age_hours"},
      {"max_age_float", json::array({with(webhook(), "max_age_hours", 1.5)}),
       "tenants[0].destinations[0].max_age_hours"},
      {"batch_too_big", json::array({with(meta(), "batch_events", 1001)}),
       "tenants[0].destinations[0].batch_events"},
      {"timeout_small", json::array({with(webhook(), "timeout_ms", 5)}),
       "tenants[0].destinations[0].timeout_ms"},
      {"webhook_token_key", json::array({with(webhook(), "access_token_env", "META_TOKEN")}),
       "tenants[0].destinations[0].access_token_env"},
      {"meta_secret_key", json::array({with(meta(), "secret_env", "HOOK_SECRET")}),
       "tenants[0].destinations[0].secret_env"},
      {"no_secret_env", json::array({without(webhook(), "secret_env")}),
       "tenants[0].destinations[0].secret_env"},
      {"env_name_bad", json::array({with(webhook(), "secret_env", "1BAD")}),
       "tenants[0].destinations[0].secret_env"},
      {"meta_no_pixel", json::array({without(meta(), "pixel_id")}),
       "tenants[0].destinations[0].pixel_id"},
      {"meta_pixel_letters", json::array({with(meta(), "pixel_id", "12ab")}),
       "tenants[0].destinations[0].pixel_id"},
      {"meta_no_audience", json::array({without(meta(), "audience_id")}),
       "tenants[0].destinations[0].audience_id"},
      {"meta_test_code", json::array({with(meta(), "test_event_code", "a b")}),
       "tenants[0].destinations[0].test_event_code"},
      {"google_no_account", json::array({without(google(), "operating_account_id")}),
       "tenants[0].destinations[0].operating_account_id"},
      {"google_account_type", json::array({with(google(), "operating_account_type", "YOUTUBE")}),
       "tenants[0].destinations[0].operating_account_type"},
      {"google_login_half", json::array({with(google(), "login_account_id", "42")}),
       "tenants[0].destinations[0].login_account_id"},
      {"google_no_list", json::array({without(google(), "user_list_id")}),
       "tenants[0].destinations[0].user_list_id"},
      {"google_meta_key", json::array({with(google(), "pixel_id", "1")}),
       "tenants[0].destinations[0].pixel_id"},
      {"too_many", json(std::vector<json>(17, webhook())), "tenants[0].destinations"},
      {"oauth_and_token", json::array({with(google_oauth(), "access_token_env", "GOOGLE_TOKEN")}),
       "tenants[0].destinations[0].oauth"},
      {"oauth_on_meta", json::array({with(meta(), "oauth", google_oauth()["oauth"])}),
       "tenants[0].destinations[0].oauth"},
      {"oauth_not_object", json::array({with(google_oauth(), "oauth", "x")}),
       "tenants[0].destinations[0].oauth"},
      {"oauth_unknown_key",
       json::array({with(google_oauth(), "oauth",
                         with(google_oauth()["oauth"], "client_secret", "inline"))}),
       "tenants[0].destinations[0].oauth.client_secret"},
      {"oauth_no_client",
       json::array({with(google_oauth(), "oauth", without(google_oauth()["oauth"], "client_id"))}),
       "tenants[0].destinations[0].oauth.client_id"},
      {"oauth_client_space",
       json::array(
           {with(google_oauth(), "oauth", with(google_oauth()["oauth"], "client_id", "a b"))}),
       "tenants[0].destinations[0].oauth.client_id"},
      {"oauth_refresh_unset",
       json::array({with(google_oauth(), "oauth",
                         with(google_oauth()["oauth"], "refresh_token_env", "NOT_SET"))}),
       "tenants[0].destinations[0].oauth.refresh_token_env"},
      {"oauth_token_url",
       json::array({with(google_oauth(), "oauth",
                         with(google_oauth()["oauth"], "token_url", "ftp://x/token"))}),
       "tenants[0].destinations[0].oauth.token_url"},
      {"ca_file_missing", json::array({with(webhook(), "ca_file", "/nonexistent/ca.pem")}),
       "tenants[0].destinations[0].ca_file"},
  };
}

TEST(DeliverConfig, EveryBadValueIsRefusedNamingItsKey) {
  for (const auto& c : bad_cases()) {
    SCOPED_TRACE(c.name);
    const std::string e = error_of(c.value);
    ASSERT_FALSE(e.empty()) << "accepted";
    EXPECT_EQ(e.rfind(std::string("config: ") + c.key + ": ", 0), 0u) << e;
    EXPECT_EQ(e.find(k_secret), std::string::npos);
    EXPECT_EQ(e.find(k_token), std::string::npos);
  }
}

TEST(DeliverConfig, GoogleRefreshTokenCredentials) {
  const auto ds = parse(json::array({google_oauth()}));
  ASSERT_EQ(ds.size(), 1u);
  ASSERT_TRUE(ds[0].oauth.has_value());
  EXPECT_TRUE(ds[0].secret.empty());
  EXPECT_EQ(ds[0].oauth->client_id, "123-abc.apps.googleusercontent.com");
  EXPECT_EQ(ds[0].oauth->client_secret.view(), "gcs-client-secret");
  EXPECT_EQ(ds[0].oauth->refresh_token.view(), "1//refresh-token");
  EXPECT_EQ(ds[0].oauth->token_url.host, "oauth2.googleapis.com");
  EXPECT_EQ(ds[0].oauth->token_url.target, "/token");
  EXPECT_TRUE(ds[0].oauth->token_url.tls);
  EXPECT_FALSE(parse(json::array({google()}))[0].oauth.has_value());
}

TEST(DeliverConfig, IdsAreUniqueAcrossTenants) {
  std::set<std::string> seen;
  parse_destinations(json::array({webhook()}), "tenants[0].destinations", "a", seen, env());
  try {
    parse_destinations(json::array({webhook()}), "tenants[1].destinations", "b", seen, env());
    FAIL() << "a second tenant reused the id";
  } catch (const config::ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "config: tenants[1].destinations[0].id: duplicate destination id (ids are unique "
                 "across tenants)");
  }
}

TEST(DeliverConfig, HostileShapesAreRefusedCleanly) {
  // Deep nesting, huge arrays and odd types: refused with a message, never a crash.
  json deep = json::array();
  json* p = &deep;
  for (int i = 0; i < 200; ++i) {
    p->push_back(json::array());
    p = &(*p)[0];
  }
  EXPECT_FALSE(error_of(json::array({with_key(webhook(), "events", deep)})).empty());
  EXPECT_FALSE(error_of(json::array({with_key(webhook(), "events",
                                              json(std::vector<std::string>(100000, "lead")))}))
                   .empty());
  EXPECT_FALSE(error_of(json::array({with_key(webhook(), "url", json::object())})).empty());
  EXPECT_FALSE(error_of(json::array({with_key(webhook(), "id", nullptr)})).empty());
  EXPECT_FALSE(
      error_of(json::array({with_key(webhook(), "url", std::string("https://x.example/\x01"))}))
          .empty());
}

TEST(DeliverConfig, SecretsAreZeroedWhenMovedOrReplaced) {
  Secret a(std::string("0123456789abcdef-secret"));
  Secret b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from secret is cleared
  EXPECT_EQ(b.view(), "0123456789abcdef-secret");
  Secret c;
  c = b;
  EXPECT_EQ(c.view(), b.view());
  c = Secret(std::string("other"));
  EXPECT_EQ(c.view(), "other");
}

TEST(DeliverConfig, KindSpelling) {
  Kind k{};
  for (Kind want : {Kind::webhook, Kind::meta_capi, Kind::google_dm}) {
    ASSERT_TRUE(parse_kind(to_string(want), k));
    EXPECT_EQ(k, want);
  }
  EXPECT_FALSE(parse_kind("Webhook", k));
  EXPECT_FALSE(parse_kind("", k));
}

}  // namespace
}  // namespace hashgate::gw::deliver
