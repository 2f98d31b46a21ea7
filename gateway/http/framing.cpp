// Request-head checks of the HTTP layer (see framing.hpp).
#include "gateway/http/framing.hpp"

#include <algorithm>
#include <cstddef>

namespace hashgate::gw::http {
namespace {

bool tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  for (char t : std::string_view("!#$%&'*+-.^_`|~"))
    if (c == t) return true;
  return false;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The transfer codings of every Transfer-Encoding line, in order, as far as they are plain
/// tokens; `malformed` when an element is empty, has parameters or is not a token.
struct Codings {
  std::size_t count = 0;
  bool malformed = false;
  std::size_t chunked = 0;  ///< how many of them are `chunked`
  bool chunked_last = false;
};

void add_codings(std::string_view value, Codings& c) {
  for (std::size_t at = 0; at <= value.size();) {
    const std::size_t comma = std::min(value.find(',', at), value.size());
    const std::string_view elem = trim_ows(value.substr(at, comma - at));
    at = comma + 1;
    if (elem.empty()) {
      c.malformed = true;
      continue;
    }
    for (char ch : elem) c.malformed |= !tchar(ch);
    c.chunked_last = iequals(elem, "chunked");
    c.chunked += c.chunked_last ? 1 : 0;
    ++c.count;
  }
}

constexpr HeadCheck bad(std::string_view reason, std::string_view message) {
  return {HeadVerdict::bad_request, reason, message};
}

HeadCheck check_transfer_encoding(const Codings& te, bool parser_chunked) {
  if (te.malformed || te.count == 0)
    return bad("bad_transfer_encoding", "malformed Transfer-Encoding");
  if (te.chunked > 1)
    return bad("bad_transfer_encoding", "chunked applied more than once (RFC 9112 section 7)");
  // Issue 18 pins 501 for every coding other than one final chunked (RFC 9112 section 6.1: a
  // coding the server does not implement); the connection closes either way.
  if (te.count > 1 || !te.chunked_last)
    return {HeadVerdict::not_implemented, "unsupported_transfer_coding",
            "only Transfer-Encoding: chunked is implemented"};
  if (!parser_chunked) return bad("bad_transfer_encoding", "malformed Transfer-Encoding");
  return {};
}

/// A character of an RFC 3986 reg-name: unreserved, sub-delims or '%' (of pct-encoded).
bool reg_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  for (char t : std::string_view("-._~!$&'()*+,;=%"))
    if (c == t) return true;
  return false;
}

/// host [":" port] of RFC 3986 as Host carries it: reg-name, IPv4 or a bracketed IP literal.
bool valid_host(std::string_view h) {
  std::size_t port_at = h.size();
  if (!h.empty() && h.front() == '[') {
    const std::size_t close = h.find(']');
    if (close == std::string_view::npos) return false;
    for (char c : h.substr(1, close - 1))
      if (!(reg_char(c) || c == ':')) return false;
    port_at = close + 1;
    if (port_at < h.size() && h[port_at] != ':') return false;
  } else {
    port_at = std::min(h.find(':'), h.size());
    for (char c : h.substr(0, port_at))
      if (!reg_char(c)) return false;
  }
  if (port_at >= h.size()) return true;
  const std::string_view port = h.substr(port_at + 1);
  if (port.size() > 5) return false;
  for (char c : port)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

HeadCheck check_head(unsigned version, std::span<const std::pair<std::string, std::string>> headers,
                     bool parser_chunked) {
  std::size_t hosts = 0, auths = 0, lengths = 0, te_lines = 0;
  const std::string* host = nullptr;
  Codings te;
  for (const auto& [name, value] : headers) {
    if (name == "host") {
      ++hosts;
      host = &value;
    } else if (name == "authorization") {
      ++auths;
    } else if (name == "content-length") {
      ++lengths;
    } else if (name == "transfer-encoding") {
      ++te_lines;
      add_codings(value, te);
    }
  }
  if (te_lines && version < 11)
    return bad("bad_transfer_encoding", "Transfer-Encoding is not allowed in HTTP/1.0");
  if (te_lines && lengths)
    return bad("bad_framing", "Transfer-Encoding and Content-Length together");
  if (te_lines)
    if (auto c = check_transfer_encoding(te, parser_chunked); c.verdict != HeadVerdict::ok)
      return c;
  if (hosts > 1 || (hosts == 0 && version >= 11))
    return bad("bad_host", "a request needs exactly one Host header");
  if (host && !valid_host(*host)) return bad("bad_host", "the Host header is not host[:port]");
  if (auths > 1) return bad("duplicate_authorization", "more than one Authorization header");
  return {};
}

}  // namespace hashgate::gw::http
