// The sign-in API over real HTTP on loopback: an http::Server in the test process
// with the /api routes of api/, over a real SQLite file; accounts are created with
// DirectoryService and passwords set through activation links (minimal argon2
// cost). Clients are plain POSIX sockets, one connection per request.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/api.h"
#include "http/router.h"
#include "http/server.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "testing/account_drafts.h"
#include "testing/http_roundtrip.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

namespace caduce::api {
namespace {

using namespace std::chrono_literals;
using directory::Account;
using directory::AccountDraft;
using ::testing::HasSubstr;
using ::testing::Not;
using F = ::caduce::directory::Field;
using SteadyClock = std::chrono::steady_clock;

constexpr char kPassword[] = "Le chat boit du thé à 7h";

using ::caduce::testing::CookieOf;
using ::caduce::testing::HttpResponse;
using ::caduce::testing::Roundtrip;

class ApiTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  ApiTest() {
    structure_id_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");

    http::Router router;
    EXPECT_OK(AddApiRoutes(router, *auth_));
    http::ServerOptions server_options;
    server_options.static_dir = "";
    auto server = http::Server::Start(server_options, std::move(router));
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (server.ok()) server_ = std::move(*server);
  }
  ~ApiTest() override {
    if (server_) server_->Stop();
  }

  Account Create(const AccountDraft& d) {
    std::vector<directory::Finding> findings;
    auto r =
        directory_->CreateAccount(op_, structure_id_, d, directory::CreateOptions{}, &findings);
    std::string why;
    for (const auto& f : findings) why += "[" + f.code + ": " + f.message + "] ";
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " " << why;
    return r.ok() ? *r : Account{};
  }

  Account ActivePerson(const std::string& address) {
    Account a = PendingPerson(address);
    auto token = auth_->IssueActivation(a.id);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    if (token.ok()) {
      EXPECT_OK(auth_->SetPassword(*token, kPassword, "192.0.2.1", "test"));
    }
    return a;
  }

  Account PendingPerson(const std::string& address) {
    return Create(caduce::testing::PersonDraft("MED", address));
  }

  Account Shared(const std::string& type, const std::string& address,
                 const std::string& description, const std::string& connection_accounts) {
    return Create(caduce::testing::SharedDraft(type, address, connection_accounts, description));
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& extra_headers = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                      "User-Agent: api-test\r\nConnection: close\r\n" + extra_headers;
    if (!body.empty() || method == "POST") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    std::optional<HttpResponse> r = Roundtrip(server_->port(), req);
    EXPECT_TRUE(r.has_value()) << method << " " << target;
    return r.value_or(HttpResponse{});
  }

  HttpResponse SignIn(const std::string& address, const std::string& password) {
    boost::json::object o{{"address", address}, {"password", password}};
    return Send("POST", "/api/session", boost::json::serialize(o));
  }

  // The session and CSRF cookies of a successful sign-in.
  struct Signed {
    std::string session;
    std::string csrf;
    std::string Cookies() const {
      return "Cookie: caduce_session=" + session + "; caduce_csrf=" + csrf + "\r\n";
    }
    std::string CookiesAndCsrf() const { return Cookies() + "X-CSRF-Token: " + csrf + "\r\n"; }
  };
  Signed SignedIn(const std::string& address) {
    HttpResponse r = SignIn(address, kPassword);
    EXPECT_EQ(r.status, 200) << r.body;
    return Signed{CookieOf(r.SetCookie("caduce_session")), CookieOf(r.SetCookie("caduce_csrf"))};
  }

