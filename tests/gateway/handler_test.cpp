// Unit tests of the pure request handler (gateway/api) against the in-memory Store double.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "gateway/api/gateway.hpp"
#include "mem_store.hpp"

using hashgate::gw::api::Gateway;
using hashgate::gw::api::Metrics;
using hashgate::gw::api::Request;
using hashgate::gw::api::Response;
using hashgate::gw::test::MemStore;
using nlohmann::json;

namespace {

constexpr std::int64_t k_now = 1764374400;
// printf %s test@example.com | sha256sum ; API key "sk_test": printf %s sk_test | sha256sum
const std::string k_em = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
const std::string k_em_b64 = "lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=";
const std::string k_origin = "https://shop.example";

class GatewayHandler : public ::testing::Test {
 protected:
  void SetUp() override { make(""); }

  void make(const std::string& tenant_extra) {
    std::string cfg =
        R"({"listen":{"port":8080},"static":{"sdk_root":"/nonexistent","demo_root":"/nonexistent"},"tenants":[{"id":"t1","site_keys":[{"key":"pk_1","allowed_origins":["self","https://shop.example"]}],"api_key_sha256":"12b2820cf1639904311da5771de1e5bb65c77073fdc7c555df395942df42896b","set_uid_cookie":true)" +
        tenant_extra +
        R"(},{"id":"t2","site_keys":[{"key":"pk_2","allowed_origins":["https://other.example"]}]}]})";
    gw.reset();
    gw.emplace(hashgate::gw::config::parse_config(cfg), store, metrics, [this] { return now; });
  }

  Response call(Request r) {
    std::optional<Response> out;
    gw->handle(std::move(r), [&](Response x) { out = std::move(x); });
    EXPECT_TRUE(out.has_value());
    return out.value_or(Response{});
  }

  Request api_post(const std::string& path, const std::string& body) {
    Request r;
    r.method = "POST";
    r.target = path;
    r.headers = {{"authorization", "Bearer sk_test"},
                 {"content-type", "application/json"},
                 {"host", "127.0.0.1:8080"}};
    r.body = body;
    return r;
  }

  Request site_post(const std::string& body, const std::string& origin = k_origin) {
    Request r;
    r.method = "POST";
    r.target = "/v1/events?site_key=pk_1";
    r.headers = {
        {"origin", origin}, {"content-type", "text/plain;charset=UTF-8"}, {"host", "gw.example"}};
    r.body = body;
    return r;
  }

  static std::string event(const std::string& id, const std::string& extra = "") {
    return R"({"event_id":")" + id + R"(","type":"purchase","time":)" + std::to_string(k_now) +
           R"(,"ids":{"em":")" + k_em + "\"}" + extra + "}";
  }
  static std::string batch(std::initializer_list<std::string> evs) {
    std::string s = R"({"events":[)";
    bool first = true;
    for (const auto& e : evs) {
      if (!first) s += ",";
      s += e;
      first = false;
    }
    return s + "]}";
  }
  static std::string header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }
  static std::vector<std::string> headers(const Response& r, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& [k, v] : r.headers)
      if (k == name) out.push_back(v);
    return out;
  }

  MemStore store;
  Metrics metrics;
  std::int64_t now = k_now;
  std::optional<Gateway> gw;
};

}  // namespace

TEST_F(GatewayHandler, GatewayAcceptsHashedEventsWithApiKey) {
  auto r = call(api_post("/v1/events", batch({event("e1"), event("e2")})));
  EXPECT_EQ(r.status, 202);
  auto j = json::parse(r.body);
  EXPECT_EQ(j["accepted"], 2);
  ASSERT_EQ(store.stored.size(), 2u);
  EXPECT_EQ(store.stored[0].ids[0].second, k_em);
  EXPECT_EQ(store.stored[0].tenant, "t1");
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "");
}

TEST_F(GatewayHandler, GatewayCanonicalisesUpperHexAndBase64) {
  std::string upper = k_em;
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  std::string body = R"({"events":[{"event_id":"a","type":"login","time":)" +
                     std::to_string(k_now) + R"(,"ids":{"em":")" + upper + R"(","ph":")" +
                     k_em_b64 + R"("}}]})";
  auto r = call(api_post("/v1/events", body));
  EXPECT_EQ(r.status, 202);
  ASSERT_EQ(store.stored.size(), 1u);
  EXPECT_EQ(store.stored[0].ids[0].second, k_em);
  EXPECT_EQ(store.stored[0].ids[1].second, k_em);
}

