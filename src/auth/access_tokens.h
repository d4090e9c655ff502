// File: auth/access_tokens.h
//
// Personal access tokens: a person (a nominative account) creates a named token
// for a mail client — Thunderbird over JMAP, a health software — and the client
// sends it as `Authorization: Bearer cdc_pat_…`. Exposure: handles credentials —
// the token is shown once, in clear, to the person who creates it; only the
// BLAKE2b-256 hash of its 32 random bytes is stored (like session tokens), and it
// never goes into the trail, a message or a log.
//
// The rules it holds:
//  - a token authenticates the person, never an ORG or APP mailbox: only an
//    active nominative account creates one (an ORG/APP account has none), and a
//    token whose person is disabled, expired or no longer nominative opens nothing
//    (disabling the account stops its tokens at the next request);
//  - a token is for the mail API only (JMAP): the administration API and the
//    token routes accept the session cookie alone, so a stolen client token cannot
//    make more tokens nor act as an administrator (api/tokens.cc);
//  - named (1 to 100 characters), optional expiry, at most kMaxLiveTokens live
//    tokens per person; last use time and IP kept (written at most once a minute
//    per token, or when the IP changes);
//  - revoked by the person, or by an administrator of its structure (the caller
//    checks the structure: api/tokens.cc asks DirectoryService); effective at the
//    next request;
//  - every creation, failed use and revocation goes to the audit trail with the
//    person, the token's id and name, the IP and the user agent. Failed uses are
//    also counted per remote address with the sign-in counters: after
//    ThrottleOptions::lock_after failures the address is locked (auth.locked), and
//    a locked address is refused without further trail entries.
//
// Authenticate is cheap: one indexed lookup by hash plus the person's mailboxes;
// no argon2id (the tokens carry 256 random bits).
//
// Thread-safe: each call runs in its own transactions.
#ifndef CADUCE_AUTH_ACCESS_TOKENS_H_
#define CADUCE_AUTH_ACCESS_TOKENS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "auth/access_token_repository.h"
#include "auth/repository.h"
#include "auth/sign_in.h"
#include "base/clock.h"
#include "base/status.h"
#include "directory/model.h"
#include "directory/repository.h"
#include "storage/database.h"

namespace caduce::auth {

// A token as listed: everything but its secret.
struct AccessTokenInfo {
  int64_t id = 0;
  int64_t person_id = 0;
  std::string name;
  int64_t created_at = 0;
  int64_t expires_at = 0;  // 0: never
  int64_t last_used_at = 0;
  std::string last_used_ip;
  bool expired = false;
};

// Create()'s answer: `secret` is the only copy of the token in clear.
struct CreatedAccessToken {
  AccessTokenInfo info;
  std::string secret;  // "cdc_pat_" + 43 base64url characters
};

// Who a token authenticates: the person and the mailboxes it may open, exactly as
// a session's SignInService::Me() gives them (current_mailbox_id is the person's
// default mailbox while the right on it holds, else its own), plus the token.
struct TokenPerson {
  MeView me;
  int64_t token_id = 0;
  std::string token_name;
};

struct AccessTokenOptions {
  // Counting failed uses per remote address (the sign-in throttle's settings).
  ThrottleOptions throttle;
  // last_used_at is written at most this often (a new IP is written at once).
  int64_t touch_seconds = 60;
};

class AccessTokenService {
 public:
  static constexpr std::string_view kPrefix = "cdc_pat_";
  static constexpr int64_t kMaxLiveTokens = 50;
  static constexpr size_t kMaxNameChars = 100;
  // The one answer to a token that does not open anything (unknown, malformed,
  // revoked, expired, or its person disabled): the client cannot tell which.
  static constexpr std::string_view kRefusedMessage =
      "Jeton d'accès invalide, expiré ou révoqué : créez-en un nouveau dans vos préférences.";

  AccessTokenService(storage::Database& db, AuthRepository& auth_repo,
                     AccessTokenRepository& repo, directory::DirectoryRepository& directory,
                     audit::AuditLog& audit, const Clock& clock, AccessTokenOptions options = {})
      : db_(db),
        auth_repo_(auth_repo),
        repo_(repo),
        directory_(directory),
        audit_(audit),
        clock_(clock),
        options_(options) {}

  // Creates a token for `person` (actor.person_id; actor.ip and actor.user_agent go
  // into the trail). `expires_at` in microseconds, 0 for none. Refusals (French):
  //  - kInvalidArgument: empty or too long name, invalid UTF-8 or control
  //    characters, expiry in the past;
  //  - kPermissionDenied: the account is not an active nominative one (ORG, APP,
  //    pending, disabled, expired);
  //  - kResourceExhausted: kMaxLiveTokens live tokens already.
  Result<CreatedAccessToken> Create(const directory::Actor& person, std::string_view name,
                                    int64_t expires_at = 0);

  // The person's tokens that are not revoked (expired ones flagged), by id.
  Result<std::vector<AccessTokenInfo>> List(int64_t person_id);

  // Revokes token `token_id` of `person_id`, on behalf of `actor` (the person
  // itself, or an administrator whose scope the caller checked). kNotFound when
  // the person has no such live token. Records auth.token_revoked.
  Status Revoke(const directory::Actor& actor, int64_t person_id, int64_t token_id);

  // The person `bearer` (the token's text) authenticates. kUnauthenticated
  // (kRefusedMessage) for anything that opens nothing — each such use is traced
  // as auth.token_refused; kResourceExhausted while `ip` is locked.
  Result<TokenPerson> Authenticate(std::string_view bearer, std::string_view ip,
                                   std::string_view user_agent = {});

  const Clock& clock() const { return clock_; }

 private:
  Status RecordRefusal(const std::optional<AccessTokenRecord>& token,
                       const std::optional<Credentials>& person, std::string_view reason,
                       std::string_view ip, std::string_view user_agent);
  bool IsExpiredAccount(const Credentials& c) const;

  storage::Database& db_;
  AuthRepository& auth_repo_;
  AccessTokenRepository& repo_;
  directory::DirectoryRepository& directory_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const AccessTokenOptions options_;
};

// The token of an `Authorization` header value "Bearer <token>" (scheme without
// regard to case, RFC 6750 §2.1), or nullopt when the value is not of that form.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// What the JMAP layer calls for a request: authenticates its `Authorization`
// header value (the whole value, "Bearer cdc_pat_…"). kUnauthenticated when the
// header is absent, not a bearer token, or the token opens nothing. Every other
// rule as AccessTokenService::Authenticate.
Result<TokenPerson> AuthenticateBearer(AccessTokenService& tokens, std::string_view authorization,
                                       std::string_view ip, std::string_view user_agent = {});

}  // namespace caduce::auth

#endif  // CADUCE_AUTH_ACCESS_TOKENS_H_
