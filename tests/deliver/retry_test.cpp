// URL parsing, the retry verdict per status, Retry-After in all its forms, and the backoff.
#include <gtest/gtest.h>

#include "gateway/deliver/retry.hpp"
#include "gateway/deliver/url.hpp"

namespace hashgate::gw::deliver {
namespace {

TEST(DeliverUrl, ParsesWhatDestinationsUse) {
  Url u;
  ASSERT_EQ(parse_url("http://127.0.0.1:8081/hook", u), "");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8081);
  EXPECT_EQ(u.target, "/hook");
  EXPECT_EQ(u.host_header(), "127.0.0.1:8081");
  ASSERT_EQ(parse_url("https://Hooks.Example.com", u), "");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(u.host_header(), "Hooks.Example.com");
  ASSERT_EQ(parse_url("https://[::1]:8443/a?b=c", u), "");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.host_header(), "[::1]:8443");
  EXPECT_EQ(u.target, "/a?b=c");
  ASSERT_EQ(parse_url("http://x.example?q=1", u), "");
  EXPECT_EQ(u.target, "/?q=1");
  EXPECT_EQ(u.str(), "http://x.example/?q=1");
}

TEST(DeliverUrl, RefusesWithAReasonThatDoesNotRepeatTheInput) {
  const char* bad[] = {"",
                       "x.example/hook",
                       "HTTPS://x.example",
                       "https://",
                       "https://user@x.example/",
                       "https://x.example:0/",
                       "https://x.example:65536/",
                       "https://x.example:8a/",
                       "https://x.example/#frag",
                       "https://x.exa mple/",
                       "https://[::1/",
                       "https://[::1]x/",
                       "https://[zz::1]/",
                       "https://x.example/a\"b",
                       "https://x.example/\x7f"};
  for (const char* text : bad) {
    Url u;
    const std::string why = parse_url(text, u);
    EXPECT_FALSE(why.empty()) << text;
    if (std::string(text).size() > 8) {
      EXPECT_EQ(why.find(text), std::string::npos);
    }
  }
  Url u;
  EXPECT_FALSE(parse_url("https://x.example/" + std::string(2100, 'a'), u).empty());
}

TEST(DeliverUrl, WithPathJoinsWithOneSlashAndKeepsTheQuery) {
  Url base;
  ASSERT_EQ(parse_url("https://graph.facebook.com/v21.0/", base), "");
  EXPECT_EQ(with_path(base, "/123/events").target, "/v21.0/123/events");
  ASSERT_EQ(parse_url("http://127.0.0.1:9/api?k=v", base), "");
  EXPECT_EQ(with_path(base, "events:ingest").target, "/api/events:ingest?k=v");
}

TEST(DeliverRetry, StatusVerdicts) {
  for (int s : {200, 201, 202, 204, 299}) EXPECT_EQ(classify(s), Verdict::delivered) << s;
  for (int s : {408, 429, 500, 502, 503, 504, 599}) EXPECT_EQ(classify(s), Verdict::retry) << s;
  for (int s : {100, 199, 300, 301, 304, 400, 401, 403, 404, 409, 410, 413, 422, 451, 600})
    EXPECT_EQ(classify(s), Verdict::permanent) << s;
}

// 784111777 is 1994-11-06T08:49:37Z (`date -u -d '1994-11-06 08:49:37' +%s`), the date of
// RFC 9110's Retry-After and HTTP-date examples.
constexpr std::int64_t k_rfc_date = 784111777;

TEST(DeliverRetry, RetryAfterDelaySeconds) {
  EXPECT_EQ(parse_retry_after("120", 0), 120);
  EXPECT_EQ(parse_retry_after(" 0 ", 0), 0);
  EXPECT_EQ(parse_retry_after("7", k_rfc_date), 7);
  EXPECT_GT(*parse_retry_after("99999999999999999999999", 0), 1'000'000'000);
  for (const char* bad : {"", " ", "-1", "1.5", "12s", "0x10", "abc", "+5"})
    EXPECT_FALSE(parse_retry_after(bad, 0).has_value()) << bad;
}

TEST(DeliverRetry, RetryAfterHttpDateInAllThreeForms) {
  for (const char* form : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                           "Sun Nov  6 08:49:37 1994"}) {
    SCOPED_TRACE(form);
    EXPECT_EQ(parse_retry_after(form, k_rfc_date - 30), 30);
    EXPECT_EQ(parse_retry_after(form, k_rfc_date + 30), 0);  // in the past: retry now
  }
  // RFC 9110's own example: "Fri, 31 Dec 1999 23:59:59 GMT" is 946684799.
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT", 946684799 - 3600), 3600);
  for (const char* bad : {"Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49 GMT", "Sun Nov  6 08:49:37",
                          "Sunday 06-Nov-94 08:49:37 GMT", "GMT"})
    EXPECT_FALSE(parse_retry_after(bad, 0).has_value()) << bad;
}

TEST(DeliverRetry, BackoffGrowsWithJitterAndIsCapped) {
  RetryPolicy p;
  p.base_ms = 1000;
  p.cap_ms = 60'000;
  auto lo = [] { return 0.0; };
  auto hi = [] { return 0.999999; };
  EXPECT_EQ(next_delay_ms(p, 1, lo, std::nullopt), 500);
  EXPECT_EQ(next_delay_ms(p, 2, lo, std::nullopt), 1000);
  EXPECT_EQ(next_delay_ms(p, 3, lo, std::nullopt), 2000);
  EXPECT_NEAR(static_cast<double>(next_delay_ms(p, 3, hi, std::nullopt)), 4000, 1);
  EXPECT_EQ(next_delay_ms(p, 30, lo, std::nullopt), 30'000);  // cap/2 .. cap
  EXPECT_NEAR(static_cast<double>(next_delay_ms(p, 1000, hi, std::nullopt)), 60'000, 1);
  // Retry-After wins when it is longer, within max_retry_after_ms.
  EXPECT_EQ(next_delay_ms(p, 1, lo, 120'000), 120'000);
  EXPECT_EQ(next_delay_ms(p, 3, lo, 10), 2000);
  p.max_retry_after_ms = 5000;
  EXPECT_EQ(next_delay_ms(p, 1, lo, 1'000'000), 5000);
}

}  // namespace
}  // namespace hashgate::gw::deliver
