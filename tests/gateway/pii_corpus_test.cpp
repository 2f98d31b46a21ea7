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

namespace {

using hashgate::gw::api::Gateway;
using hashgate::gw::api::Metrics;
using hashgate::gw::api::Request;
using hashgate::gw::api::Response;

constexpr std::int64_t k_now = 1764374400;
// printf %s test@example.com | sha256sum ; API key "sk_test": printf %s sk_test | sha256sum
const std::string k_em = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b";
const std::string k_api_hash = "12b2820cf1639904311da5771de1e5bb65c77073fdc7c555df395942df42896b";

/// A Gateway over the in-memory store, for one tenant with `pii` settings (JSON, may be empty).
struct PiiHandler {
  explicit PiiHandler(const std::string& pii) {
    std::string cfg = R"({"static":{"sdk_root":"/nonexistent","demo_root":"/nonexistent"},)"
                      R"("tenants":[{"id":"t1","api_key_sha256":")" +
                      k_api_hash + "\"" + (pii.empty() ? "" : R"(,"pii":)" + pii) + "}]}";
    gw.emplace(hashgate::gw::config::parse_config(cfg), store, metrics, [] { return k_now; });
  }
  /// Posts one event with `custom` (and `online_ids`) and returns the answer.
  Response post(const json& custom, const json& online_ids = nullptr) {
    json ev = {{"event_id", "e" + std::to_string(++n)},
               {"type", "purchase"},
               {"time", k_now},
               {"ids", {{"em", k_em}}},
               {"custom", custom}};
    if (!online_ids.is_null()) ev["online_ids"] = online_ids;
    Request r;
    r.method = "POST";
    r.target = "/v1/events";
    r.headers = {{"authorization", "Bearer sk_test"}, {"content-type", "application/json"}};
    r.body = json{{"events", json::array({ev})}}.dump();
    std::optional<Response> out;
    gw->handle(std::move(r), [&](Response x) { out = std::move(x); });
    EXPECT_TRUE(out.has_value());
    return out.value_or(Response{});
  }
  /// "accepted", or the JSON pointer of a raw_pii rejection, or a description of the answer.
  std::string outcome(const json& custom, const json& online_ids = nullptr) {
    const Response r = post(custom, online_ids);
    const json body = json::parse(r.body, nullptr, false);
    if (r.status == 202 && body.value("accepted", 0) == 1) return "accepted";
    if (r.status == 422 && body.contains("rejected") && body["rejected"].size() == 1 &&
        body["rejected"][0]["code"] == "raw_pii")
      return body["rejected"][0]["path"];
    return std::to_string(r.status) + " " + r.body;
  }
  hashgate::gw::test::MemStore store;
  Metrics metrics;
  std::optional<Gateway> gw;
  int n = 0;
};

}  // namespace

TEST(GatewayPiiCorpus, ShopPayloadsPassAndPhonesInThemAreRefusedAtTheirPath) {
  std::ifstream in(corpus_file("payloads.json"));
  const json doc = json::parse(in, nullptr, false);
  ASSERT_TRUE(doc.contains("cases"));
  PiiHandler h("");
  int fp = 0, fn = 0;
  for (const auto& c : doc["cases"]) {
    const std::string want = c["expect"],
                      got = h.outcome(c["custom"], c.value("online_ids", json()));
    if (got == want) continue;
    (want == "accepted" ? fp : fn) += 1;
    ADD_FAILURE() << c["name"] << ": expected " << want << ", got " << got;
  }
  std::printf("pii payloads: %zu events: %d false positives, %d false negatives\n",
              doc["cases"].size(), fp, fn);
}

TEST(GatewayPiiCorpus, AllowPathsLetIdentifiersThroughOnlyWhereConfigured) {
  PiiHandler plain("");
  PiiHandler allow(R"({"allow_paths":["/custom/items/*/sku"]})");
  // A SKU that happens to be phone-shaped: refused by default, accepted on the allowed path.
  const json sku = {{"items", json::array({{{"sku", "0612345678"}}, {{"sku", "0687654321"}}})}};
  EXPECT_EQ(plain.outcome(sku), "/events/0/custom/items/0/sku");
  EXPECT_EQ(allow.outcome(sku), "accepted");
  // The same value one key over, or as a key, is still refused; e-mail is refused everywhere.
  EXPECT_EQ(allow.outcome({{"items", json::array({{{"note", "0612345678"}}})}}),
            "/events/0/custom/items/0/note");
  EXPECT_EQ(allow.outcome({{"items", json::array({{{"sku", "jan@example.nl"}}})}}),
            "/events/0/custom/items/0/sku");
  EXPECT_EQ(allow.outcome({{"sku", "0612345678"}}), "/events/0/custom/sku");
  EXPECT_EQ(allow.outcome({{"items", json::array({{{"sku", 31612345678}}})}}), "accepted");
}

TEST(GatewayPiiCorpus, PhoneRegionsAreTheTenants) {
  PiiHandler us_only(R"({"phone_regions":["US"]})");
  PiiHandler nl_only(R"({"phone_regions":["NL"]})");
  EXPECT_EQ(us_only.outcome({{"note", "06 12345678"}}), "accepted");
  EXPECT_EQ(nl_only.outcome({{"note", "06 12345678"}}), "/events/0/custom/note");
  EXPECT_EQ(us_only.outcome({{"note", "(555) 123-4567"}}), "/events/0/custom/note");
  EXPECT_EQ(nl_only.outcome({{"note", "(555) 123-4567"}}), "accepted");
  // '+' numbers are checked in their own country's plan whatever the tenant's regions.
  EXPECT_EQ(us_only.outcome({{"note", "+31 (0)6 1234 5678"}}), "/events/0/custom/note");
}
