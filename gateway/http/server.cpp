// Beast server in the shape of Beast's example/advanced/server and http/server/async:
// run → do_read → on_read → (handler) → on_response → do_write → on_write → do_read | do_close.
#include "gateway/http/server.hpp"

#include <hashgate/hashgate.hpp>
#include "gateway/api/security_headers.hpp"
#include "gateway/http/framing.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace hashgate::gw::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
/// Each connection runs on its own strand; the stream and socket name the strand type instead of
/// the type-erased any_io_executor, so completions are dispatched without the erasure's copies.
using Strand = net::strand<net::io_context::executor_type>;
using TcpStream = beast::basic_stream<tcp, Strand>;
using TcpSocket = net::basic_stream_socket<tcp, Strand>;

namespace {

/// What the sessions share with the server.
struct Shared {
  Shared(api::Gateway& g, const config::Config& c) : gw(g), cfg(c) {}
  api::Gateway& gw;
  const config::Config& cfg;
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::list<std::weak_ptr<struct SessionBase>> sessions;
  std::mutex log_mu;
  std::string log_buf;  ///< access-log lines not yet written (guarded by log_mu)
  std::chrono::steady_clock::time_point log_flushed = std::chrono::steady_clock::now();
};

/// Writes the buffered access-log lines to stdout. The caller holds sh.log_mu.
void flush_log_locked(Shared& sh) {
  if (!sh.log_buf.empty()) {
    std::fwrite(sh.log_buf.data(), 1, sh.log_buf.size(), stdout);
    std::fflush(stdout);
    sh.log_buf.clear();
  }
  sh.log_flushed = std::chrono::steady_clock::now();
}

/// Writes the buffered access-log lines to stdout (from the periodic timer and at shutdown).
void flush_log(Shared& sh) {
  std::lock_guard lk(sh.log_mu);
  flush_log_locked(sh);
}

/// Access-log lines are batched: one write per k_log_flush_bytes or k_log_flush_interval
/// instead of one write system call per request.
constexpr std::size_t k_log_flush_bytes = 16 * 1024;
constexpr std::chrono::milliseconds k_log_flush_interval{200};

/// HTTP/1.1 wire form of `r`: status line, its headers, Server, Connection: close when the
/// connection ends, Content-Length (none for 1xx/204/304, which have no body), then the body.
/// Written by hand: one allocation, where Beast's generic serializer cost more than the handler.
std::string serialize_response(const api::Response& r, bool keep_alive) {
  const auto status = bhttp::int_to_status(static_cast<unsigned>(r.status));
  const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  std::string w;
  w.reserve(160 + r.body.size() + r.headers.size() * 48);
  w.append("HTTP/1.1 ").append(std::to_string(r.status)).push_back(' ');
  const auto reason = bhttp::obsolete_reason(status);
  w.append(reason.data(), reason.size()).append("\r\n");
  // Defence in depth: a header that would split the response is dropped, never sent.
  auto splits = [](std::string_view s, bool name) {
    for (char c : s)
      if (c == '\r' || c == '\n' || (name && c == ':')) return true;
    return false;
  };
  for (const auto& [k, v] : r.headers) {
    if (splits(k, true) || splits(v, false)) continue;
    w.append(k).append(": ").append(v).append("\r\n");
  }
  w.append("Server: hashgate\r\n");
  if (!keep_alive) w.append("Connection: close\r\n");
  if (!bodiless) w.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  w.append("\r\n");
  if (!bodiless) w.append(r.body);
  return w;
}

struct SessionBase {
  virtual ~SessionBase() = default;
  /// Stop reading new requests; finish the in-flight ones; then close.
  virtual void shutdown() = 0;
};

/// One access-log line: time, method, fixed route label, status, duration. Never the target,
/// query, headers or body (they may hold identifiers).
void access_log(Shared& sh, std::string_view method, std::string_view route, int status,
                std::chrono::steady_clock::duration took) {
  // The timestamp has one-second resolution: format it once per second per thread.
  thread_local std::time_t ts_second = -1;
  thread_local char ts[32];
  if (const std::time_t t = std::time(nullptr); t != ts_second) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ts_second = t;
  }
  // Formatted by hand (no printf: this runs once per request): "<ts> <METHOD> <route> <status>
  // <ms>.<µs>ms".
  char line[160];
  std::size_t n = 0;
  auto put = [&](std::string_view v) {
    const std::size_t k = std::min(v.size(), sizeof line - 1 - n);
    std::memcpy(line + n, v.data(), k);
    n += k;
  };
  auto put_uint = [&](std::uint64_t v, int min_digits) {
    char d[24];
    int k = 0;
    do {
      d[k++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0 || k < min_digits);
    while (k > 0 && n < sizeof line - 1) line[n++] = d[--k];
  };
  put(ts);
  put(" ");
  const std::size_t method_at = n;
  for (char c : method.substr(0, 10))
    if (c >= 'A' && c <= 'Z') line[n++] = c;
  if (n == method_at) put("-");
  put(" ");
  put(route.substr(0, 40));
  put(" ");
  put_uint(static_cast<std::uint64_t>(std::clamp(status, 0, 999)), 1);
  put(" ");
  const auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
  put_uint(us / 1000, 1);
  put(".");
  put_uint(us % 1000, 3);
  put("ms\n");
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lk(sh.log_mu);
  sh.log_buf.append(line, n);
  if (sh.log_buf.size() >= k_log_flush_bytes || now - sh.log_flushed >= k_log_flush_interval)
    flush_log_locked(sh);
}

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool k_tls = !std::is_same_v<Stream, TcpStream>;

