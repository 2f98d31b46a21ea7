// End to end: two parties run the real `hashgate psi` binary (HASHGATE_CLI_PATH) on lists whose
// overlap is known by construction, and every refused file, option and threshold is checked by
// exit status and message.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hashgate/hashgate.hpp"
#include "lib/cli_run.hpp"
#include "psi/format.hpp"

namespace {

namespace fs = std::filesystem;

using hashgate::testing::read_all;
using hashgate::testing::RunResult;
using hashgate::testing::write_all;

// Concatenates text pieces (instead of operator+ chains, which GCC 12 warns about wrongly).
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

// Lines of a file without the header line.
std::set<std::string> rows_of(const fs::path& p, std::string* header = nullptr) {
  std::istringstream in(read_all(p));
  std::string line;
  std::set<std::string> out;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) {
      if (header) *header = line;
      first = false;
      continue;
    }
    out.insert(line);
  }
  return out;
}

class PsiCli : public hashgate::testing::ScratchDirTest {
 protected:
  PsiCli() : ScratchDirTest("hashgate-psi") {}

  RunResult run(const std::vector<std::string>& args) {
    return hashgate::testing::run_program(HASHGATE_CLI_PATH, args, "/dev/null", m_dir);
  }

  std::string p(const std::string& name) const { return (m_dir / name).string(); }

  // keygen for `who`, then blind `csv` with `columns` (and extra options).
  void blind(const std::string& who, const std::string& csv, const std::string& columns,
             const std::string& id, std::vector<std::string> extra = {}) {
    if (!fs::exists(p(who + ".key"))) {
      ASSERT_EQ(run({"psi", "keygen", "-o", p(who + ".key")}).code, 0);
    }
    std::vector<std::string> args{
        "psi", "blind", "--key", p(who + ".key"), "--columns", columns,          "--id-column",
        id,    p(csv),  "-o",    p(who + ".psi"), "--state",   p(who + ".state")};
    args.insert(args.end(), extra.begin(), extra.end());
    const RunResult r = run(args);
    ASSERT_EQ(r.code, 0) << r.err;
  }

  // Both reblinds: A's list by B and B's list by A.
  void exchange(const std::string& a, const std::string& b) {
    RunResult r =
        run({"psi", "reblind", "--key", p(b + ".key"), p(a + ".psi"), "-o", p(a + ".back.psi")});
    ASSERT_EQ(r.code, 0) << r.err;
    r = run({"psi", "reblind", "--key", p(a + ".key"), p(b + ".psi"), "-o", p(b + ".back.psi")});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  RunResult intersect(const std::string& me, const std::string& them, const std::string& out,
                      std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"psi",      "intersect",      "--key",  p(me + ".key"),
                                  "--state",  p(me + ".state"), "--back", p(me + ".back.psi"),
                                  "--theirs", p(them + ".psi"), "-o",     p(out)};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args);
  }
};

// ---- the known-overlap lists ----------------------------------------------------------------

// Person n's e-mail and mobile number, written as one party or the other would.
std::string email_a(std::size_t n) { return "  Person" + std::to_string(n) + ".Name@Example.COM "; }
std::string email_b(std::size_t n) { return "person" + std::to_string(n) + ".name@example.com"; }
std::string phone_nl(std::size_t n) { return std::to_string(10000000 + n); }  // 8 digits after 06

struct Lists {
  std::string a_csv, b_csv;
  std::set<std::string> a_expected, b_expected;  // ids of the shared people on each side
};

