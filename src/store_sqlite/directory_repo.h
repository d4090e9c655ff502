// File: store_sqlite/directory_repo.h
//
// The SQLite implementation of directory::DirectoryRepository: structures,
// administrators, operators, accounts (one column per field of FIELDS.md, named
// after FieldSpec::key), connection rights, expiry and the autocomplete search.
// Every statement is a constant SQL text prepared once per connection (Stmt), with
// every value bound; nothing a caller gives is ever spliced into SQL. The search
// keeps folded terms (text::Fold) in account_search and answers a prefix with an
// index range scan that stops after the limit, so its cost does not grow with the
// number of accounts. Stateless: one instance may serve every thread, each with
// its own Tx.
#ifndef CADUCE_STORE_SQLITE_DIRECTORY_REPO_H_
#define CADUCE_STORE_SQLITE_DIRECTORY_REPO_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "directory/model.h"
#include "directory/repository.h"
#include "storage/database.h"

namespace caduce::store_sqlite {

// What a bulk insert of many new accounts sets aside until its rows are in
// (BeginInsertAccounts), read from sqlite_schema; also what the import
// benchmark's store floor sets aside, so that it writes as the import does.
// The account indexes it drops and builds again (name, CREATE statement): every
// secondary index created by a statement, except UNIQUE ones, whose check the
// inserts themselves must meet, partial ones (WHERE), which most rows skip at no
// cost while a build would scan the whole table, and the two whose entries the new
// rows append in order (ascending ids within a structure, never signed in), which
// costs less than scanning and sorting the table again.
inline constexpr char kBulkDeferredIndexesSql[] =
    "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'accounts' "
    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' AND sql NOT LIKE '% WHERE %' "
    "AND name NOT IN ('accounts_by_structure', 'accounts_by_structure_sign_in') ORDER BY name";
// The trigger that counts each inserted account (name, CREATE statement), dropped
// and created again once the counts of the new rows are added at once.
inline constexpr char kBulkDeferredTriggerSql[] =
    "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' "
    "AND name = 'account_counts_insert'";

// REQUIRES: every Tx given comes from a SqliteDatabase (store_sqlite/db.h).
//
// Besides the contract of directory/repository.h:
// - Write methods refuse a kRead Tx with kFailedPrecondition.
// - A reference to a structure or account that does not exist (structure_id,
//   default_mailbox_id, a right's or an administrator's ids) is kFailedPrecondition.
// - UpdateAccount keeps created_at as inserted; every other column is written.
// - Search caps q.limit at kMaxSearchResults; a limit <= 0 returns nothing.
// - ListAccounts returns nothing for a limit <= 0.
class SqliteDirectoryRepository final : public directory::DirectoryRepository {
 public:
  static constexpr int kMaxSearchResults = 50;

  SqliteDirectoryRepository() = default;

  Result<int64_t> InsertStructure(storage::Tx& tx, const directory::Structure& s) override;
  Result<std::optional<directory::Structure>> FindStructure(storage::Tx& tx, int64_t id) override;
  Result<std::optional<directory::Structure>> FindStructureByName(storage::Tx& tx,
                                                                  std::string_view name) override;
  Result<std::vector<directory::Structure>> ListStructures(storage::Tx& tx) override;

  Status AddAdministrator(storage::Tx& tx, int64_t person_id, int64_t structure_id) override;
  Result<std::vector<int64_t>> StructuresAdministeredBy(storage::Tx& tx,
                                                        int64_t person_id) override;
  Result<std::vector<int64_t>> AdministratorsOf(storage::Tx& tx, int64_t structure_id) override;
  Status SetOperator(storage::Tx& tx, int64_t person_id, bool is_operator) override;
  Result<bool> IsOperator(storage::Tx& tx, int64_t person_id) override;

