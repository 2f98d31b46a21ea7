// `hashgate hash-file`: the plan, the pipeline steps (hash_file.hpp) and the command that chains
// them with its output file.
#include "hash_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <tuple>

namespace hashgate::cli {

namespace {

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

/// hash-file's output: the CSV rows written in the same pieces as a 64 KiB CsvWriter would
/// (whenever the unwritten bytes reach 64 KiB at the end of a row), so stdout sees the same
/// writes even on an error. After a failed write nothing more is written; commit() reports it.
class OutputWriter {
 public:
  OutputWriter() { m_pending.reserve(2 * k_flush_bytes); }
  ~OutputWriter() { secure_clear(m_pending); }

  /// Opens plan.output (or stdout for "-").
  int open(const std::string& path, const Io& io) {
    if (!m_out.open(path, ::fileno(io.out))) {
      print_err(io, "cannot create the output file: ", std::strerror(errno));
      return k_exit_io;
    }
    if (path == "-") std::fflush(io.out);
    return k_exit_ok;
  }
  /// The header row: kept columns by name, hashed ones as NAME_<algo>; a BOM if the input had one.
  void header(const std::vector<std::string>& names, const RowPlan& rows, bool bom) {
    if (bom) m_pending.append("\xEF\xBB\xBF");
    std::string suffix = "_";
    for (char c : algo_name(rows.options.algo)) suffix.push_back(c == '-' ? '_' : c);
    bool first = true;
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (rows.kind[i] == 1) continue;
      if (!first) m_pending.push_back(',');
      first = false;
      append_csv_field(m_pending, rows.kind[i] >= 2 ? names[i] + suffix : names[i], ',');
    }
    m_pending.append(rows.crlf ? "\r\n" : "\n");
    if (m_pending.size() >= k_flush_bytes) flush();
  }
  /// Row `r` of `c` has ended: writes when 64 KiB are waiting.
  void row_ended(const Chunk& c, std::size_t r) {
    const std::size_t row_end = c.row_ends[r];
    if (m_pending.size() + (row_end - m_done) < k_flush_bytes) return;
    const std::string_view part(c.out.data() + m_done, row_end - m_done);
    if (m_pending.empty()) {
      write(part);
    } else {
      append_zeroed(m_pending, part);
      flush();
    }
    m_done = row_end;
  }
  /// The rest of `c`'s output waits for the next write.
  void chunk_ended(const Chunk& c) {
    append_zeroed(m_pending, std::string_view(c.out).substr(m_done));
    m_done = 0;
  }
  /// Writes what waits and puts the file in place.
  int commit(const Io& io) {
    flush();
    if (!m_ok || !m_out.commit()) {
      if (!m_ok) errno = m_errno;
      m_out.abort();
      print_err(io, "cannot write the output file: ", std::strerror(errno));
      return k_exit_io;
    }
    return k_exit_ok;
  }
  /// Discards the output file.
  void abort() { m_out.abort(); }

 private:
  static constexpr std::size_t k_flush_bytes = 1 << 16;
  void write(std::string_view bytes) {
    if (m_ok && !m_out.write(bytes.data(), bytes.size())) {
      m_ok = false;
      m_errno = errno;
    }
  }
  void flush() {
    write(m_pending);
    secure_clear(m_pending);
  }

  AtomicOutput m_out;
  std::string m_pending;   ///< unwritten bytes that are not in a chunk any more
  std::size_t m_done = 0;  ///< bytes of the current chunk's output written or moved to m_pending
  bool m_ok = true;
  int m_errno = 0;
};

/// "\rhashgate: hash-file: N rows" every 100,000 rows when stderr is a terminal.
class Progress {
 public:
  explicit Progress(const Io& io) : m_io(io), m_on(::isatty(io.err_fd) == 1) {}
  void row(std::size_t rows) {
    if (!m_on || rows % 100000 != 0) return;
    std::string p = "\rhashgate: hash-file: " + std::to_string(rows) + " rows";
    std::fwrite(p.data(), 1, p.size(), m_io.err);
    std::fflush(m_io.err);
  }
  void end_line(std::size_t rows) {
    if (m_on && rows >= 100000) std::fputc('\n', m_io.err);
  }

