// The password endpoints over real HTTP on loopback (api/password.cc): an
// http::Server with the /api routes over a SQLite file, notify's delivery worker
// sending to a real SMTP server (tests/notify/smtp_sink.py, python3-aiosmtpd). The
// mails are read as a mail client shows them, their links followed through the
// API, and the person signs in with the password it chose.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <strings.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "http/router.h"
#include "http/server.h"
#include "notify/notify_service.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/notify_repo.h"
#include "testing/account_drafts.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"
#include "tests/notify/smtp_sink.h"

namespace caduce::api {
namespace {

using namespace std::chrono_literals;
using ::caduce::testing::ParsedMail;
using ::testing::HasSubstr;
using SteadyClock = std::chrono::steady_clock;

constexpr char kPassword[] = "Le chat boit du thé à 7h";

struct HttpResponse {
  int status = 0;
  std::string headers;
  std::string body;
  boost::json::value Json() const {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    return ec ? boost::json::value() : v;
  }
  std::string Detail() const {
    boost::json::value v = Json();
    const boost::json::object* o = v.if_object();
    const boost::json::value* d = o ? o->if_contains("detail") : nullptr;
    return d && d->is_string() ? std::string(d->as_string()) : "";
  }
};

// One request on a new connection (Connection: close), read to EOF (5 s at most).
HttpResponse Roundtrip(uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  HttpResponse r;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return r;
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string in;
  const auto deadline = SteadyClock::now() + 5s;
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos || in.size() < 12) return r;
  r.status = std::stoi(in.substr(9, 3));
  r.headers = in.substr(0, end);
  r.body = in.substr(end + 4);
  return r;
}

class PasswordApiTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  PasswordApiTest() : sink_(dir_.File("received"), caduce::testing::FreePort()) {
    structure_id_ = MakeStructure("CHU de Démonstration");

    sink_.Start();
    notify::MailerOptions m;
    m.smtp_url = sink_.url();
    m.connect_timeout_seconds = 2;
    mailer_ = std::move(*notify::MakeMailer(m));
    notify::NotifyOptions n;
    n.public_url = "https://messagerie.exemple.fr";
    n.mail_from = "ne-pas-repondre@exemple.fr";
    auto service = notify::NotifyService::Create(*db_, notify_repo_, auth_repo_, dir_repo_,
                                                 *audit_, *auth_, *mailer_, clock_, n);
    EXPECT_TRUE(service.ok()) << service.status().ToString();
    notify_ = std::move(*service);
    notify_->Start();

    http::Router router;
    ApiOptions options;
    options.notify = notify_.get();
    EXPECT_OK(AddApiRoutes(router, *auth_, options));
    http::ServerOptions server_options;
    server_options.static_dir = "";
    auto server = http::Server::Start(server_options, std::move(router));
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }
  ~PasswordApiTest() override {
    server_->Stop();
    notify_->Stop();
  }

