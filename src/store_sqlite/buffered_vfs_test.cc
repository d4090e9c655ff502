// Tests of the VFS that gathers the write-ahead log's writes (buffered_vfs.h): the
// database reads and writes as with the platform's VFS (what another program
// sees after a commit, a transaction larger than the page cache that reads its
// own spilled pages back, a rollback), the log is written in few system calls,
// and a process that dies before its commit leaves the database as it was while
// one that dies right after it keeps the commit.
#include "store_sqlite/buffered_vfs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store_sqlite/db.h"
#include "store_sqlite/notes_testing.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::store_sqlite {
namespace {

using caduce::testing::IsOk;
using caduce::testing::TempDir;
using storage::TxMode;
using testing::AddNotes;
using testing::kCreateNotes;
using Plain = testing::PlainConnection;

// What another program finds in the database at `path`: `count_sql`'s answer,
// and an intact file.
void ExpectFile(const std::string& path, const char* count_sql, const std::string& expected) {
  Plain other(path);
  EXPECT_EQ(other.One(count_sql), expected) << count_sql;
  EXPECT_EQ(other.One("PRAGMA integrity_check"), "ok");
}

class BufferedVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(BufferedVfs(), nullptr);
    path_ = dir_.File("caduce.db");
    Options options;
    options.path = path_;
    auto db = SqliteDatabase::Open(options);
    ASSERT_THAT(db.status(), IsOk());
    db_ = std::move(*db);
    ASSERT_THAT(Exec(kCreateNotes), IsOk());
  }

  Status Exec(const std::string& sql) {
    CADUCE_TRY(auto tx, db_->Begin(TxMode::kWrite));
    CADUCE_RETURN_IF_ERROR(SqliteTx::ConnOf(*tx).Exec(sql));
    return tx->Commit();
  }

  std::string CopyOfTheFileAlone() {
    return testing::CopyOfTheFileAlone(path_, dir_.File("copy.db"));
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(BufferedVfsTest, ACommitIsInTheFileForAnotherProgram) {
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx.status(), IsOk());
  ASSERT_THAT(AddNotes(**tx, 10, 'a'), IsOk());
  ASSERT_THAT((*tx)->Commit(), IsOk());
  // Read with the platform's VFS while caduce's connections stay open.
  ExpectFile(path_, "SELECT count(*) FROM notes", "10");
}

TEST_F(BufferedVfsTest, ALargeTransactionWritesTheLogInFewCalls) {
  const int64_t before = BufferedLogWrites();
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx.status(), IsOk());
  ASSERT_THAT(AddNotes(**tx, 6000, 'b'), IsOk());  // ~2,000 frames, ~8 MiB of log
  ASSERT_THAT((*tx)->Commit(), IsOk());
  const int64_t calls = BufferedLogWrites() - before;
  // SQLite alone: two calls a frame (its header, then the page).
  EXPECT_GT(calls, 0);
  EXPECT_LT(calls, 100);
  ExpectFile(path_,
             "SELECT count(*) FROM notes WHERE length(body) = 1024 AND body NOT GLOB '*[^b]*'",
             "6000");
}

// Write-behind: a transaction that writes megabytes of log has their writeback
// started as it goes (every 2 MiB), so that its commit's sync waits for little;
// a small one leaves the kernel alone. Either commits as the platform's VFS would.
TEST_F(BufferedVfsTest, ALargeTransactionStartsItsWritebackAsItGoesAndASmallOneDoesNot) {
  int64_t before = BufferedWriteBehinds();
  {
    auto tx = db_->Begin(TxMode::kWrite);
    ASSERT_THAT(tx.status(), IsOk());
    ASSERT_THAT(AddNotes(**tx, 20, 'w'), IsOk());
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }
  EXPECT_EQ(BufferedWriteBehinds(), before);
  before = BufferedWriteBehinds();
  {
    auto tx = db_->Begin(TxMode::kWrite);
    ASSERT_THAT(tx.status(), IsOk());
    ASSERT_THAT(AddNotes(**tx, 6000, 'x'), IsOk());  // ~8 MiB of log
    ASSERT_THAT((*tx)->Commit(), IsOk());
  }
  EXPECT_GE(BufferedWriteBehinds() - before, 3);
  ExpectFile(path_, "SELECT count(*) FROM notes", "6020");
}

