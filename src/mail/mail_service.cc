// The mail store's service (mail_service.h).
#include "mail/mail_service.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <future>
#include <set>

#include "base/json.h"

namespace caduce::mail {
namespace {

using directory::AccountBrief;
using directory::AccountType;

constexpr Role kDefaultRoles[] = {Role::kInbox, Role::kSent, Role::kDrafts, Role::kTrash,
                                  Role::kArchive};

Status NoAccess() {
  return NotFoundError("Cette boîte aux lettres n'existe pas ou vous n'y avez pas accès.");
}
Status NoEmail() { return NotFoundError("Ce message n'existe pas dans cette boîte aux lettres."); }

bool IsShared(const AccountBrief& a) {
  return a.type == AccountType::kOrg || a.type == AccountType::kApp;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A recipient address: trimmed, without < >, lowercase; empty when malformed.
std::string NormaliseAddress(std::string_view raw) {
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front()))) raw.remove_prefix(1);
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
  if (raw.size() >= 2 && raw.front() == '<' && raw.back() == '>') raw = raw.substr(1, raw.size() - 2);
  if (raw.empty() || raw.size() > 254) return {};
  size_t at = raw.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == raw.size()) return {};
  if (raw.find('@') != at) return {};
  for (unsigned char c : raw) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';') return {};
  }
  std::string_view domain = raw.substr(at + 1);
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return {};
  }
  return Lower(raw);
}

std::string MiB(int64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20); }

// Validates a folder name: 1 to 255 bytes of UTF-8 without control characters or "/".
Status CheckMailboxName(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return InvalidArgumentError(
        "Nom du dossier : indiquez un nom de 1 à 255 caractères.");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgumentError("Nom du dossier : retirez les caractères de contrôle.");
    }
  }
  if (std::isspace(static_cast<unsigned char>(name.front())) ||
      std::isspace(static_cast<unsigned char>(name.back()))) {
    return InvalidArgumentError("Nom du dossier : retirez les espaces au début et à la fin.");
  }
  // UTF-8 validity.
  for (size_t i = 0; i < name.size();) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > name.size()) {
      return InvalidArgumentError("Nom du dossier : le texte n'est pas en UTF-8 valide.");
    }
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(name[i + k]) >> 6) != 2) {
        return InvalidArgumentError("Nom du dossier : le texte n'est pas en UTF-8 valide.");
      }
    }
    i += n;
  }
  return OkStatus();
}

}  // namespace

// One delivery waiting for its commit.
struct MailService::Pending {
  std::string_view raw;
  std::string blob_id;
  const ParsedMessage* parsed = nullptr;
  std::string base_subject;
  std::string mail_from;
  std::vector<std::pair<int64_t, std::string>> local;  // account id, address as given
  std::vector<std::string> outside;
  int64_t received_at = 0;
  Status status;
  DeliveryResult result;
  bool done = false;
};

MailService::MailService(storage::Database& db, MailRepository& repo,
                         directory::DirectoryRepository& dir, audit::AuditLog& audit,
                         BlobStore& blobs, const Clock& clock, MailOptions options)
    : db_(db), repo_(repo), dir_(dir), audit_(audit), blobs_(blobs), clock_(clock),
      options_(std::move(options)) {
  limits_.max_message_bytes = static_cast<size_t>(options_.max_message_bytes);
  for (std::string& d : options_.local_domains) d = Lower(d);
  if (options_.index_in_background) indexer_ = std::thread([this] { IndexLoop(); });
}

MailService::~MailService() {
  {
    std::lock_guard lk(index_mu_);
    stopping_ = true;
  }
  index_cv_.notify_all();
  if (indexer_.joinable()) indexer_.join();
}

// ---------------------------------------------------------------------------
// Full-text index

Status MailService::CatchUpIndex() { return IndexRounds(false); }

