#pragma once
// Thin RAII helpers over the SQLite C API, internal to gateway/store. No exceptions: every call
// returns the SQLite result code and the caller decides.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace hashgate::gw::store_detail {

/// Marks an argument of Statement::run / each_row as a blob (strings bind as text).
struct Blob {
  std::string_view bytes;
};

/// Owns one sqlite3 connection; closes it (sqlite3_close_v2) on destruction.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { reset(); }

  /// Opens `path` with `flags` (SQLITE_OPEN_*) through VFS `vfs` (nullptr: the default);
  /// returns the SQLite result code.
  int open(const std::string& path, int flags, const char* vfs = nullptr) {
    reset();
    return sqlite3_open_v2(path.c_str(), &m_db, flags, vfs);
  }
  /// Closes the connection if open (statements must have been finalized first).
  void reset() {
    if (m_db != nullptr) sqlite3_close_v2(m_db);
    m_db = nullptr;
  }
  /// Runs one or more SQL statements without results; returns the SQLite result code.
  int exec(const char* sql) { return sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr); }
  /// The raw handle (never null after a successful open()).
  sqlite3* get() const { return m_db; }
  /// The last error message of this connection (SQLite's text; never contains bound values).
  std::string message() const { return m_db != nullptr ? sqlite3_errmsg(m_db) : "no connection"; }

 private:
  sqlite3* m_db = nullptr;
};

/// Owns one prepared statement; finalizes it on destruction. Bind indexes start at 1.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept : m_stmt(std::exchange(o.m_stmt, nullptr)) {}
  Statement& operator=(Statement&& o) noexcept {
    if (this != &o) {
      finalize();
      m_stmt = std::exchange(o.m_stmt, nullptr);
    }
    return *this;
  }
  ~Statement() { finalize(); }

  /// Compiles `sql` on `db` (persistent: it is reused many times); returns the result code.
  int prepare(sqlite3* db, std::string_view sql) {
    finalize();
    return sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
  }
  /// Finalizes the statement (idempotent).
  void finalize() {
    if (m_stmt != nullptr) sqlite3_finalize(m_stmt);
    m_stmt = nullptr;
  }
  /// Resets the statement and clears its bindings so it can be run again.
  void reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }
  /// Binds text (copied by SQLite) at index `i`.
  int bind(int i, std::string_view v) {
    return sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  /// Binds text at index `i` without a copy: `v` must stay valid and unchanged until the
  /// statement is reset (hold a ResetGuard for the whole step). For the per-event hot paths;
  /// it also leaves no SQLite-owned copy of the value in freed heap memory.
  int bind_static(int i, std::string_view v) {
    // A null data pointer would bind SQL NULL, not the empty text.
    return sqlite3_bind_text(m_stmt, i, v.data() != nullptr ? v.data() : "",
                             static_cast<int>(v.size()), SQLITE_STATIC);
  }
  /// Binds a 64-bit integer at index `i`.
  int bind(int i, std::int64_t v) { return sqlite3_bind_int64(m_stmt, i, v); }
  /// Binds a blob (copied by SQLite) at index `i`.
  int bind_blob(int i, std::string_view v) {
    return sqlite3_bind_blob(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  /// Steps once: SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(m_stmt); }

  /// For statements without result rows: binds `args` at 1, 2, … (strings as text, integers,
  /// Blob), steps to completion and resets. Nothing is copied: the arguments outlive the call.
  /// Returns SQLITE_OK when the statement finished, else SQLite's error code.
  template <typename... A>
  int run(const A&... args) {
    bind_all(args...);
    const int rc = step();
    reset();
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  /// For queries: binds `args` as run() does, calls `row(*this)` for each result row and resets.
  /// `row` returns void, or bool (false stops early). Returns SQLITE_OK or SQLite's error code.
  template <typename Row, typename... A>
  int each_row(Row&& row, const A&... args) {
    bind_all(args...);
    int rc;
    while ((rc = step()) == SQLITE_ROW) {
      if constexpr (std::is_same_v<decltype(row(*this)), bool>) {
        if (!row(*this)) {
          rc = SQLITE_DONE;
          break;
        }
      } else {
        row(*this);
      }
    }
    reset();
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  /// Column `i` of the current row as text (empty for NULL).
  std::string text(int i) const {
    const auto* p = sqlite3_column_text(m_stmt, i);
    return p != nullptr ? std::string(reinterpret_cast<const char*>(p),
                                      static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, i)))
                        : std::string();
  }
  /// Column `i` of the current row as a blob copied into a string.
  std::string blob(int i) const {
    const void* p = sqlite3_column_blob(m_stmt, i);
    return p != nullptr ? std::string(static_cast<const char*>(p),
                                      static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, i)))
                        : std::string();
  }
  /// Column `i` of the current row as a view of SQLite's copy of the blob, valid until the next
  /// step or reset (no allocation: for loops over many rows).
  std::string_view blob_view(int i) const {
    const void* p = sqlite3_column_blob(m_stmt, i);
    return p != nullptr
               ? std::string_view(static_cast<const char*>(p),
                                  static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, i)))
               : std::string_view();
  }
  /// Column `i` of the current row as a view of its text, valid until the next step or reset.
  std::string_view text_view(int i) const {
    const auto* p = sqlite3_column_text(m_stmt, i);
    return p != nullptr
               ? std::string_view(reinterpret_cast<const char*>(p),
                                  static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, i)))
               : std::string_view();
  }
  /// Column `i` of the current row as a 64-bit integer.
  std::int64_t int64(int i) const { return sqlite3_column_int64(m_stmt, i); }

 private:
  template <typename... A>
  void bind_all(const A&... args) {
    [[maybe_unused]] int i = 0;
    (bind_arg(++i, args), ...);
  }
  template <typename T>
  void bind_arg(int i, const T& v) {
    if constexpr (std::is_same_v<T, Blob>) {
      sqlite3_bind_blob(m_stmt, i, v.bytes.data(), static_cast<int>(v.bytes.size()), SQLITE_STATIC);
    } else if constexpr (std::is_integral_v<T>) {
      sqlite3_bind_int64(m_stmt, i, static_cast<std::int64_t>(v));
    } else {
      static_assert(std::is_convertible_v<const T&, std::string_view>, "text, integer or Blob");
      bind_static(i, std::string_view(v));
    }
  }

  sqlite3_stmt* m_stmt = nullptr;
};

/// Resets a statement when leaving a scope, so a failed step never leaves it half-run.
class ResetGuard {
 public:
  explicit ResetGuard(Statement& s) : m_stmt(s) {}
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;
  ~ResetGuard() { m_stmt.reset(); }

 private:
  Statement& m_stmt;
};

}  // namespace hashgate::gw::store_detail
