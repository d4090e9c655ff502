// Tests of the SQLite directory repository: the backend-independent contract
// (testing/directory_contract.h) on a real file in a temporary directory, then
// what only SQLite has: the file's pragmas, migrations, concurrent writers on one
// file, damaged files, and the query plans that keep searches bounded.
#include "store_sqlite/directory_repo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "directory/fields.h"
#include "store_sqlite/columns.h"
#include "store_sqlite/db.h"
#include "store_sqlite/migrations.h"
#include "testing/directory_contract.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::store_sqlite {
namespace {

using caduce::testing::DirectoryBackend;
using caduce::testing::DirectoryBackendFactory;
using caduce::testing::DirectoryContractTest;
using caduce::testing::IsOk;
using caduce::testing::StatusIs;
using caduce::testing::TempDir;
using directory::Account;
using directory::AccountStatus;
using directory::AccountType;
using directory::Field;
using storage::TxMode;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

// A Result that is OK and whose value matches `inner`.
MATCHER_P(HoldsValue, inner, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, arg.value(), result_listener);
}

DirectoryBackendFactory SqliteBackend() {
  return {"Sqlite", []() -> Result<DirectoryBackend> {
            auto dir = std::make_shared<TempDir>();
            Options options;
            options.path = dir->File("caduce.db");
            CADUCE_TRY(std::unique_ptr<SqliteDatabase> db, SqliteDatabase::Open(options));
            DirectoryBackend backend;
            backend.keep_alive = dir;
            backend.db = std::move(db);
            backend.repo = std::make_unique<SqliteDirectoryRepository>();
            return backend;
          }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DirectoryContractTest, ::testing::Values(SqliteBackend()),
                         caduce::testing::DirectoryBackendName);

// ---- SQLite-specific tests --------------------------------------------------------

class SqliteDirectoryTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.File("caduce.db"); }

  Result<std::unique_ptr<SqliteDatabase>> Open(int busy_timeout_ms = 10000) {
    Options options;
    options.path = path();
    options.busy_timeout_ms = busy_timeout_ms;
    return SqliteDatabase::Open(options);
  }

  static Account Person(int64_t structure_id, const std::string& address) {
    Account a;
    a.structure_id = structure_id;
    a.type = AccountType::kPer;
    a.status = AccountStatus::kActive;
    a.get(Field::kAddress) = address;
    a.get(Field::kNom) = "NOM";
    a.get(Field::kPrenom) = "Prénom";
    return a;
  }

  // What the rights tests start from: a database, a write transaction, structure
  // "CHU" and its shared mailbox.
  struct RightsSetup {
    std::unique_ptr<SqliteDatabase> db;
    SqliteDirectoryRepository repo;
    std::unique_ptr<storage::Tx> tx;
    int64_t structure = 0;
    int64_t mailbox = 0;
  };
  void SetUpRights(RightsSetup* r) {
    ASSERT_OK_AND_ASSIGN(r->db, Open());
    ASSERT_OK_AND_ASSIGN(r->structure, AddStructure(*r->db, "CHU"));
    ASSERT_OK_AND_ASSIGN(r->tx, r->db->Begin(TxMode::kWrite));
    Account org = Person(r->structure, "secretariat@chu.fr");
    org.type = AccountType::kOrg;
    ASSERT_OK_AND_ASSIGN(r->mailbox, r->repo.InsertAccount(*r->tx, org));
  }

  static Result<int64_t> AddStructure(SqliteDatabase& db, const std::string& name) {
    SqliteDirectoryRepository repo;
    CADUCE_TRY(auto tx, db.Begin(TxMode::kWrite));
    directory::Structure s;
    s.name = name;
    CADUCE_TRY(int64_t id, repo.InsertStructure(*tx, s));
    CADUCE_RETURN_IF_ERROR(tx->Commit());
    return id;
  }

  // The text of column 0 of the first row of `sql`, run on `tx`'s connection.
  static Result<std::string> QueryText(storage::Tx& tx, std::string_view sql) {
    Stmt st(SqliteTx::ConnOf(tx), sql);
    std::string v;
    if (st.Step()) v = st.Text(0);
    CADUCE_RETURN_IF_ERROR(st.status());
    return v;
  }

  // The query plan lines of the cached statement of `tx`'s connection whose SQL
  // contains `needle`; empty when there is none. Run after the method under test
  // prepared its statement.
  static std::vector<std::string> PlanOf(storage::Tx& tx, std::string_view needle) {
    sqlite3* db = SqliteTx::ConnOf(tx).handle();
    for (sqlite3_stmt* st = sqlite3_next_stmt(db, nullptr); st != nullptr;
         st = sqlite3_next_stmt(db, st)) {
      std::string sql = sqlite3_sql(st);
      if (sql.find(needle) == std::string::npos) continue;
      std::string explain = "EXPLAIN QUERY PLAN " + sql;
      sqlite3_stmt* plan = nullptr;
      std::vector<std::string> lines;
      if (sqlite3_prepare_v2(db, explain.c_str(), -1, &plan, nullptr) != SQLITE_OK) {
        return {"cannot explain: " + std::string(sqlite3_errmsg(db))};
      }
      while (sqlite3_step(plan) == SQLITE_ROW) {
        lines.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(plan, 3)));
      }
      sqlite3_finalize(plan);
      return lines;
    }
    return {};
  }

  TempDir dir_;
};