  struct Slot {
    std::optional<std::string> res;  ///< the serialized response, once it is known
    std::optional<api::Request>
        req;  ///< waiting for its turn (requests run one at a time, in order)
    bool dispatched = false;
    bool close = false;
    std::string method;
    std::chrono::steady_clock::time_point start;
  };

 public:
  Session(TcpSocket&& socket, Shared& sh) requires(!k_tls) : m_stream(std::move(socket)), m_sh(sh) {
    ++m_sh.gw.metrics().connections();
  }
  Session(TcpSocket&& socket, ssl::context& ctx, Shared& sh) requires(k_tls)
      : m_stream(std::move(socket), ctx), m_sh(sh) {
    ++m_sh.gw.metrics().connections();
  }
  ~Session() override {
    // The read buffer held raw request bytes (possibly a rejected identifier): zero it.
    m_buffer.consume(m_buffer.size());
    auto region = m_buffer.prepare(m_buffer.capacity());
    hashgate::secure_zero(region.data(), region.size());
    --m_sh.gw.metrics().connections();
  }

  void run() {
    net::dispatch(m_stream.get_executor(), [self = this->shared_from_this()] { self->on_run(); });
  }

  void shutdown() override {
    net::post(m_stream.get_executor(), [self = this->shared_from_this()] {
      self->m_draining = true;
      if (self->m_queue.empty() && !self->m_writing) return self->do_close();
      if (self->m_reading) {
        error_code ec;
        beast::get_lowest_layer(self->m_stream).socket().cancel(ec);
      }
    });
  }

 private:
  TcpStream& lowest() { return beast::get_lowest_layer(m_stream); }

  void on_run() {
    if constexpr (k_tls) {
      lowest().expires_after(m_sh.cfg.header_timeout);
      m_stream.async_handshake(ssl::stream_base::server,
                               [self = this->shared_from_this()](error_code ec) {
                                 if (ec) return self->do_close();
                                 self->do_read();
                               });
    } else {
      do_read();
    }
  }

