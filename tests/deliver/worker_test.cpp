// The delivery worker against fake destinations on loopback (real HTTP and HTTPS): signatures
// verified at the receiver (OpenSSL, Node and Python), Retry-After and backoff under a fake clock,
// a destination down and back up, permanent failures, expiry, the platform kinds, TLS, and the
// threads. Synchronisation is explicit: pump() under a fake clock, or waiting on what the fake
// destination received.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <ctime>
#include <fstream>
#include <future>
#include <regex>
#include <set>

#include "gateway/deliver/memory_outbox.hpp"
#include "gateway/deliver/payload.hpp"
#include "gateway/deliver/worker.hpp"
#include "tests/deliver/fake_destination.hpp"
#include "tests/deliver/test_util.hpp"

namespace hashgate::gw::deliver {
namespace {

using nlohmann::json;
using test::Answer;
using test::Captured;
using test::FakeDestination;

const std::string k_secret = "whsec_test_0123456789abcdef";
constexpr std::int64_t k_hour_ms = 3600 * 1000;

/// The worker, its outbox and metrics, a fake clock and the reports it made.
struct Rig {
  test::FakeClock clock;
  MemoryOutbox outbox;
  DeliveryMetrics metrics;
  std::mutex mu;
  std::vector<DeliveryReport> reports;
  std::unique_ptr<Worker> worker;

