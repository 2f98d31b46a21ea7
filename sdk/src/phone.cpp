// Phone normalization to E.164 (see docs/normalization.md for the rules and their sources).
#include "internal.hpp"

namespace hashgate {
namespace detail {
namespace {

constexpr std::size_t k_max_digits = 15;  // ITU-T E.164: at most 15 digits in all
constexpr std::size_t k_min_digits = 7;   // shortest plausible country code + subscriber number
constexpr std::size_t k_min_national = 4;
constexpr std::size_t k_max_collected = 24;
constexpr std::size_t k_buf = 40;
static_assert(k_max_collected + 3 <= k_buf);

bool is_separator(std::string_view v, std::size_t& i) noexcept {
  const char c = v[i];
  if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '\t') {
    ++i;
    return true;
  }
  if (c == '\xC2' && i + 1 < v.size() && v[i + 1] == '\xA0') {  // U+00A0 no-break space
    i += 2;
    return true;
  }
  return false;
}

bool starts_with(const char* d, std::size_t n, std::string_view prefix) noexcept {
  if (prefix.empty() || n < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (d[i] != prefix[i]) return false;
  return true;
}

std::size_t format_code(unsigned code, char* buf) noexcept {
  char tmp[4];
  std::size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + code % 10);
    code /= 10;
  } while (code != 0);
  for (std::size_t i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  return n;
}

/// The digits of a phone number, as they are read and rewritten to E.164 (buffers of k_buf).
struct PhoneDigits {
  char* d;              ///< the digits as written
  std::size_t nd = 0;   ///< how many
  bool plus = false;    ///< written with a leading '+'
  char* e;              ///< the full international digit string
  std::size_t ne = 0;   ///< how many
  bool intl = false;    ///< written in international form ('+' or "00")
  std::size_t ccn = 0;  ///< digits of the country calling code at the start of e
  unsigned code = 0;    ///< the country calling code
};

// 1. Collect digits; '+' only in front; "(0)" after an international prefix is a trunk marker.
Errc collect_digits(std::string_view v, PhoneDigits& n) {
  char* d = n.d;
  for (std::size_t i = 0; i < v.size();) {
    const char c = v[i];
    if (is_digit(c)) {
      // E.164's 15 digits plus an international or trunk prefix never need more than 20;
      // the cap also keeps e (digits + a 3-digit calling code) inside its buffer.
      if (n.nd >= k_max_collected) return Errc::invalid_phone;
      d[n.nd++] = c;
      ++i;
    } else if (c == '+') {
      if (n.plus || n.nd != 0) return Errc::invalid_phone;
      n.plus = true;
      ++i;
    } else if (c == '(' && v.substr(i, 3) == "(0)" && n.nd > 0 &&
               (n.plus || (n.nd > 2 && d[0] == '0' && d[1] == '0'))) {
      i += 3;
    } else if (!is_separator(v, i)) {
      return Errc::invalid_phone;  // letters (extensions, vanity numbers) or other symbols
    }
  }
  if (n.nd == 0) return Errc::invalid_phone;
  n.intl = n.plus || (n.nd > 2 && d[0] == '0' && d[1] == '0');
  return Errc::ok;
}

// 2b. A national number in `home`'s region: its trunk prefix becomes the calling code.
void national_to_international(PhoneDigits& n, const CallingCode& home) {
  char ccbuf[4];
  const std::size_t ccn = format_code(home.code, ccbuf);
  const std::string_view cc(ccbuf, ccn);
  const std::string_view trunk(home.trunk);
  const std::string_view alt(home.trunk_alt);
  std::size_t skip = 0;
  bool has_cc = false;
  if (starts_with(n.d, n.nd, trunk)) {
    skip = trunk.size();
  } else if (starts_with(n.d, n.nd, alt)) {
    skip = alt.size();
  } else if (starts_with(n.d, n.nd, cc)) {
    // Already carries the calling code: regions with a trunk prefix never start a national
    // number with it; regions without one only when the string is long (>= 11 digits).
    has_cc = !trunk.empty() || n.nd >= 11;
  }
  if (!has_cc)
    for (std::size_t i = 0; i < ccn; ++i) n.e[n.ne++] = ccbuf[i];
  for (std::size_t i = skip; i < n.nd; ++i) n.e[n.ne++] = n.d[i];
}

// 2. Build the full international digit string in e.
Errc to_international(PhoneDigits& n, const CallingCode* home) {
  if (n.intl) {
    for (std::size_t i = n.plus ? 0 : 2; i < n.nd; ++i) n.e[n.ne++] = n.d[i];
  } else if (home != nullptr) {
    national_to_international(n, *home);
  } else {
    if (n.d[0] == '0') return Errc::phone_needs_region;  // a national number with a trunk prefix
    for (std::size_t i = 0; i < n.nd; ++i) n.e[n.ne++] = n.d[i];
  }
  return Errc::ok;
}

// 3. Country calling code (prefix-free, 1 to 3 digits).
Errc find_calling_code(PhoneDigits& n) {
  char* e = n.e;
  for (std::size_t len = 1; len <= 3 && len < n.ne; ++len) {
    n.code = n.code * 10 + static_cast<unsigned>(e[len - 1] - '0');
    if (e[0] != '0' && is_calling_code(n.code)) {
      n.ccn = len;
      break;
    }
  }
  if (n.ccn == 0) return Errc::invalid_phone;
  // A trunk '0' written after the calling code ("+31 06...", "+44 020...") is dropped, except
  // where the leading 0 belongs to the number (Italy, San Marino, Vatican: no trunk prefix).
  if (n.intl && n.ne > n.ccn && e[n.ccn] == '0') {
    const CallingCode* owner = entry_for_code(n.code);
    if (owner != nullptr && std::string_view(owner->trunk) == "0") {
      for (std::size_t i = n.ccn; i + 1 < n.ne; ++i) e[i] = e[i + 1];
      --n.ne;
    }
  }
  return Errc::ok;
}

// 4. Length rules, and 5. the profile's form of the number.
Errc format_phone(const PhoneDigits& n, const Profile& p, std::string& out) {
  const std::size_t national = n.ne - n.ccn;
  if (n.ne > k_max_digits || n.ne < k_min_digits || national < k_min_national)
    return Errc::invalid_phone;
  if ((n.code == 1 || n.code == 7) && national != 10) return Errc::invalid_phone;  // NANP, RU/KZ
  if (p.id == ProfileId::uid2 && n.ne < 10) return Errc::invalid_phone;  // UID2: 10-15 digits
  out.clear();
  switch (p.id) {
    case ProfileId::meta:
      out.append(n.e, n.ne);
      break;
    case ProfileId::google:
    case ProfileId::uid2:
      out.push_back('+');
      out.append(n.e, n.ne);
      break;
    case ProfileId::liveramp:
      if (n.code != 1) return Errc::invalid_phone;  // LiveRamp phone: US 10-digit numbers
      out.append(n.e + 1, n.ne - 1);
      break;
  }
  return Errc::ok;
}

Errc normalize_phone_impl(std::string_view v, const Profile& p, Region region, std::string& out,
                          char* d, char* e) {
  if (p.id == ProfileId::liveramp && region.empty()) region.code = {'U', 'S'};
  const CallingCode* home = nullptr;
  if (!region.empty()) {
    home = calling_code_of(region);
    if (home == nullptr) return Errc::invalid_region;
  }
  PhoneDigits n{d, 0, false, e};
  if (const Errc r = collect_digits(v, n); r != Errc::ok) return r;
  if (const Errc r = to_international(n, home); r != Errc::ok) return r;
  if (const Errc r = find_calling_code(n); r != Errc::ok) return r;
  return format_phone(n, p, out);
}

}  // namespace

Errc normalize_phone_into(std::string_view v, const Profile& p, Region region, std::string& out) {
  char d[k_buf];
  char e[k_buf];
  const Errc r = normalize_phone_impl(v, p, region, out, d, e);
  secure_zero(d, sizeof d);
  secure_zero(e, sizeof e);
  return r;
}

}  // namespace detail

Result<std::string> normalize_phone(std::string_view value, const Profile& p, Region region) {
  std::string_view v;
  if (const Errc e = detail::precheck(value, v); e != Errc::ok) return e;
  std::string out;
  if (const Errc e = detail::normalize_phone_into(v, p, region, out); e != Errc::ok) {
    secure_clear(out);
    return e;
  }
  return out;
}

}  // namespace hashgate