  void do_read() {
    if (m_reading || m_read_done || m_closed || m_draining) return;
    if (m_queue.size() >= m_sh.cfg.pipeline_limit) return;  // resumed by on_write
    m_parser.emplace();
    m_parser->body_limit(m_sh.cfg.body_limit);
    m_parser->header_limit(static_cast<std::uint32_t>(m_sh.cfg.header_limit));
    lowest().expires_after(m_first ? m_sh.cfg.header_timeout : m_sh.cfg.idle_timeout);
    m_reading = true;
    bhttp::async_read_header(
        m_stream, m_buffer, *m_parser,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) return on_read_error(ec);
    if (!accept_head()) return;
    // "Expect: 100-continue" (curl sends it for bodies over 1 KiB): the headers passed the
    // limits, so invite the body — only when no earlier response is pending (order).
    if (m_queue.empty() && !m_writing &&
        beast::iequals(m_parser->get()[bhttp::field::expect], "100-continue")) {
      m_writing = true;
      auto cont =
          std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
      lowest().expires_after(m_sh.cfg.read_timeout);
      bhttp::async_write(m_stream, *cont,
                         [self = this->shared_from_this(), cont](error_code ec2, std::size_t) {
                           self->m_writing = false;
                           if (ec2) {
                             self->m_reading = false;
                             self->m_read_done = true;
                             return self->do_close();
                           }
                           self->read_body();
                         });
      return;
    }
    // The body usually arrived with the header: parse what is buffered now, and skip the second
    // composed read (its completion post and timer) when that finishes the message.
    m_parser->eager(true);
    error_code pec;
    while (!m_parser->is_done() && m_buffer.size() > 0) {
      const std::size_t used = m_parser->put(m_buffer.data(), pec);
      m_buffer.consume(used);
      if (pec || used == 0) break;
    }
    if (pec == bhttp::error::need_more) pec = {};
    if (pec) return on_read_error(pec);
    if (m_parser->is_done()) return on_read({});
    read_body();
  }

  /// Takes the request head as it arrived, before any body byte: method, target, headers
  /// (lowercase names) and keep-alive. Beast adds a chunked body's trailer fields to the same
  /// field list, so the head is copied now and the parser's fields are never read again:
  /// trailer fields are dropped. Then framing.hpp's checks; a refused head is answered (400 or
  /// 501) and the connection closes without reading the body. Returns false when refused.
  bool accept_head() {
    const auto& h = m_parser->get();
    m_head = api::Request{};
    m_head.method = std::string(h.method_string());
    m_head.target = std::string(h.target());
    for (const auto& f : h) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      m_head.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    m_keep_alive = m_parser->keep_alive();
    const HeadCheck check = check_head(h.version(), m_head.headers, m_parser->chunked());
    if (check.verdict == HeadVerdict::ok) return true;
    m_reading = false;
    m_read_done = true;
    queue_error(check.verdict == HeadVerdict::not_implemented ? 501 : 400, check.reason,
                check.message, "framing");
    return false;
  }

  void read_body() {
    lowest().expires_after(m_sh.cfg.read_timeout);
    bhttp::async_read(
        m_stream, m_buffer, *m_parser,
        [self = this->shared_from_this()](error_code ec2, std::size_t) { self->on_read(ec2); });
  }

  /// Answers a request the HTTP layer refuses itself (limits, framing) and closes afterwards.
  void queue_error(int status, std::string_view reason, std::string_view message,
                   const char* route = "limit") {
    api::Response r = m_sh.gw.error(status, reason, message);
    api::add_security_headers(r, k_tls || m_sh.cfg.tls());
    r.close = true;
    r.route = route;
    m_sh.gw.metrics().add_request(status);
    auto slot = std::make_shared<Slot>();
    slot->close = true;
    slot->start = std::chrono::steady_clock::now();
    m_queue.push_back(slot);
    on_response(slot, std::move(r));
  }

