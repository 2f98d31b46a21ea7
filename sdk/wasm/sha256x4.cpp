// 4-lane SHA-256 (FIPS 180-4) with wasm SIMD: lane i of every v128 belongs to message i. Messages
// may differ in length; a lane whose message has fewer blocks keeps its state (bit-select mask).
#include "sha256x4.hpp"

#include <wasm_simd128.h>

#include <cstring>

#include "hashgate/hashgate.hpp"

namespace hashgate::wasm {
namespace {

constexpr std::uint32_t k_round[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::uint32_t k_init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

inline v128_t rotr(v128_t x, int n) {
  return wasm_v128_or(wasm_u32x4_shr(x, n), wasm_i32x4_shl(x, 32 - n));
}

/// Transposes four vectors of four 32-bit words (r[i] word k becomes o[k] lane i), swapping the
/// bytes of each word (big-endian <-> little-endian) in the same shuffles.
inline void transpose_swap(v128_t r0, v128_t r1, v128_t r2, v128_t r3, v128_t o[4]) {
  const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5),
               t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
  const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5),
               t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  o[0] = wasm_i8x16_shuffle(t0, t2, 3, 2, 1, 0, 7, 6, 5, 4, 19, 18, 17, 16, 23, 22, 21, 20);
  o[1] = wasm_i8x16_shuffle(t0, t2, 11, 10, 9, 8, 15, 14, 13, 12, 27, 26, 25, 24, 31, 30, 29, 28);
  o[2] = wasm_i8x16_shuffle(t1, t3, 3, 2, 1, 0, 7, 6, 5, 4, 19, 18, 17, 16, 23, 22, 21, 20);
  o[3] = wasm_i8x16_shuffle(t1, t3, 11, 10, 9, 8, 15, 14, 13, 12, 27, 26, 25, 24, 31, 30, 29, 28);
}

/// Zeroes `n` 16-byte vectors at `p` (16-aligned) with vector stores. The empty asm after each
/// store keeps the compiler from dropping them as dead or turning the loop into a memset call.
/// The SDK's one exception to secure_zero(): compress() wipes its message schedule after every
/// block, in the batch's innermost loop, so it stays inline vector stores and not a call.
inline void wipe(void* p, int n) {
  auto* v = static_cast<v128_t*>(p);
#pragma clang loop unroll(disable)
  for (int i = 0; i < n; ++i) {
    v[i] = wasm_i64x2_splat(0);
    __asm__ __volatile__("" : : "r"(v) : "memory");
  }
}

/// Copies n < 64 bytes with fixed-size moves (no memcpy call for the short tail of a message).
inline void copy_short(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) {
  std::size_t at = 0;
  if (n & 32) std::memcpy(dst, src, 32), at = 32;
  if (n & 16) std::memcpy(dst + at, src + at, 16), at += 16;
  if (n & 8) std::memcpy(dst + at, src + at, 8), at += 8;
  if (n & 4) std::memcpy(dst + at, src + at, 4), at += 4;
  if (n & 2) std::memcpy(dst + at, src + at, 2), at += 2;
  if (n & 1) dst[at] = src[at];
}

/// One compression of the four blocks `blk[i]` into `st`, lanes with mask 0 left unchanged.
void compress(v128_t st[8], const std::uint8_t* const blk[4], v128_t mask) {
  v128_t w[16];
  // Message words: 16 bytes of each lane loaded at once, transposed to one word per vector.
#pragma clang loop unroll(disable)
  for (int g = 0; g < 4; ++g)
    transpose_swap(wasm_v128_load(blk[0] + 16 * g), wasm_v128_load(blk[1] + 16 * g),
                   wasm_v128_load(blk[2] + 16 * g), wasm_v128_load(blk[3] + 16 * g), w + 4 * g);
  v128_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (int t = 0; t < 64; ++t) {
    v128_t wt;
    if (t < 16) {
      wt = w[t];
    } else {
      const v128_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
      const v128_t s0 =
          wasm_v128_xor(wasm_v128_xor(rotr(w15, 7), rotr(w15, 18)), wasm_u32x4_shr(w15, 3));
      const v128_t s1 =
          wasm_v128_xor(wasm_v128_xor(rotr(w2, 17), rotr(w2, 19)), wasm_u32x4_shr(w2, 10));
      wt = wasm_i32x4_add(wasm_i32x4_add(w[t & 15], s0), wasm_i32x4_add(w[(t - 7) & 15], s1));
      w[t & 15] = wt;
    }
    const v128_t S1 = wasm_v128_xor(wasm_v128_xor(rotr(e, 6), rotr(e, 11)), rotr(e, 25));
    const v128_t ch = wasm_v128_bitselect(f, g, e);
    const v128_t t1 = wasm_i32x4_add(
        wasm_i32x4_add(h, S1),
        wasm_i32x4_add(ch, wasm_i32x4_add(wasm_i32x4_splat(static_cast<int>(k_round[t])), wt)));
    const v128_t S0 = wasm_v128_xor(wasm_v128_xor(rotr(a, 2), rotr(a, 13)), rotr(a, 22));
    const v128_t maj = wasm_v128_bitselect(a, b, wasm_v128_xor(c, b));  // b == c ? b : a
    const v128_t t2 = wasm_i32x4_add(S0, maj);
    h = g;
    g = f;
    f = e;
    e = wasm_i32x4_add(d, t1);
    d = c;
    c = b;
    b = a;
    a = wasm_i32x4_add(t1, t2);
  }
  const v128_t in[8] = {a, b, c, d, e, f, g, h};
  for (int i = 0; i < 8; ++i)
    st[i] = wasm_v128_bitselect(wasm_i32x4_add(st[i], in[i]), st[i], mask);
  wipe(w, 16);
}

}  // namespace

