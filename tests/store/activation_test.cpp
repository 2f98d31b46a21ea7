// Store suite, activation of matches to destinations (docs/onboarding.md, "Activation"): the
// real SQLite store in a fresh temporary folder; the claim is called directly, as the delivery
// worker's StoreOutbox does.
#include "store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <set>

namespace fs = std::filesystem;
namespace ob = hashgate::gw::onboarding;
using hashgate::gw::ActivationRequest;
using hashgate::gw::ActivationResult;
using hashgate::gw::AudienceUpload;
using hashgate::gw::AudienceUploadResult;
using hashgate::gw::EventRecord;
using hashgate::gw::MatchInfo;
using hashgate::gw::MatchResult;
using hashgate::gw::OptOutResult;
using hashgate::gw::OutboxEntry;
using hashgate::gw::Store;
using hashgate::gw::StoreConfig;
using hashgate::gw::SubmitResult;
using nlohmann::json;

namespace {

constexpr std::int64_t k_t0 = 1764374400;

/// 64 hex digits, distinct per `n` and `salt` (a stand-in for a SHA-256 digest).
std::string digest(unsigned n, char salt) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%015x", n);
  return std::string(48, salt) + buf + std::string(1, salt);
}
std::string em_of(unsigned i) { return digest(i, 'e'); }              // publisher and advertiser
std::string ph_of(unsigned i) { return digest(i, 'f'); }              // publisher's login phone
std::string crm_ph_of(unsigned i) { return digest(i, 'c'); }          // the advertiser's phone only
std::string ext_of(unsigned i) { return digest(i, 'a'); }             // publisher's external_id
std::string uid_of(unsigned i) { return digest(i, 'b').substr(32); }  // 32 hex, like hg_uid

class StoreActivationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hashgate-activation-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    m_dir = tmpl;
    StoreConfig cfg;
    cfg.data_dir = m_dir.string();
    cfg.clock = [] { return k_t0; };
    std::error_code err;
    std::string why;
    m_store = Store::open(cfg, err, why);
    ASSERT_TRUE(m_store) << why;
  }
  void TearDown() override {
    if (m_store) m_store->close();
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }

  /// `n` logged-in people of publisher "news" (uid, e-mail, phone, external id), an audience of
  /// advertiser "shop" with the first `matched` of their e-mails plus a phone of its own each,
  /// and 30 members who are no users; then the match (floor 10).
  MatchInfo released_match(unsigned n, unsigned matched) {
    std::vector<EventRecord> logins;
    for (unsigned i = 0; i < n; ++i) {
      EventRecord e;
      e.tenant = "news";
      e.event_id = "login-" + std::to_string(i);
      e.type = "login";
      e.time = e.received = k_t0;
      e.ids = {{"em", em_of(i)}, {"ph", ph_of(i)}, {"external_id", ext_of(i)}};
      e.uid = uid_of(i);
      e.online_ids_json = "{}";
      e.custom_json = "{}";
      logins.push_back(std::move(e));
    }
    std::promise<SubmitResult> s;
    m_store->submit(std::move(logins), [&](SubmitResult r) { s.set_value(r); });
    EXPECT_FALSE(s.get_future().get().error);
    AudienceUpload up{"shop", "crm", {}, {}, {}};
    for (unsigned i = 0; i < matched + 30; ++i) {
      const unsigned k = i < matched ? i : 1000 + i;
      up.add.push_back({*ob::decode_hashed_id(ob::IdKind::em, em_of(k)),
                        *ob::decode_hashed_id(ob::IdKind::ph, crm_ph_of(k))});
    }
    std::promise<AudienceUploadResult> u;
    m_store->update_audience(up, [&](AudienceUploadResult r) { u.set_value(r); });
    EXPECT_FALSE(u.get_future().get().error);
    std::promise<MatchResult> m;
    m_store->create_match({"ag", "shop", "news", "crm", 10},
                          [&](MatchResult r) { m.set_value(r); });
    const MatchResult r = m.get_future().get();
    EXPECT_EQ(r.match.status, ob::MatchStatus::released);
    return r.match;
  }
  ActivationResult activate(const MatchInfo& m, const std::string& dest, bool resend = false,
                            std::size_t per_row = 10) {
    std::promise<ActivationResult> p;
    m_store->activate_match(
        ActivationRequest{m.match_id, m.advertiser, m.publisher, dest, resend, per_row},
        [&](ActivationResult r) { p.set_value(r); });
    return p.get_future().get();
  }
  OptOutResult opt_out(const std::string& tenant, const std::string& id) {
    std::promise<OptOutResult> p;
    m_store->opt_out(tenant, {id}, "", "api", [&](OptOutResult r) { p.set_value(r); });
    return p.get_future().get();
  }
  /// Claims the head row of `dest` and marks it delivered; its payload (or "" when none is due).
  std::string deliver_one(const std::string& dest, bool webhook) {
    const auto rows = m_store->outbox_claim(dest, 100, k_t0 * 1000, webhook);
    if (rows.empty()) return "";
    m_store->outbox_delivered(dest, {rows.front().id}, k_t0 * 1000);
    return rows.front().payload;
  }

  /// Every outbox payload as stored, read beside the store with SQLite's C API.
  std::string outbox_payloads() {
    sqlite3* db = nullptr;
    std::string out;
    EXPECT_EQ(sqlite3_open_v2((m_dir / "hashgate.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT coalesce(payload, '') FROM outbox", -1, &st, nullptr),
              SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
      out += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  fs::path m_dir;
  std::unique_ptr<Store> m_store;
};

/// Every hex value of a members payload, by kind.
std::map<std::string, std::set<std::string>> values_of(const std::string& payload) {
  std::map<std::string, std::set<std::string>> out;
  const json parsed = json::parse(payload);  // kept alive: the loop runs over a member of it
  for (const auto& member : parsed.at("members"))
    for (const auto& [kind, list] : member.items())
      for (const auto& v : list) out[kind].insert(v.get<std::string>());
  return out;
}

}  // namespace

// The rows carry the publisher's own ids of the matched people (its e-mail, phone and external
// id, and its uid for a webhook), never the advertiser's phone or an unmatched member; the
// people are cut into rows of `per_row`; the claim writes the ledger, so a later opt-out queues
// a removal to that destination with the ids it received.
TEST_F(StoreActivationTest, StoreActivationSendsThePublishersOwnIdsAndFillsTheLedger) {
  const MatchInfo m = released_match(30, 25);
  const ActivationResult r = activate(m, "hook");
  ASSERT_FALSE(r.error);
  EXPECT_FALSE(r.already);
  EXPECT_EQ(r.persons, 25u);
  EXPECT_EQ(r.rows, 3u);  // 10 + 10 + 5
  EXPECT_EQ(m_store->outbox_count("hook").pending, 3u);
  std::map<std::string, std::set<std::string>> sent;
  for (int i = 0; i < 3; ++i) {
    const std::string payload = deliver_one("hook", true);
    ASSERT_FALSE(payload.empty());
    EXPECT_EQ(json::parse(payload).at("match_id"), m.match_id);
    for (auto& [kind, values] : values_of(payload)) sent[kind].merge(values);
  }
  std::set<std::string> em, ph, ext, uid;
  for (unsigned i = 0; i < 25; ++i) {
    em.insert(em_of(i));
    ph.insert(ph_of(i));
    ext.insert(ext_of(i));
    uid.insert(uid_of(i));
  }
  EXPECT_EQ(sent, (std::map<std::string, std::set<std::string>>{
                      {"em", em}, {"ph", ph}, {"external_id", ext}, {"uid", uid}}));
  EXPECT_EQ(deliver_one("hook", true), "");

  // A platform destination gets e-mail and phone hashes only, and no uid.
  ASSERT_EQ(activate(m, "meta").rows, 3u);
  const auto platform = values_of(deliver_one("meta", false));
  EXPECT_EQ(platform.size(), 2u);
  EXPECT_EQ(platform.at("em").size(), 10u);
  EXPECT_EQ(platform.at("ph").size(), 10u);
  while (!deliver_one("meta", false).empty()) {
  }

  // The ledger: an opt-out at the publisher reaches both destinations that had the person.
  ASSERT_FALSE(opt_out("news", em_of(0)).error);
  for (const auto& [dest, webhook] : {std::pair{"hook", true}, std::pair{"meta", false}}) {
    const auto rows = m_store->outbox_claim(dest, 100, k_t0 * 1000, webhook);
    ASSERT_FALSE(rows.empty()) << dest;
    ASSERT_EQ(rows.front().kind, 1) << dest;
    const json msg = json::parse(rows.front().payload);
    EXPECT_EQ(msg.at("ids").at("em"), json::array({em_of(0)})) << dest;
    EXPECT_EQ(msg.at("ids").at("ph"), json::array({ph_of(0)})) << dest;
  }
}

// Nobody who opted out after the activation is sent, on either side; a purged match sends
// nothing; and the rows hold no identifier while they wait.
TEST_F(StoreActivationTest, StoreActivationSendsNobodyWhoOptedOutBeforeDelivery) {
  const MatchInfo m = released_match(12, 12);
  ASSERT_EQ(activate(m, "hook", false, 100).rows, 1u);
  const std::string waiting = outbox_payloads();
  EXPECT_NE(waiting.find(m.match_id), std::string::npos);
  for (unsigned i = 0; i < 12; ++i) {
    EXPECT_EQ(waiting.find(em_of(i)), std::string::npos);
    EXPECT_EQ(waiting.find(uid_of(i)), std::string::npos);
  }
  ASSERT_FALSE(opt_out("news", ph_of(3)).error);  // at the publisher, by its phone
  ASSERT_FALSE(opt_out("shop", em_of(4)).error);  // at the advertiser, by the e-mail it uploaded
  const auto sent = values_of(deliver_one("hook", true));
  EXPECT_EQ(sent.at("em").size(), 10u);
  for (unsigned gone : {3u, 4u}) {
    EXPECT_EQ(sent.at("em").count(em_of(gone)), 0u) << gone;
    EXPECT_EQ(sent.at("ph").count(ph_of(gone)), 0u) << gone;
    EXPECT_EQ(sent.at("uid").count(uid_of(gone)), 0u) << gone;
  }
  ASSERT_EQ(activate(m, "hook", true, 100).persons, 10u);  // a resend counts only who is left
  EXPECT_EQ(m_store->purge_matches({}), 1u);
  EXPECT_EQ(m_store->outbox_count("hook").pending, 1u);
  EXPECT_EQ(deliver_one("hook", true), "");  // nothing left to send: the row is dropped
  EXPECT_EQ(m_store->outbox_count("hook").pending, 0u);
}

// A second activation to the same destination queues nothing and answers the first one's
// counts; `resend` queues again; each is audited in both logs, the advertiser's without counts.
TEST_F(StoreActivationTest, StoreActivationIsIdempotentPerDestinationAndAudited) {
  const MatchInfo m = released_match(15, 15);
  const ActivationResult first = activate(m, "hook");
  const ActivationResult again = activate(m, "hook");
  EXPECT_TRUE(again.already);
  EXPECT_EQ(again.persons, first.persons);
  EXPECT_EQ(again.rows, first.rows);
  EXPECT_EQ(m_store->outbox_count("hook").pending, 2u);
  const ActivationResult resent = activate(m, "hook", true);
  EXPECT_FALSE(resent.already);
  EXPECT_EQ(resent.persons, 15u);
  EXPECT_EQ(m_store->outbox_count("hook").pending, 4u);
  std::promise<void> flushed;  // FIFO writer: audits are committed once this submit is
  m_store->submit({}, [&](SubmitResult) { flushed.set_value(); });
  flushed.get_future().wait();
  auto details = [&](const std::string& tenant) {
    std::vector<json> out;
    for (const auto& e : m_store->audit(tenant, 0, 1000))
      if (e.action == "match_activate") out.push_back(json::parse(e.detail));
    return out;
  };
  const auto news = details("news");
  ASSERT_EQ(news.size(), 2u);
  EXPECT_EQ(news[0].at("persons"), 15);
  EXPECT_EQ(news[0].at("destination"), "hook");
  const auto shop = details("shop");
  ASSERT_EQ(shop.size(), 2u);
  EXPECT_EQ(shop[0], (json{{"match_id", m.match_id}}));
}

// An opt-out at the advertiser after delivery takes the person out of every destination the
// match was activated to (a removal with the publisher's ids that destination received), not out
// of the publisher's other destinations; the person's other ids stay with nobody.
TEST_F(StoreActivationTest, StoreActivationAdvertiserOptOutRemovesFromActivatedDestinations) {
  const MatchInfo m = released_match(12, 12);
  ASSERT_EQ(activate(m, "hook", false, 100).rows, 1u);
  ASSERT_FALSE(deliver_one("hook", true).empty());
  EventRecord e;  // the publisher's own event to another destination, not activated
  e.tenant = "news";
  e.event_id = "purchase-5";
  e.type = "purchase";
  e.time = e.received = k_t0;
  e.ids = {{"em", em_of(5)}};
  e.online_ids_json = e.custom_json = "{}";
  e.outbox.push_back({"events-only", 0});
  std::promise<SubmitResult> s;
  m_store->submit({e}, [&](SubmitResult r) { s.set_value(r); });
  ASSERT_FALSE(s.get_future().get().error);
  ASSERT_FALSE(deliver_one("events-only", true).empty());

  ASSERT_FALSE(opt_out("shop", em_of(5)).error);
  const auto rows = m_store->outbox_claim("hook", 100, k_t0 * 1000, true);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].kind, 1);
  const json msg = json::parse(rows[0].payload);
  EXPECT_EQ(msg.at("ids").at("em"), json::array({em_of(5)}));
  EXPECT_EQ(msg.at("ids").at("ph"), json::array({ph_of(5)}));
  EXPECT_EQ(msg.at("ids").at("external_id"), json::array({ext_of(5)}));
  EXPECT_EQ(msg.at("uid"), uid_of(5));
  EXPECT_TRUE(m_store->outbox_claim("events-only", 100, k_t0 * 1000, true).empty());
  ASSERT_FALSE(opt_out("shop", em_of(5)).error);  // again: the ledger no longer holds them
  EXPECT_EQ(m_store->outbox_count("hook").pending, 1u);
}