namespace {
int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

bool MailService::DeliveriesFlowing() const {
  auto since = std::chrono::nanoseconds(SteadyNanos() - last_commit_ns_.load());
  return since < std::chrono::milliseconds(options_.index_idle_ms) &&
         unindexed_.load() < options_.index_backlog;
}

Status MailService::IndexRounds(bool yield_to_deliveries) {
  // Words are found in a read transaction (which never holds writers back), the
  // next batch's on another core while the previous batch is added in a write
  // transaction. A bounded number of rounds, so that a search under a flood of
  // deliveries returns. One catch-up at a time: a second would find the same words.
  std::lock_guard one(catch_up_mu_);
  auto read = [this](int64_t after) -> Result<std::vector<IndexEntry>> {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
    return repo_.IndexBacklog(*tx, after, options_.index_batch);
  };
  CADUCE_TRY(std::vector<IndexEntry> entries, read(0));
  for (int round = 0; round < 64 && !entries.empty(); ++round) {
    bool more = static_cast<int>(entries.size()) == options_.index_batch;
    std::future<Result<std::vector<IndexEntry>>> next;
    if (more) next = std::async(std::launch::async, read, entries.back().email_id);
    Status added = [&]() -> Status {
      CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
      CADUCE_RETURN_IF_ERROR(repo_.AddToIndex(*tx, entries));
      return tx->Commit();
    }();
    if (added.ok()) {
      int64_t left = unindexed_.load();
      int64_t n = static_cast<int64_t>(entries.size());
      while (!unindexed_.compare_exchange_weak(left, std::max<int64_t>(0, left - n))) {
      }
    }
    if (!more) return added;
    Result<std::vector<IndexEntry>> following = next.get();
    CADUCE_RETURN_IF_ERROR(added);
    CADUCE_RETURN_IF_ERROR(following.status());
    // The background indexer steps aside as soon as deliveries come again.
    if (yield_to_deliveries && DeliveriesFlowing()) return OkStatus();
    entries = std::move(*following);
  }
  return OkStatus();
}

void MailService::IndexLoop() {
  std::unique_lock lk(index_mu_);
  while (!stopping_) {
    // Woken by deliveries; every second anyway (messages written by other paths).
    index_cv_.wait_for(lk, std::chrono::seconds(1), [&] { return stopping_ || index_wanted_; });
    if (stopping_) break;
    index_wanted_ = false;
    lk.unlock();
    // Deliveries first: wait for a pause (or for the backlog to grow too long). The
    // index then takes many messages per transaction, which costs much less each.
    while (DeliveriesFlowing()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.index_idle_ms) / 2);
      std::lock_guard stop(index_mu_);
      if (stopping_) return;
    }
    // Stepping aside leaves messages waiting: the next round is wanted. A failure is
    // retried a second later, or by a search.
    Status s = IndexRounds(true);
    lk.lock();
    if (s.ok() && DeliveriesFlowing()) index_wanted_ = true;
  }
}

Result<AccountMailState> MailService::EnsureAccount(storage::Tx& tx, int64_t account_id) {
  bool created = false;
  CADUCE_TRY(AccountMailState st, repo_.EnsureAccount(tx, account_id, &created));
  if (created) {
    CADUCE_TRY(int64_t m, repo_.NextModseq(tx, account_id, 5));
    int order = 0;
    for (Role r : kDefaultRoles) {
      Mailbox mb;
      mb.account_id = account_id;
      mb.name = std::string(DefaultMailboxName(r));
      mb.role = r;
      mb.sort_order = ++order;
      CADUCE_RETURN_IF_ERROR(repo_.InsertMailbox(tx, mb, m++));
    }
    st.modseq += 5;
  }
  return st;
}

Status MailService::EnsureMailboxes(int64_t account_id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(auto brief, dir_.FindAccountBrief(*tx, account_id));
  if (!brief) return NoAccess();
  CADUCE_RETURN_IF_ERROR(EnsureAccount(*tx, account_id));
  return tx->Commit();
}

Status MailService::SetReadStatePerPerson(int64_t account_id, bool per_person) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(auto brief, dir_.FindAccountBrief(*tx, account_id));
  if (!brief) return NoAccess();
  if (!IsShared(*brief) && per_person) {
    return InvalidArgumentError(
        "Lecture par personne : seul un compte ORG ou APP est partagé par une équipe.");
  }
  CADUCE_RETURN_IF_ERROR(EnsureAccount(*tx, account_id));
  CADUCE_RETURN_IF_ERROR(repo_.SetSeenPerPerson(*tx, account_id, per_person));
  return tx->Commit();
}

Status MailService::SetQuota(int64_t account_id, int64_t bytes) {
  if (bytes < 0) return InvalidArgumentError("Quota : indiquez un nombre d'octets positif.");
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(EnsureAccount(*tx, account_id));
  CADUCE_RETURN_IF_ERROR(repo_.SetQuota(*tx, account_id, bytes));
  return tx->Commit();
}

// ---------------------------------------------------------------------------
// Delivery

