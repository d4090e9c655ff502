// The dry run's store: reads go through to the real store, writes stay in memory
// with an undo log (the plan's savepoints). Each write checks what the store's
// constraints check (unique address, existing structure and accounts), with the
// same codes, so that the planner meets the same refusals as the real import.
#include "import_export/plan_repository.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace caduce::import_export {
namespace {

using directory::Account;
using directory::AccountBrief;
using directory::ConnectionRight;
using directory::Field;
using directory::Structure;

// The plan's own writes stay in memory: they take any transaction (an applied
// import plans in a read transaction, a snapshot of the store, while a thread of
// its own holds the write one). Only WriteTo writes to the store.
Status RequireWrite(storage::Tx& tx, std::string_view what) {
  if (tx.mode() != storage::TxMode::kWrite) {
    return FailedPreconditionError(fmt::format("{} needs a write transaction", what));
  }
  return OkStatus();
}

Status Refused(std::string_view what) {
  return FailedPreconditionError(
      fmt::format("{} is not available while an import is planned", what));
}

}  // namespace

PlanRepository::Stored PlanRepository::Stored::Of(const Account& a) {
  Stored s;
  s.id = a.id;
  s.structure_id = a.structure_id;
  s.type = a.type;
  s.status = a.status;
  s.visible_in_directory = a.visible_in_directory;
  s.has_password = a.has_password;
  s.default_mailbox_id = a.default_mailbox_id;
  s.created_at = a.created_at;
  s.updated_at = a.updated_at;
  s.disabled_reason = a.disabled_reason;
  size_t size = 0;
  for (const std::string& v : a.fields) size += sizeof(uint32_t) + v.size();
  s.packed.reserve(size);
  for (const std::string& v : a.fields) {
    uint32_t len = static_cast<uint32_t>(v.size());
    s.packed.append(reinterpret_cast<const char*>(&len), sizeof len);
    s.packed.append(v);
  }
  return s;
}

std::string_view PlanRepository::Stored::Get(Field f) const {
  size_t at = 0;
  for (size_t i = 0;; ++i) {
    uint32_t len;
    std::memcpy(&len, packed.data() + at, sizeof len);
    if (i == directory::FieldIndex(f)) return std::string_view(packed).substr(at + sizeof len, len);
    at += sizeof len + len;
  }
}

Account PlanRepository::Stored::ToAccount() const {
  Account a;
  Fill(&a);
  return a;
}

void PlanRepository::Stored::Fill(Account* a) const {
  a->id = id;
  a->structure_id = structure_id;
  a->type = type;
  a->status = status;
  a->visible_in_directory = visible_in_directory;
  a->has_password = has_password;
  a->default_mailbox_id = default_mailbox_id;
  a->created_at = created_at;
  a->updated_at = updated_at;
  a->disabled_reason = disabled_reason;
  size_t at = 0;
  for (std::string& v : a->fields) {
    uint32_t len;
    std::memcpy(&len, packed.data() + at, sizeof len);
    v.assign(packed, at + sizeof len, len);
    at += sizeof len + len;
  }
}

AccountBrief PlanRepository::Stored::Brief() const {
  return AccountBrief{id, structure_id, type, std::string(Get(Field::kAddress)),
                      default_mailbox_id};
}

void PlanRepository::RollbackTo(size_t mark) {
  while (undo_.size() > mark) {
    undo_.back()();
    undo_.pop_back();
  }
}

// ---- Structures, administrators, operators: read from the store -------------------

Result<int64_t> PlanRepository::InsertStructure(storage::Tx&, const Structure&) {
  return Refused("creating a structure");
}

Result<std::optional<Structure>> PlanRepository::FindStructure(storage::Tx& tx, int64_t id) {
  auto it = structures_.find(id);
  if (it != structures_.end()) return it->second;
  CADUCE_TRY(std::optional<Structure> s, base_.FindStructure(tx, id));
  structures_.emplace(id, s);
  return s;
}

