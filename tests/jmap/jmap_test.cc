// The JMAP API over real HTTP on loopback: an http::Server in the test process
// with the /api and /jmap routes, over a real SQLite file and blob folder;
// accounts made with DirectoryService, messages delivered with MailService.
// Checks the shapes of RFC 8620/8621 responses and errors as a client sees them,
// the per-call right check, the trace of an opened ORG message, and push.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
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
#include "api/jmap/method.h"
#include "http/router.h"
#include "http/server.h"
#include "mail/blob_store.h"
#include "mail/mail_service.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/mail_repo.h"
#include "testing/account_drafts.h"
#include "testing/http_roundtrip.h"
#include "testing/service_stack.h"
#include "testing/status_matchers.h"

namespace caduce::api::jmap {
namespace {

namespace json = boost::json;
using ::caduce::testing::CookieOf;
using ::caduce::testing::HttpResponse;
using ::caduce::testing::Roundtrip;
using ::testing::HasSubstr;
using ::testing::Not;
using directory::Account;
using SteadyClock = std::chrono::steady_clock;

constexpr char kPassword[] = "Le chat boit du thé à 7h";
constexpr char kUsing[] =
    R"(["urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail","urn:caduce:params:jmap:handling"])";

std::string Message(const std::string& subject, const std::string& body) {
  return "From: Labo <labo@biologie.fr>\r\nTo: secretariat@chu-toulouse.fr\r\nSubject: " + subject +
         "\r\nMessage-ID: <" + std::to_string(std::hash<std::string>{}(subject)) +
         "@biologie.fr>\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
         body + "\r\n";
}

class JmapTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  JmapTest() {
    clock_.SetDate("2026-11-27");
    auto blobs = mail::BlobStore::Open(dir_.File("blobs"));
    EXPECT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    mail_ = std::make_unique<mail::MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_,
                                                clock_, mail::MailOptions{});

    toulouse_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    lyon_ = MakeStructure("HCL Lyon", "hcl-lyon.mssante.fr");
    anne_ = ActivePerson("anne.roux@chu-toulouse.fr", toulouse_);
    paul_ = ActivePerson("paul.henry@chu-toulouse.fr", toulouse_);
    other_ = ActivePerson("marc@hcl-lyon.fr", lyon_);
    secretariat_ = Create(caduce::testing::SharedDraft("ORG", "secretariat@chu-toulouse.fr",
                                                       "anne.roux@chu-toulouse.fr"),
                          toulouse_);
    lyon_org_ = Create(caduce::testing::SharedDraft("ORG", "accueil@hcl-lyon.fr",
                                                    "marc@hcl-lyon.fr", "Accueil de Lyon"),
                       lyon_);

    http::Router router;
    EXPECT_OK(AddApiRoutes(router, *auth_));
    JmapServices s;
    s.mail = mail_.get();
    s.sign_in = auth_.get();
    s.db = db_.get();
    s.directory = &dir_repo_;
    s.limits.max_calls_in_request = 8;
    s.limits.max_objects_in_get = 50;
    s.limits.max_size_request = 20000;
    s.push_poll_ms = 50;
    EXPECT_OK(AddJmapRoutes(router, std::move(s)));
    http::ServerOptions server_options;
    server_options.worker_threads = 2;
    server_options.static_dir = "";  // the API alone, wherever the test runs
    auto server = http::Server::Start(server_options, std::move(router));
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (server.ok()) server_ = std::move(*server);
  }
  ~JmapTest() override {
    if (server_) server_->Stop();
  }