Result<DeliveryResult> MailService::Deliver(std::string_view raw, std::string_view mail_from,
                                            const std::vector<std::string>& recipients) {
  if (static_cast<int64_t>(raw.size()) > options_.max_message_bytes) {
    return ResourceExhaustedError("Message refusé : il dépasse la taille maximale de " +
                                  MiB(options_.max_message_bytes) +
                                  " Mio. Réduisez ou retirez des pièces jointes.");
  }
  if (recipients.empty()) {
    return InvalidArgumentError("Destinataires : indiquez au moins une adresse.");
  }
  if (recipients.size() > 1000) {
    return InvalidArgumentError("Destinataires : pas plus de 1000 adresses par message.");
  }
  CADUCE_TRY(ParsedMessage parsed, ParseMessage(raw, limits_));

  Pending p;
  p.raw = raw;
  p.parsed = &parsed;
  p.base_subject = BaseSubject(parsed.subject);
  p.mail_from = NormaliseAddress(mail_from);
  if (!mail_from.empty() && mail_from != "<>" && p.mail_from.empty()) {
    return InvalidArgumentError("Expéditeur : « " + std::string(mail_from.substr(0, 254)) +
                                " » n'est pas une adresse valide.");
  }
  // Resolve every recipient before anything is written.
  {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
    std::set<int64_t> seen_accounts;
    std::set<std::string> seen_outside;
    for (const std::string& r : recipients) {
      std::string addr = NormaliseAddress(r);
      if (addr.empty()) {
        return InvalidArgumentError("Destinataire : « " + r.substr(0, 254) +
                                    " » n'est pas une adresse valide (forme nom@domaine).");
      }
      CADUCE_TRY(int64_t account, repo_.ResolveLocalAddress(*tx, addr));
      if (account != 0) {
        if (seen_accounts.insert(account).second) p.local.emplace_back(account, addr);
        continue;
      }
      std::string domain = addr.substr(addr.rfind('@') + 1);
      bool local_domain = std::find(options_.local_domains.begin(), options_.local_domains.end(),
                                    domain) != options_.local_domains.end();
      if (!local_domain) {
        CADUCE_TRY(local_domain, repo_.IsStructureDomain(*tx, domain));
      }
      if (local_domain) {
        return NotFoundError("Destinataire inconnu : " + addr +
                             " n'existe pas dans caduce. Vérifiez l'adresse.");
      }
      if (seen_outside.insert(addr).second) p.outside.push_back(addr);
    }
    // Quotas, checked again under the write lock.
    for (const auto& [account, addr] : p.local) {
      bool created = false;
      CADUCE_TRY(AccountMailState st, repo_.EnsureAccount(*tx, account, &created));
      int64_t quota = st.quota_bytes > 0 ? st.quota_bytes : options_.default_quota_bytes;
      if (st.used_bytes + static_cast<int64_t>(raw.size()) > quota) {
        return ResourceExhaustedError("La boîte de " + addr + " est pleine (quota de " +
                                      MiB(quota) + " Mio atteint) : le message n'est pas remis.");
      }
    }
  }
  p.blob_id = BlobStore::IdOf(raw);
  p.received_at = clock_.NowMicros();
  // The bytes go to disk now and are made durable before the delivery joins a commit,
  // by a file-system flush that concurrent deliveries share. That flush runs while
  // the previous batch commits: blob flushes and database commits overlap.
  CADUCE_RETURN_IF_ERROR(blobs_.Write(p.blob_id, raw, BlobStore::Durability::kDeferred));
  CADUCE_RETURN_IF_ERROR(blobs_.SyncWrittenBefore(std::chrono::steady_clock::now()));

  std::unique_lock lk(mu_);
  queue_.push_back(&p);
  while (!p.done) {
    if (committing_) {
      cv_.wait(lk);
      continue;
    }
    committing_ = true;
    std::vector<Pending*> batch;
    while (!queue_.empty() && static_cast<int>(batch.size()) < options_.max_batch) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lk.unlock();
    Status s = CommitBatch(batch);
    lk.lock();
    for (Pending* q : batch) {
      if (!s.ok() && q->status.ok()) q->status = s;
      q->done = true;
    }
    committing_ = false;
    cv_.notify_all();
    if (options_.index_in_background) {
      last_commit_ns_.store(SteadyNanos());
      unindexed_.fetch_add(static_cast<int64_t>(batch.size()));
      std::lock_guard ilk(index_mu_);
      index_wanted_ = true;
      index_cv_.notify_one();
    }
  }
  lk.unlock();
  if (!p.status.ok()) return p.status;
  p.result.blob_id = p.blob_id;
  return std::move(p.result);
}

