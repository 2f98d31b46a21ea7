// Store suite: every test drives the real SQLite store in its own fresh temporary folder.
// No timing assertions: ordering is forced with callbacks, promises and the writer's FIFO order.
#include "store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "schema.hpp"
#include "wal_vfs.hpp"

namespace fs = std::filesystem;
using hashgate::gw::AudienceUpload;
using hashgate::gw::AudienceUploadResult;
using hashgate::gw::AuditEntry;
using hashgate::gw::Durability;
using hashgate::gw::EventRecord;
using hashgate::gw::MatchDecision;
using hashgate::gw::MatchResult;
using hashgate::gw::OptOutResult;
using hashgate::gw::OutboxEntry;
using hashgate::gw::OutboxTarget;
using hashgate::gw::Outcome;
using hashgate::gw::Store;
using hashgate::gw::StoreConfig;
using hashgate::gw::StoreErrc;
using hashgate::gw::SubmitResult;

namespace {

/// A 64-hex-digit stand-in for a SHA-256 digest, distinct per `n` (lowercase).
std::string hex_id(unsigned n) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016x", n);
  std::string s;
  for (int i = 0; i < 4; ++i) s += buf;
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

EventRecord make_event(const std::string& tenant, const std::string& event_id,
                       std::vector<std::pair<std::string, std::string>> ids, std::string uid = "",
                       std::int64_t received = 1764374400) {
  EventRecord e;
  e.tenant = tenant;
  e.event_id = event_id;
  e.type = "purchase";
  e.time = received - 10;
  e.received = received;
  e.ids = std::move(ids);
  e.uid = std::move(uid);
  e.online_ids_json = R"({"fbp":"fb.1.1764374400.123"})";
  e.custom_json = R"({"value":59.95,"currency":"EUR"})";
  e.legal_basis = "consent";
  e.consent_summary = R"({"gdpr":1,"decision":"granted"})";
  return e;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hashgate-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    m_dir = tmpl;
    m_cfg.data_dir = m_dir.string();
    m_cfg.durability = Durability::full;
    m_cfg.clock = [this] { return m_now.load(); };
  }
  void TearDown() override {
    if (m_store) m_store->close();
    m_store.reset();
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }

  void open() {
    std::error_code err;
    std::string why;
    m_store = Store::open(m_cfg, err, why);
    ASSERT_TRUE(m_store) << why;
    ASSERT_FALSE(err);
  }
  void reopen() {
    m_store->close();
    m_store.reset();
    open();
  }

  SubmitResult submit(std::vector<EventRecord> events) {
    auto p = std::make_shared<std::promise<SubmitResult>>();
    auto f = p->get_future();
    EXPECT_TRUE(
        m_store->submit(std::move(events), [p](SubmitResult r) { p->set_value(std::move(r)); }));
    return f.get();
  }
  OptOutResult opt_out(const std::string& tenant, std::vector<std::string> ids, std::string uid,
                       std::string source = "api") {
    std::promise<OptOutResult> p;
    auto f = p.get_future();
    m_store->opt_out(tenant, std::move(ids), std::move(uid), std::move(source),
                     [&p](OptOutResult r) { p.set_value(r); });
    return f.get();
  }
  std::error_code opt_in(const std::string& tenant, std::vector<std::string> ids, std::string uid) {
    std::promise<std::error_code> p;
    auto f = p.get_future();
    m_store->opt_in(tenant, std::move(ids), std::move(uid),
                    [&p](std::error_code ec) { p.set_value(ec); });
    return f.get();
  }
  /// Waits until everything queued before it (e.g. append_audit) is committed: FIFO writer.
  void flush() { submit({}); }

  /// Event ids of the tenant's export, in export order.
  std::vector<std::string> exported_ids(const std::string& tenant, std::int64_t since = 0) {
    std::vector<std::string> out;
    for (const auto& line : m_store->export_events(tenant, since, {}, 1000000)) {
      out.push_back(nlohmann::json::parse(line).at("event_id").get<std::string>());
    }
    return out;
  }
  std::string all_files() {
    std::string bytes;
    for (const char* name : {"hashgate.db", "hashgate.db-wal", "hashgate.db-shm"}) {
      if (fs::exists(m_dir / name)) bytes += slurp(m_dir / name);
    }
    return bytes;
  }

  fs::path m_dir;
  StoreConfig m_cfg;
  std::atomic<std::int64_t> m_now{1764374400};
  std::unique_ptr<Store> m_store;
};

}  // namespace

TEST(StoreOpen, RefusesEmptyDataDir) {
  StoreConfig cfg;
  std::error_code err;
  std::string why;
  auto store = Store::open(cfg, err, why);
  EXPECT_EQ(store, nullptr);
  EXPECT_EQ(err, StoreErrc::open_failed);
  EXPECT_NE(why.find("data_dir"), std::string::npos);
}

TEST_F(StoreTest, StoreOpenUsesWalAndRefusesNewerSchema) {
  open();
  EXPECT_TRUE(m_store->ready());
  m_store->close();
  m_store.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((m_dir / "hashgate.db").string().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0),
            hashgate::gw::store_detail::schema_version());  // written by the migrations
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  std::error_code err;
  std::string why;
  auto store = Store::open(m_cfg, err, why);
  EXPECT_EQ(store, nullptr);
  EXPECT_EQ(err, StoreErrc::schema_too_new);
  EXPECT_NE(why.find("99"), std::string::npos);
}

