// File: store_sqlite/notify_repo.h
//
// The SQLite implementation of notify::NotifyRepository: the mail queue (table
// notifications, migrations 3 and 5), reset requests per address, and the voiding
// of a purpose's unused link tokens (table tokens, migration 4). Every statement
// is a constant SQL text with bound values. Stateless: one instance serves every
// thread, each with its own Tx.
#ifndef CADUCE_STORE_SQLITE_NOTIFY_REPO_H_
#define CADUCE_STORE_SQLITE_NOTIFY_REPO_H_

#include "notify/repository.h"

namespace caduce::store_sqlite {

// REQUIRES: every Tx given comes from a SqliteDatabase. Write methods refuse a
// kRead Tx with kFailedPrecondition.
class SqliteNotifyRepository final : public notify::NotifyRepository {
 public:
  Result<int64_t> Enqueue(storage::Tx& tx, int64_t account_id, notify::MailKind kind,
                          int64_t at) override;
  Result<bool> HasPending(storage::Tx& tx, int64_t account_id, notify::MailKind kind) override;
  Result<int64_t> CountSince(storage::Tx& tx, int64_t account_id, notify::MailKind kind,
                             int64_t since) override;
  Result<std::optional<notify::Intent>> Find(storage::Tx& tx, int64_t id) override;
  Result<std::vector<notify::Intent>> Due(storage::Tx& tx, int64_t now, int64_t limit) override;
  Result<bool> Claim(storage::Tx& tx, int64_t id, int64_t now, int64_t lease_until) override;
  Status MarkSent(storage::Tx& tx, int64_t id, int64_t at) override;
  Status MarkRetry(storage::Tx& tx, int64_t id, int64_t next_at, std::string_view error) override;
  Status MarkDone(storage::Tx& tx, int64_t id, notify::IntentState state, int64_t at,
                  std::string_view reason) override;
  Result<int64_t> Requeue(storage::Tx& tx, int64_t id, int64_t at) override;
  Result<std::vector<notify::Intent>> List(storage::Tx& tx,
                                           const notify::IntentFilter& filter) override;
  Status VoidTokens(storage::Tx& tx, int64_t account_id, auth::TokenPurpose purpose,
                    int64_t at) override;
  Status RecordResetRequest(storage::Tx& tx, std::string_view ip, int64_t at,
                            int64_t forget_before) override;
  Result<int64_t> CountResetRequests(storage::Tx& tx, std::string_view ip, int64_t since) override;
};

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_NOTIFY_REPO_H_
