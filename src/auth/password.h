// File: auth/password.h
//
// Password hashing with argon2id (libsodium crypto_pwhash_str). Exposure: handles
// credentials — it receives passwords in clear and never keeps or logs them. The
// stored string names its own parameters, so a hash made with a weaker cost keeps
// verifying and NeedsRehash tells when to replace it after a successful sign-in.
//
// Production cost: 2 passes over 19 MiB, one lane: the OWASP Password Storage
// Cheat Sheet's argon2id minimum (m=19456 KiB, t=2, p=1; its other settings, 46 MiB
// with 1 pass down to 7 MiB with 5, are equivalent). RFC 9106 §4 recommends 2 GiB
// with 1 pass, or 64 MiB with 3 passes and 4 lanes where memory is short; both
// cost a server ~0.2 s of a core per sign-in (libsodium runs one lane), so 20
// sign-ins a second would need 4 cores. This setting takes about a fifth of that
// (~40 ms of one core), so 20 sign-ins a second fit on 2 cores beside the rest
// of the traffic, while a stolen database still costs 19 MiB and 2 passes per
// guess. `caduce serve` may raise it (argon2_memory, argon2_passes). Tests use
// the minimum.
#ifndef CADUCE_AUTH_PASSWORD_H_
#define CADUCE_AUTH_PASSWORD_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace caduce::auth {

struct PasswordCost {
  unsigned long long opslimit = 2;
  size_t memlimit = 19u << 20;

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

  // True when `hash` was made with other parameters than this hasher's cost (or
  // is not an argon2id string): hash the password again and store the new string.
  // Both ways: a weaker hash is strengthened, and a costlier one (an older
  // default) is brought to the configured cost, which is what sign-in throughput
  // is planned on; the configured cost is never below OWASP's minimum.
  bool NeedsRehash(std::string_view hash) const;

  const PasswordCost& cost() const { return cost_; }

 private:
  PasswordCost cost_;
};

}  // namespace caduce::auth

#endif  // CADUCE_AUTH_PASSWORD_H_