TEST_F(StoreTest, StoreSubmitExportRoundTrip) {
  open();
  const std::string em = hex_id(1);
  const std::string ph = hex_id(2);
  auto e1 = make_event("t1", "ev-1", {{"em", upper(em)}, {"ph", ph}}, "uid-1", 1000);
  auto e2 = make_event("t1", "ev-2", {{"em", em}}, "", 2000);
  auto e3 = make_event("t2", "ev-3", {{"em", em}}, "", 1500);  // another tenant
  auto r = submit({e1, e3, e2});  // in arrival order: received never goes back (see below)
  ASSERT_FALSE(r.error) << r.error.message();
  ASSERT_EQ(r.outcomes,
            (std::vector<Outcome>{Outcome::accepted, Outcome::accepted, Outcome::accepted}));

  auto lines = m_store->export_events("t1", 0, {}, 100);
  ASSERT_EQ(lines.size(), 2u);
  auto first = nlohmann::json::parse(lines[0]);  // oldest received first
  EXPECT_EQ(first["event_id"], "ev-1");
  EXPECT_EQ(first["type"], "purchase");
  EXPECT_EQ(first["time"], 990);
  EXPECT_EQ(first["received"], 1000);
  EXPECT_EQ(first["ids"]["em"], em);  // canonical lowercase hex although submitted upper-case
  EXPECT_EQ(first["ids"]["ph"], ph);
  EXPECT_EQ(first["uid"], "uid-1");
  EXPECT_EQ(first["online_ids"]["fbp"], "fb.1.1764374400.123");
  EXPECT_EQ(first["custom"]["currency"], "EUR");
  EXPECT_DOUBLE_EQ(first["custom"]["value"].get<double>(), 59.95);
  EXPECT_EQ(first["legal_basis"], "consent");
  EXPECT_EQ(first["consent"]["gdpr"], 1);
  EXPECT_EQ(lines[0].find('\n'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["event_id"], "ev-2");
  EXPECT_FALSE(nlohmann::json::parse(lines[1]).contains("uid"));

  EXPECT_EQ(exported_ids("t1", 1001), std::vector<std::string>{"ev-2"});  // since is inclusive
  EXPECT_EQ(exported_ids("t1", 2000), std::vector<std::string>{"ev-2"});
  EXPECT_EQ(m_store->export_events("t1", 0, {}, 1).size(), 1u);  // limit
  EXPECT_EQ(exported_ids("t2"), std::vector<std::string>{"ev-3"});
  EXPECT_TRUE(exported_ids("nobody").empty());
}

TEST_F(StoreTest, StoreDedupeAcrossAndWithinBatches) {
  open();
  auto a = make_event("t", "dup-1", {{"em", hex_id(1)}});
  auto b = make_event("t", "dup-2", {{"em", hex_id(2)}});
  auto r1 = submit({a, a, b});  // within one batch
  ASSERT_FALSE(r1.error);
  EXPECT_EQ(r1.outcomes,
            (std::vector<Outcome>{Outcome::accepted, Outcome::duplicate, Outcome::accepted}));
  auto r2 = submit({b, make_event("t", "dup-3", {})});  // across batches
  ASSERT_FALSE(r2.error);
  EXPECT_EQ(r2.outcomes, (std::vector<Outcome>{Outcome::duplicate, Outcome::accepted}));
  auto other = submit({make_event("t-other", "dup-1", {})});  // same event_id, other tenant
  EXPECT_EQ(other.outcomes, std::vector<Outcome>{Outcome::accepted});

  // Two submissions queued together land in one group commit: still deduped.
  std::promise<SubmitResult> p1, p2;
  ASSERT_TRUE(
      m_store->submit({make_event("t", "dup-4", {})}, [&](SubmitResult r) { p1.set_value(r); }));
  ASSERT_TRUE(
      m_store->submit({make_event("t", "dup-4", {})}, [&](SubmitResult r) { p2.set_value(r); }));
  EXPECT_EQ(p1.get_future().get().outcomes, std::vector<Outcome>{Outcome::accepted});
  EXPECT_EQ(p2.get_future().get().outcomes, std::vector<Outcome>{Outcome::duplicate});

  EXPECT_EQ(exported_ids("t"), (std::vector<std::string>{"dup-1", "dup-2", "dup-3", "dup-4"}));
}

TEST_F(StoreTest, StoreSuppressionAtIngest) {
  open();
  const std::string em = hex_id(10);
  auto out = opt_out("t", {upper(em)}, "uid-x");
  ASSERT_FALSE(out.error);
  EXPECT_EQ(out.ids_suppressed, 2u);
  EXPECT_EQ(out.events_purged, 0u);
  EXPECT_TRUE(m_store->is_suppressed("t", em));
  EXPECT_TRUE(m_store->is_suppressed("t", upper(em)));
  EXPECT_TRUE(m_store->is_suppressed("t", "uid-x"));
  EXPECT_TRUE(m_store->is_suppressed("t", "UID-X"));  // identifiers compare case-insensitively
  EXPECT_FALSE(m_store->is_suppressed("other", em));  // per tenant
  EXPECT_FALSE(m_store->is_suppressed("t", hex_id(11)));

  auto r = submit({make_event("t", "s-1", {{"ph", hex_id(11)}, {"em", em}}),
                   make_event("t", "s-2", {{"ph", hex_id(12)}}, "uid-x"),
                   make_event("t", "s-3", {{"ph", hex_id(13)}}, "uid-y"),
                   make_event("other", "s-4", {{"em", em}})});
  ASSERT_FALSE(r.error);
  EXPECT_EQ(r.outcomes, (std::vector<Outcome>{Outcome::suppressed, Outcome::suppressed,
                                              Outcome::accepted, Outcome::accepted}));
  EXPECT_EQ(exported_ids("t"), std::vector<std::string>{"s-3"});
  EXPECT_EQ(exported_ids("other"), std::vector<std::string>{"s-4"});
}

TEST_F(StoreTest, StoreOptOutFansOutOverLinksAndPurges) {
  open();
  const std::string a = hex_id(0xa), b = hex_id(0xb), c = hex_id(0xc), d = hex_id(0xd);
  const std::string z = hex_id(0xf);
  // Chain: em a —U1— ph b —U2— em c, and c co-occurs with ph d in an event without uid.
  auto r =
      submit({make_event("t", "e1", {{"em", a}}, "U1"), make_event("t", "e2", {{"ph", b}}, "U1"),
              make_event("t", "e3", {{"ph", b}, {"em", c}}, "U2"),
              make_event("t", "e4", {{"em", c}, {"ph", d}}),
              make_event("t", "e5", {{"em", z}}, "U3"), make_event("t", "e6", {{"ph", d}}, "U4"),
              make_event("t2", "e7", {{"em", a}}, "U1")});  // other tenant: untouched
  ASSERT_FALSE(r.error);
  ASSERT_EQ(std::count(r.outcomes.begin(), r.outcomes.end(), Outcome::accepted), 7);

  auto out = opt_out("t", {a}, "", "crm-unsubscribe");
  ASSERT_FALSE(out.error);
  EXPECT_EQ(out.ids_suppressed, 7u);  // a, b, c, d, U1, U2, U4
  EXPECT_EQ(out.events_purged, 5u);   // e1, e2, e3, e4, e6
  EXPECT_EQ(exported_ids("t"), std::vector<std::string>{"e5"});
  EXPECT_EQ(exported_ids("t2"), std::vector<std::string>{"e7"});
  for (const auto& id : {a, b, c, d, std::string("U1"), std::string("U2"), std::string("U4")}) {
    EXPECT_TRUE(m_store->is_suppressed("t", id));
  }
  EXPECT_FALSE(m_store->is_suppressed("t", z));
  EXPECT_FALSE(m_store->is_suppressed("t", "U3"));
  EXPECT_FALSE(m_store->is_suppressed("t2", a));

  // Later events of any member of the closure are dropped.
  auto later = submit({make_event("t", "e8", {{"ph", d}}), make_event("t", "e9", {}, "U2")});
  EXPECT_EQ(later.outcomes, (std::vector<Outcome>{Outcome::suppressed, Outcome::suppressed}));

  // Opt-out by uid starts the fan-out from the cookie side.
  auto by_uid = opt_out("t", {}, "U3", "cookie");
  EXPECT_EQ(by_uid.ids_suppressed, 2u);
  EXPECT_EQ(by_uid.events_purged, 1u);
  EXPECT_TRUE(exported_ids("t").empty());

  // A repeated opt-out adds nothing new.
  auto again = opt_out("t", {a}, "");
  EXPECT_EQ(again.ids_suppressed, 0u);  // counts newly added entries: a is already suppressed
  EXPECT_EQ(again.events_purged, 0u);

  // The audit entries carry counts and the source, never an identifier.
  flush();
  auto entries = m_store->audit("t", 0, 100);
  std::vector<nlohmann::json> optouts;
  for (const auto& e : entries) {
    EXPECT_EQ(e.detail.find(a), std::string::npos);
    EXPECT_EQ(e.detail.find("U1"), std::string::npos);
    if (e.action == "optout") optouts.push_back(nlohmann::json::parse(e.detail));
  }
  ASSERT_EQ(optouts.size(), 3u);
  EXPECT_EQ(optouts[0]["ids_suppressed"], 7);
  EXPECT_EQ(optouts[0]["events_purged"], 5);
  EXPECT_EQ(optouts[0]["source"], "crm-unsubscribe");
  EXPECT_EQ(optouts[1]["source"], "cookie");
}

TEST_F(StoreTest, StoreOptInRemovesOnlyNamedIds) {
  open();
  const std::string a = hex_id(0x21);
  submit({make_event("t", "o1", {{"em", a}}, "U1")});
  auto out = opt_out("t", {}, "U1");
  ASSERT_EQ(out.ids_suppressed, 2u);
  ASSERT_TRUE(m_store->is_suppressed("t", a));

  EXPECT_FALSE(opt_in("t", {upper(a)}, ""));
  EXPECT_FALSE(m_store->is_suppressed("t", a));
  EXPECT_TRUE(m_store->is_suppressed("t", "U1"));  // not named: still suppressed

  auto r = submit({make_event("t", "o2", {{"em", a}}), make_event("t", "o3", {}, "U1")});
  EXPECT_EQ(r.outcomes, (std::vector<Outcome>{Outcome::accepted, Outcome::suppressed}));
  EXPECT_EQ(exported_ids("t"), std::vector<std::string>{"o2"});

  EXPECT_FALSE(opt_in("t", {}, "U1"));
  EXPECT_FALSE(m_store->is_suppressed("t", "U1"));
  flush();
  auto entries = m_store->audit("t", 0, 100);
  std::vector<nlohmann::json> optins;
  for (const auto& e : entries) {
    if (e.action == "optin") optins.push_back(nlohmann::json::parse(e.detail));
  }
  ASSERT_EQ(optins.size(), 2u);
  EXPECT_EQ(optins[0]["ids_removed"], 1);
}

TEST_F(StoreTest, StoreSecureDeleteLeavesNoBytesAfterOptOut) {
  open();
  const std::string marker = "5ec0de1e7e5ec0de1e7e5ec0de1e7e5ec0de1e7e5ec0de1e7e5ec0de1e7e5ec0";
  ASSERT_EQ(marker.size(), 64u);
  auto r = submit({make_event("t", "sd-1", {{"em", marker}}, "uid-sd"),
                   make_event("t", "sd-2", {{"em", hex_id(1)}}, "uid-keep")});
  ASSERT_EQ(r.outcomes, (std::vector<Outcome>{Outcome::accepted, Outcome::accepted}));
  // The test can fail: the marker is on disk (WAL or main file) before the purge.
  ASSERT_NE(all_files().find(marker), std::string::npos);
  ASSERT_NE(all_files().find("uid-sd"), std::string::npos);

  auto out = opt_out("t", {marker}, "");
  ASSERT_EQ(out.events_purged, 1u);
  const std::string bytes = all_files();
  EXPECT_EQ(bytes.find(marker), std::string::npos);
  EXPECT_EQ(bytes.find("uid-sd"), std::string::npos);
  EXPECT_NE(bytes.find(hex_id(1)), std::string::npos);  // unrelated data is still there
  EXPECT_TRUE(m_store->is_suppressed("t", marker));     // suppression survives as a digest
}

TEST_F(StoreTest, StoreSecureDeleteLeavesNoBytesAfterRetentionPurge) {
  open();
  const std::string marker = "7e7e1100aa7e7e1100aa7e7e1100aa7e7e1100aa7e7e1100aa7e7e1100aa7e7e";
  submit({make_event("t", "old", {{"ph", marker}}, "uid-old", 100)});
  ASSERT_NE(all_files().find(marker), std::string::npos);
  EXPECT_EQ(m_store->purge_before("t", 200), 1u);
  EXPECT_EQ(all_files().find(marker), std::string::npos);
}

TEST_F(StoreTest, StoreRestartKeepsEventsSuppressionAndDedupe) {
  open();
  const std::string a = hex_id(0x31);
  submit({make_event("t", "r1", {{"em", hex_id(0x30)}}, "", 10),
          make_event("t", "r2", {{"em", a}}, "uid-r", 20)});
  opt_out("t", {}, "uid-r");
  m_store->append_audit(AuditEntry{0, "", "startup", R"({"config_sha256":"abc"})"});
  reopen();

  EXPECT_EQ(exported_ids("t"), std::vector<std::string>{"r1"});
  EXPECT_TRUE(m_store->is_suppressed("t", a));  // mirror reloaded from the table
  EXPECT_TRUE(m_store->is_suppressed("t", "uid-r"));
  auto r = submit({make_event("t", "r1", {}), make_event("t", "r3", {{"em", a}})});
  EXPECT_EQ(r.outcomes, (std::vector<Outcome>{Outcome::duplicate, Outcome::suppressed}));
  bool startup = false;
  for (const auto& e : m_store->audit("t", 0, 100)) startup = startup || e.action == "startup";
  EXPECT_TRUE(startup);
}

TEST_F(StoreTest, StoreHighWaterRefusesDeterministically) {
  m_cfg.queue_high_water = 3;
  m_cfg.max_batch_delay = std::chrono::milliseconds(0);
  open();
  // Hold the writer inside the first batch's done callback (it runs on the writer thread).
  std::promise<void> entered, release;
  auto release_f = release.get_future().share();
  ASSERT_TRUE(m_store->submit({make_event("t", "h0", {})}, [&, release_f](SubmitResult) {
    entered.set_value();
    release_f.wait();
  }));
  entered.get_future().wait();

  std::atomic<int> done_calls{0};
  auto count = [&](SubmitResult r) {
    EXPECT_FALSE(r.error);
    ++done_calls;
  };
  EXPECT_TRUE(m_store->submit({make_event("t", "h1", {}), make_event("t", "h2", {})}, count));
  EXPECT_TRUE(m_store->submit({make_event("t", "h3", {})}, count));
  EXPECT_EQ(m_store->queue_depth(), 3u);
  EXPECT_FALSE(m_store->submit({make_event("t", "h4", {})}, count));  // above high water
  EXPECT_EQ(m_store->queue_depth(), 3u);                              // nothing was queued
  release.set_value();
  flush();
  EXPECT_EQ(done_calls.load(), 2);
  EXPECT_EQ(m_store->queue_depth(), 0u);
  EXPECT_TRUE(m_store->submit({make_event("t", "h4", {})}, count));  // accepted again
  flush();
  EXPECT_EQ(exported_ids("t"), (std::vector<std::string>{"h0", "h1", "h2", "h3", "h4"}));
}

TEST_F(StoreTest, StoreConcurrentSubmittersEachDoneOnceEachEventOnce) {
  m_cfg.max_batch_events = 64;
  open();
  constexpr int k_threads = 4;
  constexpr int k_requests = 150;
  std::vector<std::atomic<int>> done_count(k_threads * k_requests);
  std::mutex mu;
  std::map<std::string, int> accepted;  // event_id → times accepted
  std::atomic<int> refused{0};
  std::atomic<int> batches_seen{0};
  m_store->on_commit = [&](double seconds) {
    EXPECT_GE(seconds, 0.0);
    ++batches_seen;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_requests; ++i) {
        // Ids overlap across threads (i / 2), so duplicates race each other on purpose.
        std::vector<EventRecord> evs;
        for (int k = 0; k < 1 + i % 3; ++k) {
          evs.push_back(make_event("t", "c-" + std::to_string(i / 2) + "-" + std::to_string(k),
                                   {{"em", hex_id(static_cast<unsigned>(i))}}));
        }
        const std::vector<EventRecord> copy = evs;
        const int slot = t * k_requests + i;
        bool ok = m_store->submit(std::move(evs), [&, copy, slot](SubmitResult r) {
          ++done_count[slot];
          ASSERT_FALSE(r.error);
          ASSERT_EQ(r.outcomes.size(), copy.size());
          std::lock_guard lk(mu);
          for (std::size_t j = 0; j < copy.size(); ++j) {
            if (r.outcomes[j] == Outcome::accepted) ++accepted[copy[j].event_id];
          }
        });
        if (!ok) {
          ++refused;
          ++done_count[slot];  // refused: the callback will never run
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  m_store->close();  // drains the queue and joins the writer
  for (auto& c : done_count) EXPECT_EQ(c.load(), 1);
  EXPECT_EQ(refused.load(), 0);  // default high water is far above this load
  EXPECT_GT(batches_seen.load(), 0);
  for (const auto& [id, n] : accepted) EXPECT_EQ(n, 1) << id;

  open();
  auto ids = exported_ids("t");
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  std::set<std::string> expected;
  for (const auto& kv : accepted) expected.insert(kv.first);
  EXPECT_EQ(unique, expected);
  std::set<std::string> generated;  // every distinct event_id any thread submitted
  for (int i = 0; i < k_requests; ++i) {
    for (int k = 0; k < 1 + i % 3; ++k)
      generated.insert("c-" + std::to_string(i / 2) + "-" + std::to_string(k));
  }
  EXPECT_EQ(expected, generated);
}

TEST_F(StoreTest, StoreRetentionPurgeWithExplicitCutoffs) {
  open();
  submit({make_event("t", "p100", {{"em", hex_id(1)}}, "U-old", 100),
          make_event("t", "p200", {{"em", hex_id(2)}}, "", 200),
          make_event("t", "p300", {{"em", hex_id(3)}}, "", 300),
          make_event("u", "q100", {{"em", hex_id(1)}}, "", 100)});
  m_now = 5000;
  EXPECT_EQ(m_store->purge_before("t", 200), 1u);  // strictly before the cutoff
  EXPECT_EQ(exported_ids("t"), (std::vector<std::string>{"p200", "p300"}));
  EXPECT_EQ(exported_ids("u"), std::vector<std::string>{"q100"});  // other tenant untouched
  EXPECT_EQ(m_store->purge_before("t", 200), 0u);
  EXPECT_EQ(m_store->purge_before("t", 301), 2u);
  EXPECT_TRUE(exported_ids("t").empty());

  // The uid ↔ id link expired with the event: an opt-out by the uid reaches only the uid.
  auto out = opt_out("t", {}, "U-old");
  EXPECT_EQ(out.ids_suppressed, 1u);
  EXPECT_FALSE(m_store->is_suppressed("t", hex_id(1)));

  flush();
  std::vector<nlohmann::json> purges;
  for (const auto& e : m_store->audit("t", 0, 100)) {
    if (e.action == "retention") {
      EXPECT_EQ(e.time, 5000);
      purges.push_back(nlohmann::json::parse(e.detail));
    }
  }
  ASSERT_EQ(purges.size(), 3u);
  EXPECT_EQ(purges[0]["cutoff"], 200);
  EXPECT_EQ(purges[0]["events_purged"], 1);
  EXPECT_EQ(purges[0]["links_purged"], 1);
  EXPECT_EQ(purges[2]["events_purged"], 2);
}

TEST_F(StoreTest, StoreAuditEntriesFilteredByTenantAndSince) {
  open();
  m_now = 1000;
  m_store->append_audit(AuditEntry{0, "", "startup", R"({"config_sha256":"00ff"})"});
  m_store->append_audit(AuditEntry{1500, "t", "policy", R"({"legal_basis":"consent"})"});
  m_store->append_audit(AuditEntry{1600, "other", "policy", "{}"});
  flush();
  m_now = 2000;
  m_store->export_events("t", 0, {}, 10);
  flush();

  auto all = m_store->audit("t", 0, 100);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].action, "startup");
  EXPECT_EQ(all[0].time, 1000);
  EXPECT_EQ(all[0].tenant, "");
  EXPECT_EQ(all[1].action, "policy");
  EXPECT_EQ(all[2].action, "export");
  EXPECT_EQ(all[2].time, 2000);
  EXPECT_EQ(nlohmann::json::parse(all[2].detail)["events"], 0);

  auto recent = m_store->audit("t", 1500, 100);
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].action, "policy");
  EXPECT_EQ(m_store->audit("t", 0, 1).size(), 1u);
}

