#pragma once
// The loopback fixture of the integration tests: starts the REAL hashgate-gateway binary on
// 127.0.0.1 with an ephemeral port (--port-file) and a temporary data folder, and talks HTTP
// over raw sockets (a client library would normalise the requests these tests send).
// Shared by integration_test.cpp and http_framing_test.cpp; everything has internal linkage.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// printf %s test@example.com | sha256sum ; printf %s other@example.com | sha256sum
const std::string k_em = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
const std::string k_em2 = "5b71ed5f946240dc76f3b7c24bdcbbc3528284ec5f4519249fb702686f0df5b8";
// printf %s sk_test | sha256sum
const std::string k_api_hash = "12b2820cf1639904311da5771de1e5bb65c77073fdc7c555df395942df42896b";

// Deadline of every wait for a condition (start-up, an answer): generous, because the waits end
// as soon as the condition holds; only a machine too loaded to get there at all reaches it.
constexpr int k_patience_s = 120;

struct HttpResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string header(const std::string& n) const {
    auto it = headers.find(n);
    return it == headers.end() ? "" : it->second;
  }
};

/// A blocking HTTP/1.1 client connection on 127.0.0.1 (keep-alive capable).
class Conn {
 public:
  explicit Conn(int port) {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{k_patience_s, 0};
    setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    m_ok = ::connect(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Conn() { ::close(m_fd); }
  bool ok() const { return m_ok; }
  bool send_raw(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::send(m_fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }
  void shutdown_write() { ::shutdown(m_fd, SHUT_WR); }
  /// This end's local port (the server sees it as the peer port).
  int local_port() const {
    sockaddr_in a{};
    socklen_t n = sizeof a;
    if (::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &n) != 0) return -1;
    return ntohs(a.sin_port);
  }
  /// Reads one response (Content-Length framed); status 0 if the connection ended first.
  HttpResponse read_response() {
    HttpResponse r;
    std::size_t hdr_end;
    while ((hdr_end = m_buf.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return r;
    std::istringstream hs(m_buf.substr(0, hdr_end));
    std::string line;
    std::getline(hs, line);
    if (line.size() < 12) return r;
    r.status = std::stoi(line.substr(9, 3));
    std::size_t len = 0;
    while (std::getline(hs, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      auto c = line.find(':');
      if (c == std::string::npos) continue;
      std::string k = line.substr(0, c), v = line.substr(c + 1);
      for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      if (k == "content-length") len = std::stoul(v);
      r.headers.emplace(k, v);
    }
    m_buf.erase(0, hdr_end + 4);
    while (m_buf.size() < len)
      if (!fill()) break;
    r.body = m_buf.substr(0, len);
    m_buf.erase(0, std::min(len, m_buf.size()));
    return r;
  }
  /// True if the server closed the connection (read returns 0 or an error).
  bool closed_by_peer() {
    char c;
    ssize_t n = ::recv(m_fd, &c, 1, 0);
    return n <= 0;
  }

 private:
  bool fill() {
    char b[16384];
    ssize_t n = ::recv(m_fd, b, sizeof b, 0);
    if (n <= 0) return false;
    m_buf.append(b, static_cast<std::size_t>(n));
    return true;
  }
  int m_fd = -1;
  bool m_ok = false;
  std::string m_buf;
};

std::string request(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::vector<std::string>& headers = {},
                    bool close = true) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) r += h + "\r\n";
  if (!body.empty() || method == "POST")
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (close) r += "Connection: close\r\n";
  return r + "\r\n" + body;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A loopback TCP socket's state (the hex code of /proc/net/tcp: "01" established, "08" close
/// wait, ...) and its (send, receive) queue lengths in bytes; state "" if there is none.
struct SocketState {
  std::string state;
  long tx = -1, rx = -1;
};

/// The socket bound to `local_port` and connected to `peer_port` (from /proc/net/tcp). Its send
/// queue counts bytes the peer has not acknowledged yet.
SocketState socket_state(int local_port, int peer_port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string slot, local, remote, state, queues;
    f >> slot >> local >> remote >> state >> queues;  // queues: tx_queue:rx_queue, in hex
    auto port_of = [](const std::string& addr) {
      return std::stoi(addr.substr(addr.find(':') + 1), nullptr, 16);
    };
    if (port_of(local) != local_port || port_of(remote) != peer_port) continue;
    const auto colon = queues.find(':');
    return {state, std::stol(queues.substr(0, colon), nullptr, 16),
            std::stol(queues.substr(colon + 1), nullptr, 16)};
  }
  return {};
}

/// Waits until the gateway (on `server_port`) has read everything `c` sent so far: the server's
/// kernel acknowledged every byte (the client's send queue is empty) and the gateway took them
/// from its socket (the server's receive queue is empty), or the gateway closed the connection
/// after every byte was acknowledged (it answered and stopped reading: a request it answers
/// whole was read whole). Synchronisation on the server's state instead of a sleep; false if
/// that did not happen within 30 s.
inline bool wait_until_server_read(int server_port, const Conn& c) {
  const int client_port = c.local_port();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const SocketState client = socket_state(client_port, server_port);
    if (client.state == "08" && client.tx == 0) return true;  // CLOSE_WAIT: the server closed
    const SocketState server = socket_state(server_port, client_port);
    if (client.state == "01" && client.tx == 0 && server.state == "01" && server.rx == 0)
      return true;
    std::this_thread::yield();
  }
  return false;
}

/// Owns one gateway process and its temporary folder.
class GatewayProcess {
 public:
  explicit GatewayProcess(const fs::path& dir) : m_dir(dir) {}
  ~GatewayProcess() { stop(); }

  bool start() {
    fs::remove(m_dir / "port");
    pid_t pid = fork();
    if (pid == 0) {
      std::string out = (m_dir / "stdout.log").string(), err = (m_dir / "stderr.log").string();
      freopen(out.c_str(), "a", stdout);
      freopen(err.c_str(), "a", stderr);
      setenv("HASHGATE_PORT", "0", 1);
      setenv("HASHGATE_DATA_DIR", (m_dir / "var").c_str(), 1);
      std::string cfg = (m_dir / "gateway.json").string(), port = (m_dir / "port").string();
      execl(HASHGATE_GATEWAY_BIN, "hashgate-gateway", "--config", cfg.c_str(), "--port-file",
            port.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    m_pid = pid;
    // Wait for readiness (the port file appears after bind); not a timing assertion.
    for (int i = 0; i < k_patience_s * 20; ++i) {
      if (fs::exists(m_dir / "port")) {
        m_port = std::stoi(read_file(m_dir / "port"));
        return true;
      }
      int st;
      if (waitpid(m_pid, &st, WNOHANG) == m_pid) {
        m_pid = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  /// SIGTERM, then waits; returns the exit status (or -1).
  int stop() {
    if (m_pid <= 0) return -1;
    kill(m_pid, SIGTERM);
    int st = 0;
    waitpid(m_pid, &st, 0);
    m_pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

  /// SIGKILL (a crash: no drain, no close), then reaps the process.
  void kill9() {
    if (m_pid <= 0) return;
    kill(m_pid, SIGKILL);
    int st = 0;
    waitpid(m_pid, &st, 0);
    m_pid = -1;
  }

  int port() const { return m_port; }
  HttpResponse call(const std::string& raw) {
    Conn c(m_port);
    if (!c.ok() || !c.send_raw(raw)) return {};
    return c.read_response();
  }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(m_port); }

 private:
  fs::path m_dir;
  pid_t m_pid = -1;
  int m_port = 0;
};

class GatewayIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hashgate-gw-test-XXXXXX";
    dir = mkdtemp(tmpl);
    fs::create_directories(dir / "static/sub");
    fs::create_directories(dir / "demo/checkout");
    std::ofstream(dir / "static/hashgate.js") << "export const x = 1;\n";
    std::ofstream(dir / "static/hashgate.wasm") << "\0asm";
    std::ofstream(dir / "static/sub/index.html") << "<p>sub</p>";
    std::ofstream(dir / "static/.secret") << "hidden";
    std::ofstream(dir / "outside.txt") << "TOP-SECRET-OUTSIDE";
    fs::create_symlink(dir / "outside.txt", dir / "static/link.txt");
    std::ofstream(dir / "demo/checkout/index.html") << "<h1>checkout</h1>";
    write_config();
    gw = std::make_unique<GatewayProcess>(dir);
    ASSERT_TRUE(gw->start()) << read_file(dir / "stderr.log");
  }
  void TearDown() override {
    gw.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  /// Rewrites the config with `patch` merged in (RFC 7396) and restarts the gateway.
  bool restart_with(const json& patch) {
    gw->stop();
    json cfg = json::parse(read_file(dir / "gateway.json"));
    cfg.merge_patch(patch);
    std::ofstream(dir / "gateway.json") << cfg.dump(2);
    return gw->start();
  }
  void write_config() {
    // No test waits for a timeout to expire: long ones, so that a slow machine never hits them.
    const json timeouts = {
        {"header_ms", 60000}, {"read_ms", 60000}, {"idle_ms", 60000}, {"drain_ms", 60000}};
    json cfg = {{"listen", {{"address", "127.0.0.1"}, {"port", 8080}}},
                {"threads", 2},
                {"limits", {{"body_bytes", 65536}, {"header_bytes", 4096}, {"max_events", 500}}},
                {"timeouts", timeouts},
                {"static",
                 {{"sdk_root", (dir / "static").string()}, {"demo_root", (dir / "demo").string()}}},
                {"store", {{"data_dir", "/nonexistent-overridden-by-env"}}},
                {"tenants",
                 {{{"id", "demo"},
                   {"site_keys", {{{"key", "pk_demo"}, {"allowed_origins", {"self"}}}}},
                   {"api_key_sha256", k_api_hash},
                   {"set_uid_cookie", true},
                   {"retention_days", 30}}}}};
    std::ofstream(dir / "gateway.json") << cfg.dump(2);
  }

  std::string events_body(const std::vector<std::string>& ids, const std::string& em = k_em) {
    json evs = json::array();
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    for (const auto& id : ids)
      evs.push_back({{"event_id", id},
                     {"type", "purchase"},
                     {"time", now},
                     {"ids", {{"em", em}}},
                     {"online_ids", {{"fbp", "fb.1.1764374400123.1234567890"}}},
                     {"custom", {{"value", 59.95}, {"currency", "EUR"}}}});
    return json{{"events", evs}}.dump();
  }
  HttpResponse api(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return gw->call(request(method, target, body,
                            {"Authorization: Bearer sk_test", "Content-Type: application/json"}));
  }
  std::vector<json> export_all() {
    auto r = api("GET", "/v1/events/export?since=0&limit=100000");
    std::vector<json> out;
    std::istringstream in(r.body);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) out.push_back(json::parse(line));
    return out;
  }

  fs::path dir;
  std::unique_ptr<GatewayProcess> gw;
};

}  // namespace
