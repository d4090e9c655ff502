// The administration API over real HTTP on loopback against a real SQLite file:
// the list with search, filters, sort and paging; accounts created, changed,
// disabled; the connection rights field; default mailboxes; the import as a job
// (an XLSX written by openpyxl, its dry run, its Server-Sent Events read off the
// socket, apply, report); hostile uploads; the audit trail; the OpenAPI document
// against the router. Every endpoint is also called by an administrator of
// another structure, by a person who administers nothing, without a session and
// without (or with a wrong) CSRF token.
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
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "http/router.h"
#include "http/server.h"
#include "jobs/import_jobs.h"
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

// Reads a Server-Sent Events response until the stream ends or `done` arrives.
std::string ReadEvents(uint16_t port, const std::string& request,
                       std::chrono::seconds timeout = 20s) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string in;
  const auto deadline = SteadyClock::now() + timeout;
  while (in.find("event: done") == std::string::npos ||
         in.find("\n\n", in.find("event: done")) == std::string::npos) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return in;
}

class AdminApiTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  AdminApiTest() {
    clock_.SetDate("2026-11-27");
    toulouse_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    lyon_ = MakeStructure("HCL Lyon", "hcl-lyon.mssante.fr");
    imports_ = std::make_unique<jobs::ImportJobs>(*directory_, dir_.File("work"), clock_);

    // An administrator of each structure, and a person who administers nothing.
    admin_ = ActivePerson("admin@chu-toulouse.fr", toulouse_);
    EXPECT_OK(directory_->AddAdministrator(op_, toulouse_, admin_.address()));
    lyon_admin_ = ActivePerson("admin@hcl-lyon.fr", lyon_);
    EXPECT_OK(directory_->AddAdministrator(op_, lyon_, lyon_admin_.address()));
    nurse_ = ActivePerson("infirmiere@chu-toulouse.fr", toulouse_);

    http::Router router;
    AdminServices services;
    services.directory = directory_.get();
    services.imports = imports_.get();
    services.work_dir = dir_.File("work");
    EXPECT_OK(AddApiRoutes(router, *auth_, services));
    routes_ = router.routes().size();
    for (const http::Route& r : router.routes()) registered_.insert(r.method + " " + r.pattern);
    server_ = Serve(std::move(router));
  }
  ~AdminApiTest() override {
    if (server_) server_->Stop();
  }

  Account Create(const AccountDraft& d, int64_t structure) {
    std::vector<directory::Finding> findings;
    auto r = directory_->CreateAccount(op_, structure, d, directory::CreateOptions{}, &findings);
    std::string why;
    for (const auto& f : findings) why += "[" + f.code + ": " + f.message + "] ";
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " " << why;
    return r.ok() ? *r : Account{};
  }
  Account Person(const std::string& address, int64_t structure, const std::string& nom = "Dupont",
                 const std::string& prenom = "Marie", const std::string& type = "MED") {
    return Create(caduce::testing::PersonDraft(type, address, nom, prenom), structure);
  }
  Account ActivePerson(const std::string& address, int64_t structure) {
    Account a = Person(address, structure);
    Activate(a, kPassword);
    return a;
  }
  Account Shared(const std::string& type, const std::string& address, int64_t structure,
                 const std::string& connection_accounts) {
    return Create(caduce::testing::SharedDraft(type, address, connection_accounts), structure);
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& extra_headers = "",
                    const std::string& content_type = "application/json") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                      "User-Agent: admin-test/1.0\r\nConnection: close\r\n" + extra_headers;
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
  Signed SignedIn(const std::string& address) {
    boost::json::object o{{"address", address}, {"password", kPassword}};
    HttpResponse r = Send("POST", "/api/session", boost::json::serialize(o));
    EXPECT_EQ(r.status, 200) << r.body;
    return Signed{CookieOf(r.SetCookie("caduce_session")), CookieOf(r.SetCookie("caduce_csrf"))};
  }

  int64_t CountAccounts() {
    directory::AccountFilter f;
    f.limit = 100000;
    auto all = directory_->ListAccounts(op_, f);
    return all.ok() ? static_cast<int64_t>(all->size()) : -1;
  }

  std::string Id(int64_t id) { return std::to_string(id); }

  // A job polled until its state is settled.
  boost::json::value WaitJob(const Signed& s, const std::string& id, int tries = 200) {
    boost::json::value job;
    for (int i = 0; i < tries; ++i) {
      HttpResponse r = Send("GET", "/api/imports/" + id, "", s.Cookies());
      job = r.Json();
      if (r.status != 200) break;
      std::string state(job.at("state").as_string());
      if (state == "planned" || state == "applied" || state == "failed") break;
      std::this_thread::sleep_for(50ms);
    }
    return job;
  }

  std::unique_ptr<jobs::ImportJobs> imports_;
  int64_t toulouse_ = 0, lyon_ = 0;
  Account admin_, lyon_admin_, nurse_;
  size_t routes_ = 0;
  std::set<std::string> registered_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(AdminApiTest, ListSearchesFiltersSortsAndPagesWithTheTotal) {
  Person("zoe.martin@chu-toulouse.fr", toulouse_, "Martin", "Zoé");
  Person("alain.bernard@chu-toulouse.fr", toulouse_, "Bernard", "Alain");
  Shared("ORG", "cardio@chu-toulouse.fr", toulouse_, "zoe.martin@chu-toulouse.fr");
  Person("secret@hcl-lyon.fr", lyon_, "Secret", "Lyon");
  Signed s = SignedIn(admin_.address());
  const std::string base = "/api/structures/" + Id(toulouse_) + "/accounts";

  HttpResponse all = Send("GET", base, "", s.Cookies());
  ASSERT_EQ(all.status, 200) << all.body;
  boost::json::value v = all.Json();
  EXPECT_EQ(v.at("total").as_int64(), 5);  // Zoé, Alain, the ORG, the administrator, the nurse
  std::vector<std::string> addresses;
  for (const auto& item : v.at("items").as_array()) {
    addresses.emplace_back(item.at("address").as_string());
  }
  EXPECT_TRUE(std::is_sorted(addresses.begin(), addresses.end()));
  EXPECT_THAT(all.body, Not(HasSubstr("hcl-lyon")));

  HttpResponse search = Send("GET", base + "?q=zo%C3%A9", "", s.Cookies());
  ASSERT_EQ(search.status, 200) << search.body;
  EXPECT_EQ(search.Json().at("total").as_int64(), 1);
  EXPECT_EQ(search.Json().at("items").at(0).at("prenom").as_string(), "Zoé");

  HttpResponse orgs = Send("GET", base + "?type=ORG", "", s.Cookies());
  EXPECT_EQ(orgs.Json().at("total").as_int64(), 1);
  EXPECT_EQ(orgs.Json().at("items").at(0).at("status").as_string(), "active");
  HttpResponse pending = Send("GET", base + "?status=pending&sort=nom&order=desc", "", s.Cookies());
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_EQ(pending.Json().at("items").at(0).at("nom").as_string(), "MARTIN");
  HttpResponse page = Send("GET", base + "?limit=2&offset=2", "", s.Cookies());
  EXPECT_EQ(page.Json().at("items").as_array().size(), 2u);
  EXPECT_EQ(page.Json().at("items").at(0).at("address").as_string(), addresses[2]);
  // The last sign-in comes from the sessions.
  HttpResponse by_sign_in = Send("GET", base + "?sort=last_sign_in&order=desc", "", s.Cookies());
  EXPECT_EQ(by_sign_in.Json().at("items").at(0).at("address").as_string(), admin_.address());
  EXPECT_TRUE(by_sign_in.Json().at("items").at(0).at("last_sign_in").is_string());

  EXPECT_EQ(Send("GET", base + "?sort=password", "", s.Cookies()).status, 400);
  EXPECT_EQ(Send("GET", base + "?limit=100000", "", s.Cookies()).status, 400);
  EXPECT_EQ(Send("GET", base + "?type=XYZ", "", s.Cookies()).status, 400);
  EXPECT_EQ(Send("GET", base + "?q=%FF", "", s.Cookies()).status, 400);
}