TEST_F(StoreTest, StoreClosedRefusesWork) {
  m_cfg.durability = Durability::normal;
  open();
  submit({make_event("t", "x1", {})});
  m_store->close();
  EXPECT_FALSE(m_store->ready());
  EXPECT_FALSE(m_store->submit({make_event("t", "x2", {})}, [](SubmitResult) { FAIL(); }));
  std::error_code opt_out_error;
  m_store->opt_out("t", {hex_id(1)}, "", "api", [&](OptOutResult r) { opt_out_error = r.error; });
  EXPECT_EQ(opt_out_error, StoreErrc::closed);
  EXPECT_EQ(m_store->purge_before("t", 1000000), 0u);
  m_store->close();  // idempotent
}

TEST_F(StoreTest, StoreDoneRunsOnlyAfterCommit) {
  open();
  // Inside `done`, an independent connection must already see the row: it sees committed data only.
  std::promise<int> seen;
  ASSERT_TRUE(m_store->submit({make_event("t", "durable-1", {})}, [&](SubmitResult r) {
    EXPECT_FALSE(r.error);
    sqlite3* db = nullptr;
    sqlite3_open_v2((m_dir / "hashgate.db").string().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM events WHERE event_id = 'durable-1'", -1, &st,
                       nullptr);
    int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    seen.set_value(n);
  }));
  EXPECT_EQ(seen.get_future().get(), 1);
}

