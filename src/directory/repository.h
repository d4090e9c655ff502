// File: directory/repository.h
//
// What the directory needs from a store. Implemented by store_sqlite/ (and later
// store_postgres/) and exercised by one contract suite, testing/directory_contract.h,
// against every backend. Methods take the caller's transaction; none commits.
// Every string is bound as a parameter, never spliced into SQL.
#ifndef CADUCE_DIRECTORY_REPOSITORY_H_
#define CADUCE_DIRECTORY_REPOSITORY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "directory/model.h"
#include "storage/database.h"

namespace caduce::directory {

struct AccountFilter {
  std::vector<int64_t> structure_ids;  // empty: every structure
  std::optional<AccountType> type;
  std::optional<AccountStatus> status;
  int64_t after_id = 0;  // keyset paging: accounts with id > after_id, ordered by id
  int limit = 1000;
};

struct SearchQuery {
  // A prefix of the address, of NOM or of Prénom (or "prénom nom" / "nom prénom"),
  // compared on folded text (text::Fold): case and accents ignored.
  std::string prefix;
  std::vector<int64_t> structure_ids;  // empty: every structure
  bool only_visible = false;           // only accounts visible in the directory
  bool only_nominative = false;        // only PER, INT and MED
  int limit = 50;
};

// One account as the directory (annuaire) shows it to any signed-in person: what
// a recipient suggestion needs, and nothing more (no identifiers, phones, status).
struct DirectoryEntry {
  int64_t id = 0;
  AccountType type = AccountType::kPer;
  std::string address, nom, prenom;
  std::string description;     // « Description fonctionnelle » (ORG/APP)
  std::string structure_name;  // the name of the account's structure
};

// One page of a structure's accounts for the administration list: filters, a
// sort key, offset paging and the total of matching accounts.
struct AccountPageQuery {
  enum class Sort : uint8_t { kAddress, kNom, kType, kStatus, kLastSignIn };
  int64_t structure_id = 0;
  // A prefix as SearchQuery::prefix ("" : every account).
  std::string prefix;
  std::vector<AccountType> types;        // empty: every type
  std::optional<AccountStatus> status;
  Sort sort = Sort::kAddress;
  bool descending = false;
  int64_t offset = 0;
  int limit = 50;
};

// The columns of the administration list.
struct AccountListItem {
  int64_t id = 0;
  AccountType type = AccountType::kPer;
  std::string address, nom, prenom, description;
  AccountStatus status = AccountStatus::kPending;
  std::string disabled_reason;
  bool visible_in_directory = false;
  int64_t last_sign_in = 0;  // microseconds since the epoch; 0: never
  std::string expires;       // "Date de péremption", "" when none
};

struct AccountPage {
  int64_t total = 0;  // accounts matching the filters, whatever the page
  std::vector<AccountListItem> items;
};

class DirectoryRepository {
 public:
  virtual ~DirectoryRepository() = default;

  // Structures. InsertStructure returns the new id; kAlreadyExists when the name is taken.
  virtual Result<int64_t> InsertStructure(storage::Tx& tx, const Structure& s) = 0;
  virtual Result<std::optional<Structure>> FindStructure(storage::Tx& tx, int64_t id) = 0;
  virtual Result<std::optional<Structure>> FindStructureByName(storage::Tx& tx,
                                                               std::string_view name) = 0;
  virtual Result<std::vector<Structure>> ListStructures(storage::Tx& tx) = 0;

  // Administrators and operators. AddAdministrator is idempotent.
  virtual Status AddAdministrator(storage::Tx& tx, int64_t person_id, int64_t structure_id) = 0;
  virtual Result<std::vector<int64_t>> StructuresAdministeredBy(storage::Tx& tx,
                                                                int64_t person_id) = 0;
  virtual Result<std::vector<int64_t>> AdministratorsOf(storage::Tx& tx,
                                                        int64_t structure_id) = 0;
  virtual Status SetOperator(storage::Tx& tx, int64_t person_id, bool is_operator) = 0;
  virtual Result<bool> IsOperator(storage::Tx& tx, int64_t person_id) = 0;

