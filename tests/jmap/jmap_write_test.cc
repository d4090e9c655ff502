// The writing side of JMAP over real HTTP on loopback (an http::Server in the test
// process with the /api and /jmap routes, a real SQLite file and blob folder):
// a secretary writes a draft in an ORG mailbox and sends it with
// onSuccessUpdateEmail filing it in « Envoyés »; the recipient (a PER) gets it from
// the ORG's address; the ORG's trail names the secretary; forbiddenFrom; replies
// mark $answered; over quota stores nothing; uploads are capped and a blob of
// another account cannot be downloaded.
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
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kPassword[] = "Le chat boit du thé à 7h";

class JmapWriteTest : public ::testing::Test, protected caduce::testing::ServiceStack {
 protected:
  JmapWriteTest() {
    auto blobs = mail::BlobStore::Open(dir_.File("blobs"));
    EXPECT_TRUE(blobs.ok());
    blobs_ = std::move(*blobs);
    mail::MailOptions mo;
    mo.local_domains = {"chu-toulouse.fr"};
    mo.max_upload_bytes = 4096;
    mail_ = std::make_unique<mail::MailService>(*db_, mail_repo_, dir_repo_, *audit_, *blobs_,
                                                clock_, mo);
    structure_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    marie_ = Active(caduce::testing::PersonDraft("PER", "marie.dupont@chu-toulouse.fr"));
    paul_ = Active(
        caduce::testing::PersonDraft("MED", "paul.martin@chu-toulouse.fr", "Martin", "Paul"));
    org_ = Create(caduce::testing::SharedDraft("ORG", "secretariat@chu-toulouse.fr",
                                               "paul.martin@chu-toulouse.fr"));

    http::Router router;
    EXPECT_OK(AddApiRoutes(router, *auth_));
    JmapServices js;
    js.mail = mail_.get();
    js.sign_in = auth_.get();
    js.db = db_.get();
    js.directory = &dir_repo_;
    js.limits.max_size_upload = 4096;
    EXPECT_OK(AddJmapRoutes(router, std::move(js)));
    http::ServerOptions server_options;
    server_options.static_dir = "";
    auto server = http::Server::Start(server_options, std::move(router));
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (server.ok()) server_ = std::move(*server);
    paul_cookies_ = SignIn("paul.martin@chu-toulouse.fr");
    marie_cookies_ = SignIn("marie.dupont@chu-toulouse.fr");
  }
  ~JmapWriteTest() override {
    if (server_) server_->Stop();
  }

  int64_t Create(const directory::AccountDraft& d) { return CreateAccount(d, structure_).id; }
  int64_t Active(const directory::AccountDraft& d) {
    int64_t id = Create(d);
    Activate(id, kPassword);
    return id;
  }