TEST_F(StoreTest, StoreFailedRequestGetsErrorAndDoesNotFailItsGroup) {
  m_cfg.max_batch_delay = std::chrono::milliseconds(0);
  open();
  {
    // An external trigger makes one event_id fail inside the transaction.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((m_dir / "hashgate.db").string().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.event_id = 'boom'"
                           " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  // Hold the writer so the next three requests are taken as one group commit.
  std::promise<void> entered, release;
  auto release_f = release.get_future().share();
  ASSERT_TRUE(m_store->submit({make_event("t", "g0", {})}, [&, release_f](SubmitResult) {
    entered.set_value();
    release_f.wait();
  }));
  entered.get_future().wait();
  std::promise<SubmitResult> p1, p2, p3;
  ASSERT_TRUE(
      m_store->submit({make_event("t", "g1", {})}, [&](SubmitResult r) { p1.set_value(r); }));
  ASSERT_TRUE(m_store->submit({make_event("t", "g2", {}), make_event("t", "boom", {})},
                              [&](SubmitResult r) { p2.set_value(r); }));
  ASSERT_TRUE(
      m_store->submit({make_event("t", "g3", {})}, [&](SubmitResult r) { p3.set_value(r); }));
  release.set_value();
  auto r1 = p1.get_future().get();
  auto r2 = p2.get_future().get();
  auto r3 = p3.get_future().get();
  EXPECT_EQ(r1.outcomes, std::vector<Outcome>{Outcome::accepted});
  EXPECT_TRUE(r2.error);  // the whole request failed: nothing of it is durable
  EXPECT_EQ(r2.error.category(), hashgate::gw::sqlite_category());
  EXPECT_TRUE(r2.outcomes.empty());
  EXPECT_EQ(r3.outcomes, std::vector<Outcome>{Outcome::accepted});
  EXPECT_EQ(exported_ids("t"), (std::vector<std::string>{"g0", "g1", "g3"}));
  EXPECT_TRUE(m_store->ready());  // a constraint failure is not an unhealthy database
}

TEST_F(StoreTest, StoreScrubWaitsForReaderThenCompletes) {
  open();
  const std::string marker = "ab5e17ab5e17ab5e17ab5e17ab5e17ab5e17ab5e17ab5e17ab5e17ab5e17ab5e";
  submit({make_event("t", "rd-1", {{"em", marker}})});
  // An outside reader holds a snapshot that still contains the marker's row.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((m_dir / "hashgate.db").string().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN; SELECT count(*) FROM events;", nullptr, nullptr, nullptr),
            SQLITE_OK);

  auto out = opt_out("t", {marker}, "");  // must not block on the reader
  EXPECT_EQ(out.events_purged, 1u);
  EXPECT_TRUE(exported_ids("t").empty());
  EXPECT_NE(all_files().find(marker), std::string::npos);  // the WAL could not be truncated yet

  ASSERT_EQ(sqlite3_exec(db, "COMMIT;", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  flush();  // the next commit retries the truncation
  EXPECT_EQ(all_files().find(marker), std::string::npos);
}

TEST_F(StoreTest, StoreExportFiltersSuppressedEvenIfNotPurged) {
  open();
  const std::string a = hex_id(0x51);
  opt_out("t", {a}, "");
  // A row that bypassed the writer (e.g. restored from an old backup) is still never exported.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((m_dir / "hashgate.db").string().c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  const std::string sql =
      "INSERT INTO events(tenant, event_id, type, time, received, ids) VALUES"
      " ('t', 'restored', 'lead', 1, 1, '{\"em\":\"" +
      a +
      "\"}'),"
      " ('t', 'fine', 'lead', 2, 2, '{\"em\":\"" +
      hex_id(0x52) + "\"}');";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(exported_ids("t"), std::vector<std::string>{"fine"});
  flush();
  bool noted = false;
  for (const auto& e : m_store->audit("t", 0, 100)) {
    if (e.action == "export")
      noted = nlohmann::json::parse(e.detail).value("suppressed_skipped", 0) == 1;
  }
  EXPECT_TRUE(noted);
}

namespace {

/// Runs `sql` on the database file directly (outside the store), failing the test on error.
void exec_sql(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.string().c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string why = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << why;
}

/// First column of the first row of `sql`, as an integer (-1 if there is no row).
std::int64_t query_int(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  std::int64_t v = -1;
  if (sqlite3_open(db_path.string().c_str(), &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

}  // namespace

// Accepted events reach event_ids/links in a deferred pass. If the process dies before that pass,
// the next start must index them, so an opt-out still finds and purges every one of them.
TEST_F(StoreTest, StoreIndexesEventsLeftUnindexedByACrash) {
  open();
  const std::string a = hex_id(0xa), b = hex_id(0xb), c = hex_id(0xc), d = hex_id(0xd);
  auto r =
      submit({make_event("t", "e1", {{"em", a}}, "U1"), make_event("t", "e2", {{"ph", b}}, "U1"),
              make_event("t", "e3", {{"ph", b}, {"em", c}}, "U2"),
              make_event("t", "e4", {{"em", c}, {"ph", d}})});
  ASSERT_FALSE(r.error);
  m_store->close();
  m_store.reset();
  const fs::path db = m_dir / "hashgate.db";
  // A clean close indexes everything.
  EXPECT_EQ(query_int(db, "SELECT value FROM store_state WHERE key = 'indexed_seq'"),
            query_int(db, "SELECT max(seq) FROM events"));
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM event_ids"), 6);
  // Simulate a crash between the commit of the events and their indexing pass.
  exec_sql(db,
           "DELETE FROM event_ids; DELETE FROM links;"
           " UPDATE store_state SET value = 0 WHERE key = 'indexed_seq';");
  ASSERT_EQ(query_int(db, "SELECT count(*) FROM event_ids"), 0);
  open();
  auto out = opt_out("t", {a}, "");
  ASSERT_FALSE(out.error);
  EXPECT_EQ(out.events_purged, 4u);   // e1 via a; U1 → e2 (b); b → e3 (c); c → e4 (d)
  EXPECT_EQ(out.ids_suppressed, 6u);  // a, b, c, d, U1, U2
  EXPECT_TRUE(exported_ids("t").empty());
}

namespace {

/// Holds the writer thread once, at a hook: the first pass() reports its arrival and blocks until
/// open(); later calls go through. Shared by the hook and the test, so neither outlives it.
class Gate {
 public:
  void pass() {
    if (m_used.exchange(true)) return;
    m_arrived.set_value();
    m_opened_f.wait();
  }
  void wait_arrived() { m_arrived_f.wait(); }
  void open() {
    std::call_once(m_open_once, [this] { m_opened.set_value(); });
  }

 private:
  std::atomic<bool> m_used{false};
  std::promise<void> m_arrived, m_opened;
  std::shared_future<void> m_arrived_f = m_arrived.get_future().share();
  std::shared_future<void> m_opened_f = m_opened.get_future().share();
  std::once_flag m_open_once;
};

/// Opens the gate when the test leaves its scope, also through a failed ASSERT, so the writer
/// never stays blocked while the fixture closes the store.
struct GateOpener {
  std::shared_ptr<Gate> gate;
  ~GateOpener() { gate->open(); }
};

/// Copies the database at `from` to `to` with SQLite's backup API: a consistent snapshot of what
/// is committed, as a crash at that moment would leave it.
void copy_database(const fs::path& from, const fs::path& to) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  ASSERT_EQ(sqlite3_open(from.string().c_str(), &src), SQLITE_OK);
  ASSERT_EQ(sqlite3_open(to.string().c_str(), &dst), SQLITE_OK);
  sqlite3_backup* bk = sqlite3_backup_init(dst, "main", src, "main");
  ASSERT_NE(bk, nullptr);
  EXPECT_EQ(sqlite3_backup_step(bk, -1), SQLITE_DONE);
  sqlite3_backup_finish(bk);
  sqlite3_close(dst);
  sqlite3_close(src);
}

}  // namespace

// Right after a submit (no idle pass yet) an opt-out indexes first, inside its own transaction.
// The last batch's done callback holds the writer until the opt-out is queued behind it, so no
// idle pass can index that batch first, however slow the machine.
TEST_F(StoreTest, StoreOptOutSeesEventsAcceptedJustBefore) {
  open();
  auto batch_of = [](unsigned i) {
    std::vector<EventRecord> batch;
    for (unsigned j = 0; j < 40; ++j)
      batch.push_back(
          make_event("t", "e" + std::to_string(i * 40 + j), {{"em", hex_id(i * 40 + j)}}));
    return batch;
  };
  for (unsigned i = 0; i < 49; ++i) ASSERT_FALSE(submit(batch_of(i)).error);
  auto gate = std::make_shared<Gate>();
  GateOpener opener{gate};
  std::promise<SubmitResult> last;
  ASSERT_TRUE(m_store->submit(batch_of(49), [&last, gate](SubmitResult r) {
    last.set_value(std::move(r));
    gate->pass();
  }));
  gate->wait_arrived();
  std::promise<OptOutResult> p;
  m_store->opt_out("t", {hex_id(1999), hex_id(0), upper(hex_id(777))}, "", "api",
                   [&p](OptOutResult r) { p.set_value(r); });
  gate->open();
  ASSERT_FALSE(last.get_future().get().error);
  auto out = p.get_future().get();
  ASSERT_FALSE(out.error) << out.error.message();
  EXPECT_EQ(out.events_purged, 3u);  // hex_id(1999) is in the last batch: indexed by the opt-out
  EXPECT_EQ(exported_ids("t").size(), 1997u);
}

// A data folder written by schema 1 (event_ids as a rowid table) is migrated in place: events,
// ids and links survive and opt-outs keep working on them.
TEST_F(StoreTest, StoreMigratesSchemaVersion1) {
  const fs::path db = m_dir / "hashgate.db";
  const std::string a = hex_id(0x51), b = hex_id(0x52);
  exec_sql(db, R"sql(
PRAGMA journal_mode=WAL;
CREATE TABLE events(seq INTEGER PRIMARY KEY, tenant TEXT NOT NULL, event_id TEXT NOT NULL,
  type TEXT NOT NULL, time INTEGER NOT NULL, received INTEGER NOT NULL,
  ids TEXT NOT NULL DEFAULT '{}', uid TEXT NOT NULL DEFAULT '', online_ids TEXT NOT NULL DEFAULT '{}',
  custom TEXT NOT NULL DEFAULT '{}', legal_basis TEXT NOT NULL DEFAULT '',
  consent TEXT NOT NULL DEFAULT '{}', UNIQUE(tenant, event_id));
CREATE INDEX events_received ON events(tenant, received);
CREATE INDEX events_uid ON events(tenant, uid);
CREATE TABLE event_ids(event INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
  tenant TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX event_ids_id ON event_ids(tenant, id);
CREATE INDEX event_ids_event ON event_ids(event);
CREATE TABLE links(tenant TEXT NOT NULL, uid TEXT NOT NULL, id TEXT NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, PRIMARY KEY(tenant, uid, id)) WITHOUT ROWID;
CREATE INDEX links_id ON links(tenant, id);
CREATE TABLE suppression(tenant TEXT NOT NULL, digest BLOB NOT NULL, added INTEGER NOT NULL,
  PRIMARY KEY(tenant, digest)) WITHOUT ROWID;
CREATE TABLE audit(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, tenant TEXT NOT NULL,
  action TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX audit_tenant_time ON audit(tenant, time);
INSERT INTO events(seq, tenant, event_id, type, time, received, ids, uid)
  VALUES (1, 't', 'old1', 'purchase', 1764374390, 1764374400, '{"em":")sql" +
                   a + R"sql("}', 'U9'),
         (2, 't', 'old2', 'purchase', 1764374390, 1764374400, '{"ph":")sql" +
                   b + R"sql("}', 'U9'),
         (3, 't', 'old3', 'purchase', 1764374390, 1764374400, '{"ph":")sql" +
                   hex_id(0x53) + R"sql("}', '');
INSERT INTO event_ids(event, tenant, kind, id) VALUES (1, 't', 'em', ')sql" +
                   a + R"sql('),
  (2, 't', 'ph', ')sql" +
                   b + R"sql('), (3, 't', 'ph', ')sql" + hex_id(0x53) + R"sql(');
INSERT INTO links(tenant, uid, id, first_seen, last_seen) VALUES
  ('t', 'U9', ')sql" +
                   a + R"sql(', 1764374400, 1764374400), ('t', 'U9', ')sql" + b +
                   R"sql(', 1764374400, 1764374400);
PRAGMA user_version=1;
)sql");
  open();
  EXPECT_EQ(query_int(db, "PRAGMA user_version"), hashgate::gw::store_detail::schema_version());
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM event_ids"), 3);
  EXPECT_EQ(exported_ids("t"), (std::vector<std::string>{"old1", "old2", "old3"}));
  // Dedupe still holds against the migrated rows.
  auto dup = submit({make_event("t", "old1", {{"em", hex_id(0x54)}})});
  EXPECT_EQ(dup.outcomes, std::vector<Outcome>{Outcome::duplicate});
  // a → U9 (migrated link) → b: both old events go, the unrelated one stays.
  auto out = opt_out("t", {a}, "");
  ASSERT_FALSE(out.error);
  EXPECT_EQ(out.events_purged, 2u);
  EXPECT_EQ(exported_ids("t"), std::vector<std::string>{"old3"});
}

// A rolled-back request's events must not reach event_ids/links by way of the writer's record of
// committed events; later events still must.
TEST_F(StoreTest, StoreRolledBackEventsNeverReachTheIdIndex) {
  open();
  const fs::path db = m_dir / "hashgate.db";
  exec_sql(db,
           "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.event_id = 'boom'"
           " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
  ASSERT_FALSE(submit({make_event("t", "ok0", {{"em", hex_id(0x70)}})}).error);
  auto failed = submit({make_event("t", "gone", {{"em", hex_id(0x71)}}, "U7"),
                        make_event("t", "boom", {{"em", hex_id(0x72)}})});
  EXPECT_TRUE(failed.error);
  ASSERT_FALSE(submit({make_event("t", "ok1", {{"em", hex_id(0x73)}}, "U7")}).error);
  m_store->close();
  m_store.reset();
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM event_ids WHERE id = '" + hex_id(0x71) + "'"), 0);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM links WHERE id = '" + hex_id(0x71) + "'"), 0);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM event_ids WHERE id = '" + hex_id(0x70) + "'"), 1);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM event_ids WHERE id = '" + hex_id(0x73) + "'"), 1);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM links WHERE uid = 'u7'"),
            1);  // ids are stored lowercase
  open();
  auto out = opt_out("t", {}, "U7");
  ASSERT_FALSE(out.error);
  EXPECT_EQ(out.events_purged, 1u);
  EXPECT_EQ(exported_ids("t"), std::vector<std::string>{"ok0"});
}

// `received` never goes back in seq order (schema 3): retention and export find their range by a
// binary search over seq instead of an index. A clock step back stamps the latest time stored,
// also across a restart, and retention still removes exactly the events received before the
// cutoff.
TEST_F(StoreTest, StoreReceivedNeverGoesBackEvenWhenTheClockDoes) {
  open();
  submit({make_event("t", "a", {{"em", hex_id(1)}}, "", 1000),
          make_event("t", "b", {{"em", hex_id(2)}}, "", 3000),
          make_event("u", "c", {{"em", hex_id(3)}}, "", 2000)});  // clock stepped back
  submit({make_event("t", "d", {{"em", hex_id(4)}}, "", 1500)});
  auto received_of = [&](const std::string& tenant) {
    std::vector<std::int64_t> out;
    for (const auto& line : m_store->export_events(tenant, 0, {}, 100))
      out.push_back(nlohmann::json::parse(line)["received"].get<std::int64_t>());
    return out;
  };
  EXPECT_EQ(received_of("t"), (std::vector<std::int64_t>{1000, 3000, 3000}));
  EXPECT_EQ(received_of("u"), (std::vector<std::int64_t>{3000}));
  EXPECT_EQ(exported_ids("t", 1001), (std::vector<std::string>{"b", "d"}));
  EXPECT_EQ(exported_ids("t", 3001), std::vector<std::string>{});

  reopen();
  submit({make_event("t", "e", {{"em", hex_id(5)}}, "", 100)});
  EXPECT_EQ(received_of("t"), (std::vector<std::int64_t>{1000, 3000, 3000, 3000}));

  // Many events with gaps in seq (purged ones): the binary search still finds the boundary.
  std::vector<EventRecord> many;
  for (int i = 0; i < 300; ++i)
    many.push_back(
        make_event("t", "m" + std::to_string(i), {{"em", hex_id(100 + i)}}, "", 4000 + i / 3));
  submit(std::move(many));
  EXPECT_EQ(m_store->purge_before("t", 3000), 1u);  // only "a"
  EXPECT_EQ(m_store->purge_before("t", 4050), 3u + 150u);
  auto left = exported_ids("t");
  ASSERT_EQ(left.size(), 150u);
  EXPECT_EQ(left.front(), "m150");
  EXPECT_EQ(exported_ids("t", 4099).size(), 3u);
  EXPECT_EQ(exported_ids("u"), std::vector<std::string>{"c"});  // other tenant untouched
}

// A schema-2 database: the events_received index goes, and rows whose received went back are
// raised to the running maximum, so the seq-ordered search holds for old rows too.
TEST_F(StoreTest, StoreMigratesSchemaVersion2) {
  open();
  submit({make_event("t", "x1", {{"em", hex_id(1)}}, "", 1000),
          make_event("t", "x2", {{"em", hex_id(2)}}, "", 3000),
          make_event("t", "x3", {{"em", hex_id(3)}}, "", 3000)});
  m_store->close();
  m_store.reset();
  const fs::path db = m_dir / "hashgate.db";
  exec_sql(db, R"sql(
CREATE INDEX events_received ON events(tenant, received);
UPDATE events SET received = 2000 WHERE event_id = 'x3';
DROP TABLE outbox;
DROP TABLE ledger;
PRAGMA user_version=2;
)sql");
  open();
  EXPECT_EQ(query_int(db, "PRAGMA user_version"), hashgate::gw::store_detail::schema_version());
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'events_received'"), 0);
  EXPECT_EQ(query_int(db, "SELECT received FROM events WHERE event_id = 'x3'"), 3000);
  EXPECT_EQ(m_store->purge_before("t", 3000), 1u);
  EXPECT_EQ(exported_ids("t", 2500), (std::vector<std::string>{"x2", "x3"}));
}

// With synchronous=FULL the writer's connection goes through the "hashgate-wal" VFS: a commit's
// WAL frames (a header and a page each, two writes apiece) reach the file in one write. With
// durability normal (no sync per commit) nothing is gathered. The other tests here, and the
// kill -9 suite against the real gateway, check that what is acknowledged is stored.
TEST_F(StoreTest, StoreGathersEachCommitsWalWritesIntoOne) {
  using hashgate::gw::store_detail::wal_vfs_counters;
  open();
  // Idle index passes between the submits commit too (how many depends on the machine's speed):
  // count every commit, up to and including the pass at close().
  std::atomic<std::uint64_t> commits{0};
  m_store->on_commit = [&commits](double) { ++commits; };
  const auto before = wal_vfs_counters();
  for (unsigned i = 0; i < 20; ++i)
    ASSERT_FALSE(submit({make_event("t", "g" + std::to_string(i), {{"em", hex_id(i)}})}).error);
  EXPECT_EQ(exported_ids("t").size(), 20u);
  m_store->close();
  const auto after = wal_vfs_counters();
  EXPECT_GE(commits.load(), 20u);
  EXPECT_GE(after.asked - before.asked, 20u * 4);  // ≥ 2 frames per commit, 2 writes each
  EXPECT_LE(after.written - before.written, commits.load());  // one write per commit
  m_store.reset();
  m_cfg.durability = Durability::normal;
  open();
  const auto normal_before = wal_vfs_counters();
  ASSERT_FALSE(submit({make_event("t", "n", {{"em", hex_id(99)}})}).error);
  EXPECT_EQ(wal_vfs_counters().asked, normal_before.asked);
  EXPECT_EQ(exported_ids("t").size(), 21u);
}

// The deferred index pass is written in slices between group commits. A crash between two
// slices leaves rows of committed slices past the watermark; the next start indexes those events
// again from the table, which must neither fail nor lose them. The crash is a consistent copy of
// the database taken while the after_index_slice hook holds the writer right after the pass's
// first slice committed.
TEST_F(StoreTest, StoreIndexSlicesSurviveACrashBetweenThem) {
  m_cfg.index_slice_rows = 100;
  auto gate = std::make_shared<Gate>();
  GateOpener opener{gate};
  m_cfg.after_index_slice = [gate] { gate->pass(); };
  open();
  // 8,400 events in one request: one group commit, past the 8,192 waiting events that start a
  // pass, so the writer writes the pass's first slice right after that commit.
  std::vector<EventRecord> batch;
  for (unsigned n = 0; n < 8400; ++n)
    batch.push_back(make_event("t", "s" + std::to_string(n), {{"em", hex_id(n)}}));
  ASSERT_FALSE(submit(std::move(batch)).error);
  gate->wait_arrived();

  const fs::path copy_dir = m_dir / "crashed";
  fs::create_directories(copy_dir);
  copy_database(m_dir / "hashgate.db", copy_dir / "hashgate.db");
  gate->open();
  const fs::path copy_db = copy_dir / "hashgate.db";
  const std::int64_t watermark =
      query_int(copy_db, "SELECT value FROM store_state WHERE key = 'indexed_seq'");
  // In the middle of the pass: its first slice is in, the watermark has not moved yet.
  EXPECT_EQ(watermark, 0);
  EXPECT_EQ(query_int(copy_db, "SELECT max(seq) FROM events"), 8400);
  EXPECT_EQ(query_int(copy_db,
                      "SELECT count(*) FROM event_ids WHERE event > " + std::to_string(watermark)),
            100);

  StoreConfig crashed_cfg = m_cfg;
  crashed_cfg.data_dir = copy_dir.string();
  crashed_cfg.after_index_slice = nullptr;
  std::error_code err;
  std::string why;
  auto crashed = Store::open(crashed_cfg, err, why);
  ASSERT_TRUE(crashed) << why;
  EXPECT_EQ(query_int(copy_db, "SELECT count(*) FROM event_ids"), 8400);
  std::promise<OptOutResult> p;
  auto f = p.get_future();
  // The first slice held the smallest ids (hex_id(0) … hex_id(99)): one id from inside it, one
  // from past it.
  crashed->opt_out("t", {hex_id(8300), hex_id(5)}, "", "api",
                   [&p](OptOutResult r) { p.set_value(r); });
  const OptOutResult out = f.get();
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.events_purged, 2u);
  crashed->close();

  // The live store finishes its pass before an opt-out reads the index.
  auto live = opt_out("t", {hex_id(17), hex_id(8399)}, "");
  EXPECT_FALSE(live.error);
  EXPECT_EQ(live.events_purged, 2u);
}

// ---- export cursors --------------------------------------------------------------------------

namespace {

using hashgate::gw::ExportCursor;
using hashgate::gw::format_export_cursor;
using hashgate::gw::parse_export_cursor;

/// One exported line's event_id and cursor.
struct Exported {
  std::string event_id;
  std::string cursor;
};

std::vector<Exported> parse_lines(const std::vector<std::string>& lines) {
  std::vector<Exported> out;
  for (const auto& line : lines) {
    const auto j = nlohmann::ordered_json::parse(line);
    out.push_back({j.at("event_id").get<std::string>(), j.at("cursor").get<std::string>()});
  }
  return out;
}

}  // namespace

// Known answers written out by hand: 42 = 0x2a, 2^63 - 1 = 0x7fffffffffffffff.
TEST(StoreExportCursor, FormatIsVersionedLowercaseHex) {
  EXPECT_EQ(format_export_cursor(ExportCursor{1}), "c1.1");
  EXPECT_EQ(format_export_cursor(ExportCursor{42}), "c1.2a");
  EXPECT_EQ(format_export_cursor(ExportCursor{4096}), "c1.1000");
  EXPECT_EQ(format_export_cursor(ExportCursor{INT64_MAX}), "c1.7fffffffffffffff");
  for (std::int64_t seq : {std::int64_t{1}, std::int64_t{15}, std::int64_t{16}, std::int64_t{255},
                           std::int64_t{1} << 32, INT64_MAX - 1, INT64_MAX}) {
    const auto back = parse_export_cursor(format_export_cursor(ExportCursor{seq}));
    ASSERT_TRUE(back.has_value()) << seq;
    EXPECT_EQ(back->seq, seq);
  }
}

TEST(StoreExportCursor, ParseRefusesAnythingItDidNotWrite) {
  const std::string nul_inside("c1.2\0a", 6);
  const std::vector<std::string> bad = {
      "",  // empty
      "c",
      "c1",
      "c1.",  // truncated
      "c1.0",
      "c1.00",
      "c1.02a",  // zero, leading zeros (not canonical)
      "c1.2A",
      "C1.2a",
      "c1.2g",
      "c1.-1",  // malformed digits, case
      "c1.+1",
      " c1.2a",
      "c1.2a ",
      "c1.2a\n",
      nul_inside,
      "c2.2a",
      "c0.2a",
      "c1:2a",
      "c12a",                  // other versions and separators
      "c1.8000000000000000",   // 2^63: past the largest seq
      "c1.ffffffffffffffff",   // 2^64 - 1
      "c1.10000000000000000",  // 17 digits
      "c1.2a.3",
      "c1.2a;DROP TABLE events",  // hostile
      "c1.\xef\xbc\x92",          // a full-width digit (UTF-8)
      "c1.%32a",                  // percent-encoding is the query parser's job
      std::string(100000, 'c'),
      "c1." + std::string(100000, 'f'),  // oversized
  };
  for (const auto& text : bad)
    EXPECT_FALSE(parse_export_cursor(text).has_value()) << "accepted: " << text.substr(0, 40);
}

// More events than a page in one second: the cursor pages through them, each exactly once, in
// arrival order, whatever the page size; `since` and `after` narrow together.
TEST_F(StoreTest, StoreExportCursorPagesEventsOfTheSameSecond) {
  m_cfg.durability = Durability::normal;  // every export commits an audit row: no fsync each
  open();
  std::vector<std::string> expected;
  for (unsigned b = 0; b < 5; ++b) {
    std::vector<EventRecord> batch;
    for (unsigned j = 0; j < 100; ++j) {
      const std::string id = "same-" + std::to_string(b * 100 + j);
      batch.push_back(make_event("t", id, {{"em", hex_id(b * 100 + j)}}, "", 5000));
      expected.push_back(id);
    }
    batch.push_back(make_event("other", "o" + std::to_string(b), {{"em", hex_id(9)}}, "", 5000));
    ASSERT_FALSE(submit(std::move(batch)).error);
  }
  submit({make_event("t", "later", {{"em", hex_id(7777)}}, "", 5001)});
  expected.push_back("later");

  for (std::size_t page : {1u, 7u, 100u, 499u}) {
    std::vector<std::string> seen;
    std::set<std::string> cursors;
    ExportCursor after;
    std::size_t pages = 0;
    for (;;) {
      const auto lines = parse_lines(m_store->export_events("t", 0, after, page));
      ASSERT_LE(lines.size(), page);
      if (lines.empty()) break;
      ++pages;
      for (const auto& l : lines) {
        seen.push_back(l.event_id);
        EXPECT_TRUE(cursors.insert(l.cursor).second) << "cursor repeated: " << l.cursor;
      }
      const auto next = parse_export_cursor(lines.back().cursor);
      ASSERT_TRUE(next.has_value()) << lines.back().cursor;
      ASSERT_GT(next->seq, after.seq);  // strictly forward
      after = *next;
    }
    EXPECT_EQ(seen, expected) << "page size " << page;
    EXPECT_EQ(pages, (expected.size() + page - 1) / page);
  }

  // since and after together: the later bound wins, either way round.
  const auto all = parse_lines(m_store->export_events("t", 0, {}, 1000));
  ASSERT_EQ(all.size(), 501u);
  const ExportCursor at_250 = *parse_export_cursor(all[250].cursor);
  auto ids_of = [&](std::int64_t since, ExportCursor after) {
    std::vector<std::string> out;
    for (const auto& l : parse_lines(m_store->export_events("t", since, after, 1000)))
      out.push_back(l.event_id);
    return out;
  };
  EXPECT_EQ(ids_of(5000, at_250).size(), 250u);  // after the cursor, within since
  EXPECT_EQ(ids_of(5000, at_250).front(), "same-251");
  EXPECT_EQ(ids_of(5001, at_250), std::vector<std::string>{"later"});  // since is later
  EXPECT_EQ(ids_of(5002, {}), std::vector<std::string>{});
  EXPECT_TRUE(ids_of(0, ExportCursor{INT64_MAX}).empty());  // nothing after the last seq

  // The export's audit entry names the cursor it resumed after.
  flush();
  std::string detail;
  for (const auto& e : m_store->audit("t", 0, 100000))
    if (e.action == "export") detail = e.detail;
  EXPECT_EQ(nlohmann::json::parse(detail)["after"], format_export_cursor(ExportCursor{INT64_MAX}));
}

// A cursor stays valid after the newest events were deleted (opt-out, retention), across a
// restart: SQLite would give the deleted seqs out again, and a new event would hide behind a
// cursor a client already holds.
TEST_F(StoreTest, StoreExportCursorNeverSkipsEventsAfterTheNewestWereDeleted) {
  open();
  submit({make_event("t", "k1", {{"em", hex_id(1)}}), make_event("t", "k2", {{"em", hex_id(2)}}),
          make_event("t", "k3", {{"em", hex_id(3)}})});
  const auto first = parse_lines(m_store->export_events("t", 0, {}, 100));
  ASSERT_EQ(first.size(), 3u);
  const ExportCursor held = *parse_export_cursor(first.back().cursor);  // a client's position

  ASSERT_EQ(opt_out("t", {hex_id(3)}, "").events_purged, 1u);  // deletes the newest event
  reopen();
  submit({make_event("t", "k4", {{"em", hex_id(4)}})});
  auto after_held = parse_lines(m_store->export_events("t", 0, held, 100));
  ASSERT_EQ(after_held.size(), 1u);
  EXPECT_EQ(after_held[0].event_id, "k4");
  const ExportCursor at_k4 = *parse_export_cursor(after_held[0].cursor);
  EXPECT_GT(at_k4.seq, held.seq);

  EXPECT_EQ(m_store->purge_before("t", INT64_MAX), 3u);  // retention empties the table
  submit({make_event("t", "k5", {{"em", hex_id(5)}})});
  after_held = parse_lines(m_store->export_events("t", 0, at_k4, 100));
  ASSERT_EQ(after_held.size(), 1u);
  EXPECT_EQ(after_held[0].event_id, "k5");
}

// The same reuse would hide an event from the crash recovery of the id index (it reads the events
// past the watermark): after the newest event was opted out, a new event committed but not yet
// indexed when the process died must still be found by a later opt-out.
TEST_F(StoreTest, StoreIndexesAnEventAcceptedAfterTheNewestWasDeleted) {
  open();
  submit({make_event("t", "w1", {{"em", hex_id(1)}}), make_event("t", "w2", {{"em", hex_id(2)}})});
  ASSERT_EQ(opt_out("t", {hex_id(2)}, "").events_purged, 1u);  // the watermark is at w2's seq
  m_store->close();
  m_store.reset();
  const fs::path db = m_dir / "hashgate.db";
  const std::int64_t watermark =
      query_int(db, "SELECT value FROM store_state WHERE key = 'indexed_seq'");
  open();
  submit({make_event("t", "w3", {{"em", hex_id(3)}})});
  m_store->close();
  m_store.reset();
  // The crash: w3 is committed, its index pass never ran.
  exec_sql(db,
           "DELETE FROM event_ids WHERE event = (SELECT seq FROM events WHERE event_id = 'w3');"
           " UPDATE store_state SET value = " +
               std::to_string(watermark) + " WHERE key = 'indexed_seq';");
  EXPECT_GT(query_int(db, "SELECT seq FROM events WHERE event_id = 'w3'"), watermark);
  open();
  const auto out = opt_out("t", {hex_id(3)}, "");
  ASSERT_FALSE(out.error);
  EXPECT_EQ(out.events_purged, 1u);
  EXPECT_EQ(exported_ids("t"), std::vector<std::string>{"w1"});
}

// ---- the outbox of destinations and the recipient ledger (issue 16) --------------------------

namespace {

EventRecord to_destinations(EventRecord e, std::vector<std::string> dests) {
  for (auto& d : dests) e.outbox.push_back(OutboxTarget{std::move(d), 0});
  return e;
}

std::vector<std::int64_t> ids_of(const std::vector<OutboxEntry>& rows) {
  std::vector<std::int64_t> out;
  for (const auto& r : rows) out.push_back(r.id);
  return out;
}

}  // namespace

// An outbox row per destination is written with the accepted event, in its transaction; a
// duplicate or suppressed event writes none. The claim names the batch and fills the payload.
TEST_F(StoreTest, StoreOutboxRowsOnlyForAcceptedEvents) {
  open();
  std::vector<std::string> notified;
  m_store->on_outbox = [&](const std::string& d) { notified.push_back(d); };
  opt_out("t", {hex_id(9)}, "");
  auto r = submit({to_destinations(make_event("t", "o-1", {{"em", hex_id(1)}}), {"A", "B"}),
                   to_destinations(make_event("t", "o-1", {{"em", hex_id(1)}}), {"A", "B"}),
                   to_destinations(make_event("t", "o-2", {{"em", hex_id(9)}}), {"A"})});
  ASSERT_EQ(r.outcomes,
            (std::vector<Outcome>{Outcome::accepted, Outcome::duplicate, Outcome::suppressed}));
  EXPECT_EQ(notified, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(m_store->outbox_count("A").pending, 1u);
  EXPECT_EQ(m_store->outbox_count("B").pending, 1u);
  EXPECT_EQ(m_store->outbox_count("A").oldest_created_ms, 1764374400000);
  EXPECT_EQ(m_store->outbox_next_due("C"), -1);
  const auto rows = m_store->outbox_claim("A", 10, 1764374401000, true);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].batch, rows[0].id);  // named before it is sent
  const auto line = nlohmann::json::parse(rows[0].payload);
  EXPECT_EQ(line.at("event_id"), "o-1");
  EXPECT_EQ(line.at("ids").at("em"), hex_id(1));
  EXPECT_FALSE(line.contains("cursor"));
  m_store->outbox_delivered("A", ids_of(rows), 1764374402000);
  EXPECT_EQ(m_store->outbox_count("A").pending, 0u);
  reopen();  // durable: B's row is still there
  EXPECT_EQ(m_store->outbox_count("B").pending, 1u);
  // A claim finishes the rows delivered since the previous one, in its own transaction.
  const auto b = m_store->outbox_claim("B", 10, 1764374401000, false);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(m_store->outbox_claim("B", 10, 1764374401000, false, ids_of(b)).empty());
  EXPECT_EQ(m_store->outbox_count("B").pending, 0u);
}

// The opt-out queues one removal per destination whose ledger holds any id of the person's
// closure (only the ids that destination received), drops the person's undelivered rows, and
// the delivered removal is audited per destination; the ledger no longer holds the ids.
TEST_F(StoreTest, StoreOptOutQueuesOneRemovalPerDestinationThatHadThePerson) {
  open();
  const std::string em = hex_id(1), ph = hex_id(2), other = hex_id(3);
  submit({to_destinations(make_event("t", "p-1", {{"em", em}, {"ph", ph}}, "uid-1"), {"A"}),
          to_destinations(make_event("t", "p-2", {{"ph", ph}}), {"B"}),
          to_destinations(make_event("t", "q-1", {{"em", other}}), {"C"})});
  for (const char* d : {"A", "B", "C"}) {
    const bool with_uid = std::string(d) == "A";
    m_store->outbox_delivered(d, ids_of(m_store->outbox_claim(d, 10, 1764374400000, with_uid)),
                              1764374400000);
  }
  submit({to_destinations(make_event("t", "p-3", {{"em", em}}), {"C"})});  // pending, undelivered
  ASSERT_EQ(m_store->outbox_count("C").pending, 1u);

  opt_out("t", {em}, "");
  const auto a = m_store->outbox_claim("A", 10, 1764374400000, true);
  const auto b = m_store->outbox_claim("B", 10, 1764374400000, false);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(m_store->outbox_count("C").pending, 0u);  // p-3 dropped; C never had the person
  EXPECT_EQ(a[0].kind, 1);
  const auto ma = nlohmann::json::parse(a[0].payload);
  EXPECT_EQ(ma.at("ids").at("em"), nlohmann::json::array({em}));
  EXPECT_EQ(ma.at("ids").at("ph"), nlohmann::json::array({ph}));
  EXPECT_EQ(ma.at("uid"), "uid-1");
  const auto mb = nlohmann::json::parse(b[0].payload);
  EXPECT_EQ(mb.at("ids").at("em"), nlohmann::json::array());
  EXPECT_EQ(mb.at("ids").at("ph"), nlohmann::json::array({ph}));
  EXPECT_FALSE(mb.contains("uid"));
  m_store->outbox_delivered("A", ids_of(a), 1764374500000);
  m_store->outbox_failed("B", ids_of(b), "http_410", 1764374500000);
  std::vector<std::string> actions;
  for (const auto& e : m_store->audit("t", 0, 100)) {
    if (e.action.rfind("removal_", 0) != 0) continue;
    const auto d = nlohmann::json::parse(e.detail);
    actions.push_back(e.action + ":" + d.at("destination").get<std::string>());
    EXPECT_EQ(d.at("optout_id").get<std::string>().size(), 32u);
    EXPECT_EQ(e.detail.find(em), std::string::npos);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"removal_delivered:A", "removal_failed:B"}));
  m_store->close();
  m_store.reset();
  const std::string bytes = all_files();
  EXPECT_EQ(bytes.find(em), std::string::npos);  // ledger, outbox and events: gone from disk
  EXPECT_EQ(bytes.find(ph), std::string::npos);
  EXPECT_NE(bytes.find(other), std::string::npos);
}

// Retention covers the ledger: entries last sent before the cutoff go, with their bytes.
TEST_F(StoreTest, StoreRetentionPurgesTheLedger) {
  open();
  const std::string marker = "1ed9e71ed9e71ed9e71ed9e71ed9e71ed9e71ed9e71ed9e71ed9e71ed9e71ed9";
  submit({to_destinations(make_event("t", "l-1", {{"em", marker}}, "", 5000), {"A"})});
  m_store->outbox_delivered("A", ids_of(m_store->outbox_claim("A", 10, 6000 * 1000, false)),
                            6000 * 1000);
  EXPECT_EQ(m_store->purge_before("t", 5500), 1u);  // the event; the ledger entry is newer
  m_store->close();
  m_store.reset();
  ASSERT_NE(all_files().find(marker), std::string::npos);  // still in the ledger
  open();
  m_store->purge_before("t", 7000);
  const auto retention = m_store->audit("t", 0, 100).back();
  EXPECT_EQ(nlohmann::json::parse(retention.detail).at("ledger_purged"), 1);
  EXPECT_EQ(all_files().find(marker), std::string::npos);
}

// A row whose event is gone (an opt-out or the retention purged it) is never sent: the claim
// drops it, and the pending gauge does not count it meanwhile.
TEST_F(StoreTest, StoreOutboxDropsRowsWhoseEventIsGone) {
  open();
  submit({to_destinations(make_event("t", "g-1", {{"em", hex_id(1)}}, "", 5000), {"A"}),
          to_destinations(make_event("t", "g-2", {{"em", hex_id(2)}}), {"A"}),
          to_destinations(make_event("t", "g-3", {{"em", hex_id(3)}}), {"A"})});
  EXPECT_EQ(m_store->purge_before("t", 5500), 1u);  // g-1
  opt_out("t", {hex_id(2)}, "");                    // g-2
  EXPECT_EQ(m_store->outbox_count("A").pending, 1u);
  const auto rows = m_store->outbox_claim("A", 10, 1764374401000, false);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(rows[0].payload).at("event_id"), "g-3");
  EXPECT_EQ(rows[0].batch, rows[0].id);
  m_store->outbox_delivered("A", ids_of(rows), 1764374402000);
  m_store->close();
  m_store.reset();
  EXPECT_EQ(query_int(m_dir / "hashgate.db", "SELECT count(*) FROM outbox"), 0);
}

