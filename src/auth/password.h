// File: auth/password.h
//
// Password hashing with argon2id (libsodium crypto_pwhash_str). Exposure: handles
// credentials — it receives passwords in clear and never keeps or logs them. The
// stored string names its own parameters, so a hash made with a weaker cost keeps
// verifying and NeedsRehash tells when to replace it after a successful sign-in.
//
// Production cost: 3 passes over 64 MiB (RFC 9106 §4, the second recommended
// option, "if much less memory is available"; libsodium's OPSLIMIT_MODERATE with a
// quarter of MEMLIMIT_MODERATE). About 0.1 to 0.2 s per hash on one core of a current
// server, which several simultaneous sign-ins can afford, while a stolen database
// still costs an attacker 64 MiB and 3 passes per guess. Tests use the minimum.
#ifndef CADUCE_AUTH_PASSWORD_H_
#define CADUCE_AUTH_PASSWORD_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace caduce::auth {

struct PasswordCost {
  unsigned long long opslimit = 3;
  size_t memlimit = 64u << 20;

  // The production choice above.
  static PasswordCost Production() { return PasswordCost{}; }
  // libsodium's minimum (OPSLIMIT_MIN, MEMLIMIT_MIN): for tests only.
  static PasswordCost Minimal();
};

// Thread-safe: it holds only the cost.
class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordCost cost) : cost_(cost) {}

  // The argon2id string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash") of `password`,
  // with a fresh random salt. kResourceExhausted when the memory cannot be had.
  Result<std::string> Hash(std::string_view password) const;

  // True when `password` matches the stored string `hash`. False for a malformed or
  // empty hash (never an error: the caller answers as for a wrong password).
  bool Verify(std::string_view hash, std::string_view password) const;

  // True when `hash` was made with less memory or fewer passes than this hasher's
  // cost (or is not an argon2id string): hash the password again and store the new
  // string. A stronger stored hash is kept.
  bool NeedsRehash(std::string_view hash) const;

  const PasswordCost& cost() const { return cost_; }

 private:
  PasswordCost cost_;
};

}  // namespace caduce::auth

#endif  // CADUCE_AUTH_PASSWORD_H_