TEST_F(GatewayHandler, GatewayRejectsRawPiiPerEventWithPathOnly) {
  auto r = call(api_post(
      "/v1/events",
      batch(
          {event("ok"), event("bad", R"(,"custom":{"note":"call +31 6 1234 5678"})"),
           R"({"event_id":"x","type":"purchase","time":1764374400,"ids":{"em":"john.doe@example.com"}})"})));
  EXPECT_EQ(r.status, 202);
  auto j = json::parse(r.body);
  EXPECT_EQ(j["accepted"], 1);
  ASSERT_EQ(j["rejected"].size(), 2u);
  EXPECT_EQ(j["rejected"][0]["index"], 1);
  EXPECT_EQ(j["rejected"][0]["code"], "raw_pii");
  EXPECT_EQ(j["rejected"][0]["path"], "/events/1/custom/note");
  EXPECT_EQ(j["rejected"][1]["path"], "/events/2/ids/em");
  EXPECT_EQ(r.body.find("john.doe"), std::string::npos);
  EXPECT_EQ(r.body.find("1234"), std::string::npos);
}

TEST_F(GatewayHandler, GatewayAllRejectedIs422) {
  auto r = call(
      api_post("/v1/events",
               batch({event("a", R"(,"custom":{"u":"https://x.example/?email=jo%40x.com"})")})));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(json::parse(r.body)["rejected"][0]["code"], "raw_pii");
  EXPECT_TRUE(store.stored.empty());
}

TEST_F(GatewayHandler, GatewayPiiInKeysIsFoundAndNotEchoed) {
  auto r = call(api_post("/v1/events", batch({event("a", R"(,"custom":{"jane@example.com":1})")})));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body.find("jane"), std::string::npos);
  EXPECT_EQ(json::parse(r.body)["rejected"][0]["path"], "/events/0/custom/<key>");
}

TEST_F(GatewayHandler, GatewayPiiPathsNameArrayIndexesAndOddKeys) {
  // The JSON pointer of a finding is built from the walk: array indexes as numbers, keys that are
  // not plain names as "<key>", and a digest-looking value outside "ids" is still scanned.
  struct Case {
    std::string extra, path;
  } cases[] = {
      {R"(,"custom":{"items":[{"sku":"a1"},{"note":"mail john@example.com"}]})",
       "/events/0/custom/items/1/note"},
      {R"(,"custom":{"a b":{"x":[1,[2,"+31 6 12345678"]]}})", "/events/0/custom/<key>/x/1/1"},
      {R"(,"custom":{"ids":{"em":"tel 0612345678"}})", "/events/0/custom/ids/em"},
      {R"(,"custom":{"n":31612345678})", "/events/0/custom/n"},
  };
  for (const auto& c : cases) {
    auto r = call(api_post("/v1/events", batch({event("a", c.extra)})));
    EXPECT_EQ(r.status, 422) << c.path;
    EXPECT_EQ(json::parse(r.body)["rejected"][0]["path"], c.path);
  }
  EXPECT_TRUE(store.stored.empty());
}

TEST_F(GatewayHandler, GatewayValidatesFields) {
  struct Case {
    std::string ev, code, path;
  };
  std::string t = std::to_string(k_now);
  std::vector<Case> cases = {
      {R"({"type":"purchase","ids":{"em":")" + k_em + "\"}}", "missing_field",
       "/events/0/event_id"},
      {R"({"event_id":"a b","type":"purchase","ids":{"em":")" + k_em + "\"}}", "invalid_event_id",
       "/events/0/event_id"},
      {R"({"event_id":"a","type":"refund","ids":{"em":")" + k_em + "\"}}", "invalid_type",
       "/events/0/type"},
      {R"({"event_id":"a","type":"purchase","time":)" + std::to_string(k_now + 301) +
           R"(,"ids":{"em":")" + k_em + "\"}}",
       "invalid_time", "/events/0/time"},
      {R"({"event_id":"a","type":"purchase","time":)" + std::to_string(k_now - 7 * 86400 - 1) +
           R"(,"ids":{"em":")" + k_em + "\"}}",
       "invalid_time", "/events/0/time"},
      {R"({"event_id":"a","type":"purchase","time":"now","ids":{"em":")" + k_em + "\"}}",
       "invalid_time", "/events/0/time"},
      {R"({"event_id":"a","type":"purchase","ids":{"em":"abc"}})", "invalid_hash",
       "/events/0/ids/em"},
      {R"({"event_id":"a","type":"purchase","ids":{"nick":")" + k_em + "\"}}", "unknown_field",
       "/events/0/ids/nick"},
      {R"({"event_id":"a","type":"purchase","ids":{"em_md5":")" + k_em + "\"}}", "invalid_hash",
       "/events/0/ids/em_md5"},
      {R"({"event_id":"a","type":"purchase","online_ids":{"fbp":"has space"}})",
       "invalid_online_id", "/events/0/online_ids/fbp"},
      {R"({"event_id":"a","type":"purchase","online_ids":{"fbp":")" + std::string(201, 'a') +
           "\"}}",
       "invalid_online_id", "/events/0/online_ids/fbp"},
      {R"({"event_id":"a","type":"purchase"})", "missing_field", "/events/0/ids"},
      {R"({"event_id":"a","type":"purchase","ids":{"em":")" + k_em +
           R"("},"custom":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}})",
       "too_deep", "/events/0/custom"},
      {R"({"event_id":"a","type":"purchase","ids":{"em":")" + k_em + R"("},"extra":1})",
       "unknown_field", "/events/0/extra"},
      {R"("just a string")", "invalid_event", "/events/0"},
  };
  for (const auto& c : cases) {
    auto r = call(api_post("/v1/events", R"({"events":[)" + c.ev + "]}"));
    EXPECT_EQ(r.status, 422) << c.code;
    auto j = json::parse(r.body);
    ASSERT_EQ(j["rejected"].size(), 1u) << c.code;
    EXPECT_EQ(j["rejected"][0]["code"], c.code) << c.path;
    EXPECT_EQ(j["rejected"][0]["path"], c.path) << c.code;
  }
  EXPECT_TRUE(store.stored.empty());
}

