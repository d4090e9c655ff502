// Tests of the hash-chained audit trail against a real SQLite file: appending,
// verifying, and above all that tampering done straight in SQL (an altered field, a
// deleted, swapped or re-hashed entry) is found and the first bad entry is named the
// way an auditor will read it. Also pins the byte format of
// docs/formats/audit-chain.md (its worked example is checked here) and the filters
// of SqliteAuditRepository::Query.
#include "audit/audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sodium.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::audit {
namespace {

using ::caduce::store_sqlite::SqliteAuditRepository;
using ::caduce::store_sqlite::SqliteDatabase;
using ::caduce::store_sqlite::SqliteTx;
using ::caduce::store_sqlite::Stmt;
using ::caduce::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kLinkBroken[] = "its link to the previous entry does not match";
constexpr char kHashMismatch[] = "its content does not match its hash";

Event MakeEvent(int64_t person, int64_t mailbox, std::string action) {
  Event ev;
  ev.actor_person_id = person;
  ev.actor = person == 0 ? "operator (cli)" : "person" + std::to_string(person) + "@chu.test";
  ev.mailbox_id = mailbox;
  ev.object = mailbox == 0 ? "structure:1" : "mailbox:" + std::to_string(mailbox);
  ev.action = std::move(action);
  ev.ip = person == 0 ? "" : "192.0.2.7";
  ev.detail = R"({"n":1})";
  return ev;
}

std::vector<int64_t> Seqs(const std::vector<Entry>& entries) {
  std::vector<int64_t> out;
  for (const Entry& e : entries) out.push_back(e.seq);
  return out;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Open()); }

  void Open() {
    store_sqlite::Options options;
    options.path = dir_.File("caduce.db");
    ASSERT_OK_AND_ASSIGN(db_, SqliteDatabase::Open(options));
  }

  // Appends `events` in one committed transaction, one second apart.
  Result<std::vector<Entry>> AppendCommitted(std::vector<Event> events) {
    CADUCE_TRY(auto tx, db_->Begin(storage::TxMode::kWrite));
    std::vector<Entry> out;
    for (Event& ev : events) {
      CADUCE_TRY(Entry e, log_.Append(*tx, std::move(ev)));
      out.push_back(std::move(e));
      clock_.AdvanceSeconds(1);
    }
    CADUCE_RETURN_IF_ERROR(tx->Commit());
    return out;
  }

  // Five entries by two people on two mailboxes, verified intact.
  void SeedFive() {
    ASSERT_OK_AND_ASSIGN(
        seeded_,
        AppendCommitted({MakeEvent(10, 100, "mailbox.opened"), MakeEvent(10, 100, "message.read"),
                         MakeEvent(0, 0, "account.created"), MakeEvent(11, 100, "message.sent"),
                         MakeEvent(11, 0, "login.succeeded")}));
    ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
    ASSERT_TRUE(report.ok) << report.problem;
  }

  // Runs `sql` as a tamperer with write access to the file would.
  Status Tamper(const std::string& sql) {
    CADUCE_TRY(auto tx, db_->Begin(storage::TxMode::kWrite));
    CADUCE_RETURN_IF_ERROR(SqliteTx::ConnOf(*tx).Exec(sql));
    return tx->Commit();
  }

  Result<VerifyReport> VerifyNow() {
    CADUCE_TRY(auto tx, db_->Begin(storage::TxMode::kRead));
    return log_.Verify(*tx);
  }

  Result<std::vector<Entry>> QueryNow(const Filter& f) {
    CADUCE_TRY(auto tx, db_->Begin(storage::TxMode::kRead));
    return log_.Query(*tx, f);
  }

  Result<std::optional<Entry>> LastNow() {
    CADUCE_TRY(auto tx, db_->Begin(storage::TxMode::kRead));
    return repo_.Last(*tx);
  }

  testing::TempDir dir_;  // outlives db_, whose files it holds
  testing::FakeClock clock_;
  SqliteAuditRepository repo_;
  std::unique_ptr<SqliteDatabase> db_;
  AuditLog log_{repo_, clock_};
  std::vector<Entry> seeded_;
};

// ---- Appending ----------------------------------------------------------------------

TEST_F(AuditLogTest, AppendNumbersEntriesFromOneAndLinksEachToThePrevious) {
  ASSERT_OK_AND_ASSIGN(auto entries, AppendCommitted({MakeEvent(10, 100, "mailbox.opened"),
                                                      MakeEvent(10, 100, "message.read"),
                                                      MakeEvent(0, 0, "account.created")}));
  ASSERT_THAT(Seqs(entries), ElementsAre(1, 2, 3));
  EXPECT_EQ(entries[0].prev_hash, Hash{});
  EXPECT_EQ(entries[1].prev_hash, entries[0].hash);
  EXPECT_EQ(entries[2].prev_hash, entries[1].hash);
  for (const Entry& e : entries) EXPECT_EQ(e.hash, ComputeHash(e)) << "seq " << e.seq;

  // What is stored is what Append returned, byte for byte.
  ASSERT_OK_AND_ASSIGN(auto stored, QueryNow(Filter{}));
  ASSERT_EQ(stored.size(), 3u);
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(CanonicalEncoding(stored[i]), CanonicalEncoding(entries[i]));
    EXPECT_EQ(stored[i].prev_hash, entries[i].prev_hash);
    EXPECT_EQ(stored[i].hash, entries[i].hash);
  }
}

