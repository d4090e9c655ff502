// Names of account statuses.
#include "directory/model.h"

#include <algorithm>

namespace caduce::directory {

bool Scope::Covers(int64_t structure_id) const {
  return all || std::binary_search(structure_ids.begin(), structure_ids.end(), structure_id);
}

std::string_view AccountStatusName(AccountStatus s) {
  switch (s) {
    case AccountStatus::kPending: return "pending";
    case AccountStatus::kActive: return "active";
    case AccountStatus::kDisabled: return "disabled";
  }
  return "?";
}

std::optional<AccountStatus> ParseAccountStatus(std::string_view s) {
  if (s == "pending") return AccountStatus::kPending;
  if (s == "active") return AccountStatus::kActive;
  if (s == "disabled") return AccountStatus::kDisabled;
  return std::nullopt;
}

}  // namespace caduce::directory
