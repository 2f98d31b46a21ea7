// Fuzzes the Kafka record decoders (gateway/kafka/records.hpp): no crash on any input, and
// whatever decodes encodes back to a value that decodes to the same record.
#include "gateway/kafka/records.hpp"

#include "fuzz_common.hpp"

using namespace hashgate::gw;
using namespace hashgate::gw::kafka;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto ev = decode_event(text)) {
    const auto again = decode_event(encode_event(*ev));
    HG_FUZZ_CHECK(again && encode_event(*again) == encode_event(*ev));
    HG_FUZZ_CHECK(!ev->tenant.empty() && !ev->event_id.empty());
  }
  if (const auto r = decode_opt(text)) {
    const auto again = decode_opt(encode_opt(*r));
    HG_FUZZ_CHECK(again && encode_opt(*again) == encode_opt(*r));
    HG_FUZZ_CHECK(!r->tenant.empty() && !r->id.empty());
  }
  return 0;
}