  void start(std::vector<Destination> ds, WorkerOptions o = {}) {
    if (!o.now_ms) o.now_ms = [this] { return clock(); };
    if (!o.uniform01) o.uniform01 = [] { return 0.0; };
    o.key_salt = "test-install";
    o.on_report = [this](const DeliveryReport& r) {
      std::lock_guard lk(mu);
      reports.push_back(r);
    };
    worker = std::make_unique<Worker>(std::move(ds), outbox, metrics, std::move(o));
  }
  std::int64_t add_event(const std::string& dest, const std::string& id,
                         const std::string& email = "ann@example.com", DmaConsent dma = {}) {
    return outbox.add(dest, RowKind::event,
                      test::export_line(id, "purchase", clock() / 1000 - 60, email), clock(), dma);
  }
  /// Pumps `index` with the clock moved to each next due time, until nothing is pending.
  void drain(std::size_t index, int max_rounds = 100) {
    const std::string& id = worker->destinations()[index].id;
    for (int i = 0; i < max_rounds; ++i) {
      const std::int64_t due = outbox.next_due(id);
      if (due < 0) return;
      if (due > clock()) clock.ms = due;
      worker->pump(index);
    }
    FAIL() << "still pending after " << max_rounds << " rounds";
  }
};

Destination webhook(const std::string& id, const std::string& url, std::size_t batch = 500) {
  Destination d;
  d.tenant = "shop";
  d.id = id;
  d.kind = Kind::webhook;
  EXPECT_EQ(parse_url(url, d.url), "");
  d.secret = Secret(std::string(k_secret));
  d.batch_events = batch;
  d.timeout_ms = 5000;
  return d;
}

/// event_ids inside a captured webhook events body.
std::vector<std::string> event_ids(const Captured& c) {
  std::vector<std::string> out;
  const json j = json::parse(c.body, nullptr, false);
  if (j.is_object() && j.contains("events"))
    for (const auto& e : j["events"]) out.push_back(e["event_id"]);
  return out;
}

std::string http_date(std::int64_t unix_s) {
  const std::time_t t = unix_s;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string b64(const std::string& s) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(s[i]) << 16) |
                       (static_cast<unsigned char>(s[i + 1]) << 8) |
                       static_cast<unsigned char>(s[i + 2]);
    for (int k2 : {18, 12, 6, 0}) out += k[(v >> k2) & 63];
  }
  if (i < s.size()) {
    unsigned v = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<unsigned char>(s[i + 1]) << 8;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += i + 1 < s.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// Runs `cmd`; its exit status.
int run(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(DeliverWorker, WebhookRequestsVerifyAtTheReceiver) {
  FakeDestination fake;
  Rig rig;
  rig.start({webhook("crm", fake.url("/hook"))});
  std::vector<std::string> lines;
  for (int i = 0; i < 3; ++i) {
    rig.add_event("crm", "e" + std::to_string(i));
    lines.push_back(rig.outbox.pending("crm").back().payload);
  }
  const PumpResult r = rig.worker->pump(0);
  EXPECT_EQ(r.rows, 3u);
  EXPECT_EQ(r.outcome, DeliveryReport::Outcome::delivered);
  ASSERT_EQ(fake.requests().size(), 1u);
  const Captured c = fake.requests().front();
  EXPECT_EQ(c.method, "POST");
  EXPECT_EQ(c.target, "/hook");
  EXPECT_EQ(c.header("content-type"), "application/json");
  EXPECT_EQ(c.header("idempotency-key"), idempotency_key("test-install", "crm", 1));
  const std::string t = std::to_string(rig.clock() / 1000);
  EXPECT_EQ(c.header("hashgate-signature"),
            "t=" + t + ",v1=" + test::hmac_hex(k_secret, t + "." + c.body));
  const json body = json::parse(c.body);
  EXPECT_EQ(body["type"], "events");
  EXPECT_EQ(body["tenant"], "shop");
  EXPECT_EQ(body["destination"], "crm");
  ASSERT_EQ(body["events"].size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(body["events"][i], json::parse(lines[i]));
  EXPECT_EQ(rig.metrics.delivered("crm"), 3u);
  EXPECT_TRUE(rig.outbox.pending("crm").empty());

  // The Node and Python verifiers of docs/destinations.md accept the real request and refuse a
  // tampered body, a wrong secret and a stale timestamp.
  const std::int64_t now = rig.clock() / 1000;
  const std::string sig = c.header("hashgate-signature");
  json cases = json::array({
      {{"name", "real"},
       {"secret", k_secret},
       {"header", sig},
       {"body_b64", b64(c.body)},
       {"now", now},
       {"expect", true}},
      {{"name", "tampered"},
       {"secret", k_secret},
       {"header", sig},
       {"body_b64", b64(c.body + " ")},
       {"now", now},
       {"expect", false}},
      {{"name", "secret"},
       {"secret", k_secret + "x"},
       {"header", sig},
       {"body_b64", b64(c.body)},
       {"now", now},
       {"expect", false}},
      {{"name", "replay"},
       {"secret", k_secret},
       {"header", sig},
       {"body_b64", b64(c.body)},
       {"now", now + 301},
       {"expect", false}},
      {{"name", "garbage"},
       {"secret", k_secret},
       {"header", "v1=00"},
       {"body_b64", b64(c.body)},
       {"now", now},
       {"expect", false}},
  });
  test::TempDir dir;
  const auto file = (dir.path / "cases.json").string();
  std::ofstream(file) << cases.dump();
  const std::string src = HASHGATE_SOURCE_DIR;
  EXPECT_EQ(run("node " + src + "/tests/deliver/verify_webhook.mjs " + file), 0);
  EXPECT_EQ(run("python3 " + src + "/tests/deliver/verify_webhook.py " + file), 0);
  // The scripts really check: expecting the tampered body to verify makes both fail.
  cases[1]["expect"] = true;
  std::ofstream(file) << cases.dump();
  EXPECT_EQ(run("node " + src + "/tests/deliver/verify_webhook.mjs " + file + " 2>/dev/null"), 1);
  EXPECT_EQ(run("python3 " + src + "/tests/deliver/verify_webhook.py " + file + " 2>/dev/null"), 1);
}

TEST(DeliverWorker, RetryAfterSecondsIsHonouredWithoutWaiting) {
  FakeDestination fake([](const Captured&, std::size_t i) {
    return i == 0 ? Answer{429, "120"} : Answer{200, ""};
  });
  Rig rig;
  rig.start({webhook("crm", fake.url())});
  const std::int64_t t0 = rig.clock();
  const auto id = rig.add_event("crm", "e1");
  rig.add_event("crm", "e2");
  EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::retry);
  EXPECT_EQ(rig.outbox.next_at("crm", id), t0 + 120'000);  // backoff alone would be 500 ms
  rig.clock.ms = t0 + 119'999;
  EXPECT_EQ(rig.worker->pump(0).rows, 0u);
  EXPECT_EQ(fake.requests().size(), 1u);
  rig.clock.ms = t0 + 120'000;
  EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::delivered);
  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].header("idempotency-key"), reqs[1].header("idempotency-key"));
  EXPECT_EQ(reqs[0].body, reqs[1].body);
  EXPECT_NE(reqs[0].header("hashgate-signature"), reqs[1].header("hashgate-signature"));
  EXPECT_EQ(rig.metrics.delivered("crm"), 2u);
}

TEST(DeliverWorker, RetryAfterHttpDateIsHonoured) {
  Rig rig;
  const std::int64_t t0 = rig.clock();
  FakeDestination fake([t0](const Captured&, std::size_t i) {
    return i == 0 ? Answer{503, http_date(t0 / 1000 + 300)} : Answer{200, ""};
  });
  rig.start({webhook("crm", fake.url())});
  const auto id = rig.add_event("crm", "e1");
  rig.worker->pump(0);
  EXPECT_EQ(rig.outbox.next_at("crm", id), t0 + 300'000);
}

TEST(DeliverWorker, RetryableAnswersBackOffExponentially) {
  const int statuses[] = {408, 500, 503, 429, 200};
  FakeDestination fake([&](const Captured&, std::size_t i) {
    return Answer{statuses[std::min<std::size_t>(i, 4)], ""};
  });
  Rig rig;
  rig.start({webhook("crm", fake.url())});
  const auto id = rig.add_event("crm", "e1");
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 4; ++i) {
    const std::int64_t before = rig.clock();
    EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::retry);
    delays.push_back(rig.outbox.next_at("crm", id) - before);
    rig.clock.ms = rig.outbox.next_at("crm", id);
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{500, 1000, 2000, 4000}));  // jitter fixed at 0
  EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::delivered);
  EXPECT_EQ(fake.requests().size(), 5u);
  EXPECT_EQ(rig.metrics.delivered("crm"), 1u);
  std::lock_guard lk(rig.mu);
  EXPECT_EQ(rig.reports[0].reason, "http_408");
  EXPECT_EQ(rig.reports[3].reason, "http_429");
}

