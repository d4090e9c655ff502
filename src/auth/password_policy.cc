// Password rules. Comparisons run on a "squashed" form: folded (text::Fold: lower
// case, no accents) and stripped of everything but letters and digits, so that
// "Marie.Dupont!" and "mariedupont" count as the same text and "Azerty-1234" is
// caught as "azerty1234". Every squashed copy of the password is wiped after use.
#include "auth/password_policy.h"

#include <sodium.h>

#include <fstream>
#include <string>
#include <vector>

#include "base/text.h"

namespace caduce::auth {
namespace {

// Folded letters and digits only (bytes >= 0x80 are kept: letters outside the
// folding tables stay as they are).
std::string Squash(std::string_view s) {
  std::string folded = text::Fold(s);
  std::string out;
  out.reserve(folded.size());
  for (char c : folded) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u >= 0x80) out.push_back(c);
  }
  sodium_memzero(folded.data(), folded.size());
  return out;
}

// Holds a secret copy and wipes it when it goes out of scope.
struct Wiped {
  std::string s;
  ~Wiped() { sodium_memzero(s.data(), s.size()); }
};

// The pieces of `s` that the password may not contain: `s` itself and each of its
// words (split on anything but letters and digits), squashed, when at least 3
// characters long (shorter ones would refuse too many passwords: "de", "le").
void AddNeedles(std::string_view s, std::vector<std::string>* needles) {
  std::string whole = Squash(s);
  if (text::CodePointCount(whole) >= 3) needles->push_back(whole);
  std::string loose = text::FoldLoose(s);
  size_t start = 0;
  while (start < loose.size()) {
    size_t end = loose.find(' ', start);
    if (end == std::string::npos) end = loose.size();
    std::string word = Squash(std::string_view(loose).substr(start, end - start));
    if (text::CodePointCount(word) >= 3 && word != whole) needles->push_back(word);
    start = end + 1;
  }
}

}  // namespace

Result<PasswordPolicy> PasswordPolicy::WithCommonPasswords(const std::string& path) {
  std::ifstream in(path);
  if (!in) return DataLossError("cannot read the list of common passwords: " + path);
  PasswordPolicy policy;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (!text::IsValidUtf8(line)) continue;
    std::string key = Squash(line);
    if (!key.empty()) policy.common_.insert(std::move(key));
  }
  return policy;
}

Status PasswordPolicy::Check(std::string_view password, const PasswordOwner& owner) const {
  if (password.size() > kMaxBytes) {
    return InvalidArgumentError("Le mot de passe est trop long (1 024 octets au plus).");
  }
  if (!text::IsValidUtf8(password)) {
    return InvalidArgumentError(
        "Le mot de passe contient des caractères illisibles : saisissez-le à nouveau.");
  }
  for (char c : password) {
    // A control character cannot be typed the same way on every keyboard and
    // form (a tab moves focus, a line break submits): the person could not sign
    // in again.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgumentError(
          "Le mot de passe contient un caractère de contrôle (tabulation, retour à la ligne…) : "
          "retirez-le.");
    }
  }
  if (text::CodePointCount(password) < kMinCodePoints) {
    return InvalidArgumentError("Le mot de passe doit compter au moins 12 caractères.");
  }
  Wiped squashed{Squash(password)};

  std::vector<std::string> address_needles;
  std::string_view address = owner.address;
  AddNeedles(address.substr(0, address.find('@')), &address_needles);
  for (const std::string& n : address_needles) {
    if (squashed.s.find(n) != std::string::npos) {
      return InvalidArgumentError(
          "Le mot de passe ne doit pas contenir votre adresse de messagerie.");
    }
  }
  std::vector<std::string> name_needles;
  AddNeedles(owner.nom, &name_needles);
  AddNeedles(owner.prenom, &name_needles);
  for (const std::string& n : name_needles) {
    if (squashed.s.find(n) != std::string::npos) {
      return InvalidArgumentError(
          "Le mot de passe ne doit pas contenir votre nom ni votre prénom.");
    }
  }
  if (common_.count(squashed.s) > 0) {
    return InvalidArgumentError(
        "Ce mot de passe fait partie des plus courants, que les attaquants essaient en "
        "premier : choisissez-en un autre.");
  }
  return OkStatus();
}

}  // namespace caduce::auth
