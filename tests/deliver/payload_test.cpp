// Request builders: the webhook wire format and signature (checked with OpenSSL's HMAC(), not
// the SDK's), Meta's and Google's documented fields, and what a request carries per kind.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/deliver/payload.hpp"
#include "tests/deliver/test_util.hpp"

namespace hashgate::gw::deliver {
namespace {

using nlohmann::json;

constexpr std::int64_t k_now = 1764374400;
const std::string k_secret = "whsec_0123456789abcdef";

Destination make(Kind kind, const std::string& url = "") {
  Destination d;
  d.tenant = "shop";
  d.id = kind == Kind::webhook ? "crm" : kind == Kind::meta_capi ? "fb" : "gads";
  d.kind = kind;
  const std::string u = !url.empty()              ? url
                        : kind == Kind::webhook   ? "https://hooks.example.com/hg"
                        : kind == Kind::meta_capi ? "https://graph.facebook.com/v21.0"
                                                  : "https://datamanager.googleapis.com/v1";
  EXPECT_EQ(parse_url(u, d.url), "");
  d.secret = Secret(kind == Kind::webhook ? std::string(k_secret) : std::string("token-abc"));
  d.meta = {"1234567890", "987", ""};
  d.google.operating_account_id = "1112223333";
  d.google.conversion_action_id = "555";
  d.google.user_list_id = "777";
  return d;
}

OutboxRow event_row(std::int64_t id, const std::string& line, DmaConsent dma = {}) {
  OutboxRow r;
  r.id = id;
  r.kind = RowKind::event;
  r.payload = line;
  r.dma = dma;
  return r;
}

OptOutMessage optout() {
  return {
      "opt_42",
      {{"em", {test::sha256_hex("ann@example.com")}}, {"ph", {test::sha256_hex("31611111111")}}},
      "9f86d081884c7d659a2feaa0c55ad015"};
}

TEST(DeliverPayload, WebhookEventsBodyCarriesTheStoredEventsVerbatim) {
  const std::string a = test::export_line("e1", "purchase", k_now, "ann@example.com");
  const std::string b = test::export_line("e2", "lead", k_now, "bob@example.com", "3162", "abcd");
  const std::vector<std::string_view> lines{a, b};
  const json j = json::parse(webhook_events_body("shop", "crm", lines));
  EXPECT_EQ(j["type"], "events");
  EXPECT_EQ(j["tenant"], "shop");
  EXPECT_EQ(j["destination"], "crm");
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0], json::parse(a));
  EXPECT_EQ(j["events"][1], json::parse(b));
  EXPECT_EQ(j.size(), 4u);
  // Key order as pinned: type, tenant, destination, events.
  const std::string body = webhook_events_body("shop", "crm", lines);
  EXPECT_EQ(body.rfind(
                "{\"type\":\"events\",\"tenant\":\"shop\",\"destination\":\"crm\",\"events\":[", 0),
            0u);
}

TEST(DeliverPayload, WebhookOptOutBody) {
  const json j = json::parse(webhook_optout_body("shop", "crm", optout()));
  EXPECT_EQ(j["type"], "optout");
  EXPECT_EQ(j["tenant"], "shop");
  EXPECT_EQ(j["destination"], "crm");
  EXPECT_EQ(j["optout_id"], "opt_42");
  EXPECT_EQ(j["ids"]["em"], json::array({test::sha256_hex("ann@example.com")}));
  EXPECT_EQ(j["ids"]["ph"], json::array({test::sha256_hex("31611111111")}));
  EXPECT_EQ(j["uid"], "9f86d081884c7d659a2feaa0c55ad015");
  // em and ph are always arrays, even when empty; no uid key without a uid.
  const json k = json::parse(webhook_optout_body("shop", "crm", {"opt_1", {}, ""}));
  EXPECT_EQ(k["ids"]["em"], json::array());
  EXPECT_EQ(k["ids"]["ph"], json::array());
  EXPECT_FALSE(k.contains("uid"));
}

