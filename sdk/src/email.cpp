// E-mail normalization per profile (see docs/normalization.md for the sources).
#include <cstring>

#include "internal.hpp"

namespace hashgate {
namespace detail {
namespace {

/// Byte map of the e-mail pass: the byte to write (ASCII lowercased, UTF-8 continuation and
/// lead bytes 0x80-0xC1 kept), or 0 for a byte that needs a closer look: controls and space
/// (invalid), '@', '.', and the lead bytes from 0xC2 that may start an invisible space.
struct EmailByteMap {
  unsigned char to[256] = {};
  constexpr EmailByteMap() {
    for (unsigned c = 0x21; c < 0xC2; ++c)
      to[c] = static_cast<unsigned char>(c - 'A' < 26u ? c + 32 : c);
    to[0x7F] = to['@'] = to['.'] = 0;
  }
};
constexpr EmailByteMap k_email_bytes;

}  // namespace

Errc normalize_email_into(std::string_view v, const Profile& p, std::string& out) {
  // One pass over the bytes does every check and writes the lowercased value straight into
  // `out` (no per-byte push_back): the batch's hot path. A second, short pass applies the gmail
  // rules to the local part when the profile asks for them.
  const std::size_t n = v.size();
  out.resize(n);
  char* const d = out.data();
  const auto fail = [&]() {
    secure_zero(d, n);
    out.clear();
    return Errc::invalid_email;
  };
  // Exactly one '@', no whitespace or control characters inside; the domain dotted, with no
  // empty label.
  std::size_t at = std::string_view::npos;
  bool domain_dot = false;
  unsigned char prev = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (const unsigned char m = k_email_bytes.to[c]; m != 0) {  // the common case: copy
      d[i] = static_cast<char>(m);
      prev = c;
      continue;
    }
    if (c <= 0x20 || c == 0x7F) return fail();
    // Invisible spaces inside (U+00A0, U+200B, U+FEFF) are whitespace too.
    if (c >= 0xC2) {
      const std::string_view rest = v.substr(i);
      if (rest.starts_with("\xC2\xA0") || rest.starts_with("\xE2\x80\x8B") ||
          rest.starts_with("\xEF\xBB\xBF"))
        return fail();
    }
    if (c == '@') {
      if (at != std::string_view::npos) return fail();
      at = i;
    } else if (c == '.' && at != std::string_view::npos) {
      if (prev == '@' || prev == '.') return fail();  // ".x" or "x..y" in the domain
      domain_dot = true;
    }
    d[i] = static_cast<char>(c);  // '@', '.' or a non-space byte from 0xC2
    prev = c;
  }
  // No '@', empty local part, an undotted domain or one ending in '.' (an empty domain is
  // undotted; the last byte belongs to the domain once there is an '@').
  if (at == std::string_view::npos || at == 0 || !domain_dot || prev == '.') return fail();
  const std::string_view domain(d + at + 1, n - at - 1);  // already lowercase
  const bool gmail = domain == "gmail.com";
  bool drop_dots = false, drop_tag = false;
  switch (p.id) {
    case ProfileId::meta:
      break;
    case ProfileId::google:
      drop_dots = drop_tag = gmail || domain == "googlemail.com";
      break;
    case ProfileId::uid2:
      drop_dots = drop_tag = gmail;
      break;
    case ProfileId::liveramp:
      drop_tag = true;
      drop_dots = gmail || domain == "googlemail.com";
      break;
  }
  if (!drop_dots && !drop_tag) return Errc::ok;
  std::size_t w = 0;
  for (std::size_t i = 0; i < at; ++i) {
    const char c = d[i];
    if (drop_tag && c == '+') break;
    if (drop_dots && c == '.') continue;
    d[w++] = c;
  }
  if (w == 0) return fail();  // e.g. "+tag@gmail.com"
  std::memmove(d + w, d + at, n - at);
  const std::size_t size = w + (n - at);
  secure_zero(d + size, n - size);  // the dropped bytes left past the new end
  out.resize(size);
  return Errc::ok;
}

}  // namespace detail

Result<std::string> normalize_email(std::string_view value, const Profile& p) {
  std::string_view v;
  if (const Errc e = detail::precheck(value, v); e != Errc::ok) return e;
  std::string out;
  if (const Errc e = detail::normalize_email_into(v, p, out); e != Errc::ok) return e;
  return out;
}

}  // namespace hashgate