TEST_F(SqliteDirectoryTest, FileIsInWalModeWithForeignKeysAndFullSync) {
  ASSERT_OK_AND_ASSIGN(auto db, Open());
  ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kRead));
  EXPECT_THAT(QueryText(*tx, "PRAGMA journal_mode"), HoldsValue(std::string("wal")));
  EXPECT_THAT(QueryText(*tx, "PRAGMA foreign_keys"), HoldsValue(std::string("1")));
  EXPECT_THAT(QueryText(*tx, "PRAGMA synchronous"), HoldsValue(std::string("2")));  // FULL
}

TEST_F(SqliteDirectoryTest, MigrationsAreRecordedAndReopeningChangesNothing) {
  const std::vector<Migration>& all = Migrations();
  ASSERT_FALSE(all.empty());
  std::vector<std::string> recorded;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Open());
    EXPECT_THAT(db->SchemaVersion(), HoldsValue(all.back().version));
    ASSERT_OK(AddStructure(*db, "Persistante"));
    ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kRead));
    Stmt st(SqliteTx::ConnOf(*tx),
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
    while (st.Step()) {
      recorded.push_back(std::to_string(st.Int64(0)) + " " + st.Text(1) + " " +
                         std::to_string(st.Int64(2)));
    }
    ASSERT_OK(st.status());
  }
  ASSERT_EQ(recorded.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_THAT(recorded[i], ::testing::StartsWith(std::to_string(all[i].version) + " " +
                                                   std::string(all[i].name) + " "));
  }

  ASSERT_OK_AND_ASSIGN(auto db, Open());
  EXPECT_THAT(db->SchemaVersion(), HoldsValue(all.back().version));
  ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kRead));
  Stmt st(SqliteTx::ConnOf(*tx),
          "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
  std::vector<std::string> again;
  while (st.Step()) {
    again.push_back(std::to_string(st.Int64(0)) + " " + st.Text(1) + " " +
                    std::to_string(st.Int64(2)));
  }
  ASSERT_OK(st.status());
  EXPECT_EQ(again, recorded);
  SqliteDirectoryRepository repo;
  EXPECT_THAT(repo.FindStructureByName(*tx, "Persistante"), HoldsValue(Optional(::testing::_)));
}

