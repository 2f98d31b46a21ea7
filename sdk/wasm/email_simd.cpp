// The batch's fast path for plain ASCII e-mails with wasm SIMD: 16 bytes compared and lowercased
// at a time, the rules checked on bit masks of the (at most 64) bytes.
#include "email_simd.hpp"

#include <wasm_simd128.h>

#include <string_view>

#include "hashgate/hashgate.hpp"

namespace hashgate::wasm {
namespace {

constexpr bool is_space(unsigned char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::size_t fast_email(const std::uint8_t* v, std::size_t size, bool keep_gmail, char* d) noexcept {
  std::size_t a = 0, b = size;
  while (a < b && is_space(v[a])) ++a;
  while (b > a && is_space(v[b - 1])) --b;
  const std::size_t n = b - a;
  if (n == 0 || n > k_fast_email_max) return 0;
  const v128_t iota = wasm_i8x16_make(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  std::uint64_t bad = 0, at = 0, dot = 0;
  const std::size_t chunks = (n + 15) / 16;
  for (std::size_t c = 0; c < chunks; ++c) {
    // Bytes past the value (the rest of the caller's buffer) are masked out before anything is
    // written or counted.
    const v128_t in = wasm_i8x16_lt(iota, wasm_i8x16_splat(static_cast<int>(n - 16 * c)));
    const v128_t x = wasm_v128_and(wasm_v128_load(v + a + 16 * c), in);
    const v128_t upper =
        wasm_u8x16_lt(wasm_i8x16_sub(x, wasm_i8x16_splat('A')), wasm_i8x16_splat(26));
    wasm_v128_store(d + 16 * c, wasm_i8x16_add(x, wasm_v128_and(upper, wasm_i8x16_splat(32))));
    // Controls, spaces, DEL and non-ASCII bytes: not for this path.
    const v128_t odd = wasm_v128_or(wasm_u8x16_le(x, wasm_i8x16_splat(0x20)),
                                    wasm_u8x16_ge(x, wasm_i8x16_splat(0x7F)));
    bad |= std::uint64_t{static_cast<std::uint16_t>(wasm_i8x16_bitmask(wasm_v128_and(odd, in)))}
           << (16 * c);
    at |= std::uint64_t{static_cast<std::uint16_t>(
              wasm_i8x16_bitmask(wasm_i8x16_eq(x, wasm_i8x16_splat('@'))))}
          << (16 * c);
    dot |= std::uint64_t{static_cast<std::uint16_t>(
               wasm_i8x16_bitmask(wasm_i8x16_eq(x, wasm_i8x16_splat('.'))))}
           << (16 * c);
  }
  // Exactly one '@', not first; the domain after it dotted, not starting or ending with '.',
  // without ".."; (an empty domain has no dot).
  const unsigned p = at ? static_cast<unsigned>(__builtin_ctzll(at)) : 0;
  const std::uint64_t domain_dots = p + 1 < 64 ? dot & (~std::uint64_t{0} << (p + 1)) : 0;
  bool ok = bad == 0 && at != 0 && (at & (at - 1)) == 0 && p != 0 && domain_dots != 0 &&
            (domain_dots & (std::uint64_t{1} << (p + 1))) == 0 &&
            (domain_dots & (domain_dots >> 1)) == 0 && (dot & (std::uint64_t{1} << (n - 1))) == 0;
  if (ok && !keep_gmail) {
    const std::string_view domain(d + p + 1, n - p - 1);  // already lowercase
    ok = domain != "gmail.com" && domain != "googlemail.com";
  }
  if (!ok) {
    secure_zero(d, 16 * chunks);
    return 0;
  }
  return n;
}

}  // namespace hashgate::wasm
