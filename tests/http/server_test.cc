// Tests of the HTTP server over loopback: the server runs in the test process on
// its own threads (port 0); clients are plain POSIX sockets (and OpenSSL for
// TLS) so that each test controls every byte it sends and when. Deadlines are
// short in the test configuration; every wait is bounded.
#include "http/server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
// From <sanitizer/allocator_interface.h>, which GCC does not install.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#else
#include <malloc.h>
#endif

#include "http/static_files.h"
#include "http/status_map.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::http {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- helpers

class CapturingLog : public AccessLogSink {
 public:
  void Write(std::string_view line) override {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
    cv_.notify_all();
  }
  // The lines once there are at least `n`, or what there is after 5 s.
  std::vector<std::string> WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return lines_.size() >= n; });
    return lines_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

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
  bool HasHeader(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (strcasecmp(k.c_str(), std::string(name).c_str()) == 0) return true;
    }
    return false;
  }
};

// One client connection. Reads never wait past their deadline.
class Client {
 public:
  // `from`: the local address to connect from (127.0.0.2 is another loopback peer).
  explicit Client(uint16_t port, SSL_CTX* tls = nullptr, const char* from = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (from != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, from, &local.sin_addr);
      ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    }
    timeval backstop{5, 0};  // bounds a blocking SSL_connect or SSL_read
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &backstop, sizeof backstop);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &backstop, sizeof backstop);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (connected_ && tls != nullptr) {
      ssl_ = SSL_new(tls);
      SSL_set_fd(ssl_, fd_);
      SSL_set_tlsext_host_name(ssl_, "localhost");
      connected_ = SSL_connect(ssl_) == 1;
    }
  }
  ~Client() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      long n = ssl_ != nullptr ? SSL_write(ssl_, data.data(), static_cast<int>(data.size()))
                               : ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // The status line and header fields of the next response, its body left unread.
  std::optional<HttpResponse> ReadHeader() {
    const auto deadline = Clock::now() + 5s;
    std::size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (RecvSome(deadline) <= 0) return std::nullopt;
    }
    HttpResponse r;
    std::string header = pending_.substr(0, end);
    pending_.erase(0, end + 4);
    std::size_t line_end = header.find("\r\n");
    std::string status_line = header.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    std::size_t pos = line_end == std::string::npos ? header.size() : line_end + 2;
    while (pos < header.size()) {
      std::size_t next = header.find("\r\n", pos);
      if (next == std::string::npos) next = header.size();
      std::string field = header.substr(pos, next - pos);
      std::size_t colon = field.find(':');
      std::string value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.emplace_back(field.substr(0, colon), value);
      pos = next + 2;
    }
    return r;
  }

  // One response; `head` when it answers a HEAD (no body follows).
  std::optional<HttpResponse> Read(bool head = false) {
    const auto deadline = Clock::now() + 5s;
    std::optional<HttpResponse> r = ReadHeader();
    if (!r) return r;
    std::size_t length = 0;
    if (!head && r->status != 304 && r->HasHeader("Content-Length")) {
      length = std::stoul(r->Header("Content-Length"));
    }
    while (pending_.size() < length) {
      if (RecvSome(deadline) <= 0) return std::nullopt;
    }
    r->body = pending_.substr(0, length);
    pending_.erase(0, length);
    return r;
  }

  // The data of the next chunk of a chunked body (RFC 9112 §7.1): "" for the
  // last chunk, nullopt when none comes within `limit` or the stream breaks.
  std::optional<std::string> ReadChunk(std::chrono::milliseconds limit = 5s) {
    const auto deadline = Clock::now() + limit;
    std::size_t line_end;
    while ((line_end = pending_.find("\r\n")) == std::string::npos) {
      if (RecvSome(deadline) <= 0) return std::nullopt;
    }
    std::size_t size = std::stoul(pending_.substr(0, line_end), nullptr, 16);
    std::size_t need = line_end + 2 + size + 2;
    while (pending_.size() < need) {
      if (RecvSome(deadline) <= 0) return std::nullopt;
    }
    std::string data = pending_.substr(line_end + 2, size);
    pending_.erase(0, need);
    return data;
  }

  // Chunks until their text holds `wanted` (true) or the stream ends (false);
  // what was read is appended to *text.
  bool ReadChunksUntil(std::string_view wanted, std::string* text) {
    while (text->find(wanted) == std::string::npos) {
      std::optional<std::string> chunk = ReadChunk();
      if (!chunk || chunk->empty()) return false;
      *text += *chunk;
    }
    return true;
  }

  // Ends the connection at once.
  void Close() {
    if (ssl_ != nullptr) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    ::shutdown(fd_, SHUT_RDWR);
  }

  std::optional<HttpResponse> Roundtrip(std::string_view request, bool head = false) {
    if (!Send(request)) return std::nullopt;
    return Read(head);
  }

  // True when the server ends the connection (EOF or reset) within `limit`;
  // whatever it sends first is dropped.
  bool WaitClosed(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (;;) {
      int n = RecvSome(deadline);
      if (n == 0 || n == -1) return true;
      if (n == -2) return false;
      pending_.clear();
    }
  }

 private:
  // >0 bytes appended to pending_, 0 at EOF, -1 on error, -2 at the deadline.
  int RecvSome(Clock::time_point deadline) {
    char buf[4096];
    if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return -2;
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready == 0) return -2;
      if (ready < 0) return -1;
    }
    long n;
    if (ssl_ != nullptr) {
      n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) return SSL_get_error(ssl_, static_cast<int>(n)) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    } else {
      n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0) return -1;
      if (n == 0) return 0;
    }
    pending_.append(buf, static_cast<std::size_t>(n));
    return static_cast<int>(n);
  }

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  std::string pending_;
};

std::string Get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra) +
         "\r\n";
}

