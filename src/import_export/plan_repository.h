// File: import_export/plan_repository.h
//
// The store an import's dry run plans against. PlanRepository is a
// directory::DirectoryRepository that reads through to the real store and keeps
// every write in memory: the accounts the import would create or change, the
// rights it would grant or revoke, the messages it would queue. The dry run runs
// the very same planner (the importer and DirectoryService, every rule of
// directory/) over it, so its report is exactly the import's, without the cost of
// writing 100,000 rows, their indexes and their audit entries only to roll them
// back. Nothing reaches the database: the base repository is only read.
//
// New accounts get the ids the store would give them (one past the largest id, in
// order), so that every ordering by id is the store's. Mark() and RollbackTo() are
// the plan's savepoints: the importer undoes a rejected row's writes with them.
//
// WriteTo() writes the plan to the store for good, in bulk: the new accounts in id
// order (the store's bulk path sorts their search terms), the changed ones, the
// rights revoked and granted, the messages queued. An import applies its plan so,
// instead of writing row by row with a savepoint each.
//
// Answers only what an import asks: Search and ListAccountPage (the autocomplete
// and the administration list, which need the search terms) are refused with
// kFailedPrecondition, and so are writes to structures, administrators and
// operators. Not thread-safe: one plan serves one import; only the jobs of
// StreamNewAccounts run on another thread.
#ifndef CADUCE_IMPORT_EXPORT_PLAN_REPOSITORY_H_
#define CADUCE_IMPORT_EXPORT_PLAN_REPOSITORY_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "audit/audit_log.h"
#include "base/status.h"
#include "directory/model.h"
#include "directory/repository.h"
#include "storage/database.h"

namespace caduce::import_export {

class PlanRepository final : public directory::DirectoryRepository {
 public:
  // `base` is read in the caller's transactions and never written.
  explicit PlanRepository(directory::DirectoryRepository& base) : base_(base) {}

  // Room for about `accounts` new or changed accounts, made at once rather than by
  // growing the plan's tables (each growth rehashes every entry).
  // (The flat address table grows by itself: see rows_by_address_ in importer.cc.)
  void Reserve(size_t accounts) { accounts_.reserve(accounts); }

  // Reads the brief of every stored account at once when the store holds at most
  // `max` (a bulk import next to a store of its size): StoredBrief then answers
  // from memory. Otherwise each address is looked up in the store as asked.
  // REQUIRES: `tx` is the transaction the plan is made in, and sees the store as
  // every later call does.
  Status LoadStoredBriefs(storage::Tx& tx, size_t max);

  // Reads at once the stored accounts that `addresses` name (a batch of rows about
  // to be planned), in place of those read by the last call: the plan's reads of
  // those accounts then come from memory, one query for the batch instead of one
  // a row. Only after LoadStoredBriefs read the briefs (which tell which addresses
  // are stored, and their ids); otherwise does nothing. Accounts the plan wrote are
  // not read: the plan's copy is the one it sees.
  // REQUIRES: as LoadStoredBriefs.
  Status PrefetchStored(storage::Tx& tx, std::span<const std::string_view> addresses);

  // A point the plan can come back to: RollbackTo(mark) undoes every write made
  // since Mark() returned it. REQUIRES: marks are rolled back in reverse order.
  size_t Mark() const { return undo_.size(); }
  void RollbackTo(size_t mark);
  // Keeps the writes since `mark` for good (a row that was accepted): their undo
  // entries are dropped, so that a plan of 100,000 rows holds no undo log.
  // REQUIRES: no mark older than `mark` is rolled back to afterwards.
  void Forget(size_t mark) { undo_.resize(std::min(mark, undo_.size())); }

  // Writes every planned change to the store in `tx` (see above): the store then
  // holds what the rows, written one by one through the service, would have left.
  // REQUIRES: tx is a write transaction begun before the plan's first read (the
  // plan read the store tx writes to), in which the jobs of StreamNewAccounts ran.
  // The plan is consumed (its copies are let go as they are written): it answers
  // nothing afterwards. A store failure is returned as is (the caller's transaction is
  // then rolled back).
  Status WriteTo(storage::Tx& tx);

