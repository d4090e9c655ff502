// File: http/target.h
//
// Splits a request-target in origin form (RFC 9112 §3.2.1) into its path, query
// and percent-decoded path segments (RFC 3986 §2.1). Pure, no I/O.
// Exposure: parses network input before sign-in.
#ifndef CADUCE_HTTP_TARGET_H_
#define CADUCE_HTTP_TARGET_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace caduce::http {

struct Target {
  std::string path;                   // up to '?', still encoded
  std::string query;                  // after '?', still encoded
  std::vector<std::string> segments;  // path after the leading '/', split on '/', decoded
};

// kInvalidArgument when `target` does not start with '/' (absolute form and
// "*" are not served) or holds a malformed %-escape.
Result<Target> ParseTarget(std::string_view target);

// Splits a path that starts with '/' into raw (still encoded) segments.
std::vector<std::string_view> SplitPath(std::string_view path);

// Decodes %XX escapes; false on a truncated or non-hex escape. '+' is left as is
// (it means a space only in form bodies).
bool PercentDecode(std::string_view in, std::string* out);

}  // namespace caduce::http

#endif  // CADUCE_HTTP_TARGET_H_