TEST_F(GatewayHandler, GatewayCustomDepthEightIsAccepted) {
  auto r = call(api_post(
      "/v1/events",
      batch({event("a", R"(,"custom":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}})")})));
  EXPECT_EQ(r.status, 202);
}

TEST_F(GatewayHandler, GatewayWholeRequestErrors) {
  EXPECT_EQ(call(api_post("/v1/events", "{not json")).status, 400);
  EXPECT_EQ(call(api_post("/v1/events", "{\"events\":[\"\xC0\xAF\"]}")).status, 400);
  EXPECT_EQ(call(api_post("/v1/events", "[]")).status, 400);
  EXPECT_EQ(call(api_post("/v1/events", "{\"evts\":[]}")).status, 400);
  EXPECT_EQ(call(api_post("/v1/events", std::string(100, '[') + std::string(100, ']'))).status,
            400);
  std::string many = R"({"events":[)";
  for (int i = 0; i < 501; ++i) many += (i ? "," : "") + event("e" + std::to_string(i));
  EXPECT_EQ(call(api_post("/v1/events", many + "]}")).status, 413);
  auto r = api_post("/v1/events", batch({event("a")}));
  r.headers[1].second = "application/x-www-form-urlencoded";
  EXPECT_EQ(call(r).status, 415);
  auto g = api_post("/v1/events", "");
  g.method = "GET";
  EXPECT_EQ(call(g).status, 405);
  EXPECT_EQ(call(api_post("/v1/nothing", "")).status, 404);
}

// A body that fails to parse is named by its first problem in a fixed order: ill-formed UTF-8
// anywhere, then nesting deeper than limits.json_depth, then the JSON grammar, wherever each
// occurs in the body. (The parser finds them in text order; the answer must not depend on it.)
TEST_F(GatewayHandler, GatewayBodyErrorsFollowAFixedPrecedence) {
  auto code = [&](const std::string& body) {
    const Response r = call(api_post("/v1/events", body));
    EXPECT_EQ(r.status, 400);
    return json::parse(r.body).value("error", "");
  };
  const std::string deep = std::string(30, '[') + std::string(30, ']');  // json_depth is 24
  const std::string bad_utf8 = "\xC0\xAF";
  EXPECT_EQ(code("{not json"), "bad_json");
  EXPECT_EQ(code("{not json " + bad_utf8), "invalid_utf8");
  EXPECT_EQ(code("{\"events\":[\"" + bad_utf8 + "\"]}"), "invalid_utf8");
  EXPECT_EQ(code(deep), "too_deep");
  EXPECT_EQ(code("{not json " + deep), "too_deep");
  EXPECT_EQ(code(deep + bad_utf8), "invalid_utf8");
  EXPECT_EQ(code("{\"a\":" + bad_utf8 + deep), "invalid_utf8");
  EXPECT_EQ(code(std::string(24, '[') + std::string(24, ']') + "x"), "bad_json");
  EXPECT_EQ(code(std::string(24, '[') + std::string(23, ']')), "bad_json");
  EXPECT_EQ(code(std::string(24, '[') + std::string(24, ']')), "bad_request");  // parses: depth 24
  EXPECT_EQ(code("\"" + std::string(25, '[') + "\""), "bad_request");  // brackets in a string
}

