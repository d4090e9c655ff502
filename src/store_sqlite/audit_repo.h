// File: store_sqlite/audit_repo.h
//
// The SQLite side of the hash-chained audit trail: stores, streams and filters the
// rows of table `audit` (migration 2) for audit::AuditLog. It knows nothing of the
// chain itself (hashing and verification live in audit/); it only keeps every
// column exactly as given, hashes as 32-byte BLOBs, so that the chain computed at
// append time can be recomputed at verify time. Every value is bound to a prepared
// statement, never spliced into SQL. The format is docs/formats/audit-chain.md.
//
//   store_sqlite::SqliteAuditRepository repo;
//   audit::AuditLog log(repo, SystemClock::Get());
//   CADUCE_TRY(auto tx, db.Begin(storage::TxMode::kWrite));
//   CADUCE_TRY(audit::Entry e, log.Append(*tx, event));
//   CADUCE_RETURN_IF_ERROR(tx->Commit());
#ifndef CADUCE_STORE_SQLITE_AUDIT_REPO_H_
#define CADUCE_STORE_SQLITE_AUDIT_REPO_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "base/status.h"
#include "storage/database.h"

namespace caduce::store_sqlite {

// Stateless: one instance may serve every thread, each with its own Tx.
// REQUIRES (every method): `tx` comes from a store_sqlite::SqliteDatabase.
//
// Rows whose columns do not have the stored types (an integer `at`, text fields,
// 32-byte BLOB hashes) cannot be turned into an audit::Entry without guessing;
// Last, Scan and Query answer kDataLoss for them, naming the seq and the column,
// instead of passing on a value that might happen to verify.
class SqliteAuditRepository final : public audit::AuditRepository {
 public:
  SqliteAuditRepository() = default;

  // The entry with the highest seq, or nullopt when the trail is empty.
  Result<std::optional<audit::Entry>> Last(storage::Tx& tx) override;

  // Stores `entry` as given (seq, at and both hashes included). kFailedPrecondition
  // when tx is not a write transaction; kAlreadyExists when entry.seq is taken.
  Status Insert(storage::Tx& tx, const audit::Entry& entry) override;
  // The same for each entry, 32 entries a statement.
  Status InsertAll(storage::Tx& tx, const std::vector<audit::Entry>& entries) override;

  // Calls `fn` for each entry in seq order, one row at a time (memory does not grow
  // with the trail), until fn returns false or the rows run out.
  // REQUIRES: fn does not call Scan with the same tx (the statement is in use).
  Status Scan(storage::Tx& tx, const std::function<bool(const audit::Entry&)>& fn) override;

  // At most f.limit entries with seq > f.after_seq matching every filter set in `f`,
  // in seq order. action_prefix is compared byte for byte (no wildcard: '%' and '_'
  // are ordinary characters). kInvalidArgument when f.limit < 1.
  Result<std::vector<audit::Entry>> Query(storage::Tx& tx, const audit::Filter& f) override;
};

}  // namespace caduce::store_sqlite

#endif  // CADUCE_STORE_SQLITE_AUDIT_REPO_H_
