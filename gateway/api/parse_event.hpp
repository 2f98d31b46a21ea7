#pragma once
// One element of POST /v1/events' "events" array → a typed event, or the rejection (code and
// JSON pointer, never the value). Pure: no tenant, no store, no clock but the `now` passed in.
// The checks run in a fixed order (docs/gateway-api.md lists the codes): raw PII anywhere,
// shape, unknown fields, event_id, type, time, ids, online_ids, custom, consent.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/api/body.hpp"
#include "gateway/api/expected.hpp"
#include "gateway/api/json_doc.hpp"

namespace hashgate::gw::api {

inline constexpr std::size_t k_max_event_id = 128;          ///< event_id characters
inline constexpr std::int64_t k_max_future_s = 5 * 60;      ///< time at most this far ahead
inline constexpr std::int64_t k_max_age_s = 7 * 24 * 3600;  ///< time at most this old
inline constexpr std::size_t k_max_online_ids = 16;         ///< keys of online_ids
inline constexpr std::size_t k_max_online_key = 32;         ///< characters of an online_ids key
inline constexpr std::size_t k_max_custom_depth = 8;        ///< nesting of custom
inline constexpr std::size_t k_max_tc_string = 65536;       ///< characters of consent.tcf

/// The consent an event states; an absent field takes the request's default (query string).
struct EventConsent {
  std::optional<int> gdpr;              ///< 0 or 1
  std::optional<std::string_view> tcf;  ///< TC string, a view of the body
};

/// A valid event: ids in canonical lowercase hex, online_ids and custom as compact JSON text
/// ("" when absent), `time` defaulted to `now` when absent.
struct ParsedEvent {
  std::string event_id;
  std::string type;
  std::int64_t time = 0;
  std::vector<std::pair<std::string, std::string>> ids;
  std::string online_ids_json;
  std::string custom_json;
  EventConsent consent;
};

/// Why an event was rejected: a code ("raw_pii", "invalid_event", "unknown_field",
/// "missing_field", "invalid_event_id", "invalid_type", "invalid_time", "invalid_ids",
/// "invalid_hash", "invalid_online_id", "invalid_custom", "too_deep", "invalid_consent") and the
/// JSON pointer of the offending value.
struct EventRejection {
  std::string code;
  std::string path;
};

/// Parses event `ev`, found at JSON pointer `at` ("/events/3"); `now` is the current unix time
/// that bounds "time". Views in the result (consent.tcf) point into `ev`'s document.
Expected<ParsedEvent, EventRejection> parse_event(JsonDoc::Value ev, const std::string& at,
                                                  std::int64_t now);
/// The same with a tenant's PII scan (`scan`: its guard, allow paths and the request's budget of
/// phone-library calls); the form above uses the default guard.
Expected<ParsedEvent, EventRejection> parse_event(JsonDoc::Value ev, const std::string& at,
                                                  std::int64_t now, PiiScan& scan);

/// True when `type` is an accepted event type (purchase, login, lead, page_view, custom,
/// add_to_cart, sign_up).
bool valid_event_type(std::string_view type);

}  // namespace hashgate::gw::api