TEST(DeliverPayload, SignatureMatchesAnIndependentHmac) {
  const std::string body = "{\"type\":\"events\",\"events\":[]}";
  const std::string sig = webhook_signature(k_secret, 1764374400, body);
  EXPECT_EQ(sig, "t=1764374400,v1=" + test::hmac_hex(k_secret, "1764374400." + body));
  // Changing any of secret, time or body changes v1.
  auto v1 = [](const std::string& header) { return header.substr(header.find(",v1=") + 4); };
  EXPECT_EQ(v1(sig).size(), 64u);
  EXPECT_NE(v1(webhook_signature(k_secret + "x", 1764374400, body)), v1(sig));
  EXPECT_NE(v1(webhook_signature(k_secret, 1764374401, body)), v1(sig));
  EXPECT_NE(v1(webhook_signature(k_secret, 1764374400, body + " ")), v1(sig));
}

TEST(DeliverPayload, IdempotencyKeyIsStableAndScoped) {
  const auto k = idempotency_key("install-1", "crm", 17);
  EXPECT_EQ(k.size(), 32u);
  EXPECT_EQ(k.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(k, idempotency_key("install-1", "crm", 17));
  EXPECT_NE(k, idempotency_key("install-2", "crm", 17));
  EXPECT_NE(k, idempotency_key("install-1", "crm2", 17));
  EXPECT_NE(k, idempotency_key("install-1", "crm", 18));
  // Independent computation: first 16 bytes of SHA-256("install-1\0crm\017").
  EXPECT_EQ(k, test::sha256_hex(std::string("install-1\0crm\0"
                                            "17",
                                            16))
                   .substr(0, 32));
}

TEST(DeliverPayload, MetaConversionsApiEvent) {
  const std::string line =
      test::export_line("ord-1", "purchase", k_now, "ann@example.com", "31611111111", "uid9");
  const std::vector<std::string_view> lines{line};
  std::vector<std::size_t> bad;
  const json j = json::parse(meta_events_body(lines, "TEST123", bad));
  EXPECT_TRUE(bad.empty());
  EXPECT_EQ(j["test_event_code"], "TEST123");
  ASSERT_EQ(j["data"].size(), 1u);
  const json& e = j["data"][0];
  EXPECT_EQ(e["event_name"], "Purchase");
  EXPECT_EQ(e["event_time"], k_now);
  EXPECT_EQ(e["event_id"], "ord-1");
  EXPECT_EQ(e["action_source"], "website");
  EXPECT_EQ(e["user_data"]["em"], json::array({test::sha256_hex("ann@example.com")}));
  EXPECT_EQ(e["user_data"]["ph"], json::array({test::sha256_hex("31611111111")}));
  EXPECT_EQ(e["user_data"]["external_id"], json::array({test::sha256_hex("crm-ord-1")}));
  EXPECT_EQ(e["user_data"]["fbp"], "fb.1.1764374400.123456");
  EXPECT_EQ(e["user_data"]["fbc"], "fb.1.1764374400.AbCd");
  EXPECT_FALSE(e["user_data"].contains("gclid"));
  EXPECT_EQ(e["custom_data"], json::parse(R"({"value":59.95,"currency":"EUR"})"));
  // The first-party uid never goes to a platform.
  EXPECT_EQ(j.dump().find("uid9"), std::string::npos);
  const std::vector<std::string_view> broken{line, "{not json"};
  bad.clear();
  const json k = json::parse(meta_events_body(broken, "", bad));
  EXPECT_EQ(bad, std::vector<std::size_t>{1});
  EXPECT_EQ(k["data"].size(), 1u);
  EXPECT_FALSE(k.contains("test_event_code"));
}

TEST(DeliverPayload, MetaEventNames) {
  EXPECT_EQ(meta_event_name("purchase"), "Purchase");
  EXPECT_EQ(meta_event_name("lead"), "Lead");
  EXPECT_EQ(meta_event_name("page_view"), "PageView");
  EXPECT_EQ(meta_event_name("add_to_cart"), "AddToCart");
  EXPECT_EQ(meta_event_name("sign_up"), "CompleteRegistration");
  EXPECT_EQ(meta_event_name("login"), "Login");
  EXPECT_EQ(meta_event_name("custom"), "Custom");
}

TEST(DeliverPayload, MetaCustomAudienceUsers) {
  const json j = json::parse(meta_users_body(optout_members(optout())));
  EXPECT_EQ(j["payload"]["schema"], json::parse(R"(["EMAIL","PHONE"])"));
  EXPECT_EQ(j["payload"]["data"],
            json::array({json::array({test::sha256_hex("ann@example.com"), ""}),
                         json::array({"", test::sha256_hex("31611111111")})}));
}

TEST(DeliverPayload, GoogleDataManagerEvents) {
  const std::string line =
      test::export_line("ord-1", "purchase", k_now, "ann@example.com", "+31611111111", "uid9");
  const std::vector<std::pair<std::string_view, DmaConsent>> events{
      {line, {DmaStatus::granted, DmaStatus::denied}}};
  std::vector<std::size_t> bad;
  Destination d = make(Kind::google_dm);
  d.google.login_account_type = GoogleAccountType::data_partner;
  d.google.login_account_id = "42";
  const json j = json::parse(google_events_body(d.google, events, bad));
  EXPECT_TRUE(bad.empty());
  EXPECT_EQ(j["encoding"], "HEX");
  const json& dest = j["destinations"][0];
  EXPECT_EQ(dest["operatingAccount"]["accountType"], "GOOGLE_ADS");
  EXPECT_EQ(dest["operatingAccount"]["accountId"], "1112223333");
  EXPECT_EQ(dest["loginAccount"]["accountType"], "DATA_PARTNER");
  EXPECT_EQ(dest["loginAccount"]["accountId"], "42");
  EXPECT_EQ(dest["productDestinationId"], "555");
  const json& e = j["events"][0];
  EXPECT_EQ(e["transactionId"], "ord-1");
  EXPECT_EQ(e["eventTimestamp"], "2025-11-29T00:00:00Z");
  EXPECT_EQ(e["eventSource"], "WEB");
  EXPECT_EQ(e["userData"]["userIdentifiers"],
            json::parse("[{\"emailAddress\":\"" + test::sha256_hex("ann@example.com") +
                        "\"},{\"phoneNumber\":\"" + test::sha256_hex("+31611111111") + "\"}]"));
  EXPECT_EQ(e["consent"]["adUserData"], "CONSENT_GRANTED");
  EXPECT_EQ(e["consent"]["adPersonalization"], "CONSENT_DENIED");
  EXPECT_EQ(e["conversionValue"], 59.95);
  EXPECT_EQ(e["currency"], "EUR");
  EXPECT_EQ(e["adIdentifiers"]["gclid"], "Cj0KCQ");
  EXPECT_EQ(j.dump().find("uid9"), std::string::npos);
}

TEST(DeliverPayload, GoogleAudienceMembersIngestAndRemove) {
  const Destination d = make(Kind::google_dm);
  const json add = json::parse(google_members_body(d.google, optout_members(optout()), false));
  EXPECT_EQ(add["destinations"][0]["productDestinationId"], "777");
  EXPECT_EQ(add["encoding"], "HEX");
  EXPECT_EQ(add["termsOfService"]["customerMatchTermsOfServiceStatus"], "ACCEPTED");
  ASSERT_EQ(add["audienceMembers"].size(), 2u);
  EXPECT_EQ(add["audienceMembers"][0]["userData"]["userIdentifiers"][0]["emailAddress"],
            test::sha256_hex("ann@example.com"));
  EXPECT_EQ(add["audienceMembers"][1]["userData"]["userIdentifiers"][0]["phoneNumber"],
            test::sha256_hex("31611111111"));
  const json rm = json::parse(google_members_body(d.google, optout_members(optout()), true));
  EXPECT_FALSE(rm.contains("termsOfService"));
  EXPECT_EQ(rm["audienceMembers"], add["audienceMembers"]);
}

// Matched-audience members from a match: a person may have several e-mail or phone hashes, and
// a webhook also gets the publisher's uid; the platforms get the hashes only, all of them.
TEST(DeliverPayload, MatchedAudienceMembersPerKind) {
  const std::string em1 = test::sha256_hex("ann@example.com"),
                    em2 = test::sha256_hex("ann.b@example.com"),
                    ph = test::sha256_hex("31611111111"), uid = "9f86d081884c7d659a2feaa0c55ad015";
  AudienceMembers in{{{{"em", em1}, {"em", em2}, {"ph", ph}, {"uid", uid}}, {{"ph", ph}}}, "m_7"};
  AudienceMembers m;
  ASSERT_TRUE(decode_members(encode_members(in), m));
  EXPECT_EQ(m.match_id, "m_7");
  EXPECT_EQ(m.members, in.members);

  const json hook = json::parse(webhook_members_body("news", "hook", m));
  EXPECT_EQ(hook, json::parse(R"({"type":"audience_add","tenant":"news","destination":"hook",
      "match_id":"m_7","members":[{"ids":{"em":[")" +
                              em1 + "\",\"" + em2 + R"("],"ph":[")" + ph + R"("]},"uid":")" + uid +
                              R"("},{"ids":{"em":[],"ph":[")" + ph + R"("]}}]})"));

  const json google =
      json::parse(google_members_body(make(Kind::google_dm).google, m, /*remove=*/false));
  ASSERT_EQ(google["audienceMembers"].size(), 2u);
  EXPECT_EQ(google["audienceMembers"][0]["userData"]["userIdentifiers"],
            json::parse(R"([{"emailAddress":")" + em1 + R"("},{"emailAddress":")" + em2 +
                        R"("},{"phoneNumber":")" + ph + R"("}])"));

  const json meta = json::parse(meta_users_body(m));
  EXPECT_EQ(meta["payload"]["data"],
            json::parse(R"([[")" + em1 + R"(",""],[")" + em2 + R"(",""],["",")" + ph +
                        R"("],["",")" + ph + R"("]])"));
  for (const std::string& body : {google.dump(), meta.dump()})
    EXPECT_EQ(body.find(uid), std::string::npos);  // first-party: never sent to a platform
}

