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

int x_read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  ShimFile* s = shim(f);
  if (int rc = flush(s); rc != SQLITE_OK) return rc;
  return real_methods(s)->xRead(s->real, buf, amt, off);
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

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  ShimFile* s = shim(f);
  if (int rc = flush(s); rc != SQLITE_OK) return rc;
  return real_methods(s)->xTruncate(s->real, size);
}

int x_sync(sqlite3_file* f, int flags) {
  ShimFile* s = shim(f);
  if (int rc = flush(s); rc != SQLITE_OK) return rc;
  return real_methods(s)->xSync(s->real, flags);
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  ShimFile* s = shim(f);
  if (int rc = flush(s); rc != SQLITE_OK) return rc;
  return real_methods(s)->xFileSize(s->real, size);
}

int x_lock(sqlite3_file* f, int level) {
  ShimFile* s = shim(f);
  if (int rc = flush(s); rc != SQLITE_OK) return rc;
  return real_methods(s)->xLock(s->real, level);
}

int x_unlock(sqlite3_file* f, int level) {
  ShimFile* s = shim(f);
  if (int rc = flush(s); rc != SQLITE_OK) return rc;
  return real_methods(s)->xUnlock(s->real, level);
}

int x_check_reserved_lock(sqlite3_file* f, int* out) {
  ShimFile* s = shim(f);
  return real_methods(s)->xCheckReservedLock(s->real, out);
}

int x_file_control(sqlite3_file* f, int op, void* arg) {
  ShimFile* s = shim(f);
  if (int rc = flush(s); rc != SQLITE_OK) return rc;
  return real_methods(s)->xFileControl(s->real, op, arg);
}

int x_sector_size(sqlite3_file* f) {
  ShimFile* s = shim(f);
  return real_methods(s)->xSectorSize(s->real);
}

int x_device_characteristics(sqlite3_file* f) {
  ShimFile* s = shim(f);
  return real_methods(s)->xDeviceCharacteristics(s->real);
}

// Shared memory and memory mapping belong to the database file, which never gathers: forward.
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  ShimFile* s = shim(f);
  return real_methods(s)->xShmMap(s->real, page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  ShimFile* s = shim(f);
  return real_methods(s)->xShmLock(s->real, offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  ShimFile* s = shim(f);
  real_methods(s)->xShmBarrier(s->real);
}
int x_shm_unmap(sqlite3_file* f, int delete_flag) {
  ShimFile* s = shim(f);
  return real_methods(s)->xShmUnmap(s->real, delete_flag);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** out) {
  ShimFile* s = shim(f);
  return real_methods(s)->xFetch(s->real, off, amt, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  ShimFile* s = shim(f);
  return real_methods(s)->xUnfetch(s->real, off, p);
}

// Version 3 methods: the default Unix VFS opens database and WAL files with version 3 too.
const sqlite3_io_methods g_methods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
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
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_base->xDlSym(g_base, h, sym);
}
void x_dl_close(sqlite3_vfs*, void* h) { g_base->xDlClose(g_base, h); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return g_base->xSleep(g_base, us); }
int x_current_time(sqlite3_vfs*, double* out) { return g_base->xCurrentTime(g_base, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError(g_base, n, out);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}

bool register_vfs() {
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr || g_base->iVersion < 2 || g_base->xCurrentTimeInt64 == nullptr)
    return false;
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_base->szOsFile;
  g_vfs.mxPathname = g_base->mxPathname;
  g_vfs.zName = "hashgate-wal";
  g_vfs.xOpen = x_open;
  g_vfs.xDelete = x_delete;
  g_vfs.xAccess = x_access;
  g_vfs.xFullPathname = x_full_pathname;
  g_vfs.xDlOpen = x_dl_open;
  g_vfs.xDlError = x_dl_error;
  g_vfs.xDlSym = x_dl_sym;
  g_vfs.xDlClose = x_dl_close;
  g_vfs.xRandomness = x_randomness;
  g_vfs.xSleep = x_sleep;
  g_vfs.xCurrentTime = x_current_time;
  g_vfs.xGetLastError = x_get_last_error;
  g_vfs.xCurrentTimeInt64 = x_current_time_int64;
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