  directory::Account Person(const std::string& address, const std::string& nom,
                            const std::string& prenom) {
    return CreateAccount(caduce::testing::PersonDraft("PER", address, nom, prenom), structure_id_);
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::string& type = "application/json") {
    std::string req = method + " " + target +
                      " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: password-test\r\n"
                      "Connection: close\r\n";
    if (method == "POST") {
      req += "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    return Roundtrip(server_->port(), req + "\r\n" + body);
  }
  HttpResponse Post(const std::string& target, const boost::json::object& o) {
    return Send("POST", target, boost::json::serialize(o));
  }
  HttpResponse SignIn(const std::string& address, const std::string& password) {
    return Post("/api/session", {{"address", address}, {"password", password}});
  }

  // Waits for the n-th mail (the worker sends it) and reads it.
  ParsedMail WaitMail(size_t n) {
    for (int i = 0; i < 400 && sink_.Mails().size() < n; ++i) std::this_thread::sleep_for(25ms);
    std::vector<std::string> mails = sink_.Mails();
    EXPECT_GE(mails.size(), n) << "no mail came";
    return mails.size() >= n ? caduce::testing::Parse(mails[n - 1]) : ParsedMail{};
  }

  caduce::testing::SmtpSink sink_;
  store_sqlite::SqliteNotifyRepository notify_repo_;
  std::unique_ptr<notify::Mailer> mailer_;
  std::unique_ptr<notify::NotifyService> notify_;
  std::unique_ptr<http::Server> server_;
  int64_t structure_id_ = 0;
};

TEST_F(PasswordApiTest, ActivationMailLinkFollowedThenSignIn) {
  directory::Account a = Person("helene.leger@chu-demo.fr", "Léger", "Hélène");
  // What account creation with "notify" (and the administrators' resend) calls.
  ASSERT_OK(notify_->QueueActivation(a.id));
  ParsedMail mail = WaitMail(1);
  EXPECT_EQ(mail.S("subject"), "Activez votre compte de messagerie sécurisée de santé");
  EXPECT_EQ(mail.S("to_name"), "Hélène LÉGER");
  std::string token = mail.Token("https://messagerie.exemple.fr/#/activation/");
  ASSERT_EQ(token.size(), 43u);

  // Before: the account cannot sign in (pending).
  EXPECT_EQ(SignIn("helene.leger@chu-demo.fr", kPassword).status, 409);

  HttpResponse info = Send("GET", "/api/password/token?token=" + token);
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_EQ(info.Json().at("purpose").as_string(), "activation");
  EXPECT_EQ(info.Json().at("address").as_string(), "helene.leger@chu-demo.fr");
  EXPECT_THAT(info.headers, HasSubstr("Cache-Control: no-store"));

  HttpResponse weak = Post("/api/activation", {{"token", token}, {"password", "helene2026"}});
  EXPECT_EQ(weak.status, 422);
  EXPECT_THAT(weak.Detail(), HasSubstr("12"));
  HttpResponse wrong_page = Post("/api/password/reset", {{"token", token}, {"password", kPassword}});
  EXPECT_EQ(wrong_page.status, 400);

  HttpResponse set = Post("/api/activation", {{"token", token}, {"password", kPassword}});
  ASSERT_EQ(set.status, 204) << set.body;
  EXPECT_EQ(SignIn("helene.leger@chu-demo.fr", kPassword).status, 200);

  // Single use.
  HttpResponse again =
      Post("/api/activation", {{"token", token}, {"password", "Encore un autre mot 2026"}});
  EXPECT_EQ(again.status, 400);
  EXPECT_THAT(again.Detail(), HasSubstr("Ce lien n'est pas valide, a déjà servi ou a expiré"));
  EXPECT_EQ(Send("GET", "/api/password/token?token=" + token).status, 404);
}

TEST_F(PasswordApiTest, ForgotAnswersTheSameForKnownAndUnknownAddresses) {
  Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  HttpResponse known = Post("/api/password/forgot", {{"address", "jean.dupont@chu-demo.fr"}});
  HttpResponse unknown = Post("/api/password/forgot", {{"address", "personne@chu-demo.fr"}});
  EXPECT_EQ(known.status, 202);
  EXPECT_EQ(unknown.status, 202);
  EXPECT_EQ(known.body, unknown.body);
  EXPECT_THAT(known.body, HasSubstr("Si cette adresse correspond à un compte"));

  ParsedMail mail = WaitMail(1);
  EXPECT_EQ(mail.S("subject"), "Réinitialisation de votre mot de passe");
  EXPECT_EQ(mail.S("to_addr"), "jean.dupont@chu-demo.fr");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(sink_.Mails().size(), 1u);  // nothing for the unknown address

  std::string token = mail.Token("/#/reinitialisation/");
  HttpResponse info = Send("GET", "/api/password/token?token=" + token);
  EXPECT_EQ(info.Json().at("purpose").as_string(), "reset");
  HttpResponse set = Post("/api/password/reset", {{"token", token}, {"password", kPassword}});
  ASSERT_EQ(set.status, 204) << set.body;
  EXPECT_EQ(SignIn("jean.dupont@chu-demo.fr", kPassword).status, 200);
}

TEST_F(PasswordApiTest, ExpiredLinkIsRefusedWithAClearMessage) {
  Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_EQ(Post("/api/password/forgot", {{"address", "jean.dupont@chu-demo.fr"}}).status, 202);
  std::string token = WaitMail(1).Token("/#/reinitialisation/");
  clock_.AdvanceSeconds(3601);
  EXPECT_EQ(Send("GET", "/api/password/token?token=" + token).status, 404);
  HttpResponse r = Post("/api/password/reset", {{"token", token}, {"password", kPassword}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.Detail(), HasSubstr("a expiré"));
}

TEST_F(PasswordApiTest, HostileInputsGetClearRefusals) {
  EXPECT_EQ(Send("GET", "/api/password/token?token=").status, 404);
  EXPECT_EQ(Send("GET", "/api/password/token?token=%00%0d%0a").status, 404);
  EXPECT_EQ(Send("GET", "/api/password/token?token=" + std::string(43, 'A')).status, 404);
  EXPECT_EQ(Send("GET", "/api/password/token?token=" + std::string(5000, 'A')).status, 404);
  EXPECT_EQ(Send("POST", "/api/password/forgot", "{\"address\":", "application/json").status, 400);
  EXPECT_EQ(Send("POST", "/api/password/forgot", "address=x", "application/x-www-form-urlencoded")
                .status,
            415);
  EXPECT_EQ(Post("/api/password/forgot", {{"address", 42}}).status, 400);
  EXPECT_EQ(Post("/api/password/forgot", {{"address", std::string(300, 'a')}}).status, 400);
  EXPECT_EQ(Post("/api/password/forgot", {{"address", "a@b.fr\r\nBcc: x@y.fr"}}).status, 202);
  HttpResponse r = Post("/api/activation", {{"token", "x"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.Detail(), HasSubstr("password"));
  EXPECT_EQ(Post("/api/activation", {{"token", "'; DROP TABLE tokens; --"}, {"password", kPassword}})
                .status,
            400);
  EXPECT_EQ(Send("POST", "/api/password/forgot", std::string(20000, ' '), "application/json").status,
            413);
  EXPECT_TRUE(sink_.Mails().empty());
}

}  // namespace
}  // namespace caduce::api
