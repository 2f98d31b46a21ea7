// Every row of the official vectors (tests/vectors/normalization.tsv), read at test time.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "hashgate/hashgate.hpp"

namespace {

struct Row {
  std::size_t line = 0;
  std::string profile, field, region, algo, input, normalized, expected, encoding, source;
};

std::vector<std::string> split_tabs(const std::string& s) {
  std::vector<std::string> out(1);
  for (const char c : s) {
    if (c == '\t')
      out.emplace_back();
    else
      out.back().push_back(c);
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::string data;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
    std::fclose(f);
  }
  return data;
}

std::vector<Row> load_rows() {
  const std::string data = read_file(std::string(HASHGATE_VECTORS_DIR) + "/normalization.tsv");
  std::vector<Row> rows;
  std::size_t start = 0, line_no = 0;
  while (start < data.size()) {
    std::size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    std::string line = data.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 || line.empty()) continue;  // header
    auto cols = split_tabs(line);
    cols.resize(9);
    rows.push_back(
        {line_no, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8]});
  }
  return rows;
}

const std::vector<Row>& rows() {
  static const std::vector<Row> k_rows = load_rows();
  return k_rows;
}

class SdkVectors : public ::testing::TestWithParam<std::size_t> {};

TEST(SdkVectorsFile, HasAllRows) {
  // The file shipped with 24 rows; it may grow, never silently become empty.
  EXPECT_GE(rows().size(), 24u) << "could not read " << HASHGATE_VECTORS_DIR;
}

TEST_P(SdkVectors, Row) {
  const Row& r = rows().at(GetParam());
  SCOPED_TRACE("normalization.tsv line " + std::to_string(r.line) + " (" + r.source + ")");
  const hashgate::Profile* p = hashgate::profile_by_name(r.profile);
  ASSERT_NE(p, nullptr);
  const auto f = hashgate::field_by_name(r.field);
  ASSERT_TRUE(f.has_value());
  hashgate::Options opt;
  if (!r.region.empty()) {
    const auto reg = hashgate::region_by_code(r.region);
    ASSERT_TRUE(reg.has_value());
    opt.region = *reg;
  }
  const auto algo = hashgate::algo_by_name(r.algo.empty() ? "sha256" : r.algo);
  ASSERT_TRUE(algo.has_value());
  opt.algo = *algo;
  if (!r.encoding.empty()) {
    const auto enc = hashgate::encoding_by_name(r.encoding);
    ASSERT_TRUE(enc.has_value());
    opt.encoding = *enc;
  }
  const auto n = hashgate::normalize(*f, r.input, *p, opt);
  const auto h = hashgate::hash(*f, r.input, *p, opt);
  if (r.normalized == "ERROR") {
    EXPECT_FALSE(n.ok());
    EXPECT_FALSE(h.ok());
    return;
  }
  ASSERT_TRUE(n.ok()) << hashgate::code_name(n.error());
  EXPECT_EQ(*n, r.normalized);
  ASSERT_TRUE(h.ok()) << hashgate::code_name(h.error());
  EXPECT_EQ(*h, r.expected);
  // Without an explicit encoding the profile's default must give the same answer.
  hashgate::Options dflt = opt;
  dflt.encoding.reset();
  const auto hd = hashgate::hash(*f, r.input, *p, dflt);
  ASSERT_TRUE(hd.ok());
  EXPECT_EQ(*hd, r.expected);
}

std::vector<std::size_t> indices() {
  std::vector<std::size_t> v(rows().size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

INSTANTIATE_TEST_SUITE_P(Tsv, SdkVectors, ::testing::ValuesIn(indices()),
                         [](const ::testing::TestParamInfo<std::size_t>& info) {
                           return "line" + std::to_string(rows()[info.param].line);
                         });

}  // namespace
