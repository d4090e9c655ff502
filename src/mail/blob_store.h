// File: mail/blob_store.h
//
// Raw messages on disk, named by their content: <root>/ab/<BLAKE2b-256 hex>, 256
// folders (a store made before 2026-11 has <root>/ab/cd/<hex>, still read). One
// file serves every message row that has the same bytes (one delivery to several
// local recipients, a copy between accounts). A file is written to a temporary name
// in its folder and renamed, so a reader never sees half a blob; durability comes
// from Sync or SyncWrittenBefore (every blob written so far) or from
// Write(…, kSync), and the store's
// callers make a blob durable before the row that names it is committed (STYLE.md
// convention 10). Reference counts live in the database (MailRepository); this class
// only handles files. Thread-safe: concurrent writes of the same blob are harmless.
#ifndef CADUCE_MAIL_BLOB_STORE_H_
#define CADUCE_MAIL_BLOB_STORE_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"

namespace caduce::mail {

class BlobStore {
 public:
  // Opens (creating) the folder `root`. kUnavailable when it cannot be created.
  static Result<std::unique_ptr<BlobStore>> Open(const std::string& root);
  ~BlobStore();
  BlobStore(const BlobStore&) = delete;
  BlobStore& operator=(const BlobStore&) = delete;

  // The id of `bytes`: BLAKE2b-256, 64 lowercase hex digits.
  static std::string IdOf(std::string_view bytes);
  // True when `id` has the shape of a blob id (so that it can never name another path).
  static bool IsValidId(std::string_view id);

  enum class Durability { kDeferred, kSync };
  // Writes `bytes` under `id` (REQUIRES: id == IdOf(bytes)). kDeferred leaves the data
  // to the next Sync(); kSync fsyncs the file, then its folder after the rename.
  // kUnavailable on a write error (disk full); nothing is left under the final name then.
  Status Write(std::string_view id, std::string_view bytes, Durability durability);
  // Makes every blob written so far durable (syncfs of the store's file system: one
  // flush for a batch of deliveries).
  Status Sync();
  using TimePoint = std::chrono::steady_clock::time_point;
  // Makes durable every blob whose Write returned before `written`: returns once a
  // Sync that started after `written` has completed, starting one when none runs
  // (concurrent callers share it). Measured on ext4, one syncfs for a batch costs a
  // fraction of an fdatasync per file and per folder, each of which flushes the
  // disk's cache. kUnavailable on an I/O error.
  Status SyncWrittenBefore(TimePoint written);

  bool Exists(std::string_view id) const;
  // The bytes of blob `id`; kNotFound when there is none, kDataLoss when its content
  // does not hash to its name.
  Result<std::string> Read(std::string_view id) const;
  // Removes the file (no error when it is already gone).
  Status Remove(std::string_view id);
  std::string PathOf(std::string_view id) const;
  const std::string& root() const { return root_; }
  // Where a store made before 2026-11 kept the blob: <root>/ab/cd/<hex>. A folder per
  // blob for a young store (65,536 of them) cost each delivery a mkdir.
  std::string LegacyPathOf(std::string_view id) const;

 private:
  BlobStore(std::string root, int root_fd) : root_(std::move(root)), root_fd_(root_fd) {}
  std::string root_;
  int root_fd_;

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool syncing_ = false;      // GUARDED_BY(sync_mu_)
  TimePoint running_start_;   // GUARDED_BY(sync_mu_): start of the running Sync
  TimePoint synced_start_;    // GUARDED_BY(sync_mu_): start of the last successful one
  uint64_t finished_ = 0;     // GUARDED_BY(sync_mu_): Syncs finished, failed or not
  Status last_status_;        // GUARDED_BY(sync_mu_): how the last one finished
};

}  // namespace caduce::mail

#endif  // CADUCE_MAIL_BLOB_STORE_H_
