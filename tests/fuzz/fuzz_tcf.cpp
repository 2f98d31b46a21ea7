// Fuzzes the TCF decoder and the consent decision: no crash, bounded work, and a decoded string's
// JSON rendering and decision are always produced.
#include "tcf/consent.hpp"
#include "tcf/tc_string.hpp"

#include <utility>

#include "fuzz_common.hpp"

using namespace hashgate::tcf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hashgate::fuzz::Cursor in(data, size);
  const std::uint8_t sel = in.byte();
  const std::string_view text = in.rest();
  auto r = decode_tc_string(text);
  HG_FUZZ_CHECK(r.ok() != !r.error.empty());
  if (r.ok()) {
    const std::string json = tc_string_to_json(*r.tc);
    HG_FUZZ_CHECK(!json.empty() && json.front() == '{' && json.back() == '}');
  }
  TcfPolicy policy;
  policy.vendor_id = 1 + sel % 64;
  policy.required_purposes = {1, 1 + sel % 10};
  policy.strict_policy_version = sel & 1;
  const auto basis = (sel & 2) ? LegalBasis::legitimate_interest : LegalBasis::consent;
  const auto d = decide_consent(basis, policy, text, 1764374400);
  if (!r.ok()) HG_FUZZ_CHECK(!d.allowed);
  // Reasons and summaries are printable ASCII of our own making: they never echo the consent
  // string. (An input containing '~', which none of our texts use, must not appear in them.)
  for (const std::string* out :
       {&std::as_const(d.reason), &std::as_const(d.summary_json), &std::as_const(r.error)})
    for (unsigned char c : *out) HG_FUZZ_CHECK(c >= 0x20 && c < 0x7f);
  if (text.size() >= 4 && text.find('~') != std::string_view::npos) {
    HG_FUZZ_CHECK(d.reason.find(text) == std::string::npos);
    HG_FUZZ_CHECK(d.summary_json.find(text) == std::string::npos);
    HG_FUZZ_CHECK(r.error.find(text) == std::string::npos);
  }
  return 0;
}