TEST_F(SqliteDirectoryTest, DatabaseFromANewerVersionIsRefused) {
  {
    ASSERT_OK_AND_ASSIGN(auto db, Open());
    ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kWrite));
    Stmt st(SqliteTx::ConnOf(*tx),
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, 0)");
    st.Bind(1, int64_t{Migrations().back().version + 1}).Bind(2, std::string_view("future"));
    ASSERT_OK(st.Run());
    ASSERT_OK(tx->Commit());
  }
  EXPECT_THAT(Open(), StatusIs(Code::kFailedPrecondition, HasSubstr("newer")));
}

TEST_F(SqliteDirectoryTest, ConcurrentWritersWaitInsteadOfFailing) {
  // Two databases on one file, as two processes would have: each thread commits
  // transactions that hold the write lock for a while, so that the other one's
  // BEGIN IMMEDIATE must wait for it.
  int64_t sid = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto db, Open());
    ASSERT_OK_AND_ASSIGN(sid, AddStructure(*db, "Concurrente"));
  }
  constexpr int kTxPerThread = 8;
  constexpr int kAccountsPerTx = 10;
  auto writer = [&](int thread, Status* result) {
    Result<std::unique_ptr<SqliteDatabase>> db = Open();
    if (!db.ok()) {
      *result = db.status();
      return;
    }
    SqliteDirectoryRepository repo;
    for (int t = 0; t < kTxPerThread; ++t) {
      Result<std::unique_ptr<storage::Tx>> tx = (*db)->Begin(TxMode::kWrite);
      if (!tx.ok()) {
        *result = tx.status();
        return;
      }
      for (int i = 0; i < kAccountsPerTx; ++i) {
        std::string address = "w" + std::to_string(thread) + "." + std::to_string(t) + "." +
                              std::to_string(i) + "@x.fr";
        Result<int64_t> id = repo.InsertAccount(**tx, Person(sid, address));
        if (!id.ok()) {
          *result = id.status();
          return;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      Status st = (*tx)->Commit();
      if (!st.ok()) {
        *result = st;
        return;
      }
    }
  };
  Status r1, r2;
  std::thread t1(writer, 1, &r1);
  std::thread t2(writer, 2, &r2);
  t1.join();
  t2.join();
  EXPECT_OK(r1);
  EXPECT_OK(r2);

  ASSERT_OK_AND_ASSIGN(auto db, Open());
  ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kRead));
  SqliteDirectoryRepository repo;
  directory::AccountFilter all;
  all.limit = 10000;
  ASSERT_OK_AND_ASSIGN(std::vector<Account> accounts, repo.ListAccounts(*tx, all));
  EXPECT_EQ(accounts.size(), size_t{2 * kTxPerThread * kAccountsPerTx});
}

TEST_F(SqliteDirectoryTest, WriterGivesUpWithUnavailableAfterTheBusyTimeout) {
  ASSERT_OK_AND_ASSIGN(auto holder, Open());
  ASSERT_OK_AND_ASSIGN(auto impatient, Open(/*busy_timeout_ms=*/50));
  ASSERT_OK_AND_ASSIGN(auto held, holder->Begin(TxMode::kWrite));
  EXPECT_THAT(impatient->Begin(TxMode::kWrite), StatusIs(Code::kUnavailable));
  // Readers are not blocked by the writer.
  EXPECT_THAT(impatient->Begin(TxMode::kRead), IsOk());
}

TEST_F(SqliteDirectoryTest, GarbageFileIsReportedAsDataLoss) {
  {
    std::ofstream out(path(), std::ios::binary);
    std::mt19937 rng(42);
    for (int i = 0; i < 64 * 1024; ++i) out.put(static_cast<char>(rng() & 0xFF));
  }
  EXPECT_THAT(Open(),
              StatusIs(Code::kDataLoss, AllOf(HasSubstr(path()), HasSubstr("not a database"))));
}

// Writes pseudo-random bytes over [from, end of file).
void Scribble(const std::string& file, std::streamoff from) {
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(0, std::ios::end);
  const std::streamoff size = f.tellg();
  std::mt19937 rng(7);
  f.seekp(from);
  for (std::streamoff i = from; i < size; ++i) f.put(static_cast<char>(rng() & 0xFF));
}

