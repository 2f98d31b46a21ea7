// Unit tests of the pure event parser (gateway/api/parse_event.*): one JSON event → a typed event
// or a rejection with its code and JSON pointer. No gateway, no store.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/api/json_doc.hpp"
#include "gateway/api/parse_event.hpp"

using hashgate::gw::api::EventRejection;
using hashgate::gw::api::JsonDoc;
using hashgate::gw::api::parse_event;
using hashgate::gw::api::ParsedEvent;

namespace {

constexpr std::int64_t k_now = 1764374400;
// printf %s test@example.com | sha256sum ; the same digest as standard base64 (node:crypto
// createHash('sha256').update('test@example.com').digest('base64')).
const std::string k_em = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
const std::string k_em_b64 = "lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=";
const std::string k_ids = R"("ids":{"em":")" + k_em + "\"}";

/// Parses `text` as event 0 of a batch; the document stays alive for the views in the result.
struct Parsed {
  JsonDoc doc;
  std::optional<ParsedEvent> event;
  EventRejection rejection;

  explicit Parsed(const std::string& text, std::int64_t now = k_now) {
    EXPECT_TRUE(doc.parse(text, 24)) << text;
    auto r = parse_event(doc.root(), "/events/0", now);
    if (r)
      event = std::move(*r);
    else
      rejection = r.error();
  }
};

/// The rejection of `text` as "code path", or "ok".
std::string outcome(const std::string& text) {
  Parsed p(text);
  return p.event ? "ok" : p.rejection.code + " " + p.rejection.path;
}

std::string ev(const std::string& members) { return "{" + members + "}"; }
std::string base(const std::string& extra = "") {
  return ev(R"("event_id":"e1","type":"purchase",)" + k_ids + extra);
}
/// consent.gdpr of the base event with `extra` members (an accepted event is expected).
std::optional<int> gdpr_of(const std::string& extra) {
  Parsed p(base(extra));
  EXPECT_TRUE(p.event) << extra << ": " << p.rejection.code << " " << p.rejection.path;
  return p.event ? p.event->consent.gdpr : std::optional<int>(-1);
}

/// An event whose event_id is written as `raw` JSON string contents (escapes allowed).
std::string with_escape_id(const std::string& raw) {
  return ev(R"("event_id":")" + raw + R"(","type":"lead",)" + k_ids);
}

}  // namespace

TEST(GatewayParseEvent, ReadsAValidEvent) {
  Parsed p(ev(R"("event_id":"01JD.a_b:c-d","type":"login","time":)" + std::to_string(k_now - 60) +
              R"(,"ids":{"ph":")" + k_em_b64 + R"(","em":")" + k_em +
              R"("},"online_ids":{"ga":"GA1.2.3","fbp":"fb.1.2"},)"
              R"("custom":{"value":59.95,"currency":"EUR","n":[1,{"x":null}]},)"
              R"("consent":{"gdpr":1,"tcf":"CQx","legal_basis":"consent"})"));
  ASSERT_TRUE(p.event) << p.rejection.code << " " << p.rejection.path;
  const ParsedEvent& e = *p.event;
  EXPECT_EQ(e.event_id, "01JD.a_b:c-d");
  EXPECT_EQ(e.type, "login");
  EXPECT_EQ(e.time, k_now - 60);
  // ids in key order, canonical lowercase hex (base64 decoded).
  ASSERT_EQ(e.ids.size(), 2u);
  EXPECT_EQ(e.ids[0], std::make_pair(std::string("em"), k_em));
  EXPECT_EQ(e.ids[1], std::make_pair(std::string("ph"), k_em));
  // online_ids and custom as compact JSON with keys in byte order (nlohmann's dump).
  EXPECT_EQ(e.online_ids_json, R"({"fbp":"fb.1.2","ga":"GA1.2.3"})");
  EXPECT_EQ(e.custom_json, R"({"currency":"EUR","n":[1,{"x":null}],"value":59.95})");
  EXPECT_EQ(e.consent.gdpr, 1);
  ASSERT_TRUE(e.consent.tcf.has_value());
  EXPECT_EQ(*e.consent.tcf, "CQx");
}

