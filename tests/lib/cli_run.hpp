// Shared by the suites that run the real `hashgate` binary end to end (tests/cli, tests/psi):
// a scratch folder per test, whole-file reads and writes, and one way to run the binary with a
// file on stdin and stdout/stderr captured.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace hashgate::testing {

namespace fs = std::filesystem;

struct RunResult {
  int code = -1;  ///< the exit status, or -1 when the process did not exit normally
  std::string out;
  std::string err;
};

inline std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_all(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

/// Runs `prog args…` with `stdin_path` as standard input; stdout and stderr go to files in
/// `scratch` and are returned with the exit status.
inline RunResult run_program(const std::string& prog, const std::vector<std::string>& args,
                             const fs::path& stdin_path, const fs::path& scratch) {
  const fs::path out = scratch / "stdout", err = scratch / "stderr";
  std::vector<std::string> copy = args;
  std::string argv0 = prog;
  std::vector<char*> argv{argv0.data()};
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int i = ::open(stdin_path.c_str(), O_RDONLY);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(i, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execv(argv0.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_all(out);
  r.err = read_all(err);
  return r;
}

/// A test with its own scratch folder under the system's temporary folder, removed afterwards.
class ScratchDirTest : public ::testing::Test {
 protected:
  explicit ScratchDirTest(std::string prefix) : m_prefix(std::move(prefix)) {}
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / (m_prefix + "-XXXXXX")).string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { fs::remove_all(m_dir); }

  std::string m_prefix;
  fs::path m_dir;
};

}  // namespace hashgate::testing