// Fills a database with enough accounts that their pages lie far past the schema
// and the tables' root pages, then closes it (which checkpoints the WAL).
void Fill(SqliteDatabase& db, int64_t structure_id, int n) {
  SqliteDirectoryRepository repo;
  ASSERT_OK_AND_ASSIGN(auto tx, db.Begin(TxMode::kWrite));
  for (int i = 0; i < n; ++i) {
    Account a;
    a.structure_id = structure_id;
    a.get(Field::kAddress) = "p" + std::to_string(i) + "@x.fr";
    a.get(Field::kNom) = "NOM" + std::to_string(i);
    a.get(Field::kPrenom) = "Prénom";
    ASSERT_OK(repo.InsertAccount(*tx, a));
  }
  ASSERT_OK(tx->Commit());
}

TEST_F(SqliteDirectoryTest, DamagedSchemaIsReportedAtOpen) {
  {
    ASSERT_OK_AND_ASSIGN(auto db, Open());
    ASSERT_OK_AND_ASSIGN(int64_t sid, AddStructure(*db, "Abîmée"));
    ASSERT_NO_FATAL_FAILURE(Fill(*db, sid, 500));
  }
  Scribble(path(), 4096);  // everything after page 1, including the rest of the schema
  EXPECT_THAT(Open(), StatusIs(Code::kDataLoss, AllOf(HasSubstr(path()), HasSubstr("malformed"))));
}

TEST_F(SqliteDirectoryTest, DamagedDataPagesAreReportedAsDataLoss) {
  {
    ASSERT_OK_AND_ASSIGN(auto db, Open());
    ASSERT_OK_AND_ASSIGN(int64_t sid, AddStructure(*db, "Abîmée"));
    ASSERT_NO_FATAL_FAILURE(Fill(*db, sid, 10000));
  }
  // The schema and the root pages of every table and index (a few hundred pages
  // once the mail store's tables exist) come first in a new file; the accounts'
  // leaves are far behind them.
  Scribble(path(), 512 * 4096);
  ASSERT_OK_AND_ASSIGN(auto db, Open());
  ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kRead));
  SqliteDirectoryRepository repo;
  directory::AccountFilter all;
  all.limit = 100000;
  EXPECT_THAT(repo.ListAccounts(*tx, all), StatusIs(Code::kDataLoss, HasSubstr("malformed")));
}

TEST_F(SqliteDirectoryTest, QueriesUseTheirIndexes) {
  ASSERT_OK_AND_ASSIGN(auto db, Open());
  ASSERT_OK_AND_ASSIGN(int64_t sid, AddStructure(*db, "Plans"));
  SqliteDirectoryRepository repo;
  ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kRead));

  ASSERT_OK(repo.AccountsExpiringBy(*tx, "2026-11-27"));
  EXPECT_THAT(PlanOf(*tx, "date_peremption <="),
              ElementsAre(HasSubstr("USING INDEX accounts_by_expiry")));

  directory::SearchQuery q;
  q.prefix = "ma";
  ASSERT_OK(repo.Search(*tx, q));
  EXPECT_THAT(PlanOf(*tx, "FROM account_search WHERE term"),
              AllOf(Contains(HasSubstr("USING PRIMARY KEY (term>? AND term<?)")),
                    Not(Contains(HasSubstr("TEMP B-TREE")))));
  q.structure_ids = {sid, sid + 1};
  ASSERT_OK(repo.Search(*tx, q));
  EXPECT_THAT(PlanOf(*tx, "WHERE structure_id = ?5 AND term"),
              AllOf(Contains(HasSubstr("USING COVERING INDEX account_search_by_structure "
                                       "(structure_id=? AND term>? AND term<?)")),
                    Not(Contains(HasSubstr("TEMP B-TREE")))));

  directory::AccountFilter f;
  f.structure_ids = {sid, sid + 1};
  ASSERT_OK(repo.ListAccounts(*tx, f));
  EXPECT_THAT(
      PlanOf(*tx, "WHERE structure_id = ?5 AND id > ?1"),
      AllOf(Contains(HasSubstr("accounts_by_structure")), Not(Contains(HasSubstr("TEMP B-TREE")))));

  ASSERT_OK(repo.MssLocalPartTaken(*tx, "jean.dupont", "a.mssante.fr", 0));
  EXPECT_THAT(PlanOf(*tx, "a.mss_address = ?1"), Contains(HasSubstr("accounts_by_mss")));
}

