// File: auth/tokens.h
//
// Random tokens for links and sessions. Exposure: handles credentials — a token in
// clear is a key to an account; it is given once to the caller (for a link or a
// cookie) and only its BLAKE2b-256 hash is stored, so a copy of the database opens
// nothing. 32 bytes from the system's CSPRNG (randombytes_buf), written as
// base64url without padding (43 characters, safe in a URL and in a cookie).
#ifndef CADUCE_AUTH_TOKENS_H_
#define CADUCE_AUTH_TOKENS_H_

#include <optional>
#include <string>
#include <string_view>

#include "auth/repository.h"
#include "base/status.h"

namespace caduce::auth {

struct NewToken {
  std::string text;  // what the caller hands out (base64url); never stored or logged
  TokenHash hash{};  // what is stored
};

// A fresh random token. kInternal only when libsodium cannot start.
Result<NewToken> GenerateToken();

// The stored hash of the token written as `text`, or nullopt when `text` is not the
// base64url form of exactly 32 bytes (such a token cannot exist: refuse it as unknown).
std::optional<TokenHash> HashOfToken(std::string_view text);

// "activate", "reset".
std::string_view TokenPurposeName(TokenPurpose purpose);

}  // namespace caduce::auth

#endif  // CADUCE_AUTH_TOKENS_H_
