#include "commands.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "audience_command.hpp"
#include "hashgate/hashgate.hpp"
#include "options.hpp"
#include "pipeline.hpp"

#ifndef HASHGATE_VERSION
#define HASHGATE_VERSION "0.0.0"
#endif

namespace hashgate::cli {

namespace {

constexpr std::string_view k_usage =
    "usage: hashgate <command> [options]\n"
    "\n"
    "commands:\n"
    "  normalize --field F [--profile P] [--region CC] [--] VALUE... | -\n"
    "      print each value normalized as profile P expects, one per line\n"
    "  hash --field F [--profile P] [--region CC] [--algo A [--key-file K]] [--encoding E] [--] "
    "VALUE... | -\n"
    "      print the hash of each value, one per line\n"
    "  hash-file --columns COL=F[,COL=F...] [--profile P] [--region CC] [--algo A [--key-file K]]\n"
    "            [--encoding E] [--keep-columns COL[,COL...]] [--threads N] IN.csv|- -o OUT.csv|-\n"
    "      hash the named columns of a CSV file (header row required); other columns are\n"
    "      dropped unless listed in --keep-columns (keep only columns without personal data)\n"
    "  psi keygen|blind|reblind|intersect ...\n"
    "      private set intersection with another party (see hashgate psi --help)\n"
    "  tcf decode STRING\n"
    "      decode an IAB TCF consent string\n"
    "\n"
    "options (also accepted as --opt=value):\n"
    "  --profile P    meta (default), google, uid2 (alias euid), liveramp\n"
    "  --field F      em, ph, fn, ln, db, ge, ct, st, zp, country, external_id\n"
    "  --region CC    ISO 3166 alpha-2 default region for national phone numbers\n"
    "  --algo A       sha256 (default), sha1, md5, hmac-sha256 (needs --key-file)\n"
    "  --encoding E   hex or base64 (default: the profile's, base64 for uid2, hex otherwise)\n"
    "  --threads N    hash-file: hashing threads, 1 to 64 (default: the number of CPU cores)\n"
    "  -              read values from stdin, one per line\n"
    "\n"
    "exit status: 0 ok, 64 bad usage, 65 bad data (invalid value or malformed CSV), 74 I/O error\n";

/// What normalize / hash do with every value: the field, the settings, and whether to hash.
struct ValuePlan {
  Field field{};
  Settings settings;
  bool do_hash = false;
};

// Checks the options of normalize (`do_hash` false) or hash into `plan`. Returns the status to
// stop with, or nullopt to go on (--help prints the usage and stops with k_exit_ok).
std::optional<int> make_value_plan(std::span<char*> args, const Io& io, ValuePlan& plan,
                                   std::vector<char*>& values) {
  Args a;
  const unsigned allowed = k_opt_field | (plan.do_hash ? k_opt_algo : 0u);
  if (int rc = parse_args(args, allowed, a, io); rc != k_exit_ok) return rc;
  if (a.help) {
    std::fwrite(k_usage.data(), 1, k_usage.size(), io.out);
    return k_exit_ok;
  }
  if (!a.field) {
    print_err(io, "--field is required (em, ph, fn, ln, db, ge, ct, st, zp, country, external_id)");
    return k_exit_usage;
  }
  auto field = field_by_name(*a.field);
  if (!field) {
    print_err(io, "--field: ", code_name(Errc::unsupported_field));
    return k_exit_usage;
  }
  plan.field = *field;
  if (int rc = resolve_settings(a, plan.settings, io); rc != k_exit_ok) return rc;
  if (a.values.empty()) {
    print_err(io, "no values (give VALUE... after --, or - to read stdin)");
    return k_exit_usage;
  }
  values = std::move(a.values);
  return std::nullopt;
}

/// The values of one normalize / hash run: one output line per value, an empty line for an
/// invalid value (so lines stay aligned with the input).
class ValueRun {
 public:
  ValueRun(const ValuePlan& plan, const Io& io) : m_plan(plan), m_io(io) {}

  /// Handles one value; false to stop with a usage error (the same for every value).
  bool one(std::string_view v) {
    ++m_index;
    const Settings& s = m_plan.settings;
    Result<std::string> r = m_plan.do_hash ? hash(m_plan.field, v, *s.profile, s.options)
                                           : normalize(m_plan.field, v, *s.profile, s.options);
    if (r.ok()) {
      std::string& out = r.value();
      out.push_back('\n');
      std::fwrite(out.data(), 1, out.size(), m_io.out);
      secure_clear(out);
      return true;
    }
    const std::string_view fname = field_name(m_plan.field);
    if (is_usage_error(r.error())) {
      print_err(m_io, fname, ": ", code_name(r.error()));
      return false;
    }
    m_bad_data = true;
    std::fputc('\n', m_io.out);
    print_err(m_io, fname, ": ", code_name(r.error()),
              std::string(" (value ").append(std::to_string(m_index)).append(")"));
    return true;
  }
  /// True once a value could not be normalized or hashed.
  bool bad_data() const noexcept { return m_bad_data; }

