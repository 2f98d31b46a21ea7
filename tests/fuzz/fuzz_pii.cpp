// Fuzzes the PII guard's phone path: the candidate finder (stage 1) and the numbering-plan rules
// over libphonenumber (stage 2), behind the full find_pii (decoded variants included).
// Invariants: no crash or hang; every candidate is a stretch of the input, in order, without
// overlap, with at least k_min_digits digits that are exactly the digits of its text; the
// guard's answer does not depend on the fast path (a neutral "\xEF " prefix forces the folding
// path; checked for one input in four); running out of libphonenumber budget never turns a phone
// into "no phone" (fail closed). Seeds: tests/gateway/pii_corpus/values.tsv (run.sh writes one file
// per value).
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "gateway/policy/pii_guard.hpp"
#include "gateway/policy/pii_phone.hpp"

namespace {

using namespace hashgate::gw::policy;

void check_candidates(std::string_view s) {
  PhoneCandidates cands(s);
  PhoneCandidate c;
  const char* last_end = s.data();
  int n = 0;
  while (cands.next(c)) {
    HG_FUZZ_CHECK(++n <= static_cast<int>(s.size()));
    HG_FUZZ_CHECK(!c.text.empty());
    HG_FUZZ_CHECK(c.text.data() >= last_end);
    HG_FUZZ_CHECK(c.text.data() + c.text.size() <= s.data() + s.size());
    last_end = c.text.data() + c.text.size();
    HG_FUZZ_CHECK(c.n_digits >= PhoneCandidates::k_min_digits);
    std::string digits;
    for (char ch : c.text)
      if (ch >= '0' && ch <= '9') digits.push_back(ch);
    HG_FUZZ_CHECK(digits.size() == c.n_digits);
    HG_FUZZ_CHECK(std::string_view(digits).substr(0, c.digit_view().size()) == c.digit_view());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  check_candidates(s);
  const PiiGuard& guard = default_pii_guard();
  PiiBudget budget;
  const PiiKind kind = guard.find(s, budget);
  // One input in four also takes the folding path (it costs a second full scan).
  if (size > 0 && data[0] % 4 == 0) HG_FUZZ_CHECK(find_pii("\xEF " + std::string(s)) == kind);
  PiiBudget none{0};
  const PiiKind starved = guard.find(s, none);
  if (kind == PiiKind::phone) HG_FUZZ_CHECK(starved == PiiKind::phone);
  // An e-mail found only in a decoded variant may be preceded by a phone candidate that the
  // starved scan counts as a phone: still refused.
  if (kind == PiiKind::email) HG_FUZZ_CHECK(starved != PiiKind::none);
  if (s.size() >= 10 && s.size() <= 20) (void)guard.find_in_integer(s, budget);
  return 0;
}
