#pragma once
// `hashgate hash-file` as a plan and pipeline steps, so that every command that hashes a CRM CSV
// (hash-file itself, psi blind) has the same column options, normalization, messages, exit
// statuses and summary:
//
//   make_plan (options → HashFilePlan) → open_input → read_header → bind_header (→ RowPlan)
//   → hash_rows: read → normalize/hash (worker threads) → each chunk back in input order, where
//     the caller reports invalid values (RowReporter), counts (Tally: rows, values, duplicates)
//     and writes its output → check_end (how the input ended) → Tally::print_summary.
//
// Every step prints its own message ("hashgate: ..." on io.err, never a raw value) and returns
// the exit status to stop with (commands.hpp), or k_exit_ok to go on.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "csv.hpp"
#include "options.hpp"
#include "pipeline.hpp"

namespace hashgate::cli {

/// One --columns entry: the header name, the SDK field of its values, and (after bind_header)
/// its index in the input row.
struct HashedColumn {
  std::string name;
  Field field{};
  std::size_t index = 0;
};

/// Everything hash-file decides from its options before it reads a row. Holds the HMAC key
/// (in `settings`), so it is neither copied nor moved.
struct HashFilePlan {
  Settings settings;                  ///< profile, region, algorithm, encoding, HMAC key
  std::vector<HashedColumn> columns;  ///< --columns, in order
  std::vector<std::string> keep;      ///< --keep-columns: copied to the output as they are
  std::vector<std::string> drop;      ///< --drop-columns: the default; still checked
  std::size_t threads = 1;            ///< hashing threads (1: the main thread only)
  std::string input;                  ///< IN.csv, or "-" for stdin
  std::string output;                 ///< OUT.csv, or "-" for stdout
};

/// Checks hash-file's options in `a` (parsed with k_opt_algo | k_opt_file): --columns, -o and
/// one input are required; profile, region, algorithm, encoding, key file and every COL=FIELD
/// must be valid. Fills `plan` (not yet `threads`: see resolve_threads).
int make_plan(const Args& a, HashFilePlan& plan, const Io& io);

/// make_plan without its input and output: for a command that takes those with options of its
/// own (psi blind). Checks --columns (required), profile, region, algorithm, encoding, key file,
/// --keep-columns and --drop-columns of `a` with hash-file's messages. Fills `plan` but for
/// `input`, `output` and `threads`.
int make_column_plan(const Args& a, HashFilePlan& plan, const Io& io);

/// Parses --threads of `a` into plan.threads (default: the CPU cores, at most 8).
int resolve_threads(const Args& a, HashFilePlan& plan, const Io& io);

/// The input file descriptor: `path`'s (closed on destruction), or io.in_fd for "-".
class InputFile {
 public:
  InputFile() = default;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();
  /// The descriptor to read (valid after open_input).
  int fd() const noexcept { return m_fd; }

 private:
  friend int open_input(const std::string& path, const Io& io, InputFile& in);
  int m_fd = -1;
  bool m_owned = false;
};

/// Opens `path` (or takes stdin for "-") into `in`.
int open_input(const std::string& path, const Io& io, InputFile& in);

/// Reads the header row into `header` (a missing or malformed header is bad data).
int read_header(CsvReader& reader, std::vector<std::string>& header, const Io& io);

/// How many times `name` is in `header`; `index` is set to its (last) position.
int count_column(const std::vector<std::string>& header, std::string_view name, std::size_t& index);

/// Finds plan.columns, plan.keep and plan.drop in `header` and fills `rows` (what happens to
/// every input column, with the plan's profile and options). A hashed column must be in the
/// header exactly once; every other column is dropped unless kept.
int bind_header(const std::vector<std::string>& header, HashFilePlan& plan, RowPlan& rows,
                const Io& io);

/// The first three steps done: the input open, its header read and bound to the plan's columns.
struct BoundInput {
  InputFile file;
  std::optional<CsvReader> reader;  ///< reads `file` (set by open_bound_input)
  std::vector<std::string> header;
  RowPlan rows;
};

/// open_input → read_header → bind_header over plan.input into `in`.
int open_bound_input(HashFilePlan& plan, const Io& io, BoundInput& in);

/// How the reader stopped: not yet, at a clean end, at a CSV error, or at a row with the wrong
/// number of fields (`line` where, `found` fields).
struct InputEnd {
  enum class Kind { more, clean, csv_error, field_count } kind = Kind::more;
  std::size_t line = 0, found = 0;
};

/// Takes one processed chunk (in input order); returns an exit status to stop the run with.
using ChunkConsumer = std::function<std::optional<int>(Chunk&)>;

/// The row-hashing step: reads every remaining row of `reader`, normalizes and hashes it as
/// `rows` says on `threads` threads (1: inline), and hands each chunk to `consume` in input
/// order. Stops at the end of the input (`end` says how) or with consume's status.
std::optional<int> hash_rows(CsvReader& reader, const RowPlan& rows, std::size_t threads,
                             const ChunkConsumer& consume, InputEnd& end);

/// Prints the messages for values that could not be hashed: the first 10 with line, column and
/// error code, then one line saying the rest are only counted.
class RowReporter {
 public:
  /// Reports for the hashed `columns` (borrowed).
  explicit RowReporter(const std::vector<HashedColumn>& columns) : m_columns(columns) {}
  /// Reports `ev`, found on input line `line`; k_exit_usage for an error of the whole request
  /// (is_usage_error), after its message.
  std::optional<int> report(const RowEvent& ev, std::size_t line, const Io& io);

 private:
  const std::vector<HashedColumn>& m_columns;
  std::size_t m_reported = 0;
};

/// The counters of a run: rows, hashed / invalid / empty values per column, duplicate rows.
class Tally {
 public:
  /// Counts for `columns` hashed columns.
  explicit Tally(std::size_t columns) : m_counts(columns) {}
  /// Counts one more row (called as each row is consumed).
  void count_row() noexcept { ++m_rows; }
  /// Adds the value counters and row fingerprints of processed chunk `c`.
  void add(const Chunk& c);
  /// Rows counted so far.
  std::size_t rows() const noexcept { return m_rows; }
  /// Prints the summary: "<who>: rows=... hashed=... invalid=... empty=... duplicates=...",
  /// then one line per column of `columns`.
  void print_summary(std::string_view who, const std::vector<HashedColumn>& columns,
                     const Io& io) const;

 private:
  std::size_t m_rows = 0;
  std::vector<ColumnCounts> m_counts;
  DuplicateCounter m_keys;
};

/// The input's end as an exit status: a row with the wrong field count or a CSV error is bad
/// data, a read error is an I/O error (each after its message); k_exit_ok at a clean end.
/// `fields` is the header's field count.
int check_end(const CsvReader& reader, const InputEnd& end, std::size_t fields, const Io& io);

}  // namespace hashgate::cli