 private:
  const Io& m_io;
  bool m_on;
};

// --columns COL=FIELD,... into plan.columns.
int parse_columns(std::string_view list, HashFilePlan& plan, const Io& io) {
  for (std::string_view spec : split_list(list)) {
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
    plan.columns.push_back(HashedColumn{std::string(spec.substr(0, eq)), *f});
  }
  return k_exit_ok;
}

// Marks the --keep-columns (0) and --drop-columns (1) in `kind`; neither may be hashed, and a
// dropped column may not also be kept.
int mark_kept_and_dropped(const std::vector<std::string>& header, const HashFilePlan& plan,
                          std::vector<std::size_t>& kind, const Io& io) {
  for (const auto& [list, option, mark] :
       {std::tuple{&plan.keep, "--keep-columns", std::size_t{0}},
        std::tuple{&plan.drop, "--drop-columns", std::size_t{1}}}) {
    for (const std::string& d : *list) {
      std::size_t idx = 0;
      if (count_column(header, d, idx) == 0) {
        print_err(io, option, ": column ", d, " is not in the header");
        return k_exit_usage;
      }
      for (std::size_t i = 0; i < header.size(); ++i) {
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
  return k_exit_ok;
}

/// One hash-file run once the plan is bound: each chunk's rows are reported, written and
/// counted in input order.
class HashFileRun {
 public:
  HashFileRun(const HashFilePlan& plan, OutputWriter& out, const Io& io)
      : m_out(out),
        m_io(io),
        m_reporter(plan.columns),
        m_tally(plan.columns.size()),
        m_progress(io) {}

  /// The ChunkConsumer of hash_rows.
  std::optional<int> consume(Chunk& c) {
    auto ev = c.events.begin();
    for (std::size_t r = 0; r < c.rows(); ++r) {
      m_tally.count_row();
      for (; ev != c.events.end() && ev->row == r; ++ev) {
        if (auto rc = m_reporter.report(*ev, c.lines[r], m_io)) {
          m_out.abort();
          return rc;
        }
      }
      m_out.row_ended(c, r);
      m_progress.row(m_tally.rows());
    }
    m_out.chunk_ended(c);
    m_tally.add(c);
    return std::nullopt;
  }
  const Tally& tally() const noexcept { return m_tally; }
  Progress& progress() noexcept { return m_progress; }

 private:
  OutputWriter& m_out;
  const Io& m_io;
  RowReporter m_reporter;
  Tally m_tally;
  Progress m_progress;
};

// Reads, hashes and writes every row, then checks how the input ended and commits the output.
int run_rows(CsvReader& reader, const HashFilePlan& plan, const RowPlan& rows, OutputWriter& out,
             HashFileRun& run, const Io& io) {
  InputEnd end;
  if (auto rc = hash_rows(
          reader, rows, plan.threads, [&run](Chunk& c) { return run.consume(c); }, end)) {
    return *rc;
  }
  if (end.kind != InputEnd::Kind::field_count) run.progress().end_line(run.tally().rows());
  if (int rc = check_end(reader, end, rows.kind.size(), io); rc != k_exit_ok) {
    out.abort();
    return rc;
  }
  return out.commit(io);
}

// --columns must be given and not be empty.
int require_columns(const Args& a, const Io& io) {
  if (!a.columns || a.columns->empty()) {
    print_err(io, "--columns is required, e.g. --columns email=em,phone=ph");
    return k_exit_usage;
  }
  return k_exit_ok;
}

}  // namespace

int make_plan(const Args& a, HashFilePlan& plan, const Io& io) {
  if (int rc = require_columns(a, io); rc != k_exit_ok) return rc;
  if (!a.output) {
    print_err(io, "-o OUT.csv is required (- for stdout)");
    return k_exit_usage;
  }
  if (a.values.size() != 1) {
    print_err(io, "hash-file takes exactly one input file (- for stdin)");
    return k_exit_usage;
  }
  if (int rc = make_column_plan(a, plan, io); rc != k_exit_ok) return rc;
  plan.input = a.values[0];
  plan.output = *a.output;
  return k_exit_ok;
}

int make_column_plan(const Args& a, HashFilePlan& plan, const Io& io) {
  if (int rc = require_columns(a, io); rc != k_exit_ok) return rc;
  if (int rc = resolve_settings(a, plan.settings, io); rc != k_exit_ok) return rc;
  if (int rc = parse_columns(*a.columns, plan, io); rc != k_exit_ok) return rc;
  for (const auto& [list, to] :
       {std::pair{&a.keep_columns, &plan.keep}, std::pair{&a.drop_columns, &plan.drop}}) {
    if (*list && !(*list)->empty()) {
      for (std::string_view name : split_list(**list)) to->emplace_back(name);
    }
  }
  return k_exit_ok;
}

int resolve_threads(const Args& a, HashFilePlan& plan, const Io& io) {
  // The main thread parses and writes; N > 1 adds N workers that hash (1: none).
  plan.threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
  if (!a.threads) return k_exit_ok;
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(a.threads->c_str(), &end, 10);
  if (a.threads->empty() || *end != '\0' || errno != 0 || n < 1 || n > 64) {
    print_err(io, "--threads: expected a number from 1 to 64");
    return k_exit_usage;
  }
  plan.threads = static_cast<std::size_t>(n);
  return k_exit_ok;
}

InputFile::~InputFile() {
  if (m_owned) ::close(m_fd);
}

int open_input(const std::string& path, const Io& io, InputFile& in) {
  in.m_fd = io.in_fd;
  if (path == "-") return k_exit_ok;
  in.m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in.m_fd < 0) {
    print_err(io, "cannot open the input file: ", std::strerror(errno));
    return k_exit_usage;
  }
  in.m_owned = true;
  return k_exit_ok;
}

int read_header(CsvReader& reader, std::vector<std::string>& header, const Io& io) {
  CsvRecord rec;
  if (reader.next(rec)) {
    header.assign(rec.size(), std::string());
    for (std::size_t i = 0; i < rec.size(); ++i) header[i] = rec[i];
    return k_exit_ok;
  }
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

int count_column(const std::vector<std::string>& header, std::string_view name,
                 std::size_t& index) {
  int found = 0;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) {
      index = i;
      ++found;
    }
  }
  return found;
}

int bind_header(const std::vector<std::string>& header, HashFilePlan& plan, RowPlan& rows,
                const Io& io) {
  // kind: 0 keep, 1 drop, 2 + k: hashed column k. A column is dropped unless it is hashed or
  // listed in --keep-columns: a raw column never reaches the output by default.
  rows.kind.assign(header.size(), 1);
  rows.hashed.clear();
  for (std::size_t k = 0; k < plan.columns.size(); ++k) {
    HashedColumn& col = plan.columns[k];
    const int n = count_column(header, col.name, col.index);
    if (n != 1) {
      print_err(io, "--columns: column ", col.name,
                n == 0 ? " is not in the header" : " appears more than once in the header");
      return k_exit_usage;
    }
    if (rows.kind[col.index] >= 2) {
      print_err(io, "--columns: column ", col.name, " is named twice");
      return k_exit_usage;
    }
    rows.kind[col.index] = 2 + k;
    rows.hashed.push_back(RowPlan::Hashed{col.field, col.index});
  }
  rows.profile = plan.settings.profile;
  rows.options = plan.settings.options;
  return mark_kept_and_dropped(header, plan, rows.kind, io);
}

std::optional<int> hash_rows(CsvReader& reader, const RowPlan& rows, std::size_t threads,
                             const ChunkConsumer& consume, InputEnd& end) {
  const std::size_t ncols = rows.kind.size();
  // Parses rows into `c` until it is full or the input ends.
  auto fill = [&](Chunk& c) {
    while (c.rows() < k_chunk_rows && c.fields.bytes() < k_chunk_bytes) {
      const std::size_t before = c.fields.size();
      if (!reader.next_append(c.fields)) {
        end.kind =
            reader.error() == CsvErrc::ok ? InputEnd::Kind::clean : InputEnd::Kind::csv_error;
        end.line = reader.line();
        return;
      }
      if (c.fields.size() - before != ncols) {
        end = InputEnd{InputEnd::Kind::field_count, reader.line(), c.fields.size() - before};
        return;
      }
      c.lines.push_back(reader.line());
    }
  };
  ChunkPipeline pipe(rows, threads > 1 ? threads : 0, threads > 1 ? 2 * threads + 2 : 1);
  // The oldest chunk if it is done (with `wait`: once it is), consumed and released.
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
      if (*r) return *r;
    }
    if (end.kind != InputEnd::Kind::more) {
      auto r = take(true);
      if (!r) return std::nullopt;  // every chunk consumed
      if (*r) return *r;
      continue;
    }
    Chunk* c = pipe.try_acquire();
    if (c == nullptr) {
      if (auto r = take(true); r && *r) return *r;
      continue;
    }
    fill(*c);
    pipe.submit(c);
  }
}

