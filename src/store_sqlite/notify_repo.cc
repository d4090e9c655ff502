// The mail queue in SQLite (see notify_repo.h).
#include "store_sqlite/notify_repo.h"

#include <sqlite3.h>

#include "auth/tokens.h"
#include "store_sqlite/columns.h"
#include "store_sqlite/db.h"

namespace caduce::store_sqlite {
namespace {

using notify::Intent;
using notify::IntentState;
using notify::MailKind;

Connection& ConnOf(storage::Tx& tx) { return SqliteTx::ConnOf(tx); }


IntentState StateFromSql(std::string_view s) {
  if (s == "sent") return IntentState::kSent;
  if (s == "failed") return IntentState::kFailed;
  if (s == "cancelled") return IntentState::kCancelled;
  return IntentState::kPending;
}

Intent ReadIntent(const Stmt& st) {
  Intent i;
  i.id = st.Int64(0);
  i.account_id = st.Int64(1);
  i.address = st.Text(2);
  i.kind = notify::MailKindFromName(st.TextView(3)).value_or(MailKind::kActivation);
  i.state = StateFromSql(st.TextView(4));
  i.attempts = st.Int64(5);
  i.created_at = st.Int64(6);
  i.next_attempt_at = st.Int64(7);
  i.sent_at = st.Int64(8);
  i.failed_at = st.Int64(9);
  i.last_error = st.Text(10);
  return i;
}

Result<std::vector<Intent>> ReadIntents(Stmt& st) {
  std::vector<Intent> out;
  while (st.Step()) out.push_back(ReadIntent(st));
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

}  // namespace

Result<int64_t> SqliteNotifyRepository::Enqueue(storage::Tx& tx, int64_t account_id,
                                                MailKind kind, int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "queue a mail"));
  Stmt st(ConnOf(tx),
          "INSERT INTO notifications (account_id, kind, created_at, next_attempt_at) "
          "VALUES (?1, ?2, ?3, ?3)");
  st.Bind(1, account_id).Bind(2, notify::MailKindName(kind)).Bind(3, at);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(ConnOf(tx).handle()));
}

Result<bool> SqliteNotifyRepository::HasPending(storage::Tx& tx, int64_t account_id,
                                                MailKind kind) {
  Stmt st(ConnOf(tx),
          "SELECT 1 FROM notifications WHERE account_id = ?1 AND kind = ?2 AND state = 'pending' "
          "LIMIT 1");
  st.Bind(1, account_id).Bind(2, notify::MailKindName(kind));
  bool found = st.Step();
  CADUCE_RETURN_IF_ERROR(st.status());
  return found;
}

Result<int64_t> SqliteNotifyRepository::CountSince(storage::Tx& tx, int64_t account_id,
                                                   MailKind kind, int64_t since) {
  Stmt st(ConnOf(tx),
          "SELECT count(*) FROM notifications WHERE account_id = ?1 AND kind = ?2 "
          "AND created_at >= ?3");
  st.Bind(1, account_id).Bind(2, notify::MailKindName(kind)).Bind(3, since);
  int64_t n = 0;
  if (st.Step()) n = st.Int64(0);
  CADUCE_RETURN_IF_ERROR(st.status());
  return n;
}

Result<std::optional<Intent>> SqliteNotifyRepository::Find(storage::Tx& tx, int64_t id) {
  Stmt st(ConnOf(tx),
          "SELECT n.id, n.account_id, coalesce(a.address, ''), n.kind, n.state, n.attempts, "
          "n.created_at, n.next_attempt_at, coalesce(n.sent_at, 0), coalesce(n.failed_at, 0), "
          "n.last_error FROM notifications n LEFT JOIN accounts a ON a.id = n.account_id "
          "WHERE n.id = ?1");
  st.Bind(1, id);
  std::optional<Intent> out;
  if (st.Step()) out = ReadIntent(st);
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

Result<std::vector<Intent>> SqliteNotifyRepository::Due(storage::Tx& tx, int64_t now,
                                                        int64_t limit) {
  Stmt st(ConnOf(tx),
          "SELECT n.id, n.account_id, coalesce(a.address, ''), n.kind, n.state, n.attempts, "
          "n.created_at, n.next_attempt_at, coalesce(n.sent_at, 0), coalesce(n.failed_at, 0), "
          "n.last_error FROM notifications n LEFT JOIN accounts a ON a.id = n.account_id "
          "WHERE n.state = 'pending' AND n.next_attempt_at <= ?1 "
          "ORDER BY n.next_attempt_at, n.id LIMIT ?2");
  st.Bind(1, now).Bind(2, limit);
  return ReadIntents(st);
}

Result<bool> SqliteNotifyRepository::Claim(storage::Tx& tx, int64_t id, int64_t now,
                                           int64_t lease_until) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "claim a mail"));
  Stmt st(ConnOf(tx),
          "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = ?3 "
          "WHERE id = ?1 AND state = 'pending' AND next_attempt_at <= ?2");
  st.Bind(1, id).Bind(2, now).Bind(3, lease_until);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return sqlite3_changes(ConnOf(tx).handle()) > 0;
}

