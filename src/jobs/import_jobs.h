// File: jobs/import_jobs.h
//
// Import jobs (the guide's "Importer une liste d'utilisateurs", section 2.1, over
// the web): the uploaded file is kept under a work folder, its dry run starts at
// once on the registry's worker thread, and the administrator applies the same
// file for real once it has read the plan. Progress is published as a version
// number that waiters block on (the API streams it as Server-Sent Events).
//
// Rules:
//  - a job belongs to the person who created it: any other person gets kNotFound,
//    the same answer as for an unknown id;
//  - a job and its file are forgotten `keep_seconds` (1 hour) after creation;
//  - the ids are 128 random bits (base64url), not guessable;
//  - one pass at a time runs (imports are writers of the one database), in order;
//  - each step is traced (import.planned, import.apply), with the person, IP and
//    user agent, on the structure.
// Exposure: stores an untrusted upload (bounded by the caller) in the work folder
// under a random name; reads it with import_export's bounded readers.
// Thread-safe.
#ifndef CADUCE_JOBS_IMPORT_JOBS_H_
#define CADUCE_JOBS_IMPORT_JOBS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "directory/directory_service.h"
#include "import_export/importer.h"

namespace caduce::jobs {

enum class ImportState : uint8_t { kPlanning, kPlanned, kApplying, kApplied, kFailed };
// "planning", "planned", "applying", "applied", "failed".
std::string_view ImportStateName(ImportState s);
// True for the states in which no pass runs (planned, applied, failed).
inline bool IsSettled(ImportState s) {
  return s == ImportState::kPlanned || s == ImportState::kApplied || s == ImportState::kFailed;
}

struct ImportJobOptions {
  bool notify = false;
  bool visible = false;
  bool all_or_nothing = false;
};

// A snapshot of a job.
struct ImportJobView {
  std::string id;
  int64_t owner_person_id = 0;
  int64_t structure_id = 0;
  std::string file_name;
  ImportJobOptions options;
  ImportState state = ImportState::kPlanning;
  bool dry_run = true;  // the report (or the running pass) is a dry run
  int64_t rows_read = 0, rows_applied = 0, rows_total = 0;
  // The report of the last pass that ended; shared, never changed once published.
  std::shared_ptr<const import_export::ImportReport> report;
  std::string error;  // French, when failed
  int64_t created_at = 0;
  uint64_t version = 0;  // grows at every change
};

class ImportJobs {
 public:
  // `work_dir` holds the uploaded files (created when missing). `service` and
  // `clock` must outlive the registry.
  ImportJobs(directory::DirectoryService& service, std::string work_dir, const Clock& clock,
             int64_t keep_seconds = 3600);
  // Stops the worker after the running pass and deletes every job's file.
  ~ImportJobs();
  ImportJobs(const ImportJobs&) = delete;
  ImportJobs& operator=(const ImportJobs&) = delete;

  // Keeps `data` as the job's file and queues its dry run. kPermissionDenied
  // unless the actor administers `structure_id`; kInvalidArgument for an empty
  // file or one that is not a spreadsheet (French message), nothing kept then;
  // kUnavailable when the file cannot be written.
  Result<ImportJobView> Start(const directory::Actor& actor, int64_t structure_id,
                              std::string file_name, std::string_view data,
                              ImportJobOptions options);

  // The job, for its owner only (kNotFound otherwise, and once expired).
  Result<ImportJobView> Get(int64_t person_id, std::string_view id);

  // Queues the real import of a planned job. kFailedPrecondition unless planned
  // (French message), or when all_or_nothing and the plan rejected rows.
  Result<ImportJobView> Apply(const directory::Actor& actor, std::string_view id);

  // Waits until the job's version differs from `seen_version` or `timeout`
  // passes, then returns the job as Get does.
  Result<ImportJobView> WaitChange(int64_t person_id, std::string_view id, uint64_t seen_version,
                                   std::chrono::milliseconds timeout);

  // Calls `listener` with the job now and after every change, under the
  // registry's lock (so it must only queue work, e.g. on an event stream), until
  // it returns false. kNotFound as Get.
  using Listener = std::function<bool(const ImportJobView&)>;
  Status Watch(int64_t person_id, std::string_view id, Listener listener);

  // Forgets expired jobs (called by every other method too).
  void Purge();

 private:
  struct Job;
  struct Task {
    std::string job_id;
    directory::Actor actor;
    bool dry_run = true;
  };
  void Run();
  void RunPass(const Task& task);
  void PurgeLocked();
  // Marks a change of `job`: version and listeners.
  void BumpLocked(Job& job);
  std::shared_ptr<Job> FindLocked(int64_t person_id, std::string_view id);

  directory::DirectoryService& service_;
  std::string work_dir_;
  const Clock& clock_;
  int64_t keep_micros_;

  std::mutex mu_;
  std::condition_variable changed_;  // a job changed, or a task was queued
  std::map<std::string, std::shared_ptr<Job>, std::less<>> jobs_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace caduce::jobs

#endif  // CADUCE_JOBS_IMPORT_JOBS_H_
