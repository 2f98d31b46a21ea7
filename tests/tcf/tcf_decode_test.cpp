// TCF decoder tests: every row of the official vectors (tests/vectors/tcf.tsv), padding and
// alphabet tolerance, and malformed, truncated and hostile strings.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tcf/tc_string.hpp"
#include "tcf_test_util.hpp"

namespace hashgate::tcf {
namespace {

using test::BitWriter;
using test::core_header;

struct VectorRow {
  std::string tc;
  std::string expected;
  std::string source;
};

std::vector<VectorRow> load_vectors() {
  std::ifstream in(std::string(HASHGATE_VECTORS_DIR) + "/tcf.tsv");
  std::vector<VectorRow> rows;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    if (line.empty()) continue;
    std::stringstream ss(line);
    VectorRow row;
    std::getline(ss, row.tc, '\t');
    std::getline(ss, row.expected, '\t');
    std::getline(ss, row.source, '\t');
    rows.push_back(row);
  }
  return rows;
}

std::string set_text(const IdSet& s) {
  std::string out = "{";
  const auto v = s.to_vector();
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(v[i]);
  }
  return out + "}";
}

/// Normalises a vector value: "{1-3,7}" → "{1,2,3,7}"; other values unchanged.
std::string normalise_value(const std::string& v) {
  if (v.size() < 2 || v.front() != '{') return v;
  std::set<int> ids;
  std::stringstream ss(v.substr(1, v.size() - 2));
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto dash = item.find('-');
    if (dash == std::string::npos) {
      ids.insert(std::stoi(item));
    } else {
      for (int i = std::stoi(item.substr(0, dash)); i <= std::stoi(item.substr(dash + 1)); ++i) {
        ids.insert(i);
      }
    }
  }
  std::string out = "{";
  bool first = true;
  for (int id : ids) {
    if (!first) out += ',';
    out += std::to_string(id);
    first = false;
  }
  return out + "}";
}

/// The decoded value for a key of the vectors file, in the file's notation; "?" when unknown.
std::string field_text(const TcString& tc, const std::string& key) {
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  if (key == "version") return std::to_string(tc.version);
  if (key == "created") return format_tc_time(tc.created_ds);
  if (key == "last_updated") return format_tc_time(tc.last_updated_ds);
  if (key == "cmp_id") return std::to_string(tc.cmp_id);
  if (key == "cmp_version") return std::to_string(tc.cmp_version);
  if (key == "consent_screen") return std::to_string(tc.consent_screen);
  if (key == "vendor_list_version") return std::to_string(tc.vendor_list_version);
  if (key == "policy_version") return std::to_string(tc.policy_version);
  if (key == "language" || key == "consent_language") return tc.consent_language;
  if (key == "publisher_cc") return tc.publisher_cc;
  if (key == "service_specific" || key == "is_service_specific") return b(tc.is_service_specific);
  if (key == "purpose_one_treatment") return b(tc.purpose_one_treatment);
  if (key == "special_features") return set_text(tc.special_feature_optins);
  if (key == "purposes_consent") return set_text(tc.purposes_consent);
  if (key == "purposes_li") return set_text(tc.purposes_li);
  if (key == "vendor_consent") return set_text(tc.vendor_consent);
  if (key == "vendor_li") return set_text(tc.vendor_li);
  if (key == "disclosed_vendors") return set_text(tc.disclosed_vendors);
  if (key == "segment 2") return set_text(tc.allowed_vendors);
  return "?";
}

