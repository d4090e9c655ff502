// File: auth/sign_in.h
//
// Signing in, sessions, the mailbox a person acts in, and the links that set a
// password (DESIGN.md rules 1 and 2). Exposure: handles credentials — it receives
// passwords and tokens in clear from the protocol servers, keeps only their hashes,
// and writes neither into the audit trail nor into any message.
//
// The rules it holds:
//  - only a nominative account (PER, INT, MED) signs in; an ORG or APP address is
//    refused with a sentence that tells how to reach that mailbox instead;
//  - an unknown address and a wrong password get the same status, the same message
//    and the same work (an argon2id verification against a dummy hash), so that
//    sign-in does not tell which addresses exist; pending, disabled and expired
//    accounts are told apart only once the password was right (a pending account
//    has none: it is told to use its activation link);
//  - failures are counted per typed address and per remote address, in the database
//    (every process shares the counts): after `delay_after` failures in the window
//    the caller must wait (retry_after, growing), after `lock_after` the key is
//    locked for `lock_seconds` and auth.locked is recorded;
//  - a session lands in the person's default mailbox while the right on it holds,
//    and every request re-checks the right on the current mailbox, so that a revoked
//    right stops access at the next request;
//  - activation (7 days) and reset (1 hour) links are single-use; setting a password
//    signs the person out everywhere.
// Every event goes to the audit trail with the person, the IP and the user agent.
//
// Thread-safe: each call runs in its own transactions. Hashing (slow on purpose) runs
// outside any write transaction, so it never holds the database's write lock.
#ifndef CADUCE_AUTH_SIGN_IN_H_
#define CADUCE_AUTH_SIGN_IN_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "auth/password.h"
#include "auth/password_policy.h"
#include "auth/repository.h"
#include "base/clock.h"
#include "base/status.h"
#include "directory/model.h"
#include "directory/repository.h"
#include "storage/database.h"

namespace caduce::auth {

struct ThrottleOptions {
  int64_t window_seconds = 15 * 60;  // failures older than this are forgotten
  int64_t delay_after = 5;           // from this many failures on: wait before retrying
  int64_t lock_after = 10;           // at this many failures: lock the key
  int64_t lock_seconds = 15 * 60;
  int64_t max_delay_seconds = 60;  // the progressive delay doubles up to this
};

struct AuthOptions {
  PasswordCost cost = PasswordCost::Production();
  int64_t activation_seconds = 7 * 24 * 3600;
  int64_t reset_seconds = 3600;
  int64_t session_idle_seconds = 30 * 60;
  int64_t session_absolute_seconds = 12 * 3600;
  // last_seen is written at most this often, so that reading a session is not a
  // write on every request; the idle timeout is therefore this much less precise.
  int64_t session_touch_seconds = 60;
  ThrottleOptions throttle;
};

// A signed-in session. `token` is the secret the caller keeps (a cookie); it is set
// by SignIn and echoed by Resolve.
struct Session {
  std::string token;
  int64_t person_id = 0;
  int64_t mailbox_id = 0;  // the mailbox the person acts in now
  int64_t created_at = 0;
  int64_t last_seen = 0;
};

// A mailbox the person may open.
struct MailboxChoice {
  int64_t id = 0;
  std::string address;
  directory::AccountType type = directory::AccountType::kPer;
  std::string description;  // « Description fonctionnelle » (ORG/APP), "" for oneself
};

// Me(): the person and its mailboxes, itself first.
struct MeView {
  int64_t person_id = 0;
  std::string address;
  directory::AccountType type = directory::AccountType::kPer;
  std::string nom;
  std::string prenom;
  std::vector<MailboxChoice> mailboxes;
  int64_t current_mailbox_id = 0;
  std::string notice;  // set when the current mailbox was just taken away (see below)
};

// CurrentMailbox(): where the request acts.
struct CurrentMailboxView {
  int64_t person_id = 0;
  int64_t mailbox_id = 0;
  // True when the right on the previous mailbox was revoked (or that mailbox
  // disabled) and the session went back to the person's own mailbox; `notice` then
  // says so in French.
  bool fell_back = false;
  std::string notice;
};

class SignInService {
 public:
  // The exact refusal of an ORG or APP address (DESIGN.md rule 1).
  static constexpr std::string_view kSharedMailboxMessage =
      "Cette adresse est une boîte organisationnelle ou applicative : on ne s'y connecte pas "
      "directement. Connectez-vous avec votre compte nominatif, puis choisissez-la dans "
      "« Changer de compte ».";
  // The one answer to an unknown address and to a wrong password.
  static constexpr std::string_view kBadCredentialsMessage = "Adresse ou mot de passe incorrect.";

