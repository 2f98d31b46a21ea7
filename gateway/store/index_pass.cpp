// The deferred, sorted indexing of accepted events' ids into event_ids and links (SqliteStore,
// sqlite_store.hpp; docs/storage.md, "Deferred indexing of identifiers").

#include "sqlite_store.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

namespace hashgate::gw::store_detail {

namespace {

/// Rows read per step when an indexing pass reads events back from the table.
constexpr std::int64_t k_index_chunk = 4096;

}  // namespace

int SqliteStore::load_indexed_seq() {
  bool found = false;
  const int rc = m_get_indexed_seq.each_row([&](Statement& r) {
    m_indexed_seq = r.int64(0);
    found = true;
  });
  if (rc != SQLITE_OK) return rc;
  return found ? SQLITE_OK : SQLITE_CORRUPT;
}

/// Copies the ids of every accepted event past the watermark into event_ids and links, sorted by
/// key, and moves the watermark, inside the caller's transaction.
int SqliteStore::index_events() {
  if (m_generation) {  // a pass written in slices so far: finish it
    if (int rc = write_slice(*m_generation, std::numeric_limits<std::size_t>::max());
        rc != SQLITE_OK)
      return rc;
    m_generation.reset();
  }
  if (m_backlog_valid) {
    // Fast path: the writer recorded every event it committed since the watermark.
    std::vector<IndexRow> rows;
    rows.swap(m_backlog);
    return write_index_rows(std::move(rows), m_last_seq);
  }
  // After a start-up or a rollback: read what is past the watermark back from the events table.
  for (;;) {
    std::vector<IndexRow> rows;
    std::int64_t last = m_indexed_seq;
    std::size_t events = 0;
    if (int rc = read_unindexed(rows, last, events); rc != SQLITE_OK) return rc;
    if (events == 0) break;
    if (int rc = write_index_rows(std::move(rows), last); rc != SQLITE_OK) return rc;
    if (events < static_cast<std::size_t>(k_index_chunk)) break;
  }
  // Caught up: from now on the writer's own record is complete.
  m_backlog.clear();
  m_last_seq = m_indexed_seq;
  m_backlog_valid = true;
  return SQLITE_OK;
}

/// Reads up to k_index_chunk events past the watermark: their ids into `rows`, the last seq read
/// into `last`, the number of events into `events`.
int SqliteStore::read_unindexed(std::vector<IndexRow>& rows, std::int64_t& last,
                                std::size_t& events) {
  std::vector<std::pair<std::string, std::string>> ids;
  return m_select_unindexed.each_row(
      [&](Statement& r) {
        ++events;
        last = r.int64(0);
        parse_ids_column(r.text(2), ids);
        for (auto& [kind, value] : ids)
          rows.push_back(
              IndexRow{r.text(1), std::move(value), std::move(kind), r.text(3), last, r.int64(4)});
      },
      m_indexed_seq, k_index_chunk);
}

SqliteStore::Generation SqliteStore::make_generation(std::vector<IndexRow> rows,
                                                     std::int64_t last) {
  // Key order: neighbouring inserts land on the same b-tree pages. The rows stay in place; index
  // arrays are sorted (moving four strings per swap cost more than the comparisons).
  Generation g;
  g.rows = std::move(rows);
  g.last = last;
  g.id_order.resize(g.rows.size());
  for (std::size_t i = 0; i < g.id_order.size(); ++i) g.id_order[i] = static_cast<std::uint32_t>(i);
  const auto& r = g.rows;
  // Links only for rows with a uid (browser events); server events have none.
  for (std::uint32_t k : g.id_order)
    if (!r[k].uid.empty()) g.link_order.push_back(k);
  std::sort(g.id_order.begin(), g.id_order.end(), [&](std::uint32_t x, std::uint32_t y) {
    return std::tie(r[x].tenant, r[x].id, r[x].seq, r[x].kind) <
           std::tie(r[y].tenant, r[y].id, r[y].seq, r[y].kind);
  });
  std::sort(g.link_order.begin(), g.link_order.end(), [&](std::uint32_t x, std::uint32_t y) {
    return std::tie(r[x].tenant, r[x].uid, r[x].id) < std::tie(r[y].tenant, r[y].uid, r[y].id);
  });
  return g;
}

int SqliteStore::write_slice(Generation& g, std::size_t max_rows) {
  // event_ids inserts are OR IGNORE: after a crash between two slices, the events past the
  // watermark are indexed again from the table, and the rows of committed slices are there.
  // `g.rows` is not changed while a row is bound (Statement::run binds without copies).
  for (std::size_t n = 0; n < max_rows && g.id_pos < g.id_order.size(); ++n, ++g.id_pos) {
    const IndexRow& r = g.rows[g.id_order[g.id_pos]];
    if (int s = m_insert_event_id.run(r.seq, r.tenant, r.kind, r.id); s != SQLITE_OK) return s;
  }
  for (std::size_t n = 0; n < max_rows && g.link_pos < g.link_order.size(); ++n, ++g.link_pos) {
    const IndexRow& r = g.rows[g.link_order[g.link_pos]];
    if (int s = m_upsert_link.run(r.tenant, r.uid, r.id, r.received); s != SQLITE_OK) return s;
  }
  if (!g.done()) return SQLITE_OK;
  if (g.last > m_indexed_seq) {
    if (int s = m_set_indexed_seq.run(g.last); s != SQLITE_OK) return s;
    m_indexed_seq = g.last;
  }
  return SQLITE_OK;
}

int SqliteStore::write_index_rows(std::vector<IndexRow> rows, std::int64_t last) {
  Generation g = make_generation(std::move(rows), last);
  return write_slice(g, std::numeric_limits<std::size_t>::max());
}

/// One indexing pass over everything accepted so far, in its own transaction.
std::error_code SqliteStore::run_index() {
  const std::error_code ec = transaction([&] { return index_events(); });
  if (!ec) m_unindexed = 0;
  return ec;
}

std::error_code SqliteStore::run_index_slice() {
  if (!m_backlog_valid) return run_index();  // after a rollback: catch up from the table
  if (!m_generation) {
    std::vector<IndexRow> rows;
    rows.swap(m_backlog);
    m_generation = make_generation(std::move(rows), m_last_seq);
    m_unindexed = 0;
  }
  // On failure rollback() forgets the generation; the table is the record again.
  if (auto ec = transaction([&] { return write_slice(*m_generation, m_cfg.index_slice_rows); }))
    return ec;
  if (m_generation->done()) m_generation.reset();
  invoke_safely(m_cfg.after_index_slice);
  return {};
}

}  // namespace hashgate::gw::store_detail
