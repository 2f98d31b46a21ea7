// Fuzzes the pure event parser (gateway/api/parse_event) and the route table's path patterns.
// Selector byte: even → the payload is one JSON event; odd → the payload is a request path.
// Invariants: parse_event never throws and answers either a typed event whose fields meet the
// documented limits or a rejection whose path is a JSON pointer under /events/0 that echoes no
// e-mail address of the input; a path matches a pattern only with named segments that the
// segment grammar accepts, and rebuilding the path from the pattern and the captured values
// gives the path back.
#include <string>

#include "fuzz_common.hpp"
#include "gateway/api/json_doc.hpp"
#include "gateway/api/parse_event.hpp"
#include "gateway/api/route_table.hpp"

using namespace hashgate::gw::api;

namespace {

bool hex_digest(const std::string& s) {
  if (s.size() != 64 && s.size() != 40 && s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void check_event(std::string_view text) {
  JsonDoc doc;
  if (!doc.parse(text, 24)) return;
  constexpr std::int64_t now = 1764374400;
  auto r = parse_event(doc.root(), "/events/0", now);
  if (!r) {
    const EventRejection& why = r.error();
    HG_FUZZ_CHECK(!why.code.empty());
    HG_FUZZ_CHECK(why.path.rfind("/events/0", 0) == 0);
    // A path names keys only when they are plain names: never an '@'.
    HG_FUZZ_CHECK(why.path.find('@') == std::string::npos);
    return;
  }
  const ParsedEvent& e = *r;
  HG_FUZZ_CHECK(!e.event_id.empty() && e.event_id.size() <= k_max_event_id);
  HG_FUZZ_CHECK(valid_event_type(e.type));
  HG_FUZZ_CHECK(e.time <= now + k_max_future_s && e.time >= now - k_max_age_s);
  HG_FUZZ_CHECK(!e.ids.empty() || e.online_ids_json.size() > 2);
  for (const auto& [k, v] : e.ids) HG_FUZZ_CHECK(hex_digest(v));
  HG_FUZZ_CHECK(!e.consent.gdpr || *e.consent.gdpr == 0 || *e.consent.gdpr == 1);
  HG_FUZZ_CHECK(!e.consent.tcf || e.consent.tcf->size() <= k_max_tc_string);
}

void check_path(std::string_view path) {
  static const PathPattern patterns[] = {PathPattern("/v1/audiences/{name}/members"),
                                         PathPattern("/v1/a/{x}/b/{y}"),
                                         PathPattern("/v1/events/export")};
  for (const auto& p : patterns) {
    PathParams params;
    if (!p.match(path, params)) continue;
    // Rebuild: literal segments from the pattern, named ones from the captured values.
    std::string rebuilt;
    std::string_view pat = p.text();
    while (!pat.empty()) {
      const std::size_t open = pat.find('{');
      if (open == std::string_view::npos) {
        rebuilt += pat;
        break;
      }
      rebuilt += pat.substr(0, open);
      const std::size_t close = pat.find('}', open);
      const std::string_view value = params.get(pat.substr(open + 1, close - open - 1));
      HG_FUZZ_CHECK(valid_segment_value(value));
      rebuilt += value;
      pat = pat.substr(close + 1);
    }
    HG_FUZZ_CHECK(rebuilt == path);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hashgate::fuzz::Cursor in(data, size);
  if (in.byte() % 2 == 0)
    check_event(in.rest());
  else
    check_path(in.rest());
  return 0;
}