// Every administration endpoint, refused to the wrong people with no data.
TEST_F(AdminApiTest, EveryEndpointRefusesOtherStructuresNonAdministratorsAndMissingCsrf) {
  Account zoe = Person("zoe.martin@chu-toulouse.fr", toulouse_, "Martin", "Zoé");
  Account cardio = Shared("ORG", "cardio@chu-toulouse.fr", toulouse_, zoe.address());
  Signed lyon = SignedIn(lyon_admin_.address());
  Signed nurse = SignedIn(nurse_.address());
  Signed admin = SignedIn(admin_.address());
  const std::string sid = Id(toulouse_);
  struct Call {
    std::string method, target, body;
  };
  const std::vector<Call> calls = {
      {"GET", "/api/structures/" + sid + "/accounts", ""},
      {"POST", "/api/structures/" + sid + "/accounts", R"({"type":"MED","fields":{}})"},
      {"GET", "/api/structures/" + sid + "/autocomplete?q=zo", ""},
      {"GET", "/api/structures/" + sid + "/export?format=csv", ""},
      {"GET", "/api/structures/" + sid + "/audit", ""},
      {"GET", "/api/structures/" + sid + "/audit/export", ""},
      {"GET", "/api/accounts/" + Id(zoe.id), ""},
      {"PATCH", "/api/accounts/" + Id(zoe.id), R"({"fields":{"NOM":"Pirate"}})"},
      {"POST", "/api/accounts/" + Id(zoe.id) + "/disable", ""},
      {"POST", "/api/accounts/" + Id(zoe.id) + "/enable", ""},
      {"POST", "/api/accounts/" + Id(zoe.id) + "/activation", ""},
      {"GET", "/api/accounts/" + Id(cardio.id) + "/connections", ""},
      {"POST", "/api/accounts/" + Id(cardio.id) + "/connections",
       R"({"addresses":"admin@hcl-lyon.fr"})"},
      {"DELETE", "/api/accounts/" + Id(cardio.id) + "/connections/" + Id(zoe.id), ""},
      {"PUT", "/api/accounts/" + Id(zoe.id) + "/default-mailbox",
       "{\"mailbox_id\":" + Id(cardio.id) + "}"},
  };
  for (const Call& c : calls) {
    SCOPED_TRACE(c.method + " " + c.target);
    HttpResponse other = Send(c.method, c.target, c.body, lyon.CookiesAndCsrf());
    EXPECT_TRUE(other.status == 403 || other.status == 404) << other.status << " " << other.body;
    EXPECT_THAT(other.body, Not(HasSubstr("zoe.martin")));
    EXPECT_THAT(other.body, Not(HasSubstr("ZOÉ")));
    EXPECT_EQ(Send(c.method, c.target, c.body, nurse.CookiesAndCsrf()).status, 403);
    EXPECT_EQ(Send(c.method, c.target, c.body).status, c.method == "GET" ? 401 : 403);
    EXPECT_EQ(Send(c.method, c.target, c.body, "Cookie: caduce_session=faux\r\n").status,
              c.method == "GET" ? 401 : 403);
    if (c.method != "GET") {
      EXPECT_EQ(Send(c.method, c.target, c.body, admin.Cookies()).status, 403);
      EXPECT_EQ(Send(c.method, c.target, c.body, admin.Cookies() + "X-CSRF-Token: faux\r\n").status,
                403);
    }
  }
  // Nothing changed.
  auto still = directory_->GetAccount(op_, zoe.id);
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still->get(F::kNom), "MARTIN");
  EXPECT_EQ(still->status, directory::AccountStatus::kPending);
  auto persons = directory_->PersonsWithRight(op_, cardio.id);
  ASSERT_TRUE(persons.ok());
  ASSERT_EQ(persons->size(), 1u);
  // The structure list of the other administrator does not name Toulouse.
  HttpResponse structures = Send("GET", "/api/structures", "", lyon.Cookies());
  ASSERT_EQ(structures.status, 200);
  EXPECT_THAT(structures.body, Not(HasSubstr("Toulouse")));
  EXPECT_EQ(Send("GET", "/api/structures", "", nurse.Cookies()).status, 403);
}

