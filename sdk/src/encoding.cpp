// Hex and base64 (RFC 4648 §4) encoding, and decoding of already-hashed input.
#include "internal.hpp"

namespace hashgate {
namespace {

constexpr char k_hex[] = "0123456789abcdef";
constexpr char k_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int b64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool decode_hex(std::string_view s, std::span<std::uint8_t> out) noexcept {
  if (s.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int h = hex_value(s[2 * i]), l = hex_value(s[2 * i + 1]);
    if (h < 0 || l < 0) return false;
    out[i] = static_cast<std::uint8_t>(h << 4 | l);
  }
  return true;
}

bool decode_base64(std::string_view s, std::span<std::uint8_t> out) noexcept {
  const std::size_t n = out.size();
  if (s.size() != (n + 2) / 3 * 4) return false;
  const std::size_t pad = (3 - n % 3) % 3;
  for (std::size_t i = s.size() - pad; i < s.size(); ++i)
    if (s[i] != '=') return false;
  std::size_t o = 0;
  for (std::size_t i = 0; i < s.size(); i += 4) {
    std::uint32_t v = 0;
    int chars = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = s[i + k];
      if (c == '=') {
        v <<= 6;
        continue;
      }
      const int d = b64_value(c);
      if (d < 0) return false;
      v = (v << 6) | static_cast<std::uint32_t>(d);
      ++chars;
    }
    const std::uint8_t bytes[3] = {static_cast<std::uint8_t>(v >> 16),
                                   static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    for (int k = 0; k < chars - 1 && o < n; ++k) out[o++] = bytes[k];
    // Non-canonical trailing bits (e.g. "...Z=" that decodes the same as "...Y=") are rejected.
    if (chars < 4 && (chars == 2 ? (v & 0xFFFF) : (v & 0xFF)) != 0) return false;
  }
  return o == n;
}

}  // namespace

namespace detail {

void append_hex(std::span<const std::uint8_t> bytes, std::string& out) {
  const std::size_t at = out.size();
  out.resize(at + bytes.size() * 2);
  char* w = out.data() + at;
  for (const std::uint8_t b : bytes) {
    *w++ = k_hex[b >> 4];
    *w++ = k_hex[b & 15];
  }
}

void append_base64(std::span<const std::uint8_t> bytes, std::string& out) {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
    out.push_back(k_b64[v >> 18]);
    out.push_back(k_b64[(v >> 12) & 63]);
    out.push_back(k_b64[(v >> 6) & 63]);
    out.push_back(k_b64[v & 63]);
  }
  if (n - i == 1) {
    const std::uint32_t v = bytes[i] << 16;
    out.push_back(k_b64[v >> 18]);
    out.push_back(k_b64[(v >> 12) & 63]);
    out.append("==");
  } else if (n - i == 2) {
    const std::uint32_t v = bytes[i] << 16 | bytes[i + 1] << 8;
    out.push_back(k_b64[v >> 18]);
    out.push_back(k_b64[(v >> 12) & 63]);
    out.push_back(k_b64[(v >> 6) & 63]);
    out.push_back('=');
  }
}

}  // namespace detail

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string s;
  s.reserve(bytes.size() * 2);
  detail::append_hex(bytes, s);
  return s;
}

std::string to_base64(std::span<const std::uint8_t> bytes) {
  std::string s;
  s.reserve((bytes.size() + 2) / 3 * 4);
  detail::append_base64(bytes, s);
  return s;
}

bool decode_digest(std::string_view value, std::size_t size, std::span<std::uint8_t> out) noexcept {
  if (size == 0 || out.size() < size) return false;
  const std::string_view v = detail::trim(value);
  auto dst = out.first(size);
  if (v.size() == size * 2) return decode_hex(v, dst);
  if (v.size() == (size + 2) / 3 * 4) return decode_base64(v, dst);
  return false;
}

}  // namespace hashgate
