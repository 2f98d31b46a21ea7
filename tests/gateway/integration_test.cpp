// Loopback integration tests: start the REAL hashgate-gateway binary on 127.0.0.1 with an
// ephemeral port (--port-file) and a temporary data folder, and talk HTTP over raw sockets.
#include "integration_fixture.hpp"

TEST_F(GatewayIntegration, GatewayServesEveryRoute) {
  EXPECT_EQ(gw->call(request("GET", "/healthz")).status, 200);
  EXPECT_EQ(gw->call(request("GET", "/readyz")).status, 200);
  auto ev = api("POST", "/v1/events", events_body({"r1"}));
  EXPECT_EQ(ev.status, 202) << ev.body;
  EXPECT_EQ(json::parse(ev.body)["accepted"], 1);
  auto ex = export_all();
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0]["event_id"], "r1");
  EXPECT_EQ(ex[0]["ids"]["em"], k_em);
  auto au = api("GET", "/v1/audit?since=0");
  EXPECT_EQ(au.status, 200);
  EXPECT_NE(au.body.find("\"startup\""), std::string::npos);
  auto m = gw->call(request("GET", "/metrics"));
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("hashgate_events_accepted_total 1"), std::string::npos);
  EXPECT_NE(m.body.find("hashgate_store_commit_seconds_count"), std::string::npos);
  auto st = gw->call(request("GET", "/v1/optout/status"));
  EXPECT_EQ(st.status, 200);
  EXPECT_EQ(json::parse(st.body)["opted_out"], false);
  auto pre = gw->call(request("OPTIONS", "/v1/events?site_key=pk_demo", "",
                              {"Origin: " + gw->origin(), "Access-Control-Request-Method: POST"}));
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.header("access-control-allow-origin"), gw->origin());
  auto beacon =
      gw->call(request("POST", "/v1/events?site_key=pk_demo", events_body({"b1"}),
                       {"Origin: " + gw->origin(), "Content-Type: text/plain;charset=UTF-8"}));
  EXPECT_EQ(beacon.status, 202);
  EXPECT_EQ(beacon.header("access-control-allow-origin"), gw->origin());
  EXPECT_NE(beacon.header("set-cookie").find("hg_uid="), std::string::npos);
  EXPECT_EQ(gw->call(request("POST", "/v1/optin?site_key=pk_demo", "", {"Origin: " + gw->origin()}))
                .status,
            200);
}

TEST_F(GatewayIntegration, GatewayStaticFilesAndTraversal) {
  auto js = gw->call(request("GET", "/sdk/hashgate.js"));
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.header("x-content-type-options"), "nosniff");
  EXPECT_NE(js.header("content-security-policy"), "");
  EXPECT_EQ(gw->call(request("GET", "/sdk/hashgate.wasm")).header("content-type"),
            "application/wasm");
  EXPECT_EQ(gw->call(request("GET", "/sdk/sub/")).body, "<p>sub</p>");
  EXPECT_EQ(gw->call(request("GET", "/sdk/sub")).status, 308);
  auto root = gw->call(request("GET", "/"));
  EXPECT_EQ(root.status, 200);
  EXPECT_NE(root.body.find("/demo/checkout/"), std::string::npos);
  EXPECT_EQ(gw->call(request("GET", "/demo/checkout/")).body, "<h1>checkout</h1>");
  for (const char* bad : {"/sdk/../outside.txt", "/sdk/%2e%2e/outside.txt",
                          "/sdk/%2E%2E%2Foutside.txt", "/sdk/..%2foutside.txt", "/sdk/link.txt",
                          "/sdk/.secret", "/sdk/%2esecret", "/sdk/sub/..%5c..%5coutside.txt",
                          "/sdk/%00", "/sdk/sub%0d%0aX:%20y", "/demo/../static/hashgate.js"}) {
    auto r = gw->call(request("GET", bad));
    EXPECT_TRUE(r.status == 400 || r.status == 404) << bad << " -> " << r.status;
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << bad;
    EXPECT_EQ(r.body.find("hidden"), std::string::npos) << bad;
  }
}

