// parse_event: one JSON event → ParsedEvent or EventRejection, as a list of named field readers.
#include "gateway/api/parse_event.hpp"

#include <cctype>
#include <limits>

#include "gateway/api/body.hpp"
#include "gateway/policy/pii_guard.hpp"

namespace hashgate::gw::api {

namespace {

using Rejected = std::optional<EventRejection>;

/// What every field reader gets: the event, its JSON pointer and the current time.
struct EventInput {
  JsonDoc::Value ev;
  const std::string& at;
  std::int64_t now;
  PiiScan& scan;
};

Rejected reject(std::string code, std::string path) {
  return EventRejection{std::move(code), std::move(path)};
}

bool known_field(std::string_view k) {
  return k == "event_id" || k == "type" || k == "time" || k == "ids" || k == "online_ids" ||
         k == "consent" || k == "custom";
}

/// Raw PII anywhere in the event, then: an object with known fields only.
Rejected check_shape(const EventInput& in) {
  std::string pii_path;
  if (find_raw_pii(in.ev, in.at, pii_path, in.scan)) return reject("raw_pii", std::move(pii_path));
  if (!in.ev.is_object()) return reject("invalid_event", in.at);
  std::string_view bad_key;
  in.ev.members([&](std::string_view k, JsonDoc::Value) {
    if (!known_field(k)) bad_key = k;
    return bad_key.empty();
  });
  if (!bad_key.empty()) return reject("unknown_field", in.at + "/" + path_key(bad_key));
  return std::nullopt;
}

bool valid_event_id(std::string_view id) {
  if (id.empty() || id.size() > k_max_event_id) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
          c == '-'))
      return false;
  return true;
}

Rejected read_event_id(const EventInput& in, ParsedEvent& out) {
  const JsonDoc::Value v = in.ev.find("event_id");
  if (!v.valid() || !v.is_string()) return reject("missing_field", in.at + "/event_id");
  if (!valid_event_id(v.str())) return reject("invalid_event_id", in.at + "/event_id");
  out.event_id = v.str();
  return std::nullopt;
}

Rejected read_type(const EventInput& in, ParsedEvent& out) {
  const JsonDoc::Value v = in.ev.find("type");
  if (!v.valid() || !v.is_string()) return reject("missing_field", in.at + "/type");
  if (!valid_event_type(v.str())) return reject("invalid_type", in.at + "/type");
  out.type = v.str();
  return std::nullopt;
}

/// Unix seconds, at most k_max_future_s ahead and k_max_age_s old; absent: now.
Rejected read_time(const EventInput& in, ParsedEvent& out) {
  const JsonDoc::Value t = in.ev.find("time");
  out.time = in.now;
  if (!t.valid()) return std::nullopt;
  if (!t.is_integer() ||
      (t.is_unsigned() &&
       t.as_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))
    return reject("invalid_time", in.at + "/time");
  out.time = t.as_int64();
  if (out.time > in.now + k_max_future_s || out.time < in.now - k_max_age_s)
    return reject("invalid_time", in.at + "/time");
  return std::nullopt;
}

Rejected read_ids(const EventInput& in, ParsedEvent& out) {
  const JsonDoc::Value ids = in.ev.find("ids");
  if (!ids.valid()) return std::nullopt;
  IdSet r = parse_ids(ids, in.at + "/ids");
  if (!r.code.empty()) return reject(std::move(r.code), std::move(r.path));
  out.ids = std::move(r.ids);
  return std::nullopt;
}

