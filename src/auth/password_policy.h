// File: auth/password_policy.h
//
// The rules a new password must meet before it is hashed. Exposure: handles
// credentials — it reads passwords in clear and wipes the folded copies it makes.
// The rules: no control character; at least 12 characters (code points, so "é"
// counts once); not containing the address's local part or the person's NOM or
// Prénom (each part of at least 3 letters, compared folded: case, accents and
// punctuation ignored); not one of the common passwords of
// data/common-passwords.txt (optional). Each refusal is
// a French sentence the person can act on.
#ifndef CADUCE_AUTH_PASSWORD_POLICY_H_
#define CADUCE_AUTH_PASSWORD_POLICY_H_

#include <string>
#include <string_view>
#include <unordered_set>

#include "base/status.h"

namespace caduce::auth {

// Who the password is for: what it must not contain.
struct PasswordOwner {
  std::string address;
  std::string nom;
  std::string prenom;
};

class PasswordPolicy {
 public:
  static constexpr size_t kMinCodePoints = 12;
  // Longer input is refused before hashing, so that nobody makes the server hash
  // megabytes (argon2 reads the whole password).
  static constexpr size_t kMaxBytes = 1024;

  // A policy without the list of common passwords.
  PasswordPolicy() = default;

  // Loads the list of common passwords (one a line, UTF-8; blank lines and lines
  // starting with '#' are skipped). kDataLoss when the file cannot be read.
  static Result<PasswordPolicy> WithCommonPasswords(const std::string& path);

  // OK when `password` may be used by `owner`; kInvalidArgument with a French
  // message naming the first rule it breaks.
  Status Check(std::string_view password, const PasswordOwner& owner) const;

  size_t common_count() const { return common_.size(); }

 private:
  std::unordered_set<std::string> common_;  // squashed forms (see password_policy.cc)
};

}  // namespace caduce::auth

#endif  // CADUCE_AUTH_PASSWORD_POLICY_H_