std::optional<int> RowReporter::report(const RowEvent& ev, std::size_t line, const Io& io) {
  constexpr std::size_t k_max_reported = 10;
  const HashedColumn& col = m_columns[ev.column];
  if (is_usage_error(ev.error)) {
    print_err(io, "--columns: ", col.name, " (", field_name(col.field), "): ", code_name(ev.error));
    return k_exit_usage;
  }
  if (m_reported < k_max_reported) {
    print_err(io, "line ", std::to_string(line),
              ": column " + col.name + " (" + std::string(field_name(col.field)) + "): ",
              code_name(ev.error));
  } else if (m_reported == k_max_reported) {
    print_err(io, "further invalid values are only counted in the summary");
  }
  ++m_reported;
  return std::nullopt;
}

void Tally::add(const Chunk& c) {
  for (std::size_t k = 0; k < m_counts.size(); ++k) {
    m_counts[k].hashed += c.counts[k].hashed;
    m_counts[k].invalid += c.counts[k].invalid;
    m_counts[k].empty += c.counts[k].empty;
  }
  m_keys.add(c.keys);
}

void Tally::print_summary(std::string_view who, const std::vector<HashedColumn>& columns,
                          const Io& io) const {
  ColumnCounts total;
  for (const ColumnCounts& c : m_counts) {
    total.hashed += c.hashed;
    total.invalid += c.invalid;
    total.empty += c.empty;
  }
  print_err(io, who, ": rows=" + std::to_string(m_rows) + " hashed=" + std::to_string(total.hashed),
            " invalid=" + std::to_string(total.invalid) + " empty=" + std::to_string(total.empty),
            " duplicates=" + std::to_string(m_keys.count()));
  for (std::size_t k = 0; k < columns.size(); ++k) {
    const ColumnCounts& c = m_counts[k];
    print_err(
        io, who,
        ": column " + columns[k].name + " (" + std::string(field_name(columns[k].field)) + "):",
        " hashed=" + std::to_string(c.hashed), " invalid=" + std::to_string(c.invalid),
        " empty=" + std::to_string(c.empty));
  }
}

