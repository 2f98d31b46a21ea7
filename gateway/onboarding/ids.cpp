#include "gateway/onboarding/ids.hpp"

#include <hashgate/hashgate.hpp>

#include <span>

namespace hashgate::gw::onboarding {

namespace {

struct KindInfo {
  std::string_view name;
  std::size_t bytes;
};

constexpr std::array<KindInfo, k_id_kinds> k_kinds{{
    {"em", 32},
    {"ph", 32},
    {"external_id", 32},
    {"em_sha1", 20},
    {"em_md5", 16},
    {"ph_sha1", 20},
}};

}  // namespace

std::optional<IdKind> id_kind_by_name(std::string_view key) noexcept {
  for (std::size_t i = 0; i < k_kinds.size(); ++i) {
    if (k_kinds[i].name == key) return static_cast<IdKind>(i);
  }
  return std::nullopt;
}

std::string_view id_kind_name(IdKind k) noexcept {
  return k_kinds[static_cast<std::size_t>(k)].name;
}

std::size_t id_kind_bytes(IdKind k) noexcept { return k_kinds[static_cast<std::size_t>(k)].bytes; }

std::optional<HashedId> decode_hashed_id(IdKind k, std::string_view value) noexcept {
  HashedId id;
  id.kind = k;
  const std::size_t n = id_kind_bytes(k);
  // decode_digest trims ASCII whitespace; an identifier on the wire must not carry any.
  if (value.empty() || value.front() <= ' ' || value.back() <= ' ') return std::nullopt;
  if (!hashgate::decode_digest(value, n, std::span<std::uint8_t>(id.digest.data(), n))) {
    return std::nullopt;
  }
  return id;
}

std::string hashed_id_hex(const HashedId& id) {
  return hashgate::to_hex(std::span<const std::uint8_t>(id.digest.data(), id_kind_bytes(id.kind)));
}

}  // namespace hashgate::gw::onboarding