std::string Post(std::string_view target, std::string_view content_type, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

void WriteFile(const std::string& path, std::string_view content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// A self-signed P-256 certificate for "localhost", valid one hour.
void WriteSelfSignedCertificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  std::FILE* f = std::fopen(cert_path.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
}

std::size_t HeapInUse() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return mallinfo2().uordblks;
#endif
}

// Polls `done` every millisecond for at most 5 s (for states with no event to wait on).
template <class F>
bool Eventually(F done) {
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return done();
}

constexpr char kCsp[] =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// ---------------------------------------------------------------- fixture

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    dist_ = dir_.File("dist");
    WriteFile(dist_ + "/index.html", "<!doctype html><title>caduce</title>");
    WriteFile(dist_ + "/style.css", "body{margin:0}");
    WriteFile(dist_ + "/assets/app-4f9a1c2b.js", "console.log('caduce');");
    WriteFile(dist_ + "/assets/app-4f9a1c2b.js.gz", "GZIPPED-BYTES");
    WriteFile(dist_ + "/.env", "SECRET-DOTFILE");
    WriteFile(dir_.File("secret.txt"), "SECRET-OUTSIDE");
    std::filesystem::create_symlink(dir_.File("secret.txt"), dist_ + "/link.txt");
  }
  ~ServerTest() override {
    if (!released_) release_.set_value();
    server_.reset();
    if (client_tls_ != nullptr) SSL_CTX_free(client_tls_);
  }

  Router MakeRouter() {
    Router router;
    EXPECT_OK(router.Add("GET", "/api/accounts/{id}", [](const Request&, const RouteParams& p) {
      boost::json::object o;
      o["id"] = p.Get("id");
      return Response::Json(200, boost::json::value(o));
    }));
    EXPECT_OK(router.Add("GET", "/api/accounts/me", [](const Request&, const RouteParams&) {
      return Response::Text(200, "me");
    }));
    RouteOptions json;
    json.json_body = true;
    json.max_body_bytes = 1024;
    EXPECT_OK(router.Add(
        "POST", "/api/accounts",
        [](const Request& r, const RouteParams&) { return Response::Json(201, r.json); }, json));
    RouteOptions small;
    small.max_body_bytes = 64;
    EXPECT_OK(router.Add(
        "POST", "/api/upload",
        [](const Request& r, const RouteParams&) {
          return Response::Text(200, std::to_string(r.body.size()));
        },
        small));
    EXPECT_OK(router.Add("GET", "/api/throw", [](const Request&, const RouteParams&) -> Response {
      throw std::runtime_error("bug");
    }));
    EXPECT_OK(router.Add("GET", "/api/slow", [this](const Request&, const RouteParams&) {
      entered_.set_value();
      released_future_.wait_for(10s);
      return Response::Text(200, "slow done");
    }));
    RouteOptions blocking;
    blocking.blocking = true;
    EXPECT_OK(router.Add(
        "GET", "/api/slow-blocking",
        [this](const Request& r, const RouteParams&) {
          entered_.set_value();
          released_future_.wait_for(10s);
          return Response::Text(200, "blocking done " + std::string(r.Header("x-tag")));
        },
        blocking));
    EXPECT_OK(router.Add(
        "GET", "/api/throw-blocking",
        [](const Request&, const RouteParams&) -> Response { throw std::runtime_error("bug"); },
        blocking));
    EXPECT_OK(router.Add("GET", "/api/events", [this](const Request&, const RouteParams&) {
      Response r;
      r.events = std::make_shared<EventStream>();
      if (events_before_) events_before_(*r.events);
      events_.set_value(r.events);
      return r;
    }));
    EXPECT_OK(router.Add("GET", "/api/big", [](const Request& r, const RouteParams&) {
      boost::json::array items;
      for (int i = 0; i < 200; ++i) items.emplace_back("Secrétariat de cardiologie " + std::to_string(i));
      Response out = Response::Json(200, boost::json::value(std::move(items)));
      if (r.Header("x-etag") == "1") out.SetHeader("ETag", "\"v1\"");
      return out;
    }));
    EXPECT_OK(router.Add("GET", "/api/binary", [](const Request&, const RouteParams&) {
      Response out;
      out.SetHeader("Content-Type", "application/octet-stream");
      out.body = std::string(4096, 'x');
      return out;
    }));
    if (extra_routes_) extra_routes_(router);
    return router;
  }

  void StartServer(bool tls = false, bool with_log = true, std::size_t max_connections = 10'000) {
    ServerOptions options;
    options.listener.threads = threads_;
    options.worker_threads = 2;
    options.event_heartbeat = heartbeat_;
    options.listener.max_connections = max_connections;
    options.listener.max_connections_per_ip = per_ip_cap_;
    options.listener.deadlines.header = 300ms;
    options.listener.deadlines.body = 1s;
    options.listener.deadlines.write = 2s;
    options.listener.deadlines.idle = idle_deadline_;
    options.static_dir = dist_;
    options.access_log = with_log ? &log_ : nullptr;
    options.shutdown_grace = 5s;
    if (tls) {
      WriteSelfSignedCertificate(dir_.File("cert.pem"), dir_.File("key.pem"));
      options.listener.tls_certificate_file = dir_.File("cert.pem");
      options.listener.tls_private_key_file = dir_.File("key.pem");
      client_tls_ = SSL_CTX_new(TLS_client_method());
      SSL_CTX_set_verify(client_tls_, SSL_VERIFY_NONE, nullptr);
    }
    auto server = Server::Start(options, MakeRouter());
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  std::unique_ptr<Client> Connect() {
    auto c = std::make_unique<Client>(server_->port(), client_tls_);
    EXPECT_TRUE(c->connected());
    return c;
  }

  // One request on a fresh connection.
  HttpResponse Fetch(std::string_view request, bool head = false) {
    auto c = Connect();
    std::optional<HttpResponse> r = c->Roundtrip(request, head);
    EXPECT_TRUE(r.has_value()) << "no response to " << request.substr(0, 80);
    return r.value_or(HttpResponse{});
  }

  void Release() {
    released_ = true;
    release_.set_value();
  }

  caduce::testing::TempDir dir_;
  std::string dist_;
  CapturingLog log_;
  std::unique_ptr<Server> server_;
  SSL_CTX* client_tls_ = nullptr;
  std::promise<void> entered_;
  std::promise<void> release_;
  std::shared_future<void> released_future_ = release_.get_future().share();
  bool released_ = false;
  std::chrono::milliseconds idle_deadline_ = 5s;
  int threads_ = 2;
  std::size_t per_ip_cap_ = 1000;
  std::chrono::milliseconds heartbeat_ = 15s;
  std::function<void(Router&)> extra_routes_;
  // The stream GET /api/events answered with, and what it queued before.
  std::promise<std::shared_ptr<EventStream>> events_;
  std::function<void(EventStream&)> events_before_;
};