TEST_F(AuditLogTest, AppendStampsTheClockAndAnEmptyDetailBecomesAnEmptyObject) {
  Event ev = MakeEvent(10, 100, "mailbox.opened");
  ev.detail.clear();
  ASSERT_OK_AND_ASSIGN(auto entries, AppendCommitted({ev}));
  EXPECT_EQ(entries[0].at, 1795770000LL * 1000000);  // FakeClock's start
  EXPECT_EQ(entries[0].event.detail, "{}");
}

TEST_F(AuditLogTest, TimeNeverGoesBackwardsAlongTheChain) {
  ASSERT_OK_AND_ASSIGN(auto first, AppendCommitted({MakeEvent(10, 100, "mailbox.opened")}));
  // The wall clock is set back an hour (NTP step, operator error).
  clock_.Set(first[0].at - 3600LL * 1000000);
  ASSERT_OK_AND_ASSIGN(auto second, AppendCommitted({MakeEvent(10, 100, "message.read")}));
  EXPECT_EQ(second[0].at, first[0].at);
  clock_.Set(first[0].at + 5);
  ASSERT_OK_AND_ASSIGN(auto third, AppendCommitted({MakeEvent(10, 100, "message.read")}));
  EXPECT_EQ(third[0].at, first[0].at + 5);
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST_F(AuditLogTest, AppendRolledBackWithItsTransactionLeavesNoEntry) {
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
    ASSERT_OK_AND_ASSIGN(Entry e, log_.Append(*tx, MakeEvent(10, 100, "account.updated")));
    EXPECT_EQ(e.seq, 1);
    // The change this entry records fails: the Tx is destroyed without Commit.
  }
  ASSERT_OK_AND_ASSIGN(auto last, LastNow());
  EXPECT_FALSE(last.has_value());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.entries, 0);

  // The next append reuses seq 1: no gap is left behind.
  ASSERT_OK_AND_ASSIGN(auto entries, AppendCommitted({MakeEvent(10, 100, "account.updated")}));
  EXPECT_THAT(Seqs(entries), ElementsAre(1));
}

TEST_F(AuditLogTest, AppendInAReadTransactionIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kRead));
  EXPECT_THAT(log_.Append(*tx, MakeEvent(10, 100, "mailbox.opened")),
              StatusIs(Code::kFailedPrecondition, HasSubstr("write transaction")));
  EXPECT_THAT(log_.AppendAll(*tx, {MakeEvent(10, 100, "mailbox.opened")}),
              StatusIs(Code::kFailedPrecondition, HasSubstr("write transaction")));
  // The repository refuses too, should a caller bypass the log.
  Entry e;
  e.seq = 1;
  EXPECT_THAT(repo_.Insert(*tx, e), StatusIs(Code::kFailedPrecondition));
  tx.reset();
  ASSERT_OK_AND_ASSIGN(auto last, LastNow());
  EXPECT_FALSE(last.has_value());
}

// A store that keeps no chain (an import's plan): counts the reads, and collects
// what it is handed.
class KeepsNothing final : public AuditRepository {
 public:
  Result<std::optional<Entry>> Last(storage::Tx&) override {
    ++calls;
    return std::optional<Entry>();
  }
  Status Insert(storage::Tx&, const Entry& e) override {
    handed.push_back(e);
    return OkStatus();
  }
  Status Scan(storage::Tx&, const std::function<bool(const Entry&)>&) override {
    return OkStatus();
  }
  Result<std::vector<Entry>> Query(storage::Tx&, const Filter&) override {
    return std::vector<Entry>();
  }
  bool KeepsEntries() const override { return false; }
  bool DropsEntries() const override { return drops; }
  int calls = 0;
  bool drops = false;
  std::vector<Entry> handed;
};

// A writer may skip making events for a trail that drops them (a dry run's), and
// only then.
TEST_F(AuditLogTest, OnlyATrailThatDropsItsEntriesSaysItRecordsNothing) {
  EXPECT_TRUE(log_.Records());
  KeepsNothing collects;
  EXPECT_TRUE(AuditLog(collects, clock_).Records());
  KeepsNothing drops;
  drops.drops = true;
  EXPECT_FALSE(AuditLog(drops, clock_).Records());
}

