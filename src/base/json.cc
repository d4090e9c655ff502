// Compact JSON object writer.
#include "base/json.h"

#include <cstdio>

namespace caduce {

namespace {

// Bytes that a JSON string cannot hold as they are (RFC 8259 §7), besides DEL,
// which is escaped too so that a trail or a report shows no invisible character.
constexpr bool NeedsEscape(unsigned char u) {
  return u < 0x20 || u == '"' || u == '\\' || u == 0x7F;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t done = 0;  // s[0, done) is in `out`
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char u = static_cast<unsigned char>(s[i]);
    if (!NeedsEscape(u)) continue;
    out.append(s.data() + done, i - done);  // the run of plain bytes before it, at once
    done = i + 1;
    switch (u) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out += buf;
      }
    }
  }
  out.append(s.data() + done, s.size() - done);
  out += '"';
}

void JsonObject::Key(std::string_view key) {
  if (!body_.empty()) body_ += ',';
  AppendJsonString(body_, key);
  body_ += ':';
}

JsonObject& JsonObject::Add(std::string_view key, std::string_view value) {
  Key(key);
  AppendJsonString(body_, value);
  return *this;
}

JsonObject& JsonObject::Add(std::string_view key, int64_t value) {
  Key(key);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::Add(std::string_view key, bool value) {
  Key(key);
  body_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::AddRaw(std::string_view key, std::string_view json) {
  Key(key);
  body_ += json;
  return *this;
}

}  // namespace caduce
