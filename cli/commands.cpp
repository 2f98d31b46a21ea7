#include "commands.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include "audience_command.hpp"
#include "csv.hpp"
#include "hashgate/hashgate.hpp"
#include "pipeline.hpp"

#ifdef HASHGATE_HAVE_TCF
int hashgate_tcf_command(int argc, char** argv);
#endif

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

/// Options common to the commands, as given on the command line.
struct Args {
  std::string profile = "meta";
  std::optional<std::string> field, region, algo, key_file, encoding, columns, keep_columns,
      drop_columns, output, threads;
  std::vector<char*> values;  ///< positional arguments (values, or the input file)
  bool help = false;
};

enum OptMask : unsigned {
  k_opt_field = 1u << 0,
  k_opt_algo = 1u << 1,  // --algo, --key-file, --encoding
  k_opt_file = 1u << 2,  // --columns, --drop-columns, --keep-columns, --threads, -o
};

// Prints "hashgate: " + the parts + newline on stderr. Callers never pass a raw value.
template <typename... Parts>
void print_err(const Io& io, const Parts&... parts) {
  std::string msg = "hashgate: ";
  (msg.append(std::string_view(parts)), ...);
  msg.push_back('\n');
  std::fwrite(msg.data(), 1, msg.size(), io.err);
  std::fflush(io.err);
}

// True for option names safe to repeat in an error message (never a mistyped value).
bool printable_option(std::string_view s) {
  if (s.size() < 3 || s.size() > 40 || s.substr(0, 2) != "--") return false;
  for (char c : s.substr(2)) {
    if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}

// Parses options (both `--opt value` and `--opt=value`) and positional values. Returns
// k_exit_ok or k_exit_usage (after printing a message).
int parse_args(std::span<char*> args, unsigned allowed, Args& out, const Io& io) {
  bool only_values = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (only_values || a == "-" || a.empty() || a[0] != '-') {
      out.values.push_back(args[i]);
      continue;
    }
    if (a == "--") {
      only_values = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      out.help = true;
      continue;
    }
    std::string_view name = a;
    std::optional<std::string_view> inline_value;
    if (auto eq = a.find('='); a.substr(0, 2) == "--" && eq != std::string_view::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    std::optional<std::string>* slot = nullptr;
    if (name == "--profile") {
      slot = nullptr;
    } else if (name == "--field" && (allowed & k_opt_field)) {
      slot = &out.field;
    } else if (name == "--region") {
      slot = &out.region;
    } else if (name == "--algo" && (allowed & k_opt_algo)) {
      slot = &out.algo;
    } else if (name == "--key-file" && (allowed & k_opt_algo)) {
      slot = &out.key_file;
    } else if (name == "--encoding" && (allowed & k_opt_algo)) {
      slot = &out.encoding;
    } else if (name == "--columns" && (allowed & k_opt_file)) {
      slot = &out.columns;
    } else if (name == "--keep-columns" && (allowed & k_opt_file)) {
      slot = &out.keep_columns;
    } else if (name == "--drop-columns" && (allowed & k_opt_file)) {
      slot = &out.drop_columns;
    } else if (name == "--threads" && (allowed & k_opt_file)) {
      slot = &out.threads;
    } else if ((name == "-o" || name == "--output") && (allowed & k_opt_file)) {
      slot = &out.output;
    } else {
      if (printable_option(name)) {
        print_err(io, "unknown option ", name, " (see hashgate --help)");
      } else {
        print_err(io, "unknown option in argument ", std::to_string(i + 1),
                  " (use -- before values)");
      }
      return k_exit_usage;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      print_err(io, name, ": missing argument");
      return k_exit_usage;
    }
    if (name == "--profile") {
      out.profile = std::move(value);
    } else {
      *slot = std::move(value);
    }
  }
  return k_exit_ok;
}

/// Resolved settings shared by normalize, hash and hash-file.
struct Settings {
  const Profile* profile = nullptr;
  Options options;
  std::string key;  // HMAC key bytes; zeroed on destruction
  ~Settings() { secure_clear(key); }
};

// Reads the HMAC key file: raw bytes, one trailing "\n" or "\r\n" removed.
bool read_key_file(const std::string& path, std::string& key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    key.append(buf, static_cast<std::size_t>(n));
    if (key.size() > (1 << 16)) {
      ok = false;
      break;
    }
  }
  secure_zero(buf, sizeof buf);
  ::close(fd);
  if (!key.empty() && key.back() == '\n') key.pop_back();
  if (!key.empty() && key.back() == '\r') key.pop_back();
  return ok;
}

