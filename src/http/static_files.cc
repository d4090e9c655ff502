// Static files of the web UI (see static_files.h).
#include "http/static_files.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

#include "http/compression.h"
#include "http/status_map.h"

namespace caduce::http {

namespace {

namespace fs = std::filesystem;

std::string_view Extension(std::string_view name) {
  std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

// A segment may name a file below the root, nothing else. Dot files (".env",
// ".git") are refused with "." and "..".
bool IsSafeSegment(std::string_view s) {
  if (s.empty() || s[0] == '.') return false;
  for (char c : s) {
    if (c == '/' || c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// If-None-Match (RFC 9110 §13.1.2) uses the weak comparison: W/ is ignored.
bool MatchesIfNoneMatch(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string item = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (item == "*") return true;
    std::string_view tag = item;
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

bool IsRegularFile(const std::string& path, struct stat* st) {
  return ::stat(path.c_str(), st) == 0 && S_ISREG(st->st_mode);
}

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  struct Entry {
    std::string_view ext;
    std::string_view type;
  };
  static constexpr Entry kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"txt", "text/plain; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"ico", "image/vnd.microsoft.icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
      {"xml", "application/xml"},
  };
  std::string ext = Lower(std::string(Extension(file_name)));
  for (const Entry& e : kTypes) {
    if (e.ext == ext) return e.type;
  }
  return "application/octet-stream";
}

bool IsHashedAssetName(std::string_view file_name) {
  std::size_t slash = file_name.rfind('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  std::size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view stem = file_name.substr(0, dot);
  std::size_t sep = stem.find_last_of("-.");
  if (sep == std::string_view::npos) return false;
  std::string_view hash = stem.substr(sep + 1);
  if (hash.size() < 8) return false;
  bool digit = false;
  for (char c : hash) {
    bool alnum =
        (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alnum) return false;
    digit = digit || (c >= '0' && c <= '9');
  }
  return digit;
}

Result<StaticFiles> StaticFiles::Open(const std::string& root) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical, ec)) {
    return NotFoundError("static file directory not found: " + root);
  }
  return StaticFiles(canonical.string());
}

Response StaticFiles::Serve(const Request& request) const {
  const std::vector<std::string>& segments = request.segments;
  std::string relative;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    bool last = i + 1 == segments.size();
    // A trailing '/' leaves an empty last segment: the directory's index.html.
    if (last && segments[i].empty()) {
      relative += "index.html";
      break;
    }
    if (!IsSafeSegment(segments[i])) return Problem(404, "");
    relative += segments[i];
    if (!last) relative += '/';
  }
  if (relative.empty()) relative = "index.html";

  std::string full = root_ + "/" + relative;
  struct stat st {};
  if (IsRegularFile(full, &st)) {
    // A symlink inside the root may still point outside it.
    std::error_code ec;
    std::string real = fs::canonical(full, ec).string();
    if (ec || real.compare(0, root_.size() + 1, root_ + "/") != 0) return Problem(404, "");
    return ServeFile(request, full, relative);
  }
  // Paths of the single-page app (no extension) get the app shell, which routes
  // them itself; a missing asset stays a 404 so that a broken build shows.
  std::string_view last = segments.empty() ? std::string_view() : segments.back();
  if (Extension(last).empty()) {
    std::string index = root_ + "/index.html";
    if (IsRegularFile(index, &st)) return ServeFile(request, index, "index.html");
  }
  return Problem(404, "");
}

Response StaticFiles::ServeFile(const Request& request, const std::string& full_path,
                                std::string_view name) const {
  struct stat st {};
  std::string path = full_path;
  bool gzip = false;
  std::string gz_path = full_path + ".gz";
  struct stat gz_st {};
  bool has_gz = IsRegularFile(gz_path, &gz_st);
  if (has_gz && AcceptsGzip(request.Header("accept-encoding"))) {
    path = gz_path;
    st = gz_st;
    gzip = true;
  } else if (!IsRegularFile(full_path, &st)) {
    return Problem(404, "");
  }

  // Without a precompressed variant, a file that compresses well is gzipped
  // here for a client that takes it.
  const bool compressible = !has_gz && IsCompressibleType(ContentTypeFor(name)) &&
                            static_cast<std::size_t>(st.st_size) >= kMinCompressBytes &&
                            static_cast<std::size_t>(st.st_size) <= kMaxCompressFileBytes;
  const bool compress = compressible && AcceptsGzip(request.Header("accept-encoding"));

  // Strong validator from size and modification time; a gzip variant is a
  // different representation, so it has its own tag (RFC 9110 §8.8.3.3).
  char etag[96];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx%s\"", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ULL +
                    static_cast<unsigned long long>(st.st_mtim.tv_nsec),
                gzip ? "-gz" : compress ? "-gzip" : "");

  Response r;
  r.SetHeader("ETag", etag);
  std::string_view base =
      name.substr(name.rfind('/') == std::string_view::npos ? 0 : name.rfind('/') + 1);
  if (base != "index.html" && IsHashedAssetName(base)) {
    r.SetHeader("Cache-Control", "public, max-age=31536000, immutable");
  } else {
    r.SetHeader("Cache-Control", "no-cache");
  }
  if (has_gz || compressible) r.SetHeader("Vary", "Accept-Encoding");
  if (MatchesIfNoneMatch(request.Header("if-none-match"), etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.SetHeader("Content-Type", std::string(ContentTypeFor(name)));
  if (gzip) r.SetHeader("Content-Encoding", "gzip");
  if (compress) {
    std::ifstream in(path, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::optional<std::string> gz;
    if (in.good() || in.eof()) gz = Gzip(content);
    if (gz) {
      r.SetHeader("Content-Encoding", "gzip");
      r.body = std::move(*gz);
      return r;
    }
    // Unreadable or out of memory: sent as it is, under the plain tag.
    std::string plain(etag);
    plain.erase(plain.size() - 6, 5);  // "-gzip"
    r.SetHeader("ETag", std::move(plain));
  }
  r.file_path = path;
  return r;
}

}  // namespace caduce::http
