#pragma once
// The Beast HTTP(S) server: listener, one session per connection on a strand, limits, timeouts,
// bounded pipelining, optional TLS, graceful drain on SIGINT/SIGTERM, and the retention timer.
// Beast headers stay inside server.cpp (compile cost).

#include <memory>

#include "gateway/api/gateway.hpp"
#include "gateway/config/config.hpp"

namespace hashgate::gw::http {

/// Owns the io_context, its threads, the listener and the signal handling.
class Server {
 public:
  /// Binds the listening socket (and loads the TLS certificate if configured). Throws
  /// std::runtime_error with a clear message on failure (start-up only).
  Server(api::Gateway& gateway, const config::Config& cfg);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The bound TCP port (useful with port 0).
  int port() const;
  /// Serves on cfg.threads threads until SIGINT/SIGTERM (or stop()), then drains in-flight
  /// requests (at most cfg.drain_timeout) and returns.
  void run();
  /// Starts the same graceful shutdown as a signal. Thread-safe.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace hashgate::gw::http