TEST(GatewayParseEvent, DefaultsAndOptionalFields) {
  Parsed p(base());
  ASSERT_TRUE(p.event);
  EXPECT_EQ(p.event->time, k_now);  // absent time: the request's clock
  EXPECT_EQ(p.event->online_ids_json, "");
  EXPECT_EQ(p.event->custom_json, "");
  EXPECT_FALSE(p.event->consent.gdpr.has_value());  // the request's default applies
  EXPECT_FALSE(p.event->consent.tcf.has_value());
  // Only online ids: enough.
  Parsed o(ev(R"("event_id":"e","type":"lead","online_ids":{"pixel":"p1"})"));
  ASSERT_TRUE(o.event);
  EXPECT_TRUE(o.event->ids.empty());
  // consent.gdpr as 0/1 or a boolean; absent: the request's default.
  EXPECT_EQ(gdpr_of(R"(,"consent":{"gdpr":0})"), 0);
  EXPECT_EQ(gdpr_of(R"(,"consent":{"gdpr":1})"), 1);
  EXPECT_EQ(gdpr_of(R"(,"consent":{"gdpr":false})"), 0);
  EXPECT_EQ(gdpr_of(R"(,"consent":{"gdpr":true})"), 1);
  EXPECT_EQ(gdpr_of(R"(,"consent":{})"), std::nullopt);
  // A whole number that a cast to int would turn into 1 (2^32 + 1) is not 1: invalid. (It is no
  // phone number in any default region, so the PII scan lets it through to this check.)
  EXPECT_EQ(outcome(base(R"(,"consent":{"gdpr":4294967297})")),
            "invalid_consent /events/0/consent/gdpr");
}

