// SHA-256 through OpenSSL's low-level API (SHA256_Init/Update/Final): no EVP, so the wasm
// build does not pull in the provider machinery.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "internal.hpp"

namespace hashgate::detail {

bool sha256_raw(std::string_view data, std::uint8_t out[32]) noexcept {
  SHA256_CTX ctx;
  const bool ok = SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, data.data(), data.size()) == 1 &&
                  SHA256_Final(out, &ctx) == 1;
  secure_zero(&ctx, sizeof ctx);  // the context held (a block of) the personal data
  return ok;
}

}  // namespace hashgate::detail

namespace hashgate {
bool sha256(std::string_view data, std::span<std::uint8_t, 32> out) noexcept {
  return detail::sha256_raw(data, out.data());
}
}  // namespace hashgate
