// File: net/options.h
//
// What a listener needs to know: where to listen, how many threads run the event
// loop, the optional TLS certificate, the cap on concurrent connections and the
// deadlines every read and write runs under. Plain data, no Asio, so that
// configuration code (app/, tests) can fill it without the network headers.
// Exposure: none by itself; the values bound what reads network input before sign-in.
#ifndef CADUCE_NET_OPTIONS_H_
#define CADUCE_NET_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace caduce::net {

// Every read and write has a deadline (STYLE.md convention 7): a client that
// stops sending cannot hold a connection, a coroutine frame and its buffer.
struct Deadlines {
  // From the first byte of a request (or the TLS ClientHello) to the end of its
  // header. Slowloris-style clients are cut here.
  std::chrono::milliseconds header{10'000};
  // From the end of the header to the end of the body.
  std::chrono::milliseconds body{30'000};
  // Writing one response.
  std::chrono::milliseconds write{30'000};
  // Waiting for the next request on a keep-alive connection (RFC 9112 §9.3).
  std::chrono::milliseconds idle{60'000};
};

struct ListenerOptions {
  // A numeric IPv4 or IPv6 address.
  std::string address = "127.0.0.1";
  // 0 asks the kernel for a free port (tests); Listener::port() tells which.
  uint16_t port = 0;
  // Event loops, each run by its own thread (plus one thread that accepts).
  // Each connection is given to the next loop in turn and stays on it, so the
  // loops share no lock; a handler that takes its time delays the other
  // connections of its loop, which is why slow work runs on the worker pool
  // (http::RouteOptions::blocking).
  int threads = 2;
  // Connections beyond this are accepted and closed at once, so that the backlog
  // does not fill with clients that will never be served.
  std::size_t max_connections = 10'000;
  // Open connections from one peer address beyond this are refused the same way,
  // so that one client cannot take every slot. IPv6 peers count per /64, the
  // block one host usually holds. 0 means no per-address cap.
  std::size_t max_connections_per_ip = 1'000;
  // Both set: TLS 1.2 or later with this PEM certificate chain and private key.
  // Both empty: plain TCP.
  std::string tls_certificate_file;
  std::string tls_private_key_file;
  Deadlines deadlines;
};

}  // namespace caduce::net

#endif  // CADUCE_NET_OPTIONS_H_
