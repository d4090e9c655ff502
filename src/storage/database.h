// File: storage/database.h
//
// The transaction seam between the domain and its stores. The domain parts
// (directory/, audit/, later mail/ and auth/) declare repository interfaces whose
// methods take a `Tx&`; a backend (store_sqlite/, store_postgres/) implements
// Database, Tx and those repositories. Nothing here knows SQL.
//
//   CADUCE_TRY(auto tx, db.Begin(storage::TxMode::kWrite));
//   CADUCE_RETURN_IF_ERROR(repo.InsertAccount(*tx, account));
//   CADUCE_RETURN_IF_ERROR(tx->Commit());
#ifndef CADUCE_STORAGE_DATABASE_H_
#define CADUCE_STORAGE_DATABASE_H_

#include <memory>

#include "base/status.h"

namespace caduce::storage {

enum class TxMode {
  kRead,   // a consistent snapshot; writes are refused
  kWrite,  // takes the write lock at Begin (writers queue, they do not fail)
};

// One transaction on one connection. Not thread-safe: one thread uses it at a time.
// Destroying a Tx that was not committed rolls it back.
class Tx {
 public:
  virtual ~Tx() = default;
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

  // Makes every change durable (fsync) before returning OK. After Commit, whatever
  // its result, the Tx may not be used again. kAborted: retry the whole transaction.
  virtual Status Commit() = 0;

  virtual TxMode mode() const = 0;

  // One level of savepoint inside the transaction, so that a bulk change can undo
  // one item (an import row) and keep the others. SetSavepoint replaces a previous
  // one; RollbackToSavepoint undoes every change since it and keeps the savepoint;
  // ReleaseSavepoint forgets it and keeps the changes.
  virtual Status SetSavepoint() = 0;
  virtual Status RollbackToSavepoint() = 0;
  virtual Status ReleaseSavepoint() = 0;

 protected:
  Tx() = default;
};

class Database {
 public:
  virtual ~Database() = default;

  // Starts a transaction. Thread-safe. Waits (up to the backend's busy timeout) for
  // the write lock when mode is kWrite; kUnavailable when it could not be had.
  virtual Result<std::unique_ptr<Tx>> Begin(TxMode mode) = 0;
};

}  // namespace caduce::storage

#endif  // CADUCE_STORAGE_DATABASE_H_
