// Names of profiles, fields, algorithms and encodings; the ISO 3166-1 alpha-2 region list.
#include "hashgate/types.hpp"

#include "internal.hpp"

namespace hashgate {
namespace {

constexpr Profile k_profiles[] = {
    {ProfileId::meta, "meta", Encoding::hex},
    {ProfileId::google, "google", Encoding::hex},
    {ProfileId::uid2, "uid2", Encoding::base64},
    {ProfileId::liveramp, "liveramp", Encoding::hex},
};

constexpr std::string_view k_field_names[] = {"em", "ph", "fn", "ln",      "db",         "ge",
                                              "ct", "st", "zp", "country", "external_id"};

// All 249 officially assigned ISO 3166-1 alpha-2 codes, concatenated in order.
constexpr std::string_view k_iso_regions =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCI"
    "CKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQ"
    "GRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLS"
    "LTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPG"
    "PHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTK"
    "TLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

}  // namespace

const Profile& profile(ProfileId id) noexcept { return k_profiles[static_cast<int>(id)]; }

const Profile* profile_by_name(std::string_view name) noexcept {
  if (detail::iequals_ascii(name, "euid")) return &k_profiles[2];
  for (const auto& p : k_profiles)
    if (detail::iequals_ascii(name, p.name)) return &p;
  return nullptr;
}

std::optional<Field> field_by_name(std::string_view name) noexcept {
  if (detail::iequals_ascii(name, "email")) return Field::em;
  if (detail::iequals_ascii(name, "phone")) return Field::ph;
  for (std::size_t i = 0; i < std::size(k_field_names); ++i)
    if (detail::iequals_ascii(name, k_field_names[i])) return static_cast<Field>(i);
  return std::nullopt;
}

std::string_view field_name(Field f) noexcept {
  auto i = static_cast<std::size_t>(f);
  return i < std::size(k_field_names) ? k_field_names[i] : std::string_view("?");
}

std::optional<Algo> algo_by_name(std::string_view name) noexcept {
  if (detail::iequals_ascii(name, "sha256")) return Algo::sha256;
  if (detail::iequals_ascii(name, "sha1")) return Algo::sha1;
  if (detail::iequals_ascii(name, "md5")) return Algo::md5;
  if (detail::iequals_ascii(name, "hmac-sha256")) return Algo::hmac_sha256;
  return std::nullopt;
}

std::string_view algo_name(Algo a) noexcept {
  switch (a) {
    case Algo::sha256:
      return "sha256";
    case Algo::sha1:
      return "sha1";
    case Algo::md5:
      return "md5";
    case Algo::hmac_sha256:
      return "hmac-sha256";
  }
  return "?";
}

std::size_t digest_size(Algo a) noexcept {
  switch (a) {
    case Algo::sha1:
      return 20;
    case Algo::md5:
      return 16;
    default:
      return 32;
  }
}

std::optional<Encoding> encoding_by_name(std::string_view name) noexcept {
  if (detail::iequals_ascii(name, "hex")) return Encoding::hex;
  if (detail::iequals_ascii(name, "base64")) return Encoding::base64;
  return std::nullopt;
}

std::string_view encoding_name(Encoding e) noexcept {
  return e == Encoding::hex ? "hex" : "base64";
}

std::optional<Region> region_by_code(std::string_view cc) noexcept {
  if (cc.size() != 2 || !detail::is_alpha(cc[0]) || !detail::is_alpha(cc[1])) return std::nullopt;
  const char a = static_cast<char>(detail::to_lower(cc[0]) - 32);
  const char b = static_cast<char>(detail::to_lower(cc[1]) - 32);
  for (std::size_t i = 0; i + 1 < k_iso_regions.size(); i += 2) {
    if (k_iso_regions[i] == a && k_iso_regions[i + 1] == b) {
      Region r;
      r.code = {a, b};
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace hashgate
