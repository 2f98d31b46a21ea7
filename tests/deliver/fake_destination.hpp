#pragma once
// A fake destination on loopback for the deliver suite and bench: a small synchronous Beast
// server (HTTP or HTTPS) that records every request and answers with a scripted status and
// Retry-After. Requests are awaited with a condition variable, never with sleeps.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace hashgate::gw::deliver::test {

/// One request as the fake destination received it. Header names are lowercase.
struct Captured {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;
  std::string body;
  int status = 0;  ///< what the fake answered
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

/// How the fake answers one request.
struct Answer {
  int status = 200;
  std::string retry_after;  ///< sent as Retry-After when not empty
  bool close = false;       ///< close the connection after answering
  std::string body = "{}";  ///< the answer's JSON body
};

/// Decides the answer to the `index`-th request (0-based).
using Script = std::function<Answer(const Captured& req, std::size_t index)>;

/// PEM files for an HTTPS fake.
struct TlsFiles {
  std::string cert;
  std::string key;
};

class FakeDestination {
 public:
  /// Listens on 127.0.0.1:`port` (0 = any free port); HTTPS when `tls` is given.
  explicit FakeDestination(Script script = {}, std::optional<TlsFiles> tls = std::nullopt,
                           std::uint16_t port = 0)
      : m_script(std::move(script)), m_acceptor(m_ioc) {
    namespace net = boost::asio;
    using tcp = net::ip::tcp;
    if (tls) {
      m_tls.emplace(net::ssl::context::tls_server);
      m_tls->use_certificate_chain_file(tls->cert);
      m_tls->use_private_key_file(tls->key, net::ssl::context::pem);
    }
    const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    m_acceptor.open(ep.protocol());
    m_acceptor.set_option(net::socket_base::reuse_address(true));
    m_acceptor.bind(ep);
    m_acceptor.listen();
    m_port = m_acceptor.local_endpoint().port();
    m_thread = std::thread([this] { accept_loop(); });
  }
  ~FakeDestination() { stop(); }
  FakeDestination(const FakeDestination&) = delete;
  FakeDestination& operator=(const FakeDestination&) = delete;

  std::uint16_t port() const { return m_port; }
  /// The URL of `path` on this fake.
  std::string url(const std::string& path = "/hook") const {
    return std::string(m_tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(m_port) + path;
  }
  /// Every request so far, in arrival order.
  std::vector<Captured> requests() const {
    std::lock_guard lk(m_mu);
    return m_requests;
  }
  /// Waits until at least `n` requests have been answered; false after `limit` (a failure
  /// guard for a broken build, not a timing assumption).
  bool wait_for(std::size_t n, std::chrono::seconds limit = std::chrono::seconds(60)) {
    std::unique_lock lk(m_mu);
    return m_cv.wait_for(lk, limit, [&] { return m_requests.size() >= n; });
  }
  /// Waits until `pred(requests)` holds; false after `limit` (a failure guard only).
  bool wait_until(const std::function<bool(const std::vector<Captured>&)>& pred,
                  std::chrono::seconds limit = std::chrono::seconds(60)) {
    std::unique_lock lk(m_mu);
    return m_cv.wait_for(lk, limit, [&] { return pred(m_requests); });
  }
  /// Connections accepted so far.
  std::size_t connections() const {
    std::lock_guard lk(m_mu);
    return m_accepted;
  }
  /// Whether requests() keeps bodies (default true; the bench keeps only their sizes).
  void keep_bodies(bool on) {
    std::lock_guard lk(m_mu);
    m_keep_bodies = on;
  }
  /// Replaces the script (e.g. "the destination is back up").
  void set_script(Script s) {
    std::lock_guard lk(m_mu);
    m_script = std::move(s);
  }
  /// Stops accepting, ends open connections and joins every thread.
  void stop() {
    if (m_stopping.exchange(true)) return;
    {  // Wake the blocking accept() with a connection of our own.
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket s(m_ioc);
      s.connect({boost::asio::ip::make_address("127.0.0.1"), m_port}, ec);
    }
    if (m_thread.joinable()) m_thread.join();
    std::vector<std::thread> sessions;
    {
      std::lock_guard lk(m_mu);
      for (int fd : m_fds) ::shutdown(fd, SHUT_RDWR);
      sessions.swap(m_sessions);
    }
    for (auto& t : sessions) t.join();
  }

 private:
  void accept_loop() {
    while (!m_stopping) {
      boost::asio::ip::tcp::socket s(m_ioc);
      boost::system::error_code ec;
      m_acceptor.accept(s, ec);
      if (ec || m_stopping) break;
      std::lock_guard lk(m_mu);
      ++m_accepted;
      m_fds.insert(s.native_handle());
      m_sessions.emplace_back([this, sock = std::move(s)]() mutable { session(std::move(sock)); });
    }
  }

  template <typename Stream>
  void serve(Stream& stream) {
    namespace bhttp = boost::beast::http;
    boost::beast::flat_buffer buffer;
    while (!m_stopping) {
      bhttp::request<bhttp::string_body> req;
      boost::system::error_code ec;
      bhttp::read(stream, buffer, req, ec);
      if (ec) return;
      Captured c;
      c.method = std::string(req.method_string());
      c.target = std::string(req.target());
      for (const auto& f : req) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        c.headers[name] = std::string(f.value());
      }
      c.body = std::move(req.body());
      Answer a;
      Script script;
      std::size_t index = 0;
      {
        std::lock_guard lk(m_mu);
        script = m_script;
        index = m_answered++;
      }
      if (script) a = script(c, index);  // outside the lock: a script may block
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(a.status), 11};
      res.set(bhttp::field::content_type, "application/json");
      if (!a.retry_after.empty()) res.set(bhttp::field::retry_after, a.retry_after);
      res.body() = a.body;
      res.keep_alive(req.keep_alive() && !a.close);
      res.prepare_payload();
      c.status = a.status;
      {
        std::lock_guard lk(m_mu);
        if (!m_keep_bodies) c.body = std::to_string(c.body.size()) + " bytes";
        m_requests.push_back(std::move(c));
      }
      m_cv.notify_all();
      bhttp::write(stream, res, ec);
      if (ec || !res.keep_alive()) return;
    }
  }

  void session(boost::asio::ip::tcp::socket sock) {
    const int fd = sock.native_handle();
    // The descriptor leaves m_fds before the stream closes it, so stop() never shuts down a
    // reused descriptor.
    auto forget = [&] {
      std::lock_guard lk(m_mu);
      m_fds.erase(fd);
    };
    if (m_tls) {
      boost::beast::ssl_stream<boost::asio::ip::tcp::socket> tls(std::move(sock), *m_tls);
      boost::system::error_code ec;
      tls.handshake(boost::asio::ssl::stream_base::server, ec);
      if (!ec) serve(tls);
      forget();
    } else {
      serve(sock);
      forget();
    }
  }

  Script m_script;
  boost::asio::io_context m_ioc;
  std::optional<boost::asio::ssl::context> m_tls;
  boost::asio::ip::tcp::acceptor m_acceptor;
  std::uint16_t m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::thread m_thread;
  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  std::vector<Captured> m_requests;
  std::size_t m_answered = 0;
  std::size_t m_accepted = 0;
  bool m_keep_bodies = true;
  std::set<int> m_fds;
  std::vector<std::thread> m_sessions;
};

}  // namespace hashgate::gw::deliver::test