// A bulk import reads every stored address at once when the store is not much
// larger than its file: all of them, each with its id, structure, type and
// default mailbox; none when the store holds more than asked.
TEST_F(SqliteDirectoryTest, AllAccountBriefsReadsEveryAccountUpToAMaximum) {
  RightsSetup r;
  SetUpRights(&r);
  Account marie = Person(r.structure, "marie@chu.fr");
  marie.type = AccountType::kMed;
  marie.default_mailbox_id = r.mailbox;
  ASSERT_OK_AND_ASSIGN(int64_t marie_id, r.repo.InsertAccount(*r.tx, marie));
  ASSERT_OK_AND_ASSIGN(int64_t paul_id, r.repo.InsertAccount(*r.tx, Person(r.structure, "paul@chu.fr")));

  ASSERT_OK_AND_ASSIGN(auto all, r.repo.AllAccountBriefs(*r.tx, 3));
  ASSERT_TRUE(all.has_value());
  std::vector<std::string> seen;
  for (const directory::AccountBrief& b : *all) {
    seen.push_back(fmt::format("{} {} {} {} {}", b.id, b.address, b.structure_id,
                               directory::AccountTypeCode(b.type), b.default_mailbox_id));
  }
  std::sort(seen.begin(), seen.end());
  std::vector<std::string> expected = {
      fmt::format("{} secretariat@chu.fr {} ORG 0", r.mailbox, r.structure),
      fmt::format("{} marie@chu.fr {} MED {}", marie_id, r.structure, r.mailbox),
      fmt::format("{} paul@chu.fr {} PER 0", paul_id, r.structure)};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);

  ASSERT_OK_AND_ASSIGN(auto too_many, r.repo.AllAccountBriefs(*r.tx, 2));
  EXPECT_FALSE(too_many.has_value());
}

// A bulk import reads the stored accounts of a batch of rows with one query: the
// same accounts, every column, as FindAccount reads them one by one; ids that do
// not exist are left out; more ids than one statement takes are read too.
TEST_F(SqliteDirectoryTest, FindAccountsReadsWhatFindAccountReadsForManyIdsAtOnce) {
  ASSERT_OK_AND_ASSIGN(auto db, Open());
  ASSERT_OK_AND_ASSIGN(int64_t sid, AddStructure(*db, "CHU"));
  SqliteDirectoryRepository repo;
  ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kWrite));
  ASSERT_OK_AND_ASSIGN(int64_t first, repo.InsertAccounts(*tx, 150, [&](size_t i, Account* a) {
    *a = Person(sid, "p" + std::to_string(i) + "@chu.fr");
    a->get(Field::kNom) = "NOM " + std::to_string(i);
    a->get(Field::kVille) = i % 2 ? "Toulouse" : "";
    a->visible_in_directory = i % 3 == 0;
  }));
  std::vector<int64_t> ids = {first + 149, 0, -7, first + 150 + 40};  // three do not exist
  for (int64_t k = 0; k < 140; ++k) ids.push_back(first + k);
  ASSERT_OK_AND_ASSIGN(std::vector<Account> found, repo.FindAccounts(*tx, ids));
  ASSERT_EQ(found.size(), 141u);
  std::sort(found.begin(), found.end(),
            [](const Account& a, const Account& b) { return a.id < b.id; });
  for (size_t k = 0; k < found.size(); ++k) {
    const int64_t id = k < 140 ? first + static_cast<int64_t>(k) : first + 149;
    ASSERT_OK_AND_ASSIGN(std::optional<Account> one, repo.FindAccount(*tx, id));
    ASSERT_TRUE(one.has_value());
    EXPECT_EQ(found[k].id, id);
    EXPECT_EQ(found[k].fields, one->fields) << id;
    EXPECT_EQ(found[k].visible_in_directory, one->visible_in_directory) << id;
    EXPECT_EQ(found[k].structure_id, sid);
    EXPECT_EQ(found[k].created_at, one->created_at);
  }
  EXPECT_EQ(found[3].get(Field::kNom), "NOM 3");
  EXPECT_EQ(found[3].get(Field::kVille), "Toulouse");
  ASSERT_OK_AND_ASSIGN(found, repo.FindAccounts(*tx, std::vector<int64_t>{}));
  EXPECT_TRUE(found.empty());
}

