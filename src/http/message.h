// File: http/message.h
//
// The request and response as handlers see them: plain structs with no Beast
// type, so that api/ handlers compile without the HTTP stack and tests build them
// by hand. A handler is `Response Handle(const Request&, const RouteParams&)`
// (STYLE.md convention 8). Exposure: Request carries unauthenticated network
// input; every field is untrusted.
#ifndef CADUCE_HTTP_MESSAGE_H_
#define CADUCE_HTTP_MESSAGE_H_

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace caduce::http {

struct Request {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // request-target as sent (RFC 9112 §3.2)
  std::string path;    // target up to '?', still percent-encoded
  std::string query;   // after '?', still percent-encoded; empty when absent
  // The path split on '/' after the leading one, each segment percent-decoded:
  // "/api/a%20b/" → {"api", "a b", ""}. A decoded segment may hold '/' or NUL.
  std::vector<std::string> segments;
  // Field names in lower case, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The parsed body on routes declared with RouteOptions::json_body.
  boost::json::value json;
  uint64_t connection_id = 0;
  std::string remote_ip;
  bool tls = false;

  // The first value of header `name` (any case), or "" when absent.
  std::string_view Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body is this file, streamed from disk (static files); `body`
  // is ignored. The server sets Content-Length from the file's size.
  std::string file_path;
  // Ends the connection after this response (Connection: close).
  bool close = false;

  // Sets header `name`, replacing an earlier value.
  Response& SetHeader(std::string_view name, std::string value);
  // The value of header `name` (any case), or "" when absent.
  std::string_view Header(std::string_view name) const;

  // text/plain; charset=utf-8.
  static Response Text(int status, std::string text);
  // application/json; `json` must already be serialised.
  static Response Json(int status, std::string json);
  static Response Json(int status, const boost::json::value& value);
};

// The named segments of the matched route pattern ("/api/accounts/{id}").
class RouteParams {
 public:
  // The decoded value of `{name}`, or "" when the pattern has no such segment.
  std::string_view Get(std::string_view name) const;
  void Set(std::string name, std::string value);
  bool empty() const { return values_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> values_;
};

}  // namespace caduce::http

#endif  // CADUCE_HTTP_MESSAGE_H_
