// File: jobs/import_jobs.cc
//
// The import job registry (see import_jobs.h): one worker thread takes passes
// from a queue; each pass calls import_export::ImportAccounts with a progress
// callback that updates the job under the registry's lock and wakes waiters.
#include "jobs/import_jobs.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "base/json.h"
#include "import_export/formats/spreadsheet.h"
#include "jobs/trace.h"

namespace caduce::jobs {

struct ImportJobs::Job {
  ImportJobView view;
  std::string path;  // the uploaded file
  std::vector<Listener> listeners;
};

namespace {

std::string RandomId() {
  std::array<unsigned char, 16> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string text(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   '\0');
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(std::char_traits<char>::length(text.c_str()));
  return text;
}

// Writes `data` to a new file `path` (0600), all or nothing.
Status WriteNewFile(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return UnavailableError(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return UnavailableError(fmt::format("cannot write {}: {}", path, std::strerror(err)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::close(fd) != 0) {
    ::unlink(path.c_str());
    return UnavailableError(fmt::format("cannot write {}", path));
  }
  return OkStatus();
}

}  // namespace

std::string_view ImportStateName(ImportState s) {
  switch (s) {
    case ImportState::kPlanning:
      return "planning";
    case ImportState::kPlanned:
      return "planned";
    case ImportState::kApplying:
      return "applying";
    case ImportState::kApplied:
      return "applied";
    case ImportState::kFailed:
      return "failed";
  }
  return "failed";
}

ImportJobs::ImportJobs(directory::DirectoryService& service, std::string work_dir,
                       const Clock& clock, int64_t keep_seconds)
    : service_(service),
      work_dir_(std::move(work_dir)),
      clock_(clock),
      keep_micros_(keep_seconds * 1'000'000) {
  worker_ = std::thread([this] { Run(); });
}

ImportJobs::~ImportJobs() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  changed_.notify_all();
  worker_.join();
  for (auto& [id, job] : jobs_) ::unlink(job->path.c_str());
}

Result<ImportJobView> ImportJobs::Start(const directory::Actor& actor, int64_t structure_id,
                                        std::string file_name, std::string_view data,
                                        ImportJobOptions options) {
  {
    CADUCE_TRY(auto tx, service_.db().Begin(storage::TxMode::kRead));
    CADUCE_TRY(directory::Scope scope, service_.ScopeOf(*tx, actor));
    if (!scope.Covers(structure_id)) {
      return PermissionDeniedError(
          "Vous n'administrez pas cette structure : demandez à l'un de ses administrateurs "
          "ou à l'opérateur.");
    }
  }
  // Refused at once, before anything is kept: not a spreadsheet, or empty.
  CADUCE_RETURN_IF_ERROR(
      import_export::SniffFormat(data.substr(0, std::min<size_t>(data.size(), 8192))).status());
  std::error_code ec;
  std::filesystem::create_directories(work_dir_, ec);
  if (ec) return UnavailableError(fmt::format("cannot create {}: {}", work_dir_, ec.message()));

  auto job = std::make_shared<Job>();
  job->view.id = RandomId();
  job->view.owner_person_id = actor.person_id;
  job->view.structure_id = structure_id;
  job->view.file_name = std::move(file_name);
  job->view.options = options;
  job->view.created_at = clock_.NowMicros();
  job->view.version = 1;
  job->path = fmt::format("{}/import-{}.upload", work_dir_, job->view.id);
  CADUCE_RETURN_IF_ERROR(WriteNewFile(job->path, data));
  ImportJobView view;
  {
    std::lock_guard lock(mu_);
    PurgeLocked();
    jobs_[job->view.id] = job;
    queue_.push_back(Task{job->view.id, actor, true});
    view = job->view;
  }
  changed_.notify_all();
  return view;
}

Result<ImportJobView> ImportJobs::Get(int64_t person_id, std::string_view id) {
  std::lock_guard lock(mu_);
  PurgeLocked();
  std::shared_ptr<Job> job = FindLocked(person_id, id);
  if (!job) return NotFoundError("Cet import n'existe pas ou a expiré (un import est gardé une heure).");
  return job->view;
}

Result<ImportJobView> ImportJobs::Apply(const directory::Actor& actor, std::string_view id) {
  ImportJobView view;
  {
    std::lock_guard lock(mu_);
    PurgeLocked();
    std::shared_ptr<Job> job = FindLocked(actor.person_id, id);
    if (!job) {
      return NotFoundError("Cet import n'existe pas ou a expiré (un import est gardé une heure).");
    }
    if (job->view.state != ImportState::kPlanned) {
      return FailedPreconditionError(
          job->view.state == ImportState::kApplied || job->view.state == ImportState::kApplying
              ? "Cet import a déjà été lancé."
              : "L'essai de cet import n'est pas terminé ou a échoué : attendez son compte-rendu.");
    }
    if (job->view.options.all_or_nothing && job->view.report && job->view.report->rejected > 0) {
      return FailedPreconditionError(
          "Des lignes sont rejetées et l'option « tout ou rien » est choisie : corrigez le "
          "fichier et importez-le de nouveau.");
    }
    job->view.state = ImportState::kApplying;
    job->view.dry_run = false;
    job->view.rows_read = job->view.rows_applied = 0;
    BumpLocked(*job);
    queue_.push_back(Task{job->view.id, actor, false});
    view = job->view;
  }
  changed_.notify_all();
  return view;
}

Result<ImportJobView> ImportJobs::WaitChange(int64_t person_id, std::string_view id,
                                             uint64_t seen_version,
                                             std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  std::shared_ptr<Job> job = FindLocked(person_id, id);
  if (!job) return NotFoundError("Cet import n'existe pas ou a expiré (un import est gardé une heure).");
  changed_.wait_for(lock, timeout,
                    [&] { return job->view.version != seen_version || stopping_; });
  return job->view;
}

void ImportJobs::Purge() {
  std::lock_guard lock(mu_);
  PurgeLocked();
}

void ImportJobs::PurgeLocked() {
  const int64_t now = clock_.NowMicros();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const Job& job = *it->second;
    bool running = job.view.state == ImportState::kPlanning ||
                   job.view.state == ImportState::kApplying;
    if (!running && now - job.view.created_at >= keep_micros_) {
      ::unlink(job.path.c_str());
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

std::shared_ptr<ImportJobs::Job> ImportJobs::FindLocked(int64_t person_id, std::string_view id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->view.owner_person_id != person_id) return nullptr;
  if (clock_.NowMicros() - it->second->view.created_at >= keep_micros_) return nullptr;
  return it->second;
}

void ImportJobs::Run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    RunPass(task);
  }
}

void ImportJobs::RunPass(const Task& task) {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(task.job_id);
    if (it == jobs_.end()) return;
    job = it->second;
  }
  import_export::ImportOptions o;
  o.file_name = job->view.file_name;
  o.structure_id = job->view.structure_id;
  o.dry_run = task.dry_run;
  o.all_or_nothing = job->view.options.all_or_nothing;
  o.notify = job->view.options.notify;
  o.visible = job->view.options.visible;
  o.progress = [&](const import_export::Progress& p) {
    {
      std::lock_guard lock(mu_);
      job->view.rows_read = p.rows_read;
      job->view.rows_applied = p.rows_applied;
      job->view.rows_total = p.rows_total;
      BumpLocked(*job);
    }
    changed_.notify_all();
  };
  Result<import_export::ImportReport> report =
      import_export::ImportAccounts(service_, task.actor, job->path, o);

