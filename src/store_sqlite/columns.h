// File: store_sqlite/columns.h
//
// What the SQLite repositories share about the stored form: the names of account
// statuses in the `accounts.status` column (the CHECK constraint of migration 1; kept
// here rather than in the model so that the stored form is the backend's decision),
// the refusal of a write in a read transaction, and the many-rows INSERT of the
// bulk paths.
#ifndef CADUCE_STORE_SQLITE_COLUMNS_H_
#define CADUCE_STORE_SQLITE_COLUMNS_H_

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "directory/model.h"
#include "storage/database.h"
#include "store_sqlite/db.h"

namespace caduce::store_sqlite {

std::string_view StatusToSql(directory::AccountStatus s);
std::optional<directory::AccountStatus> StatusFromSql(std::string_view s);

// A read Tx promises a snapshot and no writes (storage/database.h); SQLite would
// silently upgrade a deferred transaction to a writer, so the refusal is ours:
// kFailedPrecondition "<what> needs a write transaction".
Status RequireWrite(storage::Tx& tx, std::string_view what);

// The INSERTs of 1 to `max_rows` rows at once, indexed by their number of rows
// ([0] is empty): `head` ("INSERT INTO t (a, b) VALUES "), then `columns`
// parameters a row, numbered in order (row r's column c is ?(r * columns + c)).
// The bulk paths make them once (a static) and write many rows a statement.
std::vector<std::string> ManyRowsInsertSql(std::string_view head, int columns, size_t max_rows);

// Writes rows 0 to `rows` - 1 with those statements, as many a statement as `sql`
// has (the last statement with the rest): bind(st, row, at) binds row `row`'s
// columns from parameter `at` + 1. A failed statement's status goes through
// fail(status, first_row, last_row), which names those rows.
template <typename Bind, typename Fail>
Status InsertManyRows(Connection& conn, const std::vector<std::string>& sql, int columns,
                      size_t rows, Bind bind, Fail fail) {
  const size_t per = sql.size() - 1;
  for (size_t start = 0; start < rows; start += per) {
    const size_t n = std::min(per, rows - start);
    Stmt st(conn, sql[n]);
    for (size_t k = 0; k < n; ++k) bind(st, start + k, static_cast<int>(columns * k));
    Status run = st.Run();
    if (!run.ok()) return fail(std::move(run), start, start + n - 1);
  }
  return OkStatus();
}

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_COLUMNS_H_
