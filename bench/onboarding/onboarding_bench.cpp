// hashgate_onboarding_bench: the data and our side of bench/onboarding/run.py.
//   gen DIR [MEMBERS LINKS]   writes the synthetic audience, publisher graph and opt-out lists as
//                             binary records (audience.bin, links.bin, suppressed.bin) and as a
//                             SQLite file (peer.db) for the sqlite3 shell; deterministic.
//   match DIR ROUNDS          loads the .bin files, then times match_audience ROUNDS times.
//   match-sqlite DIR ROUNDS   times reading the same data out of peer.db (C API) + the match.
//   match-store DIR ROUNDS    loads the data into a real gateway store (DIR/store, the gateway's
//                             schema; opt-outs through Store::opt_out in both tenants), then times
//                             Store::create_match ROUNDS times (each a fresh match: the earlier one
//                             is purged first): the gateway's whole path, writes included.
// Each prints one JSON line: {"load_s":…, "match_s":[…], "matched":…, …}.
// A record is 37 bytes: kind (1), digest (32), owner (member or person, 4, little-endian).
#include <sqlite3.h>
#include <time.h>

#include <hashgate/hashgate.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "gateway/onboarding/match.hpp"
#include "gateway/store/store.hpp"

namespace ob = hashgate::gw::onboarding;

namespace {

constexpr std::size_t k_record = 37;

// CPU seconds used by this process so far (the match runs on one thread).
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Appends `x` to a comma-separated list.
void append_number(std::string& list, double x) {
  if (!list.empty()) list += ',';
  list += std::to_string(x);
}

ob::HashedId hashed(ob::IdKind kind, const std::string& text) {
  ob::HashedId h;
  h.kind = kind;
  hashgate::sha256(text, h.digest);
  return h;
}

// The synthetic population: person n has the e-mail person<n>@example.com and the phone
// +316<n, 8 digits>. Publisher people are n < persons; audience members above 40% are strangers.
ob::HashedId email(std::uint64_t n, bool old = false) {
  std::string text = old ? "old" : "person";  // appended, not "a" + b: GCC 12's -Wrestrict
  text += std::to_string(n);
  text += "@example.com";
  return hashed(ob::IdKind::em, text);
}
ob::HashedId phone(std::uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "316%08llu", static_cast<unsigned long long>(n));
  return hashed(ob::IdKind::ph, buf);
}

struct Data {
  std::vector<ob::AudienceId> audience;
  std::vector<ob::GraphLink> graph;
  std::vector<ob::HashedId> suppressed;  // sorted: both tenants' opt-outs
};

// Publisher: every person has an e-mail link, two of three a phone link too (links = 5/3 persons).
// Audience: 40% are publisher people (spread over the graph); every 20th of those has an old
// e-mail that no longer matches; even members also have a phone. Opt-outs: 1 in 1000 members'
// e-mails (advertiser) and 1 in 3000 people's phones (publisher).
Data generate(std::uint32_t members, std::uint32_t links) {
  Data d;
  const std::uint32_t persons = links / 5 * 3;
  d.graph.reserve(links);
  for (std::uint32_t p = 0; p < persons; ++p) {
    d.graph.push_back({email(p), p});
    if (p % 3 != 0 && d.graph.size() < links) d.graph.push_back({phone(p), p});
  }
  const std::uint32_t users = members / 5 * 2;
  for (std::uint32_t m = 0; m < members; ++m) {
    const std::uint64_t n = m < users ? (std::uint64_t{m} * 7 + 1) % persons : persons + m;
    d.audience.push_back({email(n, m < users && m % 20 == 19), m});
    if (m % 2 == 0) d.audience.push_back({phone(n), m});
    if (m % 1000 == 0) d.suppressed.push_back(d.audience[d.audience.size() - 1 - (m % 2 == 0)].id);
  }
  for (std::uint32_t p = 1; p < persons; p += 3000) d.suppressed.push_back(phone(p));
  std::sort(d.suppressed.begin(), d.suppressed.end());
  return d;
}

