#pragma once
// The `hashgate` command-line tool as a library: argument parsing and the normalize, hash and
// hash-file commands. main.cpp is a thin wrapper so tests and fuzz targets can link this.

#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hashgate::cli {

/// Exit statuses (sysexits.h values, so scripts can tell bad data from bad usage).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_usage = 64;  ///< EX_USAGE: unknown option, missing/bad argument
inline constexpr int k_exit_data = 65;   ///< EX_DATAERR: a value could not be hashed, bad CSV
inline constexpr int k_exit_io = 74;     ///< EX_IOERR: cannot read input or write output

/// The streams a command uses; main() passes stdin/stdout/stderr, tests may pass files.
struct Io {
  std::FILE* in = stdin;
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  int in_fd = 0;   ///< descriptor behind `in`, used by hash-file for fast reads
  int err_fd = 2;  ///< descriptor behind `err`, checked with isatty() for progress output
};

/// Runs `hashgate ARGS...`; `args` excludes the program name. Returns the exit status.
int run(std::span<char*> args, const Io& io = {});

/// `hashgate normalize ...`: `args` starts after the subcommand name.
int cmd_normalize(std::span<char*> args, const Io& io);
/// `hashgate hash ...`: `args` starts after the subcommand name.
int cmd_hash(std::span<char*> args, const Io& io);
/// `hashgate hash-file ...`: `args` starts after the subcommand name.
int cmd_hash_file(std::span<char*> args, const Io& io);
/// `hashgate psi keygen|blind|reblind|intersect ...` (psi_command.cpp): `args` starts after "psi".
int cmd_psi(std::span<char*> args, const Io& io);

/// `hashgate tcf ...` (cli/tcf_command.cpp, over the tcf/ library): `argv[0]` is "tcf", argv[1]
/// the subcommand; prints on std::cout / std::cerr. Returns the exit status.
int cmd_tcf(int argc, char** argv);

/// The `--help` text of the tool.
std::string_view usage_text() noexcept;

}  // namespace hashgate::cli
