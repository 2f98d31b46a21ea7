// Event and opt-out records on Kafka (records.hpp): JSON values, strict decoders.
#include "gateway/kafka/records.hpp"

#include <hashgate/hashgate.hpp>

#include <array>
#include <initializer_list>
#include <nlohmann/json.hpp>

namespace hashgate::gw::kafka {

using nlohmann::json;

namespace {

/// Deepest nesting a record value may have (the event record itself is 3 deep).
constexpr int k_max_record_depth = 4;
/// Deepest nesting of the online_ids and custom JSON texts inside an event record.
constexpr int k_max_inner_depth = 64;

/// True when `text`'s arrays and objects nest at most `limit` deep (strings skipped), checked
/// before the recursive parser sees it.
bool depth_within(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

/// `text` parsed when it is at most k_max_record_bytes and `depth` deep; discarded otherwise.
json parse_bounded(std::string_view text, int depth) {
  if (text.size() > k_max_record_bytes || !depth_within(text, depth))
    return json::value_t::discarded;
  return json::parse(text, nullptr, false);
}

/// True when `j` is an object whose keys are exactly `keys`.
bool has_exactly(const json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object() || j.size() != keys.size()) return false;
  for (const char* k : keys)
    if (!j.contains(k)) return false;
  return true;
}

bool read_string(const json& j, const char* key, std::string& out) {
  const auto& v = j.at(key);
  if (!v.is_string()) return false;
  out = v.get<std::string>();
  return true;
}

bool read_int(const json& j, const char* key, std::int64_t& out) {
  const auto& v = j.at(key);
  if (!v.is_number_integer()) return false;
  out = v.get<std::int64_t>();
  return true;
}

/// True when `text` is empty or a JSON object (online_ids, custom).
bool object_text(const std::string& text) {
  if (text.empty()) return true;
  const json j = parse_bounded(text, k_max_inner_depth);
  return j.is_object();
}

/// Reads the [[kind, hex], ...] pairs of an event record.
bool read_ids(const json& j, EventRecord& ev) {
  const auto& ids = j.at("ids");
  if (!ids.is_array()) return false;
  for (const auto& pair : ids) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
      return false;
    ev.ids.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
  }
  return true;
}

/// Appends `s` as a JSON string (RFC 8259 section 7): quotation mark, reverse solidus and the
/// control characters escaped, every other byte as it is (the gateway hands only valid UTF-8;
/// anything else would make the record undecodable, never another record).
void append_string(std::string& out, std::string_view s) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet appended, which need no escape
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c >= 0x20) {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      const char esc[] = {'\\', 'u', '0', '0', k_hex[c >> 4], k_hex[c & 0xf]};
      out.append(esc, sizeof esc);
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

/// Appends `,"name":` (without the comma as the object's first member); `name` is one of
/// the record's member names, which need no escape.
void append_name(std::string& out, std::string_view name) {
  out += out.back() == '{' ? "\"" : ",\"";
  out += name;
  out += "\":";
}

void append_member(std::string& out, std::string_view name, std::string_view value) {
  append_name(out, name);
  append_string(out, value);
}

void append_member(std::string& out, std::string_view name, std::int64_t value) {
  append_name(out, name);
  out += std::to_string(value);
}

/// Reads the "v" (2) and "signals" members of a v2 event record.
bool read_signals(const json& j, ConsentSignals& out) {
  std::int64_t version = 0;
  if (!read_int(j, "v", version) || version != k_event_version) return false;
  const auto& sig = j.at("signals");
  if (!has_exactly(sig, {"gdpr", "tc", "gpc"}) || !sig.at("gdpr").is_boolean() ||
      !sig.at("gpc").is_boolean() || !read_string(sig, "tc", out.tc))
    return false;
  out.gdpr = sig.at("gdpr").get<bool>();
  out.gpc = sig.at("gpc").get<bool>();
  out.known = true;
  return true;
}

}  // namespace

std::string events_topic(std::string_view prefix) { return std::string(prefix) + ".events"; }

std::string optouts_topic(std::string_view prefix) { return std::string(prefix) + ".optouts"; }

std::string event_key(const EventRecord& ev) { return ev.tenant + "/" + ev.event_id; }

