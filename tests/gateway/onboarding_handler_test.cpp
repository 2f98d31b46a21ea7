// The match export's and the activation's access rule against the agreement's end, with the
// handler's injected clock (the loopback tests cannot move the gateway's clock): the publisher
// until the day before `expires`, 410 from that day on, 404 for anyone else, before and after;
// and the activation body's malformed, truncated, oversized and hostile cases.
#include <gtest/gtest.h>

#include <optional>

#include "gateway/api/gateway.hpp"
#include "mem_store.hpp"

using hashgate::gw::api::Gateway;
using hashgate::gw::api::Request;
using hashgate::gw::api::Response;

namespace {

// printf %s sk_test | sha256sum ; printf %s sk_news | sha256sum
const char* const k_config = R"({"tenants":[
  {"id":"shop","api_key_sha256":"12b2820cf1639904311da5771de1e5bb65c77073fdc7c555df395942df42896b",
   "destinations":[{"id":"shop-hook","kind":"webhook","url":"http://127.0.0.1:9/h",
                    "secret_env":"HG_ONB_TEST_HOOK"}]},
  {"id":"news","role":"publisher",
   "api_key_sha256":"e31200eb6ded1763854d26080acb8aa98390fbb1b175657ad711e13b674dbac6",
   "destinations":[{"id":"hook","kind":"webhook","url":"http://127.0.0.1:9/h",
                    "secret_env":"HG_ONB_TEST_HOOK"}]}],
 "agreements":[{"id":"a1","advertiser":"shop","publisher":"news","purpose":"p",
   "legal_basis":"consent","min_audience":10,"expires":"2027-01-01"}]})";

constexpr std::int64_t k_expiry = 1798761600;  // date -u -d 2027-01-01 +%s

/// The in-memory store with one released match under agreement a1.
class OneMatchStore : public hashgate::gw::test::MemStore {
 public:
  std::optional<hashgate::gw::MatchInfo> find_match(const std::string& id) override {
    if (id != "m_1") return std::nullopt;
    hashgate::gw::MatchInfo m;
    m.match_id = "m_1";
    m.agreement = "a1";
    m.advertiser = "shop";
    m.publisher = "news";
    m.status = hashgate::gw::onboarding::MatchStatus::released;
    return m;
  }
  std::vector<std::string> export_match(const hashgate::gw::MatchInfo&, hashgate::gw::ExportCursor,
                                        std::size_t) override {
    return {R"({"uid":"","online_ids":{},"cursor":"c1.1"})"};
  }
  void activate_match(hashgate::gw::ActivationRequest q,
                      std::function<void(hashgate::gw::ActivationResult)> done) override {
    activations.push_back(q);
    hashgate::gw::ActivationResult r;
    r.persons = 120;
    r.rows = 1;
    done(r);
  }
  std::vector<hashgate::gw::ActivationRequest> activations;
};

class OnboardingHandler : public ::testing::Test {
 protected:
  Response get(const std::string& key, const std::string& target, std::int64_t now) {
    return call("GET", key, target, now, "");
  }
  Response call(const std::string& method, const std::string& key, const std::string& target,
                std::int64_t now, std::string body) {
    ::setenv("HG_ONB_TEST_HOOK", "a-webhook-secret-of-32-bytes-xx", 1);
    hashgate::gw::api::Metrics metrics;
    Gateway gw(hashgate::gw::config::parse_config(k_config), store, metrics, [now] { return now; });
    Request r;
    r.method = method;
    r.target = target;
    r.headers = {{"authorization", "Bearer " + key}, {"host", "127.0.0.1"}};
    if (method == "POST") r.headers.emplace_back("content-type", "application/json");
    r.body = std::move(body);
    std::optional<Response> out;
    gw.handle(std::move(r), [&](Response x) { out = std::move(x); });
    EXPECT_TRUE(out.has_value());
    return out.value_or(Response{});
  }
  OneMatchStore store;
};

}  // namespace