TEST(TcfVectors, EveryRowOfTheOfficialFileDecodesToItsExpectedFields) {
  const auto rows = load_vectors();
  ASSERT_GE(rows.size(), 5U) << "tcf.tsv not found or short under " << HASHGATE_VECTORS_DIR;
  // key[=key2](optional note)=value, e.g. "created=last_updated=2025-06-03",
  // "vendor_consent (range)={127}", "segment 2 (legacy AllowedVendors)={12,23}".
  const std::regex item(R"((segment 2|[a-z_]+(?:=[a-z_]+)*)(?:\s*\([^)]*\))?=(\{[^}]*\}|[^\s]+))");
  for (const auto& row : rows) {
    SCOPED_TRACE(row.source + " / " + row.tc.substr(0, 12));
    const auto r = decode_tc_string(row.tc);
    ASSERT_TRUE(r.ok()) << r.error;
    int checked = 0;
    for (auto it = std::sregex_iterator(row.expected.begin(), row.expected.end(), item);
         it != std::sregex_iterator(); ++it) {
      const std::string keys = (*it)[1];
      const std::string value = normalise_value((*it)[2]);
      std::stringstream ks(keys);
      std::string key;
      while (std::getline(ks, key, '=')) {
        std::string got = field_text(*r.tc, key);
        ASSERT_NE(got, "?") << "vector key not understood by the test: " << key;
        // A date without a time compares with the date part of the ISO timestamp.
        if (value.size() == 10 && value[4] == '-' && got.size() > 10) got = got.substr(0, 10);
        EXPECT_EQ(got, value) << "field " << key;
        ++checked;
      }
    }
    if (row.expected.find("publisher_tc all zero") != std::string::npos) {
      ASSERT_TRUE(r.tc->publisher_tc.has_value());
      EXPECT_TRUE(r.tc->publisher_tc->purposes_consent.empty());
      EXPECT_TRUE(r.tc->publisher_tc->purposes_li.empty());
      EXPECT_EQ(r.tc->publisher_tc->num_custom_purposes, 0);
      ++checked;
    }
    EXPECT_GE(checked, 2) << "too few fields checked for this row";
  }
}

TEST(TcfVectors, JsonHasEveryPinnedKey) {
  const auto rows = load_vectors();
  ASSERT_FALSE(rows.empty());
  const auto r = decode_tc_string(rows.back().tc);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto j = nlohmann::json::parse(tc_string_to_json(*r.tc));
  for (const char* k :
       {"version", "created", "last_updated", "cmp_id", "cmp_version", "consent_screen",
        "consent_language", "vendor_list_version", "policy_version", "is_service_specific",
        "use_non_standard_texts", "purpose_one_treatment", "publisher_cc"}) {
    EXPECT_TRUE(j.contains(k) && j[k].is_primitive()) << k;
  }
  for (const char* k :
       {"special_feature_optins", "purposes_consent", "purposes_li", "vendor_consent", "vendor_li",
        "disclosed_vendors", "publisher_restrictions"}) {
    EXPECT_TRUE(j.contains(k) && j[k].is_array()) << k;
  }
  EXPECT_EQ(j["created"], "2025-06-03T00:00:00Z");
  EXPECT_EQ(j["disclosed_vendors"], nlohmann::json({1, 2, 3, 4, 5, 100, 404}));
  EXPECT_TRUE(j["publisher_tc"].is_object());
}

TEST(TcfDecode, IsoDatesMatchKnownEpochs) {
  // Known epochs (checked with `date -u -d @N`).
  EXPECT_EQ(format_iso8601_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601_utc(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_iso8601_utc(1696118399), "2023-09-30T23:59:59Z");
  EXPECT_EQ(format_iso8601_utc(6871947673), "2187-10-06T10:21:13Z");  // (2^36-1)/10
  EXPECT_EQ(format_tc_time(15800580600), "2020-01-26T17:01:00Z");
  EXPECT_EQ(format_tc_time(15800580607), "2020-01-26T17:01:00.700Z");
}

TEST(TcfDecode, PaddingAndStandardBase64CharactersAreTolerated) {
  const std::string s = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA";
  const auto plain = decode_tc_string(s);
  ASSERT_TRUE(plain.ok());
  const auto padded = decode_tc_string(s + "==");
  ASSERT_TRUE(padded.ok()) << padded.error;
  EXPECT_EQ(tc_string_to_json(*padded.tc), tc_string_to_json(*plain.tc));
  std::string std64 = s;
  std::replace(std64.begin(), std64.end(), '_', '/');
  std::replace(std64.begin(), std64.end(), '-', '+');
  const auto alt = decode_tc_string(std64);
  ASSERT_TRUE(alt.ok()) << alt.error;
  EXPECT_EQ(tc_string_to_json(*alt.tc), tc_string_to_json(*plain.tc));
}

void expect_error(const std::string& s, const std::string& fragment) {
  const auto r = decode_tc_string(s);
  EXPECT_FALSE(r.ok()) << "accepted: " << fragment;
  EXPECT_NE(r.error.find(fragment), std::string::npos) << "reason was: " << r.error;
}

TEST(TcfDecode, RejectsEmptyBadAlphabetAndBadStructure) {
  const std::string good = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA";
  expect_error("", "empty");
  expect_error("COtybn4PA zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA", "base64");
  expect_error("COtybn4PA!zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA", "base64");
  expect_error("COtybn4P=A_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA", "base64");
  expect_error(good + ".", "empty segment");
  expect_error("." + good, "empty segment");
  expect_error(good + "..IBAgAAAgAIAwgAgAAAAEAAAACA", "empty segment");
  expect_error(good + ".IBAgAAAgAIAwgAgAAAAEAAAACA.IBAgAAAgAIAwgAgAAAAEAAAACA", "duplicate");
  expect_error(good + ".oAAAAAAA", "unknown segment");  // segment type 5
  expect_error(good + ".AAAAAAAA", "unknown segment");  // segment type 0 (a second core)
  expect_error(good + ".IA.IA.IA.IA", "too many segments");
  expect_error(std::string(k_tcf_max_string_length + 1, 'A'), "too long");
  expect_error("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA", "version");  // a TCF v1.1 string
}

TEST(TcfDecode, EveryTruncationOfEveryVectorIsAnErrorOrAValidDecodeNeverACrash) {
  for (const auto& row : load_vectors()) {
    const std::string core = row.tc.substr(0, row.tc.find('.'));
    for (std::size_t n = 1; n < core.size(); ++n) {
      const auto r = decode_tc_string(core.substr(0, n));
      // The fixed core fields need 213 bits (36 characters); shorter is always truncated.
      if (n * 6 < 213) {
        EXPECT_FALSE(r.ok()) << n;
        EXPECT_NE(r.error.find("truncated"), std::string::npos) << r.error;
      } else if (!r.ok()) {
        EXPECT_NE(r.error.find("truncated"), std::string::npos) << r.error;
      }
    }
    EXPECT_TRUE(decode_tc_string(row.tc).ok());
  }
}

TEST(TcfDecode, ReasonsNameTheFieldAndNeverEchoTheInput) {
  const auto r = decode_tc_string("COtybn4PA_zT4KjACBENAPCIAEBA");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.find("COty"), std::string::npos);
  EXPECT_NE(r.error.find(':'), std::string::npos);  // "truncated: <field>"
}