  void on_read_error(error_code ec) {
    m_reading = false;
    m_read_done = true;
    if (ec == bhttp::error::header_limit) {
      queue_error(431, "headers_too_large", "request headers exceed the limit");
    } else if (ec == bhttp::error::body_limit) {
      queue_error(413, "body_too_large", "request body exceeds the limit");
    } else if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
               ec == net::error::operation_aborted || ec == net::error::eof ||
               ec == net::error::connection_reset || ec == bhttp::error::partial_message) {
      if (m_queue.empty() && !m_writing) do_close();
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() ||
               ec == bhttp::error::bad_target || ec == bhttp::error::bad_method) {
      queue_error(400, "bad_request", "malformed HTTP request");
    } else {
      if (m_queue.empty() && !m_writing) do_close();
    }
  }

  void on_read(error_code ec) {
    if (ec) return on_read_error(ec);
    m_reading = false;
    m_first = false;
    api::Request areq = std::move(m_head);
    areq.body = m_parser->release().body();
    areq.tls = k_tls;
    areq.defer = [self = this->shared_from_this()](std::function<void()> task) {
      net::post(self->m_stream.get_executor(), std::move(task));
    };
    auto slot = std::make_shared<Slot>();
    slot->close = !m_keep_alive;
    slot->method = areq.method;
    slot->start = std::chrono::steady_clock::now();
    slot->req = std::move(areq);
    m_queue.push_back(slot);
    maybe_dispatch();
    if (m_keep_alive)
      do_read();
    else
      m_read_done = true;
  }

  // Pipelined requests are read ahead (up to the queue limit) but handled one at a time, in
  // order, so a later request observes the effects of an earlier one (as in Beast's examples).
  void maybe_dispatch() {
    for (const auto& slot : m_queue) {
      if (slot->res) continue;
      if (slot->dispatched || !slot->req) return;
      slot->dispatched = true;
      api::Request req = std::move(*slot->req);
      slot->req.reset();
      m_dispatching = true;
      m_sh.gw.handle(std::move(req), [self = this->shared_from_this(), slot](api::Response r) {
        // A deferred completion already runs on this connection's strand: answer in place.
        // Answers given during handle() itself, or from another thread, go through a post.
        if (!self->m_dispatching && self->m_stream.get_executor().running_in_this_thread())
          return self->on_response(slot, std::move(r));
        net::post(self->m_stream.get_executor(), [self, slot, r = std::move(r)]() mutable {
          self->on_response(slot, std::move(r));
        });
      });
      m_dispatching = false;
      return;
    }
  }

  void on_response(const std::shared_ptr<Slot>& slot, api::Response r) {
    if (r.close || m_draining) slot->close = true;
    access_log(m_sh, slot->method, r.route, r.status,
               std::chrono::steady_clock::now() - slot->start);
    slot->res = serialize_response(r, !slot->close);
    do_write();
    maybe_dispatch();
  }

  void do_write() {
    if (m_writing || m_closed || m_queue.empty() || !m_queue.front()->res) return;
    m_writing = true;
    auto slot = m_queue.front();
    lowest().expires_after(m_sh.cfg.read_timeout);
    net::async_write(m_stream, net::buffer(*slot->res),
                     [self = this->shared_from_this(), slot](error_code ec, std::size_t) {
                       self->on_write(ec, slot->close);
                     });
  }

  void on_write(error_code ec, bool close) {
    m_writing = false;
    if (!m_queue.empty()) m_queue.pop_front();
    if (ec || close) {
      m_read_done = true;
      return do_close();
    }
    if (m_queue.empty() && (m_read_done || m_draining)) return do_close();
    do_write();
    do_read();
  }

  void do_close() {
    if (m_closed) return;
    m_closed = true;
    if constexpr (k_tls) {
      lowest().expires_after(std::chrono::seconds(2));
      m_stream.async_shutdown([self = this->shared_from_this()](error_code) {
        error_code ec;
        self->lowest().socket().close(ec);
      });
    } else {
      // Lingering close: half-close, then discard what the client still sends (at most 1 s) so
      // that unread request bytes do not turn the close into a RST that destroys our answer.
      error_code ec;
      lowest().socket().shutdown(TcpSocket::shutdown_send, ec);
      if (ec || m_reading) return lowest().socket().close(ec), void();  // a read is still pending
      lowest().expires_after(std::chrono::seconds(1));
      linger();
    }
  }

  void linger() {
    lowest().async_read_some(net::buffer(m_scratch),
                             [self = this->shared_from_this()](error_code ec, std::size_t) {
                               if (!ec) return self->linger();
                               error_code ignored;
                               self->lowest().socket().close(ignored);
                             });
  }

  Stream m_stream;
  beast::flat_buffer m_buffer;
  std::array<char, 4096> m_scratch{};
  Shared& m_sh;
  std::optional<bhttp::request_parser<bhttp::string_body>> m_parser;
  api::Request m_head;        ///< the head of the request being read, taken in accept_head()
  bool m_keep_alive = false;  ///< its keep-alive, as its head said (never a trailer)
  std::deque<std::shared_ptr<Slot>> m_queue;
  bool m_reading = false, m_writing = false, m_read_done = false, m_closed = false, m_first = true;
  bool m_draining = false;
  bool m_dispatching = false;  // inside maybe_dispatch's call to handle()
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::endpoint ep, ssl::context* ctx, Shared& sh)
      : m_ioc(ioc), m_acceptor(net::make_strand(ioc)), m_ctx(ctx), m_sh(sh) {
    error_code ec;
    m_acceptor.open(ep.protocol(), ec);
    if (!ec) m_acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) m_acceptor.bind(ep, ec);
    if (!ec) m_acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + ep.address().to_string() + ":" +
                               std::to_string(ep.port()) + ": " + ec.message());
  }
  int port() const { return m_acceptor.local_endpoint().port(); }
  void start() { do_accept(); }
  void close() {
    net::post(m_acceptor.get_executor(), [self = shared_from_this()] {
      error_code ec;
      self->m_acceptor.close(ec);
    });
  }

 private:
  void do_accept() {
    m_acceptor.async_accept(net::make_strand(m_ioc),
                            [self = shared_from_this()](error_code ec, TcpSocket s) {
                              self->on_accept(ec, std::move(s));
                            });
  }

  void on_accept(error_code ec, TcpSocket socket) {
    if (ec == net::error::operation_aborted || !m_acceptor.is_open()) return;
    if (!ec) {
      error_code nd;
      socket.set_option(tcp::no_delay(true), nd);  // answers go out at once (no Nagle delay)
      if (m_sh.draining || static_cast<std::size_t>(m_sh.gw.metrics().connections().load()) >=
                               m_sh.cfg.max_connections) {
        reject(std::move(socket));
      } else {
        std::shared_ptr<SessionBase> base;
        if (m_ctx) {
          auto s = std::make_shared<Session<beast::ssl_stream<TcpStream>>>(std::move(socket),
                                                                           *m_ctx, m_sh);
          base = s;
          s->run();
        } else {
          auto s = std::make_shared<Session<TcpStream>>(std::move(socket), m_sh);
          base = s;
          s->run();
        }
        std::lock_guard lk(m_sh.mu);
        m_sh.sessions.remove_if([](const std::weak_ptr<SessionBase>& w) { return w.expired(); });
        m_sh.sessions.push_back(base);
      }
    }
    do_accept();
  }

  void reject(TcpSocket socket) {
    m_sh.gw.metrics().add_request(503);
    m_sh.gw.metrics().add_rejected("connection_limit");
    if (m_ctx) {
      error_code ec;
      socket.close(ec);
      return;
    }
    auto sock = std::make_shared<TcpSocket>(std::move(socket));
    net::async_write(*sock, net::buffer(m_busy), [sock](error_code, std::size_t) {
      error_code ec;
      sock->shutdown(TcpSocket::shutdown_send, ec);
      sock->close(ec);
    });
  }

  /// The 503 a plain-HTTP connection over the cap gets, with the usual security headers.
  static std::string busy_answer() {
    api::Response r;
    r.status = 503;
    r.body = "{\"error\":\"overload\",\"message\":\"too many connections; retry later\"}\n";
    r.add("Content-Type", "application/json");
    r.add("Retry-After", "1");
    api::add_security_headers(r, false);
    return serialize_response(r, false);
  }

  net::io_context& m_ioc;
  tcp::acceptor m_acceptor;
  ssl::context* m_ctx;
  Shared& m_sh;
  const std::string m_busy = busy_answer();
};

}  // namespace

