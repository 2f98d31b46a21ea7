#pragma once
// The hashed identifiers a match compares: the kinds that name a person on their own, and their
// digests as fixed 32-byte values (the binary form the store keeps as a BLOB).

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hashgate::gw::onboarding {

/// Kinds of hashed identifier that can match a person. Name and address parts (fn, ln, ct, st,
/// zp, country, db, ge) are not here: equal hashes of a first name are not the same person.
/// The numeric values are stored (BLOB order, SQLite `kind` column): append, never renumber.
enum class IdKind : std::uint8_t {
  em = 0,           ///< SHA-256 of a normalized e-mail address
  ph = 1,           ///< SHA-256 of a normalized phone number
  external_id = 2,  ///< SHA-256 of an identifier both parties agreed on (e.g. a shared login id)
  em_sha1 = 3,      ///< SHA-1 of a normalized e-mail address (LiveRamp)
  em_md5 = 4,       ///< MD5 of a normalized e-mail address (LiveRamp)
  ph_sha1 = 5,      ///< SHA-1 of a normalized phone number (LiveRamp)
};

/// Number of IdKind values.
inline constexpr std::size_t k_id_kinds = 6;

/// A digest in binary form; digests shorter than 32 bytes (SHA-1, MD5) are zero-padded.
using Digest = std::array<std::uint8_t, 32>;

/// One hashed identifier of a person. Ordered by kind, then digest bytes.
struct HashedId {
  IdKind kind = IdKind::em;
  Digest digest{};
  friend bool operator==(const HashedId&, const HashedId&) = default;
  friend auto operator<=>(const HashedId&, const HashedId&) = default;
};

/// The kind named by an event's `ids` key ("em", "ph", "external_id", "em_sha1", "em_md5",
/// "ph_sha1"); nullopt for any other key, including the name and address parts.
std::optional<IdKind> id_kind_by_name(std::string_view key) noexcept;
/// The `ids` key of kind `k` ("em", ...).
std::string_view id_kind_name(IdKind k) noexcept;
/// Digest length of kind `k` in bytes: 32, 20 or 16.
std::size_t id_kind_bytes(IdKind k) noexcept;

/// Decodes `value` (hex of either case, or standard base64, of exactly id_kind_bytes(k) bytes) as
/// an identifier of kind `k`; nullopt if it is not such a digest. Never echoes the value.
std::optional<HashedId> decode_hashed_id(IdKind k, std::string_view value) noexcept;
/// The canonical text of `id` as the store and the rest of the gateway keep it: lowercase hex of
/// its id_kind_bytes() bytes.
std::string hashed_id_hex(const HashedId& id);

}  // namespace hashgate::gw::onboarding