Status MailService::CommitBatch(std::vector<Pending*>& batch) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  // Every blob of the batch is durable already. Under the write lock no garbage
  // collection runs: a blob file seen now stays. A file removed by a collection
  // committed since its delivery flushed it is written again, durably.
  for (Pending* p : batch) {
    if (!blobs_.Exists(p->blob_id)) {
      CADUCE_RETURN_IF_ERROR(blobs_.Write(p->blob_id, p->raw, BlobStore::Durability::kSync));
    }
  }
  for (Pending* p : batch) {
    CADUCE_RETURN_IF_ERROR(tx->SetSavepoint());
    p->status = ApplyDelivery(*tx, *p);
    if (!p->status.ok()) {
      p->result = DeliveryResult{};
      CADUCE_RETURN_IF_ERROR(tx->RollbackToSavepoint());
      // Leaves a row without references so that the collection removes the file.
      CADUCE_RETURN_IF_ERROR(repo_.AddBlobRef(*tx, p->blob_id,
                                              static_cast<int64_t>(p->raw.size()), 0));
    }
    CADUCE_RETURN_IF_ERROR(tx->ReleaseSavepoint());
  }
  return tx->Commit();
}

Status MailService::ApplyDelivery(storage::Tx& tx, Pending& p) {
  int64_t size = static_cast<int64_t>(p.raw.size());
  std::vector<std::string> ids;
  if (!p.parsed->message_id.empty()) ids.push_back(p.parsed->message_id);
  ids.insert(ids.end(), p.parsed->in_reply_to.begin(), p.parsed->in_reply_to.end());
  ids.insert(ids.end(), p.parsed->references.begin(), p.parsed->references.end());
  for (const auto& [account, addr] : p.local) {
    CADUCE_TRY(AccountMailState st, EnsureAccount(tx, account));
    int64_t quota = st.quota_bytes > 0 ? st.quota_bytes : options_.default_quota_bytes;
    if (st.used_bytes + size > quota) {
      return ResourceExhaustedError("La boîte de " + addr + " est pleine (quota de " + MiB(quota) +
                                    " Mio atteint) : le message n'est pas remis.");
    }
    CADUCE_TRY(int64_t inbox, repo_.MailboxByRole(tx, account, Role::kInbox));
    CADUCE_TRY(int64_t m, repo_.NextModseq(tx, account, 1));
    CADUCE_TRY(int64_t thread, repo_.FindThread(tx, account, ids, p.base_subject));
    if (thread == 0) {
      CADUCE_TRY(thread, repo_.InsertThread(tx, account, m));
    } else {
      CADUCE_RETURN_IF_ERROR(repo_.TouchThread(tx, thread, m));
    }
    NewEmail e;
    e.account_id = account;
    e.thread_id = thread;
    e.blob_id = p.blob_id;
    e.size = size;
    e.received_at = p.received_at;
    e.modseq = m;
    e.base_subject = p.base_subject;
    e.parsed = p.parsed;
    CADUCE_TRY(int64_t email_id, repo_.InsertEmail(tx, e));
    CADUCE_RETURN_IF_ERROR(repo_.AddMembership(tx, email_id, inbox));
    CADUCE_RETURN_IF_ERROR(repo_.TouchMailbox(tx, inbox, m));
    CADUCE_RETURN_IF_ERROR(repo_.AddUsedBytes(tx, account, size));
    CADUCE_RETURN_IF_ERROR(repo_.AddBlobRef(tx, p.blob_id, size, 1));
    p.result.delivered.push_back({account, email_id});
  }
  for (const std::string& rcpt : p.outside) {
    OutboundItem item;
    item.blob_id = p.blob_id;
    item.mail_from = p.mail_from;
    item.rcpt_to = rcpt;
    item.state = "pending";
    item.created_at = p.received_at;
    CADUCE_RETURN_IF_ERROR(repo_.EnqueueOutbound(tx, item));
    CADUCE_RETURN_IF_ERROR(repo_.AddBlobRef(tx, p.blob_id, size, 1));
    p.result.queued.push_back(rcpt);
  }
  return OkStatus();
}

Result<int> MailService::CollectGarbage() {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(std::vector<std::string> ids, repo_.UnreferencedBlobs(*tx, 1000));
  // Files go first, under the write lock; a crash before the commit leaves rows
  // whose files are gone, which the next collection forgets.
  for (const std::string& id : ids) {
    CADUCE_RETURN_IF_ERROR(blobs_.Remove(id));
    CADUCE_RETURN_IF_ERROR(repo_.ForgetBlob(*tx, id));
  }
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return static_cast<int>(ids.size());
}

