// Unit tests of the route table (gateway/api/route_table.*): method sets and Allow, path patterns
// with named segments and their grammar, lookup order and 405 information.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "gateway/api/route_table.hpp"

using namespace hashgate::gw::api;

namespace {

using Table = RouteTable<int>;

const Table& table() {
  // clang-format off
  static const Table t{
    {k_post | k_options, "/v1/events",                   Access::site_or_api, "events",  1},
    {k_get,              "/v1/events/export",            Access::api_key,     "export",  2},
    {k_get | k_options,  "/v1/optout",                   Access::none,        "optout",  3},
    {k_post,             "/v1/optout",                   Access::site_or_api, "optout",  4},
    {k_post,             "/v1/audiences/{name}/members", Access::api_key,     "members", 5},
    {k_delete,           "/v1/audiences/{name}",         Access::api_key,     "audience", 6},
    {k_get,              "/v1/matches/{match_id}/export", Access::api_key,    "match_export", 7},
    {k_get,              "/v1/a/{x}/b/{y}",              Access::none,        "two",     8},
  };
  // clang-format on
  return t;
}

}  // namespace

TEST(GatewayRouteTable, MethodBitsAreExactAndAllowIsInAFixedOrder) {
  EXPECT_EQ(method_bit("GET"), k_get);
  EXPECT_EQ(method_bit("DELETE"), k_delete);
  EXPECT_EQ(method_bit("OPTIONS"), k_options);
  EXPECT_EQ(method_bit("get"), 0u);  // methods are case-sensitive (RFC 9110 section 9.1)
  EXPECT_EQ(method_bit("HEAD"), 0u);
  EXPECT_EQ(method_bit(""), 0u);
  EXPECT_EQ(allow_header(k_options | k_post | k_get), "GET, POST, OPTIONS");
  EXPECT_EQ(allow_header(k_post | k_options), "POST, OPTIONS");
  EXPECT_EQ(allow_header(k_delete | k_put | k_patch), "PUT, PATCH, DELETE");
  EXPECT_EQ(allow_header(k_any_method), "GET, POST, PUT, PATCH, DELETE, OPTIONS");
  EXPECT_EQ(allow_header(0), "");
}

TEST(GatewayRouteTable, FindsTheRowForMethodAndPath) {
  auto m = table().find("POST", "/v1/events");
  ASSERT_NE(m.route, nullptr);
  EXPECT_TRUE(m.method_allowed);
  EXPECT_EQ(m.route->handler, 1);
  EXPECT_STREQ(m.route->label, "events");
  EXPECT_EQ(m.route->access, Access::site_or_api);
  // Two rows share a path: each method finds its own.
  EXPECT_EQ(table().find("GET", "/v1/optout").route->handler, 3);
  EXPECT_EQ(table().find("POST", "/v1/optout").route->handler, 4);
  EXPECT_EQ(table().find("GET", "/v1/events/export").route->handler, 2);
}

TEST(GatewayRouteTable, AWrongMethodGivesTheUnionOfThePathsMethods) {
  auto m = table().find("DELETE", "/v1/optout");
  ASSERT_NE(m.route, nullptr);
  EXPECT_FALSE(m.method_allowed);
  EXPECT_STREQ(m.route->label, "optout");
  EXPECT_EQ(allow_header(m.allowed), "GET, POST, OPTIONS");
  m = table().find("GET", "/v1/events");
  EXPECT_FALSE(m.method_allowed);
  EXPECT_EQ(allow_header(m.allowed), "POST, OPTIONS");
  m = table().find("get", "/v1/events/export");
  EXPECT_FALSE(m.method_allowed);
  EXPECT_EQ(allow_header(m.allowed), "GET");
}

TEST(GatewayRouteTable, UnknownPathsMatchNothing) {
  for (const char* p : {"/v1/events/", "/V1/events", "/v1/event", "/v1/events/export/x", "/v1", "/",
                        "", "v1/events", "/v1//events", "/v1/events?x=1"}) {
    auto m = table().find("POST", p);
    EXPECT_EQ(m.route, nullptr) << p;
    EXPECT_EQ(m.allowed, 0u) << p;
  }
}