Result<std::optional<Structure>> PlanRepository::FindStructureByName(storage::Tx& tx,
                                                                    std::string_view name) {
  return base_.FindStructureByName(tx, name);
}

Result<std::vector<Structure>> PlanRepository::ListStructures(storage::Tx& tx) {
  return base_.ListStructures(tx);
}

Status PlanRepository::AddAdministrator(storage::Tx&, int64_t, int64_t) {
  return Refused("adding an administrator");
}

Result<std::vector<int64_t>> PlanRepository::StructuresAdministeredBy(storage::Tx& tx,
                                                                      int64_t person_id) {
  return base_.StructuresAdministeredBy(tx, person_id);
}

Result<std::vector<int64_t>> PlanRepository::AdministratorsOf(storage::Tx& tx,
                                                              int64_t structure_id) {
  return base_.AdministratorsOf(tx, structure_id);
}

Status PlanRepository::SetOperator(storage::Tx&, int64_t, bool) {
  return Refused("changing the operators");
}

Result<bool> PlanRepository::IsOperator(storage::Tx& tx, int64_t person_id) {
  return base_.IsOperator(tx, person_id);
}

// ---- Helpers ----------------------------------------------------------------------

Result<int64_t> PlanRepository::FirstNewId(storage::Tx& tx) {
  if (first_new_id_) return *first_new_id_;
  // The largest id of the store, found with keyset probes ("the first account after
  // x"): a doubling search for an empty range, then a bisection.
  auto first_after = [&](int64_t x) -> Result<std::optional<int64_t>> {
    directory::AccountFilter f;
    f.after_id = x;
    f.limit = 1;
    CADUCE_TRY(std::vector<Account> page, base_.ListAccounts(tx, f));
    if (page.empty()) return std::optional<int64_t>();
    return std::optional<int64_t>(page.front().id);
  };
  int64_t lo = 0;  // an id of the store, or 0
  int64_t hi = 1;  // no id above it once the doubling stops
  for (;;) {
    CADUCE_TRY(std::optional<int64_t> next, first_after(lo));
    if (!next) break;
    lo = *next;
    hi = std::max(hi, lo);
    CADUCE_TRY(std::optional<int64_t> above, first_after(hi));
    if (!above) break;
    lo = *above;
    hi = lo > std::numeric_limits<int64_t>::max() / 2 ? std::numeric_limits<int64_t>::max()
                                                      : lo * 2;
  }
  // Now lo is an id (or 0) and no id is above hi: bisect (lo, hi].
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    CADUCE_TRY(std::optional<int64_t> next, first_after(mid));
    if (next) {
      lo = *next;
    } else {
      hi = mid;
    }
  }
  first_new_id_ = lo + 1;
  next_id_ = lo + 1;
  return *first_new_id_;
}

Result<std::optional<Account>> PlanRepository::Current(storage::Tx& tx, int64_t id) {
  if (const Stored* s = Written(id)) return std::optional<Account>(s->ToAccount());
  if (IsNew(id)) return std::optional<Account>();
  if (auto it = prefetched_.find(id); it != prefetched_.end()) {
    return std::optional<Account>(it->second);
  }
  if (stored_loaded_ && !stored_by_id_.contains(id)) return std::optional<Account>();
  return base_.FindAccount(tx, id);
}

Result<bool> PlanRepository::Exists(storage::Tx& tx, int64_t id) {
  if (accounts_.count(id)) return true;
  if (IsNew(id)) return false;
  if (stored_loaded_) return stored_by_id_.contains(id);
  CADUCE_TRY(std::optional<AccountBrief> b, base_.FindAccountBrief(tx, id));
  return b.has_value();
}

Result<bool> PlanRepository::StructureExists(storage::Tx& tx, int64_t id) {
  CADUCE_TRY(std::optional<Structure> s, FindStructure(tx, id));
  return s.has_value();
}