TEST(DeliverPayload, BuildRequestPerKind) {
  const std::string line = test::export_line("e1", "purchase", k_now - 60, "ann@example.com");
  const OutboxRow ev = event_row(5, line);
  OutboxRow opt;
  opt.id = 6;
  opt.kind = RowKind::optout;
  opt.payload = encode_optout(optout());

  const Built w = build_request(make(Kind::webhook), std::span(&ev, 1), "key-1", k_now);
  EXPECT_EQ(w.request.method, Method::post);
  EXPECT_EQ(w.request.url.str(), "https://hooks.example.com/hg");
  EXPECT_EQ(w.sent, std::vector<std::int64_t>{5});
  auto header = [](const Request& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return std::string();
  };
  EXPECT_EQ(header(w.request, "Idempotency-Key"), "key-1");
  EXPECT_EQ(header(w.request, "Hashgate-Signature"),
            "t=1764374400,v1=" + test::hmac_hex(k_secret, "1764374400." + w.request.body));

  const Built m = build_request(make(Kind::meta_capi), std::span(&ev, 1), "key-2", k_now);
  EXPECT_EQ(m.request.url.str(), "https://graph.facebook.com/v21.0/1234567890/events");
  EXPECT_EQ(json::parse(m.request.body)["access_token"], "token-abc");
  EXPECT_EQ(header(m.request, "Authorization"), "");
  const Built mo = build_request(make(Kind::meta_capi), std::span(&opt, 1), "key-3", k_now);
  EXPECT_EQ(mo.request.method, Method::del);
  EXPECT_EQ(mo.request.url.str(), "https://graph.facebook.com/v21.0/987/users");
  EXPECT_EQ(json::parse(mo.request.body)["payload"]["schema"], json::parse(R"(["EMAIL","PHONE"])"));

  const Built g = build_request(make(Kind::google_dm), std::span(&ev, 1), "key-4", k_now);
  EXPECT_EQ(g.request.url.str(), "https://datamanager.googleapis.com/v1/events:ingest");
  EXPECT_EQ(header(g.request, "Authorization"), "Bearer token-abc");
  const Built go = build_request(make(Kind::google_dm), std::span(&opt, 1), "key-5", k_now);
  EXPECT_EQ(go.request.url.str(), "https://datamanager.googleapis.com/v1/audienceMembers:remove");
  EXPECT_EQ(go.request.method, Method::post);

  const Built wo = build_request(make(Kind::webhook), std::span(&opt, 1), "key-6", k_now);
  EXPECT_EQ(json::parse(wo.request.body)["type"], "optout");
}

