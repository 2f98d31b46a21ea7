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

inline v128_t rotr(v128_t x, int n) { return wasm_v128_or(wasm_u32x4_shr(x, n), wasm_i32x4_shl(x, 32 - n)); }

/// One compression of the four blocks `blk[i]` into `st`, lanes with mask 0 left unchanged.
void compress(v128_t st[8], const std::uint8_t* const blk[4], v128_t mask) {
  v128_t w[16];
  // Message words: 16 bytes of each lane loaded at once, then a 4x4 transpose of 32-bit words
  // whose second step also swaps each word to big-endian.
#pragma clang loop unroll(disable)
  for (int g = 0; g < 4; ++g) {
    const v128_t r0 = wasm_v128_load(blk[0] + 16 * g), r1 = wasm_v128_load(blk[1] + 16 * g);
    const v128_t r2 = wasm_v128_load(blk[2] + 16 * g), r3 = wasm_v128_load(blk[3] + 16 * g);
    const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
    const v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
    w[4 * g] = wasm_i8x16_shuffle(t0, t2, 3, 2, 1, 0, 7, 6, 5, 4, 19, 18, 17, 16, 23, 22, 21, 20);
    w[4 * g + 1] = wasm_i8x16_shuffle(t0, t2, 11, 10, 9, 8, 15, 14, 13, 12, 27, 26, 25, 24, 31, 30, 29, 28);
    w[4 * g + 2] = wasm_i8x16_shuffle(t1, t3, 3, 2, 1, 0, 7, 6, 5, 4, 19, 18, 17, 16, 23, 22, 21, 20);
    w[4 * g + 3] = wasm_i8x16_shuffle(t1, t3, 11, 10, 9, 8, 15, 14, 13, 12, 27, 26, 25, 24, 31, 30, 29, 28);
  }
  v128_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (int t = 0; t < 64; ++t) {
    v128_t wt;
    if (t < 16) {
      wt = w[t];
    } else {
      const v128_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
      const v128_t s0 = wasm_v128_xor(wasm_v128_xor(rotr(w15, 7), rotr(w15, 18)), wasm_u32x4_shr(w15, 3));
      const v128_t s1 = wasm_v128_xor(wasm_v128_xor(rotr(w2, 17), rotr(w2, 19)), wasm_u32x4_shr(w2, 10));
      wt = wasm_i32x4_add(wasm_i32x4_add(w[t & 15], s0), wasm_i32x4_add(w[(t - 7) & 15], s1));
      w[t & 15] = wt;
    }
    const v128_t S1 = wasm_v128_xor(wasm_v128_xor(rotr(e, 6), rotr(e, 11)), rotr(e, 25));
    const v128_t ch = wasm_v128_bitselect(f, g, e);
    const v128_t t1 = wasm_i32x4_add(wasm_i32x4_add(h, S1),
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
  for (int i = 0; i < 8; ++i) st[i] = wasm_v128_bitselect(wasm_i32x4_add(st[i], in[i]), st[i], mask);
  secure_zero(w, sizeof w);
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
    // Only the bytes in use are written: message rest, 0x80, zeros up to the length field.
    if (rest) std::memcpy(tail[i], data[i] + full[i] * 64, rest);
    tail[i][rest] = 0x80;
    std::memset(tail[i] + rest + 1, 0, tail_blocks * 64 - 8 - rest - 1);
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
  alignas(16) std::uint32_t words[8][4];
  for (int i = 0; i < 8; ++i) wasm_v128_store(words[i], st[i]);
  for (int l = 0; l < lanes; ++l) {
    for (int i = 0; i < 8; ++i) {
      const std::uint32_t v = words[i][l];
      out[l][4 * i] = static_cast<std::uint8_t>(v >> 24);
      out[l][4 * i + 1] = static_cast<std::uint8_t>(v >> 16);
      out[l][4 * i + 2] = static_cast<std::uint8_t>(v >> 8);
      out[l][4 * i + 3] = static_cast<std::uint8_t>(v);
    }
  }
  for (int i = 0; i < lanes; ++i) secure_zero(tail[i], len[i] % 64);  // the message bytes
  secure_zero(words, sizeof words);
  secure_zero(st, sizeof st);
}

void hex32(const std::uint8_t md[32], std::uint8_t* dst) noexcept {
  // Each nibble indexes the 16 digits (swizzle); the high and low digits are then interleaved.
  const v128_t digits = wasm_i8x16_make('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f');
#pragma clang loop unroll(disable)
  for (int h = 0; h < 2; ++h) {
    const v128_t b = wasm_v128_load(md + 16 * h);
    const v128_t hi = wasm_i8x16_swizzle(digits, wasm_u8x16_shr(b, 4));
    const v128_t lo = wasm_i8x16_swizzle(digits, wasm_v128_and(b, wasm_i8x16_splat(15)));
    wasm_v128_store(dst + 32 * h, wasm_i8x16_shuffle(hi, lo, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
    wasm_v128_store(dst + 32 * h + 16,
                    wasm_i8x16_shuffle(hi, lo, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
  }
}

}  // namespace hashgate::wasm