TEST(PrefixSuccessorTest, IsTheNextStringAfterEveryExtension) {
  EXPECT_EQ(PrefixSuccessor("ab"), std::optional<std::string>("ac"));
  EXPECT_EQ(PrefixSuccessor("a\x7f"), std::optional<std::string>("a\xc2\x80"));
  EXPECT_EQ(PrefixSuccessor("\xc3\xa9"), std::optional<std::string>("\xc3\xaa"));  // é → ê
  EXPECT_EQ(PrefixSuccessor("\xed\x9f\xbf"),                                       // U+D7FF
            std::optional<std::string>("\xee\x80\x80"));                           // U+E000
  EXPECT_EQ(PrefixSuccessor("a\xf4\x8f\xbf\xbf"), std::optional<std::string>("b"));
  EXPECT_EQ(PrefixSuccessor("\xf4\x8f\xbf\xbf"), std::nullopt);
  EXPECT_EQ(PrefixSuccessor(""), std::nullopt);
}

TEST_F(SqliteDirectoryTest, BulkInsertGivesConsecutiveIdsAndIndexesEveryAccountForTheSearch) {
  ASSERT_OK_AND_ASSIGN(auto db, Open());
  ASSERT_OK_AND_ASSIGN(int64_t sid, AddStructure(*db, "CHU"));
  SqliteDirectoryRepository repo;
  std::vector<std::string> noms = {"Zoé", "Martin", "Ängström", "Durand", "Müller"};
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kWrite));
    ASSERT_OK(repo.InsertAccount(*tx, Person(sid, "deja@chu.fr")).status());
    ASSERT_OK_AND_ASSIGN(int64_t first, repo.InsertAccounts(*tx, 100, [&](size_t i, Account* a) {
      *a = Person(sid, "p" + std::to_string(i) + "@chu.fr");
      a->get(Field::kNom) = noms[i % noms.size()];
    }));
    ASSERT_OK(tx->Commit());
    ASSERT_OK_AND_ASSIGN(auto read, db->Begin(TxMode::kRead));
    ASSERT_OK_AND_ASSIGN(auto p99, repo.FindAccountByAddress(*read, "p99@chu.fr"));
    ASSERT_TRUE(p99.has_value());
    EXPECT_EQ(p99->id, first + 99);
    directory::SearchQuery q;
    q.prefix = "angs";
    ASSERT_OK_AND_ASSIGN(auto found, repo.Search(*read, q));
    EXPECT_EQ(found.size(), 20u);
    q.prefix = "p42@";
    ASSERT_OK_AND_ASSIGN(found, repo.Search(*read, q));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].id, first + 42);
  }
  // A taken address stops the bulk insert with the single insert's answer, and
  // the transaction, dropped, leaves nothing.
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db->Begin(TxMode::kWrite));
    EXPECT_THAT(repo.InsertAccounts(*tx, 2,
                                    [&](size_t i, Account* a) {
                                      *a = Person(sid, i ? "p7@chu.fr" : "nouveau@chu.fr");
                                    }),
                StatusIs(Code::kAlreadyExists));
  }
  ASSERT_OK_AND_ASSIGN(auto read, db->Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(auto none, repo.FindAccountByAddress(*read, "nouveau@chu.fr"));
  EXPECT_FALSE(none.has_value());
}

