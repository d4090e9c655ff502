// SQLite connections, transactions and migrations.
#include "store_sqlite/db.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "store_sqlite/buffered_vfs.h"
#include "store_sqlite/library.h"
#include "store_sqlite/migrations.h"

namespace caduce::store_sqlite {
namespace {

Status MapError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(std::move(msg));
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return AlreadyExistsError(std::move(msg));
      }
      return FailedPreconditionError(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(std::move(msg));
    case SQLITE_FULL:
      return ResourceExhaustedError(std::move(msg));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
      return UnavailableError(std::move(msg));
    default:
      return InternalError(std::move(msg));
  }
}

}  // namespace

// ---- Stmt -------------------------------------------------------------------------

Stmt::Stmt(Connection& conn, std::string_view sql) : conn_(conn) {
  stmt_ = conn_.Prepare(sql, &status_);
}

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Stmt& Stmt::Bind(int index, int64_t v) {
  if (stmt_ && status_.ok()) sqlite3_bind_int64(stmt_, index, v);
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view v) {
  if (stmt_ && status_.ok()) {
    sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  return *this;
}

Stmt& Stmt::BindStatic(int index, std::string_view v) {
  if (stmt_ && status_.ok()) {
    sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  return *this;
}

Stmt& Stmt::BindBlob(int index, const void* data, size_t size) {
  if (stmt_ && status_.ok()) {
    sqlite3_bind_blob(stmt_, index, data, static_cast<int>(size), SQLITE_TRANSIENT);
  }
  return *this;
}

Stmt& Stmt::BindBlobStatic(int index, const void* data, size_t size) {
  if (stmt_ && status_.ok()) {
    sqlite3_bind_blob(stmt_, index, data, static_cast<int>(size), SQLITE_STATIC);
  }
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  if (stmt_ && status_.ok()) sqlite3_bind_null(stmt_, index);
  return *this;
}

Stmt& Stmt::BindOrNull(int index, std::string_view v) {
  return v.empty() ? BindNull(index) : Bind(index, v);
}

bool Stmt::Step() {
  if (!stmt_ || !status_.ok()) return false;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status_ = MapError(conn_.handle(), rc, "sqlite step");
  return false;
}

Status Stmt::Run() {
  while (Step()) {
  }
  return status_;
}

int64_t Stmt::Int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Stmt::Text(int col) const { return std::string(TextView(col)); }

std::string_view Stmt::TextView(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(p),
                          static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  return std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

bool Stmt::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

// ---- Connection -------------------------------------------------------------------

Connection::~Connection() {
  for (auto& [sql, st] : cache_) sqlite3_finalize(st);
  sqlite3_close_v2(db_);
}

sqlite3_stmt* Connection::Prepare(std::string_view sql, Status* status) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return it->second;
  std::string key(sql);
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                              SQLITE_PREPARE_PERSISTENT, &st, nullptr);
  if (rc != SQLITE_OK) {
    *status = MapError(db_, rc, "sqlite prepare");
    return nullptr;
  }
  cache_.emplace(std::move(key), st);
  return st;
}

Status Connection::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status st = MapError(nullptr, rc, "sqlite exec");
    return Status(st.code(), "sqlite exec: " + msg);
  }
  return OkStatus();
}

Status Connection::LastError(std::string_view what) const {
  return MapError(db_, sqlite3_extended_errcode(db_), what);
}

// ---- SqliteDatabase ---------------------------------------------------------------

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const Options& options) {
  // A new deployment's var/ does not exist yet: the file's folder is created too.
  std::filesystem::path path(options.path);
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(options));
  CADUCE_RETURN_IF_ERROR(db->Migrate());
  return db;
}

SqliteDatabase::~SqliteDatabase() {
  {
    std::lock_guard<std::mutex> lock(ckpt_mu_);
    ckpt_stop_ = true;
  }
  ckpt_cv_.notify_all();
  // A checkpoint under way finishes; the last connection's close checkpoints what
  // remains, as SQLite does for every database.
  if (ckpt_thread_.joinable()) ckpt_thread_.join();
}

int SqliteDatabase::OnCommit(void* self, sqlite3*, const char*, int frames) {
  // Every commit, small ones too: the first commits of a log started over are
  // how AskCheckpoint sees that it started over.
  static_cast<SqliteDatabase*>(self)->AskCheckpoint(frames);
  return SQLITE_OK;
}

