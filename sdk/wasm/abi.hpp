#pragma once
// The flat C ABI shared by the two wasm modules (full and snippet). JavaScript writes UTF-8 input
// into the one static I/O buffer, calls one export with small integer selectors, and reads the
// result back from the start of the buffer. No embind, no per-call allocation on the JS side.
//
// Selectors (all uint32):
//   field    hashgate::Field (em=0, ph=1, fn=2, ln=3, db=4, ge=5, ct=6, st=7, zp=8, country=9,
//            external_id=10)
//   profile  hashgate::ProfileId (meta=0, google=1, uid2=2, liveramp=3)
//   region   two ASCII letters packed as c0 | c1 << 8, or 0 for none
//   algo     hashgate::Algo (sha256=0, sha1=1, md5=2, hmac_sha256=3)
//   encoding hashgate::Encoding (hex=0, base64=1), or k_encoding_default (255): the profile's
// Return value: >= 0 is the byte length of the UTF-8 result at the start of the buffer;
// < 0 is the negated hashgate::Errc. Every input/key byte past the result is zeroed before
// returning (the whole used area on error); the caller zeroes the result once read (HEAPU8.fill).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hashgate/hashgate.hpp"

namespace hashgate::wasm {

/// Size of the static I/O buffer in bytes (input, key and output share it).
inline constexpr std::size_t k_io_size = 512 * 1024;
/// Encoding selector meaning "the profile's default encoding".
inline constexpr std::uint32_t k_encoding_default = 255;

/// The static I/O buffer shared with JavaScript.
std::uint8_t* io_buffer() noexcept;

/// Decodes the packed region selector into `out`; false (invalid_region) if it is not a known
/// ISO 3166 alpha-2 code. 0 yields an empty region.
bool decode_region(std::uint32_t packed, Region& out) noexcept;

/// Copies `result` to the start of the buffer and zeroes the rest of the first `used` bytes (the
/// input and key); returns the result's length, or -too_long if it does not fit.
std::int32_t put_result(std::string_view result, std::size_t used) noexcept;

/// Zeroes the first `used` bytes of the buffer and returns the negated error code.
std::int32_t put_error(Errc e, std::size_t used) noexcept;

}  // namespace hashgate::wasm