// A: 10,000 people (0..9999). B: 8,000 rows, 1,234 of them A's people 0..1233 under other
// spellings; the rest are B's own people (20000+). Of the shared, one in five is matched by
// phone only (B has another e-mail), one in five by e-mail only (B has another phone), the rest
// by both. A writes national numbers (--region NL), B international ones.
Lists known_overlap() {
  Lists l;
  l.a_csv = "id,email,phone,notes\n";
  for (std::size_t n = 0; n < 10000; ++n) {
    const std::string phone = cat(n % 3 == 0 ? "06-" : "06 ", phone_nl(n));
    const std::string id = cat("A", std::to_string(n));
    std::string email = email_a(n);
    if (n >= 9000 && n % 50 == 0) email = "not an e-mail";  // invalid, counted, never matched
    if (n >= 9000 && n % 70 == 0) email.clear();            // empty
    l.a_csv += id + "," + email + "," + phone + ",\"free, text\"\n";
    if (n < 1234) l.a_expected.insert(id);
  }
  std::vector<std::string> rows;
  for (std::size_t n = 0; n < 8000; ++n) {
    const bool shared = n < 1234;
    const std::size_t person = shared ? n : 20000 + n;
    std::string email = email_b(person);
    std::string phone = (n % 2 ? "+31 6 " : "0031 6") + phone_nl(person);
    if (shared && n % 5 == 1) email = "other" + std::to_string(n) + "@example.org";
    if (shared && n % 5 == 2) phone = "+31 6 " + phone_nl(50000 + n);
    const std::string id = "B-" + std::to_string(7919 * n % 100003);
    rows.push_back(id + "," + email + "," + phone);
    if (shared) l.b_expected.insert(id);
  }
  std::mt19937 rng(15);
  std::shuffle(rows.begin(), rows.end(), rng);
  l.b_csv = "cust,mail,tel\n";
  for (const std::string& r : rows) l.b_csv += r + "\n";
  return l;
}

