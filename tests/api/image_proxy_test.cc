// GET /api/mail/image (api/image_proxy.cc over fetch/remote_image.h) over real
// HTTP on loopback, against a real SQLite file for the sessions and a real web
// server for the remote side (tests/api/image_origin.py, Python's http.server):
// a PNG served with the proxy's own headers and nothing of the reader sent out;
// SVG and HTML refused whatever their Content-Type; 6 MiB refused, announced or
// streamed; a slow origin timed out; redirects followed up to three; and, with
// the address guard on (the default), loopback, private, link-local and metadata
// addresses refused, by number, by name and behind a redirect; other schemes,
// credentials and ports refused; no session, a turned-off proxy, the rate limit.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "fetch/remote_image.h"
#include "http/router.h"
#include "http/server.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "testing/account_drafts.h"
#include "testing/http_roundtrip.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

extern char** environ;

namespace caduce::api {
namespace {

using directory::Account;
using ::caduce::testing::CookieOf;
using ::caduce::testing::HttpResponse;
using ::caduce::testing::Roundtrip;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "Le chat boit du thé à 7h";

uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool Accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// encodeURIComponent, as the web page calls the route.
std::string Encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// tests/api/image_origin.py as a child process.
class ImageOrigin {
 public:
  ImageOrigin() : port_(FreePort()) {}
  ~ImageOrigin() { Stop(); }
  void Start() {
    std::vector<std::string> args = {"/usr/bin/python3", std::string(CADUCE_API_TEST_DIR) +
                                                             "/image_origin.py",
                                     "--port", std::to_string(port_)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    for (int i = 0; i < 200 && !Accepts(port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_TRUE(Accepts(port_)) << "the test web server did not start";
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = 0;
  }
  uint16_t port() const { return port_; }
  std::string Origin() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Url(const std::string& path) const { return "http://" + Origin() + path; }
  // What the last request (other than this one) carried.
  boost::json::object LastHeaders() const {
    std::optional<HttpResponse> r = Roundtrip(
        port_, "GET /last-headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if (!r || !r->Json().is_object()) return {};
    return r->Json().as_object();
  }

 private:
  uint16_t port_;
  pid_t pid_ = 0;
};

class ImageProxyTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  ImageProxyTest() {
    toulouse_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    nurse_ = ActivePerson("infirmiere@chu-toulouse.fr");
    doctor_ = ActivePerson("medecin@chu-toulouse.fr");
    origin_.Start();
  }
  ~ImageProxyTest() override {
    if (server_) server_->Stop();
  }

  Account ActivePerson(const std::string& address) {
    Account a =
        CreateAccount(caduce::testing::PersonDraft("MED", address, "Dupont", "Marie"), toulouse_);
    if (a.id == 0) return Account{};
    Activate(a, kPassword);
    return a;
  }

  // Starts caduce's HTTP server with the /api routes and this fetcher (null: the
  // proxy is turned off).
  void Serve(std::unique_ptr<fetch::RemoteImageFetcher> fetcher, int per_minute = 300) {
    if (server_) server_->Stop();
    server_.reset();
    fetcher_ = std::move(fetcher);
    http::Router router;
    ApiOptions api_options;
    api_options.images = fetcher_.get();
    api_options.images_per_minute = per_minute;
    ASSERT_OK(AddApiRoutes(router, *auth_, api_options));
    http::ServerOptions server_options;
    server_options.static_dir = "";
    server_options.worker_threads = 2;
    auto server = http::Server::Start(server_options, std::move(router));
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }
  // The proxy as in production, except for the one test origin below.
  void ServeGuarded(int per_minute = 300) {
    fetch::RemoteImageOptions o;
    o.timeout = std::chrono::milliseconds(1500);
    o.test_origin = origin_.Origin();
    Serve(std::make_unique<fetch::RemoteImageFetcher>(o), per_minute);
  }
  // remote_images_allow_private = on.
  void ServeAllowPrivate() {
    fetch::RemoteImageOptions o;
    o.timeout = std::chrono::milliseconds(1500);  // the origin's /slow.png waits 3 s
    o.allow_private = true;
    Serve(std::make_unique<fetch::RemoteImageFetcher>(o));
  }

  HttpResponse Send(const std::string& target, const std::string& extra_headers) {
    std::string req = "GET " + target +
                      " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: Mozilla/5.0 (reader)\r\n"
                      "Referer: http://localhost/mail/inbox/42\r\nConnection: close\r\n" +
                      extra_headers + "\r\n";
    std::optional<HttpResponse> r = Roundtrip(server_->port(), req);
    EXPECT_TRUE(r.has_value()) << target;
    return r.value_or(HttpResponse{});
  }
  // The session cookie header of a new sign-in.
  std::string SignedIn(const Account& a) {
    boost::json::object o{{"address", a.address()}, {"password", kPassword}};
    std::string body = boost::json::serialize(o);
    std::optional<HttpResponse> r = Roundtrip(
        server_->port(), "POST /api/session HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                         "Content-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_TRUE(r.has_value());
    if (!r) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    return Cookie(CookieOf(r->SetCookie("caduce_session")));
  }
  static std::string Cookie(const std::string& session) {
    return "Cookie: caduce_session=" + session + "\r\n";
  }
  HttpResponse Image(const std::string& url, const std::string& cookie) {
    return Send("/api/mail/image?url=" + Encode(url), cookie);
  }
  static std::string Detail(const HttpResponse& r) {
    boost::json::value v = r.Json();
    return v.is_object() && v.as_object().contains("detail")
               ? std::string(v.at("detail").as_string())
               : std::string();
  }

  int64_t toulouse_ = 0;
  Account nurse_, doctor_;
  ImageOrigin origin_;
  std::unique_ptr<fetch::RemoteImageFetcher> fetcher_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(ImageProxyTest, APngIsServedWithTheProxysHeadersAndNothingOfTheReaderLeaves) {
  ServeAllowPrivate();
  std::string cookie = SignedIn(nurse_);
  HttpResponse r = Image(origin_.Url("/pixel.png"), cookie);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_EQ(r.Header("Content-Type"), "image/png");
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.Header("Content-Security-Policy"), "default-src 'none'; sandbox");
  EXPECT_EQ(r.Header("Cache-Control"), "private, max-age=86400");
  // The origin's cookie does not come back to the reader.
  EXPECT_EQ(r.SetCookie("tracker"), "");
  // What the origin saw: caduce, not the reader.
  boost::json::object seen = origin_.LastHeaders();
  ASSERT_TRUE(seen.contains("user-agent")) << boost::json::serialize(seen);
  EXPECT_EQ(seen.at("user-agent").as_string(), "caduce-image-proxy");
  EXPECT_FALSE(seen.contains("cookie"));
  EXPECT_FALSE(seen.contains("referer"));
  EXPECT_FALSE(seen.contains("authorization"));
  EXPECT_FALSE(seen.contains("x-forwarded-for"));
  EXPECT_EQ(seen.at("path").as_string(), "/pixel.png");

  // The type comes from the bytes, not from what the origin claims.
  HttpResponse lying = Image(origin_.Url("/pixel-as-text"), cookie);
  ASSERT_EQ(lying.status, 200) << lying.body;
  EXPECT_EQ(lying.Header("Content-Type"), "image/png");
}

TEST_F(ImageProxyTest, SvgAndHtmlAreNotImages) {
  ServeAllowPrivate();
  std::string cookie = SignedIn(nurse_);
  for (const char* path : {"/logo.svg", "/page.html", "/page-as-png"}) {
    HttpResponse r = Image(origin_.Url(path), cookie);
    EXPECT_EQ(r.status, 415) << path << " " << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "application/problem+json") << path;
    EXPECT_THAT(Detail(r), HasSubstr("n'est pas une image")) << path;
    EXPECT_THAT(r.body, Not(HasSubstr("<script>"))) << path;
  }
}

TEST_F(ImageProxyTest, MoreThanFiveMebibytesIsRefused) {
  ServeAllowPrivate();
  std::string cookie = SignedIn(nurse_);
  for (const char* path : {"/big.png", "/big-stream.png"}) {
    HttpResponse r = Image(origin_.Url(path), cookie);
    EXPECT_EQ(r.status, 413) << path << " " << r.body;
    EXPECT_THAT(Detail(r), HasSubstr("5 Mio")) << path;
  }
}

TEST_F(ImageProxyTest, ASlowOriginTimesOut) {
  ServeAllowPrivate();
  std::string cookie = SignedIn(nurse_);
  HttpResponse r = Image(origin_.Url("/slow.png"), cookie);
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_THAT(Detail(r), HasSubstr("n'a pas répondu"));
}

TEST_F(ImageProxyTest, RedirectsAreFollowedUpToThree) {
  ServeAllowPrivate();
  std::string cookie = SignedIn(nurse_);
  HttpResponse three = Image(origin_.Url("/chain?n=2"), cookie);  // 3 redirects
  EXPECT_EQ(three.status, 200) << three.body;
  HttpResponse four = Image(origin_.Url("/chain?n=3"), cookie);
  EXPECT_EQ(four.status, 502) << four.body;
  EXPECT_THAT(Detail(four), HasSubstr("redirections"));
  HttpResponse to_ftp = Image(origin_.Url("/redirect?to=" + Encode("ftp://127.0.0.1/a.png")),
                              cookie);
  EXPECT_EQ(to_ftp.status, 502) << to_ftp.body;
}

TEST_F(ImageProxyTest, AFailedFetchIsABadGateway) {
  ServeAllowPrivate();
  std::string cookie = SignedIn(nurse_);
  HttpResponse missing = Image(origin_.Url("/missing.png"), cookie);
  EXPECT_EQ(missing.status, 502) << missing.body;
  EXPECT_THAT(Detail(missing), HasSubstr("404"));
  HttpResponse closed = Image("http://127.0.0.1:" + std::to_string(FreePort()) + "/a.png", cookie);
  EXPECT_EQ(closed.status, 502) << closed.body;
}

TEST_F(ImageProxyTest, InsideAddressesAreRefusedByNumberByNameAndBehindARedirect) {
  ServeGuarded();
  std::string cookie = SignedIn(nurse_);
  // The one test origin is reachable: the guard below is not a closed door.
  ASSERT_EQ(Image(origin_.Url("/pixel.png"), cookie).status, 200);
  for (const std::string& url : std::vector<std::string>{
           "http://127.0.0.1/pixel.png", "http://[::1]/pixel.png", "http://10.0.0.1/pixel.png",
        "http://169.254.169.254/latest/meta-data/iam/", "http://[::ffff:127.0.0.1]/pixel.png",
        "http://localhost/pixel.png", "http://2130706433/pixel.png", "http://0.0.0.0/pixel.png",
        "http://192.168.1.1/pixel.png", "http://100.64.0.1/pixel.png", "http://[fd00::1]/a.png",
        "https://example.org:25/pixel.png", "http://localhost:" + std::to_string(origin_.port()) +
                                                "/pixel.png"}) {
    HttpResponse r = Image(url, cookie);
    EXPECT_EQ(r.status, 403) << url << " " << r.body;
    EXPECT_THAT(Detail(r), HasSubstr("Image refusée")) << url;
  }
  // A redirect from the allowed origin to inside addresses: each hop is checked.
  for (const std::string& to : std::vector<std::string>{
           "http://127.0.0.1/pixel.png", "http://[::1]/pixel.png", "http://10.0.0.1/pixel.png",
        "http://169.254.169.254/latest/meta-data/", "http://localhost/pixel.png",
        "http://127.0.0.1:" + std::to_string(origin_.port() == 65535 ? 1 : origin_.port() + 1) +
            "/pixel.png"}) {
    HttpResponse r = Image(origin_.Url("/redirect?to=" + Encode(to)), cookie);
    EXPECT_EQ(r.status, 403) << to << " " << r.body;
  }
}

TEST_F(ImageProxyTest, OnlyHttpAndHttpsUrlsWithoutCredentials) {
  ServeGuarded();
  std::string cookie = SignedIn(nurse_);
  for (const char* url :
       {"file:///etc/passwd", "gopher://127.0.0.1:25/_HELO", "ftp://example.org/a.png",
        "dict://127.0.0.1:11211/stat", "data:image/png;base64,iVBORw0KGgo=",
        "javascript:alert(1)", "/api/me", "https://user:secret@example.org/a.png",
        "https://example.org/a b.png"}) {
    HttpResponse r = Image(url, cookie);
    EXPECT_EQ(r.status, 400) << url << " " << r.body;
    EXPECT_THAT(Detail(r), HasSubstr("paramètre url")) << url;
  }
  EXPECT_EQ(Send("/api/mail/image", cookie).status, 400);
  EXPECT_EQ(Send("/api/mail/image?url=", cookie).status, 400);
  EXPECT_EQ(Send("/api/mail/image?url=%zz", cookie).status, 400);
  EXPECT_EQ(Send("/api/mail/image?url=" + Encode(std::string(3000, 'a')), cookie).status, 400);
}

TEST_F(ImageProxyTest, OnlyASignedInPersonMayAsk) {
  ServeAllowPrivate();
  std::string url = "/api/mail/image?url=" + Encode(origin_.Url("/pixel.png"));
  HttpResponse none = Send(url, "");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_EQ(Send(url, "Cookie: caduce_session=not-a-session\r\n").status, 401);
  EXPECT_EQ(Send(url, "Authorization: Bearer cdc_pat_x\r\n").status, 401);
  // Nothing was fetched for them.
  EXPECT_FALSE(origin_.LastHeaders().contains("path"));
  // Signed out: refused again.
  std::string cookie = SignedIn(nurse_);
  EXPECT_EQ(Send(url, cookie).status, 200);
  std::string session = cookie.substr(cookie.find('=') + 1);
  session.resize(session.size() - 2);  // "\r\n"
  std::optional<HttpResponse> out = Roundtrip(
      server_->port(), "DELETE /api/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                           cookie + "X-CSRF-Token: " + CsrfTokenFor(session) + "\r\n\r\n");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->status, 204) << out->body;
  EXPECT_EQ(Send(url, cookie).status, 401);
}

TEST_F(ImageProxyTest, EachPersonHasARateLimit) {
  ServeGuarded(/*per_minute=*/3);
  std::string nurse = SignedIn(nurse_);
  std::string doctor = SignedIn(doctor_);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Image(origin_.Url("/pixel.png"), nurse).status, 200);
  HttpResponse r = Image(origin_.Url("/pixel.png"), nurse);
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_FALSE(r.Header("Retry-After").empty());
  EXPECT_GE(std::stoi(r.Header("Retry-After")), 1);
  EXPECT_LE(std::stoi(r.Header("Retry-After")), 61);
  EXPECT_EQ(Image(origin_.Url("/pixel.png"), doctor).status, 200);
}

TEST_F(ImageProxyTest, SlowImageServersCannotHoldEveryWorker) {
  fetch::RemoteImageOptions o;
  o.timeout = std::chrono::milliseconds(1500);
  o.allow_private = true;
  o.max_concurrent_fetches = 1;
  Serve(std::make_unique<fetch::RemoteImageFetcher>(o));
  std::string cookie = SignedIn(nurse_);
  std::thread slow([&] { Image(origin_.Url("/slow.png"), cookie); });
  // The slow fetch is running (the origin saw it) when the next one asks.
  for (int i = 0; i < 100; ++i) {
    boost::json::object seen = origin_.LastHeaders();
    if (seen.contains("path") && seen.at("path").as_string() == "/slow.png") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  HttpResponse busy = Image(origin_.Url("/pixel.png"), cookie);
  slow.join();
  EXPECT_EQ(busy.status, 503) << busy.body;
  EXPECT_EQ(busy.Header("Retry-After"), "1");
  EXPECT_THAT(Detail(busy), HasSubstr("réessayez"));
  EXPECT_EQ(Image(origin_.Url("/pixel.png"), cookie).status, 200);
}

TEST_F(ImageProxyTest, ACachedImageIsServedWithoutAskingAgain) {
  ServeGuarded();
  std::string cookie = SignedIn(nurse_);
  ASSERT_EQ(Image(origin_.Url("/pixel.png?v=1"), cookie).status, 200);
  origin_.Stop();
  HttpResponse again = Image(origin_.Url("/pixel.png?v=1#top"), cookie);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Header("Content-Type"), "image/png");
  EXPECT_EQ(Image(origin_.Url("/pixel.png?v=2"), cookie).status, 502);
}

// The cache serves every reader: what the origin forbids a shared cache to keep
// is asked again each time (here: the origin is gone, so the second ask fails).
TEST_F(ImageProxyTest, AnImageTheOriginForbidsToKeepIsNotCached) {
  ServeGuarded();
  std::string cookie = SignedIn(nurse_);
  for (const char* path : {"/no-store.png", "/private.png", "/expired.png", "/cacheable.png"}) {
    ASSERT_EQ(Image(origin_.Url(path), cookie).status, 200) << path;
  }
  origin_.Stop();
  for (const char* path : {"/no-store.png", "/private.png", "/expired.png"}) {
    EXPECT_EQ(Image(origin_.Url(path), cookie).status, 502) << path;
  }
  HttpResponse kept = Image(origin_.Url("/cacheable.png"), cookie);
  EXPECT_EQ(kept.status, 200) << kept.body;
  EXPECT_EQ(kept.Header("Content-Type"), "image/png");
}

TEST_F(ImageProxyTest, TurnedOffTheImagesStayBlocked) {
  Serve(nullptr);
  std::string cookie = SignedIn(nurse_);
  HttpResponse r = Image(origin_.Url("/pixel.png"), cookie);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_THAT(Detail(r), HasSubstr("désactivé"));
  EXPECT_EQ(Send("/api/mail/image?url=x", "").status, 401);
  // The web mail learns it from GET /api/me and offers no « Afficher les images ».
  HttpResponse me = Send("/api/me", cookie);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json().at("remote_images"), boost::json::value(false));
}

TEST_F(ImageProxyTest, TurnedOnTheWebMailMayOfferTheImages) {
  ServeGuarded();
  HttpResponse me = Send("/api/me", SignedIn(nurse_));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json().at("remote_images"), boost::json::value(true));
}

}  // namespace
}  // namespace caduce::api