Result<std::string> PlanRepository::DomainOf(storage::Tx& tx, int64_t structure_id) {
  CADUCE_TRY(std::optional<Structure> s, FindStructure(tx, structure_id));
  return s ? s->mss_domain : std::string();
}

Result<bool> PlanRepository::AddressTaken(storage::Tx& tx, const std::string& address,
                                          int64_t except_id) {
  auto it = addresses_.find(address);
  if (it != addresses_.end() && it->second != except_id) return true;
  CADUCE_TRY(std::optional<AccountBrief> stored, StoredBrief(tx, address));
  // A stored account the plan changed holds the address only through its plan copy.
  return stored && stored->id != except_id && !accounts_.count(stored->id);
}

void PlanRepository::ForgetStored() {
  stored_loaded_ = false;
  decltype(stored_by_id_)().swap(stored_by_id_);
  decltype(stored_ids_)().swap(stored_ids_);
  decltype(prefetched_)().swap(prefetched_);
}

Status PlanRepository::LoadStoredBriefs(storage::Tx& tx, size_t max) {
  ForgetStored();
  CADUCE_TRY(std::optional<std::vector<AccountBrief>> all, base_.AllAccountBriefs(tx, max));
  if (!all) return OkStatus();
  stored_loaded_ = true;
  stored_by_id_.reserve(all->size());
  stored_ids_.reserve(all->size());
  for (AccountBrief& b : *all) {
    stored_ids_.emplace(b.address, b.id);
    const int64_t id = b.id;
    stored_by_id_.emplace(id, std::move(b));
  }
  return OkStatus();
}

Status PlanRepository::PrefetchStored(storage::Tx& tx,
                                      std::span<const std::string_view> addresses) {
  prefetched_.clear();
  if (!stored_loaded_) return OkStatus();
  std::vector<int64_t> ids;
  ids.reserve(addresses.size());
  for (std::string_view address : addresses) {
    auto it = stored_ids_.find(address);
    if (it != stored_ids_.end() && !Written(it->second)) ids.push_back(it->second);
  }
  if (ids.empty()) return OkStatus();
  CADUCE_TRY(std::vector<Account> found, base_.FindAccounts(tx, ids));
  for (Account& a : found) {
    const int64_t id = a.id;
    prefetched_.insert_or_assign(id, std::move(a));
  }
  return OkStatus();
}

Result<std::optional<AccountBrief>> PlanRepository::StoredBrief(storage::Tx& tx,
                                                               std::string_view address) {
  if (stored_loaded_) {
    auto it = stored_ids_.find(address);
    if (it == stored_ids_.end()) return std::optional<AccountBrief>();
    return std::optional<AccountBrief>(stored_by_id_.at(it->second));
  }
  if (last_brief_ && last_address_ == address) return *last_brief_;
  CADUCE_TRY(std::optional<AccountBrief> stored, base_.FindAccountBriefByAddress(tx, address));
  last_address_.assign(address);
  last_brief_ = stored;
  return stored;
}

void PlanRepository::Put(Stored s) {
  const int64_t id = s.id;
  std::optional<Stored> prev;
  auto it = accounts_.find(id);
  if (it != accounts_.end()) {
    prev = std::move(it->second);
    Unindex(*prev);
    it->second = std::move(s);
  } else {
    it = accounts_.emplace(id, std::move(s)).first;
  }
  Index(it->second);
  undo_.push_back([this, id, prev = std::move(prev)]() mutable {
    auto at = accounts_.find(id);
    if (at != accounts_.end()) {
      Unindex(at->second);
      accounts_.erase(at);
    }
    if (prev) Index(accounts_[id] = std::move(*prev));
  });
}