TEST_F(PsiCli, KnownOverlapMatchesPlaintextIntersectionAndThreshold) {
  const Lists l = known_overlap();
  write_all(p("a.csv"), l.a_csv);
  write_all(p("b.csv"), l.b_csv);
  blind("a", "a.csv", "email=em,phone=ph", "id", {"--region", "NL"});
  blind("b", "b.csv", "mail=em,tel=ph", "cust");
  exchange("a", "b");
  for (const auto& [me, them, expected, id] :
       {std::tuple{"a", "b", &l.a_expected, "id"}, std::tuple{"b", "a", &l.b_expected, "cust"}}) {
    const std::string out = std::string(me) + ".matched.csv";
    RunResult r = intersect(me, them, out, {"--min-size", "1234"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("matched=1234 "), std::string::npos) << r.err;
    std::string header;
    EXPECT_EQ(rows_of(p(out), &header), *expected) << me;
    EXPECT_EQ(header, id);
    EXPECT_EQ(mode_of(p(out)), 0600u);
    // K − 1 below the match count passes, K above it is held back: nothing written, status 3.
    const std::string held = std::string(me) + ".held.csv";
    r = intersect(me, them, held, {"--min-size", "1235"});
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_NE(r.err.find("below_threshold"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("1234"), std::string::npos) << "the small count is not shown";
    EXPECT_FALSE(fs::exists(p(held)));
  }
}

TEST_F(PsiCli, DefaultMinSizeIs100) {
  std::string a = "id,email\n", b = "id,email\n";
  for (int n = 0; n < 300; ++n) a += cat("a", std::to_string(n), ",", email_a(n), "\n");
  for (int n = 201; n < 400; ++n) b += cat("b", std::to_string(n), ",", email_b(n), "\n");
  write_all(p("a.csv"), a);  // overlap: 201..299 = 99 people
  write_all(p("b.csv"), b);
  blind("a", "a.csv", "email=em", "id");
  blind("b", "b.csv", "email=em", "id");
  exchange("a", "b");
  RunResult r = intersect("a", "b", "m.csv");
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("below_threshold"), std::string::npos);
  EXPECT_FALSE(fs::exists(p("m.csv")));
  r = intersect("a", "b", "m.csv", {"--min-size", "99"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(rows_of(p("m.csv")).size(), 99u);
}

// Every digest form of `v` that must never appear in a sent file.
std::vector<std::string> digest_forms(std::string_view v) {
  std::vector<std::string> out;
  for (hashgate::Algo algo : {hashgate::Algo::sha256, hashgate::Algo::sha1, hashgate::Algo::md5}) {
    std::vector<std::uint8_t> d(hashgate::digest_size(algo));
    EXPECT_EQ(hashgate::digest(algo, v, d), hashgate::Errc::ok);
    std::string hex = hashgate::to_hex(d), upper = hex;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(hex);
    out.push_back(upper);
    out.push_back(hashgate::to_base64(d));
    out.emplace_back(d.begin(), d.end());  // the raw bytes too
  }
  return out;
}

TEST_F(PsiCli, SentFilesHoldNoDigestOfAnyInputNorRowIdsNorInputOrder) {
  std::string a = "id,email,phone\n", b = "id,email\n";
  std::vector<std::string> values;
  for (int n = 0; n < 400; ++n) {
    const std::string id = "row-" + std::to_string(n);
    a += id + "," + email_a(n) + ",+31 6 " + phone_nl(n) + "\n";
    b += id + "," + email_b(n + 200) + "\n";
    for (const std::string& v :
         {id, email_a(n), email_b(n), email_b(n + 200), "+31 6 " + phone_nl(n), "316" + phone_nl(n),
          "+316" + phone_nl(n)}) {
      values.push_back(v);
    }
  }
  write_all(p("a.csv"), a);
  write_all(p("b.csv"), b);
  blind("a", "a.csv", "email=em,phone=ph", "id");
  blind("b", "b.csv", "email=em", "id");
  exchange("a", "b");
  for (const char* f : {"a.psi", "b.psi", "a.back.psi", "b.back.psi"}) {
    const std::string bytes = read_all(p(f));
    ASSERT_GT(bytes.size(), 40u) << f;
    for (const std::string& v : values) {
      EXPECT_EQ(bytes.find(v), std::string::npos) << f;
      for (const std::string& d : digest_forms(v)) {
        ASSERT_EQ(bytes.find(d), std::string::npos) << f << ": a digest of an input";
      }
    }
  }
  // The elements are not in input order: blinding row by row with the same key gives another
  // order (400 emails + 400 phones: equal by chance with probability 1/800!).
  hashgate::psi::PsiList list;
  const std::string bytes = read_all(p("a.psi"));
  ASSERT_TRUE(
      hashgate::psi::decode_psi({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                                hashgate::psi::ElementCheck::full, 1, list)
          .ok());
  ASSERT_EQ(list.elements.size(), 800u);
  const std::string keyb = read_all(p("a.key"));
  auto key = hashgate::psi::Key::from_bytes(
      {reinterpret_cast<const std::uint8_t*>(keyb.data()), keyb.size()});
  ASSERT_TRUE(key);
  std::vector<hashgate::psi::Element> in_order;
  for (int n = 0; n < 400; ++n) {
    hashgate::psi::Identifier id{hashgate::Field::em, {}};
    const auto hex = *hashgate::hash(hashgate::Field::em, email_a(n),
                                     hashgate::profile(hashgate::ProfileId::meta));
    ASSERT_TRUE(hashgate::decode_digest(hex, 32, id.digest));
    hashgate::psi::Element h, e;
    hashgate::psi::hash_to_group(id, h);
    ASSERT_TRUE(hashgate::psi::multiply(*key, h, e));
    in_order.push_back(e);
  }
  const std::vector<hashgate::psi::Element> first(list.elements.begin(),
                                                  list.elements.begin() + 400);
  EXPECT_NE(first, in_order);
  std::set<hashgate::psi::Element> all(list.elements.begin(), list.elements.end());
  for (const auto& e : in_order) EXPECT_TRUE(all.count(e)) << "every e-mail is blinded";
  // Nor in any fixed order (e.g. sorted): a second run with the same key gives the same set in
  // another, random order.
  blind("a", "a.csv", "email=em,phone=ph", "id");
  const std::string again = read_all(p("a.psi"));
  hashgate::psi::PsiList list2;
  ASSERT_TRUE(
      hashgate::psi::decode_psi({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()},
                                hashgate::psi::ElementCheck::full, 1, list2)
          .ok());
  EXPECT_NE(list2.elements, list.elements);
  EXPECT_EQ(std::set<hashgate::psi::Element>(list2.elements.begin(), list2.elements.end()), all);
}

TEST_F(PsiCli, KeysStatesAndOutputsArePrivateFiles) {
  RunResult r = run({"psi", "keygen", "-o", p("k1")});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(run({"psi", "keygen", "-o", p("k2")}).code, 0);
  EXPECT_EQ(mode_of(p("k1")), 0600u);
  EXPECT_EQ(read_all(p("k1")).size(), 32u);
  EXPECT_NE(read_all(p("k1")), read_all(p("k2")));
  const std::string before = read_all(p("k1"));
  r = run({"psi", "keygen", "-o", p("k1")});
  EXPECT_EQ(r.code, 64) << "a key is never overwritten";
  EXPECT_EQ(read_all(p("k1")), before);
  write_all(p("a.csv"), "id,email\n1,a@example.com\n");
  blind("a", "a.csv", "email=em", "id");
  EXPECT_EQ(mode_of(p("a.state")), 0600u);
  EXPECT_EQ(mode_of(p("a.key")), 0600u);
}

// ---- refused files: exit 65, the option named, nothing written ----------------------------------

class PsiCliFiles : public PsiCli {
 protected:
  void SetUp() override {
    PsiCli::SetUp();
    std::string a = "id,email\n", b = "id,email\n";
    for (int n = 0; n < 150; ++n) a += cat("a", std::to_string(n), ",", email_a(n), "\n");
    for (int n = 0; n < 120; ++n) b += cat("b", std::to_string(n), ",", email_b(n), "\n");
    write_all(p("a.csv"), a);
    write_all(p("b.csv"), b);
    blind("a", "a.csv", "email=em", "id");
    blind("b", "b.csv", "email=em", "id");
    exchange("a", "b");
  }
  // Writes `bytes` as `name` and checks that reblind refuses it with 65.
  void expect_reblind_refuses(const std::string& bytes, const std::string& what) {
    write_all(p("bad.psi"), bytes);
    const RunResult r =
        run({"psi", "reblind", "--key", p("b.key"), p("bad.psi"), "-o", p("o.psi")});
    EXPECT_EQ(r.code, 65) << what << ": " << r.err;
    EXPECT_NE(r.err.find("the input list: refused"), std::string::npos) << what << ": " << r.err;
    EXPECT_FALSE(fs::exists(p("o.psi"))) << what;
  }
};

TEST_F(PsiCliFiles, HostilePsiFilesAreRefused) {
  const std::string good = read_all(p("a.psi"));
  ASSERT_EQ(good.size(), 40u + 150 * 32);
  expect_reblind_refuses(good.substr(0, good.size() - 1), "truncated element");
  expect_reblind_refuses(good.substr(0, 20), "truncated header");
  expect_reblind_refuses("", "empty");
  expect_reblind_refuses(good + "x", "trailing byte");
  std::string s = good;
  s[0] = 'X';
  expect_reblind_refuses(s, "magic");
  s = good;
  s[8] = 2;
  expect_reblind_refuses(s, "version");
  s = good;
  s[32] = static_cast<char>(151);
  expect_reblind_refuses(s, "count above the elements present");
  s = good;
  s[32] = static_cast<char>(149);
  expect_reblind_refuses(s, "count below the elements present");
  s = good;
  std::fill(s.begin() + 40 + 32 * 7, s.begin() + 40 + 32 * 8, '\xff');
  expect_reblind_refuses(s, "invalid encoding");
  s = good;
  std::fill(s.begin() + 40 + 32 * 9, s.begin() + 40 + 32 * 10, '\0');
  expect_reblind_refuses(s, "identity");
  expect_reblind_refuses(read_all(p("a.back.psi")), "an already re-blinded list");
  expect_reblind_refuses(read_all(p("a.state")), "a state file");
  expect_reblind_refuses(std::string(5000, 'A'), "text");
  const RunResult r = run({"psi", "reblind", "--key", p("b.key"), p("a.psi"), "-o", p("o.psi")});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(PsiCliFiles, MismatchedIntersectInputsAreRefused) {
  struct Case {
    std::string what, key, state, back, theirs, needle;
  };
  const std::string bad_el = [&] {
    std::string s = read_all(p("a.back.psi"));
    std::fill(s.begin() + 40 + 32 * 3, s.begin() + 40 + 32 * 4, '\xff');
    write_all(p("bad_el.back.psi"), s);
    std::string t = read_all(p("b.psi"));
    std::fill(t.begin() + 40 + 32 * 5, t.begin() + 40 + 32 * 6, '\xff');
    write_all(p("bad_el.psi"), t);
    std::string st = read_all(p("a.state"));
    write_all(p("short.state"), st.substr(0, st.size() - 3));
    st[70] = '\x01';  // element count
    write_all(p("count.state"), st);
    write_all(p("short.key"), "0123456789");
    write_all(p("zero.key"), std::string(32, '\0'));
    return std::string();
  }();
  const std::vector<Case> cases = {
      {"wrong key", "b.key", "a.state", "a.back.psi", "b.psi", "--key: refused"},
      {"short key", "short.key", "a.state", "a.back.psi", "b.psi", "--key: a key file holds"},
      {"zero key", "zero.key", "a.state", "a.back.psi", "b.psi", "--key: not a valid"},
      {"state of the other party", "a.key", "b.state", "a.back.psi", "b.psi", "--key: refused"},
      {"truncated state", "a.key", "short.state", "a.back.psi", "b.psi", "--state: refused"},
      {"state count", "a.key", "count.state", "a.back.psi", "b.psi", "--state: refused"},
      {"their back as mine", "a.key", "a.state", "b.back.psi", "b.psi", "--back: refused"},
      {"my blinded list as back", "a.key", "a.state", "a.psi", "b.psi", "--back: refused"},
      {"my own list as theirs", "a.key", "a.state", "a.back.psi", "a.psi", "--theirs: refused"},
      {"a back file as theirs", "a.key", "a.state", "a.back.psi", "b.back.psi",
       "--theirs: refused"},
      {"invalid element in back", "a.key", "a.state", "bad_el.back.psi", "b.psi",
       "--back: refused: element 3: invalid_element"},
      {"invalid element in theirs", "a.key", "a.state", "a.back.psi", "bad_el.psi",
       "--theirs: refused: element 5: invalid_element"},
  };
  for (const Case& c : cases) {
    const RunResult r =
        run({"psi", "intersect", "--key", p(c.key), "--state", p(c.state), "--back", p(c.back),
             "--theirs", p(c.theirs), "--min-size", "1", "-o", p("m.csv")});
    EXPECT_EQ(r.code, 65) << c.what << ": " << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.what << ": " << r.err;
    EXPECT_FALSE(fs::exists(p("m.csv"))) << c.what;
  }
  // A back file of another run of my own blind (another list id) is refused too.
  fs::copy_file(p("a.state"), p("old.state"));
  blind("a", "a.csv", "email=em", "id");  // a new a.psi / a.state, same key
  const RunResult r = run({"psi", "intersect", "--key", p("a.key"), "--state", p("a.state"),
                           "--back", p("a.back.psi"), "--theirs", p("b.psi"), "-o", p("m.csv")});
  EXPECT_EQ(r.code, 65) << r.err;
  EXPECT_NE(r.err.find("--back: refused"), std::string::npos) << r.err;
  const RunResult ok = run({"psi", "intersect", "--key", p("a.key"), "--state", p("old.state"),
                            "--back", p("a.back.psi"), "--theirs", p("b.psi"), "-o", p("m.csv")});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(rows_of(p("m.csv")).size(), 120u);
}

// --theirs-back (my own reblind of their list) gives the same result without re-blinding again,
// and a file that is not that reblind is refused.
TEST_F(PsiCliFiles, TheirsBackIsMyOwnReblindOfTheirs) {
  RunResult r = intersect("a", "b", "plain.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  r = intersect("a", "b", "fast.csv", {"--theirs-back", p("b.back.psi")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_all(p("fast.csv")), read_all(p("plain.csv")));
  EXPECT_EQ(rows_of(p("fast.csv")).size(), 120u);
  ASSERT_EQ(run({"psi", "keygen", "-o", p("c.key")}).code, 0);
  ASSERT_EQ(run({"psi", "reblind", "--key", p("c.key"), p("b.psi"), "-o", p("c.back.psi")}).code,
            0);
  for (const auto& [file, why] :
       {std::pair{"c.back.psi", "made with another key"},
        std::pair{"a.back.psi", "made from another list"}, std::pair{"b.psi", "not re-blinded"}}) {
    r = intersect("a", "b", "m.csv", {"--theirs-back", p(file)});
    EXPECT_EQ(r.code, 65) << why << ": " << r.err;
    EXPECT_NE(r.err.find("--theirs-back: refused"), std::string::npos) << why << ": " << r.err;
    EXPECT_FALSE(fs::exists(p("m.csv"))) << why;
  }
}

TEST_F(PsiCliFiles, ReblindSizeLimits) {
  RunResult r = run(
      {"psi", "reblind", "--key", p("b.key"), "--min-size", "151", p("a.psi"), "-o", p("o.psi")});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_NE(r.err.find("below_threshold"), std::string::npos);
  r = run(
      {"psi", "reblind", "--key", p("b.key"), "--max-size", "149", p("a.psi"), "-o", p("o.psi")});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_FALSE(fs::exists(p("o.psi")));
  r = run({"psi", "reblind", "--key", p("b.key"), "--min-size", "150", "--max-size", "150",
           p("a.psi"), "-o", p("o.psi")});
  EXPECT_EQ(r.code, 0) << r.err;
}

// ---- usage, and hash-file's column options ------------------------------------------------------

TEST_F(PsiCli, UsageErrorsExit64) {
  write_all(p("a.csv"), "id,email,phone\n1,a@example.com,+31612345678\n");
  ASSERT_EQ(run({"psi", "keygen", "-o", p("a.key")}).code, 0);
  const std::string key = p("a.key"), in = p("a.csv"), o = p("o.psi"), st = p("o.state");
  const std::vector<std::vector<std::string>> cases = {
      {"psi"},
      {"psi", "frobnicate"},
      {"psi", "keygen"},
      {"psi", "blind", "--columns", "email=em", "--id-column", "id", in, "-o", o, "--state", st},
      {"psi", "blind", "--key", key, "--columns", "email=em", in, "-o", o, "--state", st},
      {"psi", "blind", "--key", key, "--columns", "email=em", "--id-column", "id", in, "-o", o},
      {"psi", "blind", "--key", key, "--columns", "email=em", "--id-column", "nope", in, "-o", o,
       "--state", st},
      {"psi", "blind", "--key", key, "--columns", "email=em", "--id-column", "email", in, "-o", o,
       "--state", st},
      {"psi", "blind", "--key", key, "--columns", "email=em", "--id-column", "id", in, "-o", o,
       "--state", o},
      {"psi", "blind", "--key", key, "--columns", "email=em", "--id-column", "id", "--algo", "md5",
       in, "-o", o, "--state", st},
      {"psi", "blind", "--key", p("missing.key"), "--columns", "email=em", "--id-column", "id", in,
       "-o", o, "--state", st},
      {"psi", "reblind", "--key", key, "-o", o},
      {"psi", "reblind", "--key", key, "--min-size", "-1", in, "-o", o},
      {"psi", "intersect", "--key", key, "--state", st, "--back", o, "-o", p("m.csv")},
      {"psi", "intersect", "--key", key, "--state", st, "--back", o, "--theirs", o, "--min-size",
       "ten", "-o", p("m.csv")},
  };
  for (const auto& args : cases) {
    const RunResult r = run(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.code, 64) << joined << "\n" << r.err;
    EXPECT_NE(r.err.find("hashgate: "), std::string::npos) << joined;
  }
  const RunResult help = run({"psi", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("intersect --key KEY --state"), std::string::npos) << help.out;
}

// The column options behave exactly as hash-file's: same messages, statuses and summary counts.
TEST_F(PsiCli, ColumnOptionsAreHashFiles) {
  ASSERT_EQ(run({"psi", "keygen", "-o", p("k")}).code, 0);
  std::string csv = "id,email,phone\n";
  for (int n = 0; n < 40; ++n) {
    const std::string email = n % 7 == 3 ? "broken" : (n % 11 == 5 ? "" : email_a(n % 30));
    csv += std::to_string(n) + "," + email + ",+31 6 " + phone_nl(n) + (n == 13 ? "x" : "") + "\n";
  }
  write_all(p("ok.csv"), csv);
  write_all(p("quote.csv"), "id,email\n1,\"a@example.com\n");
  write_all(p("fields.csv"), "id,email\n1,a@example.com,extra\n");
  write_all(p("empty.csv"), "");
  // Strips "hashgate: hash-file" / "hashgate: psi blind" and psi's own closing line.
  auto normalize_err = [](std::string e) {
    for (const std::string from : {"hashgate: hash-file:", "hashgate: psi blind:"}) {
      for (std::size_t at; (at = e.find(from)) != std::string::npos;)
        e.replace(at, from.size(), "S:");
    }
    if (auto at = e.find("S: elements="); at != std::string::npos) e.erase(at);
    return e;
  };
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"ok.csv", {"--columns", "email=em,phone=ph", "--region", "NL"}},
      {"ok.csv", {"--columns", "email=em,phone=ph", "--profile", "google"}},
      {"ok.csv", {"--columns", "email=em,phone=zz"}},
      {"ok.csv", {"--columns", "email"}},
      {"ok.csv", {"--columns", "mail=em"}},
      {"ok.csv", {"--columns", "email=em,email=ph"}},
      {"ok.csv", {"--columns", "email=em", "--profile", "nope"}},
      {"ok.csv", {"--columns", "email=em", "--region", "XX"}},
      {"ok.csv", {"--columns", "email=em", "--threads", "1"}},
      {"quote.csv", {"--columns", "email=em"}},
      {"fields.csv", {"--columns", "email=em"}},
      {"empty.csv", {"--columns", "email=em"}},
      {"missing.csv", {"--columns", "email=em"}},
  };
  for (const auto& [file, opts] : cases) {
    std::vector<std::string> hf{"hash-file"};
    hf.insert(hf.end(), opts.begin(), opts.end());
    hf.insert(hf.end(), {p(file), "-o", p("out.csv")});
    std::vector<std::string> ps{"psi", "blind", "--key", p("k"), "--id-column", "id"};
    ps.insert(ps.end(), opts.begin(), opts.end());
    ps.insert(ps.end(), {p(file), "-o", p("o.psi"), "--state", p("o.state")});
    const RunResult h = run(hf), s = run(ps);
    EXPECT_EQ(s.code, h.code) << file << " " << opts[1] << "\n" << h.err << s.err;
    EXPECT_EQ(normalize_err(s.err), normalize_err(h.err)) << file << " " << opts[1];
  }
}

}  // namespace
