#pragma once
// A small blocking HTTP/1.1 client for the CLI's uploads (`hashgate audience push`): one
// keep-alive connection to one gateway, plain TCP or TLS (Boost.Beast over OpenSSL, TLS 1.2+,
// certificate and host name verified), a deadline on every step. The only file of cli/ that
// includes Beast.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hashgate::cli {

/// The parts of a gateway URL `http[s]://host[:port][/base]`.
struct GatewayUrl {
  bool tls = false;
  std::string host;  ///< a DNS name or an IP literal (IPv6 without its brackets)
  std::string port;  ///< "80"/"443" when the URL names none
  std::string base;  ///< path prefix without a trailing '/', "" for none
};

/// Parses `url`; nullopt unless it is http:// or https:// with a host, an optional port 1-65535
/// and an optional path, and no user info, query or fragment.
std::optional<GatewayUrl> parse_gateway_url(std::string_view url);

/// One answer: status, the Retry-After header (empty if absent) and the body.
struct HttpAnswer {
  int status = 0;
  std::string retry_after;
  std::string body;
};

/// Client settings.
struct HttpOptions {
  std::string ca_file;                      ///< PEM CA bundle to trust; empty: the system's
  std::chrono::seconds timeout{60};         ///< deadline of each connect, handshake, write, read
  std::size_t max_answer_bytes = 1 << 20;   ///< longer answers are an error
  std::string user_agent = "hashgate-cli";  ///< User-Agent header
};

/// A connection to one gateway, opened on first use and reopened after any error.
class HttpClient {
 public:
  /// A client for `url` with `options`; connects lazily.
  HttpClient(GatewayUrl url, HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends `POST target` with `body` (application/json) and the extra `headers`; fills `answer`
  /// and returns true. Returns false, with a short reason in `why` that never contains the body
  /// or a header value, when the request could not be sent or answered (the connection is then
  /// closed). A kept-alive connection found closed by the server is replaced once, at once.
  bool post(const std::string& target, const std::string& body,
            const std::vector<std::pair<std::string, std::string>>& headers, HttpAnswer& answer,
            std::string& why);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace hashgate::cli
