// Rows of tokens, sessions, sign_in_failures and sign_in_locks (migration 4), and
// the sign-in columns of accounts. Hashes are 32-byte BLOBs; a row whose hash or
// purpose is not of that form is reported as kDataLoss rather than read as a
// plausible value.
#include "store_sqlite/auth_repo.h"

#include <fmt/format.h>

#include <cstring>

#include "directory/fields.h"
#include "store_sqlite/columns.h"
#include "store_sqlite/db.h"

namespace caduce::store_sqlite {
namespace {

using auth::Credentials;
using auth::SessionRecord;
using auth::ThrottleScope;
using auth::TokenHash;
using auth::TokenPurpose;
using auth::TokenRecord;
using directory::AccountStatus;

Connection& ConnOf(storage::Tx& tx) { return SqliteTx::ConnOf(tx); }


std::string_view ScopeToSql(ThrottleScope s) {
  return s == ThrottleScope::kAccount ? "account" : "ip";
}

std::string_view PurposeToSql(TokenPurpose p) {
  return p == TokenPurpose::kActivate ? "activate" : "reset";
}

Status ReadHash(const Stmt& st, int col, TokenHash* out) {
  std::string blob = st.Blob(col);
  if (blob.size() != out->size()) return DataLossError("a stored token hash is not 32 bytes");
  std::memcpy(out->data(), blob.data(), out->size());
  return OkStatus();
}

constexpr std::string_view kCredentialColumns =
    "SELECT id, type, status, disabled_reason, date_peremption, address, nom, prenom, "
    "COALESCE(password_hash, ''), COALESCE(default_mailbox_id, 0) FROM accounts ";

Result<Credentials> ReadCredentials(const Stmt& st) {
  Credentials c;
  c.account_id = st.Int64(0);
  std::optional<directory::AccountType> type = directory::ParseAccountType(st.TextView(1));
  if (!type) return DataLossError(fmt::format("account {} has an unknown type", c.account_id));
  c.type = *type;
  std::optional<AccountStatus> status = StatusFromSql(st.TextView(2));
  if (!status) {
    return DataLossError(fmt::format("account {} has an unknown status", c.account_id));
  }
  c.status = *status;
  c.disabled_reason = st.Text(3);
  c.date_peremption = st.Text(4);
  c.address = st.Text(5);
  c.nom = st.Text(6);
  c.prenom = st.Text(7);
  c.password_hash = st.Text(8);
  c.default_mailbox_id = st.Int64(9);
  return c;
}

Result<std::optional<Credentials>> FindCredentialsBy(Stmt& st) {
  if (!st.Step()) {
    CADUCE_RETURN_IF_ERROR(st.status());
    return std::optional<Credentials>();
  }
  CADUCE_TRY(Credentials c, ReadCredentials(st));
  return std::optional<Credentials>(std::move(c));
}

}  // namespace

// ---- Credentials ------------------------------------------------------------------

Result<std::optional<Credentials>> SqliteAuthRepository::FindCredentials(storage::Tx& tx,
                                                                         std::string_view address) {
  static const std::string kSql = std::string(kCredentialColumns) + "WHERE address = ?1";
  Stmt st(ConnOf(tx), kSql);
  st.Bind(1, address);
  return FindCredentialsBy(st);
}

Result<std::optional<Credentials>> SqliteAuthRepository::FindCredentialsById(storage::Tx& tx,
                                                                             int64_t account_id) {
  static const std::string kSql = std::string(kCredentialColumns) + "WHERE id = ?1";
  Stmt st(ConnOf(tx), kSql);
  st.Bind(1, account_id);
  return FindCredentialsBy(st);
}

Status SqliteAuthRepository::SetPasswordHash(storage::Tx& tx, int64_t account_id,
                                             std::string_view hash, int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "set password"));
  Stmt st(ConnOf(tx), "UPDATE accounts SET password_hash = ?2, updated_at = ?3 WHERE id = ?1");
  st.Bind(1, account_id).Bind(2, hash).Bind(3, at);
  CADUCE_RETURN_IF_ERROR(st.Run());
  if (sqlite3_changes(ConnOf(tx).handle()) == 0) {
    return NotFoundError(fmt::format("no account {}", account_id));
  }
  return OkStatus();
}

Result<bool> SqliteAuthRepository::ReplacePasswordHash(storage::Tx& tx, int64_t account_id,
                                                       std::string_view expected,
                                                       std::string_view hash) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "replace password hash"));
  Stmt st(ConnOf(tx),
          "UPDATE accounts SET password_hash = ?3 WHERE id = ?1 AND password_hash = ?2");
  st.Bind(1, account_id).Bind(2, expected).Bind(3, hash);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return sqlite3_changes(ConnOf(tx).handle()) > 0;
}

Result<bool> SqliteAuthRepository::ActivateIfPending(storage::Tx& tx, int64_t account_id,
                                                     int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "activate account"));
  Stmt st(ConnOf(tx),
          "UPDATE accounts SET status = 'active', updated_at = ?2 "
          "WHERE id = ?1 AND status = 'pending'");
  st.Bind(1, account_id).Bind(2, at);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return sqlite3_changes(ConnOf(tx).handle()) > 0;
}

