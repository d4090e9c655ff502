// A structure's mail setting and the history of sends, over real HTTP on loopback
// (an http::Server in the test process with the administration API and the JMAP
// routes, a real SQLite file and blob folder):
//  - PATCH /api/structures/{id} {"mailAddsSender"}: the structure's administrator
//    turns the Sender: header on and off (CSRF, traced, another structure 403, a
//    person who administers nothing 403, hostile bodies 400 with nothing changed),
//    and the recipient of a message sent from the ORG sees Sender: naming the
//    secretary only while it is on;
//  - EmailSubmission/changes (RFC 8621 §7.2): the sends after a state, paged,
//    from any earlier state, cannotCalculateChanges only for a state not reached.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api/api.h"
#include "api/jmap/method.h"
#include "http/router.h"
#include "http/server.h"
#include "jobs/import_jobs.h"
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kPassword[] = "Le chat boit du thé à 7h";

class JmapStructureTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  JmapStructureTest() {
    auto blobs = mail::BlobStore::Open(dir_.File("blobs"));
    EXPECT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    mail::MailOptions mo;
    mo.local_domains = {"chu-toulouse.fr", "clinique-nord.fr"};
    mail_ = std::make_unique<mail::MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_,
                                                clock_, mo);
    structure_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    other_ = MakeStructure("Clinique du Nord", "clinique-nord.mssante.fr");
    marie_ = Active(structure_, caduce::testing::PersonDraft("PER", "marie.dupont@chu-toulouse.fr"));
    paul_ = Active(structure_, caduce::testing::PersonDraft("MED", "paul.martin@chu-toulouse.fr",
                                                            "Martin", "Paul"));
    claire_ = Active(other_, caduce::testing::PersonDraft("PER", "claire.petit@clinique-nord.fr",
                                                          "Petit", "Claire"));
    org_ = Create(structure_, caduce::testing::SharedDraft("ORG", "secretariat@chu-toulouse.fr",
                                                           "paul.martin@chu-toulouse.fr"));
    EXPECT_OK(directory_->AddAdministrator(op_, structure_, "paul.martin@chu-toulouse.fr"));
    EXPECT_OK(directory_->AddAdministrator(op_, other_, "claire.petit@clinique-nord.fr"));

    http::Router router;
    imports_ = std::make_unique<jobs::ImportJobs>(*directory_, dir_.File("work"), clock_);
    AdminServices admin;
    admin.directory = directory_.get();
    admin.imports = imports_.get();
    admin.work_dir = dir_.File("work");
    ApiOptions api_options;
    api_options.mail = mail_.get();
    EXPECT_OK(AddApiRoutes(router, *auth_, admin, api_options));
    JmapServices js;
    js.mail = mail_.get();
    js.sign_in = auth_.get();
    js.db = db_.get();
    js.directory = &dir_repo_;
    EXPECT_OK(AddJmapRoutes(router, std::move(js)));
    http::ServerOptions server_options;
    server_options.static_dir = "";
    auto server = http::Server::Start(server_options, std::move(router));
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (server.ok()) server_ = std::move(*server);
    paul_cookies_ = SignIn("paul.martin@chu-toulouse.fr");
    marie_cookies_ = SignIn("marie.dupont@chu-toulouse.fr");
    claire_cookies_ = SignIn("claire.petit@clinique-nord.fr");
  }
  ~JmapStructureTest() override {
    if (server_) server_->Stop();
  }

  int64_t Create(int64_t structure, const directory::AccountDraft& d) {
    return CreateAccount(d, structure).id;
  }
  int64_t Active(int64_t structure, const directory::AccountDraft& d) {
    int64_t id = Create(structure, d);
    Activate(id, kPassword);
    return id;
  }

  // The cookies and CSRF header of a signed-in person.
  std::string SignIn(const std::string& address) {
    json::object o{{"address", address}, {"password", kPassword}};
    HttpResponse r = Send("POST", "/api/session", json::serialize(o), "");
    EXPECT_EQ(r.status, 200) << r.body;
    std::string session = CookieOf(r.SetCookie("caduce_session"));
    std::string csrf = CookieOf(r.SetCookie("caduce_csrf"));
    return "Cookie: caduce_session=" + session + "; caduce_csrf=" + csrf +
           "\r\nX-CSRF-Token: " + csrf + "\r\n";
  }

  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& headers) {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + headers;
    if (!body.empty() || method == "POST" || method == "PATCH") {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    auto r = Roundtrip(server_->port(), req);
    EXPECT_TRUE(r.has_value());
    return r.value_or(HttpResponse{});
  }

  HttpResponse Patch(const std::string& who, int64_t structure, const std::string& body) {
    return Send("PATCH", "/api/structures/" + std::to_string(structure), body, who);
  }

  json::array Api(const std::string& who, json::array calls) {
    json::object req{{"using", json::array{"urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail",
                                           "urn:ietf:params:jmap:submission"}},
                     {"methodCalls", std::move(calls)}};
    HttpResponse r = Send("POST", "/jmap/api", json::serialize(req), who);
    EXPECT_EQ(r.status, 200) << r.body;
    json::value v = r.Json();
    if (!v.is_object() || !v.as_object().contains("methodResponses")) {
      ADD_FAILURE() << r.body;
      return {};
    }
    return v.as_object().at("methodResponses").as_array();
  }
  // The arguments of the only response of one call.
  json::object Call(const std::string& who, const std::string& method, json::object args) {
    json::array r = Api(who, json::array{json::array{method, std::move(args), "c"}});
    if (r.size() != 1) {
      ADD_FAILURE() << json::serialize(r);
      return {};
    }
    return r[0].as_array()[1].as_object();
  }

  static std::string A(int64_t id) { return "A" + std::to_string(id); }

  // Paul writes a message in the ORG to `to` and sends it; the submission id.
  std::string SendFromOrg(const std::string& to, const std::string& subject) {
    json::object draft{
        {"from", json::array{json::object{{"name", "Secrétariat"},
                                          {"email", "secretariat@chu-toulouse.fr"}}}},
        {"to", json::array{json::object{{"email", to}}}},
        {"subject", subject},
        {"textBody", json::array{json::object{{"partId", "t"}, {"type", "text/plain"}}}},
        {"bodyValues", json::object{{"t", json::object{{"value", "Bonjour.\n"}}}}}};
    json::array r = Api(
        paul_cookies_,
        json::array{
            json::array{"Email/set",
                        json::object{{"accountId", A(org_)},
                                     {"create", json::object{{"k", std::move(draft)}}}},
                        "0"},
            json::array{"EmailSubmission/set",
                        json::object{{"accountId", A(org_)},
                                     {"create", json::object{{"s", json::object{
                                                                       {"identityId",
                                                                        "I" + std::to_string(org_)},
                                                                       {"emailId", "#k"}}}}}},
                        "1"}});
    if (r.size() < 2 || !r[1].as_array()[1].as_object().contains("created")) {
      ADD_FAILURE() << json::serialize(r);
      return "";
    }
    return std::string(
        r[1].as_array()[1].as_object().at("created").at("s").at("id").as_string());
  }

  // The Sender: addresses of the newest message of Marie's inbox, as her mail
  // client reads them (Email/query then Email/get over JMAP).
  std::vector<std::string> SenderMarieSees() {
    json::array r = Api(
        marie_cookies_,
        json::array{
            json::array{"Email/query",
                        json::object{{"accountId", A(marie_)},
                                     {"sort", json::array{json::object{{"property", "receivedAt"},
                                                                       {"isAscending", false}}}},
                                     {"limit", 1}},
                        "q"},
            json::array{"Email/get",
                        json::object{{"accountId", A(marie_)},
                                     {"#ids", json::object{{"resultOf", "q"},
                                                           {"name", "Email/query"},
                                                           {"path", "/ids"}}},
                                     {"properties", json::array{"from", "sender"}}},
                        "g"}});
    std::vector<std::string> out;
    if (r.size() != 2) {
      ADD_FAILURE() << json::serialize(r);
      return out;
    }
    const json::array& list = r[1].as_array()[1].as_object().at("list").as_array();
    if (list.size() != 1) {
      ADD_FAILURE() << json::serialize(r);
      return out;
    }
    EXPECT_EQ(list[0].at("from").as_array().at(0).at("email").as_string(),
              "secretariat@chu-toulouse.fr");
    const json::value& sender = list[0].at("sender");
    if (sender.is_array()) {
      for (const json::value& a : sender.as_array()) out.emplace_back(a.at("email").as_string());
    }
    return out;
  }

  std::vector<audit::Entry> StructureTrail() {
    auto tx = db_->Begin(storage::TxMode::kRead);
    EXPECT_TRUE(tx.ok());
    audit::Filter f;
    f.action_prefix = "structure.updated";
    auto entries = audit_->Query(**tx, f);
    EXPECT_TRUE(entries.ok());
    return entries.ok() ? *entries : std::vector<audit::Entry>{};
  }

  store_sqlite::SqliteMailRepository mail_repo_;
  std::unique_ptr<mail::BlobStore> blobs_;
  std::unique_ptr<mail::MailService> mail_;
  std::unique_ptr<jobs::ImportJobs> imports_;
  std::unique_ptr<http::Server> server_;
  int64_t structure_ = 0, other_ = 0, marie_ = 0, paul_ = 0, claire_ = 0, org_ = 0;
  std::string paul_cookies_, marie_cookies_, claire_cookies_;
};

