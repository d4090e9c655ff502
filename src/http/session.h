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
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "http/access_log.h"
#include "http/router.h"
#include "http/static_files.h"
#include "net/connection.h"

namespace caduce::http::internal {

// The requests of blocking routes given to the worker pool and not finished yet
// (running or queued), against a cap. Thread-safe.
class WorkerLoad {
 public:
  // `limit`: how many may be in the pool at once (threads + queue); 0: no cap.
  explicit WorkerLoad(int64_t limit) : limit_(limit) {}
  // Counts one more request in; false (and nothing counted) when it would pass
  // the cap.
  bool TryEnter() {
    int64_t n = in_pool_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (limit_ > 0 && n > limit_) {
      in_pool_.fetch_sub(1, std::memory_order_relaxed);
      refused_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  void Leave() { in_pool_.fetch_sub(1, std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  const int64_t limit_;
  std::atomic<int64_t> in_pool_{0};
  std::atomic<uint64_t> refused_{0};
};

// What every session reads; immutable while the server runs.
struct ServerCore {
  Router router;
  const StaticFiles* static_files = nullptr;  // null: none
  std::size_t max_header_bytes = 16 * 1024;
  AccessLogSink* access_log = nullptr;
  // Runs the handlers of blocking routes; owned by the Server.
  boost::asio::thread_pool* workers = nullptr;
  // The cap on what waits for `workers`; owned by the Server (null: no cap).
  WorkerLoad* worker_load = nullptr;
  // A comment line is sent on an idle event stream this often, so that
  // proxies and the client see the connection alive.
  std::chrono::milliseconds event_heartbeat{15'000};
};

boost::asio::awaitable<void> ServeHttp(net::Connection& conn, const ServerCore& core);

}  // namespace caduce::http::internal

#endif  // CADUCE_HTTP_SESSION_H_
