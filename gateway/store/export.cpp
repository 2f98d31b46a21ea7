// The readers (SqliteStore, sqlite_store.hpp): the export of events as NDJSON, resumable with a
// cursor, and the audit log. Both use the read connection, beside the writer.

#include "sqlite_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

namespace hashgate::gw::store_detail {

namespace {

/// Parses stored JSON text for export; falls back to an empty object on anything unexpected.
nlohmann::ordered_json parse_object(const std::string& text) {
  if (text.empty()) return nlohmann::ordered_json::object();
  auto j = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return nlohmann::ordered_json::object();
  return j;
}

/// Ends the read transaction of a connection when leaving scope.
struct EndRead {
  Connection& c;
  ~EndRead() { c.exec("COMMIT"); }
};

}  // namespace

std::vector<std::string> SqliteStore::export_events(const std::string& tenant, std::int64_t since,
                                                    ExportCursor after, std::size_t limit) {
  std::vector<std::string> lines;
  std::size_t skipped = 0;
  if (!read_export(tenant, since, after, limit, lines, skipped)) return lines;
  nlohmann::ordered_json detail = {{"since", since}, {"events", lines.size()}};
  if (after.seq > 0) detail["after"] = format_export_cursor(after);
  if (skipped > 0) detail["suppressed_skipped"] = skipped;
  append_audit(AuditEntry{now(), tenant, "export", detail.dump()});
  return lines;
}

/// Reads one page of the export into `lines`; `skipped` counts suppressed events left out.
/// False when nothing could be read (closed store, limit 0, or an SQLite error): not audited.
bool SqliteStore::read_export(const std::string& tenant, std::int64_t since, ExportCursor after,
                              std::size_t limit, std::vector<std::string>& lines,
                              std::size_t& skipped) {
  std::lock_guard lk(m_read_mu);
  if (m_read.get() == nullptr || limit == 0) return false;
  // One read transaction, so the seq bound and the rows come from the same snapshot.
  if (m_read.exec("BEGIN") != SQLITE_OK) return false;
  EndRead end_read{m_read};
  // `received` and seq grow together, so both bounds are a seq: the first event received at or
  // after `since`, and the first one after the cursor. Seqs are never given out twice.
  const std::int64_t by_time = first_seq_received(m_read.get(), since);
  if (by_time < 0) return false;
  if (after.seq == std::numeric_limits<std::int64_t>::max()) return true;  // nothing after it
  const std::int64_t from = std::max(by_time, after.seq + 1);
  Statement s;
  if (s.prepare(m_read.get(),
                "SELECT seq, event_id, type, time, received, ids, uid, online_ids, custom,"
                " legal_basis, consent FROM events"
                " WHERE seq >= ?3 AND tenant = ?1 AND received >= ?2"
                " ORDER BY seq") != SQLITE_OK) {
    return false;
  }
  s.each_row(
      [&](Statement& row) {
        auto ids = parse_object(row.text(5));
        const std::string uid = row.text(6);
        // Suppressed people's events are purged at opt-out; filter anyway (defence in depth).
        bool suppressed = !uid.empty() && is_suppressed(tenant, uid);
        for (const auto& [kind, value] : ids.items()) {
          if (value.is_string() && is_suppressed(tenant, value.get<std::string>()))
            suppressed = true;
        }
        if (suppressed) {
          ++skipped;
          return true;
        }
        nlohmann::ordered_json line = {
            {"event_id", row.text(1)},  {"type", row.text(2)},   {"time", row.int64(3)},
            {"received", row.int64(4)}, {"ids", std::move(ids)},
        };
        if (!uid.empty()) line["uid"] = uid;
        line["online_ids"] = parse_object(row.text(7));
        line["custom"] = parse_object(row.text(8));
        line["legal_basis"] = row.text(9);
        line["consent"] = parse_object(row.text(10));
        line["cursor"] = format_export_cursor(ExportCursor{row.int64(0)});
        lines.push_back(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        return lines.size() < limit;
      },
      tenant, since, from);
  return true;
}

std::vector<AuditEntry> SqliteStore::audit(const std::string& tenant, std::int64_t since,
                                           std::size_t limit) {
  std::vector<AuditEntry> out;
  std::lock_guard lk(m_read_mu);
  if (m_read.get() == nullptr || limit == 0) return out;
  Statement s;
  // Gateway-wide entries (tenant "") such as start-up are visible to every tenant.
  if (s.prepare(m_read.get(),
                "SELECT time, tenant, action, detail FROM audit"
                " WHERE (tenant = ?1 OR tenant = '') AND time >= ?2 ORDER BY time, seq LIMIT ?3") !=
      SQLITE_OK) {
    return out;
  }
  s.each_row(
      [&](Statement& r) {
        out.push_back(AuditEntry{r.int64(0), r.text(1), r.text(2), r.text(3)});
      },
      tenant, since, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  return out;
}

}  // namespace hashgate::gw::store_detail
