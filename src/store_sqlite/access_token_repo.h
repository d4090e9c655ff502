// File: store_sqlite/access_token_repo.h
//
// The SQLite implementation of auth::AccessTokenRepository: the rows of
// access_tokens (migration 9). Exposure: handles credentials — it stores and
// reads only the BLAKE2b-256 hashes of tokens. Every statement is a constant SQL
// text with every value bound. Stateless: one instance may serve every thread,
// each with its own Tx.
#ifndef CADUCE_STORE_SQLITE_ACCESS_TOKEN_REPO_H_
#define CADUCE_STORE_SQLITE_ACCESS_TOKEN_REPO_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "auth/access_token_repository.h"
#include "base/status.h"
#include "storage/database.h"

namespace caduce::store_sqlite {

// REQUIRES: every Tx given comes from a SqliteDatabase (store_sqlite/db.h).
// Write methods refuse a kRead Tx with kFailedPrecondition.
class SqliteAccessTokenRepository final : public auth::AccessTokenRepository {
 public:
  SqliteAccessTokenRepository() = default;

  Result<int64_t> InsertAccessToken(storage::Tx& tx, const auth::AccessTokenRecord& token) override;
  Result<std::optional<auth::AccessTokenRecord>> FindAccessTokenByHash(
      storage::Tx& tx, const auth::TokenHash& hash) override;
  Result<std::optional<auth::AccessTokenRecord>> FindAccessToken(storage::Tx& tx,
                                                                 int64_t id) override;
  Result<std::vector<auth::AccessTokenRecord>> AccessTokensOf(storage::Tx& tx,
                                                              int64_t person_id) override;
  Result<int64_t> CountLiveAccessTokens(storage::Tx& tx, int64_t person_id,
                                        int64_t now) override;
  Result<bool> RevokeAccessToken(storage::Tx& tx, int64_t id, int64_t at) override;
  Status TouchAccessToken(storage::Tx& tx, int64_t id, int64_t at, std::string_view ip) override;
};

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_ACCESS_TOKEN_REPO_H_
