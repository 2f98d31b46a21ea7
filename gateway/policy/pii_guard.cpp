// PII heuristics. E-mail: local@domain.tld around every '@' (and its full-width look-alikes).
// Phone: '+'/'00' international numbers, separated groups ("(555) 123-4567", "06-12345678"),
// and delimited plain digit runs in national or E.164-without-plus shape. See docs/gateway-api.md.
#include "gateway/policy/pii_guard.hpp"

#include "hashgate/hashgate.hpp"

#include <array>
#include <cctype>

namespace hashgate::gw::policy {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'' ||
         c == '!' || c == '#' || c == '$' || c == '&' || c == '*' || c == '=' || c == '?' ||
         c == '^' || c == '`' || c == '{' || c == '|' || c == '}' || c == '~' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool domain_char(char c) {
  return is_alnum(c) || c == '.' || c == '-' || static_cast<unsigned char>(c) >= 0x80;
}

bool has_email(std::string_view s) {
  for (std::size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
    std::size_t l = at;
    while (l > 0 && local_char(s[l - 1])) --l;
    if (l == at) continue;
    std::size_t r = at + 1;
    while (r < s.size() && domain_char(s[r])) ++r;
    std::string_view dom = s.substr(at + 1, r - at - 1);
    while (!dom.empty() && (dom.back() == '.' || dom.back() == '-')) dom.remove_suffix(1);
    auto dot = dom.rfind('.');
    if (dot == std::string_view::npos || dot == 0) continue;
    std::string_view tld = dom.substr(dot + 1);
    if (tld.size() < 2) continue;
    bool ok = true;
    for (char c : tld)
      if (!(is_alpha(c) || static_cast<unsigned char>(c) >= 0x80 || c == '-' || is_digit(c)))
        ok = false;
    // "xn--" punycode TLDs contain digits; a purely numeric TLD is an IP, not an e-mail domain.
    bool all_digits = true;
    for (char c : tld)
      if (!is_digit(c)) all_digits = false;
    if (ok && !all_digits) return true;
  }
  return false;
}

bool nanp(std::string_view d) {  // 10 digits: [2-9]XX [2-9]XX XXXX
  return d.size() == 10 && d[0] >= '2' && d[3] >= '2';
}

// A digit run with no separators, delimited by string ends or non-identifier characters.
bool plain_run_is_phone(std::string_view d) {
  const std::size_t n = d.size();
  if (n >= 10 && n <= 17 && d.substr(0, 2) == "00" && d[2] != '0') return true;  // 0031612345678
  if ((n == 10 || n == 11) && d[0] == '0' && d[1] != '0') return true;           // national trunk 0
  if (nanp(d)) return true;                                                      // US national
  if (n == 11 && d[0] == '1' && nanp(d.substr(1))) return true;                  // US with 1
  // E.164 without '+' (Meta's phone form) for common mobile ranges.
  if (n == 11 && d.substr(0, 3) == "316") return true;  // NL mobile
  if (n == 12 && d.substr(0, 3) == "447") return true;  // UK mobile
  if ((n == 12 || n == 13) && d.substr(0, 3) == "491" && d[3] >= '5' && d[3] <= '7') return true;
  if (n == 11 && d.substr(0, 2) == "33" && (d[2] == '6' || d[2] == '7')) return true;  // FR
  if (n == 11 && d.substr(0, 2) == "32" && d[2] == '4') return true;                   // BE mobile
  if (n == 12 && d.substr(0, 2) == "34" && (d[2] == '6' || d[2] == '7')) return false;
  if (n == 11 && d.substr(0, 2) == "34" && (d[2] == '6' || d[2] == '7')) return true;  // ES
  if (n == 12 && d.substr(0, 2) == "39" && d[2] == '3') return true;                   // IT mobile
  return false;
}

bool boundary_char(char c) {
  // Characters that end a token: anything except identifier-ish ones. '.', '_', '/', letters and
  // digits glue a digit run into a larger identifier (fb.1.1764374400.123, GA1.2.x.y).
  return !(is_alnum(c) || c == '.' || c == '_' || c == '/' || c == '-' || c == '%' ||
           static_cast<unsigned char>(c) >= 0x80);
}

bool sep_char(char c) {
  return c == ' ' || c == '-' || c == '(' || c == ')' || c == '.' || c == '/';
}

bool has_phone(std::string_view s) {
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[i];
    bool starts_plus =
        c == '+' && i + 1 < n && (is_digit(s[i + 1]) || s[i + 1] == '(' || s[i + 1] == ' ');
    if (!starts_plus && !is_digit(c) && c != '(') continue;
    if (i > 0 &&
        (is_alnum(s[i - 1]) || (!starts_plus && !boundary_char(s[i - 1]) && s[i - 1] != ' ')))
      continue;  // inside a larger token
    // Walk a run of digits and single separators.
    std::size_t j = starts_plus ? i + 1 : i;
    std::size_t digits = 0, groups = 0, max_group = 0, cur = 0, seps = 0;
    bool dot_sep = false, other_sep = false;
    std::string all;
    while (j < n) {
      if (is_digit(s[j])) {
        ++digits;
        ++cur;
        all.push_back(s[j]);
        ++j;
        continue;
      }
      if (sep_char(s[j]) && j + 1 < n &&
          (is_digit(s[j + 1]) || s[j + 1] == '(' || s[j + 1] == ' ')) {
        if (cur) {
          ++groups;
          if (cur > max_group) max_group = cur;
        }
        cur = 0;
        ++seps;
        if (s[j] == '.')
          dot_sep = true;
        else
          other_sep = true;
        ++j;
        continue;
      }
      break;
    }
    if (cur) {
      ++groups;
      if (cur > max_group) max_group = cur;
    }
    bool end_ok = j >= n || !is_alnum(s[j]);
    if (j < n && s[j] == '.' && j + 1 < n && is_alnum(s[j + 1])) end_ok = false;
    if (!end_ok || digits == 0) {
      i = j;
      continue;
    }
    if (starts_plus && digits >= 8 && digits <= 15) return true;
    if (seps == 0) {
      bool start_ok = i == 0 || boundary_char(s[i - 1]) || s[i - 1] == ' ';
      bool stop_ok = j >= n || boundary_char(s[j]) || s[j] == ' ';
      if (start_ok && stop_ok && plain_run_is_phone(all)) return true;
    } else if (other_sep && !dot_sep && digits >= 9 && digits <= 15 && groups >= 2 &&
               max_group <= 8) {
      if (all.size() >= 2 && all.substr(0, 2) == "00") return true;
      if (all[0] == '0' || nanp(all) || (all.size() == 11 && all[0] == '1') || groups >= 3)
        return true;
    } else if (dot_sep && !other_sep && digits == 10 && groups == 3 && nanp(all)) {
      return true;  // 555.123.4567
    }
    i = j;
  }
  return false;
}

