// Differential fuzzing: hash_batch() over a buffer must give, entry by entry, exactly what hash()
// gives for each value on its own (same digest or same error).
#include <hashgate/hashgate.hpp>

#include "fuzz_common.hpp"

using namespace hashgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Cursor in(data, size);
  const auto field = static_cast<Field>(in.byte() % 11);
  const Profile& p = profile(static_cast<ProfileId>(in.byte() % 4));
  Options opt;
  if (auto r = region_by_code("NL"); r && (in.byte() & 1)) opt.region = *r;
  const std::string_view buffer = in.rest();

  const auto items = hash_batch(field, buffer, p, opt);
  std::size_t start = 0, index = 0;
  while (start < buffer.size()) {
    std::size_t end = buffer.find('\n', start);
    if (end == std::string_view::npos) end = buffer.size();
    HG_FUZZ_CHECK(index < items.size());
    auto one = hash(field, buffer.substr(start, end - start), p, opt);
    HG_FUZZ_CHECK(one.error() == items[index].error);
    if (one) HG_FUZZ_CHECK(*one == items[index].value);
    ++index;
    start = end + 1;
  }
  HG_FUZZ_CHECK(index == items.size());
  return 0;
}
