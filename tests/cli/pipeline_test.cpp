// Unit tests of hash-file's pipeline helpers (cli/pipeline.hpp). The pipeline itself is tested
// end to end against a row-by-row model in cli_e2e_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <span>
#include <vector>

#include "pipeline.hpp"

namespace hashgate::cli {
namespace {

// Duplicates as std::set counts them: keys equal to an earlier key.
std::size_t set_duplicates(const std::vector<std::uint64_t>& keys) {
  std::set<std::uint64_t> seen;
  std::size_t dups = 0;
  for (std::uint64_t k : keys) dups += seen.insert(k).second ? 0 : 1;
  return dups;
}

TEST(CliPipeline, DuplicateCounterAgreesWithASet) {
  std::mt19937_64 rng(20261129);
  for (const std::uint64_t range : {std::uint64_t{1}, std::uint64_t{1000}, ~std::uint64_t{0}}) {
    for (const std::size_t n : {0u, 1u, 2u, 1000u, 100000u}) {
      std::vector<std::uint64_t> keys(n);
      // Keys that differ only in one byte (one bucket, 0 included), and in every byte.
      for (auto& k : keys) k = range == 1 ? rng() % 3 << 40 : rng() % range * 0x0101010101010101ull;
      DuplicateCounter counter;
      // Added in pieces, as chunks arrive.
      for (std::size_t at = 0; at < n; at += 4096) {
        counter.add(std::span(keys).subspan(at, std::min<std::size_t>(4096, n - at)));
      }
      EXPECT_EQ(counter.count(), set_duplicates(keys)) << range << " " << n;
    }
  }
}

TEST(CliPipeline, UsageErrorsAreTheRequestNotTheData) {
  EXPECT_TRUE(is_usage_error(Errc::unsupported_algo));
  EXPECT_TRUE(is_usage_error(Errc::missing_key));
  EXPECT_FALSE(is_usage_error(Errc::invalid_email));
  EXPECT_FALSE(is_usage_error(Errc::empty));
}

TEST(CliPipeline, AppendZeroedKeepsContentWhenGrowing) {
  std::string s = "abc";
  s.shrink_to_fit();
  append_zeroed(s, std::string(1000, 'x'));
  EXPECT_EQ(s, "abc" + std::string(1000, 'x'));
}

}  // namespace
}  // namespace hashgate::cli
