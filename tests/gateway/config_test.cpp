// Unit tests of the strict configuration loader (gateway/config).
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "gateway/config/config.hpp"

using hashgate::gw::config::ConfigError;
using hashgate::gw::config::parse_config;

namespace {

const std::string k_tenant =
    R"({"id":"t1","site_keys":[{"key":"pk_1","allowed_origins":["self","https://shop.example"]}],)"
    R"("api_key_sha256":"12b2820cf1639904311da5771de1e5bb65c77073fdc7c555df395942df42896b"})";

std::string error_of(const std::string& text) {
  try {
    parse_config(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(GatewayConfig, ParsesMinimalAndDefaults) {
  auto c = parse_config(R"({"tenants":[)" + k_tenant + "]}");
  ASSERT_EQ(c.tenants.size(), 1u);
  EXPECT_EQ(c.tenants[0].id, "t1");
  EXPECT_TRUE(c.tenants[0].gpc);
  EXPECT_FALSE(c.tenants[0].set_uid_cookie);
  EXPECT_EQ(c.max_events, 500u);
  EXPECT_EQ(c.cookies.same_site, "Lax");
  EXPECT_FALSE(c.tls());
  // threads: absent = one per core minus the writer's, at least 1; explicit values win.
  const unsigned cores = std::thread::hardware_concurrency();
  EXPECT_EQ(c.threads, cores > 2 ? static_cast<int>(cores) - 1 : 1);
  EXPECT_EQ(hashgate::gw::config::default_threads(), c.threads);
  EXPECT_EQ(parse_config(R"({"threads":3,"tenants":[)" + k_tenant + "]}").threads, 3);
}

TEST(GatewayConfig, ErrorsNameTheKey) {
  EXPECT_NE(error_of("{"), "");
  EXPECT_NE(error_of("{}").find("tenants"), std::string::npos);
  EXPECT_NE(error_of(R"({"bogus":1,"tenants":[)" + k_tenant + "]}").find("bogus"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"listen":{"port":70000},"tenants":[)" + k_tenant + "]}").find("listen.port"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"threads":"2","tenants":[)" + k_tenant + "]}").find("threads"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"cookies":{"same_site":"lax"},"tenants":[)" + k_tenant + "]}")
                .find("cookies.same_site"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"cookies":{"same_site":"None","secure":"never"},"tenants":[)" + k_tenant + "]}")
          .find("cookies.secure"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"tls":{"cert":"a.pem"},"tenants":[)" + k_tenant + "]}").find("tls.key"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"tenants":[{"id":"x","site_keys":[{"key":"k","allowed_origins":["*"]}]}]})")
          .find("tenants[0].site_keys[0].allowed_origins[0]"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"tenants":[{"id":"x","api_key_sha256":"sk_plain"}]})")
                .find("tenants[0].api_key_sha256"),
            std::string::npos);
  EXPECT_NE(
      error_of(
          R"({"tenants":[{"id":"x","site_keys":[{"key":"k","allowed_origins":["https://a.example/path"]}]}]})")
          .find("allowed_origins"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"tenants":[)" + k_tenant + "," + k_tenant + "]}").find("duplicate"),
            std::string::npos);
  EXPECT_NE(
      error_of(
          R"({"tenants":[{"id":"x","legal_basis":"contract","api_key_sha256":"12b2820cf1639904311da5771de1e5bb65c77073fdc7c555df395942df42896b"}]})")
          .find("legal_basis"),
      std::string::npos);
}

TEST(GatewayConfig, ErrorsNeverEchoSecrets) {
  std::string e = error_of(R"({"tenants":[{"id":"x","api_key_sha256":"sk_very_secret_value"}]})");
  EXPECT_EQ(e.find("sk_very_secret_value"), std::string::npos);
}

TEST(GatewayConfig, Sha256Hex) {
  // printf %s sk_test | sha256sum
  EXPECT_EQ(hashgate::gw::config::sha256_hex("sk_test"),
            "12b2820cf1639904311da5771de1e5bb65c77073fdc7c555df395942df42896b");
}

TEST(GatewayConfig, PiiPhoneRegionsAndAllowPaths) {
  auto with_pii = [](const std::string& pii) {
    std::string t = k_tenant;
    t.insert(t.size() - 1, R"(,"pii":)" + pii);
    return R"({"tenants":[)" + t + "]}";
  };
  const auto absent = parse_config(R"({"tenants":[)" + k_tenant + "]}");
  EXPECT_FALSE(absent.tenants[0].pii.phone_regions.has_value());  // the default list applies
  EXPECT_TRUE(absent.tenants[0].pii.allow_paths.empty());
  const auto c = parse_config(
      with_pii(R"({"phone_regions":["nl","BE"],"allow_paths":["/custom/items/*/sku"]})"));
  ASSERT_TRUE(c.tenants[0].pii.phone_regions.has_value());
  ASSERT_EQ(c.tenants[0].pii.phone_regions->size(), 2u);
  EXPECT_EQ((*c.tenants[0].pii.phone_regions)[0].view(), "NL");
  EXPECT_EQ(c.tenants[0].pii.allow_paths, std::vector<std::string>{"/custom/items/*/sku"});
  EXPECT_TRUE(parse_config(with_pii(R"({"phone_regions":[]})")).tenants[0].pii.phone_regions);
  for (const char* bad : {R"({"phone_regions":["XX"]})", R"({"phone_regions":["NL","nl"]})",
                          R"({"phone_regions":"NL"})", R"({"phone_regions":[31]})"})
    EXPECT_NE(error_of(with_pii(bad)).find("tenants[0].pii.phone_regions"), std::string::npos)
        << bad;
  // ids can never be allowed: only paths below /custom/, of plain steps or "*".
  for (const char* bad :
       {R"({"allow_paths":["/ids/em"]})", R"({"allow_paths":["/custom/"]})",
        R"({"allow_paths":["/custom//sku"]})", R"({"allow_paths":["/custom/a b"]})",
        R"({"allow_paths":["custom/sku"]})", R"({"allow_paths":["/custom/1/2/3/4/5/6/7/8/9"]})",
        R"({"allow_paths":"/custom/sku"})"})
    EXPECT_NE(error_of(with_pii(bad)).find("tenants[0].pii.allow_paths"), std::string::npos) << bad;
  EXPECT_NE(error_of(with_pii(R"({"regions":["NL"]})")).find("tenants[0].pii.regions"),
            std::string::npos);
}
