// Field rules: e-mail per profile, names, places, country, dates, gender, external_id, UTF-8.
#include <gtest/gtest.h>

#include <string>

#include "hashgate/hashgate.hpp"

namespace {

using hashgate::Errc;
using hashgate::Field;
using hashgate::ProfileId;

const hashgate::Profile& P(ProfileId id) { return hashgate::profile(id); }

// normalize() result as text, or "!" + error name.
std::string norm(Field f, std::string_view v, ProfileId id = ProfileId::meta,
                 const char* region = nullptr) {
  hashgate::Options opt;
  if (region != nullptr) opt.region = *hashgate::region_by_code(region);
  auto r = hashgate::normalize(f, v, P(id), opt);
  return r.ok() ? *r : "!" + std::string(hashgate::code_name(r.error()));
}

TEST(SdkEmail, PerProfile) {
  const std::string v = " John.Smith+Shop@GMAIL.com ";
  EXPECT_EQ(norm(Field::em, v, ProfileId::meta), "john.smith+shop@gmail.com");
  EXPECT_EQ(norm(Field::em, v, ProfileId::google), "johnsmith@gmail.com");
  EXPECT_EQ(norm(Field::em, v, ProfileId::uid2), "johnsmith@gmail.com");
  EXPECT_EQ(norm(Field::em, v, ProfileId::liveramp), "johnsmith@gmail.com");
  const std::string gm = "John.Smith+Shop@GoogleMail.com";
  EXPECT_EQ(norm(Field::em, gm, ProfileId::meta), "john.smith+shop@googlemail.com");
  EXPECT_EQ(norm(Field::em, gm, ProfileId::google), "johnsmith@googlemail.com");
  EXPECT_EQ(norm(Field::em, gm, ProfileId::uid2),
            "john.smith+shop@googlemail.com");  // gmail.com only
  EXPECT_EQ(norm(Field::em, gm, ProfileId::liveramp), "johnsmith@googlemail.com");
  const std::string other = "Jane.Doe+News@Example.ORG";
  EXPECT_EQ(norm(Field::em, other, ProfileId::meta), "jane.doe+news@example.org");
  EXPECT_EQ(norm(Field::em, other, ProfileId::google), "jane.doe+news@example.org");
  EXPECT_EQ(norm(Field::em, other, ProfileId::uid2), "jane.doe+news@example.org");
  EXPECT_EQ(norm(Field::em, other, ProfileId::liveramp), "jane.doe@example.org");
}

TEST(SdkEmail, Invalid) {
  for (const char* bad :
       {"quinn", "test@@example.com", "a@b@example.com", "@example.com", "user@localhost",
        "user@.example.com", "user@example.", "user@example..com", "jane doe@example.com",
        "jane@exa mple.com", "jane\t@example.com", "user@"}) {
    for (auto id : {ProfileId::meta, ProfileId::google, ProfileId::uid2, ProfileId::liveramp})
      EXPECT_EQ(norm(Field::em, bad, id), "!invalid_email") << bad;
  }
  // Nothing left of the local part after the gmail rules.
  EXPECT_EQ(norm(Field::em, "+tag@gmail.com", ProfileId::google), "!invalid_email");
  EXPECT_EQ(norm(Field::em, "...@gmail.com", ProfileId::uid2), "!invalid_email");
  EXPECT_EQ(norm(Field::em, "   ", ProfileId::meta), "!empty");
  EXPECT_EQ(norm(Field::em, "", ProfileId::meta), "!empty");
}

TEST(SdkEmail, InvisibleEdgesTrimmed) {
  // U+FEFF (BOM), U+00A0 and U+200B around a value are trimmed like spaces.
  EXPECT_EQ(norm(Field::em, "\xEF\xBB\xBFUser@Example.com\xC2\xA0"), "user@example.com");
  EXPECT_EQ(norm(Field::em, "\xE2\x80\x8B user@example.com \xE2\x80\x8B"), "user@example.com");
  EXPECT_EQ(norm(Field::em, "\xEF\xBB\xBF\xC2\xA0"), "!empty");
  EXPECT_EQ(norm(Field::em,
                 "us\xC2\xA0"
                 "er@example.com"),
            "!invalid_email");  // inside: invalid
  EXPECT_EQ(norm(Field::em,
                 "user@exa\xE2\x80\x8B"
                 "mple.com"),
            "!invalid_email");
}

TEST(SdkEmail, NonAsciiOnlyAsciiLowercased) {
  // Only ASCII is lowercased in e-mail addresses (UID2 rule, applied to every profile).
  EXPECT_EQ(norm(Field::em, "J\xC3\x9CRGEN@Example.DE"), "j\xC3\x9Crgen@example.de");
}

TEST(SdkEmail, DedicatedEntryPoint) {
  auto r = hashgate::normalize_email("  USER@example.com ", P(ProfileId::uid2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "user@example.com");
  EXPECT_EQ(hashgate::normalize_email("nope", P(ProfileId::meta)).error(), Errc::invalid_email);
}

TEST(SdkUtf8, Validation) {
  EXPECT_TRUE(hashgate::valid_utf8(""));
  EXPECT_TRUE(hashgate::valid_utf8("plain"));
  EXPECT_TRUE(hashgate::valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(hashgate::valid_utf8("\xF4\x8F\xBF\xBF"));                      // U+10FFFF
  EXPECT_FALSE(hashgate::valid_utf8("\xFF"));                                 // invalid byte
  EXPECT_FALSE(hashgate::valid_utf8("\x80"));                                 // lone continuation
  EXPECT_FALSE(hashgate::valid_utf8("\xC0\xAF"));                             // overlong '/'
  EXPECT_FALSE(hashgate::valid_utf8("\xC1\xBF"));                             // overlong
  EXPECT_FALSE(hashgate::valid_utf8("\xE0\x80\xAF"));                         // overlong 3-byte
  EXPECT_FALSE(hashgate::valid_utf8("\xF0\x80\x80\xAF"));                     // overlong 4-byte
  EXPECT_FALSE(hashgate::valid_utf8("\xED\xA0\x80"));                         // surrogate D800
  EXPECT_FALSE(hashgate::valid_utf8("\xED\xBF\xBF"));                         // surrogate DFFF
  EXPECT_FALSE(hashgate::valid_utf8("\xF4\x90\x80\x80"));                     // > U+10FFFF
  EXPECT_FALSE(hashgate::valid_utf8("\xE2\x82"));                             // truncated
  EXPECT_FALSE(hashgate::valid_utf8("ab\xF0\x9F\x98"));                       // truncated emoji
  EXPECT_FALSE(hashgate::valid_utf8("\xC3\x28"));                             // bad continuation
  // Every field reports invalid UTF-8 as such (never mangles it).
  for (auto f : {Field::em, Field::ph, Field::fn, Field::ct, Field::country, Field::external_id})
    EXPECT_EQ(norm(f, "jos\xC3", ProfileId::meta, "NL"), "!invalid_utf8");
}

TEST(SdkNames, MetaLowercaseNoPunctuation) {
  EXPECT_EQ(norm(Field::fn, "Mary"), "mary");
  EXPECT_EQ(norm(Field::ln, "O'Brien"), "obrien");
  EXPECT_EQ(norm(Field::ln, "Smith-Jones"), "smithjones");
  EXPECT_EQ(norm(Field::fn, "  Mary   Ann "), "maryann");
  EXPECT_EQ(norm(Field::fn, "  Mary   Ann ", ProfileId::google), "mary ann");
  EXPECT_EQ(norm(Field::fn, "  Mary   Ann ", ProfileId::liveramp), "maryann");
  EXPECT_EQ(norm(Field::fn, "J.R.R."), "jrr");
  EXPECT_EQ(norm(Field::fn, "Dr. John"), "drjohn");  // Meta keeps titles
  EXPECT_EQ(norm(Field::fn, "..."), "!empty");
}

TEST(SdkNames, UnicodeLowercase) {
  EXPECT_EQ(norm(Field::fn, "JOS\xC3\x89"), "jos\xC3\xA9");  // É → é
  EXPECT_EQ(norm(Field::ln,
                 "\xC3\x91U\xC3\x91"
                 "EZ"),
            "\xC3\xB1u\xC3\xB1"
            "ez");                                               // ÑUÑEZ
  EXPECT_EQ(norm(Field::fn, "\xC5\x81UKASZ"), "\xC5\x82ukasz");  // Łukasz
  EXPECT_EQ(norm(Field::ln, "\xC5\xA0KODA"), "\xC5\xA1koda");    // Škoda
  EXPECT_EQ(norm(Field::fn, "\xCE\x91\xCE\x9D\xCE\x9D\xCE\x91"),
            "\xCE\xB1\xCE\xBD\xCE\xBD\xCE\xB1");  // ΑΝΝΑ
  EXPECT_EQ(norm(Field::fn, "\xD0\x98\xD0\x92\xD0\x90\xD0\x9D"),
            "\xD0\xB8\xD0\xB2\xD0\xB0\xD0\xBD");  // ИВАН
  EXPECT_EQ(norm(Field::fn, "\xD0\x81\xD0\xBB\xD0\xBA\xD0\xB0"),
            "\xD1\x91\xD0\xBB\xD0\xBA\xD0\xB0");                                       // Ёлка
  EXPECT_EQ(norm(Field::ln, "M\xC3\x9CLLER"), "m\xC3\xBCller");                        // MÜLLER
  EXPECT_EQ(norm(Field::ln, "\xE5\xB1\xB1\xE7\x94\xB0"), "\xE5\xB1\xB1\xE7\x94\xB0");  // 山田 kept
}

TEST(SdkNames, NfdComposedToNfc) {
  const std::string nfc = "Jos\xC3\xA9";   // é precomposed
  const std::string nfd = "Jose\xCC\x81";  // e + U+0301
  EXPECT_EQ(norm(Field::fn, nfc), "jos\xC3\xA9");
  EXPECT_EQ(norm(Field::fn, nfd), "jos\xC3\xA9");
  EXPECT_EQ(norm(Field::ln, "Mu\xCC\x88ller"), "m\xC3\xBCller");  // u + U+0308
  EXPECT_EQ(norm(Field::ln,
                 "N\xCC\x83u\xC3\xB1"
                 "ez"),
            "\xC3\xB1u\xC3\xB1"
            "ez");
  const auto h1 = hashgate::hash(Field::fn, nfc, P(ProfileId::meta));
  const auto h2 = hashgate::hash(Field::fn, nfd, P(ProfileId::meta));
  ASSERT_TRUE(h1.ok() && h2.ok());
  EXPECT_EQ(*h1, *h2);
}

TEST(SdkNames, EmojiAndSymbolsDropped) {
  EXPECT_EQ(norm(Field::fn, "Anna \xF0\x9F\x98\x80"), "anna");  // 😀
  EXPECT_EQ(norm(Field::fn, "Anna \xF0\x9F\x98\x80 Lena", ProfileId::google), "anna lena");
  EXPECT_EQ(norm(Field::fn, "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB Eva"),
            "eva");                                                  // 👩‍💻
  EXPECT_EQ(norm(Field::fn, "\xE2\x9D\xA4\xEF\xB8\x8F"), "!empty");  // ❤️ only
  EXPECT_EQ(norm(Field::ln,
                 "D\xE2\x80\x99"
                 "Angelo"),
            "dangelo");  // ’ apostrophe
}

// Cases of Meta's parameter builder tests (facebook/capi-param-builder,
// php/capi-param-builder/tests/PIIUtilsTest.php).
TEST(SdkMetaParamBuilderCases, Fields) {
  EXPECT_EQ(norm(Field::em, "  John.Doe@Example.COM  "), "john.doe@example.com");
  EXPECT_EQ(norm(Field::em, "  Test.User+Tag@EXAMPLE.COM  "), "test.user+tag@example.com");
  EXPECT_EQ(norm(Field::em, "invalid-email"), "!invalid_email");
  EXPECT_EQ(norm(Field::ph, "+1 (555) 123-4567"), "15551234567");
  EXPECT_EQ(norm(Field::db, "01/15/1990"), "19900115");
  EXPECT_EQ(norm(Field::db, "invalid-date"), "!invalid_date");
  EXPECT_EQ(norm(Field::ge, "  Male  "), "m");
  EXPECT_EQ(norm(Field::ge, "  Female  "), "f");
  EXPECT_EQ(norm(Field::ge, "unknown"), "!invalid_gender");
  EXPECT_EQ(norm(Field::fn, "  John Smith  "), "johnsmith");
  EXPECT_EQ(norm(Field::ln, "  Mary Johnson  "), "maryjohnson");
  EXPECT_EQ(norm(Field::ct, "  New York  "), "newyork");
  EXPECT_EQ(norm(Field::ct, "  San Francisco  "), "sanfrancisco");
  EXPECT_EQ(norm(Field::st, "  California  "), "ca");
  EXPECT_EQ(norm(Field::st, "  New York  "), "ny");
  EXPECT_EQ(norm(Field::country, "  United States  "), "us");
  EXPECT_EQ(norm(Field::country, "  Germany  "), "de");
  EXPECT_EQ(norm(Field::zp, "  12345-6789  "), "12345");
  EXPECT_EQ(norm(Field::zp, "  90210-1234  "), "90210");
  // Deliberate difference: the param builder lowercases external_id ("User123" → "user123");
  // we keep it byte for byte (see docs/normalization.md).
  EXPECT_EQ(norm(Field::external_id, "  User123  "), "User123");
}

TEST(SdkNames, GoogleStripsPrefixesAndSuffixes) {
  EXPECT_EQ(norm(Field::fn, "Dr. John", ProfileId::google), "john");
  EXPECT_EQ(norm(Field::fn, "MRS Jane", ProfileId::google), "jane");
  EXPECT_EQ(norm(Field::ln, "Smith Jr.", ProfileId::google), "smith");
  EXPECT_EQ(norm(Field::ln, "Doe III", ProfileId::google), "doe");
  EXPECT_EQ(norm(Field::ln, "Mr. Smith Sr.", ProfileId::google), "smith");
  EXPECT_EQ(norm(Field::fn, "Dr", ProfileId::google), "dr");  // a lone word is kept
  EXPECT_EQ(norm(Field::fn, "Ms", ProfileId::google), "ms");
  EXPECT_EQ(norm(Field::fn, "Sri", ProfileId::google), "sri");
}

TEST(SdkPlaces, CityStateZip) {
  EXPECT_EQ(norm(Field::ct, "New York"), "newyork");
  EXPECT_EQ(norm(Field::ct, "St. Louis"), "stlouis");
  EXPECT_EQ(norm(Field::ct, "Paris 75001"), "paris");  // digits dropped (Meta SDK)
  EXPECT_EQ(norm(Field::ct, "123"), "!empty");
  EXPECT_EQ(norm(Field::ct, "S\xC3\xA3o Paulo"), "s\xC3\xA3opaulo");
  EXPECT_EQ(norm(Field::ct, "'s-Hertogenbosch"), "shertogenbosch");
  EXPECT_EQ(norm(Field::st, "California"), "ca");
  EXPECT_EQ(norm(Field::st, "CA"), "ca");
  EXPECT_EQ(norm(Field::st, " new york "), "ny");
  EXPECT_EQ(norm(Field::st, "District of Columbia"), "dc");
  EXPECT_EQ(norm(Field::st, "Noord-Holland"), "noordholland");
  EXPECT_EQ(norm(Field::zp, "94025-1234"), "94025");
  EXPECT_EQ(norm(Field::zp, "940251234"), "94025");
  EXPECT_EQ(norm(Field::zp, "94025"), "94025");
  EXPECT_EQ(norm(Field::zp, "SW1A 1AA"), "sw1a1aa");
  EXPECT_EQ(norm(Field::zp, "1012 AB"), "1012ab");
  EXPECT_EQ(norm(Field::zp, "94025 1234", ProfileId::meta, "US"), "94025");
  EXPECT_EQ(norm(Field::zp, "ABCDE", ProfileId::meta, "US"), "!invalid_value");
  EXPECT_EQ(norm(Field::zp, "1234#5"), "!invalid_value");
}

TEST(SdkCountry, CodesAndNames) {
  EXPECT_EQ(norm(Field::country, "United States"), "us");
  EXPECT_EQ(norm(Field::country, "US"), "us");
  EXPECT_EQ(norm(Field::country, "usa"), "us");
  EXPECT_EQ(norm(Field::country, "United States of America"), "us");
  EXPECT_EQ(norm(Field::country, "UK"), "gb");
  EXPECT_EQ(norm(Field::country, "United Kingdom"), "gb");
  EXPECT_EQ(norm(Field::country, "Holland"), "nl");
  EXPECT_EQ(norm(Field::country, "the Netherlands"), "nl");
  EXPECT_EQ(norm(Field::country, "Netherlands"), "nl");
  EXPECT_EQ(norm(Field::country, "C\xC3\xB4te d'Ivoire"), "ci");
  EXPECT_EQ(norm(Field::country, "\xC3\x85land Islands"), "ax");
  EXPECT_EQ(norm(Field::country, "Bosnia and Herzegovina"), "ba");
  EXPECT_EQ(norm(Field::country, "Korea, Republic of"), "kr");
  EXPECT_EQ(norm(Field::country, "Thailand"), "th");
  EXPECT_EQ(norm(Field::country, "Germany"), "de");
  EXPECT_EQ(norm(Field::country, "zw"), "zw");
  const std::pair<const char*, const char*> more[] = {
      {"Viet Nam", "vn"},
      {"Vietnam", "vn"},
      {"South Korea", "kr"},
      {"North Korea", "kp"},
      {"North Macedonia", "mk"},
      {"Czechia", "cz"},
      {"Czech Republic", "cz"},
      {"T\xC3\xBCrkiye", "tr"},
      {"Saint Kitts and Nevis", "kn"},
      {"Guinea-Bissau", "gw"},
      {"Timor-Leste", "tl"},
      {"Burma", "mm"},
      {"Eswatini", "sz"},
      {"R\xC3\xA9union", "re"},
      {"Cura\xC3\xA7"
       "ao",
       "cw"},
      {"S\xC3\xA3o Tom\xC3\xA9 and Pr\xC3\xADncipe", "st"},
      {"Congo", "cg"},
      {"DR Congo", "cd"},
      {"Great Britain", "gb"},
      {"ENGLAND", "gb"},
      {"Russia", "ru"},
      {"Iran", "ir"},
      {"Syria", "sy"},
      {"Bolivia", "bo"},
      {"Zimbabwe", "zw"},
      {"Aland Islands", "ax"},
      {"Falkland Islands (Malvinas)", "fk"},
      {"Holy See", "va"},
      {"United Arab Emirates", "ae"},
      {"Papua New Guinea", "pg"},
      {"Andorra", "ad"}};
  for (const auto& [name, code] : more) EXPECT_EQ(norm(Field::country, name), code) << name;
  EXPECT_EQ(norm(Field::country, "Atlantis"), "!invalid_country");
  EXPECT_EQ(norm(Field::country, "XX"), "!invalid_country");
  EXPECT_EQ(norm(Field::country, "\xD0\xA0\xD0\xA4"), "!invalid_country");  // Cyrillic "РФ"
}

TEST(SdkDate, Layouts) {
  for (const char* v : {"1997-02-16", "19970216", "2/16/1997", "02/16/1997", "16.02.1997",
                        "16-02-1997", "16/02/1997", "1997/02/16", "1997.2.16", " 1997-02-16 "})
    EXPECT_EQ(norm(Field::db, v), "19970216") << v;
  EXPECT_EQ(norm(Field::db, "02/03/1997"), "19970203");  // ambiguous slash date: US M/D/Y
  EXPECT_EQ(norm(Field::db, "02.03.1997"), "19970302");  // dots: D.M.Y
  EXPECT_EQ(norm(Field::db, "2000-02-29"), "20000229");
  EXPECT_EQ(norm(Field::db, "1900-01-01"), "19000101");
  EXPECT_EQ(norm(Field::db, "2024-12-31"), "20241231");  // a past date (tests run after 2024)
  for (const char* v : {"1997-02-30", "1900-02-29", "2023-02-29", "13/13/1997", "1997-13-01",
                        "1997-00-10", "97-02-16", "16/02/97", "abc", "1997-02-16T00:00",
                        "1997-02/16", "0000-01-01", "199702160", "1899-12-31", "2199-01-01"})
    EXPECT_EQ(norm(Field::db, v), "!invalid_date") << v;
}

TEST(SdkGender, Values) {
  EXPECT_EQ(norm(Field::ge, "Male"), "m");
  EXPECT_EQ(norm(Field::ge, "m"), "m");
  EXPECT_EQ(norm(Field::ge, "FEMALE"), "f");
  EXPECT_EQ(norm(Field::ge, " f "), "f");
  EXPECT_EQ(norm(Field::ge, "x"), "!invalid_gender");
  EXPECT_EQ(norm(Field::ge, "woman"), "!invalid_gender");
}

TEST(SdkExternalId, TrimmedKeptAsIs) {
  EXPECT_EQ(norm(Field::external_id, "  AbC-123_x \n"), "AbC-123_x");
  EXPECT_EQ(norm(Field::external_id, "a b"), "a b");
}

TEST(SdkProfiles, Uid2OnlyEmailAndPhone) {
  EXPECT_EQ(norm(Field::fn, "Mary", ProfileId::uid2), "!unsupported_field");
  EXPECT_EQ(norm(Field::country, "US", ProfileId::uid2), "!unsupported_field");
}

TEST(SdkLimits, TooLongAndEmpty) {
  const std::string ok(hashgate::k_max_input_bytes, 'a');
  const std::string big(hashgate::k_max_input_bytes + 1, 'a');
  EXPECT_EQ(norm(Field::external_id, ok), ok);
  EXPECT_EQ(norm(Field::external_id, big), "!too_long");
  EXPECT_EQ(norm(Field::em, big), "!too_long");
  EXPECT_EQ(norm(Field::ph, big), "!too_long");
  for (auto f : {Field::em, Field::ph, Field::fn, Field::ln, Field::db, Field::ge, Field::ct,
                 Field::st, Field::zp, Field::country, Field::external_id})
    EXPECT_EQ(norm(f, " \t\r\n"), "!empty");
}

}  // namespace