 private:
  const ValuePlan& m_plan;
  const Io& m_io;
  std::size_t m_index = 0;
  bool m_bad_data = false;
};

// stdio's own buffers would keep copies of raw (stdin) and normalized (stdout) values: the
// streams get these static buffers, which are zeroed at the end.
char g_in_buf[1 << 16];
char g_out_buf[1 << 16];

// Runs every line of io.in (without its LF or CRLF) through `run`; false if it stopped.
bool stdin_values(ValueRun& run, const Io& io) {
  std::setvbuf(io.in, g_in_buf, _IOFBF, sizeof g_in_buf);
  char* line = nullptr;
  std::size_t cap = 0;
  ssize_t n;
  bool go_on = true;
  while (go_on && (n = ::getline(&line, &cap, io.in)) >= 0) {
    std::size_t len = static_cast<std::size_t>(n);
    if (len > 0 && line[len - 1] == '\n') --len;
    if (len > 0 && line[len - 1] == '\r') --len;
    go_on = run.one(std::string_view(line, len));
    secure_zero(line, static_cast<std::size_t>(n));
  }
  if (line != nullptr) {
    secure_zero(line, cap);
    std::free(line);
  }
  return go_on;
}

// Runs every command-line value through `run`, zeroing each after use; false if it stopped.
bool argv_values(ValueRun& run, const std::vector<char*>& values) {
  for (char* v : values) {
    std::size_t len = std::strlen(v);
    bool go_on = run.one(std::string_view(v, len));
    secure_zero(v, len);  // also hides the value from later /proc/PID/cmdline readers
    if (!go_on) return false;
  }
  return true;
}

// Shared body of normalize and hash: exit 65 at the end if any value was invalid.
int value_command(std::span<char*> args, const Io& io, bool do_hash) {
  ValuePlan plan;
  plan.do_hash = do_hash;
  std::vector<char*> values;
  if (auto rc = make_value_plan(args, io, plan, values)) return *rc;
  // Before any I/O on the streams.
  std::setvbuf(io.out, g_out_buf, ::isatty(::fileno(io.out)) == 1 ? _IOLBF : _IOFBF,
               sizeof g_out_buf);
  ValueRun run(plan, io);
  const bool from_stdin = values.size() == 1 && std::string_view(values[0]) == "-";
  const bool finished = from_stdin ? stdin_values(run, io) : argv_values(run, values);
  const bool flushed = std::fflush(io.out) == 0;
  secure_zero(g_in_buf, sizeof g_in_buf);
  secure_zero(g_out_buf, sizeof g_out_buf);
  if (!flushed) {
    print_err(io, "cannot write the output");
    return k_exit_io;
  }
  if (!finished) return k_exit_usage;
  return run.bad_data() ? k_exit_data : k_exit_ok;
}

}  // namespace

std::string_view usage_text() noexcept { return k_usage; }

int cmd_normalize(std::span<char*> args, const Io& io) { return value_command(args, io, false); }

int cmd_hash(std::span<char*> args, const Io& io) { return value_command(args, io, true); }

int run(std::span<char*> args, const Io& io) {
  if (args.empty()) {
    std::fwrite(k_usage.data(), 1, k_usage.size(), io.err);
    return k_exit_usage;
  }
  std::string_view cmd = args[0];
  auto rest = args.subspan(1);
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fwrite(k_usage.data(), 1, k_usage.size(), io.out);
    return k_exit_ok;
  }
  if (cmd == "--version") {
    std::fputs("hashgate " HASHGATE_VERSION "\n", io.out);
    return k_exit_ok;
  }
  if (cmd == "normalize") return cmd_normalize(rest, io);
  if (cmd == "hash") return cmd_hash(rest, io);
  if (cmd == "hash-file") return cmd_hash_file(rest, io);
  if (cmd == "audience") return cmd_audience(rest, io);
  if (cmd == "psi") return cmd_psi(rest, io);
  if (cmd == "tcf") {
    std::fflush(io.out);
    return cmd_tcf(static_cast<int>(args.size()), args.data());
  }
  if (printable_option(cmd) || (cmd.size() <= 20 && cmd.find('@') == std::string_view::npos &&
                                cmd.find_first_of("0123456789") == std::string_view::npos)) {
    print_err(io, "unknown command ", cmd, " (see hashgate --help)");
  } else {
    print_err(io, "unknown command (see hashgate --help)");
  }
  return k_exit_usage;
}

}  // namespace hashgate::cli
