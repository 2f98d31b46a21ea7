// Fuzzes the export cursor's parser (gateway/store/store.hpp): no crash on any input; whatever it
// accepts is canonical (formatting it back gives the same bytes) and names a sequence number in
// 1 … 2^63 − 1; and every such number's cursor is accepted.
#include "gateway/store/store.hpp"

#include <cstring>

#include "fuzz_common.hpp"

using namespace hashgate::gw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto c = parse_export_cursor(text)) {
    HG_FUZZ_CHECK(c->seq >= 1);
    HG_FUZZ_CHECK(format_export_cursor(*c) == text);
  }
  if (size >= 8) {  // the first 8 bytes as a sequence number: its cursor round-trips
    std::int64_t seq;
    std::memcpy(&seq, data, sizeof seq);
    if (seq > 0) {
      const std::string wire = format_export_cursor(ExportCursor{seq});
      const auto back = parse_export_cursor(wire);
      HG_FUZZ_CHECK(back && back->seq == seq);
      HG_FUZZ_CHECK(wire.size() <= 19);
    }
  }
  return 0;
}
