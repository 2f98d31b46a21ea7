// Beast client for the delivery worker: each step is a coroutine run to completion on the
// client's private io_context, so timeouts come from beast::tcp_stream's deadlines while the
// caller simply waits.
#include "gateway/deliver/http_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <hashgate/hashgate.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

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

bhttp::verb verb_of(Method m) { return m == Method::del ? bhttp::verb::delete_ : bhttp::verb::post; }

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

  beast::tcp_stream& lowest() { return tls_stream ? beast::get_lowest_layer(*tls_stream) : *tcp_stream; }
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

  /// Runs `aw` on the private io_context until it completes.
  void run(net::awaitable<void> aw) {
    net::co_spawn(ioc, std::move(aw), net::detached);
    ioc.restart();
    ioc.run();
  }

  net::awaitable<void> connect(const Url& url, std::string& error) {
    error_code ec;
    tcp::resolver resolver(ioc);
    auto eps = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                               net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      error = "resolve";
      co_return;
    }
    if (url.tls)
      tls_stream.emplace(ioc, tls_ctx);
    else
      tcp_stream.emplace(ioc);
    lowest().expires_after(opt.timeout);
    co_await lowest().async_connect(eps, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      error = step_error(ec, "connect");
      co_return;
    }
    if (!url.tls) co_return;
    if (!verify_name(url.host)) {
      error = "tls";
      co_return;
    }
    co_await tls_stream->async_handshake(ssl::stream_base::client,
                                         net::redirect_error(net::use_awaitable, ec));
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

  template <typename Stream>
  net::awaitable<void> exchange(Stream& stream, bhttp::request<bhttp::string_body>& req,
                                HttpResult& out, bool& got_bytes, bool& keep) {
    error_code ec;
    lowest().expires_after(opt.timeout);
    co_await bhttp::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
    hashgate::secure_clear(req.body());
    if (ec) {
      out.error = step_error(ec, "io");
      co_return;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(opt.max_response_body);
    parser.header_limit(16 * 1024);
    co_await bhttp::async_read_header(stream, buffer, parser,
                                      net::redirect_error(net::use_awaitable, ec));
    got_bytes = parser.got_some();
    if (ec) {
      out.error = step_error(ec, "io");
      co_return;
    }
    out.status = static_cast<int>(parser.get().result_int());
    if (auto it = parser.get().find(bhttp::field::retry_after); it != parser.get().end())
      out.retry_after = std::string(it->value().substr(0, 64));
    co_await bhttp::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    keep = !ec && parser.get().keep_alive();
  }

  net::awaitable<void> exchange_any(bhttp::request<bhttp::string_body>& req, HttpResult& out,
                                    bool& got_bytes, bool& keep) {
    if (tls_stream)
      co_await exchange(*tls_stream, req, out, got_bytes, keep);
    else
      co_await exchange(*tcp_stream, req, out, got_bytes, keep);
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
    if (r.url.tls && ca_error) return {0, "", "tls"};
    const std::string want = (r.url.tls ? "https://" : "http://") + r.url.host + ":" +
                             std::to_string(r.url.port);
    if (open() && key != want) reset();
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = open();
      HttpResult out;
      if (!reused) {
        run(connect(r.url, out.error));
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
      run(exchange_any(req, out, got_bytes, keep));
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
    return {0, "", "io"};
  }
};

HttpClient::HttpClient(ClientOptions options) : m(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() { m->reset(); }
HttpResult HttpClient::send(const Request& req) { return m->send(req); }
void HttpClient::close() { m->reset(); }

}  // namespace hashgate::gw::deliver
