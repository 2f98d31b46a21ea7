// Temporary stubs (replaced within minutes by name.cpp, place.cpp, country.cpp, date.cpp).
#include "internal.hpp"
namespace hashgate::detail {
Errc normalize_name_into(Field, std::string_view, const Profile&, std::string&) { return Errc::unsupported_field; }
Errc normalize_city_into(std::string_view, std::string&) { return Errc::unsupported_field; }
Errc normalize_state_into(std::string_view, std::string&) { return Errc::unsupported_field; }
Errc normalize_zip_into(std::string_view, Region, std::string&) { return Errc::unsupported_field; }
Errc normalize_country_into(std::string_view, std::string&) { return Errc::unsupported_field; }
Errc normalize_date_into(std::string_view, std::string&) { return Errc::unsupported_field; }
Errc normalize_gender_into(std::string_view, std::string&) { return Errc::unsupported_field; }
}  // namespace hashgate::detail
