// digest(): dispatch to the per-algorithm translation units.
#include "internal.hpp"

namespace hashgate {

Errc digest(Algo algo, std::string_view data, std::span<std::uint8_t> out,
            std::span<const std::uint8_t> key) noexcept {
  if (out.size() < digest_size(algo)) return Errc::internal;
  bool ok = false;
  switch (algo) {
    case Algo::sha256:
      ok = detail::sha256_raw(data, out.data());
      break;
    case Algo::sha1:
      ok = detail::sha1_raw(data, out.data());
      break;
    case Algo::md5:
      ok = detail::md5_raw(data, out.data());
      break;
    case Algo::hmac_sha256:
      if (key.empty()) return Errc::missing_key;
      ok = detail::hmac_sha256_raw(key, data, out.data());
      break;
  }
  return ok ? Errc::ok : Errc::internal;
}

}  // namespace hashgate