TEST_F(GatewayIntegration, GatewayErrorCodes) {
  EXPECT_EQ(api("POST", "/v1/events", "{bad").status, 400);
  EXPECT_EQ(api("POST", "/v1/events", "{\"events\":[\"\xFF\"]}").status, 400);
  EXPECT_EQ(gw->call(request("POST", "/v1/events", events_body({"x"}),
                             {"Content-Type: application/json"}))
                .status,
            401);
  EXPECT_EQ(gw->call(request("POST", "/v1/events", events_body({"x"}),
                             {"Authorization: Bearer nope", "Content-Type: application/json"}))
                .status,
            401);
  EXPECT_EQ(gw->call(request("POST", "/v1/events?site_key=pk_demo", events_body({"x"}),
                             {"Origin: https://evil.example", "Content-Type: text/plain"}))
                .status,
            403);
  EXPECT_EQ(gw->call(request("GET", "/nope")).status, 404);
  EXPECT_EQ(gw->call(request("DELETE", "/v1/events")).status, 405);
  EXPECT_EQ(api("POST", "/v1/events", std::string(70000, ' ')).status, 413);
  EXPECT_EQ(gw->call(request("POST", "/v1/events", "{}",
                             {"Authorization: Bearer sk_test", "Content-Type: text/xml"}))
                .status,
            415);
  auto pii = api("POST", "/v1/events", events_body({"p"}, "someone@example.com"));
  EXPECT_EQ(pii.status, 422);
  EXPECT_EQ(json::parse(pii.body)["rejected"][0]["code"], "raw_pii");
  EXPECT_EQ(gw->call(request("GET", "/healthz", "", {"X-Big: " + std::string(8000, 'a')})).status,
            431);
  EXPECT_EQ(gw->call("GARBAGE\r\n\r\n").status, 400);
  auto m = gw->call(request("GET", "/metrics")).body;
  for (const char* code : {"400", "401", "403", "404", "405", "413", "415", "422", "431"})
    EXPECT_NE(m.find(std::string("hashgate_requests_total{code=\"") + code + "\"}"),
              std::string::npos)
        << code;
  EXPECT_NE(m.find("hashgate_requests_rejected_total{reason=\"headers_too_large\"} 1"),
            std::string::npos);
}

TEST_F(GatewayIntegration, GatewayOptOutFlowPurgesAndExcludesFromExport) {
  const std::string uid = "00112233445566778899aabbccddeeff";
  const std::vector<std::string> browser = {"Origin: " + gw->origin(), "Content-Type: text/plain",
                                            "Cookie: hg_uid=" + uid};
  // The browser sends an event linking its hg_uid to em; a server sends one for em2 only.
  EXPECT_EQ(
      gw->call(request("POST", "/v1/events?site_key=pk_demo", events_body({"b1"}), browser)).status,
      202);
  EXPECT_EQ(api("POST", "/v1/events", events_body({"s1"}, k_em2)).status, 202);
  EXPECT_EQ(api("POST", "/v1/events", events_body({"s2"})).status, 202);  // em, no uid
  EXPECT_EQ(export_all().size(), 3u);
  // Opt-out link from the privacy statement.
  auto o =
      gw->call(request("GET", "/v1/optout", "", {"Cookie: hg_uid=" + uid, "Accept: text/html"}));
  EXPECT_EQ(o.status, 200);
  EXPECT_NE(o.header("content-type").find("text/html"), std::string::npos);
  std::string cookies;
  for (auto [it, end] = o.headers.equal_range("set-cookie"); it != end; ++it)
    cookies += it->second + "\n";
  EXPECT_NE(cookies.find("hg_optout=1; Max-Age=34560000; Path=/; SameSite=Lax"), std::string::npos);
  EXPECT_NE(cookies.find("hg_uid=; Max-Age=0"), std::string::npos);
  // Fan-out: every event of the uid and of em (linked through the uid) is gone; em2 stays.
  auto ex = export_all();
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0]["event_id"], "s1");
  // Ingest now drops: the cookie, and the suppression list for a server sending em.
  auto c = gw->call(
      request("POST", "/v1/events?site_key=pk_demo", events_body({"b2"}),
              {"Origin: " + gw->origin(), "Content-Type: text/plain", "Cookie: hg_optout=1"}));
  EXPECT_EQ(json::parse(c.body)["dropped"]["opted_out"], 1);
  auto s = api("POST", "/v1/events", events_body({"s3"}));
  EXPECT_EQ(json::parse(s.body)["dropped"]["suppressed"], 1);
  // Server-side opt-out of em2 (CRM unsubscribe) purges s1.
  auto p = api("POST", "/v1/optout", json{{"ids", {{"em", k_em2}}}}.dump());
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(export_all().size(), 0u);
  auto st = gw->call(request("GET", "/v1/optout/status", "", {"Cookie: hg_optout=1"}));
  EXPECT_EQ(json::parse(st.body)["opted_out"], true);
  auto gpc =
      gw->call(request("POST", "/v1/events?site_key=pk_demo", events_body({"g1"}, k_em2),
                       {"Origin: " + gw->origin(), "Content-Type: text/plain", "Sec-GPC: 1"}));
  EXPECT_EQ(json::parse(gpc.body)["dropped"]["gpc"], 1);
  auto m = gw->call(request("GET", "/metrics")).body;
  EXPECT_NE(m.find("hashgate_events_dropped_total{reason=\"opted_out\"} 1"), std::string::npos);
  EXPECT_NE(m.find("hashgate_events_dropped_total{reason=\"gpc\"} 1"), std::string::npos);
  EXPECT_NE(m.find("hashgate_events_dropped_total{reason=\"suppressed\"} 1"), std::string::npos);
}

