// File: http/server.h
//
// The HTTP/1.1 server (RFC 9110, RFC 9112) on net::Listener: keep-alive,
// optional TLS, a Router for the API, /healthz, the static web UI for other GET
// paths, limits (16 KiB of header → 431, per-route body caps → 413), JSON body
// checks (415, 400), security headers on every response, a structured access log
// and a graceful Stop(). No sign-in and no business endpoints here: those are
// routes added by api/ and app/. The public surface has no Beast type.
//   http::Router router;
//   router.Add("GET", "/api/accounts/{id}", GetAccount);
//   auto server = http::Server::Start(options, std::move(router));
// Exposure: reads network input before sign-in.
#ifndef CADUCE_HTTP_SERVER_H_
#define CADUCE_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/access_log.h"
#include "http/router.h"
#include "net/options.h"

namespace caduce::http {

struct ServerOptions {
  net::ListenerOptions listener;
  // The built web UI; empty serves no static files (GET of unknown paths → 404).
  std::string static_dir = "web/dist";
  // The request line and header fields together (RFC 9112 §2.3 leaves the limit
  // to the server); more gives 431 (RFC 6585 §5) and the connection is closed.
  std::size_t max_header_bytes = 16 * 1024;
  // One line per request; null logs nothing. Not owned; must outlive the server.
  AccessLogSink* access_log = nullptr;
  // How long Stop() lets requests in flight finish.
  std::chrono::milliseconds shutdown_grace{10'000};
  // Threads that run the handlers of RouteOptions::blocking routes; 0 means
  // the number of cores, at least 2.
  int worker_threads = 0;
  // How many requests of blocking routes may wait for a free worker thread
  // beyond those running. One more is answered 503 with "Retry-After: 1" at
  // once rather than left waiting for seconds (20 sign-ins a second on two
  // cores queue up otherwise). 0: no cap.
  int worker_queue_limit = 32;
  // A comment line (":") is sent on an event stream (Response::events) that
  // has had nothing to send for this long (HTML Living Standard §9.2.7).
  std::chrono::milliseconds event_heartbeat{15'000};
};

class Server {
 public:
  // Adds GET /healthz (200 "ok") unless the router has it, opens the static
  // directory and starts listening. Errors: kNotFound (static_dir missing),
  // kInvalidArgument (bad address or TLS files), kUnavailable (port taken).
  static Result<std::unique_ptr<Server>> Start(ServerOptions options, Router router);
  // Stop() if it was not called.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;

  // Graceful shutdown (for SIGTERM): stops accepting, closes idle keep-alive
  // connections, lets requests in flight finish within the grace period (their
  // responses carry "Connection: close"), then closes what is left. Blocks until
  // the server threads are joined. Idempotent. REQUIRES: not called from a
  // handler.
  void Stop();

  // Open connections, and those waiting for a next request. Thread-safe.
  std::size_t connection_count() const;
  std::size_t idle_connection_count() const;
  // Connections refused at accept by the total or the per-address cap, and
  // by the per-address cap alone (net::ListenerOptions). Thread-safe.
  uint64_t refused_connection_count() const;
  uint64_t refused_per_ip_count() const;
  // Requests of blocking routes answered 503 because the worker queue was full.
  uint64_t refused_busy_count() const;

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace caduce::http

#endif  // CADUCE_HTTP_SERVER_H_