TEST_F(OnboardingHandler, OnboardingExportEndsWithTheAgreement) {
  const std::string path = "/v1/matches/m_1/export";
  const Response before = get("sk_news", path, k_expiry - 1);
  EXPECT_EQ(before.status, 200);
  EXPECT_EQ(before.body, "{\"uid\":\"\",\"online_ids\":{},\"cursor\":\"c1.1\"}\n");
  EXPECT_EQ(get("sk_news", path, k_expiry).status, 410);
  EXPECT_EQ(get("sk_news", path, k_expiry + 86400 * 30).status, 410);
  EXPECT_EQ(get("sk_test", path, k_expiry - 1).status, 404);  // the advertiser
  EXPECT_EQ(get("sk_test", path, k_expiry).status, 404);
  EXPECT_EQ(get("sk_news", "/v1/matches/m_2/export", k_expiry - 1).status, 404);
  EXPECT_EQ(get("sk_news", path + "?limit=0", k_expiry - 1).status, 400);
  EXPECT_EQ(get("sk_news", path + "?after=c1.01", k_expiry - 1).status, 400);
}

TEST_F(OnboardingHandler, OnboardingActivationChecksTheCallerTheBodyAndTheAgreement) {
  const std::string path = "/v1/matches/m_1/activate";
  const std::int64_t t = k_expiry - 1;
  const Response ok = call("POST", "sk_news", path, t, R"({"destination":"hook"})");
  EXPECT_EQ(ok.status, 202) << ok.body;
  ASSERT_EQ(store.activations.size(), 1u);
  EXPECT_EQ(store.activations[0].match_id, "m_1");
  EXPECT_EQ(store.activations[0].publisher, "news");
  EXPECT_EQ(store.activations[0].advertiser, "shop");
  EXPECT_EQ(store.activations[0].destination, "hook");
  EXPECT_FALSE(store.activations[0].resend);
  EXPECT_NE(ok.body.find("\"persons\":120"), std::string::npos) << ok.body;
  EXPECT_EQ(call("POST", "sk_news", path, t, R"({"destination":"hook","resend":true})").status,
            202);
  EXPECT_TRUE(store.activations.at(1).resend);

  struct Case {
    const char* key;
    std::string target, body;
    int status;
    const char* error;
  };
  const std::string huge(70, 'x');
  const Case cases[] = {
      {"sk_test", path, R"({"destination":"shop-hook"})", 404, "unknown_match"},  // advertiser
      {"sk_news", "/v1/matches/m_2/activate", R"({"destination":"hook"})", 404, "unknown_match"},
      {"sk_news", path, R"({"destination":"shop-hook"})", 404, "unknown_destination"},
      {"sk_news", path, R"({"destination":"hook")", 400, "bad_json"},  // truncated
      {"sk_news", path, "", 400, "bad_json"},
      {"sk_news", path, R"(["hook"])", 400, "invalid_body"},
      {"sk_news", path, R"({})", 400, "invalid_body"},
      {"sk_news", path, R"({"destination":7})", 400, "invalid_body"},
      {"sk_news", path, R"({"destination":""})", 400, "invalid_body"},
      {"sk_news", path, "{\"destination\":\"" + huge + "\"}", 400, "invalid_body"},
      {"sk_news", path, R"({"destination":"hook","resend":"yes"})", 400, "invalid_body"},
      {"sk_news", path, R"({"destination":"hook","email":"ann@example.com"})", 400, "invalid_body"},
  };
  for (const Case& c : cases) {
    const Response r = call("POST", c.key, c.target, t, c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " " << r.body;
    EXPECT_NE(r.body.find(std::string("\"") + c.error + "\""), std::string::npos)
        << c.body << " " << r.body;
    EXPECT_EQ(r.body.find("ann@example.com"), std::string::npos);
    EXPECT_EQ(r.body.find(huge), std::string::npos);
  }
  EXPECT_EQ(store.activations.size(), 2u);  // nothing refused reached the store
  EXPECT_EQ(call("POST", "sk_news", path, k_expiry, R"({"destination":"hook"})").status, 410);
  EXPECT_EQ(call("POST", "sk_test", path, k_expiry, R"({"destination":"hook"})").status, 404);
  EXPECT_EQ(call("GET", "sk_news", path, t, "").status, 405);
  EXPECT_EQ(store.activations.size(), 2u);
}
