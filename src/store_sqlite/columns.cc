// Stored forms shared by the SQLite repositories.
#include "store_sqlite/columns.h"

#include <fmt/format.h>

namespace caduce::store_sqlite {

using directory::AccountStatus;

std::string_view StatusToSql(AccountStatus s) {
  switch (s) {
    case AccountStatus::kPending:
      return "pending";
    case AccountStatus::kActive:
      return "active";
    case AccountStatus::kDisabled:
      return "disabled";
  }
  return "pending";
}

std::optional<AccountStatus> StatusFromSql(std::string_view s) {
  if (s == "pending") return AccountStatus::kPending;
  if (s == "active") return AccountStatus::kActive;
  if (s == "disabled") return AccountStatus::kDisabled;
  return std::nullopt;
}

Status RequireWrite(storage::Tx& tx, std::string_view what) {
  if (tx.mode() == storage::TxMode::kWrite) return OkStatus();
  return FailedPreconditionError(fmt::format("{} needs a write transaction", what));
}

}  // namespace caduce::store_sqlite