  JsonObject detail;
  detail.Add("job", job->view.id).Add("file", job->view.file_name);
  if (report.ok()) {
    detail.Add("sha256", report->sha256)
        .AddRaw("counts", import_export::CountsJson(*report))
        .Add("applied", report->applied);
  } else {
    detail.Add("error", report.status().message());
  }
  // The trace of the step; a failure to write it fails the job (nothing untraced).
  Status traced = TraceStructureAction(service_, task.actor,
                                       task.dry_run ? "import.planned" : "import.apply",
                                       job->view.structure_id, std::move(detail));
  {
    std::lock_guard lock(mu_);
    if (report.ok() && traced.ok()) {
      job->view.report =
          std::make_shared<const import_export::ImportReport>(std::move(*report));
      job->view.rows_total = job->view.report->rows;
      job->view.rows_read = job->view.report->rows;
      job->view.state = task.dry_run ? ImportState::kPlanned : ImportState::kApplied;
    } else {
      job->view.state = ImportState::kFailed;
      job->view.error = !report.ok() ? report.status().message()
                                     : "Le journal des traces n'a pas pu être écrit : réessayez.";
    }
    BumpLocked(*job);
  }
  changed_.notify_all();
}

Status ImportJobs::Watch(int64_t person_id, std::string_view id, Listener listener) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Job> job = FindLocked(person_id, id);
  if (!job) return NotFoundError("Cet import n'existe pas ou a expiré (un import est gardé une heure).");
  if (listener(job->view)) job->listeners.push_back(std::move(listener));
  return OkStatus();
}

void ImportJobs::BumpLocked(Job& job) {
  ++job.view.version;
  std::erase_if(job.listeners, [&](Listener& l) { return !l(job.view); });
}

}  // namespace caduce::jobs
