#pragma once
// The command-line options that normalize, hash and hash-file share (and psi blind reuses through
// hash_file.hpp): parsing `--opt value` / `--opt=value`, resolving profile, region, algorithm,
// encoding and HMAC key into SDK types, and the one way the tool prints an error.

#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "hashgate/hashgate.hpp"

namespace hashgate::cli {

/// Prints "hashgate: " + the parts + newline on io.err. Callers never pass a raw value.
template <typename... Parts>
void print_err(const Io& io, const Parts&... parts) {
  std::string msg = "hashgate: ";
  (msg.append(std::string_view(parts)), ...);
  msg.push_back('\n');
  std::fwrite(msg.data(), 1, msg.size(), io.err);
  std::fflush(io.err);
}

/// True for an option name safe to repeat in an error message `s` (never a mistyped value).
bool printable_option(std::string_view s) noexcept;

/// One option as given: `--name value`, `--name=value` or `-x value`.
struct OptionArg {
  std::string_view name;
  std::optional<std::string_view> inline_value;  ///< the part after '=' of `--name=value`
};

/// Splits `--name=value`; any other argument is all name.
OptionArg split_option(std::string_view arg) noexcept;

/// Prints that `name` (argument `index`, 0-based) is not an option of the command, naming it only
/// when it looks like an option (never a value typed by mistake); returns k_exit_usage.
int unknown_option(std::string_view name, std::size_t index, std::string_view help_command,
                   const Io& io);

/// The value of the option at args[i]: its inline value, or the next argument (then `i` moves
/// on). Returns k_exit_usage after printing when there is none.
int take_value(std::span<char*> args, std::size_t& i, const OptionArg& opt, std::string& value,
               const Io& io);

/// Options of normalize, hash and hash-file, as given on the command line.
struct Args {
  std::string profile = "meta";
  std::optional<std::string> field, region, algo, key_file, encoding, columns, keep_columns,
      drop_columns, output, threads;
  std::vector<char*> values;  ///< positional arguments (values, or the input file)
  bool help = false;
};

/// Which options beyond --profile and --region a command accepts (parse_args' `allowed`).
enum OptMask : unsigned {
  k_opt_field = 1u << 0,
  k_opt_algo = 1u << 1,  ///< --algo, --key-file, --encoding
  k_opt_file = 1u << 2,  ///< --columns, --drop-columns, --keep-columns, --threads, -o
};

/// Parses `args` (options in the `allowed` groups, and positional values) into `out`. Returns
/// k_exit_ok, or k_exit_usage after printing which option is wrong.
int parse_args(std::span<char*> args, unsigned allowed, Args& out, const Io& io);

/// Profile, region, algorithm, encoding and HMAC key resolved into SDK types. `options.key`
/// points into `key`, so a Settings is neither copied nor moved; `key` is zeroed at the end.
struct Settings {
  const Profile* profile = nullptr;
  Options options;
  std::string key;  ///< HMAC key bytes
  Settings() = default;
  Settings(const Settings&) = delete;
  Settings& operator=(const Settings&) = delete;
  ~Settings() { secure_clear(key); }
};

/// Resolves --profile, --region, --algo, --encoding and --key-file of `a` into `s`. Returns
/// k_exit_ok, or k_exit_usage after printing the option and the error code (never a value).
int resolve_settings(const Args& a, Settings& s, const Io& io);

/// Splits a comma-separated option value `s` ("a,b,,c" → 4 items); views into `s`.
std::vector<std::string_view> split_list(std::string_view s);

}  // namespace hashgate::cli
