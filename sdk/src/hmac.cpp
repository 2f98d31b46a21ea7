// HMAC-SHA256 per RFC 2104 on top of the low-level SHA256_* calls (not HMAC()/EVP).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "internal.hpp"

namespace hashgate::detail {

bool hmac_sha256_raw(std::span<const std::uint8_t> key, std::string_view data,
                     std::uint8_t out[32]) noexcept {
  constexpr std::size_t k_block = 64;
  std::uint8_t k0[k_block] = {};
  bool ok = true;
  if (key.size() > k_block) {
    // Keys longer than the block size are hashed first (RFC 2104 §2).
    SHA256_CTX kc;
    ok = SHA256_Init(&kc) == 1 && SHA256_Update(&kc, key.data(), key.size()) == 1 &&
         SHA256_Final(k0, &kc) == 1;
    secure_zero(&kc, sizeof kc);
  } else {
    for (std::size_t i = 0; i < key.size(); ++i) k0[i] = key[i];
  }
  std::uint8_t pad[k_block];
  std::uint8_t inner[32];
  SHA256_CTX ctx;
  for (std::size_t i = 0; i < k_block; ++i) pad[i] = k0[i] ^ 0x36;
  ok = ok && SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, pad, k_block) == 1 &&
       SHA256_Update(&ctx, data.data(), data.size()) == 1 && SHA256_Final(inner, &ctx) == 1;
  for (std::size_t i = 0; i < k_block; ++i) pad[i] = k0[i] ^ 0x5c;
  ok = ok && SHA256_Init(&ctx) == 1 && SHA256_Update(&ctx, pad, k_block) == 1 &&
       SHA256_Update(&ctx, inner, sizeof inner) == 1 && SHA256_Final(out, &ctx) == 1;
  secure_zero(k0, sizeof k0);
  secure_zero(pad, sizeof pad);
  secure_zero(inner, sizeof inner);
  secure_zero(&ctx, sizeof ctx);
  return ok;
}

}  // namespace hashgate::detail