// The checkpoint copies the log into the database a page a call, each one written
// at once (not buffered: see buffered_vfs.h and the test of a copy that fails),
// and the file alone (a copy without its log, as a backup of that file would see
// it) holds every row once it is done.
TEST_F(BufferedVfsTest, ACheckpointWritesEachPageAtOnceAndTheFileHoldsEverything) {
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx.status(), IsOk());
  ASSERT_THAT(AddNotes(**tx, 6000, 'k'), IsOk());  // ~2,000 pages
  const int64_t before = BufferedDatabaseWrites();
  ASSERT_THAT((*tx)->Commit(), IsOk());
  db_->WaitForCheckpoints();
  ASSERT_GE(db_->checkpoints(), 1);
  const int64_t calls = BufferedDatabaseWrites() - before;
  EXPECT_GE(calls, 1000);  // ~2,000 pages, a call each
  ExpectFile(CopyOfTheFileAlone(), "SELECT count(*) FROM notes WHERE body LIKE 'k%'", "6000");
}

TEST_F(BufferedVfsTest, ATransactionLargerThanTheCacheReadsItsSpilledPagesBack) {
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx.status(), IsOk());
  Connection& conn = SqliteTx::ConnOf(**tx);
  ASSERT_THAT(conn.Exec("PRAGMA cache_size = 50"), IsOk());  // 200 KiB: pages spill
  ASSERT_THAT(AddNotes(**tx, 3000, 'c'), IsOk());
  // Every page written again, then read: the spilled ones come back from the log.
  ASSERT_THAT(conn.Exec("UPDATE notes SET body = replace(hex(zeroblob(500)), '0', 'd')"), IsOk());
  {
    Stmt st(conn, "SELECT count(*), sum(length(body)) FROM notes WHERE body LIKE 'd%'");
    ASSERT_TRUE(st.Step());
    EXPECT_EQ(st.Int64(0), 3000);
    EXPECT_EQ(st.Int64(1), 3000 * 1000);
  }
  ASSERT_THAT(conn.Exec("PRAGMA cache_size = -65536"), IsOk());
  // The commit reads every frame written over (all of them here) to write its
  // header again: through windows read ahead, not a read and a write a frame.
  const int64_t before = BufferedLogWrites();
  ASSERT_THAT((*tx)->Commit(), IsOk());
  const int64_t calls = BufferedLogWrites() - before;
  EXPECT_LT(calls, 200);
  ExpectFile(path_, "SELECT sum(length(body)) FROM notes WHERE body LIKE 'd%'", "3000000");
}

TEST_F(BufferedVfsTest, ARolledBackTransactionLeavesNothingAndTheNextOneCommits) {
  {
    auto tx = db_->Begin(TxMode::kWrite);
    ASSERT_THAT(tx.status(), IsOk());
    ASSERT_THAT(SqliteTx::ConnOf(**tx).Exec("PRAGMA cache_size = 50"), IsOk());
    ASSERT_THAT(AddNotes(**tx, 2000, 'e'), IsOk());  // spilled into the log, then rolled back
    ASSERT_THAT(SqliteTx::ConnOf(**tx).Exec("PRAGMA cache_size = -65536"), IsOk());
  }
  auto tx = db_->Begin(TxMode::kWrite);
  ASSERT_THAT(tx.status(), IsOk());
  ASSERT_THAT(AddNotes(**tx, 5, 'f'), IsOk());
  ASSERT_THAT((*tx)->Commit(), IsOk());
  ExpectFile(path_, "SELECT group_concat(DISTINCT substr(body, 1, 1)) || count(*) FROM notes",
             "f5");
}

// A raw connection through the buffering VFS, as SqliteDatabase opens them, with
// no automatic checkpoint: the log keeps every frame for the test to read.
sqlite3* OpenBuffered(const std::string& path) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(path.c_str(), &h, SQLITE_OPEN_READWRITE, BufferedVfs()) != SQLITE_OK ||
      sqlite3_exec(h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                      "PRAGMA wal_autocheckpoint=0",
                   nullptr, nullptr, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(h);
    return nullptr;
  }
  return h;
}