std::string encode_event(const EventRecord& ev) {
  // Written directly, not through a json tree: this runs for every event a replica accepts, and
  // building and dumping the tree was a fifth of its instructions per request
  // (docs/performance.md "Kafka mode"). Same members and values as a json dump would have.
  std::string out;
  out.reserve(200 + ev.ids.size() * 80 + ev.online_ids_json.size() + ev.custom_json.size() +
              ev.consent_summary.size() + ev.signals.tc.size());
  out += '{';
  append_member(out, "tenant", ev.tenant);
  append_member(out, "event_id", ev.event_id);
  append_member(out, "type", ev.type);
  append_member(out, "time", ev.time);
  append_member(out, "received", ev.received);
  out += ",\"ids\":[";
  for (std::size_t i = 0; i < ev.ids.size(); ++i) {
    out += i == 0 ? "[" : ",[";
    append_string(out, ev.ids[i].first);
    out += ',';
    append_string(out, ev.ids[i].second);
    out += ']';
  }
  out += ']';
  append_member(out, "uid", ev.uid);
  append_member(out, "online_ids", ev.online_ids_json);
  append_member(out, "custom", ev.custom_json);
  append_member(out, "legal_basis", ev.legal_basis);
  append_member(out, "consent", ev.consent_summary);
  if (ev.signals.known) {
    append_member(out, "v", k_event_version);
    out += ",\"signals\":{\"gdpr\":";
    out += ev.signals.gdpr ? "true" : "false";
    append_member(out, "tc", ev.signals.tc);
    out += ",\"gpc\":";
    out += ev.signals.gpc ? "true" : "false";
    out += '}';
  }
  out += '}';
  return out;
}

std::optional<EventRecord> decode_event(std::string_view value) {
  const json j = parse_bounded(value, k_max_record_depth);
  const bool v1 = has_exactly(j, {"tenant", "event_id", "type", "time", "received", "ids", "uid",
                                  "online_ids", "custom", "legal_basis", "consent"});
  if (!v1 && !has_exactly(j, {"v", "tenant", "event_id", "type", "time", "received", "ids", "uid",
                              "online_ids", "custom", "legal_basis", "consent", "signals"}))
    return std::nullopt;
  EventRecord ev;
  if (!v1 && !read_signals(j, ev.signals)) return std::nullopt;
  const bool ok =
      read_string(j, "tenant", ev.tenant) && !ev.tenant.empty() &&
      read_string(j, "event_id", ev.event_id) && !ev.event_id.empty() &&
      read_string(j, "type", ev.type) && read_int(j, "time", ev.time) &&
      read_int(j, "received", ev.received) && read_ids(j, ev) && read_string(j, "uid", ev.uid) &&
      read_string(j, "online_ids", ev.online_ids_json) &&
      read_string(j, "custom", ev.custom_json) && read_string(j, "legal_basis", ev.legal_basis) &&
      read_string(j, "consent", ev.consent_summary) && object_text(ev.online_ids_json) &&
      object_text(ev.custom_json);
  if (!ok) return std::nullopt;
  return ev;
}

std::string opt_key(const OptRecord& r) { return r.tenant + (r.is_uid ? "/uid:" : "/") + r.id; }

std::string encode_opt(const OptRecord& r) {
  const json j = {{"op", r.op == OptOp::optout ? "optout" : "optin"},
                  {"tenant", r.tenant},
                  {"id", r.id},
                  {"uid", r.is_uid},
                  {"source", r.source},
                  {"time", r.time}};
  return j.dump();
}

std::optional<OptRecord> decode_opt(std::string_view value) {
  const json j = parse_bounded(value, k_max_record_depth);
  if (!has_exactly(j, {"op", "tenant", "id", "uid", "source", "time"})) return std::nullopt;
  OptRecord r;
  std::string op;
  if (!read_string(j, "op", op) || (op != "optout" && op != "optin")) return std::nullopt;
  r.op = op == "optout" ? OptOp::optout : OptOp::optin;
  if (!j.at("uid").is_boolean()) return std::nullopt;
  r.is_uid = j.at("uid").get<bool>();
  const bool ok = read_string(j, "tenant", r.tenant) && !r.tenant.empty() &&
                  read_string(j, "id", r.id) && !r.id.empty() &&
                  read_string(j, "source", r.source) && read_int(j, "time", r.time);
  if (!ok) return std::nullopt;
  return r;
}

std::string suppression_key(std::string_view tenant, std::string_view id) {
  static constexpr std::string_view k_domain = "hashgate/kafka-suppression/v1";
  std::string input;
  input.reserve(k_domain.size() + tenant.size() + id.size() + 2);
  input.append(k_domain).push_back('\0');
  input.append(tenant).push_back('\0');
  for (char c : id) input.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  std::array<std::uint8_t, 32> md{};
  hashgate::sha256(input, md);
  hashgate::secure_clear(input);
  return std::string(md.begin(), md.end());
}

}  // namespace hashgate::gw::kafka