struct Server::Impl {
  Impl(api::Gateway& g, const config::Config& c)
      : gw(g),
        cfg(c),
        ioc(c.threads),
        sh(g, c),
        signals(ioc, SIGINT, SIGTERM),
        retention(ioc),
        drain(ioc),
        log_timer(ioc) {}

  api::Gateway& gw;
  const config::Config& cfg;
  net::io_context ioc;
  std::optional<ssl::context> tls;
  Shared sh;
  std::shared_ptr<Listener> listener;
  net::signal_set signals;
  net::steady_timer retention;
  net::steady_timer drain;
  net::steady_timer log_timer;
  std::atomic<bool> stopping{false};
  std::chrono::steady_clock::time_point drain_deadline;

  void schedule_retention() {
    retention.expires_after(cfg.retention_interval);
    retention.async_wait([this](error_code ec) {
      if (ec || stopping) return;
      gw.run_retention();
      schedule_retention();
    });
  }

  void schedule_log_flush() {
    log_timer.expires_after(k_log_flush_interval);
    log_timer.async_wait([this](error_code ec) {
      if (ec) return;
      flush_log(sh);
      if (!stopping) schedule_log_flush();
    });
  }

  void begin_shutdown() {
    if (stopping.exchange(true)) return;
    flush_log(sh);
    std::fprintf(stdout, "hashgate-gateway: shutting down, draining in-flight requests\n");
    std::fflush(stdout);
    sh.draining = true;
    gw.set_draining();
    listener->close();
    error_code ec;
    signals.cancel(ec);
    retention.cancel();
    log_timer.cancel();
    {
      std::lock_guard lk(sh.mu);
      for (auto& w : sh.sessions)
        if (auto s = w.lock()) s->shutdown();
    }
    drain_deadline = std::chrono::steady_clock::now() + cfg.drain_timeout;
    poll_drain();
  }