TEST_F(AuditLogTest, AStoreThatKeepsNoChainIsNotReadAndIsHandedUnchainedEntriesByAWriter) {
  KeepsNothing nothing;
  AuditLog log(nothing, clock_);
  // One entry through Append, one through AppendAll: both handed over unchained,
  // the store never read.
  auto hand_two = [&](storage::Tx& tx, const char* first, const char* second) {
    size_t before = nothing.handed.size();
    ASSERT_OK(log.Append(tx, MakeEvent(10, 100, first)).status());
    ASSERT_OK(log.AppendAll(tx, {MakeEvent(10, 100, second)}));
    EXPECT_EQ(nothing.calls, 0);
    ASSERT_EQ(nothing.handed.size(), before + 2);
    EXPECT_EQ(nothing.handed[before].event.action, first);
    EXPECT_EQ(nothing.handed[before + 1].event.action, second);
  };
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
    hand_two(*tx, "account.created", "right.granted");
  }
  for (const Entry& e : nothing.handed) {
    EXPECT_EQ(e.seq, 0);
    EXPECT_EQ(e.hash, Hash{});
    EXPECT_EQ(e.prev_hash, Hash{});
  }
  // It writes nothing to the database: a read transaction will do (an import
  // plans in one while its writer thread holds the write transaction).
  ASSERT_OK_AND_ASSIGN(auto read, db_->Begin(storage::TxMode::kRead));
  hand_two(*read, "default.reset", "right.revoked");
}

TEST_F(AuditLogTest, AppendAllContinuesTheChainAsSingleAppendsWould) {
  ASSERT_OK(AppendCommitted({MakeEvent(10, 100, "mailbox.opened")}).status());
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
    ASSERT_OK(log_.AppendAll(*tx, {}));  // nothing to record is not an error
    ASSERT_OK(
        log_.AppendAll(*tx, {MakeEvent(0, 0, "account.created"), MakeEvent(0, 0, "account.created"),
                             MakeEvent(0, 0, "right.granted")}));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto stored, QueryNow(Filter{}));
  ASSERT_THAT(Seqs(stored), ElementsAre(1, 2, 3, 4));
  for (size_t i = 1; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].prev_hash, stored[i - 1].hash) << "seq " << stored[i].seq;
    EXPECT_GE(stored[i].at, stored[i - 1].at) << "seq " << stored[i].seq;
  }
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.head, stored.back().hash);

  ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kRead));
  EXPECT_THAT(log_.AppendAll(*tx, {MakeEvent(0, 0, "account.created")}),
              StatusIs(Code::kFailedPrecondition));
}

TEST_F(AuditLogTest, ABulkAppendStoresEveryEntryAsSingleAppendsWould) {
  // 1,000 events (many per statement, and a remainder), with details an attacker
  // could type: quotes, NUL bytes, SQL, long text. Each one is its own entry of the
  // chain, stored byte for byte, and the chain verifies.
  ASSERT_OK(AppendCommitted({MakeEvent(10, 100, "mailbox.opened")}).status());
  std::vector<Event> events;
  for (int i = 0; i < 1000; ++i) {
    Event ev = MakeEvent(i % 7, i % 3 == 0 ? 0 : 100 + i, i % 2 ? "right.granted" : "account.created");
    ev.detail = R"({"n":)" + std::to_string(i) + R"(,"x":"'); DROP TABLE audit; --","z":")" +
                std::string(static_cast<size_t>(i % 50), 'e') + "\"}";
    if (i == 999) ev.detail = std::string("{\"nul\":\"a\0b\"}", 13);
    if (i == 500) ev.detail.clear();  // becomes {}
    events.push_back(std::move(ev));
  }
  std::vector<Event> expected = events;
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
    ASSERT_OK(log_.AppendAll(*tx, std::move(events)));
    ASSERT_OK(tx->Commit());
  }
  Filter all;
  all.limit = 2000;
  ASSERT_OK_AND_ASSIGN(auto stored, QueryNow(all));
  ASSERT_EQ(stored.size(), 1001u);
  for (size_t i = 1; i < stored.size(); ++i) {
    const Entry& e = stored[i];
    const Event& want = expected[i - 1];
    EXPECT_EQ(e.seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.prev_hash, stored[i - 1].hash) << "seq " << e.seq;
    EXPECT_EQ(e.hash, ComputeHash(e)) << "seq " << e.seq;
    EXPECT_EQ(e.event.actor_person_id, want.actor_person_id);
    EXPECT_EQ(e.event.actor, want.actor);
    EXPECT_EQ(e.event.mailbox_id, want.mailbox_id);
    EXPECT_EQ(e.event.action, want.action);
    EXPECT_EQ(e.event.object, want.object);
    EXPECT_EQ(e.event.ip, want.ip);
    EXPECT_EQ(e.event.detail, want.detail.empty() ? "{}" : want.detail) << "seq " << e.seq;
  }
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 1001);
  EXPECT_EQ(report.head, stored.back().hash);
}