TEST_F(AdminApiTest, CreateRefusesInvalidFieldsWith422AndWritesNothing) {
  Signed s = SignedIn(admin_.address());
  const int64_t before = CountAccounts();
  boost::json::object body{
      {"type", "PER"},
      {"fields", boost::json::object{{"Adresse mail", "pas-une-adresse"}, {"NOM", "Durand"}}},
      {"notify", true}};
  HttpResponse r = Send("POST", "/api/structures/" + Id(toulouse_) + "/accounts",
                        boost::json::serialize(body), s.CookiesAndCsrf());
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  bool address_finding = false;
  boost::json::value refusal = r.Json();
  for (const auto& f : refusal.at("findings").as_array()) {
    if (f.at("header").as_string() == "Adresse mail") address_finding = true;
    EXPECT_FALSE(f.at("message").as_string().empty());
  }
  EXPECT_TRUE(address_finding) << r.body;
  EXPECT_EQ(CountAccounts(), before);
  // An unknown header is named.
  HttpResponse unknown =
      Send("POST", "/api/structures/" + Id(toulouse_) + "/accounts",
           R"({"type":"MED","fields":{"Couleur":"bleu"}})", s.CookiesAndCsrf());
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.Json().at("detail").as_string(), HasSubstr("Couleur"));
  EXPECT_EQ(CountAccounts(), before);
}

TEST_F(AdminApiTest, CreateGetChangeDisableEnableAndResendActivation) {
  Signed s = SignedIn(admin_.address());
  directory::AccountDraft d = caduce::testing::PersonDraft("MED", "paul.durand@chu-toulouse.fr",
                                                           "Durand", "Paul");
  boost::json::object fields;
  for (const directory::FieldSpec& spec : directory::FieldTable()) {
    const std::string& v = d.values[directory::FieldIndex(spec.field)];
    if (!v.empty() && spec.field != F::kType) fields[spec.header] = v;
  }
  boost::json::object body{{"type", "MED"}, {"fields", fields}, {"notify", true}};
  HttpResponse created = Send("POST", "/api/structures/" + Id(toulouse_) + "/accounts",
                              boost::json::serialize(body), s.CookiesAndCsrf());
  ASSERT_EQ(created.status, 201) << created.body;
  boost::json::value a = created.Json();
  int64_t id = a.at("id").as_int64();
  EXPECT_EQ(a.at("status").as_string(), "pending");
  EXPECT_EQ(a.at("fields").at("NOM").as_string(), "DURAND");
  EXPECT_EQ(a.at("fields").at("Adresse mail").as_string(), "paul.durand@chu-toulouse.fr");
  EXPECT_FALSE(a.at("fields").as_object().contains("RPPS"));  // NC for MED
  EXPECT_EQ(created.Header("Location"), "/api/accounts/" + Id(id));
  {
    auto tx = db_->Begin(storage::TxMode::kRead);
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ(*dir_repo_.PendingNotifications(**tx, "activation", id), 1);
  }

  HttpResponse got = Send("GET", "/api/accounts/" + Id(id), "", s.Cookies());
  ASSERT_EQ(got.status, 200);
  EXPECT_TRUE(got.Json().at("pending_since").is_string());

  HttpResponse changed = Send("PATCH", "/api/accounts/" + Id(id),
                              R"({"fields":{"VILLE":"Blagnac","CP":"31700"}})", s.CookiesAndCsrf());
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.Json().at("fields").at("VILLE").as_string(), "BLAGNAC");
  HttpResponse bad = Send("PATCH", "/api/accounts/" + Id(id), R"({"fields":{"CP":"3A"}})",
                          s.CookiesAndCsrf());
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(directory_->GetAccount(op_, id)->get(F::kCp), "31700");

  HttpResponse resent = Send("POST", "/api/accounts/" + Id(id) + "/activation", "",
                             s.CookiesAndCsrf());
  EXPECT_EQ(resent.status, 202) << resent.body;
  HttpResponse disabled =
      Send("POST", "/api/accounts/" + Id(id) + "/disable", "", s.CookiesAndCsrf());
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_EQ(disabled.Json().at("status").as_string(), "disabled");
  EXPECT_EQ(disabled.Json().at("disabled_reason").as_string(), "admin");
  EXPECT_EQ(Send("POST", "/api/accounts/" + Id(id) + "/activation", "", s.CookiesAndCsrf()).status,
            409);
  HttpResponse enabled = Send("POST", "/api/accounts/" + Id(id) + "/enable", "", s.CookiesAndCsrf());
  EXPECT_EQ(enabled.Json().at("status").as_string(), "pending");
  EXPECT_EQ(Send("GET", "/api/accounts/999999", "", s.Cookies()).status, 404);
  EXPECT_EQ(Send("GET", "/api/accounts/abc", "", s.Cookies()).status, 404);
}