int check_end(const CsvReader& reader, const InputEnd& end, std::size_t fields, const Io& io) {
  if (end.kind == InputEnd::Kind::field_count) {
    print_err(io, "line ", std::to_string(end.line), ": malformed CSV: expected ",
              std::to_string(fields) + " fields, found " + std::to_string(end.found));
    return k_exit_data;
  }
  if (reader.error() == CsvErrc::read_error) {
    print_err(io, "cannot read the input");
    return k_exit_io;
  }
  if (end.kind == InputEnd::Kind::csv_error) {
    print_err(io, "line ", std::to_string(end.line),
              ": malformed CSV: ", csv_error_name(reader.error()));
    return k_exit_data;
  }
  return k_exit_ok;
}

int open_bound_input(HashFilePlan& plan, const Io& io, BoundInput& in) {
  if (int rc = open_input(plan.input, io, in.file); rc != k_exit_ok) return rc;
  in.reader.emplace(fd_source(in.file.fd()));
  if (int rc = read_header(*in.reader, in.header, io); rc != k_exit_ok) return rc;
  return bind_header(in.header, plan, in.rows, io);
}

int cmd_hash_file(std::span<char*> args, const Io& io) {
  Args a;
  if (int rc = parse_args(args, k_opt_algo | k_opt_file, a, io); rc != k_exit_ok) return rc;
  if (a.help) {
    const std::string_view usage = usage_text();
    std::fwrite(usage.data(), 1, usage.size(), io.out);
    return k_exit_ok;
  }
  HashFilePlan plan;
  if (int rc = make_plan(a, plan, io); rc != k_exit_ok) return rc;
  BoundInput in;
  if (int rc = open_bound_input(plan, io, in); rc != k_exit_ok) return rc;
  CsvReader& reader = *in.reader;
  const std::vector<std::string>& header = in.header;
  RowPlan& rows = in.rows;
  rows.crlf = reader.first_line_crlf();
  if (int rc = resolve_threads(a, plan, io); rc != k_exit_ok) return rc;
  OutputWriter out;
  if (int rc = out.open(plan.output, io); rc != k_exit_ok) return rc;
  out.header(header, rows, reader.had_bom());
  HashFileRun run(plan, out, io);
  if (int rc = run_rows(reader, plan, rows, out, run, io); rc != k_exit_ok) return rc;
  run.tally().print_summary("hash-file", plan.columns, io);
  return k_exit_ok;
}

}  // namespace hashgate::cli