TEST_F(AuditLogTest, ABulkInsertMeetingATakenSeqIsRefusedAndWritesNothing) {
  ASSERT_OK_AND_ASSIGN(auto seeded, AppendCommitted({MakeEvent(10, 100, "mailbox.opened")}));
  std::vector<Entry> entries;
  for (int i = 0; i < 40; ++i) {
    Entry e = seeded[0];
    e.seq = 2 + i;
    entries.push_back(e);
  }
  entries[37].seq = 1;  // taken: in the last full statement of the batch
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
    EXPECT_THAT(repo_.InsertAll(*tx, entries), StatusIs(Code::kAlreadyExists));
  }  // rolled back
  Filter all;
  ASSERT_OK_AND_ASSIGN(auto stored, QueryNow(all));
  EXPECT_THAT(Seqs(stored), ElementsAre(1));
}

TEST_F(AuditLogTest, InsertingATakenSeqIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto entries, AppendCommitted({MakeEvent(10, 100, "mailbox.opened")}));
  ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
  EXPECT_THAT(repo_.Insert(*tx, entries[0]),
              StatusIs(Code::kAlreadyExists, HasSubstr("audit entry 1")));
}

TEST_F(AuditLogTest, TheChainSurvivesClosingAndReopeningTheFile) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  db_.reset();
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.entries, 5);
  EXPECT_EQ(report.head, seeded_.back().hash);
  ASSERT_OK_AND_ASSIGN(auto more, AppendCommitted({MakeEvent(10, 100, "mailbox.closed")}));
  EXPECT_EQ(more[0].seq, 6);
  EXPECT_EQ(more[0].prev_hash, seeded_.back().hash);
}

// ---- Verifying an intact chain ------------------------------------------------------

TEST_F(AuditLogTest, AnEmptyTrailVerifies) {
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.entries, 0);
  EXPECT_EQ(report.first_bad_seq, 0);
  EXPECT_EQ(report.head, Hash{});  // nothing yet: the chain's initial value
}

TEST_F(AuditLogTest, AnIntactChainVerifiesAndReportsItsHead) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.entries, 5);
  EXPECT_EQ(report.first_bad_seq, 0);
  EXPECT_THAT(report.problem, IsEmpty());
  EXPECT_EQ(HexOf(report.head), HexOf(seeded_[4].hash));
}

// ---- Tampering done directly in SQL ---------------------------------------------------

struct FieldTamper {
  const char* column;
  const char* sql;  // alters entry 3 of SeedFive's five
};

class AuditFieldTamperTest : public AuditLogTest,
                             public ::testing::WithParamInterface<FieldTamper> {};

TEST_P(AuditFieldTamperTest, AlteringOneFieldNamesThatEntry) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK(Tamper(GetParam().sql));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_THAT(report.problem, HasSubstr(kHashMismatch));
  EXPECT_THAT(report.problem, HasSubstr("the entry was altered"));
  EXPECT_EQ(report.entries, 3);  // stopped at the first bad entry
}

INSTANTIATE_TEST_SUITE_P(
    EveryHashedColumn, AuditFieldTamperTest,
    ::testing::Values(
        FieldTamper{"action", "UPDATE audit SET action = 'account.viewed' WHERE seq = 3"},
        FieldTamper{"detail", "UPDATE audit SET detail = '{\"n\":2}' WHERE seq = 3"},
        FieldTamper{"actor", "UPDATE audit SET actor = 'someone.else@chu.test' WHERE seq = 3"},
        FieldTamper{"at", "UPDATE audit SET at = at - 1 WHERE seq = 3"},
        FieldTamper{"actor_person_id", "UPDATE audit SET actor_person_id = 12 WHERE seq = 3"},
        FieldTamper{"mailbox_id", "UPDATE audit SET mailbox_id = 101 WHERE seq = 3"},
        FieldTamper{"object", "UPDATE audit SET object = 'account:2' WHERE seq = 3"},
        FieldTamper{"ip", "UPDATE audit SET ip = '198.51.100.1' WHERE seq = 3"}),
    [](const ::testing::TestParamInfo<FieldTamper>& info) {
      return std::string(info.param.column);
    });

TEST_F(AuditLogTest, DeletingAnEntryInTheMiddleNamesTheEntryAfterTheGap) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK(Tamper("DELETE FROM audit WHERE seq = 3"));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 4);
  EXPECT_THAT(report.problem, HasSubstr("expected entry 3 but found entry 4"));
  EXPECT_THAT(report.problem, HasSubstr("deleted"));
}

TEST_F(AuditLogTest, DeletingTheFirstEntryIsFound) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK(Tamper("DELETE FROM audit WHERE seq = 1"));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 2);
  EXPECT_THAT(report.problem, HasSubstr("expected entry 1 but found entry 2"));
}