  // Streaming, for an import whose writer runs beside the planner: the new
  // accounts that no savepoint can take back any more, as a job that inserts them
  // in the store's write transaction (run on the writer's thread, jobs in the
  // order they were made; WriteTo then inserts the rest and finishes). No job
  // (empty) until kStreamBatch wait and the new accounts outnumber the store's,
  // so that the store may set its indexes aside (BeginInsertAccounts). The plan
  // keeps its copies, which the planner still reads and nothing changes any more:
  // an update of a streamed account fails (kInternal). REQUIRES: called between
  // rows (no mark pending).
  static constexpr int64_t kStreamBatch = 1024;
  std::function<Status(storage::Tx&)> StreamNewAccounts();

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
  Result<std::optional<directory::Account>> FindAccountByAddress(storage::Tx& tx,
                                                                 std::string_view address) override;
  Result<std::optional<directory::AccountBrief>> FindAccountBrief(storage::Tx& tx,
                                                                 int64_t id) override;
  Result<std::optional<directory::AccountBrief>> FindAccountBriefByAddress(
      storage::Tx& tx, std::string_view address) override;
  Result<std::vector<directory::Account>> ListAccounts(storage::Tx& tx,
                                                       const directory::AccountFilter& f) override;
  Result<bool> MssLocalPartTaken(storage::Tx& tx, std::string_view local, std::string_view domain,
                                 int64_t except_id) override;

  Result<std::vector<directory::Account>> Search(storage::Tx& tx,
                                                 const directory::SearchQuery& q) override;
  Result<directory::AccountPage> ListAccountPage(storage::Tx& tx,
                                                 const directory::AccountPageQuery& q) override;
  Result<int64_t> LastSignIn(storage::Tx& tx, int64_t account_id) override;

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

 private:
  using RightKey = std::pair<int64_t, int64_t>;  // (mailbox, person) or (person, mailbox)

  // An account written in the plan, kept compact: its fields length-prefixed in
  // one string (a plan of 100,000 new accounts stays within a few tens of MiB).
  struct Stored {
    int64_t id = 0;
    int64_t structure_id = 0;
    directory::AccountType type = directory::AccountType::kPer;
    directory::AccountStatus status = directory::AccountStatus::kPending;
    bool visible_in_directory = false;
    bool has_password = false;
    int64_t default_mailbox_id = 0;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    std::string disabled_reason;
    std::string packed;  // (uint32 length, bytes) for each field in order

    static Stored Of(const directory::Account& a);
    directory::Account ToAccount() const;
    // The same into `a`, reusing its strings' buffers.
    void Fill(directory::Account* a) const;
    std::string_view Get(directory::Field f) const;
    directory::AccountBrief Brief() const;
  };

  // The first id a new account gets: one past the largest id of the store.
  Result<int64_t> FirstNewId(storage::Tx& tx);
  bool IsNew(int64_t id) const { return first_new_id_ && id >= *first_new_id_; }
  // The account as the plan sees it (written in the plan, else the store's).
  Result<std::optional<directory::Account>> Current(storage::Tx& tx, int64_t id);
  Result<bool> Exists(storage::Tx& tx, int64_t id);
  Result<bool> StructureExists(storage::Tx& tx, int64_t id);
  Result<std::string> DomainOf(storage::Tx& tx, int64_t structure_id);
  Result<bool> AddressTaken(storage::Tx& tx, const std::string& address, int64_t except_id);
  // The store's account with `address`: the store is not written while the plan is
  // made, so the answer for the address asked last is kept (a new row's address is
  // asked by the importer, then again by InsertAccount).
  Result<std::optional<directory::AccountBrief>> StoredBrief(storage::Tx& tx,
                                                             std::string_view address);
  // Makes `s` the plan's copy of account s.id, with its undo entry.
  void Put(Stored s);
  // Drops what LoadStoredBriefs and PrefetchStored read.
  void ForgetStored();
  void Index(const Stored& s);
  void Unindex(const Stored& s);
  const Stored* Written(int64_t id) const {
    auto it = accounts_.find(id);
    return it == accounts_.end() ? nullptr : &it->second;
  }