TEST(TcfDecode, RangeEncodingRejectsVendorZeroReversedAndOverflowingRanges) {
  auto range_core = [](int max_id, bool is_range, int first, int last) {
    BitWriter w = core_header();
    w.put(static_cast<unsigned>(max_id), 16).put(1, 1).put(1, 12);
    w.put(is_range ? 1 : 0, 1).put(static_cast<unsigned>(first), 16);
    if (is_range) w.put(static_cast<unsigned>(last), 16);
    w.put(0, 16).put(0, 1).put(0, 12);  // vendor_li: empty bitfield; no restrictions
    return w.str();
  };
  const auto ok = decode_tc_string(range_core(10, true, 3, 10));
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.tc->vendor_consent.to_vector(), (std::vector<int>{3, 4, 5, 6, 7, 8, 9, 10}));
  expect_error(range_core(10, false, 0, 0), "vendor id 0: vendor_consent");
  expect_error(range_core(10, true, 0, 4), "vendor id 0: vendor_consent");
  expect_error(range_core(10, true, 7, 3), "range end before start: vendor_consent");
  expect_error(range_core(10, true, 3, 11), "range overflow: vendor_consent");
  expect_error(range_core(10, false, 11, 11), "range overflow: vendor_consent");
}

TEST(TcfDecode, AbsurdMaxVendorIdWithoutBitsIsTruncatedNotAllocated) {
  BitWriter w = core_header();
  w.put(65535, 16).put(0, 1).field(100, {1});  // promises 65535 bits, carries 100
  expect_error(w.str(), "truncated: vendor_consent");
}

TEST(TcfDecode, HostileRangesAreBoundedByTheFormat) {
  // 4095 ranges each covering every id: the work is bounded by the string length.
  BitWriter w = core_header();
  w.put(65535, 16).put(1, 1).put(4095, 12);
  for (int i = 0; i < 4095; ++i) w.put(1, 1).put(1, 16).put(65535, 16);
  w.put(0, 16).put(0, 1).put(0, 12);
  const auto r = decode_tc_string(w.str());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.tc->vendor_consent.to_vector().size(), 65535U);
  EXPECT_TRUE(r.tc->vendor_consent.contains(65535));
  EXPECT_FALSE(r.tc->vendor_consent.contains(65536));
}

