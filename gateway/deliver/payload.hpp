#pragma once
// Request builders (pure): the webhook wire format and its signature, Meta's Conversions API and
// Custom Audience users calls, Google's Data Manager API events and audience-member calls.
// docs/destinations.md maps every field and cites the platforms' pages.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gateway/deliver/destination.hpp"
#include "gateway/deliver/outbox.hpp"
#include "gateway/deliver/url.hpp"

namespace hashgate::gw::deliver {

/// Meta refuses a whole Conversions API request when one event is older than 7 days; such rows
/// are left out of a meta_capi batch with reason "too_old" (one minute of margin for the trip).
inline constexpr std::int64_t k_meta_max_event_age_s = 7 * 24 * 3600 - 60;

/// HTTP methods a destination request uses.
enum class Method : std::uint8_t { post, del };

/// One HTTP request, ready for the client.
struct Request {
  Method method = Method::post;
  Url url;
  std::vector<std::pair<std::string, std::string>> headers;  ///< besides Host/Content-*/UA
  std::string body;
};

/// A row the builder could not put into a request, and why (a fixed word: "payload" when the
/// stored payload is malformed, "too_old" when the platform would refuse the whole batch for it,
/// "unsupported" when the destination kind has no call for the row kind).
struct RejectedRow {
  std::int64_t id = 0;
  std::string_view reason;
};

/// The request for a batch, plus the rows left out of it. `sent` lists the ids in the request;
/// when it is empty there is nothing to send.
struct Built {
  Request request;
  std::vector<std::int64_t> sent;
  std::vector<RejectedRow> rejected;
};

/// Builds the request that delivers `rows` (one batch, all of one RowKind) to `dest`.
/// `idempotency_key` goes into the Idempotency-Key header; `now_unix` signs webhooks and ages
/// events for Meta.
Built build_request(const Destination& dest, std::span<const OutboxRow> rows,
                    std::string_view idempotency_key, std::int64_t now_unix);

/// The Idempotency-Key of batch `batch` of destination `dest`: 32 hex characters of
/// SHA-256(salt ‖ 0 ‖ dest ‖ 0 ‖ batch), stable across retries and restarts; `salt` is the
/// installation's random id so two installations never share keys.
std::string idempotency_key(std::string_view salt, std::string_view dest, std::int64_t batch);

// ---- webhook -----------------------------------------------------------------------------------

/// {"type":"events","tenant":…,"destination":…,"events":[…]} with each stored event verbatim.
std::string webhook_events_body(std::string_view tenant, std::string_view dest,
                                std::span<const std::string_view> events);
/// {"type":"optout","tenant":…,"destination":…,"optout_id":…,"ids":{"em":[…],"ph":[…]},"uid":…}.
std::string webhook_optout_body(std::string_view tenant, std::string_view dest,
                                const OptOutMessage& m);
/// {"type":"audience_add","tenant":…,"destination":…,"match_id":…,"members":[{"ids":{"em":[…],
/// "ph":[…],…},"uid":…}]}: one entry per matched person, `uid` only when the person has one.
std::string webhook_members_body(std::string_view tenant, std::string_view dest,
                                 const AudienceMembers& m);
/// The Hashgate-Signature header value: "t=<t>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
std::string webhook_signature(std::string_view secret, std::int64_t t, std::string_view body);

// ---- meta_capi ---------------------------------------------------------------------------------

/// Meta's event_name for one of our event types (standard events where one exists).
std::string_view meta_event_name(std::string_view type);
/// The Conversions API body {"data":[…]} (plus test_event_code when set) for stored events
/// (export lines). Lines that do not parse are left out and listed in `bad` by index.
std::string meta_events_body(std::span<const std::string_view> events, std::string_view test_code,
                             std::vector<std::size_t>& bad);
/// The Custom Audience users body {"payload":{"schema":["EMAIL","PHONE"],"data":[…]}}: one row
/// per identifier, hashed values, "" in the other column.
std::string meta_users_body(const AudienceMembers& members);

// ---- google_dm ---------------------------------------------------------------------------------

/// The events:ingest body for stored events with their DMA consent; unparsable lines are left
/// out and listed in `bad` by index.
std::string google_events_body(const GoogleSettings& g,
                               std::span<const std::pair<std::string_view, DmaConsent>> events,
                               std::vector<std::size_t>& bad);
/// The audienceMembers:ingest (remove = false) or audienceMembers:remove body.
std::string google_members_body(const GoogleSettings& g, const AudienceMembers& members,
                                bool remove);

/// Member `key` of a stored event object as an integer, or 0 when absent or not an integer
/// (stored rows are ours, but a malformed one must never throw on the worker thread).
std::int64_t event_int(const nlohmann::json& event, const char* key);
/// Member `key` of a stored event object as a string, or "" when absent or not a string.
std::string event_string(const nlohmann::json& event, const char* key);

/// The members an opt-out removes: each hashed id of `m` as one member (uid is first-party and
/// never sent to a platform).
AudienceMembers optout_members(const OptOutMessage& m);

}  // namespace hashgate::gw::deliver
