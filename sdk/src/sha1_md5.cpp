// SHA-1 and MD5 through OpenSSL's low-level API (for LiveRamp, which accepts them).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/sha.h>

#include "internal.hpp"

namespace hashgate::detail {

bool sha1_raw(std::string_view data, std::uint8_t out[20]) noexcept {
  SHA_CTX ctx;
  const bool ok = SHA1_Init(&ctx) == 1 && SHA1_Update(&ctx, data.data(), data.size()) == 1 &&
                  SHA1_Final(out, &ctx) == 1;
  secure_zero(&ctx, sizeof ctx);
  return ok;
}

bool md5_raw(std::string_view data, std::uint8_t out[16]) noexcept {
  MD5_CTX ctx;
  const bool ok = MD5_Init(&ctx) == 1 && MD5_Update(&ctx, data.data(), data.size()) == 1 &&
                  MD5_Final(out, &ctx) == 1;
  secure_zero(&ctx, sizeof ctx);
  return ok;
}

}  // namespace hashgate::detail
