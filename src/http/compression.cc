// gzip of responses with zlib (see compression.h).
#include "http/compression.h"

#include <zlib.h>

#include <cstring>

namespace caduce::http {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ListsToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    if (Lower(Trim(list.substr(0, comma))) == Lower(token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool AcceptsGzip(std::string_view header) {
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    std::size_t semi = item.find(';');
    std::string coding = Lower(Trim(item.substr(0, semi)));
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string param = Lower(Trim(item.substr(semi + 1)));
    if (param.rfind("q=", 0) != 0) return true;
    std::string q = param.substr(2);
    bool zero = !q.empty() && q.find_first_not_of("0.") == std::string::npos;
    if (!zero) return true;
  }
  return false;
}

bool IsCompressibleType(std::string_view content_type) {
  std::string type = Lower(Trim(content_type.substr(0, content_type.find(';'))));
  if (type.rfind("text/", 0) == 0) return type != "text/event-stream";
  auto ends_with = [&](std::string_view suffix) {
    return type.size() >= suffix.size() &&
           type.compare(type.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return type == "application/json" || type == "application/javascript" ||
         type == "application/xml" || type == "image/svg+xml" || ends_with("+json") ||
         ends_with("+xml");
}

std::optional<std::string> Gzip(std::string_view data) {
  z_stream z;
  std::memset(&z, 0, sizeof z);
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  std::size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  out.resize(written);
  return out;
}

void AddVary(Response& r, std::string_view token) {
  std::string_view vary = r.Header("Vary");
  if (vary.empty()) {
    r.SetHeader("Vary", std::string(token));
  } else if (!ListsToken(vary, token) && Trim(vary) != "*") {
    r.SetHeader("Vary", std::string(vary) + ", " + std::string(token));
  }
}

void MaybeCompress(Response& r, std::string_view accept_encoding) {
  if (r.events != nullptr || !r.file_path.empty()) return;
  if (r.body.size() < kMinCompressBytes || r.body.size() > (std::size_t{1} << 31)) return;
  if (!r.Header("Content-Encoding").empty() || !IsCompressibleType(r.Header("Content-Type"))) {
    return;
  }
  AddVary(r, "Accept-Encoding");
  if (!AcceptsGzip(accept_encoding)) return;
  std::optional<std::string> gz = Gzip(r.body);
  if (!gz) return;
  r.body = std::move(*gz);
  r.SetHeader("Content-Encoding", "gzip");
  std::string etag(r.Header("ETag"));
  if (etag.size() >= 2 && etag.back() == '"') {
    etag.insert(etag.size() - 1, "-gz");
    r.SetHeader("ETag", std::move(etag));
  }
}

}  // namespace caduce::http
