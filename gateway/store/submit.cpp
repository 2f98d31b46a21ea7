// Group commits of submitted events (SqliteStore, sqlite_store.hpp): every submit the writer took
// together runs in one transaction, and each request's `done` runs only after its COMMIT.

#include "sqlite_store.hpp"

#include <algorithm>

namespace hashgate::gw::store_detail {

void SqliteStore::run_submit_batch(std::vector<SubmitJob>& batch) {
  std::vector<SubmitJob*> all;
  for (SubmitJob& j : batch) all.push_back(&j);
  std::vector<std::vector<Outcome>> outcomes;
  const std::error_code ec = write_submits(all, outcomes);
  if (!ec || batch.size() == 1) {
    notify_outbox(!ec);
    // Only now, after COMMIT returned SQLITE_OK (or the transaction was rolled back), report.
    for (std::size_t j = 0; j < batch.size(); ++j) {
      SubmitResult r;
      if (!ec)
        r.outcomes = std::move(outcomes[j]);
      else
        r.error = ec;
      invoke_safely(batch[j].done, std::move(r));
    }
    return;
  }
  // The group failed as a whole: retry each request in its own transaction so one bad request
  // (or a transient error) does not fail the requests it happened to share a commit with.
  for (SubmitJob& job : batch) {
    std::vector<SubmitJob*> one{&job};
    std::vector<std::vector<Outcome>> single;
    SubmitResult r;
    r.error = write_submits(one, single);
    notify_outbox(!r.error);
    if (!r.error) r.outcomes = std::move(single[0]);
    invoke_safely(job.done, std::move(r));
  }
}

std::error_code SqliteStore::write_submits(const std::vector<SubmitJob*>& jobs,
                                           std::vector<std::vector<Outcome>>& outcomes) {
  outcomes.assign(jobs.size(), {});
  m_outbox_rows.clear();
  return transaction([&] {
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      auto& out = outcomes[j];
      out.reserve(jobs[j]->events.size());
      for (EventRecord& ev : jobs[j]->events) {
        Outcome outcome = Outcome::accepted;
        if (int rc = write_event(ev, outcome); rc != SQLITE_OK) return rc;
        out.push_back(outcome);
      }
    }
    return flush_outbox();
  });
}

int SqliteStore::write_event(EventRecord& ev, Outcome& outcome) {
  for (auto& [kind, value] : ev.ids) value = canonical_id(value);
  ev.uid = canonical_id(ev.uid);
  ev.received = std::max(ev.received, m_max_received);
  bool suppressed = in_mirror(ev.tenant, ev.uid);
  for (const auto& kv : ev.ids) suppressed = suppressed || in_mirror(ev.tenant, kv.second);
  if (suppressed) {
    outcome = Outcome::suppressed;
    return SQLITE_OK;
  }
  // After the newest events were deleted, SQLite would give their seqs out again: name the seq.
  const bool past_floor = m_table_max_seq < m_seq_floor;
  Statement& insert = past_floor ? m_insert_event_at : m_insert_event;
  {
    // Every bound string outlives the step: `ev`'s members, `ids` below, literals.
    const std::string ids = ids_column(ev.ids);
    ResetGuard g(insert);
    insert.bind_static(1, ev.tenant);
    insert.bind_static(2, ev.event_id);
    insert.bind_static(3, ev.type);
    insert.bind(4, ev.time);
    insert.bind(5, ev.received);
    insert.bind_static(6, ids);
    insert.bind_static(7, ev.uid);
    insert.bind_static(8, json_or_empty(ev.online_ids_json));
    insert.bind_static(9, json_or_empty(ev.custom_json));
    insert.bind_static(10, ev.legal_basis);
    insert.bind_static(11, json_or_empty(ev.consent_summary));
    if (past_floor) insert.bind(12, m_seq_floor + 1);
    if (int s = insert.step(); s != SQLITE_DONE) return s;
  }
  if (sqlite3_changes(m_write.get()) == 0) {
    outcome = Outcome::duplicate;  // UNIQUE(tenant, event_id), also within this batch
    return SQLITE_OK;
  }
  // event_ids and links are filled later, in bulk (index_events).
  const std::int64_t seq = sqlite3_last_insert_rowid(m_write.get());
  m_table_max_seq = seq;
  if (m_backlog_valid) {
    for (const auto& [kind, value] : ev.ids)
      m_backlog.push_back(IndexRow{ev.tenant, value, kind, ev.uid, seq, ev.received});
    m_last_seq = seq;
  }
  if (int rc = write_outbox(ev, seq); rc != SQLITE_OK) return rc;
  outcome = Outcome::accepted;
  m_max_received = ev.received;
  ++m_unindexed;
  return SQLITE_OK;
}

}  // namespace hashgate::gw::store_detail

namespace hashgate::gw::store_detail {

/// One outbox row per destination of the accepted event `ev` (seq `seq`), in its transaction:
/// queued here, written by flush_outbox() before the group commit's COMMIT.
int SqliteStore::write_outbox(const EventRecord& ev, std::int64_t seq) {
  for (const OutboxTarget& t : ev.outbox) {
    m_outbox_rows.push_back(QueuedOutboxRow{t.destination, ev.tenant, next_outbox_id(), seq, t.dma,
                                            ev.received * 1000});
    if (std::find(m_outbox_added.begin(), m_outbox_added.end(), t.destination) ==
        m_outbox_added.end())
      m_outbox_added.push_back(t.destination);
  }
  return SQLITE_OK;
}

int SqliteStore::flush_outbox() {
  const std::size_t n = m_outbox_rows.size();
  std::size_t i = 0;
  for (; n - i >= k_outbox_rows_per_insert; i += k_outbox_rows_per_insert) {
    ResetGuard g(m_insert_outboxes);  // the rows' strings outlive the step
    for (std::size_t j = 0; j < k_outbox_rows_per_insert; ++j) {
      const QueuedOutboxRow& r = m_outbox_rows[i + j];
      const int base = static_cast<int>(6 * j);
      m_insert_outboxes.bind_static(base + 1, r.destination);
      m_insert_outboxes.bind(base + 2, r.id);
      m_insert_outboxes.bind_static(base + 3, r.tenant);
      m_insert_outboxes.bind(base + 4, r.event);
      m_insert_outboxes.bind(base + 5, r.dma);
      m_insert_outboxes.bind(base + 6, r.created_ms);
    }
    if (int s = m_insert_outboxes.step(); s != SQLITE_DONE) return s;
  }
  for (; i < n; ++i) {
    const QueuedOutboxRow& r = m_outbox_rows[i];
    if (int rc = m_insert_outbox.run(r.destination, r.id, r.tenant, r.event, r.dma, r.created_ms);
        rc != SQLITE_OK)
      return rc;
  }
  m_outbox_rows.clear();
  return SQLITE_OK;
}

/// After a group commit (`committed`) tells on_outbox which destinations got rows.
void SqliteStore::notify_outbox(bool committed) {
  if (committed) {
    for (const auto& d : m_outbox_added) invoke_safely(on_outbox, d);
  }
  m_outbox_added.clear();
}

}  // namespace hashgate::gw::store_detail