TEST(DeliverWorker, DownThenUpDeliversEveryRowExactlyOnceByIdempotencyKey) {
  std::uint16_t port = 0;
  {
    FakeDestination reserve;  // a free port, then closed: connections are refused
    port = reserve.port();
  }
  Rig rig;
  Destination d = webhook("crm", "http://127.0.0.1:" + std::to_string(port) + "/hook", 10);
  d.timeout_ms = 300;
  rig.start({d});
  for (int i = 0; i < 5; ++i) rig.add_event("crm", "e" + std::to_string(i));

  // Down: nothing listens. Three rounds, each a retry of the first batch (e0..e4).
  for (int i = 0; i < 3; ++i) {
    if (rig.outbox.next_due("crm") > rig.clock()) rig.clock.ms = rig.outbox.next_due("crm");
    EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::retry);
  }
  {
    std::lock_guard lk(rig.mu);
    EXPECT_EQ(rig.reports.back().reason, "connect");
  }

  // Up again, but flaky: 503 twice; then one request is processed and answered only after the
  // client gave up (it must be resent with the same key); then every answer is 200.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  FakeDestination fake(
      [released](const Captured&, std::size_t i) {
        if (i < 2) return Answer{503, ""};
        if (i == 2) released.wait();  // the worker times out meanwhile
        return Answer{200, ""};
      },
      std::nullopt, port);
  for (int i = 0; i < 3; ++i) {
    if (rig.outbox.next_due("crm") > rig.clock()) rig.clock.ms = rig.outbox.next_due("crm");
    EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::retry) << i;
  }
  {
    std::lock_guard lk(rig.mu);
    EXPECT_EQ(rig.reports.back().reason, "timeout");
  }
  release.set_value();
  ASSERT_TRUE(fake.wait_for(3));
  // More rows arrive while the first batch waits: its retry must still carry e0..e4 only.
  for (int i = 5; i < 25; ++i) rig.add_event("crm", "e" + std::to_string(i));
  rig.clock.ms = rig.outbox.next_at("crm", 1);  // the batch and the new rows are due together
  rig.drain(0);

  // The receiver's view: requests answered 200, deduplicated by Idempotency-Key.
  std::map<std::string, std::vector<std::string>> by_key;
  std::size_t answered_ok = 0;
  for (const auto& c : fake.requests()) {
    if (c.status != 200) continue;
    ++answered_ok;
    const auto ids = event_ids(c);
    auto [it, fresh] = by_key.emplace(c.header("idempotency-key"), ids);
    if (!fresh) {
      EXPECT_EQ(it->second, ids) << "a key was reused for other rows";
    }
  }
  EXPECT_EQ(answered_ok, by_key.size() + 1);  // the timed-out batch arrived twice
  std::multiset<std::string> once;
  for (const auto& [key, ids] : by_key) once.insert(ids.begin(), ids.end());
  EXPECT_EQ(once.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(once.count("e" + std::to_string(i)), 1u) << i;
  EXPECT_EQ(rig.metrics.delivered("crm"), 25u);
  EXPECT_TRUE(rig.outbox.pending("crm").empty());
}

