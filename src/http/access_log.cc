// Access log formatting and the stdio sink (see access_log.h).
#include "http/access_log.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/text.h"

namespace caduce::http {

namespace {

// Client strings may be any bytes; the log stays valid UTF-8 JSON.
std::string Clean(std::string_view s) {
  if (text::IsValidUtf8(s)) return std::string(s);
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) text::AppendUtf8(text::DecodeUtf8(s, &i), out);
  return out;
}

}  // namespace

std::string FormatAccessLogLine(const AccessLogEntry& e) {
  JsonObject o;
  o.Add("time", FormatRfc3339(e.time_micros))
      .Add("conn", static_cast<int64_t>(e.connection_id))
      .Add("remote_ip", e.remote_ip)
      .Add("method", Clean(e.method))
      .Add("path", Clean(e.path))
      .Add("status", e.status)
      .Add("bytes", static_cast<int64_t>(e.bytes))
      .Add("duration_us", e.duration_micros)
      .Add("user_agent", Clean(e.user_agent));
  return o.str();
}

void StdioAccessLog::Write(std::string_view line) {
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace caduce::http