  SignInService(storage::Database& db, AuthRepository& repo,
                directory::DirectoryRepository& directory, audit::AuditLog& audit,
                const PasswordPolicy& policy, const Clock& clock, AuthOptions options = {})
      : db_(db),
        repo_(repo),
        directory_(directory),
        audit_(audit),
        policy_(policy),
        clock_(clock),
        options_(options),
        hasher_(options.cost) {}

  // ---- Signing in and out ----

  // Signs in with an address and a password. Returns a new session, in the
  // person's default mailbox. Refusals (French messages):
  //  - kInvalidArgument: an ORG or APP address (kSharedMailboxMessage);
  //  - kUnauthenticated: unknown address or wrong password (kBadCredentialsMessage);
  //  - kFailedPrecondition: a pending account (no password yet);
  //  - kPermissionDenied: a disabled or an expired account (right password);
  //  - kUnavailable: too many recent failures, wait *retry_after_seconds first;
  //  - kResourceExhausted: locked, the message says for how long.
  // *retry_after_seconds (when given) is set to how long the caller must wait before
  // the next attempt (0: no wait). The service never sleeps.
  Result<Session> SignIn(std::string_view address, std::string_view password, std::string_view ip,
                         std::string_view user_agent, int64_t* retry_after_seconds = nullptr);

  // The live session of `token`, its last_seen slid forward. kUnauthenticated when
  // the token is unknown, idle for too long, too old, or its person can no longer
  // sign in (disabled, expired); the session is then deleted.
  Result<Session> Resolve(std::string_view token);

  // Ends the session (idempotent: OK when there is none).
  Status SignOut(std::string_view token, std::string_view ip, std::string_view user_agent);
  // Ends every session of the person; returns how many there were.
  Result<int64_t> SignOutEverywhere(int64_t person_id, std::string_view ip,
                                    std::string_view user_agent);

  // ---- Mailbox context ----

  // The person of the session and the mailboxes it may open: itself first, then
  // each active ORG/APP it holds a right on, by id. kUnauthenticated as Resolve.
  Result<MeView> Me(std::string_view token, std::string_view ip = {},
                    std::string_view user_agent = {});
  // Makes `mailbox_id` the session's current mailbox, after checking the right
  // again. kPermissionDenied when the person holds no right on it (or it is not an
  // active ORG/APP mailbox). Records auth.switch.
  Result<MailboxChoice> Switch(std::string_view token, int64_t mailbox_id, std::string_view ip,
                               std::string_view user_agent);
  // The mailbox this request acts in, with the right checked again on every call.
  // `ip` and `user_agent` of the request go into the trail when the right was
  // revoked and the session falls back to the person's own mailbox.
  Result<CurrentMailboxView> CurrentMailbox(std::string_view token, std::string_view ip = {},
                                            std::string_view user_agent = {});

  // ---- Passwords ----

