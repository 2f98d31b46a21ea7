// Request builders per destination kind. The webhook body is assembled from the stored export
// lines without re-parsing them (the hot path of delivery); the platform bodies are built with
// nlohmann/json from parsed lines.
#include "gateway/deliver/payload.hpp"

#include <hashgate/hashgate.hpp>

#include <array>
#include <nlohmann/json.hpp>

#include "gateway/deliver/tcf_api.hpp"

namespace hashgate::gw::deliver {

namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

/// Appends `s` as a JSON string (quotes and escapes).
void append_json_string(std::string& out, std::string_view s) {
  out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The JSON object text of a string→string or string→array map member, or an empty object.
const json& member_or_empty(const json& obj, const char* key) {
  static const json empty = json::object();
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? *it : empty;
}

ordered destination_json(const GoogleSettings& g, const std::string& product_id) {
  ordered d = {{"operatingAccount",
                {{"accountType", to_string(g.operating_account_type)},
                 {"accountId", g.operating_account_id}}}};
  if (g.login_account_type)
    d["loginAccount"] = {{"accountType", to_string(*g.login_account_type)},
                         {"accountId", g.login_account_id}};
  d["productDestinationId"] = product_id;
  return d;
}

/// userIdentifiers of Google's UserData for the hashed e-mail and phone in `ids`.
ordered google_identifiers(const json& ids) {
  ordered list = ordered::array();
  for (const auto& [kind, field] :
       {std::pair{"em", "emailAddress"}, std::pair{"ph", "phoneNumber"}}) {
    auto it = ids.find(kind);
    if (it != ids.end() && it->is_string()) list.push_back({{field, *it}});
  }
  return list;
}

ordered dma_json(const DmaConsent& c) {
  return {{"adUserData", to_string(c.ad_user_data)},
          {"adPersonalization", to_string(c.ad_personalization)}};
}

std::string dump(const ordered& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

ordered meta_event(const json& e) {
  const json& ids = member_or_empty(e, "ids");
  const json& online = member_or_empty(e, "online_ids");
  ordered user = ordered::object();
  for (const char* k : {"em", "ph", "external_id"}) {
    auto it = ids.find(k);
    if (it != ids.end() && it->is_string()) user[k] = ordered::array({*it});
  }
  for (const char* k : {"fn", "ln", "ge", "db", "ct", "st", "zp", "country"}) {
    auto it = ids.find(k);
    if (it != ids.end() && it->is_string()) user[k] = *it;
  }
  for (const char* k : {"fbp", "fbc"}) {
    auto it = online.find(k);
    if (it != online.end() && it->is_string()) user[k] = *it;
  }
  ordered out = {{"event_name", meta_event_name(event_string(e, "type"))},
                 {"event_time", event_int(e, "time")},
                 {"event_id", event_string(e, "event_id")},
                 {"action_source", "website"},
                 {"user_data", std::move(user)}};
  const json& custom = member_or_empty(e, "custom");
  if (!custom.empty()) out["custom_data"] = custom;
  return out;
}

ordered google_event(const json& e, const DmaConsent& dma) {
  ordered out = {{"transactionId", event_string(e, "event_id")},
                 {"eventTimestamp", format_iso8601_utc(event_int(e, "time"))},
                 {"eventSource", "WEB"}};
  ordered idents = google_identifiers(member_or_empty(e, "ids"));
  if (!idents.empty()) out["userData"] = {{"userIdentifiers", std::move(idents)}};
  out["consent"] = dma_json(dma);
  const json& online = member_or_empty(e, "online_ids");
  if (auto it = online.find("gclid"); it != online.end() && it->is_string())
    out["adIdentifiers"] = {{"gclid", *it}};
  const json& custom = member_or_empty(e, "custom");
  if (auto it = custom.find("value"); it != custom.end() && it->is_number())
    out["conversionValue"] = *it;
  if (auto it = custom.find("currency"); it != custom.end() && it->is_string())
    out["currency"] = *it;
  return out;
}

/// Parses each line, recording the indexes of lines that are not JSON objects in `bad`.
std::vector<json> parse_lines(std::span<const std::string_view> lines,
                              std::vector<std::size_t>& bad) {
  std::vector<json> out;
  out.reserve(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    json j = json::parse(lines[i], nullptr, false);
    if (!j.is_object()) {
      bad.push_back(i);
      continue;
    }
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

std::int64_t event_int(const json& event, const char* key) {
  auto it = event.find(key);
  return it != event.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

std::string event_string(const json& event, const char* key) {
  auto it = event.find(key);
  return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string idempotency_key(std::string_view salt, std::string_view dest, std::int64_t batch) {
  std::string material;
  material.reserve(salt.size() + dest.size() + 24);
  material.append(salt).push_back('\0');
  material.append(dest).push_back('\0');
  material += std::to_string(batch);
  std::array<std::uint8_t, 32> md{};
  hashgate::sha256(material, md);
  return hashgate::to_hex(std::span<const std::uint8_t>(md.data(), 16));
}

std::string webhook_events_body(std::string_view tenant, std::string_view dest,
                                std::span<const std::string_view> events) {
  std::size_t size = 64 + tenant.size() + dest.size();
  for (auto e : events) size += e.size() + 1;
  std::string out;
  out.reserve(size);
  out += "{\"type\":\"events\",\"tenant\":";
  append_json_string(out, tenant);
  out += ",\"destination\":";
  append_json_string(out, dest);
  out += ",\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) out += ',';
    out += events[i];
  }
  out += "]}";
  return out;
}

std::string webhook_optout_body(std::string_view tenant, std::string_view dest,
                                const OptOutMessage& m) {
  ordered ids = {{"em", ordered::array()}, {"ph", ordered::array()}};
  for (const auto& [kind, values] : m.ids)
    for (const auto& v : values) ids[kind].push_back(v);
  ordered j = {{"type", "optout"},
               {"tenant", tenant},
               {"destination", dest},
               {"optout_id", m.optout_id},
               {"ids", std::move(ids)}};
  if (!m.uid.empty()) j["uid"] = m.uid;
  return dump(j);
}

std::string webhook_members_body(std::string_view tenant, std::string_view dest,
                                 const AudienceMembers& m) {
  ordered members = ordered::array();
  for (const auto& member : m.members) {
    ordered ids = {{"em", ordered::array()}, {"ph", ordered::array()}};
    std::string uid;
    for (const auto& [kind, value] : member) {
      if (kind == "uid")
        uid = value;
      else
        ids[kind].push_back(value);
    }
    ordered one = {{"ids", std::move(ids)}};
    if (!uid.empty()) one["uid"] = uid;
    members.push_back(std::move(one));
  }
  return dump({{"type", "audience_add"},
               {"tenant", tenant},
               {"destination", dest},
               {"match_id", m.match_id},
               {"members", std::move(members)}});
}

std::string webhook_signature(std::string_view secret, std::int64_t t, std::string_view body) {
  const std::string ts = std::to_string(t);
  std::string message;
  message.reserve(ts.size() + 1 + body.size());
  message.append(ts).push_back('.');
  message.append(body);
  std::array<std::uint8_t, 32> mac{};
  const auto key = std::span(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size());
  if (hashgate::digest(hashgate::Algo::hmac_sha256, message, mac, key) != hashgate::Errc::ok)
    return "";
  return "t=" + ts + ",v1=" + hashgate::to_hex(mac);
}

std::string_view meta_event_name(std::string_view type) {
  static constexpr std::pair<std::string_view, std::string_view> k_names[] = {
      {"purchase", "Purchase"},
      {"lead", "Lead"},
      {"page_view", "PageView"},
      {"add_to_cart", "AddToCart"},
      {"sign_up", "CompleteRegistration"},
      {"login", "Login"},
      {"custom", "Custom"}};
  for (const auto& [ours, theirs] : k_names)
    if (ours == type) return theirs;
  return "Custom";
}

std::string meta_events_body(std::span<const std::string_view> events, std::string_view test_code,
                             std::vector<std::size_t>& bad) {
  ordered data = ordered::array();
  for (const auto& e : parse_lines(events, bad)) data.push_back(meta_event(e));
  ordered j = {{"data", std::move(data)}};
  if (!test_code.empty()) j["test_event_code"] = test_code;
  return dump(j);
}

std::string meta_users_body(const AudienceMembers& members) {
  ordered rows = ordered::array();
  for (const auto& member : members.members) {
    for (const auto& [kind, value] : member) {
      if (kind == "em") rows.push_back({value, ""});
      if (kind == "ph") rows.push_back({"", value});
    }
  }
  return dump({{"payload", {{"schema", {"EMAIL", "PHONE"}}, {"data", std::move(rows)}}}});
}

std::string google_events_body(const GoogleSettings& g,
                               std::span<const std::pair<std::string_view, DmaConsent>> events,
                               std::vector<std::size_t>& bad) {
  ordered list = ordered::array();
  for (std::size_t i = 0; i < events.size(); ++i) {
    json e = json::parse(events[i].first, nullptr, false);
    if (!e.is_object()) {
      bad.push_back(i);
      continue;
    }
    list.push_back(google_event(e, events[i].second));
  }
  return dump({{"destinations", ordered::array({destination_json(g, g.conversion_action_id)})},
               {"events", std::move(list)},
               {"encoding", "HEX"}});
}

std::string google_members_body(const GoogleSettings& g, const AudienceMembers& members,
                                bool remove) {
  ordered list = ordered::array();
  for (const auto& member : members.members) {
    ordered idents = ordered::array();  // every e-mail and phone hash of the person, in order
    for (const auto& [kind, value] : member) {
      if (kind == "em") idents.push_back({{"emailAddress", value}});
      if (kind == "ph") idents.push_back({{"phoneNumber", value}});
    }
    if (!idents.empty()) list.push_back({{"userData", {{"userIdentifiers", std::move(idents)}}}});
  }
  ordered j = {{"destinations", ordered::array({destination_json(g, g.user_list_id)})},
               {"audienceMembers", std::move(list)},
               {"encoding", "HEX"}};
  if (!remove) j["termsOfService"] = {{"customerMatchTermsOfServiceStatus", "ACCEPTED"}};
  return dump(j);
}

AudienceMembers optout_members(const OptOutMessage& m) {
  AudienceMembers out;
  for (const auto& [kind, values] : m.ids)
    for (const auto& v : values) out.members.push_back({{kind, v}});
  return out;
}

}  // namespace hashgate::gw::deliver
