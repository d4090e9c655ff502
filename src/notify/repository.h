// File: notify/repository.h
//
// What the mail part needs from a store: the queue of mail intents (table
// `notifications`: an activation or reset mail to send to an account, its
// attempts, when to try next, the last error, when it was sent or given up),
// the per-address count of « Mot de passe oublié ? » requests, and the voiding of
// a purpose's older links. Only intents are stored, never a link: the token is
// issued at each delivery attempt (auth's tokens table keeps its hash only).
// Implemented by store_sqlite/notify_repo. Methods take the caller's transaction;
// none commits.
#ifndef CADUCE_NOTIFY_REPOSITORY_H_
#define CADUCE_NOTIFY_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/repository.h"
#include "base/status.h"
#include "storage/database.h"

namespace caduce::notify {

enum class MailKind : uint8_t {
  kActivation,  // "activation": choose a first password
  kReset,       // "reset": « Mot de passe oublié ? »
};

enum class IntentState : uint8_t {
  kPending,    // waiting for its next attempt
  kSent,       // the relay accepted it (or it was written to the outbox)
  kFailed,     // given up: a permanent refusal, or too many temporary failures
  kCancelled,  // no longer meaningful (account activated, disabled, removed)
};

// "activation", "reset" (the stored form, also used in the trail and the CLI).
std::string_view MailKindName(MailKind kind);
std::optional<MailKind> MailKindFromName(std::string_view name);
// "pending", "sent", "failed", "cancelled".
std::string_view IntentStateName(IntentState state);

struct Intent {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string address;  // the account's address (read with the row, for listings)
  MailKind kind = MailKind::kActivation;
  IntentState state = IntentState::kPending;
  int64_t attempts = 0;
  int64_t created_at = 0;       // microseconds since the epoch, like every time here
  int64_t next_attempt_at = 0;  // pending: not before this
  int64_t sent_at = 0;          // 0 when not sent
  int64_t failed_at = 0;        // 0 unless failed or cancelled
  std::string last_error;
};

struct IntentFilter {
  bool include_done = false;  // also sent and cancelled intents
  int64_t limit = 100;
};

class NotifyRepository {
 public:
  virtual ~NotifyRepository() = default;

  // Queues an intent due at `at`. Returns its id.
  virtual Result<int64_t> Enqueue(storage::Tx& tx, int64_t account_id, MailKind kind,
                                  int64_t at) = 0;
  // True when the account has a pending intent of `kind`.
  virtual Result<bool> HasPending(storage::Tx& tx, int64_t account_id, MailKind kind) = 0;
  // Intents of `kind` for the account created at or after `since` (any state).
  virtual Result<int64_t> CountSince(storage::Tx& tx, int64_t account_id, MailKind kind,
                                     int64_t since) = 0;
  virtual Result<std::optional<Intent>> Find(storage::Tx& tx, int64_t id) = 0;
  // Pending intents due at `now` (next_attempt_at <= now), oldest due first.
  virtual Result<std::vector<Intent>> Due(storage::Tx& tx, int64_t now, int64_t limit) = 0;
  // Takes a due pending intent for one attempt: attempts + 1 and next_attempt_at =
  // `lease_until`, so that no other process sends it meanwhile (and a crash mid-
  // send retries it once the lease ends). False when it is no longer pending and
  // due (another process took it).
  virtual Result<bool> Claim(storage::Tx& tx, int64_t id, int64_t now, int64_t lease_until) = 0;
  virtual Status MarkSent(storage::Tx& tx, int64_t id, int64_t at) = 0;
  // Stays pending, next attempt at `next_at`, with the error that delayed it.
  virtual Status MarkRetry(storage::Tx& tx, int64_t id, int64_t next_at,
                           std::string_view error) = 0;
  // Ends the intent as kFailed or kCancelled with the reason.
  virtual Status MarkDone(storage::Tx& tx, int64_t id, IntentState state, int64_t at,
                          std::string_view reason) = 0;
  // Puts failed intents back in the queue, due at `at` with their attempts reset
  // (`id` 0: every failed intent). Returns how many.
  virtual Result<int64_t> Requeue(storage::Tx& tx, int64_t id, int64_t at) = 0;
  // Intents newest first: pending and failed ones, and with include_done the others.
  virtual Result<std::vector<Intent>> List(storage::Tx& tx, const IntentFilter& filter) = 0;

  // Marks used every unused link token of the account for `purpose` (a new mail
  // voids the links of the earlier ones).
  virtual Status VoidTokens(storage::Tx& tx, int64_t account_id, auth::TokenPurpose purpose,
                            int64_t at) = 0;

  // « Mot de passe oublié ? » requests, counted per remote address to bound the
  // mails one client can cause; rows older than `forget_before` are deleted.
  virtual Status RecordResetRequest(storage::Tx& tx, std::string_view ip, int64_t at,
                                    int64_t forget_before) = 0;
  virtual Result<int64_t> CountResetRequests(storage::Tx& tx, std::string_view ip,
                                             int64_t since) = 0;
};

}  // namespace caduce::notify

#endif  // CADUCE_NOTIFY_REPOSITORY_H_
