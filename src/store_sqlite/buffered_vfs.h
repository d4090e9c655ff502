// File: store_sqlite/buffered_vfs.h
//
// A SQLite VFS over the platform's own that gathers a log's small writes into
// large ones. SQLite writes each frame of the write-ahead log as two system calls
// (its 24-byte header, then the page): a 100,000-account import writes ~37,000
// frames, and on a virtual machine each call costs more than copying its 4 KiB.
// Here consecutive writes to a log wait in a window of that open file (120 KiB:
// the most the platform's VFS writes at once) and go out in one call when the
// window is full or a write lands elsewhere, and before the file is synced, read
// across the window, sized, truncated, sent a file control, or closed. A log read from frame to frame
// while its connection holds the log's write lock (at a commit, SQLite reads every
// frame the transaction wrote over, to write its header again: ~36,000 frames for
// that import) is read a window ahead, and the header writes gather in the window.
//
// Only for connections with synchronous=FULL, which is what makes it safe: SQLite
// syncs the log at every commit, before the wal-index makes the new frames visible
// to any other connection, so every frame another connection or process may read
// is on file by then; the frames a transaction spills before its commit are read
// back only by their own connection, through this file, which writes its window
// first; and the end of a write transaction (the log's write lock let go, seen on
// the database file's shared-memory locks, hence a log is buffered only once
// paired with its database file) drops what the log's window still holds: after a
// commit nothing, after a rollback frames that must never be written, for the next
// writer may already have committed frames at those offsets; no window read ahead
// outlives the write lock, under which no other connection writes the log.
//
// A database file's writes (a checkpoint's copy of the log) are not buffered:
// SQLite ignores what the file answers once the copy is done
// (SQLITE_FCNTL_CKPT_DONE), and a checkpoint cut short by a reader then lets later
// readers read the copied pages from the file without syncing it, so a write that
// failed in a buffer would go unnoticed and those readers would get the pages as
// they were before (a test makes the copy fail for real and checks the readers).
//
// Write-behind: every 2 MiB written to a log or a database since its last sync,
// the kernel is asked to start writing the file's dirty pages to the disk
// (sync_file_range, SYNC_FILE_RANGE_WRITE: it waits for nothing and promises
// nothing), so that the sync of a large commit or of a checkpoint's end finds
// little left to write. As PostgreSQL's wal_writer_flush_after and
// checkpoint_flush_after.
//
// PRAGMAs that would break these conditions (synchronous below FULL, exclusive
// locking) are refused on such a connection. A crash loses at most frames of a
// transaction that had not committed, which SQLite's recovery ignores as it
// ignores a torn write. Other files (a rollback journal, temporary files) go
// straight through.
//
//   sqlite3_open_v2(path, &db, flags, store_sqlite::BufferedVfs());
#ifndef CADUCE_STORE_SQLITE_BUFFERED_VFS_H_
#define CADUCE_STORE_SQLITE_BUFFERED_VFS_H_

#include <cstdint>

namespace caduce::store_sqlite {

// The VFS's name, registered (not as the default) on the first call; nullptr when
// SQLite has no default VFS to build on. Thread-safe.
const char* BufferedVfs();

// The system calls that wrote to logs, and to database files, through the VFS
// since the process started (not their bytes): what tests read to see the
// buffers at work.
int64_t BufferedLogWrites();
int64_t BufferedDatabaseWrites();
// How many times the writeback of a log or a database was started ahead of its
// sync (write-behind, every 2 MiB written).
int64_t BufferedWriteBehinds();

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_BUFFERED_VFS_H_
