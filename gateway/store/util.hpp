#pragma once
// Small helpers shared by the store's files, internal to gateway/store: identifier forms, the
// ids column, the seq boundary of a `received` time, and calling user callbacks safely.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace hashgate::gw::store_detail {

/// An SQLite result code `rc` as an error_code of sqlite_category().
std::error_code sqlite_error(int rc);

/// Canonical form of an identifier: ASCII lowercase. Hex digests are case-insensitive; hg_uid
/// values are lowercase hex from the gateway, so they are compared case-insensitively as well.
/// (Inline: it runs for every id of every event.)
inline std::string canonical_id(std::string_view id) {
  std::string out(id);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

/// Suppression entries are SHA-256("hashgate/suppression/v1" 0 tenant 0 id), never the id itself,
/// so a purged identifier's bytes do not survive in the file (see docs/storage.md).
std::string suppression_digest(std::string_view tenant, std::string_view id);

/// The ids column: {"kind":"value",...} in the given order. Digests and kind names are plain
/// ASCII, written directly; anything else (or a repeated kind) goes through nlohmann (same text).
std::string ids_column(const std::vector<std::pair<std::string, std::string>>& ids);

/// Reads the ids column (as written by ids_column) into (kind, value) pairs in `out`.
void parse_ids_column(const std::string& text,
                      std::vector<std::pair<std::string, std::string>>& out);

/// A JSON column's text, "{}" when there is none (a view of `s` or of a literal, never a
/// temporary: safe for Statement::bind_static).
std::string_view json_or_empty(const std::string& s);

/// The smallest seq whose event was received at or after `t` (one past the last seq if none), or
/// a negative SQLite error code. `received` is non-decreasing in seq order (schema 3), so this
/// is a binary search over seq with point reads on `db`; it replaces an index on received.
std::int64_t first_seq_received(sqlite3* db, std::int64_t t);

/// Calls a user callback `f` with `args` unless it is empty, never letting an exception escape
/// into the writer thread.
template <typename F, typename... A>
void invoke_safely(const F& f, A&&... args) {
  if (!f) return;
  try {
    f(std::forward<A>(args)...);
  } catch (...) {
    // A callback's failure must not stop the writer; the data is already durable.
  }
}

}  // namespace hashgate::gw::store_detail
