// File: store_sqlite/db.h
//
// The SQLite backend's Database and Tx: one file in WAL mode, foreign keys on,
// synchronous=FULL (a commit is on disk when it returns), a busy timeout so that
// colliding writers wait instead of failing, and versioned migrations applied at
// open. Connections come from a small pool; each Tx holds one for its lifetime.
// Statements are prepared once per connection and cached (Stmt below).
//
// Checkpoints run on a background thread of their own: a commit that leaves the
// write-ahead log over `checkpoint_frames` frames wakes it, instead of copying the
// log into the database itself as SQLite's automatic checkpoint would (a mail
// delivery or an import answers without that copy; the copy uses the other core).
// A committer waits only when the log has grown past `checkpoint_wait_frames` while
// a checkpoint is already running (writers faster than the copy), so the log stays
// bounded. After a checkpoint, the log file is cut back to `journal_size_limit`
// bytes when SQLite next starts it over.
#ifndef CADUCE_STORE_SQLITE_DB_H_
#define CADUCE_STORE_SQLITE_DB_H_

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "storage/database.h"

namespace caduce::store_sqlite {

struct Options {
  std::string path;              // the database file; created when absent
  int busy_timeout_ms = 10000;   // how long a writer waits for the lock
  int max_connections = 8;
  bool synchronous_full = true;  // false only for throwaway benchmark files
  // The background checkpoints (see above). SQLite's own automatic checkpoint,
  // in the committing thread, is 1,000 frames.
  int checkpoint_frames = 1000;
  int checkpoint_wait_frames = 64000;
  int64_t journal_size_limit = 64 << 20;
  // Tests only: run by the checkpoint thread before each checkpoint.
  std::function<void()> before_checkpoint;
  // Called on the checkpoint thread when a checkpoint fails (a reader or writer in
  // the way is not a failure), once for each new error: the server logs it. What
  // was committed stays in the log, readable, until a checkpoint succeeds.
  std::function<void(const Status&)> on_checkpoint_error;
};

class Connection;

// A prepared statement bound to one connection, reset when it goes out of scope.
//   Stmt st(conn, "SELECT id FROM accounts WHERE address = ?1");
//   st.Bind(1, address);
//   while (st.Step()) id = st.Int64(0);
//   CADUCE_RETURN_IF_ERROR(st.status());
class Stmt {
 public:
  Stmt(Connection& conn, std::string_view sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int index, int64_t v);
  Stmt& Bind(int index, std::string_view v);
  // The same without a copy. REQUIRES: v's bytes stay as they are until the
  // statement's last Step (the Stmt's end clears its bindings).
  Stmt& BindStatic(int index, std::string_view v);
  Stmt& BindBlob(int index, const void* data, size_t size);
  // The same without a copy, as BindStatic.
  Stmt& BindBlobStatic(int index, const void* data, size_t size);
  Stmt& BindNull(int index);
  // Binds v, or NULL when v is empty.
  Stmt& BindOrNull(int index, std::string_view v);

  // Advances to the next row: true when a row is available; false when done or on
  // error (then status() says which).
  bool Step();
  // Runs a statement that returns no rows.
  Status Run();

  int64_t Int64(int col) const;
  std::string Text(int col) const;
  std::string_view TextView(int col) const;  // valid until the next Step
  std::string Blob(int col) const;
  bool IsNull(int col) const;

  Status status() const { return status_; }

 private:
  Connection& conn_;
  sqlite3_stmt* stmt_ = nullptr;
  Status status_;
};

// One sqlite3 handle and its statement cache.
class Connection {
 public:
  ~Connection();
  sqlite3* handle() { return db_; }
  Status Exec(std::string_view sql);
  // Maps the last sqlite3 error to a Status.
  Status LastError(std::string_view what) const;

 private:
  friend class SqliteDatabase;
  friend class Stmt;
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3_stmt* Prepare(std::string_view sql, Status* status);
  sqlite3* db_;
  // Keyed by the SQL text; looked up by string_view without building a string.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

class SqliteTx;

class SqliteDatabase final : public storage::Database {
 public:
  // Opens (creating the file and its folder if needed) and migrates the database. kUnavailable
  // when the file cannot be opened; kFailedPrecondition when it was written by a newer caduce.
  static Result<std::unique_ptr<SqliteDatabase>> Open(const Options& options);
  ~SqliteDatabase() override;

  Result<std::unique_ptr<storage::Tx>> Begin(storage::TxMode mode) override;

  // The schema version the file is at.
  Result<int> SchemaVersion();
  const Options& options() const { return options_; }

  // Returns once no checkpoint is asked for or running: what was committed before
  // the call is then in the database file itself. Checkpoints completed so far, and
  // the last error of one (OK when none failed; a busy database is not an error).
  void WaitForCheckpoints();
  int64_t checkpoints() const;
  Status last_checkpoint_error() const;

 private:
  friend class SqliteTx;
  explicit SqliteDatabase(Options options) : options_(std::move(options)) {}
  Result<std::unique_ptr<Connection>> OpenConnection();
  Result<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> conn);
  Status Migrate();

  // The write-ahead log hook of every connection: `frames` is the log's length
  // after a commit.
  static int OnCommit(void* self, sqlite3* handle, const char* schema, int frames);
  void AskCheckpoint(int frames);
  void CheckpointLoop();

  Options options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mu_)

  // The checkpoint thread, started by the first commit that needs it.
  mutable std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;       // wakes the thread
  std::condition_variable ckpt_done_cv_;  // wakes committers and WaitForCheckpoints
  bool ckpt_asked_ = false;               // GUARDED_BY(ckpt_mu_)
  bool ckpt_running_ = false;             // GUARDED_BY(ckpt_mu_)
  bool ckpt_stop_ = false;                // GUARDED_BY(ckpt_mu_)
  int64_t ckpt_rounds_ = 0;               // GUARDED_BY(ckpt_mu_)
  int ckpt_copied_ = 0;                   // GUARDED_BY(ckpt_mu_): frames the last round copied
  Status ckpt_error_;                     // GUARDED_BY(ckpt_mu_)
  std::thread ckpt_thread_;
};

// The SQLite Tx; repositories downcast the storage::Tx they are given to reach the
// connection. REQUIRES: the Tx comes from a SqliteDatabase.
class SqliteTx final : public storage::Tx {
 public:
  ~SqliteTx() override;
  Status Commit() override;
  storage::TxMode mode() const override { return mode_; }
  Status SetSavepoint() override;
  Status RollbackToSavepoint() override;
  Status ReleaseSavepoint() override;
  Connection& conn() { return *conn_; }

  static Connection& ConnOf(storage::Tx& tx) { return static_cast<SqliteTx&>(tx).conn(); }

 private:
  friend class SqliteDatabase;
  SqliteTx(SqliteDatabase& db, std::unique_ptr<Connection> conn, storage::TxMode mode)
      : db_(db), conn_(std::move(conn)), mode_(mode) {}
  SqliteDatabase& db_;
  std::unique_ptr<Connection> conn_;
  storage::TxMode mode_;
  bool done_ = false;
  bool savepoint_ = false;
};

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_DB_H_
