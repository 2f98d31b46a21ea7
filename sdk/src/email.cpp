// E-mail normalization per profile (see docs/normalization.md for the sources).
#include "internal.hpp"

namespace hashgate {
namespace detail {
namespace {

bool is_gmail(std::string_view domain) noexcept { return iequals_ascii(domain, "gmail.com"); }
bool is_gmail_or_googlemail(std::string_view domain) noexcept {
  return iequals_ascii(domain, "gmail.com") || iequals_ascii(domain, "googlemail.com");
}

}  // namespace

Errc normalize_email_into(std::string_view v, const Profile& p, std::string& out) {
  out.clear();
  // Exactly one '@', no whitespace or control characters inside.
  std::size_t at = std::string_view::npos;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c <= 0x20 || c == 0x7F) return Errc::invalid_email;
    // Invisible spaces inside (U+00A0, U+200B, U+FEFF) are whitespace too.
    const std::string_view rest = v.substr(i);
    if (c >= 0xC2 && (rest.starts_with("\xC2\xA0") || rest.starts_with("\xE2\x80\x8B") ||
                      rest.starts_with("\xEF\xBB\xBF")))
      return Errc::invalid_email;
    if (c == '@') {
      if (at != std::string_view::npos) return Errc::invalid_email;
      at = i;
    }
  }
  if (at == std::string_view::npos || at == 0) return Errc::invalid_email;
  const std::string_view local = v.substr(0, at);
  const std::string_view domain_raw = v.substr(at + 1);
  // The domain must be dotted, with no empty label.
  if (domain_raw.empty() || domain_raw.front() == '.' || domain_raw.back() == '.' ||
      domain_raw.find('.') == std::string_view::npos ||
      domain_raw.find("..") != std::string_view::npos)
    return Errc::invalid_email;

  bool drop_dots = false, drop_tag = false;
  switch (p.id) {
    case ProfileId::meta:
      break;
    case ProfileId::google:
      drop_dots = drop_tag = is_gmail_or_googlemail(domain_raw);
      break;
    case ProfileId::uid2:
      drop_dots = drop_tag = is_gmail(domain_raw);
      break;
    case ProfileId::liveramp:
      drop_tag = true;
      drop_dots = is_gmail_or_googlemail(domain_raw);
      break;
  }
  out.reserve(v.size());
  for (const char c : local) {
    if (drop_tag && c == '+') break;
    if (drop_dots && c == '.') continue;
    out.push_back(to_lower(c));
  }
  if (out.empty()) return Errc::invalid_email;  // e.g. "+tag@gmail.com"
  out.push_back('@');
  for (const char c : domain_raw) out.push_back(to_lower(c));
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
