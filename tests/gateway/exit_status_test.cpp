// hashgate-gateway's exit statuses (docs/configuration.md, "Exit statuses"): the REAL binary is
// started with each kind of bad start-up and must exit with its named status and say why.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// What a finished gateway process left behind.
struct Outcome {
  int status = -1;  ///< exit status, -1 if it did not exit normally
  std::string out, err;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GatewayExit : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hashgate-exit-test-XXXXXX";
    dir = mkdtemp(tmpl);
    write_config(valid_config());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  json valid_config() const {
    return {
        {"listen", {{"address", "127.0.0.1"}, {"port", 0}}},
        {"threads", 1},
        {"store", {{"data_dir", (dir / "var").string()}}},
        {"tenants",
         {{{"id", "demo"}, {"site_keys", {{{"key", "pk_demo"}, {"allowed_origins", {"self"}}}}}}}}};
  }
  void write_config(const json& cfg) { std::ofstream(dir / "gateway.json") << cfg.dump(2); }

  /// Runs hashgate-gateway with `args` (and `env` set) to its end; the binary never gets to
  /// serve in these cases, so waiting for it is waiting for its start-up to fail.
  Outcome run(const std::vector<std::string>& args,
              const std::vector<std::pair<std::string, std::string>>& env = {}) {
    const fs::path out = dir / "stdout.log", err = dir / "stderr.log";
    fs::remove(out);
    fs::remove(err);
    const pid_t pid = fork();
    if (pid == 0) {
      if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(126);
      unsetenv("HASHGATE_PORT");
      unsetenv("HASHGATE_DATA_DIR");
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv{const_cast<char*>("hashgate-gateway")};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(HASHGATE_GATEWAY_BIN, argv.data());
      _exit(127);
    }
    Outcome o;
    int st = 0;
    if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st)) o.status = WEXITSTATUS(st);
    o.out = read_file(out);
    o.err = read_file(err);
    return o;
  }
  std::vector<std::string> with_config(std::vector<std::string> more = {}) const {
    more.insert(more.begin(), {"--config", (dir / "gateway.json").string()});
    return more;
  }

  fs::path dir;
};

TEST_F(GatewayExit, UsageIs64) {
  Outcome none = run({});
  EXPECT_EQ(none.status, 64);
  EXPECT_NE(none.err.find("usage: hashgate-gateway"), std::string::npos) << none.err;

  Outcome unknown = run(with_config({"--frobnicate"}));
  EXPECT_EQ(unknown.status, 64);
  EXPECT_NE(unknown.err.find("unknown argument --frobnicate"), std::string::npos) << unknown.err;

  Outcome help = run({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("usage: hashgate-gateway"), std::string::npos) << help.out;
}

TEST_F(GatewayExit, RefusedConfigIs78AndCheckIs0) {
  Outcome ok = run(with_config({"--check"}));
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.out, "config OK (1 tenants)\n");

  json bad = valid_config();
  bad["listen"]["colour"] = "blue";
  write_config(bad);
  Outcome refused = run(with_config({"--check"}));
  EXPECT_EQ(refused.status, 78);
  EXPECT_NE(refused.err.find("refusing to start: "), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("listen.colour"), std::string::npos) << refused.err;
}

TEST_F(GatewayExit, DataFolderThatCannotBeCreatedIs73) {
  std::ofstream(dir / "a-file") << "not a folder";
  Outcome o = run(with_config(), {{"HASHGATE_DATA_DIR", (dir / "a-file" / "var").string()}});
  EXPECT_EQ(o.status, 73);
  EXPECT_NE(o.err.find("store.data_dir: cannot create"), std::string::npos) << o.err;
}

TEST_F(GatewayExit, PortInUseIs75) {
  // Hold a listening socket on an ephemeral loopback port, then ask the gateway for that port.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  Outcome o = run(with_config(), {{"HASHGATE_PORT", std::to_string(ntohs(a.sin_port))}});
  ::close(fd);
  EXPECT_EQ(o.status, 75);
  EXPECT_NE(o.err.find("refusing to start: "), std::string::npos) << o.err;
}

TEST_F(GatewayExit, PortFileThatCannotBeWrittenIs73) {
  Outcome o = run(with_config({"--port-file", (dir / "no-such-folder" / "port").string()}));
  EXPECT_EQ(o.status, 73);
  EXPECT_NE(o.err.find("cannot write --port-file"), std::string::npos) << o.err;
}

}  // namespace
