// api::JsonDoc (the request-body JSON parser) against nlohmann::json as the reference: validity,
// kinds, values, member order, repeated keys, size/find/depth and dump must all agree.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hashgate/hashgate.hpp"
#include "json_doc_oracle.hpp"

using hashgate::gw::api::JsonDoc;
using hashgate::gw::test::json_differs;

TEST(GatewayJsonDoc, AgreesWithNlohmannOnEdgeCases) {
  const std::vector<std::string> cases = {
      "",
      " ",
      "{}",
      "[]",
      " {} ",
      "{} x",
      "{},",
      "[1,]",
      "{\"a\":1,}",
      "{\"a\" 1}",
      "{a:1}",
      "{'a':1}",
      "[1 2]",
      "01",
      "-",
      "-0",
      "-0.0",
      "0.0",
      "1.",
      ".5",
      "1e",
      "1e+",
      "1E5",
      "1e-5",
      "2.5e+3",
      "9223372036854775807",
      "9223372036854775808",
      "18446744073709551615",
      "18446744073709551616",
      "-9223372036854775808",
      "-9223372036854775809",
      "1e400",
      "-1e400",
      "1e-400",
      "123456789012345678901234567890",
      "0.1",
      "59.95",
      "1.0",
      "100000000000000000000.0",
      "true",
      "false",
      "null",
      "tru",
      "nul",
      "True",
      "NaN",
      "Infinity",
      "\"\"",
      "\"a\"",
      "\"\\u0041\"",
      "\"\\u00e9\"",
      "\"\\uD83D\\uDE00\"",
      "\"\\uD83D\"",
      "\"\\uDE00\"",
      "\"\\uD83Dx\"",
      "\"\\uD83D\\u0041\"",
      "\"\\u12\"",
      "\"\\x41\"",
      "\"\\/\\b\\f\\n\\r\\t\"",
      "\"a\nb\"",
      "\"\x01\"",
      "\"\x7f\"",
      "\"\\u0000\"",
      "\"\\u001f\"",
      "\"caf\xc3\xa9\"",
      "\"\xc3\"",
      "\"\xc0\x80\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xe2\x82\xac\"",
      "\"\xf0\x9f\x98\x80\"",
      "\"\xff\"",
      std::string("\"a\0b\"", 5),
      std::string("{}\0", 3),
      "{\"b\":1,\"a\":2}",
      "{\"a\":1,\"a\":2}",
      "{\"a\":{\"x\":1},\"a\":[2]}",
      "{\"\":0}",
      "{\"\\u0061\":1,\"a\":2}",
      "{\"\xc3\xa9\":1,\"z\":2,\"Z\":3}",
      "[[[[[]]]]]",
      "[{},{\"a\":[]}]",
      "\t\r\n [ 1 , \"x\" ]\n",
      "\xEF\xBB\xBF{}",
      "\xEF\xBB\xBF[1]",
      "\xEF\xBB\xBF"
      "0",
      "\xEF\xBB{}",
      "\xEF\xBB\xBF",
      " \xEF\xBB\xBF{}",
      "\xEF\xBB\xBF\xEF\xBB\xBF{}",
      "[1e5, 1.5e-3, 123456789012345678901234567890123456789012345678901234567890123456789.5]",
      // More than 19 significant digits: simdjson 3.0.1's get_number leaves them at 0
      // (simdjson#2099) and its get_double misreads some (#2093).
      "1000000000.000000001",
      "[-0.10000000000000000000000000001]",
      "0.95000000000000000000",
      "[0.95000000000000000000e309]",  // 9.5e308: a double overflow, which get_double misses
      "[0.95000000000000000000e310]",
      "[0.0, -0.0, 0e5, 1e-400, -1e-400, 0.00000000000000000000000]",
      // Exponents of more than 19 digits (simdjson's get_double refuses them).
      "1e00000000000000000000005",
      "[1.00000000000000000000001e000000000000000000001]",
      "{\"a\":-1e-0000000000000000000000000005}",
      "1e0000000000000000000000400",
      "-0e5",
      "-0E-0",
      // JsonDoc reads the text as the one element of "[text]": texts that would close or extend
      // that array early.
      "1][2",
      "[1] [2]",
      "[1],[2]",
      "1,2",
      ",1",
      "1]",
      "[1",
      "]",
      "[",
      "][",
      "\"a\"]",
      "{}]",
      "[]]",
      "{\"events\":[{\"event_id\":\"e1\",\"type\":\"purchase\","
      "\"time\":1764374400,\"ids\":{\"em\":\"aa\"},\"custom\":{\"value\":59.95,\"currency\":"
      "\"EUR\"}}]}",
  };
  for (std::size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(json_differs(cases[i]), "") << "case " << i;
}

TEST(GatewayJsonDoc, AgreesWithNlohmannOnLongNumbersAtTheRoot) {
  // simdjson copies a number at the root into a 1,082-byte stack buffer and refuses longer ones;
  // JsonDoc never reads a value at simdjson's root, so only the value decides.
  const std::vector<std::string> cases = {
      "0." + std::string(1100, '0') + "1",
      "-0." + std::string(1100, '0') + "1",
      "1" + std::string(300, '0'),
      "1" + std::string(400, '0'),
      "-1" + std::string(300, '0') + ".5e-10",
      "[" + std::string(1100, '9') + "e-1100]",
  };
  for (std::size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(json_differs(cases[i]), "") << "case " << i;
}

namespace {

struct Rng {
  std::uint64_t x = 0x2545F4914F6CDD1Dull;
  std::uint64_t next() {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

void gen_string(Rng& r, std::string& out) {
  static const std::vector<std::string> atoms = {"a",
                                                 "Z",
                                                 "0",
                                                 " ",
                                                 "@",
                                                 "\\\"",
                                                 "\\\\",
                                                 "\\/",
                                                 "\\n",
                                                 "\\t",
                                                 "\\u0041",
                                                 "\\u00e9",
                                                 "\\uD83D\\uDE00",
                                                 "\\u0000",
                                                 "\xc3\xa9",
                                                 "\xe2\x82\xac",
                                                 "\xf0\x9f\x98\x80",
                                                 "em",
                                                 "id"};
  out.push_back('"');
  for (std::size_t n = r.below(6); n > 0; --n) out += atoms[r.below(atoms.size())];
  out.push_back('"');
}

void gen_value(Rng& r, std::string& out, int depth) {
  static const std::vector<std::string> numbers = {"0",
                                                   "-0",
                                                   "7",
                                                   "-7",
                                                   "59.95",
                                                   "1e3",
                                                   "-2.5E-3",
                                                   "1764374400",
                                                   "18446744073709551615",
                                                   "18446744073709551616",
                                                   "-9223372036854775808",
                                                   "-9223372036854775809",
                                                   "1e400",
                                                   "0.1",
                                                   "31612345678",
                                                   "3.0",
                                                   "-0.0",
                                                   "0.95000000000000000000",
                                                   "1000000000.000000001",
                                                   "1e00000000000000000000005"};
  switch (depth > 4 ? r.below(4) : r.below(7)) {
    case 0:
      out += numbers[r.below(numbers.size())];
      break;
    case 1:
      gen_string(r, out);
      break;
    case 2:
      out += r.below(3) == 0 ? "null" : r.below(2) ? "true" : "false";
      break;
    case 3:
      gen_string(r, out);
      break;
    case 4:
    case 5: {
      static const std::vector<std::string> keys = {"a", "b", "events",  "ids",      "em",
                                                    "A", "",  "\\u0061", "\xc3\xa9", "b"};
      out.push_back('{');
      for (std::size_t n = r.below(5), i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        out += "\"" + keys[r.below(keys.size())] + "\"";
        out += r.below(4) == 0 ? " : " : ":";
        gen_value(r, out, depth + 1);
      }
      out.push_back('}');
      break;
    }
    default: {
      out.push_back('[');
      for (std::size_t n = r.below(5), i = 0; i < n; ++i) {
        if (i) out += r.below(4) == 0 ? " ,\n" : ",";
        gen_value(r, out, depth + 1);
      }
      out.push_back(']');
    }
  }
}

}  // namespace

TEST(GatewayJsonDoc, AgreesWithNlohmannOnGeneratedAndMutatedTexts) {
  // Generated documents (valid), then each with one random byte deleted, replaced or inserted
  // (mostly invalid). Fixed seed; 60,000 texts.
  Rng r;
  const std::string specials = "{}[]\",:\\ -.0eE+u\x01\xc3\xa9\xff";
  std::size_t valid = 0, invalid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string t = r.below(50) == 0 ? "\xEF\xBB\xBF" : "";  // sometimes a byte order mark
    gen_value(r, t, 0);
    ASSERT_EQ(json_differs(t), "") << "generated case " << i;
    for (int m = 0; m < 2; ++m) {
      std::string u = t;
      const std::size_t at = u.empty() ? 0 : r.below(u.size());
      const char c = specials[r.below(specials.size())];
      switch (r.below(3)) {
        case 0:
          if (!u.empty()) u.erase(at, 1);
          break;
        case 1:
          if (!u.empty()) u[at] = c;
          break;
        default:
          u.insert(u.begin() + static_cast<std::ptrdiff_t>(at), c);
      }
      ASSERT_EQ(json_differs(u), "") << "mutated case " << i << "/" << m;
      JsonDoc d;
      const bool ok = d.parse(u);
      (ok ? valid : invalid)++;
      // The gateway skips its own UTF-8 and depth scans for bodies that parse.
      if (ok) {
        ASSERT_TRUE(hashgate::valid_utf8(u)) << "mutated case " << i << "/" << m;
      }
      JsonDoc shallow;
      if (shallow.parse(u, 3)) {
        ASSERT_LE(shallow.root().depth(), 3u) << i << "/" << m;
      }
    }
  }
  EXPECT_GT(valid, 1000u);  // both outcomes are exercised
  EXPECT_GT(invalid, 1000u);
}

TEST(GatewayJsonDoc, LimitsDepthAndKeepsViewsValid) {
  JsonDoc d;
  EXPECT_TRUE(d.parse("[[[]]]", 3));
  EXPECT_FALSE(d.parse("[[[[]]]]", 3));
  EXPECT_TRUE(d.parse(std::string(1000, '[') + std::string(1000, ']'), 1000));
  // Deeper than simdjson's default depth (1024): only max_depth limits.
  EXPECT_TRUE(d.parse(std::string(1500, '[') + std::string(1500, ']'), 1500));
  EXPECT_EQ(d.root().depth(), 1500u);
  EXPECT_FALSE(d.parse(std::string(1500, '[') + std::string(1500, ']'), 1499));
  EXPECT_FALSE(d.parse("{\"a\":{\"b\":[1]}}", 2));
  EXPECT_TRUE(d.parse("{\"a\":{\"b\":[1]}}", 3));
  // Many strings with escapes: every decoded view stays valid (one arena, never reallocated).
  std::string t = "[";
  for (int i = 0; i < 500; ++i)
    t += std::string(i ? "," : "") + "\"x\\u00e9\\n" + std::to_string(i) + "\"";
  t += "]";
  ASSERT_TRUE(d.parse(t));
  std::size_t n = 0;
  d.root().elements([&](std::size_t i, JsonDoc::Value v) {
    EXPECT_EQ(v.str(), "x\xc3\xa9\n" + std::to_string(i));
    ++n;
  });
  EXPECT_EQ(n, 500u);
}

TEST(GatewayJsonDoc, LargeObjectsIterateAsNlohmannDoes) {
  // Objects above the inline size (16 members) take the other sort; repeated keys in both.
  for (int n : {15, 16, 17, 40, 300}) {
    std::string t = "{";
    for (int i = 0; i < n; ++i)
      t += std::string(i ? "," : "") + "\"k" + std::to_string((i * 7) % (n / 2 + 1)) +
           "\":" + std::to_string(i);
    t += "}";
    EXPECT_EQ(json_differs(t), "") << n;
  }
}