  // The cookies and CSRF header of a signed-in person.
  std::string SignIn(const std::string& address) {
    json::object o{{"address", address}, {"password", kPassword}};
    HttpResponse r = Send("POST", "/api/session", json::serialize(o), "", "application/json");
    EXPECT_EQ(r.status, 200) << r.body;
    std::string session = CookieOf(r.SetCookie("caduce_session"));
    std::string csrf = CookieOf(r.SetCookie("caduce_csrf"));
    return "Cookie: caduce_session=" + session + "; caduce_csrf=" + csrf +
           "\r\nX-CSRF-Token: " + csrf + "\r\n";
  }

  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& headers, const std::string& type = "application/json") {
    std::string req =
        method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + headers;
    if (!body.empty() || method == "POST") {
      req +=
          "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n" + body;
    auto r = Roundtrip(server_->port(), req);
    EXPECT_TRUE(r.has_value());
    return r.value_or(HttpResponse{});
  }

  // POST /jmap/api with `calls`; the methodResponses.
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

  static std::string A(int64_t id) { return "A" + std::to_string(id); }
  static std::string M(int64_t id) { return "M" + std::to_string(id); }
  std::string F(int64_t account, mail::Role role) {
    mail::MailActor who{account == org_ ? paul_ : account, "", ""};
    auto list = mail_->Mailboxes(who, account);
    EXPECT_TRUE(list.ok());
    for (const auto& m : *list) {
      if (m.role == role) return "F" + std::to_string(m.id);
    }
    return "";
  }
  std::vector<int64_t> In(int64_t account, mail::Role role) {
    mail::MailActor who{account == org_ ? paul_ : account, "", ""};
    mail::EmailQuery q;
    q.account_id = account;
    q.filter.in_mailbox = std::stoll(F(account, role).substr(1));
    auto r = mail_->Query(who, q);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->ids : std::vector<int64_t>{};
  }

  json::object DraftCreate(const std::string& from, const std::string& to) {
    return json::object{
        {"mailboxIds", json::object{{F(org_, mail::Role::kDrafts), true}}},
        {"keywords", json::object{{"$draft", true}, {"$seen", true}}},
        {"from", json::array{json::object{{"name", "Secrétariat"}, {"email", from}}}},
        {"to", json::array{json::object{{"name", "Dr Dupont"}, {"email", to}}}},
        {"subject", "Convocation du 3 décembre"},
        {"textBody", json::array{json::object{{"partId", "t"}, {"type", "text/plain"}}}},
        {"bodyValues", json::object{{"t", json::object{{"value", "Bonjour,\nÀ bientôt.\n"}}}}}};
  }
  json::array SendCalls(json::object draft) {
    return json::array{
        json::array{"Email/set",
                    json::object{{"accountId", A(org_)},
                                 {"create", json::object{{"k1", std::move(draft)}}}},
                    "0"},
        json::array{
            "EmailSubmission/set",
            json::object{
                {"accountId", A(org_)},
                {"create",
                 json::object{{"s1", json::object{{"identityId", "I" + std::to_string(org_)},
                                                  {"emailId", "#k1"}}}}},
                {"onSuccessUpdateEmail",
                 json::object{
                     {"#s1", json::object{{"mailboxIds/" + F(org_, mail::Role::kDrafts), nullptr},
                                          {"mailboxIds/" + F(org_, mail::Role::kSent), true},
                                          {"keywords/$draft", nullptr}}}}}},
            "1"}};
  }

  store_sqlite::SqliteMailRepository mail_repo_;
  std::unique_ptr<mail::BlobStore> blobs_;
  std::unique_ptr<mail::MailService> mail_;
  std::unique_ptr<http::Server> server_;
  int64_t structure_ = 0, marie_ = 0, paul_ = 0, org_ = 0;
  std::string paul_cookies_, marie_cookies_;
};

