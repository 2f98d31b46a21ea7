// Differential fuzzing of the gateway's request-body JSON parser (api::JsonDoc) against
// nlohmann::json: the same validity, kinds, values, member order and dump for every input.
#include <cstdio>
#include <string_view>

#include "../gateway/json_doc_oracle.hpp"
#include "fuzz_common.hpp"
#include "hashgate/hashgate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t open = 0;  // keep the recursive comparison shallow
  for (char c : text) open += c == '[' || c == '{';
  if (open > 256) return 0;
  const std::string why = hashgate::gw::test::json_differs(text);
  if (!why.empty()) std::fprintf(stderr, "JsonDoc vs nlohmann: %s\n", why.c_str());
  HG_FUZZ_CHECK(why.empty());
  // What the gateway's read_json_body relies on to skip its own scans: a parsed body is
  // well-formed UTF-8 and nests no deeper than the limit it was parsed with.
  for (std::size_t limit : {std::size_t{1}, std::size_t{8}, std::size_t{24}}) {
    hashgate::gw::api::JsonDoc doc;
    if (!doc.parse(text, limit)) continue;
    HG_FUZZ_CHECK(hashgate::valid_utf8(text));
    HG_FUZZ_CHECK(doc.root().depth() <= limit);
  }
  return 0;
}
