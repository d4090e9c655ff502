// File: store_sqlite/log_vfs.h
//
// A SQLite VFS over the platform's own that gathers the writes to a write-ahead
// log into large ones. SQLite writes each frame of the log as two system calls
// (its 24-byte header, then the page): a 100,000-account import writes ~37,000
// frames, a mail delivery a dozen, and on a virtual machine each call costs more
// than copying its 4 KiB. Here the appends to a log wait in a buffer of the
// connection's log file (120 KiB: the most the platform's VFS writes at once) and
// go out in one write when the buffer is full, when SQLite syncs the log, reads,
// sizes or truncates it, or closes it.
//
// Only for connections with synchronous=FULL, which is what makes it safe: with
// it SQLite syncs the log at every commit before the wal-index makes the new
// frames visible to any other connection, so every frame another connection or
// process may read is on file by then; the frames a transaction spills before its
// commit are read back only by their own connection, through this file, which
// writes its buffer first. A crash loses at most frames of a transaction that had
// not committed, which SQLite's recovery ignores as it ignores a torn write.
// Every other file (the database, its shared memory) goes straight through.
//
//   sqlite3_open_v2(path, &db, flags, store_sqlite::BufferedLogVfs());
#ifndef CADUCE_STORE_SQLITE_LOG_VFS_H_
#define CADUCE_STORE_SQLITE_LOG_VFS_H_

#include <cstdint>

namespace caduce::store_sqlite {

// The VFS's name, registered (not as the default) on the first call; nullptr when
// SQLite has no default VFS to build on. Thread-safe.
const char* BufferedLogVfs();

// The log files' system calls that wrote (not their bytes) since the process
// started: what tests read to see the buffer at work.
int64_t BufferedLogWrites();

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_LOG_VFS_H_
