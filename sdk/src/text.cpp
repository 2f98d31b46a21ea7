// Unicode lowercase (Latin-1, Latin Extended-A, Greek, Cyrillic), composition of common Latin
// combining sequences (NFC for those), and removal of punctuation/symbols, for names and places.
#include "internal.hpp"

namespace hashgate::detail {
namespace {

// Combining marks we compose with a preceding lowercase Latin letter.
struct Compose {
  char base;
  char16_t mark;
  char16_t composed;
};
constexpr Compose k_compose[] = {
    {'a', 0x300, 0xE0},  {'e', 0x300, 0xE8},  {'i', 0x300, 0xEC},  {'o', 0x300, 0xF2},
    {'u', 0x300, 0xF9},  {'a', 0x301, 0xE1},  {'e', 0x301, 0xE9},  {'i', 0x301, 0xED},
    {'o', 0x301, 0xF3},  {'u', 0x301, 0xFA},  {'y', 0x301, 0xFD},  {'c', 0x301, 0x107},
    {'n', 0x301, 0x144}, {'s', 0x301, 0x15B}, {'z', 0x301, 0x17A}, {'l', 0x301, 0x13A},
    {'r', 0x301, 0x155}, {'a', 0x302, 0xE2},  {'e', 0x302, 0xEA},  {'i', 0x302, 0xEE},
    {'o', 0x302, 0xF4},  {'u', 0x302, 0xFB},  {'a', 0x303, 0xE3},  {'n', 0x303, 0xF1},
    {'o', 0x303, 0xF5},  {'a', 0x308, 0xE4},  {'e', 0x308, 0xEB},  {'i', 0x308, 0xEF},
    {'o', 0x308, 0xF6},  {'u', 0x308, 0xFC},  {'y', 0x308, 0xFF},  {'a', 0x30A, 0xE5},
    {'u', 0x30A, 0x16F}, {'o', 0x30B, 0x151}, {'u', 0x30B, 0x171}, {'c', 0x327, 0xE7},
    {'s', 0x327, 0x15F}, {'t', 0x327, 0x163}, {'c', 0x30C, 0x10D}, {'s', 0x30C, 0x161},
    {'z', 0x30C, 0x17E}, {'r', 0x30C, 0x159}, {'e', 0x30C, 0x11B}, {'n', 0x30C, 0x148},
    {'d', 0x30C, 0x10F}, {'t', 0x30C, 0x165}, {'a', 0x328, 0x105}, {'e', 0x328, 0x119},
    {'z', 0x307, 0x17C}, {'g', 0x306, 0x11F}, {'a', 0x306, 0x103},
};

char32_t compose(char32_t base, char32_t mark) noexcept {
  if (base >= 0x80) return 0;
  for (const auto& c : k_compose)
    if (c.base == static_cast<char>(base) && c.mark == mark) return c.composed;
  return 0;
}

// Punctuation, symbols, emoji and format characters that names and places drop.
bool is_dropped(char32_t cp) noexcept {
  if (cp < 0x80)
    return !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'));
  if (cp >= 0x80 && cp <= 0xBF) return true;        // Latin-1 punctuation & symbols
  if (cp == 0xD7 || cp == 0xF7) return true;        // × ÷
  if (cp >= 0x2B9 && cp <= 0x2FF) return true;      // modifier letters (ʼ ˈ ...)
  if (cp >= 0x2000 && cp <= 0x2BFF) return true;    // general punctuation, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303F) return true;    // CJK punctuation
  if (cp >= 0xFE00 && cp <= 0xFE0F) return true;    // variation selectors
  if (cp >= 0xFF01 && cp <= 0xFF0F) return true;    // fullwidth punctuation
  if (cp == 0xFEFF) return true;                    // BOM / zero-width no-break space
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return true;  // emoji, pictographs
  if (cp >= 0xE0000 && cp <= 0xE007F) return true;  // tags (flag sequences)
  return false;
}

}  // namespace

char32_t lower_cp(char32_t cp) noexcept {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;  // Latin-1
  if (cp >= 0x100 && cp <= 0x17F) {                            // Latin Extended-A
    if (cp == 0x130) return 'i';                               // İ → i (simple mapping)
    if (cp == 0x178) return 0xFF;                              // Ÿ → ÿ
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) ? cp + 1 : cp;
    if (cp == 0x131 || cp == 0x138 || cp == 0x149 || cp == 0x17F) return cp;
    return (cp & 1) ? cp : cp + 1;
  }
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 32;  // Greek capitals
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 63;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;  // Cyrillic basic
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;  // Ѐ..Џ
  if ((cp >= 0x460 && cp <= 0x481) || (cp >= 0x48A && cp <= 0x4BF) || (cp >= 0x4D0 && cp <= 0x52F))
    return (cp & 1) ? cp : cp + 1;
  if (cp == 0x4C0) return 0x4CF;
  if (cp >= 0x4C1 && cp <= 0x4CE) return (cp & 1) ? cp + 1 : cp;
  return cp;
}

void fold_text(std::string_view v, std::string& out, bool keep_spaces) {
  out.clear();
  out.reserve(v.size());
  bool pending_space = false;
  char32_t last = 0;         // last appended code point (for composition)
  std::size_t last_pos = 0;  // its byte offset in out
  for (std::size_t i = 0; i < v.size();) {
    const char32_t raw = next_cp(v, i);
    if (raw == ' ' || raw == '\t' || raw == 0xA0 || raw == '\n' || raw == '\r' ||
        (raw >= 0x2000 && raw <= 0x200A) || raw == 0x3000) {
      pending_space = keep_spaces && !out.empty();
      last = 0;
      continue;
    }
    if (raw >= 0x300 && raw <= 0x36F) {  // combining mark: compose with the previous letter
      if (const char32_t c = compose(last, raw); c != 0) {
        out.resize(last_pos);
        append_utf8(out, c);
        last = c;
      } else if (last != 0) {
        append_utf8(out, raw);  // kept as is (no precomposed form in our table)
      }
      continue;
    }
    if (raw == 0x200D || raw == 0x200C || raw == 0x200B) continue;  // zero-width (ZWJ etc.)
    if (is_dropped(raw)) {
      last = 0;
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    const char32_t cp = lower_cp(raw);
    last_pos = out.size();
    append_utf8(out, cp);
    last = cp;
  }
}

}  // namespace hashgate::detail