TEST(GatewayRouteTable, NamedSegmentsAreCaptured) {
  auto m = table().find("POST", "/v1/audiences/vip-2025_a.b~c/members");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler, 5);
  EXPECT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params.get("name"), "vip-2025_a.b~c");
  EXPECT_EQ(m.params.get("other"), "");
  m = table().find("DELETE", "/v1/audiences/x");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->handler, 6);
  EXPECT_EQ(m.params.get("name"), "x");
  m = table().find("GET", "/v1/matches/01JD5ZQ8K2/export");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.get("match_id"), "01JD5ZQ8K2");
  m = table().find("GET", "/v1/a/1/b/2");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params.get("x"), "1");
  EXPECT_EQ(m.params.get("y"), "2");
  // A named segment matches one segment only; the literals around it must match too.
  EXPECT_EQ(table().find("POST", "/v1/audiences/a/b/members").route, nullptr);
  EXPECT_EQ(table().find("POST", "/v1/audiences/vip/member").route, nullptr);
  EXPECT_EQ(table().find("POST", "/v1/audiences/vip/members/").route, nullptr);
  EXPECT_EQ(table().find("DELETE", "/v1/audiences/vip/").route, nullptr);
  // Method mismatch on a pattern path: 405 information, no captured values.
  m = table().find("GET", "/v1/audiences/vip");
  EXPECT_FALSE(m.method_allowed);
  EXPECT_EQ(allow_header(m.allowed), "DELETE");
  EXPECT_EQ(m.params.size(), 0u);
}

TEST(GatewayRouteTable, SegmentGrammar) {
  EXPECT_TRUE(valid_segment_value("a"));
  EXPECT_TRUE(valid_segment_value("A-Z_a-z.0-9~"));
  EXPECT_TRUE(valid_segment_value(std::string(128, 'x')));
  EXPECT_TRUE(valid_segment_value("..."));
  EXPECT_TRUE(valid_segment_value(".hidden"));
  EXPECT_FALSE(valid_segment_value(""));
  EXPECT_FALSE(valid_segment_value(std::string(129, 'x')));
  EXPECT_FALSE(valid_segment_value("."));
  EXPECT_FALSE(valid_segment_value(".."));
  for (const char* bad : {"a b", "a%20b", "a/b", "a?b", "a#b", "a+b", "a@b", "a:b", "a;b", "a=b",
                          "a\\b", "caf\xC3\xA9", "{name}", "a*", "a,b"})
    EXPECT_FALSE(valid_segment_value(bad)) << bad;
  EXPECT_FALSE(valid_segment_value(std::string_view("a\0b", 3)));
  // The same grammar guards matching: a value outside it is no match (so a 404 for /v1/).
  EXPECT_EQ(table().find("DELETE", "/v1/audiences/..").route, nullptr);
  EXPECT_EQ(table().find("DELETE", "/v1/audiences/a%2Fb").route, nullptr);
  EXPECT_EQ(table().find("DELETE", "/v1/audiences/" + std::string(129, 'x')).route, nullptr);
  EXPECT_NE(table().find("DELETE", "/v1/audiences/" + std::string(128, 'x')).route, nullptr);
}

TEST(GatewayRouteTable, BadPatternsAreRefusedAtConstruction) {
  for (const char* bad : {"", "v1/x", "/", "/v1//x", "/v1/x/", "/v1/{}", "/v1/{Name}", "/v1/{1a}",
                          "/v1/{a-b}", "/v1/x{a}", "/v1/{a}x", "/v1/{a", "/v1/a}", "/v1/{a}/{a}",
                          "/{a}/{b}/{c}/{d}/{e}", "/v1/{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}"})
    EXPECT_THROW(PathPattern{bad}, std::invalid_argument) << bad;
  EXPECT_NO_THROW(PathPattern{"/{a}/{b}/{c}/{d}"});
  EXPECT_NO_THROW(PathPattern{"/v1/{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}"});
  EXPECT_NO_THROW(PathPattern{"/v1/{_x9}"});
}

TEST(GatewayRouteTable, HostilePathsNeverMatchAPatternWrongly) {
  PathPattern p("/v1/audiences/{name}/members");
  PathParams params;
  for (std::string path :
       {std::string("/v1/audiences//members"), std::string("/v1/audiences/members"),
        std::string("/v1/audiences/%2e%2e/members"), std::string("//v1/audiences/a/members"),
        std::string("/v1/audiences/a/members/members"), std::string(10000, '/'),
        "/v1/audiences/" + std::string(100000, 'a') + "/members", std::string("/v1/audiences/a"),
        std::string("/v1/audiences/a/members\0", 24), std::string("x")}) {
    EXPECT_FALSE(p.match(path, params)) << path.substr(0, 60);
    EXPECT_EQ(params.size(), 0u);
  }
  EXPECT_TRUE(p.match("/v1/audiences/a/members", params));
  EXPECT_EQ(params.get("name"), "a");
  EXPECT_EQ(p.text(), "/v1/audiences/{name}/members");
}