void sha256x4(const std::uint8_t* const data[4], const std::size_t len[4], int lanes,
              std::uint8_t out[4][32]) noexcept {
  // The last one or two blocks of each message, padded: bytes after the last full block, 0x80,
  // zeros, the bit length big-endian.
  alignas(16) std::uint8_t tail[4][128];
  static const std::uint8_t k_zero_block[64] = {};
  std::size_t blocks[4] = {0, 0, 0, 0};
  std::size_t full[4] = {0, 0, 0, 0};
  std::size_t max_blocks = 0;
  for (int i = 0; i < lanes; ++i) {
    const std::size_t n = len[i];
    full[i] = n / 64;
    const std::size_t rest = n % 64;
    const std::size_t tail_blocks = rest + 9 <= 64 ? 1 : 2;
    wipe(tail[i], 8);
    copy_short(tail[i], data[i] + full[i] * 64, rest);
    tail[i][rest] = 0x80;
    const std::uint64_t bits = static_cast<std::uint64_t>(n) * 8;
    std::uint8_t* end = tail[i] + tail_blocks * 64;
    for (int k = 1; k <= 8; ++k) end[-k] = static_cast<std::uint8_t>(bits >> (8 * (k - 1)));
    blocks[i] = full[i] + tail_blocks;
    if (blocks[i] > max_blocks) max_blocks = blocks[i];
  }
  v128_t st[8];
  for (int i = 0; i < 8; ++i) st[i] = wasm_i32x4_splat(static_cast<int>(k_init[i]));
  for (std::size_t j = 0; j < max_blocks; ++j) {
    const std::uint8_t* blk[4];
    std::uint32_t m[4];
    for (int i = 0; i < 4; ++i) {
      if (i < lanes && j < blocks[i]) {
        blk[i] = j < full[i] ? data[i] + j * 64 : tail[i] + (j - full[i]) * 64;
        m[i] = 0xffffffffu;
      } else {
        blk[i] = k_zero_block;
        m[i] = 0;
      }
    }
    compress(st, blk, wasm_u32x4_make(m[0], m[1], m[2], m[3]));
  }
  // Back to one digest per lane: the transpose of state words 0-3, then of words 4-7.
  v128_t o[8];
  transpose_swap(st[0], st[1], st[2], st[3], o);
  transpose_swap(st[4], st[5], st[6], st[7], o + 4);
  for (int l = 0; l < lanes; ++l) {
    wasm_v128_store(out[l], o[l]);
    wasm_v128_store(out[l] + 16, o[4 + l]);
  }
  wipe(tail, 32);  // held the message bytes
  wipe(o, 8);
  wipe(st, 8);
}

void hex32(const std::uint8_t md[32], std::uint8_t* dst) noexcept {
  // Each nibble indexes the 16 digits (swizzle); the high and low digits are then interleaved.
  const v128_t digits = wasm_i8x16_make('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b',
                                        'c', 'd', 'e', 'f');
#pragma clang loop unroll(disable)
  for (int h = 0; h < 2; ++h) {
    const v128_t b = wasm_v128_load(md + 16 * h);
    const v128_t hi = wasm_i8x16_swizzle(digits, wasm_u8x16_shr(b, 4));
    const v128_t lo = wasm_i8x16_swizzle(digits, wasm_v128_and(b, wasm_i8x16_splat(15)));
    wasm_v128_store(dst + 32 * h, wasm_i8x16_shuffle(hi, lo, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5,
                                                     21, 6, 22, 7, 23));
    wasm_v128_store(dst + 32 * h + 16, wasm_i8x16_shuffle(hi, lo, 8, 24, 9, 25, 10, 26, 11, 27, 12,
                                                          28, 13, 29, 14, 30, 15, 31));
  }
}

}  // namespace hashgate::wasm
