// PII guard. E-mail: local@domain.tld around every '@' (and its full-width look-alikes).
// Phone: PhoneRules (pii_phone.cpp). Both run on the value and on its decoded variants.
// See docs/pii-guard.md.
#include "gateway/policy/pii_guard.hpp"

#include "hashgate/hashgate.hpp"

#include <array>
#include <cctype>
#include <stdexcept>

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

/// One value's scan: e-mail, then phone (unless the value's path allows identifiers).
struct PiiScanOne {
  const PhoneRules& phones;
  PiiBudget& budget;
  bool with_phones;
  PiiKind operator()(std::string_view s) const {
    if (has_email(s)) return PiiKind::email;
    if (with_phones && phones.find(s, budget)) return PiiKind::phone;
    return PiiKind::none;
  }
};

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

namespace {

/// Scans the look-alike-folded value and its percent-decoded (once, twice) and form-decoded
/// variants; every copy is zeroed before it is freed.
PiiKind scan_decoded(std::string_view s, const PiiScanOne& scan_one) {
  std::string folded = fold_lookalikes(s);
  PiiKind k = scan_one(folded);
  if (k == PiiKind::none &&
      (folded.find('%') != std::string::npos || folded.find('+') != std::string::npos)) {
    std::string once = percent_decode(folded, false);
    std::string twice = fold_lookalikes(percent_decode(once, false));
    once = fold_lookalikes(once);
    std::string form = fold_lookalikes(percent_decode(folded, true));
    for (const std::string* v : {&once, &twice, &form})
      if (k == PiiKind::none) k = scan_one(*v);
    secure_clear(once);
    secure_clear(twice);
    secure_clear(form);
  }
  secure_clear(folded);
  return k;
}

std::vector<std::string> split_path(const std::string& path) {
  if (path.rfind("/custom/", 0) != 0)
    throw std::invalid_argument("pii.allow_paths: a path must start with /custom/");
  std::vector<std::string> steps;
  for (std::size_t at = 1; at <= path.size();) {
    const std::size_t slash = std::min(path.find('/', at), path.size());
    steps.push_back(path.substr(at, slash - at));
    if (steps.back().empty()) throw std::invalid_argument("pii.allow_paths: empty step");
    at = slash + 1;
  }
  return steps;
}

bool step_matches(const std::string& pattern, const PathStep& step) {
  if (pattern == "*") return true;
  if (step.is_key) return pattern == step.key;
  std::size_t v = 0;
  for (char c : pattern) {
    if (!is_digit(c)) return false;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  return v == step.index;
}

}  // namespace

std::span<const Region> default_phone_regions() {
  static const std::array<Region, 8> k_regions = [] {
    std::array<Region, 8> r{};
    const char* codes[] = {"NL", "BE", "DE", "FR", "GB", "ES", "IT", "US"};
    for (std::size_t i = 0; i < r.size(); ++i) r[i] = *hashgate::region_by_code(codes[i]);
    return r;
  }();
  return k_regions;
}

PiiGuard::PiiGuard(std::span<const Region> phone_regions, std::span<const std::string> allow_paths)
    : m_phones(phone_regions) {
  for (const auto& p : allow_paths) m_allow.push_back(split_path(p));
}

PiiKind PiiGuard::find(std::string_view s, PiiBudget& budget, bool phones) const {
  const PiiScanOne scan_one{m_phones, budget, phones};
  // Fast path, same result: without a 0xEF byte there is no look-alike to fold (the fold would
  // copy `s` unchanged), and without '%' or '+' there is nothing to decode.
  if (s.find('\xEF') == std::string_view::npos) {
    // Without '%' or '+' nothing decodes; then an e-mail needs an '@' and a phone candidate
    // needs PhoneCandidates::k_min_digits digits: one pass settles most values.
    bool decodable = false, at = false;
    std::size_t digits = 0;
    for (char c : s) {
      decodable |= c == '%' || c == '+';
      at |= c == '@';
      digits += is_digit(c);
    }
    if (!decodable && !at && (digits < PhoneCandidates::k_min_digits || !phones))
      return PiiKind::none;
    if (auto k = scan_one(s); k != PiiKind::none || !decodable) return k;
  }
  return scan_decoded(s, scan_one);
}

PiiKind PiiGuard::find_in_integer(std::string_view digits, PiiBudget& budget) const {
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  for (char c : digits)
    if (!is_digit(c)) return PiiKind::none;
  return m_phones.find(digits, budget) ? PiiKind::phone : PiiKind::none;
}

bool PiiGuard::allowed(std::span<const PathStep> steps) const {
  for (const auto& pattern : m_allow) {
    if (pattern.size() != steps.size()) continue;
    bool all = true;
    for (std::size_t i = 0; i < steps.size() && all; ++i) all = step_matches(pattern[i], steps[i]);
    if (all) return true;
  }
  return false;
}

const PiiGuard& default_pii_guard() {
  static const PiiGuard guard(default_phone_regions(), {});
  return guard;
}

PiiKind find_pii(std::string_view s) {
  PiiBudget budget;
  return default_pii_guard().find(s, budget);
}

PiiKind find_pii_in_integer(std::string_view digits) {
  PiiBudget budget;
  return default_pii_guard().find_in_integer(digits, budget);
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
