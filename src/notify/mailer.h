// File: notify/mailer.h
//
// Where a rendered mail goes: an SMTP relay (libcurl's SMTP client, smtp:// with
// STARTTLS or smtps://, AUTH when a user is configured) or, with no relay, an
// outbox folder of .eml files (the `make run` default). Exposure: opens network
// connections to the configured relay and reads the relay password file; the
// password is kept in memory only and never logged.
//
// Send() tells the caller what to do next through the code of its Status:
//  - OK: the relay accepted the mail (or the file is written);
//  - kUnavailable: a temporary failure (connection refused or timed out, a 4xx
//    reply, TLS or authentication trouble): retry later;
//  - kFailedPrecondition: the relay refused the mail for good (a 5xx reply);
// a stop request ends a transfer in progress as kUnavailable (retried later).
// Thread-compatible: one Send at a time per instance (the delivery worker, or the
// `caduce mail flush` command).
#ifndef CADUCE_NOTIFY_MAILER_H_
#define CADUCE_NOTIFY_MAILER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace caduce::notify {

// How a smtp:// relay is protected (smtps:// is always TLS from the first byte).
enum class StartTls : uint8_t {
  kAuto,      // required, except for a loopback relay (127.0.0.1, ::1, localhost) where it is tried
  kRequired,  // the relay must offer STARTTLS, else nothing is sent
  kOff,       // plain text (a relay on the same host or a trusted network only)
};

struct MailerOptions {
  // "smtp://relay.example.fr:587" or "smtps://relay.example.fr:465"; "" for the outbox.
  std::string smtp_url;
  std::string smtp_user;           // "" for no AUTH
  std::string smtp_password_file;  // its first line is the password (trailing newline ignored)
  StartTls starttls = StartTls::kAuto;
  std::string ca_file;  // "" for the system's trust store
  int64_t connect_timeout_seconds = 10;
  int64_t timeout_seconds = 60;
  std::string outbox_dir = "var/outbox";
};

// One mail to send.
struct Outgoing {
  std::string from;  // envelope sender (plain address)
  std::string to;    // envelope recipient (plain address)
  std::string data;  // the whole rendered message (CRLF line ends)
  int64_t id = 0;    // the queue entry, for the outbox file name
  int64_t at = 0;    // microseconds since the epoch, for the outbox file name
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Sends one mail. On success returns where it went ("relais smtp://…",
  // "var/outbox/20261127T090000Z-12.eml"). See the file comment for the codes.
  virtual Result<std::string> Send(const Outgoing& mail) = 0;
  // True when mails only reach a folder (the links are then printed in the log so
  // that a developer can follow them).
  virtual bool IsOutbox() const = 0;
  // "smtp://relay:587 (STARTTLS exigé)" or "dossier var/outbox".
  virtual std::string Describe() const = 0;

  // While set, a transfer in progress is aborted (kUnavailable) and Send fails at
  // once, so that a server stops promptly. Thread-safe.
  void SetAborting(bool aborting) { aborting_ = aborting; }

 protected:
  std::atomic<bool> aborting_{false};
};

// The mailer `options` describe: the outbox when smtp_url is empty, else SMTP.
// kInvalidArgument (French, naming the setting) for a URL that is not smtp:// or
// smtps://, or a password file that cannot be read.
Result<std::unique_ptr<Mailer>> MakeMailer(const MailerOptions& options);

}  // namespace caduce::notify

#endif  // CADUCE_NOTIFY_MAILER_H_