  Account Create(const directory::AccountDraft& d, int64_t structure) {
    return CreateAccount(d, structure);
  }
  Account ActivePerson(const std::string& address, int64_t structure) {
    Account a = Create(caduce::testing::PersonDraft("MED", address, "Roux", "Anne"), structure);
    Activate(a, kPassword);
    return a;
  }
  int64_t Deliver(const std::string& to, const std::string& subject, const std::string& body) {
    auto r = mail_->Deliver(Message(subject, body), "labo@biologie.fr", {to});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && !r->delivered.empty() ? r->delivered[0].email_id : 0;
  }

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "", const std::string& extra = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" +
                      "User-Agent: jmap-test/1.0\r\nConnection: close\r\n" + extra;
    if (method == "POST") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    std::optional<HttpResponse> r = Roundtrip(server_->port(), req);
    EXPECT_TRUE(r.has_value()) << method << " " << target;
    return r.value_or(HttpResponse{});
  }
  std::string SignIn(const std::string& address) {
    json::object o{{"address", address}, {"password", kPassword}};
    HttpResponse r = Send("POST", "/api/session", json::serialize(o));
    EXPECT_EQ(r.status, 200) << r.body;
    std::string session = CookieOf(r.SetCookie("caduce_session"));
    std::string csrf = CookieOf(r.SetCookie("caduce_csrf"));
    return "Cookie: caduce_session=" + session + "; caduce_csrf=" + csrf +
           "\r\nX-CSRF-Token: " + csrf + "\r\n";
  }
  // One JMAP request; the parsed body.
  json::value Api(const std::string& auth, const std::string& calls, int* status = nullptr) {
    std::string body = std::string("{\"using\":") + kUsing + ",\"methodCalls\":" + calls + "}";
    HttpResponse r = Send("POST", "/jmap/api", body, auth);
    if (status) *status = r.status;
    return r.Json();
  }
  static const json::array& Response(const json::value& v, size_t i) {
    return v.at("methodResponses").as_array().at(i).as_array();
  }
  std::string A(int64_t id) { return "A" + std::to_string(id); }

  store_sqlite::SqliteMailRepository mail_repo_;
  std::unique_ptr<mail::BlobStore> blobs_;
  std::unique_ptr<mail::MailService> mail_;
  int64_t toulouse_ = 0, lyon_ = 0;
  Account anne_, paul_, other_, secretariat_, lyon_org_;
  std::unique_ptr<http::Server> server_;
};

TEST_F(JmapTest, SessionListsOwnMailboxAndSharedOnesAndRefusesStrangers) {
  HttpResponse none = Send("GET", "/.well-known/jmap");
  EXPECT_EQ(none.status, 401);
  EXPECT_THAT(none.Header("WWW-Authenticate"), HasSubstr("Bearer"));
  HttpResponse forged = Send("GET", "/jmap/session", "", "Authorization: Bearer cdc_pat_forged\r\n");
  EXPECT_EQ(forged.status, 401);

  std::string anne = SignIn(anne_.address());
  HttpResponse r = Send("GET", "/.well-known/jmap", "", anne);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value s = r.Json();
  const json::object& accounts = s.at("accounts").as_object();
  ASSERT_EQ(accounts.size(), 2u);
  EXPECT_EQ(accounts.at(A(anne_.id)).at("isPersonal").as_bool(), true);
  EXPECT_EQ(accounts.at(A(secretariat_.id)).at("name").as_string(), "Secrétariat de cardiologie");
  EXPECT_EQ(accounts.at(A(secretariat_.id)).at("isPersonal").as_bool(), false);
  EXPECT_FALSE(accounts.contains(A(lyon_org_.id)));
  EXPECT_EQ(s.at("primaryAccounts").at("urn:ietf:params:jmap:mail").as_string(), A(anne_.id));
  EXPECT_EQ(s.at("username").as_string(), anne_.address());
  EXPECT_EQ(s.at("apiUrl").as_string(), "http://localhost/jmap/api");
  EXPECT_EQ(s.at("capabilities").at("urn:ietf:params:jmap:core").at("maxCallsInRequest").as_int64(),
            8);
  EXPECT_FALSE(s.at("state").as_string().empty());
}

