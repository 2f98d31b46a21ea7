// Static I/O buffer and the helpers both wasm modules share, plus the exports every module has.
#include <emscripten.h>

#include <cstring>

#include "abi.hpp"

namespace hashgate::wasm {
namespace {
alignas(16) std::uint8_t g_io[k_io_size];
}  // namespace

std::uint8_t* io_buffer() noexcept { return g_io; }

bool decode_region(std::uint32_t packed, Region& out) noexcept {
  out = Region{};
  if (packed == 0) return true;
  const char cc[2] = {static_cast<char>(packed & 0xff), static_cast<char>((packed >> 8) & 0xff)};
  auto r = region_by_code(std::string_view(cc, 2));
  if (!r) return false;
  out = *r;
  return true;
}

std::int32_t put_result(std::string_view result, std::size_t used) noexcept {
  if (result.size() > k_io_size) return put_error(Errc::too_long, used);
  std::memmove(g_io, result.data(), result.size());
  if (used > k_io_size) used = k_io_size;
  if (used > result.size()) secure_zero(g_io + result.size(), used - result.size());
  return static_cast<std::int32_t>(result.size());
}

std::int32_t put_error(Errc e, std::size_t used) noexcept {
  secure_zero(g_io, used > k_io_size ? k_io_size : used);
  return -static_cast<std::int32_t>(e);
}

}  // namespace hashgate::wasm

extern "C" {

/// Address of the static I/O buffer in linear memory.
EMSCRIPTEN_KEEPALIVE std::uint8_t* hg_buffer() { return hashgate::wasm::io_buffer(); }

/// Size of the static I/O buffer in bytes.
EMSCRIPTEN_KEEPALIVE std::uint32_t hg_buffer_size() { return hashgate::wasm::k_io_size; }

/// Zeroes the whole I/O buffer (JavaScript calls it after reading a result).
EMSCRIPTEN_KEEPALIVE void hg_clear() {
  hashgate::secure_zero(hashgate::wasm::io_buffer(), hashgate::wasm::k_io_size);
}

}  // extern "C"