TEST_F(AdminApiTest, ConnectionsFieldGrantsValidAddressesListsRefusedOnesAndRevokesAtOnce) {
  Account zoe = ActivePerson("zoe.martin@chu-toulouse.fr", toulouse_);
  Account paul = Person("paul.durand@chu-toulouse.fr", toulouse_, "Durand", "Paul");
  Account cardio = Shared("ORG", "cardio@chu-toulouse.fr", toulouse_, admin_.address());
  Account labo = Shared("APP", "labo@chu-toulouse.fr", toulouse_, "");
  Signed s = SignedIn(admin_.address());
  HttpResponse r = Send(
      "POST", "/api/accounts/" + Id(cardio.id) + "/connections",
      R"({"addresses":"Zoe.Martin@chu-toulouse.fr, paul.durand@chu-toulouse.fr;pas-une-adresse labo@chu-toulouse.fr,admin@hcl-lyon.fr,inconnu@chu-toulouse.fr"})",
      s.CookiesAndCsrf());
  ASSERT_EQ(r.status, 200) << r.body;
  boost::json::value v = r.Json();
  EXPECT_EQ(v.at("granted").as_array().size(), 2u) << r.body;
  const auto& refused = v.at("refused").as_array();
  ASSERT_EQ(refused.size(), 4u) << r.body;
  std::string lyon_reason, unknown_reason;
  for (const auto& x : refused) {
    EXPECT_FALSE(x.at("message").as_string().empty());
    if (x.at("address").as_string() == "admin@hcl-lyon.fr") lyon_reason = x.at("message").as_string();
    if (x.at("address").as_string() == "inconnu@chu-toulouse.fr") {
      unknown_reason = x.at("message").as_string();
    }
  }
  EXPECT_EQ(lyon_reason, unknown_reason);  // another structure's account is not revealed
  HttpResponse list = Send("GET", "/api/accounts/" + Id(cardio.id) + "/connections", "", s.Cookies());
  EXPECT_EQ(list.Json().at("persons").as_array().size(), 3u) << list.body;

  // Zoé opens the mailbox; the revocation stops it at her next request.
  Signed z = SignedIn(zoe.address());
  ASSERT_EQ(Send("POST", "/api/me/mailbox", "{\"mailbox_id\":" + Id(cardio.id) + "}",
                 z.CookiesAndCsrf()).status, 200);
  HttpResponse revoked = Send("DELETE", "/api/accounts/" + Id(cardio.id) + "/connections/" + Id(zoe.id),
                              "", s.CookiesAndCsrf());
  EXPECT_EQ(revoked.status, 204) << revoked.body;
  HttpResponse me = Send("GET", "/api/me", "", z.Cookies());
  EXPECT_EQ(me.Json().at("current_mailbox_id").as_int64(), zoe.id);
  EXPECT_EQ(Send("POST", "/api/me/mailbox", "{\"mailbox_id\":" + Id(cardio.id) + "}",
                 z.CookiesAndCsrf()).status, 403);
  // On a nominative account, the field is refused; an empty text too.
  EXPECT_EQ(Send("POST", "/api/accounts/" + Id(paul.id) + "/connections",
                 R"({"addresses":"zoe.martin@chu-toulouse.fr"})", s.CookiesAndCsrf()).status, 422);
  EXPECT_EQ(Send("POST", "/api/accounts/" + Id(labo.id) + "/connections", R"({"addresses":" , "})",
                 s.CookiesAndCsrf()).status, 422);
}

