// Unit tests of the strict configuration loader (gateway/config).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <thread>

#include <hashgate/hashgate.hpp>
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
  EXPECT_EQ(to_string(c.cookies.same_site), "Lax");
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

TEST(GatewayConfig, ReadsTypedValues) {
  using namespace hashgate::gw::config;
  using hashgate::gw::Durability;
  using hashgate::tcf::LegalBasis;
  auto c = parse_config(R"({"tenants":[)" + k_tenant + "]}");
  EXPECT_EQ(c.cookies.same_site, SameSite::lax);
  EXPECT_EQ(c.cookies.secure, CookieSecure::automatic);
  EXPECT_EQ(c.durability, Durability::full);
  EXPECT_EQ(c.tenants[0].legal_basis, LegalBasis::consent);
  // The API key digest is kept as its 32 bytes: those of SHA-256("sk_test").
  std::array<std::uint8_t, 32> expected{};
  ASSERT_TRUE(hashgate::sha256("sk_test", expected));
  ASSERT_TRUE(c.tenants[0].api_key_sha256.has_value());
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), c.tenants[0].api_key_sha256->begin()));
  c = parse_config(
      R"({"cookies":{"same_site":"None","secure":"always"},"store":{"durability":"extra"},)"
      R"("tenants":[{"id":"a","legal_basis":"legitimate_interest","site_keys":[{"key":"k",)"
      R"("allowed_origins":["self"]}]}]})");
  EXPECT_EQ(c.cookies.same_site, SameSite::none);
  EXPECT_EQ(c.cookies.secure, CookieSecure::always);
  EXPECT_EQ(c.durability, Durability::extra);
  EXPECT_EQ(c.tenants[0].legal_basis, LegalBasis::legitimate_interest);
  EXPECT_FALSE(c.tenants[0].api_key_sha256.has_value());
  EXPECT_EQ(to_string(SameSite::strict), "Strict");
  EXPECT_EQ(to_string(SameSite::none), "None");
  EXPECT_EQ(to_string(CookieSecure::never), "never");
  EXPECT_EQ(
      parse_config(R"({"store":{"durability":"normal"},"tenants":[)" + k_tenant + "]}").durability,
      Durability::normal);
}

TEST(GatewayConfig, BadTypedValuesNameTheKeyAndTheChoices) {
  const std::string key = R"("api_key_sha256":")";
  EXPECT_EQ(error_of(R"({"store":{"durability":"fast"},"tenants":[)" + k_tenant + "]}"),
            "config: store.durability: must be normal, full or extra");
  EXPECT_EQ(error_of(R"({"store":{"durability":1},"tenants":[)" + k_tenant + "]}"),
            "config: store.durability: must be a string");
  EXPECT_EQ(error_of(R"({"cookies":{"secure":"sometimes"},"tenants":[)" + k_tenant + "]}"),
            "config: cookies.secure: must be auto, always or never");
  EXPECT_EQ(error_of(R"({"cookies":{"same_site":"lax"},"tenants":[)" + k_tenant + "]}"),
            "config: cookies.same_site: must be Strict, Lax or None");
  EXPECT_EQ(error_of(R"({"tenants":[{"id":"x","legal_basis":"","api_key_sha256":")" +
                     std::string(64, 'a') + "\"}]}"),
            "config: tenants[0].legal_basis: must be \"consent\" or \"legitimate_interest\"");
  const std::string hex_error =
      "config: tenants[0].api_key_sha256: must be 64 lowercase hex characters (sha256 of the key)";
  EXPECT_EQ(error_of(R"({"tenants":[{"id":"x",)" + key + std::string(64, 'A') + "\"}]}"),
            hex_error);
  EXPECT_EQ(error_of(R"({"tenants":[{"id":"x",)" + key + std::string(63, 'a') + "\"}]}"),
            hex_error);
  EXPECT_EQ(error_of(R"({"tenants":[{"id":"x",)" + key + std::string(65, 'a') + "\"}]}"),
            hex_error);
  EXPECT_EQ(error_of(R"({"tenants":[{"id":"x",)" + key + std::string(63, 'a') + "g\"}]}"),
            hex_error);
  EXPECT_EQ(error_of(R"({"tenants":[{"id":"x",)" + key + "\"}]}"),
            "config: tenants[0]: needs at least one of site_keys or api_key_sha256");
  EXPECT_EQ(error_of(R"({"tenants":[{"id":"x",)" + key + std::string(64, 'a') + R"("},{"id":"y",)" +
                     key + std::string(64, 'a') + "\"}]}"),
            "config: tenants[1].api_key_sha256: the same API key is used twice");
}

