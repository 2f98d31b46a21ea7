#pragma once
// The PII guard's window on libphonenumber (Debian's libphonenumber8): numbering plans per
// region, possible/valid tests and PhoneNumberMatcher. Its headers stay in pii_phonelib.cpp.
// Every call copies its input into the library's own strings, which the library frees without
// zeroing (docs/pii-guard.md); callers pass only the phone-shaped stretch of a value.

#include <string>
#include <string_view>

#include "hashgate/types.hpp"

namespace hashgate::gw::policy::phonelib {

/// What the candidate rules need to know of one region's numbering plan.
struct RegionPlan {
  Region region;
  std::string code;        ///< "NL"
  std::string calling;     ///< country calling code as digits, "31"
  std::string ndd;         ///< national (trunk) prefix, "0"; empty when the region has none
  bool nanp = false;       ///< a North American Numbering Plan region (calling code 1)
  bool supported = false;  ///< libphonenumber has metadata for the region
};

/// Loads libphonenumber's metadata (≈10 ms, once per process) and silences its logger, so no
/// number ever reaches a log. Thread-safe; later calls return at once.
void warm_up();

/// The numbering-plan facts of `region` (`supported` false when libphonenumber lacks it).
RegionPlan plan_for(Region region);

/// What a parsed number must be to count (libphonenumber's own notions).
enum class Test {
  possible,  ///< its length fits the plan
  valid,     ///< it is in an assigned range
  mobile,    ///< it is in an assigned mobile range (or one that may be mobile)
};

/// True when `text` parses as a number that passes `test`. `plan` null: `text` is an
/// international number starting with '+', checked in its own country's plan. Otherwise it is
/// read as a number of `plan`'s region and must stay one (not another country's, whose calling
/// code it happens to start with).
bool parses_as(const std::string& text, const RegionPlan* plan, Test test);

/// True when PhoneNumberMatcher, leniency VALID, finds a number of `plan`'s region in `text`.
bool matcher_finds(const std::string& text, const RegionPlan& plan);

}  // namespace hashgate::gw::policy::phonelib
