#include "csv.hpp"

#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hashgate/hashgate.hpp"

namespace hashgate::cli {

std::string_view csv_error_name(CsvErrc e) noexcept {
  switch (e) {
    case CsvErrc::ok:
      return "ok";
    case CsvErrc::unterminated_quote:
      return "unterminated_quote";
    case CsvErrc::invalid_quote:
      return "invalid_quote";
    case CsvErrc::oversized_field:
      return "oversized_field";
    case CsvErrc::oversized_record:
      return "oversized_record";
    case CsvErrc::read_error:
      return "read_error";
  }
  return "unknown";
}

void CsvRecord::wipe() noexcept {
  if (!m_data.empty()) secure_zero(m_data.data(), m_data.size());
  m_data.clear();
  m_spans.clear();
}

CsvReader::CsvReader(CsvSource source, CsvOptions opt) : m_source(std::move(source)), m_opt(opt) {
  if (m_opt.chunk_bytes < 16) m_opt.chunk_bytes = 16;
  const char d = m_opt.delimiter;
  m_fast = d != '\n' && d != '\r' && d != '"';
  m_class[static_cast<unsigned char>(d)] = 1;
  for (const char c : {'\n', '\r', '"'}) m_class[static_cast<unsigned char>(c)] = 2;
}

CsvReader::~CsvReader() { secure_clear(m_buf); }

bool CsvReader::fill() {
  if (m_eof) return false;
  if (m_pos > 0) {
    std::memmove(m_buf.data(), m_buf.data() + m_pos, m_len - m_pos);
    m_len -= m_pos;
    m_pos = 0;
  }
  if (m_buf.size() < m_len + m_opt.chunk_bytes) m_buf.resize(m_len + m_opt.chunk_bytes);
  std::ptrdiff_t n = m_source(m_buf.data() + m_len, m_buf.size() - m_len);
  if (n < 0) {
    m_error = CsvErrc::read_error;
    m_eof = true;
    return false;
  }
  if (n == 0) {
    m_eof = true;
    return false;
  }
  m_len += static_cast<std::size_t>(n);
  return true;
}

int CsvReader::peek() {
  while (m_pos == m_len) {
    if (!fill()) return -1;
  }
  return static_cast<unsigned char>(m_buf[m_pos]);
}

namespace {

// Appends `n` bytes to `d`; if `d` must grow, the old block (raw field bytes) is zeroed before
// it is freed.
void append_bytes(std::string& d, const char* p, std::size_t n) {
  if (d.size() + n > d.capacity()) {
    std::string bigger;
    bigger.reserve(std::max(d.size() + n, 2 * d.capacity()));
    bigger.assign(d);
    secure_clear(d);
    d.swap(bigger);
  }
  d.append(p, n);
}

}  // namespace

bool CsvReader::append(CsvRecord& rec, const char* p, std::size_t n, std::size_t field_start) {
  std::string& d = rec.m_data;
  if (d.size() + n - field_start > m_opt.max_field_bytes) {
    m_error = CsvErrc::oversized_field;
    return false;
  }
  if (d.size() - m_record_start + n > m_opt.max_record_bytes) {
    m_error = CsvErrc::oversized_record;
    return false;
  }
  append_bytes(d, p, n);
  return true;
}

const char* CsvReader::scan_plain(const char* p, const char* e) const noexcept {
#if defined(__SSE2__)
  // 16 bytes at a time: one compare per special byte, one mask.
  const __m128i delim = _mm_set1_epi8(m_opt.delimiter);
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i quote = _mm_set1_epi8('"');
  while (e - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, delim), _mm_cmpeq_epi8(v, lf)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, quote)));
    if (const int mask = _mm_movemask_epi8(hit); mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p != e && m_class[static_cast<unsigned char>(*p)] == 0) ++p;
  return p;
}

