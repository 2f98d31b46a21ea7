// See wal_vfs.hpp. A shim over the default VFS: every file it opens wraps the real one; files
// opened as WAL (SQLITE_OPEN_WAL) gather contiguous writes, everything else passes through.
#include "wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "hashgate/hashgate.hpp"

namespace hashgate::gw::store_detail {
namespace {

/// Largest run gathered before it is written out: 29 frames of a 4 KiB page. It must stay under
/// 128 KiB: the Unix VFS passes at most 0x1ffff bytes to one pwrite (it masks the length) and
/// reads a write of 0 bytes as "disk full", so a run of exactly 128 KiB would fail.
constexpr std::size_t k_gather_bytes = 120 * 1024;

std::atomic<std::uint64_t> g_asked{0};
std::atomic<std::uint64_t> g_written{0};

sqlite3_vfs* g_base = nullptr;  // the default VFS we wrap
sqlite3_vfs g_vfs{};            // ours

/// The file object SQLite allocates for us: our header first, then the real file's object.
struct ShimFile {
  sqlite3_file header;  // header.pMethods = &g_methods once open
  sqlite3_file* real;   // the wrapped file (just after this struct)
  bool gather;          // a WAL file: gather contiguous writes
  std::vector<char> pending;
  sqlite3_int64 pending_offset;
};

ShimFile* shim(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }
const sqlite3_io_methods* real_methods(ShimFile* s) { return s->real->pMethods; }

/// Writes the gathered run, if any, in one call. The buffer is emptied either way: after a
/// failed write SQLite fails the transaction, and the frames must not be written later.
int flush(ShimFile* s) {
  if (s->pending.empty()) return SQLITE_OK;
  const int rc = real_methods(s)->xWrite(s->real, s->pending.data(),
                                         static_cast<int>(s->pending.size()), s->pending_offset);
  if (rc == SQLITE_OK) g_written.fetch_add(1, std::memory_order_relaxed);
  s->pending.clear();
  return rc;
}

int x_close(sqlite3_file* f) {
  ShimFile* s = shim(f);
  int rc = flush(s);
  const int rc2 = real_methods(s)->xClose(s->real);
  if (rc == SQLITE_OK) rc = rc2;
  // The buffer held page images (hashed identifiers): zero its whole allocation.
  s->pending.resize(s->pending.capacity());
  if (!s->pending.empty()) hashgate::secure_zero(s->pending.data(), s->pending.size());
  s->pending.~vector();
  return rc;
}

int x_write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  ShimFile* s = shim(f);
  if (!s->gather) return real_methods(s)->xWrite(s->real, buf, amt, off);
  g_asked.fetch_add(1, std::memory_order_relaxed);
  const auto n = static_cast<std::size_t>(amt);
  const auto* bytes = static_cast<const char*>(buf);
  const bool follows = !s->pending.empty() &&
                       off == s->pending_offset + static_cast<sqlite3_int64>(s->pending.size());
  if (follows && s->pending.size() + n <= k_gather_bytes) {
    s->pending.insert(s->pending.end(), bytes, bytes + n);
    return SQLITE_OK;
  }
  if (int rc = flush(s); rc != SQLITE_OK) return rc;
  if (n > k_gather_bytes) {
    const int rc = real_methods(s)->xWrite(s->real, buf, amt, off);
    if (rc == SQLITE_OK) g_written.fetch_add(1, std::memory_order_relaxed);
    return rc;
  }
  s->pending.assign(bytes, bytes + n);
  s->pending_offset = off;
  return SQLITE_OK;
}

/// An io method that first writes out the gathered run, then calls the real file's method.
template <auto Method, class... A>
int flushed(sqlite3_file* f, A... a) {
  ShimFile* s = shim(f);
  if (int rc = flush(s); rc != SQLITE_OK) return rc;
  return (real_methods(s)->*Method)(s->real, a...);
}

/// An io method that only forwards: locks queries, geometry, and the shared memory and memory
/// mapping of the database file, which never gathers.
template <auto Method, class... A>
auto forwarded(sqlite3_file* f, A... a) {
  ShimFile* s = shim(f);
  return (real_methods(s)->*Method)(s->real, a...);
}

using M = sqlite3_io_methods;
using I64 = sqlite3_int64;

// Version 3 methods: the default Unix VFS opens database and WAL files with version 3 too.
const sqlite3_io_methods g_methods = {
    3,
    x_close,
    flushed<&M::xRead, void*, int, I64>,
    x_write,
    flushed<&M::xTruncate, I64>,
    flushed<&M::xSync, int>,
    flushed<&M::xFileSize, I64*>,
    flushed<&M::xLock, int>,
    flushed<&M::xUnlock, int>,
    forwarded<&M::xCheckReservedLock, int*>,
    flushed<&M::xFileControl, int, void*>,
    forwarded<&M::xSectorSize>,
    forwarded<&M::xDeviceCharacteristics>,
    forwarded<&M::xShmMap, int, int, int, void volatile**>,
    forwarded<&M::xShmLock, int, int, int>,
    forwarded<&M::xShmBarrier>,
    forwarded<&M::xShmUnmap, int>,
    forwarded<&M::xFetch, I64, int, void**>,
    forwarded<&M::xUnfetch, I64, void*>,
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  ShimFile* s = shim(f);
  s->header.pMethods = nullptr;
  s->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + sizeof(ShimFile));
  const int rc = g_base->xOpen(g_base, name, s->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;  // SQLite closes nothing: the real file did not open
  if (s->real->pMethods == nullptr || s->real->pMethods->iVersion < 3) {
    if (s->real->pMethods != nullptr) s->real->pMethods->xClose(s->real);
    return SQLITE_CANTOPEN;
  }
  new (&s->pending) std::vector<char>();
  s->gather = (flags & SQLITE_OPEN_WAL) != 0;
  s->pending_offset = 0;
  s->header.pMethods = &g_methods;
  return SQLITE_OK;
}

// The VFS-level calls act on names, not open files: forward them to the default VFS.
template <auto Method, class... A>
auto vfs_forwarded(sqlite3_vfs*, A... a) {
  return (g_base->*Method)(g_base, a...);
}

using V = sqlite3_vfs;

bool register_vfs() {
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr || g_base->iVersion < 2 || g_base->xCurrentTimeInt64 == nullptr)
    return false;
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_base->szOsFile;
  g_vfs.mxPathname = g_base->mxPathname;
  g_vfs.zName = "hashgate-wal";
  g_vfs.xOpen = x_open;
  g_vfs.xDelete = vfs_forwarded<&V::xDelete, const char*, int>;
  g_vfs.xAccess = vfs_forwarded<&V::xAccess, const char*, int, int*>;
  g_vfs.xFullPathname = vfs_forwarded<&V::xFullPathname, const char*, int, char*>;
  g_vfs.xDlOpen = vfs_forwarded<&V::xDlOpen, const char*>;
  g_vfs.xDlError = vfs_forwarded<&V::xDlError, int, char*>;
  g_vfs.xDlSym = vfs_forwarded<&V::xDlSym, void*, const char*>;
  g_vfs.xDlClose = vfs_forwarded<&V::xDlClose, void*>;
  g_vfs.xRandomness = vfs_forwarded<&V::xRandomness, int, char*>;
  g_vfs.xSleep = vfs_forwarded<&V::xSleep, int>;
  g_vfs.xCurrentTime = vfs_forwarded<&V::xCurrentTime, double*>;
  g_vfs.xGetLastError = vfs_forwarded<&V::xGetLastError, int, char*>;
  g_vfs.xCurrentTimeInt64 = vfs_forwarded<&V::xCurrentTimeInt64, sqlite3_int64*>;
  return sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK;
}

}  // namespace

const char* wal_vfs_name() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = register_vfs(); });
  return ok ? g_vfs.zName : nullptr;
}

WalVfsCounters wal_vfs_counters() {
  return {g_asked.load(std::memory_order_relaxed), g_written.load(std::memory_order_relaxed)};
}

}  // namespace hashgate::gw::store_detail