TEST_F(AuditLogTest, DeletingAnEntryAndRenumberingTheRestBreaksTheLink) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  // A careful tamperer closes the gap so that seq runs 1..4 again.
  ASSERT_OK(
      Tamper("DELETE FROM audit WHERE seq = 3;"
             "UPDATE audit SET seq = seq - 1 WHERE seq > 3"));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_THAT(report.problem, HasSubstr(kLinkBroken));
}

TEST_F(AuditLogTest, SwappingTwoEntriesNamesTheFirstOfThem) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  // Entries 2 and 4 trade contents (every column but seq, which is the same as
  // trading their seq numbers).
  ASSERT_OK(
      Tamper("UPDATE audit SET seq = -2 WHERE seq = 2;"
             "UPDATE audit SET seq = 2 WHERE seq = 4;"
             "UPDATE audit SET seq = 4 WHERE seq = -2"));
  ASSERT_OK_AND_ASSIGN(auto stored, QueryNow(Filter{}));
  ASSERT_EQ(stored[1].event.action, "message.sent");  // the swap took place
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 2);
  EXPECT_THAT(report.problem, HasSubstr(kLinkBroken));
}

TEST_F(AuditLogTest, SwappingOnlyTheEventFieldsOfTwoEntriesIsFound) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  // The hashes and links stay in place; the events move.
  ASSERT_OK(Tamper(
      "CREATE TEMP TABLE swap AS SELECT * FROM audit WHERE seq IN (2, 4);"
      "UPDATE audit SET (at, actor_person_id, actor, mailbox_id, action, object, ip, detail) ="
      " (SELECT at, actor_person_id, actor, mailbox_id, action, object, ip, detail FROM swap"
      "  WHERE swap.seq = 6 - audit.seq) WHERE seq IN (2, 4);"
      "DROP TABLE swap"));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 2);
  EXPECT_THAT(report.problem, HasSubstr(kHashMismatch));
}

TEST_F(AuditLogTest, RewritingAHashNamesThatEntry) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK(Tamper("UPDATE audit SET hash = randomblob(32) WHERE seq = 3"));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_THAT(report.problem, HasSubstr(kHashMismatch));
}

TEST_F(AuditLogTest, RewritingAPrevHashNamesThatEntry) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK(Tamper("UPDATE audit SET prev_hash = randomblob(32) WHERE seq = 3"));
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 3);
  EXPECT_THAT(report.problem, HasSubstr(kLinkBroken));
}

TEST_F(AuditLogTest, AlteringAnEntryAndRecomputingItsHashNamesTheNextEntry) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  Entry forged = seeded_[2];
  forged.event.action = "account.viewed";
  forged.hash = ComputeHash(forged);
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
    Stmt st(SqliteTx::ConnOf(*tx), "UPDATE audit SET action = ?1, hash = ?2 WHERE seq = 3");
    st.Bind(1, forged.event.action).BindBlob(2, forged.hash.data(), forged.hash.size());
    ASSERT_OK(st.Run());
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_seq, 4);
  EXPECT_THAT(report.problem, HasSubstr(kLinkBroken));
  EXPECT_THAT(report.problem, HasSubstr("the previous entry was altered"));
}

// The chain cannot see a cut or rewritten tail by itself: only the head kept
// elsewhere can (docs/formats/audit-chain.md, "What verify cannot detect").
TEST_F(AuditLogTest, ACutTailIsSeenOnlyByComparingTheHeadKeptElsewhere) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK_AND_ASSIGN(VerifyReport before, VerifyNow());
  ASSERT_OK(Tamper("DELETE FROM audit WHERE seq >= 4"));
  ASSERT_OK_AND_ASSIGN(VerifyReport after, VerifyNow());
  EXPECT_TRUE(after.ok);
  EXPECT_EQ(after.entries, 3);
  EXPECT_EQ(after.head, seeded_[2].hash);
  EXPECT_NE(after.head, before.head);
}

TEST_F(AuditLogTest, ARewrittenTailIsSeenOnlyByComparingTheHeadKeptElsewhere) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK_AND_ASSIGN(VerifyReport before, VerifyNow());
  // Whoever can write the file and knows the format can re-chain from entry 3 on.
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
    Hash prev = seeded_[1].hash;
    for (size_t i = 2; i < seeded_.size(); ++i) {
      Entry forged = seeded_[i];
      if (i == 2) forged.event.action = "account.viewed";
      forged.prev_hash = prev;
      forged.hash = ComputeHash(forged);
      Stmt st(SqliteTx::ConnOf(*tx),
              "UPDATE audit SET action = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4");
      st.Bind(1, forged.event.action)
          .BindBlob(2, forged.prev_hash.data(), forged.prev_hash.size())
          .BindBlob(3, forged.hash.data(), forged.hash.size())
          .Bind(4, forged.seq);
      ASSERT_OK(st.Run());
      prev = forged.hash;
    }
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(VerifyReport after, VerifyNow());
  EXPECT_TRUE(after.ok);
  EXPECT_EQ(after.entries, 5);
  EXPECT_NE(after.head, before.head);
}