  int64_t structure_id_ = 0;
  std::unique_ptr<http::Server> server_;
};

TEST_F(ApiTest, SignInSetsHttpOnlyStrictCookiesAndReturnsThePersonAndCsrf) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  HttpResponse r = SignIn("marie.dupont@chu-toulouse.fr", kPassword);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string session = r.SetCookie("caduce_session");
  EXPECT_THAT(session, HasSubstr("; HttpOnly"));
  EXPECT_THAT(session, HasSubstr("; SameSite=Strict"));
  EXPECT_THAT(session, HasSubstr("; Path=/"));
  EXPECT_THAT(session, Not(HasSubstr("Secure")));  // plain HTTP here
  std::string csrf = r.SetCookie("caduce_csrf");
  EXPECT_THAT(csrf, Not(HasSubstr("HttpOnly")));
  EXPECT_THAT(csrf, HasSubstr("; SameSite=Strict"));
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  boost::json::value body = r.Json();
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body.at("person").at("address").as_string(), "marie.dupont@chu-toulouse.fr");
  EXPECT_EQ(body.at("person").at("id").as_int64(), marie.id);
  EXPECT_EQ(body.at("mailbox").at("id").as_int64(), marie.id);
  EXPECT_EQ(body.at("csrf_token").as_string(), CookieOf(csrf));
  EXPECT_EQ(CookieOf(csrf), CsrfTokenFor(CookieOf(session)));
  // The session token is in the cookie only.
  EXPECT_THAT(r.body, Not(HasSubstr(CookieOf(session))));
}

TEST_F(ApiTest, OrgAddressIsRefusedWithTheExplanation) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  Shared("ORG", "cardio@chu-toulouse.fr", "Secrétariat de cardiologie", marie.address());
  HttpResponse r = SignIn("cardio@chu-toulouse.fr", kPassword);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.Json().at("detail").as_string(), auth::SignInService::kSharedMailboxMessage);
  EXPECT_EQ(r.SetCookie("caduce_session"), "");
}

TEST_F(ApiTest, WrongPasswordAndUnknownAddressGetTheSameAnswer) {
  ActivePerson("marie.dupont@chu-toulouse.fr");
  HttpResponse wrong = SignIn("marie.dupont@chu-toulouse.fr", "pas le bon mot de passe");
  HttpResponse unknown = SignIn("personne@chu-toulouse.fr", kPassword);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_EQ(wrong.Json().at("detail").as_string(), auth::SignInService::kBadCredentialsMessage);
}

TEST_F(ApiTest, PendingAccountIsToldApartOnlyAsAConflict) {
  PendingPerson("marie.dupont@chu-toulouse.fr");
  HttpResponse r = SignIn("marie.dupont@chu-toulouse.fr", kPassword);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.SetCookie("caduce_session"), "");
}

TEST_F(ApiTest, RepeatedFailuresAnswerTooManyRequestsWithRetryAfter) {
  ActivePerson("marie.dupont@chu-toulouse.fr");
  HttpResponse r;
  for (int i = 0; i < 6 && r.status != 429; ++i) {
    r = SignIn("marie.dupont@chu-toulouse.fr", "pas le bon mot de passe");
  }
  ASSERT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_GT(std::stoi(r.Header("Retry-After")), 0);
}

TEST_F(ApiTest, MeNeedsAValidSession) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  EXPECT_EQ(Send("GET", "/api/me").status, 401);
  EXPECT_EQ(Send("GET", "/api/me", "", "Cookie: caduce_session=nimportequoi\r\n").status, 401);
  Account cardio =
      Shared("ORG", "cardio@chu-toulouse.fr", "Secrétariat de cardiologie", marie.address());
  Signed s = SignedIn(marie.address());
  HttpResponse r = Send("GET", "/api/me", "", s.Cookies());
  ASSERT_EQ(r.status, 200) << r.body;
  boost::json::value me = r.Json();
  EXPECT_EQ(me.at("person").at("address").as_string(), marie.address());
  EXPECT_EQ(me.at("current_mailbox_id").as_int64(), marie.id);
  const boost::json::array& boxes = me.at("mailboxes").as_array();
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(boxes[0].at("id").as_int64(), marie.id);
  EXPECT_EQ(boxes[0].at("current").as_bool(), true);
  EXPECT_EQ(boxes[1].at("id").as_int64(), cardio.id);
  EXPECT_EQ(boxes[1].at("description").as_string(), "Secrétariat de cardiologie");
  EXPECT_EQ(boxes[1].at("current").as_bool(), false);
}

