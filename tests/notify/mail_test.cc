// The activation and reset mails over real parts: a SQLite file, the directory
// and sign-in services, notify's queue and mailers, and a real SMTP server
// (tests/notify/smtp_sink.py, Debian's python3-aiosmtpd) started by the test.
// Each received mail is read back by Python's email package (an independent
// RFC 5322/MIME reader, tests/notify/parse_mail.py) as a mail client would show
// it; the link is taken from the text and followed.
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

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "auth/password_policy.h"
#include "auth/sign_in.h"
#include "directory/directory_service.h"
#include "directory/reference_data.h"
#include "notify/mailer.h"
#include "notify/notify_service.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/auth_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "store_sqlite/notify_repo.h"
#include "testing/account_drafts.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tests/notify/smtp_sink.h"

namespace caduce::notify {
namespace {

using namespace std::chrono_literals;
using ::caduce::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kPassword[] = "Le chat boit du thé à 7h";
using ::caduce::testing::ParsedMail;
using ::caduce::testing::SmtpSink;

class MailTest : public ::testing::Test {
 protected:
  MailTest() : sink_(dir_.File("received"), caduce::testing::FreePort()) {
    store_sqlite::Options o;
    o.path = dir_.File("caduce.db");
    auto db = store_sqlite::SqliteDatabase::Open(o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto ref = directory::ReferenceData::Load(caduce::testing::DataDir());
    EXPECT_TRUE(ref.ok());
    ref_ = std::move(*ref);
    auto policy = auth::PasswordPolicy::WithCommonPasswords(caduce::testing::DataDir() +
                                                            "/common-passwords.txt");
    EXPECT_TRUE(policy.ok());
    policy_ = std::move(*policy);
    audit_ = std::make_unique<audit::AuditLog>(audit_repo_, clock_);
    directory_ =
        std::make_unique<directory::DirectoryService>(*db_, dir_repo_, *audit_, ref_, clock_);
    auth::AuthOptions a;
    a.cost = auth::PasswordCost::Minimal();
    sign_in_ = std::make_unique<auth::SignInService>(*db_, auth_repo_, dir_repo_, *audit_,
                                                     policy_, clock_, a);
    directory::Structure s;
    s.name = "CHU de Démonstration";
    std::vector<directory::Finding> findings;
    auto r = directory_->CreateStructure(op_, s, &findings);
    EXPECT_TRUE(r.ok());
    structure_id_ = r.ok() ? r->id : 0;
    options_.public_url = "https://messagerie.exemple.fr";
    options_.mail_from = "Messagerie sécurisée <ne-pas-repondre@exemple.fr>";
    options_.max_attempts = 3;
    options_.retry_base_seconds = 60;
    options_.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
  }

  // (Re)builds the mailer and the service, as a (re)started server does.
  void Build(MailerOptions m) {
    service_.reset();
    auto mailer = MakeMailer(m);
    ASSERT_TRUE(mailer.ok()) << mailer.status().ToString();
    mailer_ = std::move(*mailer);
    auto service = NotifyService::Create(*db_, notify_repo_, auth_repo_, dir_repo_, *audit_,
                                         *sign_in_, *mailer_, clock_, options_);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(*service);
  }
  void BuildSmtp() {
    MailerOptions m;
    m.smtp_url = sink_.url();
    m.connect_timeout_seconds = 2;
    m.timeout_seconds = 10;
    Build(m);
  }

  directory::Account Person(const std::string& address, const std::string& nom = "Léger",
                            const std::string& prenom = "Hélène") {
    std::vector<directory::Finding> findings;
    auto r = directory_->CreateAccount(op_, structure_id_,
                                       caduce::testing::PersonDraft("MED", address, nom, prenom),
                                       directory::CreateOptions{}, &findings);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : directory::Account{};
  }

  DeliveryCounts Deliver() {
    auto r = service_->DeliverDue();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : DeliveryCounts{};
  }

  std::vector<Intent> Queue(bool all = true) {
    IntentFilter f;
    f.include_done = all;
    auto r = service_->List(f);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<Intent>{};
  }

  std::vector<std::string> AuditActions() {
    auto tx = db_->Begin(storage::TxMode::kRead);
    audit::Filter f;
    f.action_prefix = "mail.";
    auto entries = audit_repo_.Query(**tx, f);
    std::vector<std::string> out;
    for (const auto& e : *entries) out.push_back(e.event.action + " " + e.event.detail);
    return out;
  }

  std::string Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    std::string all;
    for (const auto& l : log_) all += l + "\n";
    return all;
  }

