// The VFS that gathers small writes to a log (see buffered_vfs.h).
#include "store_sqlite/buffered_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "store_sqlite/library.h"

namespace caduce::store_sqlite {
namespace {

constexpr char kName[] = "caduce-buffered";
// The unix VFS writes at most 128 KiB - 1 bytes a call (os_unix.c, seekAndWriteFd):
// 30 frames of 4 KiB pages a write.
constexpr size_t kBuffer = 120 * 1024;

// Write-behind: once this many bytes went to a log or a database since its last
// sync, the kernel is told to start writing them to the disk (as PostgreSQL's
// *_flush_after settings do), so that the sync at a large commit or at the end
// of a checkpoint waits for little rather than for everything.
constexpr sqlite3_int64 kWriteBehind = 2 * 1024 * 1024;

sqlite3_vfs* g_root = nullptr;  // the platform's VFS, set once before registering
std::atomic<int64_t> g_log_writes{0};
std::atomic<int64_t> g_database_writes{0};
std::atomic<int64_t> g_write_behinds{0};

// Our part of an open file; the platform's file follows it in the same block.
// Only a log's writes wait in its window; a database's go straight through (see
// Write), with its write-behind.
struct BufferedFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool log;       // a write-ahead log
  bool database;  // a main database file
  const char* name;  // as SQLite gave it (a database's: the key to its log)
  // A database's log and a log's database, of the same connection, once both are
  // open; only that connection's thread uses them.
  BufferedFile* peer;
  // A log: its connection holds the log's write lock (no other connection writes
  // the log meanwhile), as the database's shared-memory locks say.
  bool writing;
  // A log's window: the bytes [off, off + len) of the file as they are or are to
  // be, not written yet when dirty (appends, headers written again), or read ahead
  // (the log read from start to end while its connection writes it).
  char* buf;  // kBuffer bytes, allocated when first needed
  sqlite3_int64 off;
  size_t len;
  bool dirty;
  sqlite3_int64 read_end;  // where the last read ended: the next read follows?
  // Write-behind: a descriptor of the same file, opened read-only (the platform's
  // file keeps its own private), or -1; the bytes written since the writeback
  // was last started or the file synced.
  int behind_fd;
  sqlite3_int64 unstarted;
};

constexpr size_t kHeader = (sizeof(BufferedFile) + 15) & ~size_t{15};

// The open database files by the name pointer SQLite gave them: a log's name
// leads to its database's (sqlite3_filename_database), whose file it pairs with.
std::mutex g_files_mu;
std::unordered_map<const char*, BufferedFile*>& Databases() {
  static auto* files = new std::unordered_map<const char*, BufferedFile*>();
  return *files;
}

BufferedFile* Of(sqlite3_file* f) { return reinterpret_cast<BufferedFile*>(f); }
const sqlite3_io_methods* Real(BufferedFile* f) { return f->real->pMethods; }

int WriteReal(BufferedFile* f, const void* data, int amt, sqlite3_int64 off) {
  if (f->log || f->database) {  // the counters the tests read; not temporary files
    (f->log ? g_log_writes : g_database_writes).fetch_add(1, std::memory_order_relaxed);
  }
  int rc = Real(f)->xWrite(f->real, data, amt, off);
  if (rc == SQLITE_OK && f->behind_fd >= 0 && (f->unstarted += amt) >= kWriteBehind) {
    // Starts the writeback of the file's dirty pages and returns at once: no
    // promise of durability (the sync still gives that), hence no error to report.
    (void)sync_file_range(f->behind_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    f->unstarted = 0;
    g_write_behinds.fetch_add(1, std::memory_order_relaxed);
  }
  return rc;
}

// Writes the window if it is dirty, then lets it go. Kept on failure: the error
// goes to the method that needed the bytes written.
int Flush(BufferedFile* f) {
  if (f->len == 0) return SQLITE_OK;
  if (f->dirty) {
    int rc = WriteReal(f, f->buf, static_cast<int>(f->len), f->off);
    if (rc != SQLITE_OK) return rc;
  }
  f->len = 0;
  f->dirty = false;
  return SQLITE_OK;
}

// Lets the window go unwritten.
void Drop(BufferedFile* f) {
  f->len = 0;
  f->dirty = false;
}

int Close(sqlite3_file* file) {
  BufferedFile* f = Of(file);
  if (f->database && f->name != nullptr) {
    std::lock_guard<std::mutex> lock(g_files_mu);
    auto it = Databases().find(f->name);
    if (it != Databases().end() && it->second == f) Databases().erase(it);
  }
  if (f->peer != nullptr) f->peer->peer = nullptr;
  int flushed = Flush(f);
  int rc = Real(f)->xClose(f->real);
  delete[] f->buf;
  f->buf = nullptr;
  if (f->behind_fd >= 0) ::close(f->behind_fd);
  f->behind_fd = -1;
  return flushed != SQLITE_OK ? flushed : rc;
}

int Read(sqlite3_file* file, void* data, int amt, sqlite3_int64 off) {
  BufferedFile* f = Of(file);
  const auto size = static_cast<sqlite3_int64>(amt);
  const bool follows = off == f->read_end;
  f->read_end = off + size;
  if (f->len > 0) {
    const sqlite3_int64 end = f->off + static_cast<sqlite3_int64>(f->len);
    if (off >= f->off && off + size <= end) {
      std::memcpy(data, f->buf + (off - f->off), static_cast<size_t>(amt));
      return SQLITE_OK;
    }
    if (off < end && off + size > f->off) {
      if (int rc = Flush(f); rc != SQLITE_OK) return rc;
    }
  }
  // A log read from one frame to the next while its connection writes it (at a
  // commit, SQLite reads every frame the transaction wrote over once spilled, to
  // write their headers again): read a window ahead, where those writes gather
  // too. No other connection writes the log meanwhile, so the window stays true.
  if (f->log && f->writing && follows && static_cast<size_t>(amt) < kBuffer) {
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
    sqlite3_int64 file_size = 0;
    if (int rc = Real(f)->xFileSize(f->real, &file_size); rc != SQLITE_OK) return rc;
    const sqlite3_int64 n = std::min<sqlite3_int64>(kBuffer, file_size - off);
    if (n >= size) {
      if (f->buf == nullptr) f->buf = new char[kBuffer];
      if (int rc = Real(f)->xRead(f->real, f->buf, static_cast<int>(n), off); rc != SQLITE_OK) {
        return rc;
      }
      f->off = off;
      f->len = static_cast<size_t>(n);
      f->dirty = false;
      std::memcpy(data, f->buf, static_cast<size_t>(amt));
      return SQLITE_OK;
    }
  }
  return Real(f)->xRead(f->real, data, amt, off);
}

int Write(sqlite3_file* file, const void* data, int amt, sqlite3_int64 off) {
  BufferedFile* f = Of(file);
  // A log is buffered only while paired with its database, whose locks say when
  // its write transaction ends (ShmLock). A database's writes (a checkpoint's copy)
  // go straight through: SQLite ignores what the file answers once the copy is
  // done (SQLITE_FCNTL_CKPT_DONE), and a checkpoint cut short by a reader then
  // tells later readers to read the copied pages from the file, without a sync:
  // a copy that failed in a buffer would go unnoticed, and those readers would get
  // the pages as they were (ACheckpointCutShortByAReaderThatCannotWriteLosesNothing).
  if (!(f->log && f->peer != nullptr)) return WriteReal(f, data, amt, off);
  const auto size = static_cast<sqlite3_int64>(amt);
  if (f->len > 0) {
    const sqlite3_int64 end = f->off + static_cast<sqlite3_int64>(f->len);
    if (off >= f->off && off <= end && off + size <= f->off + static_cast<sqlite3_int64>(kBuffer)) {
      // What follows the buffer (the next frame), or a part of it written again
      // (a frame of this transaction): in the buffer.
      std::memcpy(f->buf + (off - f->off), data, static_cast<size_t>(amt));
      f->len = std::max(f->len, static_cast<size_t>(off + size - f->off));
      f->dirty = true;
      return SQLITE_OK;
    }
    // Before the buffer (an older frame spilled again): written alone, and the
    // appends go on gathering. Over it, or past it: the buffer first.
    if (off + size <= f->off) return WriteReal(f, data, amt, off);
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  }
  if (static_cast<size_t>(amt) >= kBuffer) return WriteReal(f, data, amt, off);
  if (f->buf == nullptr) f->buf = new char[kBuffer];
  std::memcpy(f->buf, data, static_cast<size_t>(amt));
  f->off = off;
  f->len = static_cast<size_t>(amt);
  f->dirty = true;
  return SQLITE_OK;
}

// Writes the window, then calls the platform's method (call(methods, file)).
template <typename Call>
int AfterFlush(sqlite3_file* file, Call call) {
  BufferedFile* f = Of(file);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return call(Real(f), f->real);
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  return AfterFlush(file, [&](auto* m, sqlite3_file* r) { return m->xTruncate(r, size); });
}
int Sync(sqlite3_file* file, int flags) {
  Of(file)->unstarted = 0;
  return AfterFlush(file, [&](auto* m, sqlite3_file* r) { return m->xSync(r, flags); });
}
int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  return AfterFlush(file, [&](auto* m, sqlite3_file* r) { return m->xFileSize(r, size); });
}

// Locks, the shared memory and its locks are the database file's (a log gets none
// of these calls in WAL mode), and a database file holds no window: straight
// through.
int Lock(sqlite3_file* file, int level) { return Real(Of(file))->xLock(Of(file)->real, level); }
int Unlock(sqlite3_file* file, int level) {
  return Real(Of(file))->xUnlock(Of(file)->real, level);
}
int CheckReservedLock(sqlite3_file* file, int* out) {
  return Real(Of(file))->xCheckReservedLock(Of(file)->real, out);
}

// True when a PRAGMA would take a connection out of what the buffers rely on:
// synchronous below FULL (commits no longer sync the log), or the exclusive
// locking mode (no shared-memory locks, hence no end of a write transaction seen).
bool BreaksTheBuffers(const char* name, const char* value) {
  if (name == nullptr || value == nullptr) return false;  // a query
  if (sqlite3_stricmp(name, "synchronous") == 0) {
    return !(sqlite3_stricmp(value, "full") == 0 || sqlite3_stricmp(value, "2") == 0 ||
             sqlite3_stricmp(value, "extra") == 0 || sqlite3_stricmp(value, "3") == 0);
  }
  return sqlite3_stricmp(name, "locking_mode") == 0 && sqlite3_stricmp(value, "normal") != 0;
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  BufferedFile* f = Of(file);
  if (op == SQLITE_FCNTL_PRAGMA && f->database) {
    char** a = static_cast<char**>(arg);  // {error message, name, value}
    if (BreaksTheBuffers(a[1], a[2])) {
      a[0] = sqlite3_mprintf("PRAGMA %s=%s is refused on this connection: its writes are "
                             "buffered on the condition of synchronous=FULL and shared locks",
                             a[1], a[2]);
      return SQLITE_ERROR;
    }
  }
  // Whatever the control does to the file (a size hint, a chunk size), it sees
  // every byte written so far.
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return Real(f)->xFileControl(f->real, op, arg);
}

int SectorSize(sqlite3_file* file) { return Real(Of(file))->xSectorSize(Of(file)->real); }
int DeviceCharacteristics(sqlite3_file* file) {
  return Real(Of(file))->xDeviceCharacteristics(Of(file)->real);
}

int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return Real(Of(file))->xShmMap(Of(file)->real, region, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  BufferedFile* f = Of(file);
  // The log's write lock (offset 0, WAL_WRITE_LOCK in wal.c) let go: the write
  // transaction is over. A commit synced the log, so whatever its buffer still
  // holds is frames of a transaction rolled back: dropped, never written, for
  // the next writer may already be writing committed frames at those offsets.
  const bool write_lock = offset == 0 && f->peer != nullptr;
  if (write_lock && (flags & SQLITE_SHM_UNLOCK) != 0) {
    f->peer->writing = false;
    Drop(f->peer);
  }
  int rc = Real(f)->xShmLock(f->real, offset, n, flags);
  if (rc == SQLITE_OK && write_lock && (flags & SQLITE_SHM_LOCK) != 0 &&
      (flags & SQLITE_SHM_EXCLUSIVE) != 0) {
    f->peer->writing = true;
  }
  return rc;
}
void ShmBarrier(sqlite3_file* file) { Real(Of(file))->xShmBarrier(Of(file)->real); }
int ShmUnmap(sqlite3_file* file, int remove) {
  return Real(Of(file))->xShmUnmap(Of(file)->real, remove);
}
int Fetch(sqlite3_file* file, sqlite3_int64 off, int amt, void** out) {
  return Real(Of(file))->xFetch(Of(file)->real, off, amt, out);  // a database's: no window
}
int Unfetch(sqlite3_file* file, sqlite3_int64 off, void* p) {
  return Real(Of(file))->xUnfetch(Of(file)->real, off, p);
}

// One table per version, so that SQLite calls no method the platform's file lacks.
constexpr sqlite3_io_methods MethodsOf(int version) {
  return sqlite3_io_methods{version,     Close,      Read,         Write,      Truncate,
                            Sync,        FileSize,   Lock,         Unlock,     CheckReservedLock,
                            FileControl, SectorSize, DeviceCharacteristics,
                            version >= 2 ? ShmMap : nullptr,
                            version >= 2 ? ShmLock : nullptr,
                            version >= 2 ? ShmBarrier : nullptr,
                            version >= 2 ? ShmUnmap : nullptr,
                            version >= 3 ? Fetch : nullptr,
                            version >= 3 ? Unfetch : nullptr};
}
constexpr sqlite3_io_methods kMethods[] = {MethodsOf(1), MethodsOf(2), MethodsOf(3)};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  BufferedFile* f = Of(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kHeader);
  f->real->pMethods = nullptr;
  int rc = g_root->xOpen(g_root, name, f->real, flags, out_flags);
  if (f->real->pMethods == nullptr) return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;
  if (rc != SQLITE_OK) {
    f->real->pMethods->xClose(f->real);
    return rc;
  }
  f->log = (flags & SQLITE_OPEN_WAL) != 0;
  f->database = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  f->name = name;
  f->peer = nullptr;
  f->writing = false;
  f->buf = nullptr;
  f->off = 0;
  f->len = 0;
  f->dirty = false;
  f->read_end = -1;
  f->behind_fd = -1;
  f->unstarted = 0;
  if (name != nullptr && (f->database || f->log)) {
    f->behind_fd = ::open(name, O_RDONLY | O_CLOEXEC);  // -1: no write-behind
    std::lock_guard<std::mutex> lock(g_files_mu);
    if (f->database) {
      Databases()[name] = f;
    } else if (auto it = Databases().find(sqlite3_filename_database(name));
               it != Databases().end()) {
      f->peer = it->second;
      it->second->peer = f;
    }
  }
  const int version = std::clamp(f->real->pMethods->iVersion, 1, 3);
  f->base.pMethods = &kMethods[version - 1];
  return SQLITE_OK;
}

