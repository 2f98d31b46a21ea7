// Digest known-answer tests at the block boundaries, RFC 4231 HMAC vectors, and encodings.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hashgate/hashgate.hpp"

namespace {

using hashgate::Algo;

std::string hex_digest(Algo a, const std::string& data, const std::string& key = {}) {
  std::uint8_t out[32];
  const auto* k = reinterpret_cast<const std::uint8_t*>(key.data());
  const hashgate::Errc e =
      hashgate::digest(a, data, {out, hashgate::digest_size(a)}, {k, key.size()});
  EXPECT_EQ(e, hashgate::Errc::ok);
  return hashgate::to_hex({out, hashgate::digest_size(a)});
}

// Input of length n: "abc" for 3, otherwise n times 'a'.
std::string input(std::size_t n) { return n == 3 ? std::string("abc") : std::string(n, 'a'); }

struct Kat {
  std::size_t len;
  const char* sha256;
  const char* sha1;
  const char* md5;
  const char* hmac_key_key;
};

// Computed independently at test-generation time with coreutils and the OpenSSL CLI:
//   printf '%s' "$s" | sha256sum ; sha1sum ; md5sum ; openssl dgst -sha256 -hmac key -r
// where $s is "abc" for n=3 and n times 'a' otherwise.
constexpr Kat k_kats[] = {
    {0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "da39a3ee5e6b4b0d3255bfef95601890afd80709", "d41d8cd98f00b204e9800998ecf8427e",
     "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"},
    {3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
     "a9993e364706816aba3e25717850c26c9cd0d89d", "900150983cd24fb0d6963f7d28e17f72",
     "9c196e32dc0175f86f4b1cb89289d6619de6bee699e4c378e68309ed97a1a6ab"},
    {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
     "c1c8bbdc22796e28c0e15163d20899b65621d65a", "ef1772b6dff9a122358552954ad0df65",
     "5c753ac4cf15a28e7b5a045ba8ce75e02545a313f326021d770912f768fb53ef"},
    {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
     "c2db330f6083854c99d4b5bfb6e8f29f201be699", "3b0c8ac703f828b04c6c197006d17218",
     "e9613a403652aa5873dba8b56f223826236e87559a8d8ac63190613796d2319a"},
    {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
     "03f09f5b158a7a8cdad920bddc29b81c18a551f5", "b06521f39153d618550606be297466d5",
     "c5531cccae97b1a3e84ffd19fb9468e928c41d6acb9279cf4bac4aaf314196ae"},
    {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
     "0098ba824b5c16427bd7a1122a5a442a25ec644d", "014842d480b571495a4a0363793f7367",
     "77207571ea4243ad8e0f220679a62f9033b6d2f59f8d44517d8e9c4857b96fa0"},
    {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
     "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56", "8a7bd0732ed6a28ce75f6dabc90e1613",
     "4ffbedd6a1157e63e62d3fa284549bcfe39fb98dbb77ac48a89120aed5747d6b"},
};

TEST(SdkDigest, BlockBoundaryKats) {
  for (const auto& k : k_kats) {
    SCOPED_TRACE("length " + std::to_string(k.len));
    const std::string in = input(k.len);
    ASSERT_EQ(in.size(), k.len);
    EXPECT_EQ(hex_digest(Algo::sha256, in), k.sha256);
    EXPECT_EQ(hex_digest(Algo::sha1, in), k.sha1);
    EXPECT_EQ(hex_digest(Algo::md5, in), k.md5);
    EXPECT_EQ(hex_digest(Algo::hmac_sha256, in, "key"), k.hmac_key_key);
  }
}

// RFC 4231 §4 test cases 1, 2, 3, 4, 6, 7 (HMAC-SHA-256 lines); case 5 is truncated output.
TEST(SdkDigest, Rfc4231HmacSha256) {
  const std::string aa20(20, '\xaa'), aa131(131, '\xaa');
  std::string k4;
  for (int i = 1; i <= 25; ++i) k4.push_back(static_cast<char>(i));
  EXPECT_EQ(hex_digest(Algo::hmac_sha256, "Hi There", std::string(20, '\x0b')),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex_digest(Algo::hmac_sha256, "what do ya want for nothing?", "Jefe"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex_digest(Algo::hmac_sha256, std::string(50, '\xdd'), aa20),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  EXPECT_EQ(hex_digest(Algo::hmac_sha256, std::string(50, '\xcd'), k4),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  EXPECT_EQ(hex_digest(Algo::hmac_sha256, "Test Using Larger Than Block-Size Key - Hash Key First",
                       aa131),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(
      hex_digest(Algo::hmac_sha256,
                 "This is a test using a larger than block-size key and a larger than block-size "
                 "data. The key needs to be hashed before being used by the HMAC algorithm.",
                 aa131),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(SdkDigest, Sha256EntryPoint) {
  std::uint8_t out[32];
  ASSERT_TRUE(hashgate::sha256("abc", out));
  EXPECT_EQ(hashgate::to_hex(out), k_kats[1].sha256);
}

TEST(SdkDigest, HmacNeedsKeyAndBuffersMustFit) {
  std::uint8_t out[32];
  EXPECT_EQ(hashgate::digest(Algo::hmac_sha256, "x", out), hashgate::Errc::missing_key);
  EXPECT_EQ(hashgate::digest(Algo::sha256, "x", {out, 16}), hashgate::Errc::internal);
  EXPECT_EQ(hashgate::digest_size(Algo::sha256), 32u);
  EXPECT_EQ(hashgate::digest_size(Algo::sha1), 20u);
  EXPECT_EQ(hashgate::digest_size(Algo::md5), 16u);
}

// RFC 4648 §10 test vectors.
TEST(SdkEncoding, Base64Rfc4648) {
  const auto b64 = [](std::string s) {
    return hashgate::to_base64({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  };
  EXPECT_EQ(b64(""), "");
  EXPECT_EQ(b64("f"), "Zg==");
  EXPECT_EQ(b64("fo"), "Zm8=");
  EXPECT_EQ(b64("foo"), "Zm9v");
  EXPECT_EQ(b64("foob"), "Zm9vYg==");
  EXPECT_EQ(b64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(b64("foobar"), "Zm9vYmFy");
  const std::uint8_t bytes[] = {0x00, 0xff, 0x10, 0xab};
  EXPECT_EQ(hashgate::to_hex(bytes), "00ff10ab");
}

TEST(SdkEncoding, DecodeDigest) {
  // sha256("user@example.com"), from: printf 'user@example.com' | sha256sum (and | xxd -r -p |
  // base64)
  const std::string hex = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514";
  std::string upper = hex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::uint8_t a[32], b[32], c[32];
  ASSERT_TRUE(hashgate::decode_digest(hex, 32, a));
  ASSERT_TRUE(hashgate::decode_digest("  " + upper + "\n", 32, b));
  ASSERT_TRUE(hashgate::decode_digest("tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=", 32, c));
  EXPECT_EQ(hashgate::to_hex(a), hex);
  EXPECT_EQ(hashgate::to_hex(b), hex);
  EXPECT_EQ(hashgate::to_hex(c), hex);
  // Not digests: wrong length, non-hex, wrong padding, non-canonical trailing bits.
  EXPECT_FALSE(hashgate::decode_digest(hex.substr(1), 32, a));
  EXPECT_FALSE(hashgate::decode_digest("g" + hex.substr(1), 32, a));
  EXPECT_FALSE(hashgate::decode_digest("tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQA", 32, a));
  EXPECT_FALSE(hashgate::decode_digest("tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRR=", 32, a));
  EXPECT_FALSE(hashgate::decode_digest("user@example.com", 32, a));
  // 40/32 hex for sha1/md5 only when that size is asked.
  EXPECT_TRUE(hashgate::decode_digest("63a710569261a24b3766275b7000ce8d7b32e2f7", 20, a));
  EXPECT_FALSE(hashgate::decode_digest("63a710569261a24b3766275b7000ce8d7b32e2f7", 32, a));
}

TEST(SdkUtil, SecureZeroAndClear) {
  std::uint8_t buf[16];
  for (auto& b : buf) b = 0x5a;
  hashgate::secure_zero(buf, sizeof buf);
  for (const auto b : buf) EXPECT_EQ(b, 0);
  std::string s = "jane.doe@example.com, a value longer than the small-string buffer";
  const char* data = s.data();
  const std::size_t cap = s.capacity();
  hashgate::secure_clear(s);
  EXPECT_TRUE(s.empty());
  ASSERT_EQ(s.data(), data);  // same buffer: it is the one that must now hold zeros
  for (std::size_t i = 0; i < cap; ++i) EXPECT_EQ(data[i], '\0');
}

TEST(SdkErrors, NamesAndCategory) {
  EXPECT_EQ(hashgate::code_name(hashgate::Errc::invalid_email), "invalid_email");
  EXPECT_EQ(hashgate::code_name(hashgate::Errc::phone_needs_region), "phone_needs_region");
  EXPECT_EQ(hashgate::code_name(hashgate::Errc::internal), "internal");
  const std::error_code ec = hashgate::Errc::invalid_utf8;
  EXPECT_STREQ(ec.category().name(), "hashgate");
  EXPECT_EQ(ec.message(), "invalid_utf8");
}

TEST(SdkTypes, Names) {
  ASSERT_NE(hashgate::profile_by_name("EUID"), nullptr);
  EXPECT_EQ(hashgate::profile_by_name("euid")->id, hashgate::ProfileId::uid2);
  EXPECT_EQ(hashgate::profile_by_name("meta")->default_encoding, hashgate::Encoding::hex);
  EXPECT_EQ(hashgate::profile_by_name("uid2")->default_encoding, hashgate::Encoding::base64);
  EXPECT_EQ(hashgate::profile_by_name("tiktok"), nullptr);
  EXPECT_EQ(hashgate::field_by_name("email"), hashgate::Field::em);
  EXPECT_EQ(hashgate::field_by_name("country"), hashgate::Field::country);
  EXPECT_EQ(hashgate::field_by_name("nope"), std::nullopt);
  EXPECT_EQ(hashgate::field_name(hashgate::Field::external_id), "external_id");
  EXPECT_EQ(hashgate::algo_by_name("hmac-sha256"), Algo::hmac_sha256);
  EXPECT_EQ(hashgate::algo_name(Algo::md5), "md5");
  EXPECT_EQ(hashgate::encoding_by_name("base64"), hashgate::Encoding::base64);
  EXPECT_EQ(hashgate::encoding_by_name("b32"), std::nullopt);
  ASSERT_TRUE(hashgate::region_by_code("nl").has_value());
  EXPECT_EQ(hashgate::region_by_code("nl")->view(), "NL");
  EXPECT_TRUE(hashgate::region_by_code("ZW").has_value());
  EXPECT_TRUE(hashgate::region_by_code("BV").has_value());
  EXPECT_FALSE(hashgate::region_by_code("ZZ").has_value());
  EXPECT_FALSE(hashgate::region_by_code("UK").has_value());
  EXPECT_FALSE(hashgate::region_by_code("N").has_value());
  EXPECT_FALSE(hashgate::region_by_code("N1").has_value());
}

}  // namespace
