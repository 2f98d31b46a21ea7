// The public part of the store contract (store.hpp): error categories and Store::open. The
// implementation is SqliteStore (sqlite_store.hpp); docs/storage.md describes it.

#include "store.hpp"

#include "sqlite_store.hpp"

#include <sqlite3.h>

namespace hashgate::gw {

namespace {

class StoreCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "hashgate.store"; }
  std::string message(int ev) const override {
    switch (static_cast<StoreErrc>(ev)) {
      case StoreErrc::closed:
        return "store is closed";
      case StoreErrc::open_failed:
        return "store could not be opened";
      case StoreErrc::schema_too_new:
        return "database schema is newer than this build";
      case StoreErrc::io:
        return "store transaction failed and was rolled back";
    }
    return "unknown store error";
  }
};

class SqliteCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int ev) const override { return sqlite3_errstr(ev); }
};

}  // namespace

const std::error_category& store_category() noexcept {
  static const StoreCategory k_category;
  return k_category;
}

const std::error_category& sqlite_category() noexcept {
  static const SqliteCategory k_category;
  return k_category;
}

std::error_code make_error_code(StoreErrc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

std::unique_ptr<Store> Store::open(const StoreConfig& cfg, std::error_code& err, std::string& why) {
  auto store = std::make_unique<store_detail::SqliteStore>(cfg);
  err = store->start(why);
  if (err) {
    store->close();
    return nullptr;
  }
  return store;
}

}  // namespace hashgate::gw
