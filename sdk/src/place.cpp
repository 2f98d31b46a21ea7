// City (ct), state (st) and postal code (zp).
#include "internal.hpp"

namespace hashgate::detail {
namespace {

// US states, DC and territories: two-letter USPS/ANSI code + full name without spaces.
struct State {
  char code[3];
  std::string_view name;
};
constexpr State k_states[] = {
    {"al", "alabama"},
    {"ak", "alaska"},
    {"az", "arizona"},
    {"ar", "arkansas"},
    {"ca", "california"},
    {"co", "colorado"},
    {"ct", "connecticut"},
    {"de", "delaware"},
    {"dc", "districtofcolumbia"},
    {"fl", "florida"},
    {"ga", "georgia"},
    {"hi", "hawaii"},
    {"id", "idaho"},
    {"il", "illinois"},
    {"in", "indiana"},
    {"ia", "iowa"},
    {"ks", "kansas"},
    {"ky", "kentucky"},
    {"la", "louisiana"},
    {"me", "maine"},
    {"md", "maryland"},
    {"ma", "massachusetts"},
    {"mi", "michigan"},
    {"mn", "minnesota"},
    {"ms", "mississippi"},
    {"mo", "missouri"},
    {"mt", "montana"},
    {"ne", "nebraska"},
    {"nv", "nevada"},
    {"nh", "newhampshire"},
    {"nj", "newjersey"},
    {"nm", "newmexico"},
    {"ny", "newyork"},
    {"nc", "northcarolina"},
    {"nd", "northdakota"},
    {"oh", "ohio"},
    {"ok", "oklahoma"},
    {"or", "oregon"},
    {"pa", "pennsylvania"},
    {"ri", "rhodeisland"},
    {"sc", "southcarolina"},
    {"sd", "southdakota"},
    {"tn", "tennessee"},
    {"tx", "texas"},
    {"ut", "utah"},
    {"vt", "vermont"},
    {"va", "virginia"},
    {"wa", "washington"},
    {"wv", "westvirginia"},
    {"wi", "wisconsin"},
    {"wy", "wyoming"},
    {"as", "americansamoa"},
    {"gu", "guam"},
    {"mp", "northernmarianaislands"},
    {"pr", "puertorico"},
    {"vi", "usvirginislands"},
    {"vi", "virginislands"},
};

// Removes ASCII digits in place (Meta's SDK drops numbers from city and state).
void drop_digits(std::string& s) noexcept {
  std::size_t w = 0;
  for (std::size_t r = 0; r < s.size(); ++r)
    if (!is_digit(s[r])) s[w++] = s[r];
  secure_zero(s.data() + w, s.size() - w);
  s.resize(w);
}

}  // namespace

Errc normalize_city_into(std::string_view v, std::string& out) {
  // Meta: lowercase, no spaces, no punctuation, no digits; UTF-8 letters kept.
  fold_text(v, out, false);
  drop_digits(out);
  return out.empty() ? Errc::empty : Errc::ok;
}

Errc normalize_state_into(std::string_view v, std::string& out) {
  // US states as their 2-letter code (also from full names); others lowercase, no
  // punctuation or spaces.
  fold_text(v, out, false);
  drop_digits(out);
  if (out.empty()) return Errc::empty;
  for (const auto& s : k_states) {
    if (out == s.name) {
      assign_zeroed(out, std::string_view(s.code, 2));
      break;
    }
  }
  return Errc::ok;
}

Errc normalize_zip_into(std::string_view v, Region region, std::string& out) {
  // Lowercase, no spaces or dashes. US ZIP+4 (or any US code) keeps its first 5 digits.
  out.clear();
  for (const char c : v) {
    if (is_space(c) || c == '-') continue;
    if (static_cast<unsigned char>(c) >= 0x80 || !(is_alpha(c) || is_digit(c)))
      return Errc::invalid_value;
    out.push_back(to_lower(c));
  }
  if (out.empty()) return Errc::empty;
  bool all_digits = true;
  for (const char c : out) all_digits = all_digits && is_digit(c);
  const bool us = region.view() == "US";
  if (all_digits && (us || out.size() == 9) && out.size() >= 5) {
    secure_zero(out.data() + 5, out.size() - 5);
    out.resize(5);
  } else if (us) {
    return Errc::invalid_value;  // a US ZIP code is 5 (or 9) digits
  }
  return Errc::ok;
}

}  // namespace hashgate::detail