// ---------------------------------------------------------------- routing

TEST_F(ServerTest, RoutesNamedSegmentsDecoded) {
  StartServer();
  HttpResponse r = Fetch(Get("/api/accounts/a%20b"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"id":"a b"})");
  EXPECT_EQ(Fetch(Get("/api/accounts/me")).body, "me");  // literal wins
}

TEST_F(ServerTest, UnknownApiPathIsProblem404) {
  StartServer();
  HttpResponse r = Fetch(Get("/api/nothing/here"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  boost::json::value v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("status").as_int64(), 404);
  EXPECT_EQ(v.at("type").as_string(), "about:blank");
  EXPECT_EQ(v.at("title").as_string(), "Ressource introuvable");
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  StartServer();
  HttpResponse r = Fetch("DELETE /api/accounts/7 HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD");
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
}

TEST_F(ServerTest, HeadMirrorsGetWithoutBody) {
  StartServer();
  auto c = Connect();
  auto head = c->Roundtrip("HEAD /api/accounts/42 HTTP/1.1\r\nHost: localhost\r\n\r\n", true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(std::string(R"({"id":"42"})").size()));
  EXPECT_EQ(head->Header("Content-Type"), "application/json");
  // Had a body followed, this would read it as the next response.
  auto next = c->Roundtrip(Get("/healthz"));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "ok");
}