TEST_F(GatewayHandler, GatewayKeysAndOrigins) {
  auto r = api_post("/v1/events", batch({event("a")}));
  r.headers[0].second = "Bearer sk_wrong";
  EXPECT_EQ(call(r).status, 401);
  r.headers[0].second = "Basic abc";
  EXPECT_EQ(call(r).status, 401);
  r.headers.erase(r.headers.begin());
  EXPECT_EQ(call(r).status, 401);  // no key at all
  EXPECT_EQ(call(site_post(batch({event("a")}), "https://evil.example")).status, 403);
  auto no_origin = site_post(batch({event("a")}));
  no_origin.headers.erase(no_origin.headers.begin());
  EXPECT_EQ(call(no_origin).status, 403);
  auto other = site_post(batch({event("a")}), "https://other.example");  // allowed for pk_2 only
  EXPECT_EQ(call(other).status, 403);
  auto unknown = site_post(batch({event("a")}));
  unknown.target = "/v1/events?site_key=pk_nope";
  EXPECT_EQ(call(unknown).status, 401);
  auto self = site_post(batch({event("a")}), "http://localhost:8080");
  EXPECT_EQ(call(self).status, 202);
  auto ok = call(site_post(batch({event("b")})));
  EXPECT_EQ(ok.status, 202);
  EXPECT_EQ(header(ok, "Access-Control-Allow-Origin"), k_origin);
  EXPECT_EQ(header(ok, "Access-Control-Allow-Credentials"), "true");
}

TEST_F(GatewayHandler, GatewayPreflight) {
  Request p;
  p.method = "OPTIONS";
  p.target = "/v1/events?site_key=pk_1";
  p.headers = {{"origin", k_origin},
               {"access-control-request-method", "POST"},
               {"access-control-request-headers", "content-type"}};
  auto r = call(p);
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), k_origin);
  EXPECT_EQ(header(r, "Access-Control-Allow-Credentials"), "true");
  EXPECT_NE(header(r, "Access-Control-Allow-Methods").find("POST"), std::string::npos);
  p.headers[0].second = "https://evil.example";
  auto bad = call(p);
  EXPECT_EQ(bad.status, 403);
  EXPECT_EQ(header(bad, "Access-Control-Allow-Origin"), "");
  p.headers[0].second = "null";
  EXPECT_EQ(call(p).status, 403);
}

TEST_F(GatewayHandler, GatewayOptOutCookieAndGpcDropBeforeValidation) {
  auto r = site_post(batch({event("a"), event("b")}));
  r.headers.emplace_back("cookie", "x=1; hg_optout=1");
  auto res = call(r);
  EXPECT_EQ(res.status, 202);
  auto j = json::parse(res.body);
  EXPECT_EQ(j["accepted"], 0);
  EXPECT_EQ(j["dropped"]["opted_out"], 2);
  EXPECT_TRUE(headers(res, "Set-Cookie").empty() ||
              headers(res, "Set-Cookie")[0].find("hg_uid=;") == 0);
  auto g = site_post(batch({event("c")}));
  g.headers.emplace_back("sec-gpc", "1");
  auto gr = call(g);
  EXPECT_EQ(json::parse(gr.body)["dropped"]["gpc"], 1);
  EXPECT_TRUE(headers(gr, "Set-Cookie").empty());
  EXPECT_TRUE(store.stored.empty());
  EXPECT_NE(metrics.render(0, true).find("hashgate_events_dropped_total{reason=\"gpc\"} 1"),
            std::string::npos);
}