Status SqliteNotifyRepository::MarkSent(storage::Tx& tx, int64_t id, int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "mark a mail sent"));
  Stmt st(ConnOf(tx),
          "UPDATE notifications SET state = 'sent', sent_at = ?2, last_error = '' WHERE id = ?1");
  st.Bind(1, id).Bind(2, at);
  return st.Run();
}

Status SqliteNotifyRepository::MarkRetry(storage::Tx& tx, int64_t id, int64_t next_at,
                                         std::string_view error) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "delay a mail"));
  Stmt st(ConnOf(tx),
          "UPDATE notifications SET next_attempt_at = ?2, last_error = ?3 WHERE id = ?1");
  st.Bind(1, id).Bind(2, next_at).Bind(3, error);
  return st.Run();
}

Status SqliteNotifyRepository::MarkDone(storage::Tx& tx, int64_t id, IntentState state, int64_t at,
                                        std::string_view reason) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "end a mail"));
  Stmt st(ConnOf(tx),
          "UPDATE notifications SET state = ?2, failed_at = ?3, last_error = ?4 WHERE id = ?1");
  st.Bind(1, id).Bind(2, notify::IntentStateName(state)).Bind(3, at).Bind(4, reason);
  return st.Run();
}

Result<int64_t> SqliteNotifyRepository::Requeue(storage::Tx& tx, int64_t id, int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "queue a mail again"));
  Stmt st(ConnOf(tx),
          "UPDATE notifications SET state = 'pending', attempts = 0, next_attempt_at = ?2, "
          "failed_at = NULL WHERE state = 'failed' AND (?1 = 0 OR id = ?1)");
  st.Bind(1, id).Bind(2, at);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return static_cast<int64_t>(sqlite3_changes(ConnOf(tx).handle()));
}

Result<std::vector<Intent>> SqliteNotifyRepository::List(storage::Tx& tx,
                                                         const notify::IntentFilter& f) {
  Stmt st(ConnOf(tx),
          "SELECT n.id, n.account_id, coalesce(a.address, ''), n.kind, n.state, n.attempts, "
          "n.created_at, n.next_attempt_at, coalesce(n.sent_at, 0), coalesce(n.failed_at, 0), "
          "n.last_error FROM notifications n LEFT JOIN accounts a ON a.id = n.account_id "
          "WHERE ?1 OR n.state IN ('pending', 'failed') ORDER BY n.id DESC LIMIT ?2");
  st.Bind(1, static_cast<int64_t>(f.include_done ? 1 : 0)).Bind(2, f.limit);
  return ReadIntents(st);
}

Status SqliteNotifyRepository::VoidTokens(storage::Tx& tx, int64_t account_id,
                                          auth::TokenPurpose purpose, int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "void links"));
  Stmt st(ConnOf(tx),
          "UPDATE tokens SET used_at = ?3 WHERE account_id = ?1 AND purpose = ?2 "
          "AND used_at IS NULL");
  st.Bind(1, account_id).Bind(2, auth::TokenPurposeName(purpose)).Bind(3, at);
  return st.Run();
}

Status SqliteNotifyRepository::RecordResetRequest(storage::Tx& tx, std::string_view ip,
                                                  int64_t at, int64_t forget_before) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "record a reset request"));
  {
    Stmt del(ConnOf(tx), "DELETE FROM password_reset_requests WHERE at < ?1");
    del.Bind(1, forget_before);
    CADUCE_RETURN_IF_ERROR(del.Run());
  }
  Stmt st(ConnOf(tx), "INSERT INTO password_reset_requests (ip, at) VALUES (?1, ?2)");
  st.Bind(1, ip).Bind(2, at);
  return st.Run();
}

Result<int64_t> SqliteNotifyRepository::CountResetRequests(storage::Tx& tx, std::string_view ip,
                                                           int64_t since) {
  Stmt st(ConnOf(tx), "SELECT count(*) FROM password_reset_requests WHERE ip = ?1 AND at >= ?2");
  st.Bind(1, ip).Bind(2, since);
  int64_t n = 0;
  if (st.Step()) n = st.Int64(0);
  CADUCE_RETURN_IF_ERROR(st.status());
  return n;
}

}  // namespace caduce::store_sqlite