int resolve_settings(const Args& a, Settings& s, const Io& io) {
  s.profile = profile_by_name(a.profile);
  if (s.profile == nullptr) {
    print_err(io, "--profile: ", code_name(Errc::unsupported_profile));
    return k_exit_usage;
  }
  if (a.region) {
    auto r = region_by_code(*a.region);
    if (!r) {
      print_err(io, "--region: ", code_name(Errc::invalid_region));
      return k_exit_usage;
    }
    s.options.region = *r;
  }
  if (a.algo) {
    auto al = algo_by_name(*a.algo);
    if (!al) {
      print_err(io, "--algo: ", code_name(Errc::unsupported_algo));
      return k_exit_usage;
    }
    s.options.algo = *al;
  }
  if (a.encoding) {
    auto e = encoding_by_name(*a.encoding);
    if (!e) {
      print_err(io, "--encoding: ", code_name(Errc::unsupported_encoding));
      return k_exit_usage;
    }
    s.options.encoding = *e;
  }
  if (s.options.algo == Algo::hmac_sha256) {
    if (!a.key_file) {
      print_err(io, "--algo hmac-sha256 needs --key-file");
      return k_exit_usage;
    }
    if (!read_key_file(*a.key_file, s.key)) {
      print_err(io, "--key-file: cannot read the key file");
      return k_exit_usage;
    }
    if (s.key.empty()) {
      print_err(io, "--key-file: the key file is empty");
      return k_exit_usage;
    }
    s.options.key = std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(s.key.data()), s.key.size());
  } else if (a.key_file) {
    print_err(io, "--key-file is only used with --algo hmac-sha256");
    return k_exit_usage;
  }
  return k_exit_ok;
}

// Shared body of normalize and hash: one output line per value, an empty line for an invalid
// value (so lines stay aligned with the input), exit 65 at the end if any value was invalid.
int value_command(std::span<char*> args, const Io& io, bool do_hash) {
  Args a;
  if (int rc = parse_args(args, k_opt_field | (do_hash ? k_opt_algo : 0u), a, io);
      rc != k_exit_ok) {
    return rc;
  }
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
  Settings s;
  if (int rc = resolve_settings(a, s, io); rc != k_exit_ok) return rc;
  if (a.values.empty()) {
    print_err(io, "no values (give VALUE... after --, or - to read stdin)");
    return k_exit_usage;
  }
  const std::string_view fname = field_name(*field);
  bool bad_data = false;
  std::size_t index = 0;
  // Handles one value; returns false to stop with a usage error.
  auto one = [&](std::string_view v) -> bool {
    ++index;
    Result<std::string> r = do_hash ? hash(*field, v, *s.profile, s.options)
                                    : normalize(*field, v, *s.profile, s.options);
    if (r.ok()) {
      std::string& out = r.value();
      out.push_back('\n');
      std::fwrite(out.data(), 1, out.size(), io.out);
      secure_clear(out);
      return true;
    }
    if (is_usage_error(r.error())) {
      print_err(io, fname, ": ", code_name(r.error()));
      return false;
    }
    bad_data = true;
    std::fputc('\n', io.out);
    print_err(io, fname, ": ", code_name(r.error()),
              std::string(" (value ").append(std::to_string(index)).append(")"));
    return true;
  };

  // stdio's own buffers would keep copies of raw (stdin) and normalized (stdout) values: give
  // them static buffers that are zeroed at the end. Done before any I/O on the streams.
  static char s_in_buf[1 << 16];
  static char s_out_buf[1 << 16];
  std::setvbuf(io.out, s_out_buf, ::isatty(::fileno(io.out)) == 1 ? _IOLBF : _IOFBF,
               sizeof s_out_buf);
  bool stopped = false;
  if (a.values.size() == 1 && std::string_view(a.values[0]) == "-") {
    std::setvbuf(io.in, s_in_buf, _IOFBF, sizeof s_in_buf);
    char* line = nullptr;
    std::size_t cap = 0;
    ssize_t n;
    while ((n = ::getline(&line, &cap, io.in)) >= 0) {
      std::size_t len = static_cast<std::size_t>(n);
      if (len > 0 && line[len - 1] == '\n') --len;
      if (len > 0 && line[len - 1] == '\r') --len;
      bool cont = one(std::string_view(line, len));
      secure_zero(line, static_cast<std::size_t>(n));
      if (!cont) {
        stopped = true;
        break;
      }
    }
    if (line != nullptr) {
      secure_zero(line, cap);
      std::free(line);
    }
  } else {
    for (char* v : a.values) {
      std::size_t len = std::strlen(v);
      bool cont = one(std::string_view(v, len));
      secure_zero(v, len);  // also hides the value from later /proc/PID/cmdline readers
      if (!cont) {
        stopped = true;
        break;
      }
    }
  }
  const bool flushed = std::fflush(io.out) == 0;
  secure_zero(s_in_buf, sizeof s_in_buf);
  secure_zero(s_out_buf, sizeof s_out_buf);
  if (!flushed) {
    print_err(io, "cannot write the output");
    return k_exit_io;
  }
  if (stopped) return k_exit_usage;
  return bad_data ? k_exit_data : k_exit_ok;
}

