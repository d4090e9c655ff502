// File: mail/repository.h
//
// What the mail store needs from a database (STYLE.md convention 9): per-account
// state and modification sequence, mailboxes, messages and their memberships,
// threads, blob reference counts, change records, the outbound queue and the small
// per-message action table of shared mailboxes. store_sqlite/mail_repo.h implements
// it. Every method runs inside the caller's transaction; the service (mail_service.h)
// decides what to write and in which order, the repository only stores and reads.
#ifndef CADUCE_MAIL_REPOSITORY_H_
#define CADUCE_MAIL_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "mail/model.h"
#include "mail/writing.h"
#include "storage/database.h"

namespace caduce::mail {

struct AccountMailState {
  int64_t account_id = 0;
  int64_t modseq = 0;         // the account's state: the last modification sequence used
  int64_t used_bytes = 0;     // sum of the sizes of its messages
  int64_t quota_bytes = 0;    // 0: the server's default
  bool seen_per_person = false;
};

// A message row to insert (the service has parsed it and chosen its thread).
// A message's entry in the full-text index: the distinct words of each searchable
// field (subject, sender, recipients, body), as the index folds them. A message is
// stored with its text; the index takes stored messages afterwards, many at once
// (MailService::CatchUpIndex), so that a delivery does not wait for it.
struct IndexEntry {
  int64_t email_id = 0;
  // Which message had that id when its words were read: the id of a destroyed
  // message goes to the next one stored.
  int64_t account_id = 0, created_modseq = 0;
  std::string words[4];
};

struct NewEmail {
  int64_t account_id = 0;
  int64_t thread_id = 0;
  std::string blob_id;
  int64_t size = 0;
  int64_t received_at = 0;
  uint32_t keywords = 0;
  int64_t modseq = 0;
  std::string base_subject;  // subject without Re:/Fwd: prefixes, folded (threading)
  const ParsedMessage* parsed = nullptr;
};

class MailRepository {
 public:
  virtual ~MailRepository() = default;

  // Account state. EnsureAccount creates the state row when missing (returns
  // created=true then: the caller creates the default mailboxes). In a read
  // transaction it writes nothing and returns the state of an empty account.
  virtual Result<AccountMailState> EnsureAccount(storage::Tx& tx, int64_t account_id,
                                                 bool* created) = 0;
  // Reserves `n` modification sequences: returns the first (state + 1); the account's
  // state becomes state + n.
  virtual Result<int64_t> NextModseq(storage::Tx& tx, int64_t account_id, int64_t n) = 0;
  virtual Status AddUsedBytes(storage::Tx& tx, int64_t account_id, int64_t delta) = 0;
  virtual Status SetSeenPerPerson(storage::Tx& tx, int64_t account_id, bool per_person) = 0;
  virtual Status SetQuota(storage::Tx& tx, int64_t account_id, int64_t bytes) = 0;

  // Mailboxes. InsertMailbox returns the id; kAlreadyExists when the parent already
  // has a child of that name (compared without regard to case).
  virtual Result<std::vector<Mailbox>> ListMailboxes(storage::Tx& tx, int64_t account_id,
                                                     int64_t person_id, bool seen_per_person) = 0;
  virtual Result<std::optional<Mailbox>> FindMailbox(storage::Tx& tx, int64_t account_id,
                                                     int64_t mailbox_id) = 0;
  virtual Result<int64_t> MailboxByRole(storage::Tx& tx, int64_t account_id, Role role) = 0;
  virtual Result<int64_t> InsertMailbox(storage::Tx& tx, const Mailbox& m, int64_t modseq) = 0;
  virtual Status UpdateMailbox(storage::Tx& tx, const Mailbox& m, int64_t modseq) = 0;
  virtual Status DestroyMailbox(storage::Tx& tx, int64_t account_id, int64_t mailbox_id,
                                int64_t modseq) = 0;
  // Records that the mailbox's counts changed.
  virtual Status TouchMailbox(storage::Tx& tx, int64_t mailbox_id, int64_t modseq) = 0;
  virtual Result<int64_t> CountChildren(storage::Tx& tx, int64_t mailbox_id) = 0;