  // Accounts. InsertAccount returns the new id (account.id is ignored);
  // kAlreadyExists when the address is taken. UpdateAccount writes every column of
  // `account` (found by account.id); kNotFound when there is none.
  virtual Result<int64_t> InsertAccount(storage::Tx& tx, const Account& account) = 0;
  virtual Status UpdateAccount(storage::Tx& tx, const Account& account) = 0;
  virtual Result<std::optional<Account>> FindAccount(storage::Tx& tx, int64_t id) = 0;
  virtual Result<std::optional<Account>> FindAccountByAddress(storage::Tx& tx,
                                                              std::string_view address) = 0;
  // The brief of an account (no field columns read), or nullopt.
  virtual Result<std::optional<AccountBrief>> FindAccountBrief(storage::Tx& tx, int64_t id) = 0;
  virtual Result<std::optional<AccountBrief>> FindAccountBriefByAddress(
      storage::Tx& tx, std::string_view address) = 0;
  virtual Result<std::vector<Account>> ListAccounts(storage::Tx& tx, const AccountFilter& f) = 0;
  // The accounts among `ids` that exist, in no particular order (an id given twice
  // may come back once or twice): what FindAccount gives for each, in one query for
  // many (an import reads the stored accounts of a batch of rows at once). Default:
  // FindAccount for each id.
  virtual Result<std::vector<Account>> FindAccounts(storage::Tx& tx,
                                                    std::span<const int64_t> ids) {
    std::vector<Account> out;
    for (int64_t id : ids) {
      Result<std::optional<Account>> a = FindAccount(tx, id);
      if (!a.ok()) return a.status();
      if (*a) out.push_back(std::move(**a));
    }
    return out;
  }
  // The brief of every account, read in one pass, when the store holds at most
  // `max` accounts; std::nullopt when it holds more. For a bulk import, which asks
  // whether each of its addresses is taken: one pass instead of as many lookups.
  // Default: std::nullopt (a store that cannot tell cheaply).
  virtual Result<std::optional<std::vector<AccountBrief>>> AllAccountBriefs(storage::Tx&,
                                                                            size_t max) {
    (void)max;
    return std::optional<std::vector<AccountBrief>>();
  }
  // True when an account other than `except_id` has MSSanté local part `local` in a
  // structure whose MSSanté domain is `domain`.
  virtual Result<bool> MssLocalPartTaken(storage::Tx& tx, std::string_view local,
                                         std::string_view domain, int64_t except_id) = 0;

  // At most q.limit accounts whose folded address, NOM, Prénom, "prénom nom" or
  // "nom prénom" starts with the folded q.prefix, ordered by the matching term.
  virtual Result<std::vector<Account>> Search(storage::Tx& tx, const SearchQuery& q) = 0;

  // At most `limit` accounts of every structure that are visible in the directory
  // and not disabled, whose folded address, NOM, Prénom, "prénom nom" or "nom
  // prénom" starts with the folded `prefix` (compared as text: no character is a
  // wildcard), ordered by the matching term, then id. Default: Search() with
  // only_visible, disabled accounts dropped afterwards (it may then return fewer
  // than `limit`); a backend should filter while it walks its index instead.
  virtual Result<std::vector<DirectoryEntry>> SearchDirectory(storage::Tx& tx,
                                                              std::string_view prefix, int limit) {
    SearchQuery q;
    q.prefix = std::string(prefix);
    q.only_visible = true;
    q.limit = limit;
    CADUCE_TRY(std::vector<Account> found, Search(tx, q));
    std::vector<DirectoryEntry> out;
    for (const Account& a : found) {
      if (a.status == AccountStatus::kDisabled || !a.visible_in_directory) continue;
      CADUCE_TRY(std::optional<Structure> s, FindStructure(tx, a.structure_id));
      out.push_back(DirectoryEntry{a.id, a.type, a.address(), a.get(Field::kNom),
                                   a.get(Field::kPrenom), a.get(Field::kDescription),
                                   s ? s->name : std::string()});
    }
    return out;
  }

  // One page of the administration list (see AccountPageQuery).
  virtual Result<AccountPage> ListAccountPage(storage::Tx& tx, const AccountPageQuery& q) = 0;
  // When the person last signed in (microseconds), 0 when never.
  virtual Result<int64_t> LastSignIn(storage::Tx& tx, int64_t account_id) = 0;