TEST_F(ServerTest, HealthzAnswersOk) {
  StartServer();
  HttpResponse r = Fetch(Get("/healthz"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_THAT(r.Header("Content-Type"), HasSubstr("text/plain"));
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  auto c = Connect();
  auto first = c->Roundtrip(Get("/healthz"));
  auto second = c->Roundtrip(Get("/api/accounts/2"));
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->status, 200);
  std::vector<std::string> lines = log_.WaitFor(2);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(boost::json::parse(lines[0]).at("conn"), boost::json::parse(lines[1]).at("conn"));
}

// The server writes the framing and the security fields itself: a handler's
// Content-Length, Transfer-Encoding or Connection cannot cut or stretch the
// response, and its nosniff or referrer fields are replaced, not doubled.
TEST_F(ServerTest, HandlerCannotSetTheFramingOrTheSecurityFields) {
  extra_routes_ = [](Router& router) {
    EXPECT_OK(router.Add("GET", "/api/forged", [](const Request&, const RouteParams&) {
      Response r = Response::Text(200, "forged body");
      r.SetHeader("Content-Length", "1");
      r.SetHeader("Transfer-Encoding", "chunked");
      r.SetHeader("Connection", "close");
      r.SetHeader("X-Content-Type-Options", "sniff-me");
      r.SetHeader("Referrer-Policy", "unsafe-url");
      r.SetHeader("X-Injected", "a\r\nSet-Cookie: stolen=1");
      return r;
    }));
  };
  StartServer();
  auto c = Connect();
  auto r = c->Roundtrip(Get("/api/forged"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "forged body");
  EXPECT_EQ(r->Header("Content-Length"), "11");
  EXPECT_FALSE(r->HasHeader("Transfer-Encoding"));
  EXPECT_FALSE(r->HasHeader("Connection"));
  EXPECT_FALSE(r->HasHeader("X-Injected"));
  EXPECT_FALSE(r->HasHeader("Set-Cookie"));
  int nosniff = 0;
  for (const auto& [name, value] : r->headers) {
    if (strcasecmp(name.c_str(), "X-Content-Type-Options") == 0) {
      ++nosniff;
      EXPECT_EQ(value, "nosniff");
    }
  }
  EXPECT_EQ(nosniff, 1);
  EXPECT_EQ(r->Header("Referrer-Policy"), "no-referrer");
  // The connection stays open: the handler's "Connection: close" was not sent.
  auto next = c->Roundtrip(Get("/healthz"));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "ok");
}

// HTTP/1.0 closes after the response unless the client asks to keep the
// connection; HTTP/1.1 keeps it unless the client says close (RFC 9112 §9.3).
TEST_F(ServerTest, ConnectionFieldFollowsTheVersionAndTheClient) {
  StartServer();
  auto kept = Connect();
  auto first = kept->Roundtrip("GET /api/accounts/me HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->body, "me");
  EXPECT_EQ(first->Header("Connection"), "keep-alive");
  auto second = kept->Roundtrip("GET /healthz HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "ok");
  EXPECT_FALSE(second->HasHeader("Connection"));
  EXPECT_TRUE(kept->WaitClosed(2s));

  auto closing = Connect();
  auto last = closing->Roundtrip(Get("/api/accounts/me", "Connection: close\r\n"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->body, "me");
  EXPECT_EQ(last->Header("Connection"), "close");
  EXPECT_TRUE(closing->WaitClosed(2s));
}

// Each connection stays on the event loop it was dealt at accept, in turn. A
// handler that holds its loop (slow work belongs to blocking routes) delays
// that loop's connections only: the next connection, dealt to the other loop,
// is accepted and answered meanwhile.
TEST_F(ServerTest, SlowHandlerHoldsOnlyItsOwnEventLoop) {
  threads_ = 2;
  StartServer();
  auto slow = Connect();
  ASSERT_TRUE(slow->Send(Get("/api/slow")));
  ASSERT_EQ(entered_.get_future().wait_for(5s), std::future_status::ready);
  HttpResponse other = Fetch(Get("/api/accounts/me"));
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, "me");
  Release();
  auto r = slow->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "slow done");
}

TEST_F(ServerTest, HandlerExceptionIs500AndServerGoesOn) {
  StartServer();
  HttpResponse r = Fetch(Get("/api/throw"));
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, Not(HasSubstr("bug")));
  EXPECT_EQ(Fetch(Get("/healthz")).status, 200);
}

// ---------------------------------------------------------------- limits

TEST_F(ServerTest, OversizedHeaderIs431AndClosedWhileOthersAreServed) {
  StartServer();
  auto other = Connect();
  auto big = Connect();
  ASSERT_TRUE(big->Send(Get("/healthz", "X-Big: " + std::string(20 * 1024, 'a') + "\r\n")));
  auto r = big->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->Header("Content-Type"), "application/problem+json");
  EXPECT_TRUE(big->WaitClosed(5s));
  auto ok = other->Roundtrip(Get("/healthz"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
}

TEST_F(ServerTest, BodyOverRouteCapIs413) {
  StartServer();
  EXPECT_EQ(Fetch(Post("/api/upload", "application/octet-stream", std::string(64, 'x'))).status,
            200);
  HttpResponse r = Fetch(Post("/api/upload", "application/octet-stream", std::string(65, 'x')));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_THAT(r.body, HasSubstr("64 octets"));
}

TEST_F(ServerTest, ChunkedBodyOverRouteCapIs413) {
  StartServer();
  std::string chunk(40, 'x');
  HttpResponse r = Fetch(
      "POST /api/upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
      "28\r\n" +
      chunk + "\r\n28\r\n" + chunk + "\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 413);
}

TEST_F(ServerTest, DefaultBodyCapIsOneMebibyte) {
  StartServer();
  // /healthz takes the default 1 MiB cap; the length alone is refused.
  HttpResponse r =
      Fetch("GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048577\r\n\r\n");
  EXPECT_EQ(r.status, 413);
}

TEST_F(ServerTest, SlowHeaderIsCutAtTheHeaderDeadline) {
  StartServer();
  auto slow = Connect();
  const auto start = Clock::now();
  ASSERT_TRUE(slow->Send("GET /healthz HTTP/1.1\r\nHost: loc"));
  auto other = Connect();
  auto ok = other->Roundtrip(Get("/healthz"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
  EXPECT_TRUE(slow->WaitClosed(5s));
  EXPECT_GE(Clock::now() - start, 250ms);
}

TEST_F(ServerTest, ConnectionsOverTheCapAreClosedAtOnce) {
  StartServer(/*tls=*/false, /*with_log=*/true, /*max_connections=*/2);
  auto a = Connect();
  auto b = Connect();
  ASSERT_TRUE(a->Roundtrip(Get("/healthz")).has_value());
  ASSERT_TRUE(b->Roundtrip(Get("/healthz")).has_value());
  auto c = Connect();  // the kernel completes the handshake; the server closes it
  EXPECT_TRUE(c->WaitClosed(5s));
  a.reset();
  EXPECT_TRUE(Eventually([&] { return server_->connection_count() == 1; }));
  auto d = Connect();
  auto r = d->Roundtrip(Get("/healthz"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, ConnectionsOverThePerAddressCapAreClosedAndCounted) {
  per_ip_cap_ = 3;
  StartServer();
  std::vector<std::unique_ptr<Client>> first;
  for (int i = 0; i < 3; ++i) {
    first.push_back(Connect());
    ASSERT_TRUE(first.back()->Roundtrip(Get("/healthz")).has_value());
  }
  // A fourth from the same address is closed without an answer...
  Client over(server_->port());
  ASSERT_TRUE(over.connected());
  EXPECT_TRUE(over.WaitClosed(5s));
  EXPECT_EQ(server_->refused_per_ip_count(), 1u);
  EXPECT_EQ(server_->refused_connection_count(), 1u);
  // ...another address is served meanwhile...
  Client other(server_->port(), nullptr, "127.0.0.2");
  ASSERT_TRUE(other.connected());
  auto r = other.Roundtrip(Get("/healthz"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  // ...and the slot comes back when one of the three leaves.
  first.pop_back();
  EXPECT_TRUE(Eventually([&] { return server_->connection_count() == 3; }));
  auto again = Connect();
  auto r2 = again->Roundtrip(Get("/healthz"));
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(server_->refused_per_ip_count(), 1u);
}

TEST_F(ServerTest, IdleConnectionIsClosedAtTheIdleDeadline) {
  idle_deadline_ = 400ms;
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Roundtrip(Get("/healthz")).has_value());
  const auto start = Clock::now();
  EXPECT_TRUE(c->WaitClosed(5s));
  EXPECT_GE(Clock::now() - start, 350ms);
}

TEST_F(ServerTest, StalledBodyIsCutAtTheBodyDeadline) {
  StartServer();
  auto c = Connect();
  const auto start = Clock::now();
  ASSERT_TRUE(
      c->Send("POST /api/upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n12345"));
  EXPECT_TRUE(c->WaitClosed(5s));
  EXPECT_GE(Clock::now() - start, 900ms);  // the test's body deadline is 1 s
}

// ---------------------------------------------------------------- JSON bodies

TEST_F(ServerTest, JsonBodyReachesHandler) {
  StartServer();
  HttpResponse r =
      Fetch(Post("/api/accounts", "application/json; charset=utf-8", R"({"nom":"Hélène"})"));
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, R"({"nom":"Hélène"})");
}

TEST_F(ServerTest, MalformedJsonIs400Problem) {
  StartServer();
  HttpResponse r = Fetch(Post("/api/accounts", "application/json", R"({"nom":)"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_THAT(r.body, HasSubstr("JSON invalide"));
}

TEST_F(ServerTest, WrongContentTypeIs415) {
  StartServer();
  HttpResponse r = Fetch(Post("/api/accounts", "text/plain", R"({"nom":"x"})"));
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
}

TEST_F(ServerTest, InvalidUtf8JsonIs400) {
  StartServer();
  HttpResponse r = Fetch(Post("/api/accounts", "application/json", "{\"nom\":\"\xff\xfe\"}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("UTF-8"));
}

// ---------------------------------------------------------------- static files

TEST_F(ServerTest, PathTraversalIs404) {
  StartServer();
  for (const char* target :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt", "/..%5c..%5csecret.txt",
        "/assets\\..\\..\\secret.txt", "/index.html%00.js", "/.env", "/%2eenv", "/link.txt",
        "/assets/.", "/.."}) {
    SCOPED_TRACE(target);
    HttpResponse r = Fetch(Get(target));
    EXPECT_EQ(r.status, 404);
    EXPECT_THAT(r.body, Not(HasSubstr("SECRET")));
    EXPECT_THAT(r.body, Not(HasSubstr("doctype")));  // no SPA fallback either
  }
}

TEST_F(ServerTest, StaticFileHasTypeETagAnd304) {
  StartServer();
  HttpResponse r = Fetch(Get("/style.css"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "body{margin:0}");
  EXPECT_EQ(r.Header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(r.Header("Cache-Control"), "no-cache");
  std::string etag = r.Header("ETag");
  ASSERT_FALSE(etag.empty());
  HttpResponse again = Fetch(Get("/style.css", "If-None-Match: " + etag + "\r\n"));
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(again.Header("ETag"), etag);
  EXPECT_EQ(Fetch(Get("/style.css", "If-None-Match: \"other\"\r\n")).status, 200);
}

TEST_F(ServerTest, HashedAssetsAreImmutableAndIndexIsRevalidated) {
  StartServer();
  HttpResponse asset = Fetch(Get("/assets/app-4f9a1c2b.js"));
  EXPECT_EQ(asset.status, 200);
  EXPECT_EQ(asset.Header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(asset.Header("Content-Type"), "text/javascript; charset=utf-8");
  HttpResponse index = Fetch(Get("/"));
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("Cache-Control"), "no-cache");
  EXPECT_EQ(index.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_TRUE(IsHashedAssetName("index-BXu4Z1Yc.js"));
  EXPECT_FALSE(IsHashedAssetName("my-component.js"));
  EXPECT_FALSE(IsHashedAssetName("index.html"));
}

TEST_F(ServerTest, GzipVariantServedWithVary) {
  StartServer();
  HttpResponse gz = Fetch(Get("/assets/app-4f9a1c2b.js", "Accept-Encoding: br, gzip\r\n"));
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(gz.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz.Header("Vary"), "Accept-Encoding");
  EXPECT_EQ(gz.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(gz.body, "GZIPPED-BYTES");
  HttpResponse plain = Fetch(Get("/assets/app-4f9a1c2b.js", "Accept-Encoding: gzip;q=0\r\n"));
  EXPECT_FALSE(plain.HasHeader("Content-Encoding"));
  EXPECT_EQ(plain.Header("Vary"), "Accept-Encoding");
  EXPECT_EQ(plain.body, "console.log('caduce');");
  EXPECT_NE(gz.Header("ETag"), plain.Header("ETag"));
}

TEST_F(ServerTest, SpaPathsGetIndexButMissingAssetsAndApiDoNot) {
  StartServer();
  HttpResponse page = Fetch(Get("/comptes/42?onglet=droits"));
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("<title>caduce</title>"));
  EXPECT_EQ(Fetch(Get("/assets/missing-12345678.js")).status, 404);
  HttpResponse api = Fetch(Get("/api/comptes"));
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.Header("Content-Type"), "application/problem+json");
}

// ---------------------------------------------------------------- headers and log

TEST_F(ServerTest, SecurityHeadersOnEveryResponseAndNoHstsWithoutTls) {
  StartServer();
  for (const std::string& request : {Get("/healthz"), Get("/api/none"), Get("/style.css"),
                                     Get("/%zz"), Post("/api/accounts", "text/plain", "x")}) {
    SCOPED_TRACE(request.substr(0, 30));
    HttpResponse r = Fetch(request);
    EXPECT_NE(r.status, 0);
    EXPECT_EQ(r.Header("Content-Security-Policy"), kCsp);
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer");
    EXPECT_FALSE(r.HasHeader("Strict-Transport-Security"));
  }
}

TEST_F(ServerTest, AccessLogLineDescribesTheRequest) {
  StartServer();
  Fetch(Get("/healthz?token=secret", "User-Agent: test-agent/1.0\r\n"));
  std::vector<std::string> lines = log_.WaitFor(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], Not(HasSubstr("secret")));
  boost::json::object o = boost::json::parse(lines[0]).as_object();
  EXPECT_EQ(o.at("method").as_string(), "GET");
  EXPECT_EQ(o.at("path").as_string(), "/healthz");
  EXPECT_EQ(o.at("status").as_int64(), 200);
  EXPECT_EQ(o.at("bytes").as_int64(), 2);
  EXPECT_EQ(o.at("remote_ip").as_string(), "127.0.0.1");
  EXPECT_EQ(o.at("user_agent").as_string(), "test-agent/1.0");
  EXPECT_GE(o.at("conn").as_int64(), 1);
  EXPECT_GE(o.at("duration_us").as_int64(), 0);
  std::string time(o.at("time").as_string());
  EXPECT_EQ(time.back(), 'Z');
}

// The event loops log at the same time: every line reaches the file whole,
// with its newline, never cut by another's.
TEST(AccessLogTest, ConcurrentWritersLeaveWholeLines) {
  caduce::testing::TempDir dir;
  const std::string path = dir.File("access.log");
  std::FILE* file = std::fopen(path.c_str(), "w");
  ASSERT_NE(file, nullptr);
  setvbuf(file, nullptr, _IONBF, 0);  // as stderr
  constexpr int kThreads = 4;
  constexpr int kLines = 200;
  {
    StdioAccessLog log(file);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kLines; ++i) {
          AccessLogEntry e;
          e.connection_id = static_cast<uint64_t>(t);
          e.method = "GET";
          e.path = "/api/me\n\"injected\"";
          e.status = 200;
          e.user_agent = std::string(static_cast<std::size_t>(i), 'x');
          log.WriteEntry(e);
        }
      });
    }
    for (std::thread& th : threads) th.join();
  }
  std::fclose(file);
  std::ifstream in(path);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    boost::json::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    EXPECT_EQ(v.at("path"), "/api/me\n\"injected\"");
    ++count;
  }
  EXPECT_EQ(count, kThreads * kLines);
}

TEST(AccessLogTest, TextFormatKeepsOneLineWhateverTheClientSends) {
  AccessLogEntry e;
  e.time_micros = 1'790'000'000'000'000;
  e.connection_id = 7;
  e.remote_ip = "127.0.0.1";
  e.method = "GET";
  e.path = "/a\"b\nc\\d";
  e.status = 404;
  e.bytes = 12;
  e.duration_micros = 154;
  e.user_agent = "evil\r\n\x1b[31m\xff";
  std::string line = FormatAccessLogText(e);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  EXPECT_THAT(line, HasSubstr(" 127.0.0.1 conn=7 \"GET /a\\x22b\\x0ac\\x5cd\" 404 12B 154us "));
  EXPECT_THAT(line, HasSubstr("\"evil\\x0d\\x0a\\x1b[31m\xEF\xBF\xBD\""));
  EXPECT_EQ(line.substr(0, 4), "2026");
}

// ---------------------------------------------------------------- shutdown

TEST_F(ServerTest, GracefulStopLetsTheRequestInFlightFinish) {
  StartServer();
  auto idle = Connect();
  ASSERT_TRUE(idle->Roundtrip(Get("/healthz")).has_value());
  auto busy = Connect();
  ASSERT_TRUE(busy->Send(Get("/api/slow")));
  ASSERT_EQ(entered_.get_future().wait_for(5s), std::future_status::ready);

  std::thread stopper([this] { server_->Stop(); });
  // The idle keep-alive connection is closed at once; new ones are refused.
  EXPECT_TRUE(idle->WaitClosed(5s));
  EXPECT_TRUE(Eventually([&] { return !Client(server_->port()).connected(); }));
  Release();
  auto r = busy->Read();
  stopper.join();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(busy->WaitClosed(5s));
}

// ---------------------------------------------------------------- worker pool

// One event-loop thread only: were the blocking handler run on it, no other
// connection could be answered until it returned.
TEST_F(ServerTest, BlockingHandlerLeavesTheEventLoopFreeForOthers) {
  threads_ = 1;
  StartServer();
  auto slow = Connect();
  ASSERT_TRUE(slow->Send(Get("/api/slow-blocking", "X-Tag: A\r\n")));
  ASSERT_EQ(entered_.get_future().wait_for(5s), std::future_status::ready);

  // While it runs, other connections get their answers (each read gives up
  // after 5 s, far less than the 10 s the slow handler is held).
  for (int i = 0; i < 3; ++i) {
    auto other = Fetch(Get("/api/accounts/" + std::to_string(i)));
    EXPECT_EQ(other.status, 200);
    EXPECT_EQ(other.body, "{\"id\":\"" + std::to_string(i) + "\"}");
  }
  EXPECT_EQ(Fetch(Get("/healthz")).body, "ok");

  Release();
  auto r = slow->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "blocking done A");
  // The connection goes on with keep-alive after a blocking handler.
  auto next = slow->Roundtrip(Get("/api/accounts/me"));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "me");
}

TEST_F(ServerTest, BlockingHandlerExceptionIs500AndServerGoesOn) {
  StartServer();
  HttpResponse r = Fetch(Get("/api/throw-blocking"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_THAT(r.body, Not(HasSubstr("bug")));
  EXPECT_EQ(Fetch(Get("/healthz")).status, 200);
}

TEST_F(ServerTest, GracefulStopWaitsForABlockingHandler) {
  StartServer();
  auto busy = Connect();
  ASSERT_TRUE(busy->Send(Get("/api/slow-blocking", "X-Tag: B\r\n")));
  ASSERT_EQ(entered_.get_future().wait_for(5s), std::future_status::ready);
  std::thread stopper([this] { server_->Stop(); });
  EXPECT_TRUE(Eventually([&] { return !Client(server_->port()).connected(); }));
  Release();
  auto r = busy->Read();
  stopper.join();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "blocking done B");
  EXPECT_EQ(r->Header("Connection"), "close");
}

// ---------------------------------------------------------------- event streams

TEST_F(ServerTest, EventsArriveInOrderAndCloseEndsTheResponse) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send(Get("/api/events", "Accept-Encoding: gzip\r\n")));
  auto header = c->ReadHeader();
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->status, 200);
  EXPECT_EQ(header->Header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(header->Header("Cache-Control"), "no-store");
  EXPECT_EQ(header->Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(header->Header("Connection"), "close");
  EXPECT_FALSE(header->HasHeader("Content-Encoding"));
  EXPECT_FALSE(header->HasHeader("Content-Length"));
  EXPECT_EQ(header->Header("X-Content-Type-Options"), "nosniff");
  auto events = events_.get_future().get();

  // Each event arrives as it is sent, before the next is queued.
  std::string text;
  ASSERT_TRUE(events->Send("progress", R"({"rows":1})"));
  ASSERT_TRUE(c->ReadChunksUntil("\n\n", &text));
  EXPECT_EQ(text, "event: progress\ndata: {\"rows\":1}\n\n");
  text.clear();
  // Sent from another thread, many at once: in order, none lost.
  std::thread producer([events] {
    for (int i = 2; i <= 200; ++i) ASSERT_TRUE(events->Send("progress", std::to_string(i)));
    events->Send("done", "");
    events->Close();
  });
  std::string expected;
  for (int i = 2; i <= 200; ++i) expected += "event: progress\ndata: " + std::to_string(i) + "\n\n";
  expected += "event: done\ndata: \n\n";
  for (;;) {
    auto chunk = c->ReadChunk();
    ASSERT_TRUE(chunk.has_value()) << "after " << text.size() << " bytes";
    if (chunk->empty()) break;  // the last chunk: Close() ended the response
    text += *chunk;
  }
  producer.join();
  EXPECT_EQ(text, expected);
  EXPECT_TRUE(c->WaitClosed(5s));
  EXPECT_FALSE(events->Send("late", "x"));
}

TEST_F(ServerTest, EventsQueuedByTheHandlerAreSentFirst) {
  events_before_ = [](EventStream& e) {
    e.Send("started", "0");
    e.Send("", "no name");
    e.Close();
  };
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send(Get("/api/events")));
  ASSERT_TRUE(c->ReadHeader().has_value());
  std::string text;
  for (;;) {
    auto chunk = c->ReadChunk();
    ASSERT_TRUE(chunk.has_value());
    if (chunk->empty()) break;
    text += *chunk;
  }
  EXPECT_EQ(text, "event: started\ndata: 0\n\ndata: no name\n\n");
}

// Line breaks in the data become data lines, and in the name are dropped: a
// producer passing on user text cannot forge another field or event.
TEST_F(ServerTest, EventLineBreaksCannotForgeFields) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send(Get("/api/events")));
  ASSERT_TRUE(c->ReadHeader().has_value());
  auto events = events_.get_future().get();
  ASSERT_TRUE(events->Send("a\r\nevent: x", "l1\nl2\r\nl3\revent: forged\n\nid: 9"));
  events->Close();
  std::string text;
  EXPECT_FALSE(c->ReadChunksUntil("never", &text));
  EXPECT_EQ(text,
            "event: aevent: x\ndata: l1\ndata: l2\ndata: l3\ndata: event: forged\ndata: \n"
            "data: id: 9\n\n");
}

TEST_F(ServerTest, ClientLeavingMakesSendReturnFalse) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send(Get("/api/events")));
  ASSERT_TRUE(c->ReadHeader().has_value());
  auto events = events_.get_future().get();
  ASSERT_TRUE(events->Send("progress", "1"));
  c->Close();
  // Noticed without any write: the server reads while it streams.
  EXPECT_TRUE(Eventually([&] { return events->gone(); }));
  EXPECT_FALSE(events->Send("progress", "2"));
  EXPECT_TRUE(Eventually([&] { return server_->connection_count() == 0; }));
}