  // Blobs: reference counts of the files of the blob store. AddBlobRef adds `delta`
  // (creating the row) and returns the new count.
  virtual Result<int64_t> AddBlobRef(storage::Tx& tx, std::string_view blob_id, int64_t size,
                                     int64_t delta) = 0;
  virtual Result<int64_t> BlobRefs(storage::Tx& tx, std::string_view blob_id) = 0;
  virtual Result<std::vector<std::string>> UnreferencedBlobs(storage::Tx& tx, int limit) = 0;
  virtual Status ForgetBlob(storage::Tx& tx, std::string_view blob_id) = 0;

  // Threads: the thread of an earlier message of the account whose Message-ID is one
  // of `ids` (or that referenced one of them) and whose base subject is
  // `base_subject`; 0 when none.
  virtual Result<int64_t> FindThread(storage::Tx& tx, int64_t account_id,
                                     const std::vector<std::string>& ids,
                                     std::string_view base_subject) = 0;
  virtual Result<int64_t> InsertThread(storage::Tx& tx, int64_t account_id, int64_t modseq) = 0;
  virtual Status TouchThread(storage::Tx& tx, int64_t thread_id, int64_t modseq) = 0;
  virtual Status DestroyThread(storage::Tx& tx, int64_t account_id, int64_t thread_id,
                               int64_t modseq) = 0;
  // The thread's messages, oldest first (JMAP Thread/get); empty when none.
  virtual Result<std::vector<int64_t>> ThreadEmails(storage::Tx& tx, int64_t account_id,
                                                    int64_t thread_id) = 0;

  // The full-text index: the messages waiting for it whose id is above `after` (at
  // most `max`, by id) with their words; AddToIndex indexes those of them still
  // stored and still waiting.
  virtual Result<std::vector<IndexEntry>> IndexBacklog(storage::Tx& tx, int64_t after,
                                                       int max) = 0;
  virtual Status AddToIndex(storage::Tx& tx, const std::vector<IndexEntry>& entries) = 0;
  // Messages. InsertEmail writes the row, its text (for the index) and its threading ids.
  virtual Result<int64_t> InsertEmail(storage::Tx& tx, const NewEmail& e) = 0;
  virtual Status AddMembership(storage::Tx& tx, int64_t email_id, int64_t mailbox_id) = 0;
  virtual Status RemoveMembership(storage::Tx& tx, int64_t email_id, int64_t mailbox_id) = 0;
  virtual Status SetKeywords(storage::Tx& tx, int64_t email_id, uint32_t keywords,
                             int64_t modseq) = 0;
  // Per-person read state (ORG/APP mailboxes whose read state is per person).
  virtual Status SetPersonSeen(storage::Tx& tx, int64_t email_id, int64_t person_id,
                               bool seen) = 0;
  virtual Status TouchEmail(storage::Tx& tx, int64_t email_id, int64_t modseq) = 0;
  // Deletes the message, its memberships, index entries and per-person state, and
  // leaves a tombstone at `modseq`.
  virtual Status DestroyEmail(storage::Tx& tx, int64_t account_id, int64_t email_id,
                              int64_t modseq) = 0;
  // The messages of `ids` that belong to the account (others are left out), with
  // keywords as `person_id` sees them.
  virtual Result<std::vector<Email>> GetEmails(storage::Tx& tx, int64_t account_id,
                                               const std::vector<int64_t>& ids,
                                               int64_t person_id, bool seen_per_person) = 0;
  virtual Result<EmailQueryResult> QueryEmails(storage::Tx& tx, const EmailQuery& q,
                                               bool seen_per_person) = 0;
  // SearchSnippet/get: `text` highlighted in the subject and text of each of `ids`.
  virtual Result<std::vector<Snippet>> Snippets(storage::Tx& tx, int64_t account_id,
                                                std::string_view text,
                                                const std::vector<int64_t>& ids) = 0;
  virtual Result<Changes> ChangesSince(storage::Tx& tx, int64_t account_id, ObjectType type,
                                       int64_t since, int64_t max_changes) = 0;
  // The lowest state `ChangesSince` can answer from (tombstones older are purged).
  virtual Result<int64_t> OldestState(storage::Tx& tx, int64_t account_id) = 0;

