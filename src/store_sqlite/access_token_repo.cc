// Rows of access_tokens (migration 9). The hash is a 32-byte BLOB; a row whose
// hash is not of that form is reported as kDataLoss rather than read.
#include "store_sqlite/access_token_repo.h"

#include <cstring>

#include "store_sqlite/columns.h"
#include "store_sqlite/db.h"

namespace caduce::store_sqlite {
namespace {

using auth::AccessTokenRecord;
using auth::TokenHash;

Connection& ConnOf(storage::Tx& tx) { return SqliteTx::ConnOf(tx); }

constexpr std::string_view kColumns =
    "SELECT id, hash, person_id, name, created_at, expires_at, last_used_at, last_used_ip, "
    "revoked_at, created_ip, created_user_agent FROM access_tokens ";

Result<AccessTokenRecord> ReadRow(const Stmt& st) {
  AccessTokenRecord r;
  r.id = st.Int64(0);
  std::string blob = st.Blob(1);
  if (blob.size() != r.hash.size()) return DataLossError("a stored access token hash is not 32 bytes");
  std::memcpy(r.hash.data(), blob.data(), r.hash.size());
  r.person_id = st.Int64(2);
  r.name = st.Text(3);
  r.created_at = st.Int64(4);
  r.expires_at = st.Int64(5);
  r.last_used_at = st.Int64(6);
  r.last_used_ip = st.Text(7);
  r.revoked_at = st.Int64(8);
  r.created_ip = st.Text(9);
  r.created_user_agent = st.Text(10);
  return r;
}

Result<std::optional<AccessTokenRecord>> FindOne(Stmt& st) {
  if (!st.Step()) {
    CADUCE_RETURN_IF_ERROR(st.status());
    return std::optional<AccessTokenRecord>();
  }
  CADUCE_TRY(AccessTokenRecord r, ReadRow(st));
  return std::optional<AccessTokenRecord>(std::move(r));
}

}  // namespace

Result<int64_t> SqliteAccessTokenRepository::InsertAccessToken(storage::Tx& tx,
                                                               const AccessTokenRecord& t) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "insert access token"));
  Stmt st(ConnOf(tx),
          "INSERT INTO access_tokens (hash, person_id, name, created_at, expires_at, "
          "created_ip, created_user_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.BindBlob(1, t.hash.data(), t.hash.size())
      .Bind(2, t.person_id)
      .Bind(3, t.name)
      .Bind(4, t.created_at)
      .Bind(5, t.expires_at)
      .Bind(6, t.created_ip)
      .Bind(7, t.created_user_agent);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(ConnOf(tx).handle()));
}

Result<std::optional<AccessTokenRecord>> SqliteAccessTokenRepository::FindAccessTokenByHash(
    storage::Tx& tx, const TokenHash& hash) {
  static const std::string kSql = std::string(kColumns) + "WHERE hash = ?1";
  Stmt st(ConnOf(tx), kSql);
  st.BindBlob(1, hash.data(), hash.size());
  return FindOne(st);
}

Result<std::optional<AccessTokenRecord>> SqliteAccessTokenRepository::FindAccessToken(
    storage::Tx& tx, int64_t id) {
  static const std::string kSql = std::string(kColumns) + "WHERE id = ?1";
  Stmt st(ConnOf(tx), kSql);
  st.Bind(1, id);
  return FindOne(st);
}

Result<std::vector<AccessTokenRecord>> SqliteAccessTokenRepository::AccessTokensOf(
    storage::Tx& tx, int64_t person_id) {
  static const std::string kSql =
      std::string(kColumns) + "WHERE person_id = ?1 AND revoked_at = 0 ORDER BY id";
  Stmt st(ConnOf(tx), kSql);
  st.Bind(1, person_id);
  std::vector<AccessTokenRecord> out;
  while (st.Step()) {
    CADUCE_TRY(AccessTokenRecord r, ReadRow(st));
    out.push_back(std::move(r));
  }
  CADUCE_RETURN_IF_ERROR(st.status());
  return out;
}

Result<int64_t> SqliteAccessTokenRepository::CountLiveAccessTokens(storage::Tx& tx,
                                                                   int64_t person_id,
                                                                   int64_t now) {
  Stmt st(ConnOf(tx),
          "SELECT count(*) FROM access_tokens WHERE person_id = ?1 AND revoked_at = 0 "
          "AND (expires_at = 0 OR expires_at > ?2)");
  st.Bind(1, person_id).Bind(2, now);
  if (!st.Step()) {
    CADUCE_RETURN_IF_ERROR(st.status());
    return int64_t{0};
  }
  return st.Int64(0);
}

Result<bool> SqliteAccessTokenRepository::RevokeAccessToken(storage::Tx& tx, int64_t id,
                                                           int64_t at) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "revoke access token"));
  Stmt st(ConnOf(tx), "UPDATE access_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0");
  st.Bind(1, id).Bind(2, at);
  CADUCE_RETURN_IF_ERROR(st.Run());
  return sqlite3_changes(ConnOf(tx).handle()) > 0;
}

Status SqliteAccessTokenRepository::TouchAccessToken(storage::Tx& tx, int64_t id, int64_t at,
                                                     std::string_view ip) {
  CADUCE_RETURN_IF_ERROR(RequireWrite(tx, "touch access token"));
  Stmt st(ConnOf(tx),
          "UPDATE access_tokens SET last_used_at = max(last_used_at, ?2), last_used_ip = ?3 "
          "WHERE id = ?1");
  st.Bind(1, id).Bind(2, at).Bind(3, ip);
  return st.Run();
}

}  // namespace caduce::store_sqlite
