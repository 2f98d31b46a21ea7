// hash() and hash_batch(): encodings, algorithms per profile, pre-hashed input, HMAC.
#include <gtest/gtest.h>

#include <string>

#include "hashgate/hashgate.hpp"

namespace {

using hashgate::Algo;
using hashgate::Encoding;
using hashgate::Errc;
using hashgate::Field;
using hashgate::ProfileId;

const hashgate::Profile& P(ProfileId id) { return hashgate::profile(id); }

// Expected values computed independently with coreutils / the OpenSSL CLI, e.g.
//   printf 'user@example.com' | sha256sum        (hex)
//   ... | sha256sum | cut -c1-64 | xxd -r -p | base64   (base64)
constexpr const char* k_user_sha256 = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514";
constexpr const char* k_user_sha256_b64 = "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=";
constexpr const char* k_user_sha1 = "63a710569261a24b3766275b7000ce8d7b32e2f7";  // sha1sum
constexpr const char* k_user_md5 = "b58996c504c5638798eb6b511e6f49af";           // md5sum
// printf '6505551212' | sha1sum
constexpr const char* k_lr_phone_sha1 = "f02288e672259432fe70d036212140bf2f4745af";
// printf 'mary' | openssl dgst -sha256 -hmac key
constexpr const char* k_mary_hmac_key = "4fc00008e8557ada897797583de5652683892f92a31797830e53baf3e1b03daa";
// printf '+442079460958' | sha256sum
constexpr const char* k_gb_phone = "f0bf0228144d9fe2bdf1da2d8ca698f17bf1410ee688b075c27062e47b6f0b6d";

std::string h(Field f, std::string_view v, ProfileId id, hashgate::Options opt = {}) {
  auto r = hashgate::hash(f, v, P(id), opt);
  return r.ok() ? *r : "!" + std::string(hashgate::code_name(r.error()));
}

hashgate::Options with(Algo a, std::optional<Encoding> e = std::nullopt) {
  hashgate::Options o;
  o.algo = a;
  o.encoding = e;
  return o;
}

TEST(SdkHash, DefaultEncodings) {
  EXPECT_EQ(h(Field::em, "USER@example.com", ProfileId::meta), k_user_sha256);
  EXPECT_EQ(h(Field::em, "USER@example.com", ProfileId::uid2), k_user_sha256_b64);
  EXPECT_EQ(h(Field::em, "USER@example.com", ProfileId::google, with(Algo::sha256, Encoding::base64)),
            k_user_sha256_b64);
  EXPECT_EQ(h(Field::em, "USER@example.com", ProfileId::uid2, with(Algo::sha256, Encoding::hex)),
            k_user_sha256);
  EXPECT_EQ(h(Field::ph, "+44 (0)20 7946 0958", ProfileId::google), k_gb_phone);
}

TEST(SdkHash, PreHashedReencodedNotRehashed) {
  std::string upper = k_user_sha256;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (auto id : {ProfileId::meta, ProfileId::google, ProfileId::liveramp}) {
    EXPECT_EQ(h(Field::em, k_user_sha256, id), k_user_sha256);
    EXPECT_EQ(h(Field::em, upper, id), k_user_sha256);
    EXPECT_EQ(h(Field::em, k_user_sha256_b64, id), k_user_sha256);
    EXPECT_EQ(h(Field::ph, k_user_sha256, id), k_user_sha256);  // any field
  }
  EXPECT_EQ(h(Field::em, std::string(" ") + k_user_sha256 + "\r", ProfileId::meta), k_user_sha256);
  EXPECT_EQ(h(Field::em, upper, ProfileId::uid2), k_user_sha256_b64);
  EXPECT_EQ(h(Field::em, k_user_sha256_b64, ProfileId::uid2), k_user_sha256_b64);
  // sha1 / md5 digests only when that algorithm is asked.
  EXPECT_EQ(h(Field::em, k_user_sha1, ProfileId::liveramp, with(Algo::sha1)), k_user_sha1);
  EXPECT_EQ(h(Field::em, k_user_md5, ProfileId::liveramp, with(Algo::md5)), k_user_md5);
  EXPECT_EQ(h(Field::em, k_user_sha1, ProfileId::meta), "!invalid_email");
}

TEST(SdkHash, AlgorithmsPerProfile) {
  EXPECT_EQ(h(Field::em, "User@Example.com", ProfileId::liveramp, with(Algo::sha1)), k_user_sha1);
  EXPECT_EQ(h(Field::em, "User@Example.com", ProfileId::liveramp, with(Algo::md5)), k_user_md5);
  EXPECT_EQ(h(Field::ph, "(650) 555-1212", ProfileId::liveramp, with(Algo::sha1)), k_lr_phone_sha1);
  EXPECT_EQ(h(Field::ph, "(650) 555-1212", ProfileId::liveramp, with(Algo::md5)), "!unsupported_algo");
  EXPECT_EQ(h(Field::em, "user@example.com", ProfileId::meta, with(Algo::sha1)), "!unsupported_algo");
  EXPECT_EQ(h(Field::em, "user@example.com", ProfileId::uid2, with(Algo::md5)), "!unsupported_algo");
  EXPECT_EQ(h(Field::fn, "Mary", ProfileId::liveramp, with(Algo::md5)), "!unsupported_algo");
}

TEST(SdkHash, Hmac) {
  const std::string key = "key";
  hashgate::Options o = with(Algo::hmac_sha256);
  EXPECT_EQ(h(Field::fn, "Mary", ProfileId::meta, o), "!missing_key");
  o.key = {reinterpret_cast<const std::uint8_t*>(key.data()), key.size()};
  EXPECT_EQ(h(Field::fn, " MARY ", ProfileId::meta, o), k_mary_hmac_key);
  // A 64-hex input is not taken as an HMAC (a keyed digest cannot be recognised): it is hashed.
  EXPECT_NE(h(Field::external_id, k_user_sha256, ProfileId::meta, o), k_user_sha256);
}

TEST(SdkHash, ErrorsPropagate) {
  EXPECT_EQ(h(Field::em, "not-an-email", ProfileId::meta), "!invalid_email");
  EXPECT_EQ(h(Field::em, "\xFF@example.com", ProfileId::meta), "!invalid_utf8");
  EXPECT_EQ(h(Field::em, std::string(2000, 'a'), ProfileId::meta), "!too_long");
  EXPECT_EQ(h(Field::em, "", ProfileId::meta), "!empty");
  EXPECT_EQ(h(Field::ph, "06 12345678", ProfileId::meta), "!phone_needs_region");
}

TEST(SdkBatch, MatchesSingleCalls) {
  const std::string buf = "USER@example.com\nbad\n\n" + std::string(k_user_sha256) + "\r\n  Jane@Example.com";
  const auto items = hashgate::hash_batch(Field::em, buf, P(ProfileId::meta));
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].error, Errc::ok);
  EXPECT_EQ(items[0].value, k_user_sha256);
  EXPECT_EQ(items[1].error, Errc::invalid_email);
  EXPECT_TRUE(items[1].value.empty());
  EXPECT_EQ(items[2].error, Errc::empty);
  EXPECT_EQ(items[3].value, k_user_sha256);
  EXPECT_EQ(items[4].value, h(Field::em, "jane@example.com", ProfileId::meta));
  // A trailing separator adds no entry; another separator works.
  EXPECT_EQ(hashgate::hash_batch(Field::em, "a@b.co\n", P(ProfileId::meta)).size(), 1u);
  EXPECT_TRUE(hashgate::hash_batch(Field::em, "", P(ProfileId::meta)).empty());
  const auto tabs = hashgate::hash_batch(Field::em, "user@example.com\tUSER@EXAMPLE.COM",
                                         P(ProfileId::uid2), {}, '\t');
  ASSERT_EQ(tabs.size(), 2u);
  EXPECT_EQ(tabs[0].value, k_user_sha256_b64);
  EXPECT_EQ(tabs[1].value, k_user_sha256_b64);
}

}  // namespace
