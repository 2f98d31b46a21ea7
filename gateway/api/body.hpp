#pragma once
// Reading JSON request bodies, shared by the event and opt-out routes: parsing with a fixed order
// of failure reasons, the raw-PII scan that names a JSON pointer, hashed id sets, and wiping the
// body after use. Pure functions over JsonDoc values.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/api/json_doc.hpp"
#include "gateway/api/reply.hpp"
#include "gateway/api/request.hpp"
#include "gateway/policy/pii_guard.hpp"

namespace hashgate::gw::api {

/// Zeroes a request body when the handler that read it returns (JsonDoc values are views of it).
struct BodyWiper {
  std::string& body;
  ~BodyWiper();
};

/// Parses `body` into `doc` (nesting at most `max_depth`); on failure the 400 refusal, named in a
/// fixed order that does not depend on where the parser stopped: invalid_utf8, too_deep, bad_json.
std::optional<Refusal> parse_body(const std::string& body, std::size_t max_depth, JsonDoc& doc);

/// A JSON request body into `doc`: 415 unsupported_media_type when the Content-Type is not one
/// the API reads, then parse_body's refusals.
std::optional<Refusal> read_json_body(const Request& req, std::size_t max_depth, JsonDoc& doc);

/// Nesting depth of JSON text without parsing it (strings skipped).
std::size_t text_depth(std::string_view s);

/// `k` as a JSON pointer segment: itself when it is a plain name (1-64 of [A-Za-z0-9_.-] and no
/// PII), else "<key>".
std::string path_key(std::string_view k);

/// One request's PII scan: the tenant's guard, the request's budget of libphonenumber calls,
/// and whether the tenant's allow paths apply (they do below an event, nowhere else).
struct PiiScan {
  const policy::PiiGuard& guard;
  policy::PiiBudget budget{};
  bool event = false;
  /// The objects that are elements of an array are "ids" objects (an audience upload's members):
  /// their valid digests are not scanned, as under an event's "ids".
  bool id_set_elements = false;
};

/// Finds the first raw e-mail/phone in any string, key or long integer of `v` with `scan`'s
/// guard; sets `path` to its JSON pointer (`at` is the pointer of `v`; keys that are not plain
/// names read "<key>"). Values of an "ids" object that are valid digests are not scanned.
bool find_raw_pii(JsonDoc::Value v, const std::string& at, std::string& path, PiiScan& scan);

/// The refusal of a body that holds a raw identifier at `path` (422 raw_pii).
Refusal raw_pii_refusal(std::string path);

/// A set of hashed ids ({"em": "<sha256>", ...}) read into (key, canonical lowercase hex), or
/// the rejection code ("invalid_ids", "unknown_field", "invalid_hash") and path.
struct IdSet {
  std::vector<std::pair<std::string, std::string>> ids;
  std::string code, path;
};

/// Reads the id set `ids` found at JSON pointer `at`.
IdSet parse_ids(JsonDoc::Value ids, const std::string& at);

/// Reads "ids" given as one id set or an array of them (at most `limit` sets) into `out`.
/// Returns the first invalid set's result; `indexed` names array members "/ids/<i>" in paths.
std::optional<IdSet> read_id_sets(JsonDoc::Value sets, bool indexed, std::size_t limit,
                                  std::vector<std::string>& out);

}  // namespace hashgate::gw::api
