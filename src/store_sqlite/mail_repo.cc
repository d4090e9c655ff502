// The mail store in SQLite (mail_repo.h, schema of migrations 7 and 11).
#include "store_sqlite/mail_repo.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <climits>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "store_sqlite/db.h"
#include "store_sqlite/fts_terms.h"

namespace caduce::store_sqlite {
namespace {

namespace json = boost::json;
using mail::Email;
using mail::EmailAddress;
using mail::Mailbox;
using mail::ObjectType;

Connection& ConnOf(storage::Tx& tx) { return SqliteTx::ConnOf(tx); }
bool Writable(storage::Tx& tx) { return tx.mode() == storage::TxMode::kWrite; }

json::array AddressesJson(const std::vector<EmailAddress>& list) {
  json::array a;
  for (const EmailAddress& x : list) a.push_back(json::array{json::string(x.name), json::string(x.email)});
  return a;
}

std::vector<EmailAddress> AddressesOf(const json::object& o, std::string_view key) {
  std::vector<EmailAddress> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& x : v->as_array()) {
    const json::array* pair = x.if_array();
    if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_string()) {
      continue;
    }
    out.push_back({std::string((*pair)[0].as_string()), std::string((*pair)[1].as_string())});
  }
  return out;
}

std::vector<std::string> StringsOf(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& x : v->as_array()) {
    if (x.is_string()) out.emplace_back(x.as_string());
  }
  return out;
}

std::string JoinAddresses(const std::vector<EmailAddress>& list) {
  std::string s;
  for (const EmailAddress& a : list) {
    if (!s.empty()) s += ' ';
    s += a.name;
    s += ' ';
    s += a.email;
  }
  return s;
}

// Escapes `s` for HTML, then turns the markers \x01 \x02 into <mark> </mark>.
std::string MarkedHtml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\x01': out += "<mark>"; break;
      case '\x02': out += "</mark>"; break;
      default: out += c;
    }
  }
  return out;
}

Status CheckChanged(Connection& conn, const char* what) {
  if (sqlite3_changes(conn.handle()) == 0) return NotFoundError(std::string(what) + " introuvable");
  return OkStatus();
}

const char* TableOf(ObjectType t) {
  switch (t) {
    case ObjectType::kEmail: return "emails";
    case ObjectType::kMailbox: return "mailboxes";
    case ObjectType::kThread: return "mail_threads";
  }
  return "emails";
}

Status Tombstone(storage::Tx& tx, int64_t account_id, ObjectType type, int64_t object_id,
                 int64_t created_modseq, int64_t modseq) {
  Stmt st(ConnOf(tx),
          "INSERT OR REPLACE INTO mail_tombstones(account_id, type, modseq, object_id, created_modseq)"
          " VALUES (?1, ?2, ?3, ?4, ?5)");
  st.Bind(1, account_id).Bind(2, static_cast<int64_t>(type)).Bind(3, modseq).Bind(4, object_id);
  st.Bind(5, created_modseq);
  return st.Run();
}

}  // namespace

std::string FtsQuery(std::string_view text, std::string_view column) {
  // Each word the index would find, quoted, all required. The index keeps no
  // positions (detail=column): "rendez-vous" or an address asks for each of its
  // words in the field rather than for them side by side.
  std::string out;
  for (const std::string& term : Terms(text)) {
    if (term.find('"') != std::string::npos) continue;
    if (!out.empty()) out += " AND ";
    if (!column.empty()) {
      out += column;
      out += " : ";
    }
    out += '"';
    out += term;
    out += '"';
  }
  return out;
}

// --- Account state -----------------------------------------------------------