TEST_F(GatewayHandler, GatewayGpcCanBeSwitchedOffPerTenant) {
  make(R"(,"gpc":false)");
  auto g = site_post(batch({event("c")}));
  g.headers.emplace_back("sec-gpc", "1");
  EXPECT_EQ(json::parse(call(g).body)["accepted"], 1);
}

TEST_F(GatewayHandler, GatewaySetsUidCookieOnlyWhenAllowed) {
  auto res = call(site_post(batch({event("a")})));
  auto cookies = headers(res, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_EQ(cookies[0].rfind("hg_uid=", 0), 0u);
  EXPECT_NE(cookies[0].find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookies[0].find("Secure"), std::string::npos);  // host gw.example is not localhost
  EXPECT_NE(cookies[0].find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(cookies[0].find("Max-Age=34128000"), std::string::npos);
  std::string uid = cookies[0].substr(7, 32);
  EXPECT_EQ(store.stored[0].uid, uid);
  // API-key requests never get a cookie.
  EXPECT_TRUE(headers(call(api_post("/v1/events", batch({event("b")}))), "Set-Cookie").empty());
  // Tenant without set_uid_cookie.
  make(R"(,"set_uid_cookie":false)");
  EXPECT_TRUE(headers(call(site_post(batch({event("c")}))), "Set-Cookie").empty());
}

TEST_F(GatewayHandler, GatewayOptOutLinkSuppressesUidAndPurges) {
  const std::string uid = "0123456789abcdef0123456789abcdef";
  auto r = site_post(batch({event("a")}));
  r.headers.emplace_back("cookie", "hg_uid=" + uid);
  EXPECT_EQ(call(r).status, 202);
  ASSERT_EQ(store.stored.size(), 1u);
  Request g;
  g.method = "GET";
  g.target = "/v1/optout";
  g.headers = {{"cookie", "hg_uid=" + uid}, {"host", "localhost:8080"}, {"accept", "text/html"}};
  auto res = call(g);
  EXPECT_EQ(res.status, 200);
  EXPECT_NE(header(res, "Content-Type").find("text/html"), std::string::npos);
  auto cookies = headers(res, "Set-Cookie");
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_EQ(cookies[0].rfind("hg_optout=1; Max-Age=34560000; Path=/", 0), 0u);
  EXPECT_EQ(cookies[0].find("Secure"), std::string::npos);  // plain-HTTP localhost
  EXPECT_EQ(cookies[1].rfind("hg_uid=; Max-Age=0", 0), 0u);
  EXPECT_TRUE(store.stored.empty());
  EXPECT_TRUE(store.is_suppressed("t1", uid));
  EXPECT_TRUE(store.is_suppressed("t2", uid));
  // A later event with the same hg_uid (cookie cleared by a buggy client) is dropped.
  auto again = site_post(batch({event("b")}));
  again.headers.emplace_back("cookie", "hg_uid=" + uid);
  EXPECT_EQ(json::parse(call(again).body)["dropped"]["suppressed"], 1);
  g.headers[2].second = "application/json";
  auto js = call(g);
  EXPECT_EQ(json::parse(js.body)["opted_out"], true);
}

TEST_F(GatewayHandler, GatewayApiOptOutOptInAndStatus) {
  EXPECT_EQ(call(api_post("/v1/events", batch({event("a")}))).status, 202);
  auto r = call(api_post("/v1/optout", R"({"ids":{"em":")" + k_em_b64 + "\"}}"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["events_purged"], 1);
  EXPECT_TRUE(headers(r, "Set-Cookie").empty());
  EXPECT_TRUE(store.stored.empty());
  auto d = json::parse(call(api_post("/v1/events", batch({event("b")}))).body);
  EXPECT_EQ(d["dropped"]["suppressed"], 1);
  EXPECT_EQ(call(api_post("/v1/optout", R"({"ids":{"em":"john@example.com"}})")).status, 422);
  EXPECT_EQ(call(api_post("/v1/optout", R"({"ids":{"em":"abc"}})")).status, 422);
  EXPECT_EQ(call(api_post("/v1/optout", R"({"nothing":1})")).status, 400);
  EXPECT_EQ(call(api_post("/v1/optin", R"({"ids":{"em":")" + k_em + "\"}}")).status, 200);
  EXPECT_EQ(json::parse(call(api_post("/v1/events", batch({event("c")}))).body)["accepted"], 1);

  Request s;
  s.method = "GET";
  s.target = "/v1/optout/status";
  s.headers = {{"cookie", "hg_optout=1"}, {"origin", k_origin}};
  auto st = call(s);
  auto sj = json::parse(st.body);
  EXPECT_EQ(sj["opted_out"], true);
  EXPECT_EQ(sj["cookie"], true);
  EXPECT_EQ(header(st, "Access-Control-Allow-Origin"), k_origin);
}

TEST_F(GatewayHandler, GatewayBrowserOptInClearsCookie) {
  auto r = site_post("");
  r.target = "/v1/optin?site_key=pk_1";
  auto res = call(r);
  EXPECT_EQ(res.status, 200);
  ASSERT_EQ(headers(res, "Set-Cookie").size(), 1u);
  EXPECT_EQ(headers(res, "Set-Cookie")[0].rfind("hg_optout=; Max-Age=0", 0), 0u);
}

TEST_F(GatewayHandler, GatewayDedupeAndOverloadAndStoreFailure) {
  EXPECT_EQ(json::parse(call(api_post("/v1/events", batch({event("a")}))).body)["accepted"], 1);
  auto d = json::parse(call(api_post("/v1/events", batch({event("a")}))).body);
  EXPECT_EQ(d["dropped"]["duplicate"], 1);
  store.full = true;
  auto o = call(api_post("/v1/events", batch({event("z")})));
  EXPECT_EQ(o.status, 503);
  EXPECT_EQ(header(o, "Retry-After"), "1");
  store.full = false;
  store.fail_next = true;
  EXPECT_EQ(call(api_post("/v1/events", batch({event("y")}))).status, 503);
}

TEST_F(GatewayHandler, GatewayConsentFailsClosedWithoutTcString) {
  auto r = call(api_post("/v1/events", batch({event("a", R"(,"consent":{"gdpr":1})")})));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(json::parse(r.body)["dropped"]["consent"], 1);
  EXPECT_TRUE(store.stored.empty());
  auto q = api_post("/v1/events?gdpr=1", batch({event("b")}));
  EXPECT_EQ(json::parse(call(q).body)["dropped"]["consent"], 1);
  auto z = call(api_post("/v1/events", batch({event("c", R"(,"consent":{"gdpr":0})")})));
  EXPECT_EQ(json::parse(z.body)["accepted"], 1);
}

TEST_F(GatewayHandler, GatewayExportAndAuditNeedApiKey) {
  call(api_post("/v1/events", batch({event("a")})));
  Request e;
  e.method = "GET";
  e.target = "/v1/events/export?since=0&limit=10";
  e.headers = {{"authorization", "Bearer sk_test"}};
  auto r = call(e);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "Content-Type"), "application/x-ndjson");
  EXPECT_EQ(r.body, "{\"event_id\":\"a\"}\n");
  e.target = "/v1/events/export?since=abc";
  EXPECT_EQ(call(e).status, 400);
  e.target = "/v1/events/export?site_key=pk_1";
  e.headers = {{"origin", k_origin}};
  EXPECT_EQ(call(e).status, 401);
  e.target = "/v1/audit?since=0";
  EXPECT_EQ(call(e).status, 401);
  e.headers = {{"authorization", "Bearer sk_test"}};
  store.append_audit({k_now, "t1", "startup", R"({"config_sha256":"x"})"});
  auto a = call(e);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(json::parse(a.body.substr(0, a.body.find('\n')))["action"], "startup");
}