// A batch is named at its claim by its id range: after a crash between the send and its answer
// (nothing marked), the next claim returns exactly that batch's rows under the same batch, and
// rows written since form the next one.
TEST_F(StoreTest, StoreOutboxBatchSurvivesACrashWithExactlyItsRows) {
  open();
  submit({to_destinations(make_event("t", "c-1", {{"em", hex_id(1)}}), {"A", "B"}),
          to_destinations(make_event("t", "c-2", {{"em", hex_id(2)}}), {"A", "B"})});
  const auto first = m_store->outbox_claim("A", 10, 1764374401000, false);
  ASSERT_EQ(first.size(), 2u);
  reopen();  // the answer never came
  submit({to_destinations(make_event("t", "c-3", {{"em", hex_id(3)}}), {"A"})});
  const auto again = m_store->outbox_claim("A", 10, 1764374402000, false);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].id, first[0].id);
  EXPECT_EQ(again[1].id, first[1].id);
  EXPECT_EQ(again[0].batch, first[0].id);
  EXPECT_EQ(again[1].batch, first[0].id);
  EXPECT_EQ(again[2].batch, 0);  // not in the batch: the worker sends it next, as its own
  m_store->outbox_delivered("A", {again[0].id, again[1].id}, 1764374403000);
  const auto next = m_store->outbox_claim("A", 10, 1764374404000, false);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].batch, again[2].id);
}

