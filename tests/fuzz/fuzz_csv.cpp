// Fuzzes the streaming CSV reader with tiny chunks (so records straddle reads) against the same
// input read in 4 KiB chunks (the line fast path), then checks a round trip: what the reader
// parsed, written back by CsvWriter and parsed again, is the same.
#include <csv.hpp>

#include <string>
#include <vector>

#include "fuzz_common.hpp"

using namespace hashgate::cli;

namespace {

std::vector<std::vector<std::string>> parse(std::string_view text, std::size_t chunk, CsvErrc& err,
                                            bool& had_bom) {
  std::size_t pos = 0;
  CsvOptions opt;
  opt.chunk_bytes = chunk;
  opt.max_field_bytes = 512;
  opt.max_record_bytes = 2048;
  CsvReader reader(
      [&](char* buf, std::size_t cap) -> std::ptrdiff_t {
        const std::size_t n = std::min(cap, text.size() - pos);
        std::copy_n(text.data() + pos, n, buf);
        pos += n;
        return static_cast<std::ptrdiff_t>(n);
      },
      opt);
  std::vector<std::vector<std::string>> out;
  CsvRecord rec;
  while (reader.next(rec)) {
    auto& row = out.emplace_back();
    for (std::size_t i = 0; i < rec.size(); ++i) row.emplace_back(rec[i]);
  }
  err = reader.error();
  had_bom = reader.had_bom();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hashgate::fuzz::Cursor in(data, size);
  const std::size_t chunk = 1 + in.byte() % 17;
  const std::string_view text = in.rest();
  CsvErrc err = CsvErrc::ok;
  bool had_bom = false;
  const auto rows = parse(text, chunk, err, had_bom);
  // Differential: with 4 KiB reads (more than -max_len) whole lines sit in the buffer and the
  // reader's one-pass line fast path takes them; with tiny reads the general parser does most of
  // the work. Both must give the same records, the same error and the same BOM decision.
  {
    CsvErrc err_big = CsvErrc::ok;
    bool bom_big = false;
    const auto rows_big = parse(text, 4096, err_big, bom_big);  // > max_len: whole input buffered
    HG_FUZZ_CHECK(err_big == err);
    HG_FUZZ_CHECK(bom_big == had_bom);
    HG_FUZZ_CHECK(rows_big == rows);
  }
  if (err != CsvErrc::ok) return 0;

  std::string written;
  {
    CsvWriter writer([&](const char* p, std::size_t n) {
      written.append(p, n);
      return true;
    });
    // Like hash-file: a BOM the reader skipped is written back, so a field that itself starts
    // with BOM bytes is not taken for one on the second read.
    if (had_bom) writer.write_raw("\xEF\xBB\xBF");
    for (const auto& row : rows) {
      for (const auto& f : row) writer.field(f);
      writer.end_record();
    }
    HG_FUZZ_CHECK(writer.flush());
  }
  CsvErrc err2 = CsvErrc::ok;
  bool bom2 = false;
  const auto again = parse(written, 7, err2, bom2);
  HG_FUZZ_CHECK(err2 == CsvErrc::ok);
  // Records that consist of one empty field are written as empty lines, which the reader skips.
  std::vector<std::vector<std::string>> expect;
  for (const auto& row : rows)
    if (!(row.size() == 1 && row[0].empty())) expect.push_back(row);
  HG_FUZZ_CHECK(again == expect);
  return 0;
}