TEST_F(AuditLogTest, AHashOfTheWrongLengthIsDataLossNamingTheEntry) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK(Tamper("UPDATE audit SET hash = substr(hash, 1, 31) WHERE seq = 3"));
  EXPECT_THAT(VerifyNow(),
              StatusIs(Code::kDataLoss, HasSubstr("audit entry 3: hash is not a 32-byte BLOB")));
}

TEST_F(AuditLogTest, AValueOfTheWrongTypeIsDataLossNamingTheEntry) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK(Tamper("UPDATE audit SET at = 'yesterday' WHERE seq = 2"));
  EXPECT_THAT(VerifyNow(),
              StatusIs(Code::kDataLoss, HasSubstr("audit entry 2: at is not an integer")));
  // The same bytes stored as a BLOB instead of text are not the stored form either.
  ASSERT_OK(Tamper("UPDATE audit SET at = " + std::to_string(seeded_[1].at) +
                   " WHERE seq = 2;"
                   "UPDATE audit SET action = CAST(action AS BLOB) WHERE seq = 4"));
  EXPECT_THAT(VerifyNow(),
              StatusIs(Code::kDataLoss, HasSubstr("audit entry 4: action is not text")));
}

// ---- The repository's Scan and Query ----------------------------------------------

TEST_F(AuditLogTest, ScanStopsWhenTheCallbackSaysSo) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kRead));
  std::vector<int64_t> seen;
  ASSERT_OK(repo_.Scan(*tx, [&](const Entry& e) {
    seen.push_back(e.seq);
    return seen.size() < 2;
  }));
  EXPECT_THAT(seen, ElementsAre(1, 2));
}

TEST_F(AuditLogTest, LastIsTheHighestSeq) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  ASSERT_OK_AND_ASSIGN(auto last, LastNow());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->seq, 5);
  EXPECT_EQ(last->hash, seeded_[4].hash);
  EXPECT_EQ(last->event.action, "login.succeeded");
}

TEST_F(AuditLogTest, QueryFiltersByMailbox) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  Filter f;
  f.mailbox_id = 100;
  ASSERT_OK_AND_ASSIGN(auto on_100, QueryNow(f));
  EXPECT_THAT(Seqs(on_100), ElementsAre(1, 2, 4));
  f.mailbox_id = 0;  // entries that concern no mailbox
  ASSERT_OK_AND_ASSIGN(auto on_none, QueryNow(f));
  EXPECT_THAT(Seqs(on_none), ElementsAre(3, 5));
  f.mailbox_id = 999;
  ASSERT_OK_AND_ASSIGN(auto on_unknown, QueryNow(f));
  EXPECT_THAT(on_unknown, IsEmpty());
}

TEST_F(AuditLogTest, QueryFiltersByPerson) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  Filter f;
  f.actor_person_id = 11;
  ASSERT_OK_AND_ASSIGN(auto by_11, QueryNow(f));
  EXPECT_THAT(Seqs(by_11), ElementsAre(4, 5));
  EXPECT_EQ(by_11[0].event.actor, "person11@chu.test");
  f.mailbox_id = 100;  // filters combine
  ASSERT_OK_AND_ASSIGN(auto by_11_on_100, QueryNow(f));
  EXPECT_THAT(Seqs(by_11_on_100), ElementsAre(4));
}

TEST_F(AuditLogTest, QueryFiltersByActionPrefix) {
  ASSERT_OK(AppendCommitted({MakeEvent(1, 0, "right.granted"), MakeEvent(1, 0, "right.revoked"),
                             MakeEvent(1, 0, "rights.exported"), MakeEvent(1, 0, "righ"),
                             MakeEvent(1, 0, "account.created")})
                .status());
  Filter f;
  f.action_prefix = "right.";
  ASSERT_OK_AND_ASSIGN(auto rights, QueryNow(f));
  EXPECT_THAT(Seqs(rights), ElementsAre(1, 2));
  f.action_prefix = "right";
  ASSERT_OK_AND_ASSIGN(auto right_any, QueryNow(f));
  EXPECT_THAT(Seqs(right_any), ElementsAre(1, 2, 3));
  f.action_prefix = "account.created";  // a whole name is its own prefix
  ASSERT_OK_AND_ASSIGN(auto exact, QueryNow(f));
  EXPECT_THAT(Seqs(exact), ElementsAre(5));
  f.action_prefix = "";  // no constraint
  ASSERT_OK_AND_ASSIGN(auto all, QueryNow(f));
  EXPECT_EQ(all.size(), 5u);
}