// ---- Tokens -----------------------------------------------------------------------

Status SqliteAuthRepository::InsertToken(storage::Tx& tx, const TokenRecord& t) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "insert token"));
  Stmt st(ConnOf(tx),
          "INSERT INTO tokens (hash, account_id, purpose, created_at, expires_at, used_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.BindBlob(1, t.hash.data(), t.hash.size())
      .Bind(2, t.account_id)
      .Bind(3, PurposeToSql(t.purpose))
      .Bind(4, t.created_at)
      .Bind(5, t.expires_at);
  if (t.used_at != 0) {
    st.Bind(6, t.used_at);
  } else {
    st.BindNull(6);
  }
  return st.Run();
}

Result<std::optional<TokenRecord>> SqliteAuthRepository::FindToken(storage::Tx& tx,
                                                                   const TokenHash& hash) {
  Stmt st(ConnOf(tx),
          "SELECT hash, account_id, purpose, created_at, expires_at, COALESCE(used_at, 0) "
          "FROM tokens WHERE hash = ?1");
  st.BindBlob(1, hash.data(), hash.size());
  if (!st.Step()) {
    CADUCE_RETURN_IF_ERROR(st.status());
    return std::optional<TokenRecord>();
  }
  TokenRecord t;
  CADUCE_RETURN_IF_ERROR(ReadHash(st, 0, &t.hash));
  t.account_id = st.Int64(1);
  std::string_view purpose = st.TextView(2);
  if (purpose == "activate") {
    t.purpose = TokenPurpose::kActivate;
  } else if (purpose == "reset") {
    t.purpose = TokenPurpose::kReset;
  } else {
    return DataLossError("a stored token has an unknown purpose");
  }
  t.created_at = st.Int64(3);
  t.expires_at = st.Int64(4);
  t.used_at = st.Int64(5);
  return std::optional<TokenRecord>(t);
}

Result<bool> SqliteAuthRepository::MarkTokenUsed(storage::Tx& tx, const TokenHash& hash,
                                                 int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "use token"));
  Stmt st(ConnOf(tx), "UPDATE tokens SET used_at = ?2 WHERE hash = ?1 AND used_at IS NULL");
  st.BindBlob(1, hash.data(), hash.size()).Bind(2, at);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return sqlite3_changes(ConnOf(tx).handle()) > 0;
}

Status SqliteAuthRepository::VoidTokensOf(storage::Tx& tx, int64_t account_id, int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "void tokens"));
  Stmt st(ConnOf(tx), "UPDATE tokens SET used_at = ?2 WHERE account_id = ?1 AND used_at IS NULL");
  st.Bind(1, account_id).Bind(2, at);
  return st.Run();
}

// ---- Sessions ---------------------------------------------------------------------

Status SqliteAuthRepository::InsertSession(storage::Tx& tx, const SessionRecord& s) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "insert session"));
  Stmt st(ConnOf(tx),
          "INSERT INTO sessions (hash, person_id, mailbox_id, created_at, last_seen, ip, "
          "user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.BindBlob(1, s.hash.data(), s.hash.size())
      .Bind(2, s.person_id)
      .Bind(3, s.mailbox_id)
      .Bind(4, s.created_at)
      .Bind(5, s.last_seen)
      .Bind(6, s.ip)
      .Bind(7, s.user_agent);
  return st.Run();
}

Result<std::optional<SessionRecord>> SqliteAuthRepository::FindSession(storage::Tx& tx,
                                                                       const TokenHash& hash) {
  Stmt st(ConnOf(tx),
          "SELECT hash, person_id, mailbox_id, created_at, last_seen, ip, user_agent "
          "FROM sessions WHERE hash = ?1");
  st.BindBlob(1, hash.data(), hash.size());
  if (!st.Step()) {
    CADUCE_RETURN_IF_ERROR(st.status());
    return std::optional<SessionRecord>();
  }
  SessionRecord s;
  CADUCE_RETURN_IF_ERROR(ReadHash(st, 0, &s.hash));
  s.person_id = st.Int64(1);
  s.mailbox_id = st.Int64(2);
  s.created_at = st.Int64(3);
  s.last_seen = st.Int64(4);
  s.ip = st.Text(5);
  s.user_agent = st.Text(6);
  return std::optional<SessionRecord>(std::move(s));
}

Status SqliteAuthRepository::TouchSession(storage::Tx& tx, const TokenHash& hash,
                                          int64_t last_seen) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "touch session"));
  // Never moves last_seen backwards (two processes touching the same session).
  Stmt st(ConnOf(tx), "UPDATE sessions SET last_seen = ?2 WHERE hash = ?1 AND last_seen < ?2");
  st.BindBlob(1, hash.data(), hash.size()).Bind(2, last_seen);
  return st.Run();
}

