// File: store_sqlite/library.h
//
// How caduce sets up the SQLite library itself, once per process, before the
// first connection is opened (sqlite3_config() is refused after
// sqlite3_initialize(), which any open or VFS call makes).
#ifndef CADUCE_STORE_SQLITE_LIBRARY_H_
#define CADUCE_STORE_SQLITE_LIBRARY_H_

namespace caduce::store_sqlite {

// Turns off SQLite's global allocation statistics (SQLITE_CONFIG_MEMSTATUS),
// which take a process-wide mutex on every allocation and release: every
// connection's statements allocate as they run, so two threads reading or
// writing at once (an import's planner and writer, the server's workers) queue
// on that one lock for figures caduce never reads. Safe to call from any thread
// and any number of times; the first call does the work, before any connection.
// Returns false when the library was already initialised by someone else (the
// statistics then stay on: slower, not wrong).
bool ConfigureSqliteLibrary();

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_LIBRARY_H_
