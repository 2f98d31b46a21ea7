// Roles and data-exchange agreements: strict parsing in the style of gateway/config.
#include "gateway/onboarding/agreements.hpp"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

namespace hashgate::gw::onboarding {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 3> k_roles{"advertiser", "publisher", "both"};
constexpr std::array<std::string_view, 2> k_bases{"consent", "legitimate_interest"};
constexpr std::size_t k_max_purpose = 500;

[[noreturn]] void fail(const std::string& key, const std::string& why) {
  throw AgreementError("config: " + key + ": " + why);
}

bool valid_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Printable text: no ASCII control characters (UTF-8 above 0x7F is allowed).
bool printable(std::string_view s) noexcept {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

// The string at `obj[key]`; fails naming `where.key` if it is absent or not a string.
std::string required_string(const json& obj, const std::string& where, const char* key) {
  const std::string path = where + "." + key;
  if (!obj.contains(key)) fail(path, "is required");
  const json& v = obj.at(key);
  if (!v.is_string()) fail(path, "must be a string");
  return v.get<std::string>();
}

// A tenant reference of an agreement: it must exist and be allowed to take `side`'s part.
std::string tenant_ref(const json& obj, const std::string& where, const char* side,
                       const TenantRoles& roles) {
  std::string id = required_string(obj, where, side);
  const std::string path = where + "." + side;
  if (!valid_id(id)) fail(path, "must be a tenant id");
  const std::optional<Role> role = roles ? roles(id) : std::nullopt;
  if (!role) fail(path, "no tenant has this id");
  const bool advertiser = std::string_view(side) == "advertiser";
  if (advertiser ? !may_advertise(*role) : !may_publish(*role)) {
    fail(path, std::string("the tenant's role is \"") + std::string(role_name(*role)) +
                   "\"; it must be \"" + side + "\" or \"both\"");
  }
  return id;
}

Agreement parse_one(const json& obj, const std::string& where, const TenantRoles& roles) {
  static const std::set<std::string> k_keys{"id",          "advertiser",   "publisher", "purpose",
                                            "legal_basis", "min_audience", "expires"};
  if (!obj.is_object()) fail(where, "must be an object");
  for (const auto& [k, v] : obj.items()) {
    if (!k_keys.count(k)) fail(where + "." + k, "unknown key");
  }
  Agreement a;
  a.id = required_string(obj, where, "id");
  if (!valid_id(a.id)) fail(where + ".id", "1-64 letters, digits, '_' or '-'");
  a.advertiser = tenant_ref(obj, where, "advertiser", roles);
  a.publisher = tenant_ref(obj, where, "publisher", roles);
  if (a.publisher == a.advertiser) fail(where + ".publisher", "must differ from the advertiser");
  a.purpose = required_string(obj, where, "purpose");
  if (a.purpose.empty() || a.purpose.size() > k_max_purpose || !printable(a.purpose)) {
    fail(where + ".purpose", "must be 1-500 characters of text without control characters");
  }
  const auto basis = legal_basis_by_name(required_string(obj, where, "legal_basis"));
  if (!basis) fail(where + ".legal_basis", "must be \"consent\" or \"legitimate_interest\"");
  a.legal_basis = *basis;
  if (obj.contains("min_audience")) {
    const json& v = obj.at("min_audience");
    if (!v.is_number_integer()) fail(where + ".min_audience", "must be an integer");
    const auto n = v.get<std::int64_t>();
    if (n < k_min_min_audience || n > k_max_min_audience) {
      fail(where + ".min_audience", "must be between " + std::to_string(k_min_min_audience) +
                                        " and " + std::to_string(k_max_min_audience));
    }
    a.min_audience = static_cast<int>(n);
  }
  const auto day = parse_date(required_string(obj, where, "expires"));
  if (!day) fail(where + ".expires", "must be a calendar date YYYY-MM-DD");
  a.expires = *day;
  return a;
}

}  // namespace

std::optional<Role> role_by_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < k_roles.size(); ++i) {
    if (k_roles[i] == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

std::string_view role_name(Role r) noexcept { return k_roles[static_cast<std::size_t>(r)]; }

bool may_advertise(Role r) noexcept { return r == Role::advertiser || r == Role::both; }

bool may_publish(Role r) noexcept { return r == Role::publisher || r == Role::both; }

std::optional<LegalBasis> legal_basis_by_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < k_bases.size(); ++i) {
    if (k_bases[i] == name) return static_cast<LegalBasis>(i);
  }
  return std::nullopt;
}

std::string_view legal_basis_name(LegalBasis b) noexcept {
  return k_bases[static_cast<std::size_t>(b)];
}

std::optional<Day> parse_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto number = [&](std::size_t at, std::size_t len, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!number(0, 4, y) || !number(5, 2, m) || !number(8, 2, d)) return std::nullopt;
  if (y < 1970) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Day{ymd};
}

std::string format_date(Day d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

Day utc_day(std::chrono::system_clock::time_point t) noexcept {
  return std::chrono::floor<std::chrono::days>(t);
}

Role parse_role(const nlohmann::json& tenant, const std::string& where) {
  if (!tenant.is_object() || !tenant.contains("role")) return Role::advertiser;
  const json& v = tenant.at("role");
  const std::optional<Role> r =
      v.is_string() ? role_by_name(v.get_ref<const std::string&>()) : std::nullopt;
  if (!r) fail(where + ".role", "must be \"advertiser\", \"publisher\" or \"both\"");
  return *r;
}

std::vector<Agreement> parse_agreements(const nlohmann::json& agreements,
                                        const TenantRoles& roles) {
  if (!agreements.is_array()) fail("agreements", "must be an array");
  std::vector<Agreement> out;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < agreements.size(); ++i) {
    const std::string where = "agreements[" + std::to_string(i) + "]";
    Agreement a = parse_one(agreements[i], where, roles);
    if (!ids.insert(a.id).second) fail(where + ".id", "duplicate agreement id");
    out.push_back(std::move(a));
  }
  return out;
}

const Agreement* find_agreement(std::span<const Agreement> all, std::string_view id) noexcept {
  for (const Agreement& a : all) {
    if (a.id == id) return &a;
  }
  return nullptr;
}

bool agreement_allows(const Agreement& a, std::string_view advertiser, Day today) noexcept {
  return a.advertiser == advertiser && today < a.expires;
}

ExportAccess export_access(const Agreement& a, std::string_view tenant, Day today) noexcept {
  if (a.publisher != tenant) return ExportAccess::not_found;
  return today < a.expires ? ExportAccess::allowed : ExportAccess::gone;
}

}  // namespace hashgate::gw::onboarding
