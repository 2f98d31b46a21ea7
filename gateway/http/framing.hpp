#pragma once
// The checks a request head gets as soon as it has arrived, before any of its body is read:
// message framing (RFC 9112 §6.1, §6.3), Host (§3.2) and credentials. Beast 1.81's parser lets
// some smuggling shapes through (a transfer coding other than chunked frames an empty body and
// the body's bytes become the next request); these checks refuse them and the session closes.
// Standard library only, so the checks are unit-tested and fuzzed without sockets.

#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace hashgate::gw::http {

/// What the session does with a request head.
enum class HeadVerdict {
  ok,               ///< read the body and handle the request
  bad_request,      ///< answer 400 and close
  not_implemented,  ///< answer 501 and close (a transfer coding we do not decode)
};

/// The verdict, with a fixed reason label (metrics) and a message that echoes no header value.
struct HeadCheck {
  HeadVerdict verdict = HeadVerdict::ok;
  std::string_view reason;
  std::string_view message;
};

/// Checks a request head: `version` (10 or 11), its header fields with lowercase names in
/// arrival order, and `parser_chunked`, whether the parser frames the body as chunked.
/// - Transfer-Encoding on HTTP/1.0 → 400 (§6.1: the framing is faulty).
/// - Transfer-Encoding together with Content-Length → 400 (§6.1, §6.3).
/// - Transfer-Encoding whose final coding is not chunked, or a malformed one → 400 (§6.3:
///   the body length cannot be determined); chunked after other codings (gzip, chunked) → 501
///   (§6.1: a coding we do not implement). Only exactly "chunked" is accepted, and only when
///   the parser agrees it frames the body as chunked.
/// - No Host on HTTP/1.1, more than one, or a value that is no host[:port] → 400 (§3.2).
/// - More than one Authorization → 400 (which credential counts would be a guess).
HeadCheck check_head(unsigned version, std::span<const std::pair<std::string, std::string>> headers,
                     bool parser_chunked);

}  // namespace hashgate::gw::http
