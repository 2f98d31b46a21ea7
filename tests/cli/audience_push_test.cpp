// `hashgate audience push` against a fake gateway on loopback (tests/cli/fake_gateway.mjs, real
// HTTP and HTTPS under node) that records every request: batches, retries with Retry-After,
// failures, TLS with a self-signed certificate, and that no plain value ever leaves the process.
// Digests were computed independently (sha256sum), never with hashgate.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "audience_command.hpp"
#include "http_client.hpp"

namespace {

namespace fs = std::filesystem;
using hashgate::cli::parse_gateway_url;
using hashgate::cli::retry_delay;
using nlohmann::json;

// printf '%s' 'test@example.com' | sha256sum
constexpr const char* k_em_hex = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
// printf '%s' '31612345678' | sha256sum   (Meta: E.164 digits without '+')
constexpr const char* k_ph_hex = "e03d152bbe638d9fe7a04f9b88a67674bf15b73c0981755c16eb78d177721e03";
constexpr const char* k_key = "sk_live_QuiteSecretKeyXyz";

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_all(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

struct PushResult {
  int code = -1;
  std::string err;
};

class CliAudiencePush : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hashgate-push-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    m_dir = tmpl;
    write_all(m_dir / "key", std::string(k_key) + "\n");
    // 25 rows: row 2 is the known-answer person; row 9 has no usable identifier (skipped);
    // every third row has no phone.
    std::string csv = "email,phone,last_name\n";
    for (int i = 1; i <= 25; ++i) {
      if (i == 2) {
        csv += "Test@Example.com,+31 6 12345678,Jansen\n";
      } else if (i == 9) {
        csv += "not-an-email,,Pietersen\n";
      } else {
        // Appended piece by piece: GCC 12 warns -Wrestrict (wrongly) on "literal" + string.
        csv += "user";
        csv += std::to_string(i);
        csv += "@example.org,";
        if (i % 3 != 0) csv += "06 " + std::to_string(20000000 + i);
        csv += ",Name";
        csv += std::to_string(i);
        csv += "\n";
      }
    }
    write_all(m_dir / "crm.csv", csv);
  }
  void TearDown() override {
    stop_server();
    fs::remove_all(m_dir);
  }

