#pragma once
// Streaming RFC 4180 CSV reader and writer used by `hashgate hash-file`. The reader pulls input in
// fixed-size chunks and reuses its buffers, so a file of any length runs in constant memory.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hashgate::cli {

/// Reads up to `cap` bytes into `buf`; returns the count, 0 at end of input, -1 on a read error.
using CsvSource = std::function<std::ptrdiff_t(char* buf, std::size_t cap)>;
/// Writes `n` bytes from `data`; returns false on a write error.
using CsvSink = std::function<bool(const char* data, std::size_t n)>;

/// Why the reader stopped before the end of its input.
enum class CsvErrc : std::uint8_t {
  ok = 0,
  unterminated_quote,  ///< end of input inside a quoted field
  invalid_quote,       ///< characters between a closing quote and the next delimiter
  oversized_field,     ///< a field longer than CsvOptions::max_field_bytes
  oversized_record,    ///< a record longer than CsvOptions::max_record_bytes
  read_error,          ///< the source reported an I/O error
};

/// Stable snake_case name of a CsvErrc, e.g. "unterminated_quote".
std::string_view csv_error_name(CsvErrc e) noexcept;

/// Reader limits and dialect.
struct CsvOptions {
  char delimiter = ',';                    ///< field separator
  std::size_t max_field_bytes = 1 << 20;   ///< longest accepted field (1 MiB)
  std::size_t max_record_bytes = 1 << 24;  ///< longest accepted record, all fields (16 MiB)
  std::size_t chunk_bytes = 1 << 16;       ///< size of each read from the source
};

/// One parsed record: the bytes of all fields (possibly with the delimiters between them) plus
/// (offset, length) per field.
/// Reused between calls so that steady-state parsing does not allocate.
class CsvRecord {
 public:
  /// Number of fields in the record.
  std::size_t size() const noexcept { return m_spans.size(); }
  /// Field `i` (0-based); valid until the next CsvReader::next() on this record.
  std::string_view operator[](std::size_t i) const noexcept {
    return std::string_view(m_data).substr(m_spans[i].first, m_spans[i].second);
  }
  /// Total bytes of all fields (the size of the backing store).
  std::size_t bytes() const noexcept { return m_data.size(); }
  /// Reserves room for `n` field bytes so that parsing up to that size never reallocates.
  void reserve(std::size_t n) { m_data.reserve(n); }
  /// Zeroes the stored bytes (they may hold personal data) and empties the record.
  void wipe() noexcept;
  ~CsvRecord() { wipe(); }

 private:
  friend class CsvReader;
  std::string m_data;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> m_spans;
};

/// Streaming CSV parser: quoted fields with doubled quotes, embedded delimiters and newlines,
/// CRLF or LF line ends, a leading UTF-8 BOM (skipped), completely empty lines (skipped).
/// A quote inside an unquoted field is kept literally. Errors carry the 1-based line number.
class CsvReader {
 public:
  /// Reads from `source` with the given limits.
  explicit CsvReader(CsvSource source, CsvOptions opt = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  /// Parses the next record into `rec`. Returns false at end of input or on error; then
  /// error() tells which (CsvErrc::ok means a clean end).
  bool next(CsvRecord& rec);
  /// Like next(), but appends the next record's fields after those already in `rec` (a batch of
  /// records in one store). On false, `rec` may hold part of the failed record after the old
  /// fields; the caller knows the old field count and ignores the rest.
  bool next_append(CsvRecord& rec);
  /// Why the last next() returned false (ok at a clean end of input).
  CsvErrc error() const noexcept { return m_error; }
  /// Line (1-based) where the last returned record started, or where the error was found.
  std::size_t line() const noexcept { return m_record_line; }
  /// True if the input started with a UTF-8 byte-order mark.
  bool had_bom() const noexcept { return m_had_bom; }
  /// True if the first record ended with CRLF (used to mirror the line ending on output).
  bool first_line_crlf() const noexcept { return m_first_crlf; }

 private:
  bool fill();
  int peek();
  void skip_bom();
  bool skip_empty_lines();
  bool fast_line(CsvRecord& rec);
  bool quoted_field(CsvRecord& rec, std::size_t start);
  bool plain_field(CsvRecord& rec, std::size_t start);
  bool end_record();
  const char* scan_plain(const char* p, const char* e) const noexcept;
  bool append(CsvRecord& rec, const char* p, std::size_t n, std::size_t field_start);

  CsvSource m_source;
  CsvOptions m_opt;
  // Byte classes for fast_line(): 0 plain, 1 the delimiter, 2 LF, CR or quote.
  std::uint8_t m_class[256] = {};
  bool m_fast = false;  // fast_line() usable (the delimiter is not LF, CR or quote)
  std::string m_buf;
  std::size_t m_pos = 0;
  std::size_t m_len = 0;
  bool m_eof = false;
  bool m_started = false;
  bool m_had_bom = false;
  bool m_first_crlf = false;
  std::size_t m_records = 0;
  std::size_t m_line = 1;
  std::size_t m_record_line = 1;
  std::size_t m_record_start = 0;  // offset in the record store where the current record starts
  CsvErrc m_error = CsvErrc::ok;
};

/// Appends `value` to `out` as one CSV field: quoted (quotes doubled) if it holds `delimiter`, a
/// quote, CR or LF, or starts with UTF-8 BOM bytes; as is otherwise. Used by CsvWriter::field.
void append_csv_field(std::string& out, std::string_view value, char delimiter);

/// Buffered CSV writer. Fields containing the delimiter, a quote, CR or LF are quoted (quotes
/// doubled); everything else is written as is.
class CsvWriter {
 public:
  /// Writes to `sink`; records end with CRLF if `crlf`, else LF.
  explicit CsvWriter(CsvSink sink, bool crlf = false, char delimiter = ',');
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  /// Writes raw bytes before any record (e.g. a UTF-8 BOM).
  void write_raw(std::string_view bytes);
  /// Appends one field to the current record.
  void field(std::string_view value);
  /// Ends the current record.
  void end_record();
  /// Flushes buffered bytes to the sink; false if the sink failed (now or earlier).
  bool flush();
  /// Zeroes and drops buffered bytes without writing them (used when a run is abandoned).
  void discard() noexcept;
  /// True if no sink write has failed so far.
  bool good() const noexcept { return m_good; }

 private:
  CsvSink m_sink;
  std::string m_buf;
  bool m_crlf;
  char m_delim;
  bool m_first_in_record = true;
  bool m_good = true;
};

/// A source over an in-memory string (for tests and small inputs).
CsvSource memory_source(std::string_view data);
/// A source over a file descriptor (read(2), retrying on EINTR).
CsvSource fd_source(int fd);

}  // namespace hashgate::cli
