// Onboarding routes (issue 14; docs/onboarding.md), API key only: an advertiser's audiences
// (POST /v1/audiences/{name}/members, GET /v1/audiences, DELETE /v1/audiences/{name}), matches
// under a data-exchange agreement (POST and GET /v1/matches), and the publisher's export of a
// match (GET /v1/matches/{match_id}/export), and its activation to one of the publisher's
// destinations (POST /v1/matches/{match_id}/activate). The store writes, decides and audits; these
// steps read the bodies, check roles and agreements, and shape the answers.
#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "gateway/api/body.hpp"
#include "gateway/api/gateway.hpp"
#include "gateway/api/reply.hpp"
#include "gateway/api/request.hpp"

namespace hashgate::gw::api {

using nlohmann::json;
namespace ob = hashgate::gw::onboarding;

namespace {

constexpr std::size_t k_max_members = 10000;  ///< add + remove entries per upload

/// An audience upload's members, read from its body; `rejected` holds {path, error} per entry
/// that was left out (never a value).
struct AudienceBody {
  std::vector<std::vector<ob::HashedId>> add, remove;
  json rejected = json::array();
};

/// True when `name` is an audience name: 1-64 of [A-Za-z0-9_-].
bool valid_audience_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

/// The JSON pointer "/<key>" (appended, not "/" + key: GCC 12 warns on that, wrongly).
std::string pointer(std::string_view key) {
  std::string p = "/";
  p += key;
  return p;
}

Refusal bad_body(std::string message, std::string path) {
  return Refusal{400, "invalid_body", std::move(message), std::move(path)};
}

/// The identifying ids of one member object at `at`, or its rejection into `rejected`.
std::optional<std::vector<ob::HashedId>> read_member(JsonDoc::Value v, const std::string& at,
                                                     json& rejected) {
  IdSet set = parse_ids(v, at);
  if (!set.code.empty()) {
    rejected.push_back(json{{"path", set.path}, {"error", set.code}});
    return std::nullopt;
  }
  std::vector<ob::HashedId> ids;
  for (const auto& [key, hex] : set.ids) {
    const auto kind = ob::id_kind_by_name(key);
    if (const auto id = kind ? ob::decode_hashed_id(*kind, hex) : std::nullopt) ids.push_back(*id);
  }
  if (ids.empty()) rejected.push_back(json{{"path", at}, {"error", "no_identifier"}});
  if (ids.empty()) return std::nullopt;
  return ids;
}

/// Reads the array "add" or "remove" of `body` (absent: none) into `out`.
std::optional<Refusal> read_members(JsonDoc::Value body, std::string_view key,
                                    std::vector<std::vector<ob::HashedId>>& out, json& rejected) {
  const JsonDoc::Value list = body.find(key);
  const std::string at = pointer(key);
  if (!list.valid()) return std::nullopt;
  if (!list.is_array()) return bad_body("must be an array of ids objects", at);
  list.elements([&](std::size_t i, JsonDoc::Value v) {
    if (auto ids = read_member(v, at + pointer(std::to_string(i)), rejected))
      out.push_back(std::move(*ids));
  });
  return std::nullopt;
}

/// The checks of an upload body that need no id parsed: JSON object, known keys, size, raw PII.
std::optional<Refusal> check_audience_body(JsonDoc::Value body, PiiScan& scan) {
  std::string pii_path;
  if (find_raw_pii(body, "", pii_path, scan)) return raw_pii_refusal(std::move(pii_path));
  if (!body.is_object())
    return bad_body("the body must be {\"add\": [ids...], \"remove\": [ids...]}", "");
  std::optional<Refusal> bad;
  body.members([&](std::string_view k, JsonDoc::Value) {
    if (k != "add" && k != "remove") bad = bad_body("unknown key", pointer(path_key(k)));
    return !bad;
  });
  if (bad) return bad;
  std::size_t entries = 0;
  for (const char* k : {"add", "remove"}) {
    if (const auto v = body.find(k); v.valid() && v.is_array()) entries += v.size();
  }
  if (entries > k_max_members)
    return Refusal{413, "too_many_members", "at most 10000 add and remove entries per request", {}};
  return std::nullopt;
}

Step<AudienceBody> read_audience_body(const Request& req, std::size_t depth,
                                      const policy::PiiGuard& guard) {
  JsonDoc doc;
  if (auto bad = read_json_body(req, depth, doc)) return Unexpected{std::move(*bad)};
  PiiScan scan{guard};
  scan.id_set_elements = true;
  if (auto bad = check_audience_body(doc.root(), scan)) return Unexpected{std::move(*bad)};
  AudienceBody out;
  for (auto [key, list] : {std::pair{"add", &out.add}, std::pair{"remove", &out.remove}}) {
    if (auto bad = read_members(doc.root(), key, *list, out.rejected))
      return Unexpected{std::move(*bad)};
  }
  return out;
}

/// The strings "audience" and "agreement" of a POST /v1/matches body.
Step<std::pair<std::string, std::string>> read_match_body(const Request& req, std::size_t depth) {
  JsonDoc doc;
  if (auto bad = read_json_body(req, depth, doc)) return Unexpected{std::move(*bad)};
  const JsonDoc::Value body = doc.root();
  if (!body.is_object() || body.size() != 2)
    return Unexpected{bad_body("the body must be {\"audience\": name, \"agreement\": id}", "")};
  std::pair<std::string, std::string> out;
  for (auto [key, dst] : {std::pair{"audience", &out.first}, std::pair{"agreement", &out.second}}) {
    const JsonDoc::Value v = body.find(key);
    if (!v.valid() || !v.is_string() || v.str().empty() || v.str().size() > 64)
      return Unexpected{bad_body("must be a string of 1-64 characters", pointer(key))};
    *dst = std::string(v.str());
  }
  if (!valid_audience_name(out.first))
    return Unexpected{bad_body("must be 1-64 of A-Z a-z 0-9 _ -", "/audience")};
  return out;
}

/// A match as the API shows it to `tenant` (the publisher does not see the audience's name).
json match_json(const MatchInfo& m, const std::string& tenant) {
  json j = {{"match_id", m.match_id},
            {"agreement", m.agreement},
            {"status", m.status == ob::MatchStatus::released ? "released" : "below_threshold"},
            {"matched", nullptr},
            {"audience_members", m.audience_members},
            {"created", m.created}};
  if (m.matched) j["matched"] = *m.matched;
  if (tenant == m.advertiser) j["audience"] = m.audience;
  j["role"] = tenant == m.advertiser ? "advertiser" : "publisher";
  return j;
}

/// The body of POST /v1/matches/{match_id}/activate: {"destination": id, "resend"?: bool}.
struct ActivateBody {
  std::string destination;
  bool resend = false;
};

Step<ActivateBody> read_activate_body(const Request& req, std::size_t depth) {
  JsonDoc doc;
  if (auto bad = read_json_body(req, depth, doc)) return Unexpected{std::move(*bad)};
  const JsonDoc::Value body = doc.root();
  if (!body.is_object())
    return Unexpected{bad_body("the body must be {\"destination\": id, \"resend\": bool}", "")};
  std::optional<Refusal> bad;
  body.members([&](std::string_view k, JsonDoc::Value) {
    if (k != "destination" && k != "resend") bad = bad_body("unknown key", pointer(path_key(k)));
    return !bad;
  });
  if (bad) return Unexpected{std::move(*bad)};
  ActivateBody out;
  const JsonDoc::Value dest = body.find("destination");
  if (!dest.valid() || !dest.is_string() || dest.str().empty() || dest.str().size() > 64)
    return Unexpected{bad_body("must be a string of 1-64 characters", "/destination")};
  out.destination = std::string(dest.str());
  if (const JsonDoc::Value r = body.find("resend"); r.valid()) {
    if (!r.is_boolean()) return Unexpected{bad_body("must be true or false", "/resend")};
    out.resend = r.boolean();
  }
  return out;
}

/// The match `id` that `tenant` may activate: its publisher's, agreement in force, released.
Step<MatchInfo> activatable_match(Store& store, const std::vector<ob::Agreement>& agreements,
                                  const std::string& id, const std::string& tenant, ob::Day today) {
  const auto m = store.find_match(id);
  const ob::Agreement* a = m ? ob::find_agreement(agreements, m->agreement) : nullptr;
  const auto access = !m || m->publisher != tenant ? ob::ExportAccess::not_found
                      : !a                         ? ob::ExportAccess::gone
                                                   : ob::export_access(*a, tenant, today);
  if (access == ob::ExportAccess::not_found)
    return Unexpected{Refusal{404, "unknown_match", "no such match", {}}};
  if (access == ob::ExportAccess::gone)
    return Unexpected{Refusal{410, "agreement_ended", "the agreement of this match has ended", {}}};
  if (m->status != ob::MatchStatus::released)
    return Unexpected{Refusal{409,
                              "below_threshold",
                              "the match is below the agreement's min_audience: nothing released",
                              {}}};
  return *m;
}

/// The tenant's destination `id` that may receive matched audiences.
Step<const deliver::Destination*> activation_destination(const config::Tenant& tenant,
                                                         const std::string& id) {
  for (const deliver::Destination& d : tenant.destinations) {
    if (d.id != id) continue;
    if (d.tcf_vendor_id != 0)  // docs/onboarding.md, "Activation": consent
      return Unexpected{Refusal{409, "consent_gated_destination",
                                "a destination with a tcf_vendor_id cannot receive matched "
                                "audiences: no per-person consent for its vendor is kept",
                                "/destination"}};
    return &d;
  }
  return Unexpected{
      Refusal{404, "unknown_destination", "no destination of that id", "/destination"}};
}

Refusal not_advertiser() {
  return Refusal{
      403, "not_advertiser", "this tenant's role does not allow audiences or matches", {}};
}

}  // namespace

ob::Day Gateway::today() const {
  return std::chrono::floor<std::chrono::days>(
      std::chrono::sys_seconds{std::chrono::seconds{m_now()}});
}

// ---- audiences -------------------------------------------------------------------------------

void Gateway::post_audience_members(Call& call) {
  if (refused_in_kafka_mode(call)) return;
  const config::Tenant& tenant = *call.auth.tenant;
  if (!ob::may_advertise(tenant.role)) return call.done(refuse(not_advertiser()));
  const std::string name(call.params.get("name"));
  if (!valid_audience_name(name))
    return call.done(refuse(bad_body("the audience name must be 1-64 of A-Z a-z 0-9 _ -", "")));
  BodyWiper wipe{call.req.body};
  auto body = read_audience_body(call.req, m_cfg.json_depth, pii_guard(tenant));
  if (!body) return call.done(refuse(body.error()));
  AudienceUpload up{tenant.id, name, std::move(body->add), std::move(body->remove), {}};
  for (const auto& a : m_cfg.agreements) {
    auto& others = up.also_audit;
    if (a.advertiser == tenant.id &&
        std::find(others.begin(), others.end(), a.publisher) == others.end())
      others.push_back(a.publisher);
  }
  m_store.update_audience(
      std::move(up), [this, done = call.done,
                      rejected = std::move(body->rejected)](const AudienceUploadResult& r) {
        if (r.error)
          return done(error(503, "store_error", "the upload could not be stored; retry later"));
        done(json_response(200, json{{"added", r.added},
                                     {"removed", r.removed},
                                     {"members", r.members},
                                     {"dropped", {{"opted_out", r.opted_out}}},
                                     {"rejected", rejected}}));
      });
}

void Gateway::get_audiences(Call& call) {
  if (refused_in_kafka_mode(call)) return;
  json list = json::array();
  for (const auto& a : m_store.audiences(call.auth.tenant->id))
    list.push_back(json{{"name", a.name}, {"members", a.members}, {"updated", a.updated}});
  call.done(json_response(200, json{{"audiences", list}}));
}

void Gateway::delete_audience(Call& call) {
  if (refused_in_kafka_mode(call)) return;
  const std::string name(call.params.get("name"));
  if (!valid_audience_name(name))
    return call.done(error(404, "unknown_audience", "no audience of that name"));
  m_store.delete_audience(
      call.auth.tenant->id, name, [this, done = call.done](std::error_code ec, bool found) {
        if (ec) return done(error(503, "store_error", "retry later"));
        if (!found) return done(error(404, "unknown_audience", "no audience of that name"));
        done(json_response(200, json{{"deleted", true}}));
      });
}

// ---- matches ---------------------------------------------------------------------------------

void Gateway::post_match(Call& call) {
  if (refused_in_kafka_mode(call)) return;
  // No role check of its own: only an agreement's advertiser (whose role the configuration
  // checked) passes agreement_allows, and any other caller gets no_agreement, as pinned.
  const config::Tenant& tenant = *call.auth.tenant;
  auto body = read_match_body(call.req, m_cfg.json_depth);
  if (!body) return call.done(refuse(body.error()));
  const ob::Agreement* a = ob::find_agreement(m_cfg.agreements, body->second);
  if (!a || !ob::agreement_allows(*a, tenant.id, today()))
    return call.done(
        error(403, "no_agreement", "no agreement in force lets this tenant match under that id"));
  MatchRequest q{a->id, a->advertiser, a->publisher, body->first,
                 static_cast<std::size_t>(a->min_audience)};
  m_store.create_match(
      std::move(q), [this, done = call.done, id = tenant.id](const MatchResult& r) {
        if (r.error)
          return done(error(503, "store_error", "the match could not be stored; retry later"));
        switch (r.decision) {
          case MatchDecision::no_audience:
            return done(error(404, "unknown_audience", "no audience of that name"));
          case MatchDecision::too_similar:
            return done(error(409, "too_similar",
                              "the audience differs from one already matched under this agreement "
                              "by fewer than min_audience members"));
          case MatchDecision::unchanged:  // the earlier match, as the pinned 201 answer
          case MatchDecision::created:
            break;
        }
        done(json_response(201, match_json(r.match, id)));
      });
}

void Gateway::get_matches(Call& call) {
  if (refused_in_kafka_mode(call)) return;
  json list = json::array();
  for (const auto& m : m_store.matches(call.auth.tenant->id))
    list.push_back(match_json(m, call.auth.tenant->id));
  call.done(json_response(200, json{{"matches", list}}));
}

void Gateway::export_match(Call& call) {
  if (refused_in_kafka_mode(call)) return;
  const std::string& tenant = call.auth.tenant->id;
  const auto m = m_store.find_match(std::string(call.params.get("match_id")));
  const ob::Agreement* a = m ? ob::find_agreement(m_cfg.agreements, m->agreement) : nullptr;
  const auto access = !m || m->publisher != tenant ? ob::ExportAccess::not_found
                      : !a                         ? ob::ExportAccess::gone
                                                   : ob::export_access(*a, tenant, today());
  if (access == ob::ExportAccess::not_found)
    return call.done(error(404, "unknown_match", "no such match"));
  if (access == ob::ExportAccess::gone)
    return call.done(error(410, "agreement_ended", "the agreement of this match has ended"));
  const Query q = query_of(call.req.target);
  std::int64_t limit = 1000;
  ExportCursor after;
  if (auto it = q.find("limit"); it != q.end() && !parse_int(it->second, 1, 100000, limit))
    return call.done(error(400, "invalid_parameter", "limit must be an integer 1-100000"));
  if (auto it = q.find("after"); it != q.end() && !it->second.empty()) {
    const auto c = parse_export_cursor(it->second);
    if (!c) return call.done(error(400, "invalid_parameter", "after must be an exported cursor"));
    after = *c;
  }
  Response r;
  for (const auto& line : m_store.export_match(*m, after, static_cast<std::size_t>(limit)))
    r.body += line + '\n';
  r.add("Content-Type", "application/x-ndjson");
  call.done(std::move(r));
}

void Gateway::activate_match(Call& call) {
  if (refused_in_kafka_mode(call)) return;
  const config::Tenant& tenant = *call.auth.tenant;
  auto m = activatable_match(m_store, m_cfg.agreements, std::string(call.params.get("match_id")),
                             tenant.id, today());
  if (!m) return call.done(refuse(m.error()));
  auto body = read_activate_body(call.req, m_cfg.json_depth);
  if (!body) return call.done(refuse(body.error()));
  auto dest = activation_destination(tenant, body->destination);
  if (!dest) return call.done(refuse(dest.error()));
  ActivationRequest q{m->match_id, m->advertiser, m->publisher, body->destination, body->resend};
  m_store.activate_match(std::move(q), [this, done = call.done, match_id = m->match_id,
                                        dest_id = body->destination](const ActivationResult& r) {
    if (r.error)
      return done(error(503, "store_error", "the activation could not be stored; retry later"));
    done(json_response(202, json{{"match_id", match_id},
                                 {"destination", dest_id},
                                 {"status", r.already ? "already_activated" : "queued"},
                                 {"persons", r.persons},
                                 {"batches", r.rows},
                                 {"activated", r.activated}}));
  });
}

}  // namespace hashgate::gw::api
