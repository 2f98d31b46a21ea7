// POST /v1/events as a chain of named steps (after vector's HTTP source): the route table has
// authenticated the caller; then decode → request-level opt-outs → build events (parse_event,
// then the tenant's policy) → hand to the store → answer once it committed. A step that stops
// the request returns a Refusal carrying its HTTP status, and refuse() turns it into the reply.
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "gateway/api/body.hpp"
#include "gateway/api/cookies.hpp"
#include "gateway/api/gateway.hpp"
#include "gateway/api/parse_event.hpp"
#include "gateway/api/reply.hpp"
#include "gateway/api/request.hpp"
#include "gateway/deliver/consent_gate.hpp"
#include "gateway/deliver/route.hpp"
#include "gateway/policy/optout.hpp"
#include "gateway/policy/pii_guard.hpp"
#include "tcf/consent.hpp"

namespace hashgate::gw::api {

using nlohmann::json;

/// One POST /v1/events on its way: the tenant, the uid its events are linked to, the outcome of
/// each event so far, the records for the store, and what the answer needs after the store's
/// completion, which may run after the request is gone.
struct EventBatch {
  explicit EventBatch(const config::Tenant& t) : tenant(t) {}

  const config::Tenant& tenant;
  std::string uid;       ///< hg_uid of a site-key request (tenant.set_uid_cookie), or empty
  bool new_uid = false;  ///< `uid` was drawn for this request: set its cookie once stored
  std::int64_t now = 0;  ///< the request's clock reading
  json rejected = json::array();                 ///< [{"index","code","path"}]
  std::map<std::string, std::uint64_t> dropped;  ///< reason → events
  std::vector<EventRecord> records;
  Request cors;  ///< cors_view() of the request
  Done done;
  deliver::DeliveryMetrics* delivery = nullptr;  ///< counts consent refusals per destination
  bool kafka = false;  ///< Kafka replica: the sink routes to destinations on the signals
};

namespace {

/// The request-level consent defaults of a beacon: ?gdpr=1&gdpr_consent=<TC string>.
struct ConsentDefaults {
  bool gdpr = false;
  std::string tc;
  bool gpc = false;  ///< Sec-GPC: 1 (for Google's DMA fields when the tenant does not drop it)
};

ConsentDefaults consent_defaults(const Request& req) {
  const Query q = query_of(req.target);
  ConsentDefaults d;
  d.gpc = header_is(req, "sec-gpc", "1");
  if (auto it = q.find("gdpr"); it != q.end()) d.gdpr = it->second == "1";
  if (auto it = q.find("gdpr_consent"); it != q.end()) d.tc = it->second;
  return d;
}

/// Checks the members of the body object: "events" only (a site key goes in the header or the
/// query, never the body), no PII in a key.
std::optional<Refusal> check_top_level(JsonDoc::Value body) {
  std::optional<Refusal> bad;
  body.members([&](std::string_view k, JsonDoc::Value) {
    if (policy::find_pii(k) != policy::PiiKind::none)
      bad = raw_pii_refusal("/<key>");
    else if (k != "events")
      bad = Refusal{400, "unknown_field", "unknown top-level field", "/" + path_key(k)};
    return !bad;
  });
  return bad;
}

/// Decode: the body as {"events": [...]} with at most `max_events` events,
/// read into `doc`. Returns the "events" array.
Step<JsonDoc::Value> decode_events(const Request& req, const config::Config& cfg, JsonDoc& doc) {
  if (!content_type_ok(req))
    return Unexpected{Refusal{
        415, "unsupported_media_type", "Content-Type must be application/json or text/plain", {}}};
  if (auto bad = parse_body(req.body, cfg.json_depth, doc)) return Unexpected{std::move(*bad)};
  const JsonDoc::Value body = doc.root();
  if (!body.is_object())
    return Unexpected{Refusal{400, "bad_request", "the body must be a JSON object", {}}};
  if (auto bad = check_top_level(body)) return Unexpected{std::move(*bad)};
  const JsonDoc::Value events = body.find("events");
  if (!events.valid() || !events.is_array())
    return Unexpected{
        Refusal{400, "missing_events", "the body needs an \"events\" array", "/events"}};
  if (events.size() > cfg.max_events)
    return Unexpected{Refusal{413,
                              "too_many_events",
                              "a batch holds at most " + std::to_string(cfg.max_events) + " events",
                              {}}};
  return events;
}

/// The consent decision for an event under gdpr=1: the consent summary to store, or nullopt
/// when the TC string does not grant the tenant's policy (the event is dropped).
std::optional<std::string> gdpr_consent(const config::Tenant& tenant, std::string_view tc,
                                        std::int64_t now) {
  tcf::TcfPolicy pol;
  pol.vendor_id = tenant.tcf.vendor_id;
  pol.required_purposes = tenant.tcf.required_purposes;
  pol.require_vendor_consent = tenant.tcf.require_vendor_consent;
  pol.strict_policy_version = tenant.tcf.strict_policy_version;
  tcf::ConsentDecision d = tcf::decide_consent(tenant.legal_basis, pol, tc, now);
  if (!d.allowed) return std::nullopt;
  return d.summary_json.empty() ? json{{"gdpr", 1}, {"reason", d.reason}}.dump() : d.summary_json;
}

/// The destinations of the tenant that get `rec`: those that want its type and whose consent
/// gate lets it through; a refusal is counted per destination (docs/destinations.md). A Kafka
/// replica only records the signals in the event: the sink routes it (docs/deploy.md).
void route_to_destinations(EventRecord& rec, const EventBatch& b, bool gdpr, std::string_view tc,
                           bool gpc) {
  if (b.kafka) {
    rec.signals = ConsentSignals{true, gdpr, std::string(tc), gpc};
    return;
  }
  if (b.tenant.destinations.empty()) return;
  const deliver::EventConsent consent(gdpr, tc, gpc);
  deliver::route_event(b.tenant.destinations, consent, b.now, rec, b.delivery);
}

/// Enrich and apply the tenant's policy: a parsed event becomes the store's record, unless its
/// consent (gdpr=1) or the suppression list says to drop it; then the drop reason.
Expected<EventRecord, const char*> to_record(ParsedEvent&& e, const EventBatch& b,
                                             const ConsentDefaults& d, const Store& store) {
  EventRecord rec;
  rec.tenant = b.tenant.id;
  rec.received = b.now;
  rec.uid = b.uid;
  rec.event_id = std::move(e.event_id);
  rec.type = std::move(e.type);
  rec.time = e.time;
  rec.ids = std::move(e.ids);
  rec.online_ids_json = std::move(e.online_ids_json);
  rec.custom_json = std::move(e.custom_json);
  rec.legal_basis = to_string(b.tenant.legal_basis);
  const bool gdpr = e.consent.gdpr.value_or(d.gdpr ? 1 : 0) == 1;
  const std::string_view tc = e.consent.tcf.value_or(d.tc);
  if (gdpr) {
    auto summary = gdpr_consent(b.tenant, tc, b.now);
    if (!summary) return Unexpected{"consent"};
    rec.consent_summary = std::move(*summary);
  } else {
    rec.consent_summary = R"({"gdpr":0})";
  }
  if (policy::is_suppressed(store, b.tenant.id, rec.ids, rec.uid)) return Unexpected{"suppressed"};
  route_to_destinations(rec, b, gdpr, tc, d.gpc);
  return rec;
}

/// The 202/422 body {"accepted":n,"dropped":{reason:n},"rejected":[...]}, written directly (it
/// is built for every request, often on the writer's completion path). Byte-identical to
/// nlohmann's dump of the same object: keys in order, zero counts left out.
std::string events_body(std::size_t accepted, const std::map<std::string, std::uint64_t>& dropped,
                        const json& rejected) {
  std::string out = "{\"accepted\":" + std::to_string(accepted) + ",\"dropped\":{";
  bool first = true;
  for (const auto& [k, v] : dropped) {
    if (v == 0) continue;
    if (!first) out += ',';
    first = false;
    out += json(k).dump();  // reason names are fixed ASCII words; dump() keeps it exact anyway
    out += ':' + std::to_string(v);
  }
  out += "},\"rejected\":";
  out += rejected.empty() ? "[]" : rejected.dump();
  out += '}';
  return out;
}

}  // namespace

void Gateway::post_events(Call& call) {
  const config::Tenant& tenant = *call.auth.tenant;
  auto reply = [&](Response r) {
    add_cors(call.req, r, &tenant);
    call.done(std::move(r));
  };
  // The document's strings are views of the body, zeroed when this handler returns (the
  // document zeroes its own copies).
  const BodyWiper wipe_body{call.req.body};
  JsonDoc doc;
  auto events = decode_events(call.req, m_cfg, doc);
  if (!events) return reply(refuse(events.error()));
  const RequestCookies cookies = read_cookies(call.req);
  if (auto dropped = drop_opted_out(call.req, tenant, cookies, events->size()))
    return reply(std::move(*dropped));
  std::shared_ptr<EventBatch> batch = start_batch(call, cookies);
  build_events(call.req, *events, *batch);
  hand_to_store(std::move(batch), call.req);
}

/// Request-level opt-outs (the hg_optout cookie, Sec-GPC if the tenant honours it): every event
/// is acknowledged and dropped before anything is looked at or stored. The 202, or nullopt.
std::optional<Response> Gateway::drop_opted_out(const Request& req, const config::Tenant& tenant,
                                                const RequestCookies& cookies, std::size_t events) {
  policy::OptOutSignals sig;
  sig.optout_cookie = cookies.optout;
  sig.gpc = header_is(req, "sec-gpc", "1");
  const policy::DropReason drop = policy::request_drop_reason(sig, tenant.gpc);
  if (drop == policy::DropReason::none) return std::nullopt;
  const std::string reason(policy::drop_reason_name(drop));
  m_metrics.add_dropped(reason, events);
  json dropped = json::object();
  if (events != 0) dropped[reason] = events;
  Response r =
      json_response(202, json{{"accepted", 0}, {"dropped", dropped}, {"rejected", json::array()}});
  if (sig.optout_cookie && cookies.uid_present) r.add("Set-Cookie", clear_uid_cookie(req));
  return r;
}

/// The batch of a request that got through decoding, with its uid: the request's valid hg_uid,
/// or a new one, for a site-key request to a tenant that sets the uid cookie.
std::shared_ptr<EventBatch> Gateway::start_batch(Call& call, const RequestCookies& cookies) {
  auto b = std::make_shared<EventBatch>(*call.auth.tenant);
  if (call.auth.kind == Auth::Kind::site && b->tenant.set_uid_cookie) {
    b->uid = cookies.uid.empty() ? new_uid() : cookies.uid;
    b->new_uid = cookies.uid.empty() && !b->uid.empty();
  }
  b->now = m_now();
  b->delivery = m_delivery.metrics;
  b->kafka = m_cfg.store_kind == config::StoreKind::kafka;
  b->cors = cors_view(call.req);
  b->done = std::move(call.done);
  return b;
}

/// Build events: each element through parse_event, then the tenant's policy (to_record); a
/// rejection is listed with its index, code and path, a drop counted under its reason.
void Gateway::build_events(const Request& req, JsonDoc::Value events, EventBatch& b) {
  const ConsentDefaults defaults = consent_defaults(req);
  PiiScan scan{pii_guard(b.tenant), {}, true};  // one budget of phone-library calls per request
  events.elements([&](std::size_t i, JsonDoc::Value ev) {
    auto parsed = parse_event(ev, "/events/" + std::to_string(i), b.now, scan);
    if (!parsed) {
      const EventRejection& why = parsed.error();
      b.rejected.push_back(json{{"index", i}, {"code", why.code}, {"path", why.path}});
      return m_metrics.add_event_rejected(why.code);
    }
    auto record = to_record(std::move(*parsed), b, defaults, m_store);
    if (!record) return void(++b.dropped[record.error()]);
    b.records.push_back(std::move(*record));
  });
  for (const auto& [k, v] : b.dropped) m_metrics.add_dropped(k, v);
}

/// Hand to the store. The answer waits for the commit; the store's completion hands the
/// outcomes back to the connection's thread (req.defer) when there is one.
void Gateway::hand_to_store(std::shared_ptr<EventBatch> batch, const Request& req) {
  if (batch->records.empty()) return batch->done(events_answer(*batch, 0));
  std::vector<EventRecord> records = std::move(batch->records);
  auto complete = [this, batch](const SubmitResult& res) { events_stored(*batch, res); };
  bool queued;
  if (req.defer) {
    queued =
        m_store.submit(std::move(records), [defer = req.defer, complete](SubmitResult res) mutable {
          defer([complete = std::move(complete), res = std::move(res)] { complete(res); });
        });
  } else {
    queued = m_store.submit(std::move(records), std::move(complete));
  }
  if (!queued) {
    Response r = error(503, "overload", "the store queue is full; retry later");
    add_cors(batch->cors, r, &batch->tenant);
    batch->done(std::move(r));
  }
}

/// The store's outcome of a batch: counts per outcome into the answer and the metrics.
void Gateway::events_stored(EventBatch& b, const SubmitResult& res) {
  if (res.error) {
    Response r = error(503, "store_error", "the events could not be stored; retry later");
    add_cors(b.cors, r, &b.tenant);
    return b.done(std::move(r));
  }
  std::size_t accepted = 0;
  std::uint64_t dup = 0, sup = 0;
  for (auto o : res.outcomes) {
    if (o == Outcome::accepted)
      ++accepted;
    else if (o == Outcome::duplicate)
      ++dup;
    else
      ++sup;
  }
  m_metrics.add_accepted(accepted);
  if (dup) {
    b.dropped["duplicate"] += dup;
    m_metrics.add_dropped("duplicate", dup);
  }
  if (sup) {
    b.dropped["suppressed"] += sup;
    m_metrics.add_dropped("suppressed", sup);
  }
  // Every stored event has an outcome, so accepted + dropped > 0: always 202 here.
  b.done(events_answer(b, accepted));
}

/// 202 when anything was accepted or dropped, 422 when every event was rejected; the uid cookie
/// when a new uid's events were stored.
Response Gateway::events_answer(const EventBatch& b, std::size_t accepted) {
  std::size_t dropped_total = 0;
  for (const auto& [k, v] : b.dropped) dropped_total += v;
  const bool all_rejected = accepted == 0 && dropped_total == 0 && !b.rejected.empty();
  if (all_rejected) m_metrics.add_rejected("validation");
  Response r;
  r.status = all_rejected ? 422 : 202;
  r.body = events_body(accepted, b.dropped, b.rejected);
  r.add("Content-Type", "application/json");
  if (b.new_uid && accepted > 0) r.add("Set-Cookie", set_uid_cookie(b.uid, b.cors));
  add_cors(b.cors, r, &b.tenant);
  return r;
}

}  // namespace hashgate::gw::api