  caduce::testing::TempDir dir_;
  caduce::testing::FakeClock clock_;
  SmtpSink sink_;
  std::unique_ptr<store_sqlite::SqliteDatabase> db_;
  store_sqlite::SqliteDirectoryRepository dir_repo_;
  store_sqlite::SqliteAuditRepository audit_repo_;
  store_sqlite::SqliteAuthRepository auth_repo_;
  store_sqlite::SqliteNotifyRepository notify_repo_;
  directory::ReferenceData ref_;
  auth::PasswordPolicy policy_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<directory::DirectoryService> directory_;
  std::unique_ptr<auth::SignInService> sign_in_;
  NotifyOptions options_;
  std::unique_ptr<Mailer> mailer_;
  std::unique_ptr<NotifyService> service_;
  directory::Actor op_ = directory::Actor::CommandLine();
  int64_t structure_id_ = 0;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(MailTest, ActivationMailArrivesAndItsLinkSetsThePassword) {
  sink_.Start();
  BuildSmtp();
  directory::Account a = Person("helene.leger@chu-demo.fr");
  ASSERT_OK(service_->QueueActivation(a.id));
  DeliveryCounts c = Deliver();
  EXPECT_EQ(c.sent, 1);

  ASSERT_EQ(sink_.Mails().size(), 1u);
  ParsedMail m = caduce::testing::Parse(sink_.Mails()[0]);
  EXPECT_THAT(m.o.at("defects").as_array(), IsEmpty());
  EXPECT_EQ(m.S("subject"), "Activez votre compte de messagerie sécurisée de santé");
  EXPECT_EQ(m.S("to_name"), "Hélène LÉGER");
  EXPECT_EQ(m.S("to_addr"), "helene.leger@chu-demo.fr");
  EXPECT_EQ(m.S("from_name"), "Messagerie sécurisée");
  EXPECT_EQ(m.S("from_addr"), "ne-pas-repondre@exemple.fr");
  EXPECT_EQ(m.S("date"), "Fri, 27 Nov 2026 09:00:00 +0000");
  EXPECT_THAT(m.S("message_id"), HasSubstr("@exemple.fr>"));
  EXPECT_EQ(m.S("content_type"), "multipart/alternative");
  EXPECT_THAT(m.S("text"), HasSubstr("Bonjour Hélène LÉGER,"));
  EXPECT_THAT(m.S("text"), HasSubstr("« CHU de Démonstration »"));
  EXPECT_THAT(m.S("text"), HasSubstr("Votre adresse de messagerie : helene.leger@chu-demo.fr"));
  EXPECT_THAT(m.S("text"), HasSubstr("valable 7 jours"));
  EXPECT_THAT(m.S("html"), HasSubstr("https://messagerie.exemple.fr/#/activation/"));
  boost::json::object env = sink_.Envelope(1);
  EXPECT_EQ(env.at("mail_from").as_string(), "ne-pas-repondre@exemple.fr");
  EXPECT_EQ(env.at("rcpt_tos").as_array().at(0).as_string(), "helene.leger@chu-demo.fr");

  std::string token = m.Token("https://messagerie.exemple.fr/#/activation/");
  ASSERT_EQ(token.size(), 43u) << m.S("text");
  auto info = service_->InspectLink(token);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->address, "helene.leger@chu-demo.fr");
  EXPECT_EQ(info->purpose, auth::TokenPurpose::kActivate);
  // A reset page cannot use an activation link.
  EXPECT_THAT(service_->SetPasswordWithLink(auth::TokenPurpose::kReset, token, kPassword, "", ""),
              StatusIs(Code::kFailedPrecondition));
  // The policy's message comes back for a weak password, and the link still works.
  EXPECT_THAT(
      service_->SetPasswordWithLink(auth::TokenPurpose::kActivate, token, "court", "", ""),
      StatusIs(Code::kInvalidArgument));
  ASSERT_OK(service_->SetPasswordWithLink(auth::TokenPurpose::kActivate, token, kPassword,
                                          "192.0.2.1", "test"));
  EXPECT_OK(sign_in_->SignIn("helene.leger@chu-demo.fr", kPassword, "192.0.2.1", "test").status());
  // Used once: refused now.
  EXPECT_THAT(service_->SetPasswordWithLink(auth::TokenPurpose::kActivate, token,
                                            "Un autre mot de passe 2026", "", ""),
              StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(service_->InspectLink(token), StatusIs(Code::kNotFound));

  std::vector<Intent> q = Queue();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].state, IntentState::kSent);
  EXPECT_EQ(q[0].attempts, 1);
  std::vector<std::string> trail = AuditActions();
  ASSERT_EQ(trail.size(), 2u);
  EXPECT_THAT(trail[0], HasSubstr("mail.queued"));
  EXPECT_THAT(trail[1], HasSubstr("mail.sent"));
  EXPECT_THAT(trail[1], Not(HasSubstr(token)));
}

TEST_F(MailTest, NoClearTokenIsStoredAnywhere) {
  sink_.Start();
  BuildSmtp();
  directory::Account a = Person("paul.henry@chu-demo.fr", "Henry", "Paul");
  ASSERT_OK(service_->QueueActivation(a.id));
  Deliver();
  std::string token = caduce::testing::Parse(sink_.Mails().at(0)).Token("/#/activation/");
  ASSERT_FALSE(token.empty());
  db_.reset();  // flush everything to the file
  std::string dump = caduce::testing::Capture("sqlite3 '" + dir_.File("caduce.db") + "' .dump");
  ASSERT_THAT(dump, HasSubstr("notifications"));
  EXPECT_THAT(dump, Not(HasSubstr(token)));
}

TEST_F(MailTest, ResetMailForAKnownAddressNothingForAnUnknownOne) {
  sink_.Start();
  BuildSmtp();
  directory::Account a = Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->RequestReset("Jean.Dupont@CHU-demo.fr ", "192.0.2.7", "test"));
  ASSERT_OK(service_->RequestReset("personne@chu-demo.fr", "192.0.2.7", "test"));
  ASSERT_OK(service_->RequestReset("secretariat@chu-demo.fr", "192.0.2.7", "test"));
  EXPECT_EQ(Deliver().sent, 1);
  ASSERT_EQ(sink_.Mails().size(), 1u);
  ParsedMail m = caduce::testing::Parse(sink_.Mails()[0]);
  EXPECT_EQ(m.S("subject"), "Réinitialisation de votre mot de passe");
  EXPECT_EQ(m.S("to_addr"), "jean.dupont@chu-demo.fr");
  EXPECT_THAT(m.S("text"), HasSubstr("valable 1 heure"));
  EXPECT_THAT(m.S("text"), HasSubstr("Si vous n'êtes pas à l'origine de cette demande"));
  std::string token = m.Token("/#/reinitialisation/");
  ASSERT_FALSE(token.empty());
  EXPECT_THAT(
      service_->SetPasswordWithLink(auth::TokenPurpose::kActivate, token, kPassword, "", ""),
      StatusIs(Code::kFailedPrecondition));
  ASSERT_OK(service_->SetPasswordWithLink(auth::TokenPurpose::kReset, token, kPassword, "", ""));
  EXPECT_OK(sign_in_->SignIn("jean.dupont@chu-demo.fr", kPassword, "", "").status());
}