TEST(GatewayParseEvent, EachInvalidFieldIsNamed) {
  const std::string t = std::to_string(k_now);
  struct Case {
    std::string event, expected;
  } cases[] = {
      {R"("just a string")", "invalid_event /events/0"},
      {"5", "invalid_event /events/0"},
      {"null", "invalid_event /events/0"},
      {"[]", "invalid_event /events/0"},
      {base(R"(,"extra":1)"), "unknown_field /events/0/extra"},
      {base(R"(,"a b":1)"), "unknown_field /events/0/<key>"},
      {ev(R"("type":"purchase",)" + k_ids), "missing_field /events/0/event_id"},
      {ev(R"("event_id":7,"type":"purchase",)" + k_ids), "missing_field /events/0/event_id"},
      {ev(R"("event_id":"","type":"purchase",)" + k_ids), "invalid_event_id /events/0/event_id"},
      {ev(R"("event_id":"a b","type":"purchase",)" + k_ids), "invalid_event_id /events/0/event_id"},
      {ev(R"("event_id":"x/y","type":"purchase",)" + k_ids), "invalid_event_id /events/0/event_id"},
      {ev(R"("event_id":"e",)" + k_ids), "missing_field /events/0/type"},
      {ev(R"("event_id":"e","type":1,)" + k_ids), "missing_field /events/0/type"},
      {ev(R"("event_id":"e","type":"refund",)" + k_ids), "invalid_type /events/0/type"},
      {ev(R"("event_id":"e","type":"Purchase",)" + k_ids), "invalid_type /events/0/type"},
      {base(R"(,"time":"now")"), "invalid_time /events/0/time"},
      {base(R"(,"time":1.5)"), "invalid_time /events/0/time"},
      {base(R"(,"time":-5)"), "invalid_time /events/0/time"},
      {base(R"(,"time":18446744073709551615)"), "invalid_time /events/0/time"},
      {base(R"(,"time":9223372036854775808)"), "invalid_time /events/0/time"},
      {ev(R"("event_id":"e","type":"lead","ids":[])"), "invalid_ids /events/0/ids"},
      {ev(R"("event_id":"e","type":"lead","ids":{"em":"abc"})"), "invalid_hash /events/0/ids/em"},
      {ev(R"("event_id":"e","type":"lead","ids":{"em":1})"), "invalid_hash /events/0/ids/em"},
      {ev(R"("event_id":"e","type":"lead","ids":{"em_md5":")" + k_em + "\"}"),
       "invalid_hash /events/0/ids/em_md5"},
      {ev(R"("event_id":"e","type":"lead","ids":{"nick":")" + k_em + "\"}"),
       "unknown_field /events/0/ids/nick"},
      {ev(R"("event_id":"e","type":"lead","ids":{"n k":")" + k_em + "\"}"),
       "unknown_field /events/0/ids/<key>"},
      {ev(R"("event_id":"e","type":"lead","ids":{})"), "missing_field /events/0/ids"},
      {ev(R"("event_id":"e","type":"lead")"), "missing_field /events/0/ids"},
      {ev(R"("event_id":"e","type":"lead","online_ids":{})"), "missing_field /events/0/ids"},
      {base(R"(,"online_ids":[])"), "invalid_online_id /events/0/online_ids"},
      {base(R"(,"online_ids":{"fbp":"has space"})"), "invalid_online_id /events/0/online_ids/fbp"},
      {base(R"(,"online_ids":{"fbp":1})"), "invalid_online_id /events/0/online_ids/fbp"},
      {base(R"(,"online_ids":{"f-b":"x"})"), "invalid_online_id /events/0/online_ids/f-b"},
      {base(R"(,"online_ids":{"f b":"x"})"), "invalid_online_id /events/0/online_ids/<key>"},
      {base(R"(,"online_ids":{"":"x"})"), "invalid_online_id /events/0/online_ids/<key>"},
      {base(R"(,"custom":[])"), "invalid_custom /events/0/custom"},
      {base(R"(,"custom":"x")"), "invalid_custom /events/0/custom"},
      {base(R"(,"consent":[])"), "invalid_consent /events/0/consent"},
      {base(R"(,"consent":{"gdpr":2})"), "invalid_consent /events/0/consent/gdpr"},
      {base(R"(,"consent":{"gdpr":"1"})"), "invalid_consent /events/0/consent/gdpr"},
      {base(R"(,"consent":{"gdpr":1.0})"), "invalid_consent /events/0/consent/gdpr"},
      {base(R"(,"consent":{"tcf":1})"), "invalid_consent /events/0/consent/tcf"},
      {base(R"(,"consent":{"legal_basis":"contract"})"),
       "invalid_consent /events/0/consent/legal_basis"},
      {base(R"(,"consent":{"purpose":1})"), "invalid_consent /events/0/consent/purpose"},
      {base(R"(,"consent":{"a b":1})"), "invalid_consent /events/0/consent/<key>"},
  };
  for (const auto& c : cases) EXPECT_EQ(outcome(c.event), c.expected) << c.event;
}

TEST(GatewayParseEvent, ChecksRunInTheDocumentedOrder) {
  // Raw PII before anything else; then shape, unknown fields, event_id, type, time, ids,
  // online_ids, the id requirement, custom, consent.
  EXPECT_EQ(outcome(R"({"event_id":"a b","note":"jo@example.com"})"), "raw_pii /events/0/note");
  EXPECT_EQ(outcome(R"(["jo@example.com"])"), "raw_pii /events/0/0");
  EXPECT_EQ(outcome(R"({"zz":1,"event_id":"a b"})"), "unknown_field /events/0/zz");
  EXPECT_EQ(outcome(R"({"event_id":"a b","type":"refund"})"),
            "invalid_event_id /events/0/event_id");
  EXPECT_EQ(outcome(R"({"event_id":"a","type":"refund","time":"x"})"),
            "invalid_type /events/0/type");
  EXPECT_EQ(outcome(R"({"event_id":"a","type":"lead","time":"x","ids":[]})"),
            "invalid_time /events/0/time");
  EXPECT_EQ(outcome(R"({"event_id":"a","type":"lead","ids":[],"online_ids":[]})"),
            "invalid_ids /events/0/ids");
  EXPECT_EQ(outcome(R"({"event_id":"a","type":"lead","online_ids":[],"custom":[]})"),
            "invalid_online_id /events/0/online_ids");
  EXPECT_EQ(outcome(R"({"event_id":"a","type":"lead","custom":[]})"),
            "missing_field /events/0/ids");
  EXPECT_EQ(outcome(base(R"(,"custom":[],"consent":[])")), "invalid_custom /events/0/custom");
}