TEST_F(AuditLogTest, QueryTakesPercentUnderscoreAndCaseLiterally) {
  ASSERT_OK(AppendCommitted({MakeEvent(1, 0, "report_1.made"), MakeEvent(1, 0, "reportX1.made"),
                             MakeEvent(1, 0, "report%.made"), MakeEvent(1, 0, "reportZZ.made")})
                .status());
  Filter f;
  f.action_prefix = "report_";  // as LIKE 'report_%' it would match all four
  ASSERT_OK_AND_ASSIGN(auto underscore, QueryNow(f));
  EXPECT_THAT(Seqs(underscore), ElementsAre(1));
  f.action_prefix = "report%";  // as LIKE 'report%%' it would match all four
  ASSERT_OK_AND_ASSIGN(auto percent, QueryNow(f));
  EXPECT_THAT(Seqs(percent), ElementsAre(3));
  f.action_prefix = "%";
  ASSERT_OK_AND_ASSIGN(auto bare_percent, QueryNow(f));
  EXPECT_THAT(bare_percent, IsEmpty());
  f.action_prefix = "REPORT";  // LIKE would fold ASCII case
  ASSERT_OK_AND_ASSIGN(auto upper, QueryNow(f));
  EXPECT_THAT(upper, IsEmpty());
}

TEST_F(AuditLogTest, QueryFiltersByDatesFromInclusiveToExclusive) {
  // One entry at noon UTC on each of four days.
  for (const char* day : {"2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30"}) {
    clock_.SetDate(day);
    ASSERT_OK(AppendCommitted({MakeEvent(10, 100, "mailbox.opened")}).status());
  }
  auto at = [](const char* text) {
    int64_t micros = 0;
    EXPECT_TRUE(ParseTimestamp(text, &micros)) << text;
    return micros;
  };
  Filter f;
  f.from = at("2026-11-28");
  ASSERT_OK_AND_ASSIGN(auto since_28, QueryNow(f));
  EXPECT_THAT(Seqs(since_28), ElementsAre(2, 3, 4));
  f.to = at("2026-11-30");
  ASSERT_OK_AND_ASSIGN(auto from_28_to_30, QueryNow(f));
  EXPECT_THAT(Seqs(from_28_to_30), ElementsAre(2, 3));
  // Bounds are to the microsecond: `from` at an entry's instant keeps it, `to` drops it.
  f.from = at("2026-11-28T12:00:00Z");
  f.to = at("2026-11-29T12:00:00Z");
  ASSERT_OK_AND_ASSIGN(auto exact_bounds, QueryNow(f));
  EXPECT_THAT(Seqs(exact_bounds), ElementsAre(2));
}

TEST_F(AuditLogTest, QueryPagesWithAfterSeqAndLimit) {
  ASSERT_NO_FATAL_FAILURE(SeedFive());
  Filter f;
  f.limit = 2;
  ASSERT_OK_AND_ASSIGN(auto page1, QueryNow(f));
  EXPECT_THAT(Seqs(page1), ElementsAre(1, 2));
  f.after_seq = page1.back().seq;
  ASSERT_OK_AND_ASSIGN(auto page2, QueryNow(f));
  EXPECT_THAT(Seqs(page2), ElementsAre(3, 4));
  f.after_seq = page2.back().seq;
  ASSERT_OK_AND_ASSIGN(auto page3, QueryNow(f));
  EXPECT_THAT(Seqs(page3), ElementsAre(5));
  f.limit = 0;
  EXPECT_THAT(QueryNow(f), StatusIs(Code::kInvalidArgument, HasSubstr("limit")));
}

TEST_F(AuditLogTest, QueryByActionPrefixHandlesHighBytes) {
  // Not valid UTF-8, but SQLite stores and compares the bytes: the range's upper bound
  // must skip trailing 0xFF bytes rather than overflow them.
  ASSERT_OK(AppendCommitted({MakeEvent(1, 0, "a\xff\xffz"), MakeEvent(1, 0, "a\xfe"),
                             MakeEvent(1, 0, "b"), MakeEvent(1, 0, "\xff\xff")})
                .status());
  Filter f;
  f.action_prefix = "a\xff";
  ASSERT_OK_AND_ASSIGN(auto a_ff, QueryNow(f));
  EXPECT_THAT(Seqs(a_ff), ElementsAre(1));
  f.action_prefix = "a";
  ASSERT_OK_AND_ASSIGN(auto a, QueryNow(f));
  EXPECT_THAT(Seqs(a), ElementsAre(1, 2));
  f.action_prefix = "\xff";  // no upper bound exists: everything from 0xFF up
  ASSERT_OK_AND_ASSIGN(auto ff, QueryNow(f));
  EXPECT_THAT(Seqs(ff), ElementsAre(4));
}

