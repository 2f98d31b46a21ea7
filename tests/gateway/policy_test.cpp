// Unit tests of the PII guard and identifier checks (gateway/policy).
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/policy/optout.hpp"
#include "gateway/policy/pii_guard.hpp"

#include <hashgate/hashgate.hpp>

using namespace hashgate::gw::policy;

// Digests computed independently: printf %s test@example.com | sha256sum / sha1sum / md5sum,
// and `openssl dgst -sha256 -binary | base64` (cross-checked with node:crypto).
static const char* k_sha256_hex =
    "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
static const char* k_sha256_b64 = "lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=";
static const char* k_sha1_hex = "567159d622ffbb50b11b0efd307be358624a26ee";
static const char* k_md5_hex = "55502f40dc8b7c769880b10874abc9d0";

TEST(GatewayPolicy, FindsPlainEmails) {
  for (const char* s :
       {"john@example.com", "mail me: John.Doe+tag@Example.CO.UK!", "a@b.nl",
        "x=1&email=john%40example.com", "https://shop.example/?e=john%2540example.com",
        "john＠example.com", "q=jane.doe%40mail.example.org&x=2", "name+tag%40x.io"})
    EXPECT_EQ(find_pii(s), PiiKind::email) << "case index with length " << std::string(s).size();
}

TEST(GatewayPolicy, FastPathAgreesWithTheFoldingPath) {
  // find_pii skips the look-alike fold and the decodes for strings that need none. A leading
  // "\xEF " forces the folding path (0xEF starts no fold without its two continuation bytes) and
  // is neutral for both detectors (a space before a token is a boundary), so the two answers must
  // agree on every input. Random strings over an alphabet dense in PII syntax; fixed seed.
  const std::vector<std::string> atoms = {
      "@",        ".",    "-",    "+",       "%",  "%40", "%2B",
      "%25",      "0",    "1",    "3",       "6",  "9",   "00",
      "31",       "44",   "(",    ")",       " ",  "/",   "a",
      "Z",        "com",  "nl",   "example", "_",  "=",   "\xEF\xBC\xA0",
      "\xC3\xA9", "\xEF", "tel:", "+316",    "555"};
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  std::size_t found = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s;
    for (std::size_t n = next() % 12; n > 0; --n) s += atoms[next() % atoms.size()];
    const PiiKind fast = find_pii(s);
    ASSERT_EQ(fast, find_pii("\xEF " + s)) << "case " << i;
    found += fast != PiiKind::none;
  }
  EXPECT_GT(found, 500u);  // the alphabet does produce e-mails and phones
}

TEST(GatewayPolicy, FindsPhones) {
  for (const char* s : {"+31612345678", "+44 (0)20 7946 0958", "(555) 123-4567", "415.555.2671",
                        "0612345678", "06-12345678", "tel:+14155552671", "phone=0031612345678&x=1",
                        "31612345678", "call 020 794 60958 now", "%2B31612345678", "4155552671"})
    EXPECT_EQ(find_pii(s), PiiKind::phone) << "length " << std::string(s).size();
}

TEST(GatewayPolicy, LeavesOrdinaryValuesAlone) {
  for (const char* s : {"fb.1.1764374400123.1234567890", "GA1.2.1234567890.1764374400", "purchase",
                        "EUR", "2026-11-29", "2026-11-29T01:00:00Z", "192.168.100.200",
                        "order-10023", "https://shop.example/checkout?step=2", "1764374400",
                        "59.95", "550e8400-e29b-41d4-a716-446655440000", k_sha256_hex, k_sha256_b64,
                        "@home", "user@localhost", "v1.2.3"})
    EXPECT_EQ(find_pii(s), PiiKind::none) << s;
}

TEST(GatewayPolicy, IntegersThatLookLikePhones) {
  EXPECT_EQ(find_pii_in_integer("31612345678"), PiiKind::phone);
  EXPECT_EQ(find_pii_in_integer("4155552671"), PiiKind::phone);
  EXPECT_EQ(find_pii_in_integer("1764374400"), PiiKind::none);     // unix time
  EXPECT_EQ(find_pii_in_integer("1764374400123"), PiiKind::none);  // unix ms
}