TEST_F(AdminApiTest, DefaultMailboxByThePersonAndByAnAdministrator) {
  Account zoe = ActivePerson("zoe.martin@chu-toulouse.fr", toulouse_);
  Account cardio = Shared("ORG", "cardio@chu-toulouse.fr", toulouse_, zoe.address());
  Account labo = Shared("APP", "labo@chu-toulouse.fr", toulouse_, admin_.address());
  Signed a = SignedIn(admin_.address());
  HttpResponse set = Send("PUT", "/api/accounts/" + Id(zoe.id) + "/default-mailbox",
                          "{\"mailbox_id\":" + Id(cardio.id) + "}", a.CookiesAndCsrf());
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_TRUE(set.Json().at("mailboxes").at(0).at("default").as_bool());
  HttpResponse no_right = Send("PUT", "/api/accounts/" + Id(zoe.id) + "/default-mailbox",
                               "{\"mailbox_id\":" + Id(labo.id) + "}", a.CookiesAndCsrf());
  EXPECT_EQ(no_right.status, 422) << no_right.body;

  Signed z = SignedIn(zoe.address());
  HttpResponse me = Send("GET", "/api/me", "", z.Cookies());
  EXPECT_EQ(me.Json().at("default_mailbox_id").as_int64(), cardio.id);
  EXPECT_EQ(me.Json().at("current_mailbox_id").as_int64(), cardio.id);
  EXPECT_EQ(me.Json().at("administers").as_array().size(), 0u);
  EXPECT_FALSE(me.Json().at("operator").as_bool());
  HttpResponse own = Send("PUT", "/api/me/default-mailbox", "{\"mailbox_id\":" + Id(zoe.id) + "}",
                          z.CookiesAndCsrf());
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_TRUE(own.Json().at("default_mailbox_id").is_null());
  EXPECT_EQ(Send("PUT", "/api/me/default-mailbox", "{\"mailbox_id\":" + Id(labo.id) + "}",
                 z.CookiesAndCsrf()).status, 403);
  HttpResponse admin_me = Send("GET", "/api/me", "", a.Cookies());
  ASSERT_EQ(admin_me.Json().at("administers").as_array().size(), 1u);
  EXPECT_EQ(admin_me.Json().at("administers").at(0).at("name").as_string(), "CHU de Toulouse");
}

TEST_F(AdminApiTest, ReferenceAndAutocomplete) {
  Person("zoe.martin@chu-toulouse.fr", toulouse_, "Martin", "Zoé");
  Person("zoe.secret@hcl-lyon.fr", lyon_, "Secret", "Zoé");
  Shared("ORG", "zoo@chu-toulouse.fr", toulouse_, admin_.address());
  Signed s = SignedIn(admin_.address());
  HttpResponse ref = Send("GET", "/api/reference", "", s.Cookies());
  ASSERT_EQ(ref.status, 200);
  boost::json::value v = ref.Json();
  EXPECT_EQ(v.at("fields").as_array().size(), 36u);
  EXPECT_EQ(v.at("fields").at(0).at("header").as_string(), "Type de compte");
  EXPECT_FALSE(v.at("lists").at("professions").as_array().empty());
  HttpResponse hits =
      Send("GET", "/api/structures/" + Id(toulouse_) + "/autocomplete?q=zo&nominative=1", "",
           s.Cookies());
  ASSERT_EQ(hits.status, 200) << hits.body;
  ASSERT_EQ(hits.Json().as_array().size(), 1u) << hits.body;
  EXPECT_EQ(hits.Json().at(0).at("address").as_string(), "zoe.martin@chu-toulouse.fr");
}

