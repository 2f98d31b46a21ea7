#pragma once
// The batch's fast path for the common e-mail (plain ASCII, at most 64 bytes after trimming),
// with wasm SIMD. Anything it does not accept goes through the SDK's normalizer, which stays the
// reference (tests/wasm/email-model.test.mjs checks both against a model of the rules).

#include <cstddef>
#include <cstdint>

namespace hashgate::wasm {

/// Longest trimmed e-mail the fast path takes.
inline constexpr std::size_t k_fast_email_max = 64;

/// Trims ASCII whitespace from the `size` bytes at `v`, checks the e-mail rules of
/// normalize_email_into (one '@', non-empty local part, dotted domain without empty labels, no
/// inner space, control or non-ASCII byte) and writes the ASCII-lowercased value to `d`
/// (k_fast_email_max bytes). With `keep_gmail` false, gmail.com/googlemail.com addresses are
/// left to the SDK (their local part changes). Returns the length, or 0 (with `d` zeroed) to
/// leave the value to the SDK. Reads up to 15 bytes past the value: the caller keeps them inside
/// its buffer.
std::size_t fast_email(const std::uint8_t* v, std::size_t size, bool keep_gmail, char* d) noexcept;

}  // namespace hashgate::wasm