// ---------------------------------------------------------------------------
// Reads

Result<AccountBrief> MailService::CheckAccess(storage::Tx& tx, const MailActor& who,
                                              int64_t account_id) {
  if (who.person_id <= 0 || account_id <= 0) return NoAccess();
  CADUCE_TRY(auto brief, dir_.FindAccountBrief(tx, account_id));
  if (!brief) return NoAccess();
  if (account_id == who.person_id) return *brief;
  if (!IsShared(*brief)) return NoAccess();
  CADUCE_TRY(bool right, dir_.HasRight(tx, account_id, who.person_id));
  if (!right) return NoAccess();
  return *brief;
}

Result<std::vector<Mailbox>> MailService::Mailboxes(const MailActor& who, int64_t account_id) {
  // A read transaction when the account's mailboxes exist (its state is past the
  // sequences of their creation), so that the list never waits for the write lock
  // behind deliveries; the first call creates them.
  {
    CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
    CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
    bool created = false;
    CADUCE_TRY(AccountMailState st, repo_.EnsureAccount(*tx, account_id, &created));
    if (st.modseq > 0) {
      return repo_.ListMailboxes(*tx, account_id, who.person_id, st.seen_per_person);
    }
  }
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  CADUCE_TRY(AccountMailState st, EnsureAccount(*tx, account_id));
  CADUCE_TRY(auto list, repo_.ListMailboxes(*tx, account_id, who.person_id, st.seen_per_person));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return list;
}

Result<Mailbox> MailService::CreateMailbox(const MailActor& who, int64_t account_id,
                                           std::string_view name, int64_t parent_id) {
  CADUCE_RETURN_IF_ERROR(CheckMailboxName(name));
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  CADUCE_RETURN_IF_ERROR(EnsureAccount(*tx, account_id));
  if (parent_id != 0) {
    CADUCE_TRY(auto parent, repo_.FindMailbox(*tx, account_id, parent_id));
    if (!parent) return NotFoundError("Dossier parent : ce dossier n'existe pas.");
  }
  Mailbox m;
  m.account_id = account_id;
  m.parent_id = parent_id;
  m.name = std::string(name);
  CADUCE_TRY(int64_t seq, repo_.NextModseq(*tx, account_id, 1));
  auto id = repo_.InsertMailbox(*tx, m, seq);
  if (!id.ok() && id.status().code() == Code::kAlreadyExists) {
    return AlreadyExistsError("Nom du dossier : « " + m.name +
                              " » existe déjà à cet endroit ; choisissez un autre nom.");
  }
  CADUCE_RETURN_IF_ERROR(id);
  m.id = *id;
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return m;
}

Status MailService::RenameMailbox(const MailActor& who, int64_t account_id, int64_t mailbox_id,
                                  std::string_view name, int64_t parent_id) {
  CADUCE_RETURN_IF_ERROR(CheckMailboxName(name));
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  CADUCE_TRY(auto m, repo_.FindMailbox(*tx, account_id, mailbox_id));
  if (!m) return NotFoundError("Ce dossier n'existe pas.");
  // The new parent must exist and must not be the folder itself or one of its children.
  for (int64_t p = parent_id, depth = 0; p != 0; ++depth) {
    if (p == mailbox_id || depth > 100) {
      return InvalidArgumentError("Dossier parent : un dossier ne peut pas être rangé en lui-même.");
    }
    CADUCE_TRY(auto parent, repo_.FindMailbox(*tx, account_id, p));
    if (!parent) return NotFoundError("Dossier parent : ce dossier n'existe pas.");
    p = parent->parent_id;
  }
  m->name = std::string(name);
  m->parent_id = parent_id;
  CADUCE_TRY(int64_t seq, repo_.NextModseq(*tx, account_id, 1));
  Status s = repo_.UpdateMailbox(*tx, *m, seq);
  if (s.code() == Code::kAlreadyExists) {
    return AlreadyExistsError("Nom du dossier : « " + m->name +
                              " » existe déjà à cet endroit ; choisissez un autre nom.");
  }
  CADUCE_RETURN_IF_ERROR(s);
  return tx->Commit();
}

