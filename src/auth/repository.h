// File: auth/repository.h
//
// What the sign-in part needs from a store: the credentials of an account (its
// argon2id hash and the few columns sign-in decides on), single-use tokens,
// sessions and the sign-in failure counters. Implemented by store_sqlite/ (and later
// store_postgres/). Exposure: handles credentials — every secret reaches a store only
// as a hash (argon2id for passwords, BLAKE2b-256 for tokens), never in clear.
// Methods take the caller's transaction; none commits. Everything that more than
// one process must agree on (sessions, throttling) lives here, in the database.
#ifndef CADUCE_AUTH_REPOSITORY_H_
#define CADUCE_AUTH_REPOSITORY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "directory/model.h"
#include "storage/database.h"

namespace caduce::auth {

// BLAKE2b-256 of a token's 32 random bytes: the only form a token is stored in.
using TokenHash = std::array<uint8_t, 32>;

enum class TokenPurpose : uint8_t {
  kActivate,  // the link of a created account, to choose its first password
  kReset,     // « Mot de passe oublié ? »
};

// What sign-in reads of an account, in one row.
struct Credentials {
  int64_t account_id = 0;
  directory::AccountType type = directory::AccountType::kPer;
  directory::AccountStatus status = directory::AccountStatus::kPending;
  std::string disabled_reason;  // "", "admin" or "expired"
  std::string date_peremption;  // "YYYY-MM-DD" or ""
  std::string address;
  std::string nom;
  std::string prenom;
  std::string password_hash;       // the argon2id string; "" when none was set
  int64_t default_mailbox_id = 0;  // 0: itself
};

struct TokenRecord {
  TokenHash hash{};
  int64_t account_id = 0;
  TokenPurpose purpose = TokenPurpose::kActivate;
  int64_t created_at = 0;  // microseconds since the epoch, like every time below
  int64_t expires_at = 0;
  int64_t used_at = 0;  // 0: not used
};

struct SessionRecord {
  TokenHash hash{};
  int64_t person_id = 0;
  int64_t mailbox_id = 0;  // the mailbox the person currently acts in
  int64_t created_at = 0;
  int64_t last_seen = 0;
  std::string ip;
  std::string user_agent;
};

// Failures are counted per typed address and per remote address.
enum class ThrottleScope : uint8_t { kAccount, kIp };

struct FailureCount {
  int64_t count = 0;
  int64_t last_at = 0;  // time of the newest counted failure (0 when count is 0)
};

// Cut-off times for AuthRepository::Purge (microseconds since the epoch).
struct PurgeBefore {
  int64_t session_last_seen = 0;  // sessions idle since before this
  int64_t session_created = 0;    // sessions created before this (absolute timeout)
  int64_t token_expires = 0;      // tokens that expired before this
  int64_t failure_at = 0;         // failures older than the counting window
  int64_t lock_until = 0;         // locks that ended before this
};

class AuthRepository {
 public:
  virtual ~AuthRepository() = default;

  // ---- Credentials ----

  // The credentials of the account with this (lowercase) address or id, or nullopt.
  virtual Result<std::optional<Credentials>> FindCredentials(storage::Tx& tx,
                                                             std::string_view address) = 0;
  virtual Result<std::optional<Credentials>> FindCredentialsById(storage::Tx& tx,
                                                                 int64_t account_id) = 0;
  // Stores a new argon2id hash. kNotFound when there is no such account.
  virtual Status SetPasswordHash(storage::Tx& tx, int64_t account_id, std::string_view hash,
                                 int64_t at) = 0;
  // Replaces the hash only while it is still `expected` (a rehash must not undo a
  // password change made meanwhile by another process). Returns whether it did.
  // updated_at is left alone: a rehash changes no fact about the account.
  virtual Result<bool> ReplacePasswordHash(storage::Tx& tx, int64_t account_id,
                                           std::string_view expected, std::string_view hash) = 0;
  // Turns a pending account active (its password is now set). Returns false when it
  // was not pending (active already, or disabled: a disabled account stays so).
  virtual Result<bool> ActivateIfPending(storage::Tx& tx, int64_t account_id, int64_t at) = 0;

  // ---- Tokens ----

  virtual Status InsertToken(storage::Tx& tx, const TokenRecord& token) = 0;
  virtual Result<std::optional<TokenRecord>> FindToken(storage::Tx& tx, const TokenHash& hash) = 0;
  // Sets used_at when the token is not used yet. Returns false when it already was
  // (two requests racing for one link: only one wins).
  virtual Result<bool> MarkTokenUsed(storage::Tx& tx, const TokenHash& hash, int64_t at) = 0;
  // Marks every unused token of the account used (a password change voids older links).
  virtual Status VoidTokensOf(storage::Tx& tx, int64_t account_id, int64_t at) = 0;

  // ---- Sessions ----

  virtual Status InsertSession(storage::Tx& tx, const SessionRecord& session) = 0;
  virtual Result<std::optional<SessionRecord>> FindSession(storage::Tx& tx,
                                                           const TokenHash& hash) = 0;
  virtual Status TouchSession(storage::Tx& tx, const TokenHash& hash, int64_t last_seen) = 0;
  virtual Status SetSessionMailbox(storage::Tx& tx, const TokenHash& hash, int64_t mailbox_id) = 0;
  // Returns false when there was no such session.
  virtual Result<bool> DeleteSession(storage::Tx& tx, const TokenHash& hash) = 0;
  // Deletes every session of the person; returns how many there were.
  virtual Result<int64_t> DeleteSessionsOf(storage::Tx& tx, int64_t person_id) = 0;

  // ---- Throttling ----

  virtual Status RecordFailure(storage::Tx& tx, ThrottleScope scope, std::string_view key,
                               int64_t at) = 0;
  // Failures of `key` at or after `since`.
  virtual Result<FailureCount> CountFailures(storage::Tx& tx, ThrottleScope scope,
                                             std::string_view key, int64_t since) = 0;
  virtual Status ClearFailures(storage::Tx& tx, ThrottleScope scope, std::string_view key) = 0;
  // Sets (or extends) a lock on `key` until `until`.
  virtual Status SetLock(storage::Tx& tx, ThrottleScope scope, std::string_view key, int64_t at,
                         int64_t until) = 0;
  // The end of the lock on `key`, or 0 when there is none.
  virtual Result<int64_t> LockedUntil(storage::Tx& tx, ThrottleScope scope,
                                      std::string_view key) = 0;

  // ---- Housekeeping ----

  // Deletes what can no longer matter: sessions idle or too old, tokens expired
  // before the given time, counted failures out of the window and ended locks.
  // Returns the number of rows deleted.
  virtual Result<int64_t> Purge(storage::Tx& tx, const PurgeBefore& before) = 0;
};

}  // namespace caduce::auth

#endif  // CADUCE_AUTH_REPOSITORY_H_
