// File: base/json.h
//
// A small writer for the JSON objects that lower parts produce (audit details,
// reports) without pulling a JSON library into the domain. Output is compact,
// keys in insertion order, strings escaped per RFC 8259 §7 (UTF-8 passed through).
//   JsonObject o;
//   o.Add("address", "a@b.fr").Add("count", 3);
//   std::string s = o.str();  // {"address":"a@b.fr","count":3}
#ifndef CADUCE_BASE_JSON_H_
#define CADUCE_BASE_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace caduce {

// Appends `s` as a quoted JSON string to `out`.
void AppendJsonString(std::string& out, std::string_view s);

class JsonObject {
 public:
  JsonObject& Add(std::string_view key, std::string_view value);
  JsonObject& Add(std::string_view key, const char* value) { return Add(key, std::string_view(value)); }
  JsonObject& Add(std::string_view key, int64_t value);
  JsonObject& Add(std::string_view key, int value) { return Add(key, static_cast<int64_t>(value)); }
  JsonObject& Add(std::string_view key, bool value);
  // Adds already-serialised JSON (an object or array built elsewhere).
  JsonObject& AddRaw(std::string_view key, std::string_view json);
  bool empty() const { return body_.empty(); }
  std::string str() const {
    std::string out;
    out.reserve(body_.size() + 2);
    out += '{';
    out += body_;
    out += '}';
    return out;
  }

 private:
  void Key(std::string_view key);
  std::string body_;
};

}  // namespace caduce

#endif  // CADUCE_BASE_JSON_H_
