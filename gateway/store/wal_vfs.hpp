#pragma once
// "hashgate-wal": the default SQLite VFS, except that the writes SQLite makes to a WAL file are
// gathered while they are contiguous and reach the file in one write at the next sync (or at
// any other operation on that file). A WAL commit is a run of frames, each written as a 24-byte
// header and a page (two pwrite calls per page), followed by one fsync: gathered, it is one
// pwrite and one fsync. Internal to gateway/store (docs/storage.md, "WAL writes").
//
// Only for connections whose every commit syncs the WAL (synchronous=FULL or EXTRA): with
// NORMAL, committed frames could stay in the buffer while other connections already read the
// WAL index that names them.

#include <cstdint>

namespace hashgate::gw::store_detail {

/// Registers the VFS on first use (thread-safe) and returns its name, or nullptr when SQLite
/// refused to register it (the caller then uses the default VFS).
const char* wal_vfs_name();

/// Process-wide counters, for tests: writes SQLite asked for on WAL files through this VFS, and
/// writes that reached the file.
struct WalVfsCounters {
  std::uint64_t asked = 0;
  std::uint64_t written = 0;
};
WalVfsCounters wal_vfs_counters();

}  // namespace hashgate::gw::store_detail
