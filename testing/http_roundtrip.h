// File: testing/http_roundtrip.h
//
// One HTTP/1.1 exchange over loopback for the API tests: sends a request that
// says "Connection: close" on a new connection, reads to EOF (5 s at most) and
// splits the response into status, header fields and body. Test-only.
#ifndef CADUCE_TESTING_HTTP_ROUNDTRIP_H_
#define CADUCE_TESTING_HTTP_ROUNDTRIP_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace caduce::testing {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (strcasecmp(k.c_str(), std::string(name).c_str()) == 0) return v;
    }
    return "";
  }
  // The Set-Cookie value for cookie `name`, or "".
  std::string SetCookie(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (strcasecmp(k.c_str(), "set-cookie") == 0 && v.rfind(std::string(name) + "=", 0) == 0) {
        return v;
      }
    }
    return "";
  }
  boost::json::value Json() const {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    return ec ? boost::json::value() : v;
  }
};

// Sends one request on a new connection and reads the response (5 s at most).
inline std::optional<HttpResponse> Roundtrip(uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string_view data = request;
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    data.remove_prefix(static_cast<size_t>(n));
  }
  std::string in;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {  // the request says Connection: close: read to EOF
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos || in.size() < 12) return std::nullopt;
  HttpResponse r;
  r.status = std::stoi(in.substr(9, 3));
  std::string header = in.substr(0, end);
  size_t pos = header.find("\r\n");
  pos = pos == std::string::npos ? header.size() : pos + 2;
  while (pos < header.size()) {
    size_t next = header.find("\r\n", pos);
    if (next == std::string::npos) next = header.size();
    std::string field = header.substr(pos, next - pos);
    size_t colon = field.find(':');
    std::string value = field.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers.emplace_back(field.substr(0, colon), value);
    pos = next + 2;
  }
  r.body = in.substr(end + 4);
  return r;
}

// The value of a Set-Cookie line: "name=VALUE; ..." → VALUE.
inline std::string CookieOf(const std::string& set_cookie) {
  size_t eq = set_cookie.find('=');
  size_t semi = set_cookie.find(';');
  return set_cookie.substr(eq + 1, semi - eq - 1);
}

}  // namespace caduce::testing

#endif  // CADUCE_TESTING_HTTP_ROUNDTRIP_H_
