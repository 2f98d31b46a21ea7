// Onboarding over loopback (issue 14): the REAL hashgate-gateway with an advertiser ("shop"), a
// publisher ("news") and a third tenant ("demo"), synthetic lists with a known overlap, and the
// real `hashgate audience push`. Counts are exact because the overlap is built, not sampled.
#include <hashgate/hashgate.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

#include "integration_fixture.hpp"

namespace {

// printf %s sk_shop | sha256sum ; printf %s sk_news | sha256sum
const std::string k_shop_hash = "dd917105e46fb9723ab67c63d0814dee3921488b7a6192493ae851abbc58f8fb";
const std::string k_news_hash = "e31200eb6ded1763854d26080acb8aa98390fbb1b175657ad711e13b674dbac6";

/// The synthetic hashed e-mail of person `i` (SHA-256 of "person<i>@example.com", computed by
/// the SDK; any 32 bytes would do, both sides use the same function).
std::string em_of(int i) {
  std::array<std::uint8_t, 32> d{};
  hashgate::sha256("person" + std::to_string(i) + "@example.com", d);
  return hashgate::to_hex(d);
}

/// The publisher's online id of person `i`: letters only, so no guard reads it as a number.
std::string ppid_of(int i) {
  std::string s = "pp";
  for (char c : std::to_string(i)) s += static_cast<char>('a' + (c - '0'));
  return s;
}

class Onboarding : public GatewayIntegration {
 protected:
  void SetUp() override {
    GatewayIntegration::SetUp();
    json cfg = json::parse(read_file(dir / "gateway.json"));
    cfg["tenants"].push_back(
        {{"id", "shop"}, {"role", "advertiser"}, {"api_key_sha256", k_shop_hash}});
    cfg["tenants"].push_back(
        {{"id", "news"},
         {"role", "publisher"},
         {"api_key_sha256", k_news_hash},
         {"set_uid_cookie", true},
         {"site_keys", {{{"key", "pk_news"}, {"allowed_origins", {"self"}}}}}});
    cfg["agreements"] = {agreement("shop-news", "shop", 10, "2999-01-01"),
                         agreement("demo-news-old", "demo", 10, "2020-01-01")};
    std::ofstream(dir / "gateway.json") << cfg.dump(2);
    gw->stop();
    ASSERT_TRUE(gw->start()) << read_file(dir / "stderr.log");
  }
  static json agreement(const std::string& id, const std::string& advertiser, int min,
                        const std::string& expires) {
    return {{"id", id},          {"advertiser", advertiser}, {"publisher", "news"},
            {"purpose", "test"}, {"legal_basis", "consent"}, {"min_audience", min},
            {"expires", expires}};
  }
  HttpResponse as(const std::string& key, const std::string& method, const std::string& target,
                  const std::string& body = "") {
    return gw->call(request(method, target, body,
                            {"Authorization: Bearer " + key, "Content-Type: application/json"}));
  }
  /// The publisher's logins of people [from, to): hashed e-mail + its online id.
  void publisher_logins(int from, int to) {
    for (int start = from; start < to; start += 150) {
      json evs = json::array();
      for (int i = start; i < std::min(to, start + 150); ++i)
        evs.push_back({{"event_id", "login" + std::to_string(i)},
                       {"type", "login"},
                       {"ids", {{"em", em_of(i)}}},
                       {"online_ids", {{"ppid", ppid_of(i)}}}});
      auto r = as("sk_news", "POST", "/v1/events", json{{"events", evs}}.dump());
      ASSERT_EQ(r.status, 202) << r.body;
    }
  }
  /// Uploads people [from, to) as members of `audience` of shop; returns the answer.
  json upload(const std::string& audience, int from, int to, const char* op = "add") {
    json list = json::array();
    for (int i = from; i < to; ++i) list.push_back({{"em", em_of(i)}});
    auto r =
        as("sk_shop", "POST", "/v1/audiences/" + audience + "/members", json{{op, list}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  HttpResponse match(const std::string& audience, const std::string& agreement = "shop-news",
                     const std::string& key = "sk_shop") {
    return as(key, "POST", "/v1/matches",
              json{{"audience", audience}, {"agreement", agreement}}.dump());
  }
  /// Every line of a match's export, paged by `limit`.
  std::vector<json> export_match(const std::string& id, int limit = 1000) {
    std::vector<json> out;
    std::string after;
    for (;;) {
      auto r = as("sk_news", "GET",
                  "/v1/matches/" + id + "/export?limit=" + std::to_string(limit) +
                      (after.empty() ? "" : "&after=" + after));
      EXPECT_EQ(r.status, 200) << r.body;
      std::istringstream in(r.body);
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        out.push_back(json::parse(line));
        after = out.back()["cursor"];
        ++n;
      }
      if (n < limit) return out;
    }
  }
  static std::set<std::string> ppids(const std::vector<json>& lines) {
    std::set<std::string> s;
    for (const auto& l : lines) s.insert(l["online_ids"]["ppid"].get<std::string>());
    return s;
  }
};

}  // namespace

// 100 logged-in people (0-99) and an audience of 100 members (43-142): 57 in common, released
// as 50; the publisher's export holds exactly those 57 people's own ids, in pages.
TEST_F(Onboarding, OnboardingKnownOverlapGivesExactCountsAndExport) {
  publisher_logins(0, 100);
  json up = upload("vip", 43, 143);
  EXPECT_EQ(up["added"], 100);
  EXPECT_EQ(up["members"], 100);
  EXPECT_EQ(up["dropped"]["opted_out"], 0);
  EXPECT_EQ(up["rejected"], json::array());
  EXPECT_EQ(upload("vip", 43, 53)["added"], 0);  // re-adding is harmless
  auto m = match("vip");
  ASSERT_EQ(m.status, 201) << m.body;
  json mj = json::parse(m.body);
  EXPECT_EQ(mj["status"], "released");
  EXPECT_EQ(mj["matched"], 50);
  EXPECT_EQ(mj["audience_members"], 100);
  const auto lines = export_match(mj["match_id"], 20);
  ASSERT_EQ(lines.size(), 57u);
  std::set<std::string> want;
  for (int i = 43; i < 100; ++i) want.insert(ppid_of(i));
  EXPECT_EQ(ppids(lines), want);
  for (const auto& l : lines) EXPECT_EQ(l.dump().find(em_of(50)), std::string::npos);  // no hash
  auto list = json::parse(as("sk_shop", "GET", "/v1/matches").body);
  ASSERT_EQ(list["matches"].size(), 1u);
  EXPECT_EQ(list["matches"][0]["matched"], 50);
  EXPECT_EQ(json::parse(as("sk_news", "GET", "/v1/matches").body)["matches"].size(), 1u);
  auto aud = json::parse(as("sk_shop", "GET", "/v1/audiences").body);
  EXPECT_EQ(aud["audiences"][0]["name"], "vip");
  EXPECT_EQ(aud["audiences"][0]["members"], 100);
  // Audited in both tenants' logs, counts only. The export's entries are queued to the store's
  // writer; an upload answers after its own commit, which comes after theirs (one FIFO queue).
  upload("vip", 0, 0);
  for (const char* key : {"sk_shop", "sk_news"}) {
    auto a = as(key, "GET", "/v1/audit?since=0");
    EXPECT_NE(a.body.find("\"match\""), std::string::npos) << key;
    EXPECT_NE(a.body.find("\"match_export\""), std::string::npos) << key;
    EXPECT_NE(a.body.find("\"audience_upload\""), std::string::npos) << key;
    EXPECT_EQ(a.body.find(em_of(50)), std::string::npos) << key;
  }
}

// min_audience 10: 9 matched people release nothing; 10 release 10.
TEST_F(Onboarding, OnboardingFloorAtMinAudienceMinusOneAndMinAudience) {
  publisher_logins(0, 20);
  upload("nine", 0, 9);  // 9 users
  auto below = match("nine");
  ASSERT_EQ(below.status, 201) << below.body;
  EXPECT_EQ(json::parse(below.body)["status"], "below_threshold");
  EXPECT_TRUE(json::parse(below.body)["matched"].is_null());
  EXPECT_TRUE(export_match(json::parse(below.body)["match_id"]).empty());
  upload("ten", 0, 10);       // 10 users ...
  upload("ten", 1000, 1010);  // ... and 10 non-users: 11 members away from "nine"
  auto at = match("ten");
  ASSERT_EQ(at.status, 201) << at.body;
  EXPECT_EQ(json::parse(at.body)["status"], "released");
  EXPECT_EQ(json::parse(at.body)["matched"], 10);
}

// Under one agreement: 1-9 members of difference from an earlier match is 409; the same set
// returns the earlier match; 10 or more is a new match.
TEST_F(Onboarding, OnboardingRefusesTooSimilarAndReturnsUnchanged) {
  publisher_logins(0, 40);
  upload("a", 0, 30);
  auto first = match("a");
  ASSERT_EQ(first.status, 201);
  const std::string id = json::parse(first.body)["match_id"];
  auto again = match("a");
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(json::parse(again.body)["match_id"], id);
  upload("b", 0, 31);  // one more member
  auto similar = match("b");
  EXPECT_EQ(similar.status, 409) << similar.body;
  EXPECT_EQ(json::parse(similar.body)["error"], "too_similar");
  upload("a", 30, 39);  // 9 more: still too similar to the first match
  EXPECT_EQ(match("a").status, 409);
  upload("a", 39, 40);  // 10 more
  auto fresh = match("a");
  EXPECT_EQ(fresh.status, 201) << fresh.body;
  EXPECT_NE(json::parse(fresh.body)["match_id"], id);
}

// Opt-outs of either tenant before the match leave people out of it; after the release they
// leave the export from then on; the advertiser's opt-out also drops the member from uploads.
TEST_F(Onboarding, OnboardingOptOutsOfBothSidesBeforeAndAfterRelease) {
  publisher_logins(0, 40);
  auto optout = [&](const std::string& key, int i) {
    auto r = as(key, "POST", "/v1/optout", json{{"ids", {{"em", em_of(i)}}}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  };
  optout("sk_news", 1);  // publisher side, before
  optout("sk_shop", 2);  // advertiser side, before: dropped at upload
  json up = upload("x", 0, 30);
  EXPECT_EQ(up["added"], 29);
  EXPECT_EQ(up["dropped"]["opted_out"], 1);
  auto m = match("x");
  ASSERT_EQ(m.status, 201) << m.body;
  EXPECT_EQ(json::parse(m.body)["matched"], 20);  // 28 people
  const std::string id = json::parse(m.body)["match_id"];
  EXPECT_EQ(export_match(id).size(), 28u);
  optout("sk_news", 5);  // publisher side, after
  optout("sk_shop", 6);  // advertiser side, after
  const auto lines = export_match(id);
  EXPECT_EQ(lines.size(), 26u);
  for (int gone : {1, 2, 5, 6}) EXPECT_EQ(ppids(lines).count(ppid_of(gone)), 0u) << gone;
  auto aud = json::parse(as("sk_shop", "GET", "/v1/audiences").body);
  EXPECT_EQ(aud["audiences"][0]["members"], 28);  // the member of 6 is purged
}

TEST_F(Onboarding, OnboardingNeedsAnAgreementInForce) {
  publisher_logins(0, 20);
  upload("x", 0, 20);
  EXPECT_EQ(json::parse(match("x", "missing").body)["error"], "no_agreement");
  EXPECT_EQ(match("x", "missing").status, 403);
  EXPECT_EQ(match("x", "demo-news-old", "sk_shop").status, 403);  // another advertiser's
  EXPECT_EQ(
      as("sk_test", "POST", "/v1/audiences/x/members", json{{"add", {{{"em", em_of(1)}}}}}.dump())
          .status,
      200);
  EXPECT_EQ(match("x", "demo-news-old", "sk_test").status, 403);  // expired
  EXPECT_EQ(match("x", "shop-news", "sk_test").status, 403);      // names shop
  EXPECT_EQ(match("x", "shop-news", "sk_news").status, 403);      // a publisher
  EXPECT_EQ(json::parse(match("x", "shop-news", "sk_news").body)["error"], "no_agreement");
}

// Another tenant's key on every route: it sees nothing of shop's audiences and matches, cannot
// delete them, cannot export; a site key is not enough anywhere.
TEST_F(Onboarding, OnboardingForeignKeysOnEveryRoute) {
  publisher_logins(0, 20);
  upload("x", 0, 20);
  auto m = match("x");
  ASSERT_EQ(m.status, 201);
  const std::string id = json::parse(m.body)["match_id"];
  const std::string body = json{{"add", {{{"em", em_of(1)}}}}}.dump();
  EXPECT_EQ(as("sk_news", "POST", "/v1/audiences/x/members", body).status, 403);
  EXPECT_EQ(json::parse(as("sk_test", "GET", "/v1/audiences").body)["audiences"], json::array());
  EXPECT_EQ(as("sk_test", "DELETE", "/v1/audiences/x").status, 404);
  EXPECT_EQ(json::parse(as("sk_test", "GET", "/v1/matches").body)["matches"], json::array());
  EXPECT_EQ(as("sk_test", "GET", "/v1/matches/" + id + "/export").status, 404);
  EXPECT_EQ(as("sk_shop", "GET", "/v1/matches/" + id + "/export").status, 404);
  EXPECT_EQ(as("sk_news", "GET", "/v1/matches/m_nonexistent/export").status, 404);
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/v1/audiences/x/members"},
                                                        {"GET", "/v1/audiences"},
                                                        {"DELETE", "/v1/audiences/x"},
                                                        {"POST", "/v1/matches"},
                                                        {"GET", "/v1/matches"},
                                                        {"GET", "/v1/matches/" + id + "/export"}}) {
    auto r = gw->call(request(method, path + "?site_key=pk_news", body,
                              {"Origin: " + gw->origin(), "Content-Type: application/json"}));
    EXPECT_EQ(r.status, 401) << method << " " << path << " " << r.body;
  }
  EXPECT_EQ(json::parse(as("sk_shop", "GET", "/v1/audiences").body)["audiences"].size(), 1u);
  EXPECT_EQ(as("sk_shop", "DELETE", "/v1/audiences/x").status, 200);
  EXPECT_EQ(json::parse(as("sk_shop", "GET", "/v1/audiences").body)["audiences"], json::array());
  EXPECT_EQ(export_match(id).size(), 20u);  // the match outlives its audience
}

// Hostile and malformed upload bodies: refused whole with the path named, or per entry.
TEST_F(Onboarding, OnboardingRefusesBadUploadBodies) {
  auto post = [&](const std::string& name, const std::string& body) {
    return as("sk_shop", "POST", "/v1/audiences/" + name + "/members", body);
  };
  auto raw = post("x", R"({"add": [{"em": "Jane.Doe@example.com"}]})");
  EXPECT_EQ(raw.status, 422);
  EXPECT_EQ(json::parse(raw.body)["error"], "raw_pii");
  EXPECT_EQ(json::parse(raw.body)["path"], "/add/0/em");
  EXPECT_EQ(raw.body.find("Jane"), std::string::npos);
  auto phone = post("x", R"({"remove": [{"ph": "+31 6 12345678"}]})");
  EXPECT_EQ(phone.status, 422);
  EXPECT_EQ(json::parse(phone.body)["path"], "/remove/0/ph");
  std::string many = R"({"add": [)";
  for (int i = 0; i < 10001; ++i) many += i ? ",{}" : "{}";
  EXPECT_EQ(post("x", many + "]}").status, 413);
  EXPECT_EQ(post("x", R"({"add": [], "extra": 1})").status, 400);
  EXPECT_EQ(post("x", R"({"add": {"em": "x"}})").status, 400);
  EXPECT_EQ(post("x", R"([1, 2])").status, 400);
  EXPECT_EQ(post("x", R"({"add": [)").status, 400);
  EXPECT_EQ(post("x", "\xff\xfe").status, 400);
  EXPECT_EQ(post("x.y", R"({"add": []})").status, 400);
  EXPECT_EQ(post(std::string(65, 'a'), R"({"add": []})").status, 400);
  auto mixed = post("x", json{{"add",
                               {{{"em", em_of(1)}},
                                {{"em", "nothex"}},
                                {{"fn", em_of(2)}},
                                {{"em", em_of(3)}, {"bogus", "1"}},
                                7}}}
                             .dump());
  ASSERT_EQ(mixed.status, 200) << mixed.body;
  const json mj = json::parse(mixed.body);
  EXPECT_EQ(mj["added"], 1);
  ASSERT_EQ(mj["rejected"].size(), 4u);
  EXPECT_EQ(mj["rejected"][0], (json{{"path", "/add/1/em"}, {"error", "invalid_hash"}}));
  EXPECT_EQ(mj["rejected"][1], (json{{"path", "/add/2"}, {"error", "no_identifier"}}));
  EXPECT_EQ(mj["rejected"][2], (json{{"path", "/add/3/bogus"}, {"error", "unknown_field"}}));
  EXPECT_EQ(mj["rejected"][3], (json{{"path", "/add/4"}, {"error", "invalid_ids"}}));
  EXPECT_EQ(as("sk_shop", "POST", "/v1/matches", R"({"audience": "x"})").status, 400);
  EXPECT_EQ(as("sk_shop", "POST", "/v1/matches", R"({"audience": 1, "agreement": "a"})").status,
            400);
}

// kill -9 while an upload is in flight: every batch acknowledged before survives the crash.
TEST_F(Onboarding, OnboardingAcknowledgedMembersSurviveKill9) {
  for (int b = 0; b < 5; ++b) upload("crash", b * 100, b * 100 + 100);
  json list = json::array();
  for (int i = 500; i < 600; ++i) list.push_back({{"em", em_of(i)}});
  const std::string body = json{{"add", list}}.dump();
  Conn c(gw->port());
  ASSERT_TRUE(
      c.send_raw(request("POST", "/v1/audiences/crash/members", body,
                         {"Authorization: Bearer sk_shop", "Content-Type: application/json"})));
  ASSERT_TRUE(wait_until_server_read(gw->port(), c));  // the whole upload reached the gateway
  gw->kill9();
  ASSERT_TRUE(gw->start()) << read_file(dir / "stderr.log");
  auto aud = json::parse(as("sk_shop", "GET", "/v1/audiences").body);
  ASSERT_EQ(aud["audiences"].size(), 1u);
  const int members = aud["audiences"][0]["members"];
  EXPECT_TRUE(members == 500 || members == 600) << members;  // the last batch whole or not at all
}

#ifdef HASHGATE_CLI_PATH
// `hashgate audience push` end to end: a CSV hashed locally, uploaded to the real gateway.
TEST_F(Onboarding, OnboardingAudiencePushAgainstTheRealGateway) {
  publisher_logins(0, 30);
  {
    std::ofstream csv(dir / "crm.csv");
    csv << "email,name\n";
    for (int i = 10; i < 40; ++i) csv << "  Person" << i << "@Example.com,someone\n";
  }
  std::ofstream(dir / "key") << "sk_shop\n";
  const std::string cmd = std::string(HASHGATE_CLI_PATH) + " audience push --gateway " +
                          gw->origin() + " --api-key-file " + (dir / "key").string() +
                          " --audience crm --columns email=em " + (dir / "crm.csv").string() +
                          " 2>" + (dir / "push.log").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(dir / "push.log");
  auto aud = json::parse(as("sk_shop", "GET", "/v1/audiences").body);
  EXPECT_EQ(aud["audiences"][0]["members"], 30);
  auto m = match("crm");
  ASSERT_EQ(m.status, 201) << m.body;
  EXPECT_EQ(json::parse(m.body)["matched"], 20);  // people 10-29
  EXPECT_EQ(export_match(json::parse(m.body)["match_id"]).size(), 20u);
}
#endif

// The browser path: a login on the publisher's site carries the gateway's hg_uid, which the export
// gives back; the opt-out link (cookie) removes that person from the export from then on.
TEST_F(Onboarding, OnboardingCookieOptOutLeavesTheExport) {
  publisher_logins(0, 20);
  const std::string uid = "00112233445566778899aabbccddeeff";
  json ev = {
      {"events", {{{"event_id", "web1"}, {"type", "login"}, {"ids", {{"em", em_of(100)}}}}}}};
  auto w = gw->call(
      request("POST", "/v1/events?site_key=pk_news", ev.dump(),
              {"Origin: " + gw->origin(), "Content-Type: text/plain", "Cookie: hg_uid=" + uid}));
  ASSERT_EQ(w.status, 202) << w.body;
  upload("x", 0, 20);
  upload("x", 100, 101);
  auto m = match("x");
  ASSERT_EQ(m.status, 201) << m.body;
  const std::string id = json::parse(m.body)["match_id"];
  auto lines = export_match(id);
  ASSERT_EQ(lines.size(), 21u);
  auto with_uid = [&uid](const std::vector<json>& ls) {
    return std::count_if(ls.begin(), ls.end(), [&uid](const json& l) { return l["uid"] == uid; });
  };
  EXPECT_EQ(with_uid(lines), 1);
  auto o = gw->call(request("GET", "/v1/optout?site_key=pk_news", "",
                            {"Cookie: hg_uid=" + uid, "Accept: application/json"}));
  ASSERT_EQ(o.status, 200) << o.body;
  lines = export_match(id);
  EXPECT_EQ(lines.size(), 20u);
  EXPECT_EQ(with_uid(lines), 0);
}

// The retention run (also at start-up) purges the matches of an agreement that left the
// configuration, in both tenants' audit logs.
TEST_F(Onboarding, OnboardingRetentionPurgesMatchesOfRemovedAgreements) {
  publisher_logins(0, 20);
  upload("x", 0, 20);
  auto m = match("x");
  ASSERT_EQ(m.status, 201);
  const std::string id = json::parse(m.body)["match_id"];
  json cfg = json::parse(read_file(dir / "gateway.json"));
  cfg["agreements"].erase(0);  // shop-news
  std::ofstream(dir / "gateway.json") << cfg.dump(2);
  gw->stop();
  ASSERT_TRUE(gw->start()) << read_file(dir / "stderr.log");
  EXPECT_EQ(json::parse(as("sk_shop", "GET", "/v1/matches").body)["matches"], json::array());
  EXPECT_EQ(as("sk_news", "GET", "/v1/matches/" + id + "/export").status, 404);
  for (const char* key : {"sk_shop", "sk_news"})
    EXPECT_NE(as(key, "GET", "/v1/audit?since=0").body.find("\"match_purge\""), std::string::npos)
        << key;
}

// The linked-ID fan-out covers audiences: a member uploaded with an e-mail and a phone who opts
// out by the phone alone leaves the audience and, matched by the e-mail, the publisher's export.
TEST_F(Onboarding, OnboardingOptOutFansOutOverAMembersIds) {
  publisher_logins(0, 20);
  auto ph_of = [](int i) {
    std::array<std::uint8_t, 32> d{};
    hashgate::sha256("3161234" + std::to_string(5000 + i), d);
    return hashgate::to_hex(d);
  };
  json list = json::array();
  for (int i = 0; i < 20; ++i) list.push_back({{"em", em_of(i)}, {"ph", ph_of(i)}});
  ASSERT_EQ(as("sk_shop", "POST", "/v1/audiences/x/members", json{{"add", list}}.dump()).status,
            200);
  auto m = match("x");
  ASSERT_EQ(m.status, 201) << m.body;
  const std::string id = json::parse(m.body)["match_id"];
  ASSERT_EQ(export_match(id).size(), 20u);
  auto o = as("sk_shop", "POST", "/v1/optout", json{{"ids", {{"ph", ph_of(3)}}}}.dump());
  ASSERT_EQ(o.status, 200) << o.body;
  EXPECT_EQ(json::parse(o.body)["ids_suppressed"], 2);  // the phone and the member's e-mail
  const auto lines = export_match(id);
  EXPECT_EQ(lines.size(), 19u);
  EXPECT_EQ(ppids(lines).count(ppid_of(3)), 0u);
  EXPECT_EQ(json::parse(as("sk_shop", "GET", "/v1/audiences").body)["audiences"][0]["members"], 19);
}
