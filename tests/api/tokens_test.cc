// The personal access token routes (api/tokens.cc) over real HTTP on loopback
// against a real SQLite file: the secret shown once and never listed, CSRF,
// revocation effective at the next use, an administrator of the person's
// structure listing and revoking (one of another structure, a person who
// administers nothing and an ORG account refused), a bearer token refused on
// these routes and on the administration API, hostile bodies, expiry.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <memory>
#include <string>

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

using directory::Account;
using ::testing::HasSubstr;
using ::testing::Not;
using ::caduce::testing::CookieOf;
using ::caduce::testing::HttpResponse;
using ::caduce::testing::Roundtrip;

constexpr char kPassword[] = "Le chat boit du thé à 7h";

class TokensApiTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  TokensApiTest() {
    toulouse_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    lyon_ = MakeStructure("HCL Lyon", "hcl-lyon.mssante.fr");
    admin_ = ActivePerson("admin@chu-toulouse.fr", toulouse_);
    EXPECT_OK(directory_->AddAdministrator(op_, toulouse_, admin_.address()));
    lyon_admin_ = ActivePerson("admin@hcl-lyon.fr", lyon_);
    EXPECT_OK(directory_->AddAdministrator(op_, lyon_, lyon_admin_.address()));
    nurse_ = ActivePerson("infirmiere@chu-toulouse.fr", toulouse_);
    colleague_ = ActivePerson("collegue@chu-toulouse.fr", toulouse_);
    org_ = Create(caduce::testing::SharedDraft("ORG", "cardio@chu-toulouse.fr", nurse_.address()),
                  toulouse_);

