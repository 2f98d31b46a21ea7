// Store suite: round trip through the real SQLite store in a fresh temporary folder per test.
#include "store.hpp"

#include <gtest/gtest.h>

TEST(StoreOpen, RefusesEmptyDataDir) {
  hashgate::gw::StoreConfig cfg;
  std::error_code err;
  std::string why;
  auto store = hashgate::gw::Store::open(cfg, err, why);
  EXPECT_EQ(store, nullptr);
  EXPECT_TRUE(err);
  EXPECT_NE(why.find("data_dir"), std::string::npos);
}
