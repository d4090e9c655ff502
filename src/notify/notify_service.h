// File: notify/notify_service.h
//
// The mails that let a person choose a password (DESIGN.md rules 5 and 6): the
// queue of intents, their delivery with retries, and the link endpoints' rules.
//
//  - An intent (activation or reset of one account) is queued in the transaction
//    that decides it (account creation with "notify", an import, « Mot de passe
//    oublié ? », an administrator's resend). No link is stored with it.
//  - Delivery, by the worker thread of `caduce serve` or by `caduce mail flush`,
//    takes each due intent, issues a fresh link token (activation valid
//    AuthOptions::activation_seconds, reset AuthOptions::reset_seconds) while
//    voiding the older unused links of that account and purpose, renders the
//    French mail and hands it to the Mailer. A temporary failure (4xx, relay
//    unreachable) retries with exponential backoff; a 5xx, or too many attempts,
//    ends the intent as failed (recorded in the queue and the trail). A claimed
//    intent is leased, so two processes never send it twice and a crash retries it.
//  - « Mot de passe oublié ? » answers the same whatever the address: it always
//    writes one row (the request, counted per remote address) and, for an account
//    that may reset, queues the intent; the mail leaves later, from the worker.
//
// Traces: mail.queued, auth.reset_requested, mail.sent, mail.failed,
// mail.cancelled (with the account, never the link); setting the password is
// traced by auth (auth.password_set, auth.password_reset).
// Exposure: handles credentials — link tokens exist in clear only in memory,
// between their issue and the mail; passwords pass through to auth.
// Thread-safe; the worker is one thread.
#ifndef CADUCE_NOTIFY_NOTIFY_SERVICE_H_
#define CADUCE_NOTIFY_NOTIFY_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "auth/repository.h"
#include "auth/sign_in.h"
#include "base/clock.h"
#include "base/status.h"
#include "directory/repository.h"
#include "notify/mailer.h"
#include "notify/message.h"
#include "notify/repository.h"
#include "storage/database.h"

namespace caduce::notify {

struct NotifyOptions {
  // The web UI's address as people reach it; links are <public_url>/#/activation/…
  std::string public_url = "http://localhost:8080";
  // The From of the mails: "address" or "Name <address>".
  std::string mail_from = "Messagerie sécurisée de santé <ne-pas-repondre@localhost>";
  bool html_part = true;
  int64_t max_attempts = 8;          // temporary failures before giving up
  int64_t retry_base_seconds = 60;   // 1st retry after this, then doubling …
  int64_t retry_max_seconds = 3600;  // … up to this
  int64_t lease_seconds = 300;       // a claimed intent is not retried before this
  int64_t poll_seconds = 5;          // the worker looks at the queue at least this often
  int64_t batch = 50;                // intents per pass
  int64_t resets_per_account_per_hour = 3;
  int64_t resets_per_ip_per_hour = 30;
  // Receives one French line per event (queued link in outbox mode, sent, retried,
  // failed). Null: nothing is logged. Called from the delivering thread.
  std::function<void(const std::string&)> log;
};

// Who asked for a mail (for the trail).
struct QueuedBy {
  int64_t person_id = 0;           // 0: caduce itself or the command line
  std::string label = "caduce";    // the person's address, "operator (cli)" …
  std::string ip;
  std::string user_agent;
};

struct DeliveryCounts {
  int64_t sent = 0;
  int64_t retried = 0;    // temporary failure, tried again later
  int64_t failed = 0;     // given up
  int64_t cancelled = 0;  // no longer meaningful
  int64_t skipped = 0;    // taken meanwhile by another process
};

// What a link is for, to greet the person on its page.
struct LinkInfo {
  auth::TokenPurpose purpose = auth::TokenPurpose::kActivate;
  std::string address;
  int64_t expires_at = 0;
};

class NotifyService {
 public:
  // The refusal of a link that is unknown, used, expired or for the other page.
  static constexpr std::string_view kBadLinkMessage =
      "Ce lien n'est pas valide, a déjà servi ou a expiré. Demandez-en un nouveau avec « Mot de "
      "passe oublié ? » ou auprès de l'administrateur de votre structure.";