TEST_F(MailTest, ExpiredLinkIsRefused) {
  sink_.Start();
  BuildSmtp();
  Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->RequestReset("jean.dupont@chu-demo.fr", "", ""));
  Deliver();
  std::string token = caduce::testing::Parse(sink_.Mails().at(0)).Token("/#/reinitialisation/");
  clock_.AdvanceSeconds(3601);
  EXPECT_THAT(service_->InspectLink(token), StatusIs(Code::kNotFound));
  EXPECT_THAT(service_->SetPasswordWithLink(auth::TokenPurpose::kReset, token, kPassword, "", ""),
              StatusIs(Code::kFailedPrecondition));
}

TEST_F(MailTest, ANewMailVoidsTheLinkOfTheEarlierOne) {
  sink_.Start();
  BuildSmtp();
  Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->RequestReset("jean.dupont@chu-demo.fr", "", ""));
  Deliver();
  clock_.AdvanceSeconds(60);
  ASSERT_OK(service_->RequestReset("jean.dupont@chu-demo.fr", "", ""));
  Deliver();
  ASSERT_EQ(sink_.Mails().size(), 2u);
  std::string first = caduce::testing::Parse(sink_.Mails()[0]).Token("/#/reinitialisation/");
  std::string second = caduce::testing::Parse(sink_.Mails()[1]).Token("/#/reinitialisation/");
  EXPECT_NE(first, second);
  EXPECT_THAT(service_->InspectLink(first), StatusIs(Code::kNotFound));
  EXPECT_OK(service_->InspectLink(second).status());
}