TEST_F(ServerTest, IdleEventStreamSendsHeartbeatComments) {
  heartbeat_ = 100ms;
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send(Get("/api/events")));
  ASSERT_TRUE(c->ReadHeader().has_value());
  auto events = events_.get_future().get();
  EXPECT_EQ(c->ReadChunk(), ":\n\n");
  EXPECT_EQ(c->ReadChunk(), ":\n\n");
  ASSERT_TRUE(events->Send("x", "y"));
  std::string text;
  ASSERT_TRUE(c->ReadChunksUntil("data: y\n\n", &text));
  events->Close();
}

TEST_F(ServerTest, HeadOfEventStreamSendsTheHeaderOnly) {
  StartServer();
  auto c = Connect();
  auto r = c->Roundtrip("HEAD /api/events HTTP/1.1\r\nHost: localhost\r\n\r\n", /*head=*/true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_TRUE(c->WaitClosed(5s));
  EXPECT_FALSE(events_.get_future().get()->Send("x", "y"));
}

TEST_F(ServerTest, EventStreamCountsAsInFlightForGracefulStop) {
  StartServer();
  auto c = Connect();
  ASSERT_TRUE(c->Send(Get("/api/events")));
  ASSERT_TRUE(c->ReadHeader().has_value());
  auto events = events_.get_future().get();
  std::thread stopper([this] { server_->Stop(); });
  EXPECT_TRUE(Eventually([&] { return !Client(server_->port()).connected(); }));
  ASSERT_TRUE(events->Send("last", "1"));
  events->Close();
  std::string text;
  EXPECT_FALSE(c->ReadChunksUntil("never", &text));
  stopper.join();
  EXPECT_EQ(text, "event: last\ndata: 1\n\n");
}

TEST_F(ServerTest, EventStreamOverTls) {
  StartServer(/*tls=*/true);
  auto c = Connect();
  ASSERT_TRUE(c->Send(Get("/api/events")));
  ASSERT_TRUE(c->ReadHeader().has_value());
  auto events = events_.get_future().get();
  ASSERT_TRUE(events->Send("a", "1"));
  std::string text;
  ASSERT_TRUE(c->ReadChunksUntil("\n\n", &text));
  EXPECT_EQ(text, "event: a\ndata: 1\n\n");
  c->Close();
  EXPECT_TRUE(Eventually([&] { return events->gone(); }));
}

// ---------------------------------------------------------------- compression

std::string Gunzip(const std::string& data) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return "<inflateInit2 failed>";
  std::string out;
  char buf[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : "<not gzip>";
}

TEST_F(ServerTest, LargeJsonIsGzippedForClientsThatAcceptIt) {
  StartServer();
  HttpResponse plain = Fetch(Get("/api/big"));
  EXPECT_EQ(plain.status, 200);
  EXPECT_FALSE(plain.HasHeader("Content-Encoding"));
  EXPECT_EQ(plain.Header("Vary"), "Accept-Encoding");
  ASSERT_GT(plain.body.size(), 1024u);

  HttpResponse gz = Fetch(Get("/api/big", "Accept-Encoding: br, gzip;q=0.5\r\n"));
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(gz.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz.Header("Vary"), "Accept-Encoding");
  EXPECT_EQ(gz.Header("Content-Type"), "application/json");
  EXPECT_LT(gz.body.size(), plain.body.size() / 4);
  EXPECT_EQ(Gunzip(gz.body), plain.body);
  // HEAD announces the length of what GET would send.
  auto c = Connect();
  auto head = c->Roundtrip(
      "HEAD /api/big HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n", true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->Header("Content-Length"), std::to_string(gz.body.size()));
}

TEST_F(ServerTest, NoCompressionWhenRefusedSmallOrNotText) {
  StartServer();
  for (const char* refused : {"gzip;q=0", "identity", "br", "gzip;q=0.000", ",,;;q=,gzip ;q=0"}) {
    HttpResponse r = Fetch(Get("/api/big", std::string("Accept-Encoding: ") + refused + "\r\n"));
    EXPECT_FALSE(r.HasHeader("Content-Encoding")) << refused;
    EXPECT_EQ(r.body.front(), '[') << refused;
  }
  HttpResponse small = Fetch(Get("/api/accounts/7", "Accept-Encoding: gzip\r\n"));
  EXPECT_FALSE(small.HasHeader("Content-Encoding"));
  EXPECT_FALSE(small.HasHeader("Vary"));
  HttpResponse binary = Fetch(Get("/api/binary", "Accept-Encoding: gzip\r\n"));
  EXPECT_FALSE(binary.HasHeader("Content-Encoding"));
  EXPECT_EQ(binary.body, std::string(4096, 'x'));
}

TEST_F(ServerTest, CompressedResponseHasItsOwnETag) {
  StartServer();
  HttpResponse plain = Fetch(Get("/api/big", "X-ETag: 1\r\n"));
  HttpResponse gz = Fetch(Get("/api/big", "X-ETag: 1\r\nAccept-Encoding: gzip\r\n"));
  EXPECT_EQ(plain.Header("ETag"), "\"v1\"");
  EXPECT_EQ(gz.Header("ETag"), "\"v1-gz\"");
}

TEST_F(ServerTest, StaticFileWithoutGzVariantIsCompressedOnTheFly) {
  std::string css;
  for (int i = 0; i < 100; ++i) css += ".c" + std::to_string(i) + "{margin:0;padding:0}\n";
  WriteFile(dist_ + "/big.css", css);
  WriteFile(dist_ + "/photo.png", std::string(4096, 'p'));
  StartServer();
  HttpResponse plain = Fetch(Get("/big.css"));
  EXPECT_EQ(plain.body, css);
  EXPECT_EQ(plain.Header("Vary"), "Accept-Encoding");
  HttpResponse gz = Fetch(Get("/big.css", "Accept-Encoding: gzip\r\n"));
  EXPECT_EQ(gz.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(gz.Header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(Gunzip(gz.body), css);
  EXPECT_NE(gz.Header("ETag"), plain.Header("ETag"));
  // Each representation revalidates against its own tag.
  HttpResponse again = Fetch(
      Get("/big.css", "Accept-Encoding: gzip\r\nIf-None-Match: " + gz.Header("ETag") + "\r\n"));
  EXPECT_EQ(again.status, 304);
  HttpResponse png = Fetch(Get("/photo.png", "Accept-Encoding: gzip\r\n"));
  EXPECT_FALSE(png.HasHeader("Content-Encoding"));
  EXPECT_EQ(png.body.size(), 4096u);
}

// ---------------------------------------------------------------- TLS

TEST_F(ServerTest, TlsServesWithHsts) {
  StartServer(/*tls=*/true);
  auto c = Connect();
  ASSERT_TRUE(c->connected());
  auto first = c->Roundtrip(Get("/healthz"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "ok");
  EXPECT_EQ(first->Header("Strict-Transport-Security"), "max-age=63072000; includeSubDomains");
  auto second = c->Roundtrip(Get("/api/none"));  // keep-alive over TLS
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 404);
  EXPECT_TRUE(second->HasHeader("Strict-Transport-Security"));
}

TEST(ServerStartTest, RefusesTlsWithoutKey) {
  caduce::testing::TempDir dir;
  ServerOptions options;
  options.static_dir = "";
  options.listener.tls_certificate_file = dir.File("cert.pem");
  EXPECT_THAT(Server::Start(options, Router()), caduce::testing::StatusIs(Code::kInvalidArgument));
  options.listener.tls_private_key_file = dir.File("key.pem");
  EXPECT_THAT(Server::Start(options, Router()), caduce::testing::StatusIs(Code::kInvalidArgument));
}

// ---------------------------------------------------------------- memory

// The memory an idle keep-alive connection costs the server, measured as the
// heap growth over N connections that each served one request and now wait.
// Kernel socket buffers are not counted.
TEST_F(ServerTest, IdleKeepAliveConnectionIsSmall) {
  StartServer(/*tls=*/false, /*with_log=*/false);
  constexpr int kConnections = 64;
  const std::string request = Get("/healthz");
  auto open_idle = [&](std::vector<int>& fds, int count) {
    for (int i = 0; i < count; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(server_->port());
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
      timeval backstop{5, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &backstop, sizeof backstop);
      ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(request.size()));
      char buf[2048];
      std::size_t got = 0;
      bool done = false;
      while (!done) {
        ssize_t n = ::recv(fd, buf + got, sizeof buf - got, 0);
        ASSERT_GT(n, 0);
        got += static_cast<std::size_t>(n);
        done = std::string_view(buf, got).ends_with("\r\n\r\nok");
      }
      fds.push_back(fd);
    }
  };
  std::vector<int> fds;
  fds.reserve(2 * kConnections + 2);
  open_idle(fds, 1);  // warm-up: first-use allocations of the server
  ASSERT_TRUE(Eventually([&] { return server_->idle_connection_count() == 1; }));
  const std::size_t before = HeapInUse();
  open_idle(fds, kConnections);
  ASSERT_TRUE(Eventually([&] {
    return server_->idle_connection_count() == static_cast<std::size_t>(kConnections + 1);
  }));
  const std::size_t after = HeapInUse();
  const double per_connection =
      (static_cast<double>(after) - static_cast<double>(before)) / kConnections;
  std::printf("heap per idle keep-alive connection: %.0f bytes\n", per_connection);
  RecordProperty("bytes_per_idle_connection", static_cast<int>(per_connection));
  EXPECT_LT(per_connection, 16 * 1024);
  for (int fd : fds) ::close(fd);
}

// ---------------------------------------------------------------- tables

TEST(StatusMapTest, OneTableFromCodeToHttpStatus) {
  EXPECT_EQ(HttpStatusFor(Code::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(Code::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(Code::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(Code::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(Code::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(Code::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(Code::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(Code::kResourceExhausted, ExhaustedAs::kContentTooLarge), 413);
  EXPECT_EQ(HttpStatusFor(Code::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(Code::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(Code::kDataLoss), 500);
  EXPECT_EQ(HttpStatusFor(Code::kAborted), 500);
}

TEST(StatusMapTest, InternalMessagesStayOffTheWire) {
  Response r = ProblemFromStatus(InternalError("sqlite: disk I/O error at /var/lib"));
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, Not(HasSubstr("sqlite")));
  Response bad = ProblemFromStatus(InvalidArgumentError("adresse invalide"));
  EXPECT_EQ(bad.status, 400);
  boost::json::value v = boost::json::parse(bad.body);
  EXPECT_EQ(v.at("detail").as_string(), "adresse invalide");
  EXPECT_EQ(v.at("title").as_string(), "Requête invalide");
}

TEST(RouterTest, RefusesDuplicateAndMalformedPatterns) {
  Router router;
  auto h = [](const Request&, const RouteParams&) { return Response(); };
  EXPECT_OK(router.Add("GET", "/api/a/{id}", h));
  EXPECT_THAT(router.Add("GET", "/api/a/{id}", h),
              caduce::testing::StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(router.Add("GET", "api", h), caduce::testing::StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(router.Add("GET", "/api/x{id}", h),
              caduce::testing::StatusIs(Code::kInvalidArgument));
  RouteMatch m = router.Find("HEAD", {"api", "a", "7"});
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(m.params.Get("id"), "7");
  EXPECT_EQ(router.Find("GET", {"api", "a", ""}).kind, RouteMatch::Kind::kNotFound);
}

}  // namespace
}  // namespace caduce::http
