// File: http/access_log.h
//
// The structured access log: one JSON object per line and per request (time,
// connection id, remote ip, method, path without query, status, bytes, duration,
// user agent), handed to a sink so that app/ chooses the file and tests capture
// the lines. The query string is left out because it may carry tokens.
// Exposure: writes client-supplied strings (path, user agent) into logs; they
// are JSON-escaped and invalid UTF-8 is replaced, so a line stays one line.
#ifndef CADUCE_HTTP_ACCESS_LOG_H_
#define CADUCE_HTTP_ACCESS_LOG_H_

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace caduce::http {

struct AccessLogEntry {
  int64_t time_micros = 0;  // when the request header was complete, Unix epoch
  uint64_t connection_id = 0;
  std::string remote_ip;
  std::string method;
  std::string path;  // without the query
  int status = 0;
  uint64_t bytes = 0;  // body bytes sent
  int64_t duration_micros = 0;
  std::string user_agent;
};

// {"time":"2026-…Z","conn":3,"remote_ip":"127.0.0.1","method":"GET","path":"/healthz",
//  "status":200,"bytes":2,"duration_us":154,"user_agent":"curl/7.88.1"} (no newline).
std::string FormatAccessLogLine(const AccessLogEntry& entry);

// The same for people reading a terminal:
// 2026-…Z 127.0.0.1 conn=3 "GET /healthz" 200 2B 154us "curl/7.88.1" (no newline).
// Control characters, '"' and '\\' in client strings are written as \xHH.
std::string FormatAccessLogText(const AccessLogEntry& entry);

enum class AccessLogFormat { kJson, kText };

// Receives one formatted line per request. Write() is called from the server's
// threads concurrently: implementations must be thread-safe.
class AccessLogSink {
 public:
  virtual ~AccessLogSink() = default;
  virtual void Write(std::string_view line) = 0;
  // What the server calls for each request: the JSON line by default.
  virtual void WriteEntry(const AccessLogEntry& entry) { Write(FormatAccessLogLine(entry)); }
};

// Writes each line and a newline to a stdio stream (stderr by default).
class StdioAccessLog final : public AccessLogSink {
 public:
  explicit StdioAccessLog(std::FILE* out = stderr,
                          AccessLogFormat format = AccessLogFormat::kJson)
      : out_(out), format_(format) {}
  void Write(std::string_view line) override;
  void WriteEntry(const AccessLogEntry& entry) override;

 private:
  void WriteLine(std::string_view line_and_newline);

  std::mutex mu_;
  std::FILE* out_;
  AccessLogFormat format_;
};

}  // namespace caduce::http

#endif  // CADUCE_HTTP_ACCESS_LOG_H_