TEST_F(MailTest, ResetRequestsAreBoundedPerAccountAndPerAddress) {
  sink_.Start();
  BuildSmtp();
  Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(service_->RequestReset("jean.dupont@chu-demo.fr", "192.0.2.9", ""));
    Deliver();
    clock_.AdvanceSeconds(1);
  }
  EXPECT_EQ(sink_.Mails().size(), 3u);  // resets_per_account_per_hour
  clock_.AdvanceSeconds(3600);
  for (int i = 0; i < 40; ++i) {
    ASSERT_OK(service_->RequestReset("other" + std::to_string(i) + "@x.fr", "192.0.2.10", ""));
  }
  ASSERT_OK(service_->RequestReset("jean.dupont@chu-demo.fr", "192.0.2.10", ""));
  Deliver();
  EXPECT_EQ(sink_.Mails().size(), 3u);  // that address asked too often
  ASSERT_OK(service_->RequestReset("jean.dupont@chu-demo.fr", "192.0.2.11", ""));
  Deliver();
  EXPECT_EQ(sink_.Mails().size(), 4u);
}

TEST_F(MailTest, RelayDownThenBackNothingIsLost) {
  BuildSmtp();  // the relay is not started
  directory::Account a = Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->QueueActivation(a.id));
  DeliveryCounts c = Deliver();
  EXPECT_EQ(c.retried, 1);
  std::vector<Intent> q = Queue(false);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].state, IntentState::kPending);
  EXPECT_EQ(q[0].attempts, 1);
  EXPECT_THAT(q[0].last_error, HasSubstr("injoignable"));
  EXPECT_EQ(q[0].next_attempt_at, clock_.NowMicros() + 60 * 1000000LL);
  EXPECT_THAT(Log(), HasSubstr("reporté (essai 1 sur 3"));
  // Not due yet: nothing is tried.
  EXPECT_EQ(Deliver().retried, 0);

  // A restart of the server: a new service on the same database resumes the queue.
  sink_.Start();
  BuildSmtp();
  clock_.AdvanceSeconds(60);
  EXPECT_EQ(Deliver().sent, 1);
  ASSERT_EQ(sink_.Mails().size(), 1u);
  EXPECT_EQ(Queue()[0].state, IntentState::kSent);
  EXPECT_EQ(Queue()[0].attempts, 2);
}

TEST_F(MailTest, TemporaryRefusalsBackOffThenFailAfterMaxAttempts) {
  sink_.Start();
  sink_.Reply("451 4.3.0 try later");
  BuildSmtp();
  directory::Account a = Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->QueueActivation(a.id));
  EXPECT_EQ(Deliver().retried, 1);
  int64_t t1 = Queue()[0].next_attempt_at;
  clock_.AdvanceSeconds(60);
  EXPECT_EQ(Deliver().retried, 1);
  EXPECT_EQ(Queue()[0].next_attempt_at - t1, 120 * 1000000LL);  // the delay doubled
  clock_.AdvanceSeconds(120);
  EXPECT_EQ(Deliver().failed, 1);  // the 3rd attempt was the last
  Intent i = Queue()[0];
  EXPECT_EQ(i.state, IntentState::kFailed);
  EXPECT_EQ(i.attempts, 3);
  EXPECT_THAT(i.last_error, HasSubstr("451"));
  EXPECT_THAT(i.last_error, HasSubstr("abandon après 3 essais"));
  EXPECT_THAT(AuditActions().back(), HasSubstr("mail.failed"));
  EXPECT_THAT(sink_.Mails(), IsEmpty());

  // Visible, and put back by the operator once the relay is fixed.
  sink_.Reply("");
  auto n = service_->Requeue(0);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(Deliver().sent, 1);
  EXPECT_EQ(sink_.Mails().size(), 1u);
}

