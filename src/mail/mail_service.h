// File: mail/mail_service.h
//
// The mail store's service: local delivery, the reads the JMAP layer needs
// (mailboxes, queries, messages, threads, snippets, changes) and the actions a
// person takes on a message. Every read and action takes the acting person, checks
// that it may open the account (its own, or an ORG/APP it holds a right on,
// re-checked at every call), and for an ORG/APP account appends each action to the
// hash-chained audit trail (DESIGN.md rule 3) with the person, the mailbox, the
// message's internal id and Message-ID, the time and the IP, never its subject,
// body or file names; the same transaction writes a row the team reads back as the
// message's history (who opened, answered, moved it).
//
// Delivery is durable before it returns: the raw bytes are written once as a blob
// for all local recipients, made durable, then the rows that name it are committed
// (synchronous=FULL). Concurrent deliveries share one file-system flush for their
// blobs, and one transaction (group commit): each caller returns only after the
// commit that holds its delivery. The flush of the next deliveries' blobs runs
// while the previous batch commits.
#ifndef CADUCE_MAIL_MAIL_SERVICE_H_
#define CADUCE_MAIL_MAIL_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "base/clock.h"
#include "base/status.h"
#include "directory/repository.h"
#include "mail/blob_store.h"
#include "mail/mime.h"
#include "mail/model.h"
#include "mail/repository.h"
#include "mail/writing.h"
#include "storage/database.h"

namespace caduce::mail {

struct MailOptions {
  int64_t max_message_bytes = 25 * 1024 * 1024;
  int64_t default_quota_bytes = 10LL * 1024 * 1024 * 1024;  // per account, unless set
  // Domains whose unknown addresses are refused, besides the structures' MSSanté domains.
  std::vector<std::string> local_domains;
  int max_batch = 128;  // deliveries per group commit
  // Stored messages join the full-text index from a thread of their own, many at
  // once, once deliveries pause for index_idle_ms or index_backlog messages wait
  // (a search first takes those not indexed yet): during a burst the write lock
  // and the cores go to deliveries, as Dovecot indexes at search time.
  bool index_in_background = true;
  int index_batch = 256;  // messages per index transaction
  int index_idle_ms = 50;
  int index_backlog = 5000;
  int64_t max_upload_bytes = 25 * 1024 * 1024;       // one upload (JMAP maxSizeUpload)
  int64_t upload_ttl_micros = 24LL * 3600 * 1000000;  // an upload is kept that long
};

// Who acts: the physical person (a nominative account), its address and IP.
struct MailActor {
  int64_t person_id = 0;
  std::string address;
  std::string ip;
};

struct DeliveryResult {
  std::string blob_id;
  struct Delivered {
    int64_t account_id = 0;
    int64_t email_id = 0;
  };
  std::vector<Delivered> delivered;
  std::vector<std::string> queued;  // addresses outside caduce, in the outbound queue (pending)
};

class MailService {
 public:
  MailService(storage::Database& db, MailRepository& repo, directory::DirectoryRepository& dir,
              audit::AuditLog& audit, BlobStore& blobs, const Clock& clock, MailOptions options);
  ~MailService();
  MailService(const MailService&) = delete;
  MailService& operator=(const MailService&) = delete;

  // Indexes every message stored and not indexed yet (the background indexer does
  // it shortly after each delivery; a text search does it first). Thread-safe.
  Status CatchUpIndex();

  // Delivers `raw` to each of `recipients`: a local account (by its address, MSSanté
  // address or alias) gets it in its « Boîte de réception »; an address outside caduce
  // goes to the outbound queue. Thread-safe. Refusals, before anything is stored:
  // kInvalidArgument (a malformed address, not a message), kNotFound (an unknown
  // address of a caduce domain, named), kResourceExhausted (over the size limit or a
  // recipient's quota, named). kUnavailable when the disk or the database failed.
  Result<DeliveryResult> Deliver(std::string_view raw, std::string_view mail_from,
                                 const std::vector<std::string>& recipients);

  // Creates the account's state and its five mailboxes when missing.
  Status EnsureMailboxes(int64_t account_id);
  // The read state of an ORG/APP mailbox: shared by the team (default) or per person.
  // REQUIRES: the caller administers the account (checked by directory/ callers).
  Status SetReadStatePerPerson(int64_t account_id, bool per_person);
  // The account's quota in bytes (0: the default).
  Status SetQuota(int64_t account_id, int64_t bytes);