TEST_F(JmapStructureTest, SenderHeaderNamesTheSecretaryOnlyWhileTheStructureAsksForIt) {
  // Off by default: the recipient sees the ORG alone.
  ASSERT_NE(SendFromOrg("marie.dupont@chu-toulouse.fr", "Convocation"), "");
  EXPECT_THAT(SenderMarieSees(), IsEmpty());

  // The structure's administrator turns it on.
  HttpResponse on = Patch(paul_cookies_, structure_, R"({"mailAddsSender": true})");
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(on.Json().at("mailAddsSender").as_bool(), true);
  EXPECT_EQ(on.Json().at("id").as_int64(), structure_);
  HttpResponse list = Send("GET", "/api/structures", "", paul_cookies_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.Json().as_array().at(0).at("mailAddsSender").as_bool(), true);
  ASSERT_NE(SendFromOrg("marie.dupont@chu-toulouse.fr", "Compte rendu"), "");
  EXPECT_THAT(SenderMarieSees(), ElementsAre("paul.martin@chu-toulouse.fr"));

  // And off again.
  HttpResponse off = Patch(paul_cookies_, structure_, R"({"mailAddsSender": false})");
  ASSERT_EQ(off.status, 200) << off.body;
  ASSERT_NE(SendFromOrg("marie.dupont@chu-toulouse.fr", "Rappel"), "");
  EXPECT_THAT(SenderMarieSees(), IsEmpty());

  // Each change is in the trail with the person, and the chain holds. Setting the
  // value the structure already has traces nothing.
  HttpResponse again = Patch(paul_cookies_, structure_, R"({"mailAddsSender": false})");
  EXPECT_EQ(again.status, 200);
  std::vector<audit::Entry> trail = StructureTrail();
  ASSERT_THAT(trail, SizeIs(2));
  EXPECT_EQ(trail[0].event.actor, "paul.martin@chu-toulouse.fr");
  EXPECT_EQ(trail[0].event.actor_person_id, paul_);
  EXPECT_EQ(trail[0].event.object, "structure:" + std::to_string(structure_));
  EXPECT_THAT(trail[0].event.detail, HasSubstr(R"("mail_adds_sender":{"before":false,"after":true})"));
  EXPECT_THAT(trail[1].event.detail, HasSubstr(R"("before":true,"after":false)"));
  auto tx = db_->Begin(storage::TxMode::kRead);
  ASSERT_TRUE(tx.ok());
  auto report = audit_->Verify(**tx);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_F(JmapStructureTest, OnlyTheStructuresAdministratorChangesItAndBadBodiesChangeNothing) {
  auto adds = [&] { return *mail_->StructureAddsSender(structure_); };
  // Claire administers the other structure, not this one: 403 naming who to ask.
  HttpResponse claire = Patch(claire_cookies_, structure_, R"({"mailAddsSender": true})");
  EXPECT_EQ(claire.status, 403);
  EXPECT_THAT(claire.body, HasSubstr("Vous n'administrez pas cette structure"));
  // Marie administers nothing.
  EXPECT_EQ(Patch(marie_cookies_, structure_, R"({"mailAddsSender": true})").status, 403);
  // No session, or a session without the CSRF header: the CSRF check refuses first.
  EXPECT_EQ(Patch("", structure_, R"({"mailAddsSender": true})").status, 403);
  std::string no_csrf = paul_cookies_.substr(0, paul_cookies_.find("X-CSRF-Token"));
  EXPECT_EQ(Patch(no_csrf, structure_, R"({"mailAddsSender": true})").status, 403);
  // Ids outside Paul's structures, existing or not, answer alike; not ids: 404.
  EXPECT_EQ(Patch(paul_cookies_, 999999, R"({"mailAddsSender": true})").status, 403);
  EXPECT_EQ(Send("PATCH", "/api/structures/1%27%20OR%201=1", R"({"mailAddsSender": true})",
                 paul_cookies_)
                .status,
            404);
  // Hostile bodies: each refused with the field named, nothing written.
  struct Bad {
    const char* body;
    const char* says;
  };
  for (const Bad& b : {Bad{R"({"mailAddsSender": "on"})", "mailAddsSender"},
                       Bad{R"({"mailAddsSender": 1})", "mailAddsSender"},
                       Bad{R"({"mailAddsSender": null})", "mailAddsSender"},
                       Bad{R"({"mailAddsSender": true, "name": "Autre"})", "name"},
                       Bad{R"({})", "mailAddsSender"}, Bad{R"([true])", "mailAddsSender"}}) {
    HttpResponse r = Patch(paul_cookies_, structure_, b.body);
    EXPECT_EQ(r.status, 400) << b.body << " " << r.body;
    EXPECT_THAT(r.body, HasSubstr(b.says)) << b.body;
  }
  EXPECT_EQ(Patch(paul_cookies_, structure_, R"({"mailAddsSender": tru)").status, 400);
  EXPECT_FALSE(adds());
  EXPECT_THAT(StructureTrail(), IsEmpty());
  // Claire's own structure is hers to change, and only it.
  EXPECT_EQ(Patch(claire_cookies_, other_, R"({"mailAddsSender": true})").status, 200);
  EXPECT_TRUE(*mail_->StructureAddsSender(other_));
  EXPECT_FALSE(adds());
}

TEST_F(JmapStructureTest, SubmissionChangesListTheSendsAfterAState) {
  json::object get = Call(paul_cookies_, "EmailSubmission/get",
                          json::object{{"accountId", A(org_)}, {"ids", nullptr}});
  std::string s0(get.at("state").as_string());
  std::string first = SendFromOrg("marie.dupont@chu-toulouse.fr", "Un");
  std::string second = SendFromOrg("marie.dupont@chu-toulouse.fr", "Deux");
  // A change in the account that is not a send: it moves the state, not the list.
  ASSERT_OK(mail_->CreateMailbox({paul_, "paul.martin@chu-toulouse.fr", ""}, org_, "Archives 2026",
                                 0));
  std::string third = SendFromOrg("marie.dupont@chu-toulouse.fr", "Trois");

  json::object all = Call(paul_cookies_, "EmailSubmission/changes",
                          json::object{{"accountId", A(org_)}, {"sinceState", s0}});
  EXPECT_EQ(all.at("accountId").as_string(), A(org_));
  EXPECT_EQ(all.at("oldState").as_string(), s0);
  EXPECT_EQ(all.at("hasMoreChanges").as_bool(), false);
  EXPECT_EQ(json::serialize(all.at("created")),
            json::serialize(json::array{json::string(first), json::string(second),
                                        json::string(third)}));
  EXPECT_THAT(all.at("updated").as_array(), IsEmpty());
  EXPECT_THAT(all.at("destroyed").as_array(), IsEmpty());
  // newState is the account's state, the one EmailSubmission/get gives now.
  json::object now = Call(paul_cookies_, "EmailSubmission/get",
                          json::object{{"accountId", A(org_)}, {"ids", json::array()}});
  EXPECT_EQ(all.at("newState"), now.at("state"));

  // Paged: one at a time, each page ends at a state the next one starts from.
  std::vector<std::string> seen;
  std::string since = s0;
  for (int page = 0; page < 10; ++page) {
    json::object c =
        Call(paul_cookies_, "EmailSubmission/changes",
             json::object{{"accountId", A(org_)}, {"sinceState", since}, {"maxChanges", 1}});
    for (const json::value& id : c.at("created").as_array()) seen.emplace_back(id.as_string());
    since = std::string(c.at("newState").as_string());
    if (!c.at("hasMoreChanges").as_bool()) break;
  }
  EXPECT_THAT(seen, ElementsAre(first, second, third));
  EXPECT_EQ(json::value(since), now.at("state"));

  // Up to date: nothing. From the very first state of the account: every send.
  json::object none = Call(paul_cookies_, "EmailSubmission/changes",
                           json::object{{"accountId", A(org_)}, {"sinceState", since}});
  EXPECT_THAT(none.at("created").as_array(), IsEmpty());
  EXPECT_EQ(none.at("newState").as_string(), since);
  json::object from_zero = Call(paul_cookies_, "EmailSubmission/changes",
                                json::object{{"accountId", A(org_)}, {"sinceState", "0"}});
  ASSERT_TRUE(from_zero.contains("created")) << json::serialize(from_zero);
  EXPECT_THAT(from_zero.at("created").as_array(), SizeIs(3));
}

TEST_F(JmapStructureTest, SubmissionChangesRefuseWhatCannotBeAnswered) {
  json::object get = Call(paul_cookies_, "EmailSubmission/get",
                          json::object{{"accountId", A(org_)}, {"ids", nullptr}});
  std::string state(get.at("state").as_string());
  auto type_of = [&](json::object args) {
    json::array r = Api(paul_cookies_,
                        json::array{json::array{"EmailSubmission/changes", std::move(args), "c"}});
    EXPECT_THAT(r, SizeIs(1));
    if (r.empty()) return std::string();
    EXPECT_EQ(r[0].as_array()[0].as_string(), "error") << json::serialize(r);
    return std::string(r[0].as_array()[1].as_object().at("type").as_string());
  };
  // A state the account has not reached, garbled states: cannotCalculateChanges.
  std::string future = state;
  future.back() = future.back() == '9' ? '8' : '9';
  future += "99";
  for (const std::string& s : {future, std::string("zzz"), std::string(""),
                               std::string("' OR 1=1 --"), std::string(300, '9')}) {
    EXPECT_EQ(type_of(json::object{{"accountId", A(org_)}, {"sinceState", s}}),
              "cannotCalculateChanges")
        << s;
  }
  // Malformed arguments.
  EXPECT_EQ(type_of(json::object{{"accountId", A(org_)}}), "invalidArguments");
  EXPECT_EQ(type_of(json::object{{"accountId", A(org_)}, {"sinceState", 5}}), "invalidArguments");
  EXPECT_EQ(
      type_of(json::object{{"accountId", A(org_)}, {"sinceState", state}, {"maxChanges", 0}}),
      "invalidArguments");
  EXPECT_EQ(
      type_of(json::object{{"accountId", A(org_)}, {"sinceState", state}, {"maxChanges", -3}}),
      "invalidArguments");
  EXPECT_EQ(type_of(json::object{{"accountId", A(org_)}, {"sinceState", state}, {"filter", 1}}),
            "invalidArguments");
  // Marie has no right on the ORG, Claire neither: the account does not exist for them.
  json::array r =
      Api(marie_cookies_,
          json::array{json::array{"EmailSubmission/changes",
                                  json::object{{"accountId", A(org_)}, {"sinceState", state}},
                                  "c"}});
  ASSERT_THAT(r, SizeIs(1));
  EXPECT_EQ(r[0].as_array()[1].at("type").as_string(), "accountNotFound");
}

}  // namespace
}  // namespace caduce::api::jmap
