// What the image proxy (fetch/remote_image.h) costs per image: the URL check,
// sniffing the bytes, an image answered from the cache, and a fetch over
// loopback HTTP from a small in-process web server (a 40 KiB PNG) with the cache
// off: libcurl's connection, the open-socket address check, reading and
// sniffing. Reports images/s as items_per_second, and the machine.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "bench/machine.h"
#include "fetch/remote_image.h"

namespace caduce::fetch {
namespace {

std::string Png() {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  png.resize(40 * 1024, 'x');
  return png;
}

// Answers every connection with the same PNG, then closes it.
class PngServer {
 public:
  PngServer() : body_(Png()) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~PngServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/logo.png"; }

 private:
  void Run() {
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: " +
                             std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n";
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string in;
      char buf[2048];
      while (in.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      std::string out = head + body_;
      ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  std::string body_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void BM_CheckUrl(benchmark::State& state) {
  std::string canonical, message;
  FetchError error = FetchError::kNone;
  for (auto _ : state) {
    bool ok = CheckUrl("https://newsletter.exemple-labo.fr/img/2026/logo-entete.png?u=8f3a91&c=42",
                       false, &canonical, &error, &message);
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckUrl);

void BM_Sniff(benchmark::State& state) {
  std::string svg(40 * 1024, ' ');
  svg.replace(0, 5, "<svg ");
  for (auto _ : state) benchmark::DoNotOptimize(SniffImageType(svg));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sniff);

void BM_CacheHit(benchmark::State& state) {
  PngServer server;
  RemoteImageOptions o;
  o.allow_private = true;
  RemoteImageFetcher fetcher(o);
  if (!fetcher.Fetch(server.Url()).ok()) {
    state.SkipWithError("the first fetch failed");
    return;
  }
  for (auto _ : state) {
    FetchedImage got = fetcher.Fetch(server.Url());
    benchmark::DoNotOptimize(got.bytes);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheHit);

void BM_FetchOverLoopback(benchmark::State& state) {
  PngServer server;
  RemoteImageOptions o;
  o.allow_private = true;
  o.cache_bytes = 0;
  RemoteImageFetcher fetcher(o);
  for (auto _ : state) {
    FetchedImage got = fetcher.Fetch(server.Url());
    if (!got.ok()) {
      state.SkipWithError(got.message.c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 40 * 1024);
}
BENCHMARK(BM_FetchOverLoopback)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace caduce::fetch

int main(int argc, char** argv) {
  caduce::bench::DescribeMachine();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
