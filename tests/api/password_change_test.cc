// POST /api/me/password over real HTTP on loopback against a real SQLite file
// (api/password.cc, auth::SignInService::ChangePassword): the person signs in
// with the new password and no longer with the old one; a wrong current password
// is refused and counted like a failed sign-in up to the lock; a weak new one is
// refused naming the rule; CSRF is required; the other sessions end and the
// current one stays; a personal access token (Bearer) changes nothing; the trail
// says who, from where, and never the password.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api/api.h"
#include "http/router.h"
#include "store_sqlite/audit_repo.h"
#include "testing/account_drafts.h"
#include "testing/http_roundtrip.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

namespace caduce::api {
namespace {

using directory::Account;
using ::caduce::testing::CookieOf;
using ::caduce::testing::HttpResponse;
using ::caduce::testing::Roundtrip;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kOld[] = "Le chat boit du thé à 7h";
constexpr char kNew[] = "Trois hérons gris sur la Garonne";

class PasswordChangeTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  PasswordChangeTest() {
    person_ = CreateAccount(
        caduce::testing::PersonDraft("MED", "claire.petit@chu-toulouse.fr", "Petit", "Claire"),
        MakeStructure("CHU de Toulouse"));
    Activate(person_, kOld);

    http::Router router;
    AdminServices services;
    services.directory = directory_.get();
    services.work_dir = dir_.File("work");
    ApiOptions api_options;
    api_options.tokens = tokens_.get();
    EXPECT_OK(AddApiRoutes(router, *auth_, services, api_options));
    server_ = Serve(std::move(router));
  }
  ~PasswordChangeTest() override {
    if (server_) server_->Stop();
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& extra_headers = "",
                    const std::string& content_type = "application/json") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                      "User-Agent: Navigateur-Essai/2.0\r\nConnection: close\r\n" + extra_headers;
    if (!body.empty() || method == "POST" || method == "PUT") {
      req += "Content-Type: " + content_type + "\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n" + body;
    std::optional<HttpResponse> r = Roundtrip(server_->port(), req);
    EXPECT_TRUE(r.has_value()) << method << " " << target;
    return r.value_or(HttpResponse{});
  }