// A group commit writes its events' outbox rows many per statement: every row reaches its
// destination with its event, DMA bits and time, in order, with ids that name no other row.
TEST_F(StoreTest, StoreOutboxRowsOfALargeGroupCommit) {
  open();
  std::vector<EventRecord> events;
  for (unsigned i = 0; i < 70; ++i) {
    auto e = make_event("t", "w-" + std::to_string(i), {{"em", hex_id(i)}}, "", 1764374400 + i);
    e.outbox.push_back(OutboxTarget{"A", static_cast<int>(i % 16)});
    if (i % 3 == 0) e.outbox.push_back(OutboxTarget{"B", 5});
    events.push_back(std::move(e));
  }
  ASSERT_FALSE(submit(std::move(events)).error);
  EXPECT_EQ(m_store->outbox_count("A").pending, 70u);
  EXPECT_EQ(m_store->outbox_count("B").pending, 24u);
  const auto a = m_store->outbox_claim("A", 100, 1764374500000, false);
  const auto b = m_store->outbox_claim("B", 100, 1764374500000, false);
  ASSERT_EQ(a.size(), 70u);
  ASSERT_EQ(b.size(), 24u);
  std::set<std::int64_t> ids;
  for (unsigned i = 0; i < 70; ++i) {
    EXPECT_EQ(nlohmann::json::parse(a[i].payload).at("event_id"), "w-" + std::to_string(i));
    EXPECT_EQ(a[i].dma, static_cast<int>(i % 16));
    EXPECT_EQ(a[i].created_ms, (std::int64_t{1764374400} + i) * 1000);
    ids.insert(a[i].id);
  }
  for (unsigned k = 0; k < 24; ++k) {
    EXPECT_EQ(nlohmann::json::parse(b[k].payload).at("event_id"), "w-" + std::to_string(3 * k));
    EXPECT_EQ(b[k].dma, 5);
    ids.insert(b[k].id);
  }
  EXPECT_EQ(ids.size(), 94u);
}