template <typename Entry, typename Owner>
void write_records(const std::string& path, const std::vector<Entry>& v, Owner owner) {
  std::string buf;
  buf.reserve(v.size() * k_record);
  for (const Entry& e : v) {
    const ob::HashedId& id = e.id;
    buf.push_back(static_cast<char>(id.kind));
    buf.append(reinterpret_cast<const char*>(id.digest.data()), 32);
    const std::uint32_t o = owner(e);
    for (int b = 0; b < 4; ++b) buf.push_back(static_cast<char>(o >> (8 * b)));
  }
  std::ofstream(path, std::ios::binary).write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

template <typename Entry>
std::vector<Entry> read_records(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<Entry> v(buf.size() / k_record);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto* r = reinterpret_cast<const std::uint8_t*>(buf.data() + i * k_record);
    v[i].id.kind = static_cast<ob::IdKind>(r[0]);
    std::memcpy(v[i].id.digest.data(), r + 1, 32);
    std::uint32_t o = 0;
    for (int b = 0; b < 4; ++b) o |= std::uint32_t{r[33 + b]} << (8 * b);
    if constexpr (requires { v[i].member; }) {
      v[i].member = o;
    } else {
      v[i].person = o;
    }
  }
  return v;
}

[[noreturn]] void die(sqlite3* db) {
  std::fprintf(stderr, "hashgate_onboarding_bench: sqlite: %s\n", sqlite3_errmsg(db));
  std::exit(1);
}

void exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) die(db);
}

// Inserts (kind, digest, owner) rows with one prepared statement.
template <typename Entry, typename Owner>
void insert_rows(sqlite3* db, const char* sql, const std::vector<Entry>& v, Owner owner) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) die(db);
  for (const Entry& e : v) {
    sqlite3_bind_int(st, 1, static_cast<int>(e.id.kind));
    sqlite3_bind_blob(st, 2, e.id.digest.data(), 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, owner(e));
    if (sqlite3_step(st) != SQLITE_DONE) die(db);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
}

// peer.db: the schema phase 2 plans for the graph (clustered on (kind, digest)), the audience
// with an index on its ids, and the opt-outs.
void write_sqlite(const std::string& path, Data& d) {
  std::remove(path.c_str());
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  exec(
      db,
      "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; BEGIN;"
      "CREATE TABLE links(kind INTEGER NOT NULL, digest BLOB NOT NULL, person INTEGER NOT NULL,"
      " PRIMARY KEY(kind, digest, person)) WITHOUT ROWID;"
      "CREATE TABLE audience(member INTEGER NOT NULL, kind INTEGER NOT NULL, digest BLOB NOT NULL);"
      "CREATE TABLE suppressed(kind INTEGER NOT NULL, digest BLOB NOT NULL, owner INTEGER,"
      " PRIMARY KEY(kind, digest)) WITHOUT ROWID;");
  std::vector<ob::GraphLink> sorted = d.graph;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.id < b.id; });
  insert_rows(db, "INSERT INTO links VALUES(?1, ?2, ?3)", sorted,
              [](const ob::GraphLink& l) { return l.person; });
  insert_rows(db, "INSERT INTO audience(kind, digest, member) VALUES(?1, ?2, ?3)", d.audience,
              [](const ob::AudienceId& a) { return a.member; });
  std::vector<ob::AudienceId> sup;
  for (const auto& s : d.suppressed) sup.push_back({s, 0});
  insert_rows(db, "INSERT INTO suppressed VALUES(?1, ?2, ?3)", sup,
              [](const ob::AudienceId&) { return 0; });
  exec(db, "CREATE INDEX audience_id ON audience(kind, digest); COMMIT; ANALYZE;");
  sqlite3_close(db);
}

int gen(const std::string& dir, std::uint32_t members, std::uint32_t links) {
  auto t0 = std::chrono::steady_clock::now();
  Data d = generate(members, links);
  write_records(dir + "/audience.bin", d.audience,
                [](const ob::AudienceId& a) { return a.member; });
  write_records(dir + "/links.bin", d.graph, [](const ob::GraphLink& l) { return l.person; });
  std::vector<ob::AudienceId> sup;
  for (const auto& s : d.suppressed) sup.push_back({s, 0});
  write_records(dir + "/suppressed.bin", sup, [](const ob::AudienceId&) { return 0u; });
  write_sqlite(dir + "/peer.db", d);
  std::printf(
      "{\"members\":%u,\"audience_ids\":%zu,\"links\":%zu,\"suppressed\":%zu,\"gen_s\":%.3f}\n",
      members, d.audience.size(), d.graph.size(), d.suppressed.size(), seconds_since(t0));
  return 0;
}

