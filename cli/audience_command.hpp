#pragma once
// `hashgate audience push`: hashes a CRM CSV locally with hash-file's engine and uploads the
// hashed members of an audience to a gateway in batches (issue 14). Plain values never leave the
// process. docs/cli.md and docs/onboarding.md describe it.

#include <chrono>
#include <span>
#include <string_view>

#include "commands.hpp"

namespace hashgate::cli {

/// EX_UNAVAILABLE: the gateway could not be reached, refused the upload, or still answered
/// 429/503 after every retry. Batches acknowledged before the failure stay uploaded.
inline constexpr int k_exit_unavailable = 69;

/// Environment variable that makes the waits between retries instant (they are still reported
/// on stderr). For tests only.
inline constexpr const char* k_env_instant_retry = "HASHGATE_TEST_INSTANT_RETRY";

/// `hashgate audience push ...`: `args` starts after "audience". Returns the exit status.
int cmd_audience(std::span<char*> args, const Io& io);

/// True for an audience name the gateway accepts: 1-64 of [A-Za-z0-9_-].
bool valid_audience_name(std::string_view name) noexcept;

/// How long to wait before retry number `attempt` (1, 2, ...) of a batch whose answer carried
/// `retry_after` (delta-seconds or an HTTP-date, RFC 9110 §10.2.3; empty if absent), at time
/// `now`: the header's value when it is valid, else 1, 2, 4, ... seconds; never more than `cap`.
std::chrono::seconds retry_delay(std::string_view retry_after, int attempt,
                                 std::chrono::seconds cap,
                                 std::chrono::system_clock::time_point now);

}  // namespace hashgate::cli
