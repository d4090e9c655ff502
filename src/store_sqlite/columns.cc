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

std::vector<std::string> ManyRowsInsertSql(std::string_view head, int columns, size_t max_rows) {
  std::vector<std::string> all(max_rows + 1);
  for (size_t rows = 1; rows <= max_rows; ++rows) {
    std::string& sql = all[rows];
    sql = head;
    for (size_t r = 0; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (int c = 1; c <= columns; ++c) {
        sql += fmt::format("{}?{}", c > 1 ? ", " : "", static_cast<int>(r) * columns + c);
      }
      sql += ")";
    }
  }
  return all;
}

}  // namespace caduce::store_sqlite