bool valid_online_key(std::string_view k) {
  if (k.empty() || k.size() > k_max_online_key) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

/// An object of at most k_max_online_ids online identifiers (policy::valid_online_id).
Rejected read_online_ids(const EventInput& in, ParsedEvent& out) {
  const JsonDoc::Value o = in.ev.find("online_ids");
  if (!o.valid()) return std::nullopt;
  const std::string at = in.at + "/online_ids";
  if (!o.is_object() || o.size() > k_max_online_ids) return reject("invalid_online_id", at);
  std::string bad;
  o.members([&](std::string_view k, JsonDoc::Value v) {
    if (!valid_online_key(k))
      bad = at + "/" + path_key(k);
    else if (!v.is_string() || !policy::valid_online_id(v.str()))
      bad = at + "/" + std::string(k);
    return bad.empty();
  });
  if (!bad.empty()) return reject("invalid_online_id", std::move(bad));
  o.dump(out.online_ids_json);
  return std::nullopt;
}

/// An event needs at least one hashed id or online id.
Rejected require_an_id(const EventInput& in, ParsedEvent& out) {
  if (out.ids.empty() && out.online_ids_json.size() <= 2)
    return reject("missing_field", in.at + "/ids");
  return std::nullopt;
}

Rejected read_custom(const EventInput& in, ParsedEvent& out) {
  const JsonDoc::Value c = in.ev.find("custom");
  if (!c.valid()) return std::nullopt;
  if (!c.is_object()) return reject("invalid_custom", in.at + "/custom");
  if (c.depth() > k_max_custom_depth) return reject("too_deep", in.at + "/custom");
  c.dump(out.custom_json);
  return std::nullopt;
}

/// One member of "consent"; false when its value is invalid or the key unknown.
bool read_consent_member(std::string_view k, JsonDoc::Value v, EventConsent& out) {
  if (k == "gdpr") {
    if (v.is_boolean()) return out.gdpr = v.boolean() ? 1 : 0, true;
    // Exactly 0 or 1: a whole number that only casts to one (2^32 + 1) is invalid.
    const std::int64_t g = v.is_integer() ? v.as_int64() : -1;
    if (g == 0 || g == 1) return out.gdpr = static_cast<int>(g), true;
    return false;
  }
  if (k == "tcf") {
    if (!v.is_string() || v.str().size() > k_max_tc_string) return false;
    return out.tcf = v.str(), true;
  }
  if (k == "legal_basis")
    return v.is_string() && (v.str() == "consent" || v.str() == "legitimate_interest");
  return false;
}

Rejected read_consent(const EventInput& in, ParsedEvent& out) {
  const JsonDoc::Value c = in.ev.find("consent");
  if (!c.valid()) return std::nullopt;
  const std::string at = in.at + "/consent";
  if (!c.is_object()) return reject("invalid_consent", at);
  std::string bad;
  c.members([&](std::string_view k, JsonDoc::Value v) {
    if (read_consent_member(k, v, out.consent)) return true;
    const bool known = k == "gdpr" || k == "tcf" || k == "legal_basis";
    bad = at + "/" + (known ? std::string(k) : path_key(k));
    return false;
  });
  if (!bad.empty()) return reject("invalid_consent", std::move(bad));
  return std::nullopt;
}

}  // namespace

bool valid_event_type(std::string_view type) {
  static constexpr std::string_view k_types[] = {"purchase", "login",       "lead",   "page_view",
                                                 "custom",   "add_to_cart", "sign_up"};
  for (auto t : k_types)
    if (t == type) return true;
  return false;
}

Expected<ParsedEvent, EventRejection> parse_event(JsonDoc::Value ev, const std::string& at,
                                                  std::int64_t now) {
  PiiScan scan{policy::default_pii_guard(), {}, true};
  return parse_event(ev, at, now, scan);
}

Expected<ParsedEvent, EventRejection> parse_event(JsonDoc::Value ev, const std::string& at,
                                                  std::int64_t now, PiiScan& scan) {
  const EventInput in{ev, at, now, scan};
  if (Rejected bad = check_shape(in)) return Unexpected{std::move(*bad)};
  using Reader = Rejected (*)(const EventInput&, ParsedEvent&);
  static constexpr Reader k_readers[] = {read_event_id,   read_type,     read_time,   read_ids,
                                         read_online_ids, require_an_id, read_custom, read_consent};
  ParsedEvent out;
  for (Reader read : k_readers)
    if (Rejected bad = read(in, out)) return Unexpected{std::move(*bad)};
  return out;
}

}  // namespace hashgate::gw::api
