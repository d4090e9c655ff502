// The cap on the worker pool's queue (ServerOptions::worker_queue_limit) over
// real HTTP on loopback: with every worker busy and the queue full, one more
// request of a blocking route is answered 503 with Retry-After at once, other
// routes keep answering, and the waiting requests complete when the workers
// free up.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"
#include "testing/http_roundtrip.h"

namespace caduce::http {
namespace {

using namespace std::chrono_literals;
using ::caduce::testing::HttpResponse;
using ::caduce::testing::Roundtrip;
using ::testing::HasSubstr;

// A connection whose request is sent now and whose response is read later.
class Pending {
 public:
  Pending(uint16_t port, const std::string& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
    }
  }
  ~Pending() { ::close(fd_); }
  // Reads to EOF (the request said Connection: close).
  std::string Read() {
    std::string in;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    return in;
  }

 private:
  int fd_ = -1;
};

std::string Get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
}

TEST(WorkerQueueTest, AFullQueueAnswers503WithRetryAfterAtOnce) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  Router router;
  RouteOptions blocking;
  blocking.blocking = true;
  ASSERT_TRUE(router
                  .Add("GET", "/slow",
                       [&](const Request&, const RouteParams&) {
                         started.fetch_add(1);
                         released.wait();
                         return Response::Text(200, "fini");
                       },
                       blocking)
                  .ok());
  ServerOptions options;
  options.static_dir = "";
  options.worker_threads = 1;
  options.worker_queue_limit = 2;
  auto server = Server::Start(options, std::move(router));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  uint16_t port = (*server)->port();

  // One running, two waiting: the pool holds three.
  std::vector<std::unique_ptr<Pending>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<Pending>(port, Get("/slow")));
  for (int i = 0; i < 200 && started.load() < 1; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(started.load(), 1);
  std::this_thread::sleep_for(200ms);  // let the two others reach the queue

  auto t0 = std::chrono::steady_clock::now();
  std::optional<HttpResponse> busy = Roundtrip(port, Get("/slow"));
  auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(busy.has_value());
  EXPECT_EQ(busy->status, 503);
  EXPECT_EQ(busy->Header("Retry-After"), "1");
  EXPECT_THAT(busy->body, HasSubstr("réessayez"));
  EXPECT_LT(waited, 2s);  // answered without waiting for a worker
  EXPECT_EQ((*server)->refused_busy_count(), 1u);

  // Routes that do not use the pool are not concerned.
  std::optional<HttpResponse> health = Roundtrip(port, Get("/healthz"));
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200);

  release.set_value();
  for (auto& p : held) EXPECT_THAT(p->Read(), HasSubstr("fini"));
  // The queue has room again.
  std::optional<HttpResponse> again = Roundtrip(port, Get("/slow"));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
  (*server)->Stop();
}

TEST(WorkerQueueTest, ZeroMeansNoCap) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Router router;
  RouteOptions blocking;
  blocking.blocking = true;
  ASSERT_TRUE(router
                  .Add("GET", "/slow",
                       [&](const Request&, const RouteParams&) {
                         released.wait();
                         return Response::Text(200, "fini");
                       },
                       blocking)
                  .ok());
  ServerOptions options;
  options.static_dir = "";
  options.worker_threads = 1;
  options.worker_queue_limit = 0;
  auto server = Server::Start(options, std::move(router));
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::vector<std::unique_ptr<Pending>> held;
  for (int i = 0; i < 40; ++i) {
    held.push_back(std::make_unique<Pending>((*server)->port(), Get("/slow")));
  }
  std::this_thread::sleep_for(300ms);
  release.set_value();
  for (auto& p : held) EXPECT_THAT(p->Read(), HasSubstr("fini"));
  EXPECT_EQ((*server)->refused_busy_count(), 0u);
  (*server)->Stop();
}

}  // namespace
}  // namespace caduce::http