// ---- The byte format ------------------------------------------------------------------

// The worked example of docs/formats/audit-chain.md. If this test has to change, the
// format changed: bump the version tag and update the document.
TEST(AuditChainFormatTest, WorkedExampleOfTheFormatDocument) {
  Entry first;
  first.seq = 1;
  first.at = 1795770000000000;  // 2026-11-27T09:00:00Z
  first.event.actor_person_id = 0;
  first.event.actor = "operator (cli)";
  first.event.mailbox_id = 0;
  first.event.action = "structure.created";
  first.event.object = "structure:1";
  first.event.ip = "";
  first.event.detail = "{\"name\":\"H\xc3\xb4pital Exemple\"}";
  EXPECT_EQ(CanonicalEncoding(first),
            "caduce-audit-v1;1:1,16:1795770000000000,1:0,14:operator (cli),1:0,"
            "17:structure.created,11:structure:1,0:,27:{\"name\":\"H\xc3\xb4pital Exemple\"},");
  EXPECT_EQ(CanonicalEncoding(first).size(), 136u);
  first.hash = ComputeHash(first);
  EXPECT_EQ(HexOf(first.hash), "8fbb7ecb9e1fec726f5ec5e2c7a716cbc2a1cc5781da722d51587c17400a67b0");

  Entry second;
  second.seq = 2;
  second.at = 1795770001500000;  // 1.5 s later
  second.event.actor_person_id = 42;
  second.event.actor = "jeanne.martin@chu-exemple.mssante.fr";
  second.event.mailbox_id = 7;
  second.event.action = "mailbox.opened";
  second.event.object = "mailbox:7";
  second.event.ip = "192.0.2.10";
  second.event.detail = "{}";
  second.prev_hash = first.hash;
  EXPECT_EQ(CanonicalEncoding(second),
            "caduce-audit-v1;1:2,16:1795770001500000,2:42,36:jeanne.martin@chu-exemple.mssante.fr,"
            "1:7,14:mailbox.opened,9:mailbox:7,10:192.0.2.10,2:{},");
  second.hash = ComputeHash(second);
  EXPECT_EQ(HexOf(second.hash), "0b4e84b912823d476d0a7823ea9e70c04ff81f17b35111b062cf9583e1fc219f");
}

// The hash is BLAKE2b-256 over the previous hash and the canonical encoding, for
// any content: negative and extreme numbers, empty fields, NUL bytes, separators
// and digits where a parser would look for lengths, a long detail.
TEST(AuditChainFormatTest, TheHashCoversTheCanonicalEncodingOfAnyEntry) {
  auto reference = [](const Entry& e) {
    std::string canonical = CanonicalEncoding(e);
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, 32);
    crypto_generichash_update(&st, e.prev_hash.data(), e.prev_hash.size());
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(canonical.data()),
                              canonical.size());
    Hash h{};
    crypto_generichash_final(&st, h.data(), h.size());
    return h;
  };
  Entry e;
  EXPECT_EQ(ComputeHash(e), reference(e));  // every field empty or zero
  e.seq = std::numeric_limits<int64_t>::max();
  e.at = std::numeric_limits<int64_t>::min();
  e.event.actor_person_id = -1;
  e.event.mailbox_id = 1234567890123;
  e.event.actor = std::string("a\0b:3,", 7);
  e.event.action = "1:x,";
  e.event.object = "account:42";
  e.event.ip = "2001:db8::1";
  e.event.detail = "{\"x\":\"" + std::string(100000, 'z') + "\"}";
  e.prev_hash.fill(0xAB);
  EXPECT_EQ(ComputeHash(e), reference(e));
  e.event.detail.clear();
  EXPECT_EQ(ComputeHash(e), reference(e));
}

TEST_F(AuditLogTest, TheWorkedExampleStoredAsRowsVerifiesToItsHead) {
  Entry first;
  first.seq = 1;
  first.at = 1795770000000000;
  first.event = {0,
                 "operator (cli)",
                 0,
                 "structure.created",
                 "structure:1",
                 "",
                 "{\"name\":\"H\xc3\xb4pital Exemple\"}"};
  first.hash = ComputeHash(first);
  Entry second;
  second.seq = 2;
  second.at = 1795770001500000;
  second.event = {
      42,  "jeanne.martin@chu-exemple.mssante.fr", 7, "mailbox.opened", "mailbox:7", "192.0.2.10",
      "{}"};
  second.prev_hash = first.hash;
  second.hash = ComputeHash(second);
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
    ASSERT_OK(repo_.Insert(*tx, first));
    ASSERT_OK(repo_.Insert(*tx, second));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(VerifyReport report, VerifyNow());
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(HexOf(report.head), "0b4e84b912823d476d0a7823ea9e70c04ff81f17b35111b062cf9583e1fc219f");
}

}  // namespace
}  // namespace caduce::audit
