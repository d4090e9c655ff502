// File: net/connection.h
//
// One accepted connection as the protocol servers see it: its id (for logs and
// events), the peer address, the stream (plain TCP or TLS over TCP), the
// deadlines it runs under, and the cooperation with a graceful shutdown
// (EnterIdle/LeaveIdle). A protocol session is a coroutine over it that the
// Listener owns and destroys. Exposure: reads network input before sign-in.
#ifndef CADUCE_NET_CONNECTION_H_
#define CADUCE_NET_CONNECTION_H_

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "net/options.h"

namespace caduce::net {

using TcpStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

class Listener;
namespace internal {
struct Registry;
}  // namespace internal

// Not thread-safe: every member is used on the connection's event loop (the
// executor of tcp(), run by one thread), except where noted.
class Connection {
 public:
  // REQUIRES: exactly one of `tcp` and `tls` is non-null.
  // `peer_key` is what the per-address cap counts (the address, or its /64).
  Connection(uint64_t id, std::string remote_ip, std::string peer_key,
             std::unique_ptr<TcpStream> tcp, std::unique_ptr<TlsStream> tls,
             const Deadlines& deadlines, std::shared_ptr<internal::Registry> registry);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Unique within the process, increasing from 1.
  uint64_t id() const { return id_; }
  const std::string& remote_ip() const { return remote_ip_; }
  bool is_tls() const { return tls_ != nullptr; }

  // The TCP layer: deadlines (expires_after) and cancellation go here, whether or
  // not TLS runs on top of it.
  TcpStream& tcp();
  // REQUIRES: is_tls().
  TlsStream& tls() { return *tls_; }
  const Deadlines& deadlines() const { return deadlines_; }

  // The session calls EnterIdle() before it waits for the next request and
  // LeaveIdle() when bytes arrive. EnterIdle() returns false when the listener is
  // shutting down: the session must then close instead of waiting. An idle
  // connection is closed by Listener::Stop() at once; a busy one is given the
  // grace period to finish its request.
  bool EnterIdle();
  void LeaveIdle();
  // True once Listener::Stop() has begun; the session answers the request in
  // flight with "Connection: close" (RFC 9112 §9.6). Thread-safe.
  bool draining() const;

  // Aborts pending operations and shuts the socket down both ways.
  void Abort();

 private:
  friend class Listener;  // reads idle_ from a task posted to the connection's loop
  uint64_t id_;
  std::string remote_ip_;
  std::string peer_key_;
  std::unique_ptr<TcpStream> tcp_;
  std::unique_ptr<TlsStream> tls_;
  Deadlines deadlines_;
  std::shared_ptr<internal::Registry> registry_;
  bool idle_ = false;  // the connection's loop only
};

}  // namespace caduce::net

#endif  // CADUCE_NET_CONNECTION_H_
