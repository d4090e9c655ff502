// File: http/static_files.h
//
// Serves the built web UI (web/dist) from a directory: safe path resolution
// (no "..", no dot files, no backslash or NUL, even percent-encoded; symlinks
// may not leave the root), content types by extension, strong ETags with
// If-None-Match → 304 (RFC 9110 §13.1.2), Cache-Control (hashed asset names are
// immutable for a year, index.html is always revalidated), precompressed
// name.gz served to clients that accept gzip (Vary: Accept-Encoding), and
// index.html for single-page-app paths. Thread-safe (read-only after Open).
// Exposure: maps unauthenticated input to file names.
#ifndef CADUCE_HTTP_STATIC_FILES_H_
#define CADUCE_HTTP_STATIC_FILES_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "http/message.h"

namespace caduce::http {

class StaticFiles {
 public:
  // kNotFound when `root` is not a directory.
  static Result<StaticFiles> Open(const std::string& root);

  // Answers a GET or HEAD. Refused paths and missing files give a 404 problem;
  // a missing path whose last segment has no extension gives index.html (the UI
  // routes it). The caller keeps /api/ paths away from here.
  Response Serve(const Request& request) const;

  const std::string& root() const { return root_; }

 private:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  Response ServeFile(const Request& request, const std::string& full_path,
                     std::string_view name) const;
  std::string root_;  // canonical, without a trailing '/'
};

// The content type for a file name, by extension ("application/octet-stream"
// when unknown). Exposed for tests.
std::string_view ContentTypeFor(std::string_view file_name);

// True for build outputs whose name carries a content hash ("index-4f9a1c2b.js"):
// the last '-' or '.' separated part of the stem is 8 or more characters of
// [A-Za-z0-9_] with at least one digit.
bool IsHashedAssetName(std::string_view file_name);

}  // namespace caduce::http

#endif  // CADUCE_HTTP_STATIC_FILES_H_
