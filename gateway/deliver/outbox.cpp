// Payload encodings of the non-event outbox rows (opt-outs, audience members).
#include "gateway/deliver/outbox.hpp"

#include <nlohmann/json.hpp>

namespace hashgate::gw::deliver {

namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

constexpr std::size_t k_max_payload = 4 << 20;

bool is_hex_id(const json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool is_kind(const std::string& k) {
  if (k.empty() || k.size() > 32) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

json parse(std::string_view payload) {
  if (payload.size() > k_max_payload) return json::value_t::discarded;
  return json::parse(payload, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

std::string_view to_string(RowKind kind) {
  switch (kind) {
    case RowKind::event:
      return "event";
    case RowKind::optout:
      return "optout";
    case RowKind::audience_add:
      return "audience_add";
  }
  return "event";
}

std::string encode_optout(const OptOutMessage& m) {
  ordered j = {{"optout_id", m.optout_id}, {"ids", ordered::object()}};
  for (const auto& [kind, values] : m.ids) j["ids"][kind] = values;
  if (!m.uid.empty()) j["uid"] = m.uid;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool decode_optout(std::string_view payload, OptOutMessage& out) {
  out = OptOutMessage{};
  const json j = parse(payload);
  if (!j.is_object() || !j.contains("optout_id") || !j["optout_id"].is_string() ||
      !j.contains("ids") || !j["ids"].is_object())
    return false;
  out.optout_id = j["optout_id"].get<std::string>();
  if (out.optout_id.empty() || out.optout_id.size() > 64) return false;
  for (const auto& [kind, values] : j["ids"].items()) {
    if (!is_kind(kind) || !values.is_array()) return false;
    std::vector<std::string> list;
    for (const auto& v : values) {
      if (!is_hex_id(v)) return false;
      list.push_back(v.get<std::string>());
    }
    out.ids.emplace_back(kind, std::move(list));
  }
  if (j.contains("uid")) {
    if (!j["uid"].is_string()) return false;
    out.uid = j["uid"].get<std::string>();
    if (out.uid.size() > 64) return false;
  }
  return true;
}

std::string encode_members(const AudienceMembers& m) {
  // {"match_id":…,"members":[{"em":"<hex>","ph":["<hex>","<hex>"],"uid":"<hex>"}]}: a kind with
  // one value is a string, with more an array (first-seen order of kinds kept).
  ordered arr = ordered::array();
  for (const auto& member : m.members) {
    ordered o = ordered::object();
    for (const auto& [kind, value] : member) {
      auto it = o.find(kind);
      if (it == o.end())
        o[kind] = value;
      else if (it->is_array())
        it->push_back(value);
      else
        *it = ordered::array({*it, value});
    }
    arr.push_back(std::move(o));
  }
  ordered j = ordered::object();
  if (!m.match_id.empty()) j["match_id"] = m.match_id;
  j["members"] = std::move(arr);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

/// The (kind, value) pairs of one member object of a members payload; false when malformed.
bool decode_member(const json& member, std::vector<std::pair<std::string, std::string>>& ids) {
  if (!member.is_object()) return false;
  for (const auto& [kind, value] : member.items()) {
    if (!is_kind(kind)) return false;
    if (value.is_array()) {
      if (value.empty() || value.size() > 64) return false;
      for (const auto& v : value) {
        if (!is_hex_id(v)) return false;
        ids.emplace_back(kind, v.get<std::string>());
      }
    } else {
      if (!is_hex_id(value)) return false;
      ids.emplace_back(kind, value.get<std::string>());
    }
  }
  return true;
}

}  // namespace

bool decode_members(std::string_view payload, AudienceMembers& out) {
  out = AudienceMembers{};
  const json j = parse(payload);
  if (!j.is_object() || !j.contains("members") || !j["members"].is_array()) return false;
  if (j.contains("match_id")) {
    if (!j["match_id"].is_string()) return false;
    out.match_id = j["match_id"].get<std::string>();
    if (out.match_id.empty() || out.match_id.size() > 64) return false;
  }
  for (const auto& member : j["members"]) {
    std::vector<std::pair<std::string, std::string>> ids;
    if (!decode_member(member, ids)) return false;
    out.members.push_back(std::move(ids));
  }
  return true;
}

}  // namespace hashgate::gw::deliver