TEST_F(JmapTest, QueryThenGetWithBackReferenceAndTheOpeningIsTracedWithoutSubject) {
  Deliver("secretariat@chu-toulouse.fr", "Résultats de M. Martin", "Hémoglobine normale.");
  Deliver("secretariat@chu-toulouse.fr", "Résultats de Mme Petit", "Glycémie à jeun élevée.");
  std::string anne = SignIn(anne_.address());
  std::string acc = A(secretariat_.id);
  json::value v = Api(anne, R"([["Email/query",{"accountId":")" + acc +
                                R"(","sort":[{"property":"receivedAt","isAscending":false}],"calculateTotal":true},"q"],
      ["Email/get",{"accountId":")" + acc +
                                R"(","#ids":{"resultOf":"q","name":"Email/query","path":"/ids"},
        "properties":["subject","from","textBody","bodyValues","handledBy","threadId"],"fetchTextBodyValues":true},"g"]])");
  ASSERT_TRUE(v.is_object()) << json::serialize(v);
  const json::array& q = Response(v, 0);
  EXPECT_EQ(q.at(0).as_string(), "Email/query");
  EXPECT_EQ(q.at(1).at("total").as_int64(), 2);
  EXPECT_EQ(q.at(1).at("ids").as_array().size(), 2u);
  const json::array& g = Response(v, 1);
  ASSERT_EQ(g.at(0).as_string(), "Email/get") << json::serialize(g);
  const json::array& list = g.at(1).at("list").as_array();
  ASSERT_EQ(list.size(), 2u);
  const json::object& first = list.at(0).as_object();
  std::string part = std::string(first.at("textBody").as_array().at(0).at("partId").as_string());
  std::string text(first.at("bodyValues").at(part).at("value").as_string());
  EXPECT_THAT(text, Not(HasSubstr("Résultats")));  // the body, not the subject
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(first.at("from").as_array().at(0).at("email").as_string(), "labo@biologie.fr");
  // handledBy was read before this very opening was recorded? It is read after:
  // the opening of this call is in it.
  const json::array& handled = first.at("handledBy").as_array();
  ASSERT_FALSE(handled.empty());
  EXPECT_EQ(handled.back().at("by").as_string(), anne_.address());
  EXPECT_EQ(handled.back().at("action").as_string(), "opened");

  // The audit trail names Anne, the ORG mailbox, and never the subject or body.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir_.File("caduce.db").c_str(), &raw, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw,
                               "SELECT actor_person_id, mailbox_id, object, detail FROM audit "
                               "WHERE action = 'email.opened'",
                               -1, &st, nullptr),
            SQLITE_OK);
  int rows = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    ++rows;
    EXPECT_EQ(sqlite3_column_int64(st, 0), anne_.id);
    EXPECT_EQ(sqlite3_column_int64(st, 1), secretariat_.id);
    std::string all = reinterpret_cast<const char*>(sqlite3_column_text(st, 2));
    all += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
    EXPECT_THAT(all, Not(HasSubstr("Résultats")));
    EXPECT_THAT(all, Not(HasSubstr("Glycémie")));
  }
  sqlite3_finalize(st);
  sqlite3_close(raw);
  EXPECT_EQ(rows, 2);
}

TEST_F(JmapTest, ErrorsOfRequestsAndMethods) {
  std::string anne = SignIn(anne_.address());
  // Request-level errors are problems.
  HttpResponse bad = Send("POST", "/jmap/api", "{\"using\":[", anne);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json().at("type").as_string(), "urn:ietf:params:jmap:error:notJSON");
  HttpResponse not_request = Send("POST", "/jmap/api", "{\"using\":[],\"methodCalls\":{}}", anne);
  EXPECT_EQ(not_request.Json().at("type").as_string(), "urn:ietf:params:jmap:error:notRequest");
  HttpResponse cap = Send("POST", "/jmap/api",
                          R"({"using":["urn:x:nope"],"methodCalls":[]})", anne);
  EXPECT_EQ(cap.Json().at("type").as_string(),
            "urn:ietf:params:jmap:error:unknownCapability");
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += std::string(i ? "," : "") + R"(["Core/echo",{},"c"])";
  json::value many = Api(anne, "[" + nine + "]");
  EXPECT_EQ(many.at("type").as_string(), "urn:ietf:params:jmap:error:limit");
  EXPECT_EQ(many.at("limit").as_string(), "maxCallsInRequest");
  json::value big = Api(anne, R"([["Core/echo",{"x":")" + std::string(30000, 'a') + R"("},"c"]])");
  EXPECT_EQ(big.at("limit").as_string(), "maxSizeRequest");
  // A POST with the cookie but without the CSRF header.
  std::string cookie_only = anne.substr(0, anne.find("X-CSRF-Token"));
  EXPECT_EQ(Send("POST", "/jmap/api", R"({"using":[],"methodCalls":[]})", cookie_only).status, 403);

  std::string ids;
  for (int i = 1; i <= 51; ++i) ids += std::string(i > 1 ? "," : "") + "\"M" + std::to_string(i) + "\"";
  json::value v = Api(anne, R"([["Core/echo",{"hello":true},"e"],
      ["Foo/bar",{},"u"],
      ["Email/get",{"accountId":")" + A(lyon_org_.id) + R"(","ids":[]},"other"],
      ["Email/get",{"accountId":")" + A(anne_.id) + R"(","ids":[)" + ids + R"(]},"big"],
      ["Email/changes",{"accountId":")" + A(anne_.id) + R"(","sinceState":"999999"},"ch"],
      ["Mailbox/set",{"accountId":")" + A(anne_.id) + R"(","ifInState":"old","create":{"k":{"name":"x"}}},"sm"],
      ["Email/get",{"accountId":")" + A(anne_.id) + R"(","#ids":{"resultOf":"later","name":"Email/query","path":"/ids"}},"ref"],
      ["Email/query",{"accountId":")" + A(anne_.id) + R"(","filter":{"operator":"OR","conditions":[]}},"f"]])");
  ASSERT_TRUE(v.is_object()) << json::serialize(v);
  EXPECT_EQ(Response(v, 0).at(1).at("hello").as_bool(), true);
  auto type = [&](size_t i) { return std::string(Response(v, i).at(1).at("type").as_string()); };
  EXPECT_EQ(Response(v, 1).at(0).as_string(), "error");
  EXPECT_EQ(type(1), "unknownMethod");
  EXPECT_EQ(type(2), "accountNotFound");
  EXPECT_EQ(type(3), "requestTooLarge");
  EXPECT_EQ(type(4), "cannotCalculateChanges");
  EXPECT_EQ(type(5), "stateMismatch");
  EXPECT_EQ(type(6), "invalidResultReference");
  EXPECT_EQ(type(7), "unsupportedFilter");
  EXPECT_EQ(Response(v, 7).at(2).as_string(), "f");
}

