// build_request(): one batch of outbox rows → one HTTP request for its destination's kind.
#include <hashgate/hashgate.hpp>

#include <nlohmann/json.hpp>

#include "gateway/deliver/payload.hpp"

namespace hashgate::gw::deliver {

namespace {

/// Rows of a batch split into the ones a request can carry and the ones it cannot.
struct Split {
  std::vector<const OutboxRow*> ok;
  std::vector<RejectedRow> rejected;
};

Split split_events(std::span<const OutboxRow> rows) {
  Split s;
  for (const auto& r : rows) {
    const bool shaped =
        r.payload.size() >= 2 && r.payload.front() == '{' && r.payload.back() == '}';
    if (r.kind != RowKind::event || !shaped)
      s.rejected.push_back({r.id, r.kind != RowKind::event ? "unsupported" : "payload"});
    else
      s.ok.push_back(&r);
  }
  return s;
}

/// Rows whose event time is too old for Meta's 7-day window (the whole request would fail).
void reject_too_old(Split& s, std::int64_t now_unix) {
  std::vector<const OutboxRow*> keep;
  for (const OutboxRow* r : s.ok) {
    const auto j = nlohmann::json::parse(r->payload, nullptr, false);
    const std::int64_t t = j.is_object() ? event_int(j, "time") : 0;
    if (now_unix - t > k_meta_max_event_age_s)
      s.rejected.push_back({r->id, "too_old"});
    else
      keep.push_back(r);
  }
  s.ok = std::move(keep);
}

/// Moves the rows at `bad` indexes (into s.ok) to the rejected list as "payload".
void reject_indexes(Split& s, const std::vector<std::size_t>& bad) {
  for (auto i = bad.rbegin(); i != bad.rend(); ++i) {
    s.rejected.push_back({s.ok[*i]->id, "payload"});
    s.ok.erase(s.ok.begin() + static_cast<std::ptrdiff_t>(*i));
  }
}

void common_headers(Request& req, std::string_view key) {
  req.headers.emplace_back("Idempotency-Key", std::string(key));
}

void bearer(Request& req, const Destination& d) {
  req.headers.emplace_back("Authorization", "Bearer " + std::string(d.secret.view()));
}

/// Adds "access_token" to a Graph API JSON body (Meta documents it as a POST parameter).
std::string with_access_token(std::string body, const Destination& d) {
  // body is a JSON object "{...}"; insert the token as its first member.
  std::string token = nlohmann::json(std::string(d.secret.view()))
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out = "{\"access_token\":" + token + (body.size() > 2 ? "," : "") + body.substr(1);
  hashgate::secure_clear(token);
  return out;
}

Built build_webhook(const Destination& d, std::span<const OutboxRow> rows, std::string_view key,
                    std::int64_t now_unix) {
  Built b;
  b.request.url = d.url;
  if (rows.front().kind == RowKind::optout) {
    OptOutMessage m;
    if (rows.size() != 1 || !decode_optout(rows.front().payload, m)) {
      for (const auto& r : rows) b.rejected.push_back({r.id, "payload"});
      return b;
    }
    b.request.body = webhook_optout_body(d.tenant, d.id, m);
    b.sent.push_back(rows.front().id);
  } else if (rows.front().kind == RowKind::audience_add) {
    AudienceMembers members;
    if (rows.size() != 1 || !decode_members(rows.front().payload, members)) {
      for (const auto& r : rows) b.rejected.push_back({r.id, "payload"});
      return b;
    }
    b.request.body = webhook_members_body(d.tenant, d.id, members);
    b.sent.push_back(rows.front().id);
  } else {
    Split s = split_events(rows);
    std::vector<std::string_view> lines;
    for (const OutboxRow* r : s.ok) {
      lines.push_back(r->payload);
      b.sent.push_back(r->id);
    }
    b.rejected = std::move(s.rejected);
    if (b.sent.empty()) return b;
    b.request.body = webhook_events_body(d.tenant, d.id, lines);
  }
  b.request.headers.emplace_back("Hashgate-Signature",
                                 webhook_signature(d.secret.view(), now_unix, b.request.body));
  common_headers(b.request, key);
  return b;
}

Built build_meta(const Destination& d, std::span<const OutboxRow> rows, std::string_view key,
                 std::int64_t now_unix) {
  Built b;
  const RowKind kind = rows.front().kind;
  if (kind == RowKind::event) {
    Split s = split_events(rows);
    reject_too_old(s, now_unix);
    std::vector<std::string_view> lines;
    for (const OutboxRow* r : s.ok) lines.push_back(r->payload);
    std::vector<std::size_t> bad;
    std::string body = meta_events_body(lines, d.meta.test_event_code, bad);
    reject_indexes(s, bad);
    for (const OutboxRow* r : s.ok) b.sent.push_back(r->id);
    b.rejected = std::move(s.rejected);
    b.request.url = with_path(d.url, d.meta.pixel_id + "/events");
    b.request.body = with_access_token(std::move(body), d);
  } else {
    AudienceMembers members;
    OptOutMessage m;
    const bool ok = rows.size() == 1 &&
                    (kind == RowKind::optout ? decode_optout(rows.front().payload, m)
                                             : decode_members(rows.front().payload, members));
    if (!ok) {
      for (const auto& r : rows) b.rejected.push_back({r.id, "payload"});
      return b;
    }
    if (kind == RowKind::optout) members = optout_members(m);
    b.request.method = kind == RowKind::optout ? Method::del : Method::post;
    b.request.url = with_path(d.url, d.meta.audience_id + "/users");
    b.request.body = with_access_token(meta_users_body(members), d);
    b.sent.push_back(rows.front().id);
  }
  common_headers(b.request, key);
  return b;
}

Built build_google(const Destination& d, std::span<const OutboxRow> rows, std::string_view key) {
  Built b;
  const RowKind kind = rows.front().kind;
  if (kind == RowKind::event) {
    Split s = split_events(rows);
    std::vector<std::pair<std::string_view, DmaConsent>> events;
    for (const OutboxRow* r : s.ok) events.emplace_back(r->payload, r->dma);
    std::vector<std::size_t> bad;
    b.request.body = google_events_body(d.google, events, bad);
    reject_indexes(s, bad);
    for (const OutboxRow* r : s.ok) b.sent.push_back(r->id);
    b.rejected = std::move(s.rejected);
    b.request.url = with_path(d.url, "events:ingest");
  } else {
    AudienceMembers members;
    OptOutMessage m;
    const bool ok = rows.size() == 1 &&
                    (kind == RowKind::optout ? decode_optout(rows.front().payload, m)
                                             : decode_members(rows.front().payload, members));
    if (!ok) {
      for (const auto& r : rows) b.rejected.push_back({r.id, "payload"});
      return b;
    }
    if (kind == RowKind::optout) members = optout_members(m);
    const bool remove = kind == RowKind::optout;
    b.request.url = with_path(d.url, remove ? "audienceMembers:remove" : "audienceMembers:ingest");
    b.request.body = google_members_body(d.google, members, remove);
    b.sent.push_back(rows.front().id);
  }
  bearer(b.request, d);
  common_headers(b.request, key);
  return b;
}

}  // namespace

Built build_request(const Destination& dest, std::span<const OutboxRow> rows,
                    std::string_view idempotency_key, std::int64_t now_unix) {
  if (rows.empty()) return {};
  switch (dest.kind) {
    case Kind::webhook:
      return build_webhook(dest, rows, idempotency_key, now_unix);
    case Kind::meta_capi:
      return build_meta(dest, rows, idempotency_key, now_unix);
    case Kind::google_dm:
      return build_google(dest, rows, idempotency_key);
  }
  Built b;
  for (const auto& r : rows) b.rejected.push_back({r.id, "unsupported"});
  return b;
}

}  // namespace hashgate::gw::deliver
