// File: store_sqlite/notes_testing.h
//
// Test helpers for the storage tests that look at the database file itself (the
// checkpoints of db.h, the VFS of buffered_vfs.h): a `notes` table of 1 KiB rows
// (about one 4 KiB log frame per 3 rows), another program reading the file with
// the platform's VFS, and a copy of the file alone, without its log, as a backup
// of that file would see it. Tests only.
#ifndef CADUCE_STORE_SQLITE_NOTES_TESTING_H_
#define CADUCE_STORE_SQLITE_NOTES_TESTING_H_

#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "base/status.h"
#include "storage/database.h"
#include "store_sqlite/db.h"

namespace caduce::store_sqlite::testing {

inline constexpr char kCreateNotes[] = "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)";

// Adds `rows` rows of 1 KiB, each `letter` repeated, in `tx`.
inline Status AddNotes(storage::Tx& tx, int rows, char letter) {
  for (int i = 0; i < rows; ++i) {
    Stmt st(SqliteTx::ConnOf(tx), "INSERT INTO notes(body) VALUES (?1)");
    st.Bind(1, std::string(1024, letter));
    CADUCE_RETURN_IF_ERROR(st.Run());
  }
  return OkStatus();
}

// A connection of the platform's VFS: another program reading the file.
class PlainConnection {
 public:
  explicit PlainConnection(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &h_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      sqlite3_close_v2(h_);
      h_ = nullptr;
    }
  }
  ~PlainConnection() { sqlite3_close_v2(h_); }
  PlainConnection(const PlainConnection&) = delete;
  PlainConnection& operator=(const PlainConnection&) = delete;

  // The first column of the first row, or "error: ...".
  std::string One(const char* sql) {
    if (h_ == nullptr) return "error: cannot open";
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(h_, sql, -1, &st, nullptr) != SQLITE_OK) {
      out = std::string("error: ") + sqlite3_errmsg(h_);
    } else if (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      out = t != nullptr ? reinterpret_cast<const char*>(t) : "";
    } else {
      out = std::string("error: ") + sqlite3_errmsg(h_);
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* h_ = nullptr;
};

// Copies the database file `path` alone (no log, no shared memory) to `copy`,
// replacing what was there; returns `copy`.
inline std::string CopyOfTheFileAlone(const std::string& path, const std::string& copy) {
  std::filesystem::remove(copy);
  std::filesystem::remove(copy + "-wal");
  std::filesystem::remove(copy + "-shm");
  std::filesystem::copy_file(path, copy);
  return copy;
}

}  // namespace caduce::store_sqlite::testing

#endif  // CADUCE_STORE_SQLITE_NOTES_TESTING_H_