TEST(DeliverWorker, PermanentFailuresAreCountedAndReported) {
  const int statuses[] = {400, 404, 301};
  FakeDestination fake([&](const Captured&, std::size_t i) {
    return Answer{statuses[std::min<std::size_t>(i, 2)], ""};
  });
  Rig rig;
  rig.start({webhook("crm", fake.url(), 2)});
  for (int i = 0; i < 5; ++i) rig.add_event("crm", "e" + std::to_string(i));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::failed);
  EXPECT_EQ(rig.worker->pump(0).rows, 0u);  // nothing left, nothing retried
  EXPECT_EQ(fake.requests().size(), 3u);
  EXPECT_EQ(rig.metrics.failed("crm", "http_400"), 2u);
  EXPECT_EQ(rig.metrics.failed("crm", "http_404"), 2u);
  EXPECT_EQ(rig.metrics.failed("crm", "http_301"), 1u);
  EXPECT_EQ(rig.metrics.delivered("crm"), 0u);
  std::lock_guard lk(rig.mu);
  ASSERT_EQ(rig.reports.size(), 3u);
  EXPECT_EQ(rig.reports[0].outcome, DeliveryReport::Outcome::failed);
  EXPECT_EQ(rig.reports[0].status, 400);
  EXPECT_EQ(rig.reports[0].ids, (std::vector<std::int64_t>{1, 2}));
  const auto done = rig.outbox.done();
  ASSERT_EQ(done.size(), 5u);
  EXPECT_EQ(done[4].reason, "http_301");
}

TEST(DeliverWorker, GivesUpAfterMaxAgeHours) {
  FakeDestination fake([](const Captured& c, std::size_t) {
    return c.body.find("\"e2\"") != std::string::npos ? Answer{503, "7200"} : Answer{503, ""};
  });
  Rig rig;
  Destination d = webhook("crm", fake.url(), 1);
  d.max_age_hours = 1;
  rig.start({d});
  const std::int64_t t0 = rig.clock();
  rig.add_event("crm", "e1");
  EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::retry);
  rig.clock.ms = t0 + k_hour_ms;  // the row's hour is over: failed without another request
  EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::failed);
  EXPECT_EQ(fake.requests().size(), 1u);
  EXPECT_EQ(rig.metrics.failed("crm", "expired"), 1u);
  // A Retry-After beyond the deadline gives up at once.
  rig.add_event("crm", "e2");
  EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::failed);
  EXPECT_TRUE(rig.outbox.pending("crm").empty());
  EXPECT_EQ(fake.requests().size(), 2u);
  EXPECT_EQ(rig.metrics.failed("crm", "expired"), 2u);
}

TEST(DeliverWorker, OptOutsTravelAsTheirOwnRequests) {
  FakeDestination fake;
  Rig rig;
  rig.start({webhook("crm", fake.url())});
  rig.add_event("crm", "e1");
  rig.outbox.add(
      "crm", RowKind::optout,
      encode_optout({"opt_1", {{"em", {test::sha256_hex("ann@example.com")}}, {"ph", {}}}, ""}),
      rig.clock());
  rig.add_event("crm", "e3");
  rig.drain(0);
  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(event_ids(reqs[0]), std::vector<std::string>{"e1"});
  const json o = json::parse(reqs[1].body);
  EXPECT_EQ(o["type"], "optout");
  EXPECT_EQ(o["optout_id"], "opt_1");
  EXPECT_EQ(o["ids"]["em"][0], test::sha256_hex("ann@example.com"));
  EXPECT_EQ(reqs[1].header("idempotency-key"), idempotency_key("test-install", "crm", 2));
  const std::string t = std::to_string(rig.clock() / 1000);
  EXPECT_EQ(reqs[1].header("hashgate-signature"),
            "t=" + t + ",v1=" + test::hmac_hex(k_secret, t + "." + reqs[1].body));
  EXPECT_EQ(event_ids(reqs[2]), std::vector<std::string>{"e3"});
  EXPECT_EQ(rig.metrics.delivered("crm"), 3u);
}