// The opt-out lists as a hash set, as the store keeps them in memory (digests are uniform, so
// the first 8 bytes are the hash).
std::function<bool(const ob::HashedId&)> suppression_set(const std::vector<ob::HashedId>& ids) {
  struct Hash {
    std::size_t operator()(const ob::HashedId& h) const noexcept {
      std::uint64_t x;
      std::memcpy(&x, h.digest.data(), 8);
      return x ^ static_cast<std::uint64_t>(h.kind);
    }
  };
  auto set = std::make_shared<std::unordered_set<ob::HashedId, Hash>>(ids.begin(), ids.end());
  return [set](const ob::HashedId& h) { return set->count(h) > 0; };
}

// Times `rounds` matches of the loaded data and prints the JSON line.
int time_matches(const Data& d, double load_s, int rounds) {
  ob::Suppression s;
  s.id = suppression_set(d.suppressed);
  std::string times, cpu;
  ob::MatchOutcome out;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    out = ob::match_audience(d.audience, d.graph, s);
    append_number(cpu, cpu_seconds() - c0);
    append_number(times, seconds_since(t0));
  }
  std::printf(
      "{\"load_s\":%.4f,\"match_s\":[%s],\"match_cpu_s\":[%s],\"matched\":%zu,\"members_matched\":%"
      "zu,"
      "\"members_suppressed\":%zu,\"persons_suppressed\":%zu,\"audience_ids\":%zu,\"links\":%zu}\n",
      load_s, times.c_str(), cpu.c_str(), out.persons.size(), out.members_matched,
      out.members_suppressed, out.persons_suppressed, d.audience.size(), d.graph.size());
  return 0;
}

int match_files(const std::string& dir, int rounds) {
  auto t0 = std::chrono::steady_clock::now();
  Data d;
  d.audience = read_records<ob::AudienceId>(dir + "/audience.bin");
  d.graph = read_records<ob::GraphLink>(dir + "/links.bin");
  for (const auto& s : read_records<ob::AudienceId>(dir + "/suppressed.bin")) {
    d.suppressed.push_back(s.id);
  }
  std::sort(d.suppressed.begin(), d.suppressed.end());
  return time_matches(d, seconds_since(t0), rounds);
}

// Reads (kind, digest, owner) rows of `sql` into `out` with `add(kind, digest, owner)`.
template <typename Add>
void read_rows(sqlite3* db, const char* sql, Add add) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) die(db);
  while (sqlite3_step(st) == SQLITE_ROW) {
    ob::HashedId id;
    id.kind = static_cast<ob::IdKind>(sqlite3_column_int(st, 0));
    if (sqlite3_column_bytes(st, 1) == 32)
      std::memcpy(id.digest.data(), sqlite3_column_blob(st, 1), 32);
    add(id, static_cast<std::uint32_t>(sqlite3_column_int64(st, 2)));
  }
  sqlite3_finalize(st);
}

