// google_dm with refresh-token credentials: the token endpoint's request and answer (RFC 6749
// §5.1, §6), the worker refreshing before expiry and after a 401, and a failing token endpoint
// delaying the batch without sending it unauthenticated. Fake token endpoint and fake Data
// Manager API on loopback; a fake clock moves time.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/deliver/memory_outbox.hpp"
#include "gateway/deliver/oauth.hpp"
#include "gateway/deliver/worker.hpp"
#include "tests/deliver/fake_destination.hpp"
#include "tests/deliver/test_util.hpp"

namespace hashgate::gw::deliver {
namespace {

using nlohmann::json;
using test::Answer;
using test::Captured;
using test::FakeDestination;

constexpr std::int64_t k_minute_ms = 60 * 1000;

OAuthSettings oauth_for(const FakeDestination& token_server) {
  OAuthSettings o;
  EXPECT_EQ(parse_url(token_server.url("/token"), o.token_url), "");
  o.client_id = "123-abc.apps.googleusercontent.com";
  o.client_secret = Secret(std::string("s3cr&t=+/"));
  o.refresh_token = Secret(std::string("1//0g-refresh"));
  return o;
}

/// Decodes an application/x-www-form-urlencoded body into its fields.
std::map<std::string, std::string> form_fields(const std::string& body) {
  std::map<std::string, std::string> out;
  std::size_t at = 0;
  while (at <= body.size()) {
    std::size_t amp = body.find('&', at);
    if (amp == std::string::npos) amp = body.size();
    const std::string pair = body.substr(at, amp - at);
    const std::size_t eq = pair.find('=');
    std::string value;
    for (std::size_t i = eq + 1; i < pair.size(); ++i) {
      if (pair[i] == '%' && i + 2 < pair.size()) {
        value += static_cast<char>(std::stoi(pair.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        value += pair[i] == '+' ? ' ' : pair[i];
      }
    }
    out[pair.substr(0, eq)] = value;
    at = amp + 1;
  }
  return out;
}

TEST(DeliverOAuth, TokenRequestIsTheRefreshGrant) {
  FakeDestination token_server;
  const Request req = token_request(oauth_for(token_server));
  EXPECT_EQ(req.method, Method::post);
  EXPECT_EQ(req.url.target, "/token");
  const auto f = form_fields(req.body);
  EXPECT_EQ(f.at("grant_type"), "refresh_token");
  EXPECT_EQ(f.at("client_id"), "123-abc.apps.googleusercontent.com");
  EXPECT_EQ(f.at("client_secret"), "s3cr&t=+/");  // reserved characters survive the encoding
  EXPECT_EQ(f.at("refresh_token"), "1//0g-refresh");
  EXPECT_EQ(f.size(), 4u);
}

TEST(DeliverOAuth, TokenAnswersAreCheckedFieldByField) {
  std::string err;
  auto ok = parse_token_answer(
      R"({"access_token":"ya29.a","expires_in":3599,"scope":"x","token_type":"Bearer"})", err);
  ASSERT_TRUE(ok.has_value()) << err;
  EXPECT_EQ(ok->access_token.view(), "ya29.a");
  EXPECT_EQ(ok->expires_in_s, 3599);
  const std::pair<const char*, const char*> bad[] = {
      {"", "json"},
      {"[1]", "json"},
      {"{\"access_token\":", "json"},
      {R"({"token_type":"Bearer"})", "access_token"},
      {R"({"access_token":"","token_type":"Bearer"})", "access_token"},
      {R"({"access_token":7,"token_type":"Bearer"})", "access_token"},
      {R"({"access_token":"t"})", "token_type"},
      {R"({"access_token":"t","token_type":"mac"})", "token_type"},
      {R"({"access_token":"t","token_type":"Bearer","expires_in":-5})", "expires_in"},
      {R"({"access_token":"t","token_type":"Bearer","expires_in":"3600"})", "expires_in"},
      {R"({"access_token":"t","token_type":"Bearer","expires_in":1.5})", "expires_in"},
  };
  for (const auto& [body, word] : bad) {
    SCOPED_TRACE(body);
    std::string e;
    EXPECT_FALSE(parse_token_answer(body, e).has_value());
    EXPECT_EQ(e, word);
  }
  std::string e;
  const std::string huge =
      R"({"token_type":"bearer","access_token":")" + std::string(10000, 'a') + "\"}";
  EXPECT_FALSE(parse_token_answer(huge, e).has_value());
  EXPECT_EQ(e, "access_token");
  // A lifetime of years is capped to a day; "bearer" is case-insensitive (RFC 6749 §5.1).
  e.clear();
  auto capped =
      parse_token_answer(R"({"access_token":"t","token_type":"bearer","expires_in":99999999})", e);
  ASSERT_TRUE(capped.has_value()) << e;
  EXPECT_EQ(capped->expires_in_s, 24 * 3600);
}

/// A Data Manager destination with `oauth`, its worker, outbox and fake clock.
struct OAuthRig {
  test::FakeClock clock;
  MemoryOutbox outbox;
  DeliveryMetrics metrics;
  std::unique_ptr<Worker> worker;

  OAuthRig(const FakeDestination& api, const FakeDestination& token_server) {
    Destination g = test::google_dm(api.url("/v1"));
    g.oauth = oauth_for(token_server);
    WorkerOptions o;
    o.now_ms = [this] { return clock(); };
    o.uniform01 = [] { return 0.0; };
    o.key_salt = "test-install";
    worker = std::make_unique<Worker>(std::vector<Destination>{g}, outbox, metrics, o);
  }
  void add_event(const std::string& id) {
    outbox.add("gads", RowKind::event,
               test::export_line(id, "purchase", clock() / 1000 - 60, "ann@example.com"), clock());
  }
  /// Pumps until nothing is pending, moving the clock to each next due time.
  void drain() {
    for (int i = 0; i < 20; ++i) {
      const std::int64_t due = outbox.next_due("gads");
      if (due < 0) return;
      if (due > clock()) clock.ms = due;
      worker->pump(0);
    }
    FAIL() << "still pending";
  }
};

/// A token endpoint that hands out tok-1, tok-2, … valid for an hour; `fail_first` answers
/// 500 to that many requests first.
test::Script token_script(int fail_first = 0) {
  return [fail_first](const Captured&, std::size_t i) {
    Answer a;
    if (static_cast<int>(i) < fail_first) {
      a.status = 500;
      a.body = R"({"error":"x"})";
      return a;
    }
    const int n = static_cast<int>(i) - fail_first + 1;
    a.body = R"({"access_token":"tok-)" + std::to_string(n) +
             R"(","expires_in":3600,"token_type":"Bearer"})";
    return a;
  };
}

