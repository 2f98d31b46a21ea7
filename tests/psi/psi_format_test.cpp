// The .psi and .state formats of docs/psi.md: exact header bytes, round trips, and every kind of
// malformed, truncated, oversized and hostile file refused with the right FileErrc.
#include <gtest/gtest.h>
#include <sodium.h>

#include <string>
#include <vector>

#include "hashgate/hashgate.hpp"
#include "psi/format.hpp"

namespace {

using hashgate::Field;
using namespace hashgate::psi;

Element valid_element(std::uint8_t seed) {
  // seed·B, a valid non-identity element.
  std::uint8_t k[32] = {seed};
  Element e;
  EXPECT_EQ(crypto_scalarmult_ristretto255_base(e.data(), k), 0);
  return e;
}

PsiList sample_list(std::size_t n) {
  PsiList l;
  l.stage = Stage::blinded;
  l.kinds = field_bit(Field::em) | field_bit(Field::ph);
  for (std::size_t i = 0; i < l.list_id.size(); ++i) l.list_id[i] = static_cast<std::uint8_t>(i);
  for (std::size_t i = 0; i < n; ++i)
    l.elements.push_back(valid_element(static_cast<std::uint8_t>(i + 1)));
  return l;
}

FileErrc decode(const std::vector<std::uint8_t>& b, ElementCheck c = ElementCheck::full) {
  PsiList out;
  return decode_psi(b, c, 2, out).code;
}

TEST(PsiFormat, FieldBitsAreTheDocumentedWireCodes) {
  const char* names[] = {"em", "ph", "fn", "ln",      "db",         "ge",
                         "ct", "st", "zp", "country", "external_id"};
  for (unsigned i = 0; i < 11; ++i) {
    EXPECT_EQ(field_bit(*hashgate::field_by_name(names[i])), 1u << i) << names[i];
  }
  EXPECT_EQ(kind_names(0b101), "em,fn");
  EXPECT_EQ(k_all_kinds, 0x7ff);
}

TEST(PsiFormat, HeaderBytesAreAsDocumented) {
  ASSERT_TRUE(init());
  const PsiList l = sample_list(2);
  const auto b = encode_psi(l);
  ASSERT_EQ(b.size(), 40u + 2 * 32);
  const std::vector<std::uint8_t> head(b.begin(), b.begin() + 16);
  EXPECT_EQ(head, (std::vector<std::uint8_t>{0x89, 'H', 'G', 'P', 'S', 'I', '\r', '\n', 1, 1, 0x03,
                                             0, 0, 0, 0, 0}));
  EXPECT_TRUE(std::equal(l.list_id.begin(), l.list_id.end(), b.begin() + 16));
  EXPECT_EQ(std::vector<std::uint8_t>(b.begin() + 32, b.begin() + 40),
            (std::vector<std::uint8_t>{2, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(std::equal(l.elements[1].begin(), l.elements[1].end(), b.begin() + 72));
  PsiList back;
  ASSERT_TRUE(decode_psi(b, ElementCheck::full, 1, back).ok());
  EXPECT_EQ(back.stage, Stage::blinded);
  EXPECT_EQ(back.kinds, l.kinds);
  EXPECT_EQ(back.list_id, l.list_id);
  EXPECT_EQ(back.elements, l.elements);
}

TEST(PsiFormat, MalformedHeadersAreRefused) {
  ASSERT_TRUE(init());
  const auto good = encode_psi(sample_list(3));
  auto with = [&](std::size_t at, std::uint8_t v) {
    auto b = good;
    b[at] = v;
    return decode(b);
  };
  EXPECT_EQ(with(0, 0x88), FileErrc::bad_magic);
  EXPECT_EQ(with(6, '\n'), FileErrc::bad_magic);  // CRLF turned into LF
  EXPECT_EQ(with(8, 2), FileErrc::bad_version);
  EXPECT_EQ(with(8, 0), FileErrc::bad_version);
  EXPECT_EQ(with(9, 0), FileErrc::bad_stage);
  EXPECT_EQ(with(9, 3), FileErrc::bad_stage);
  {
    auto b = good;
    b[10] = 0;
    b[11] = 0;
    EXPECT_EQ(decode(b), FileErrc::bad_kinds);  // no kind
  }
  EXPECT_EQ(with(11, 0x08), FileErrc::bad_kinds);  // bit 11: no such field
  EXPECT_EQ(with(13, 1), FileErrc::bad_reserved);
  EXPECT_EQ(with(32, 0), FileErrc::bad_count);       // count 0
  EXPECT_EQ(with(32, 4), FileErrc::truncated);       // says 4, holds 3
  EXPECT_EQ(with(32, 2), FileErrc::trailing_bytes);  // says 2, holds 3
  EXPECT_EQ(with(39, 0x80), FileErrc::bad_count);    // far above the limit
  {
    auto b = good;  // 2^28 elements announced, a few present: refused before allocating
    b[32] = 0;
    b[35] = 0x10;
    EXPECT_EQ(decode(b), FileErrc::truncated);
    b[32] = 1;  // 2^28 + 1
    EXPECT_EQ(decode(b), FileErrc::bad_count);
  }
  auto longer = good;
  longer.push_back(0);
  EXPECT_EQ(decode(longer), FileErrc::trailing_bytes);
  EXPECT_EQ(decode({}), FileErrc::truncated);
  EXPECT_EQ(decode({'H', 'G'}), FileErrc::bad_magic);
}

TEST(PsiFormat, EveryProperPrefixIsRefused) {
  ASSERT_TRUE(init());
  const auto good = encode_psi(sample_list(2));
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::vector<std::uint8_t> prefix(good.begin(), good.begin() + n);
    EXPECT_EQ(decode(prefix), FileErrc::truncated) << n;
  }
  EXPECT_EQ(decode(good), FileErrc::ok);
}

TEST(PsiFormat, InvalidAndIdentityElementsAreRefusedWithTheirIndex) {
  ASSERT_TRUE(init());
  PsiList l = sample_list(5);
  l.elements[3].fill(0xff);  // not a canonical encoding
  PsiList out;
  FileError e = decode_psi(encode_psi(l), ElementCheck::full, 2, out);
  EXPECT_EQ(e.code, FileErrc::invalid_element);
  EXPECT_EQ(e.index, 3u);
  // The structure check leaves encodings to multiply(), but still refuses the identity.
  EXPECT_TRUE(decode_psi(encode_psi(l), ElementCheck::structure, 2, out).ok());
  l.elements[1].fill(0);
  e = decode_psi(encode_psi(l), ElementCheck::structure, 2, out);
  EXPECT_EQ(e.code, FileErrc::identity_element);
  EXPECT_EQ(e.index, 1u);
  e = decode_psi(encode_psi(l), ElementCheck::full, 2, out);
  EXPECT_EQ(e.code, FileErrc::identity_element);
  EXPECT_EQ(e.index, 1u);
}

State sample_state() {
  State s;
  s.kinds = field_bit(Field::em);
  s.list_id.fill(7);
  s.key_check.fill(9);
  s.elements = 3;
  s.id_column = "customer id";
  s.row_ids = {"r1", "", "r,3"};
  // element 0 from rows 0 and 2 (a shared value), element 1 from row 1, element 2 from row 0.
  s.links = {{0, 0}, {0, 2}, {1, 1}, {2, 0}};
  return s;
}

FileErrc decode_s(const std::vector<std::uint8_t>& b) {
  State out;
  return decode_state(b, out).code;
}

TEST(PsiFormat, StateRoundTripsAndHeaderIsAsDocumented) {
  const State s = sample_state();
  const auto b = encode_state(s);
  EXPECT_EQ(std::vector<std::uint8_t>(b.begin(), b.begin() + 12),
            (std::vector<std::uint8_t>{0x89, 'H', 'G', 'P', 'S', 'T', '\r', '\n', 1, 0, 1, 0}));
  // 80 header + (4+11) name + (4+2)+(4+0)+(4+3) rows + 8 + 4 links·8
  EXPECT_EQ(b.size(), 80u + 15 + 17 + 8 + 32);
  State back;
  ASSERT_TRUE(decode_state(b, back).ok());
  EXPECT_EQ(back.kinds, s.kinds);
  EXPECT_EQ(back.list_id, s.list_id);
  EXPECT_EQ(back.key_check, s.key_check);
  EXPECT_EQ(back.elements, 3u);
  EXPECT_EQ(back.id_column, s.id_column);
  EXPECT_EQ(back.row_ids, s.row_ids);
  EXPECT_EQ(back.links, s.links);
}

TEST(PsiFormat, MalformedStatesAreRefused) {
  const auto good = encode_state(sample_state());
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::vector<std::uint8_t> prefix(good.begin(), good.begin() + n);
    const FileErrc e = decode_s(prefix);
    EXPECT_TRUE(e == FileErrc::truncated || e == FileErrc::bad_count) << n;
  }
  auto longer = good;
  longer.push_back(0);
  EXPECT_EQ(decode_s(longer), FileErrc::trailing_bytes);
  auto with_links = [](std::vector<Link> links) {
    State s = sample_state();
    s.links = std::move(links);
    return decode_s(encode_state(s));
  };
  EXPECT_EQ(with_links({{0, 2}, {0, 0}, {1, 1}, {2, 0}}), FileErrc::bad_link);  // unsorted
  EXPECT_EQ(with_links({{0, 0}, {0, 0}, {1, 1}, {2, 2}}), FileErrc::bad_link);  // repeated
  EXPECT_EQ(with_links({{0, 0}, {0, 2}, {1, 1}, {3, 0}}), FileErrc::bad_link);  // element 3
  EXPECT_EQ(with_links({{0, 0}, {0, 2}, {1, 1}, {2, 3}}), FileErrc::bad_link);  // row 3
  EXPECT_EQ(with_links({{0, 0}, {0, 1}, {2, 2}, {2, 0}}), FileErrc::bad_link);  // 1 skipped
  EXPECT_EQ(with_links({{0, 0}, {1, 0}, {2, 1}, {2, 0}}), FileErrc::bad_link);  // unsorted rows
  EXPECT_EQ(with_links({{0, 0}, {1, 0}, {1, 1}, {2, 0}}), FileErrc::bad_link);  // row 2 unlinked
  EXPECT_EQ(with_links({{0, 0}, {1, 1}}), FileErrc::bad_count);  // fewer links than elements
  auto with = [&](std::size_t at, std::uint8_t v) {
    auto b = good;
    b[at] = v;
    return decode_s(b);
  };
  EXPECT_EQ(with(5, 'I'), FileErrc::bad_magic);  // a .psi is not a .state
  EXPECT_EQ(with(8, 9), FileErrc::bad_version);
  EXPECT_EQ(with(9, 1), FileErrc::bad_reserved);
  EXPECT_EQ(with(64, 0), FileErrc::bad_count);      // 0 elements
  EXPECT_EQ(with(72, 0), FileErrc::bad_count);      // 0 rows
  EXPECT_EQ(with(79, 0x40), FileErrc::truncated);   // huge row count: refused before allocating
  EXPECT_EQ(with(82, 0x20), FileErrc::bad_length);  // id column name over 4096 bytes
}

}  // namespace