void PlanRepository::Index(const Stored& s) {
  std::string_view address = s.Get(Field::kAddress);
  auto at = addresses_.find(address);
  if (at != addresses_.end()) {
    at->second = s.id;
  } else {
    addresses_.emplace(std::string(address), s.id);
  }
  std::string_view mss = s.Get(Field::kMssAddress);
  if (!mss.empty()) {
    auto held = mss_.find(mss);
    if (held == mss_.end()) held = mss_.emplace(std::string(mss), std::set<int64_t>()).first;
    held->second.insert(s.id);
  }
}

void PlanRepository::Unindex(const Stored& s) {
  auto at = addresses_.find(s.Get(Field::kAddress));
  if (at != addresses_.end() && at->second == s.id) addresses_.erase(at);
  std::string_view mss = s.Get(Field::kMssAddress);
  if (!mss.empty()) {
    auto held = mss_.find(mss);
    if (held != mss_.end()) held->second.erase(s.id);
  }
}

// ---- Accounts ---------------------------------------------------------------------

Result<int64_t> PlanRepository::InsertAccount(storage::Tx& tx, const Account& account) {
  CADUCE_TRY(bool taken, AddressTaken(tx, account.address(), 0));
  if (taken) {
    return AlreadyExistsError(
        fmt::format("the address {} is already taken by another account", account.address()));
  }
  CADUCE_TRY(bool structure, StructureExists(tx, account.structure_id));
  bool mailbox = true;
  if (account.default_mailbox_id != 0) {
    CADUCE_TRY(mailbox, Exists(tx, account.default_mailbox_id));
  }
  if (!structure || !mailbox) {
    return FailedPreconditionError(fmt::format(
        "cannot insert account {}: structure {} or default mailbox {} does not exist",
        account.address(), account.structure_id, account.default_mailbox_id));
  }
  CADUCE_RETURN_IF_ERROR(FirstNewId(tx).status());
  Stored stored = Stored::Of(account);
  stored.id = next_id_++;
  stored.has_password = false;  // a new row has no password hash
  undo_.push_back([this] { --next_id_; });
  Put(std::move(stored));
  return next_id_ - 1;
}

Status PlanRepository::UpdateAccount(storage::Tx& tx, const Account& account) {
  if (IsNew(account.id) && account.id < streamed_end_) {
    return InternalError(fmt::format(
        "account {} was written to the store already: the plan cannot change it", account.id));
  }
  CADUCE_TRY(std::optional<Account> current, Current(tx, account.id));
  if (!current) return NotFoundError(fmt::format("account {} does not exist", account.id));
  CADUCE_TRY(bool taken, AddressTaken(tx, account.address(), account.id));
  if (taken) {
    return AlreadyExistsError(
        fmt::format("the address {} is already taken by another account", account.address()));
  }
  CADUCE_TRY(bool structure, StructureExists(tx, account.structure_id));
  bool mailbox = true;
  if (account.default_mailbox_id != 0) {
    CADUCE_TRY(mailbox, Exists(tx, account.default_mailbox_id));
  }
  if (!structure || !mailbox) {
    return FailedPreconditionError(fmt::format(
        "cannot update account {}: structure {} or default mailbox {} does not exist",
        account.id, account.structure_id, account.default_mailbox_id));
  }
  if (!accounts_.count(account.id)) {
    // The first change of a stored account: remember which MSSanté local part the
    // store still shows for it (MssLocalPartTaken).
    const std::string& stored_mss = current->get(Field::kMssAddress);
    if (!stored_mss.empty()) {
      replaced_mss_[stored_mss].insert(account.id);
      undo_.push_back([this, stored_mss, id = account.id] { replaced_mss_[stored_mss].erase(id); });
    }
  }
  Stored stored = Stored::Of(account);
  stored.created_at = current->created_at;      // kept as inserted
  stored.has_password = current->has_password;  // auth/ writes it, not the directory
  Put(std::move(stored));
  return OkStatus();
}

Result<std::optional<Account>> PlanRepository::FindAccount(storage::Tx& tx, int64_t id) {
  return Current(tx, id);
}