TEST_F(GatewayIntegration, GatewayDedupeAndRestartPersistence) {
  EXPECT_EQ(json::parse(api("POST", "/v1/events", events_body({"d1", "d2"})).body)["accepted"], 2);
  auto again = json::parse(api("POST", "/v1/events", events_body({"d1"})).body);
  EXPECT_EQ(again["accepted"], 0);
  EXPECT_EQ(again["dropped"]["duplicate"], 1);
  EXPECT_EQ(api("POST", "/v1/optout", json{{"ids", {{"em", k_em2}}}}.dump()).status, 200);
  EXPECT_EQ(gw->stop(), 0);
  ASSERT_TRUE(gw->start());
  EXPECT_EQ(export_all().size(), 2u);
  EXPECT_EQ(
      json::parse(api("POST", "/v1/events", events_body({"d2"})).body)["dropped"]["duplicate"], 1);
  EXPECT_EQ(
      json::parse(
          api("POST", "/v1/events", events_body({"n1"}, k_em2)).body)["dropped"]["suppressed"],
      1);
}

TEST_F(GatewayIntegration, GatewayPipeliningKeepsOrder) {
  Conn c(gw->port());
  ASSERT_TRUE(c.ok());
  std::string batch;
  for (int i = 0; i < 12; ++i)
    batch += request("POST", "/v1/events", events_body({"p" + std::to_string(i)}),
                     {"Authorization: Bearer sk_test", "Content-Type: application/json"}, false);
  batch += request("GET", "/v1/events/export?since=0&limit=1000", "",
                   {"Authorization: Bearer sk_test"}, true);
  ASSERT_TRUE(c.send_raw(batch));
  for (int i = 0; i < 12; ++i) {
    auto r = c.read_response();
    ASSERT_EQ(r.status, 202) << i;
  }
  auto ex = c.read_response();
  EXPECT_EQ(ex.status, 200);
  EXPECT_EQ(std::count(ex.body.begin(), ex.body.end(), '\n'), 12);
}

TEST_F(GatewayIntegration, GatewayManyConcurrentClients) {
  constexpr int k_clients = 32, k_requests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int c = 0; c < k_clients; ++c)
    ts.emplace_back([&, c] {
      Conn conn(gw->port());
      if (!conn.ok()) return;
      for (int i = 0; i < k_requests; ++i) {
        std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
        if (!conn.send_raw(request(
                "POST", "/v1/events", events_body({id}),
                {"Authorization: Bearer sk_test", "Content-Type: application/json"}, false)))
          return;
        auto r = conn.read_response();
        if (r.status == 202 && json::parse(r.body)["accepted"] == 1) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), k_clients * k_requests);
  EXPECT_EQ(export_all().size(), static_cast<std::size_t>(k_clients * k_requests));
}

