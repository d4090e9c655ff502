// File: http/session.h
//
// One HTTP/1.1 connection as a coroutine: wait for a request (idle deadline),
// read its header (header deadline, size cap), route it, read its body (body
// deadline, route cap), call the handler, write the response (write deadline),
// log it, and loop while keep-alive holds. Private to http/.
// Exposure: reads network input before sign-in.
#ifndef CADUCE_HTTP_SESSION_H_
#define CADUCE_HTTP_SESSION_H_

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>

#include "http/access_log.h"
#include "http/router.h"
#include "http/static_files.h"
#include "net/connection.h"

namespace caduce::http::internal {

// What every session reads; immutable while the server runs.
struct ServerCore {
  Router router;
  const StaticFiles* static_files = nullptr;  // null: none
  std::size_t max_header_bytes = 16 * 1024;
  AccessLogSink* access_log = nullptr;
  // Runs the handlers of blocking routes; owned by the Server.
  boost::asio::thread_pool* workers = nullptr;
  // A comment line is sent on an idle event stream this often, so that
  // proxies and the client see the connection alive.
  std::chrono::milliseconds event_heartbeat{15'000};
};

boost::asio::awaitable<void> ServeHttp(net::Connection& conn, const ServerCore& core);

}  // namespace caduce::http::internal

#endif  // CADUCE_HTTP_SESSION_H_