Result<std::optional<Account>> PlanRepository::FindAccountByAddress(storage::Tx& tx,
                                                                    std::string_view address) {
  auto it = addresses_.find(address);
  if (it != addresses_.end()) return std::optional<Account>(accounts_.at(it->second).ToAccount());
  CADUCE_TRY(std::optional<Account> stored, base_.FindAccountByAddress(tx, address));
  // A stored account the plan changed would have been found above under its address.
  if (stored && accounts_.count(stored->id)) return std::optional<Account>();
  return stored;
}

Result<std::optional<AccountBrief>> PlanRepository::FindAccountBrief(storage::Tx& tx, int64_t id) {
  if (const Stored* s = Written(id)) return std::optional<AccountBrief>(s->Brief());
  if (IsNew(id)) return std::optional<AccountBrief>();
  if (stored_loaded_) {
    auto it = stored_by_id_.find(id);
    if (it == stored_by_id_.end()) return std::optional<AccountBrief>();
    return std::optional<AccountBrief>(it->second);
  }
  return base_.FindAccountBrief(tx, id);
}

Result<std::optional<AccountBrief>> PlanRepository::FindAccountBriefByAddress(
    storage::Tx& tx, std::string_view address) {
  auto it = addresses_.find(address);
  if (it != addresses_.end()) {
    return std::optional<AccountBrief>(accounts_.at(it->second).Brief());
  }
  CADUCE_TRY(std::optional<AccountBrief> stored, StoredBrief(tx, address));
  if (stored && accounts_.count(stored->id)) return std::optional<AccountBrief>();
  return stored;
}

Result<std::vector<Account>> PlanRepository::ListAccounts(storage::Tx& tx,
                                                          const directory::AccountFilter& f) {
  std::vector<Account> out;
  if (f.limit <= 0) return out;
  auto matches = [&f](const Account& a) {
    if (a.id <= f.after_id) return false;
    if (f.type && a.type != *f.type) return false;
    if (f.status && a.status != *f.status) return false;
    return f.structure_ids.empty() || std::find(f.structure_ids.begin(), f.structure_ids.end(),
                                                a.structure_id) != f.structure_ids.end();
  };
  // The store's pages, without the accounts the plan changed (judged below on
  // their plan copy), until enough remain.
  directory::AccountFilter page_filter = f;
  for (;;) {
    CADUCE_TRY(std::vector<Account> page, base_.ListAccounts(tx, page_filter));
    for (Account& a : page) {
      if (!accounts_.count(a.id)) out.push_back(std::move(a));
    }
    if (page.size() < static_cast<size_t>(page_filter.limit) ||
        out.size() >= static_cast<size_t>(f.limit)) {
      break;
    }
    page_filter.after_id = page.back().id;
  }
  for (const auto& [id, s] : accounts_) {
    Account a = s.ToAccount();
    if (matches(a)) out.push_back(std::move(a));
  }
  std::sort(out.begin(), out.end(), [](const Account& a, const Account& b) { return a.id < b.id; });
  if (out.size() > static_cast<size_t>(f.limit)) out.resize(static_cast<size_t>(f.limit));
  return out;
}

Result<bool> PlanRepository::MssLocalPartTaken(storage::Tx& tx, std::string_view local,
                                               std::string_view domain, int64_t except_id) {
  if (local.empty()) return false;
  std::string key(local);
  auto held = mss_.find(key);
  if (held != mss_.end()) {
    for (int64_t id : held->second) {
      if (id == except_id) continue;
      CADUCE_TRY(std::string d, DomainOf(tx, accounts_.at(id).structure_id));
      if (d == domain) return true;
    }
  }
  CADUCE_TRY(bool stored, base_.MssLocalPartTaken(tx, local, domain, except_id));
  if (!stored) return false;
  // The store's holder may be an account the plan changed (judged above on its
  // plan copy): when leaving out one such account frees the local part in the
  // store, that account was the only holder. (The store keeps local parts unique
  // within a domain, so one holder is the rule.)
  auto replaced = replaced_mss_.find(key);
  if (replaced == replaced_mss_.end()) return true;
  for (int64_t id : replaced->second) {
    if (id == except_id) continue;
    CADUCE_TRY(bool other, base_.MssLocalPartTaken(tx, local, domain, id));
    if (!other) return false;
  }
  return true;
}

