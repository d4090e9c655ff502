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
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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

// A response body produced over time as Server-Sent Events (text/event-stream,
// HTML Living Standard §9.2). The handler returns a Response with `events` set;
// the server sends the headers, then whatever the producer queues, from any
// thread, until Close() or the client leaves. Thread-safe.
//   auto events = std::make_shared<http::EventStream>();
//   std::thread([events] { events->Send("progress", "{\"rows\":10}"); events->Close(); }).detach();
//   http::Response r; r.events = events; return r;
class EventStream {
 public:
  // Events queued and not yet written beyond this mean the client reads too
  // slowly: the stream is ended as if it had left.
  static constexpr std::size_t kMaxQueuedBytes = 1 << 20;

  // Queues one event ("event: <name>\ndata: <data>\n\n"; data lines split on
  // '\n', also on "\r\n" and '\r', which the client treats alike; CR and LF in
  // the name are dropped; no "event:" line when the name is empty).
  // false once the client has gone or the stream is closed: the producer may stop.
  bool Send(std::string_view event, std::string_view data);
  // Ends the response after what is queued.
  void Close();

  // Server side (http/session.cc). Registers the function to call, under the
  // stream's lock, whenever something is queued or the stream is closed; it
  // must only post work elsewhere.
  void Attach(std::function<void()> wake);
  // What is queued since the last call; *closed when Close() was called (and
  // everything queued is in the returned text).
  std::string Take(bool* closed);
  // The client has gone or the response ended: Send returns false from now on,
  // and the wake function is dropped.
  void Detach();
  // True after Detach() or when the queue overflowed.
  bool gone() const;

 private:
  mutable std::mutex mu_;
  std::string queued_;  // guarded by mu_
  bool closed_ = false;  // guarded by mu_
  bool gone_ = false;    // guarded by mu_
  std::function<void()> wake_;  // guarded by mu_
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
  // When set, the body is this stream of events, sent as they are queued
  // (text/event-stream, Cache-Control: no-store, never compressed); `body` and
  // `file_path` are ignored and the connection ends with the stream.
  std::shared_ptr<EventStream> events;

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