TEST_F(JmapWriteTest, SecretarySendsFromOrgAndTheTeamSeesWhoSent) {
  json::array r =
      Api(paul_cookies_,
          SendCalls(DraftCreate("secretariat@chu-toulouse.fr", "marie.dupont@chu-toulouse.fr")));
  ASSERT_THAT(r, SizeIs(3)) << json::serialize(r);
  EXPECT_EQ(r[0].as_array()[0].as_string(), "Email/set");
  const json::object& created = r[0].as_array()[1].as_object().at("created").at("k1").as_object();
  std::string email_id(created.at("id").as_string());
  EXPECT_TRUE(created.contains("blobId") && created.contains("threadId") &&
              created.contains("size"));
  EXPECT_EQ(r[1].as_array()[0].as_string(), "EmailSubmission/set");
  EXPECT_TRUE(r[1].as_array()[1].as_object().at("created").as_object().contains("s1"))
      << json::serialize(r[1]);
  EXPECT_EQ(r[2].as_array()[0].as_string(), "Email/set");  // the implicit one (RFC 8621 §7.5)
  EXPECT_TRUE(r[2].as_array()[1].as_object().at("updated").as_object().contains(email_id))
      << json::serialize(r[2]);
  EXPECT_EQ(r[2].as_array()[2].as_string(), "1");

  // Marie (PER) received it from the ORG's address.
  auto inbox = In(marie_, mail::Role::kInbox);
  ASSERT_THAT(inbox, SizeIs(1));
  auto got = mail_->GetEmails({marie_, "", ""}, marie_, inbox);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->front().from.at(0).email, "secretariat@chu-toulouse.fr");
  EXPECT_EQ(got->front().subject, "Convocation du 3 décembre");
  // The ORG's « Envoyés » shows it, no longer a draft, and its history names Paul.
  int64_t sent = std::stoll(email_id.substr(1));
  EXPECT_THAT(In(org_, mail::Role::kSent), ElementsAre(sent));
  EXPECT_THAT(In(org_, mail::Role::kDrafts), IsEmpty());
  auto history = mail_->History({paul_, "paul.martin@chu-toulouse.fr", ""}, org_, sent);
  ASSERT_TRUE(history.ok());
  std::vector<std::string> who_what;
  for (const auto& a : *history) who_what.push_back(a.person + " " + a.action);
  EXPECT_THAT(who_what, Contains("paul.martin@chu-toulouse.fr sent"));

  // EmailSubmission/get gives the envelope and delivery.
  json::array g =
      Api(paul_cookies_,
          json::array{json::array{"EmailSubmission/get",
                                  json::object{{"accountId", A(org_)}, {"ids", nullptr}}, "g"}});
  const json::array& list = g[0].as_array()[1].as_object().at("list").as_array();
  ASSERT_THAT(list, SizeIs(1));
  EXPECT_EQ(list[0].at("envelope").at("mailFrom").at("email").as_string(),
            "secretariat@chu-toulouse.fr");
  EXPECT_EQ(list[0].at("emailId").as_string(), email_id);
  EXPECT_EQ(list[0].at("undoStatus").as_string(), "final");
}

TEST_F(JmapWriteTest, AnotherFromIsForbiddenFrom) {
  json::array r =
      Api(paul_cookies_,
          SendCalls(DraftCreate("paul.martin@chu-toulouse.fr", "marie.dupont@chu-toulouse.fr")));
  ASSERT_THAT(r, SizeIs(2)) << json::serialize(r);  // no implicit Email/set: nothing sent
  const json::object& err = r[1].as_array()[1].as_object().at("notCreated").at("s1").as_object();
  EXPECT_EQ(err.at("type").as_string(), "forbiddenFrom");
  EXPECT_THAT(std::string(err.at("description").as_string()),
              HasSubstr("secretariat@chu-toulouse.fr"));
  EXPECT_THAT(In(marie_, mail::Role::kInbox), IsEmpty());
  EXPECT_THAT(In(org_, mail::Role::kDrafts), SizeIs(1));
}

TEST_F(JmapWriteTest, UnknownRecipientAndOverQuotaStoreNothing) {
  json::array r =
      Api(paul_cookies_,
          SendCalls(DraftCreate("secretariat@chu-toulouse.fr", "personne@chu-toulouse.fr")));
  const json::object& err = r[1].as_array()[1].as_object().at("notCreated").at("s1").as_object();
  EXPECT_EQ(err.at("type").as_string(), "invalidRecipients");
  EXPECT_EQ(err.at("invalidRecipients").as_array().at(0).as_string(), "personne@chu-toulouse.fr");

  ASSERT_OK(mail_->SetQuota(marie_, 100));
  r = Api(paul_cookies_,
          SendCalls(DraftCreate("secretariat@chu-toulouse.fr", "marie.dupont@chu-toulouse.fr")));
  const json::object& quota = r[1].as_array()[1].as_object().at("notCreated").at("s1").as_object();
  EXPECT_EQ(quota.at("type").as_string(), "overQuota");
  EXPECT_THAT(In(marie_, mail::Role::kInbox), IsEmpty());
  EXPECT_THAT(In(org_, mail::Role::kSent), IsEmpty());
  EXPECT_THAT(In(org_, mail::Role::kDrafts), SizeIs(2));

  // The account's own quota: the draft itself is refused with overQuota.
  ASSERT_OK(mail_->SetQuota(org_, 10));
  r = Api(paul_cookies_,
          SendCalls(DraftCreate("secretariat@chu-toulouse.fr", "marie.dupont@chu-toulouse.fr")));
  EXPECT_EQ(r[0].as_array()[1].as_object().at("notCreated").at("k1").at("type").as_string(),
            "overQuota");
  EXPECT_THAT(In(org_, mail::Role::kDrafts), SizeIs(2));
}