TEST_F(MailTest, PermanentRefusalFailsAtOnce) {
  sink_.Start({"--reply", "554 5.7.1 relay refused"});
  BuildSmtp();
  directory::Account a = Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->QueueActivation(a.id));
  EXPECT_EQ(Deliver().failed, 1);
  Intent i = Queue()[0];
  EXPECT_EQ(i.state, IntentState::kFailed);
  EXPECT_EQ(i.attempts, 1);
  EXPECT_THAT(i.last_error, HasSubstr("554"));
  EXPECT_THAT(Log(), HasSubstr("abandonné"));
  EXPECT_THAT(AuditActions().back(), HasSubstr("\"reason\""));
}

TEST_F(MailTest, AuthenticatedRelay) {
  std::ofstream(dir_.File("password")) << "s3cret-relais\n";
  sink_.Start({"--auth", "caduce:s3cret-relais"});
  MailerOptions m;
  m.smtp_url = sink_.url();
  m.smtp_user = "caduce";
  m.smtp_password_file = dir_.File("password");
  Build(m);
  directory::Account a = Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->QueueActivation(a.id));
  EXPECT_EQ(Deliver().sent, 1);
  EXPECT_EQ(sink_.Envelope(1).at("auth_user").as_string(), "caduce");

  // A wrong password is the relay's configuration: retried, not lost.
  std::ofstream(dir_.File("password")) << "faux\n";
  Build(m);
  directory::Account b = Person("paul.henry@chu-demo.fr", "Henry", "Paul");
  ASSERT_OK(service_->QueueActivation(b.id));
  EXPECT_EQ(Deliver().retried, 1);
  EXPECT_EQ(sink_.Mails().size(), 1u);
}

TEST_F(MailTest, RequiredStartTlsSendsNothingWithoutIt) {
  sink_.Start();
  MailerOptions m;
  m.smtp_url = sink_.url();
  m.starttls = StartTls::kRequired;
  Build(m);
  directory::Account a = Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->QueueActivation(a.id));
  EXPECT_EQ(Deliver().retried, 1);
  EXPECT_THAT(sink_.Mails(), IsEmpty());
  EXPECT_THAT(Queue()[0].last_error, HasSubstr("STARTTLS"));
}

TEST_F(MailTest, OutboxWritesParseableMailsAndLogsTheLink) {
  MailerOptions m;
  m.outbox_dir = dir_.File("outbox");
  Build(m);
  directory::Account a = Person("helene.leger@chu-demo.fr");
  ASSERT_OK(service_->QueueActivation(a.id));
  EXPECT_EQ(Deliver().sent, 1);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir_.File("outbox"))) {
    files.push_back(e.path().filename().string());
  }
  ASSERT_EQ(files.size(), 1u);  // no temporary file left behind
  EXPECT_EQ(files[0], "20261127T090000Z-1.eml");
  ParsedMail p = caduce::testing::Parse(dir_.File("outbox/") + files[0]);
  EXPECT_THAT(p.o.at("defects").as_array(), IsEmpty());
  EXPECT_EQ(p.S("to_name"), "Hélène LÉGER");
  std::string token = p.Token("/#/activation/");
  ASSERT_FALSE(token.empty());
  EXPECT_THAT(Log(), HasSubstr("https://messagerie.exemple.fr/#/activation/" + token));
  EXPECT_THAT(Log(), HasSubstr("outbox/20261127T090000Z-1.eml"));
}