// A claim writes its ledger rows many per statement: every id and uid sent is recorded once per
// destination (also when two events of one statement carry it), with first and last sent.
TEST_F(StoreTest, StoreLedgerOfALargeClaim) {
  open();
  std::vector<EventRecord> events;
  for (unsigned i = 0; i < 40; ++i)
    events.push_back(
        to_destinations(make_event("t", "L-" + std::to_string(i), {{"em", hex_id(i % 20)}},
                                   "u-" + std::to_string(i % 20)),
                        {"A"}));
  submit(std::move(events));
  auto rows = m_store->outbox_claim("A", 100, 1764374500000, true);
  ASSERT_EQ(rows.size(), 40u);
  m_store->outbox_delivered("A", ids_of(rows), 1764374500000);
  submit({to_destinations(make_event("t", "L-40", {{"em", hex_id(3)}}), {"A"})});
  rows = m_store->outbox_claim("A", 100, 1764374600000, true);
  ASSERT_EQ(rows.size(), 1u);
  m_store->outbox_delivered("A", ids_of(rows), 1764374600000);
  const fs::path db = m_dir / "hashgate.db";
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM ledger"), 40);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM ledger WHERE kind = 'em'"), 20);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM ledger WHERE kind = 'uid'"), 20);
  EXPECT_EQ(query_int(db, "SELECT count(*) FROM ledger WHERE destination <> 'A' OR tenant <> 't'"),
            0);
  const std::string where = " FROM ledger WHERE id = '" + hex_id(3) + "'";
  EXPECT_EQ(query_int(db, "SELECT first_sent" + where), 1764374500);
  EXPECT_EQ(query_int(db, "SELECT last_sent" + where), 1764374600);
  EXPECT_EQ(query_int(db, "SELECT last_sent FROM ledger WHERE id = 'u-19'"), 1764374500);
  opt_out("t", {hex_id(19)}, "");
  const auto removal = m_store->outbox_claim("A", 10, 1764374700000, true);
  ASSERT_EQ(removal.size(), 1u);
  const auto msg = nlohmann::json::parse(removal[0].payload);
  EXPECT_EQ(msg.at("ids").at("em"), nlohmann::json::array({hex_id(19)}));
  EXPECT_EQ(msg.at("uid"), "u-19");
}