  directory::DirectoryRepository& base_;
  std::optional<int64_t> first_new_id_;
  int64_t next_id_ = 0;
  // New accounts below this id went to the store (StreamNewAccounts), through
  // `bulk_`, which only the writer's jobs and then WriteTo use.
  int64_t streamed_end_ = 0;
  std::unique_ptr<directory::DirectoryRepository::AccountBulkInsert> bulk_;
  std::unordered_map<int64_t, Stored> accounts_;  // written in the plan
  // Keyed by text, looked up by string_view without building a string.
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using TextMap = std::unordered_map<std::string, V, TextHash, std::equal_to<>>;
  // Their addresses: asked for every row and every connection account, hence a
  // flat table (one probe of a contiguous group, no node to follow, no division).
  boost::unordered_flat_map<std::string, int64_t, TextHash, std::equal_to<>> addresses_;
  std::string last_address_;  // StoredBrief's last question and answer
  std::optional<std::optional<directory::AccountBrief>> last_brief_;
  // Every stored account's brief by id, and its id by address, when
  // LoadStoredBriefs read them (stored_loaded_).
  bool stored_loaded_ = false;
  boost::unordered_flat_map<int64_t, directory::AccountBrief> stored_by_id_;
  boost::unordered_flat_map<std::string, int64_t, TextHash, std::equal_to<>> stored_ids_;
  // The stored accounts PrefetchStored read last, by id.
  boost::unordered_flat_map<int64_t, directory::Account> prefetched_;
  // MSSanté local part → plan accounts holding it; and the store accounts the plan
  // changed whose stored account held it.
  TextMap<std::set<int64_t>> mss_;
  TextMap<std::set<int64_t>> replaced_mss_;
  std::map<RightKey, directory::ConnectionRight> granted_;  // by (mailbox, person)
  std::set<RightKey> granted_by_person_;                    // (person, mailbox)
  std::set<RightKey> revoked_;  // store rights the plan deleted, (mailbox, person)
  // (kind, account) → when each message was queued.
  std::map<std::pair<std::string, int64_t>, std::vector<int64_t>> notifications_;
  std::unordered_map<int64_t, std::optional<directory::Structure>> structures_;
  std::vector<std::function<void()>> undo_;
};

// The trail of a plan, which keeps no chain. A dry run's drops every entry; an
// applied import's collects the events in order (collect = true), so that the
// importer appends those of accepted rows to the real trail; Mark and RollbackTo
// are the plan's savepoints, as PlanRepository's.
class PlanAuditRepository final : public audit::AuditRepository {
 public:
  explicit PlanAuditRepository(bool collect) : collect_(collect) {}

  size_t Mark() const { return events_.size(); }
  void RollbackTo(size_t mark) {
    if (mark < events_.size()) events_.erase(events_.begin() + static_cast<ptrdiff_t>(mark), events_.end());
  }
  // The events collected so far, in order; the collection starts again empty.
  std::vector<audit::Event> Take() { return std::exchange(events_, {}); }

  Result<std::optional<audit::Entry>> Last(storage::Tx&) override {
    return std::optional<audit::Entry>();
  }
  Status Insert(storage::Tx&, const audit::Entry& entry) override {
    if (collect_) events_.push_back(entry.event);
    return OkStatus();
  }
  Status Scan(storage::Tx&, const std::function<bool(const audit::Entry&)>&) override {
    return OkStatus();
  }
  Result<std::vector<audit::Entry>> Query(storage::Tx&, const audit::Filter&) override {
    return std::vector<audit::Entry>();
  }
  bool KeepsEntries() const override { return false; }
  bool DropsEntries() const override { return !collect_; }

 private:
  bool collect_;
  std::vector<audit::Event> events_;
};

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_PLAN_REPOSITORY_H_
