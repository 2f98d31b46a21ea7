// Error names and the "hashgate" std::error_category.
#include "hashgate/error.hpp"

#include <string>

namespace hashgate {

std::string_view code_name(Errc e) noexcept {
  switch (e) {
    case Errc::ok:
      return "ok";
    case Errc::invalid_email:
      return "invalid_email";
    case Errc::invalid_phone:
      return "invalid_phone";
    case Errc::phone_needs_region:
      return "phone_needs_region";
    case Errc::invalid_utf8:
      return "invalid_utf8";
    case Errc::too_long:
      return "too_long";
    case Errc::empty:
      return "empty";
    case Errc::unsupported_field:
      return "unsupported_field";
    case Errc::unsupported_profile:
      return "unsupported_profile";
    case Errc::unsupported_algo:
      return "unsupported_algo";
    case Errc::unsupported_encoding:
      return "unsupported_encoding";
    case Errc::invalid_region:
      return "invalid_region";
    case Errc::invalid_date:
      return "invalid_date";
    case Errc::invalid_country:
      return "invalid_country";
    case Errc::invalid_gender:
      return "invalid_gender";
    case Errc::invalid_value:
      return "invalid_value";
    case Errc::missing_key:
      return "missing_key";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

namespace {
class SdkCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "hashgate"; }
  std::string message(int ev) const override {
    return std::string(code_name(static_cast<Errc>(ev)));
  }
};
}  // namespace

const std::error_category& sdk_category() noexcept {
  static const SdkCategory k_category;
  return k_category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), sdk_category()}; }

}  // namespace hashgate
