#pragma once
// Tenant roles and data-exchange agreements (issue 14). A tenant is an advertiser, a publisher
// or both; an agreement lets one advertiser match its audiences with one publisher's logged-in
// users, for a purpose, on a legal basis, until a date, with a minimum audience. Parsed from the
// gateway configuration with the same strictness and messages as gateway/config.

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hashgate::gw::onboarding {

/// What a tenant may do in onboarding: upload audiences and ask for matches (advertiser), be
/// matched against and export its own matched identifiers (publisher), or both.
enum class Role : std::uint8_t { advertiser, publisher, both };

/// The legal basis an agreement names for the match (GDPR art. 6(1)(a) or (f)).
enum class LegalBasis : std::uint8_t { consent, legitimate_interest };

/// A calendar day (UTC).
using Day = std::chrono::sys_days;

/// Parses "advertiser", "publisher" or "both"; nullopt otherwise.
std::optional<Role> role_by_name(std::string_view name) noexcept;
/// The configuration name of role `r`.
std::string_view role_name(Role r) noexcept;
/// True if a tenant with role `r` may upload audiences and ask for matches.
bool may_advertise(Role r) noexcept;
/// True if a tenant with role `r` may be the publisher side of an agreement.
bool may_publish(Role r) noexcept;

/// Parses "consent" or "legitimate_interest"; nullopt otherwise.
std::optional<LegalBasis> legal_basis_by_name(std::string_view name) noexcept;
/// The configuration name of legal basis `b`.
std::string_view legal_basis_name(LegalBasis b) noexcept;

/// Parses a date written exactly as YYYY-MM-DD (years 1970-9999) that exists in the calendar
/// (no 2025-02-30); nullopt otherwise.
std::optional<Day> parse_date(std::string_view text) noexcept;
/// The day `d` as YYYY-MM-DD.
std::string format_date(Day d);
/// The UTC day that contains `t`.
Day utc_day(std::chrono::system_clock::time_point t) noexcept;

/// One data-exchange agreement between an advertiser and a publisher.
struct Agreement {
  std::string id;          ///< [A-Za-z0-9_-]{1,64}, unique in the configuration
  std::string advertiser;  ///< tenant id with role advertiser or both
  std::string publisher;   ///< another tenant id, with role publisher or both
  std::string purpose;     ///< free text from the signed agreement (1-500 printable characters)
  LegalBasis legal_basis = LegalBasis::consent;
  int min_audience = 100;  ///< k-anonymity floor: fewer matched people release nothing (≥ 10)
  /// The agreement ends at the start of this day (UTC): matches and exports are refused from
  /// this day on, and the retention run purges its matches.
  Day expires{};
};

/// Default and smallest allowed `min_audience`.
inline constexpr int k_default_min_audience = 100;
inline constexpr int k_min_min_audience = 10;
inline constexpr int k_max_min_audience = 10000000;

/// An invalid role or agreement in the configuration. what() reads like the configuration's own
/// errors ("config: agreements[0].expires: must be a date YYYY-MM-DD") and never holds a secret.
/// The configuration loader turns it into its ConfigError.
class AgreementError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The role of a tenant id, or nullopt if no tenant has that id.
using TenantRoles = std::function<std::optional<Role>(std::string_view tenant_id)>;

/// Reads the optional "role" key of the tenant object `tenant`, whose path is `where` (e.g.
/// "tenants[2]"); absent means advertiser. Throws AgreementError naming `where`.role.
Role parse_role(const nlohmann::json& tenant, const std::string& where);

/// Parses the top-level "agreements" array `agreements`. `roles` resolves the tenant ids it
/// names. Throws AgreementError naming the key (e.g. "agreements[1].publisher") when the value
/// is not an array of objects with exactly the known keys, an id is malformed or repeated, a
/// tenant is unknown or has the wrong role, the advertiser is its own publisher, the legal basis
/// or min_audience is invalid, or expires is not a calendar date.
std::vector<Agreement> parse_agreements(const nlohmann::json& agreements, const TenantRoles& roles);

/// The agreement with id `id` in `all`, or nullptr.
const Agreement* find_agreement(std::span<const Agreement> all, std::string_view id) noexcept;

/// True if `advertiser` may match under agreement `a` on day `today`: it is the agreement's
/// advertiser and the agreement has not expired. Anything else is `403 no_agreement`.
bool agreement_allows(const Agreement& a, std::string_view advertiser, Day today) noexcept;

/// What a tenant may do with the matches of an agreement when it asks for their export.
enum class ExportAccess : std::uint8_t {
  allowed,    ///< the agreement's publisher, agreement in force
  not_found,  ///< any other tenant: answer 404, as if the match did not exist
  gone,       ///< the agreement's publisher, but the agreement has expired: answer 410
};

/// The access of `tenant` to the export of a match made under `a`, on day `today`.
ExportAccess export_access(const Agreement& a, std::string_view tenant, Day today) noexcept;

}  // namespace hashgate::gw::onboarding