  // Delivery. ResolveLocalAddress finds the account that receives mail at `address`
  // (its address, its MSSanté address at its structure's domain, or one of its
  // aliases); 0 when none. IsLocalDomain: a structure's MSSanté domain, or a domain
  // of the server's configuration (MailOptions::local_domains).
  virtual Result<int64_t> ResolveLocalAddress(storage::Tx& tx, std::string_view address) = 0;
  virtual Result<bool> IsStructureDomain(storage::Tx& tx, std::string_view domain) = 0;
  virtual Status EnqueueOutbound(storage::Tx& tx, const OutboundItem& item) = 0;
  virtual Result<std::vector<OutboundItem>> PendingOutbound(storage::Tx& tx, int limit) = 0;

  // Who did what to a message of a shared mailbox, written with its audit entry.
  virtual Status InsertAction(storage::Tx& tx, int64_t email_id, const EmailAction& a) = 0;
  virtual Result<std::vector<EmailAction>> ActionsOf(storage::Tx& tx, int64_t email_id) = 0;

  // Writing and sending (store_sqlite/mail_write_repo.cc). PutUpload inserts the
  // upload or extends its expiry; true when the account did not hold it yet (the
  // caller then adds a blob reference). TakeExpiredUploads deletes and returns the
  // uploads expired at `now` (the caller drops their references).
  virtual Result<bool> PutUpload(storage::Tx& tx, const Upload& u) = 0;
  virtual Result<std::optional<Upload>> FindUpload(storage::Tx& tx, int64_t account_id,
                                                   std::string_view blob_id) = 0;
  virtual Result<std::vector<Upload>> TakeExpiredUploads(storage::Tx& tx, int64_t now,
                                                         int limit) = 0;
  // A message of the account stored as blob `blob_id`; 0 when none.
  virtual Result<int64_t> EmailWithBlob(storage::Tx& tx, int64_t account_id,
                                        std::string_view blob_id) = 0;
  // The messages of the account whose Message-ID is `message_id` (without < >).
  virtual Result<std::vector<int64_t>> EmailsWithMessageId(storage::Tx& tx, int64_t account_id,
                                                           std::string_view message_id) = 0;
  virtual Result<int64_t> InsertSubmission(storage::Tx& tx, const Submission& s) = 0;
  // The submissions of `ids` that belong to the account; every one (newest first, at
  // most `limit`) when `ids` is empty.
  virtual Result<std::vector<Submission>> GetSubmissions(storage::Tx& tx, int64_t account_id,
                                                         const std::vector<int64_t>& ids,
                                                         int limit) = 0;
  // The (modseq, id) of the account's submissions written after `since`, in order,
  // at most `limit` (EmailSubmission/changes).
  virtual Result<std::vector<std::pair<int64_t, int64_t>>> SubmissionsSince(storage::Tx& tx,
                                                                           int64_t account_id,
                                                                           int64_t since,
                                                                           int limit) = 0;
  // Whether the structure adds a Sender: header naming the person to what its
  // ORG/APP mailboxes send.
  virtual Result<bool> StructureAddsSender(storage::Tx& tx, int64_t structure_id) = 0;
  virtual Status SetStructureAddsSender(storage::Tx& tx, int64_t structure_id, bool adds) = 0;
};

}  // namespace caduce::mail

#endif  // CADUCE_MAIL_REPOSITORY_H_
