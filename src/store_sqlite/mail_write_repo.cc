// Writing and sending in SQLite (mail_repo.h, schema of migration 10): uploads,
// submissions and the structure's Sender: setting.
#include <sqlite3.h>

#include "store_sqlite/db.h"
#include "store_sqlite/mail_repo.h"

namespace caduce::store_sqlite {
namespace {

Connection& ConnOf(storage::Tx& tx) { return SqliteTx::ConnOf(tx); }

mail::Upload UploadOf(const Stmt& st) {
  mail::Upload u;
  u.account_id = st.Int64(0);
  u.blob_id = st.Text(1);
  u.type = st.Text(2);
  u.size = st.Int64(3);
  u.person_id = st.Int64(4);
  u.created_at = st.Int64(5);
  u.expires_at = st.Int64(6);
  return u;
}

constexpr const char* kUploadColumns =
    "account_id, blob_id, type, size, person_id, created_at, expires_at";

std::string RecipientsText(const std::vector<mail::Submission::Recipient>& list) {
  std::string out;
  for (const auto& r : list) {
    out += r.local ? "L " : "Q ";
    out += r.address;
    out += '\n';
  }
  return out;
}

std::vector<mail::Submission::Recipient> RecipientsOf(std::string_view text) {
  std::vector<mail::Submission::Recipient> out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    if (line.size() > 2) out.push_back({std::string(line.substr(2)), line[0] == 'L'});
    if (eol == std::string_view::npos) break;
    text.remove_prefix(eol + 1);
  }
  return out;
}

}  // namespace