Status MailService::DestroyMailbox(const MailActor& who, int64_t account_id, int64_t mailbox_id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  CADUCE_TRY(auto m, repo_.FindMailbox(*tx, account_id, mailbox_id));
  if (!m) return NotFoundError("Ce dossier n'existe pas.");
  if (m->role != Role::kNone) {
    return FailedPreconditionError("« " + m->name + " » est un dossier de base : il ne peut pas être supprimé.");
  }
  CADUCE_TRY(int64_t children, repo_.CountChildren(*tx, mailbox_id));
  if (children > 0 || m->total_emails > 0) {
    return FailedPreconditionError("Le dossier « " + m->name +
                                   " » n'est pas vide : déplacez d'abord ses messages et sous-dossiers.");
  }
  CADUCE_TRY(int64_t seq, repo_.NextModseq(*tx, account_id, 1));
  CADUCE_RETURN_IF_ERROR(repo_.DestroyMailbox(*tx, account_id, mailbox_id, seq));
  return tx->Commit();
}

Result<EmailQueryResult> MailService::Query(const MailActor& who, EmailQuery q) {
  if (q.limit < 0 || q.limit > 1000 || q.position < 0) {
    return InvalidArgumentError("Recherche : position et limite (au plus 1000) doivent être positives.");
  }
  const EmailFilter& f = q.filter;
  if (!f.text.empty() || !f.from.empty() || !f.to.empty() || !f.subject.empty()) {
    CADUCE_RETURN_IF_ERROR(CatchUpIndex());  // a search sees every stored message
  }
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, q.account_id));
  bool created = false;
  CADUCE_TRY(AccountMailState st, repo_.EnsureAccount(*tx, q.account_id, &created));
  q.person_id = who.person_id;
  CADUCE_TRY(EmailQueryResult r, repo_.QueryEmails(*tx, q, st.seen_per_person));
  r.query_state = st.modseq;
  return r;
}

Result<std::vector<Email>> MailService::GetEmails(const MailActor& who, int64_t account_id,
                                                  const std::vector<int64_t>& ids) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  bool created = false;
  CADUCE_TRY(AccountMailState st, repo_.EnsureAccount(*tx, account_id, &created));
  return repo_.GetEmails(*tx, account_id, ids, who.person_id, st.seen_per_person);
}

Result<std::vector<int64_t>> MailService::ThreadEmails(const MailActor& who, int64_t account_id,
                                                       int64_t thread_id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  return repo_.ThreadEmails(*tx, account_id, thread_id);
}

Result<std::vector<Snippet>> MailService::Snippets(const MailActor& who, int64_t account_id,
                                                   std::string_view text,
                                                   const std::vector<int64_t>& ids) {
  CADUCE_RETURN_IF_ERROR(CatchUpIndex());
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  return repo_.Snippets(*tx, account_id, text, ids);
}

Result<Changes> MailService::ChangesSince(const MailActor& who, int64_t account_id,
                                          ObjectType type, int64_t since, int64_t max_changes) {
  if (max_changes <= 0) max_changes = 1000;
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  bool created = false;
  CADUCE_TRY(AccountMailState st, repo_.EnsureAccount(*tx, account_id, &created));
  CADUCE_TRY(int64_t oldest, repo_.OldestState(*tx, account_id));
  if (since < oldest || since > st.modseq) {
    return FailedPreconditionError(
        "Cet état est inconnu ou trop ancien : rechargez la boîte aux lettres.");
  }
  return repo_.ChangesSince(*tx, account_id, type, since, max_changes);
}

Result<int64_t> MailService::State(const MailActor& who, int64_t account_id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  bool created = false;
  CADUCE_TRY(AccountMailState st, repo_.EnsureAccount(*tx, account_id, &created));
  return st.modseq;
}

// ---------------------------------------------------------------------------
// Actions

Result<Email> MailService::LoadEmail(storage::Tx& tx, const MailActor& who, int64_t account_id,
                                     int64_t email_id, bool per_person) {
  CADUCE_TRY(std::vector<Email> found,
             repo_.GetEmails(tx, account_id, {email_id}, who.person_id, per_person));
  if (found.empty()) return NoEmail();
  return std::move(found.front());
}

