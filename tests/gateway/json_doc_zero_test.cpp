// api::JsonDoc leaves no byte of a body in memory it frees: the padded copy simdjson reads, the
// decoded strings (with what simdjson's block writes leave past them), outgrown node arrays and a
// large body's own parser. Its own executable: it replaces the global operator new/delete to
// inspect every block JsonDoc frees, which sanitizer builds do not allow.
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "gateway/api/json_doc.hpp"

namespace {

bool g_watch = false;                               // inspect freed blocks only while JsonDoc runs
std::size_t g_freed = 0;                            // blocks inspected
std::size_t g_dirty = 0;                            // blocks that still held body bytes
constexpr std::string_view k_marker = "Xq7Marker";  // in every string of the bodies
constexpr std::string_view k_number_text = "987654321987";  // a number, as written
constexpr std::uint64_t k_number = 987654321987ull;         // and as a node holds it

bool holds(const char* p, std::size_t n, const void* what, std::size_t len) {
  for (std::size_t i = 0; i + len <= n; ++i)
    if (std::memcmp(p + i, what, len) == 0) return true;
  return false;
}

void inspect(void* p) {
  if (!g_watch || p == nullptr) return;
  ++g_freed;
  const auto* c = static_cast<const char*>(p);
  const std::size_t n = malloc_usable_size(p);
  if (holds(c, n, k_marker.data(), k_marker.size()) ||
      holds(c, n, k_number_text.data(), k_number_text.size()) ||
      holds(c, n, &k_number, sizeof k_number))
    ++g_dirty;
}

/// Parses `text` in a fresh document and destroys it; the number of freed blocks that still held
/// body bytes.
std::size_t dirty_blocks_after(const std::string& text, bool expect_ok) {
  g_dirty = g_freed = 0;
  g_watch = true;
  bool ok = false;
  {
    hashgate::gw::api::JsonDoc doc;
    ok = doc.parse(text);
  }
  g_watch = false;
  EXPECT_EQ(ok, expect_ok);
  EXPECT_GT(g_freed, 0u);  // the check saw JsonDoc's blocks
  return g_dirty;
}

/// `events` events, each with the marker in a plain string and in one with escapes, and the
/// number; `tail` is appended inside the array (e.g. a bad element).
std::string body(int events, std::string_view tail = {}) {
  std::string t = "{\"events\":[";
  for (int i = 0; i < events; ++i) {
    t += i ? "," : "";
    t += "{\"id\":\"" + std::string(k_marker) + std::to_string(i) + "\",\"e\":\"\\u0041" +
         std::string(k_marker) + "\\n\",\"n\":" + std::string(k_number_text) + "}";
  }
  t += tail;
  t += "]}";
  return t;
}

}  // namespace

// Every allocation goes through malloc, and a new block is filled with a pattern first, so that a
// block never shows bytes left by an earlier owner.
void* operator new(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0xAA, malloc_usable_size(p));
  return p;
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept {
  inspect(p);
  std::free(p);
}
void operator delete[](void* p) noexcept { ::operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { ::operator delete(p); }

TEST(GatewayJsonDocZeroes, WhatItFreesAfterAParse) {
  EXPECT_EQ(dirty_blocks_after(body(1), true), 0u);
  EXPECT_EQ(dirty_blocks_after(body(300), true), 0u);
  // Two bytes per value: the nodes outgrow the array reserved for them.
  std::string dense = "[";
  dense += k_number_text;
  for (int i = 0; i < 2000; ++i) dense += ",0";
  EXPECT_EQ(dirty_blocks_after(dense + "]", true), 0u);
}

TEST(GatewayJsonDocZeroes, WhatItFreesAfterAFailedParse) {
  // A bad escape late in a long string: simdjson has written most of it before it fails.
  const std::string long_bad = ",\"" + std::string(2000, 'a') + std::string(k_marker) + "\\q\"";
  EXPECT_EQ(dirty_blocks_after(body(20, long_bad), false), 0u);
  EXPECT_EQ(dirty_blocks_after(body(20, ",tru"), false), 0u);
}

TEST(GatewayJsonDocZeroes, WhatALargeBodysOwnParserFrees) {
  const std::string big = body(1500);  // past the size that shares the thread's parser
  ASSERT_GT(big.size(), std::size_t{64} * 1024);
  EXPECT_EQ(dirty_blocks_after(big, true), 0u);
}
