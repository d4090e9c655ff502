// Content-addressed blob files (blob_store.h).
#include "mail/blob_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace caduce::mail {
namespace {

std::string Errno(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + " : " + std::strerror(errno);
}

Status FsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return UnavailableError(Errno("ouverture du dossier", path));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return UnavailableError(Errno("fsync du dossier", path));
  return OkStatus();
}

// Creates root/ab when missing; fsyncs the root when `sync`.
Status MakeFolder(const std::string& root, std::string_view id, bool sync) {
  std::string a = root + "/" + std::string(id.substr(0, 2));
  if (::mkdir(a.c_str(), 0750) == 0) {
    if (sync) CADUCE_RETURN_IF_ERROR(FsyncPath(root));
  } else if (errno != EEXIST) {
    return UnavailableError(Errno("création du dossier", a));
  }
  return OkStatus();
}

std::atomic<uint64_t> temp_counter{0};

}  // namespace

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const std::string& root) {
  if (sodium_init() < 0) return InternalError("libsodium n'a pas pu être initialisée");
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return UnavailableError("création du dossier des messages " + root + " : " + ec.message());
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return UnavailableError(Errno("ouverture du dossier des messages", root));
  return std::unique_ptr<BlobStore>(new BlobStore(root, fd));
}

BlobStore::~BlobStore() { ::close(root_fd_); }

std::string BlobStore::IdOf(std::string_view bytes) {
  unsigned char h[crypto_generichash_BYTES];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  char hex[2 * sizeof h + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return std::string(hex, 2 * sizeof h);
}

bool BlobStore::IsValidId(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string BlobStore::PathOf(std::string_view id) const {
  std::string p = root_;
  p += '/';
  p.append(id.substr(0, 2));
  p += '/';
  p.append(id);
  return p;
}

std::string BlobStore::LegacyPathOf(std::string_view id) const {
  std::string p = root_;
  p += '/';
  p.append(id.substr(0, 2));
  p += '/';
  p.append(id.substr(2, 2));
  p += '/';
  p.append(id);
  return p;
}

Status BlobStore::Write(std::string_view id, std::string_view bytes, Durability durability) {
  if (!IsValidId(id)) return InternalError("identifiant de message mal formé");
  bool sync = durability == Durability::kSync;
  std::string final_path = PathOf(id);
  std::string folder = final_path.substr(0, final_path.rfind('/'));
  std::string tmp = folder + "/.tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(temp_counter.fetch_add(1));
  // The folder exists for nearly every blob once the store has a few hundred: it is
  // made only when the file cannot be created for want of it.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0 && errno == ENOENT) {
    CADUCE_RETURN_IF_ERROR(MakeFolder(root_, id, sync));
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  }
  if (fd < 0) return UnavailableError(Errno("création du fichier", tmp));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = UnavailableError(Errno("écriture du message", tmp));
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (sync && ::fsync(fd) != 0) {
    Status s = UnavailableError(Errno("fsync du message", tmp));
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  // A deferred blob starts on its way to the disk now, so that the next Sync finds
  // most of it written.
  if (!sync) (void)::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  ::close(fd);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    Status s = UnavailableError(Errno("renommage du message", tmp));
    ::unlink(tmp.c_str());
    return s;
  }
  if (sync) CADUCE_RETURN_IF_ERROR(FsyncPath(folder));
  return OkStatus();
}

Status BlobStore::Sync() {
  if (::syncfs(root_fd_) != 0) return UnavailableError(Errno("syncfs", root_));
  return OkStatus();
}

Status BlobStore::SyncWrittenBefore(TimePoint written) {
  std::unique_lock lock(sync_mu_);
  while (true) {
    if (synced_start_ > written) return OkStatus();
    if (!syncing_) break;
    // A Sync runs: when it started after `written`, its outcome is the answer;
    // otherwise wait for it to end and start another.
    bool covers = running_start_ > written;
    uint64_t ticket = finished_;
    sync_cv_.wait(lock, [&] { return finished_ != ticket; });
    if (covers && !last_status_.ok()) return last_status_;
  }
  syncing_ = true;
  running_start_ = std::chrono::steady_clock::now();
  lock.unlock();
  Status s = Sync();
  lock.lock();
  syncing_ = false;
  if (s.ok()) synced_start_ = std::max(synced_start_, running_start_);
  last_status_ = s;
  ++finished_;
  sync_cv_.notify_all();
  return s;
}

bool BlobStore::Exists(std::string_view id) const {
  if (!IsValidId(id)) return false;
  struct stat st;
  return ::stat(PathOf(id).c_str(), &st) == 0 || ::stat(LegacyPathOf(id).c_str(), &st) == 0;
}

Result<std::string> BlobStore::Read(std::string_view id) const {
  if (!IsValidId(id)) return NotFoundError("Ce message n'existe pas.");
  std::ifstream in(PathOf(id), std::ios::binary);
  if (!in) in.open(LegacyPathOf(id), std::ios::binary);
  if (!in) return NotFoundError("Ce message n'existe pas.");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string bytes = std::move(ss).str();
  if (IdOf(bytes) != id) return DataLossError("le fichier du message " + std::string(id) + " est altéré");
  return bytes;
}

Status BlobStore::Remove(std::string_view id) {
  if (!IsValidId(id)) return OkStatus();
  for (const std::string& path : {PathOf(id), LegacyPathOf(id)}) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return UnavailableError(Errno("suppression du message", path));
    }
  }
  return OkStatus();
}

}  // namespace caduce::mail