TEST_F(GatewayIntegration, GatewaySurvivesHostileInput) {
  {  // truncated body: Content-Length larger than what is sent, then close
    Conn c(gw->port());
    c.send_raw(
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test\r\nContent-Type: "
        "application/json\r\nContent-Length: 500\r\n\r\n{\"events\":[");
    c.shutdown_write();
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // declared oversize body is refused from the header alone
    Conn c(gw->port());
    c.send_raw("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 413);
  }
  std::string deep = "{\"events\":[" + std::string(5000, '[') + std::string(5000, ']') + "]}";
  EXPECT_EQ(api("POST", "/v1/events", deep).status, 400);
  std::string deep_obj = "{\"events\":[{\"custom\":";
  for (int i = 0; i < 30; ++i) deep_obj += "{\"a\":";
  deep_obj += "1" + std::string(30, '}') + "}]}";
  EXPECT_EQ(api("POST", "/v1/events", deep_obj).status, 400);
  EXPECT_EQ(api("POST", "/v1/events", "{\"events\":[{\"event_id\":\"\xED\xA0\x80\"}]}").status,
            400);
  EXPECT_EQ(api("POST", "/v1/events", std::string("{\"events\":[\0]}", 14)).status, 400);
  EXPECT_EQ(gw->call("GET / HTTP/1.1\r\n" + std::string(10000, 'A') + "\r\n\r\n").status, 431);
  EXPECT_EQ(gw->call("GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n").status, 400);
  {  // chunked body over the limit
    Conn c(gw->port());
    std::string chunk(40000, 'x');
    std::string raw =
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test\r\nContent-Type: "
        "application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    char hex[16];
    snprintf(hex, sizeof hex, "%zx", chunk.size());
    raw += std::string(hex) + "\r\n" + chunk + "\r\n" + std::string(hex) + "\r\n" + chunk +
           "\r\n0\r\n\r\n";
    c.send_raw(raw);
    EXPECT_EQ(c.read_response().status, 413);
  }
  EXPECT_EQ(gw->call(request("GET", "/healthz")).status, 200);
}

TEST_F(GatewayIntegration, GatewayNeverLogsOrStoresRawIdentifiers) {
  const std::string email = "leak.canary.7731@example.org";
  const std::string phone = "+31 6 4417 2093";
  const std::string phone_digits = "31644172093";
  auto now = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  std::vector<std::string> bodies = {
      R"({"events":[{"event_id":"l1","type":"purchase","time":)" + now + R"(,"ids":{"em":")" +
          email + R"("}}]})",
      R"({"events":[{"event_id":"l2","type":"purchase","time":)" + now + R"(,"ids":{"em":")" +
          k_em + R"("},"custom":{"note":")" + phone + R"("}}]})",
      R"({"events":[{"event_id":"l3","type":"purchase","time":)" + now + R"(,"ids":{"em":")" +
          k_em + R"("},"custom":{")" + email + R"(":1}}]})",
      R"({"events":[{"event_id":"l4","type":"purchase","time":)" + now + R"(,"ids":{"em":")" +
          k_em + R"("},"custom":{"u":"https://x.example/?e=leak.canary.7731%40example.org"}}]})",
      R"({"events":[{"event_id":"l5","type":"purchase","time":)" + now + R"(,"ids":{"ph":")" +
          phone_digits + R"("}}]})",
      R"({"events":[{"event_id":"l6","type":")" + email + R"(","time":)" + now +
          R"(,"ids":{"em":")" + k_em + R"("}}]})",
      R"({"events":[{"event_id":"l7","type":"purchase","time":)" + now + R"(,"ids":{"em":")" +
          k_em + R"("},"online_ids":{"fbp":")" + phone_digits + R"("}}]})",
      R"({")" + email + R"(":[]})",
      "{\"events\":[{\"event_id\":\"" + email + "\xFF\"}]}",
  };
  for (const auto& b : bodies) {
    auto r = api("POST", "/v1/events?email=" + email, b);
    EXPECT_GE(r.status, 400) << r.status;
    EXPECT_EQ(r.body.find("leak.canary"), std::string::npos);
    EXPECT_EQ(r.body.find(phone_digits), std::string::npos);
  }
  EXPECT_EQ(api("POST", "/v1/optout", R"({"ids":{"em":")" + email + R"("}})").status, 422);
  EXPECT_EQ(gw->call(request("GET", "/demo/" + email)).status, 404);
  // One accepted event so the database has content too.
  EXPECT_EQ(api("POST", "/v1/events", events_body({"fine"})).status, 202);
  EXPECT_EQ(gw->stop(), 0);
  std::vector<std::string> needles = {"leak.canary", "leak.canary.7731%40", phone, phone_digits,
                                      "4417 2093"};
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto name = e.path().filename().string();
    if (name == "gateway.json") continue;
    bool is_log = name == "stdout.log" || name == "stderr.log";
    bool in_var = e.path().string().find("/var/") != std::string::npos;
    if (!is_log && !in_var) continue;
    ++files;
    std::string bytes = read_file(e.path());
    for (const auto& n : needles)
      EXPECT_EQ(bytes.find(n), std::string::npos) << n << " found in " << name;
  }
  EXPECT_GE(files, 3u);  // logs + the database
}