TEST(DeliverWorker, MetaAndGoogleCallsOnLoopback) {
  FakeDestination fake;
  Rig rig;
  Destination m;
  m.tenant = "shop";
  m.id = "fb";
  m.kind = Kind::meta_capi;
  ASSERT_EQ(parse_url(fake.url("/v21.0"), m.url), "");
  m.secret = Secret(std::string("meta-token"));
  m.meta = {"1234567890", "987", ""};
  const Destination g = test::google_dm(fake.url("/v1"), "google-token");
  rig.start({m, g});
  const std::string opt =
      encode_optout({"opt_9", {{"em", {test::sha256_hex("ann@example.com")}}}, "u1"});
  for (const char* dest : {"fb", "gads"}) {
    rig.add_event(dest, "e1", "ann@example.com", {DmaStatus::granted, DmaStatus::granted});
    rig.outbox.add(dest, RowKind::optout, opt, rig.clock());
  }
  rig.drain(0);
  rig.drain(1);
  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/v21.0/1234567890/events");
  EXPECT_EQ(json::parse(reqs[0].body)["data"][0]["event_id"], "e1");
  EXPECT_EQ(json::parse(reqs[0].body)["access_token"], "meta-token");
  EXPECT_EQ(reqs[1].method, "DELETE");
  EXPECT_EQ(reqs[1].target, "/v21.0/987/users");
  EXPECT_EQ(json::parse(reqs[1].body)["payload"]["data"][0][0],
            test::sha256_hex("ann@example.com"));
  EXPECT_EQ(reqs[2].target, "/v1/events:ingest");
  EXPECT_EQ(reqs[2].header("authorization"), "Bearer google-token");
  EXPECT_EQ(json::parse(reqs[2].body)["events"][0]["consent"]["adUserData"], "CONSENT_GRANTED");
  EXPECT_EQ(reqs[3].target, "/v1/audienceMembers:remove");
  for (const auto& c : reqs) {
    EXPECT_EQ(c.body.find("u1"), std::string::npos);  // hg_uid is first-party only
    EXPECT_EQ(c.header("idempotency-key").size(), 32u);
  }
}

TEST(DeliverWorker, NoPlainEmailInAnyCapturedBody) {
  FakeDestination fake;
  Rig rig;
  Destination m;
  m.tenant = "shop";
  m.id = "fb";
  m.kind = Kind::meta_capi;
  ASSERT_EQ(parse_url(fake.url("/v21.0"), m.url), "");
  m.secret = Secret(std::string("meta-token"));
  m.meta = {"1", "2", ""};
  Destination g = m;
  g.id = "gads";
  g.kind = Kind::google_dm;
  g.google.operating_account_id = "3";
  g.google.conversion_action_id = "4";
  g.google.user_list_id = "5";
  rig.start({webhook("crm", fake.url()), m, g});
  const std::vector<std::string> emails{"ann@example.com", "Bob.Smith+shop@gmail.com", "c@d.nl"};
  for (const char* dest : {"crm", "fb", "gads"}) {
    for (std::size_t i = 0; i < emails.size(); ++i)
      rig.add_event(dest, "e" + std::to_string(i), emails[i]);
    rig.outbox.add(dest, RowKind::optout,
                   encode_optout({"o", {{"em", {test::sha256_hex(emails[0])}}, {"ph", {}}}, ""}),
                   rig.clock());
  }
  for (std::size_t i = 0; i < 3; ++i) rig.drain(i);
  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 6u);
  const std::regex email(R"([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})");
  std::size_t hashes_seen = 0;
  for (const auto& c : reqs) {
    std::string all = c.target + "\n" + c.body;
    for (const auto& [name, value] : c.headers) all += "\n" + name + ": " + value;
    EXPECT_FALSE(std::regex_search(all, email)) << c.target;
    for (const auto& e : emails) {
      EXPECT_EQ(all.find(e), std::string::npos);
      if (all.find(test::sha256_hex(e)) != std::string::npos) ++hashes_seen;
    }
  }
  EXPECT_GE(hashes_seen, 6u);  // positive control: the hashed forms did travel
}

