// Unit tests of the streaming CSV reader/writer (cli/csv.hpp), RFC 4180 edge cases.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "csv.hpp"

namespace hashgate::cli {
namespace {

using Rows = std::vector<std::vector<std::string>>;

struct Parsed {
  Rows rows;
  CsvErrc error = CsvErrc::ok;
  std::size_t error_line = 0;
  bool bom = false;
  bool crlf = false;
};

// Parses `text`, feeding the reader `chunk` bytes at a time (small chunks exercise refills).
Parsed parse(std::string_view text, std::size_t chunk = 1 << 16, std::size_t max_field = 1 << 20) {
  CsvOptions opt;
  opt.chunk_bytes = chunk;
  opt.max_field_bytes = max_field;
  CsvReader reader(memory_source(text), opt);
  CsvRecord rec;
  Parsed p;
  while (reader.next(rec)) {
    std::vector<std::string> row;
    for (std::size_t i = 0; i < rec.size(); ++i) row.emplace_back(rec[i]);
    p.rows.push_back(std::move(row));
  }
  p.error = reader.error();
  p.error_line = reader.line();
  p.bom = reader.had_bom();
  p.crlf = reader.first_line_crlf();
  return p;
}

TEST(CliCsv, SimpleRowsLf) {
  auto p = parse("a,b,c\n1,2,3\n");
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_EQ(p.rows, (Rows{{"a", "b", "c"}, {"1", "2", "3"}}));
  EXPECT_FALSE(p.crlf);
}

TEST(CliCsv, NoTrailingNewline) {
  auto p = parse("a,b\n1,2");
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_EQ(p.rows, (Rows{{"a", "b"}, {"1", "2"}}));
}

TEST(CliCsv, CrlfLineEnds) {
  auto p = parse("a,b\r\n1,2\r\n");
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_EQ(p.rows, (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_TRUE(p.crlf);
}

TEST(CliCsv, QuotedFieldsWithDoubledQuotes) {
  auto p = parse("name,note\n\"Smith, J\",\"say \"\"hi\"\"\"\n");
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_EQ(p.rows, (Rows{{"name", "note"}, {"Smith, J", "say \"hi\""}}));
}

TEST(CliCsv, EmbeddedNewlinesCountLines) {
  auto p = parse("a,b\n\"x\ny\",\"1\r\n2\"\nlast,\"open");
  EXPECT_EQ(p.error, CsvErrc::unterminated_quote);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[1], (std::vector<std::string>{"x\ny", "1\r\n2"}));
  // Record 2 spans lines 2-4 (two quoted newlines); record 3 and its open quote are on line 5.
  EXPECT_EQ(p.error_line, 5u);
}

TEST(CliCsv, Utf8BomIsSkipped) {
  auto p = parse(
      "\xEF\xBB\xBF"
      "email\nx@y.z\n");
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_TRUE(p.bom);
  EXPECT_EQ(p.rows, (Rows{{"email"}, {"x@y.z"}}));
}

TEST(CliCsv, BomSplitAcrossReads) {
  auto p = parse(
      "\xEF\xBB\xBF"
      "a,b\n1,2\n",
      1);
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_TRUE(p.bom);
  EXPECT_EQ(p.rows, (Rows{{"a", "b"}, {"1", "2"}}));
}

TEST(CliCsv, EmptyFields) {
  auto p = parse("a,b,c\n,,\n\"\",x,\n");
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_EQ(p.rows, (Rows{{"a", "b", "c"}, {"", "", ""}, {"", "x", ""}}));
}

TEST(CliCsv, BlankLinesAreSkipped) {
  auto p = parse("a\n\n1\r\n\r\n2\n\n");
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_EQ(p.rows, (Rows{{"a"}, {"1"}, {"2"}}));
}

TEST(CliCsv, RaggedRowsAreReportedAsIs) {
  auto p = parse("a,b,c\n1,2\n1,2,3,4\n");
  EXPECT_EQ(p.error, CsvErrc::ok);
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_EQ(p.rows[1].size(), 2u);
  EXPECT_EQ(p.rows[2].size(), 4u);
}

TEST(CliCsv, UnterminatedQuoteGivesLine) {
  auto p = parse("a,b\n1,2\n3,\"oops\n4,5\n");
  EXPECT_EQ(p.error, CsvErrc::unterminated_quote);
  EXPECT_EQ(p.error_line, 3u);
  EXPECT_EQ(p.rows.size(), 2u);
}

TEST(CliCsv, TextAfterClosingQuoteIsAnError) {
  auto p = parse("a,b\n\"x\"y,2\n");
  EXPECT_EQ(p.error, CsvErrc::invalid_quote);
  EXPECT_EQ(p.error_line, 2u);
}

TEST(CliCsv, QuoteInsideUnquotedFieldIsLiteral) {
  auto p = parse("a,b\n5\" screen,2\n");
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_EQ(p.rows[1][0], "5\" screen");
}

TEST(CliCsv, OversizedFieldIsRejected) {
  std::string text = "a\n" + std::string(100, 'x') + "\n";
  auto ok = parse(text, 7, 100);
  EXPECT_EQ(ok.error, CsvErrc::ok);
  auto p = parse("a\nshort\n" + std::string(101, 'x') + "\n", 7, 100);
  EXPECT_EQ(p.error, CsvErrc::oversized_field);
  EXPECT_EQ(p.error_line, 3u);
  auto q = parse("a\n\"" + std::string(101, 'y') + "\"\n", 7, 100);
  EXPECT_EQ(q.error, CsvErrc::oversized_field);
}

TEST(CliCsv, RecordLimitCountsFieldBytesNotDelimiters) {
  // 12 field bytes on a 14-byte line: within a 12-byte record limit, over an 11-byte one.
  for (const std::size_t limit : {12u, 11u}) {
    CsvOptions opt;
    opt.max_record_bytes = limit;
    CsvReader reader(memory_source("h\naaaa,bbbb,cccc\n"), opt);
    CsvRecord rec;
    ASSERT_TRUE(reader.next(rec));
    EXPECT_EQ(reader.next(rec), limit == 12) << limit;
    EXPECT_EQ(reader.error(), limit == 12 ? CsvErrc::ok : CsvErrc::oversized_record) << limit;
    EXPECT_EQ(reader.line(), 2u);
  }
}

TEST(CliCsv, LoneCrEndsARecordInEveryPath) {
  // A CR not followed by LF ends the record (old Mac line ends), also mid-buffer.
  for (std::size_t chunk : {3u, 1u << 16}) {
    auto p = parse("a,b\rc,d\r\ne,f\n", chunk);
    EXPECT_EQ(p.rows, (Rows{{"a", "b"}, {"c", "d"}, {"e", "f"}})) << chunk;
    EXPECT_FALSE(p.crlf);
  }
}

TEST(CliCsv, NextAppendBatchesRecordsInOneStore) {
  const std::string text =
      "id,v\r\n1,plain\r\n2,\"quoted, \"\"with\"\"\nnewline\"\r\n\r\n3,\r\n4,last";
  for (std::size_t chunk : {1u, 4u, 1u << 16}) {
    CsvOptions opt;
    opt.chunk_bytes = chunk;
    CsvReader reader(memory_source(text), opt);
    CsvRecord batch;
    std::vector<std::size_t> lines;
    while (reader.next_append(batch)) lines.push_back(reader.line());
    EXPECT_EQ(reader.error(), CsvErrc::ok);
    ASSERT_EQ(batch.size(), 10u) << chunk;
    const char* want[] = {"id", "v", "1", "plain", "2", "quoted, \"with\"\nnewline",
                          "3",  "",  "4", "last"};
    for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(batch[i], want[i]) << chunk << " " << i;
    EXPECT_EQ(lines, (std::vector<std::size_t>{1, 2, 3, 6, 7})) << chunk;
    EXPECT_TRUE(reader.first_line_crlf());
  }
}

TEST(CliCsv, TinyChunksGiveSameResult) {
  std::string text =
      "\xEF\xBB\xBF"
      "e,p\r\n\"a,\"\"b\"\"\nc\",2\r\nx,\r\n";
  auto big = parse(text);
  for (std::size_t chunk : {1u, 2u, 3u, 5u}) {
    auto small = parse(text, chunk);
    EXPECT_EQ(small.rows, big.rows) << "chunk " << chunk;
    EXPECT_EQ(small.error, CsvErrc::ok);
  }
  EXPECT_EQ(big.rows, (Rows{{"e", "p"}, {"a,\"b\"\nc", "2"}, {"x", ""}}));
}

TEST(CliCsv, ReadErrorIsReported) {
  int calls = 0;
  CsvReader reader([&calls](char* buf, std::size_t) -> std::ptrdiff_t {
    if (calls++ == 0) {
      std::memcpy(buf, "a,b\n1,", 6);
      return 6;
    }
    return -1;
  });
  CsvRecord rec;
  ASSERT_TRUE(reader.next(rec));
  EXPECT_FALSE(reader.next(rec));
  EXPECT_EQ(reader.error(), CsvErrc::read_error);
}

TEST(CliCsv, WriterQuotesOnlyWhenNeeded) {
  std::string out;
  {
    CsvWriter w([&out](const char* p, std::size_t n) {
      out.append(p, n);
      return true;
    });
    w.field("plain");
    w.field("a,b");
    w.field("say \"hi\"");
    w.field("two\nlines");
    w.field("");
    w.end_record();
    ASSERT_TRUE(w.flush());
  }
  EXPECT_EQ(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
}

TEST(CliCsv, WriterRoundTripsThroughReader) {
  Rows rows{{"h1", "h2"}, {"x\r\ny", "\""}, {",", ""}};
  std::string out;
  {
    CsvWriter w(
        [&out](const char* p, std::size_t n) {
          out.append(p, n);
          return true;
        },
        true);
    for (const auto& r : rows) {
      for (const auto& f : r) w.field(f);
      w.end_record();
    }
  }
  auto p = parse(out);
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_TRUE(p.crlf);
  EXPECT_EQ(p.rows, rows);
}

TEST(CliCsv, WriterQuotesAFieldThatStartsWithBomBytes) {
  // Found by fuzz_csv (tests/fuzz/regressions/fuzz_csv): unquoted, such a first field would be
  // read back as a byte-order mark and lose its first three bytes.
  Rows rows{{"\xEF\xBB\xBFid", "x"}, {"a", "\xEF\xBB\xBF"}};
  std::string out;
  {
    CsvWriter w([&out](const char* p, std::size_t n) {
      out.append(p, n);
      return true;
    });
    for (const auto& r : rows) {
      for (const auto& f : r) w.field(f);
      w.end_record();
    }
  }
  EXPECT_EQ(out.substr(0, 1), "\"");
  auto p = parse(out);
  EXPECT_EQ(p.error, CsvErrc::ok);
  EXPECT_EQ(p.rows, rows);
}

TEST(CliCsv, RandomRecordsRoundTripAtAnyChunkSize) {
  // Deterministic pseudo-random fields over an alphabet heavy in CSV metacharacters.
  const std::string alphabet = "a,\"\r\n xé";
  std::uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  Rows rows;
  for (int r = 0; r < 200; ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < 4; ++c) {
      std::string f;
      for (std::uint32_t n = next() % 12; n > 0; --n) f += alphabet[next() % alphabet.size()];
      row.push_back(f);
    }
    // A record whose only field is empty would be an empty line, which the reader skips.
    if (row[0].empty()) row[0] = "a";
    rows.push_back(row);
  }
  for (bool crlf : {false, true}) {
    std::string out;
    {
      CsvWriter w(
          [&out](const char* p, std::size_t n) {
            out.append(p, n);
            return true;
          },
          crlf);
      for (const auto& r : rows) {
        for (const auto& f : r) w.field(f);
        w.end_record();
      }
    }
    for (std::size_t chunk : {1u, 3u, 16u, 4096u}) {
      auto p = parse(out, chunk);
      EXPECT_EQ(p.error, CsvErrc::ok) << chunk;
      EXPECT_EQ(p.rows, rows) << "chunk " << chunk << " crlf " << crlf;
    }
  }
}

TEST(CliCsv, WriterReportsSinkFailure) {
  CsvWriter w([](const char*, std::size_t) { return false; });
  w.field("x");
  w.end_record();
  EXPECT_FALSE(w.flush());
  EXPECT_FALSE(w.good());
}

TEST(CliCsv, ErrorNames) {
  EXPECT_EQ(csv_error_name(CsvErrc::unterminated_quote), "unterminated_quote");
  EXPECT_EQ(csv_error_name(CsvErrc::oversized_field), "oversized_field");
}

}  // namespace
}  // namespace hashgate::cli