TEST(GatewayParseEvent, RawPiiIsFoundAnywhereAndNamedByPathOnly) {
  struct Case {
    std::string extra, path;
  } cases[] = {
      {R"(,"custom":{"note":"call +31 6 1234 5678"})", "/events/0/custom/note"},
      {R"(,"custom":{"items":[{"sku":"a1"},{"note":"mail john@example.com"}]})",
       "/events/0/custom/items/1/note"},
      {R"(,"custom":{"a b":{"x":[1,[2,"+31 6 12345678"]]}})", "/events/0/custom/<key>/x/1/1"},
      {R"(,"custom":{"ids":{"em":"tel 0612345678"}})", "/events/0/custom/ids/em"},
      {R"(,"custom":{"n":31612345678})", "/events/0/custom/n"},
      {R"(,"custom":{"jane@example.com":1})", "/events/0/custom/<key>"},
      {R"(,"custom":{"u":"https://x.example/?email=jo%40x.com"})", "/events/0/custom/u"},
      {R"(,"online_ids":{"pixel":"jo@example.com"})", "/events/0/online_ids/pixel"},
      {R"(,"jo@example.com":1)", "/events/0/<key>"},
  };
  for (const auto& c : cases) {
    Parsed p(base(c.extra));
    ASSERT_FALSE(p.event) << c.extra;
    EXPECT_EQ(p.rejection.code, "raw_pii") << c.extra;
    EXPECT_EQ(p.rejection.path, c.path);
    for (const char* value : {"john", "jane", "jo@", "1234", "0612", "31612"})
      EXPECT_EQ(p.rejection.path.find(value), std::string::npos) << c.extra;
  }
  // A plain e-mail where a digest belongs is raw PII, not an invalid hash.
  EXPECT_EQ(outcome(ev(R"("event_id":"e","type":"lead","ids":{"em":"john.doe@example.com"})")),
            "raw_pii /events/0/ids/em");
  // Digests inside "ids" are not mistaken for phone numbers; the same string elsewhere is
  // scanned (a digest of only digits would be); here it is hex, so it passes.
  EXPECT_EQ(outcome(base(R"(,"custom":{"h":")" + k_em + "\"}")), "ok");
}

