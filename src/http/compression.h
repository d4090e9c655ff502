// File: http/compression.h
//
// On-the-fly gzip (RFC 9110 §8.4.1.3, RFC 1952) of responses that compress
// well: text, JSON, JavaScript, CSS, SVG, XML, above kMinCompressBytes, for a
// client whose Accept-Encoding takes gzip. Files with a precompressed ".gz"
// beside them are served from it by StaticFiles instead; event streams are never
// compressed. Thread-safe (pure functions). Exposure: parses the client's
// Accept-Encoding header.
#ifndef CADUCE_HTTP_COMPRESSION_H_
#define CADUCE_HTTP_COMPRESSION_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace caduce::http {

// Smaller bodies gain little and cost a deflate context; they go as they are.
inline constexpr std::size_t kMinCompressBytes = 1024;
// A file compressed on the fly is read whole: larger ones go uncompressed.
inline constexpr std::size_t kMaxCompressFileBytes = 8 << 20;

// Accept-Encoding (RFC 9110 §12.5.3): true when gzip, x-gzip or * is listed
// with a q other than 0. Malformed items are skipped.
bool AcceptsGzip(std::string_view accept_encoding);

// True for media types that compress well (text/*, JSON and +json, JavaScript,
// XML and +xml, SVG); parameters after ';' are ignored.
bool IsCompressibleType(std::string_view content_type);

// The gzip member of `data` (deflate level 6, no file name, time 0: the same
// input always gives the same bytes). nullopt only when zlib fails (memory).
std::optional<std::string> Gzip(std::string_view data);

// Adds `token` to the Vary header of `r` unless it is listed already.
void AddVary(Response& r, std::string_view token);

// Compresses the in-memory body of `r` for a client that sent
// `accept_encoding` when it is worth it: a compressible type, at least
// kMinCompressBytes, no Content-Encoding yet, no file or event stream. Such a
// response gets "Vary: Accept-Encoding" whether compressed or not, and a strong
// ETag of the compressed form is suffixed "-gz" (another representation, RFC
// 9110 §8.8.3.3).
void MaybeCompress(Response& r, std::string_view accept_encoding);

}  // namespace caduce::http

#endif  // CADUCE_HTTP_COMPRESSION_H_
