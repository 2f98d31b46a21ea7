#pragma once
// A small blocking HTTP/1.1 client for the delivery worker: Boost.Beast over TCP or TLS
// (OpenSSL, peer and host name verified), with a timeout on every step and one kept-alive
// connection. It blocks only the calling worker thread, never an ingest thread. Beast stays
// inside http_client.cpp.

#include <chrono>
#include <memory>
#include <string>

#include "gateway/deliver/payload.hpp"

namespace hashgate::gw::deliver {

/// The outcome of one request. `status` is 0 when no answer arrived; `error` then names the
/// step that failed with a fixed word: "resolve", "connect", "tls", "timeout" or "io".
struct HttpResult {
  int status = 0;
  std::string retry_after;  ///< the Retry-After header, if the answer had one
  std::string error;
  std::string body;  ///< the answer's body (at most ClientOptions::max_response_body bytes)
};

/// Client settings.
struct ClientOptions {
  std::chrono::milliseconds timeout{10000};  ///< connect (incl. TLS), and then the exchange
  std::string ca_file;                       ///< PEM CA bundle; empty = the system's CAs
  std::size_t max_response_body = 1 << 20;   ///< larger answers are not read (status still counts)
};

/// One client per worker thread; not thread-safe.
class HttpClient {
 public:
  explicit HttpClient(ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends `req` and waits for the answer (or the timeout). Reuses the open connection when it
  /// goes to the same scheme, host and port; a request on a reused connection that the server
  /// had closed is retried once on a fresh one.
  HttpResult send(const Request& req);

  /// Closes the kept-alive connection, if any.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> m;
};

}  // namespace hashgate::gw::deliver