TEST_F(JmapWriteTest, ReplyMarksAnsweredAndTracesIt) {
  std::string incoming =
      "From: Dr Léger <francois.leger@clinique.fr>\r\nTo: secretariat@chu-toulouse.fr\r\n"
      "Subject: Demande\r\nMessage-ID: <demande-7@clinique.fr>\r\n\r\nUn créneau ?\r\n";
  auto d = mail_->Deliver(incoming, "francois.leger@clinique.fr", {"secretariat@chu-toulouse.fr"});
  ASSERT_TRUE(d.ok());
  int64_t asked = d->delivered[0].email_id;
  json::object draft = DraftCreate("secretariat@chu-toulouse.fr", "francois.leger@clinique.fr");
  draft["subject"] = "Re: Demande";
  draft["inReplyTo"] = json::array{"demande-7@clinique.fr"};
  draft["references"] = json::array{"demande-7@clinique.fr"};
  json::array r = Api(paul_cookies_, SendCalls(std::move(draft)));
  ASSERT_THAT(r, SizeIs(3)) << json::serialize(r);
  auto got = mail_->GetEmails({paul_, "", ""}, org_, {asked});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->front().keywords & mail::kAnswered, mail::kAnswered);
  auto history = mail_->History({paul_, "", ""}, org_, asked);
  ASSERT_TRUE(history.ok());
  std::vector<std::string> actions;
  for (const auto& a : *history) actions.push_back(a.person + " " + a.action);
  EXPECT_THAT(actions, Contains("paul.martin@chu-toulouse.fr answered"));
  // The outside recipient is queued.
  auto tx = db_->Begin(storage::TxMode::kRead);
  auto pending = mail_repo_.PendingOutbound(**tx, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_THAT(*pending, SizeIs(1));
  EXPECT_EQ(pending->front().rcpt_to, "francois.leger@clinique.fr");
}

