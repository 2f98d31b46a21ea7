// First and last names (fn, ln): lowercase, no punctuation, UTF-8 kept; Meta/LiveRamp drop
// spaces, Google keeps single spaces and drops name prefixes and suffixes.
#include "internal.hpp"

namespace hashgate::detail {
namespace {

constexpr std::string_view k_prefixes[] = {"mr",  "mrs",   "ms",  "miss", "mx",   "dr",   "prof",
                                           "sir", "madam", "mme", "mlle", "herr", "frau", "rev"};
constexpr std::string_view k_suffixes[] = {"jr",  "sr",  "ii",  "iii", "iv", "md",
                                           "phd", "esq", "dds", "jnr", "snr"};

bool in(std::string_view w, std::span<const std::string_view> list) noexcept {
  for (const auto x : list)
    if (w == x) return true;
  return false;
}

// Removes leading prefix words and trailing suffix words, keeping at least one word.
void strip_affixes(std::string& s) {
  for (;;) {
    const std::size_t sp = s.find(' ');
    if (sp == std::string::npos || !in(std::string_view(s).substr(0, sp), k_prefixes)) break;
    secure_zero(s.data(), sp + 1);
    s.erase(0, sp + 1);
  }
  for (;;) {
    const std::size_t sp = s.rfind(' ');
    if (sp == std::string::npos || !in(std::string_view(s).substr(sp + 1), k_suffixes)) break;
    secure_zero(s.data() + sp, s.size() - sp);
    s.resize(sp);
  }
}

}  // namespace

Errc normalize_name_into(Field, std::string_view v, const Profile& p, std::string& out) {
  // Google keeps inner spaces (its formatter only trims and lowercases) and drops affixes;
  // Meta's parameter builder removes every space ("John Smith" → "johnsmith").
  const bool google = p.id == ProfileId::google;
  fold_text(v, out, google);
  if (google) strip_affixes(out);
  return out.empty() ? Errc::empty : Errc::ok;
}

}  // namespace hashgate::detail
