// End-to-end tests: run the real `hashgate` binary (HASHGATE_CLI_PATH) and check its output,
// stderr and exit status. Expected digests were computed independently when the tests were
// written, never with hashgate itself; the command is cited next to each constant.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_all(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

class CliE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hashgate-cli-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { fs::remove_all(m_dir); }

  // Runs hashgate with `args`, feeding `input` on stdin; captures stdout and stderr.
  RunResult run(const std::vector<std::string>& args, std::string_view input = "") {
    fs::path in = m_dir / "stdin", out = m_dir / "stdout", err = m_dir / "stderr";
    write_all(in, input);
    std::vector<char*> argv;
    std::string prog = HASHGATE_CLI_PATH;
    argv.push_back(prog.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
      int i = ::open(in.c_str(), O_RDONLY);
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(i, 0);
      ::dup2(o, 1);
      ::dup2(e, 2);
      ::execv(prog.c_str(), argv.data());
      ::_exit(127);
    }
    RunResult r;
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_all(out);
    r.err = read_all(err);
    return r;
  }

  fs::path path(const std::string& name) const { return m_dir / name; }

  fs::path m_dir;
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

// ---- shared vectors, through every CLI path ----

// One row of ../shared/vectors/normalization.tsv.
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
  EXPECT_EQ(run({"hash-file", "--columns=email=em", "--keep-columns=email", "-", "-o", "-"}, in).code, 64);
  EXPECT_EQ(run({"hash-file", "--columns=email=em", "--keep-columns=city", "--drop-columns=city", "-",
                 "-o", "-"}, in).code, 64);
  EXPECT_EQ(run({"hash-file", "--columns=email=em", "--keep-columns=nope", "-", "-o", "-"}, in).code, 64);
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

}  // namespace
