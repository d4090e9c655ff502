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

std::string FormatAccessLogText(const AccessLogEntry& e) {
  auto quoted = [](std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
        static const char kHex[] = "0123456789abcdef";
        out += "\\x";
        out += kHex[u >> 4];
        out += kHex[u & 15];
      } else {
        out += c;
      }
    }
    return out + "\"";
  };
  std::string line = FormatRfc3339(e.time_micros);
  line += ' ';
  line += e.remote_ip;
  line += " conn=" + std::to_string(e.connection_id) + " ";
  line += quoted(Clean(e.method) + " " + Clean(e.path));
  line += " " + std::to_string(e.status) + " " + std::to_string(e.bytes) + "B " +
          std::to_string(e.duration_micros) + "us ";
  line += quoted(Clean(e.user_agent));
  return line;
}

void StdioAccessLog::WriteEntry(const AccessLogEntry& entry) {
  std::string line =
      format_ == AccessLogFormat::kText ? FormatAccessLogText(entry) : FormatAccessLogLine(entry);
  line += '\n';
  WriteLine(line);
}

void StdioAccessLog::Write(std::string_view line) {
  std::string with_newline;
  with_newline.reserve(line.size() + 1);
  with_newline.append(line);
  with_newline += '\n';
  WriteLine(with_newline);
}

// The line and its newline in one fwrite: stderr is unbuffered, so each call
// is a write(2), made while the lock is held and every other request thread
// waits for it.
void StdioAccessLog::WriteLine(std::string_view line_and_newline) {
  std::lock_guard lock(mu_);
  std::fwrite(line_and_newline.data(), 1, line_and_newline.size(), out_);
  std::fflush(out_);
}

}  // namespace caduce::http
