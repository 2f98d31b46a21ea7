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
constexpr const char* k_user_sha256 =
    "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514";
constexpr const char* k_user_sha256_b64 = "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=";
constexpr const char* k_user_sha1 = "63a710569261a24b3766275b7000ce8d7b32e2f7";  // sha1sum
constexpr const char* k_user_md5 = "b58996c504c5638798eb6b511e6f49af";           // md5sum
// printf '6505551212' | sha1sum
constexpr const char* k_lr_phone_sha1 = "f02288e672259432fe70d036212140bf2f4745af";
// printf 'mary' | openssl dgst -sha256 -hmac key
constexpr const char* k_mary_hmac_key =
    "4fc00008e8557ada897797583de5652683892f92a31797830e53baf3e1b03daa";
// printf '+442079460958' | sha256sum
constexpr const char* k_gb_phone =
    "f0bf0228144d9fe2bdf1da2d8ca698f17bf1410ee688b075c27062e47b6f0b6d";

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
  EXPECT_EQ(
      h(Field::em, "USER@example.com", ProfileId::google, with(Algo::sha256, Encoding::base64)),
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
  EXPECT_EQ(h(Field::ph, "(650) 555-1212", ProfileId::liveramp, with(Algo::md5)),
            "!unsupported_algo");
  EXPECT_EQ(h(Field::em, "user@example.com", ProfileId::meta, with(Algo::sha1)),
            "!unsupported_algo");
  EXPECT_EQ(h(Field::em, "user@example.com", ProfileId::uid2, with(Algo::md5)),
            "!unsupported_algo");
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
  const std::string buf =
      "USER@example.com\nbad\n\n" + std::string(k_user_sha256) + "\r\n  Jane@Example.com";
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

namespace {

// The vector table of docs/normalization.md; expected hashes computed independently with
//   printf '%s' "$normalized" | sha256sum
struct DocVector {
  ProfileId profile;
  Field field;
  const char* region;
  const char* input;
  const char* normalized;
  const char* sha256;
};

const DocVector k_doc_vectors[] = {
    {ProfileId::meta, Field::em, "", " John.Smith+Shop@GMAIL.com ", "john.smith+shop@gmail.com",
     "8cb9820b3ae2ac9ff5166016abe0d3af819d9775054b8654e83f2f1aef46e4f0"},
    {ProfileId::google, Field::em, "", " John.Smith+Shop@GMAIL.com ", "johnsmith@gmail.com",
     "3586de92bb3636d0885a12eff961429a32e4ebd764b96f50d85d016f9338d586"},
    {ProfileId::meta, Field::ph, "", "+44 (0)20 7946 0958", "442079460958",
     "35e206e5dec4c89b9e8b71b8c32724a5bb518483ac5a20c6617d738375b3b823"},
    {ProfileId::google, Field::ph, "", "+44 (0)20 7946 0958", "+442079460958",
     "f0bf0228144d9fe2bdf1da2d8ca698f17bf1410ee688b075c27062e47b6f0b6d"},
    {ProfileId::meta, Field::ph, "NL", "06 12345678", "31612345678",
     "e03d152bbe638d9fe7a04f9b88a67674bf15b73c0981755c16eb78d177721e03"},
    {ProfileId::google, Field::ph, "NL", "06 12345678", "+31612345678",
     "fab7be8a931d1088a82f6acf9e468aaf6a3accc07d5112ee5d6fca93281e1583"},
    {ProfileId::meta, Field::ph, "IT", "06 1234 5678", "390612345678",
     "472e1123cd4e2f66f1df06bd488dc6135dab8f80cbfcc4af144d042c005f0fb2"},
    {ProfileId::meta, Field::ph, "RU", "8 (912) 345-67-89", "79123456789",
     "dbae582ee1f37b15623829ece40b66a8eb5162337ab0a8b7cf1b86cb300391bc"},
    {ProfileId::meta, Field::ph, "HU", "06 1 234 5678", "3612345678",
     "b6e10f1a0748545c02d57d0b9a0134ebbbe262d166246766272f6e6fc08e4824"},
    {ProfileId::liveramp, Field::ph, "", "(650) 555-1212", "6505551212",
     "5eed6d50c9a69704a9a72b4af7d14d04d33e4460039e101b525f5d4f8a106a38"},
    {ProfileId::meta, Field::fn, "", "Jose\xCC\x81", "jos\xC3\xA9",
     "d994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866"},
    {ProfileId::meta, Field::ln, "", "O'Brien", "obrien",
     "b4cb6cb33fe4b865868de825023a1e2790dc12ac01ecc8d7c5afe8254071c8ba"},
    {ProfileId::google, Field::fn, "", "Dr. John", "john",
     "96d9632f363564cc3032521409cf22a852f2032eec099ed5967c0d000cec607a"},
    {ProfileId::meta, Field::ct, "", "New York", "newyork",
     "350c754ba4d38897693aa077ef43072a859d23f613443133fecbbd90a3512ca5"},
    {ProfileId::meta, Field::st, "", "California", "ca",
     "6959097001d10501ac7d54c0bdb8db61420f658f2922cc26e46d536119a31126"},
    {ProfileId::meta, Field::zp, "", "94025-1234", "94025",
     "b9a9cf3cd3723a2e91b7c23ecf68456e872b6e5d86e5cab7f3d45a7302da32c7"},
    {ProfileId::meta, Field::country, "", "Holland", "nl",
     "1843653496800edfd0d30326c82f53b0338ed408468cca4a2f1b52f2f6395fc9"},
    {ProfileId::meta, Field::country, "", "UK", "gb",
     "0b407281768f0e833afef47ed464b6571d01ca4d53c12ce5c51d1462f4ad6677"},
    {ProfileId::meta, Field::db, "", "16.02.1997", "19970216",
     "01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c"},
    {ProfileId::meta, Field::ge, "", "Male", "m",
     "62c66a7a5dd70c3146618063c344e531e6d4b59e379808443ce962b3abd63c5a"},
    {ProfileId::meta, Field::ge, "", "FEMALE", "f",
     "252f10c83610ebca1a059c0bae8255eba2f95be4d1d7bcfa89d7248a82d9f111"},
};

TEST(SdkDocVectors, NormalizationMdTable) {
  for (const auto& v : k_doc_vectors) {
    SCOPED_TRACE(v.normalized);
    hashgate::Options opt;
    if (*v.region != '\0') opt.region = *hashgate::region_by_code(v.region);
    opt.encoding = Encoding::hex;
    const auto n = hashgate::normalize(v.field, v.input, P(v.profile), opt);
    ASSERT_TRUE(n.ok()) << hashgate::code_name(n.error());
    EXPECT_EQ(*n, v.normalized);
    const auto hv = hashgate::hash(v.field, v.input, P(v.profile), opt);
    ASSERT_TRUE(hv.ok());
    EXPECT_EQ(*hv, v.sha256);
  }
}

}  // namespace

namespace {

// Cases of Google's Data Manager formatter tests (googleads/data-manager-python,
// tests/formatter_test.py), run through the google profile.
TEST(SdkGoogleFormatterCases, EmailPhoneNames) {
  const auto& g = P(ProfileId::google);
  const auto n = [&](Field f, std::string_view v) {
    auto r = hashgate::normalize(f, v, g);
    return r.ok() ? *r : "!" + std::string(hashgate::code_name(r.error()));
  };
  EXPECT_EQ(n(Field::em, "QuinnY@example.com"), "quinny@example.com");
  EXPECT_EQ(n(Field::em, "QuinnY@EXAMPLE.com"), "quinny@example.com");
  EXPECT_EQ(n(Field::em, "Jefferson.Loves.hiking@gmail.com"), "jeffersonloveshiking@gmail.com");
  EXPECT_EQ(n(Field::em, "Jefferson.LOVES.Hiking@googlemail.com"),
            "jeffersonloveshiking@googlemail.com");
  EXPECT_EQ(n(Field::em, "quinn"), "!invalid_email");
  EXPECT_EQ(n(Field::em, " @googlemail.com"), "!invalid_email");
  EXPECT_EQ(n(Field::em, " ...@gmail.com"), "!invalid_email");
  EXPECT_EQ(n(Field::em, "  "), "!empty");
  for (const char* v : {"1 800 555 0100", "18005550100", "+1 800-555-0100"})
    EXPECT_EQ(n(Field::ph, v), "+18005550100") << v;
  for (const char* v : {"441134960987", "+441134960987", "+44-113-496-0987"})
    EXPECT_EQ(n(Field::ph, v), "+441134960987") << v;
  EXPECT_EQ(n(Field::ph, " +A BCD EFG "), "!invalid_phone");
  hashgate::Options b64;
  b64.encoding = Encoding::base64;
  EXPECT_EQ(h(Field::em, "  ALEXZ@example.com   ", ProfileId::google, b64),
            "UJ6TMBm7KFoTSpM0uLtnnf950M4CPVKa9L10TUe0/Yo=");
  EXPECT_EQ(h(Field::ph, "   +1-800-555-0100", ProfileId::google, b64),
            "+09zpuxf23B31WTN0iw1VLQ85JFoVQw7EsVHt4xRezA=");
  EXPECT_EQ(h(Field::fn, "  GivenName  ", ProfileId::google),
            "128a07bfe2df877c52076e60d7774cf5baaa046c5a6c48daf30ff43ecca2f814");
  EXPECT_EQ(h(Field::ln, "  FamilyName ", ProfileId::google),
            "77762c287e61ce065bee5c15464012c6fbe088398b8057627d5577249430d574");
}

}  // namespace