// Issue 14: tenants' roles and the agreements list are read into typed values; a bad role,
// reference or date refuses start-up naming the key, never the value.
TEST(GatewayConfig, RolesAndAgreements) {
  const std::string pub = R"({"id":"news","role":"publisher","api_key_sha256":)"
                          R"("e31200eb6ded1763854d26080acb8aa98390fbb1b175657ad711e13b674dbac6"})";
  const std::string agreement =
      R"({"id":"t1-news","advertiser":"t1","publisher":"news","purpose":"p",)"
      R"("legal_basis":"legitimate_interest","expires":"2027-01-01"})";
  auto with = [&](const std::string& tenants, const std::string& agreements) {
    return R"({"tenants":[)" + tenants + R"(],"agreements":[)" + agreements + "]}";
  };
  const auto c = parse_config(with(k_tenant + "," + pub, agreement));
  namespace ob = hashgate::gw::onboarding;
  EXPECT_EQ(c.tenants[0].role, ob::Role::advertiser);  // the default
  EXPECT_EQ(c.tenants[1].role, ob::Role::publisher);
  ASSERT_EQ(c.agreements.size(), 1u);
  EXPECT_EQ(c.agreements[0].min_audience, 100);
  EXPECT_EQ(c.agreements[0].legal_basis, ob::LegalBasis::legitimate_interest);
  EXPECT_EQ(ob::format_date(c.agreements[0].expires), "2027-01-01");
  EXPECT_TRUE(parse_config(R"({"tenants":[)" + k_tenant + "]}").agreements.empty());

  std::string bad_role = pub;
  bad_role.replace(bad_role.find("publisher"), 9, "Publisher-secret");
  const std::string e1 = error_of(with(k_tenant + "," + bad_role, agreement));
  EXPECT_NE(e1.find("tenants[1].role"), std::string::npos) << e1;
  EXPECT_EQ(e1.find("Publisher-secret"), std::string::npos) << e1;
  std::string unknown = agreement;
  unknown.replace(unknown.find("\"news\""), 6, "\"nobody-secret\"");
  const std::string e2 = error_of(with(k_tenant + "," + pub, unknown));
  EXPECT_NE(e2.find("agreements[0].publisher"), std::string::npos) << e2;
  EXPECT_EQ(e2.find("nobody-secret"), std::string::npos) << e2;
  std::string date = agreement;
  date.replace(date.find("2027-01-01"), 10, "2027-02-30");
  EXPECT_NE(error_of(with(k_tenant + "," + pub, date)).find("agreements[0].expires"),
            std::string::npos);
  // t1 as publisher: its role (advertiser) does not allow it.
  std::string wrong = agreement;
  wrong.replace(wrong.find("\"advertiser\":\"t1\""), 17, "\"advertiser\":\"news\"");
  wrong.replace(wrong.find("\"publisher\":\"news\""), 18, "\"publisher\":\"t1\"");
  EXPECT_NE(error_of(with(k_tenant + "," + pub, wrong)).find("agreements[0]."), std::string::npos);
  EXPECT_NE(error_of(R"({"tenants":[)" + k_tenant + R"(],"agreements":{}})").find("agreements"),
            std::string::npos);
}