TEST_F(MailTest, IntentsThatNoLongerApplyAreCancelled) {
  MailerOptions m;
  m.outbox_dir = dir_.File("outbox");
  Build(m);
  directory::Account a = Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->QueueActivation(a.id));
  ASSERT_OK(service_->QueueActivation(a.id));  // already pending: one intent
  EXPECT_EQ(Queue().size(), 1u);
  ASSERT_OK(directory_->SetDisabled(op_, a.id, true));
  DeliveryCounts c = Deliver();
  EXPECT_EQ(c.cancelled, 1);
  EXPECT_EQ(Queue()[0].state, IntentState::kCancelled);
  EXPECT_EQ(Queue()[0].last_error, "compte désactivé");
  EXPECT_THAT(service_->QueueActivation(a.id), StatusIs(Code::kFailedPrecondition));
  Person("paul.henry@chu-demo.fr", "Henry", "Paul");
  std::vector<directory::Finding> findings;
  auto org = directory_->CreateAccount(
      op_, structure_id_,
      caduce::testing::SharedDraft("ORG", "secretariat@chu-demo.fr", "paul.henry@chu-demo.fr"),
      directory::CreateOptions{}, &findings);
  ASSERT_TRUE(org.ok()) << org.status().ToString();
  EXPECT_THAT(service_->QueueActivation(org->id), StatusIs(Code::kFailedPrecondition));
  EXPECT_THAT(service_->QueueActivation(999999), StatusIs(Code::kNotFound));
}

TEST_F(MailTest, ImportQueuedIntentsAreDelivered) {
  // The importer queues through the directory repository (migration 3's columns
  // only): such rows are due at once.
  sink_.Start();
  BuildSmtp();
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Person("p" + std::to_string(i) + "@chu-demo.fr", "Nom", "Personne").id);
  }
  {
    auto tx = db_->Begin(storage::TxMode::kWrite);
    for (int64_t id : ids) ASSERT_OK(dir_repo_.EnqueueNotification(**tx, id, "activation", 1));
    ASSERT_OK((*tx)->Commit());
  }
  EXPECT_EQ(Deliver().sent, 5);
  EXPECT_EQ(sink_.Mails().size(), 5u);
}

TEST_F(MailTest, AClaimedIntentIsNotSentTwiceAndACrashIsRetriedAfterTheLease) {
  sink_.Start();
  BuildSmtp();
  directory::Account a = Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->QueueActivation(a.id));
  int64_t id = Queue()[0].id;
  {  // another process claimed it, then died before sending
    auto tx = db_->Begin(storage::TxMode::kWrite);
    auto claimed = notify_repo_.Claim(**tx, id, clock_.NowMicros(),
                                      clock_.NowMicros() + options_.lease_seconds * 1000000LL);
    ASSERT_TRUE(claimed.ok() && *claimed);
    ASSERT_OK((*tx)->Commit());
  }
  EXPECT_EQ(Deliver().sent, 0);
  clock_.AdvanceSeconds(options_.lease_seconds);
  EXPECT_EQ(Deliver().sent, 1);
  EXPECT_EQ(sink_.Mails().size(), 1u);
}

TEST_F(MailTest, TheWorkerSendsWhenWoken) {
  sink_.Start();
  options_.poll_seconds = 3600;  // only Wake() can make it look
  BuildSmtp();
  service_->Start();
  directory::Account a = Person("jean.dupont@chu-demo.fr", "Dupont", "Jean");
  ASSERT_OK(service_->QueueActivation(a.id));  // wakes the worker
  for (int i = 0; i < 200 && sink_.Mails().empty(); ++i) std::this_thread::sleep_for(25ms);
  EXPECT_EQ(sink_.Mails().size(), 1u);
  service_->Stop();
}

TEST(MailerTest, BadSettingsAreRefusedWithTheSettingNamed) {
  MailerOptions m;
  m.smtp_url = "http://relais.exemple.fr";
  EXPECT_THAT(MakeMailer(m).status(), StatusIs(Code::kInvalidArgument, HasSubstr("smtp_url")));
  m.smtp_url = "smtp://relais.exemple.fr:587";
  m.smtp_user = "caduce";
  m.smtp_password_file = "/nonexistent/password";
  EXPECT_THAT(MakeMailer(m).status(),
              StatusIs(Code::kInvalidArgument, HasSubstr("smtp_password_file")));
  m.smtp_url = "";
  m.outbox_dir = "";
  EXPECT_THAT(MakeMailer(m).status(), StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace caduce::notify