Status MailService::Trace(storage::Tx& tx, const MailActor& who, const AccountBrief& account,
                          const Email& email, std::string_view action, std::string detail_json) {
  if (!IsShared(account)) return OkStatus();
  audit::Event ev;
  ev.actor_person_id = who.person_id;
  ev.actor = who.address;
  ev.mailbox_id = account.id;
  ev.action = "email." + std::string(action);
  ev.object = "email:" + std::to_string(email.id);
  ev.ip = who.ip;
  JsonObject d;
  d.Add("message_id", email.message_id);
  if (!detail_json.empty()) d.AddRaw("change", detail_json);
  ev.detail = d.str();
  CADUCE_TRY(audit::Entry entry, audit_.Append(tx, std::move(ev)));
  EmailAction a;
  a.at = entry.at;
  a.person_id = who.person_id;
  a.person = who.address;
  a.action = std::string(action);
  a.audit_seq = entry.seq;
  return repo_.InsertAction(tx, email.id, a);
}

Status MailService::SetKeywords(const MailActor& who, int64_t account_id, int64_t email_id,
                                uint32_t add, uint32_t remove) {
  if ((add & remove) != 0) {
    return InvalidArgumentError("Mots-clés : un même mot-clé ne peut être ajouté et retiré à la fois.");
  }
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
  CADUCE_TRY(AccountMailState st, EnsureAccount(*tx, account_id));
  CADUCE_TRY(Email email, LoadEmail(*tx, who, account_id, email_id, st.seen_per_person));
  uint32_t now = (email.keywords | add) & ~remove;
  uint32_t changed = now ^ email.keywords;
  if (changed == 0) return OkStatus();
  CADUCE_TRY(int64_t m, repo_.NextModseq(*tx, account_id, 1));
  if (st.seen_per_person && (changed & kSeen)) {
    CADUCE_RETURN_IF_ERROR(repo_.SetPersonSeen(*tx, email_id, who.person_id, (now & kSeen) != 0));
    // The shared bits keep their own $seen (unused while the setting holds).
    CADUCE_TRY(auto shared, repo_.GetEmails(*tx, account_id, {email_id}, 0, false));
    uint32_t shared_bits = ((shared.front().keywords & kSeen)) | (now & ~kSeen);
    CADUCE_RETURN_IF_ERROR(repo_.SetKeywords(*tx, email_id, shared_bits, m));
  } else {
    CADUCE_RETURN_IF_ERROR(repo_.SetKeywords(*tx, email_id, now, m));
  }
  if (changed & kSeen) {
    for (int64_t mb : email.mailbox_ids) CADUCE_RETURN_IF_ERROR(repo_.TouchMailbox(*tx, mb, m));
  }
  CADUCE_RETURN_IF_ERROR(repo_.TouchThread(*tx, email.thread_id, m));
  static constexpr struct {
    uint32_t bit;
    const char* set;
    const char* unset;
  } kTraced[] = {{kSeen, "seen", "unseen"},
                 {kFlagged, "flagged", "unflagged"},
                 {kAnswered, "answered", "unanswered"},
                 {kForwarded, "forwarded", "unforwarded"}};
  for (const auto& t : kTraced) {
    if (changed & t.bit) {
      CADUCE_RETURN_IF_ERROR(Trace(*tx, who, account, email, (now & t.bit) ? t.set : t.unset));
    }
  }
  return tx->Commit();
}

Status MailService::ChangeMembership(const MailActor& who, int64_t account_id, int64_t email_id,
                                     int64_t to, bool move) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
  CADUCE_TRY(AccountMailState st, EnsureAccount(*tx, account_id));
  CADUCE_TRY(Email email, LoadEmail(*tx, who, account_id, email_id, st.seen_per_person));
  CADUCE_TRY(auto target, repo_.FindMailbox(*tx, account_id, to));
  if (!target) return NotFoundError("Dossier de destination : ce dossier n'existe pas.");
  bool already = std::find(email.mailbox_ids.begin(), email.mailbox_ids.end(), to) !=
                 email.mailbox_ids.end();
  if (already && (!move || email.mailbox_ids.size() == 1)) return OkStatus();
  CADUCE_TRY(int64_t m, repo_.NextModseq(*tx, account_id, 1));
  JsonObject change;
  if (move) {
    std::string from = "[";
    for (int64_t mb : email.mailbox_ids) {
      if (mb == to) continue;
      CADUCE_RETURN_IF_ERROR(repo_.RemoveMembership(*tx, email_id, mb));
      CADUCE_RETURN_IF_ERROR(repo_.TouchMailbox(*tx, mb, m));
      if (from.size() > 1) from += ",";
      from += std::to_string(mb);
    }
    change.AddRaw("from_mailboxes", from + "]");
  }
  if (!already) {
    CADUCE_RETURN_IF_ERROR(repo_.AddMembership(*tx, email_id, to));
    CADUCE_RETURN_IF_ERROR(repo_.TouchMailbox(*tx, to, m));
  }
  change.Add("to_mailbox", to);
  CADUCE_RETURN_IF_ERROR(repo_.TouchEmail(*tx, email_id, m));
  CADUCE_RETURN_IF_ERROR(Trace(*tx, who, account, email, move ? "moved" : "copied", change.str()));
  return tx->Commit();
}