TEST(DeliverPayload, RowsARequestCannotCarryAreLeftOutWithAReason) {
  const std::string fresh = test::export_line("new", "lead", k_now - 3600, "ann@example.com");
  const std::string old = test::export_line("old", "lead", k_now - 8 * 86400, "bob@example.com");
  const std::vector<OutboxRow> rows{event_row(1, fresh), event_row(2, old),
                                    event_row(3, "garbage")};
  const Built m = build_request(make(Kind::meta_capi), rows, "k", k_now);
  EXPECT_EQ(m.sent, std::vector<std::int64_t>{1});
  ASSERT_EQ(m.rejected.size(), 2u);
  for (const auto& r : m.rejected) EXPECT_EQ(r.reason, r.id == 2 ? "too_old" : "payload");
  const json body = json::parse(m.request.body);
  EXPECT_EQ(body["data"].size(), 1u);
  EXPECT_EQ(body["data"][0]["event_id"], "new");

  // The webhook takes old events (it has no 7-day rule) but not a corrupted row.
  const Built w = build_request(make(Kind::webhook), rows, "k", k_now);
  EXPECT_EQ(w.sent, (std::vector<std::int64_t>{1, 2}));
  ASSERT_EQ(w.rejected.size(), 1u);
  EXPECT_EQ(w.rejected[0].reason, "payload");

  // A matched-audience row is a message of its own, also for a webhook; a corrupted one is not.
  OutboxRow add;
  add.id = 9;
  add.kind = RowKind::audience_add;
  add.payload = encode_members({{{{"em", test::sha256_hex("ann@example.com")}}}, "m_1"});
  const Built u = build_request(make(Kind::webhook), std::span(&add, 1), "k", k_now);
  EXPECT_EQ(u.sent, std::vector<std::int64_t>{9});
  EXPECT_EQ(json::parse(u.request.body)["type"], "audience_add");
  OutboxRow broken = add;
  broken.payload = "{\"members\":[{\"em\":\"ann@example.com\"}]}";
  const Built ub = build_request(make(Kind::webhook), std::span(&broken, 1), "k", k_now);
  EXPECT_TRUE(ub.sent.empty());
  ASSERT_EQ(ub.rejected.size(), 1u);
  EXPECT_EQ(ub.rejected[0].reason, "payload");
  const Built ma = build_request(make(Kind::meta_capi), std::span(&add, 1), "k", k_now);
  EXPECT_EQ(ma.request.method, Method::post);
  EXPECT_EQ(ma.request.url.str(), "https://graph.facebook.com/v21.0/987/users");
}

