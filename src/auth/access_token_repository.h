// File: auth/access_token_repository.h
//
// What the personal access tokens (auth/access_tokens.h) need from a store: rows
// of named tokens, found by the BLAKE2b-256 hash of their secret. Implemented by
// store_sqlite/ (migration 9). Exposure: handles credentials — a token reaches the
// store only as its hash, never in clear. Methods take the caller's transaction;
// none commits.
#ifndef CADUCE_AUTH_ACCESS_TOKEN_REPOSITORY_H_
#define CADUCE_AUTH_ACCESS_TOKEN_REPOSITORY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/repository.h"
#include "base/status.h"
#include "storage/database.h"

namespace caduce::auth {

// One personal access token. Times are microseconds since the epoch; 0 means
// "never" (no expiry, not used yet, not revoked).
struct AccessTokenRecord {
  int64_t id = 0;
  TokenHash hash{};
  int64_t person_id = 0;
  std::string name;  // « Thunderbird du poste 3 »
  int64_t created_at = 0;
  int64_t expires_at = 0;
  int64_t last_used_at = 0;
  std::string last_used_ip;
  int64_t revoked_at = 0;
  std::string created_ip;
  std::string created_user_agent;
};

class AccessTokenRepository {
 public:
  virtual ~AccessTokenRepository() = default;

  // Inserts `token` (its id is ignored) and returns the new id.
  virtual Result<int64_t> InsertAccessToken(storage::Tx& tx, const AccessTokenRecord& token) = 0;
  // The token with this hash (revoked or not), or nullopt. One indexed lookup.
  virtual Result<std::optional<AccessTokenRecord>> FindAccessTokenByHash(storage::Tx& tx,
                                                                         const TokenHash& hash) = 0;
  virtual Result<std::optional<AccessTokenRecord>> FindAccessToken(storage::Tx& tx,
                                                                   int64_t id) = 0;
  // The person's tokens that are not revoked, by id.
  virtual Result<std::vector<AccessTokenRecord>> AccessTokensOf(storage::Tx& tx,
                                                                int64_t person_id) = 0;
  // How many of the person's tokens are neither revoked nor expired at `now`.
  virtual Result<int64_t> CountLiveAccessTokens(storage::Tx& tx, int64_t person_id,
                                                int64_t now) = 0;
  // Sets revoked_at when the token is not revoked yet; returns whether it did.
  virtual Result<bool> RevokeAccessToken(storage::Tx& tx, int64_t id, int64_t at) = 0;
  virtual Status TouchAccessToken(storage::Tx& tx, int64_t id, int64_t at,
                                  std::string_view ip) = 0;
};

}  // namespace caduce::auth

#endif  // CADUCE_AUTH_ACCESS_TOKEN_REPOSITORY_H_