  // Reads. kNotFound when the person may not open the account (the same answer as an
  // account that does not exist, so that ids cannot be probed).
  Result<std::vector<Mailbox>> Mailboxes(const MailActor& who, int64_t account_id);
  Result<Mailbox> CreateMailbox(const MailActor& who, int64_t account_id, std::string_view name,
                                int64_t parent_id);
  Status RenameMailbox(const MailActor& who, int64_t account_id, int64_t mailbox_id,
                       std::string_view name, int64_t parent_id);
  // Only an empty folder without children that has no role may be destroyed.
  Status DestroyMailbox(const MailActor& who, int64_t account_id, int64_t mailbox_id);
  Result<EmailQueryResult> Query(const MailActor& who, EmailQuery q);
  Result<std::vector<Email>> GetEmails(const MailActor& who, int64_t account_id,
                                       const std::vector<int64_t>& ids);
  Result<std::vector<int64_t>> ThreadEmails(const MailActor& who, int64_t account_id,
                                            int64_t thread_id);
  Result<std::vector<Snippet>> Snippets(const MailActor& who, int64_t account_id,
                                        std::string_view text, const std::vector<int64_t>& ids);
  // Changes of `type` after state `since`; kFailedPrecondition (JMAP
  // cannotCalculateChanges) when `since` is older than what is kept or newer than now.
  Result<Changes> ChangesSince(const MailActor& who, int64_t account_id, ObjectType type,
                               int64_t since, int64_t max_changes);
  Result<int64_t> State(const MailActor& who, int64_t account_id);

  // Actions on a message. Each is traced for an ORG/APP account.
  Status SetKeywords(const MailActor& who, int64_t account_id, int64_t email_id, uint32_t add,
                     uint32_t remove);
  // Move: the message leaves every mailbox for `to`. Copy: it is also in `to`.
  Status Move(const MailActor& who, int64_t account_id, int64_t email_id, int64_t to);
  Status Copy(const MailActor& who, int64_t account_id, int64_t email_id, int64_t to);
  // To the Corbeille; a message already only there is destroyed for good.
  Status Destroy(const MailActor& who, int64_t account_id, int64_t email_id);
  // The raw message (opening it).
  Result<std::string> OpenBody(const MailActor& who, int64_t account_id, int64_t email_id);
  Result<PartContent> DownloadAttachment(const MailActor& who, int64_t account_id,
                                         int64_t email_id, std::string_view part_id);
  // Who opened, answered, moved … the message, oldest first (ORG/APP accounts).
  Result<std::vector<EmailAction>> History(const MailActor& who, int64_t account_id,
                                           int64_t email_id);

  // Removes blob files no message or queued item references any more. Safe while
  // deliveries run: it works under the database's write lock, and a delivery checks
  // its blob file under that same lock before committing.
  Result<int> CollectGarbage();

  // --- Writing and sending (defined in mail/submission.cc) ---

  // Stores `bytes` as an upload of the account (RFC 8620 §6.1), usable by that
  // account's drafts and imports until it expires. `type` is kept when it is a
  // media type (else application/octet-stream). kNotFound (no access),
  // kResourceExhausted over max_upload_bytes; the blob is durable before it returns.
  Result<Upload> UploadBlob(const MailActor& who, int64_t account_id, std::string_view type,
                            std::string_view bytes);
  // The bytes of a blob the account holds: an unexpired upload, a message of the
  // account (traced `opened` on an ORG/APP mailbox), or one part of such a message
  // (PartBlobId; traced `downloaded`). kNotFound for any other id, whatever exists
  // elsewhere. `type` and `name` are set when known.
  struct BlobContent {
    std::string bytes, type, name;
  };
  Result<BlobContent> ReadBlob(const MailActor& who, int64_t account_id, std::string_view blob_id);
  // Forgets expired uploads (their blob files become collectable); how many.
  Result<int> ExpireUploads();
  // The periodic pass of `caduce serve` and `caduce mail uploads expire`: forgets
  // every expired upload, then removes the blob files nothing references any more
  // (an upload a message was imported from, or that another account also holds,
  // keeps its file). Safe while the server runs (CollectGarbage).
  struct UploadSweep {
    int uploads_expired = 0;
    int files_removed = 0;
  };
  Result<UploadSweep> SweepUploads();