// The bulk paths (accounts, search terms, rights, the trail) write many rows a
// statement, each row's parameters numbered after the previous row's.
TEST(ManyRowsInsertSqlTest, NumbersEachRowsParametersAfterThePreviousRows) {
  std::vector<std::string> sql = ManyRowsInsertSql("INSERT INTO t (a, b, c) VALUES ", 3, 3);
  ASSERT_EQ(sql.size(), 4u);
  EXPECT_EQ(sql[0], "");
  EXPECT_EQ(sql[1], "INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3)");
  EXPECT_EQ(sql[3], "INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3), (?4, ?5, ?6), (?7, ?8, ?9)");
}

TEST_F(SqliteDirectoryTest, BulkRightsAreSortedAndARightThatExistsIsRefused) {
  RightsSetup setup;
  ASSERT_NO_FATAL_FAILURE(SetUpRights(&setup));
  auto& [db, repo, tx, sid, mailbox] = setup;
  ASSERT_OK_AND_ASSIGN(int64_t a, repo.InsertAccount(*tx, Person(sid, "a@chu.fr")));
  ASSERT_OK_AND_ASSIGN(int64_t b, repo.InsertAccount(*tx, Person(sid, "b@chu.fr")));
  ASSERT_OK(repo.InsertRights(*tx, {{mailbox, b, 1, "test"}, {mailbox, a, 1, "test"}}));
  ASSERT_OK_AND_ASSIGN(auto rights, repo.RightsOnMailbox(*tx, mailbox));
  ASSERT_EQ(rights.size(), 2u);
  EXPECT_EQ(rights[0].person_id, a);
  EXPECT_THAT(repo.InsertRights(*tx, {{mailbox, a, 2, "test"}}), StatusIs(Code::kAlreadyExists));
  EXPECT_THAT(repo.InsertRights(*tx, {{mailbox, 999, 2, "test"}}),
              StatusIs(Code::kFailedPrecondition));
}

TEST_F(SqliteDirectoryTest, BulkRightsOverSeveralStatementsAreAllWrittenWithTheirAuthor) {
  // 70 rights: written 32 to a statement, the last one with the 6 left.
  RightsSetup setup;
  ASSERT_NO_FATAL_FAILURE(SetUpRights(&setup));
  auto& [db, repo, tx, sid, mailbox] = setup;
  std::vector<directory::ConnectionRight> rights;
  for (int i = 0; i < 70; ++i) {
    ASSERT_OK_AND_ASSIGN(int64_t p, repo.InsertAccount(*tx, Person(sid, "p" + std::to_string(i) +
                                                                      "@chu.fr")));
    rights.push_back({mailbox, p, 100 + i, "import par " + std::to_string(i)});
  }
  std::reverse(rights.begin(), rights.end());
  ASSERT_OK(repo.InsertRights(*tx, rights));
  ASSERT_OK_AND_ASSIGN(auto stored, repo.RightsOnMailbox(*tx, mailbox));
  ASSERT_EQ(stored.size(), 70u);
  std::sort(rights.begin(), rights.end(),
            [](const auto& x, const auto& y) { return x.person_id < y.person_id; });
  std::sort(stored.begin(), stored.end(),
            [](const auto& x, const auto& y) { return x.person_id < y.person_id; });
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].person_id, rights[i].person_id);
    EXPECT_EQ(stored[i].created_at, rights[i].created_at);
    EXPECT_EQ(stored[i].created_by, rights[i].created_by);
  }
  // One taken right among many: refused, whichever statement it falls in.
  std::vector<directory::ConnectionRight> again = {rights[40]};
  EXPECT_THAT(repo.InsertRights(*tx, again), StatusIs(Code::kAlreadyExists));
}

}  // namespace
}  // namespace caduce::store_sqlite
