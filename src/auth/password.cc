// argon2id through libsodium's string API: the salt and the parameters travel in
// the stored string, and verification runs in time that does not depend on where
// a wrong password differs.
#include "auth/password.h"

#include <sodium.h>

#include <cstdio>
#include <string>

namespace caduce::auth {

PasswordCost PasswordCost::Minimal() {
  return PasswordCost{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Result<std::string> PasswordHasher::Hash(std::string_view password) const {
  if (sodium_init() < 0) return InternalError("libsodium could not be initialised");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost_.opslimit, cost_.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return ResourceExhaustedError("argon2id: not enough memory to hash a password");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(std::string_view hash, std::string_view password) const {
  if (sodium_init() < 0) return false;
  // crypto_pwhash_str_verify reads a NUL-terminated string of at most STRBYTES.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  char stored[crypto_pwhash_STRBYTES] = {};
  hash.copy(stored, hash.size());
  return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

bool PasswordHasher::NeedsRehash(std::string_view hash) const {
  // "$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>". Any other
  // parameters than the configured ones call for a new hash (see password.h).
  constexpr std::string_view kPrefix = "$argon2id$v=19$m=";
  if (hash.substr(0, kPrefix.size()) != kPrefix) return true;
  unsigned long long m = 0, t = 0;
  std::string params(hash.substr(kPrefix.size(), 64));
  if (std::sscanf(params.c_str(), "%llu,t=%llu,", &m, &t) != 2) return true;
  return m * 1024 != cost_.memlimit || t != cost_.opslimit;
}

}  // namespace caduce::auth