  // Starts the fake gateway with `script` (JSON, may be empty) and, for TLS, a cert and key.
  void start_server(const std::string& script = "", const std::string& cert = "",
                    const std::string& key = "") {
    std::vector<std::string> args{HASHGATE_NODE, HASHGATE_FAKE_GATEWAY, "--record",
                                  (m_dir / "requests.jsonl").string()};
    if (!script.empty()) {
      write_all(m_dir / "script.json", script);
      args.insert(args.end(), {"--script", (m_dir / "script.json").string()});
    }
    if (!cert.empty()) args.insert(args.end(), {"--cert", cert, "--key", key});
    int out[2];
    ASSERT_EQ(::pipe(out), 0);
    m_server = ::fork();
    if (m_server == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;  // blocks until the server listens: "port N\n"
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    ASSERT_EQ(line.rfind("port ", 0), 0u) << "fake gateway did not start: " << line;
    m_port = line.substr(5);
  }
  void stop_server() {
    if (m_server > 0) {
      ::kill(m_server, SIGTERM);
      ::waitpid(m_server, nullptr, 0);
      m_server = -1;
    }
  }

  std::string url(const std::string& scheme = "http", const std::string& path = "") const {
    return scheme + "://127.0.0.1:" + m_port + path;
  }

  // Runs `hashgate audience push` with the standard options plus `extra` (retries instant).
  PushResult push(std::vector<std::string> extra, const std::string& gateway = "") {
    std::vector<std::string> args{HASHGATE_CLI_PATH,
                                  "audience",
                                  "push",
                                  "--gateway",
                                  gateway.empty() ? url() : gateway,
                                  "--api-key-file",
                                  (m_dir / "key").string(),
                                  "--audience",
                                  "crm-2026",
                                  "--columns",
                                  "email=em,phone=ph",
                                  "--region",
                                  "NL"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
  PushResult run(std::vector<std::string> args) {
    const fs::path err = m_dir / "stderr";
    pid_t pid = ::fork();
    if (pid == 0) {
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(e, 2);
      ::setenv(hashgate::cli::k_env_instant_retry, "1", 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return PushResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_all(err)};
  }

  // The requests the fake gateway recorded, in order.
  std::vector<json> requests() const {
    std::vector<json> out;
    std::istringstream in(read_all(m_dir / "requests.jsonl"));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

  // Makes a self-signed P-256 certificate for `subject_alt_name` with the openssl command.
  std::pair<std::string, std::string> make_cert(const std::string& san) {
    const std::string cert = (m_dir / ("cert-" + san.substr(0, 2) + ".pem")).string();
    const std::string key = (m_dir / ("key-" + san.substr(0, 2) + ".pem")).string();
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + key +
        " -out " + cert + " -days 2 -subj /CN=hashgate-test -addext subjectAltName=" + san +
        " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return {cert, key};
  }

  fs::path m_dir;
  pid_t m_server = -1;
  std::string m_port = "1";
};

// Every raw value of crm.csv that must never reach the wire or the messages.
const std::vector<std::string> k_raw{
    "Test@Example.com", "test@example.com", "12345678", "Jansen",   "example.org", "user5",
    "Pietersen",        "not-an-email",     "Name1",    "20000004", "31 6"};

}  // namespace

TEST_F(CliAudiencePush, UploadsHashedMembersInBatches) {
  start_server();
  const PushResult r = push({"--batch-size", "10", (m_dir / "crm.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto reqs = requests();
  ASSERT_EQ(reqs.size(), 3u);  // 24 members (row 9 has no usable id): 10 + 10 + 4
  const std::size_t sizes[] = {10, 10, 4};
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(reqs[i]["method"], "POST");
    EXPECT_EQ(reqs[i]["url"], "/v1/audiences/crm-2026/members");
    EXPECT_EQ(reqs[i]["headers"]["authorization"], std::string("Bearer ") + k_key);
    EXPECT_EQ(reqs[i]["headers"]["content-type"], "application/json");
    const json body = json::parse(reqs[i]["body"].get<std::string>());
    ASSERT_EQ(body.size(), 1u);
    ASSERT_EQ(body["add"].size(), sizes[i]);
    for (const json& m : body["add"]) {
      for (const auto& [k, v] : m.items()) {
        EXPECT_TRUE(k == "em" || k == "ph") << k;
        EXPECT_EQ(v.get<std::string>().find_first_not_of("0123456789abcdef"), std::string::npos);
        EXPECT_EQ(v.get<std::string>().size(), 64u);
      }
    }
  }
  const json first = json::parse(reqs[0]["body"].get<std::string>())["add"];
  EXPECT_EQ(first[0].size(), 2u);                                   // row 1: both kinds
  EXPECT_EQ(first[1], json({{"em", k_em_hex}, {"ph", k_ph_hex}}));  // row 2, known answer
  EXPECT_EQ(first[2].size(), 1u);                                   // row 3: no phone
  EXPECT_NE(r.err.find("batch 3: 24 members sent"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rows=25 members=24 invalid=1 empty=8 batches=3 retries=0"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("line 10: column email (em): invalid_email"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("audience_members=24"), std::string::npos) << r.err;
}

TEST_F(CliAudiencePush, NoPlainValueLeavesTheProcess) {
  start_server();
  const PushResult r = push({"--batch-size", "7", (m_dir / "crm.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string wire = read_all(m_dir / "requests.jsonl");
  ASSERT_FALSE(wire.empty());
  for (const std::string& raw : k_raw) {
    EXPECT_EQ(wire.find(raw), std::string::npos) << raw;
    EXPECT_EQ(r.err.find(raw), std::string::npos) << raw;
  }
  EXPECT_EQ(r.err.find(k_key), std::string::npos);
}

TEST_F(CliAudiencePush, RetriesHonourRetryAfterUpToTheCap) {
  start_server(R"({"steps": [{"status": 429, "headers": {"Retry-After": "7"}},
                             {"status": 503, "headers": {"Retry-After": "3600"}},
                             {"status": 503}]})");
  const PushResult r =
      push({"--batch-size", "10", "--max-wait", "60", (m_dir / "crm.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto reqs = requests();
  ASSERT_EQ(reqs.size(), 6u);  // batch 1 four times, then batches 2 and 3
  for (int i = 1; i < 4; ++i) EXPECT_EQ(reqs[i]["body"], reqs[0]["body"]);
  EXPECT_NE(reqs[4]["body"], reqs[0]["body"]);
  EXPECT_NE(r.err.find("batch 1: HTTP 429, retry 1 of 8 in 7 s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("batch 1: HTTP 503, retry 2 of 8 in 60 s"), std::string::npos) << r.err;
  // No Retry-After: exponential backoff, third retry = 4 s.
  EXPECT_NE(r.err.find("batch 1: HTTP 503, retry 3 of 8 in 4 s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("batches=3 retries=3"), std::string::npos) << r.err;
}

TEST_F(CliAudiencePush, GivesUpAfterMaxRetriesWithExit69) {
  start_server(R"({"then": {"status": 503, "headers": {"Retry-After": "1"}}})");
  const PushResult r = push({"--max-retries", "2", (m_dir / "crm.csv").string()});
  EXPECT_EQ(r.code, hashgate::cli::k_exit_unavailable) << r.err;
  EXPECT_EQ(requests().size(), 3u);
  EXPECT_NE(r.err.find("giving up after 2 retries"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0 batches (0 members) were acknowledged before"), std::string::npos);
}

TEST_F(CliAudiencePush, RefusalsStopAtOnceAndNameOnlyTheCode) {
  start_server(R"({"steps": [{"status": 200, "body": "{\"added\": 10, \"members\": 10}"},
                             {"status": 401, "body": "{\"error\": \"unauthorized\"}"}]})");
  PushResult r = push({"--batch-size", "10", (m_dir / "crm.csv").string()});
  EXPECT_EQ(r.code, 69) << r.err;
  EXPECT_EQ(requests().size(), 2u);
  EXPECT_NE(r.err.find("batch 2: the gateway answered HTTP 401 (unauthorized)"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("1 batches (10 members) were acknowledged before"), std::string::npos);
  EXPECT_EQ(r.err.find(k_key), std::string::npos);
  stop_server();

  fs::remove(m_dir / "requests.jsonl");
  start_server(R"({"steps": [{"status": 413, "body": "<html>jan@example.com</html>"},
                             {"status": 200, "body": "[1, 2]"}]})");
  r = push({(m_dir / "crm.csv").string()});
  EXPECT_EQ(r.code, 69);
  EXPECT_NE(r.err.find("HTTP 413; lower --batch-size or --max-body-bytes"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("jan@"), std::string::npos);  // an answer body is never echoed
  r = push({(m_dir / "crm.csv").string()});
  EXPECT_EQ(r.code, 69);
  EXPECT_NE(r.err.find("answer is not a JSON object"), std::string::npos) << r.err;
}

TEST_F(CliAudiencePush, LostConnectionsAreRetriedAndOversizedAnswersRefused) {
  // The first request's connection drops before any answer: the batch is sent again.
  start_server(R"({"steps": [{"destroy": true}]})");
  PushResult r = push({(m_dir / "crm.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0]["body"], reqs[1]["body"]);
  EXPECT_NE(r.err.find("no answer from the gateway"), std::string::npos) << r.err;
  stop_server();
  // An answer over 1 MiB is not read: a failed exchange, retried, then exit 69.
  fs::remove(m_dir / "requests.jsonl");
  start_server(R"({"then": {"status": 200, "body": "[0,0,0,0,0,0,0,0]", "body_repeat": 70000}})");
  r = push({"--max-retries", "1", (m_dir / "crm.csv").string()});
  EXPECT_EQ(r.code, 69) << r.err;
  EXPECT_EQ(requests().size(), 2u);
  EXPECT_NE(r.err.find("body limit"), std::string::npos) << r.err;
}

TEST_F(CliAudiencePush, BatchesStayWithinTenThousandMembersAndTheByteCap) {
  std::string csv = "email\n";
  for (int i = 0; i < 10001; ++i) {
    csv += 'u';
    csv += std::to_string(i);
    csv += "@example.net\n";
  }
  write_all(m_dir / "big.csv", csv);
  start_server();
  PushResult r = run({HASHGATE_CLI_PATH, "audience", "push", "--gateway", url(), "--api-key-file",
                      (m_dir / "key").string(), "--audience", "big", "--columns", "email=em",
                      "--max-body-bytes", "67108864", (m_dir / "big.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  auto reqs = requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(json::parse(reqs[0]["body"].get<std::string>())["add"].size(), 10000u);
  EXPECT_EQ(json::parse(reqs[1]["body"].get<std::string>())["add"].size(), 1u);
  stop_server();

  // 300 members of 74 bytes each do not fit in 4096 bytes: several batches, none over the cap.
  fs::remove(m_dir / "requests.jsonl");
  start_server();
  csv.resize(csv.find("u300@"));
  write_all(m_dir / "mid.csv", csv);
  r = push({"--columns", "email=em", "--max-body-bytes", "4096", (m_dir / "mid.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  reqs = requests();
  EXPECT_EQ(reqs.size(), 6u);  // 55 members a batch: 8 + 55 * 73 + 54 + 2 = 4079 bytes
  std::size_t members = 0;
  for (const json& q : reqs) {
    EXPECT_LE(q["body"].get<std::string>().size(), 4096u);
    members += json::parse(q["body"].get<std::string>())["add"].size();
  }
  EXPECT_EQ(members, 300u);
}

TEST_F(CliAudiencePush, BasePathAndStdin) {
  start_server();
  const std::string cmd = std::string(HASHGATE_CLI_PATH) + " audience push --gateway " +
                          url("http", "/gw/") + " --api-key-file " + (m_dir / "key").string() +
                          " --audience a --columns email=em --region NL - < " +
                          (m_dir / "crm.csv").string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const auto reqs = requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["url"], "/gw/v1/audiences/a/members");
}

TEST_F(CliAudiencePush, TlsWithASelfSignedCertificate) {
  const auto [cert, key] = make_cert("IP:127.0.0.1");
  start_server("", cert, key);
  PushResult r = push({"--ca-file", cert, (m_dir / "crm.csv").string()}, url("https"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(requests().size(), 1u);
  // Not trusted (the system's CAs only): the handshake fails, nothing is sent.
  r = push({"--max-retries", "0", (m_dir / "crm.csv").string()}, url("https"));
  EXPECT_EQ(r.code, 69);
  EXPECT_NE(r.err.find("TLS handshake with the gateway failed"), std::string::npos) << r.err;
  EXPECT_EQ(requests().size(), 1u);
  stop_server();
  // Trusted, but issued for another name: refused too.
  const auto [other_cert, other_key] = make_cert("DNS:gateway.example");
  start_server("", other_cert, other_key);
  r = push({"--ca-file", other_cert, "--max-retries", "0", (m_dir / "crm.csv").string()},
           url("https"));
  EXPECT_EQ(r.code, 69);
  EXPECT_NE(r.err.find("TLS handshake"), std::string::npos) << r.err;
}

TEST_F(CliAudiencePush, UsageAndDataErrors) {
  const std::string csv = (m_dir / "crm.csv").string();
  const std::string key = (m_dir / "key").string();
  const std::string cli = HASHGATE_CLI_PATH;
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"--audience", "bad name!"}, "--audience: 1-64"},
      {{"--audience", std::string(65, 'a')}, "--audience: 1-64"},
      {{"--columns", "email=fn"}, "identified by em, ph or external_id"},
      {{"--columns", "email=em,other=email"}, "em is named twice"},
      {{"--columns", "nope=em"}, "column nope is not in the header"},
      {{"--batch-size", "10001"}, "--batch-size: expected a number from 1 to 10000"},
      {{"--batch-size", "0"}, "--batch-size"},
      {{"--profile", "tiktok"}, "--profile: unsupported_profile"},
      {{"--region", "XX"}, "--region: invalid_region"},
      {{"--api-key-file", "/nonexistent"}, "--api-key-file"},
      {{"--bogus", "1"}, "unknown option --bogus"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args{
        cli,          "audience", "push",      "--gateway", "http://127.0.0.1:1",
        "--audience", "a",        "--columns", "email=em",  "--api-key-file",
        key};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.push_back(csv);
    const PushResult r = run(args);
    EXPECT_EQ(r.code, 64) << c.message << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  for (const char* gw : {"ftp://h", "http://", "http://h:0", "http://h:99999", "http://u@h",
                         "http://h/?q=1", "https://[::1"}) {
    const PushResult r = run({cli, "audience", "push", "--gateway", gw, "--audience", "a",
                              "--columns", "email=em", "--api-key-file", key, csv});
    EXPECT_EQ(r.code, 64) << gw;
  }
  EXPECT_EQ(run({cli, "audience"}).code, 64);
  EXPECT_EQ(run({cli, "audience", "pull"}).code, 64);
  EXPECT_EQ(run({cli, "audience", "push", "--help"}).code, 0);
  write_all(m_dir / "empty-key", "\n");
  EXPECT_EQ(run({cli, "audience", "push", "--gateway", "http://h", "--audience", "a", "--columns",
                 "email=em", "--api-key-file", (m_dir / "empty-key").string(), csv})
                .code,
            64);
  // Malformed CSV: nothing after the bad line is sent; exit 65.
  start_server();
  write_all(m_dir / "bad.csv", "email,phone\na@example.com,1\n\"b@example.com,2\n");
  EXPECT_EQ(push({(m_dir / "bad.csv").string()}).code, 65);
  write_all(m_dir / "short.csv", "email,phone\na@example.com\n");
  EXPECT_EQ(push({(m_dir / "short.csv").string()}).code, 65);
  EXPECT_TRUE(requests().empty());
}

TEST(CliAudienceUnits, GatewayUrls) {
  auto u = parse_gateway_url("https://gw.example.com");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "gw.example.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->base, "");
  u = parse_gateway_url("http://127.0.0.1:8080/prefix/path//");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->base, "/prefix/path");
  u = parse_gateway_url("http://[::1]:9000");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "9000");
  EXPECT_EQ(parse_gateway_url("http://h")->port, "80");
  for (const char* bad :
       {"", "h:80", "HTTP://h", "http://:80", "http://h:", "http://h:x", "http://h:65536",
        "http://a:b@h", "http://h#f", "http://[::1]x", "http://h h", "http://::1"}) {
    EXPECT_FALSE(parse_gateway_url(bad)) << bad;
  }
}

TEST(CliAudienceUnits, RetryDelays) {
  using std::chrono::seconds;
  // 2015-10-21T07:28:00Z = 1445412480 (date -u -d '2015-10-21 07:28:00' +%s).
  const auto now = std::chrono::system_clock::from_time_t(1445412480);
  EXPECT_EQ(retry_delay("7", 1, seconds(60), now), seconds(7));
  EXPECT_EQ(retry_delay("0", 1, seconds(60), now), seconds(0));
  EXPECT_EQ(retry_delay("3600", 1, seconds(60), now), seconds(60));
  EXPECT_EQ(retry_delay("Wed, 21 Oct 2015 07:28:30 GMT", 1, seconds(60), now), seconds(30));
  EXPECT_EQ(retry_delay("Wed, 21 Oct 2015 07:27:00 GMT", 1, seconds(60), now), seconds(0));
  for (const char* none : {"", "-5", "7s", " 7", "soon", "Wed, 21 Oct 2015 07:28:30 UTC"}) {
    EXPECT_EQ(retry_delay(none, 1, seconds(60), now), seconds(1)) << none;
    EXPECT_EQ(retry_delay(none, 3, seconds(60), now), seconds(4)) << none;
  }
  EXPECT_EQ(retry_delay("", 30, seconds(60), now), seconds(60));
  EXPECT_EQ(retry_delay("99999999999999999999999", 1, seconds(60), now), seconds(1));
  EXPECT_TRUE(hashgate::cli::valid_audience_name("crm-2026_Q1"));
  EXPECT_FALSE(hashgate::cli::valid_audience_name("crm 2026"));
  EXPECT_FALSE(hashgate::cli::valid_audience_name(""));
}