TEST_F(GatewayIntegration, GatewayRefusesBadConfig) {
  gw->stop();
  std::ofstream(dir / "bad.json")
      << R"({"tenants":[{"id":"x","api_key_sha256":"sk_plain_secret"}]})";
  std::string cmd = std::string(HASHGATE_GATEWAY_BIN) + " --config " + (dir / "bad.json").string() +
                    " > " + (dir / "bad.out").string() + " 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_NE(rc, 0);
  std::string out = read_file(dir / "bad.out");
  EXPECT_NE(out.find("tenants[0].api_key_sha256"), std::string::npos) << out;
  EXPECT_EQ(out.find("sk_plain_secret"), std::string::npos);
}

namespace {

int run(const std::string& cmd) { return std::system(cmd.c_str()); }

}  // namespace

TEST_F(GatewayIntegration, GatewayServesTlsWithHstsAndSecureCookies) {
  std::string key = (dir / "key.pem").string(), cert = (dir / "cert.pem").string();
  ASSERT_EQ(run("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                " -days 1 -subj /CN=localhost >/dev/null 2>&1"),
            0);
  ASSERT_TRUE(restart_with({{"tls", {{"cert", cert}, {"key", key}}}}));
  std::string base = "https://127.0.0.1:" + std::to_string(gw->port());
  std::string hdr = (dir / "tls.headers").string(), out = (dir / "tls.body").string();
  ASSERT_EQ(run("curl -sk -o " + out + " -D " + hdr + " " + base + "/healthz"), 0);
  std::string h = read_file(hdr);
  EXPECT_NE(h.find("HTTP/1.1 200"), std::string::npos) << h;
  EXPECT_NE(h.find("Strict-Transport-Security: max-age="), std::string::npos) << h;
  // A browser event over TLS gets a Secure, HttpOnly hg_uid cookie; the self origin is https.
  std::string body = (dir / "ev.json").string();
  std::ofstream(body) << events_body({"tls1"});
  ASSERT_EQ(run("curl -sk -o " + out + " -D " + hdr +
                " -H 'Content-Type: text/plain' -H 'Origin: " + base + "' --data-binary @" + body +
                " '" + base + "/v1/events?site_key=pk_demo'"),
            0);
  h = read_file(hdr);
  EXPECT_NE(h.find("HTTP/1.1 202"), std::string::npos) << h << read_file(out);
  EXPECT_NE(h.find("; Secure; HttpOnly"), std::string::npos) << h;
  // Plain HTTP on the TLS port is not served.
  EXPECT_NE(gw->call(request("GET", "/healthz")).status, 200);
}

TEST_F(GatewayIntegration, GatewayCapsConnections) {
  ASSERT_TRUE(restart_with({{"limits", {{"max_connections", 2}}}}));
  Conn a(gw->port()), b(gw->port());
  ASSERT_TRUE(a.send_raw(request("GET", "/healthz", "", {}, false)));
  ASSERT_TRUE(b.send_raw(request("GET", "/healthz", "", {}, false)));
  EXPECT_EQ(a.read_response().status, 200);
  EXPECT_EQ(b.read_response().status, 200);
  Conn c(gw->port());
  auto r = c.read_response();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "1");
}