TEST(GatewayParseEvent, Limits) {
  const auto with_id = [](const std::string& id) {
    return ev(R"("event_id":")" + id + R"(","type":"lead",)" + k_ids);
  };
  EXPECT_EQ(outcome(with_id(std::string(128, 'a'))), "ok");
  EXPECT_EQ(outcome(with_id(std::string(129, 'a'))), "invalid_event_id /events/0/event_id");
  // time: at most 5 minutes ahead and 7 days old.
  EXPECT_EQ(outcome(base(",\"time\":" + std::to_string(k_now + 300))), "ok");
  EXPECT_EQ(outcome(base(",\"time\":" + std::to_string(k_now + 301))),
            "invalid_time /events/0/time");
  EXPECT_EQ(outcome(base(",\"time\":" + std::to_string(k_now - 7 * 86400))), "ok");
  EXPECT_EQ(outcome(base(",\"time\":" + std::to_string(k_now - 7 * 86400 - 1))),
            "invalid_time /events/0/time");
  // online_ids: 16 keys of at most 32 characters, values of 1-200 characters.
  std::string sixteen, seventeen;
  for (int i = 0; i < 17; ++i) {
    std::string member = (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
    if (i < 16) sixteen += member;
    seventeen += member;
  }
  EXPECT_EQ(outcome(base(",\"online_ids\":{" + sixteen + "}")), "ok");
  EXPECT_EQ(outcome(base(",\"online_ids\":{" + seventeen + "}")),
            "invalid_online_id /events/0/online_ids");
  EXPECT_EQ(outcome(base(",\"online_ids\":{\"" + std::string(32, 'k') + "\":\"v\"}")), "ok");
  EXPECT_EQ(outcome(base(",\"online_ids\":{\"" + std::string(33, 'k') + "\":\"v\"}")),
            "invalid_online_id /events/0/online_ids/" + std::string(33, 'k'));
  EXPECT_EQ(outcome(base(",\"online_ids\":{\"f\":\"" + std::string(200, 'a') + "\"}")), "ok");
  EXPECT_EQ(outcome(base(",\"online_ids\":{\"f\":\"" + std::string(201, 'a') + "\"}")),
            "invalid_online_id /events/0/online_ids/f");
  EXPECT_EQ(outcome(base(",\"online_ids\":{\"f\":\"\"}")),
            "invalid_online_id /events/0/online_ids/f");
  // custom: nesting depth at most 8.
  EXPECT_EQ(outcome(base(R"(,"custom":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}})")), "ok");
  EXPECT_EQ(outcome(base(R"(,"custom":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}})")),
            "too_deep /events/0/custom");
  EXPECT_EQ(outcome(base(R"(,"custom":{"a":[[[[[[[1]]]]]]]})")), "ok");
  EXPECT_EQ(outcome(base(R"(,"custom":{"a":[[[[[[[[1]]]]]]]]})")), "too_deep /events/0/custom");
  // consent.tcf: at most 65536 characters.
  EXPECT_EQ(outcome(base(",\"consent\":{\"tcf\":\"" + std::string(65536, 'C') + "\"}")), "ok");
  EXPECT_EQ(outcome(base(",\"consent\":{\"tcf\":\"" + std::string(65537, 'C') + "\"}")),
            "invalid_consent /events/0/consent/tcf");
}

TEST(GatewayParseEvent, HostileInputsAreRejectedCleanly) {
  // A repeated key: the last value counts (as nlohmann::json reads it).
  Parsed twice(R"({"event_id":"a b","event_id":"ok","type":"lead",)" + k_ids + "}");
  ASSERT_TRUE(twice.event);
  EXPECT_EQ(twice.event->event_id, "ok");
  // Escapes decode before validation: "\u0020" is a space, "\u0041" an A.
  EXPECT_EQ(outcome(with_escape_id("a\\u0020b")), "invalid_event_id /events/0/event_id");
  EXPECT_EQ(outcome(with_escape_id("\\u0041")), "ok");
  EXPECT_EQ(outcome(with_escape_id("a\\u0000")), "invalid_event_id /events/0/event_id");
  // Oversized values are rejected by their limits, never copied into the rejection.
  const std::string huge(1 << 20, 'x');
  Parsed big(ev(R"("event_id":")" + huge + R"(","type":"lead",)" + k_ids));
  ASSERT_FALSE(big.event);
  EXPECT_EQ(big.rejection.path, "/events/0/event_id");
  Parsed big_key(base(",\"" + huge + "\":1"));
  ASSERT_FALSE(big_key.event);
  EXPECT_EQ(big_key.rejection.path, "/events/0/<key>");
  // A bad key of an unknown field never appears in the path when it is not a plain name.
  EXPECT_EQ(outcome(base(",\"\\u00e9\":1")), "unknown_field /events/0/<key>");
}
