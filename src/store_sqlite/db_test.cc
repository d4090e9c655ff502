// Tests of the SQLite database's background checkpoints (db.h): what a commit
// writes reaches the database file without the committer copying it, a writer
// waits only when the log outruns the copy, and the log file is cut back after a
// large transaction. "In the database file" is checked the way a backup of that
// file alone would see it: a copy of the file without its write-ahead log.
#include "store_sqlite/db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "store_sqlite/library.h"
#include "store_sqlite/notes_testing.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::store_sqlite {
namespace {

using caduce::testing::IsOk;
using caduce::testing::TempDir;
using storage::TxMode;
using namespace std::chrono_literals;

// A gate the checkpoint thread stops at, once armed, until the test opens it (or
// 30 s pass: a failing test ends instead of hanging).
class Gate {
 public:
  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
  }
  // Run by the checkpoint thread.
  void Pass() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!armed_) return;
    entered_ = true;
    cv_.notify_all();
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return open_; });
  }
  bool WaitEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return entered_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool entered_ = false;
  bool open_ = false;
};

class CheckpointTest : public ::testing::Test {
 protected:
  void Open(Options options) {
    options.path = dir_.File("caduce.db");
    {
      // The schema and the empty table in the file itself, whatever the threshold:
      // the database closed once created leaves nothing in a log, and the one the
      // test opens starts with an empty log and no checkpoint behind it.
      auto db = SqliteDatabase::Open(options);
      ASSERT_THAT(db.status(), IsOk());
      auto tx = (*db)->Begin(TxMode::kWrite);
      ASSERT_THAT(tx.status(), IsOk());
      ASSERT_THAT(SqliteTx::ConnOf(**tx).Exec(testing::kCreateNotes), IsOk());
      ASSERT_THAT((*tx)->Commit(), IsOk());
    }
    auto db = SqliteDatabase::Open(options);
    ASSERT_THAT(db.status(), IsOk());
    db_ = std::move(*db);
    ASSERT_EQ(RowsInTheFileAlone(), 0);
  }

  // Open() with the checkpoint thread stopping at gate_ from then on.
  void OpenGated(Options options) {
    options.before_checkpoint = [this] { gate_.Pass(); };
    Open(std::move(options));
    gate_.Arm();
  }

  // Commits `rows` rows of 1 KiB: about one log frame (a 4 KiB page) for each 3 rows.
  Status Write(int rows) {
    CADUCE_TRY(auto tx, db_->Begin(TxMode::kWrite));
    CADUCE_RETURN_IF_ERROR(testing::AddNotes(*tx, rows, 'a'));
    return tx->Commit();
  }

  // The rows a copy of the database file alone holds (-1 when it cannot say).
  int64_t RowsInTheFileAlone() {
    testing::PlainConnection alone(
        testing::CopyOfTheFileAlone(dir_.File("caduce.db"), dir_.File("copy.db")));
    std::string n = alone.One("SELECT count(*) FROM notes");
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) {
      ADD_FAILURE() << n;
      return -1;
    }
    return std::stoll(n);
  }

  int64_t LogBytes() {
    std::error_code ec;
    auto size = std::filesystem::file_size(dir_.File("caduce.db-wal"), ec);
    return ec ? 0 : static_cast<int64_t>(size);
  }

  TempDir dir_;
  Gate gate_;  // outlives db_, whose checkpoint thread may be at it
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(CheckpointTest, WhatACommitWritesReachesTheDatabaseFileInTheBackground) {
  Options o;
  o.checkpoint_frames = 10;
  Open(o);
  int64_t before = db_->checkpoints();
  ASSERT_THAT(Write(300), IsOk());  // ~100 frames: over the threshold
  db_->WaitForCheckpoints();
  EXPECT_GT(db_->checkpoints(), before);
  EXPECT_EQ(RowsInTheFileAlone(), 300);
  EXPECT_THAT(db_->last_checkpoint_error(), IsOk());
}

TEST_F(CheckpointTest, ASmallCommitStaysInTheLogUntilTheThresholdIsReached) {
  Options o;
  o.checkpoint_frames = 200;
  Open(o);
  ASSERT_THAT(Write(30), IsOk());  // ~10 frames
  db_->WaitForCheckpoints();
  EXPECT_EQ(RowsInTheFileAlone(), 0);
  ASSERT_THAT(Write(600), IsOk());  // the log passes 200 frames
  db_->WaitForCheckpoints();
  EXPECT_EQ(RowsInTheFileAlone(), 630);
}

// The log starts over once a checkpoint copied all of it: the frames that count
// toward the next checkpoint are then those of the new log, however long the old
// one was. Here the new log's first commit is small, and the next one brings it
// past the old log's length with fewer than checkpoint_frames frames more than the
// old log had, but more than checkpoint_frames frames since the start over.
TEST_F(CheckpointTest, AfterTheLogStartsOverItsNewFramesAskForTheNextCheckpoint) {
  Options o;
  o.checkpoint_frames = 10;
  Open(o);
  ASSERT_THAT(Write(45), IsOk());  // ~16 frames: a checkpoint copies all of them
  db_->WaitForCheckpoints();
  ASSERT_EQ(RowsInTheFileAlone(), 45);
  const int64_t rounds = db_->checkpoints();
  ASSERT_THAT(Write(6), IsOk());  // the log starts over: ~3 frames, under the threshold
  db_->WaitForCheckpoints();
  EXPECT_EQ(db_->checkpoints(), rounds);
  EXPECT_EQ(RowsInTheFileAlone(), 45);
  ASSERT_THAT(Write(45), IsOk());  // ~16 frames more: ~19 in the new log
  db_->WaitForCheckpoints();
  EXPECT_GT(db_->checkpoints(), rounds);
  EXPECT_EQ(RowsInTheFileAlone(), 96);
}