  struct Signed {
    std::string session;
    std::string csrf;
    std::string Cookies() const { return "Cookie: caduce_session=" + session + "\r\n"; }
    std::string CookiesAndCsrf() const { return Cookies() + "X-CSRF-Token: " + csrf + "\r\n"; }
  };
  HttpResponse SignInWith(const std::string& password) {
    boost::json::object o{{"address", person_.address()}, {"password", password}};
    return Send("POST", "/api/session", boost::json::serialize(o));
  }
  Signed SignedIn(const std::string& password = kOld) {
    HttpResponse r = SignInWith(password);
    EXPECT_EQ(r.status, 200) << r.body;
    return Signed{CookieOf(r.SetCookie("caduce_session")), CookieOf(r.SetCookie("caduce_csrf"))};
  }
  static std::string Body(const std::string& current, const std::string& fresh) {
    return boost::json::serialize(boost::json::object{{"current", current}, {"new", fresh}});
  }
  HttpResponse Change(const Signed& s, const std::string& current, const std::string& fresh) {
    return Send("POST", "/api/me/password", Body(current, fresh), s.CookiesAndCsrf());
  }
  static std::string Detail(const HttpResponse& r) {
    boost::json::value v = r.Json();
    return v.is_object() && v.as_object().contains("detail")
               ? std::string(v.at("detail").as_string())
               : std::string();
  }
  std::vector<audit::Event> Trail() {
    std::vector<audit::Event> out;
    auto tx = db_->Begin(storage::TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    EXPECT_OK(audit_repo_.Scan(**tx, [&out](const audit::Entry& e) {
      out.push_back(e.event);
      return true;
    }));
    return out;
  }
  // The old password still opens a session, the new one does not.
  void ExpectUnchanged() {
    EXPECT_EQ(SignInWith(kOld).status, 200);
    EXPECT_EQ(SignInWith(kNew).status, 401);
  }

  Account person_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(PasswordChangeTest, NewPasswordSignsInOldOneNoLonger) {
  Signed s = SignedIn();
  HttpResponse r = Change(s, kOld, kNew);
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  EXPECT_EQ(SignInWith(kNew).status, 200);
  HttpResponse old = SignInWith(kOld);
  EXPECT_EQ(old.status, 401);
  EXPECT_EQ(Detail(old), "Adresse ou mot de passe incorrect.");
  // Traced with the IP and the user agent, and no password anywhere in the trail.
  int changed = 0;
  for (const audit::Event& e : Trail()) {
    EXPECT_THAT(e.detail, Not(HasSubstr("hérons")));
    EXPECT_THAT(e.detail, Not(HasSubstr("chat boit")));
    if (e.action != "auth.password_changed") continue;
    ++changed;
    EXPECT_EQ(e.actor, "claire.petit@chu-toulouse.fr");
    EXPECT_EQ(e.ip, "127.0.0.1");
    EXPECT_THAT(e.detail, HasSubstr("Navigateur-Essai/2.0"));
  }
  EXPECT_EQ(changed, 1);
}

TEST_F(PasswordChangeTest, OtherSessionsEndTheCurrentOneStays) {
  Signed phone = SignedIn();
  Signed desk = SignedIn();
  ASSERT_EQ(Change(desk, kOld, kNew).status, 204);
  HttpResponse me = Send("GET", "/api/me", "", desk.Cookies());
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Send("GET", "/api/me", "", phone.Cookies()).status, 401);
  // The current session still changes things with its CSRF token.
  EXPECT_EQ(Change(desk, kNew, "Un autre mot de passe bien long").status, 204);
  for (const audit::Event& e : Trail()) {
    if (e.action == "auth.password_changed") {
      EXPECT_THAT(e.detail, AnyOf(HasSubstr("\"sessions_closed\":1"),
                                  HasSubstr("\"sessions_closed\":0")));
    }
  }
}

TEST_F(PasswordChangeTest, WrongCurrentPasswordIsRefusedAndCountedToTheLock) {
  Signed s = SignedIn();
  HttpResponse r = Change(s, "pas le bon mot de passe", kNew);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Detail(r), "Mot de passe actuel incorrect.");
  // Counted like a failed sign-in: the 10th failure in the window locks.
  int locked_at = 0;
  for (int i = 2; i <= 10 && locked_at == 0; ++i) {
    clock_.AdvanceSeconds(61);  // past the progressive delay
    HttpResponse again = Change(s, "pas le bon mot de passe", kNew);
    if (again.status == 429) {
      locked_at = i;
      EXPECT_FALSE(again.Header("Retry-After").empty());
      EXPECT_THAT(Detail(again), HasSubstr("bloqué"));
    } else {
      EXPECT_EQ(again.status, 403) << again.body;
    }
  }
  EXPECT_EQ(locked_at, 10);
  // Locked for the change and for sign-in alike, even with the right password.
  EXPECT_EQ(Change(s, kOld, kNew).status, 429);
  EXPECT_EQ(SignInWith(kOld).status, 429);
  int failures = 0;
  for (const audit::Event& e : Trail()) {
    if (e.action == "auth.sign_in_failed" &&
        e.detail.find("wrong_current_password") != std::string::npos) {
      ++failures;
    }
  }
  EXPECT_EQ(failures, 10);
  clock_.AdvanceSeconds(16 * 60);
  ExpectUnchanged();
}

TEST_F(PasswordChangeTest, WeakNewPasswordIsRefusedNamingTheRule) {
  Signed s = SignedIn();
  HttpResponse shortp = Change(s, kOld, "court");
  EXPECT_EQ(shortp.status, 422) << shortp.body;
  EXPECT_THAT(Detail(shortp), HasSubstr("12 caractères"));
  HttpResponse name = Change(s, kOld, "Claire-Petit-2026!");
  EXPECT_EQ(name.status, 422) << name.body;
  EXPECT_THAT(Detail(name), AnyOf(HasSubstr("nom"), HasSubstr("prénom"), HasSubstr("adresse")));
  HttpResponse same = Change(s, kOld, kOld);
  EXPECT_EQ(same.status, 422) << same.body;
  EXPECT_THAT(Detail(same), HasSubstr("différent"));
  HttpResponse huge = Change(s, kOld, std::string(2000, 'x'));
  EXPECT_EQ(huge.status, 422) << huge.body;
  // A refused new password is no failed guess: no count, nothing changed.
  for (const audit::Event& e : Trail()) {
    EXPECT_NE(e.action, "auth.password_changed");
    EXPECT_EQ(e.detail.find("wrong_current_password"), std::string::npos);
  }
  ExpectUnchanged();
}

TEST_F(PasswordChangeTest, WithoutTheCsrfTokenNothingChanges) {
  Signed s = SignedIn();
  HttpResponse none = Send("POST", "/api/me/password", Body(kOld, kNew), s.Cookies());
  EXPECT_EQ(none.status, 403) << none.body;
  EXPECT_THAT(Detail(none), HasSubstr("X-CSRF-Token"));
  HttpResponse wrong = Send("POST", "/api/me/password", Body(kOld, kNew),
                            s.Cookies() + "X-CSRF-Token: " + std::string(43, 'A') + "\r\n");
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  // Another session's CSRF token does not fit this session.
  Signed other = SignedIn();
  HttpResponse crossed = Send("POST", "/api/me/password", Body(kOld, kNew),
                              s.Cookies() + "X-CSRF-Token: " + other.csrf + "\r\n");
  EXPECT_EQ(crossed.status, 403) << crossed.body;
  ExpectUnchanged();
}

TEST_F(PasswordChangeTest, NoSessionOrAnAccessTokenChangesNothing) {
  // A signed-out session, with its (still well-formed) CSRF token.
  Signed gone = SignedIn();
  ASSERT_EQ(Send("DELETE", "/api/session", "", gone.CookiesAndCsrf()).status, 204);
  HttpResponse r = Change(gone, kOld, kNew);
  EXPECT_EQ(r.status, 401) << r.body;
  // A personal access token is for mail clients: it is no session.
  directory::Actor actor(directory::Actor::Kind::kPerson, person_.id, person_.address(), "");
  auto token = tokens_->Create(actor, "Thunderbird");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  std::string bearer = "Authorization: Bearer " + token->secret + "\r\n";
  HttpResponse with_token = Send("POST", "/api/me/password", Body(kOld, kNew), bearer);
  EXPECT_THAT(with_token.status, AnyOf(401, 403)) << with_token.body;
  HttpResponse with_token_and_csrf =
      Send("POST", "/api/me/password", Body(kOld, kNew),
           bearer + "X-CSRF-Token: " + CsrfTokenFor(token->secret) + "\r\n");
  EXPECT_THAT(with_token_and_csrf.status, AnyOf(401, 403)) << with_token_and_csrf.body;
  // Nor does a token in the session cookie.
  HttpResponse as_cookie =
      Send("POST", "/api/me/password", Body(kOld, kNew),
           "Cookie: caduce_session=" + token->secret + "\r\nX-CSRF-Token: " +
               CsrfTokenFor(token->secret) + "\r\n");
  EXPECT_EQ(as_cookie.status, 401) << as_cookie.body;
  ExpectUnchanged();
}

TEST_F(PasswordChangeTest, HostileBodiesAreRefusedAndChangeNothing) {
  Signed s = SignedIn();
  const std::string headers = s.CookiesAndCsrf();
  for (const std::string& body :
       {std::string("not json"), std::string("[]"), std::string("{}"),
        std::string(R"({"current": "x"})"), std::string(R"({"new": "Un mot de passe long"})"),
        std::string(R"({"current": 12, "new": "Un mot de passe long"})"),
        std::string(R"({"current": null, "new": null})")}) {
    HttpResponse r = Send("POST", "/api/me/password", body, headers);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
  }
  HttpResponse form = Send("POST", "/api/me/password", "current=a&new=b", headers,
                           "application/x-www-form-urlencoded");
  EXPECT_THAT(form.status, AnyOf(400, 415)) << form.body;
  HttpResponse big = Send("POST", "/api/me/password", Body(std::string(20000, 'a'), kNew), headers);
  EXPECT_EQ(big.status, 413) << big.body;
  // A current password longer than any policy allows is a wrong one, not hashed.
  HttpResponse long_current = Change(s, std::string(1500, 'a'), kNew);
  EXPECT_EQ(long_current.status, 403) << long_current.body;
  HttpResponse control = Change(s, kOld, std::string("Un mot de passe\x01 très long"));
  EXPECT_EQ(control.status, 422) << control.body;
  EXPECT_THAT(Detail(control), HasSubstr("caractère de contrôle"));
  clock_.AdvanceSeconds(61);
  ExpectUnchanged();
}

}  // namespace
}  // namespace caduce::api