Result<std::vector<Account>> PlanRepository::Search(storage::Tx&, const directory::SearchQuery&) {
  return Refused("the search");
}

Result<directory::AccountPage> PlanRepository::ListAccountPage(storage::Tx&,
                                                               const directory::AccountPageQuery&) {
  return Refused("the account list");
}

Result<int64_t> PlanRepository::LastSignIn(storage::Tx& tx, int64_t account_id) {
  if (IsNew(account_id)) return int64_t{0};
  return base_.LastSignIn(tx, account_id);
}

// ---- Connection rights ------------------------------------------------------------

Result<bool> PlanRepository::InsertRight(storage::Tx& tx, const ConnectionRight& right) {
  CADUCE_TRY(bool mailbox, Exists(tx, right.mailbox_id));
  CADUCE_TRY(bool person, Exists(tx, right.person_id));
  if (!mailbox || !person) {
    return FailedPreconditionError(fmt::format("mailbox {} or person {} does not exist",
                                               right.mailbox_id, right.person_id));
  }
  CADUCE_TRY(bool has, HasRight(tx, right.mailbox_id, right.person_id));
  if (has) return false;
  RightKey key{right.mailbox_id, right.person_id};
  granted_[key] = right;
  granted_by_person_.insert({right.person_id, right.mailbox_id});
  undo_.push_back([this, key] {
    granted_.erase(key);
    granted_by_person_.erase({key.second, key.first});
  });
  return true;
}

Result<bool> PlanRepository::DeleteRight(storage::Tx& tx, int64_t mailbox_id, int64_t person_id) {
  RightKey key{mailbox_id, person_id};
  auto it = granted_.find(key);
  if (it != granted_.end()) {
    ConnectionRight was = it->second;
    granted_.erase(it);
    granted_by_person_.erase({person_id, mailbox_id});
    undo_.push_back([this, key, was] {
      granted_[key] = was;
      granted_by_person_.insert({key.second, key.first});
    });
    return true;
  }
  if (IsNew(mailbox_id) || IsNew(person_id) || revoked_.count(key)) return false;
  CADUCE_TRY(bool stored, base_.HasRight(tx, mailbox_id, person_id));
  if (!stored) return false;
  revoked_.insert(key);
  undo_.push_back([this, key] { revoked_.erase(key); });
  return true;
}

Result<bool> PlanRepository::HasRight(storage::Tx& tx, int64_t mailbox_id, int64_t person_id) {
  RightKey key{mailbox_id, person_id};
  if (granted_.count(key)) return true;
  if (IsNew(mailbox_id) || IsNew(person_id) || revoked_.count(key)) return false;
  return base_.HasRight(tx, mailbox_id, person_id);
}

Result<std::vector<ConnectionRight>> PlanRepository::RightsOnMailbox(storage::Tx& tx,
                                                                     int64_t mailbox_id) {
  std::vector<ConnectionRight> out;
  if (!IsNew(mailbox_id)) {
    CADUCE_TRY(std::vector<ConnectionRight> stored, base_.RightsOnMailbox(tx, mailbox_id));
    for (ConnectionRight& r : stored) {
      if (!revoked_.count({r.mailbox_id, r.person_id})) out.push_back(std::move(r));
    }
  }
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (auto it = granted_.lower_bound({mailbox_id, kMin});
       it != granted_.end() && it->first.first == mailbox_id; ++it) {
    out.push_back(it->second);
  }
  std::sort(out.begin(), out.end(), [](const ConnectionRight& a, const ConnectionRight& b) {
    return a.person_id < b.person_id;
  });
  return out;
}

