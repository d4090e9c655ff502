// File: store_sqlite/auth_repo.h
//
// The SQLite implementation of auth::AuthRepository: credentials read from
// accounts (password_hash, status and the columns sign-in decides on), tokens,
// sessions, sign-in failures and locks (migration 4). Exposure: handles credentials
// — it stores and reads only hashes (argon2id strings, BLAKE2b-256 of tokens).
// Every statement is a constant SQL text prepared once per connection (Stmt), with
// every value bound. Stateless: one instance may serve every thread, each with its
// own Tx.
#ifndef CADUCE_STORE_SQLITE_AUTH_REPO_H_
#define CADUCE_STORE_SQLITE_AUTH_REPO_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "auth/repository.h"
#include "base/status.h"
#include "storage/database.h"

namespace caduce::store_sqlite {

// REQUIRES: every Tx given comes from a SqliteDatabase (store_sqlite/db.h).
// Write methods refuse a kRead Tx with kFailedPrecondition.
class SqliteAuthRepository final : public auth::AuthRepository {
 public:
  SqliteAuthRepository() = default;

  Result<std::optional<auth::Credentials>> FindCredentials(storage::Tx& tx,
                                                           std::string_view address) override;
  Result<std::optional<auth::Credentials>> FindCredentialsById(storage::Tx& tx,
                                                               int64_t account_id) override;
  Status SetPasswordHash(storage::Tx& tx, int64_t account_id, std::string_view hash,
                         int64_t at) override;
  Result<bool> ReplacePasswordHash(storage::Tx& tx, int64_t account_id, std::string_view expected,
                                   std::string_view hash) override;
  Result<bool> ActivateIfPending(storage::Tx& tx, int64_t account_id, int64_t at) override;

  Status InsertToken(storage::Tx& tx, const auth::TokenRecord& token) override;
  Result<std::optional<auth::TokenRecord>> FindToken(storage::Tx& tx,
                                                     const auth::TokenHash& hash) override;
  Result<bool> MarkTokenUsed(storage::Tx& tx, const auth::TokenHash& hash, int64_t at) override;
  Status VoidTokensOf(storage::Tx& tx, int64_t account_id, int64_t at) override;

  Status InsertSession(storage::Tx& tx, const auth::SessionRecord& session) override;
  Result<std::optional<auth::SessionRecord>> FindSession(storage::Tx& tx,
                                                         const auth::TokenHash& hash) override;
  Status TouchSession(storage::Tx& tx, const auth::TokenHash& hash, int64_t last_seen) override;
  Status SetSessionMailbox(storage::Tx& tx, const auth::TokenHash& hash,
                           int64_t mailbox_id) override;
  Result<bool> DeleteSession(storage::Tx& tx, const auth::TokenHash& hash) override;
  Result<int64_t> DeleteSessionsOf(storage::Tx& tx, int64_t person_id) override;

  Status RecordFailure(storage::Tx& tx, auth::ThrottleScope scope, std::string_view key,
                       int64_t at) override;
  Result<auth::FailureCount> CountFailures(storage::Tx& tx, auth::ThrottleScope scope,
                                           std::string_view key, int64_t since) override;
  Status ClearFailures(storage::Tx& tx, auth::ThrottleScope scope, std::string_view key) override;
  Status SetLock(storage::Tx& tx, auth::ThrottleScope scope, std::string_view key, int64_t at,
                 int64_t until) override;
  Result<int64_t> LockedUntil(storage::Tx& tx, auth::ThrottleScope scope,
                              std::string_view key) override;

  Result<int64_t> Purge(storage::Tx& tx, const auth::PurgeBefore& before) override;
};

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_AUTH_REPO_H_