TEST_F(CheckpointTest, ACommitReturnsWithoutWaitingForItsCheckpoint) {
  Options o;
  o.checkpoint_frames = 10;
  OpenGated(o);
  auto commit = std::async(std::launch::async, [&] { return Write(300); });
  ASSERT_EQ(commit.wait_for(20s), std::future_status::ready)
      << "the commit waited for the checkpoint";
  ASSERT_THAT(commit.get(), IsOk());
  ASSERT_TRUE(gate_.WaitEntered()) << "no checkpoint began";
  EXPECT_EQ(RowsInTheFileAlone(), 0);  // committed, in the log, not copied yet
  gate_.Open();
  db_->WaitForCheckpoints();
  EXPECT_EQ(RowsInTheFileAlone(), 300);
}

TEST_F(CheckpointTest, AWriterWaitsWhenTheLogOutrunsARunningCheckpoint) {
  Options o;
  o.checkpoint_frames = 10;
  o.checkpoint_wait_frames = 150;
  OpenGated(o);
  ASSERT_THAT(Write(60), IsOk());  // ~20 frames: wakes the checkpoint, which stops at the gate
  ASSERT_TRUE(gate_.WaitEntered()) << "no checkpoint began";
  // The log passes 150 frames while the checkpoint runs: this writer waits for it.
  auto commit = std::async(std::launch::async, [&] { return Write(600); });
  EXPECT_EQ(commit.wait_for(300ms), std::future_status::timeout);
  gate_.Open();
  ASSERT_EQ(commit.wait_for(20s), std::future_status::ready);
  EXPECT_THAT(commit.get(), IsOk());
  db_->WaitForCheckpoints();
  EXPECT_EQ(RowsInTheFileAlone(), 660);
}

TEST_F(CheckpointTest, TheLogFileIsCutBackAfterALargeTransaction) {
  Options o;
  o.journal_size_limit = 64 << 10;
  Open(o);
  ASSERT_THAT(Write(6000), IsOk());  // ~8 MiB of log
  EXPECT_GT(LogBytes(), 4 << 20);
  db_->WaitForCheckpoints();
  ASSERT_THAT(Write(1), IsOk());  // starts the log over, cut back to the limit
  EXPECT_LE(LogBytes(), (64 << 10) + 2 * 4096 + 64);
  EXPECT_EQ(RowsInTheFileAlone(), 6000);
}

// A checkpoint that fails is reported once to on_checkpoint_error (the server logs
// it) and kept in last_checkpoint_error, and what was committed stays readable in
// the log. A real failure: a child process whose files may not grow past 256 KiB
// (RLIMIT_FSIZE) commits a change to a page of the database beyond that offset; its
// frame lands at the start of the log, the checkpoint's copy fails.
TEST_F(CheckpointTest, AFailedCheckpointIsReportedOnceAndTheCommitStaysInTheLog) {
  Options o;
  o.checkpoint_frames = 1;
  Open(o);
  ASSERT_THAT(Write(1500), IsOk());  // ~1.5 MiB of rows in the file once copied
  db_.reset();                       // the close copies everything and removes the log
  ASSERT_EQ(RowsInTheFileAlone(), 1500);
  const std::string path = dir_.File("caduce.db");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
    rlimit limit{256 << 10, 256 << 10};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(10);
    std::atomic<int> reported{0};
    Options c;
    c.path = path;
    c.checkpoint_frames = 1;
    c.on_checkpoint_error = [&](const Status&) { ++reported; };
    auto db = SqliteDatabase::Open(c);
    if (!db.ok()) _exit(11);
    for (char letter : {'x', 'y'}) {  // the same failure twice: reported once
      auto tx = (*db)->Begin(TxMode::kWrite);
      if (!tx.ok()) _exit(12);
      std::string sql = "UPDATE notes SET body = 'changed ";
      sql += letter;
      sql += "' WHERE id = (SELECT max(id) FROM notes)";
      if (!SqliteTx::ConnOf(**tx).Exec(sql).ok()) _exit(13);
      if (!(*tx)->Commit().ok()) _exit(14);
      (*db)->WaitForCheckpoints();
    }
    if ((*db)->last_checkpoint_error().ok()) _exit(15);
    if (reported != 1) _exit(16);
    _exit(0);  // no close: its checkpoint would fail the same way
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // Another program reads the last change from the log; the file is sound.
  testing::PlainConnection other(path);
  EXPECT_EQ(other.One("SELECT body FROM notes WHERE id = (SELECT max(id) FROM notes)"),
            "changed y");
  EXPECT_EQ(other.One("PRAGMA integrity_check"), "ok");
}

TEST_F(CheckpointTest, ClosingTheDatabaseLeavesEverythingInTheFile) {
  Options o;
  o.checkpoint_frames = 10;
  Open(o);
  ASSERT_THAT(Write(3000), IsOk());
  db_.reset();  // a checkpoint may still be running: the close waits for it
  EXPECT_EQ(RowsInTheFileAlone(), 3000);
  EXPECT_EQ(LogBytes(), 0);
}

// SQLite's allocation statistics take one process-wide lock on every allocation
// (library.h): the store turns them off before its first connection, so a
// database that has done real work leaves them at zero.
TEST_F(CheckpointTest, TheLibraryKeepsNoProcessWideAllocationStatistics) {
  Options o;
  Open(o);
  ASSERT_THAT(Write(500), IsOk());
  EXPECT_TRUE(ConfigureSqliteLibrary());
  EXPECT_EQ(sqlite3_memory_used(), 0);
  EXPECT_EQ(sqlite3_memory_highwater(0), 0);
}

}  // namespace
}  // namespace caduce::store_sqlite
