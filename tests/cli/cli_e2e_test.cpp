// End-to-end tests: run the real `hashgate` binary (HASHGATE_CLI_PATH) and check its output,
// stderr and exit status. Expected digests were computed independently when the tests were
// written, never with hashgate itself; the command is cited next to each constant.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hashgate/hashgate.hpp"
#include "lib/cli_run.hpp"

namespace {

namespace fs = std::filesystem;

// printf '%s' 'test@example.com' | sha256sum
constexpr const char* k_em_sha256_hex =
    "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
// printf '%s' 'test@example.com' | openssl dgst -sha256 -binary | base64
// (= node -e 'crypto.createHash("sha256").update("test@example.com").digest("base64")')
constexpr const char* k_em_sha256_b64 = "lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=";
// printf '%s' 'test@example.com' | sha1sum
constexpr const char* k_em_sha1_hex = "567159d622ffbb50b11b0efd307be358624a26ee";
// printf '%s' 'test@example.com' | md5sum
constexpr const char* k_em_md5_hex = "55502f40dc8b7c769880b10874abc9d0";
// printf '%s' 'test@example.com' | openssl dgst -sha256 -hmac secret
// (= node -e 'crypto.createHmac("sha256","secret").update("test@example.com").digest("hex")')
constexpr const char* k_em_hmac_secret_hex =
    "49e43229ee99dca2565241719b8341b04e71dd4de0628f991b5bea30a526e153";
// printf '%s' '31612345678' | sha256sum   (Meta: E.164 digits without '+')
constexpr const char* k_ph_meta_hex =
    "e03d152bbe638d9fe7a04f9b88a67674bf15b73c0981755c16eb78d177721e03";
// printf '%s' '+31612345678' | sha256sum  (Google/UID2: E.164 with '+')
constexpr const char* k_ph_plus_hex =
    "fab7be8a931d1088a82f6acf9e468aaf6a3accc07d5112ee5d6fca93281e1583";

using hashgate::testing::read_all;
using hashgate::testing::RunResult;
using hashgate::testing::write_all;

class CliE2e : public hashgate::testing::ScratchDirTest {
 protected:
  CliE2e() : ScratchDirTest("hashgate-cli") {}

  // Runs hashgate with `args`, feeding `input` on stdin; captures stdout and stderr.
  RunResult run(const std::vector<std::string>& args, std::string_view input = "") {
    write_all(m_dir / "stdin", input);
    return hashgate::testing::run_program(HASHGATE_CLI_PATH, args, m_dir / "stdin", m_dir);
  }