TEST_F(GatewayHandler, GatewayHealthReadyMetrics) {
  Request r;
  r.method = "GET";
  r.target = "/healthz";
  EXPECT_EQ(call(r).status, 200);
  r.target = "/readyz";
  EXPECT_EQ(call(r).status, 200);
  store.is_ready = false;
  EXPECT_EQ(call(r).status, 503);
  r.target = "/metrics";
  auto m = call(r);
  for (const char* name :
       {"hashgate_events_accepted_total", "hashgate_events_dropped_total{reason=\"opted_out\"}",
        "hashgate_events_dropped_total{reason=\"duplicate\"}",
        "hashgate_requests_total{code=\"503\"}",
        "hashgate_store_commit_seconds_bucket{le=\"+Inf\"}", "hashgate_store_commit_seconds_count"})
    EXPECT_NE(m.body.find(name), std::string::npos) << name;
}

TEST_F(GatewayHandler, GatewayRetentionUsesInjectedClock) {
  call(api_post("/v1/events", batch({event("old")})));
  now = k_now + 89 * 86400;
  EXPECT_EQ(gw->run_retention(), 0u);
  now = k_now + 91 * 86400;
  EXPECT_EQ(gw->run_retention(), 1u);
  EXPECT_NE(metrics.render(0, true).find("hashgate_retention_purged_total 1"), std::string::npos);
}