TEST(TcfDecode, PublisherRestrictionsAreMergedAndValidated) {
  auto with_restrictions = [](const std::vector<std::array<int, 4>>& rs) {
    BitWriter w = core_header();
    w.put(0, 16).put(0, 1).put(0, 16).put(0, 1);  // empty vendor sections
    w.put(rs.size(), 12);
    for (const auto& [purpose, type, first, last] : rs) {
      w.put(static_cast<unsigned>(purpose), 6).put(static_cast<unsigned>(type), 2).put(1, 12);
      w.put(first != last ? 1 : 0, 1).put(static_cast<unsigned>(first), 16);
      if (first != last) w.put(static_cast<unsigned>(last), 16);
    }
    return w.str();
  };
  const auto r = decode_tc_string(with_restrictions({{2, 1, 8, 8}, {2, 1, 20, 22}, {7, 0, 5, 5}}));
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.tc->publisher_restrictions.size(), 2U);
  EXPECT_EQ(r.tc->publisher_restrictions[0].purpose, 2);
  EXPECT_EQ(r.tc->publisher_restrictions[0].type, 1);
  EXPECT_EQ(r.tc->publisher_restrictions[0].vendors.to_vector(), (std::vector<int>{8, 20, 21, 22}));
  EXPECT_EQ(publisher_restriction_types(*r.tc, 21, 2), 2U);
  EXPECT_EQ(publisher_restriction_types(*r.tc, 5, 7), 1U);
  EXPECT_EQ(publisher_restriction_types(*r.tc, 5, 2), 0U);
  const auto j = nlohmann::json::parse(tc_string_to_json(*r.tc));
  EXPECT_EQ(j["publisher_restrictions"][1],
            nlohmann::json({{"purpose", 7}, {"type", 0}, {"vendors", {5}}}));
  expect_error(with_restrictions({{2, 3, 8, 8}}), "bad restriction type");
  expect_error(with_restrictions({{0, 1, 8, 8}}), "purpose id 0");
  expect_error(with_restrictions({{2, 1, 0, 0}}), "vendor id 0: publisher_restrictions");
  expect_error(with_restrictions({{2, 1, 9, 4}}), "range end before start");
}

TEST(TcfDecode, BadLettersAreRejected) {
  BitWriter w;
  w.put(2, 6).put(0, 36).put(0, 36).put(1, 12).put(1, 12).put(0, 6).put(26, 6).put(0, 6);
  for (int i = 0; i < 20; ++i) w.put(0, 16);
  expect_error(w.str(), "bad letter: consent_language");
}

TEST(TcfDecode, PublisherTcSegmentWithCustomPurposes) {
  BitWriter core = core_header();
  core.put(0, 16).put(0, 1).put(0, 16).put(0, 1).put(0, 12);
  BitWriter pub;
  pub.put(3, 3).field(24, {1, 4}).field(24, {2}).put(3, 6).field(3, {1, 3}).field(3, {2});
  const auto r = decode_tc_string(core.str() + "." + pub.str());
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_TRUE(r.tc->publisher_tc.has_value());
  EXPECT_EQ(r.tc->publisher_tc->purposes_consent.to_vector(), (std::vector<int>{1, 4}));
  EXPECT_EQ(r.tc->publisher_tc->purposes_li.to_vector(), (std::vector<int>{2}));
  EXPECT_EQ(r.tc->publisher_tc->num_custom_purposes, 3);
  EXPECT_EQ(r.tc->publisher_tc->custom_purposes_consent.to_vector(), (std::vector<int>{1, 3}));
  EXPECT_EQ(r.tc->publisher_tc->custom_purposes_li.to_vector(), (std::vector<int>{2}));
  BitWriter short_pub;
  short_pub.put(3, 3).field(24, {}).field(24, {}).put(63, 6);  // 63 custom purposes, no bits
  expect_error(core.str() + "." + short_pub.str().substr(0, 10), "truncated: publisher_tc");
}

TEST(TcfDecode, RandomGarbageNeverCrashes) {
  std::mt19937 rng(20261129);
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/";
  const std::string seed = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA";
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      const std::size_t len = rng() % 200;
      for (std::size_t k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
    } else {
      s = seed;  // mutate a valid string: flip characters
      for (int k = 0; k < 3; ++k) s[rng() % s.size()] = alphabet[rng() % 64];
    }
    const auto r = decode_tc_string(s);
    if (r.ok()) {
      ++accepted;
      EXPECT_TRUE(nlohmann::json::accept(tc_string_to_json(*r.tc)));
    } else {
      EXPECT_FALSE(r.error.empty());
    }
  }
  EXPECT_GT(accepted, 0);  // mutations that keep a valid structure still decode
}

}  // namespace
}  // namespace hashgate::tcf