std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = s.find(',', start);
    out.push_back(
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

/// One hashed column of hash-file and its counters.
struct HashedColumn {
  std::string name;
  Field field{};
  std::size_t index = 0;
  std::size_t hashed = 0, invalid = 0, empty = 0;
};

// Temporary output path removed by the signal handler if the run is interrupted (Ctrl-C).
char g_tmp_path[4096];
volatile std::sig_atomic_t g_tmp_active = 0;

extern "C" void remove_tmp_and_reraise(int sig) {
  if (g_tmp_active) ::unlink(g_tmp_path);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

/// Output file written to a temporary name and renamed into place on commit().
class AtomicOutput {
 public:
  ~AtomicOutput() { abort(); }
  // Opens OUT's temporary sibling (or stdout for "-"). Returns false with errno set.
  bool open(const std::string& path, int stdout_fd) {
    if (path == "-") {
      m_fd = stdout_fd;
      m_is_stdout = true;
      return true;
    }
    m_path = path;
    m_tmp = path + ".tmp.XXXXXX";
    m_fd = ::mkstemp(m_tmp.data());
    if (m_fd < 0) return false;
    if (m_tmp.size() < sizeof g_tmp_path) {
      std::memcpy(g_tmp_path, m_tmp.c_str(), m_tmp.size() + 1);
      g_tmp_active = 1;
      for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, remove_tmp_and_reraise);
    }
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(m_fd, 0666 & ~mask);
    return true;
  }
  bool write(const char* p, std::size_t n) {
    while (n > 0) {
      ssize_t w = ::write(m_fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
      m_written += static_cast<std::size_t>(w);
    }
#ifdef __linux__
    // Start writeback of each finished 8 MiB in the background, so that the fsync in commit()
    // finds little left to write. Only a hint: errors surface at the fsync.
    if (!m_is_stdout && m_written - m_synced >= k_sync_bytes) {
      ::sync_file_range(m_fd, static_cast<off_t>(m_synced),
                        static_cast<off_t>(m_written - m_synced), SYNC_FILE_RANGE_WRITE);
      m_synced = m_written;
    }
#endif
    return true;
  }
  // Syncs and renames the temporary file over OUT.
  bool commit() {
    if (m_is_stdout) return true;
    bool ok = ::fsync(m_fd) == 0;
    ok = (::close(m_fd) == 0) && ok;
    m_fd = -1;
    if (ok) ok = ::rename(m_tmp.c_str(), m_path.c_str()) == 0;
    g_tmp_active = 0;
    if (!ok) ::unlink(m_tmp.c_str());
    m_tmp.clear();
    return ok;
  }
  // Discards the temporary file (no-op after commit()).
  void abort() {
    if (m_is_stdout || m_tmp.empty()) return;
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    ::unlink(m_tmp.c_str());
    g_tmp_active = 0;
    m_tmp.clear();
  }

 private:
  static constexpr std::size_t k_sync_bytes = 8 << 20;
  int m_fd = -1;
  bool m_is_stdout = false;
  std::size_t m_written = 0, m_synced = 0;  // bytes written, and handed to writeback
  std::string m_path, m_tmp;
};

}  // namespace

std::string_view usage_text() noexcept { return k_usage; }

int cmd_normalize(std::span<char*> args, const Io& io) { return value_command(args, io, false); }

int cmd_hash(std::span<char*> args, const Io& io) { return value_command(args, io, true); }

int cmd_hash_file(std::span<char*> args, const Io& io) {
  Args a;
  if (int rc = parse_args(args, k_opt_algo | k_opt_file, a, io); rc != k_exit_ok) return rc;
  if (a.help) {
    std::fwrite(k_usage.data(), 1, k_usage.size(), io.out);
    return k_exit_ok;
  }
  if (!a.columns || a.columns->empty()) {
    print_err(io, "--columns is required, e.g. --columns email=em,phone=ph");
    return k_exit_usage;
  }
  if (!a.output) {
    print_err(io, "-o OUT.csv is required (- for stdout)");
    return k_exit_usage;
  }
  if (a.values.size() != 1) {
    print_err(io, "hash-file takes exactly one input file (- for stdin)");
    return k_exit_usage;
  }
  Settings s;
  if (int rc = resolve_settings(a, s, io); rc != k_exit_ok) return rc;

  std::vector<HashedColumn> cols;
  for (std::string_view spec : split_list(*a.columns)) {
    auto eq = spec.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      print_err(io, "--columns: each entry must be COLUMN=FIELD, e.g. email=em");
      return k_exit_usage;
    }
    auto f = field_by_name(spec.substr(eq + 1));
    if (!f) {
      print_err(io, "--columns: ", std::string(spec.substr(0, eq)), ": ",
                code_name(Errc::unsupported_field));
      return k_exit_usage;
    }
    cols.push_back(HashedColumn{std::string(spec.substr(0, eq)), *f});
  }
  std::vector<std::string_view> keeps, drops;
  if (a.keep_columns && !a.keep_columns->empty()) keeps = split_list(*a.keep_columns);
  if (a.drop_columns && !a.drop_columns->empty()) drops = split_list(*a.drop_columns);

  // Input.
  const std::string in_path = a.values[0];
  int in_fd = io.in_fd;
  bool close_in = false;
  if (in_path != "-") {
    in_fd = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in_fd < 0) {
      print_err(io, "cannot open the input file: ", std::strerror(errno));
      return k_exit_usage;
    }
    close_in = true;
  }
  struct FdCloser {
    int fd;
    bool on;
    ~FdCloser() {
      if (on) ::close(fd);
    }
  } in_closer{in_fd, close_in};

  CsvReader reader(fd_source(in_fd));
  CsvRecord rec;
  if (!reader.next(rec)) {
    if (reader.error() == CsvErrc::read_error) {
      print_err(io, "cannot read the input");
      return k_exit_io;
    }
    if (reader.error() != CsvErrc::ok) {
      print_err(io, "line ", std::to_string(reader.line()),
                ": malformed CSV: ", csv_error_name(reader.error()));
      return k_exit_data;
    }
    print_err(io, "the input is empty; a header row is required");
    return k_exit_data;
  }
  const std::size_t ncols = rec.size();
  std::vector<std::string> header(ncols);
  for (std::size_t i = 0; i < ncols; ++i) header[i] = rec[i];
  auto find_col = [&](std::string_view name, std::size_t& idx) -> int {
    int found = 0;
    for (std::size_t i = 0; i < ncols; ++i) {
      if (header[i] == name) {
        idx = i;
        ++found;
      }
    }
    return found;
  };
  // kind: 0 keep, 1 drop, 2 + k: hashed column k. A column is dropped unless it is hashed or
  // listed in --keep-columns: a raw column never reaches the output by default.
  std::vector<std::size_t> kind(ncols, 1);
  for (std::size_t k = 0; k < cols.size(); ++k) {
    int n = find_col(cols[k].name, cols[k].index);
    if (n != 1) {
      print_err(io, "--columns: column ", cols[k].name,
                n == 0 ? " is not in the header" : " appears more than once in the header");
      return k_exit_usage;
    }
    if (kind[cols[k].index] >= 2) {
      print_err(io, "--columns: column ", cols[k].name, " is named twice");
      return k_exit_usage;
    }
    kind[cols[k].index] = 2 + k;
  }
  // --keep-columns marks columns to pass through; --drop-columns (the default for every other
  // column) is still accepted and checked, so that existing scripts keep working.
  for (const auto& [list, option, mark] : {std::tuple{&keeps, "--keep-columns", std::size_t{0}},
                                           std::tuple{&drops, "--drop-columns", std::size_t{1}}}) {
    for (std::string_view d : *list) {
      std::size_t idx = 0;
      if (find_col(d, idx) == 0) {
        print_err(io, option, ": column ", d, " is not in the header");
        return k_exit_usage;
      }
      for (std::size_t i = 0; i < ncols; ++i) {
        if (header[i] != d) continue;
        if (kind[i] >= 2) {
          print_err(io, option, ": column ", d, " is also in --columns");
          return k_exit_usage;
        }
        if (mark == 1 && kind[i] == 0) {
          print_err(io, option, ": column ", d, " is also in --keep-columns");
          return k_exit_usage;
        }
        kind[i] = mark;
      }
    }
  }

  // Threads: the main thread parses and writes; N > 1 adds N workers that hash (1: none).
  std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
  if (a.threads) {
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(a.threads->c_str(), &end, 10);
    if (a.threads->empty() || *end != '\0' || errno != 0 || n < 1 || n > 64) {
      print_err(io, "--threads: expected a number from 1 to 64");
      return k_exit_usage;
    }
    threads = static_cast<std::size_t>(n);
  }

  AtomicOutput out;
  if (!out.open(*a.output, ::fileno(io.out))) {
    print_err(io, "cannot create the output file: ", std::strerror(errno));
    return k_exit_io;
  }
  if (*a.output == "-") std::fflush(io.out);
  bool write_ok = true;
  int write_errno = 0;
  // Writes output bytes; after a failure nothing more is written (reported at the end).
  auto write_out = [&](std::string_view bytes) {
    if (write_ok && !out.write(bytes.data(), bytes.size())) {
      write_ok = false;
      write_errno = errno;
    }
  };
  // Output is written in the same pieces as a 64 KiB CsvWriter would (whenever the unwritten
  // bytes reach 64 KiB at the end of a row), so stdout sees the same writes as before even on
  // an error. `pending` holds the unwritten bytes that are not in a chunk any more.
  constexpr std::size_t k_flush_bytes = 1 << 16;
  struct Pending {
    std::string s;
    ~Pending() { secure_clear(s); }
  } pending;
  pending.s.reserve(2 * k_flush_bytes);
  if (reader.had_bom()) pending.s.append("\xEF\xBB\xBF");
  {
    std::string suffix = "_";
    for (char c : algo_name(s.options.algo)) suffix.push_back(c == '-' ? '_' : c);
    bool first = true;
    for (std::size_t i = 0; i < ncols; ++i) {
      if (kind[i] == 1) continue;
      if (!first) pending.s.push_back(',');
      first = false;
      append_csv_field(pending.s, kind[i] >= 2 ? header[i] + suffix : header[i], ',');
    }
    pending.s.append(reader.first_line_crlf() ? "\r\n" : "\n");
    if (pending.s.size() >= k_flush_bytes) {
      write_out(pending.s);
      secure_clear(pending.s);
    }
  }

  RowPlan plan;
  plan.profile = s.profile;
  plan.options = s.options;
  for (const HashedColumn& c : cols) plan.hashed.push_back(RowPlan::Hashed{c.field, c.index});
  plan.kind = kind;
  plan.crlf = reader.first_line_crlf();

  const bool progress = ::isatty(io.err_fd) == 1;
  constexpr std::size_t k_max_reported = 10;
  std::size_t rows = 0, reported = 0;
  DuplicateCounter keys;  // fingerprints of rows with a hash

  // How the input ended (known once the reader stops).
  enum class End { more, clean, csv_error, field_count } end = End::more;
  std::size_t end_line = 0, end_found = 0;
  // Parses rows into `c` until it is full or the input ends.
  auto fill = [&](Chunk& c) {
    while (c.rows() < k_chunk_rows && c.fields.bytes() < k_chunk_bytes) {
      const std::size_t before = c.fields.size();
      if (!reader.next_append(c.fields)) {
        end = reader.error() == CsvErrc::ok ? End::clean : End::csv_error;
        end_line = reader.line();
        return;
      }
      if (c.fields.size() - before != ncols) {
        end = End::field_count;
        end_line = reader.line();
        end_found = c.fields.size() - before;
        return;
      }
      c.lines.push_back(reader.line());
    }
  };
  // Reports and writes a processed chunk, in input order; returns an exit status to stop with.
  auto consume = [&](Chunk& c) -> std::optional<int> {
    auto ev = c.events.begin();
    std::size_t done = 0;  // bytes of c.out already written or moved to `pending`
    for (std::size_t r = 0; r < c.rows(); ++r) {
      ++rows;
      for (; ev != c.events.end() && ev->row == r; ++ev) {
        const HashedColumn& col = cols[ev->column];
        if (is_usage_error(ev->error)) {
          out.abort();
          print_err(io, "--columns: ", col.name, " (", field_name(col.field),
                    "): ", code_name(ev->error));
          return k_exit_usage;
        }
        if (reported < k_max_reported) {
          print_err(io, "line ", std::to_string(c.lines[r]),
                    ": column " + col.name + " (" + std::string(field_name(col.field)) + "): ",
                    code_name(ev->error));
        } else if (reported == k_max_reported) {
          print_err(io, "further invalid values are only counted in the summary");
        }
        ++reported;
      }
      // Row r has ended: write when 64 KiB are waiting.
      const std::size_t row_end = c.row_ends[r];
      if (pending.s.size() + (row_end - done) >= k_flush_bytes) {
        const std::string_view part(c.out.data() + done, row_end - done);
        if (pending.s.empty()) {
          write_out(part);
        } else {
          append_zeroed(pending.s, part);
          write_out(pending.s);
          secure_clear(pending.s);
        }
        done = row_end;
      }
      if (progress && rows % 100000 == 0) {
        std::string p = "\rhashgate: hash-file: " + std::to_string(rows) + " rows";
        std::fwrite(p.data(), 1, p.size(), io.err);
        std::fflush(io.err);
      }
    }
    append_zeroed(pending.s, std::string_view(c.out).substr(done));
    for (std::size_t k = 0; k < cols.size(); ++k) {
      cols[k].hashed += c.counts[k].hashed;
      cols[k].invalid += c.counts[k].invalid;
      cols[k].empty += c.counts[k].empty;
    }
    keys.add(c.keys);
    return std::nullopt;
  };

  {
    // Declared after everything the workers read (plan, settings), so it is joined first.
    ChunkPipeline pipe(plan, threads > 1 ? threads : 0, threads > 1 ? 2 * threads + 2 : 1);
    auto take = [&](bool wait) -> std::optional<std::optional<int>> {
      Chunk* c = pipe.take_oldest(wait);
      if (c == nullptr) return std::nullopt;
      std::optional<int> rc = consume(*c);
      pipe.release(c);
      return rc;
    };
    for (;;) {
      // Hand back whatever is already done, oldest first, to keep output and messages flowing.
      while (auto r = take(false)) {
        if (*r) return **r;
      }
      if (end != End::more) {
        auto r = take(true);
        if (!r) break;  // every chunk consumed
        if (*r) return **r;
        continue;
      }
      Chunk* c = pipe.try_acquire();
      if (c == nullptr) {
        if (auto r = take(true); r && *r) return **r;
        continue;
      }
      fill(*c);
      pipe.submit(c);
    }
  }

  if (end == End::field_count) {
    out.abort();
    print_err(io, "line ", std::to_string(end_line), ": malformed CSV: expected ",
              std::to_string(ncols) + " fields, found " + std::to_string(end_found));
    return k_exit_data;
  }
  if (progress && rows >= 100000) std::fputc('\n', io.err);
  if (reader.error() == CsvErrc::read_error) {
    out.abort();
    print_err(io, "cannot read the input");
    return k_exit_io;
  }
  if (end == End::csv_error) {
    out.abort();
    print_err(io, "line ", std::to_string(end_line),
              ": malformed CSV: ", csv_error_name(reader.error()));
    return k_exit_data;
  }
  write_out(pending.s);
  secure_clear(pending.s);
  if (!write_ok || !out.commit()) {
    if (!write_ok) errno = write_errno;
    out.abort();
    print_err(io, "cannot write the output file: ", std::strerror(errno));
    return k_exit_io;
  }
  const std::size_t duplicates = keys.count();
  std::size_t total_hashed = 0, total_invalid = 0, total_empty = 0;
  for (const auto& c : cols) {
    total_hashed += c.hashed;
    total_invalid += c.invalid;
    total_empty += c.empty;
  }
  print_err(io,
            "hash-file: rows=" + std::to_string(rows) + " hashed=" + std::to_string(total_hashed),
            " invalid=" + std::to_string(total_invalid) + " empty=" + std::to_string(total_empty),
            " duplicates=" + std::to_string(duplicates));
  for (const auto& c : cols) {
    print_err(io, "hash-file: column " + c.name + " (" + std::string(field_name(c.field)) + "):",
              " hashed=" + std::to_string(c.hashed), " invalid=" + std::to_string(c.invalid),
              " empty=" + std::to_string(c.empty));
  }
  return k_exit_ok;
}

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
  if (cmd == "tcf") {
#ifdef HASHGATE_HAVE_TCF
    std::fflush(io.out);
    return hashgate_tcf_command(static_cast<int>(args.size()), args.data());
#else
    print_err(io, "tcf: not available in this build");
    return k_exit_usage;
#endif
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