TEST_F(GatewayHandler, GatewaySecurityHeaders) {
  auto r = call(api_post("/v1/events", batch({event("a")})));
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer");
  EXPECT_NE(header(r, "Content-Security-Policy"), "");
  EXPECT_EQ(header(r, "Strict-Transport-Security"), "");
  auto t = api_post("/v1/events", batch({event("b")}));
  t.tls = true;
  EXPECT_NE(header(call(t), "Strict-Transport-Security"), "");
}

TEST_F(GatewayHandler, GatewayAuthSchemeIsCaseInsensitive) {
  // RFC 9110 §11.1: auth-scheme is case-insensitive.
  int n = 0;
  for (const char* scheme : {"Bearer", "bearer", "BEARER", "bEaReR"}) {
    Request r = api_post("/v1/events", batch({event("s" + std::to_string(++n))}));
    r.headers[0].second = std::string(scheme) + " sk_test";
    EXPECT_EQ(call(std::move(r)).status, 202) << scheme;
  }
  for (const char* bad : {"Basic c2tfdGVzdA==", "Bearer", "Bearersk_test", "Bearer sk_nope",
                          "Token sk_test", "bearer  "}) {
    Request r = api_post("/v1/events", batch({event("b")}));
    r.headers[0].second = bad;
    EXPECT_EQ(call(std::move(r)).status, 401) << bad;
  }
}

TEST_F(GatewayHandler, GatewaySiteKeyComesFromTheHeaderOrTheQueryNeverTheBody) {
  // docs/gateway-api.md: the key is checked before the body is read, so a body-only key is no
  // key (401), and "site_key" is not a field of the body (400 unknown_field).
  Request body_only = site_post(R"({"site_key":"pk_1","events":[)" + event("k1") + "]}");
  body_only.target = "/v1/events";
  const Response r1 = call(std::move(body_only));
  EXPECT_EQ(r1.status, 401);
  EXPECT_EQ(json::parse(r1.body)["error"], "missing_key");
  const Response r2 = call(site_post(R"({"site_key":"pk_1","events":[)" + event("k2") + "]}"));
  EXPECT_EQ(r2.status, 400);
  EXPECT_EQ(json::parse(r2.body)["error"], "unknown_field");
  EXPECT_EQ(json::parse(r2.body)["path"], "/site_key");
  Request header = site_post(batch({event("k3")}));
  header.target = "/v1/events";
  header.headers.emplace_back("x-hashgate-site-key", "pk_1");
  EXPECT_EQ(call(std::move(header)).status, 202);
  EXPECT_EQ(call(site_post(batch({event("k4")}))).status, 202);  // ?site_key=pk_1
}