Status SqliteAuthRepository::SetSessionMailbox(storage::Tx& tx, const TokenHash& hash,
                                               int64_t mailbox_id) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "switch mailbox"));
  Stmt st(ConnOf(tx), "UPDATE sessions SET mailbox_id = ?2 WHERE hash = ?1");
  st.BindBlob(1, hash.data(), hash.size()).Bind(2, mailbox_id);
  return st.Run();
}

Result<bool> SqliteAuthRepository::DeleteSession(storage::Tx& tx, const TokenHash& hash) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "delete session"));
  Stmt st(ConnOf(tx), "DELETE FROM sessions WHERE hash = ?1");
  st.BindBlob(1, hash.data(), hash.size());
  CADUCE_RETURN_IF_ERROR(st.Run());
  return sqlite3_changes(ConnOf(tx).handle()) > 0;
}

Result<int64_t> SqliteAuthRepository::DeleteSessionsOf(storage::Tx& tx, int64_t person_id) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "delete sessions"));
  Stmt st(ConnOf(tx), "DELETE FROM sessions WHERE person_id = ?1");
  st.Bind(1, person_id);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return static_cast<int64_t>(sqlite3_changes(ConnOf(tx).handle()));
}

// ---- Throttling -------------------------------------------------------------------

Status SqliteAuthRepository::RecordFailure(storage::Tx& tx, ThrottleScope scope,
                                           std::string_view key, int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "record failure"));
  Stmt st(ConnOf(tx), "INSERT INTO sign_in_failures (scope, key, at) VALUES (?1, ?2, ?3)");
  st.Bind(1, ScopeToSql(scope)).Bind(2, key).Bind(3, at);
  return st.Run();
}

Result<auth::FailureCount> SqliteAuthRepository::CountFailures(storage::Tx& tx, ThrottleScope scope,
                                                               std::string_view key,
                                                               int64_t since) {
  Stmt st(ConnOf(tx),
          "SELECT COUNT(*), COALESCE(MAX(at), 0) FROM sign_in_failures "
          "WHERE scope = ?1 AND key = ?2 AND at >= ?3");
  st.Bind(1, ScopeToSql(scope)).Bind(2, key).Bind(3, since);
  auth::FailureCount f;
  if (st.Step()) {
    f.count = st.Int64(0);
    f.last_at = st.Int64(1);
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return f;
}

Status SqliteAuthRepository::ClearFailures(storage::Tx& tx, ThrottleScope scope,
                                           std::string_view key) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "clear failures"));
  Stmt st(ConnOf(tx), "DELETE FROM sign_in_failures WHERE scope = ?1 AND key = ?2");
  st.Bind(1, ScopeToSql(scope)).Bind(2, key);
  return st.Run();
}

Status SqliteAuthRepository::SetLock(storage::Tx& tx, ThrottleScope scope, std::string_view key,
                                     int64_t at, int64_t until) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "lock"));
  Stmt st(ConnOf(tx),
          "INSERT INTO sign_in_locks (scope, key, locked_at, locked_until) "
          "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (scope, key) DO UPDATE SET "
          "locked_at = excluded.locked_at, "
          "locked_until = MAX(locked_until, excluded.locked_until)");
  st.Bind(1, ScopeToSql(scope)).Bind(2, key).Bind(3, at).Bind(4, until);
  return st.Run();
}

Result<int64_t> SqliteAuthRepository::LockedUntil(storage::Tx& tx, ThrottleScope scope,
                                                  std::string_view key) {
  Stmt st(ConnOf(tx), "SELECT locked_until FROM sign_in_locks WHERE scope = ?1 AND key = ?2");
  st.Bind(1, ScopeToSql(scope)).Bind(2, key);
  int64_t until = 0;
  if (st.Step()) until = st.Int64(0);
  CADUCE_RETURN_IF_ERROR(st.status());
  return until;
}

// ---- Housekeeping -----------------------------------------------------------------

Result<int64_t> SqliteAuthRepository::Purge(storage::Tx& tx, const auth::PurgeBefore& before) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "purge"));
  int64_t n = 0;
  auto run = [&](Stmt& st) -> Status {
    CADUCE_RETURN_IF_ERROR(st.Run());
    n += sqlite3_changes(ConnOf(tx).handle());
    return OkStatus();
  };
  {
    Stmt st(ConnOf(tx), "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2");
    st.Bind(1, before.session_last_seen).Bind(2, before.session_created);
    CADUCE_RETURN_IF_ERROR(run(st));
  }
  {
    Stmt st(ConnOf(tx), "DELETE FROM tokens WHERE expires_at < ?1");
    st.Bind(1, before.token_expires);
    CADUCE_RETURN_IF_ERROR(run(st));
  }
  {
    Stmt st(ConnOf(tx), "DELETE FROM sign_in_failures WHERE at < ?1");
    st.Bind(1, before.failure_at);
    CADUCE_RETURN_IF_ERROR(run(st));
  }
  {
    Stmt st(ConnOf(tx), "DELETE FROM sign_in_locks WHERE locked_until < ?1");
    st.Bind(1, before.lock_until);
    CADUCE_RETURN_IF_ERROR(run(st));
  }
  return n;
}

}  // namespace caduce::store_sqlite