TEST_F(GatewayIntegration, GatewayExitsCleanlyOnSigtermAndKeepsData) {
  // SIGTERM closes idle keep-alive connections, exits 0, and what was acknowledged persists.
  Conn c(gw->port());
  ASSERT_TRUE(c.send_raw(
      request("POST", "/v1/events", events_body({"drain1"}),
              {"Authorization: Bearer sk_test", "Content-Type: application/json"}, false)));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(gw->stop(), 0);
  EXPECT_TRUE(c.closed_by_peer());
  ASSERT_TRUE(gw->start());
  EXPECT_EQ(export_all().size(), 1u);
}

TEST_F(GatewayIntegration, GatewayAnswersExpectContinue) {
  Conn c(gw->port());
  std::string body = events_body({"x1"});
  ASSERT_TRUE(
      c.send_raw("POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk_test\r\n"
                 "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n"));
  EXPECT_EQ(c.read_response().status, 100);
  ASSERT_TRUE(c.send_raw(body));
  EXPECT_EQ(c.read_response().status, 202);
  // An oversize declared body is refused without inviting it.
  Conn d(gw->port());
  ASSERT_TRUE(
      d.send_raw("POST /v1/events HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                 "99999999\r\n\r\n"));
  EXPECT_EQ(d.read_response().status, 413);
}

TEST_F(GatewayIntegration, GatewayReadsSplitAndPipelinedBodiesAndLogsEachRequest) {
  // The server parses a body that came with its header at once, and falls back to reading when
  // it did not: header alone, header with half the body, and two requests in one segment.
  const std::string auth = "Authorization: Bearer sk_test\r\nContent-Type: application/json\r\n";
  auto head = [&](const std::string& body) {
    return "POST /v1/events HTTP/1.1\r\nHost: x\r\n" + auth +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  };
  Conn c(gw->port());
  std::string b1 = events_body({"split1"});
  ASSERT_TRUE(c.send_raw(head(b1)));
  ASSERT_TRUE(wait_until_server_read(gw->port(), c));  // the server has the header alone
  ASSERT_TRUE(c.send_raw(b1));
  EXPECT_EQ(c.read_response().status, 202);
  std::string b2 = events_body({"split2"});
  ASSERT_TRUE(c.send_raw(head(b2) + b2.substr(0, b2.size() / 2)));
  ASSERT_TRUE(wait_until_server_read(gw->port(), c));  // ... the header and half the body
  ASSERT_TRUE(c.send_raw(b2.substr(b2.size() / 2)));
  EXPECT_EQ(c.read_response().status, 202);
  std::string b3 = events_body({"pipe1"}), b4 = events_body({"pipe2"});
  ASSERT_TRUE(c.send_raw(head(b3) + b3 + head(b4) + b4));
  EXPECT_EQ(c.read_response().status, 202);
  EXPECT_EQ(c.read_response().status, 202);
  std::string bad = R"({"events":[)";
  ASSERT_TRUE(c.send_raw(head(bad) + bad));
  EXPECT_EQ(c.read_response().status, 400);
  EXPECT_EQ(export_all().size(), 4u);
  EXPECT_EQ(gw->stop(), 0);
  // One access-log line per request, in a fixed shape: time, method, route, status, duration.
  const std::regex line(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [A-Z]+ [a-z_]+ \d{3} \d+\.\d{3}ms$)");
  std::istringstream log(read_file(dir / "stdout.log"));
  std::string l;
  std::map<std::string, int> seen;
  while (std::getline(log, l)) {
    // Start-up and shutdown messages ("hashgate-gateway: ...", "demo: ...") are not access lines.
    if (l.empty() || !std::isdigit(static_cast<unsigned char>(l[0]))) continue;
    EXPECT_TRUE(std::regex_match(l, line)) << l;
    std::istringstream f(l);
    std::string ts, method, route, status;
    f >> ts >> method >> route >> status;
    ++seen[method + " " + route + " " + status];
  }
  EXPECT_EQ(seen["POST events 202"], 4);
  EXPECT_EQ(seen["POST events 400"], 1);
  EXPECT_EQ(seen["GET export 200"], 1);
}

// `/` is the demo folder's own index page when it has one (web/demo/index.html explains each
// demo and its role); without one, a generated list (GatewayServesEveryRoute).
TEST_F(GatewayIntegration, GatewayRootServesTheDemoIndexPage) {
  std::ofstream(dir / "demo/index.html") << "<h1>demos, one per role</h1>";
  auto root = gw->call(request("GET", "/"));
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body, "<h1>demos, one per role</h1>");
  EXPECT_EQ(root.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(gw->call(request("GET", "/demo/")).body, root.body);
}

TEST_F(GatewayIntegration, GatewayExportPagesWithACursor) {
  // 120 events in three requests, most in the same second: more than one page of `limit`.
  std::vector<std::string> expected;
  for (int r = 0; r < 3; ++r) {
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) ids.push_back("pg" + std::to_string(r * 40 + i));
    expected.insert(expected.end(), ids.begin(), ids.end());
    ASSERT_EQ(api("POST", "/v1/events", events_body(ids)).status, 202);
  }
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 100; ++page) {
    const std::string target =
        "/v1/events/export?since=0&limit=7" + (after.empty() ? "" : "&after=" + after);
    auto r = api("GET", target);
    ASSERT_EQ(r.status, 200) << r.body;
    std::istringstream in(r.body);
    std::string line, last_cursor;
    int lines = 0;
    while (std::getline(in, line)) {
      const json j = json::parse(line);
      seen.push_back(j["event_id"]);
      last_cursor = j["cursor"];
      ++lines;
    }
    EXPECT_LE(lines, 7);
    if (lines == 0) break;
    after = last_cursor;
  }
  EXPECT_EQ(seen, expected);  // every event exactly once, in arrival order
  // A cursor without since works too; after the last cursor there is nothing.
  EXPECT_EQ(api("GET", "/v1/events/export?after=" + after).body, "");

  // Bad cursors: 400 naming the parameter, never echoing the value.
  const std::vector<std::string> bad_cursors = {"",
                                                "c1.",
                                                "c1.0",
                                                "c1.2A",
                                                "C1.2a",
                                                "c2.1",
                                                "c1.ffffffffffffffff",
                                                "c1.1%3B--",
                                                "c1.1%00",
                                                "c1.1%20",
                                                "zzcanary",
                                                "c1.zzcanary",
                                                "c1." + std::string(300, 'f')};
  for (const std::string& bad : bad_cursors) {
    auto r = api("GET", "/v1/events/export?since=0&after=" + bad);
    EXPECT_EQ(r.status, 400) << bad;
    const json body = json::parse(r.body);
    EXPECT_EQ(body["error"], "invalid_parameter") << bad;
    EXPECT_NE(body["message"].get<std::string>().find("after"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("zzcanary"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("fffff"), std::string::npos) << r.body;
  }
}

TEST_F(GatewayIntegration, GatewayAuditsThePiiSettingsInForce) {
  // The policy entry at start-up records the phone regions (the default list when the config
  // names none) and the allow paths; a change is audited at the next start.
  auto policies = [&] {
    std::vector<json> out;
    std::istringstream in(api("GET", "/v1/audit?since=0").body);
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && json::parse(line)["action"] == "policy")
        out.push_back(json::parse(line)["detail"]);
    return out;
  };
  auto first = policies();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["pii"]["phone_regions"],
            json::array({"NL", "BE", "DE", "FR", "GB", "ES", "IT", "US"}));
  EXPECT_EQ(first[0]["pii"]["allow_paths"], json::array());
  json tenants = json::parse(read_file(dir / "gateway.json"))["tenants"];
  tenants[0]["pii"] = {{"phone_regions", {"nl", "be"}}, {"allow_paths", {"/custom/items/*/sku"}}};
  ASSERT_TRUE(restart_with({{"tenants", tenants}}));
  auto second = policies();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[1]["pii"]["phone_regions"], json::array({"NL", "BE"}));
  EXPECT_EQ(second[1]["pii"]["allow_paths"], json::array({"/custom/items/*/sku"}));
  // The allow path is in force: a phone-shaped SKU passes, the same value elsewhere does not.
  auto ev = [&](const json& custom) {
    json e = json::parse(events_body({"a" + std::to_string(custom.dump().size())}));
    e["events"][0]["custom"] = custom;
    return api("POST", "/v1/events", e.dump()).status;
  };
  EXPECT_EQ(ev({{"items", json::array({{{"sku", "0612345678"}}})}}), 202);
  EXPECT_EQ(ev({{"items", json::array({{{"note", "0612345678"}}})}}), 422);
}
