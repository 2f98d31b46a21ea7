#pragma once
// Helpers of the deliver suite: stored events in the export format, TC strings built bit by bit,
// an environment map, an independent HMAC (OpenSSL's one-shot HMAC(), not the SDK's path), a fake
// clock and a temporary folder.

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/deliver/destination.hpp"
#include "tests/tcf/tcf_test_util.hpp"

namespace hashgate::gw::deliver::test {

// The TCF suite's bit writer: hashgate::gw::test before issue 13, hashgate::tcf::test after.
#if __has_include("tcf/consent.hpp")
namespace tcf_test = hashgate::tcf::test;
#else
namespace tcf_test = hashgate::gw::test;
#endif

/// Lowercase hex of SHA-256(`text`) computed with OpenSSL directly.
inline std::string sha256_hex(const std::string& text) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char b : md) {
    out += k[b >> 4];
    out += k[b & 15];
  }
  return out;
}

/// Lowercase hex of HMAC-SHA256(key, data) via OpenSSL's HMAC() (independent of the SDK).
inline std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += k[md[i] >> 4];
    out += k[md[i] & 15];
  }
  return out;
}

/// One stored event as the store's export writes it (docs/storage.md), for person `email`
/// (only its SHA-256 is stored) and phone digits `phone`.
inline std::string export_line(const std::string& event_id, const std::string& type,
                               std::int64_t time, const std::string& email,
                               const std::string& phone = "31612345678",
                               const std::string& uid = "") {
  nlohmann::ordered_json j = {
      {"event_id", event_id},
      {"type", type},
      {"time", time},
      {"received", time + 1},
      {"ids",
       {{"em", sha256_hex(email)},
        {"ph", sha256_hex(phone)},
        {"external_id", sha256_hex("crm-" + event_id)}}},
  };
  if (!uid.empty()) j["uid"] = uid;
  j["online_ids"] = {
      {"fbp", "fb.1.1764374400.123456"}, {"fbc", "fb.1.1764374400.AbCd"}, {"gclid", "Cj0KCQ"}};
  j["custom"] = {{"value", 59.95}, {"currency", "EUR"}};
  j["legal_basis"] = "consent";
  j["consent"] = {{"basis", "consent"}, {"allowed", true}};
  return j.dump();
}

/// A google_dm destination "gads" of tenant "shop" whose API base is `api_url`, with `token`
/// as its static access token (empty: the caller sets `oauth`).
inline Destination google_dm(const std::string& api_url, const std::string& token = "") {
  Destination g;
  g.tenant = "shop";
  g.id = "gads";
  g.kind = Kind::google_dm;
  if (!parse_url(api_url, g.url).empty()) throw std::invalid_argument("google_dm: bad test URL");
  if (!token.empty()) g.secret = Secret(std::string(token));
  g.google.operating_account_id = "1112223333";
  g.google.conversion_action_id = "555";
  g.google.user_list_id = "777";
  g.timeout_ms = 5000;
  return g;
}

/// An EnvLookup over a fixed map.
inline EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

/// A TC string (core segment only) granting `purposes` and vendor consent for `vendors`;
/// `restrict_purpose_1_for` adds a publisher restriction "purpose 1 not allowed" for that vendor.
inline std::string tc_string(const std::vector<int>& purposes, const std::vector<int>& vendors,
                             int restrict_purpose_1_for = 0) {
  auto w = tcf_test::core_header(4, 17000000000ULL, purposes, {});
  int max_vendor = 0;
  for (int v : vendors) max_vendor = std::max(max_vendor, v);
  w.put(static_cast<std::uint64_t>(max_vendor), 16)
      .put(0, 1)
      .field(static_cast<unsigned>(max_vendor), vendors);
  w.put(0, 16).put(0, 1);  // vendor legitimate interest: none
  if (restrict_purpose_1_for != 0) {
    w.put(1, 12).put(1, 6).put(0, 2).put(1, 12).put(0, 1).put(
        static_cast<std::uint64_t>(restrict_purpose_1_for), 16);
  } else {
    w.put(0, 12);  // no publisher restrictions
  }
  return w.str();
}

/// A clock the test moves by hand.
struct FakeClock {
  std::atomic<std::int64_t> ms{1764374400000};  // 2025-11-29T00:00:00Z
  std::int64_t operator()() const { return ms.load(); }
};

/// A fresh folder under the system's temp dir, removed at the end.
struct TempDir {
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("hg-deliver-" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

}  // namespace hashgate::gw::deliver::test