  Result<int64_t> InsertAccount(storage::Tx& tx, const directory::Account& account) override;
  Status UpdateAccount(storage::Tx& tx, const directory::Account& account) override;
  Result<std::optional<directory::Account>> FindAccount(storage::Tx& tx, int64_t id) override;
  Result<std::vector<directory::Account>> FindAccounts(storage::Tx& tx,
                                                       std::span<const int64_t> ids) override;
  Result<std::optional<directory::AccountBrief>> FindAccountBrief(storage::Tx& tx,
                                                                 int64_t id) override;
  Result<std::optional<std::vector<directory::AccountBrief>>> AllAccountBriefs(
      storage::Tx& tx, size_t max) override;
  Result<std::optional<directory::AccountBrief>> FindAccountBriefByAddress(
      storage::Tx& tx, std::string_view address) override;
  Result<std::optional<directory::Account>> FindAccountByAddress(storage::Tx& tx,
                                                                 std::string_view address) override;
  Result<std::vector<directory::Account>> ListAccounts(storage::Tx& tx,
                                                       const directory::AccountFilter& f) override;
  Result<bool> MssLocalPartTaken(storage::Tx& tx, std::string_view local, std::string_view domain,
                                 int64_t except_id) override;

  Result<std::vector<directory::Account>> Search(storage::Tx& tx,
                                                 const directory::SearchQuery& q) override;
  // Capped at kMaxSearchResults like Search.
  Result<std::vector<directory::DirectoryEntry>> SearchDirectory(storage::Tx& tx,
                                                                 std::string_view prefix,
                                                                 int limit) override;
  Result<directory::AccountPage> ListAccountPage(storage::Tx& tx,
                                                 const directory::AccountPageQuery& q) override;
  Result<int64_t> LastSignIn(storage::Tx& tx, int64_t account_id) override;

  // Accounts inserted 16 per statement; the search terms of all of them are sorted
  // and written by Finish(), so that both indexes of account_search grow by appends
  // rather than by a random insertion per term. When `at_least` outnumbers the
  // accounts of the table, the indexes the rows do not come in the order of are
  // set aside and built again by Finish(). References between the accounts (a
  // default mailbox inserted later) are checked at commit.
  Result<std::unique_ptr<AccountBulkInsert>> BeginInsertAccounts(storage::Tx& tx,
                                                                size_t at_least) override;
  // The connection's page cache shrinks to 16 MiB until the returned function runs:
  // the pages of a bulk write are mostly appended to and not touched again.
  std::function<void()> BeginBulkWrite(storage::Tx& tx) override;
  // Sorted by (mailbox, person), the primary key's order.
  Status InsertRights(storage::Tx& tx, std::vector<directory::ConnectionRight> rights) override;

  Result<bool> InsertRight(storage::Tx& tx, const directory::ConnectionRight& right) override;
  Result<bool> DeleteRight(storage::Tx& tx, int64_t mailbox_id, int64_t person_id) override;
  Result<bool> HasRight(storage::Tx& tx, int64_t mailbox_id, int64_t person_id) override;
  Result<std::vector<directory::ConnectionRight>> RightsOnMailbox(storage::Tx& tx,
                                                                  int64_t mailbox_id) override;
  Result<std::vector<directory::ConnectionRight>> RightsOfPerson(storage::Tx& tx,
                                                                 int64_t person_id) override;
  Result<std::vector<int64_t>> PersonsWithDefault(storage::Tx& tx, int64_t mailbox_id) override;

  Status EnqueueNotification(storage::Tx& tx, int64_t account_id, std::string_view kind,
                             int64_t at) override;
  Result<int64_t> PendingNotifications(storage::Tx& tx, std::string_view kind,
                                       int64_t account_id) override;
  Result<std::vector<int64_t>> AccountsExpiringBy(storage::Tx& tx, std::string_view today) override;
};

// The smallest string greater than every string that starts with `prefix`, in
// byte (= code point) order, or nullopt when there is none (empty prefix, or one
// made only of U+10FFFF). REQUIRES: prefix is valid UTF-8. Exposed for tests.
std::optional<std::string> PrefixSuccessor(std::string_view prefix);

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_DIRECTORY_REPO_H_