Result<bool> SqliteMailRepository::PutUpload(storage::Tx& tx, const mail::Upload& u) {
  Stmt find(ConnOf(tx), "SELECT 1 FROM uploads WHERE account_id = ?1 AND blob_id = ?2");
  find.Bind(1, u.account_id).Bind(2, u.blob_id);
  bool exists = find.Step();
  CADUCE_RETURN_IF_ERROR(find.status());
  if (exists) {
    Stmt st(ConnOf(tx),
            "UPDATE uploads SET expires_at = max(expires_at, ?3), type = ?4"
            " WHERE account_id = ?1 AND blob_id = ?2");
    st.Bind(1, u.account_id).Bind(2, u.blob_id).Bind(3, u.expires_at).Bind(4, u.type);
    CADUCE_RETURN_IF_ERROR(st.Run());
    return false;
  }
  Stmt st(ConnOf(tx),
          "INSERT INTO uploads(account_id, blob_id, type, size, person_id, created_at, expires_at)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.Bind(1, u.account_id).Bind(2, u.blob_id).Bind(3, u.type).Bind(4, u.size);
  st.Bind(5, u.person_id).Bind(6, u.created_at).Bind(7, u.expires_at);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return true;
}

Result<std::optional<mail::Upload>> SqliteMailRepository::FindUpload(storage::Tx& tx,
                                                                     int64_t account_id,
                                                                     std::string_view blob_id) {
  Stmt st(ConnOf(tx), std::string("SELECT ") + kUploadColumns +
                          " FROM uploads WHERE account_id = ?1 AND blob_id = ?2");
  st.Bind(1, account_id).Bind(2, blob_id);
  if (st.Step()) return std::optional<mail::Upload>(UploadOf(st));
  CADUCE_RETURN_IF_ERROR(st.status());
  return std::optional<mail::Upload>();
}

Result<std::vector<mail::Upload>> SqliteMailRepository::TakeExpiredUploads(storage::Tx& tx,
                                                                           int64_t now, int limit) {
  std::vector<mail::Upload> out;
  {
    Stmt st(ConnOf(tx), std::string("SELECT ") + kUploadColumns +
                            " FROM uploads WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2");
    st.Bind(1, now).Bind(2, static_cast<int64_t>(limit));
    while (st.Step()) out.push_back(UploadOf(st));
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  for (const mail::Upload& u : out) {
    Stmt del(ConnOf(tx), "DELETE FROM uploads WHERE account_id = ?1 AND blob_id = ?2");
    del.Bind(1, u.account_id).Bind(2, u.blob_id);
    CADUCE_RETURN_IF_ERROR(del.Run());
  }
  return out;
}

Result<int64_t> SqliteMailRepository::EmailWithBlob(storage::Tx& tx, int64_t account_id,
                                                    std::string_view blob_id) {
  Stmt st(ConnOf(tx), "SELECT id FROM emails WHERE account_id = ?1 AND blob_id = ?2 LIMIT 1");
  st.Bind(1, account_id).Bind(2, blob_id);
  int64_t id = st.Step() ? st.Int64(0) : 0;
  CADUCE_RETURN_IF_ERROR(st.status());
  return id;
}

Result<std::vector<int64_t>> SqliteMailRepository::EmailsWithMessageId(
    storage::Tx& tx, int64_t account_id, std::string_view message_id) {
  // email_thread_ids holds each message's own id and the ids it refers to; the join
  // keeps the messages that carry it as their own.
  Stmt st(ConnOf(tx),
          "SELECT e.id FROM email_thread_ids t JOIN emails e ON e.id = t.email_id"
          " WHERE t.account_id = ?1 AND t.msgid = ?2 AND e.message_id = ?2 LIMIT 100");
  st.Bind(1, account_id).Bind(2, message_id);
  std::vector<int64_t> out;
  while (st.Step()) out.push_back(st.Int64(0));
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

Result<int64_t> SqliteMailRepository::InsertSubmission(storage::Tx& tx, const mail::Submission& s) {
  Stmt st(ConnOf(tx),
          "INSERT INTO email_submissions(account_id, email_id, thread_id, person_id, person,"
          " identity_id, send_at, mail_from, recipients, modseq)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  st.Bind(1, s.account_id).Bind(2, s.email_id).Bind(3, s.thread_id).Bind(4, s.person_id);
  st.Bind(5, s.person).Bind(6, s.identity_id).Bind(7, s.send_at).Bind(8, s.mail_from);
  st.Bind(9, RecipientsText(s.recipients)).Bind(10, s.modseq);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(ConnOf(tx).handle()));
}

Result<std::vector<mail::Submission>> SqliteMailRepository::GetSubmissions(
    storage::Tx& tx, int64_t account_id, const std::vector<int64_t>& ids, int limit) {
  constexpr const char* kColumns =
      "SELECT id, account_id, email_id, thread_id, person_id, person, identity_id, send_at,"
      " mail_from, recipients, modseq FROM email_submissions";
  std::vector<mail::Submission> out;
  auto read = [&](Stmt& st) {
    while (st.Step()) {
      mail::Submission s;
      s.id = st.Int64(0);
      s.account_id = st.Int64(1);
      s.email_id = st.Int64(2);
      s.thread_id = st.Int64(3);
      s.person_id = st.Int64(4);
      s.person = st.Text(5);
      s.identity_id = st.Text(6);
      s.send_at = st.Int64(7);
      s.mail_from = st.Text(8);
      s.recipients = RecipientsOf(st.TextView(9));
      s.modseq = st.Int64(10);
      out.push_back(std::move(s));
    }
    return st.status();
  };
  if (ids.empty()) {
    Stmt st(ConnOf(tx), std::string(kColumns) + " WHERE account_id = ?1 ORDER BY id DESC LIMIT ?2");
    st.Bind(1, account_id).Bind(2, static_cast<int64_t>(limit));
    CADUCE_RETURN_IF_ERROR(read(st));
    return out;
  }
  for (int64_t id : ids) {
    Stmt st(ConnOf(tx), std::string(kColumns) + " WHERE id = ?1 AND account_id = ?2");
    st.Bind(1, id).Bind(2, account_id);
    CADUCE_RETURN_IF_ERROR(read(st));
  }
  return out;
}

Result<std::vector<std::pair<int64_t, int64_t>>> SqliteMailRepository::SubmissionsSince(
    storage::Tx& tx, int64_t account_id, int64_t since, int limit) {
  // Rows are only appended, under the write lock, with the account's next modseq:
  // the id order is the modseq order, so the (account_id, id) index serves it.
  Stmt st(ConnOf(tx),
          "SELECT modseq, id FROM email_submissions WHERE account_id = ?1 AND modseq > ?2"
          " ORDER BY id LIMIT ?3");
  st.Bind(1, account_id).Bind(2, since).Bind(3, static_cast<int64_t>(limit));
  std::vector<std::pair<int64_t, int64_t>> out;
  while (st.Step()) out.emplace_back(st.Int64(0), st.Int64(1));
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

Result<bool> SqliteMailRepository::StructureAddsSender(storage::Tx& tx, int64_t structure_id) {
  Stmt st(ConnOf(tx), "SELECT mail_adds_sender FROM structures WHERE id = ?1");
  st.Bind(1, structure_id);
  bool adds = st.Step() && st.Int64(0) != 0;
  CADUCE_RETURN_IF_ERROR(st.status());
  return adds;
}

Status SqliteMailRepository::SetStructureAddsSender(storage::Tx& tx, int64_t structure_id,
                                                    bool adds) {
  Stmt st(ConnOf(tx), "UPDATE structures SET mail_adds_sender = ?2 WHERE id = ?1");
  st.Bind(1, structure_id).Bind(2, static_cast<int64_t>(adds ? 1 : 0));
  CADUCE_RETURN_IF_ERROR(st.Run());
  if (sqlite3_changes(ConnOf(tx).handle()) == 0) {
    return NotFoundError("Cette structure n'existe pas.");
  }
  return OkStatus();
}

}  // namespace caduce::store_sqlite
