// Beast client for the delivery worker: each step is an asynchronous operation run to completion
// on the client's private io_context, so timeouts come from beast::tcp_stream's deadlines while
// the caller simply waits. (Plain completion handlers, not coroutines: clang 14 cannot compile
// coroutines with the fuzz build's coverage instrumentation.)
#include "gateway/deliver/http_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <hashgate/hashgate.hpp>

#include <optional>

namespace hashgate::gw::deliver {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr const char* k_user_agent = "hashgate-deliver/1";

/// "resolve", "connect", "tls", "timeout" or "io" for a failed step.
std::string step_error(const error_code& ec, const char* step) {
  if (ec == beast::error::timeout) return "timeout";
  return step;
}

bhttp::verb verb_of(Method m) {
  return m == Method::del ? bhttp::verb::delete_ : bhttp::verb::post;
}

}  // namespace

struct HttpClient::Impl {
  explicit Impl(ClientOptions o) : opt(std::move(o)), tls_ctx(ssl::context::tls_client) {
    tls_ctx.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(tls_ctx.native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (opt.ca_file.empty())
      tls_ctx.set_default_verify_paths(ec);
    else
      tls_ctx.load_verify_file(opt.ca_file, ec);
    ca_error = static_cast<bool>(ec);
  }

  ClientOptions opt;
  net::io_context ioc;
  ssl::context tls_ctx;
  bool ca_error = false;
  std::string key;  ///< scheme://host:port of the open connection
  std::optional<beast::tcp_stream> tcp_stream;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() {
    return tls_stream ? beast::get_lowest_layer(*tls_stream) : *tcp_stream;
  }
  bool open() const { return tcp_stream.has_value() || tls_stream.has_value(); }

  void reset() {
    error_code ignored;
    if (tls_stream) beast::get_lowest_layer(*tls_stream).socket().close(ignored);
    if (tcp_stream) tcp_stream->socket().close(ignored);
    tls_stream.reset();
    tcp_stream.reset();
    buffer.consume(buffer.size());
    key.clear();
  }

  /// Runs the private io_context until the started operation completed.
  void run() {
    ioc.restart();
    ioc.run();
  }

  /// Resolves `url`'s host within the timeout (the resolver has no deadline of its own).
  bool resolve(const Url& url, tcp::resolver::results_type& out) {
    tcp::resolver resolver(ioc);
    error_code ec = net::error::timed_out;
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [&](const error_code& e, tcp::resolver::results_type r) {
                             ec = e;
                             out = std::move(r);
                           });
    ioc.restart();
    ioc.run_for(opt.timeout);
    if (!ioc.stopped()) {
      resolver.cancel();
      run();
    }
    return !ec;
  }

  /// Opens a connection to `url` (TCP, then TLS for https); sets `error` on failure.
  void connect(const Url& url, std::string& error) {
    tcp::resolver::results_type eps;
    if (!resolve(url, eps)) {
      error = "resolve";
      return;
    }
    if (url.tls)
      tls_stream.emplace(ioc, tls_ctx);
    else
      tcp_stream.emplace(ioc);
    error_code ec;
    lowest().expires_after(opt.timeout);
    lowest().async_connect(eps, [&](const error_code& e, const tcp::endpoint&) { ec = e; });
    run();
    if (ec) {
      error = step_error(ec, "connect");
      return;
    }
    if (!url.tls) return;
    if (!verify_name(url.host)) {
      error = "tls";
      return;
    }
    tls_stream->async_handshake(ssl::stream_base::client, [&](const error_code& e) { ec = e; });
    run();
    if (ec) error = step_error(ec, "tls");
  }

  /// SNI and host-name (or IP) verification on the TLS stream about to handshake.
  bool verify_name(const std::string& host) {
    SSL* s = tls_stream->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(s);
    error_code ec;
    net::ip::make_address(host, ec);
    if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    return SSL_set_tlsext_host_name(s, host.c_str()) == 1 &&
           X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
  }

  /// Writes `req` and reads the answer's status, Retry-After and body (to keep the connection).
  template <typename Stream>
  void exchange(Stream& stream, bhttp::request<bhttp::string_body>& req, HttpResult& out,
                bool& got_bytes, bool& keep) {
    error_code ec;
    lowest().expires_after(opt.timeout);
    bhttp::async_write(stream, req, [&](const error_code& e, std::size_t) { ec = e; });
    run();
    hashgate::secure_clear(req.body());
    if (ec) {
      out.error = step_error(ec, "io");
      return;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(opt.max_response_body);
    parser.header_limit(16 * 1024);
    bhttp::async_read_header(stream, buffer, parser,
                             [&](const error_code& e, std::size_t) { ec = e; });
    run();
    got_bytes = parser.got_some();
    if (ec) {
      out.error = step_error(ec, "io");
      return;
    }
    out.status = static_cast<int>(parser.get().result_int());
    if (auto it = parser.get().find(bhttp::field::retry_after); it != parser.get().end())
      out.retry_after = std::string(it->value().substr(0, 64));
    bhttp::async_read(stream, buffer, parser, [&](const error_code& e, std::size_t) { ec = e; });
    run();
    keep = !ec && parser.get().keep_alive();
    if (!ec) out.body = std::move(parser.get().body());
  }

  void exchange_any(bhttp::request<bhttp::string_body>& req, HttpResult& out, bool& got_bytes,
                    bool& keep) {
    if (tls_stream)
      exchange(*tls_stream, req, out, got_bytes, keep);
    else
      exchange(*tcp_stream, req, out, got_bytes, keep);
  }

  bhttp::request<bhttp::string_body> make(const Request& r) const {
    bhttp::request<bhttp::string_body> req{verb_of(r.method), r.url.target, 11};
    req.set(bhttp::field::host, r.url.host_header());
    req.set(bhttp::field::user_agent, k_user_agent);
    req.set(bhttp::field::content_type, "application/json");
    for (const auto& [name, value] : r.headers) req.set(name, value);
    req.body() = r.body;
    req.keep_alive(true);
    req.prepare_payload();
    return req;
  }

  HttpResult send(const Request& r) {
    if (r.url.tls && ca_error) return {0, "", "tls", ""};
    const std::string want =
        (r.url.tls ? "https://" : "http://") + r.url.host + ":" + std::to_string(r.url.port);
    if (open() && key != want) reset();
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = open();
      HttpResult out;
      if (!reused) {
        connect(r.url, out.error);
        if (!out.error.empty() || !open()) {
          if (out.error.empty()) out.error = "connect";
          reset();
          return out;
        }
        key = want;
      }
      auto req = make(r);
      bool got_bytes = false;
      bool keep = false;
      exchange_any(req, out, got_bytes, keep);
      if (out.status == 0 && out.error.empty()) out.error = "io";
      if (out.status != 0) {
        if (!keep) reset();
        return out;
      }
      reset();
      // A kept-alive connection the server closed meanwhile fails before any answer: try once
      // more on a fresh connection. Anything else is the destination's failure.
      if (!reused || got_bytes || out.error == "timeout") return out;
    }
    return {0, "", "io", ""};
  }
};

HttpClient::HttpClient(ClientOptions options) : m(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() { m->reset(); }
HttpResult HttpClient::send(const Request& req) { return m->send(req); }
void HttpClient::close() { m->reset(); }

}  // namespace hashgate::gw::deliver