TEST_F(JmapWriteTest, UploadIsCappedAndBlobsStayInTheirAccount) {
  std::string target = "/jmap/upload/" + A(org_) + "/";
  HttpResponse big = Send("POST", target, std::string(4097, 'x'), paul_cookies_, "application/pdf");
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_THAT(big.body, HasSubstr("maxSizeUpload"));
  // Without the CSRF header, a cookie is not enough to upload.
  std::string cookie_only = paul_cookies_.substr(0, paul_cookies_.find("X-CSRF-Token"));
  EXPECT_EQ(Send("POST", target, "abc", cookie_only, "text/plain").status, 403);
  HttpResponse up = Send("POST", target, "%PDF-1.4 ordonnance", paul_cookies_, "application/pdf");
  ASSERT_EQ(up.status, 201) << up.body;
  json::object u = up.Json().as_object();
  EXPECT_EQ(u.at("accountId").as_string(), A(org_));
  EXPECT_EQ(u.at("type").as_string(), "application/pdf");
  EXPECT_EQ(u.at("size").as_int64(), 19);
  std::string blob(u.at("blobId").as_string());

  HttpResponse own =
      Send("GET", "/jmap/download/" + A(org_) + "/" + blob + "/ordonnance%20%C3%A9.pdf", "",
           paul_cookies_);
  ASSERT_EQ(own.status, 200);
  EXPECT_EQ(own.body, "%PDF-1.4 ordonnance");
  EXPECT_THAT(own.Header("Content-Disposition"),
              HasSubstr("attachment; filename=\"ordonnance___.pdf\""));
  EXPECT_THAT(own.Header("Content-Disposition"),
              HasSubstr("filename*=UTF-8''ordonnance%20%C3%A9.pdf"));
  EXPECT_EQ(own.Header("X-Content-Type-Options"), "nosniff");
  // Marie has no right on the ORG, and her own account does not hold the blob.
  EXPECT_EQ(
      Send("GET", "/jmap/download/" + A(org_) + "/" + blob + "/x.pdf", "", marie_cookies_).status,
      404);
  EXPECT_EQ(
      Send("GET", "/jmap/download/" + A(marie_) + "/" + blob + "/x.pdf", "", marie_cookies_).status,
      404);
  EXPECT_EQ(Send("GET", "/jmap/download/" + A(org_) + "/" + blob + "/x.pdf", "", "").status, 401);

  // The upload becomes an attachment of a draft; another account cannot use it.
  json::object draft = DraftCreate("secretariat@chu-toulouse.fr", "marie.dupont@chu-toulouse.fr");
  draft["attachments"] = json::array{
      json::object{{"blobId", blob}, {"type", "application/pdf"}, {"name", "ordonnance.pdf"}}};
  json::array r =
      Api(paul_cookies_,
          json::array{json::array{
              "Email/set",
              json::object{{"accountId", A(org_)}, {"create", json::object{{"k1", draft}}}}, "0"}});
  EXPECT_TRUE(r[0].as_array()[1].as_object().contains("created")) << json::serialize(r);
  draft["mailboxIds"] = json::object{{F(marie_, mail::Role::kDrafts), true}};
  r = Api(
      marie_cookies_,
      json::array{json::array{
          "Email/set",
          json::object{{"accountId", A(marie_)}, {"create", json::object{{"k1", draft}}}}, "0"}});
  const json::object& err = r[0].as_array()[1].as_object().at("notCreated").at("k1").as_object();
  EXPECT_EQ(err.at("type").as_string(), "blobNotFound");
  EXPECT_EQ(err.at("notFound").as_array().at(0).as_string(), blob);
}

