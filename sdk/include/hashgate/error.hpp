#pragma once
// Error codes of the hashgate SDK. No exceptions: fallible calls return Result<T>.

#include <string_view>
#include <system_error>

namespace hashgate {

/// Why a value could not be normalized or hashed. The names (see code_name) are part of the
/// public contract: the CLI, the wasm ABI and the JS package report them verbatim.
enum class Errc : int {
  ok = 0,
  invalid_email,         ///< not exactly one '@', empty local part, undotted domain, bad characters
  invalid_phone,         ///< letters, too few or too many digits, unknown calling code
  phone_needs_region,    ///< a national number given without a default region
  invalid_utf8,          ///< the input is not well-formed UTF-8
  too_long,              ///< the input exceeds k_max_input_bytes
  empty,                 ///< nothing left after normalization
  unsupported_field,     ///< unknown field name, or field not supported by the profile
  unsupported_profile,   ///< unknown profile name
  unsupported_algo,      ///< unknown algorithm, or algorithm not allowed for the field/profile
  unsupported_encoding,  ///< unknown output encoding
  invalid_region,        ///< region is not a known ISO 3166 alpha-2 code
  invalid_date,          ///< a date of birth that cannot be parsed or does not exist
  invalid_country,       ///< not an ISO alpha-2 code nor a known English country name
  invalid_gender,        ///< not m/f (or male/female)
  invalid_value,         ///< any other field-specific rejection
  missing_key,           ///< hmac-sha256 requested without a key
  internal,              ///< libcrypto failure or other bug; never expected
};

/// Stable snake_case name of an error code, e.g. "invalid_email".
std::string_view code_name(Errc e) noexcept;

/// The std::error_category of Errc ("hashgate").
const std::error_category& sdk_category() noexcept;

/// Makes a std::error_code from an Errc.
std::error_code make_error_code(Errc e) noexcept;

}  // namespace hashgate

template <>
struct std::is_error_code_enum<hashgate::Errc> : std::true_type {};
