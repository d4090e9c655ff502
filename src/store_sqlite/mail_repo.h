// File: store_sqlite/mail_repo.h
//
// The SQLite implementation of mail::MailRepository (schema: migration 7). Message
// lists read one index range (email_mailboxes is ordered by mailbox and date), text
// search goes through the FTS5 table email_fts (rowid = message id) and reads only
// as many matches as the page needs, and changes are range reads on
// (account_id, modseq) plus the tombstones.
#ifndef CADUCE_STORE_SQLITE_MAIL_REPO_H_
#define CADUCE_STORE_SQLITE_MAIL_REPO_H_

#include "mail/repository.h"

namespace caduce::store_sqlite {

class SqliteMailRepository final : public mail::MailRepository {
 public:
  // How a text search reads its matches (see QueryEmails in mail_repo.cc); tests make
  // the sizes small to reach every path with a few messages.
  struct SearchTuning {
    int64_t first_chunk = 1024;     // fewer matches than this: each is checked by its id
    int64_t max_chunk = 65536;      // matches read at once while walking a mailbox by date
    int64_t snippet_range = 20000;  // ids at most this far apart: one pass for snippets
  };
  SqliteMailRepository() = default;
  explicit SqliteMailRepository(SearchTuning tuning) : tuning_(tuning) {}

  Result<mail::AccountMailState> EnsureAccount(storage::Tx& tx, int64_t account_id,
                                               bool* created) override;
  Result<int64_t> NextModseq(storage::Tx& tx, int64_t account_id, int64_t n) override;
  Status AddUsedBytes(storage::Tx& tx, int64_t account_id, int64_t delta) override;
  Status SetSeenPerPerson(storage::Tx& tx, int64_t account_id, bool per_person) override;
  Status SetQuota(storage::Tx& tx, int64_t account_id, int64_t bytes) override;

  Result<std::vector<mail::Mailbox>> ListMailboxes(storage::Tx& tx, int64_t account_id,
                                                   int64_t person_id,
                                                   bool seen_per_person) override;
  Result<std::optional<mail::Mailbox>> FindMailbox(storage::Tx& tx, int64_t account_id,
                                                   int64_t mailbox_id) override;
  Result<int64_t> MailboxByRole(storage::Tx& tx, int64_t account_id, mail::Role role) override;
  Result<int64_t> InsertMailbox(storage::Tx& tx, const mail::Mailbox& m, int64_t modseq) override;
  Status UpdateMailbox(storage::Tx& tx, const mail::Mailbox& m, int64_t modseq) override;
  Status DestroyMailbox(storage::Tx& tx, int64_t account_id, int64_t mailbox_id,
                        int64_t modseq) override;
  Status TouchMailbox(storage::Tx& tx, int64_t mailbox_id, int64_t modseq) override;
  Result<int64_t> CountChildren(storage::Tx& tx, int64_t mailbox_id) override;

  Result<int64_t> AddBlobRef(storage::Tx& tx, std::string_view blob_id, int64_t size,
                             int64_t delta) override;
  Result<int64_t> BlobRefs(storage::Tx& tx, std::string_view blob_id) override;
  Result<std::vector<std::string>> UnreferencedBlobs(storage::Tx& tx, int limit) override;
  Status ForgetBlob(storage::Tx& tx, std::string_view blob_id) override;

  Result<int64_t> FindThread(storage::Tx& tx, int64_t account_id,
                             const std::vector<std::string>& ids,
                             std::string_view base_subject) override;
  Result<int64_t> InsertThread(storage::Tx& tx, int64_t account_id, int64_t modseq) override;
  Status TouchThread(storage::Tx& tx, int64_t thread_id, int64_t modseq) override;
  Status DestroyThread(storage::Tx& tx, int64_t account_id, int64_t thread_id,
                       int64_t modseq) override;
  Result<std::vector<int64_t>> ThreadEmails(storage::Tx& tx, int64_t account_id,
                                            int64_t thread_id) override;