  fs::path path(const std::string& name) const { return m_dir / name; }
};

// ---- hash / normalize ----

TEST_F(CliE2e, HashEmailMetaDefaultsToHex) {
  auto r = run({"hash", "--field", "em", "--", "  Test@Example.COM "});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(k_em_sha256_hex) + "\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(CliE2e, ProfileDefaultsToMetaAndAcceptsEqualsForm) {
  auto r = run({"hash", "--field=em", "--profile=meta", "--", "test@example.com"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(k_em_sha256_hex) + "\n");
}

TEST_F(CliE2e, Uid2DefaultsToBase64AndHonoursEncoding) {
  auto r = run({"hash", "--profile", "uid2", "--field", "em", "--", "test@example.com"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(k_em_sha256_b64) + "\n");
  auto h = run({"hash", "--profile", "euid", "--field", "em", "--encoding", "hex", "--",
                "test@example.com"});
  EXPECT_EQ(h.code, 0) << h.err;
  EXPECT_EQ(h.out, std::string(k_em_sha256_hex) + "\n");
  auto b = run({"hash", "--field", "em", "--encoding=base64", "--", "test@example.com"});
  EXPECT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(b.out, std::string(k_em_sha256_b64) + "\n");
}

TEST_F(CliE2e, PhoneFormsPerProfile) {
  auto meta = run({"hash", "--field", "ph", "--", "+31 6 12345678", "0031612345678"});
  EXPECT_EQ(meta.code, 0) << meta.err;
  EXPECT_EQ(meta.out, std::string(k_ph_meta_hex) + "\n" + k_ph_meta_hex + "\n");
  auto region = run({"hash", "--field", "ph", "--region", "nl", "--", "06 12345678"});
  EXPECT_EQ(region.code, 0) << region.err;
  EXPECT_EQ(region.out, std::string(k_ph_meta_hex) + "\n");
  auto google = run({"hash", "--profile", "google", "--field", "ph", "--", "+31 6 12345678"});
  EXPECT_EQ(google.code, 0) << google.err;
  EXPECT_EQ(google.out, std::string(k_ph_plus_hex) + "\n");
}

TEST_F(CliE2e, LiverampSha1AndMd5) {
  auto s1 = run({"hash", "--profile", "liveramp", "--field", "em", "--algo", "sha1", "--",
                 "Test@Example.com"});
  EXPECT_EQ(s1.code, 0) << s1.err;
  EXPECT_EQ(s1.out, std::string(k_em_sha1_hex) + "\n");
  auto m5 = run(
      {"hash", "--profile", "liveramp", "--field", "em", "--algo=md5", "--", "test@example.com"});
  EXPECT_EQ(m5.code, 0) << m5.err;
  EXPECT_EQ(m5.out, std::string(k_em_md5_hex) + "\n");
}

TEST_F(CliE2e, HmacWithKeyFile) {
  write_all(path("key"), "secret\n");  // one trailing newline is not part of the key
  auto r = run({"hash", "--field", "em", "--algo", "hmac-sha256", "--key-file",
                path("key").string(), "--", "test@example.com"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(k_em_hmac_secret_hex) + "\n");
  EXPECT_EQ(run({"hash", "--field", "em", "--algo", "hmac-sha256", "--", "test@example.com"}).code,
            64);
  EXPECT_EQ(run({"hash", "--field", "em", "--algo", "hmac-sha256", "--key-file",
                 path("missing").string(), "--", "test@example.com"})
                .code,
            64);
  write_all(path("empty"), "");
  EXPECT_EQ(run({"hash", "--field", "em", "--algo", "hmac-sha256", "--key-file",
                 path("empty").string(), "--", "test@example.com"})
                .code,
            64);
  EXPECT_EQ(
      run({"hash", "--field", "em", "--key-file", path("key").string(), "--", "test@example.com"})
          .code,
      64);
}

TEST_F(CliE2e, StdinModeStripsCrAndKeepsLinesAligned) {
  auto r = run({"hash", "--field", "em", "--", "-"},
               "Test@Example.com\r\nnot-an-email\ntest@example.com\n");
  EXPECT_EQ(r.code, 65);
  EXPECT_EQ(r.out, std::string(k_em_sha256_hex) + "\n\n" + k_em_sha256_hex + "\n");
  EXPECT_NE(r.err.find("em: invalid_email (value 2)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not-an-email"), std::string::npos);
  auto plain = run({"hash", "--field", "em", "-"}, "test@example.com");
  EXPECT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(plain.out, std::string(k_em_sha256_hex) + "\n");
}

TEST_F(CliE2e, NormalizePrintsPlatformString) {
  auto r = run({"normalize", "--field", "em", "--", " Test@Example.COM "});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "test@example.com\n");
  auto ph = run(
      {"normalize", "--profile", "google", "--field", "ph", "--region", "NL", "--", "06 12345678"});
  EXPECT_EQ(ph.code, 0) << ph.err;
  EXPECT_EQ(ph.out, "+31612345678\n");
}

TEST_F(CliE2e, UsageErrorsExit64) {
  EXPECT_EQ(run({}).code, 64);
  EXPECT_EQ(run({"frobnicate"}).code, 64);
  EXPECT_EQ(run({"hash", "--", "test@example.com"}).code, 64);  // missing --field
  EXPECT_EQ(run({"hash", "--field", "em", "--bogus", "--", "test@example.com"}).code, 64);
  EXPECT_EQ(run({"hash", "--field", "zz", "--", "test@example.com"}).code, 64);
  EXPECT_EQ(run({"hash", "--field", "em", "--profile", "nope", "--", "test@example.com"}).code, 64);
  EXPECT_EQ(run({"hash", "--field", "em", "--algo", "sha512", "--", "test@example.com"}).code, 64);
  EXPECT_EQ(run({"hash", "--field", "em", "--encoding", "base32", "--", "test@example.com"}).code,
            64);
  EXPECT_EQ(run({"hash", "--field", "ph", "--region", "XX", "--", "0612345678"}).code, 64);
  EXPECT_EQ(run({"hash", "--field", "em"}).code, 64);  // no values
  EXPECT_EQ(run({"hash", "--field"}).code, 64);        // option without argument
  EXPECT_EQ(run({"normalize", "--field", "em", "--algo", "md5", "--", "a@b.co"}).code, 64);
  EXPECT_EQ(run({"hash", "--field", "em", "--algo", "sha1", "--", "a@b.co"}).code,
            64);  // not for meta
  auto r = run({"hash", "--field", "em", "--bogus"});
  EXPECT_NE(r.err.find("--bogus"), std::string::npos);
  EXPECT_EQ(r.out, "");
}

TEST_F(CliE2e, HelpAndVersion) {
  auto h = run({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("hash-file"), std::string::npos);
  auto v = run({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out.rfind("hashgate ", 0), 0u);
}

TEST_F(CliE2e, StderrNeverContainsRawValues) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"em", "john.doe@@example.com"},
      {"em", "jane.roe-at-example.org"},
      {"em", "bad\xff\xfeutf8@example.com"},
      {"ph", "call me 555 0199 maybe"},
      {"ph", "+31 6"},
      {"db", "31st of Smarch 1999"},
      {"country", "Atlantisland"}};
  for (const auto& [field, value] : bad) {
    auto r = run({"hash", "--field", field, "--", value});
    EXPECT_EQ(r.code, 65) << field;
    EXPECT_NE(r.err.find(field + ": "), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(value), std::string::npos) << field;
    EXPECT_EQ(r.out, "\n");
    auto s = run({"hash", "--field", field, "-"}, value + "\n");
    EXPECT_EQ(s.code, 65) << field;
    EXPECT_EQ(s.err.find(value), std::string::npos) << field;
    // No fragment of the value either (e.g. the local part of an e-mail).
    EXPECT_EQ(s.err.find(value.substr(0, 6)), std::string::npos) << field;
  }
}

// ---- official vectors, through every CLI path ----

// One row of tests/vectors/normalization.tsv.
struct VectorRow {
  std::string profile, field, region, algo, input, normalized, expected, encoding;
};

std::vector<VectorRow> load_vectors() {
  std::ifstream f(std::string(HASHGATE_VECTORS_DIR) + "/normalization.tsv");
  std::vector<VectorRow> rows;
  std::string line;
  bool header = true;
  while (std::getline(f, line)) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> c;
    std::size_t start = 0;
    for (;;) {
      std::size_t tab = line.find('\t', start);
      c.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (c.size() < 8) continue;
    rows.push_back(VectorRow{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]});
  }
  return rows;
}

TEST_F(CliE2e, SharedNormalizationVectorsThroughNormalizeHashAndHashFile) {
  auto rows = load_vectors();
  ASSERT_GE(rows.size(), 20u) << "cannot read " << HASHGATE_VECTORS_DIR << "/normalization.tsv";
  for (const auto& v : rows) {
    std::vector<std::string> common = {"--profile", v.profile, "--field", v.field};
    if (!v.region.empty()) {
      common.push_back("--region");
      common.push_back(v.region);
    }
    const bool error = v.normalized == "ERROR";
    auto norm_args = common;
    norm_args.insert(norm_args.begin(), "normalize");
    norm_args.push_back("--");
    norm_args.push_back(v.input);
    auto n = run(norm_args);
    auto hash_args = common;
    hash_args.insert(hash_args.begin(), "hash");
    hash_args.insert(hash_args.end(), {"--algo", v.algo, "--encoding", v.encoding, "-"});
    auto h = run(hash_args, v.input + "\n");
    std::string quoted = "\"";
    for (char c : v.input) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    auto file_args = std::vector<std::string>{"hash-file", "--profile",        v.profile,
                                              "--columns", "value=" + v.field, "--algo",
                                              v.algo,      "--encoding",       v.encoding};
    if (!v.region.empty()) file_args.push_back("--region=" + v.region);
    file_args.push_back("-");
    file_args.push_back("-o");
    file_args.push_back("-");
    auto f = run(file_args, "value\r\n" + quoted + "\r\n");
    const std::string what = v.profile + "/" + v.field + " row with normalized " + v.normalized;
    if (error) {
      EXPECT_EQ(n.code, 65) << what;
      EXPECT_EQ(h.code, 65) << what;
      EXPECT_EQ(h.out, "\n") << what;
      EXPECT_EQ(f.code, 0) << what;
      EXPECT_EQ(f.out, "value_" + v.algo + "\r\n\r\n") << what;
      EXPECT_NE(f.err.find("invalid=1"), std::string::npos) << what;
      for (const auto* r : {&n, &h, &f}) EXPECT_EQ(r->err.find(v.input), std::string::npos) << what;
    } else {
      EXPECT_EQ(n.code, 0) << what << n.err;
      EXPECT_EQ(n.out, v.normalized + "\n") << what;
      EXPECT_EQ(h.code, 0) << what << h.err;
      EXPECT_EQ(h.out, v.expected + "\n") << what;
      EXPECT_EQ(f.code, 0) << what << f.err;
      EXPECT_EQ(f.out, "value_" + v.algo + "\r\n" + v.expected + "\r\n") << what;
    }
  }
}

// ---- hash-file ----

constexpr const char* k_crm_csv =
    "\xEF\xBB\xBF"
    "id,email,phone,name\r\n"
    "1,\"Test@Example.com \",+31 6 12345678,\"Doe, Jane\"\r\n"
    "2,not-an-email,,Karel Appel\r\n"
    "3,test@example.com,0031612345678,\"Multi\r\nLine \"\"Quoted\"\"\"\r\n"
    "4,,,Nobody\r\n"
    "5,\"test@example.com\",+31612345678,Repeat Person\r\n";

TEST_F(CliE2e, HashFileRoundTrip) {
  write_all(path("in.csv"), k_crm_csv);
  auto r = run({"hash-file", "--profile", "meta", "--columns", "email=em,phone=ph",
                "--keep-columns", "id", "--drop-columns", "name", path("in.csv").string(), "-o",
                path("out.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string out = read_all(path("out.csv"));
  std::string h = k_em_sha256_hex, p = k_ph_meta_hex;
  EXPECT_EQ(out,
            "\xEF\xBB\xBF"
            "id,email_sha256,phone_sha256\r\n"
            "1," +
                h + "," + p +
                "\r\n"
                "2,,\r\n"
                "3," +
                h + "," + p +
                "\r\n"
                "4,,\r\n"
                "5," +
                h + "," + p + "\r\n");
  for (const char* raw : {"Test@Example", "test@example", "not-an-email", "12345678", "Jane",
                          "Karel", "Multi", "Repeat"}) {
    EXPECT_EQ(out.find(raw), std::string::npos) << raw;
    EXPECT_EQ(r.err.find(raw), std::string::npos) << raw;
  }
  EXPECT_NE(r.err.find("rows=5 hashed=6 invalid=1 empty=3 duplicates=2"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("column email (em): hashed=3 invalid=1 empty=1"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("column phone (ph): hashed=3 invalid=0 empty=2"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("line 3: column email (em): invalid_email"), std::string::npos) << r.err;
  // No temporary file is left next to the output.
  for (const auto& e : fs::directory_iterator(m_dir)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos);
  }
}

TEST_F(CliE2e, HashFileDropsOtherColumnsUnlessKeptAndUsesStdio) {
  // By default a column that is not hashed never reaches the output: it may hold personal data.
  const std::string in = "email,name,city\nTest@example.com,Jane Doe,\"Amsterdam, NL\"\n";
  auto r = run({"hash-file", "--columns=email=em", "-", "-o", "-"}, in);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("email_sha256\n") + k_em_sha256_hex + "\n");
  EXPECT_NE(r.err.find("rows=1 hashed=1 invalid=0 empty=0 duplicates=0"), std::string::npos)
      << r.err;
  // --keep-columns passes the listed columns through, in input order.
  r = run({"hash-file", "--columns=email=em", "--keep-columns=city", "-", "-o", "-"}, in);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("email_sha256,city\n") + k_em_sha256_hex + ",\"Amsterdam, NL\"\n");
  EXPECT_EQ(r.out.find("Jane"), std::string::npos);
  // A column cannot be both hashed and kept, nor kept and dropped; unknown names are usage errors.
  EXPECT_EQ(
      run({"hash-file", "--columns=email=em", "--keep-columns=email", "-", "-o", "-"}, in).code,
      64);
  EXPECT_EQ(run({"hash-file", "--columns=email=em", "--keep-columns=city", "--drop-columns=city",
                 "-", "-o", "-"},
                in)
                .code,
            64);
  EXPECT_EQ(
      run({"hash-file", "--columns=email=em", "--keep-columns=nope", "-", "-o", "-"}, in).code, 64);
}

TEST_F(CliE2e, HashFileUid2AndHmacHeaders) {
  auto r = run({"hash-file", "--profile", "uid2", "--columns", "e=em", "-", "-o", "-"},
               "e\ntest@example.com\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("e_sha256\n") + k_em_sha256_b64 + "\n");
  write_all(path("key"), "secret");
  auto m = run({"hash-file", "--algo", "hmac-sha256", "--key-file", path("key").string(),
                "--columns", "e=em", "-", "-o", "-"},
               "e\ntest@example.com\n");
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_EQ(m.out, std::string("e_hmac_sha256\n") + k_em_hmac_secret_hex + "\n");
}

TEST_F(CliE2e, HashFileCountsDuplicatesAcrossManyReads) {
  // 3000 rows (well over one 64 KiB read) cycling through 1000 distinct addresses, half of them
  // upper-cased: by construction 1000 unique rows and 2000 duplicates after normalization.
  std::string csv = "id,email,note\n";
  for (int i = 0; i < 3000; ++i) {
    std::string em = "user" + std::to_string(i % 1000) + "@example.com";
    if (i % 2 == 1) {
      for (char& c : em) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    csv += std::to_string(i) + ",\"" + em + "\",\"padding, padding, padding, padding\"\n";
  }
  write_all(path("dups.csv"), csv);
  auto r = run({"hash-file", "--columns", "email=em", "--keep-columns", "id,note",
                path("dups.csv").string(), "-o", path("o.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("rows=3000 hashed=3000 invalid=0 empty=0 duplicates=2000"),
            std::string::npos)
      << r.err;
  std::string out = read_all(path("o.csv"));
  EXPECT_EQ(out.find("@example.com"), std::string::npos);
  EXPECT_EQ(out.find("EXAMPLE"), std::string::npos);
  // Every hashed cell is 64 hex chars: 3001 lines, and the fixed column survives quoting.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3001);
  EXPECT_NE(out.find(",\"padding, padding, padding, padding\"\n"), std::string::npos);
}

TEST_F(CliE2e, HashFileRegionAppliesToPhones) {
  auto r = run({"hash-file", "--region=NL", "--columns", "tel=ph", "-", "-o", "-"},
               "tel\n06 12345678\n");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("tel_sha256\n") + k_ph_meta_hex + "\n");
}

TEST_F(CliE2e, HashFileMalformedCsvLeavesNoFile) {
  write_all(path("out.csv"), "previous");
  write_all(path("bad.csv"),
            "email,name\ntest@example.com,ok\n\"secret@example.com,unterminated\n");
  auto r = run({"hash-file", "--columns", "email=em", path("bad.csv").string(), "-o",
                path("out.csv").string()});
  EXPECT_EQ(r.code, 65);
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unterminated_quote"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("secret"), std::string::npos);
  EXPECT_EQ(read_all(path("out.csv")), "previous");
  write_all(path("ragged.csv"), "email,name\ntest@example.com\n");
  auto g = run({"hash-file", "--columns", "email=em", path("ragged.csv").string(), "-o",
                path("out2.csv").string()});
  EXPECT_EQ(g.code, 65);
  EXPECT_NE(g.err.find("line 2"), std::string::npos) << g.err;
  EXPECT_FALSE(fs::exists(path("out2.csv")));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(m_dir)) ++entries;
  EXPECT_EQ(entries, 6);  // stdin, stdout, stderr, out.csv, bad.csv, ragged.csv: no temp files
}

TEST_F(CliE2e, HashFileUsageErrors) {
  write_all(path("in.csv"), "email,phone\na@b.co,1\n");
  const std::string in = path("in.csv").string(), out = path("out.csv").string();
  EXPECT_EQ(run({"hash-file", in, "-o", out}).code, 64);                           // no --columns
  EXPECT_EQ(run({"hash-file", "--columns", "email=em", in}).code, 64);             // no -o
  EXPECT_EQ(run({"hash-file", "--columns", "mail=em", in, "-o", out}).code, 64);   // not in header
  EXPECT_EQ(run({"hash-file", "--columns", "email=xx", in, "-o", out}).code, 64);  // bad field
  EXPECT_EQ(run({"hash-file", "--columns", "email", in, "-o", out}).code, 64);     // no =FIELD
  EXPECT_EQ(
      run({"hash-file", "--columns", "email=em", "--drop-columns", "email", in, "-o", out}).code,
      64);
  EXPECT_EQ(
      run({"hash-file", "--columns", "email=em", "--drop-columns", "nope", in, "-o", out}).code,
      64);
  EXPECT_EQ(run({"hash-file", "--columns", "email=em", path("none.csv").string(), "-o", out}).code,
            64);
  EXPECT_EQ(run({"hash-file", "--columns", "email=em", "--profile", "x", in, "-o", out}).code, 64);
  EXPECT_FALSE(fs::exists(path("out.csv")));
  EXPECT_EQ(run({"hash-file", "--columns", "email=em", "-", "-o", out}, "").code, 65);  // no header
  // An algorithm the profile does not allow is a usage error, found at the first value; nothing
  // is written, not even the header.
  auto algo = run({"hash-file", "--columns", "email=em", "--algo", "sha1", in, "-o", "-"});
  EXPECT_EQ(algo.code, 64);
  EXPECT_EQ(algo.out, "");
  EXPECT_NE(algo.err.find("unsupported_algo"), std::string::npos) << algo.err;
}

// ---- hash-file over many chunks (the threaded pipeline) against a row-by-row model ----

// One generated input row: its fields and the input line where it starts.
struct ModelRow {
  std::vector<std::string> fields;
  std::size_t line = 0;
};

// A CSV export of `n` rows (id,email,phone,note) with CRLF line ends: invalid e-mails and
// phones scattered (far more than 10), blank cells, (e-mail, phone) pairs repeating every 7,000
// rows (so duplicates fall across chunk boundaries), and every 50th note quoted with an embedded
// newline, a comma and doubled quotes. With `phones_from` > 0, phones are blank before that row.
std::vector<ModelRow> make_rows(std::size_t n, std::size_t phones_from = 0) {
  std::vector<ModelRow> rows;
  std::size_t line = 2;  // the header is line 1
  for (std::size_t i = 0; i < n; ++i) {
    ModelRow r;
    r.line = line;
    std::string em = "User" + std::to_string(i % 7000) + "@Example.com";
    if (i % 3 == 1) em = "  " + em + " ";
    if (i % 613 == 5) em = "not-an-email-" + std::to_string(i);
    if (i % 13 == 0) em = (i % 2 == 0) ? "" : "   ";
    std::string digits = std::to_string(10000000 + i % 3500);
    std::string ph = "+31 6 " + digits.substr(0, 4) + " " + digits.substr(4);
    if (i % 11 == 0) ph = "";
    if (i % 1499 == 7) ph = "+31 6 12AB";
    if (i < phones_from) ph = "";
    std::string note = "n" + std::to_string(i);
    if (i % 50 == 3) {
      note = "first\nsecond, \"quoted\" " + std::to_string(i);
      ++line;  // the embedded newline
    }
    ++line;
    r.fields = {std::to_string(i), em, ph, note};
    rows.push_back(std::move(r));
  }
  return rows;
}

// Independent CSV encoding of one field (RFC 4180: quote if it holds , " CR or LF).
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string to_csv(const std::vector<ModelRow>& rows) {
  std::string csv = "id,email,phone,note\r\n";
  for (const ModelRow& r : rows) {
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      if (i > 0) csv += ',';
      csv += csv_field(r.fields[i]);
    }
    csv += "\r\n";
  }
  return csv;
}

struct Expected {
  int code = 0;
  std::string out;  // the whole output file (up to the stopping row when code != 0)
  std::string err;
};

// What `hash-file --columns email=em,phone=ph --keep-columns id,note` must produce, computed
// row by row with the SDK's single-value hash() (not the CLI's pipeline).
// With `progress`, stderr is a terminal: "\r... N rows" after every 100,000th row, then a newline.
Expected model(const std::vector<ModelRow>& rows, const hashgate::Profile& prof,
               const hashgate::Options& opt = {}, bool progress = false) {
  Expected x;
  x.out = "id,email_" + std::string(hashgate::algo_name(opt.algo)) + ",phone_" +
          std::string(hashgate::algo_name(opt.algo)) + ",note\r\n";
  const std::pair<const char*, hashgate::Field> cols[] = {{"email", hashgate::Field::em},
                                                          {"phone", hashgate::Field::ph}};
  std::size_t hashed[2] = {}, invalid[2] = {}, empty[2] = {}, reported = 0, dups = 0;
  std::set<std::pair<std::string, std::string>> seen;
  for (const ModelRow& r : rows) {
    std::string d[2];
    for (int k = 0; k < 2; ++k) {
      const std::string& v = r.fields[1 + k];
      if (v.find_first_not_of(" ") == std::string::npos) {
        ++empty[k];
        continue;
      }
      auto h = hashgate::hash(cols[k].second, v, prof, opt);
      if (h.ok()) {
        d[k] = h.value();
        ++hashed[k];
        continue;
      }
      const std::string what = std::string("column ") + cols[k].first + " (" +
                               std::string(hashgate::field_name(cols[k].second)) +
                               "): " + std::string(hashgate::code_name(h.error()));
      if (h.error() == hashgate::Errc::unsupported_algo) {
        x.err += "hashgate: --columns: " + what.substr(7) + "\n";
        x.code = 64;
        return x;
      }
      ++invalid[k];
      if (reported < 10) {
        x.err += "hashgate: line " + std::to_string(r.line) + ": " + what + "\n";
      } else if (reported == 10) {
        x.err += "hashgate: further invalid values are only counted in the summary\n";
      }
      ++reported;
    }
    if ((!d[0].empty() || !d[1].empty()) && !seen.insert({d[0], d[1]}).second) ++dups;
    x.out += r.fields[0] + "," + d[0] + "," + d[1] + "," + csv_field(r.fields[3]) + "\r\n";
    const std::size_t done = static_cast<std::size_t>(&r - rows.data()) + 1;
    if (progress && done % 100000 == 0) {
      x.err += "\rhashgate: hash-file: " + std::to_string(done) + " rows";
    }
  }
  if (progress && rows.size() >= 100000) x.err += "\n";
  x.err += "hashgate: hash-file: rows=" + std::to_string(rows.size()) +
           " hashed=" + std::to_string(hashed[0] + hashed[1]) +
           " invalid=" + std::to_string(invalid[0] + invalid[1]) +
           " empty=" + std::to_string(empty[0] + empty[1]) + " duplicates=" + std::to_string(dups) +
           "\n";
  for (int k = 0; k < 2; ++k) {
    x.err += std::string("hashgate: hash-file: column ") + cols[k].first + " (" +
             std::string(hashgate::field_name(cols[k].second)) +
             "): hashed=" + std::to_string(hashed[k]) + " invalid=" + std::to_string(invalid[k]) +
             " empty=" + std::to_string(empty[k]) + "\n";
  }
  return x;  // status 0: invalid values are reported and counted, not fatal
}

// Names of the files in `dir` (to find leftovers such as temporary outputs).
std::vector<std::string> file_names(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

const std::vector<std::string> k_pipeline_args = {"hash-file", "--columns", "email=em,phone=ph",
                                                  "--keep-columns", "id,note"};

std::vector<std::string> with(std::vector<std::string> args,
                              std::initializer_list<std::string> more) {
  args.insert(args.end(), more);
  return args;
}

TEST_F(CliE2e, HashFileManyChunksMatchRowByRowModelAtEveryThreadCount) {
  const auto rows = make_rows(25000);
  write_all(path("big.csv"), to_csv(rows));
  const Expected x = model(rows, *hashgate::profile_by_name("meta"));
  // The model itself must exercise what the pipeline has to get right.
  ASSERT_NE(x.err.find("further invalid values"), std::string::npos);
  ASSERT_EQ(x.err.find("duplicates=0"), std::string::npos);
  ASSERT_NE(x.out.find("\"first\nsecond, \"\"quoted\"\" 24953\"\r\n"), std::string::npos);
  for (const char* threads : {"1", "2", "3", "8"}) {
    fs::remove(path("out.csv"));
    auto r = run(with(k_pipeline_args, {"--threads", threads, path("big.csv").string(), "-o",
                                        path("out.csv").string()}));
    EXPECT_EQ(r.code, 0) << "threads " << threads << ": " << r.err;
    EXPECT_EQ(r.err, x.err) << "threads " << threads;
    EXPECT_TRUE(read_all(path("out.csv")) == x.out) << "threads " << threads;
  }
  // The default thread count, through stdin and stdout.
  auto r = run(with(k_pipeline_args, {"-", "-o", "-"}), to_csv(rows));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, x.err);
  EXPECT_TRUE(r.out == x.out);
  EXPECT_EQ(file_names(m_dir),
            (std::vector<std::string>{"big.csv", "out.csv", "stderr", "stdin", "stdout"}));
}

TEST_F(CliE2e, HashFileLateMalformedRecordComesAfterEarlierMessagesAndLeavesNoFile) {
  const auto rows = make_rows(20000);
  const Expected x = model(rows, *hashgate::profile_by_name("meta"));
  const std::size_t last_line =
      rows.back().line + (rows.back().fields[3].find('\n') != std::string::npos ? 2 : 1);
  const std::string body = to_csv(rows);
  // The summary is never printed for a failed run: keep the messages before it.
  const std::string reported = x.err.substr(0, x.err.find("hashgate: hash-file: rows="));
  struct Case {
    std::string tail;
    std::string message;
  };
  const Case cases[] = {
      {"20000,\"late@example.com,+31 6 1,n\r\n1,a@b.co,,never reported\r\n",
       "line " + std::to_string(last_line) + ": malformed CSV: unterminated_quote"},
      {"20000,\"late@example.com\"x,,n\r\n",
       "line " + std::to_string(last_line) + ": malformed CSV: invalid_quote"},
      {"20000,late@example.com\r\nnot-an-email,,,\r\n",
       "line " + std::to_string(last_line) + ": malformed CSV: expected 4 fields, found 2"},
  };
  for (const Case& c : cases) {
    write_all(path("late.csv"), body + c.tail);
    for (const char* threads : {"1", "2"}) {
      auto r = run(with(k_pipeline_args, {"--threads", threads, path("late.csv").string(), "-o",
                                          path("out.csv").string()}));
      EXPECT_EQ(r.code, 65) << r.err;
      EXPECT_EQ(r.err, reported + "hashgate: " + c.message + "\n") << "threads " << threads;
      EXPECT_EQ(file_names(m_dir),
                (std::vector<std::string>{"late.csv", "stderr", "stdin", "stdout"}));
      // On stdout the rows before the bad record may have been written, never more.
      auto s = run(with(k_pipeline_args, {"--threads", threads, "-", "-o", "-"}), body + c.tail);
      EXPECT_EQ(s.code, 65);
      EXPECT_EQ(s.err, r.err);
      EXPECT_TRUE(x.out.compare(0, s.out.size(), s.out) == 0);
    }
  }
}

TEST_F(CliE2e, HashFileLateUsageErrorStopsAfterEarlierMessages) {
  // LiveRamp allows md5 e-mails but not md5 phones; phones start at row 9,000 (third chunk), so
  // the run stops there, after the invalid e-mails of the rows before.
  const auto rows = make_rows(20000, 9000);
  hashgate::Options opt;
  opt.algo = hashgate::Algo::md5;
  const Expected x = model(rows, *hashgate::profile_by_name("liveramp"), opt);
  ASSERT_EQ(x.code, 64);
  ASSERT_NE(x.err.find("further invalid values"), std::string::npos);
  write_all(path("in.csv"), to_csv(rows));
  for (const char* threads : {"1", "2"}) {
    auto r =
        run(with(k_pipeline_args, {"--profile", "liveramp", "--algo", "md5", "--threads", threads,
                                   path("in.csv").string(), "-o", path("out.csv").string()}));
    EXPECT_EQ(r.code, 64);
    EXPECT_EQ(r.err, x.err) << "threads " << threads;
    EXPECT_EQ(file_names(m_dir), (std::vector<std::string>{"in.csv", "stderr", "stdin", "stdout"}));
    auto s = run(with(k_pipeline_args, {"--profile", "liveramp", "--algo", "md5", "--threads",
                                        threads, "-", "-o", "-"}),
                 to_csv(rows));
    EXPECT_EQ(s.code, 64);
    EXPECT_EQ(s.err, x.err);
    EXPECT_LT(s.out.size(), x.out.size());
    EXPECT_TRUE(x.out.compare(0, s.out.size(), s.out) == 0);
  }
}

TEST_F(CliE2e, HashFileProgressOnATerminalKeepsItsPlaceAmongMessages) {
  // 200,000 rows: the progress lines at 100,000 and 200,000 must sit between the invalid-value
  // messages of the rows before and after them, exactly as a single thread would print them.
  auto rows = make_rows(200000);
  // Invalid e-mails only around the progress points (row 100,000 is index 99,999), and the
  // 11th one (the "further invalid values" notice) between the two.
  const std::set<std::size_t> bad = {99997,  99998,  99999,  100000, 100001, 150000,
                                     150001, 150002, 150003, 150004, 150005, 199999};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string& em = rows[i].fields[1];
    if (bad.count(i) != 0) {
      em = "invalid-" + std::to_string(i);
    } else if (em.rfind("not-an-email", 0) == 0) {
      em = "valid" + std::to_string(i) + "@example.com";
    }
    if (rows[i].fields[2] == "+31 6 12AB") rows[i].fields[2].clear();
  }
  write_all(path("big.csv"), to_csv(rows));
  const Expected x = model(rows, *hashgate::profile_by_name("meta"), {}, true);
  const std::size_t at_100k = x.err.find("\rhashgate: hash-file: 100000 rows");
  ASSERT_NE(at_100k, std::string::npos);
  ASSERT_NE(x.err.find("line " + std::to_string(rows[99999].line) + ":"), std::string::npos);
  ASSERT_LT(x.err.find("line " + std::to_string(rows[99999].line) + ":"), at_100k);
  ASSERT_GT(x.err.find("line " + std::to_string(rows[100000].line) + ":"), at_100k);
  ASSERT_GT(x.err.find("further invalid"), at_100k);
  ASSERT_LT(x.err.find("further invalid"), x.err.find("200000 rows"));
  for (const char* threads : {"1", "2"}) {
    int master = -1;
    int slave = -1;
    ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
    termios raw{};
    ASSERT_EQ(::tcgetattr(slave, &raw), 0);
    ::cfmakeraw(&raw);  // no "\n" -> "\r\n" translation
    ASSERT_EQ(::tcsetattr(slave, TCSANOW, &raw), 0);
    std::vector<std::string> args =
        with(k_pipeline_args,
             {"--threads", threads, path("big.csv").string(), "-o", path("out.csv").string()});
    std::string prog = HASHGATE_CLI_PATH;
    std::vector<char*> argv{prog.data()};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(slave, 2);
      ::close(master);
      ::execv(prog.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(slave);
    std::string err;
    char buf[4096];
    for (;;) {  // until the child closes the terminal (EIO)
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      err.append(buf, static_cast<std::size_t>(n));
    }
    ::close(master);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err;
    EXPECT_EQ(err, x.err) << "threads " << threads;
    EXPECT_TRUE(read_all(path("out.csv")) == x.out) << "threads " << threads;
  }
}

TEST_F(CliE2e, HashFileThreadsOptionIsChecked) {
  write_all(path("in.csv"), "email\na@b.co\n");
  for (const char* bad : {"0", "65", "two", "", "2x", "-1"}) {
    auto r = run({"hash-file", "--columns", "email=em", "--threads", bad, path("in.csv").string(),
                  "-o", "-"});
    EXPECT_EQ(r.code, 64) << bad;
    EXPECT_EQ(r.err, "hashgate: --threads: expected a number from 1 to 64\n") << bad;
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