// The route table: every route's label (Response::route, used by logs and metrics), 405 with the
// path's methods in Allow, 404 for unknown /v1/ paths, the static fallthrough and the preflight.
TEST_F(GatewayHandler, GatewayRouteLabelsAndAllow) {
  struct Case {
    const char* method;
    const char* target;
    int status;
    const char* label;
    const char* allow;
  } cases[] = {
      {"GET", "/v1/events", 405, "events", "POST, OPTIONS"},
      {"PUT", "/v1/optout", 405, "optout", "GET, POST, OPTIONS"},
      {"GET", "/v1/optin", 405, "optin", "POST, OPTIONS"},
      {"POST", "/v1/optout/status", 405, "optout_status", "GET, OPTIONS"},
      {"POST", "/v1/events/export", 405, "export", "GET"},
      {"DELETE", "/v1/audit?since=0", 405, "audit", "GET"},
      {"POST", "/healthz", 405, "healthz", "GET"},
      {"OPTIONS", "/readyz", 405, "readyz", "GET"},
      {"HEAD", "/metrics", 405, "metrics", "GET"},
      {"get", "/healthz", 405, "healthz", "GET"},
      {"POST", "/", 405, "static", "GET"},
      {"DELETE", "/demo/x.html", 405, "static", "GET"},
      {"GET", "/healthz", 200, "healthz", ""},
      {"GET", "/readyz", 200, "readyz", ""},
      {"GET", "/metrics", 200, "metrics", ""},
      {"GET", "/v1/optout", 200, "optout", ""},
      {"GET", "/v1/optout/status", 200, "optout_status", ""},
      {"GET", "/v1/nothing", 404, "other", ""},
      {"DELETE", "/v1/events/", 404, "other", ""},
      {"GET", "/v1/audiences/vip", 405, "audience", "DELETE"},
      {"PUT", "/v1/matches", 405, "matches", "GET, POST"},
      {"POST", "/v1/matches/m_1/export", 405, "match_export", "GET"},
      {"GET", "/v1/audiences/vip/members/x", 404, "other", ""},
      {"POST", "/v1/audiences/vip/members", 401, "audience_members", ""},
      {"OPTIONS", "/v1/anything", 400, "preflight", ""},  // no Origin: a bad preflight
      {"OPTIONS", "/v1/events/export", 400, "preflight", ""},
      {"GET", "/nothing.html", 404, "static", ""},
      {"GET", "/demo", 308, "static", ""},
      {"GET", "/v1/events/export", 401, "export", ""},
      {"GET", "/v1/audit", 401, "audit", ""},
      {"POST", "/v1/events", 401, "events", ""},
      {"POST", "/v1/optout", 401, "optout", ""},
      {"POST", "/v1/optin", 401, "optin", ""},
  };
  for (const auto& c : cases) {
    Request r;
    r.method = c.method;
    r.target = c.target;
    const Response res = call(r);
    EXPECT_EQ(res.status, c.status) << c.method << " " << c.target;
    EXPECT_EQ(res.route, c.label) << c.method << " " << c.target;
    EXPECT_EQ(header(res, "Allow"), c.allow) << c.method << " " << c.target;
    if (c.status == 405) {
      EXPECT_EQ(res.body,
                R"({"error":"method_not_allowed","message":"method not allowed on this route"})");
    }
  }
}

// The three kinds of access in the table, with their exact error bodies: none, a site key or API
// key (with the route's own 403 message), the API key only (401 whenever no Authorization).
TEST_F(GatewayHandler, GatewayAccessKindsAnswerAsBefore) {
  const std::string key_required = "a valid site key or API key is required";
  const std::string api_required = "this route needs the tenant's API key (Authorization: Bearer)";
  auto body = [](const std::string& error, const std::string& message) {
    return json{{"error", error}, {"message", message}}.dump();
  };
  // Site key from an origin it does not allow: events and opt-out differ only in the message.
  auto evil = site_post(batch({event("a")}), "https://evil.example");
  Response r = call(evil);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, body("origin_not_allowed", "this origin may not use this site key"));
  evil.target = "/v1/optout?site_key=pk_1";
  r = call(evil);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, body("origin_not_allowed", key_required));
  evil.target = "/v1/optin?site_key=pk_1";
  EXPECT_EQ(call(evil).body, body("origin_not_allowed", key_required));
  // No key at all; a bad scheme; an unknown API key.
  Request none;
  none.method = "POST";
  none.target = "/v1/events";
  r = call(none);
  EXPECT_EQ(r.body, body("missing_key", key_required));
  EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer realm=\"hashgate\"");
  none.headers = {{"authorization", "Basic abc"}};
  EXPECT_EQ(call(none).body, body("invalid_authorization", key_required));
  // API key only: a valid site key is not enough (401, as no Authorization was sent).
  Request e;
  e.method = "GET";
  e.target = "/v1/events/export?site_key=pk_1";
  e.headers = {{"origin", k_origin}};
  r = call(e);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, body("api_key_required", api_required));
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "");
  e.headers = {{"authorization", "Bearer sk_wrong"}};
  r = call(e);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, body("invalid_api_key", api_required));
  e.target = "/v1/audit";
  e.headers = {{"authorization", "bearer sk_test"}};
  EXPECT_EQ(call(e).status, 200);
  // No access needed: opt-out status answers without a key, with what it can tell.
  Request s;
  s.method = "GET";
  s.target = "/v1/optout/status?site_key=pk_nope";
  s.headers = {{"sec-gpc", "1"}};
  r = call(s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["gpc"], true);
}