  void poll_drain() {
    if (gw.metrics().connections().load() <= 0 ||
        std::chrono::steady_clock::now() >= drain_deadline) {
      ioc.stop();
      return;
    }
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([this](error_code) { poll_drain(); });
  }
};

Server::Server(api::Gateway& gateway, const config::Config& cfg)
    : m_impl(std::make_unique<Impl>(gateway, cfg)) {
  auto& im = *m_impl;
  if (cfg.tls()) {
    im.tls.emplace(ssl::context::tls_server);
    im.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(im.tls->native_handle(), TLS1_2_VERSION);
    error_code ec;
    im.tls->use_certificate_chain_file(cfg.tls_cert, ec);
    if (ec)
      throw std::runtime_error("config: tls.cert: cannot load " + cfg.tls_cert + ": " +
                               ec.message());
    im.tls->use_private_key_file(cfg.tls_key, ssl::context::pem, ec);
    if (ec)
      throw std::runtime_error("config: tls.key: cannot load " + cfg.tls_key + ": " + ec.message());
  }
  error_code ec;
  auto addr = net::ip::make_address(cfg.address, ec);
  if (ec) throw std::runtime_error("config: listen.address: not an IP address: " + cfg.address);
  im.listener =
      std::make_shared<Listener>(im.ioc, tcp::endpoint(addr, static_cast<unsigned short>(cfg.port)),
                                 im.tls ? &*im.tls : nullptr, im.sh);
}

Server::~Server() = default;

int Server::port() const { return m_impl->listener->port(); }

void Server::run() {
  auto& im = *m_impl;
  im.listener->start();
  im.signals.async_wait([&im](error_code ec, int) {
    if (!ec) im.begin_shutdown();
  });
  im.schedule_retention();
  im.schedule_log_flush();
  std::vector<std::thread> threads;
  for (int i = 1; i < im.cfg.threads; ++i)
    threads.emplace_back([&im] {
      pthread_setname_np(pthread_self(), "hg-io");
      im.ioc.run();
    });
  im.ioc.run();
  for (auto& t : threads) t.join();
  flush_log(im.sh);
}

void Server::stop() {
  net::post(m_impl->ioc, [im = m_impl.get()] { im->begin_shutdown(); });
}

}  // namespace hashgate::gw::http
