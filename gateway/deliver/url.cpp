// URL parsing for destination endpoints (a deliberately small subset of RFC 3986).
#include "gateway/deliver/url.hpp"

#include <cctype>
#include <charconv>

namespace hashgate::gw::deliver {

namespace {

constexpr std::size_t k_max_url = 2048;

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool target_char(char c) {
  // Printable ASCII except space, '#', and the characters that never belong in a request target.
  return c > 0x20 && c < 0x7f && c != '#' && c != '"' && c != '<' && c != '>' && c != '\\' &&
         c != '^' && c != '`' && c != '{' && c != '|' && c != '}';
}

/// Splits "host[:port]" (host may be "[v6]"); returns "" or a reason.
std::string parse_authority(std::string_view auth, Url& out) {
  std::string_view host = auth;
  std::string_view port;
  if (!auth.empty() && auth.front() == '[') {
    const auto close = auth.find(']');
    if (close == std::string_view::npos) return "has an unterminated [IPv6] host";
    host = auth.substr(1, close - 1);
    const auto rest = auth.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "has characters after the [IPv6] host";
    if (!rest.empty()) port = rest.substr(1);
    for (char c : host)
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.'))
        return "has an invalid IPv6 host";
  } else {
    const auto colon = auth.rfind(':');
    if (colon != std::string_view::npos) {
      host = auth.substr(0, colon);
      port = auth.substr(colon + 1);
    }
    for (char c : host)
      if (!host_char(c)) return "has an invalid character in the host";
  }
  if (host.empty()) return "has no host";
  if (host.size() > 253) return "has a host longer than 253 characters";
  out.host = std::string(host);
  if (!port.empty() || (auth.size() > host.size() && auth.back() == ':')) {
    unsigned value = 0;
    const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || p != port.data() + port.size() || value == 0 ||
        value > 65535)
      return "has an invalid port";
    out.port = static_cast<std::uint16_t>(value);
  }
  return "";
}

}  // namespace

std::string parse_url(std::string_view text, Url& out) {
  out = Url{};
  if (text.size() > k_max_url) return "is longer than 2048 characters";
  std::string_view rest;
  if (text.substr(0, 7) == "http://") {
    rest = text.substr(7);
  } else if (text.substr(0, 8) == "https://") {
    out.tls = true;
    rest = text.substr(8);
  } else {
    return "must start with http:// or https://";
  }
  const auto slash = rest.find_first_of("/?#");
  const std::string_view auth = rest.substr(0, slash);
  if (auth.find('@') != std::string_view::npos) return "must not contain user information";
  if (auto why = parse_authority(auth, out); !why.empty()) return why;
  if (out.port == 0) out.port = out.tls ? 443 : 80;
  std::string_view target = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (!target.empty() && target.front() == '#') return "must not contain a fragment";
  for (char c : target)
    if (!target_char(c))
      return c == '#' ? "must not contain a fragment" : "has an invalid character";
  out.target.reserve(target.size() + 1);
  if (target.empty() || target.front() != '/') out.target.push_back('/');
  out.target.append(target);
  return "";
}

std::string Url::host_header() const {
  std::string h;
  if (host.find(':') != std::string::npos) {
    h.append("[").append(host).append("]");
  } else {
    h = host;
  }
  if (port != (tls ? 443 : 80)) h.append(":").append(std::to_string(port));
  return h;
}

std::string Url::str() const {
  std::string out = tls ? "https://" : "http://";
  out.append(host_header()).append(target);
  return out;
}

Url with_path(const Url& base, std::string_view path) {
  Url u = base;
  const auto query = u.target.find('?');
  std::string tail = query == std::string::npos ? "" : u.target.substr(query);
  std::string head = u.target.substr(0, query);
  while (!head.empty() && head.back() == '/') head.pop_back();
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  u.target = head + "/" + std::string(path) + tail;
  return u;
}

}  // namespace hashgate::gw::deliver