Status MailService::Move(const MailActor& who, int64_t account_id, int64_t email_id, int64_t to) {
  return ChangeMembership(who, account_id, email_id, to, true);
}

Status MailService::Copy(const MailActor& who, int64_t account_id, int64_t email_id, int64_t to) {
  return ChangeMembership(who, account_id, email_id, to, false);
}

Status MailService::Destroy(const MailActor& who, int64_t account_id, int64_t email_id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
  CADUCE_TRY(AccountMailState st, EnsureAccount(*tx, account_id));
  CADUCE_TRY(Email email, LoadEmail(*tx, who, account_id, email_id, st.seen_per_person));
  CADUCE_TRY(int64_t trash, repo_.MailboxByRole(*tx, account_id, Role::kTrash));
  bool only_in_trash = email.mailbox_ids.size() == 1 && email.mailbox_ids.front() == trash;
  if (!only_in_trash) {
    tx.reset();
    CADUCE_RETURN_IF_ERROR(ChangeMembership(who, account_id, email_id, trash, true));
    return OkStatus();
  }
  CADUCE_TRY(int64_t m, repo_.NextModseq(*tx, account_id, 1));
  CADUCE_RETURN_IF_ERROR(Trace(*tx, who, account, email, "destroyed"));
  CADUCE_RETURN_IF_ERROR(repo_.DestroyEmail(*tx, account_id, email_id, m));
  CADUCE_RETURN_IF_ERROR(repo_.TouchMailbox(*tx, trash, m));
  CADUCE_RETURN_IF_ERROR(repo_.AddUsedBytes(*tx, account_id, -email.size));
  CADUCE_RETURN_IF_ERROR(repo_.AddBlobRef(*tx, email.blob_id, email.size, -1));
  CADUCE_TRY(auto rest, repo_.ThreadEmails(*tx, account_id, email.thread_id));
  if (rest.empty()) {
    CADUCE_RETURN_IF_ERROR(repo_.DestroyThread(*tx, account_id, email.thread_id, m));
  } else {
    CADUCE_RETURN_IF_ERROR(repo_.TouchThread(*tx, email.thread_id, m));
  }
  return tx->Commit();
}

Result<std::string> MailService::OpenBody(const MailActor& who, int64_t account_id,
                                          int64_t email_id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
  CADUCE_TRY(AccountMailState st, EnsureAccount(*tx, account_id));
  CADUCE_TRY(Email email, LoadEmail(*tx, who, account_id, email_id, st.seen_per_person));
  CADUCE_TRY(std::string raw, blobs_.Read(email.blob_id));
  CADUCE_RETURN_IF_ERROR(Trace(*tx, who, account, email, "opened"));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return raw;
}

Result<PartContent> MailService::DownloadAttachment(const MailActor& who, int64_t account_id,
                                                    int64_t email_id, std::string_view part_id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kWrite));
  CADUCE_TRY(AccountBrief account, CheckAccess(*tx, who, account_id));
  CADUCE_TRY(AccountMailState st, EnsureAccount(*tx, account_id));
  CADUCE_TRY(Email email, LoadEmail(*tx, who, account_id, email_id, st.seen_per_person));
  CADUCE_TRY(std::string raw, blobs_.Read(email.blob_id));
  CADUCE_TRY(PartContent part, ExtractPart(raw, part_id, limits_));
  JsonObject change;
  change.Add("part_id", part_id);
  CADUCE_RETURN_IF_ERROR(Trace(*tx, who, account, email, "downloaded", change.str()));
  CADUCE_RETURN_IF_ERROR(tx->Commit());
  return part;
}

Result<std::vector<EmailAction>> MailService::History(const MailActor& who, int64_t account_id,
                                                      int64_t email_id) {
  CADUCE_TRY(auto tx, db_.Begin(storage::TxMode::kRead));
  CADUCE_RETURN_IF_ERROR(CheckAccess(*tx, who, account_id));
  CADUCE_TRY(auto found, repo_.GetEmails(*tx, account_id, {email_id}, who.person_id, false));
  if (found.empty()) return NoEmail();
  return repo_.ActionsOf(*tx, email_id);
}

}  // namespace caduce::mail