// Delivered rows are deleted by their id range only when it holds nothing else: a pending row
// of the destination inside the range stays.
TEST_F(StoreTest, StoreOutboxDeliveredDeletesOnlyTheNamedRows) {
  open();
  submit({to_destinations(make_event("t", "d-1", {{"em", hex_id(1)}}), {"A"}),
          to_destinations(make_event("t", "d-2", {{"em", hex_id(2)}}), {"A"}),
          to_destinations(make_event("t", "d-3", {{"em", hex_id(3)}}), {"A"})});
  const auto rows = m_store->outbox_claim("A", 10, 1764374401000, false);
  ASSERT_EQ(rows.size(), 3u);
  m_store->outbox_delivered("A", {rows[0].id, rows[2].id}, 1764374402000);
  EXPECT_EQ(m_store->outbox_count("A").pending, 1u);
  const auto left = m_store->outbox_claim("A", 10, 1764374403000, false);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, rows[1].id);
}

// Schema 6 → 7 with rows pending: they keep their ids and batches (their Idempotency-Keys), and
// no outbox id is given out twice, neither one AUTOINCREMENT gave out before nor one of this
// version across a restart.
TEST_F(StoreTest, StoreMigratesSchema6OutboxWithPendingRows) {
  open();
  submit({make_event("t", "m-1", {{"em", hex_id(1)}}), make_event("t", "m-2", {{"em", hex_id(2)}}),
          make_event("t", "m-3", {{"em", hex_id(3)}})});
  m_store->close();
  m_store.reset();
  const fs::path db = m_dir / "hashgate.db";
  exec_sql(db, R"sql(
DROP TABLE outbox; DROP TABLE outbox_batches;
DELETE FROM store_state WHERE key = 'outbox_id';
CREATE TABLE outbox(
  id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, destination TEXT NOT NULL,
  kind INTEGER NOT NULL, event INTEGER REFERENCES events(seq) ON DELETE CASCADE, payload TEXT,
  dma INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, next_ms INTEGER NOT NULL DEFAULT 0,
  batch INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX outbox_due ON outbox(destination, batch = 0, batch, id);
CREATE INDEX outbox_event ON outbox(event) WHERE event IS NOT NULL;
INSERT INTO outbox(id, tenant, destination, kind, event, created_ms, next_ms, batch, attempts)
  VALUES (5, 't', 'A', 0, 1, 1764374400000, 1764374401000, 5, 1),
         (6, 't', 'A', 0, 2, 1764374400000, 1764374401000, 5, 1),
         (7, 't', 'A', 0, 3, 1764374400000, 0, 0, 0),
         (9, 't', 'A', 0, 3, 1764374400000, 0, 0, 0);
DELETE FROM outbox WHERE id = 9;
PRAGMA user_version=6;
)sql");
  ASSERT_EQ(query_int(db, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"), 9);
  open();
  EXPECT_EQ(query_int(db, "PRAGMA user_version"), hashgate::gw::store_detail::schema_version());
  EXPECT_EQ(m_store->outbox_count("A").pending, 3u);
  const auto rows = m_store->outbox_claim("A", 10, 1764374402000, false);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].id, 5);
  EXPECT_EQ(rows[0].batch, 5);
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[1].id, 6);
  EXPECT_EQ(rows[1].batch, 5);
  EXPECT_EQ(rows[2].id, 7);
  m_store->outbox_delivered("A", ids_of(rows), 1764374403000);
  submit({to_destinations(make_event("t", "m-4", {{"em", hex_id(4)}}), {"A"})});
  auto fresh = m_store->outbox_claim("A", 10, 1764374404000, false);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].id, 10);  // past the 9 AUTOINCREMENT gave out, not max(id) + 1
  m_store->outbox_delivered("A", ids_of(fresh), 1764374405000);
  m_store->outbox_claim("A", 10, 1764374405000, false, ids_of(fresh));  // finishes it
  reopen();  // the outbox is empty; the next id still comes after 10
  submit({to_destinations(make_event("t", "m-5", {{"em", hex_id(5)}}), {"A"})});
  fresh = m_store->outbox_claim("A", 10, 1764374406000, false);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].id, 11);
}

// Onboarding (issue 14) in the store: the publisher graph is built from its events at match time
// and follows the retention run (people last seen before the cutoff leave it); an advertiser's
// opt-out removes the member and counts it in the match's key set.
TEST_F(StoreTest, StoreOnboardingGraphFollowsRetention) {
  open();
  std::vector<EventRecord> logins;
  for (unsigned i = 0; i < 20; ++i)
    logins.push_back(make_event("news", std::string("l").append(std::to_string(i)),
                                {{"em", hex_id(i)}}, std::string("uid-").append(std::to_string(i)),
                                i < 10 ? 1000 : 5000));
  submit(std::move(logins));
  AudienceUpload up{"shop", "a", {}, {}, {}};
  for (unsigned i = 0; i < 25; ++i)
    up.add.push_back({*hashgate::gw::onboarding::decode_hashed_id(
        hashgate::gw::onboarding::IdKind::em, hex_id(i))});
  std::promise<AudienceUploadResult> uploaded;
  m_store->update_audience(up, [&](AudienceUploadResult r) { uploaded.set_value(r); });
  EXPECT_EQ(uploaded.get_future().get().members, 25u);
  auto match = [&] {
    std::promise<MatchResult> p;
    m_store->create_match({"ag", "shop", "news", "a", 10}, [&](MatchResult r) { p.set_value(r); });
    return p.get_future().get();
  };
  const MatchResult first = match();
  ASSERT_FALSE(first.error);
  EXPECT_EQ(first.decision, MatchDecision::created);
  EXPECT_EQ(first.match.matched, 20u);
  EXPECT_EQ(m_store->export_match(first.match, {}, 100).size(), 20u);
  EXPECT_EQ(match().decision, MatchDecision::unchanged);
  m_store->purge_before("news", 2000);  // people 0-9 were last seen at 1000
  EXPECT_EQ(m_store->export_match(first.match, {}, 100).size(), 10u);
  EXPECT_EQ(m_store->purge_matches({}), 1u);
  const MatchResult second = match();
  EXPECT_EQ(second.decision, MatchDecision::created);
  EXPECT_EQ(second.match.matched, 10u);
  EXPECT_EQ(m_store->matches("shop").size(), 1u);
  EXPECT_EQ(m_store->matches("news").size(), 1u);
  EXPECT_TRUE(m_store->matches("other").empty());
  ASSERT_FALSE(opt_out("shop", {hex_id(24)}, "").error);  // a member who is no user
  EXPECT_EQ(m_store->audiences("shop").at(0).members, 24u);
}
