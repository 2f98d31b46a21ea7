// Phone detection of the PII guard: the candidate finder (stage 1, no library) and the
// numbering-plan rules (stage 2, libphonenumber). See pii_phone.hpp and docs/pii-guard.md.
#include "gateway/policy/pii_phone.hpp"

#include <openssl/crypto.h>

#include <string>

namespace hashgate::gw::policy {
namespace {

using Cand = PhoneCandidate;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// A separator that may stand between the digit groups of a phone number: its length in bytes
/// and its kind (' ' for every space, '-' for every dash, or '.', '/', '(', ')').
struct Sep {
  std::size_t len = 0;
  char kind = 0;
};

Sep sep_at(std::string_view s, std::size_t k) {
  switch (s[k]) {
    case ' ':
    case '\t':
      return {1, ' '};
    case '-':
    case '.':
    case '/':
    case '(':
    case ')':
      return {1, s[k]};
    default:
      break;
  }
  const auto b = [&](std::size_t i) {
    return k + i < s.size() ? static_cast<unsigned char>(s[k + i]) : 0u;
  };
  if (b(0) == 0xC2 && b(1) == 0xA0) return {2, ' '};  // no-break space
  if (b(0) == 0xE2 && b(1) == 0x80) {
    switch (b(2)) {
      case 0x89:  // thin space
      case 0xAF:  // narrow no-break space
        return {3, ' '};
      case 0x91:  // non-breaking hyphen
      case 0x92:  // figure dash
      case 0x93:  // en dash
        return {3, '-'};
      default:
        break;
    }
  }
  return {};
}

/// A character that glues an adjacent digit run into an identifier: a letter, '_', or any
/// non-ASCII byte that is not one of the separators above.
bool ident_char(char c) { return is_alpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }

/// Where the pieces of one run begin: offsets of the digit groups of the piece last parsed.
struct PieceScan {
  std::size_t next = 0;  ///< where the following piece starts (or the run's end)
  std::array<std::size_t, Cand::k_max_groups> group_at{};
};

void add_group(std::string_view s, std::size_t& k, std::size_t end, char sep, Cand& c,
               PieceScan& ps) {
  const std::size_t g = c.n_groups++;
  std::size_t len = 0;
  if (g < Cand::k_max_groups) {
    ps.group_at[g] = k;
    c.sep[g] = sep;
  }
  for (; k < end && is_digit(s[k]); ++k, ++len, ++c.n_digits)
    if (c.n_digits < Cand::k_max_digits) c.digits[c.n_digits] = s[k];
  if (g < Cand::k_max_groups) c.group_len[g] = static_cast<std::uint8_t>(len < 255 ? len : 255);
}

/// Parses the piece of s[p, end) that starts at p: digit groups joined by short separator
/// stretches. A piece ends before a '+', before " / " (a list of numbers), and at a stretch of
/// more than three characters or with two marks ("--", "./"). Trailing separators are dropped.
void parse_piece(std::string_view s, std::size_t p, std::size_t end, Cand& c, PieceScan& ps) {
  c = Cand{};
  std::size_t k = p;
  while (k < end && !is_digit(s[k]) && s[k] != '+' && sep_at(s, k).kind != '(')
    k += sep_at(s, k).len;
  const std::size_t text_begin = k;
  std::size_t text_end = k;
  if (k < end && s[k] == '+') c.plus = true, ++k;
  char pending = 0;
  while (k < end) {
    if (is_digit(s[k])) {
      add_group(s, k, end, pending, c, ps);
      text_end = k;
      continue;
    }
    if (s[k] == '+') break;  // a second '+' begins the next piece
    const std::size_t stretch = k;
    std::size_t chars = 0, marks = 0;
    char mark = ' ';
    for (Sep sp; k < end && (sp = sep_at(s, k)).len > 0; k += sp.len, ++chars) {
      if (sp.kind == ')' && chars == 0 && c.n_groups > 0) text_end = k + 1;
      if (sp.kind != ' ' && sp.kind != '(' && sp.kind != ')') ++marks, mark = sp.kind;
    }
    if (k >= end || !is_digit(s[k])) break;
    const bool list_break = mark == '/' && chars == 3 && s[stretch] == ' ';
    if (chars > 3 || marks > 1 || list_break) break;
    pending = mark;
  }
  ps.next = k;
  c.text = s.substr(text_begin, text_end - text_begin);
}

/// The value of `len` digits of `c` starting at digit offset `at`, saturated at 10^9: callers
/// compare it with years, months, days and octets, so a longer run only has to stay out of
/// their ranges (and must not overflow an int; found by fuzz_pii under UBSan).
int number_at(const Cand& c, std::size_t at, std::size_t len) {
  constexpr int k_saturated = 1'000'000'000;
  int v = 0;
  for (std::size_t i = at; i < at + len && i < Cand::k_max_digits; ++i) {
    if (v >= k_saturated / 10) return k_saturated;
    v = v * 10 + (c.digits[i] - '0');
  }
  return v;
}

bool is_year(const Cand& c, std::size_t at) {
  const int y = number_at(c, at, 4);
  return y >= 1900 && y <= 2099;
}

/// The first three groups are a date: Y-M-D, D-M-Y or M-D-Y with one of '-', '/', '.'.
bool date_prefix(const Cand& c) {
  if (c.n_groups < 3 || c.sep[1] != c.sep[2]) return false;
  if (c.sep[1] != '-' && c.sep[1] != '/' && c.sep[1] != '.') return false;
  const std::size_t a = c.group_len[0], b = c.group_len[1], d = c.group_len[2];
  const int x = number_at(c, 0, a), y = number_at(c, a, b), z = number_at(c, a + b, d);
  auto day_month = [](int day, int month) {
    return day >= 1 && day <= 31 && month >= 1 && month <= 12;
  };
  if (a == 4 && b <= 2 && d <= 2) return is_year(c, 0) && day_month(z, y);
  if (a <= 2 && b <= 2 && d == 4) return is_year(c, a + b) && (day_month(x, y) || day_month(y, x));
  return false;
}

bool all_seps(const Cand& c, char kind) {
  for (std::size_t g = 1; g < c.n_groups && g < Cand::k_max_groups; ++g)
    if (c.sep[g] != kind) return false;
  return c.n_groups > 1;
}

bool ipv4(const Cand& c) {
  if (c.n_groups != 4 || !all_seps(c, '.')) return false;
  std::size_t at = 0;
  for (std::size_t g = 0; g < 4; ++g) {
    if (c.group_len[g] > 3 || number_at(c, at, c.group_len[g]) > 255) return false;
    at += c.group_len[g];
  }
  return true;
}

bool isbn10_grouped(const Cand& c) {
  if (c.n_digits != 10 || c.n_groups != 4 || c.group_len[3] != 1) return false;
  if (!all_seps(c, '-') && !all_seps(c, ' ')) return false;
  int sum = 0;
  for (std::size_t i = 0; i < 10; ++i) sum += static_cast<int>(10 - i) * (c.digits[i] - '0');
  return sum % 11 == 0;
}

/// Shapes that are never phone numbers here: IPv4 addresses, year-plus-sequence numbers
/// (2025-000123, 2025/00042, and bare with a zero-padded sequence: 2025000123), ISBN-13 (978/979
/// with its check digit) and grouped ISBN-10.
bool not_a_phone(const Cand& c) {
  if (ipv4(c)) return true;
  const std::string_view d = c.digit_view();
  if (!c.plus && c.n_groups >= 2 && c.group_len[0] == 4 && is_year(c, 0) &&
      (c.sep[1] == '-' || c.sep[1] == '/' || c.sep[1] == '.'))
    return true;
  if (c.plain() && is_year(c, 0) && d.substr(4, 2) == "00") return true;
  // A compact date with a sequence after it: 20251129-0042.
  if (!c.plus && c.n_groups >= 2 && c.group_len[0] == 8 && is_year(c, 0) &&
      number_at(c, 4, 2) >= 1 && number_at(c, 4, 2) <= 12 && number_at(c, 6, 2) >= 1 &&
      number_at(c, 6, 2) <= 31)
    return true;
  // An amount: 1234567.89 (no phone plan ends in a group of two after a dot, alone).
  if (c.n_groups == 2 && c.sep[1] == '.' && c.group_len[1] <= 2) return true;
  if (c.n_digits == 13 && (d.starts_with("978") || d.starts_with("979")) && gs1_check_digit_ok(d))
    return true;
  return isbn10_grouped(c);
}

/// A bare 8/12/13/14-digit run whose last digit is its GS1 check digit: possibly a barcode.
bool barcode_like(const Cand& c) {
  const std::size_t n = c.n_digits;
  return c.plain() && (n == 8 || n == 12 || n == 13 || n == 14) &&
         gs1_check_digit_ok(c.digit_view());
}

/// NANP written out: (NXX) XXX-XXXX, NXX.XXX.XXXX, 1-NXX-XXX-XXXX. The exchange digit is not
/// checked, so the made-up numbers testers use (555-123-4567) count too.
bool nanp_grouped(const Cand& c) {
  const auto& l = c.group_len;
  const std::string_view d = c.digit_view();
  if (c.n_digits == 10 && c.n_groups == 3 && l[0] == 3 && l[1] == 3 && l[2] == 4)
    return d[0] >= '2';
  if (c.n_digits == 11 && c.n_groups == 4 && l[0] == 1 && l[1] == 3 && l[2] == 3 && l[3] == 4)
    return d[0] == '1' && d[1] >= '2';
  return false;
}

/// The test a national candidate gets in one region's plan.
enum class Check {
  none,
  possible,     ///< read in the region: a possible number (trunk-prefix regions)
  mobile,       ///< read in the region: an assigned mobile number
  e164_valid,   ///< read as '+' and its digits: an assigned number of the region
  e164_mobile,  ///< read as '+' and its digits: an assigned mobile number of the region
  matcher,      ///< PhoneNumberMatcher, leniency VALID
};

Check check_for(const Cand& c, const phonelib::RegionPlan& p) {
  if (!p.supported) return Check::none;
  const std::string_view d = c.digit_view();
  const std::size_t n = c.n_digits;
  const std::string_view ndd = p.ndd;
  // A bare run whose last digit is a right GS1 check digit may be a barcode (UPC-A 036000291452
  // is also a German landline): then only a mobile number counts.
  const bool barcode = barcode_like(c);
  // Trunk-prefix regions: "0…" is a national number when its length fits the plan (so the
  // reserved fiction ranges, 07700 900xxx, count too).
  if (!ndd.empty() && !p.nanp && d.starts_with(ndd) && n > ndd.size() && d[ndd.size()] != '0')
    return barcode ? Check::mobile : Check::possible;
  if (p.nanp && ((n == 10 && d[0] >= '2') || (n == 11 && d[0] == '1' && d[1] >= '2')))
    return Check::matcher;
  // E.164 without its '+' (Meta's phone form, wa.me links): only as an assigned number.
  if (!p.nanp && d.starts_with(p.calling) && n >= p.calling.size() + 8 && n <= 15)
    return barcode ? Check::e164_mobile : Check::e164_valid;
  // Regions without a trunk prefix (ES, IT, …): written-out numbers only; a bare run of their
  // length is as likely a product or order id (docs/pii-guard.md, tolerances).
  if (ndd.empty() && !c.plain()) return Check::matcher;
  return Check::none;
}

/// Runs `check` for candidate text `t` (its digits `d`) in plan `p`.
bool run_check(Check check, const std::string& t, std::string_view d,
               const phonelib::RegionPlan& p) {
  using phonelib::Test;
  switch (check) {
    case Check::possible:
      return phonelib::parses_as(t, &p, Test::possible);
    case Check::mobile:
      return phonelib::parses_as(t, &p, Test::mobile);
    case Check::e164_valid:
    case Check::e164_mobile: {
      std::string e = "+";
      e.append(d);
      const bool ok =
          phonelib::parses_as(e, &p, check == Check::e164_mobile ? Test::mobile : Test::valid);
      OPENSSL_cleanse(e.data(), e.capacity());
      return ok;
    }
    case Check::matcher:
      return phonelib::matcher_finds(t, p);
    case Check::none:
      break;
  }
  return false;
}

void wipe(std::string& s) {
  if (s.capacity()) OPENSSL_cleanse(s.data(), s.capacity());
  s.clear();
}

}  // namespace

bool gs1_check_digit_ok(std::string_view d) {
  if (d.size() < 8) return false;
  int sum = 0;
  for (std::size_t i = 0; i + 1 < d.size(); ++i) {
    const std::size_t from_right = d.size() - 1 - i;  // 1 for the digit next to the check
    sum += (d[i] - '0') * (from_right % 2 == 1 ? 3 : 1);
  }
  return (10 - sum % 10) % 10 == d.back() - '0';
}

bool PhoneCandidates::next_run() {
  const std::string_view s = m_s;
  while (m_pos < s.size()) {
    std::size_t b = m_pos, e = b;
    bool digits = false;
    for (;;) {
      if (e < s.size() && (is_digit(s[e]) || s[e] == '+')) {
        digits |= is_digit(s[e]);
        ++e;
      } else if (e < s.size() && sep_at(s, e).len) {
        e += sep_at(s, e).len;
      } else {
        break;
      }
    }
    m_pos = e == b ? b + 1 : e;
    if (!digits) continue;
    // A run glued to an identifier on one side loses the token on that side (up to the first
    // space): "fb.1.1764374400123.1234567890", "INV-2025-00042", "GA1.2.…" lose everything.
    const bool soft_begin = s[b] == '+' || sep_at(s, b).kind == ' ' || s[b] == '/' || s[b] == '(';
    const char last = s[e - 1];
    const bool soft_end = !(is_digit(last) || last == '.' || last == '-');
    m_piece = b;
    m_run_end = e;
    if (b > 0 && ident_char(s[b - 1]) && !soft_begin) {
      while (m_piece < e && sep_at(s, m_piece).kind != ' ') ++m_piece;
    }
    if (e < s.size() && ident_char(s[e]) && !soft_end) {
      while (m_run_end > m_piece && sep_at(s, m_run_end - 1).kind != ' ' &&
             static_cast<unsigned char>(s[m_run_end - 1]) < 0x80)
        --m_run_end;
    }
    // An hour or minute glued to ':' belongs to a time, not to the digits next to it:
    // "06 12345678 18:00" keeps "06 12345678".
    if (e < s.size() && s[e] == ':' && m_run_end == e) {
      std::size_t k = 0;
      while (k < 3 && k < e - b && is_digit(s[e - 1 - k])) ++k;
      if (k <= 2) m_run_end -= k;
    }
    if (b > 0 && s[b - 1] == ':' && m_piece == b) {
      std::size_t k = 0;
      while (k < 3 && b + k < e && is_digit(s[b + k])) ++k;
      if (k <= 2) m_piece += k;
    }
    if (m_piece < m_run_end) return true;
  }
  return false;
}

bool PhoneCandidates::next(PhoneCandidate& c) {
  for (;;) {
    if (m_piece >= m_run_end && !next_run()) return false;
    PieceScan ps;
    parse_piece(m_s, m_piece, m_run_end, c, ps);
    m_piece = ps.next > m_piece ? ps.next : m_piece + 1;
    if (c.n_groups == 0) continue;
    // A date leaves the rest of its piece (a time, a number after it) to be scanned alone.
    if (date_prefix(c)) {
      if (c.n_groups > 3) m_piece = ps.group_at[3];
      continue;
    }
    if (c.n_digits < k_min_digits) continue;
    if (c.long_text()) {
      // Dotted ids (_gcl_au=1.1.1234567890.1764374400) and bare runs hold no phone; other
      // long pieces are searched word by word (PhoneRules::find).
      if (all_seps(c, '.') || c.n_groups == 1) continue;
      return true;
    }
    if (not_a_phone(c)) continue;
    return true;
  }
}

PhoneRules::PhoneRules(std::span<const Region> regions) {
  phonelib::warm_up();
  for (Region r : regions) {
    m_plans.push_back(phonelib::plan_for(r));
    m_nanp |= m_plans.back().nanp;
  }
}

bool PhoneRules::find(std::string_view s, PhoneBudget& budget) const {
  PhoneCandidates cands(s);
  PhoneCandidate c;
  while (cands.next(c)) {
    if (!c.long_text() && is_phone(c, budget)) return true;
    // More digits than one number holds: "06 12345678 020 1234567", "2025-000123 06 12345678".
    if (c.long_text() && in_words(c, budget)) return true;
  }
  return false;
}

bool PhoneRules::is_phone(const PhoneCandidate& c, PhoneBudget& budget) const {
  if (c.long_text()) return false;
  const std::string_view d = c.digit_view();
  if (c.plus) return international(c, 0, budget);
  if (d.starts_with("00") && d[2] != '0') return international(c, 2, budget);
  // 011 is the NANP's international prefix, and the start of national numbers elsewhere
  // (0113 Leeds, 011 Turin): both readings are tried.
  if (m_nanp && d.starts_with("011") && international(c, 3, budget)) return true;
  return national(c, budget);
}

bool PhoneRules::international(const PhoneCandidate& c, std::size_t prefix,
                               PhoneBudget& budget) const {
  // "001" + 10 digits with a right check digit is a UPC-A code in GTIN-13 form (0 + UPC).
  const bool barcode = barcode_like(c);
  if (barcode && c.n_digits == 13 && c.digits[2] == '1') return false;
  // The number with '+' for its international prefix. libphonenumber reads it in its own
  // country's plan, and drops a "(0)" trunk marker after the calling code itself.
  std::string_view rest = c.text;
  if (c.plus) rest.remove_prefix(1);
  for (std::size_t skipped = 0; skipped < prefix && !rest.empty(); rest.remove_prefix(1))
    skipped += is_digit(rest.front());
  std::string t = "+";
  t.append(rest);
  // A bare run that could be a barcode must be an assigned number; anything else, possible.
  const bool found =
      !budget.spend() ||
      phonelib::parses_as(t, nullptr, barcode ? phonelib::Test::valid : phonelib::Test::possible);
  wipe(t);
  return found;
}

bool PhoneRules::national(const PhoneCandidate& c, PhoneBudget& budget) const {
  if (m_nanp && nanp_grouped(c)) return true;
  std::string t;  // the library's copy, made only when a plan needs it
  bool found = false;
  for (const auto& p : m_plans) {
    const Check check = check_for(c, p);
    if (check == Check::none) continue;
    if (t.empty()) t.assign(c.text);
    if (!budget.spend()) {
      found = true;
      break;
    }
    found = run_check(check, t, c.digit_view(), p);
    if (found) break;
  }
  wipe(t);
  return found;
}

bool PhoneRules::in_words(const PhoneCandidate& c, PhoneBudget& budget) const {
  // The words of the piece: stretches between space-like separators that hold a digit.
  constexpr std::size_t k_max_words = 10;
  std::array<std::string_view, k_max_words> words;
  std::size_t n = 0;
  const std::string_view t = c.text;
  for (std::size_t k = 0; k < t.size() && n < k_max_words;) {
    std::size_t e = k;
    bool digit = false;
    while (e < t.size() && sep_at(t, e).kind != ' ') digit |= is_digit(t[e++]);
    if (digit) words[n++] = t.substr(k, e - k);
    k = e < t.size() ? e + sep_at(t, e).len : e;
  }
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = n; j > i; --j) {
      const char* b = words[i].data();
      const std::string_view window(
          b, static_cast<std::size_t>(words[j - 1].data() + words[j - 1].size() - b));
      PhoneCandidate w;
      PieceScan ps;
      parse_piece(window, 0, window.size(), w, ps);
      if (w.n_digits < PhoneCandidates::k_min_digits || w.long_text()) continue;
      if (date_prefix(w) || not_a_phone(w)) continue;
      if (is_phone(w, budget)) return true;
    }
  return false;
}

}  // namespace hashgate::gw::policy
