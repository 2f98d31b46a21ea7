// Unit tests of the request-head checks (gateway/http/framing.*): RFC 9112 §3.2, §6.1, §6.3.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "gateway/http/framing.hpp"

using hashgate::gw::http::check_head;
using hashgate::gw::http::HeadVerdict;
using Headers = std::vector<std::pair<std::string, std::string>>;

namespace {

HeadVerdict verdict(unsigned version, const Headers& h, bool chunked = false) {
  return check_head(version, h, chunked).verdict;
}

}  // namespace

TEST(HttpHead, AcceptsOrdinaryRequests) {
  EXPECT_EQ(verdict(11, {{"host", "x"}}), HeadVerdict::ok);
  EXPECT_EQ(verdict(11, {{"host", "x"}, {"content-length", "5"}}), HeadVerdict::ok);
  EXPECT_EQ(verdict(11, {{"host", "x"}, {"transfer-encoding", "chunked"}}, true), HeadVerdict::ok);
  EXPECT_EQ(verdict(11, {{"host", "x"}, {"transfer-encoding", " Chunked\t"}}, true),
            HeadVerdict::ok);
  EXPECT_EQ(verdict(10, {}), HeadVerdict::ok);  // HTTP/1.0 need not send Host
  EXPECT_EQ(verdict(11, {{"host", "x"}, {"authorization", "Bearer a"}}), HeadVerdict::ok);
}

TEST(HttpHead, TransferCodings) {
  const Headers host = {{"host", "x"}};
  auto with_te = [&](std::vector<std::string> lines) {
    Headers h = host;
    for (auto& l : lines) h.emplace_back("transfer-encoding", l);
    return h;
  };
  // Malformed lists and chunked applied twice: 400.
  for (const char* te :
       {"chunked;q=1", "chunked, chunked", ", chunked", "chunked,", "", "chunked x", "gzip;q=1"})
    EXPECT_EQ(verdict(11, with_te({te}), true), HeadVerdict::bad_request) << te;
  // Any other coding than exactly one final chunked: 501 (issue 18).
  for (const char* te : {"gzip", "identity", "chunked, identity", "xchunked", "gzip, chunked",
                         "deflate,chunked", "x-custom , chunked"})
    for (bool parser_chunked : {true, false})
      EXPECT_EQ(verdict(11, with_te({te}), parser_chunked), HeadVerdict::not_implemented) << te;
  // Codings over two lines are one list (RFC 9110 §5.3).
  EXPECT_EQ(verdict(11, with_te({"gzip", "chunked"}), true), HeadVerdict::not_implemented);
  EXPECT_EQ(verdict(11, with_te({"chunked", "gzip"}), false), HeadVerdict::not_implemented);
  EXPECT_EQ(verdict(11, with_te({"chunked", "chunked"}), true), HeadVerdict::bad_request);
  // The parser must agree that it frames the body as chunked.
  EXPECT_EQ(verdict(11, with_te({"chunked"}), false), HeadVerdict::bad_request);
  // Never with Content-Length, never on HTTP/1.0.
  Headers both = with_te({"chunked"});
  both.emplace_back("content-length", "5");
  EXPECT_EQ(verdict(11, both, true), HeadVerdict::bad_request);
  EXPECT_EQ(verdict(10, with_te({"chunked"}), true), HeadVerdict::bad_request);
}

TEST(HttpHead, HostAndAuthorization) {
  EXPECT_EQ(verdict(11, {}), HeadVerdict::bad_request);
  EXPECT_EQ(verdict(11, {{"host", "a"}, {"host", "a"}}), HeadVerdict::bad_request);
  EXPECT_EQ(verdict(10, {{"host", "a"}, {"host", "b"}}), HeadVerdict::bad_request);
  for (const char* bad :
       {"a b", "a/b", "u@h", "h:8o", "h:123456", "[::1", "[::1]x", "h\\x", "h#", "a\tb"})
    EXPECT_EQ(verdict(11, {{"host", bad}}), HeadVerdict::bad_request) << bad;
  for (const char* ok : {"127.0.0.1:8080", "[::1]:8080", "[::1]", "shop.example",
                         "shop.example:", "xn--bcher-kva.example", ""})
    EXPECT_EQ(verdict(11, {{"host", ok}}), HeadVerdict::ok) << ok;
  EXPECT_EQ(
      verdict(11, {{"host", "x"}, {"authorization", "Bearer a"}, {"authorization", "Bearer a"}}),
      HeadVerdict::bad_request);
  // Reasons are fixed labels; messages never carry a header value.
  const auto c = check_head(11, Headers{{"host", "evil value"}}, false);
  EXPECT_EQ(c.reason, "bad_host");
  EXPECT_EQ(std::string(c.message).find("evil"), std::string::npos);
}
