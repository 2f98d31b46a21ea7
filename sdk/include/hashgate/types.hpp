#pragma once
// Vocabulary of the SDK: fields, profiles, algorithms, encodings and their names.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hashgate {

/// Longest input accepted for any one value, in bytes (Errc::too_long above it).
inline constexpr std::size_t k_max_input_bytes = 1024;

/// Identifier fields, named as in Meta's Conversions API.
enum class Field : std::uint8_t { em, ph, fn, ln, db, ge, ct, st, zp, country, external_id };

/// The ad platform whose normalization and encoding rules apply.
enum class ProfileId : std::uint8_t { meta, google, uid2, liveramp };

/// Digest algorithms (all computed with OpenSSL libcrypto's low-level API).
enum class Algo : std::uint8_t { sha256, sha1, md5, hmac_sha256 };

/// Text encoding of a digest.
enum class Encoding : std::uint8_t { hex, base64 };

/// Per-profile constants. Obtain one with profile(ProfileId) or profile_by_name().
struct Profile {
  ProfileId id;
  std::string_view name;      ///< "meta", "google", "uid2", "liveramp"
  Encoding default_encoding;  ///< base64 for uid2, hex otherwise
};

/// The profile record for an id.
const Profile& profile(ProfileId id) noexcept;
/// Looks up "meta", "google", "uid2", "euid" (alias of uid2) or "liveramp"; nullptr if unknown.
const Profile* profile_by_name(std::string_view name) noexcept;

/// Parses a field name ("em", "ph", ..., also "email" and "phone"); nullopt if unknown.
std::optional<Field> field_by_name(std::string_view name) noexcept;
/// Canonical short name of a field ("em", "ph", ...).
std::string_view field_name(Field f) noexcept;

/// Parses "sha256", "sha1", "md5", "hmac-sha256"; nullopt if unknown.
std::optional<Algo> algo_by_name(std::string_view name) noexcept;
/// Canonical name of algorithm `a` ("sha256", "sha1", "md5", "hmac-sha256").
std::string_view algo_name(Algo a) noexcept;
/// Digest length in bytes: 32, 20, 16, 32.
std::size_t digest_size(Algo a) noexcept;

/// Parses "hex" or "base64"; nullopt if unknown.
std::optional<Encoding> encoding_by_name(std::string_view name) noexcept;
/// Canonical name of encoding `e` ("hex" or "base64").
std::string_view encoding_name(Encoding e) noexcept;

/// An ISO 3166-1 alpha-2 region, upper-case ("NL"), or empty for none.
struct Region {
  std::array<char, 2> code{};
  bool empty() const noexcept { return code[0] == 0; }
  std::string_view view() const noexcept {
    return empty() ? std::string_view{} : std::string_view(code.data(), 2);
  }
};
/// Parses a region code in either case; nullopt unless it is a known ISO 3166 alpha-2 code.
std::optional<Region> region_by_code(std::string_view cc) noexcept;

}  // namespace hashgate