void SqliteDatabase::AskCheckpoint(int frames) {
  std::unique_lock<std::mutex> lock(ckpt_mu_);
  if (ckpt_stop_) return;
  // The log keeps its length after a checkpoint until a writer starts it over: a
  // round is asked for once `checkpoint_frames` frames came after the last one's.
  // A log shorter than what the last round copied has started over: every commit
  // comes here, so a log started over is seen at its first commit, unless that
  // commit alone is longer than the count; the next round then comes up to that
  // many frames later than it should, but it comes.
  if (frames < ckpt_copied_) ckpt_copied_ = 0;  // the log started over
  if (frames - ckpt_copied_ < options_.checkpoint_frames) return;
  ckpt_asked_ = true;
  if (!ckpt_thread_.joinable()) ckpt_thread_ = std::thread([this] { CheckpointLoop(); });
  ckpt_cv_.notify_one();
  // Writers outrunning the copy: this one waits for the running checkpoint (which
  // cannot take frames committed after it began), then lets the next one start.
  if (frames >= options_.checkpoint_wait_frames && ckpt_running_) {
    int64_t round = ckpt_rounds_;
    ckpt_done_cv_.wait(lock, [&] { return ckpt_rounds_ != round || ckpt_stop_; });
  }
}

void SqliteDatabase::CheckpointLoop() {
  std::unique_ptr<Connection> conn;
  Status reported;  // the last error given to on_checkpoint_error; OK after a success
  std::unique_lock<std::mutex> lock(ckpt_mu_);
  for (;;) {
    ckpt_cv_.wait(lock, [&] { return ckpt_asked_ || ckpt_stop_; });
    if (ckpt_stop_) break;
    ckpt_asked_ = false;
    ckpt_running_ = true;
    lock.unlock();
    Status st;
    int copied = 0;
    if (options_.before_checkpoint) options_.before_checkpoint();
    if (conn == nullptr) {
      Result<std::unique_ptr<Connection>> opened = OpenConnection();
      if (opened.ok()) conn = std::move(*opened);
      else st = opened.status();
    }
    if (conn != nullptr) {
      // PASSIVE: copies what no reader still needs, never waits for a reader or a
      // writer, never blocks one.
      int log = 0;
      int rc = sqlite3_wal_checkpoint_v2(conn->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                         &log, &copied);
      if (rc != SQLITE_OK && (rc & 0xFF) != SQLITE_BUSY) st = conn->LastError("checkpoint");
    }
    if (!st.ok() && !(st == reported) && options_.on_checkpoint_error) {
      options_.on_checkpoint_error(st);
    }
    reported = st;
    lock.lock();
    ckpt_copied_ = std::max(copied, 0);
    ckpt_running_ = false;
    ++ckpt_rounds_;
    if (!st.ok()) ckpt_error_ = st;
    ckpt_done_cv_.notify_all();
  }
  ckpt_running_ = false;
  ckpt_done_cv_.notify_all();
  lock.unlock();
  conn.reset();
}

void SqliteDatabase::WaitForCheckpoints() {
  std::unique_lock<std::mutex> lock(ckpt_mu_);
  ckpt_done_cv_.wait(lock, [&] { return (!ckpt_asked_ && !ckpt_running_) || ckpt_stop_; });
}

int64_t SqliteDatabase::checkpoints() const {
  std::lock_guard<std::mutex> lock(ckpt_mu_);
  return ckpt_rounds_;
}

Status SqliteDatabase::last_checkpoint_error() const {
  std::lock_guard<std::mutex> lock(ckpt_mu_);
  return ckpt_error_;
}

Result<std::unique_ptr<Connection>> SqliteDatabase::OpenConnection() {
  ConfigureSqliteLibrary();
  sqlite3* handle = nullptr;
  // With synchronous=FULL, the writes to the log may wait in a buffer
  // (buffered_vfs.h).
  int rc = sqlite3_open_v2(options_.path.c_str(), &handle,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           options_.synchronous_full ? BufferedVfs() : nullptr);
  if (rc != SQLITE_OK) {
    Status st = MapError(handle, rc, fmt::format("cannot open database {}", options_.path));
    sqlite3_close_v2(handle);
    return UnavailableError(st.message());
  }
  std::unique_ptr<Connection> conn(new Connection(handle));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, options_.busy_timeout_ms);
  // The first pragma is the first read of the file: a file that is not a database,
  // or whose schema is damaged, fails here, and the error must name the file.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON",
        options_.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF",
        "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-65536"}) {
    Status st = conn->Exec(pragma);
    if (!st.ok()) return st.WithContext(fmt::format("open database {}", options_.path));
  }
  Status st = conn->Exec(fmt::format("PRAGMA journal_size_limit={}", options_.journal_size_limit));
  if (!st.ok()) return st.WithContext(fmt::format("open database {}", options_.path));
  // Replaces SQLite's automatic checkpoint (see db.h).
  sqlite3_wal_hook(handle, &SqliteDatabase::OnCommit, this);
  return conn;
}