// A writer that rolls back keeps nothing in its buffer that could later be
// written over the frames another writer committed at the same place in the log.
TEST_F(BufferedVfsTest, ARolledBackWritersFramesNeverOverwriteTheNextWritersOnes) {
  db_.reset();
  sqlite3* a = OpenBuffered(path_);
  sqlite3* b = OpenBuffered(path_);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto fill = [](sqlite3* h, int rows, char letter) {
    std::string sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                      std::to_string(rows) + ") INSERT INTO notes(body) SELECT replace(hex(" +
                      "zeroblob(512)), '0', '" + std::string(1, letter) + "') FROM n";
    return sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr);
  };
  // A spills ~1,000 frames into the log, the last ones in its buffer, then rolls back.
  ASSERT_EQ(sqlite3_exec(a, "PRAGMA cache_size = 50; BEGIN", nullptr, nullptr, nullptr),
            SQLITE_OK);
  ASSERT_EQ(fill(a, 3000, 'a'), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(a, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  // B commits more than that, over the same part of the log.
  ASSERT_EQ(sqlite3_exec(b, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(fill(b, 4000, 'b'), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(b, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  // A writes again, after B's frames.
  ASSERT_EQ(sqlite3_exec(a, "INSERT INTO notes(body) VALUES ('c')", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close_v2(a);
  sqlite3_close_v2(b);
  Plain other(path_);
  EXPECT_EQ(other.One("SELECT count(*) FROM notes WHERE body NOT GLOB '*[^b]*'"), "4000");
  EXPECT_EQ(other.One("SELECT count(*) FROM notes"), "4001");
  EXPECT_EQ(other.One("PRAGMA integrity_check"), "ok");
}

// What the buffers rely on cannot be turned off on such a connection.
TEST_F(BufferedVfsTest, PragmasThatWouldBreakTheBuffersAreRefused) {
  db_.reset();
  sqlite3* h = OpenBuffered(path_);
  ASSERT_NE(h, nullptr);
  for (const char* pragma : {"PRAGMA synchronous=OFF", "PRAGMA synchronous = normal",
                             "PRAGMA synchronous=1", "PRAGMA locking_mode=EXCLUSIVE"}) {
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(h, pragma, nullptr, nullptr, &error), SQLITE_ERROR) << pragma;
    EXPECT_NE(error, nullptr) << pragma;
    if (error != nullptr) {
      EXPECT_NE(std::string(error).find("refused"), std::string::npos);
    }
    sqlite3_free(error);
  }
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA synchronous=EXTRA",
                             "PRAGMA synchronous", "PRAGMA locking_mode=NORMAL"}) {
    EXPECT_EQ(sqlite3_exec(h, pragma, nullptr, nullptr, nullptr), SQLITE_OK) << pragma;
  }
  sqlite3_close_v2(h);
}

// Writers that commit or roll back transactions larger than their page cache,
// readers, and the background checkpoints, all at once: every reader sees whole
// transactions only, and at the end the file holds exactly the committed rows.
TEST_F(BufferedVfsTest, ConcurrentWritersReadersAndCheckpointsKeepEveryCommitAndNoRollback) {
  constexpr int kWriters = 3;
  constexpr int kRounds = 12;
  constexpr int kRows = 400;  // ~130 frames: spilled with the small cache below
  std::atomic<int64_t> committed{0};
  std::atomic<bool> failed{false};
  std::atomic<bool> done{false};
  auto writer = [&](int w) {
    for (int round = 0; round < kRounds && !failed; ++round) {
      auto tx = db_->Begin(TxMode::kWrite);
      if (!tx.ok()) {
        failed = true;
        return;
      }
      Connection& conn = SqliteTx::ConnOf(**tx);
      const bool spill = (round + w) % 2 == 0;
      if (spill && !conn.Exec("PRAGMA cache_size = 30").ok()) failed = true;
      // Each row 1,000 bytes: a reader checks sum(length) = 1,000 × count(*).
      if (!conn.Exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                     std::to_string(kRows) +
                     ") INSERT INTO notes(body) SELECT replace(hex(zeroblob(500)), '0', 'w') "
                     "FROM n")
               .ok()) {
        failed = true;
      }
      if (spill && !conn.Exec("PRAGMA cache_size = -65536").ok()) failed = true;
      if ((round + w) % 3 == 0) continue;  // rolled back as `tx` ends
      if (!(*tx)->Commit().ok()) {
        failed = true;
        return;
      }
      committed += kRows;
    }
  };
  std::atomic<int64_t> reads{0};
  auto reader = [&] {
    int64_t last = 0;
    while (!done && !failed) {
      auto tx = db_->Begin(TxMode::kRead);
      if (!tx.ok()) {
        failed = true;
        return;
      }
      Stmt st(SqliteTx::ConnOf(**tx), "SELECT count(*), coalesce(sum(length(body)), 0) FROM notes");
      if (!st.Step()) {
        failed = true;
        return;
      }
      const int64_t n = st.Int64(0);
      if (n % kRows != 0 || st.Int64(1) != 1000 * n || n < last) {
        ADD_FAILURE() << "a reader saw " << n << " rows of " << st.Int64(1) << " bytes after "
                      << last;
        failed = true;
      }
      last = n;
      ++reads;
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) threads.emplace_back(writer, w);
  threads.emplace_back(reader);
  threads.emplace_back(reader);
  for (int w = 0; w < kWriters; ++w) threads[static_cast<size_t>(w)].join();
  done = true;
  for (size_t i = kWriters; i < threads.size(); ++i) threads[i].join();
  ASSERT_FALSE(failed);
  EXPECT_GT(reads.load(), 0);
  db_->WaitForCheckpoints();
  ExpectFile(path_, "SELECT count(*) FROM notes", std::to_string(committed.load()));
  db_.reset();  // the last connection closed: everything in the file itself
  ExpectFile(CopyOfTheFileAlone(), "SELECT count(*) FROM notes",
             std::to_string(committed.load()));
}

// Runs `body` in a child process that ends with _exit (no destructor, no close:
// as if killed), and waits for it.
template <typename Body>
void InADyingChild(Body body) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's exit code says which step failed";
}

// In a child: the database at `path` as the server opens it, or the child ends.
std::unique_ptr<SqliteDatabase> OpenOrExit(const std::string& path) {
  Options options;
  options.path = path;
  auto db = SqliteDatabase::Open(options);
  if (!db.ok()) _exit(2);
  return std::move(*db);
}

TEST_F(BufferedVfsTest, AProcessThatDiesMidTransactionLeavesTheDatabaseAsItWas) {
  db_.reset();
  InADyingChild([&] {
    auto db = OpenOrExit(path_);
    auto tx = db->Begin(TxMode::kWrite);
    if (!tx.ok() || !SqliteTx::ConnOf(**tx).Exec("PRAGMA cache_size = 50").ok()) _exit(3);
    if (!AddNotes(**tx, 6000, 'g').ok()) _exit(4);  // spilled: in the log, part in the buffer
    _exit(0);
  });
  ExpectFile(path_, "SELECT count(*) FROM notes", "0");
}

// A checkpoint cut short by a reader (it copies only the frames that reader may
// see) tells later readers that those pages are in the database file without
// syncing it, and SQLite ignores what the file says at the end of the copy
// (SQLITE_FCNTL_CKPT_DONE): a copy that failed there would leave later readers with
// the page as it was before. Here the copy fails for real (a child process whose
// files may not grow past 256 KiB, a page beyond that offset): later readers still
// read the change, from the log.
TEST_F(BufferedVfsTest, ACheckpointCutShortByAReaderThatCannotWriteLosesNothing) {
  ASSERT_THAT(Exec("INSERT INTO notes(body) SELECT printf('%.1000c', 'o') FROM "
                   "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                   "WHERE i < 1500) SELECT i FROM n)"),
              IsOk());
  db_.reset();  // everything in the file, no log
  InADyingChild([&] {
    std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG
    rlimit limit{256 << 10, 256 << 10};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(10);
    Options o;
    o.path = path_;
    o.checkpoint_frames = 1;
    auto db = SqliteDatabase::Open(o);
    if (!db.ok()) _exit(11);
    auto write = [&](const char* sql) {
      auto tx = (*db)->Begin(TxMode::kWrite);
      if (!tx.ok() || !SqliteTx::ConnOf(**tx).Exec(sql).ok() || !(*tx)->Commit().ok()) _exit(12);
      (*db)->WaitForCheckpoints();
    };
    // A page far in the file changes (its copy fails: nothing copied at all).
    write("UPDATE notes SET body = 'far' WHERE id = 1500");
    {
      // A reader sees that change; a later commit's checkpoint can copy only what it
      // sees: the far page, again, which fails again.
      auto reader = (*db)->Begin(TxMode::kRead);
      if (!reader.ok()) _exit(13);
      Stmt st(SqliteTx::ConnOf(**reader), "SELECT body FROM notes WHERE id = 1500");
      if (!st.Step() || st.Text(0) != "far") _exit(14);
      write("UPDATE notes SET body = 'near' WHERE id = 1");
    }
    auto later = (*db)->Begin(TxMode::kRead);
    if (!later.ok()) _exit(15);
    Stmt st(SqliteTx::ConnOf(**later), "SELECT body FROM notes WHERE id = 1500");
    if (!st.Step()) _exit(16);
    _exit(st.Text(0) == "far" ? 0 : 17);
  });
  ExpectFile(path_, "SELECT body FROM notes WHERE id = 1500", "far");
}

TEST_F(BufferedVfsTest, AProcessThatDiesRightAfterItsCommitKeepsIt) {
  db_.reset();
  InADyingChild([&] {
    auto db = OpenOrExit(path_);
    auto tx = db->Begin(TxMode::kWrite);
    if (!tx.ok() || !AddNotes(**tx, 6000, 'h').ok() || !(*tx)->Commit().ok()) _exit(3);
    _exit(0);  // no checkpoint, no close: the commit is in the log alone
  });
  ExpectFile(path_, "SELECT count(*) FROM notes WHERE body LIKE 'h%'", "6000");
}

}  // namespace
}  // namespace caduce::store_sqlite
