// File: bench/http_client.h
//
// The HTTP client of the benchmarks that time a real server over loopback: one
// keep-alive HTTP/1.1 connection to 127.0.0.1, requests written whole by the
// caller, responses read by their Content-Length (the server always sends one).
// Nothing of a general client: no chunked bodies, no TLS, no redirects.
#ifndef CADUCE_BENCH_HTTP_CLIENT_H_
#define CADUCE_BENCH_HTTP_CLIENT_H_

#include <cstdint>
#include <string>

#include "base/status.h"

namespace caduce::bench {

class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : port_(port) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  struct Reply {
    int status = 0;
    std::string head, body;
  };

  // Sends `request` (head and body) and reads one response; connects first when
  // needed, and again after a response that closed the connection.
  Result<Reply> Send(const std::string& request);

 private:
  Status Connect();
  Status Fill();

  uint16_t port_;
  int fd_ = -1;
  std::string in_;
};

}  // namespace caduce::bench

#endif  // CADUCE_BENCH_HTTP_CLIENT_H_