Result<std::vector<ConnectionRight>> PlanRepository::RightsOfPerson(storage::Tx& tx,
                                                                    int64_t person_id) {
  std::vector<ConnectionRight> out;
  if (!IsNew(person_id)) {
    CADUCE_TRY(std::vector<ConnectionRight> stored, base_.RightsOfPerson(tx, person_id));
    for (ConnectionRight& r : stored) {
      if (!revoked_.count({r.mailbox_id, r.person_id})) out.push_back(std::move(r));
    }
  }
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  for (auto it = granted_by_person_.lower_bound({person_id, kMin});
       it != granted_by_person_.end() && it->first == person_id; ++it) {
    out.push_back(granted_.at({it->second, it->first}));
  }
  std::sort(out.begin(), out.end(), [](const ConnectionRight& a, const ConnectionRight& b) {
    return a.mailbox_id < b.mailbox_id;
  });
  return out;
}

Result<std::vector<int64_t>> PlanRepository::PersonsWithDefault(storage::Tx& tx,
                                                                int64_t mailbox_id) {
  std::vector<int64_t> out;
  if (!IsNew(mailbox_id)) {
    CADUCE_TRY(std::vector<int64_t> stored, base_.PersonsWithDefault(tx, mailbox_id));
    for (int64_t id : stored) {
      if (!accounts_.count(id)) out.push_back(id);
    }
  }
  for (const auto& [id, s] : accounts_) {
    if (s.default_mailbox_id == mailbox_id && directory::IsNominative(s.type)) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- Notifications and expiry -----------------------------------------------------

Status PlanRepository::EnqueueNotification(storage::Tx& tx, int64_t account_id,
                                           std::string_view kind, int64_t at) {
  CADUCE_TRY(bool exists, Exists(tx, account_id));
  if (!exists) {
    return FailedPreconditionError(fmt::format("account {} does not exist", account_id));
  }
  std::pair<std::string, int64_t> key{std::string(kind), account_id};
  notifications_[key].push_back(at);
  undo_.push_back([this, key] {
    auto it = notifications_.find(key);
    it->second.pop_back();
    if (it->second.empty()) notifications_.erase(it);
  });
  return OkStatus();
}

Result<int64_t> PlanRepository::PendingNotifications(storage::Tx& tx, std::string_view kind,
                                                     int64_t account_id) {
  CADUCE_TRY(int64_t n, base_.PendingNotifications(tx, kind, account_id));
  for (const auto& [key, ats] : notifications_) {
    if (key.first == kind && (account_id == 0 || key.second == account_id)) {
      n += static_cast<int64_t>(ats.size());
    }
  }
  return n;
}

Result<std::vector<int64_t>> PlanRepository::AccountsExpiringBy(storage::Tx& tx,
                                                                std::string_view today) {
  CADUCE_TRY(std::vector<int64_t> stored, base_.AccountsExpiringBy(tx, today));
  std::vector<int64_t> out;
  for (int64_t id : stored) {
    if (!accounts_.count(id)) out.push_back(id);
  }
  for (const auto& [id, s] : accounts_) {
    std::string_view date = s.Get(Field::kDatePeremption);
    if (!date.empty() && date <= today && s.status != directory::AccountStatus::kDisabled) {
      out.push_back(id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- Writing the plan -------------------------------------------------------------

std::function<Status(storage::Tx&)> PlanRepository::StreamNewAccounts() {
  if (!first_new_id_ || !undo_.empty()) return {};
  const int64_t first = *first_new_id_;
  const int64_t from = std::max(streamed_end_, first);
  if (next_id_ - from < kStreamBatch) return {};
  // Ids only grow: first - 1 bounds the store's rows.
  if (streamed_end_ == 0 && next_id_ - first <= first - 1) return {};
  std::vector<const Stored*> accounts;
  accounts.reserve(static_cast<size_t>(next_id_ - from));
  // Nodes of an unordered_map stay where they are while others are added: the
  // writer reads these while the planner goes on.
  for (int64_t id = from; id < next_id_; ++id) accounts.push_back(&accounts_.at(id));
  streamed_end_ = next_id_;
  const size_t at_least = static_cast<size_t>(next_id_ - first);
  return [this, accounts = std::move(accounts), at_least](storage::Tx& tx) -> Status {
    if (bulk_ == nullptr) {
      CADUCE_TRY(bulk_, base_.BeginInsertAccounts(tx, at_least));
    }
    return bulk_->Add(accounts.size(), [&](size_t i, Account* a) { accounts[i]->Fill(a); });
  };
}

Status PlanRepository::WriteTo(storage::Tx& tx) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "write the plan"));
  last_brief_.reset();  // the store is about to change
  ForgetStored();
  // What only the planning needed, freed for the store's cache.
  decltype(addresses_)().swap(addresses_);
  decltype(mss_)().swap(mss_);
  decltype(replaced_mss_)().swap(replaced_mss_);
  // New accounts: ids first_new_id_ … next_id_ - 1, none missing (a rejected row's
  // id is given again to the next one); those below streamed_end_ were written
  // already.
  if (first_new_id_ && next_id_ > *first_new_id_) {
    const int64_t first_id = *first_new_id_;
    const int64_t from = std::max(streamed_end_, first_id);
    const size_t count = static_cast<size_t>(next_id_ - from);
    for (int64_t id = from; id < next_id_; ++id) {
      if (!accounts_.count(id)) {
        return InternalError(fmt::format("the plan has no account {}", id));
      }
    }
    if (bulk_ == nullptr) {
      CADUCE_TRY(bulk_, base_.BeginInsertAccounts(tx, count));
    }
    CADUCE_RETURN_IF_ERROR(bulk_->Add(count, [&](size_t i, Account* a) {
      // Written once: the plan's copy is let go as the store takes it.
      auto it = accounts_.find(from + static_cast<int64_t>(i));
      it->second.Fill(a);
      accounts_.erase(it);
    }));
    CADUCE_TRY(int64_t first, bulk_->Finish());
    bulk_.reset();
    for (int64_t id = first_id; id < from; ++id) accounts_.erase(id);
    if (first != first_id) {
      // Another writer took ids since the plan began: it cannot, within one write
      // transaction, but the rights and the trail name these ids.
      return AbortedError(fmt::format("the store gave the new accounts the ids from {}, "
                                      "the plan from {}",
                                      first, first_id));
    }
  }
  // Stored accounts the plan changed, in id order.
  std::vector<int64_t> changed;
  for (const auto& [id, s] : accounts_) {
    if (!IsNew(id)) changed.push_back(id);
  }
  std::sort(changed.begin(), changed.end());
  Account a;
  for (int64_t id : changed) {
    accounts_.at(id).Fill(&a);
    CADUCE_RETURN_IF_ERROR(base_.UpdateAccount(tx, a));
  }
  for (const RightKey& key : revoked_) {
    CADUCE_TRY(bool deleted, base_.DeleteRight(tx, key.first, key.second));
    if (!deleted) {
      return AbortedError(fmt::format("the right of person {} on mailbox {} was already gone",
                                      key.second, key.first));
    }
  }
  std::vector<ConnectionRight> rights;
  rights.reserve(granted_.size());
  for (const auto& [key, right] : granted_) rights.push_back(right);
  CADUCE_RETURN_IF_ERROR(base_.InsertRights(tx, std::move(rights)));
  for (const auto& [key, ats] : notifications_) {
    for (int64_t at : ats) {
      CADUCE_RETURN_IF_ERROR(base_.EnqueueNotification(tx, key.second, key.first, at));
    }
  }
  return OkStatus();
}

}  // namespace caduce::import_export
