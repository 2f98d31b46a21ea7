// Retry decisions for the delivery worker.
#include "gateway/deliver/retry.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <ctime>

namespace hashgate::gw::deliver {

namespace {

constexpr std::array<std::string_view, 12> k_months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Reads exactly `n` digits from the front of `s`.
bool digits(std::string_view& s, std::size_t n, int& out) {
  if (s.size() < n) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  s.remove_prefix(n);
  return true;
}

bool literal(std::string_view& s, std::string_view lit) {
  if (s.substr(0, lit.size()) != lit) return false;
  s.remove_prefix(lit.size());
  return true;
}

bool month(std::string_view& s, int& out) {
  for (std::size_t i = 0; i < k_months.size(); ++i) {
    if (s.substr(0, 3) == k_months[i]) {
      out = static_cast<int>(i);
      s.remove_prefix(3);
      return true;
    }
  }
  return false;
}

/// "HH:MM:SS"
bool clock(std::string_view& s, std::tm& tm) {
  return digits(s, 2, tm.tm_hour) && literal(s, ":") && digits(s, 2, tm.tm_min) &&
         literal(s, ":") && digits(s, 2, tm.tm_sec) && tm.tm_hour < 24 && tm.tm_min < 60 &&
         tm.tm_sec < 61;
}

/// Skips a day name up to and including `sep` (", " for IMF/RFC 850, " " for asctime).
bool day_name(std::string_view& s, std::string_view sep) {
  const auto p = s.find(sep);
  if (p == std::string_view::npos || p < 3 || p > 9) return false;
  s.remove_prefix(p + sep.size());
  return true;
}

/// Parses the three HTTP-date forms into `tm` (UTC).
bool http_date(std::string_view s, std::tm& tm) {
  tm = std::tm{};
  std::string_view a = s;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (day_name(a, ", ") && digits(a, 2, tm.tm_mday) && literal(a, " ") && month(a, tm.tm_mon) &&
      literal(a, " ") && digits(a, 4, tm.tm_year) && literal(a, " ") && clock(a, tm) &&
      a == " GMT") {
    tm.tm_year -= 1900;
    return true;
  }
  tm = std::tm{};
  a = s;
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years: 70-99 → 19xx, else 20xx)
  if (day_name(a, ", ") && digits(a, 2, tm.tm_mday) && literal(a, "-") && month(a, tm.tm_mon) &&
      literal(a, "-") && digits(a, 2, tm.tm_year) && literal(a, " ") && clock(a, tm) &&
      a == " GMT") {
    if (tm.tm_year < 70) tm.tm_year += 100;
    return true;
  }
  tm = std::tm{};
  a = s;
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (day_name(a, " ") && month(a, tm.tm_mon) && literal(a, " ")) {
    if (!a.empty() && a.front() == ' ') a.remove_prefix(1);
    const std::size_t n = a.size() > 1 && a[1] >= '0' && a[1] <= '9' ? 2 : 1;
    if (digits(a, n, tm.tm_mday) && literal(a, " ") && clock(a, tm) && literal(a, " ") &&
        digits(a, 4, tm.tm_year) && a.empty()) {
      tm.tm_year -= 1900;
      return true;
    }
  }
  return false;
}

}  // namespace

Verdict classify(int status) {
  if (status >= 200 && status <= 299) return Verdict::delivered;
  if (status == 408 || status == 429 || (status >= 500 && status <= 599)) return Verdict::retry;
  return Verdict::permanent;
}

std::optional<std::int64_t> parse_retry_after(std::string_view value, std::int64_t now_unix) {
  value = trim(value);
  if (value.empty() || value.size() > 64) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    std::int64_t seconds = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range) return std::int64_t{1} << 40;  // absurdly long
    if (ec != std::errc{} || p != value.data() + value.size()) return std::nullopt;
    return seconds;
  }
  std::tm tm{};
  if (!http_date(value, tm) || tm.tm_mday < 1 || tm.tm_mday > 31) return std::nullopt;
  const std::int64_t at = timegm(&tm);
  return std::max<std::int64_t>(0, at - now_unix);
}

std::int64_t next_delay_ms(const RetryPolicy& policy, int attempts,
                           const std::function<double()>& uniform01,
                           std::optional<std::int64_t> retry_after_ms) {
  const int shift = std::clamp(attempts - 1, 0, 40);
  const double full = std::min(static_cast<double>(policy.cap_ms),
                               static_cast<double>(policy.base_ms) * std::ldexp(1.0, shift));
  const double r = uniform01 ? std::clamp(uniform01(), 0.0, 1.0) : 0.5;
  auto delay = static_cast<std::int64_t>(full / 2 + r * full / 2);
  if (retry_after_ms) delay = std::max(delay, std::min(*retry_after_ms, policy.max_retry_after_ms));
  return std::max<std::int64_t>(delay, 0);
}

}  // namespace hashgate::gw::deliver