TEST(DeliverPayload, MistypedFieldsNeverThrow) {
  // Found by fuzz_deliver: a stored row whose "time" is an object made nlohmann's value() throw
  // on the worker thread. Mistyped members now read as absent.
  const std::vector<OutboxRow> rows{
      event_row(1, R"({"event_id":"e","type":"purch<ase","time":{"em":"ab"}})"),
      event_row(2, R"({"event_id":7,"type":[],"time":"1764374400","ids":{"em":5},"custom":[]})"),
      event_row(3, "{\"event_id\":\"\xff\xfe\",\"time\":1764374000}")};
  for (Kind kind : {Kind::webhook, Kind::meta_capi, Kind::google_dm}) {
    SCOPED_TRACE(std::string(to_string(kind)));
    Built b;
    ASSERT_NO_THROW(b = build_request(make(kind), rows, "k", k_now));
    EXPECT_EQ(b.sent.size() + b.rejected.size(), rows.size());
  }
}

TEST(DeliverPayload, PayloadEncodingsRoundTripAndRefuseHostileInput) {
  OptOutMessage m;
  ASSERT_TRUE(decode_optout(encode_optout(optout()), m));
  EXPECT_EQ(m.optout_id, "opt_42");
  EXPECT_EQ(m.ids.size(), 2u);
  EXPECT_EQ(m.uid, "9f86d081884c7d659a2feaa0c55ad015");
  AudienceMembers a;
  ASSERT_TRUE(decode_members(encode_members(optout_members(optout())), a));
  EXPECT_EQ(a.members.size(), 2u);
  for (const char* bad :
       {"", "{", "[]", "{\"optout_id\":1,\"ids\":{}}", "{\"optout_id\":\"\",\"ids\":{}}",
        "{\"optout_id\":\"x\",\"ids\":{\"em\":[\"ann@example.com\"]}}",
        "{\"optout_id\":\"x\",\"ids\":{\"EM\":[]}}",
        "{\"optout_id\":\"x\",\"ids\":{\"em\":\"ab\"}}",
        "{\"optout_id\":\"x\",\"ids\":{},\"uid\":5}"})
    EXPECT_FALSE(decode_optout(bad, m)) << bad;
  EXPECT_FALSE(decode_members("{\"members\":[{\"em\":\"not hex\"}]}", a));
  EXPECT_FALSE(decode_members("{\"members\":{}}", a));
  EXPECT_FALSE(decode_optout(std::string(5 << 20, ' '), m));
}

}  // namespace
}  // namespace hashgate::gw::deliver
