// Blocking HTTP/1.1 client over Beast: each step is an asynchronous operation with a deadline
// (beast::tcp_stream::expires_after), run to completion on a private io_context.
#include "http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

#include "hashgate/hashgate.hpp"

namespace hashgate::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

std::optional<GatewayUrl> parse_gateway_url(std::string_view url) {
  GatewayUrl out;
  if (url.substr(0, 8) == "https://") {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.substr(0, 7) == "http://") {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  if (url.find_first_of("?#@ \t\r\n\\") != std::string_view::npos) return std::nullopt;
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    out.base = std::string(url.substr(slash));
    while (!out.base.empty() && out.base.back() == '/') out.base.pop_back();
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) return std::nullopt;
  }
  if (out.host.empty()) return std::nullopt;
  if (port.empty() && authority.find(':') == std::string_view::npos) {
    out.port = out.tls ? "443" : "80";
    return out;
  }
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (ec != std::errc() || end != port.data() + port.size() || n == 0 || n > 65535) {
    return std::nullopt;
  }
  out.port = std::string(port);
  return out;
}

struct HttpClient::Impl {
  GatewayUrl url;
  HttpOptions opt;
  net::io_context ioc;
  std::optional<ssl::context> tls;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool connected = false;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  // Starts one asynchronous operation with `start(handler)` and runs it to completion.
  template <typename Start>
  boost::system::error_code run(Start start) {
    boost::system::error_code result = net::error::would_block;
    start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  void close() {
    if (plain || secure) {
      boost::system::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
    }
    secure.reset();
    plain.reset();
    buffer.clear();
    connected = false;
  }

  // Verification of the server's name: SNI and host name for a DNS name, the IP address SAN for
  // an IP literal (OpenSSL matches them separately).
  bool verify_name(SSL* s) {
    boost::system::error_code ec;
    net::ip::make_address(url.host, ec);
    if (ec) {
      return SSL_set_tlsext_host_name(s, url.host.c_str()) == 1 &&
             SSL_set1_host(s, url.host.c_str()) == 1;
    }
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), url.host.c_str()) == 1;
  }

  boost::system::error_code connect(std::string& why) {
    close();
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    const auto results = resolver.resolve(url.host, url.port, ec);
    if (ec) {
      why = "cannot resolve the gateway's host name";
      return ec;
    }
    if (url.tls) {
      secure.emplace(ioc, *tls);
      if (!verify_name(secure->native_handle())) {
        why = "cannot set up TLS host name verification";
        return net::error::invalid_argument;
      }
    } else {
      plain.emplace(ioc);
    }
    lowest().expires_after(opt.timeout);
    ec = run([&](auto h) { lowest().async_connect(results, std::move(h)); });
    if (ec) {
      why = "cannot connect to the gateway: " + ec.message();
      return ec;
    }
    if (secure) {
      lowest().expires_after(opt.timeout);
      ec = run([&](auto h) { secure->async_handshake(ssl::stream_base::client, std::move(h)); });
      if (ec) {
        why = "TLS handshake with the gateway failed: " + ec.message();
        return ec;
      }
    }
    connected = true;
    return {};
  }

  boost::system::error_code exchange(http::request<http::string_body>& req, HttpAnswer& answer,
                                     std::string& why) {
    lowest().expires_after(opt.timeout);
    auto ec = run([&](auto h) {
      if (secure) {
        http::async_write(*secure, req, std::move(h));
      } else {
        http::async_write(*plain, req, std::move(h));
      }
    });
    if (ec) {
      why = "cannot send the request: " + ec.message();
      return ec;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(opt.max_answer_bytes);
    lowest().expires_after(opt.timeout);
    ec = run([&](auto h) {
      if (secure) {
        http::async_read(*secure, buffer, parser, std::move(h));
      } else {
        http::async_read(*plain, buffer, parser, std::move(h));
      }
    });
    if (ec) {
      why = "no answer from the gateway: " + ec.message();
      return ec;
    }
    auto& res = parser.get();
    answer.status = static_cast<int>(res.result_int());
    answer.retry_after = std::string(res[http::field::retry_after]);
    answer.body = std::move(res.body());
    if (!res.keep_alive()) close();
    return {};
  }
};

HttpClient::HttpClient(GatewayUrl url, HttpOptions options) : m_impl(std::make_unique<Impl>()) {
  m_impl->url = std::move(url);
  m_impl->opt = std::move(options);
  if (m_impl->url.tls) {
    m_impl->tls.emplace(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(m_impl->tls->native_handle(), TLS1_2_VERSION);
    m_impl->tls->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (m_impl->opt.ca_file.empty()) {
      m_impl->tls->set_default_verify_paths(ec);
    } else {
      m_impl->tls->load_verify_file(m_impl->opt.ca_file, ec);
    }
    // An unusable CA file leaves the store empty: every handshake then fails verification.
  }
}

HttpClient::~HttpClient() { m_impl->close(); }

bool HttpClient::post(const std::string& target, const std::string& body,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      HttpAnswer& answer, std::string& why) {
  Impl& m = *m_impl;
  http::request<http::string_body> req{http::verb::post, target, 11};
  const bool v6 = m.url.host.find(':') != std::string::npos;
  req.set(http::field::host, (v6 ? "[" + m.url.host + "]" : m.url.host) + ":" + m.url.port);
  req.set(http::field::user_agent, m.opt.user_agent);
  req.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  req.keep_alive(true);
  // A kept-alive connection the server has closed in the meantime fails at once: that attempt
  // is repeated on a new connection; a failure on a fresh connection is the caller's to retry.
  boost::system::error_code ec;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = m.connected;
    if (!m.connected) {
      ec = m.connect(why);
      if (ec) break;
    }
    ec = m.exchange(req, answer, why);
    if (!ec) break;
    m.close();
    if (!reused) break;
  }
  hashgate::secure_clear(req.body());  // it held hashed identifiers
  return !ec;
}

}  // namespace hashgate::cli
