// Helpers shared by the store's files (util.hpp).

#include "util.hpp"

#include "sqlite_handle.hpp"
#include "store.hpp"

#include <hashgate/hashgate.hpp>
#include <nlohmann/json.hpp>

#include <array>

namespace hashgate::gw::store_detail {

std::error_code sqlite_error(int rc) { return {rc, sqlite_category()}; }

std::string suppression_digest(std::string_view tenant, std::string_view id) {
  static constexpr std::string_view k_domain = "hashgate/suppression/v1";
  std::string input;
  input.reserve(k_domain.size() + tenant.size() + id.size() + 2);
  input.append(k_domain).push_back('\0');
  input.append(tenant).push_back('\0');
  input.append(id);
  std::array<std::uint8_t, 32> md{};
  hashgate::sha256(input, md);  // SDK's low-level SHA256_*: no EVP fetch per event
  return std::string(md.begin(), md.end());
}

std::string ids_column(const std::vector<std::pair<std::string, std::string>>& ids) {
  auto plain = [](const std::string& t) {
    for (unsigned char c : t)
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
    return true;
  };
  bool simple = true;
  for (std::size_t i = 0; i < ids.size() && simple; ++i) {
    simple = plain(ids[i].first) && plain(ids[i].second);
    for (std::size_t j = 0; j < i && simple; ++j) simple = ids[j].first != ids[i].first;
  }
  if (!simple) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const auto& [kind, value] : ids) j[kind] = value;
    return j.dump();
  }
  std::string out = "{";
  for (const auto& [kind, value] : ids) {
    if (out.size() > 1) out += ',';
    out.append("\"").append(kind).append("\":\"").append(value).append("\"");
  }
  out += '}';
  return out;
}

// Fast path for the flat, escape-free objects ids_column writes; anything else goes through
// nlohmann (same result, slower).
void parse_ids_column(const std::string& text,
                      std::vector<std::pair<std::string, std::string>>& out) {
  out.clear();
  const std::size_t n = text.size();
  bool simple =
      n >= 2 && text.front() == '{' && text.back() == '}' && text.find('\\') == std::string::npos;
  std::size_t i = 1;
  auto read_string = [&](std::string& s) {
    if (i >= n || text[i] != '"') return false;
    const std::size_t end = text.find('"', i + 1);
    if (end == std::string::npos) return false;
    s.assign(text, i + 1, end - i - 1);
    i = end + 1;
    return true;
  };
  while (simple && i < n - 1) {
    std::pair<std::string, std::string> kv;
    simple = read_string(kv.first) && i < n && text[i++] == ':' && read_string(kv.second);
    if (!simple) break;
    out.push_back(std::move(kv));
    if (i < n - 1) simple = text[i++] == ',';
  }
  if (simple) return;
  out.clear();
  const auto ids = nlohmann::json::parse(text, nullptr, false);
  if (!ids.is_object()) return;
  for (const auto& [kind, value] : ids.items())
    if (value.is_string()) out.emplace_back(kind, value.get<std::string>());
}

std::string_view json_or_empty(const std::string& s) {
  return s.empty() ? std::string_view("{}") : std::string_view(s);
}

std::int64_t first_seq_received(sqlite3* db, std::int64_t t) {
  Statement last, probe;
  if (int rc = last.prepare(db, "SELECT coalesce(max(seq), 0) FROM events"); rc != SQLITE_OK)
    return -rc;
  if (int rc = last.step(); rc != SQLITE_ROW) return rc == SQLITE_DONE ? -SQLITE_CORRUPT : -rc;
  const std::int64_t end = last.int64(0) + 1;
  if (int rc = probe.prepare(db,
                             "SELECT seq, received FROM events WHERE seq >= ?1 ORDER BY seq"
                             " LIMIT 1");
      rc != SQLITE_OK) {
    return -rc;
  }
  std::int64_t lo = 0, hi = end, found = end;  // the answer lies in [lo, hi) or is `found`
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    ResetGuard g(probe);
    probe.bind(1, mid);
    const int rc = probe.step();
    if (rc == SQLITE_DONE) {  // no row at or after mid
      hi = mid;
      continue;
    }
    if (rc != SQLITE_ROW) return -rc;
    const std::int64_t seq = probe.int64(0);
    if (probe.int64(1) >= t) {
      found = seq;  // rows in [mid, seq) do not exist
      hi = mid;
    } else {
      lo = seq + 1;
    }
  }
  return found;
}

}  // namespace hashgate::gw::store_detail
