// File: bench/http_client.cc (see http_client.h).
#include "bench/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <string_view>

namespace caduce::bench {

HttpClient::~HttpClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<HttpClient::Reply> HttpClient::Send(const std::string& request) {
  if (fd_ < 0) CADUCE_RETURN_IF_ERROR(Connect());
  std::string_view data = request;
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return UnavailableError("send failed");
    data.remove_prefix(static_cast<size_t>(n));
  }
  size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos) CADUCE_RETURN_IF_ERROR(Fill());
  Reply r;
  r.head = in_.substr(0, end);
  r.status = std::atoi(r.head.c_str() + 9);
  std::string lower = r.head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t length = 0;
  size_t cl = lower.find("\r\ncontent-length:");
  if (cl != std::string::npos) length = std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
  while (in_.size() < end + 4 + length) CADUCE_RETURN_IF_ERROR(Fill());
  r.body = in_.substr(end + 4, length);
  in_.erase(0, end + 4 + length);
  if (lower.find("\r\nconnection: close") != std::string::npos) {
    ::close(fd_);
    fd_ = -1;
    in_.clear();
  }
  return r;
}

Status HttpClient::Connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return UnavailableError("socket failed");
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return UnavailableError("connect failed");
  }
  return OkStatus();
}

Status HttpClient::Fill() {
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) return UnavailableError("connection closed");
  in_.append(buf, static_cast<size_t>(n));
  return OkStatus();
}

}  // namespace caduce::bench