bool CsvReader::fast_line(CsvRecord& rec) {
  // The common case in one pass: a whole line already buffered, without quotes or a lone CR,
  // within the limits. Anything else returns false with nothing changed, and the general
  // parser below handles it (and reports errors exactly as before).
  if (!m_fast) return false;
  const char* const b = m_buf.data() + m_pos;
  const char* const e = m_buf.data() + m_len;
  const std::size_t base = rec.m_data.size();
  const std::size_t first_span = rec.m_spans.size();
  const char* p = b;
  const char* f = b;  // start of the current field
  auto give_up = [&] {
    rec.m_spans.resize(first_span);
    return false;
  };
  for (;;) {
    p = scan_plain(p, e);
    if (p == e) return give_up();
    if (m_class[static_cast<unsigned char>(*p)] != 1) break;
    if (static_cast<std::size_t>(p - f) > m_opt.max_field_bytes) return give_up();
    rec.m_spans.emplace_back(static_cast<std::uint32_t>(base + (f - b)),
                             static_cast<std::uint32_t>(p - f));
    f = ++p;
  }
  const char* const line_end = p;
  bool crlf = false;
  if (*p == '\r') {
    if (p + 1 == e || p[1] != '\n') return give_up();
    crlf = true;
    ++p;
  } else if (*p != '\n') {
    return give_up();  // a quote
  }
  if (static_cast<std::size_t>(line_end - f) > m_opt.max_field_bytes) return give_up();
  rec.m_spans.emplace_back(static_cast<std::uint32_t>(base + (f - b)),
                           static_cast<std::uint32_t>(line_end - f));
  const std::size_t nfields = rec.m_spans.size() - first_span;
  if (static_cast<std::size_t>(line_end - b) - (nfields - 1) > m_opt.max_record_bytes) {
    return give_up();
  }
  append_bytes(rec.m_data, b, static_cast<std::size_t>(line_end - b));  // delimiters included
  m_pos += static_cast<std::size_t>(p + 1 - b);
  ++m_line;
  if (m_records == 0) m_first_crlf = crlf;
  ++m_records;
  return true;
}

bool CsvReader::next(CsvRecord& rec) {
  rec.wipe();
  return next_append(rec);
}

void CsvReader::skip_bom() {
  m_started = true;
  while (m_len - m_pos < 3 && fill()) {
  }
  if (m_len - m_pos >= 3 && std::memcmp(m_buf.data() + m_pos, "\xEF\xBB\xBF", 3) == 0) {
    m_pos += 3;
    m_had_bom = true;
  }
}

bool CsvReader::skip_empty_lines() {
  for (;;) {
    m_record_line = m_line;
    int c = peek();
    if (c < 0) return false;  // clean end or read_error (already recorded)
    if (c == '\n') {
      ++m_pos;
      ++m_line;
      continue;
    }
    if (c == '\r') {
      ++m_pos;
      if (peek() == '\n') ++m_pos;
      ++m_line;
      continue;
    }
    return true;
  }
}

bool CsvReader::quoted_field(CsvRecord& rec, std::size_t start) {
  ++m_pos;  // the opening quote
  const std::size_t quote_line = m_line;
  for (;;) {
    if (m_pos == m_len && peek() < 0) {
      if (m_error == CsvErrc::ok) m_error = CsvErrc::unterminated_quote;
      m_record_line = quote_line;
      return false;
    }
    const char* b = m_buf.data() + m_pos;
    const char* e = m_buf.data() + m_len;
    const char* q = b;
    while (q != e && *q != '"' && *q != '\n') ++q;
    if (!append(rec, b, static_cast<std::size_t>(q - b), start)) return false;
    m_pos += static_cast<std::size_t>(q - b);
    if (q == e) continue;
    if (*q == '\n') {
      if (!append(rec, q, 1, start)) return false;
      ++m_pos;
      ++m_line;
      continue;
    }
    ++m_pos;  // the quote
    if (peek() == '"') {
      if (!append(rec, "\"", 1, start)) return false;
      ++m_pos;
      continue;
    }
    break;  // closing quote
  }
  const int c = peek();
  if (c != m_opt.delimiter && c != '\n' && c != '\r' && c >= 0) {
    m_error = CsvErrc::invalid_quote;
    m_record_line = m_line;
    return false;
  }
  return true;
}

bool CsvReader::plain_field(CsvRecord& rec, std::size_t start) {
  const char delim = m_opt.delimiter;
  for (;;) {
    if (m_pos == m_len && peek() < 0) return true;
    const char* b = m_buf.data() + m_pos;
    const char* e = m_buf.data() + m_len;
    const char* q = b;
    while (q != e && *q != delim && *q != '\n' && *q != '\r') ++q;
    if (!append(rec, b, static_cast<std::size_t>(q - b), start)) return false;
    m_pos += static_cast<std::size_t>(q - b);
    if (q != e) return true;
  }
}

