#pragma once
// Internal helpers shared by the SDK's translation units. Not part of the public API.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hashgate/hashgate.hpp"

namespace hashgate::detail {

/// True for the ASCII whitespace characters trimmed from every value (space, \t, \n, \v, \f, \r).
constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

/// Replaces the content of `s` with `value`, zeroing the old bytes first (no residue of a
/// longer normalized value is left in the buffer).
void assign_zeroed(std::string& s, std::string_view value);

/// True if `a` and `b` are equal ignoring ASCII case.
bool iequals_ascii(std::string_view a, std::string_view b) noexcept;

/// `s` without leading and trailing ASCII whitespace, U+00A0, U+FEFF and U+200B.
std::string_view trim(std::string_view s) noexcept;

/// Common entry checks: length (too_long), UTF-8 (invalid_utf8), then trims into `out`.
/// Returns Errc::ok, or the error; on success `out` is the trimmed, non-empty value.
Errc precheck(std::string_view value, std::string_view& out) noexcept;

/// Decodes one UTF-8 sequence at s[i] (already validated); advances i. Returns the code point.
char32_t next_cp(std::string_view s, std::size_t& i) noexcept;
using hashgate::append_utf8;  // public (hashgate.hpp); the normalizers call it unqualified

/// normalize() without the entry checks: dispatches to the field normalizer below.
Errc normalize_field_into(Field f, std::string_view v, const Profile& p, const Options& opt,
                          std::string& out);

/// Field normalizers: write the normalized value into `out` (cleared first). `v` is trimmed,
/// valid UTF-8, non-empty and at most k_max_input_bytes long.
Errc normalize_email_into(std::string_view v, const Profile& p, std::string& out);
Errc normalize_phone_into(std::string_view v, const Profile& p, Region region, std::string& out);
Errc normalize_name_into(Field f, std::string_view v, const Profile& p, std::string& out);
Errc normalize_city_into(std::string_view v, std::string& out);
Errc normalize_state_into(std::string_view v, std::string& out);
Errc normalize_zip_into(std::string_view v, Region region, std::string& out);
Errc normalize_country_into(std::string_view v, std::string& out);
Errc normalize_date_into(std::string_view v, std::string& out);
Errc normalize_gender_into(std::string_view v, std::string& out);

/// Unicode simple lowercase for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic.
char32_t lower_cp(char32_t cp) noexcept;
/// Lowercases, composes common Latin combining sequences (NFC for those), and keeps only the
/// code points for which keep(cp) holds (the others are dropped). Used by names and places.
/// `space` decides what happens to whitespace: 0 = drop, 1 = collapse to one ' '.
void fold_text(std::string_view v, std::string& out, bool keep_spaces);

/// Calling-code table entry of a region (phone_table.cpp).
struct CallingCode {
  char region[2];
  std::uint16_t code;  ///< ITU-T E.164 country calling code (1..999)
  char trunk[3];       ///< national (trunk) prefix, "" if none, e.g. "0", "8", "06"
  char trunk_alt[2];   ///< an alternative one-digit trunk prefix, or ""
};
/// The table entry of a region, or nullptr if the region has no calling code.
const CallingCode* calling_code_of(Region r) noexcept;
/// The first region entry using calling code `code` (e.g. US for 1), or nullptr.
const CallingCode* entry_for_code(unsigned code) noexcept;
/// True if `code` is an assigned country calling code (geographic or global service).
bool is_calling_code(unsigned code) noexcept;

/// Digest of `data` into `out`, per algorithm family (separate translation units).
bool sha256_raw(std::string_view data, std::uint8_t out[32]) noexcept;
bool sha1_raw(std::string_view data, std::uint8_t out[20]) noexcept;
bool md5_raw(std::string_view data, std::uint8_t out[16]) noexcept;
bool hmac_sha256_raw(std::span<const std::uint8_t> key, std::string_view data,
                     std::uint8_t out[32]) noexcept;

/// Appends hex / base64 of `bytes` to `out` (no allocation when capacity suffices).
void append_hex(std::span<const std::uint8_t> bytes, std::string& out);
void append_base64(std::span<const std::uint8_t> bytes, std::string& out);

/// Whether `a` may be used for field `f` under profile `p`.
bool algo_allowed(Field f, Algo a, const Profile& p) noexcept;

/// Core of hash(): normalizes into `scratch` and writes the encoded digest into `out`.
Errc hash_into(Field f, std::string_view value, const Profile& p, const Options& opt,
               std::string& scratch, std::string& out);

}  // namespace hashgate::detail
