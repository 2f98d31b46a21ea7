#pragma once
// Retry policy (pure): which answers are retried, Retry-After parsing (delay-seconds and
// HTTP-date, RFC 9110 §10.2.3), and exponential backoff with jitter.

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace hashgate::gw::deliver {

/// What an HTTP status means for the rows it answered.
enum class Verdict : std::uint8_t { delivered, retry, permanent };

/// Any 2xx is delivered; 408, 429 and 5xx are retried; every other status is permanent.
Verdict classify(int status);

/// Parses a Retry-After value at `now_unix` into a delay in seconds (>= 0). Accepts
/// delay-seconds and the three HTTP-date forms (IMF-fixdate, RFC 850, asctime); a date in the
/// past gives 0. Empty optional for anything else (then the backoff applies).
std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_unix);

/// Backoff settings: attempt n (n >= 1 failures so far) waits a uniformly random time in
/// [d/2, d] with d = min(cap, base * 2^(n-1)) ("equal jitter"); a Retry-After longer than that
/// wins, capped at `max_retry_after_ms`.
struct RetryPolicy {
  std::int64_t base_ms = 1000;
  std::int64_t cap_ms = 10 * 60 * 1000;
  std::int64_t max_retry_after_ms = 6 * 3600 * 1000;
};

/// The delay before the next attempt after `attempts` failures (>= 1); `uniform01` returns a
/// number in [0, 1) (injectable for tests); `retry_after_ms` is the server's wish if it sent one.
std::int64_t next_delay_ms(const RetryPolicy& policy, int attempts,
                           const std::function<double()>& uniform01,
                           std::optional<std::int64_t> retry_after_ms);

}  // namespace hashgate::gw::deliver