// Full-width '＠' (EF BC A0) and small '﹫' (EF B9 AB) become '@'.
std::string fold_lookalikes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xEF &&
        ((static_cast<unsigned char>(s[i + 1]) == 0xBC &&
          static_cast<unsigned char>(s[i + 2]) == 0xA0) ||
         (static_cast<unsigned char>(s[i + 1]) == 0xB9 &&
          static_cast<unsigned char>(s[i + 2]) == 0xAB))) {
      out.push_back('@');
      i += 2;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

PiiKind scan_one(std::string_view s) {
  if (has_email(s)) return PiiKind::email;
  if (has_phone(s)) return PiiKind::phone;
  return PiiKind::none;
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view s, bool form) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int a = hexval(s[i + 1]), b = hexval(s[i + 2]);
      if (a >= 0 && b >= 0) {
        out.push_back(static_cast<char>(a * 16 + b));
        i += 2;
        continue;
      }
    }
    out.push_back(form && s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

PiiKind find_pii(std::string_view s) {
  // Fast path, same result: without a 0xEF byte there is no look-alike to fold (the fold would
  // copy `s` unchanged), and without '%' or '+' there is nothing to decode.
  if (s.find('\xEF') == std::string_view::npos) {
    // Without '%' or '+' nothing decodes; then an e-mail needs an '@' and every phone pattern
    // of has_phone needs at least 8 digits: one pass settles most values.
    bool decodable = false, at = false;
    std::size_t digits = 0;
    for (char c : s) {
      decodable |= c == '%' || c == '+';
      at |= c == '@';
      digits += is_digit(c);
    }
    if (!decodable && !at && digits < 8) return PiiKind::none;
    if (auto k = scan_one(s); k != PiiKind::none) return k;
    if (!decodable) return PiiKind::none;
  }
  std::string folded = fold_lookalikes(s);
  if (auto k = scan_one(folded); k != PiiKind::none) return k;
  if (folded.find('%') != std::string::npos || folded.find('+') != std::string::npos) {
    std::string once = percent_decode(folded, false);
    std::string twice = fold_lookalikes(percent_decode(once, false));
    once = fold_lookalikes(once);
    std::string form = fold_lookalikes(percent_decode(folded, true));
    for (const std::string* v : {&once, &twice, &form}) {
      auto k = scan_one(*v);
      if (k != PiiKind::none) {
        std::string* mv = const_cast<std::string*>(v);
        secure_clear(*mv);
        return k;
      }
    }
    secure_clear(once);
    secure_clear(twice);
    secure_clear(form);
  }
  secure_clear(folded);
  return PiiKind::none;
}

PiiKind find_pii_in_integer(std::string_view digits) {
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  for (char c : digits)
    if (!is_digit(c)) return PiiKind::none;
  return plain_run_is_phone(digits) ? PiiKind::phone : PiiKind::none;
}

namespace {
/// Decodes `s` into `raw` when it is exactly the digest's hex (either case) or, for SHA-256
/// only, its padded standard base64. Surrounding whitespace never passes: the exact length is
/// checked before the SDK's decoder (which trims) sees the value, and trimming would make it
/// shorter.
bool decode_exact(std::string_view s, std::size_t bytes, std::array<std::uint8_t, 64>& raw) {
  if (bytes == 0 || bytes > raw.size()) return false;
  if (s.size() != bytes * 2 && !(bytes == 32 && s.size() == 44)) return false;
  return hashgate::decode_digest(s, bytes, raw);
}
}  // namespace

bool is_digest(std::string_view s, std::size_t bytes) {
  std::array<std::uint8_t, 64> raw{};
  const bool ok = decode_exact(s, bytes, raw);
  hashgate::secure_zero(raw.data(), raw.size());
  return ok;
}

std::optional<std::string> canonical_digest(std::string_view s, std::size_t bytes) {
  std::array<std::uint8_t, 64> raw{};
  if (!decode_exact(s, bytes, raw)) {
    hashgate::secure_zero(raw.data(), raw.size());
    return std::nullopt;
  }
  std::string out = hashgate::to_hex(std::span<const std::uint8_t>(raw.data(), bytes));
  hashgate::secure_zero(raw.data(), raw.size());
  return out;
}

bool valid_online_id(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  for (char c : s)
    if (!(is_alnum(c) || c == '.' || c == '_' || c == ':' || c == '=' || c == '/' || c == '+' ||
          c == '-'))
      return false;
  return true;
}

}  // namespace hashgate::gw::policy