bool CsvReader::end_record() {
  bool crlf = false;
  int c = peek();
  if (c == '\r') {
    ++m_pos;
    if (peek() == '\n') {
      ++m_pos;
      crlf = true;
    }
    ++m_line;
  } else if (c == '\n') {
    ++m_pos;
    ++m_line;
  }
  if (m_error == CsvErrc::read_error) return false;
  if (m_records == 0) m_first_crlf = crlf;
  ++m_records;
  return true;
}

bool CsvReader::next_append(CsvRecord& rec) {
  if (m_error != CsvErrc::ok) return false;
  m_record_start = rec.m_data.size();
  if (!m_started) skip_bom();
  if (!skip_empty_lines()) return false;
  if (fast_line(rec)) return true;
  for (;;) {  // one field per iteration
    const std::size_t start = rec.m_data.size();
    const bool read = peek() == '"' ? quoted_field(rec, start) : plain_field(rec, start);
    if (!read) return false;
    const int c = peek();
    if (m_error == CsvErrc::read_error) return false;
    rec.m_spans.emplace_back(static_cast<std::uint32_t>(start),
                             static_cast<std::uint32_t>(rec.m_data.size() - start));
    if (c != m_opt.delimiter) break;  // end of record: CR, LF or end of input
    ++m_pos;
  }
  return end_record();
}

CsvWriter::CsvWriter(CsvSink sink, bool crlf, char delimiter)
    : m_sink(std::move(sink)), m_crlf(crlf), m_delim(delimiter) {
  m_buf.reserve(1 << 17);
}

CsvWriter::~CsvWriter() {
  flush();
  secure_clear(m_buf);
}

void CsvWriter::write_raw(std::string_view bytes) { m_buf.append(bytes); }

void append_csv_field(std::string& out, std::string_view value, char delimiter) {
  // A field that starts with UTF-8 BOM bytes is quoted, or at the start of a file a reader would
  // take those bytes for a byte-order mark and drop them.
  bool quote = value.substr(0, 3) == "\xEF\xBB\xBF";
  if (!quote) {
    // CR, LF and the quote are all <= 0x22: one compare skips most bytes.
    for (const char ch : value) {
      if (static_cast<unsigned char>(ch) <= '"' || ch == delimiter) {
        if (ch == delimiter || ch == '"' || ch == '\n' || ch == '\r') {
          quote = true;
          break;
        }
      }
    }
  }
  if (!quote) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (const char ch : value) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
}

void CsvWriter::field(std::string_view value) {
  if (!m_first_in_record) m_buf.push_back(m_delim);
  m_first_in_record = false;
  append_csv_field(m_buf, value, m_delim);
}

void CsvWriter::end_record() {
  if (m_crlf) m_buf.push_back('\r');
  m_buf.push_back('\n');
  m_first_in_record = true;
  if (m_buf.size() >= (1 << 16)) flush();
}

bool CsvWriter::flush() {
  if (!m_buf.empty()) {
    if (m_good && !m_sink(m_buf.data(), m_buf.size())) m_good = false;
    secure_zero(m_buf.data(), m_buf.size());
    m_buf.clear();
  }
  return m_good;
}

void CsvWriter::discard() noexcept {
  if (!m_buf.empty()) secure_zero(m_buf.data(), m_buf.size());
  m_buf.clear();
  m_first_in_record = true;
}

CsvSource memory_source(std::string_view data) {
  return [data, pos = std::size_t{0}](char* buf, std::size_t cap) mutable -> std::ptrdiff_t {
    std::size_t n = std::min(cap, data.size() - pos);
    std::memcpy(buf, data.data() + pos, n);
    pos += n;
    return static_cast<std::ptrdiff_t>(n);
  };
}

CsvSource fd_source(int fd) {
  return [fd](char* buf, std::size_t cap) -> std::ptrdiff_t {
    for (;;) {
      ssize_t n = ::read(fd, buf, cap);
      if (n < 0 && errno == EINTR) continue;
      return n < 0 ? -1 : static_cast<std::ptrdiff_t>(n);
    }
  };
}

}  // namespace hashgate::cli