// The rest of the VFS is the platform's, called with its own object.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_root->xDelete(g_root, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_root->xAccess(g_root, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_root->xFullPathname(g_root, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return g_root->xDlOpen(g_root, name); }
void DlError(sqlite3_vfs*, int n, char* out) { g_root->xDlError(g_root, n, out); }
void (*DlSym(sqlite3_vfs*, void* lib, const char* sym))(void) {
  return g_root->xDlSym(g_root, lib, sym);
}
void DlClose(sqlite3_vfs*, void* lib) { g_root->xDlClose(g_root, lib); }
int Randomness(sqlite3_vfs*, int n, char* out) { return g_root->xRandomness(g_root, n, out); }
int Sleep(sqlite3_vfs*, int micros) { return g_root->xSleep(g_root, micros); }
int CurrentTime(sqlite3_vfs*, double* out) { return g_root->xCurrentTime(g_root, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return g_root->xGetLastError ? g_root->xGetLastError(g_root, n, out) : 0;
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_root->xCurrentTimeInt64(g_root, out);
}

sqlite3_vfs g_vfs;

}  // namespace

const char* BufferedVfs() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ConfigureSqliteLibrary();  // before sqlite3_vfs_find initialises the library
    g_root = sqlite3_vfs_find(nullptr);
    if (g_root == nullptr) return;
    // Version 2 adds xCurrentTimeInt64 only; the system-call hooks of version 3
    // (tests of SQLite itself) are not offered.
    const bool v2 = g_root->iVersion >= 2 && g_root->xCurrentTimeInt64 != nullptr;
    g_vfs = sqlite3_vfs{.iVersion = v2 ? 2 : 1,
                        .szOsFile = static_cast<int>(kHeader) + g_root->szOsFile,
                        .mxPathname = g_root->mxPathname,
                        .pNext = nullptr,
                        .zName = kName,
                        .pAppData = nullptr,
                        .xOpen = Open,
                        .xDelete = Delete,
                        .xAccess = Access,
                        .xFullPathname = FullPathname,
                        .xDlOpen = DlOpen,
                        .xDlError = DlError,
                        .xDlSym = DlSym,
                        .xDlClose = DlClose,
                        .xRandomness = Randomness,
                        .xSleep = Sleep,
                        .xCurrentTime = CurrentTime,
                        .xGetLastError = GetLastError,
                        .xCurrentTimeInt64 = v2 ? CurrentTimeInt64 : nullptr,
                        .xSetSystemCall = nullptr,
                        .xGetSystemCall = nullptr,
                        .xNextSystemCall = nullptr};
    ok = sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK;
  });
  return ok ? kName : nullptr;
}

int64_t BufferedLogWrites() { return g_log_writes.load(std::memory_order_relaxed); }
int64_t BufferedDatabaseWrites() { return g_database_writes.load(std::memory_order_relaxed); }
int64_t BufferedWriteBehinds() { return g_write_behinds.load(std::memory_order_relaxed); }

}  // namespace caduce::store_sqlite
