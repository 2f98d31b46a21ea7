// Fuzzes the onboarding configuration: the "agreements" array and a tenant's "role" parsed from
// arbitrary JSON, and the date parser on raw bytes. Either a clean AgreementError naming a key,
// or agreements that satisfy every rule of docs/onboarding.md.
#include "gateway/onboarding/agreements.hpp"

#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"

namespace ob = hashgate::gw::onboarding;

namespace {

std::optional<ob::Role> role_of(std::string_view id) {
  if (id == "a") return ob::Role::advertiser;
  if (id == "p") return ob::Role::publisher;
  if (id == "b" || id == "c") return ob::Role::both;
  return std::nullopt;
}

void check_date(std::string_view text) {
  const auto d = ob::parse_date(text);
  if (d) {
    HG_FUZZ_CHECK(ob::format_date(*d) == text);  // only canonical YYYY-MM-DD is accepted
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_date(text.substr(0, 16));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  try {
    ob::parse_role(j, "tenants[0]");
  } catch (const ob::AgreementError& e) {
    HG_FUZZ_CHECK(std::string_view(e.what()).starts_with("config: tenants[0].role: "));
  }
  try {
    const auto all = ob::parse_agreements(j, role_of);
    for (const ob::Agreement& a : all) {
      HG_FUZZ_CHECK(a.min_audience >= 10 && !a.purpose.empty() && a.advertiser != a.publisher);
      HG_FUZZ_CHECK(ob::may_advertise(*role_of(a.advertiser)));
      HG_FUZZ_CHECK(ob::may_publish(*role_of(a.publisher)));
      HG_FUZZ_CHECK(ob::find_agreement(all, a.id) == &a);
    }
  } catch (const ob::AgreementError& e) {
    HG_FUZZ_CHECK(std::string_view(e.what()).starts_with("config: agreements"));
  }
  return 0;
}