Result<mail::AccountMailState> SqliteMailRepository::EnsureAccount(storage::Tx& tx,
                                                                   int64_t account_id,
                                                                   bool* created) {
  *created = false;
  mail::AccountMailState s;
  s.account_id = account_id;
  {
    Stmt st(ConnOf(tx),
            "SELECT modseq, used_bytes, quota_bytes, seen_per_person FROM mail_accounts"
            " WHERE account_id = ?1");
    st.Bind(1, account_id);
    if (st.Step()) {
      s.modseq = st.Int64(0);
      s.used_bytes = st.Int64(1);
      s.quota_bytes = st.Int64(2);
      s.seen_per_person = st.Int64(3) != 0;
      return s;
    }
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  if (!Writable(tx)) return s;
  Stmt ins(ConnOf(tx), "INSERT INTO mail_accounts(account_id) VALUES (?1)");
  ins.Bind(1, account_id);
  CADUCE_RETURN_IF_ERROR(ins.Run());
  *created = true;
  return s;
}

Result<int64_t> SqliteMailRepository::NextModseq(storage::Tx& tx, int64_t account_id, int64_t n) {
  Stmt st(ConnOf(tx),
          "UPDATE mail_accounts SET modseq = modseq + ?2 WHERE account_id = ?1 RETURNING modseq");
  st.Bind(1, account_id).Bind(2, n);
  if (!st.Step()) {
    CADUCE_RETURN_IF_ERROR(st.status());
    return InternalError(fmt::format("no mail state for account {}", account_id));
  }
  int64_t last = st.Int64(0);
  while (st.Step()) {
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return last - n + 1;
}

Status SqliteMailRepository::AddUsedBytes(storage::Tx& tx, int64_t account_id, int64_t delta) {
  Stmt st(ConnOf(tx),
          "UPDATE mail_accounts SET used_bytes = max(0, used_bytes + ?2) WHERE account_id = ?1");
  st.Bind(1, account_id).Bind(2, delta);
  return st.Run();
}

Status SqliteMailRepository::SetSeenPerPerson(storage::Tx& tx, int64_t account_id,
                                              bool per_person) {
  Stmt st(ConnOf(tx), "UPDATE mail_accounts SET seen_per_person = ?2 WHERE account_id = ?1");
  st.Bind(1, account_id).Bind(2, static_cast<int64_t>(per_person));
  return st.Run();
}

Status SqliteMailRepository::SetQuota(storage::Tx& tx, int64_t account_id, int64_t bytes) {
  Stmt st(ConnOf(tx), "UPDATE mail_accounts SET quota_bytes = ?2 WHERE account_id = ?1");
  st.Bind(1, account_id).Bind(2, bytes);
  return st.Run();
}

// --- Mailboxes -----------------------------------------------------------------

namespace {
constexpr const char* kMailboxColumns =
    "id, account_id, parent_id, name, role, sort_order, total_emails, unread_emails";

Mailbox ReadMailbox(Stmt& st) {
  Mailbox m;
  m.id = st.Int64(0);
  m.account_id = st.Int64(1);
  m.parent_id = st.Int64(2);
  m.name = st.Text(3);
  m.role = mail::ParseRole(st.TextView(4)).value_or(mail::Role::kNone);
  m.sort_order = static_cast<int>(st.Int64(5));
  m.total_emails = st.Int64(6);
  m.unread_emails = st.Int64(7);
  return m;
}
}  // namespace

Result<std::vector<Mailbox>> SqliteMailRepository::ListMailboxes(storage::Tx& tx,
                                                                 int64_t account_id,
                                                                 int64_t person_id,
                                                                 bool seen_per_person) {
  // The counts are kept by the triggers of migration 11: unread_emails for the
  // account's $seen bit, mailbox_seen for what each person has read.
  std::vector<Mailbox> out;
  Stmt st(ConnOf(tx),
          seen_per_person
              ? "SELECT b.id, b.account_id, b.parent_id, b.name, b.role, b.sort_order,"
                " b.total_emails, b.total_emails - coalesce(s.seen, 0) FROM mailboxes b"
                " LEFT JOIN mailbox_seen s ON s.mailbox_id = b.id AND s.person_id = ?2"
                " WHERE b.account_id = ?1 ORDER BY b.sort_order, b.name, b.id"
              : "SELECT id, account_id, parent_id, name, role, sort_order, total_emails,"
                " unread_emails FROM mailboxes WHERE account_id = ?1 AND ?2 = ?2"
                " ORDER BY sort_order, name, id");
  st.Bind(1, account_id).Bind(2, person_id);
  while (st.Step()) out.push_back(ReadMailbox(st));
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

Result<std::optional<Mailbox>> SqliteMailRepository::FindMailbox(storage::Tx& tx,
                                                                 int64_t account_id,
                                                                 int64_t mailbox_id) {
  Stmt st(ConnOf(tx), fmt::format("SELECT {} FROM mailboxes WHERE id = ?1 AND account_id = ?2",
                                  kMailboxColumns));
  st.Bind(1, mailbox_id).Bind(2, account_id);
  std::optional<Mailbox> m;
  if (st.Step()) m = ReadMailbox(st);
  CADUCE_RETURN_IF_ERROR(st.status());
  return m;
}

Result<int64_t> SqliteMailRepository::MailboxByRole(storage::Tx& tx, int64_t account_id,
                                                    mail::Role role) {
  Stmt st(ConnOf(tx), "SELECT id FROM mailboxes WHERE account_id = ?1 AND role = ?2");
  st.Bind(1, account_id).Bind(2, mail::RoleName(role));
  if (st.Step()) return st.Int64(0);
  CADUCE_RETURN_IF_ERROR(st.status());
  return NotFoundError(fmt::format("the account {} has no {} mailbox", account_id,
                                   mail::RoleName(role)));
}

Result<int64_t> SqliteMailRepository::InsertMailbox(storage::Tx& tx, const Mailbox& m,
                                                    int64_t modseq) {
  Stmt st(ConnOf(tx),
          "INSERT INTO mailboxes(account_id, parent_id, name, role, sort_order, created_modseq,"
          " modseq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
  st.Bind(1, m.account_id).Bind(2, m.parent_id).Bind(3, m.name).Bind(4, mail::RoleName(m.role));
  st.Bind(5, static_cast<int64_t>(m.sort_order)).Bind(6, modseq);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(ConnOf(tx).handle()));
}

Status SqliteMailRepository::UpdateMailbox(storage::Tx& tx, const Mailbox& m, int64_t modseq) {
  Stmt st(ConnOf(tx),
          "UPDATE mailboxes SET parent_id = ?3, name = ?4, sort_order = ?5, modseq = ?6"
          " WHERE id = ?1 AND account_id = ?2");
  st.Bind(1, m.id).Bind(2, m.account_id).Bind(3, m.parent_id).Bind(4, m.name);
  st.Bind(5, static_cast<int64_t>(m.sort_order)).Bind(6, modseq);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return CheckChanged(ConnOf(tx), "mailbox");
}

Status SqliteMailRepository::DestroyMailbox(storage::Tx& tx, int64_t account_id,
                                            int64_t mailbox_id, int64_t modseq) {
  int64_t created = 0;
  {
    Stmt st(ConnOf(tx),
            "DELETE FROM mailboxes WHERE id = ?1 AND account_id = ?2 RETURNING created_modseq");
    st.Bind(1, mailbox_id).Bind(2, account_id);
    if (!st.Step()) {
      CADUCE_RETURN_IF_ERROR(st.status());
      return NotFoundError("mailbox introuvable");
    }
    created = st.Int64(0);
    while (st.Step()) {
    }
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  return Tombstone(tx, account_id, ObjectType::kMailbox, mailbox_id, created, modseq);
}

Status SqliteMailRepository::TouchMailbox(storage::Tx& tx, int64_t mailbox_id, int64_t modseq) {
  Stmt st(ConnOf(tx), "UPDATE mailboxes SET modseq = ?2 WHERE id = ?1");
  st.Bind(1, mailbox_id).Bind(2, modseq);
  return st.Run();
}

Result<int64_t> SqliteMailRepository::CountChildren(storage::Tx& tx, int64_t mailbox_id) {
  Stmt st(ConnOf(tx), "SELECT count(*) FROM mailboxes WHERE parent_id = ?1");
  st.Bind(1, mailbox_id);
  int64_t n = 0;
  if (st.Step()) n = st.Int64(0);
  CADUCE_RETURN_IF_ERROR(st.status());
  return n;
}

// --- Blobs -------------------------------------------------------------------

Result<int64_t> SqliteMailRepository::AddBlobRef(storage::Tx& tx, std::string_view blob_id,
                                                 int64_t size, int64_t delta) {
  Stmt st(ConnOf(tx),
          "INSERT INTO mail_blobs(id, size, refs) VALUES (?1, ?2, max(?3, 0))"
          " ON CONFLICT(id) DO UPDATE SET refs = max(refs + ?3, 0) RETURNING refs");
  st.Bind(1, blob_id).Bind(2, size).Bind(3, delta);
  int64_t refs = 0;
  if (st.Step()) refs = st.Int64(0);
  while (st.Step()) {
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return refs;
}

Result<int64_t> SqliteMailRepository::BlobRefs(storage::Tx& tx, std::string_view blob_id) {
  Stmt st(ConnOf(tx), "SELECT refs FROM mail_blobs WHERE id = ?1");
  st.Bind(1, blob_id);
  int64_t refs = 0;
  if (st.Step()) refs = st.Int64(0);
  CADUCE_RETURN_IF_ERROR(st.status());
  return refs;
}

Result<std::vector<std::string>> SqliteMailRepository::UnreferencedBlobs(storage::Tx& tx,
                                                                         int limit) {
  Stmt st(ConnOf(tx), "SELECT id FROM mail_blobs WHERE refs = 0 LIMIT ?1");
  st.Bind(1, static_cast<int64_t>(limit));
  std::vector<std::string> out;
  while (st.Step()) out.push_back(st.Text(0));
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

Status SqliteMailRepository::ForgetBlob(storage::Tx& tx, std::string_view blob_id) {
  Stmt st(ConnOf(tx), "DELETE FROM mail_blobs WHERE id = ?1 AND refs = 0");
  st.Bind(1, blob_id);
  return st.Run();
}

// --- Threads -----------------------------------------------------------------

Result<int64_t> SqliteMailRepository::FindThread(storage::Tx& tx, int64_t account_id,
                                                 const std::vector<std::string>& ids,
                                                 std::string_view base_subject) {
  for (const std::string& id : ids) {
    Stmt st(ConnOf(tx),
            "SELECT e.thread_id FROM email_thread_ids t JOIN emails e ON e.id = t.email_id"
            " WHERE t.account_id = ?1 AND t.msgid = ?2 AND e.base_subject = ?3 LIMIT 1");
    st.Bind(1, account_id).Bind(2, id).Bind(3, base_subject);
    if (st.Step()) return st.Int64(0);
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  return int64_t{0};
}

Result<int64_t> SqliteMailRepository::InsertThread(storage::Tx& tx, int64_t account_id,
                                                   int64_t modseq) {
  Stmt st(ConnOf(tx),
          "INSERT INTO mail_threads(account_id, created_modseq, modseq) VALUES (?1, ?2, ?2)");
  st.Bind(1, account_id).Bind(2, modseq);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(ConnOf(tx).handle()));
}

Status SqliteMailRepository::TouchThread(storage::Tx& tx, int64_t thread_id, int64_t modseq) {
  Stmt st(ConnOf(tx), "UPDATE mail_threads SET modseq = ?2 WHERE id = ?1");
  st.Bind(1, thread_id).Bind(2, modseq);
  return st.Run();
}

Status SqliteMailRepository::DestroyThread(storage::Tx& tx, int64_t account_id, int64_t thread_id,
                                           int64_t modseq) {
  int64_t created = 0;
  {
    Stmt st(ConnOf(tx),
            "DELETE FROM mail_threads WHERE id = ?1 AND account_id = ?2 RETURNING created_modseq");
    st.Bind(1, thread_id).Bind(2, account_id);
    if (st.Step()) created = st.Int64(0);
    while (st.Step()) {
    }
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  return Tombstone(tx, account_id, ObjectType::kThread, thread_id, created, modseq);
}

Result<std::vector<int64_t>> SqliteMailRepository::ThreadEmails(storage::Tx& tx,
                                                                int64_t account_id,
                                                                int64_t thread_id) {
  Stmt st(ConnOf(tx),
          "SELECT id FROM emails WHERE thread_id = ?1 AND account_id = ?2"
          " ORDER BY received_at, id");
  st.Bind(1, thread_id).Bind(2, account_id);
  std::vector<int64_t> out;
  while (st.Step()) out.push_back(st.Int64(0));
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

// --- Messages ----------------------------------------------------------------

Result<std::vector<mail::IndexEntry>> SqliteMailRepository::IndexBacklog(storage::Tx& tx,
                                                                         int64_t after, int max) {
  Stmt st(ConnOf(tx),
          "SELECT t.id, e.account_id, e.created_modseq, t.subject, t.sender, t.recipients, t.body"
          " FROM fts_pending p JOIN email_text t ON t.id = p.email_id JOIN emails e ON e.id = t.id"
          " WHERE p.email_id > ?2 ORDER BY p.email_id LIMIT ?1");
  st.Bind(1, static_cast<int64_t>(max)).Bind(2, after);
  std::vector<mail::IndexEntry> out;
  while (st.Step()) {
    mail::IndexEntry& e = out.emplace_back();
    e.email_id = st.Int64(0);
    e.account_id = st.Int64(1);
    e.created_modseq = st.Int64(2);
    for (int i = 0; i < 4; ++i) e.words[i] = DistinctTerms(st.TextView(i + 3));
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

Status SqliteMailRepository::AddToIndex(storage::Tx& tx,
                                        const std::vector<mail::IndexEntry>& entries) {
  Connection& conn = ConnOf(tx);
  // Taken twice (by the indexer and a search catching up), destroyed since its
  // words were read, or its id gone to a newer message: the entry is not the
  // pending message any more, and is left alone.
  for (const mail::IndexEntry& e : entries) {
    bool pending = false;
    {
      Stmt st(conn,
              "SELECT 1 FROM fts_pending p JOIN emails e ON e.id = p.email_id"
              " WHERE p.email_id = ?1 AND e.account_id = ?2 AND e.created_modseq = ?3");
      st.Bind(1, e.email_id).Bind(2, e.account_id).Bind(3, e.created_modseq);
      pending = st.Step();
      CADUCE_RETURN_IF_ERROR(st.status());
    }
    if (!pending) continue;
    Stmt index(conn,
               "INSERT INTO email_fts(rowid, subject, sender, recipients, body)"
               " VALUES (?1, ?2, ?3, ?4, ?5)");
    index.Bind(1, e.email_id);
    for (int i = 0; i < 4; ++i) index.Bind(i + 2, e.words[i]);
    CADUCE_RETURN_IF_ERROR(index.Run());
    Stmt done(conn, "DELETE FROM fts_pending WHERE email_id = ?1");
    done.Bind(1, e.email_id);
    CADUCE_RETURN_IF_ERROR(done.Run());
  }
  return OkStatus();
}

Result<int64_t> SqliteMailRepository::InsertEmail(storage::Tx& tx, const mail::NewEmail& e) {
  const mail::ParsedMessage& p = *e.parsed;
  json::object meta;
  meta["from"] = AddressesJson(p.from);
  meta["to"] = AddressesJson(p.to);
  meta["cc"] = AddressesJson(p.cc);
  meta["bcc"] = AddressesJson(p.bcc);
  meta["reply_to"] = AddressesJson(p.reply_to);
  meta["sender"] = AddressesJson(p.sender);
  json::array irt, refs, att;
  for (const auto& s : p.in_reply_to) irt.emplace_back(s);
  for (const auto& s : p.references) refs.emplace_back(s);
  for (const auto& a : p.attachments) {
    att.push_back(json::array{json::string(a.part_id), json::string(a.name), json::string(a.type), a.size});
  }
  meta["in_reply_to"] = std::move(irt);
  meta["references"] = std::move(refs);
  meta["attachments"] = std::move(att);
  Connection& conn = ConnOf(tx);
  int64_t id = 0;
  {
    Stmt st(conn,
            "INSERT INTO emails(account_id, thread_id, blob_id, size, received_at, sent_at,"
            " message_id, subject, base_subject, has_attachment, preview, meta, keywords,"
            " created_modseq, modseq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
            " ?13, ?14, ?14)");
    st.Bind(1, e.account_id).Bind(2, e.thread_id).Bind(3, e.blob_id).Bind(4, e.size);
    st.Bind(5, e.received_at);
    if (p.sent_at) st.Bind(6, *p.sent_at); else st.BindNull(6);
    st.Bind(7, p.message_id).Bind(8, p.subject).Bind(9, e.base_subject);
    st.Bind(10, static_cast<int64_t>(!p.attachments.empty())).Bind(11, p.preview);
    st.Bind(12, json::serialize(meta)).Bind(13, static_cast<int64_t>(e.keywords));
    st.Bind(14, e.modseq);
    CADUCE_RETURN_IF_ERROR(st.Run());
    id = sqlite3_last_insert_rowid(conn.handle());
  }
  {
    // The index takes the text later (IndexBacklog, AddToIndex).
    std::vector<EmailAddress> rcpts = p.to;
    rcpts.insert(rcpts.end(), p.cc.begin(), p.cc.end());
    rcpts.insert(rcpts.end(), p.bcc.begin(), p.bcc.end());
    std::string body = p.text;
    for (const auto& a : p.attachments) body += "\n" + a.name;
    Stmt row(conn,
             "INSERT INTO email_text(id, subject, sender, recipients, body)"
             " VALUES (?1, ?2, ?3, ?4, ?5)");
    row.Bind(1, id).Bind(2, p.subject).Bind(3, JoinAddresses(p.from) + " " + JoinAddresses(p.sender));
    row.Bind(4, JoinAddresses(rcpts)).Bind(5, body);
    CADUCE_RETURN_IF_ERROR(row.Run());
    Stmt pending(conn, "INSERT INTO fts_pending(email_id) VALUES (?1)");
    pending.Bind(1, id);
    CADUCE_RETURN_IF_ERROR(pending.Run());
  }
  std::vector<std::string> ids;
  if (!p.message_id.empty()) ids.push_back(p.message_id);
  ids.insert(ids.end(), p.in_reply_to.begin(), p.in_reply_to.end());
  ids.insert(ids.end(), p.references.begin(), p.references.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (const std::string& msgid : ids) {
    Stmt st(conn, "INSERT INTO email_thread_ids(account_id, msgid, email_id) VALUES (?1, ?2, ?3)");
    st.Bind(1, e.account_id).Bind(2, msgid).Bind(3, id);
    CADUCE_RETURN_IF_ERROR(st.Run());
  }
  return id;
}

// The mailbox's counts follow by trigger (migration 11).
Status SqliteMailRepository::AddMembership(storage::Tx& tx, int64_t email_id, int64_t mailbox_id) {
  Stmt st(ConnOf(tx),
          "INSERT OR IGNORE INTO email_mailboxes(mailbox_id, received_at, email_id)"
          " SELECT ?2, received_at, id FROM emails WHERE id = ?1");
  st.Bind(1, email_id).Bind(2, mailbox_id);
  return st.Run();
}

Status SqliteMailRepository::RemoveMembership(storage::Tx& tx, int64_t email_id,
                                              int64_t mailbox_id) {
  Stmt st(ConnOf(tx), "DELETE FROM email_mailboxes WHERE email_id = ?1 AND mailbox_id = ?2");
  st.Bind(1, email_id).Bind(2, mailbox_id);
  return st.Run();
}

Status SqliteMailRepository::SetKeywords(storage::Tx& tx, int64_t email_id, uint32_t keywords,
                                         int64_t modseq) {
  Stmt st(ConnOf(tx), "UPDATE emails SET keywords = ?2, modseq = ?3 WHERE id = ?1");
  st.Bind(1, email_id).Bind(2, static_cast<int64_t>(keywords)).Bind(3, modseq);
  return st.Run();
}

Status SqliteMailRepository::SetPersonSeen(storage::Tx& tx, int64_t email_id, int64_t person_id,
                                           bool seen) {
  Stmt st(ConnOf(tx), seen ? "INSERT OR IGNORE INTO email_seen(email_id, person_id) VALUES (?1, ?2)"
                           : "DELETE FROM email_seen WHERE email_id = ?1 AND person_id = ?2");
  st.Bind(1, email_id).Bind(2, person_id);
  return st.Run();
}

Status SqliteMailRepository::TouchEmail(storage::Tx& tx, int64_t email_id, int64_t modseq) {
  Stmt st(ConnOf(tx), "UPDATE emails SET modseq = ?2 WHERE id = ?1");
  st.Bind(1, email_id).Bind(2, modseq);
  return st.Run();
}

Status SqliteMailRepository::DestroyEmail(storage::Tx& tx, int64_t account_id, int64_t email_id,
                                          int64_t modseq) {
  Connection& conn = ConnOf(tx);
  std::vector<int64_t> boxes;
  {
    Stmt st(conn, "SELECT mailbox_id FROM email_mailboxes WHERE email_id = ?1");
    st.Bind(1, email_id);
    while (st.Step()) boxes.push_back(st.Int64(0));
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  // Memberships go before the row: their triggers read its keywords and readers.
  for (int64_t mb : boxes) CADUCE_RETURN_IF_ERROR(RemoveMembership(tx, email_id, mb));
  int64_t created = 0;
  {
    Stmt st(conn, "DELETE FROM emails WHERE id = ?1 AND account_id = ?2 RETURNING created_modseq");
    st.Bind(1, email_id).Bind(2, account_id);
    if (!st.Step()) {
      CADUCE_RETURN_IF_ERROR(st.status());
      return NotFoundError("message introuvable");
    }
    created = st.Int64(0);
    while (st.Step()) {
    }
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  {
    // The index forgets exactly the words it was given: the text's distinct words.
    Stmt st(conn, "DELETE FROM email_text WHERE id = ?1 RETURNING subject, sender, recipients, body");
    st.Bind(1, email_id);
    std::string fields[4];
    bool found = st.Step();
    if (found) {
      for (int i = 0; i < 4; ++i) fields[i] = st.Text(i);
      while (st.Step()) {
      }
    }
    CADUCE_RETURN_IF_ERROR(st.status());
    bool waiting = false;  // not indexed yet: the index will never take it now
    {
      Stmt m(conn, "DELETE FROM fts_pending WHERE email_id = ?1 RETURNING email_id");
      m.Bind(1, email_id);
      waiting = m.Step();
      while (m.Step()) {
      }
      CADUCE_RETURN_IF_ERROR(m.status());
    }
    if (found && !waiting) {
      Stmt del(conn,
               "INSERT INTO email_fts(email_fts, rowid, subject, sender, recipients, body)"
               " VALUES ('delete', ?1, ?2, ?3, ?4, ?5)");
      del.Bind(1, email_id);
      for (int i = 0; i < 4; ++i) del.Bind(i + 2, DistinctTerms(fields[i]));
      CADUCE_RETURN_IF_ERROR(del.Run());
    }
  }
  for (const char* sql : {"DELETE FROM email_thread_ids WHERE email_id = ?1",
                          "DELETE FROM email_seen WHERE email_id = ?1"}) {
    Stmt st(conn, sql);
    st.Bind(1, email_id);
    CADUCE_RETURN_IF_ERROR(st.Run());
  }
  return Tombstone(tx, account_id, ObjectType::kEmail, email_id, created, modseq);
}

Result<std::vector<Email>> SqliteMailRepository::GetEmails(storage::Tx& tx, int64_t account_id,
                                                           const std::vector<int64_t>& ids,
                                                           int64_t person_id,
                                                           bool seen_per_person) {
  Connection& conn = ConnOf(tx);
  std::vector<Email> out;
  out.reserve(ids.size());
  for (int64_t id : ids) {
    Email e;
    {
      Stmt st(conn,
              "SELECT id, account_id, thread_id, blob_id, size, received_at, sent_at, message_id,"
              " subject, has_attachment, preview, meta, keywords FROM emails"
              " WHERE id = ?1 AND account_id = ?2");
      st.Bind(1, id).Bind(2, account_id);
      if (!st.Step()) {
        CADUCE_RETURN_IF_ERROR(st.status());
        continue;
      }
      e.id = st.Int64(0);
      e.account_id = st.Int64(1);
      e.thread_id = st.Int64(2);
      e.blob_id = st.Text(3);
      e.size = st.Int64(4);
      e.received_at = st.Int64(5);
      if (!st.IsNull(6)) e.sent_at = st.Int64(6);
      e.message_id = st.Text(7);
      e.subject = st.Text(8);
      e.has_attachment = st.Int64(9) != 0;
      e.preview = st.Text(10);
      boost::system::error_code ec;
      json::value meta = json::parse(st.TextView(11), ec);
      if (ec || !meta.is_object()) {
        return DataLossError(fmt::format("message {}: stored metadata is not JSON", id));
      }
      const json::object& o = meta.as_object();
      e.from = AddressesOf(o, "from");
      e.to = AddressesOf(o, "to");
      e.cc = AddressesOf(o, "cc");
      e.bcc = AddressesOf(o, "bcc");
      e.reply_to = AddressesOf(o, "reply_to");
      e.sender = AddressesOf(o, "sender");
      e.in_reply_to = StringsOf(o, "in_reply_to");
      e.references = StringsOf(o, "references");
      if (const json::value* a = o.if_contains("attachments"); a != nullptr && a->is_array()) {
        for (const json::value& x : a->as_array()) {
          const json::array* t = x.if_array();
          if (t == nullptr || t->size() != 4) continue;
          mail::Attachment att;
          if ((*t)[0].is_string()) att.part_id = std::string((*t)[0].as_string());
          if ((*t)[1].is_string()) att.name = std::string((*t)[1].as_string());
          if ((*t)[2].is_string()) att.type = std::string((*t)[2].as_string());
          if ((*t)[3].is_int64()) att.size = (*t)[3].as_int64();
          e.attachments.push_back(std::move(att));
        }
      }
      e.keywords = static_cast<uint32_t>(st.Int64(12));
      CADUCE_RETURN_IF_ERROR(st.status());
    }
    {
      Stmt st(conn, "SELECT mailbox_id FROM email_mailboxes WHERE email_id = ?1 ORDER BY mailbox_id");
      st.Bind(1, e.id);
      while (st.Step()) e.mailbox_ids.push_back(st.Int64(0));
      CADUCE_RETURN_IF_ERROR(st.status());
    }
    if (seen_per_person) {
      Stmt st(conn, "SELECT 1 FROM email_seen WHERE email_id = ?1 AND person_id = ?2");
      st.Bind(1, e.id).Bind(2, person_id);
      bool seen = st.Step();
      CADUCE_RETURN_IF_ERROR(st.status());
      e.keywords = seen ? (e.keywords | mail::kSeen) : (e.keywords & ~mail::kSeen);
    }
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// A text search, exact and in received order, without reading every match when the
// words are common. The FTS5 table gives its matches in rowid (message id) order
// only, and a mailbox lists its messages by date, which is not always id order (an
// imported message keeps its own date). So:
// - few matches (the first chunk holds them all): each match is checked against the
//   other conditions by its id, and the survivors are sorted by date;
// - many: the candidates are walked in date order (one index range), and each is
//   looked up in the set of matches, which is read from FTS5 in id order, a chunk at
//   a time, only as far as the walk needs: every match with an id at or beyond the
//   last one read is then known. The walk stops at the page's end unless the total
//   is asked for.
Status QueryText(Connection& conn, const SqliteMailRepository::SearchTuning& tuning,
                 const mail::EmailQuery& q, const std::string& fts, const std::string& from_where,
                 const std::string& id_col, const std::string& date_col,
                 const std::function<void(Stmt&)>& bind_all, int n_binds,
                 mail::EmailQueryResult* r) {
  // Newest first walks ids downwards: the matches are read in descending id order.
  bool down = !q.ascending;
  std::unordered_set<int64_t> matches;
  int64_t edge = down ? INT64_MAX : INT64_MIN;  // every match beyond the edge is known
  bool exhausted = false;
  int64_t chunk = std::max<int64_t>(tuning.first_chunk, 1);
  auto read_chunk = [&]() -> Status {
    Stmt st(conn, down ? "SELECT rowid FROM email_fts WHERE email_fts MATCH ?1 AND rowid < ?2"
                         " ORDER BY rowid DESC LIMIT ?3"
                       : "SELECT rowid FROM email_fts WHERE email_fts MATCH ?1 AND rowid > ?2"
                         " ORDER BY rowid ASC LIMIT ?3");
    st.Bind(1, fts).Bind(2, edge).Bind(3, chunk);
    int64_t n = 0;
    while (st.Step()) {
      edge = st.Int64(0);
      matches.insert(edge);
      ++n;
    }
    CADUCE_RETURN_IF_ERROR(st.status());
    if (n < chunk) exhausted = true;
    chunk = std::min(chunk * 2, std::max(tuning.max_chunk, chunk));
    return OkStatus();
  };
  CADUCE_RETURN_IF_ERROR(read_chunk());
  int64_t end = q.position + q.limit;
  if (exhausted) {
    // Few matches: keep those that meet the other conditions, in date order.
    std::vector<std::pair<int64_t, int64_t>> found;  // date, id
    std::string sql =
        fmt::format("SELECT {} {} AND {} = ?{}", date_col, from_where, id_col, n_binds + 1);
    for (int64_t id : matches) {
      Stmt st(conn, sql);
      bind_all(st);
      st.Bind(n_binds + 1, id);
      if (st.Step()) found.emplace_back(st.Int64(0), id);
      CADUCE_RETURN_IF_ERROR(st.status());
    }
    std::sort(found.begin(), found.end());
    if (down) std::reverse(found.begin(), found.end());
    for (int64_t i = q.position; i < end && i < static_cast<int64_t>(found.size()); ++i) {
      r->ids.push_back(found[static_cast<size_t>(i)].second);
    }
    if (q.want_total) r->total = static_cast<int64_t>(found.size());
    return OkStatus();
  }
  std::string order = down ? "DESC" : "ASC";
  Stmt walk(conn, fmt::format("SELECT {0} {1} ORDER BY {2} {3}, {0} {3}", id_col, from_where,
                              date_col, order));
  bind_all(walk);
  int64_t matched = 0;
  while (walk.Step()) {
    int64_t id = walk.Int64(0);
    while (!exhausted && (down ? id < edge : id > edge)) CADUCE_RETURN_IF_ERROR(read_chunk());
    if (!matches.contains(id)) continue;
    if (matched >= q.position && matched < end) r->ids.push_back(id);
    ++matched;
    if (matched >= end && !q.want_total) break;
  }
  CADUCE_RETURN_IF_ERROR(walk.status());
  if (q.want_total) r->total = matched;
  return OkStatus();
}

}  // namespace

Result<mail::EmailQueryResult> SqliteMailRepository::QueryEmails(storage::Tx& tx,
                                                                const mail::EmailQuery& q,
                                                                bool seen_per_person) {
  const mail::EmailFilter& f = q.filter;
  mail::EmailQueryResult r;
  r.position = q.position;
  Connection& conn = ConnOf(tx);
  int64_t mailbox_total = -1;
  if (f.in_mailbox) {
    Stmt st(conn, "SELECT total_emails FROM mailboxes WHERE id = ?1 AND account_id = ?2");
    st.Bind(1, *f.in_mailbox).Bind(2, q.account_id);
    if (st.Step()) mailbox_total = st.Int64(0);
    CADUCE_RETURN_IF_ERROR(st.status());
    if (mailbox_total < 0) {
      return NotFoundError("Dossier : ce dossier n'existe pas dans cette boîte aux lettres.");
    }
  }
  // Conditions on the message row, each with its bound value.
  std::string where;
  std::vector<std::variant<int64_t, std::string>> binds;
  auto add = [&](std::string cond, std::variant<int64_t, std::string> v) {
    binds.push_back(std::move(v));
    where += " AND " + fmt::format(fmt::runtime(cond), binds.size());
  };
  bool needs_row = false;
  std::string fts;
  auto add_fts = [&](const std::string& text, std::string_view column) {
    std::string part = FtsQuery(text, column);
    if (part.empty()) return;
    if (!fts.empty()) fts += " AND ";
    fts += part;
  };
  add_fts(f.text, "");
  add_fts(f.from, "sender");
  add_fts(f.to, "recipients");
  add_fts(f.subject, "subject");
  bool text_given = !(f.text.empty() && f.from.empty() && f.to.empty() && f.subject.empty());
  if (text_given && fts.empty()) {
    // Only punctuation: nothing can match.
    r.total = q.want_total ? 0 : -1;
    return r;
  }
  std::string date_col = f.in_mailbox ? "m.received_at" : "e.received_at";
  if (f.before) add(date_col + " < ?{}", *f.before);
  if (f.after) add(date_col + " >= ?{}", *f.after);
  uint32_t seen_in_row = seen_per_person ? ~mail::kSeen : ~0u;
  uint32_t has_row = f.has_keywords & seen_in_row, not_row = f.not_keywords & seen_in_row;
  if (has_row) {
    needs_row = true;
    add("(e.keywords & ?{0}) = ?{0}", static_cast<int64_t>(has_row));
  }
  if (not_row) {
    needs_row = true;
    add("(e.keywords & ?{}) = 0", static_cast<int64_t>(not_row));
  }
  if (seen_per_person && (f.has_keywords & mail::kSeen)) {
    add("EXISTS (SELECT 1 FROM email_seen s WHERE s.email_id = e.id AND s.person_id = ?{})",
        q.person_id);
    needs_row = true;
  }
  if (seen_per_person && (f.not_keywords & mail::kSeen)) {
    add("NOT EXISTS (SELECT 1 FROM email_seen s WHERE s.email_id = e.id AND s.person_id = ?{})",
        q.person_id);
    needs_row = true;
  }
  if (f.has_attachment) {
    needs_row = true;
    add("e.has_attachment = ?{}", static_cast<int64_t>(*f.has_attachment));
  }
  std::string from;
  std::string order = q.ascending ? "ASC" : "DESC";
  std::string order_by;
  if (f.in_mailbox) {
    from = "FROM email_mailboxes m";
    if (needs_row) from += " JOIN emails e ON e.id = m.email_id";
    add("m.mailbox_id = ?{}", *f.in_mailbox);
    order_by = fmt::format(" ORDER BY m.received_at {0}, m.email_id {0}", order);
  } else {
    from = "FROM emails e";
    add("e.account_id = ?{}", q.account_id);
    order_by = fmt::format(" ORDER BY e.received_at {0}, e.id {0}", order);
  }
  std::string id_col = f.in_mailbox ? "m.email_id" : "e.id";
  std::string cond = where.substr(5);  // drop the first " AND "
  auto bind_all = [&](Stmt& st) {
    for (size_t i = 0; i < binds.size(); ++i) {
      if (auto* n = std::get_if<int64_t>(&binds[i])) st.Bind(static_cast<int>(i + 1), *n);
      else st.Bind(static_cast<int>(i + 1), std::get<std::string>(binds[i]));
    }
  };
  if (!fts.empty()) {
    CADUCE_RETURN_IF_ERROR(
        QueryText(conn, tuning_, q, fts, fmt::format("{} WHERE {}", from, cond), id_col,
                  date_col, bind_all, static_cast<int>(binds.size()), &r)
            .WithContext("recherche"));
    return r;
  }
  {
    Stmt st(conn, fmt::format("SELECT {} {} WHERE {}{} LIMIT {} OFFSET {}", id_col, from, cond,
                              order_by, q.limit, q.position));
    bind_all(st);
    while (st.Step()) r.ids.push_back(st.Int64(0));
    CADUCE_RETURN_IF_ERROR(st.status().WithContext("recherche"));
  }
  if (q.want_total) {
    bool plain_mailbox = f.in_mailbox && binds.size() == 1;
    if (plain_mailbox) {
      r.total = mailbox_total;
    } else {
      Stmt st(conn, fmt::format("SELECT count(*) {} WHERE {}", from, cond));
      bind_all(st);
      if (st.Step()) r.total = st.Int64(0);
      CADUCE_RETURN_IF_ERROR(st.status());
    }
  }
  return r;
}

// Snippets of a page of results. Asking FTS5 for one message by id costs a seek in
// every term's list of documents (about 0.1 ms for common words), so when the ids lie
// close together (a page of the newest matches) one pass over the matches between
// the smallest and the largest id computes the snippets of the wanted ones instead.
Result<std::vector<mail::Snippet>> SqliteMailRepository::Snippets(
    storage::Tx& tx, int64_t account_id, std::string_view text, const std::vector<int64_t>& ids) {
  Connection& conn = ConnOf(tx);
  std::vector<mail::Snippet> out;
  out.reserve(ids.size());
  for (int64_t id : ids) out.push_back(mail::Snippet{id, "", ""});
  std::string fts = FtsQuery(text);
  if (fts.empty() || ids.empty()) return out;
  // Only the account's own messages get a snippet.
  std::unordered_map<int64_t, std::pair<std::string, std::string>> found;
  std::string own = "[";
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (int64_t id : ids) {
    Stmt st(conn, "SELECT 1 FROM emails WHERE id = ?1 AND account_id = ?2");
    st.Bind(1, id).Bind(2, account_id);
    bool mine = st.Step();
    CADUCE_RETURN_IF_ERROR(st.status());
    if (!mine || found.contains(id)) continue;
    found[id];
    if (own.size() > 1) own += ',';
    own += std::to_string(id);
    lo = std::min(lo, id);
    hi = std::max(hi, id);
  }
  own += ']';
  if (found.empty()) return out;
  auto keep = [&](Stmt& st) {
    std::string subject = st.Text(1), body = st.Text(2);
    auto& [s, p] = found[st.Int64(0)];
    if (subject.find('\x01') != std::string::npos) s = MarkedHtml(subject);
    if (body.find('\x01') != std::string::npos) p = MarkedHtml(body);
  };
  if (hi - lo <= tuning_.snippet_range) {
    Stmt st(conn,
            "SELECT rowid, snippet(email_fts, 0, char(1), char(2), '…', 16),"
            " snippet(email_fts, 3, char(1), char(2), '…', 24) FROM email_fts"
            " WHERE email_fts MATCH ?1 AND rowid >= ?2 AND rowid <= ?3"
            " AND +rowid IN (SELECT value FROM json_each(?4))");  // + : not a seek per id
    st.Bind(1, fts).Bind(2, lo).Bind(3, hi).Bind(4, own);
    while (st.Step()) keep(st);
    CADUCE_RETURN_IF_ERROR(st.status());
  } else {
    for (const auto& [id, unused] : found) {
      Stmt st(conn,
              "SELECT rowid, snippet(email_fts, 0, char(1), char(2), '…', 16),"
              " snippet(email_fts, 3, char(1), char(2), '…', 24)"
              " FROM email_fts WHERE email_fts MATCH ?1 AND rowid = ?2");
      st.Bind(1, fts).Bind(2, id);
      while (st.Step()) keep(st);
      CADUCE_RETURN_IF_ERROR(st.status());
    }
  }
  for (mail::Snippet& sn : out) {
    auto it = found.find(sn.email_id);
    if (it == found.end()) continue;
    sn.subject = it->second.first;
    sn.preview = it->second.second;
  }
  return out;
}

Result<mail::Changes> SqliteMailRepository::ChangesSince(storage::Tx& tx, int64_t account_id,
                                                         ObjectType type, int64_t since,
                                                         int64_t max_changes) {
  struct Row {
    int64_t modseq, id, created;
    bool destroyed;
  };
  std::vector<Row> rows;
  Connection& conn = ConnOf(tx);
  {
    Stmt st(conn, fmt::format("SELECT modseq, id, created_modseq FROM {} WHERE account_id = ?1"
                              " AND modseq > ?2 ORDER BY modseq LIMIT ?3",
                              TableOf(type)));
    st.Bind(1, account_id).Bind(2, since).Bind(3, max_changes + 1);
    while (st.Step()) rows.push_back({st.Int64(0), st.Int64(1), st.Int64(2), false});
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  {
    Stmt st(conn,
            "SELECT modseq, object_id, created_modseq FROM mail_tombstones WHERE account_id = ?1"
            " AND type = ?2 AND modseq > ?3 ORDER BY modseq LIMIT ?4");
    st.Bind(1, account_id).Bind(2, static_cast<int64_t>(type)).Bind(3, since);
    st.Bind(4, max_changes + 1);
    while (st.Step()) rows.push_back({st.Int64(0), st.Int64(1), st.Int64(2), true});
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.modseq < b.modseq; });
  mail::Changes c;
  c.old_state = since;
  size_t take = rows.size();
  if (static_cast<int64_t>(rows.size()) > max_changes) {
    c.has_more = true;
    take = static_cast<size_t>(max_changes);
    // Never split one modification sequence between two pages.
    int64_t cut = rows[take].modseq;
    while (take > 0 && rows[take - 1].modseq == cut) --take;
    if (take == 0) {
      while (take < rows.size() && rows[take].modseq == cut) ++take;
    }
  }
  for (size_t i = 0; i < take; ++i) {
    const Row& r = rows[i];
    if (r.destroyed) {
      if (r.created <= since) c.destroyed.push_back(r.id);
    } else if (r.created > since) {
      c.created.push_back(r.id);
    } else {
      c.updated.push_back(r.id);
    }
  }
  if (c.has_more) {
    c.new_state = take > 0 ? rows[take - 1].modseq : since;
  } else {
    Stmt st(conn, "SELECT modseq FROM mail_accounts WHERE account_id = ?1");
    st.Bind(1, account_id);
    c.new_state = st.Step() ? st.Int64(0) : 0;
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  return c;
}

Result<int64_t> SqliteMailRepository::OldestState(storage::Tx& tx, int64_t account_id) {
  Stmt st(ConnOf(tx), "SELECT oldest_state FROM mail_accounts WHERE account_id = ?1");
  st.Bind(1, account_id);
  int64_t v = 0;
  if (st.Step()) v = st.Int64(0);
  CADUCE_RETURN_IF_ERROR(st.status());
  return v;
}

// --- Delivery ----------------------------------------------------------------

Result<int64_t> SqliteMailRepository::ResolveLocalAddress(storage::Tx& tx,
                                                          std::string_view address) {
  Connection& conn = ConnOf(tx);
  {
    Stmt st(conn, "SELECT id FROM accounts WHERE address = ?1");
    st.Bind(1, address);
    if (st.Step()) return st.Int64(0);
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  size_t at = address.rfind('@');
  if (at != std::string_view::npos) {
    Stmt st(conn,
            "SELECT a.id FROM accounts a JOIN structures s ON s.id = a.structure_id"
            " WHERE lower(a.mss_address) = ?1 AND s.mss_domain = ?2 AND a.mss_address <> ''"
            " LIMIT 1");
    st.Bind(1, address.substr(0, at)).Bind(2, address.substr(at + 1));
    if (st.Step()) return st.Int64(0);
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  {
    Stmt st(conn,
            "SELECT id FROM accounts WHERE alias <> '' AND instr(';' ||"
            " replace(lower(alias), ' ', '') || ';', ';' || ?1 || ';') > 0 LIMIT 1");
    st.Bind(1, address);
    if (st.Step()) return st.Int64(0);
    CADUCE_RETURN_IF_ERROR(st.status());
  }
  return int64_t{0};
}

Result<bool> SqliteMailRepository::IsStructureDomain(storage::Tx& tx, std::string_view domain) {
  Stmt st(ConnOf(tx), "SELECT 1 FROM structures WHERE mss_domain = ?1 AND mss_domain <> '' LIMIT 1");
  st.Bind(1, domain);
  bool found = st.Step();
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

Status SqliteMailRepository::EnqueueOutbound(storage::Tx& tx, const mail::OutboundItem& item) {
  Stmt st(ConnOf(tx),
          "INSERT INTO mail_outbound(blob_id, mail_from, rcpt_to, state, created_at,"
          " next_attempt_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?4)");
  st.Bind(1, item.blob_id).Bind(2, item.mail_from).Bind(3, item.rcpt_to).Bind(4, item.created_at);
  return st.Run();
}

Result<std::vector<mail::OutboundItem>> SqliteMailRepository::PendingOutbound(storage::Tx& tx,
                                                                            int limit) {
  Stmt st(ConnOf(tx),
          "SELECT id, blob_id, mail_from, rcpt_to, state, created_at FROM mail_outbound"
          " WHERE state = 'pending' ORDER BY next_attempt_at, id LIMIT ?1");
  st.Bind(1, static_cast<int64_t>(limit));
  std::vector<mail::OutboundItem> out;
  while (st.Step()) {
    out.push_back({st.Int64(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Int64(5)});
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

// --- Traces ------------------------------------------------------------------

Status SqliteMailRepository::InsertAction(storage::Tx& tx, int64_t email_id,
                                          const mail::EmailAction& a) {
  Stmt st(ConnOf(tx),
          "INSERT INTO email_actions(email_id, at, person_id, person, action, audit_seq)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.Bind(1, email_id).Bind(2, a.at).Bind(3, a.person_id).Bind(4, a.person).Bind(5, a.action);
  st.Bind(6, a.audit_seq);
  return st.Run();
}

Result<std::vector<mail::EmailAction>> SqliteMailRepository::ActionsOf(storage::Tx& tx,
                                                                     int64_t email_id) {
  Stmt st(ConnOf(tx),
          "SELECT at, person_id, person, action, audit_seq FROM email_actions WHERE email_id = ?1"
          " ORDER BY id");
  st.Bind(1, email_id);
  std::vector<mail::EmailAction> out;
  while (st.Step()) out.push_back({st.Int64(0), st.Int64(1), st.Text(2), st.Text(3), st.Int64(4)});
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

}  // namespace caduce::store_sqlite