  // Writes a message from `draft` (attachments by upload blob id; From: the
  // account's address when empty; Message-ID on the account's domain) and stores it
  // in `where.mailbox_ids` (« Brouillons » when empty) with `where.keywords`
  // ($draft when none). Traced `drafted` on an ORG/APP mailbox. kInvalidArgument
  // (the draft, named field), kNotFound (no access, unknown mailbox or blob:
  // "Pièce jointe"), kResourceExhausted (size limit, or quota: "quota").
  Result<StoredMessage> CreateDraft(const MailActor& who, int64_t account_id, Draft draft,
                                    const NewMessage& where);
  // Email/import: stores the message of blob `blob_id` (an upload or a message of the
  // account) in `where.mailbox_ids` (« Boîte de réception » when empty). Traced
  // `imported`. Errors as CreateDraft.
  Result<StoredMessage> Import(const MailActor& who, int64_t account_id, std::string_view blob_id,
                               const NewMessage& where);
  // Sends message `req.email_id` of the account. Its From: must be an address of
  // the account (its address, MSSanté address or alias): kPermissionDenied
  // (forbiddenFrom) otherwise. Local recipients get it in their « Boîte de
  // réception » (one blob, Bcc removed, a Sender: header naming the person when the
  // structure asks for it), outside ones go to the outbound queue (pending); an
  // unknown address of a caduce domain is refused with kFailedPrecondition naming
  // it (its addresses also in *invalid_recipients); no recipient: kInvalidArgument.
  // In the same transaction: the submission row, the trace `sent` naming the
  // person, `$answered` on the account's message it answers (traced `answered`),
  // and with req.file_in_sent the move to « Envoyés » without $draft.
  Result<Submission> Submit(const MailActor& who, int64_t account_id, const SubmissionRequest& req,
                            std::vector<std::string>* invalid_recipients = nullptr);
  // EmailSubmission/get: the account's submissions of `ids` (all, newest first, when
  // empty).
  Result<std::vector<Submission>> Submissions(const MailActor& who, int64_t account_id,
                                              const std::vector<int64_t>& ids);
  // EmailSubmission/changes (RFC 8621 §7.2): the submissions created after state
  // `since`. A submission is never changed nor destroyed, so every earlier state of
  // the account can be answered; kFailedPrecondition (cannotCalculateChanges) only
  // for a state the account has not reached.
  Result<Changes> SubmissionChanges(const MailActor& who, int64_t account_id, int64_t since,
                                    int64_t max_changes);
  // Whether mail sent from the structure's ORG/APP mailboxes names the person in a
  // Sender: header. `actor` must administer the structure or be the operator:
  // kPermissionDenied otherwise; kNotFound (the operator) for a structure that does
  // not exist. The change is traced `structure.updated` in the same transaction; setting the
  // value it already has writes nothing.
  Status SetStructureAddsSender(const directory::Actor& actor, int64_t structure_id, bool adds);
  Result<bool> StructureAddsSender(int64_t structure_id);

  const MailOptions& options() const { return options_; }

 private:
  struct Pending;
  Status CommitBatch(std::vector<Pending*>& batch);
  Status ApplyDelivery(storage::Tx& tx, Pending& p);
  Result<directory::AccountBrief> CheckAccess(storage::Tx& tx, const MailActor& who,
                                              int64_t account_id);
  Result<AccountMailState> EnsureAccount(storage::Tx& tx, int64_t account_id);
  Result<Email> LoadEmail(storage::Tx& tx, const MailActor& who, int64_t account_id,
                          int64_t email_id, bool per_person);
  // The audit entry and history row of an action on a shared mailbox (nothing for a
  // person's own mailbox).
  Status Trace(storage::Tx& tx, const MailActor& who, const directory::AccountBrief& account,
               const Email& email, std::string_view action, std::string detail_json = "");
  Status ChangeMembership(const MailActor& who, int64_t account_id, int64_t email_id,
                          int64_t to, bool move);
  // Writing (submission.cc): one message row of `account_id` for a blob already
  // durable, in `mailbox_ids`, with its thread, quota and blob reference.
  Result<StoredMessage> StoreMessage(storage::Tx& tx, int64_t account_id, std::string_view blob_id,
                                     int64_t size, const ParsedMessage& parsed,
                                     const std::vector<int64_t>& mailbox_ids, uint32_t keywords,
                                     int64_t received_at);
  // Writes `raw` as a durable blob, again under the write lock of `tx` if a garbage
  // collection removed it meanwhile.
  Status EnsureBlob(std::string_view blob_id, std::string_view raw);
  Result<StoredMessage> StoreNew(const MailActor& who, int64_t account_id, std::string_view raw,
                                 const NewMessage& where, Role default_role,
                                 uint32_t default_keywords, std::string_view action);

  storage::Database& db_;
  MailRepository& repo_;
  directory::DirectoryRepository& dir_;
  audit::AuditLog& audit_;
  BlobStore& blobs_;
  const Clock& clock_;
  MailOptions options_;
  MimeLimits limits_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending*> queue_;  // GUARDED_BY(mu_)
  bool committing_ = false;     // GUARDED_BY(mu_): a caller is committing a batch

  void IndexLoop();
  Status IndexRounds(bool yield_to_deliveries);
  bool DeliveriesFlowing() const;
  std::mutex catch_up_mu_;
  std::mutex index_mu_;
  std::condition_variable index_cv_;
  bool index_wanted_ = false;  // GUARDED_BY(index_mu_)
  std::atomic<int64_t> last_commit_ns_{0};  // steady clock of the last delivery commit
  std::atomic<int64_t> unindexed_{0};       // deliveries the index has not taken (about)
  bool stopping_ = false;      // GUARDED_BY(index_mu_)
  std::thread indexer_;
};

}  // namespace caduce::mail

#endif  // CADUCE_MAIL_MAIL_SERVICE_H_
