// UTF-8 validation and decoding, trimming, and zeroing of buffers that held personal data.
#include <cstring>

#include "internal.hpp"

namespace hashgate {

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // Eight ASCII bytes at a time (no byte has its top bit set).
    std::uint64_t word;
    if (n - i >= 8 && (std::memcpy(&word, p + i, 8), (word & 0x8080808080808080ull) == 0)) {
      i += 8;
      continue;
    }
    const unsigned c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF)
      len = 2;
    else if (c == 0xE0) {
      len = 3;
      lo = 0xA0;
    }  // no overlongs
    else if (c == 0xED) {
      len = 3;
      hi = 0x9F;
    }  // no surrogates
    else if (c >= 0xE1 && c <= 0xEF)
      len = 3;
    else if (c == 0xF0) {
      len = 4;
      lo = 0x90;
    }  // no overlongs
    else if (c >= 0xF1 && c <= 0xF3)
      len = 4;
    else if (c == 0xF4) {
      len = 4;
      hi = 0x8F;
    }  // <= U+10FFFF
    else
      return false;                 // 80..C1, F5..FF
    if (n - i < len) return false;  // truncated
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

void secure_zero(void* p, std::size_t n) noexcept {
  if (p == nullptr || n == 0) return;
  std::memset(p, 0, n);
#if defined(__GNUC__) || defined(__clang__)
  // The empty asm "uses" the buffer, so the compiler cannot drop the memset as a dead store.
  __asm__ __volatile__("" : : "r"(p) : "memory");
#else
  volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
  while (n--) *v++ = 0;
#endif
}

void secure_clear(std::string& s) noexcept {
  // Zero the whole capacity (the SSO buffer too) before the length is reset.
  if (s.capacity() > 0) secure_zero(s.data(), s.capacity());
  s.clear();
}

namespace detail {

void assign_zeroed(std::string& s, std::string_view value) {
  secure_zero(s.data(), s.size());
  s.assign(value);
}

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  // ASCII whitespace, U+00A0 (no-break space), U+FEFF (byte order mark) and U+200B (zero-width
  // space): invisible characters that copy-paste and spreadsheets leave around values. The
  // multi-byte ones are looked for only at a non-ASCII byte (their first byte is >= 0xC2, their
  // last >= 0x80), so a plain ASCII value costs one test per end.
  constexpr std::string_view k_multi[] = {"\xC2\xA0", "\xEF\xBB\xBF", "\xE2\x80\x8B"};
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s.front());
    if (is_space(static_cast<char>(c))) {
      s.remove_prefix(1);
      continue;
    }
    if (c < 0xC2) break;
    std::size_t cut = 0;
    for (const auto m : k_multi)
      if (s.starts_with(m)) cut = m.size();
    if (cut == 0) break;
    s.remove_prefix(cut);
  }
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s.back());
    if (is_space(static_cast<char>(c))) {
      s.remove_suffix(1);
      continue;
    }
    if (c < 0x80) break;
    std::size_t cut = 0;
    for (const auto m : k_multi)
      if (s.ends_with(m)) cut = m.size();
    if (cut == 0) break;
    s.remove_suffix(cut);
  }
  return s;
}

Errc precheck(std::string_view value, std::string_view& out) noexcept {
  if (value.size() > k_max_input_bytes) return Errc::too_long;
  if (!valid_utf8(value)) return Errc::invalid_utf8;
  out = trim(value);
  if (out.empty()) return Errc::empty;
  return Errc::ok;
}

char32_t next_cp(std::string_view s, std::size_t& i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    ++i;
    return c;
  }
  std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < len && i + k < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

}  // namespace detail

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace hashgate
