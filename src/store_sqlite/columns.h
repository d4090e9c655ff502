// File: store_sqlite/columns.h
//
// What the SQLite repositories share about the stored form: the names of account
// statuses in the `accounts.status` column (the CHECK constraint of migration 1; kept
// here rather than in the model so that the stored form is the backend's decision),
// the refusal of a write in a read transaction, and the many-rows INSERT of the
// bulk paths.
#ifndef CADUCE_STORE_SQLITE_COLUMNS_H_
#define CADUCE_STORE_SQLITE_COLUMNS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "directory/model.h"
#include "storage/database.h"

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

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_COLUMNS_H_