Result<std::unique_ptr<Connection>> SqliteDatabase::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
  }
  return OpenConnection();
}

void SqliteDatabase::Release(std::unique_ptr<Connection> conn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<int>(idle_.size()) < options_.max_connections) idle_.push_back(std::move(conn));
}

Result<std::unique_ptr<storage::Tx>> SqliteDatabase::Begin(storage::TxMode mode) {
  CADUCE_TRY(auto conn, Acquire());
  // BEGIN, COMMIT and ROLLBACK run as cached prepared statements, like the
  // savepoints below: a request makes several short transactions, and parsing
  // them each time showed in the profile of GET /api/me.
  Status st = Stmt(*conn, mode == storage::TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN").Run();
  if (!st.ok()) return st.WithContext("begin transaction");
  return std::unique_ptr<storage::Tx>(new SqliteTx(*this, std::move(conn), mode));
}

Result<int> SqliteDatabase::SchemaVersion() {
  CADUCE_TRY(auto tx, Begin(storage::TxMode::kRead));
  Stmt st(SqliteTx::ConnOf(*tx), "SELECT coalesce(max(version), 0) FROM schema_migrations");
  int v = 0;
  if (st.Step()) v = static_cast<int>(st.Int64(0));
  CADUCE_RETURN_IF_ERROR(st.status());
  return v;
}

Status SqliteDatabase::Migrate() {
  CADUCE_TRY(auto conn, OpenConnection());
  CADUCE_RETURN_IF_ERROR(conn->Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
  int current = 0;
  {
    Stmt st(*conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (st.Step()) current = static_cast<int>(st.Int64(0));
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  const auto& all = Migrations();
  int newest = all.empty() ? 0 : all.back().version;
  if (current > newest) {
    return FailedPreconditionError(fmt::format(
        "database {} is at schema version {}, newer than this caduce ({}): upgrade caduce",
        options_.path, current, newest));
  }
  for (const Migration& m : all) {
    if (m.version <= current) continue;
    CADUCE_RETURN_IF_ERROR(conn->Exec("BEGIN IMMEDIATE"));
    Status st = conn->Exec(m.sql);
    if (st.ok()) {
      Stmt ins(*conn, "INSERT INTO schema_migrations(version, name, applied_at) "
                      "VALUES (?1, ?2, strftime('%s','now'))");
      ins.Bind(1, m.version).Bind(2, m.name);
      st = ins.Run();
    }
    if (st.ok()) st = conn->Exec("COMMIT");
    if (!st.ok()) {
      (void)conn->Exec("ROLLBACK");
      return st.WithContext(fmt::format("migration {:04d}_{}", m.version, m.name));
    }
  }
  Release(std::move(conn));
  return OkStatus();
}

// ---- SqliteTx ---------------------------------------------------------------------

SqliteTx::~SqliteTx() {
  if (!done_ && conn_) {
    (void)Stmt(*conn_, "ROLLBACK").Run();
  }
  if (conn_) db_.Release(std::move(conn_));
}

// Savepoints run as cached prepared statements: an import sets one per row.
Status SqliteTx::SetSavepoint() {
  if (savepoint_) CADUCE_RETURN_IF_ERROR(Stmt(*conn_, "RELEASE caduce_sp").Run());
  savepoint_ = true;
  return Stmt(*conn_, "SAVEPOINT caduce_sp").Run();
}

Status SqliteTx::RollbackToSavepoint() {
  if (!savepoint_) return FailedPreconditionError("no savepoint");
  return Stmt(*conn_, "ROLLBACK TO caduce_sp").Run();
}

Status SqliteTx::ReleaseSavepoint() {
  if (!savepoint_) return OkStatus();
  savepoint_ = false;
  return Stmt(*conn_, "RELEASE caduce_sp").Run();
}

Status SqliteTx::Commit() {
  if (done_) return FailedPreconditionError("transaction already finished");
  done_ = true;
  Status st = Stmt(*conn_, "COMMIT").Run();
  if (!st.ok()) {
    (void)Stmt(*conn_, "ROLLBACK").Run();
    return st.WithContext("commit");
  }
  return OkStatus();
}

}  // namespace caduce::store_sqlite