  // kInvalidArgument (French, naming the setting) when mail_from or public_url is
  // malformed. Every reference must outlive the service.
  static Result<std::unique_ptr<NotifyService>> Create(
      storage::Database& db, NotifyRepository& repo, auth::AuthRepository& auth_repo,
      directory::DirectoryRepository& directory, audit::AuditLog& audit,
      auth::SignInService& sign_in, Mailer& mailer, const Clock& clock, NotifyOptions options);
  // Stops the worker (see Stop).
  ~NotifyService();
  NotifyService(const NotifyService&) = delete;
  NotifyService& operator=(const NotifyService&) = delete;

  // ---- Queueing ----

  // Queues the activation mail of a nominative account in the caller's
  // transaction (nothing is queued when one is already pending). Call Wake() after
  // the commit to send it at once; otherwise the worker finds it within
  // poll_seconds. kNotFound (no such account), kFailedPrecondition (not
  // nominative, disabled, or active already: the person has a password).
  Status QueueActivation(storage::Tx& tx, int64_t account_id, const QueuedBy& by = {});
  // The same in its own transaction, then Wake().
  Status QueueActivation(int64_t account_id, const QueuedBy& by = {});

  // « Mot de passe oublié ? ». OK whatever the address (no enumeration), except a
  // failure of the store (kUnavailable …). Queues a reset for an active or pending
  // nominative account, at most resets_per_account_per_hour, and nothing once the
  // remote address made resets_per_ip_per_hour requests in the hour.
  Status RequestReset(std::string_view address, std::string_view ip, std::string_view user_agent);

  // ---- Delivering ----

  // Delivers the intents due now (at most `max`, 0: every due one), one after the
  // other. Fails only when the store does; each mail's outcome is counted.
  Result<DeliveryCounts> DeliverDue(int64_t max = 0);
  // Starts the worker thread: a pass at start, on Wake(), and every poll_seconds.
  void Start();
  // Stops the worker, aborting a transfer in progress (retried later). Idempotent.
  void Stop();
  // Asks the worker for a pass now.
  void Wake();

  // ---- Links ----

  // The purpose and address of a usable link. kNotFound (kBadLinkMessage) when
  // the token is malformed, unknown, used or expired.
  Result<LinkInfo> InspectLink(std::string_view token);
  // Sets the password with a link of `purpose`: kFailedPrecondition
  // (kBadLinkMessage or auth's sentence) when the link is not usable for that
  // purpose, kInvalidArgument when the password breaks the policy (its French
  // message), kPermissionDenied for a disabled account. Signs the person out
  // everywhere (auth). Slow on purpose (argon2id).
  Status SetPasswordWithLink(auth::TokenPurpose purpose, std::string_view token,
                             std::string_view password, std::string_view ip,
                             std::string_view user_agent);

  // ---- Queue administration ----

  Result<std::vector<Intent>> List(const IntentFilter& filter);
  // Puts a failed intent (`id` 0: every failed one) back in the queue.
  Result<int64_t> Requeue(int64_t id);

  const Mailer& mailer() const { return mailer_; }
  const NotifyOptions& options() const { return options_; }

 private:
  enum class Outcome { kSent, kRetried, kFailed, kCancelled, kSkipped };
  NotifyService(storage::Database& db, NotifyRepository& repo, auth::AuthRepository& auth_repo,
                directory::DirectoryRepository& directory, audit::AuditLog& audit,
                auth::SignInService& sign_in, Mailer& mailer, const Clock& clock,
                NotifyOptions options, MailAddress from);
  Result<Outcome> DeliverOne(const Intent& intent);
  Status EndIntent(const Intent& intent, IntentState state, std::string_view reason,
                   int64_t attempts);
  void Log(const std::string& line) const;
  void Run();

  storage::Database& db_;
  NotifyRepository& repo_;
  auth::AuthRepository& auth_repo_;
  directory::DirectoryRepository& directory_;
  audit::AuditLog& audit_;
  auth::SignInService& sign_in_;
  Mailer& mailer_;
  const Clock& clock_;
  const NotifyOptions options_;
  const MailAddress from_;

  std::mutex deliver_mu_;  // one pass at a time in this process

  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;      // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread worker_;

};

}  // namespace caduce::notify

#endif  // CADUCE_NOTIFY_NOTIFY_SERVICE_H_
