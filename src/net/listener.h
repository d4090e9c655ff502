// File: net/listener.h
//
// The listener skeleton shared by the protocol servers (after Postfix's
// single_server and Stalwart's common listener): an accept loop as a coroutine
// on its own thread, N event loops (one thread each) that the connections are
// dealt to in turn, an optional TLS
// handshake, a cap on concurrent connections, connection ids, and a graceful
// Stop(). The protocol is a coroutine given each Connection.
//   auto l = net::Listener::Start(options, [](net::Connection& c) { return Serve(c); });
//   ... (*l)->port() ...
//   (*l)->Stop(std::chrono::seconds(10));
// Exposure: accepts unauthenticated peers and reads network input before sign-in.
#ifndef CADUCE_NET_LISTENER_H_
#define CADUCE_NET_LISTENER_H_

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "base/status.h"
#include "net/options.h"

namespace caduce::net {

class Connection;

// Runs one connection to its end. Called on the connection's loop, after the
// TLS handshake. The Listener closes the connection when the coroutine returns;
// a stray exception is logged, and closes only that connection.
using ConnectionHandler = std::function<boost::asio::awaitable<void>(Connection&)>;

class Listener {
 public:
  // Binds, listens and starts the threads. Errors: kInvalidArgument (bad
  // address, TLS files), kUnavailable (the port cannot be bound).
  static Result<std::unique_ptr<Listener>> Start(const ListenerOptions& options,
                                                 ConnectionHandler handler);
  // Stop(0) if Stop() was not called.
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The bound port (the kernel's choice when options.port was 0).
  uint16_t port() const;
  bool is_tls() const;

  // Stops accepting, closes idle connections, gives busy ones up to `grace` to
  // finish their request, then aborts what is left and joins the threads.
  // Idempotent. REQUIRES: not called from a listener thread.
  void Stop(std::chrono::milliseconds grace);

  // Open connections, and those of them waiting for a next request. Thread-safe.
  std::size_t connection_count() const;
  std::size_t idle_connection_count() const;
  // Connections closed at accept since Start() because a cap was reached (all
  // caps, and the per-address cap alone). Thread-safe.
  uint64_t refused_connection_count() const;
  uint64_t refused_per_ip_count() const;

 private:
  struct Impl;
  explicit Listener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace caduce::net

#endif  // CADUCE_NET_LISTENER_H_
