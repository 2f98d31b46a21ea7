// Request smuggling shapes, trailers, Host and Authorization rules, and the security headers of
// the HTTP layer's own answers, against the real gateway over raw sockets (RFC 9112 §3.2, §6.1,
// §6.3; issue 18). A client library would normalise every one of these requests.
#include "integration_fixture.hpp"

namespace {

/// The integration fixture under a suite name of its own (one fixture class per suite).
class HttpFraming : public GatewayIntegration {};

/// Everything the server answers on one connection to `raw`, until it closes it.
std::vector<HttpResponse> all_answers(int port, const std::string& raw) {
  Conn c(port);
  std::vector<HttpResponse> out;
  if (!c.ok() || !c.send_raw(raw)) return out;
  for (;;) {
    HttpResponse r = c.read_response();
    if (r.status == 0) break;  // the server closed the connection
    out.push_back(std::move(r));
  }
  return out;
}

/// A request to run if the body of the one before it were taken as a request of its own.
const std::string k_smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string k_auth = "Authorization: Bearer sk_test\r\nContent-Type: application/json\r\n";

std::string chunked(const std::string& body) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "%zx", body.size());
  return std::string(hex) + "\r\n" + body + "\r\n";
}

void expect_security_headers(const HttpResponse& r, const std::string& what) {
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << what;
  EXPECT_EQ(r.header("referrer-policy"), "no-referrer") << what;
  EXPECT_EQ(r.header("content-security-policy"), "default-src 'none'; frame-ancestors 'none'")
      << what;
  EXPECT_EQ(r.header("cache-control"), "no-store") << what;
}

}  // namespace

TEST_F(HttpFraming, TransferCodingsOtherThanChunkedAreRefusedAndTheConnectionCloses) {
  // Issue 18: a coding other than one final chunked → 501 (RFC 9112 §6.1, a coding we do not
  // implement); a malformed list or chunked twice → 400. Either way the connection closes, so
  // the body can never run as a request of its own.
  const std::vector<std::pair<std::string, int>> codings = {
      {"gzip", 501},          {"identity", 501},        {"chunked, identity", 501},
      {"xchunked", 501},      {"chunked;x=1", 400},     {"chunked, chunked", 400},
      {"gzip, chunked", 501}, {"deflate,chunked", 501}, {", chunked", 400}};
  for (const auto& [te, status] : codings)
    for (bool with_length : {false, true}) {
      const std::string body = with_length ? chunked(k_smuggled) + "0\r\n\r\n" : k_smuggled;
      std::string head =
          "POST /v1/events HTTP/1.1\r\nHost: x\r\n" + k_auth + "Transfer-Encoding: " + te + "\r\n";
      if (with_length) head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
      const auto answers = all_answers(gw->port(), head + "\r\n" + body + k_smuggled);
      ASSERT_EQ(answers.size(), 1u) << te << (with_length ? " + Content-Length" : "");
      EXPECT_EQ(answers[0].status, with_length ? 400 : status) << te;
      EXPECT_EQ(answers[0].header("connection"), "close") << te;
    }
}

TEST_F(HttpFraming, BothLengthHeadersAreRefusedInEitherOrder) {
  const std::string body = chunked(k_smuggled) + "0\r\n\r\n";
  const std::string cl = "Content-Length: " + std::to_string(body.size()) + "\r\n";
  const std::string te = "Transfer-Encoding: chunked\r\n";
  for (const auto& lengths : {cl + te, te + cl}) {
    const auto answers = all_answers(gw->port(), "POST /v1/events HTTP/1.1\r\nHost: x\r\n" +
                                                     k_auth + lengths + "\r\n" + body + k_smuggled);
    ASSERT_EQ(answers.size(), 1u) << lengths;
    EXPECT_EQ(answers[0].status, 400) << lengths;
  }
}

TEST_F(HttpFraming, TransferEncodingOnHttp10IsRefusedAndTheConnectionCloses) {
  const std::string raw = "POST /v1/events HTTP/1.0\r\nHost: x\r\n" + k_auth +
                          "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n" +
                          chunked(events_body({"h10"})) + "0\r\n\r\n" + k_smuggled;
  const auto answers = all_answers(gw->port(), raw);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 400);
  EXPECT_EQ(export_all().size(), 0u);
  // HTTP/1.0 itself is served (without Host, which HTTP/1.0 need not send).
  const auto plain = all_answers(gw->port(), "GET /healthz HTTP/1.0\r\n\r\n");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].status, 200);
}