std::vector<std::string> bearers(const FakeDestination& api) {
  std::vector<std::string> out;
  for (const auto& c : api.requests()) out.push_back(c.header("authorization"));
  return out;
}

TEST(DeliverOAuth, RefreshesBeforeExpiryAndAfterA401) {
  FakeDestination token_server(token_script());
  auto refused = std::make_shared<int>(0);
  FakeDestination api([refused](const Captured& c, std::size_t) {
    // The API refuses tok-2 once, as Google does for a revoked or expired token.
    Answer a;
    if (c.header("authorization") == "Bearer tok-2" && (*refused)++ == 0) a.status = 401;
    return a;
  });
  OAuthRig rig(api, token_server);
  rig.add_event("e1");
  rig.drain();
  rig.add_event("e2");
  rig.drain();  // the same token, no second refresh
  EXPECT_EQ(token_server.requests().size(), 1u);
  const auto fields = form_fields(token_server.requests()[0].body);
  EXPECT_EQ(fields.at("grant_type"), "refresh_token");
  EXPECT_EQ(token_server.requests()[0].header("content-type"), "application/x-www-form-urlencoded");
  // 56 minutes later the token is within the 5-minute margin: refreshed before the request.
  rig.clock.ms += 56 * k_minute_ms;
  rig.add_event("e3");
  rig.drain();  // tok-2 → 401 → tok-3 → delivered
  EXPECT_EQ(bearers(api), (std::vector<std::string>{"Bearer tok-1", "Bearer tok-1", "Bearer tok-2",
                                                    "Bearer tok-3"}));
  EXPECT_EQ(token_server.requests().size(), 3u);
  EXPECT_EQ(rig.metrics.failed("gads", "http_401"), 0u);
  EXPECT_EQ(rig.outbox.stats("gads").pending, 0u);
}

TEST(DeliverOAuth, FailingTokenEndpointDelaysTheBatchWithoutSendingIt) {
  FakeDestination token_server(token_script(2));
  FakeDestination api;
  OAuthRig rig(api, token_server);
  rig.add_event("e1");
  rig.worker->pump(0);
  EXPECT_EQ(token_server.requests().size(), 1u);
  EXPECT_TRUE(api.requests().empty());              // nothing left without a token
  EXPECT_EQ(rig.outbox.stats("gads").pending, 1u);  // kept for a retry, not failed
  rig.drain();
  EXPECT_EQ(token_server.requests().size(), 3u);
  EXPECT_EQ(bearers(api), (std::vector<std::string>{"Bearer tok-1"}));
}

TEST(DeliverOAuth, WithoutOAuthA401StaysPermanent) {
  FakeDestination api([](const Captured&, std::size_t) {
    Answer a;
    a.status = 401;
    return a;
  });
  MemoryOutbox outbox;
  DeliveryMetrics metrics;
  const Destination g = test::google_dm(api.url("/v1"), "static-token");
  test::FakeClock clock;
  WorkerOptions o;
  o.key_salt = "k";
  o.now_ms = [&clock] { return clock(); };
  Worker w({g}, outbox, metrics, o);
  outbox.add("gads", RowKind::event, test::export_line("e1", "purchase", clock() / 1000, "a@b.c"),
             clock());
  w.pump(0);
  EXPECT_EQ(api.requests().size(), 1u);
  EXPECT_EQ(outbox.stats("gads").pending, 0u);
  EXPECT_EQ(metrics.failed("gads", "http_401"), 1u);
}

}  // namespace
}  // namespace hashgate::gw::deliver