  Result<std::vector<mail::IndexEntry>> IndexBacklog(storage::Tx& tx, int64_t after,
                                                     int max) override;
  Status AddToIndex(storage::Tx& tx, const std::vector<mail::IndexEntry>& entries) override;
  Result<int64_t> InsertEmail(storage::Tx& tx, const mail::NewEmail& e) override;
  Status AddMembership(storage::Tx& tx, int64_t email_id, int64_t mailbox_id) override;
  Status RemoveMembership(storage::Tx& tx, int64_t email_id, int64_t mailbox_id) override;
  Status SetKeywords(storage::Tx& tx, int64_t email_id, uint32_t keywords,
                     int64_t modseq) override;
  Status SetPersonSeen(storage::Tx& tx, int64_t email_id, int64_t person_id, bool seen) override;
  Status TouchEmail(storage::Tx& tx, int64_t email_id, int64_t modseq) override;
  Status DestroyEmail(storage::Tx& tx, int64_t account_id, int64_t email_id,
                      int64_t modseq) override;
  Result<std::vector<mail::Email>> GetEmails(storage::Tx& tx, int64_t account_id,
                                             const std::vector<int64_t>& ids, int64_t person_id,
                                             bool seen_per_person) override;
  Result<mail::EmailQueryResult> QueryEmails(storage::Tx& tx, const mail::EmailQuery& q,
                                             bool seen_per_person) override;
  Result<std::vector<mail::Snippet>> Snippets(storage::Tx& tx, int64_t account_id,
                                              std::string_view text,
                                              const std::vector<int64_t>& ids) override;
  Result<mail::Changes> ChangesSince(storage::Tx& tx, int64_t account_id, mail::ObjectType type,
                                     int64_t since, int64_t max_changes) override;
  Result<int64_t> OldestState(storage::Tx& tx, int64_t account_id) override;

  Result<int64_t> ResolveLocalAddress(storage::Tx& tx, std::string_view address) override;
  Result<bool> IsStructureDomain(storage::Tx& tx, std::string_view domain) override;
  Status EnqueueOutbound(storage::Tx& tx, const mail::OutboundItem& item) override;
  Result<std::vector<mail::OutboundItem>> PendingOutbound(storage::Tx& tx, int limit) override;

  Status InsertAction(storage::Tx& tx, int64_t email_id, const mail::EmailAction& a) override;
  Result<std::vector<mail::EmailAction>> ActionsOf(storage::Tx& tx, int64_t email_id) override;

  // Defined in mail_write_repo.cc (migration 10).
  Result<bool> PutUpload(storage::Tx& tx, const mail::Upload& u) override;
  Result<std::optional<mail::Upload>> FindUpload(storage::Tx& tx, int64_t account_id,
                                                 std::string_view blob_id) override;
  Result<std::vector<mail::Upload>> TakeExpiredUploads(storage::Tx& tx, int64_t now,
                                                       int limit) override;
  Result<int64_t> EmailWithBlob(storage::Tx& tx, int64_t account_id,
                                std::string_view blob_id) override;
  Result<std::vector<int64_t>> EmailsWithMessageId(storage::Tx& tx, int64_t account_id,
                                                   std::string_view message_id) override;
  Result<int64_t> InsertSubmission(storage::Tx& tx, const mail::Submission& s) override;
  Result<std::vector<mail::Submission>> GetSubmissions(storage::Tx& tx, int64_t account_id,
                                                       const std::vector<int64_t>& ids,
                                                       int limit) override;
  Result<std::vector<std::pair<int64_t, int64_t>>> SubmissionsSince(storage::Tx& tx,
                                                                   int64_t account_id,
                                                                   int64_t since,
                                                                   int limit) override;
  Result<bool> StructureAddsSender(storage::Tx& tx, int64_t structure_id) override;
  Status SetStructureAddsSender(storage::Tx& tx, int64_t structure_id, bool adds) override;

 private:
  SearchTuning tuning_;
};

// The FTS5 query for the words of `text` (each quoted, so that no FTS5 syntax of the
// user's text is interpreted), restricted to `column` when not empty; "" when `text`
// has no word.
std::string FtsQuery(std::string_view text, std::string_view column = "");

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_MAIL_REPO_H_
