// libphonenumber adapter of the PII guard (see pii_phonelib.hpp). The only file that includes
// the library's headers (they bring protobuf and Abseil with them).
#include "gateway/policy/pii_phonelib.hpp"

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>

#include <mutex>

namespace hashgate::gw::policy::phonelib {
namespace {

namespace pn = i18n::phonenumbers;

/// Candidates the matcher may try inside one text (it stops after this many failed ones).
constexpr int k_matcher_tries = 8;

const pn::PhoneNumberUtil& util() {
  static std::once_flag once;
  std::call_once(once, [] {
    // The library's logger would print parse errors; the guard's inputs are personal data.
    pn::PhoneNumberUtil::GetInstance()->SetLogger(new pn::NullLogger());
  });
  return *pn::PhoneNumberUtil::GetInstance();
}

}  // namespace

void warm_up() { (void)util(); }

RegionPlan plan_for(Region region) {
  const auto& u = util();
  RegionPlan p;
  p.region = region;
  p.code = std::string(region.view());
  const int cc = u.GetCountryCodeForRegion(p.code);
  p.supported = cc != 0;
  if (!p.supported) return p;
  p.calling = std::to_string(cc);
  u.GetNddPrefixForRegion(p.code, true, &p.ndd);
  p.nanp = u.IsNANPACountry(p.code);
  return p;
}

bool parses_as(const std::string& text, const RegionPlan* plan, Test test) {
  if (plan && !plan->supported) return false;
  const auto& u = util();
  pn::PhoneNumber n;
  if (u.Parse(text, plan ? plan->code : "ZZ", &n) != pn::PhoneNumberUtil::NO_PARSING_ERROR)
    return false;
  if (plan && std::to_string(n.country_code()) != plan->calling) return false;
  switch (test) {
    case Test::possible:
      return u.IsPossibleNumber(n);
    case Test::valid:
      return u.IsValidNumber(n);
    case Test::mobile: {
      const auto type = u.GetNumberType(n);
      return type == pn::PhoneNumberUtil::MOBILE ||
             type == pn::PhoneNumberUtil::FIXED_LINE_OR_MOBILE;
    }
  }
  return false;
}

bool matcher_finds(const std::string& text, const RegionPlan& plan) {
  if (!plan.supported) return false;
  pn::PhoneNumberMatcher m(util(), text, plan.code, pn::PhoneNumberMatcher::VALID, k_matcher_tries);
  return m.HasNext();
}

}  // namespace hashgate::gw::policy::phonelib
