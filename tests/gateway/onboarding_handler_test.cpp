// The match export's access rule against the agreement's end, with the handler's injected clock
// (the loopback tests cannot move the gateway's clock): 200 for the publisher until the day
// before `expires`, 410 from that day on, 404 for anyone else, before and after.
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
  {"id":"shop","api_key_sha256":"12b2820cf1639904311da5771de1e5bb65c77073fdc7c555df395942df42896b"},
  {"id":"news","role":"publisher",
   "api_key_sha256":"e31200eb6ded1763854d26080acb8aa98390fbb1b175657ad711e13b674dbac6"}],
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
};

class OnboardingHandler : public ::testing::Test {
 protected:
  Response get(const std::string& key, const std::string& target, std::int64_t now) {
    hashgate::gw::api::Metrics metrics;
    Gateway gw(hashgate::gw::config::parse_config(k_config), store, metrics, [now] { return now; });
    Request r;
    r.method = "GET";
    r.target = target;
    r.headers = {{"authorization", "Bearer " + key}, {"host", "127.0.0.1"}};
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
