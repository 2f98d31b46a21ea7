// Fuzzes every normalizer and hash() of the SDK under every profile. Invariants: no crash, no hang;
// a normalized value is valid UTF-8 and within the input limit; a hash has exactly the length of
// its encoding; an e-mail's normalization is idempotent.
#include <hashgate/hashgate.hpp>

#include "fuzz_common.hpp"

using namespace hashgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Cursor in(data, size);
  const auto field = static_cast<Field>(in.byte() % 11);
  const auto pid = static_cast<ProfileId>(in.byte() % 4);
  const std::uint8_t sel = in.byte();
  static constexpr const char* k_regions[] = {"", "NL", "US", "GB", "DE", "FR", "BE", "IT"};
  Options opt;
  if (auto r = region_by_code(k_regions[sel % 8]); r) opt.region = *r;
  opt.encoding = (sel & 0x10) ? Encoding::base64 : Encoding::hex;
  const std::string_view value = in.rest();
  const Profile& p = profile(pid);

  auto norm = normalize(field, value, p, opt);
  if (norm) {
    HG_FUZZ_CHECK(valid_utf8(*norm));
    HG_FUZZ_CHECK(norm->size() <= 4 * k_max_input_bytes);
    if (field == Field::em) {
      auto again = normalize(field, *norm, p, opt);
      HG_FUZZ_CHECK(again.ok() && *again == *norm);
    }
  }
  auto h = hash(field, value, p, opt);
  if (h) {
    const std::size_t n = digest_size(opt.algo);
    const std::size_t want = *opt.encoding == Encoding::hex ? 2 * n : 4 * ((n + 2) / 3);
    HG_FUZZ_CHECK(h->size() == want);
  }
  return 0;
}
