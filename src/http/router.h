// File: http/router.h
//
// Maps a method and a path to a handler. Patterns are literal segments and whole
// named segments: "/api/accounts/{id}". HEAD is served by the GET route (RFC 9110
// §9.3.2); a path that matches with another method gives 405 and the Allow list
// (RFC 9110 §15.5.6), no match at all gives 404. Each route carries its body cap
// and whether it takes a JSON body. Built once before the server starts, then
// read-only (thread-safe for reads). Exposure: matches unauthenticated input.
#ifndef CADUCE_HTTP_ROUTER_H_
#define CADUCE_HTTP_ROUTER_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/message.h"

namespace caduce::http {

using Handler = std::function<Response(const Request&, const RouteParams&)>;

struct RouteOptions {
  // Larger bodies are refused with 413 before they are read, or as soon as the
  // cap is crossed when the length is not announced (chunked).
  std::size_t max_body_bytes = 1 << 20;
  // The body must be Content-Type application/json (else 415) and valid UTF-8
  // JSON (else 400); the handler finds it parsed in Request::json.
  bool json_body = false;
  // The handler may take long on the CPU or wait on a lock (argon2id, an
  // import, an export): it runs on the server's worker pool
  // (ServerOptions::worker_threads) while the connection's coroutine waits
  // without holding an event-loop thread, so other connections are served
  // meanwhile. The handler must then be safe to call from any thread.
  bool blocking = false;
};

struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segments;  // "{name}" for a named segment
  Handler handler;
  RouteOptions options;
};

struct RouteMatch {
  enum class Kind { kFound, kNotFound, kMethodNotAllowed };
  Kind kind = Kind::kNotFound;
  const Route* route = nullptr;  // when kFound
  RouteParams params;            // when kFound
  std::string allow;             // when kMethodNotAllowed: "GET, HEAD, POST"
};

class Router {
 public:
  // Adds a route. kInvalidArgument when the pattern does not start with '/', a
  // named segment is malformed, or the same method and pattern are already taken.
  Status Add(std::string_view method, std::string_view pattern, Handler handler,
             RouteOptions options = {});

  // Finds the route for `method` and the decoded `segments` of a path. Literal
  // segments win over named ones at the same position.
  RouteMatch Find(std::string_view method, const std::vector<std::string>& segments) const;

  bool Has(std::string_view method, std::string_view pattern) const;
  // Every route, in the order added (to list them, e.g. against a description).
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace caduce::http

#endif  // CADUCE_HTTP_ROUTER_H_
