#pragma once
// A 4-lane SHA-256 for the batch path: four independent messages hashed at once with 128-bit
// wasm SIMD (one 32-bit lane per message). OpenSSL's SHA256_* stays the reference and the single
// call's digest; tests/wasm/simd.test.mjs proves this code bit-identical to it and to node:crypto.

#include <cstddef>
#include <cstdint>

namespace hashgate::wasm {

/// Hashes `lanes` (1..4) messages `data[i]` of `len[i]` bytes into `out[i]` (32 bytes each).
/// Scratch blocks that held message bytes are zeroed before returning.
void sha256x4(const std::uint8_t* const data[4], const std::size_t len[4], int lanes,
              std::uint8_t out[4][32]) noexcept;

/// Writes the 64 lowercase hex digits of the 32-byte digest `md` at `dst`.
void hex32(const std::uint8_t md[32], std::uint8_t* dst) noexcept;

}  // namespace hashgate::wasm