    http::Router router;
    AdminServices services;
    services.directory = directory_.get();
    services.work_dir = dir_.File("work");
    ApiOptions api_options;
    api_options.tokens = tokens_.get();
    EXPECT_OK(AddApiRoutes(router, *auth_, services, api_options));
    server_ = Serve(std::move(router));
  }
  ~TokensApiTest() override {
    if (server_) server_->Stop();
  }

  Account Create(const directory::AccountDraft& d, int64_t structure) {
    return CreateAccount(d, structure);
  }
  Account ActivePerson(const std::string& address, int64_t structure) {
    Account a = Create(caduce::testing::PersonDraft("MED", address, "Dupont", "Marie"), structure);
    Activate(a, kPassword);
    return a;
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& extra_headers = "",
                    const std::string& content_type = "application/json") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                      "User-Agent: tokens-test/1.0\r\nConnection: close\r\n" + extra_headers;
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
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
    std::string Cookies() const {
      return "Cookie: caduce_session=" + session + "; caduce_csrf=" + csrf + "\r\n";
    }
    std::string CookiesAndCsrf() const { return Cookies() + "X-CSRF-Token: " + csrf + "\r\n"; }
  };
  Signed SignedIn(const Account& a) {
    boost::json::object o{{"address", a.address()}, {"password", kPassword}};
    HttpResponse r = Send("POST", "/api/session", boost::json::serialize(o));
    EXPECT_EQ(r.status, 200) << r.body;
    return Signed{CookieOf(r.SetCookie("caduce_session")), CookieOf(r.SetCookie("caduce_csrf"))};
  }

  // Creates a token over HTTP; returns the response.
  HttpResponse CreateToken(const Signed& s, const std::string& body) {
    return Send("POST", "/api/me/tokens", body, s.CookiesAndCsrf());
  }
  std::string NewSecret(const Signed& s, const std::string& name = "Thunderbird du poste 3") {
    HttpResponse r = CreateToken(s, boost::json::serialize(boost::json::object{{"name", name}}));
    EXPECT_EQ(r.status, 201) << r.body;
    boost::json::value v = r.Json();
    return v.is_object() && v.as_object().contains("secret")
               ? std::string(v.at("secret").as_string())
               : std::string();
  }
  int64_t CountTokens(int64_t person_id) {
    auto list = tokens_->List(person_id);
    return list.ok() ? static_cast<int64_t>(list->size()) : -1;
  }
  static std::string Bearer(const std::string& secret) {
    return "Authorization: Bearer " + secret + "\r\n";
  }

  int64_t toulouse_ = 0, lyon_ = 0;
  Account admin_, lyon_admin_, nurse_, colleague_, org_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(TokensApiTest, TheSecretIsShownOnceAndNeverListed) {
  Signed s = SignedIn(nurse_);
  HttpResponse r = CreateToken(
      s, R"({"name": "Thunderbird du poste 3", "expires_in_days": 90})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  boost::json::value v = r.Json();
  std::string secret(v.at("secret").as_string());
  EXPECT_EQ(secret.rfind("cdc_pat_", 0), 0u);
  EXPECT_EQ(v.at("name").as_string(), "Thunderbird du poste 3");
  EXPECT_EQ(v.at("expires_at").as_string(), "2027-02-25T09:00:00Z");
  EXPECT_THAT(std::string(v.at("notice").as_string()), HasSubstr("plus jamais affiché"));

  HttpResponse list = Send("GET", "/api/me/tokens", "", s.Cookies());
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_THAT(list.body, Not(HasSubstr(secret.substr(8))));
  EXPECT_THAT(list.body, Not(HasSubstr("secret")));
  boost::json::value listed = list.Json();
  const boost::json::array& tokens = listed.at("tokens").as_array();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_TRUE(tokens[0].at("last_used_at").is_null());

  // The mail API's authentication accepts it, and the list shows the use.
  auto who = auth::AuthenticateBearer(*tokens_, "Bearer " + secret, "198.51.100.4", "jmap");
  ASSERT_OK(who);
  EXPECT_EQ(who->me.person_id, nurse_.id);
  list = Send("GET", "/api/me/tokens", "", s.Cookies());
  EXPECT_EQ(list.Json().at("tokens").as_array()[0].at("last_used_ip").as_string(),
            "198.51.100.4");
}

TEST_F(TokensApiTest, CreatingAndRevokingNeedTheCsrfToken) {
  Signed s = SignedIn(nurse_);
  HttpResponse r = Send("POST", "/api/me/tokens", R"({"name": "Client"})", s.Cookies());
  EXPECT_EQ(r.status, 403);
  r = Send("POST", "/api/me/tokens", R"({"name": "Client"})",
           s.Cookies() + "X-CSRF-Token: forged\r\n");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(CountTokens(nurse_.id), 0);
  NewSecret(s);
  int64_t id = (*tokens_->List(nurse_.id))[0].id;
  r = Send("DELETE", "/api/me/tokens/" + std::to_string(id), "", s.Cookies());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(CountTokens(nurse_.id), 1);
}

TEST_F(TokensApiTest, RevocationIsEffectiveAtTheNextUse) {
  Signed s = SignedIn(nurse_);
  std::string secret = NewSecret(s);
  ASSERT_OK(auth::AuthenticateBearer(*tokens_, "Bearer " + secret, "198.51.100.4"));
  int64_t id = (*tokens_->List(nurse_.id))[0].id;
  // A colleague cannot revoke it.
  Signed other = SignedIn(colleague_);
  EXPECT_EQ(Send("DELETE", "/api/me/tokens/" + std::to_string(id), "", other.CookiesAndCsrf())
                .status,
            404);
  HttpResponse r = Send("DELETE", "/api/me/tokens/" + std::to_string(id), "", s.CookiesAndCsrf());
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_THAT(auth::AuthenticateBearer(*tokens_, "Bearer " + secret, "198.51.100.4"),
              caduce::testing::StatusIs(Code::kUnauthenticated));
  EXPECT_EQ(Send("DELETE", "/api/me/tokens/" + std::to_string(id), "", s.CookiesAndCsrf()).status,
            404);
  for (std::string bad : {"0", "-1", "abc", "99999999999999999999", "1%00"}) {
    EXPECT_EQ(Send("DELETE", "/api/me/tokens/" + std::string(bad), "", s.CookiesAndCsrf()).status,
              404)
        << bad;
  }
}

TEST_F(TokensApiTest, ABearerTokenOpensNeitherTheTokenRoutesNorTheAdministration) {
  Signed admin = SignedIn(admin_);
  std::string secret = NewSecret(admin, "Logiciel du cabinet");
  // Alone: the token routes refuse it, the other routes see no session.
  HttpResponse r = Send("GET", "/api/me/tokens", "", Bearer(secret));
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.body, HasSubstr("ne sert qu'à la messagerie"));
  r = Send("POST", "/api/me/tokens", R"({"name": "Encore un"})", Bearer(secret));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Send("GET", "/api/me", "", Bearer(secret)).status, 401);
  EXPECT_EQ(Send("GET", "/api/structures", "", Bearer(secret)).status, 401);
  EXPECT_EQ(Send("GET", "/api/accounts/" + std::to_string(nurse_.id), "", Bearer(secret)).status,
            401);
  EXPECT_EQ(
      Send("GET", "/api/accounts/" + std::to_string(nurse_.id) + "/tokens", "", Bearer(secret))
          .status,
      403);
  // Even beside a valid session cookie, a request carrying it makes no token.
  r = Send("POST", "/api/me/tokens", R"({"name": "Encore un"})",
           admin.CookiesAndCsrf() + Bearer(secret));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(CountTokens(admin_.id), 1);
}