  // Connection rights. InsertRight returns false when the right already existed;
  // DeleteRight returns false when there was none.
  virtual Result<bool> InsertRight(storage::Tx& tx, const ConnectionRight& right) = 0;
  virtual Result<bool> DeleteRight(storage::Tx& tx, int64_t mailbox_id, int64_t person_id) = 0;
  virtual Result<bool> HasRight(storage::Tx& tx, int64_t mailbox_id, int64_t person_id) = 0;
  // The rights on one ORG/APP mailbox, ordered by person id.
  virtual Result<std::vector<ConnectionRight>> RightsOnMailbox(storage::Tx& tx,
                                                               int64_t mailbox_id) = 0;
  // The rights one person holds, ordered by mailbox id.
  virtual Result<std::vector<ConnectionRight>> RightsOfPerson(storage::Tx& tx,
                                                              int64_t person_id) = 0;
  // Nominative accounts whose default mailbox is `mailbox_id`.
  virtual Result<std::vector<int64_t>> PersonsWithDefault(storage::Tx& tx,
                                                          int64_t mailbox_id) = 0;

  // ---- Bulk writes (an import applied from its plan, import_export/plan_repository.h) ----

  // New accounts inserted in bulk, over several calls (an import applied from its
  // plan hands them over as its rows are accepted): Add() inserts the next
  // `count`, the i-th being what fill(i, &account) leaves in `account` (its id is
  // ignored), each as InsertAccount would, each with the id following the
  // previous one's (kInternal when the store cannot give consecutive ids).
  // Finish() writes what the backend derives from them in one sorted pass
  // (search terms, indexes set aside) and returns the first one's id (0 when none
  // was added). Until Finish() returned, the accounts are not all searchable:
  // nothing else is read in `tx` meanwhile. REQUIRES: used in the `tx` it was
  // begun in, one thread at a time.
  class AccountBulkInsert {
   public:
    virtual ~AccountBulkInsert() = default;
    virtual Status Add(size_t count, const std::function<void(size_t, Account*)>& fill) = 0;
    virtual Result<int64_t> Finish() = 0;
  };
  // `at_least` accounts will be added (more may come): a backend may choose how it
  // writes by it. Default: InsertAccount for each.
  virtual Result<std::unique_ptr<AccountBulkInsert>> BeginInsertAccounts(storage::Tx& tx,
                                                                        size_t at_least);
  // Begin, Add and Finish in one call: returns the first id.
  Result<int64_t> InsertAccounts(storage::Tx& tx, size_t count,
                                 const std::function<void(size_t, Account*)>& fill) {
    CADUCE_TRY(std::unique_ptr<AccountBulkInsert> bulk, BeginInsertAccounts(tx, count));
    CADUCE_RETURN_IF_ERROR(bulk->Add(count, fill));
    return bulk->Finish();
  }
  // A bulk writer (an import applied from its plan) holds much in memory itself and
  // is about to write many rows in `tx`: the store may use less memory of its own
  // meanwhile (a smaller page cache). Returns what ends it, to be called while `tx`
  // is open (empty when there is nothing to end). Default: nothing.
  virtual std::function<void()> BeginBulkWrite(storage::Tx&) { return {}; }
  // Inserts rights that do not exist yet (kAlreadyExists otherwise), in any order.
  // Default: InsertRight for each.
  virtual Status InsertRights(storage::Tx& tx, std::vector<ConnectionRight> rights) {
    for (const ConnectionRight& r : rights) {
      CADUCE_TRY(bool inserted, InsertRight(tx, r));
      if (!inserted) return AlreadyExistsError("the connection right already exists");
    }
    return OkStatus();
  }

  // Queues a message for an account ("activation": the link to set a password,
  // sent by the mail part; DESIGN.md rule 6). Written in the caller's transaction.
  virtual Status EnqueueNotification(storage::Tx& tx, int64_t account_id, std::string_view kind,
                                     int64_t at) = 0;
  // Number of queued messages of `kind` not sent yet, for `account_id` (0: any).
  virtual Result<int64_t> PendingNotifications(storage::Tx& tx, std::string_view kind,
                                               int64_t account_id) = 0;

  // Ids of accounts not yet disabled whose "Date de péremption" is on or before
  // `today` ("YYYY-MM-DD").
  virtual Result<std::vector<int64_t>> AccountsExpiringBy(storage::Tx& tx,
                                                          std::string_view today) = 0;
};

}  // namespace caduce::directory

#endif  // CADUCE_DIRECTORY_REPOSITORY_H_
