// File: mail/writing.h
//
// The vocabulary of writing and sending (MailService's drafts, imports, uploads and
// submissions, defined in mail/submission.cc and mail/uploads.cc), shaped after
// RFC 8620 §6 (binary data) and RFC 8621 §4.6, §4.8 and §7 (Email/set,
// Email/import, EmailSubmission).
#ifndef CADUCE_MAIL_WRITING_H_
#define CADUCE_MAIL_WRITING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/compose.h"

namespace caduce::mail {

// Bytes a person uploaded for an account (RFC 8620 §6.1): content-addressed in the
// blob store, usable by that account only, until `expires_at`.
struct Upload {
  int64_t account_id = 0;
  std::string blob_id;
  std::string type;
  int64_t size = 0;
  int64_t person_id = 0;
  int64_t created_at = 0;  // microseconds
  int64_t expires_at = 0;  // microseconds
};

// What Email/set create or Email/import stores.
struct NewMessage {
  std::vector<int64_t>
      mailbox_ids;  // empty: « Brouillons » for a draft, « Boîte de réception » for an import
  uint32_t keywords = 0;
  std::optional<int64_t> received_at;  // microseconds; now when unset
};

struct StoredMessage {
  int64_t email_id = 0;
  int64_t thread_id = 0;
  std::string blob_id;
  int64_t size = 0;
};

// EmailSubmission/set (RFC 8621 §7.5).
struct SubmissionRequest {
  int64_t email_id = 0;
  std::string identity_id;
  // The envelope; when unset, MAIL FROM is the account's address and RCPT TO every
  // address of To, Cc and Bcc (RFC 8621 §7).
  std::optional<std::string> mail_from;
  std::optional<std::vector<std::string>> rcpt_to;
  // Moves the message out of « Brouillons » into « Envoyés » and clears $draft in
  // the same transaction (a JMAP client asks for it with onSuccessUpdateEmail).
  bool file_in_sent = false;
};

struct Submission {
  int64_t id = 0;
  int64_t account_id = 0;
  int64_t email_id = 0;
  int64_t thread_id = 0;
  int64_t person_id = 0;
  std::string person;  // the sender's address (the person, not the account)
  std::string identity_id;
  int64_t send_at = 0;  // microseconds
  std::string mail_from;
  struct Recipient {
    std::string address;
    bool local = false;  // delivered in caduce; otherwise queued for SMTP (pending)
  };
  std::vector<Recipient> recipients;
  int64_t modseq = 0;
};

// The blob id of one leaf part of a stored message (an attachment), usable as a
// JMAP id: the message's blob id, "_", the part id with "." written "-"
// ("<64 hex>_2-1"). ParsePartBlobId undoes it; false for any other shape.
std::string PartBlobId(std::string_view message_blob_id, std::string_view part_id);
bool ParsePartBlobId(std::string_view id, std::string* message_blob_id, std::string* part_id);

}  // namespace caduce::mail

#endif  // CADUCE_MAIL_WRITING_H_