TEST_F(TokensApiTest, AnAdministratorOfTheStructureListsAndRevokes) {
  Signed nurse = SignedIn(nurse_);
  std::string secret = NewSecret(nurse);
  int64_t id = (*tokens_->List(nurse_.id))[0].id;
  std::string list_path = "/api/accounts/" + std::to_string(nurse_.id) + "/tokens";
  std::string revoke_path = list_path + "/" + std::to_string(id);

  // Another structure's administrator: as if the account did not exist.
  Signed lyon = SignedIn(lyon_admin_);
  EXPECT_EQ(Send("GET", list_path, "", lyon.Cookies()).status, 404);
  EXPECT_EQ(Send("DELETE", revoke_path, "", lyon.CookiesAndCsrf()).status, 404);
  // A person who administers nothing.
  Signed colleague = SignedIn(colleague_);
  EXPECT_EQ(Send("GET", list_path, "", colleague.Cookies()).status, 403);
  EXPECT_EQ(Send("DELETE", revoke_path, "", colleague.CookiesAndCsrf()).status, 403);
  // No session.
  EXPECT_EQ(Send("GET", list_path).status, 401);
  ASSERT_OK(auth::AuthenticateBearer(*tokens_, "Bearer " + secret, "198.51.100.4"));

  Signed admin = SignedIn(admin_);
  HttpResponse r = Send("GET", list_path, "", admin.Cookies());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("tokens").as_array().size(), 1u);
  EXPECT_THAT(r.body, Not(HasSubstr(secret.substr(8))));
  // An ORG mailbox has no tokens; a token id of another person is not found.
  EXPECT_EQ(Send("GET", "/api/accounts/" + std::to_string(org_.id) + "/tokens", "",
                 admin.Cookies())
                .status,
            404);
  EXPECT_EQ(Send("DELETE",
                 "/api/accounts/" + std::to_string(colleague_.id) + "/tokens/" +
                     std::to_string(id),
                 "", admin.CookiesAndCsrf())
                .status,
            404);
  r = Send("DELETE", revoke_path, "", admin.CookiesAndCsrf());
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_THAT(auth::AuthenticateBearer(*tokens_, "Bearer " + secret, "198.51.100.4"),
              caduce::testing::StatusIs(Code::kUnauthenticated));

  auto tx = db_->Begin(storage::TxMode::kRead);
  audit::Filter f;
  f.action_prefix = "auth.token_revoked";
  auto trail = audit_->Query(**tx, f);
  ASSERT_OK(trail);
  ASSERT_EQ(trail->size(), 1u);
  EXPECT_EQ((*trail)[0].event.actor_person_id, admin_.id);
  EXPECT_THAT((*trail)[0].event.detail, HasSubstr("\"by\":\"administrator\""));
  EXPECT_THAT((*trail)[0].event.detail, HasSubstr("tokens-test/1.0"));
}

TEST_F(TokensApiTest, DisablingTheAccountStopsItsTokens) {
  Signed nurse = SignedIn(nurse_);
  std::string secret = NewSecret(nurse);
  ASSERT_OK(auth::AuthenticateBearer(*tokens_, "Bearer " + secret, "198.51.100.4"));
  Signed admin = SignedIn(admin_);
  HttpResponse r = Send("POST", "/api/accounts/" + std::to_string(nurse_.id) + "/disable", "",
                        admin.CookiesAndCsrf());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(auth::AuthenticateBearer(*tokens_, "Bearer " + secret, "198.51.100.4"),
              caduce::testing::StatusIs(Code::kUnauthenticated));
}

TEST_F(TokensApiTest, HostileBodiesAreRefusedAndCreateNothing) {
  Signed s = SignedIn(nurse_);
  const std::vector<std::string> bodies = {
      "",
      "[]",
      "{",
      R"({"nom": "Client"})",
      R"({"name": 42})",
      R"({"name": ""})",
      R"({"name": "a\u0000b"})",
      R"({"name": "ligne\nsuivante"})",
      "{\"name\": \"" + std::string(101, 'x') + "\"}",
      R"({"name": "Client", "expires_in_days": 0})",
      R"({"name": "Client", "expires_in_days": -5})",
      R"({"name": "Client", "expires_in_days": 3651})",
      R"({"name": "Client", "expires_in_days": "30"})",
      R"({"name": "Client", "expires_in_days": 1.5})",
      "{\"name\": \"" + std::string(4000, 'x') + "\"}",  // over the body cap
  };
  for (const std::string& body : bodies) {
    HttpResponse r = CreateToken(s, body);
    EXPECT_GE(r.status, 400) << body.substr(0, 80);
    EXPECT_LT(r.status, 500) << body.substr(0, 80) << " " << r.body;
  }
  HttpResponse r = CreateToken(s, R"({"name": "Client", "expires_in_days": 0})");
  EXPECT_THAT(r.body, HasSubstr("expires_in_days"));
  r = CreateToken(s, R"({"name": ""})");
  EXPECT_THAT(r.body, HasSubstr("Nom du jeton"));
  r = Send("POST", "/api/me/tokens", "name=Client", s.CookiesAndCsrf(),
           "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(CountTokens(nurse_.id), 0);
}

TEST_F(TokensApiTest, AnExpiredTokenIsRefusedAndFlagged) {
  Signed s = SignedIn(nurse_);
  HttpResponse r = CreateToken(s, R"({"name": "Client", "expires_in_days": 1})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string secret(r.Json().at("secret").as_string());
  clock_.AdvanceSeconds(24 * 3600);
  EXPECT_THAT(auth::AuthenticateBearer(*tokens_, "Bearer " + secret, "198.51.100.4"),
              caduce::testing::StatusIs(Code::kUnauthenticated));
  Signed again = SignedIn(nurse_);
  HttpResponse list = Send("GET", "/api/me/tokens", "", again.Cookies());
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_TRUE(list.Json().at("tokens").as_array()[0].at("expired").as_bool());
}

}  // namespace
}  // namespace caduce::api
