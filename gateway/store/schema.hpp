#pragma once
// The store's schema as a list of migrations, internal to gateway/store. A new table (or index,
// or column) is one more entry at the end of k_migrations; the schema version follows from the
// list (docs/storage.md, "Plugging in a table and a job").

#include "sqlite_handle.hpp"

#include <iterator>
#include <string>
#include <system_error>

namespace hashgate::gw::store_detail {

/// One step of the schema: the SQL that brings a file from `version - 1` to `version`.
struct Migration {
  int version;      ///< the schema version (PRAGMA user_version) after this step
  const char* sql;  ///< one or more statements, run inside the migration transaction
};

/// Every migration, oldest first; versions count up from 1 without gaps.
extern const Migration k_migrations[];
/// Number of entries in k_migrations.
extern const int k_migration_count;

/// The schema version this build writes: the last migration's.
int schema_version() noexcept;

/// Brings the database on `db` to schema_version(): reads PRAGMA user_version, refuses a file
/// written by a newer build (StoreErrc::schema_too_new), and runs every missing migration in one
/// transaction. On failure nothing changes; `why` names the step and both versions.
std::error_code migrate(Connection& db, std::string& why);

}  // namespace hashgate::gw::store_detail