  // A single-use activation link token for a nominative, not disabled account, valid
  // options.activation_seconds. For the mail that goes to the person only.
  Result<std::string> IssueActivation(int64_t account_id);
  // « Mot de passe oublié ? ». Always OK for the caller, whatever the address; the
  // token (valid options.reset_seconds) exists only for an active or pending
  // nominative account, and goes into a mail to that account, never into the reply.
  Result<std::optional<std::string>> RequestReset(std::string_view address, std::string_view ip,
                                                  std::string_view user_agent);
  // Sets the password with an activation or reset token: checks the token (unknown:
  // kInvalidArgument; used or expired: kFailedPrecondition) and the policy
  // (kInvalidArgument), stores the argon2id hash, uses the token up, activates a
  // pending account and ends every session of the person.
  Status SetPassword(std::string_view token, std::string_view new_password, std::string_view ip,
                     std::string_view user_agent);

  // The answer to a wrong current password in ChangePassword.
  static constexpr std::string_view kWrongCurrentMessage = "Mot de passe actuel incorrect.";
  // The person of session `token` changes its password: `current` is verified
  // (argon2id), `new_password` goes through the policy, its hash is stored, the
  // person's unused links are voided and every other session of the person ends
  // (this one stays); auth.password_changed is traced, never a password.
  // Refusals (French messages):
  //  - kUnauthenticated: no live session (as Resolve);
  //  - kPermissionDenied: a wrong current password (kWrongCurrentMessage), counted
  //    as a failed sign-in on the person's address and the IP, which may lock;
  //  - kUnavailable / kResourceExhausted: throttled or locked as SignIn, with
  //    *retry_after_seconds;
  //  - kInvalidArgument: the policy's finding, or the new password equals the current;
  //  - kAborted: the password was changed meanwhile by another request.
  Status ChangePassword(std::string_view token, std::string_view current,
                        std::string_view new_password, std::string_view ip,
                        std::string_view user_agent, int64_t* retry_after_seconds = nullptr);

  // Deletes expired sessions and tokens, old failures and ended locks. Returns the
  // number of rows deleted. For a periodic job.
  Result<int64_t> Purge();

  const AuthOptions& options() const { return options_; }

 private:
  struct Throttled;
  Result<std::optional<Throttled>> CheckThrottle(storage::Tx& tx, std::string_view account_key,
                                                 std::string_view ip);
  Status RecordFailure(std::string_view account_key, const Credentials* known, std::string_view ip,
                       std::string_view user_agent, std::string_view reason,
                       int64_t* retry_after_seconds);
  Status RecordRefusal(const Credentials* known, std::string_view address, std::string_view ip,
                       std::string_view user_agent, std::string_view reason);
  Result<std::string> DummyHash();
  bool IsExpired(const Credentials& c) const;
  Result<int64_t> LandingMailbox(storage::Tx& tx, const Credentials& person);
  Result<bool> MayOpen(storage::Tx& tx, int64_t person_id, int64_t mailbox_id);
  Result<Session> ResolveHash(const TokenHash& hash, std::string_view token);
  Result<CurrentMailboxView> CheckCurrent(const Session& session, std::string_view ip,
                                         std::string_view user_agent);
  Result<TokenRecord> UsableToken(storage::Tx& tx, const TokenHash& hash);
  Result<std::string> IssueToken(storage::Tx& tx, const Credentials& account, TokenPurpose purpose,
                                 std::string_view ip, std::string_view user_agent);

  storage::Database& db_;
  AuthRepository& repo_;
  directory::DirectoryRepository& directory_;
  audit::AuditLog& audit_;
  const PasswordPolicy& policy_;
  const Clock& clock_;
  const AuthOptions options_;
  const PasswordHasher hasher_;

  std::once_flag dummy_once_;
  Result<std::string> dummy_hash_ = InternalError("not computed");
};

// The person `person_id` and the mailboxes it may open (itself first, then each
// active ORG/APP it holds a right on, by id), read in the caller's transaction;
// current_mailbox_id is its default mailbox when that is among them, else itself.
// nullopt when there is no such account. What Me() and access tokens both show.
Result<std::optional<MeView>> ReadPersonView(storage::Tx& tx, AuthRepository& repo,
                                             directory::DirectoryRepository& directory,
                                             int64_t person_id);

}  // namespace caduce::auth

#endif  // CADUCE_AUTH_SIGN_IN_H_
