#pragma once
// The group arithmetic of hashgate's private set intersection, all of it libsodium's
// ristretto255 (no elliptic-curve code of our own): hash to group, secret scalars, blinding.
// docs/psi.md describes the protocol.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "hashgate/types.hpp"

namespace hashgate::psi {

inline constexpr std::size_t k_element_bytes = 32;  ///< an encoded ristretto255 element
inline constexpr std::size_t k_scalar_bytes = 32;   ///< a secret scalar (little-endian, < L)
inline constexpr std::size_t k_digest_bytes = 32;   ///< an identifier's SHA-256 digest

/// An encoded ristretto255 group element.
using Element = std::array<std::uint8_t, k_element_bytes>;

/// Initializes libsodium once; false if it cannot be used (every other call needs it).
bool init() noexcept;

/// A secret scalar k with 0 < k < L (the group order). Zeroed when destroyed; move-only.
class Key {
 public:
  /// A fresh uniformly random scalar from libsodium's CSPRNG.
  static Key generate();
  /// The scalar in `bytes` (32 bytes, little-endian), or nullopt unless it is canonical (< L)
  /// and not zero.
  static std::optional<Key> from_bytes(std::span<const std::uint8_t> bytes);
  /// The multiplicative inverse k⁻¹ mod L, so that k⁻¹·(k·P) = P.
  Key inverse() const;
  /// The 32 scalar bytes.
  std::span<const std::uint8_t, k_scalar_bytes> bytes() const noexcept { return m_s; }
  /// A 32-byte check value of the key (a hash, not the key) stored in .state files, so that
  /// `intersect` can tell a wrong --key from a wrong file.
  std::array<std::uint8_t, 32> check_value() const;

  Key(Key&& other) noexcept;
  Key& operator=(Key&& other) noexcept;
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  ~Key();

 private:
  Key() = default;
  std::array<std::uint8_t, k_scalar_bytes> m_s{};
};

/// One identifier to blind: its field and the 32-byte SHA-256 digest the profile gives.
struct Identifier {
  Field field{};
  std::array<std::uint8_t, k_digest_bytes> digest{};
};

/// The domain-separation tag of field `f`: "hashgate/psi/v1/" + field name + ":".
std::string hash_tag(Field f);

/// The 64 bytes SHA-512(hash_tag(id.field) ‖ id.digest) into `out` (the input of the map).
void hash_input(const Identifier& id, std::span<std::uint8_t, 64> out) noexcept;

/// H(id) = crypto_core_ristretto255_from_hash(hash_input(id)) into `out`.
void hash_to_group(const Identifier& id, Element& out) noexcept;

/// True if `e` is a valid ristretto255 encoding (crypto_core_ristretto255_is_valid_point) and
/// not the identity element.
bool is_valid_element(const Element& e) noexcept;

/// out = k·p. False (out unspecified) if `p` is not a valid encoding or is the identity.
bool multiply(const Key& k, const Element& p, Element& out) noexcept;

/// Default worker count: the number of cores (at least 1).
std::size_t default_threads() noexcept;

/// Runs fn(begin, end) over consecutive ranges covering [0, n), on up to `threads` threads
/// (the calling thread included), and returns when all ranges are done. fn must not throw.
void parallel_for(std::size_t n, std::size_t threads,
                  const std::function<void(std::size_t, std::size_t)>& fn);

/// Marks "no element": what the *_all functions return when every element was fine.
inline constexpr std::size_t k_none = static_cast<std::size_t>(-1);

/// out[i] = k·H(ids[i]) for every i (out.size() == ids.size()), on `threads` threads. The
/// intermediate H(ids[i]) (as identifying as the digest) is zeroed after use.
void blind_all(const Key& k, std::span<const Identifier> ids, std::span<Element> out,
               std::size_t threads);

/// Replaces every element by k·element, on `threads` threads. Returns the lowest index of an
/// element that is not a valid non-identity encoding (elements are then unspecified), or k_none.
std::size_t multiply_all(const Key& k, std::span<Element> elems, std::size_t threads);

/// The lowest index of an element that is_valid_element() refuses, or k_none; `threads` threads.
std::size_t find_invalid(std::span<const Element> elems, std::size_t threads);

}  // namespace hashgate::psi