TEST_F(JmapTest, MailboxesAndARevokedRightCutsAccessAtTheNextCall) {
  std::string anne = SignIn(anne_.address());
  std::string acc = A(secretariat_.id);
  json::value v = Api(anne, R"([["Mailbox/get",{"accountId":")" + acc + R"(","ids":null},"m"],
      ["Mailbox/set",{"accountId":")" + acc + R"(","create":{"n":{"name":"Bilans 2026"}}},"s"],
      ["Mailbox/query",{"accountId":")" + acc + R"(","filter":{"hasAnyRole":false}},"q"]])");
  const json::array& boxes = Response(v, 0).at(1).at("list").as_array();
  EXPECT_EQ(boxes.size(), 5u);
  std::string created(Response(v, 1).at(1).at("created").at("n").at("id").as_string());
  EXPECT_EQ(Response(v, 2).at(1).at("ids").as_array().at(0).as_string(), created);
  std::string state(Response(v, 0).at(1).at("state").as_string());
  json::value ch = Api(anne, R"([["Mailbox/changes",{"accountId":")" + acc + R"(","sinceState":")" +
                                 state + R"("},"c"]])");
  EXPECT_EQ(Response(ch, 0).at(1).at("created").as_array().at(0).as_string(), created);

  ASSERT_OK(directory_->RevokeRight(op_, secretariat_.id, anne_.id));
  json::value after = Api(anne, R"([["Mailbox/get",{"accountId":")" + acc + R"(","ids":null},"m"]])");
  EXPECT_EQ(Response(after, 0).at(1).at("type").as_string(), "accountNotFound");
  HttpResponse s = Send("GET", "/jmap/session", "", anne);
  EXPECT_FALSE(s.Json().at("accounts").as_object().contains(acc));
}

TEST_F(JmapTest, PushDeliversAStateChangeAfterADelivery) {
  std::string anne = SignIn(anne_.address());
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string req = "GET /jmap/eventsource?types=*&closeafter=no&ping=0 HTTP/1.1\r\nHost: "
                    "localhost\r\n" + anne + "\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string in;
  auto read_until = [&](size_t events) {
    auto deadline = SteadyClock::now() + std::chrono::seconds(10);
    size_t seen = 0;
    while (SteadyClock::now() < deadline) {
      seen = 0;
      for (size_t p = in.find("event: state"); p != std::string::npos;
           p = in.find("event: state", p + 1)) {
        ++seen;
      }
      if (seen >= events) return true;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
    return false;
  };
  ASSERT_TRUE(read_until(1)) << in;
  EXPECT_THAT(in, HasSubstr("text/event-stream"));
  EXPECT_THAT(in, HasSubstr("StateChange"));
  Deliver("secretariat@chu-toulouse.fr", "Compte rendu", "Texte.");
  ASSERT_TRUE(read_until(2)) << in;
  size_t last = in.rfind("event: state");
  EXPECT_THAT(in.substr(last), HasSubstr("\"" + A(secretariat_.id) + "\""));
  EXPECT_THAT(in.substr(last), HasSubstr("\"Email\""));
  ::close(fd);
}

}  // namespace
}  // namespace caduce::api::jmap