// An XLSX written by openpyxl: dry run at once, its events over the socket, apply, report.
TEST_F(AdminApiTest, ImportJobPlansStreamsAppliesAndReports) {
  const std::string xlsx = dir_.File("liste.xlsx");
  const std::string script =
      "import openpyxl,sys\n"
      "wb=openpyxl.Workbook(); ws=wb.active\n"
      "ws.append(['Type de compte','Adresse mail','NOM','Prénom','Raison Sociale','Adresse (1)',"
      "'CP','VILLE','Département','Région','Profession','Activité libérale'])\n"
      "ws.append(['MED','luc.petit@chu-toulouse.fr','Petit','Luc','CHU','1 rue','31000',"
      "'Toulouse','31','76','C01','NON'])\n"
      "ws.append(['MED','lea.roux@chu-toulouse.fr','Roux','Léa','CHU','1 rue','31000',"
      "'Toulouse','31','76','C01','NON'])\n"
      "ws.append(['MED','pas-une-adresse','Faux','Row','CHU','1 rue','31000','Toulouse','31','76',"
      "'C01','NON'])\n"
      "wb.save(sys.argv[1])\n";
  std::ofstream(dir_.File("make.py")) << script;
  ASSERT_EQ(std::system(("/usr/bin/python3 " + dir_.File("make.py") + " " + xlsx).c_str()), 0);
  std::ifstream in(xlsx, std::ios::binary);
  std::stringstream data;
  data << in.rdbuf();

  Signed s = SignedIn(admin_.address());
  const int64_t before = CountAccounts();
  HttpResponse started = Send("POST",
                              "/api/structures/" + Id(toulouse_) +
                                  "/imports?name=liste%20%C3%A9t%C3%A9.xlsx&notify=1&visible=1",
                              data.str(), s.CookiesAndCsrf(),
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  ASSERT_EQ(started.status, 202) << started.body;
  std::string id(started.Json().at("id").as_string());
  EXPECT_GE(id.size(), 20u);
  EXPECT_EQ(started.Json().at("file_name").as_string(), "liste été.xlsx");

  // The events of the dry run, read off the socket.
  std::string events = ReadEvents(server_->port(), "GET /api/imports/" + id +
                                                       "/events HTTP/1.1\r\nHost: x\r\n" +
                                                       s.Cookies() + "\r\n");
  EXPECT_THAT(events, HasSubstr("text/event-stream"));
  EXPECT_THAT(events, HasSubstr("event: state"));
  EXPECT_THAT(events, HasSubstr("event: done"));
  EXPECT_THAT(events, HasSubstr("\"state\":\"planned\""));

  boost::json::value planned = WaitJob(s, id);
  ASSERT_EQ(planned.at("state").as_string(), "planned") << boost::json::serialize(planned);
  EXPECT_TRUE(planned.at("dry_run").as_bool());
  EXPECT_EQ(CountAccounts(), before);  // a dry run writes nothing
  EXPECT_THAT(boost::json::serialize(planned.at("report")), HasSubstr("pas-une-adresse"));

  // Another person cannot see the job.
  Signed lyon = SignedIn(lyon_admin_.address());
  EXPECT_EQ(Send("GET", "/api/imports/" + id, "", lyon.Cookies()).status, 404);
  EXPECT_EQ(Send("POST", "/api/imports/" + id + "/apply", "", lyon.CookiesAndCsrf()).status, 404);

  HttpResponse apply = Send("POST", "/api/imports/" + id + "/apply", "", s.CookiesAndCsrf());
  ASSERT_EQ(apply.status, 202) << apply.body;
  boost::json::value applied = WaitJob(s, id);
  ASSERT_EQ(applied.at("state").as_string(), "applied") << boost::json::serialize(applied);
  EXPECT_EQ(CountAccounts(), before + 2);
  EXPECT_EQ(Send("POST", "/api/imports/" + id + "/apply", "", s.CookiesAndCsrf()).status, 409);

  HttpResponse csv = Send("GET", "/api/imports/" + id + "/report?format=csv", "", s.Cookies());
  ASSERT_EQ(csv.status, 200);
  EXPECT_THAT(csv.Header("Content-Disposition"), HasSubstr("attachment"));
  EXPECT_THAT(csv.body, HasSubstr("pas-une-adresse"));
  HttpResponse report = Send("GET", "/api/imports/" + id + "/report?format=xlsx", "", s.Cookies());
  ASSERT_EQ(report.status, 200);
  EXPECT_EQ(report.body.substr(0, 2), "PK");

  // The steps are in the structure's trail with the IP and the user agent.
  HttpResponse trail = Send("GET", "/api/structures/" + Id(toulouse_) + "/audit?action=import.",
                            "", s.Cookies());
  ASSERT_EQ(trail.status, 200) << trail.body;
  boost::json::value trail_json = trail.Json();
  const auto& items = trail_json.at("items").as_array();
  ASSERT_GE(items.size(), 2u) << trail.body;
  EXPECT_EQ(items[0].at("action").as_string(), "import.apply");
  EXPECT_EQ(items[0].at("user_agent").as_string(), "admin-test/1.0");
  EXPECT_EQ(items[0].at("ip").as_string(), "127.0.0.1");
  EXPECT_EQ(items[0].at("actor").as_string(), admin_.address());
  EXPECT_TRUE(trail.Json().at("chain").at("verified").as_bool());
  // The importer's own entry, with what it did, is in the structure's trail too.
  HttpResponse applied_entry = Send(
      "GET", "/api/structures/" + Id(toulouse_) + "/audit?action=import.applied", "", s.Cookies());
  ASSERT_EQ(applied_entry.status, 200) << applied_entry.body;
  boost::json::value applied_json = applied_entry.Json();
  ASSERT_EQ(applied_json.at("items").as_array().size(), 1u) << applied_entry.body;
  const auto& entry = applied_json.at("items").at(0);
  EXPECT_EQ(entry.at("user_agent").as_string(), "admin-test/1.0");
  EXPECT_EQ(entry.at("ip").as_string(), "127.0.0.1");
  EXPECT_EQ(entry.at("actor").as_string(), admin_.address());
  EXPECT_THAT(boost::json::serialize(entry.at("details")), HasSubstr("\"created\":2"));
  // Lyon's administrator does not see it.
  HttpResponse lyon_trail = Send(
      "GET", "/api/structures/" + Id(lyon_) + "/audit?action=import.", "", lyon.Cookies());
  ASSERT_EQ(lyon_trail.status, 200) << lyon_trail.body;
  EXPECT_TRUE(lyon_trail.Json().at("items").as_array().empty()) << lyon_trail.body;

  // Kept one hour.
  clock_.AdvanceSeconds(3601);
  EXPECT_EQ(Send("GET", "/api/imports/" + id, "", s.Cookies()).status, 401);  // session idle too
}

// The apply pass streamed: "state" applying, "progress" with the rows applied while
// it runs, then "done" with the applied job, read off the socket.
TEST_F(AdminApiTest, ImportEventsFollowTheApplyPass) {
  constexpr int kRows = 1200;  // progress is reported every 500 rows
  std::string csv =
      "Type de compte;Adresse mail;NOM;Prénom;Raison Sociale;Adresse (1);CP;VILLE;Département;"
      "Région;Profession;Activité libérale\r\n";
  for (int i = 0; i < kRows; ++i) {
    csv += "MED;agent" + std::to_string(i) +
           "@chu-toulouse.fr;Agent;Numéro;CHU;1 rue;31000;Toulouse;31;76;C01;NON\r\n";
  }
  Signed s = SignedIn(admin_.address());
  const std::string url = "/api/structures/" + Id(toulouse_) + "/imports?name=agents.csv";
  HttpResponse first = Send("POST", url, csv, s.CookiesAndCsrf(), "text/csv");
  ASSERT_EQ(first.status, 202) << first.body;
  std::string id(first.Json().at("id").as_string());
  boost::json::value planned = WaitJob(s, id, 1200);
  ASSERT_EQ(planned.at("state").as_string(), "planned") << boost::json::serialize(planned);
  EXPECT_EQ(planned.at("report").at("counts").at("created").as_int64(), kRows);

  // A second upload keeps the worker busy with its dry run, so the apply pass is
  // queued and the stream below opens while the job is "applying".
  HttpResponse second = Send("POST", url, csv, s.CookiesAndCsrf(), "text/csv");
  ASSERT_EQ(second.status, 202) << second.body;
  HttpResponse apply = Send("POST", "/api/imports/" + id + "/apply", "", s.CookiesAndCsrf());
  ASSERT_EQ(apply.status, 202) << apply.body;
  EXPECT_EQ(apply.Json().at("state").as_string(), "applying");

  std::string events = ReadEvents(
      server_->port(), "GET /api/imports/" + id + "/events HTTP/1.1\r\nHost: x\r\n" +
                           s.Cookies() + "\r\n",
      120s);
  EXPECT_THAT(events, HasSubstr("text/event-stream"));
  const size_t applying = events.find("event: state\ndata: {\"state\":\"applying\"}");
  const size_t done = events.find("event: done");
  ASSERT_NE(applying, std::string::npos) << events;
  ASSERT_NE(done, std::string::npos) << events;
  EXPECT_LT(applying, done);
  // Progress during the pass: rows applied grow up to every row, before "done".
  int64_t most_applied = -1;
  int progress_events = 0;
  for (size_t at = events.find("event: progress\ndata: "); at != std::string::npos && at < done;
       at = events.find("event: progress\ndata: ", at + 1)) {
    size_t start = at + std::string("event: progress\ndata: ").size();
    boost::json::value p = boost::json::parse(events.substr(start, events.find('\n', start) - start));
    EXPECT_GE(p.at("rows_applied").as_int64(), most_applied) << events;
    most_applied = p.at("rows_applied").as_int64();
    ++progress_events;
  }
  EXPECT_GE(progress_events, 2) << events;
  EXPECT_GE(most_applied, 500) << events;
  EXPECT_THAT(events.substr(done), HasSubstr("\"state\":\"applied\""));
  EXPECT_THAT(events.substr(done), HasSubstr("\"dry_run\":false"));
  EXPECT_LT(events.find("\"state\":\"applied\""), done + 200) << "no state after done";

  boost::json::value applied = WaitJob(s, id, 1200);
  EXPECT_EQ(applied.at("state").as_string(), "applied");
  EXPECT_EQ(applied.at("report").at("counts").at("created").as_int64(), kRows);
  // Another person cannot follow the job's events.
  Signed lyon = SignedIn(lyon_admin_.address());
  HttpResponse foreign = Send("GET", "/api/imports/" + id + "/events", "", lyon.Cookies());
  EXPECT_EQ(foreign.status, 404);
  EXPECT_THAT(foreign.body, Not(HasSubstr("agent")));
}

// The totals follow a change of status at once (the list's exact counts).
TEST_F(AdminApiTest, TotalsFollowDisableAndEnable) {
  Account zoe = Person("zoe.martin@chu-toulouse.fr", toulouse_, "Martin", "Zoé");
  Shared("ORG", "cardio@chu-toulouse.fr", toulouse_, zoe.address());
  Signed s = SignedIn(admin_.address());
  const std::string base = "/api/structures/" + Id(toulouse_) + "/accounts";
  auto total = [&](const std::string& query) {
    HttpResponse r = Send("GET", base + query, "", s.Cookies());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json().at("total").as_int64() : -1;
  };
  EXPECT_EQ(total(""), 4);
  EXPECT_EQ(total("?status=disabled"), 0);
  EXPECT_EQ(total("?type=MED&status=pending"), 1);  // Zoé
  EXPECT_EQ(total("?type=ORG,MED"), 4);
  EXPECT_EQ(total("?type=PER"), 0);
  ASSERT_EQ(Send("POST", "/api/accounts/" + Id(zoe.id) + "/disable", "", s.CookiesAndCsrf())
                .status,
            200);
  EXPECT_EQ(total("?status=disabled"), 1);
  EXPECT_EQ(total("?type=MED&status=pending"), 0);
  EXPECT_EQ(total(""), 4);
  HttpResponse disabled = Send("GET", base + "?status=disabled&sort=status&order=desc", "",
                               s.Cookies());
  EXPECT_EQ(disabled.Json().at("items").at(0).at("address").as_string(), zoe.address());
  ASSERT_EQ(
      Send("POST", "/api/accounts/" + Id(zoe.id) + "/enable", "", s.CookiesAndCsrf()).status, 200);
  EXPECT_EQ(total("?status=disabled"), 0);
  // Another structure's accounts never count.
  Person("secret@hcl-lyon.fr", lyon_, "Secret", "Lyon");
  EXPECT_EQ(total(""), 4);
}

TEST_F(AdminApiTest, HostileUploadsAreRefusedAndNothingIsWritten) {
  Signed s = SignedIn(admin_.address());
  const int64_t before = CountAccounts();
  const std::string url = "/api/structures/" + Id(toulouse_) + "/imports?name=x.xlsx";
  HttpResponse corrupt = Send("POST", url, std::string("PK\x03\x04garbage-not-a-zip", 21),
                              s.CookiesAndCsrf(), "application/octet-stream");
  ASSERT_EQ(corrupt.status, 202) << corrupt.body;  // read by the job
  boost::json::value job = WaitJob(s, std::string(corrupt.Json().at("id").as_string()));
  EXPECT_EQ(job.at("state").as_string(), "failed");
  EXPECT_FALSE(job.at("error").as_string().empty());
  EXPECT_EQ(Send("POST", "/api/imports/" + std::string(job.at("id").as_string()) + "/apply", "",
                 s.CookiesAndCsrf()).status, 409);

  HttpResponse binary = Send("POST", url, std::string("\x7f" "ELF\x01\x02\x00\x00", 8),
                             s.CookiesAndCsrf(), "application/octet-stream");
  EXPECT_EQ(binary.status, 415) << binary.body;
  EXPECT_THAT(binary.Json().at("detail").as_string(), HasSubstr("CSV"));
  EXPECT_EQ(Send("POST", url, "", s.CookiesAndCsrf(), "application/octet-stream").status, 400);
  std::string huge = "POST " + url + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                     s.CookiesAndCsrf() + "Content-Type: text/csv\r\nContent-Length: " +
                     std::to_string((64u << 20) + 1) + "\r\n\r\n";
  std::optional<HttpResponse> too_big = Roundtrip(server_->port(), huge);
  ASSERT_TRUE(too_big.has_value());
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(CountAccounts(), before);
}

TEST_F(AdminApiTest, ExportDownloadsTheListAndIsTraced) {
  Person("zoe.martin@chu-toulouse.fr", toulouse_, "Martin", "Zoé");
  Person("secret@hcl-lyon.fr", lyon_, "Secret", "Lyon");
  Signed s = SignedIn(admin_.address());
  HttpResponse csv =
      Send("GET", "/api/structures/" + Id(toulouse_) + "/export?format=csv", "", s.Cookies());
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_THAT(csv.Header("Content-Disposition"), HasSubstr("utilisateurs-CHU-de-Toulouse-"));
  EXPECT_THAT(csv.body, HasSubstr("zoe.martin@chu-toulouse.fr"));
  EXPECT_THAT(csv.body, Not(HasSubstr("hcl-lyon")));
  HttpResponse xlsx = Send("GET", "/api/structures/" + Id(toulouse_) + "/export", "", s.Cookies());
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.body.substr(0, 2), "PK");
  HttpResponse trail = Send("GET", "/api/structures/" + Id(toulouse_) + "/audit?action=export.",
                            "", s.Cookies());
  ASSERT_EQ(trail.Json().at("items").as_array().size(), 2u) << trail.body;
  HttpResponse audit_csv =
      Send("GET", "/api/structures/" + Id(toulouse_) + "/audit/export", "", s.Cookies());
  ASSERT_EQ(audit_csv.status, 200);
  EXPECT_THAT(audit_csv.body, HasSubstr("export.accounts"));
  // The other structure's trail is not in this one.
  EXPECT_THAT(audit_csv.body, Not(HasSubstr("hcl-lyon")));
}

TEST_F(AdminApiTest, OpenApiDescribesExactlyTheRegisteredRoutes) {
  HttpResponse r = Send("GET", "/api/openapi.json");
  ASSERT_EQ(r.status, 200);
  boost::json::value doc = r.Json();
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  std::set<std::string> described;
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      std::string m(method);
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      described.insert(m + " " + std::string(path));
    }
  }
  std::set<std::string> registered = registered_;
  registered.erase("GET /healthz");
  // The password routes are described before they are registered (docs/api.md).
  for (const char* pending : {"POST /api/password/forgot", "POST /api/password/reset",
                              "POST /api/activation", "GET /api/password/token"}) {
    if (!registered.count(pending)) described.erase(pending);
  }
  EXPECT_EQ(described, registered);
}

}  // namespace
}  // namespace caduce::api
