#pragma once
// Helpers shared by the fuzz targets: a check that aborts (so libFuzzer records a crash) and a
// small cursor that splits the input into selector bytes and a payload.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define HG_FUZZ_CHECK(cond)                                                                   \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace hashgate::fuzz {

/// Reads selector bytes from the front of the fuzz input; the rest is the payload.
class Cursor {
 public:
  Cursor(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(size) {}
  /// Next byte, or 0 when the input is exhausted.
  std::uint8_t byte() { return m_pos < m_size ? m_data[m_pos++] : 0; }
  /// Everything not yet consumed.
  std::string_view rest() const {
    return {reinterpret_cast<const char*>(m_data) + m_pos, m_size - m_pos};
  }

 private:
  const std::uint8_t* m_data;
  std::size_t m_size;
  std::size_t m_pos = 0;
};

}  // namespace hashgate::fuzz