TEST_F(HttpFraming, ChunkedRequestsStillWorkAndKeepTheConnection) {
  const std::string body = events_body({"c1"});
  const std::string head =
      "POST /v1/events HTTP/1.1\r\nHost: x\r\n" + k_auth + "Transfer-Encoding: chunked\r\n\r\n";
  // Two chunks, then a pipelined second request on the same connection.
  const std::string raw = head + chunked(body.substr(0, 10)) + chunked(body.substr(10)) +
                          "0\r\n\r\n" + request("GET", "/healthz");
  const auto answers = all_answers(gw->port(), raw);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].status, 202) << answers[0].body;
  EXPECT_EQ(answers[1].status, 200);
}

TEST_F(HttpFraming, TrailerFieldsAreNeverReadAsHeaders) {
  const std::string body = events_body({"t1"});
  const std::string head =
      "POST /v1/events HTTP/1.1\r\nHost: x\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n";
  // Credentials only in the trailer: refused as if there were none.
  auto r = all_answers(
      gw->port(), head + "\r\n" + chunked(body) + "0\r\nAuthorization: Bearer sk_test\r\n\r\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 401);
  // A trailer cannot add a second Authorization either, nor close the connection.
  r = all_answers(gw->port(),
                  head + "Authorization: Bearer sk_test\r\n\r\n" + chunked(body) +
                      "0\r\nAuthorization: Bearer sk_nope\r\nConnection: close\r\n\r\n" +
                      request("GET", "/healthz"));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].status, 202) << r[0].body;
  EXPECT_EQ(r[0].header("connection"), "");
  EXPECT_EQ(r[1].status, 200);
  EXPECT_EQ(export_all().size(), 1u);
}

TEST_F(HttpFraming, HostMustBeThereOnceAndWellFormed) {
  const std::vector<std::string> bad = {
      "GET /healthz HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
      "GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: a b\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: evil.example/x\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: user@evil.example\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x:80x\r\n\r\n",
  };
  for (const auto& raw : bad) {
    const auto answers = all_answers(gw->port(), raw + k_smuggled);
    ASSERT_EQ(answers.size(), 1u) << raw;
    EXPECT_EQ(answers[0].status, 400) << raw;
  }
  for (const char* host :
       {"127.0.0.1:8080", "[::1]:8080", "shop.example", "xn--bcher-kva.example"}) {
    const auto ok = all_answers(gw->port(), "GET /healthz HTTP/1.1\r\nHost: " + std::string(host) +
                                                "\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(ok.size(), 1u) << host;
    EXPECT_EQ(ok[0].status, 200) << host;
  }
}

TEST_F(HttpFraming, DuplicateAuthorizationIsRefused) {
  for (const char* second : {"Bearer sk_test", "Bearer sk_nope"}) {
    const auto answers = all_answers(gw->port(), request("POST", "/v1/events", events_body({"d1"}),
                                                         {"Authorization: Bearer sk_test",
                                                          std::string("Authorization: ") + second,
                                                          "Content-Type: application/json"},
                                                         false) +
                                                     k_smuggled);
    ASSERT_EQ(answers.size(), 1u) << second;
    EXPECT_EQ(answers[0].status, 400) << second;
  }
  EXPECT_EQ(export_all().size(), 0u);
}

TEST_F(HttpFraming, LayerAnswersCarryTheSecurityHeaders) {
  expect_security_headers(gw->call("GARBAGE\r\n\r\n"), "400 malformed");
  expect_security_headers(gw->call("GET /healthz HTTP/1.1\r\n\r\n"), "400 no Host");
  expect_security_headers(
      gw->call("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n"), "413");
  expect_security_headers(
      gw->call("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n"),
      "431");
  expect_security_headers(gw->call("POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                   "gzip, chunked\r\n\r\n"),
                          "501");
  ASSERT_TRUE(restart_with({{"limits", {{"max_connections", 1}}}}));
  Conn first(gw->port());
  ASSERT_TRUE(first.send_raw(request("GET", "/healthz", "", {}, false)));
  ASSERT_EQ(first.read_response().status, 200);
  const HttpResponse busy = Conn(gw->port()).read_response();
  EXPECT_EQ(busy.status, 503);
  expect_security_headers(busy, "503");
}