TEST(DeliverWorker, TlsDestinationIsVerified) {
  test::TempDir dir;
  const auto key = (dir.path / "key.pem").string();
  const auto cert = (dir.path / "cert.pem").string();
  ASSERT_EQ(run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                key + " -out " + cert +
                " -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1"),
            0);
  // A certificate for another name, trusted but not for 127.0.0.1.
  const auto key2 = (dir.path / "key2.pem").string();
  const auto cert2 = (dir.path / "cert2.pem").string();
  ASSERT_EQ(
      run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + key2 +
          " -out " + cert2 +
          " -days 2 -subj /CN=example.org -addext subjectAltName=DNS:example.org >/dev/null 2>&1"),
      0);
  FakeDestination fake({}, test::TlsFiles{cert, key});
  FakeDestination other({}, test::TlsFiles{cert2, key2});
  Rig rig;
  Destination trusted = webhook("good", fake.url());
  trusted.ca_file = cert;
  Destination untrusted = webhook("bad", fake.url());  // system CAs do not know the cert
  Destination wrong_name = webhook("name", other.url());
  wrong_name.ca_file = cert2;
  rig.start({trusted, untrusted, wrong_name});
  for (const char* d : {"good", "bad", "name"}) rig.add_event(d, "e1");
  EXPECT_EQ(rig.worker->pump(0).outcome, DeliveryReport::Outcome::delivered);
  EXPECT_EQ(rig.worker->pump(1).outcome, DeliveryReport::Outcome::retry);
  EXPECT_EQ(rig.worker->pump(2).outcome, DeliveryReport::Outcome::retry);
  ASSERT_EQ(fake.requests().size(), 1u);
  EXPECT_EQ(event_ids(fake.requests()[0]), std::vector<std::string>{"e1"});
  EXPECT_TRUE(other.requests().empty());
  std::lock_guard lk(rig.mu);
  ASSERT_EQ(rig.reports.size(), 3u);
  EXPECT_EQ(rig.reports[1].reason, "tls");
  EXPECT_EQ(rig.reports[2].reason, "tls");
}

TEST(DeliverWorker, KeepsOneConnectionAliveAndReconnectsWhenClosed) {
  FakeDestination fake;
  Rig rig;
  rig.start({webhook("crm", fake.url(), 1)});
  for (int i = 0; i < 3; ++i) rig.add_event("crm", "e" + std::to_string(i));
  rig.drain(0);
  EXPECT_EQ(fake.requests().size(), 3u);
  EXPECT_EQ(fake.connections(), 1u);
  FakeDestination closing([](const Captured&, std::size_t) { return Answer{200, "", true}; });
  Rig rig2;
  rig2.start({webhook("crm", closing.url(), 1)});
  for (int i = 0; i < 3; ++i) rig2.add_event("crm", "e" + std::to_string(i));
  rig2.drain(0);
  EXPECT_EQ(closing.requests().size(), 3u);
  EXPECT_EQ(closing.connections(), 3u);
  EXPECT_EQ(rig2.metrics.delivered("crm"), 3u);
}

