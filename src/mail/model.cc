// Names of roles and keywords (model.h).
#include "mail/model.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace caduce::mail {
namespace {

constexpr std::array<std::string_view, 7> kKeywordNames = {
    "$seen", "$flagged", "$answered", "$draft", "$forwarded", "$junk", "$notjunk"};

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kInbox: return "inbox";
    case Role::kSent: return "sent";
    case Role::kDrafts: return "drafts";
    case Role::kTrash: return "trash";
    case Role::kArchive: return "archive";
    case Role::kNone: break;
  }
  return "";
}

std::optional<Role> ParseRole(std::string_view s) {
  for (Role r : {Role::kNone, Role::kInbox, Role::kSent, Role::kDrafts, Role::kTrash,
                 Role::kArchive}) {
    if (RoleName(r) == s) return r;
  }
  return std::nullopt;
}

std::string_view DefaultMailboxName(Role r) {
  switch (r) {
    case Role::kInbox: return "Boîte de réception";
    case Role::kSent: return "Envoyés";
    case Role::kDrafts: return "Brouillons";
    case Role::kTrash: return "Corbeille";
    case Role::kArchive: return "Archives";
    case Role::kNone: break;
  }
  return "";
}

std::optional<uint32_t> ParseKeyword(std::string_view k) {
  std::string lower(k);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (size_t i = 0; i < kKeywordNames.size(); ++i) {
    if (kKeywordNames[i] == lower) return 1u << i;
  }
  return std::nullopt;
}

std::vector<std::string> KeywordNames(uint32_t bits) {
  std::vector<std::string> out;
  for (size_t i = 0; i < kKeywordNames.size(); ++i) {
    if (bits & (1u << i)) out.emplace_back(kKeywordNames[i]);
  }
  return out;
}

}  // namespace caduce::mail