TEST(GatewayPolicy, CanonicalDigests) {
  std::string upper = k_sha256_hex;
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(canonical_digest(k_sha256_hex, 32).value(), k_sha256_hex);
  EXPECT_EQ(canonical_digest(upper, 32).value(), k_sha256_hex);
  EXPECT_EQ(canonical_digest(k_sha256_b64, 32).value(), k_sha256_hex);
  EXPECT_EQ(canonical_digest(k_sha1_hex, 20).value(), k_sha1_hex);
  EXPECT_EQ(canonical_digest(k_md5_hex, 16).value(), k_md5_hex);
  EXPECT_FALSE(canonical_digest(k_md5_hex, 32));
  EXPECT_FALSE(canonical_digest(std::string(k_sha256_hex).substr(1), 32));
  EXPECT_FALSE(canonical_digest(std::string(k_sha256_hex).replace(3, 1, "g"), 32));
  EXPECT_FALSE(canonical_digest("lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs", 32));   // no padding
  EXPECT_FALSE(canonical_digest("lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgT*=", 32));  // bad char
  EXPECT_FALSE(
      canonical_digest("lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTt=", 32));  // non-canonical
  EXPECT_FALSE(canonical_digest("test@example.com", 32));
  // is_digest answers the same question without building the hex.
  const std::string upper2 = [] {
    std::string u = k_sha256_hex;
    for (auto& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
  }();
  for (const std::string& s :
       {std::string(k_sha256_hex), upper2, std::string(k_sha256_b64), std::string(k_sha1_hex),
        std::string(k_md5_hex), std::string(k_sha256_hex).substr(1),
        std::string(k_sha256_hex).replace(3, 1, "g"), std::string(" ") + k_sha256_hex,
        std::string("lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTt="),
        std::string("test@example.com"), std::string()})
    for (std::size_t bytes : {16u, 20u, 32u, 0u, 65u})
      EXPECT_EQ(is_digest(s, bytes), canonical_digest(s, bytes).has_value()) << s << " " << bytes;
}

TEST(GatewayPolicy, OnlineIds) {
  EXPECT_TRUE(valid_online_id("fb.1.1764374400123.1234567890"));
  EXPECT_TRUE(valid_online_id("a:b=c/d+e-f_g"));
  EXPECT_TRUE(valid_online_id(std::string(200, 'a')));
  EXPECT_FALSE(valid_online_id(std::string(201, 'a')));
  EXPECT_FALSE(valid_online_id(""));
  EXPECT_FALSE(valid_online_id("a b"));
  EXPECT_FALSE(valid_online_id("a@b"));
  EXPECT_FALSE(valid_online_id("é"));
}

TEST(GatewayPolicy, Utf8) {
  EXPECT_TRUE(hashgate::valid_utf8("plain"));
  EXPECT_TRUE(hashgate::valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_FALSE(hashgate::valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(hashgate::valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(hashgate::valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(hashgate::valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(hashgate::valid_utf8("\xFF"));
}

TEST(GatewayPolicy, PercentDecode) {
  EXPECT_EQ(percent_decode("a%40b+c%zz", false), "a@b+c%zz");
  EXPECT_EQ(percent_decode("a%40b+c", true), "a@b c");
  EXPECT_EQ(percent_decode("%4", false), "%4");
}

TEST(GatewayPolicy, RequestDropReason) {
  EXPECT_EQ(request_drop_reason({true, true}, true), DropReason::opted_out);
  EXPECT_EQ(request_drop_reason({false, true}, true), DropReason::gpc);
  EXPECT_EQ(request_drop_reason({false, true}, false), DropReason::none);
  EXPECT_EQ(request_drop_reason({false, false}, true), DropReason::none);
  EXPECT_EQ(drop_reason_name(DropReason::suppressed), "suppressed");
}
