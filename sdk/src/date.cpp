// Date of birth (db → YYYYMMDD) and gender (ge → m/f).
#include <ctime>

#include "internal.hpp"

namespace hashgate::detail {
namespace {

bool leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// The current UTC year (a date of birth cannot lie after it).
int current_year() noexcept {
  const std::time_t now = std::time(nullptr);
  // Days since 1970-01-01 → civil year (Howard Hinnant's days_from_civil inverse).
  long long z = static_cast<long long>(now) / 86400 + 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const long long doe = z - era * 146097;
  const long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const long long mp = (5 * doy + 2) / 153;
  const long long month = mp < 10 ? mp + 3 : mp - 9;
  return static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

bool valid_date(int y, int m, int d) noexcept {
  static constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  // Meta: years from 1900 to the current year.
  if (y < 1900 || y > current_year() || m < 1 || m > 12 || d < 1) return false;
  return d <= k_days[m - 1] + (m == 2 && leap(y) ? 1 : 0);
}

}  // namespace

Errc normalize_date_into(std::string_view v, std::string& out) {
  out.clear();
  // Split into up to three digit groups and remember the separator.
  int parts[3] = {0, 0, 0};
  std::size_t widths[3] = {0, 0, 0};
  std::size_t n = 0;
  char sep = 0;
  for (std::size_t i = 0; i < v.size();) {
    if (is_digit(v[i])) {
      if (n == 3) return Errc::invalid_date;
      while (i < v.size() && is_digit(v[i])) {
        if (widths[n] >= 8) return Errc::invalid_date;
        parts[n] = parts[n] * 10 + (v[i] - '0');
        ++widths[n];
        ++i;
      }
      ++n;
    } else if (v[i] == '-' || v[i] == '/' || v[i] == '.' || v[i] == ' ') {
      if (n == 0 || (sep != 0 && sep != v[i])) return Errc::invalid_date;
      sep = v[i];
      ++i;
      if (i < v.size() && !is_digit(v[i])) return Errc::invalid_date;
    } else {
      return Errc::invalid_date;
    }
  }
  int y = 0, m = 0, d = 0;
  if (n == 1 && widths[0] == 8) {  // YYYYMMDD
    y = parts[0] / 10000;
    m = parts[0] / 100 % 100;
    d = parts[0] % 100;
  } else if (n == 3 && widths[0] == 4 && widths[1] <= 2 && widths[2] <= 2) {  // YYYY-MM-DD
    y = parts[0];
    m = parts[1];
    d = parts[2];
  } else if (n == 3 && widths[2] == 4 && widths[0] <= 2 && widths[1] <= 2) {
    y = parts[2];
    if (sep == '/') {
      // US order MM/DD/YYYY (Meta's example 2/16/1997), unless only DD/MM/YYYY is possible.
      m = parts[0];
      d = parts[1];
      if (m > 12 && d <= 12) {
        m = parts[1];
        d = parts[0];
      }
    } else {
      // DD.MM.YYYY and DD-MM-YYYY (European order).
      d = parts[0];
      m = parts[1];
    }
  } else {
    return Errc::invalid_date;
  }
  if (!valid_date(y, m, d)) return Errc::invalid_date;
  char buf[8];
  buf[0] = static_cast<char>('0' + y / 1000);
  buf[1] = static_cast<char>('0' + y / 100 % 10);
  buf[2] = static_cast<char>('0' + y / 10 % 10);
  buf[3] = static_cast<char>('0' + y % 10);
  buf[4] = static_cast<char>('0' + m / 10);
  buf[5] = static_cast<char>('0' + m % 10);
  buf[6] = static_cast<char>('0' + d / 10);
  buf[7] = static_cast<char>('0' + d % 10);
  out.assign(buf, 8);
  secure_zero(buf, sizeof buf);
  return Errc::ok;
}

Errc normalize_gender_into(std::string_view v, std::string& out) {
  out.clear();
  char w[8];
  if (v.size() >= sizeof w) return Errc::invalid_gender;
  for (std::size_t i = 0; i < v.size(); ++i) w[i] = to_lower(v[i]);
  const std::string_view s(w, v.size());
  if (s == "m" || s == "male")
    out.push_back('m');
  else if (s == "f" || s == "female")
    out.push_back('f');
  else
    return Errc::invalid_gender;
  return Errc::ok;
}

}  // namespace hashgate::detail
