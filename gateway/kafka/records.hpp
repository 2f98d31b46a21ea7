#pragma once
// The records hashgate writes to Kafka and reads back: accepted events on <prefix>.events and
// opt-outs/opt-ins on <prefix>.optouts (docs/deploy.md has the wire format). Pure functions, no
// librdkafka: the replica encodes, the sink and every replica's opt-out follower decode, and the
// decoders treat a record as hostile input (fuzz_kafka_records).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/store/store.hpp"

namespace hashgate::gw::kafka {

/// Largest record value the decoders accept (bytes); the gateway never writes more than its
/// body limit allows for one event.
inline constexpr std::size_t k_max_record_bytes = 1 << 20;

/// `<prefix>.events`
std::string events_topic(std::string_view prefix);
/// `<prefix>.optouts`
std::string optouts_topic(std::string_view prefix);

/// The key of an event record: `tenant/event_id` (one partition per key, so a retried event
/// lands beside its first copy).
std::string event_key(const EventRecord& ev);
/// The version of the event records encode_event writes when the event carries its consent
/// signals: 2 adds "v" and "signals" {"gdpr","tc","gpc"} to version 1 (which has no "v").
inline constexpr std::int64_t k_event_version = 2;

/// The value of an event record: a JSON object with every member of `ev` (ids as [kind, hex]
/// pairs, online_ids and custom as JSON text); version 2 with `ev.signals` when they are known,
/// else version 1 (docs/deploy.md "Record formats").
std::string encode_event(const EventRecord& ev);
/// Reads an event record's value, version 1 or 2 (signals.known tells which). nullopt for
/// anything encode_event would not write: not JSON, a member missing or of another type, an
/// unknown member or version, nesting deeper than k_max_depth, online_ids/custom that are not
/// JSON objects, more than k_max_record_bytes.
std::optional<EventRecord> decode_event(std::string_view value);

/// What an opt-out record does to its key's suppression.
enum class OptOp { optout, optin };

/// One opt-out or opt-in of one identifier of one tenant. Compaction keeps the newest record per
/// key, so the topic always holds every identifier's current state.
struct OptRecord {
  OptOp op = OptOp::optout;
  std::string tenant;
  std::string id;       ///< canonical hex digest, or the hg_uid value when `is_uid`
  bool is_uid = false;  ///< `id` is a first-party uid (the sink fans out through its links)
  std::string source;   ///< who asked (route label), for the sink's audit entry; may be empty
  std::int64_t time = 0;
};

/// The key of an opt-out record: `tenant/id` (`tenant/uid:<uid>` for a uid).
std::string opt_key(const OptRecord& r);
/// The value of an opt-out record (JSON object).
std::string encode_opt(const OptRecord& r);
/// Reads an opt-out record's value; nullopt for anything encode_opt would not write.
std::optional<OptRecord> decode_opt(std::string_view value);

/// The in-memory suppression key of (tenant, id): SHA-256 over a domain tag, the tenant and the
/// lowercased id, so that the replica's memory holds no identifier.
std::string suppression_key(std::string_view tenant, std::string_view id);

}  // namespace hashgate::gw::kafka