TEST_F(ApiTest, SwitchNeedsARightAndARevokedRightFallsBack) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  Account cardio =
      Shared("ORG", "cardio@chu-toulouse.fr", "Secrétariat de cardiologie", marie.address());
  Account labo = Shared("APP", "labo@chu-toulouse.fr", "Laboratoire", "");
  Signed s = SignedIn(marie.address());

  HttpResponse denied =
      Send("POST", "/api/me/mailbox", "{\"mailbox_id\":" + std::to_string(labo.id) + "}",
           s.CookiesAndCsrf());
  EXPECT_EQ(denied.status, 403) << denied.body;

  HttpResponse ok = Send("POST", "/api/me/mailbox",
                         "{\"mailbox_id\":" + std::to_string(cardio.id) + "}", s.CookiesAndCsrf());
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Json().at("mailbox").at("id").as_int64(), cardio.id);
  EXPECT_EQ(Send("GET", "/api/me", "", s.Cookies()).Json().at("current_mailbox_id").as_int64(),
            cardio.id);

  ASSERT_OK(directory_->RevokeRight(op_, cardio.id, marie.id));
  HttpResponse me = Send("GET", "/api/me", "", s.Cookies());
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json().at("current_mailbox_id").as_int64(), marie.id);
  EXPECT_EQ(me.Json().at("mailboxes").as_array().size(), 1u);
}

TEST_F(ApiTest, StateChangingRequestsNeedTheCsrfToken) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  Signed s = SignedIn(marie.address());
  const std::string body = "{\"mailbox_id\":" + std::to_string(marie.id) + "}";
  HttpResponse without = Send("POST", "/api/me/mailbox", body, s.Cookies());
  EXPECT_EQ(without.status, 403);
  EXPECT_EQ(without.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(Send("POST", "/api/me/mailbox", body, s.Cookies() + "X-CSRF-Token: faux\r\n").status,
            403);
  EXPECT_EQ(Send("DELETE", "/api/session", "", s.Cookies()).status, 403);
  // Still signed in: the refused sign-out did nothing.
  EXPECT_EQ(Send("GET", "/api/me", "", s.Cookies()).status, 200);
  EXPECT_EQ(Send("POST", "/api/me/mailbox", body, s.CookiesAndCsrf()).status, 200);
}

TEST_F(ApiTest, SignOutClearsTheCookiesAndEndsTheSession) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  Signed s = SignedIn(marie.address());
  HttpResponse out = Send("DELETE", "/api/session", "", s.CookiesAndCsrf());
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_THAT(out.SetCookie("caduce_session"), HasSubstr("Max-Age=0"));
  EXPECT_THAT(out.SetCookie("caduce_csrf"), HasSubstr("Max-Age=0"));
  EXPECT_EQ(Send("GET", "/api/me", "", s.Cookies()).status, 401);
}

TEST_F(ApiTest, MalformedJsonIsABadRequest) {
  ActivePerson("marie.dupont@chu-toulouse.fr");
  EXPECT_EQ(Send("POST", "/api/session", "{\"address\": ").status, 400);
  EXPECT_EQ(Send("POST", "/api/session", "[1, 2]").status, 400);
  EXPECT_EQ(Send("POST", "/api/session", "{\"address\": \"a@b.fr\", \"password\": 3}").status, 400);
}

TEST(CsrfTokenTest, DerivedFromTheSessionTokenOnly) {
  EXPECT_EQ(CsrfTokenFor(""), "");
  std::string a = CsrfTokenFor("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(a.size(), 43u);
  EXPECT_EQ(a, CsrfTokenFor("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_NE(a, CsrfTokenFor("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"));
}

}  // namespace
}  // namespace caduce::api