// The phase-2 path: every input read out of SQLite (the graph in its clustered order), then the
// match; each round pays for the reads again.
int match_sqlite(const std::string& dir, int rounds) {
  std::string times, reads, cpu;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();
    sqlite3* db = nullptr;
    sqlite3_open_v2((dir + "/peer.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    Data d;
    read_rows(db, "SELECT kind, digest, person FROM links",
              [&](const ob::HashedId& id, std::uint32_t o) {
                d.graph.push_back({id, o});
              });
    read_rows(db, "SELECT kind, digest, member FROM audience",
              [&](const ob::HashedId& id, std::uint32_t o) {
                d.audience.push_back({id, o});
              });
    read_rows(db, "SELECT kind, digest, 0 FROM suppressed",
              [&](const ob::HashedId& id, std::uint32_t) { d.suppressed.push_back(id); });
    sqlite3_close(db);
    const double read_s = seconds_since(t0);
    ob::Suppression s;
    s.id = suppression_set(d.suppressed);
    const ob::MatchOutcome out = ob::match_audience(d.audience, d.graph, s);
    append_number(times, seconds_since(t0));
    append_number(cpu, cpu_seconds() - c0);
    append_number(reads, read_s);
    if (r + 1 == rounds) {
      std::printf("{\"total_s\":[%s],\"total_cpu_s\":[%s],\"read_s\":[%s],\"matched\":%zu}\n",
                  times.c_str(), cpu.c_str(), reads.c_str(), out.persons.size());
    }
  }
  return 0;
}

// Copies peer.db's audience and graph into the store's tables (the gateway's schema, tenants
// "shop" and "news", audience "a"); a member's key is its number, written as 16 bytes.
void fill_store(const std::string& dir) {
  sqlite3* db = nullptr;
  if (sqlite3_open((dir + "/store/hashgate.db").c_str(), &db) != SQLITE_OK) die(db);
  const std::string attach = "ATTACH '" + dir + "/peer.db' AS p;";
  exec(db, attach.c_str());
  exec(db,
       "PRAGMA cache_size=-262144; BEGIN;"
       "INSERT INTO audiences VALUES('shop', 'a', 0, 0);"
       "INSERT INTO audience_members SELECT DISTINCT 'shop', 'a', CAST(printf('%016d', member)"
       " AS BLOB) FROM p.audience;"
       "INSERT INTO audience_ids SELECT 'shop', 'a', kind, digest, CAST(printf('%016d', member)"
       " AS BLOB) FROM p.audience ORDER BY kind, digest;"
       "INSERT INTO graph SELECT 'news', kind, digest, 'p' || person, 0 FROM p.links;"
       "INSERT INTO persons SELECT DISTINCT 'news', 'p' || person, '', '{}', 0 FROM p.links;"
       "COMMIT;");
  sqlite3_close(db);
}

std::unique_ptr<hashgate::gw::Store> open_store(const std::string& dir) {
  hashgate::gw::StoreConfig cfg;
  cfg.data_dir = dir + "/store";
  cfg.durability = hashgate::gw::Durability::normal;
  std::error_code ec;
  std::string why;
  auto store = hashgate::gw::Store::open(cfg, ec, why);
  if (!store) std::fprintf(stderr, "store: %s\n", why.c_str()), std::exit(1);
  return store;
}

// Opts every suppressed id out in both tenants (the engine's lists are both tenants' together).
void opt_out_all(hashgate::gw::Store& store, const std::string& dir) {
  std::vector<std::string> ids;
  for (const auto& s : read_records<ob::AudienceId>(dir + "/suppressed.bin"))
    ids.push_back(hashgate::to_hex(s.id.digest));
  for (const char* tenant : {"shop", "news"}) {
    std::promise<void> done;
    store.opt_out(tenant, ids, "", "bench", [&](hashgate::gw::OptOutResult) { done.set_value(); });
    done.get_future().wait();
  }
}

int match_store(const std::string& dir, int rounds) {
  auto t0 = std::chrono::steady_clock::now();
  std::filesystem::remove_all(dir + "/store");
  open_store(dir)->close();  // creates the schema
  fill_store(dir);
  auto store = open_store(dir);
  opt_out_all(*store, dir);
  const double load_s = seconds_since(t0);
  std::string times, cpu;
  hashgate::gw::MatchResult last;
  for (int r = 0; r < rounds; ++r) {
    store->purge_matches({});
    auto t1 = std::chrono::steady_clock::now();
    const double c0 = cpu_seconds();  // the writer thread's CPU counts: it is this process's
    std::promise<hashgate::gw::MatchResult> result;
    store->create_match({"a1", "shop", "news", "a", 100},
                        [&](hashgate::gw::MatchResult m) { result.set_value(std::move(m)); });
    last = result.get_future().get();
    append_number(cpu, cpu_seconds() - c0);
    append_number(times, seconds_since(t1));
  }
  store->close();
  std::printf(
      "{\"load_s\":%.3f,\"match_s\":[%s],\"match_cpu_s\":[%s],\"matched_rounded\":%llu,"
      "\"error\":%s}\n",
      load_s, times.c_str(), cpu.c_str(),
      static_cast<unsigned long long>(last.match.matched.value_or(0)),
      last.error ? "true" : "false");
  return last.error ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() >= 2 && a[0] == "gen") {
    const auto members = a.size() > 2 ? static_cast<std::uint32_t>(std::stoul(a[2])) : 1000000u;
    const auto links = a.size() > 3 ? static_cast<std::uint32_t>(std::stoul(a[3])) : 5000000u;
    return gen(a[1], members, links);
  }
  const int rounds = a.size() > 2 ? std::max(1, std::stoi(a[2])) : 3;
  if (a.size() >= 2 && a[0] == "match") return match_files(a[1], rounds);
  if (a.size() >= 2 && a[0] == "match-sqlite") return match_sqlite(a[1], rounds);
  if (a.size() >= 2 && a[0] == "match-store") return match_store(a[1], rounds);
  std::fprintf(stderr,
               "usage: hashgate_onboarding_bench gen DIR [MEMBERS LINKS] | match DIR [ROUNDS] | "
               "match-sqlite DIR [ROUNDS] | match-store DIR [ROUNDS]\n");
  return 64;
}
