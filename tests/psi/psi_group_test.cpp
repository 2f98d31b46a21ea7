// The group arithmetic of psi/ against values computed independently with @noble/curves 2.4.0
// (its own ristretto255, not libsodium) and node:crypto, e.g. for H:
//   node -e 'import("@noble/curves/ed25519.js").then(({ristretto255_hasher: h}) => {
//     const c = require("crypto"), d = c.createHash("sha256").update("test@example.com").digest();
//     const w = c.createHash("sha512").update("hashgate/psi/v1/em:").update(d).digest();
//     console.log(Buffer.from(h.deriveToCurve(w).toBytes()).toString("hex")) })'
// and for k·P: ristretto255.Point.fromHex(P).multiply(k) with k read little-endian.
// 2·B is RFC 9496 Appendix A.1 (multiples of the generator).
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "hashgate/hashgate.hpp"
#include "psi/group.hpp"

namespace {

using hashgate::Field;
using namespace hashgate::psi;

std::vector<std::uint8_t> unhex(std::string_view h) {
  std::vector<std::uint8_t> out(h.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(std::stoi(std::string(h.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

Element element(std::string_view h) {
  Element e{};
  const auto b = unhex(h);
  std::copy(b.begin(), b.end(), e.begin());
  return e;
}

std::string hex(std::span<const std::uint8_t> b) { return hashgate::to_hex(b); }

// printf '%s' test@example.com | sha256sum
Identifier em_test() {
  Identifier id{Field::em, {}};
  const auto d = unhex("973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b");
  std::copy(d.begin(), d.end(), id.digest.begin());
  return id;
}

// Scalars of the noble computation: a = 01 02 .. 1f 0a, b = a0 a1 .. be 05 (both < L).
Key key_a() {
  auto b = unhex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0a");
  return *Key::from_bytes(b);
}
Key key_b() {
  auto b = unhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe05");
  return *Key::from_bytes(b);
}

constexpr const char* k_h_em = "d85bfb0a1e3ecf54c77ff34688dd81a7d1edf07741f05462bb9b468215084a7c";
constexpr const char* k_h_ph = "f49efd12f5439918e8d8dfd2d0ac49ee9ffcce0984e02a7f4cbb6c9b4701700d";
constexpr const char* k_a_h = "be391d39e75f55654445fa722e96c4e28a528d673370652e46940b4b0eea122c";
constexpr const char* k_ba_h = "cc14227b05fef66bc7f6dc61a6a0a3fdb5cbd319503aef351c2042eeb5975510";
// RFC 9496 A.1: B and 2·B.
constexpr const char* k_base = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76";
constexpr const char* k_2b = "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919";
// Invalid encodings (RFC 9496 A.2 kinds: non-canonical, negative, non-square), each checked to
// throw in noble's ristretto255.Point.fromHex.
constexpr const char* k_invalid[] = {
    "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
};

TEST(PsiGroup, HashToGroupMatchesNoble) {
  ASSERT_TRUE(init());
  Element h;
  hash_to_group(em_test(), h);
  EXPECT_EQ(hex(h), k_h_em);
  Identifier ph = em_test();
  ph.field = Field::ph;  // the same digest under another field: another point
  hash_to_group(ph, h);
  EXPECT_EQ(hex(h), k_h_ph);
  EXPECT_EQ(hash_tag(Field::em), "hashgate/psi/v1/em:");
  EXPECT_EQ(hash_tag(Field::external_id), "hashgate/psi/v1/external_id:");
}

TEST(PsiGroup, FromHashOfSha512MatchesNoble) {
  // SHA-512("hashgate psi vector 1") through libsodium's map, against noble's deriveToCurve.
  ASSERT_TRUE(init());
  const std::string msg = "hashgate psi vector 1";
  std::uint8_t wide[64];
  crypto_hash_sha512(wide, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  Element p;
  crypto_core_ristretto255_from_hash(p.data(), wide);
  EXPECT_EQ(hex(p), "1407d21ef56c8deee911033605ed01e1fba0427310979b6fced7229790c81020");
}

TEST(PsiGroup, BlindingCommutesAndMatchesNoble) {
  ASSERT_TRUE(init());
  Element h, ah, bh, bah, abh;
  hash_to_group(em_test(), h);
  ASSERT_TRUE(multiply(key_a(), h, ah));
  EXPECT_EQ(hex(ah), k_a_h);
  ASSERT_TRUE(multiply(key_b(), ah, bah));
  EXPECT_EQ(hex(bah), k_ba_h);
  ASSERT_TRUE(multiply(key_b(), h, bh));
  ASSERT_TRUE(multiply(key_a(), bh, abh));
  EXPECT_EQ(abh, bah);
  // k⁻¹·(k·H) = H, and the inverse matches noble's Fn.inv(a).
  Element back;
  const Key inv = key_a().inverse();
  EXPECT_EQ(hex(inv.bytes()), "adb98c89275c942d33b9ff61afc7d71589940e3820d75909248e678ae14c3b09");
  ASSERT_TRUE(multiply(inv, ah, back));
  EXPECT_EQ(back, h);
  // 2·B (RFC 9496 A.1).
  auto two = unhex("02");
  two.resize(32, 0);
  ASSERT_TRUE(multiply(*Key::from_bytes(two), element(k_base), back));
  EXPECT_EQ(hex(back), k_2b);
}

TEST(PsiGroup, KeysMustBeCanonicalNonZero32Bytes) {
  ASSERT_TRUE(init());
  std::vector<std::uint8_t> b(32, 0);
  EXPECT_FALSE(Key::from_bytes(b));  // zero
  // L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 9496 §4.4).
  auto l = unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  EXPECT_FALSE(Key::from_bytes(l));
  l[0] -= 1;  // L - 1 is the largest scalar
  EXPECT_TRUE(Key::from_bytes(l));
  EXPECT_FALSE(Key::from_bytes(std::vector<std::uint8_t>(32, 0xff)));
  EXPECT_FALSE(Key::from_bytes(std::vector<std::uint8_t>(31, 1)));
  EXPECT_FALSE(Key::from_bytes(std::vector<std::uint8_t>(33, 1)));
  const Key g1 = Key::generate(), g2 = Key::generate();
  EXPECT_TRUE(Key::from_bytes(g1.bytes()));
  EXPECT_NE(hex(g1.bytes()), hex(g2.bytes()));
  EXPECT_NE(g1.check_value(), g2.check_value());
  EXPECT_EQ(g1.check_value(), Key::from_bytes(g1.bytes())->check_value());
}

TEST(PsiGroup, InvalidEncodingsAndIdentityAreRefused) {
  ASSERT_TRUE(init());
  Element out;
  for (const char* bad : k_invalid) {
    EXPECT_FALSE(is_valid_element(element(bad))) << bad;
    EXPECT_FALSE(multiply(key_a(), element(bad), out)) << bad;
  }
  const Element zero{};
  EXPECT_FALSE(is_valid_element(zero));
  EXPECT_FALSE(multiply(key_a(), zero, out));
  EXPECT_TRUE(is_valid_element(element(k_base)));
}

std::vector<Identifier> random_ids(std::size_t n) {
  std::vector<Identifier> ids(n);
  for (std::size_t i = 0; i < n; ++i) {
    ids[i].field = static_cast<Field>(i % 3);
    randombytes_buf(ids[i].digest.data(), ids[i].digest.size());
  }
  return ids;
}

TEST(PsiGroup, ParallelStepsEqualOneThread) {
  ASSERT_TRUE(init());
  const auto ids = random_ids(1500);
  std::vector<Element> one(ids.size()), many(ids.size());
  blind_all(key_a(), ids, one, 1);
  blind_all(key_a(), ids, many, 7);
  EXPECT_EQ(one, many);
  for (std::size_t i = 0; i < ids.size(); i += 97) {
    Element h, e;
    hash_to_group(ids[i], h);
    ASSERT_TRUE(multiply(key_a(), h, e));
    EXPECT_EQ(many[i], e) << i;
  }
  EXPECT_EQ(multiply_all(key_b(), one, 1), k_none);
  EXPECT_EQ(multiply_all(key_b(), many, 5), k_none);
  EXPECT_EQ(one, many);
  EXPECT_EQ(find_invalid(many, 3), k_none);
}

TEST(PsiGroup, LowestBadIndexIsReported) {
  ASSERT_TRUE(init());
  const auto ids = random_ids(1200);
  std::vector<Element> e(ids.size());
  blind_all(key_a(), ids, e, 4);
  e[1100] = element(k_invalid[3]);
  e[333] = Element{};
  e[700] = element(k_invalid[0]);
  EXPECT_EQ(find_invalid(e, 4), 333u);
  EXPECT_EQ(multiply_all(key_b(), e, 4), 333u);
}

TEST(PsiGroup, ParallelForCoversEveryIndexOnce) {
  for (std::size_t n : {0u, 1u, 63u, 64u, 65u, 1000u, 100000u}) {
    for (std::size_t threads : {1u, 2u, 3u, 16u}) {
      std::vector<std::atomic<int>> seen(n);
      parallel_for(n, threads, [&](std::size_t b, std::size_t e) {
        ASSERT_LT(b, e);
        for (std::size_t i = b; i < e; ++i) seen[i].fetch_add(1);
      });
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << n << " " << threads;
    }
  }
}

}  // namespace