TEST_F(JmapWriteTest, ImportUpdateAndDestroyEachAnswerPerObject) {
  std::string raw =
      "From: labo@biologie.fr\r\nTo: secretariat@chu-toulouse.fr\r\nSubject: Résultats\r\n"
      "Message-ID: <r-9@biologie.fr>\r\n\r\nNFS normale.\r\n";
  HttpResponse up =
      Send("POST", "/jmap/upload/" + A(org_) + "/", raw, paul_cookies_, "message/rfc822");
  ASSERT_EQ(up.status, 201) << up.body;
  std::string blob(up.Json().at("blobId").as_string());
  std::string archive = F(org_, mail::Role::kArchive), inbox = F(org_, mail::Role::kInbox);
  json::array r = Api(
      paul_cookies_,
      json::array{json::array{
          "Email/import",
          json::object{
              {"accountId", A(org_)},
              {"emails",
               json::object{{"i1", json::object{{"blobId", blob},
                                                {"mailboxIds", json::object{{archive, true}}},
                                                {"keywords", json::object{{"$seen", true}}}}},
                            {"i2", json::object{{"blobId", std::string(64, 'a')},
                                                {"mailboxIds", json::object{{archive, true}}}}}}}},
          "0"}});
  const json::object& res = r[0].as_array()[1].as_object();
  std::string id(res.at("created").at("i1").at("id").as_string());
  EXPECT_EQ(res.at("notCreated").at("i2").at("type").as_string(), "blobNotFound");
  int64_t email = std::stoll(id.substr(1));
  EXPECT_THAT(In(org_, mail::Role::kArchive), ElementsAre(email));

  // Patches: flag it and move it to the inbox; unknown ids and properties fail alone.
  r = Api(
      paul_cookies_,
      json::array{json::array{
          "Email/set",
          json::object{{"accountId", A(org_)},
                       {"update", json::object{{id, json::object{{"keywords/$flagged", true},
                                                                 {"mailboxIds/" + archive, nullptr},
                                                                 {"mailboxIds/" + inbox, true}}},
                                               {"M999999", json::object{{"keywords/$seen", true}}},
                                               {"#nope", json::object{}}}}},
          "0"}});
  const json::object& upd = r[0].as_array()[1].as_object();
  EXPECT_TRUE(upd.at("updated").as_object().contains(id)) << json::serialize(upd);
  EXPECT_EQ(upd.at("notUpdated").at("M999999").at("type").as_string(), "notFound");
  EXPECT_EQ(upd.at("notUpdated").at("#nope").at("type").as_string(), "notFound");
  EXPECT_THAT(In(org_, mail::Role::kInbox), ElementsAre(email));
  auto got = mail_->GetEmails({paul_, "", ""}, org_, {email});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->front().keywords & mail::kFlagged, mail::kFlagged);
  r = Api(paul_cookies_,
          json::array{json::array{
              "Email/set",
              json::object{{"accountId", A(org_)},
                           {"update", json::object{{id, json::object{{"subject", "changé"}}}}}},
              "0"}});
  EXPECT_EQ(r[0].as_array()[1].at("notUpdated").at(id).at("type").as_string(), "invalidProperties");

  // Marie has no right on the ORG: accountNotFound, nothing changes.
  r = Api(
      marie_cookies_,
      json::array{json::array{
          "Email/set", json::object{{"accountId", A(org_)}, {"destroy", json::array{id}}}, "0"}});
  EXPECT_EQ(r[0].as_array()[1].at("type").as_string(), "accountNotFound");
  r = Api(
      paul_cookies_,
      json::array{json::array{
          "Email/set", json::object{{"accountId", A(org_)}, {"destroy", json::array{id}}}, "0"}});
  EXPECT_EQ(r[0].as_array()[1].at("destroyed").as_array().at(0).as_string(), id);
  got = mail_->GetEmails({paul_, "", ""}, org_, {email});
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(*got, IsEmpty());
}

TEST_F(JmapWriteTest, StateMismatchAndHostileCreationsAreRefused) {
  json::array r =
      Api(paul_cookies_, json::array{json::array{"Email/set",
                                                 json::object{{"accountId", A(org_)},
                                                              {"ifInState", "999999"},
                                                              {"destroy", json::array{"M1"}}},
                                                 "0"}});
  EXPECT_EQ(r[0].as_array()[0].as_string(), "error");
  EXPECT_EQ(r[0].as_array()[1].at("type").as_string(), "stateMismatch");
  json::object draft = DraftCreate("secretariat@chu-toulouse.fr", "marie.dupont@chu-toulouse.fr");
  draft["subject"] = "RDV\r\nBcc: espion@ailleurs.fr";
  draft["header:X-Evil"] = "1";
  json::object injected = draft;
  injected.erase("header:X-Evil");
  r = Api(paul_cookies_, json::array{json::array{
                             "Email/set",
                             json::object{{"accountId", A(org_)},
                                          {"create", json::object{{"a", draft}, {"b", injected}}}},
                             "0"}});
  const json::object& nc = r[0].as_array()[1].as_object().at("notCreated").as_object();
  EXPECT_EQ(nc.at("a").at("type").as_string(), "invalidProperties");
  EXPECT_EQ(nc.at("b").at("type").as_string(), "invalidProperties");
  EXPECT_THAT(std::string(nc.at("b").at("description").as_string()), HasSubstr("Objet"));
  EXPECT_THAT(In(org_, mail::Role::kDrafts), IsEmpty());
}

}  // namespace
}  // namespace caduce::api::jmap