TEST(DeliverWorker, ThreadsDeliverWhileRowsKeepArriving) {
  auto flaky = [](const Captured&, std::size_t i) {
    return i < 3 ? Answer{503, ""} : Answer{200, ""};
  };
  FakeDestination a(flaky), b(flaky);
  MemoryOutbox outbox;
  DeliveryMetrics metrics;
  WorkerOptions o;
  o.threads = 2;
  o.retry.base_ms = 1;
  o.retry.cap_ms = 4;
  o.idle_poll_ms = 50;
  o.key_salt = "threads";
  Worker worker({webhook("a", a.url(), 7), webhook("b", b.url(), 7)}, outbox, metrics, o);
  worker.start();
  auto now_ms = [] {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  };
  for (int chunk = 0; chunk < 10; ++chunk) {
    for (int i = 0; i < 20; ++i) {
      const std::string id = std::to_string(chunk * 20 + i).insert(0, 1, 'e');
      for (const char* dest : {"a", "b"})
        outbox.add(dest, RowKind::event,
                   test::export_line(id, "lead", now_ms() / 1000, "x@example.com"), now_ms());
    }
    worker.notify("a");
    worker.notify("b");
  }
  auto all_delivered = [](const std::vector<Captured>& reqs) {
    std::set<std::string> ids;
    for (const auto& c : reqs)
      if (c.status == 200)
        for (const auto& id : event_ids(c)) ids.insert(id);
    return ids.size() == 200;
  };
  EXPECT_TRUE(a.wait_until(all_delivered));
  EXPECT_TRUE(b.wait_until(all_delivered));
  worker.stop();
  EXPECT_EQ(metrics.delivered("a"), 200u);
  EXPECT_EQ(metrics.delivered("b"), 200u);
  EXPECT_TRUE(outbox.pending("a").empty());
  EXPECT_TRUE(outbox.pending("b").empty());
}

TEST(DeliverOutbox, FetchDuePutsEarlierBatchesFirstAndWhole) {
  MemoryOutbox o;
  for (int i = 0; i < 6; ++i) o.add("d", RowKind::event, "{}", 0);
  o.mark_retry("d", {4, 5}, 4, 10, "http_503");
  o.mark_retry("d", {2}, 2, 10, "http_503");
  auto ids = [](const std::vector<OutboxRow>& rows) {
    std::vector<std::int64_t> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  };
  EXPECT_EQ(ids(o.fetch_due("d", 10, 5)), (std::vector<std::int64_t>{1, 3, 6}));  // batches not due
  EXPECT_EQ(ids(o.fetch_due("d", 10, 10)), (std::vector<std::int64_t>{2, 4, 5, 1, 3, 6}));
  EXPECT_EQ(ids(o.fetch_due("d", 2, 10)), (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(o.next_due("d"), 0);
  o.drop("d", {1, 3, 6});
  EXPECT_EQ(o.next_due("d"), 10);
  EXPECT_EQ(o.stats("d").pending, 3u);
  EXPECT_EQ(o.next_due("none"), -1);
}

TEST(DeliverMetrics, RendersThePinnedNames) {
  DeliveryMetrics m;
  m.add_destination("crm");
  m.add_destination("fb");
  m.add_delivered("crm", 5);
  m.add_failed("crm", "http_400", 2);
  m.add_failed("fb", "consent_vendor", 1);
  const std::string text = m.render({{"crm", 3, 12.5}, {"fb", 0, 0}});
  for (const char* line :
       {"# TYPE hashgate_destination_delivered_total counter\n",
        "hashgate_destination_delivered_total{destination=\"crm\"} 5\n",
        "hashgate_destination_delivered_total{destination=\"fb\"} 0\n",
        "# TYPE hashgate_destination_failed_total counter\n",
        "hashgate_destination_failed_total{destination=\"crm\",reason=\"http_400\"} 2\n",
        "hashgate_destination_failed_total{destination=\"fb\",reason=\"consent_vendor\"} 1\n",
        "# TYPE hashgate_destination_pending gauge\n",
        "hashgate_destination_pending{destination=\"crm\"} 3\n",
        "hashgate_destination_pending{destination=\"fb\"} 0\n",
        "# TYPE hashgate_destination_oldest_pending_seconds gauge\n",
        "hashgate_destination_oldest_pending_seconds{destination=\"crm\"} 12.500\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line;
  std::string escaped;
  append_label_value(escaped, "a\"b\\c\nd");
  EXPECT_EQ(escaped, "a\\\"b\\\\c\\nd");
}

TEST(DeliverMetrics, PendingGaugesComeFromTheOutbox) {
  Rig rig;
  rig.start({webhook("crm", "http://127.0.0.1:9/hook")});
  const std::int64_t t0 = rig.clock();
  rig.add_event("crm", "e1");
  rig.clock.ms = t0 + 2500;
  rig.add_event("crm", "e2");
  rig.clock.ms = t0 + 10'000;
  const auto s = rig.worker->sample_pending();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].destination, "crm");
  EXPECT_EQ(s[0].pending, 2u);
  EXPECT_DOUBLE_EQ(s[0].oldest_seconds, 10.0);
}

}  // namespace
}  // namespace hashgate::gw::deliver
