// SignInService over a real SQLite file, with the real DirectoryService creating
// the structures, accounts and rights, and a FakeClock for every timeout: one test
// per rule of auth/sign_in.h. Hashing uses libsodium's minimal cost.
#include "auth/sign_in.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "directory/directory_service.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/auth_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "testing/account_drafts.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::auth {
namespace {

using ::caduce::testing::IsOk;
using ::caduce::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::SizeIs;

using directory::Account;
using directory::AccountDraft;
using directory::Actor;
using F = ::caduce::directory::Field;

constexpr char kGoodPassword[] = "Le chat boit du thé à 7h";
constexpr char kUa[] = "Mozilla/5.0 (test)";

class SignInTest : public ::testing::Test {
 protected:
  SignInTest() {
    store_sqlite::Options o;
    o.path = dir_.File("caduce.db");
    auto db = store_sqlite::SqliteDatabase::Open(o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto ref = directory::ReferenceData::Load(caduce::testing::DataDir());
    EXPECT_TRUE(ref.ok()) << ref.status().ToString();
    ref_ = std::move(*ref);
    auto policy =
        PasswordPolicy::WithCommonPasswords(caduce::testing::DataDir() + "/common-passwords.txt");
    EXPECT_TRUE(policy.ok()) << policy.status().ToString();
    policy_ = std::move(*policy);
    audit_ = std::make_unique<audit::AuditLog>(audit_repo_, clock_);
    directory_ =
        std::make_unique<directory::DirectoryService>(*db_, dir_repo_, *audit_, ref_, clock_);
    options_.cost = PasswordCost::Minimal();
    auth_ = MakeService(options_);

    directory::Structure s;
    s.name = "CHU de Toulouse";
    s.mss_domain = "chu-toulouse.mssante.fr";
    std::vector<directory::Finding> findings;
    auto r = directory_->CreateStructure(op_, s, &findings);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    structure_id_ = r.ok() ? r->id : 0;
  }

  std::unique_ptr<SignInService> MakeService(AuthOptions options) {
    return std::make_unique<SignInService>(*db_, auth_repo_, dir_repo_, *audit_, policy_, clock_,
                                           options);
  }

  Account CreatePerson(const std::string& address, const std::string& nom = "Dupont",
                       const std::string& prenom = "Marie", const std::string& expiry = "") {
    AccountDraft d = caduce::testing::PersonDraft("MED", address, nom, prenom);
    caduce::testing::SetField(d, F::kDatePeremption, expiry);
    return Create(d);
  }

  Account CreateShared(const std::string& type, const std::string& address,
                       const std::string& description, const std::string& connection_accounts) {
    return Create(caduce::testing::SharedDraft(type, address, connection_accounts, description));
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

  // Sets the password through an activation link, as the person would.
  void Activate(const Account& a, const std::string& password = kGoodPassword) {
    auto token = auth_->IssueActivation(a.id);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    secrets_.push_back(*token);
    ASSERT_OK(auth_->SetPassword(*token, password, "192.0.2.1", kUa));
  }

  Account ActivePerson(const std::string& address, const std::string& nom = "Dupont",
                       const std::string& prenom = "Marie") {
    Account a = CreatePerson(address, nom, prenom);
    Activate(a);
    return a;
  }

  Result<Session> SignIn(const std::string& address, const std::string& password,
                         const std::string& ip = "192.0.2.1", int64_t* retry = nullptr) {
    auto r = auth_->SignIn(address, password, ip, kUa, retry);
    if (r.ok()) secrets_.push_back(r->token);
    return r;
  }

  // Fails to sign in `n` times, waiting each delay the service asks for; returns the
  // last answer.
  Status FailRepeatedly(int n, const std::function<std::string(int)>& address,
                        const std::function<std::string(int)>& ip) {
    Status last;
    int64_t retry = 0;
    for (int i = 0; i < n; ++i) {
      clock_.AdvanceSeconds(retry);  // waits before each attempt, not after the last
      last = SignIn(address(i), "mauvais mot de passe", ip(i), &retry).status();
    }
    return last;
  }

  std::vector<audit::Entry> Trail(const std::string& action_prefix = "") {
    auto tx = db_->Begin(storage::TxMode::kRead);
    audit::Filter f;
    f.limit = 100000;
    if (!action_prefix.empty()) f.action_prefix = action_prefix;
    auto r = audit_->Query(**tx, f);
    return r.ok() ? *r : std::vector<audit::Entry>{};
  }

  std::optional<Credentials> CredentialsOf(const std::string& address) {
    auto tx = db_->Begin(storage::TxMode::kRead);
    auto r = auth_repo_.FindCredentials(**tx, address);
    return r.ok() ? *r : std::nullopt;
  }

  caduce::testing::TempDir dir_;
  caduce::testing::FakeClock clock_;
  std::unique_ptr<store_sqlite::SqliteDatabase> db_;
  store_sqlite::SqliteDirectoryRepository dir_repo_;
  store_sqlite::SqliteAuditRepository audit_repo_;
  store_sqlite::SqliteAuthRepository auth_repo_;
  directory::ReferenceData ref_;
  PasswordPolicy policy_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<directory::DirectoryService> directory_;
  AuthOptions options_;
  std::unique_ptr<SignInService> auth_;
  Actor op_ = Actor::CommandLine();
  int64_t structure_id_ = 0;
  std::vector<std::string> secrets_;  // every password and token used, for the trail scan
};

// ---- Who may sign in ----

TEST_F(SignInTest, OrgAndAppAddressesAreRefusedWithTheExplanation) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  CreateShared("ORG", "cardio@chu-toulouse.fr", "Secrétariat de cardiologie", marie.address());
  CreateShared("APP", "labo@chu-toulouse.fr", "Laboratoire", "");
  const std::string expected =
      "Cette adresse est une boîte organisationnelle ou applicative : on ne s'y connecte pas "
      "directement. Connectez-vous avec votre compte nominatif, puis choisissez-la dans "
      "« Changer de compte ».";
  EXPECT_THAT(SignIn("cardio@chu-toulouse.fr", kGoodPassword),
              StatusIs(Code::kInvalidArgument, expected));
  EXPECT_THAT(SignIn("LABO@chu-toulouse.fr ", "anything at all"),
              StatusIs(Code::kInvalidArgument, expected));
  EXPECT_THAT(Trail("auth.sign_in_failed"), SizeIs(2));
}

TEST_F(SignInTest, PendingAccountIsToldToUseItsLink) {
  CreatePerson("new@chu-toulouse.fr");
  EXPECT_THAT(SignIn("new@chu-toulouse.fr", kGoodPassword),
              StatusIs(Code::kFailedPrecondition, HasSubstr("pas encore activé")));
}

TEST_F(SignInTest, DisabledAccountIsToldOnlyWithTheRightPassword) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK(directory_->SetDisabled(op_, a.id, true));
  EXPECT_THAT(SignIn(a.address(), kGoodPassword),
              StatusIs(Code::kPermissionDenied, HasSubstr("désactivé")));
  EXPECT_THAT(SignIn(a.address(), "wrong password here"),
              StatusIs(Code::kUnauthenticated, std::string(SignInService::kBadCredentialsMessage)));
}

TEST_F(SignInTest, ExpiredAccountIsRefusedWithItsMessage) {
  Account a = CreatePerson("marie.dupont@chu-toulouse.fr", "Dupont", "Marie", "2026-12-31");
  Activate(a);
  ASSERT_OK(SignIn(a.address(), kGoodPassword));
  clock_.SetDate("2027-01-01");  // before the daily job disables it
  EXPECT_THAT(SignIn(a.address(), kGoodPassword),
              StatusIs(Code::kPermissionDenied, HasSubstr("expiré")));
  ASSERT_OK(directory_->ExpireAccounts(op_));  // and after
  EXPECT_THAT(SignIn(a.address(), kGoodPassword),
              StatusIs(Code::kPermissionDenied, HasSubstr("expiré")));
}

TEST_F(SignInTest, UnknownAddressAndWrongPasswordGetTheSameAnswer) {
  ActivePerson("marie.dupont@chu-toulouse.fr");
  Status unknown = SignIn("nobody@chu-toulouse.fr", kGoodPassword).status();
  Status wrong = SignIn("marie.dupont@chu-toulouse.fr", "Le chat boit du thé à 8h").status();
  EXPECT_EQ(unknown.code(), Code::kUnauthenticated);
  EXPECT_EQ(unknown, wrong);  // same code and same message
  EXPECT_EQ(unknown.message(), SignInService::kBadCredentialsMessage);
}

TEST_F(SignInTest, SignInWithTheRightPasswordGivesASession) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(Session s, SignIn(" Marie.Dupont@CHU-toulouse.fr", kGoodPassword));
  EXPECT_EQ(s.person_id, a.id);
  EXPECT_EQ(s.mailbox_id, a.id);
  EXPECT_EQ(s.token.size(), 43u);
  ASSERT_OK_AND_ASSIGN(Session again, auth_->Resolve(s.token));
  EXPECT_EQ(again.person_id, a.id);
  ASSERT_THAT(Trail("auth.sign_in"), SizeIs(1));
  EXPECT_EQ(Trail("auth.sign_in")[0].event.actor_person_id, a.id);
  EXPECT_EQ(Trail("auth.sign_in")[0].event.ip, "192.0.2.1");
  EXPECT_THAT(Trail("auth.sign_in")[0].event.detail, HasSubstr(kUa));
}

// ---- Throttling ----

TEST_F(SignInTest, RepeatedFailuresOnOneAccountDelayThenLockIt) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  auto address = [&](int) { return a.address(); };
  auto ip = [](int i) { return "198.51.100." + std::to_string(i + 1); };  // a new IP each time

  int64_t retry = 0;
  for (int i = 0; i < 4; ++i) {
    EXPECT_THAT(SignIn(a.address(), "mauvais mot de passe", ip(i), &retry),
                StatusIs(Code::kUnauthenticated));
    EXPECT_EQ(retry, 0);
  }
  EXPECT_THAT(SignIn(a.address(), "mauvais mot de passe", ip(4), &retry),
              StatusIs(Code::kUnauthenticated));
  EXPECT_EQ(retry, 1);  // the 5th failure: wait before the next attempt
  // Not waiting: refused without even looking at the password, right or not.
  EXPECT_THAT(SignIn(a.address(), kGoodPassword, ip(5), &retry),
              StatusIs(Code::kUnavailable, HasSubstr("patientez")));
  EXPECT_EQ(retry, 1);
  clock_.AdvanceSeconds(retry);

  Status last = FailRepeatedly(5, address, [&](int i) { return ip(10 + i); });
  EXPECT_THAT(last, StatusIs(Code::kResourceExhausted, HasSubstr("15 minutes")));
  // Locked: even the right password is refused, from anywhere.
  EXPECT_THAT(SignIn(a.address(), kGoodPassword, "203.0.113.9", &retry),
              StatusIs(Code::kResourceExhausted, HasSubstr("bloquée")));
  EXPECT_GT(retry, 0);

  std::vector<audit::Entry> locks = Trail("auth.locked");
  ASSERT_THAT(locks, SizeIs(1));
  EXPECT_EQ(locks[0].event.actor_person_id, a.id);
  EXPECT_THAT(locks[0].event.detail, HasSubstr("\"scope\":\"account\""));

  clock_.AdvanceSeconds(15 * 60 + 1);
  EXPECT_OK(SignIn(a.address(), kGoodPassword, "203.0.113.9"));
}

TEST_F(SignInTest, RepeatedFailuresFromOneIpLockThatIp) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  Status last = FailRepeatedly(
      10, [](int i) { return "guess" + std::to_string(i) + "@chu-toulouse.fr"; },
      [](int) { return std::string("203.0.113.66"); });
  EXPECT_THAT(last, StatusIs(Code::kResourceExhausted));
  EXPECT_THAT(SignIn(a.address(), kGoodPassword, "203.0.113.66"),
              StatusIs(Code::kResourceExhausted));
  EXPECT_OK(SignIn(a.address(), kGoodPassword, "203.0.113.67"));
  std::vector<audit::Entry> locks = Trail("auth.locked");
  ASSERT_THAT(locks, SizeIs(1));
  EXPECT_THAT(locks[0].event.detail, HasSubstr("\"scope\":\"ip\""));
  EXPECT_EQ(locks[0].event.ip, "203.0.113.66");
}

TEST_F(SignInTest, FailuresOutsideTheWindowAreForgotten) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  int64_t retry = 0;
  for (int i = 0; i < 9; ++i) {
    (void)SignIn(a.address(), "mauvais mot de passe", "198.51.100.1", &retry);
    clock_.AdvanceSeconds(std::max<int64_t>(retry, 120));  // 9 failures over ~18 minutes
  }
  EXPECT_THAT(SignIn(a.address(), "mauvais mot de passe", "198.51.100.1", &retry),
              StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(Trail("auth.locked"), SizeIs(0));
}

// ---- Sessions ----

TEST_F(SignInTest, IdleSessionExpires) {
  ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(Session s, SignIn("marie.dupont@chu-toulouse.fr", kGoodPassword));
  clock_.AdvanceSeconds(29 * 60);
  EXPECT_OK(auth_->Resolve(s.token));  // slides last_seen
  clock_.AdvanceSeconds(29 * 60);
  EXPECT_OK(auth_->Resolve(s.token));
  clock_.AdvanceSeconds(30 * 60);
  EXPECT_THAT(auth_->Resolve(s.token), StatusIs(Code::kUnauthenticated, HasSubstr("expiré")));
  clock_.Set(clock_.NowMicros() - 60LL * 60 * 1000000);  // even back in time: it is gone
  EXPECT_THAT(auth_->Resolve(s.token), StatusIs(Code::kUnauthenticated));
}

TEST_F(SignInTest, SessionEndsAfterTwelveHoursWhateverTheActivity) {
  ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(Session s, SignIn("marie.dupont@chu-toulouse.fr", kGoodPassword));
  for (int i = 1; i <= 24; ++i) {  // 24 × 29 min = 11 h 36
    clock_.AdvanceSeconds(29 * 60);
    ASSERT_OK(auth_->Resolve(s.token)) << "after " << i * 29 << " minutes";
  }
  clock_.AdvanceSeconds(29 * 60);  // 12 h 05
  EXPECT_THAT(auth_->Resolve(s.token), StatusIs(Code::kUnauthenticated));
}

TEST_F(SignInTest, SignOutEndsTheSession) {
  ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(Session s, SignIn("marie.dupont@chu-toulouse.fr", kGoodPassword));
  ASSERT_OK(auth_->SignOut(s.token, "192.0.2.1", kUa));
  EXPECT_THAT(auth_->Resolve(s.token), StatusIs(Code::kUnauthenticated));
  EXPECT_OK(auth_->SignOut(s.token, "192.0.2.1", kUa));  // idempotent
  EXPECT_THAT(Trail("auth.sign_out"), SizeIs(1));
  EXPECT_THAT(auth_->Resolve("not-a-token"), StatusIs(Code::kUnauthenticated));
}

TEST_F(SignInTest, DisabledPersonLosesItsSessionsAtOnce) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(Session s, SignIn(a.address(), kGoodPassword));
  ASSERT_OK(directory_->SetDisabled(op_, a.id, true));
  EXPECT_THAT(auth_->Resolve(s.token), StatusIs(Code::kUnauthenticated));
}

TEST_F(SignInTest, PasswordResetSignsOutEverywhere) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(Session s1, SignIn(a.address(), kGoodPassword, "192.0.2.1"));
  ASSERT_OK_AND_ASSIGN(Session s2, SignIn(a.address(), kGoodPassword, "192.0.2.2"));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> token,
                       auth_->RequestReset(a.address(), "192.0.2.3", kUa));
  ASSERT_TRUE(token.has_value());
  secrets_.push_back(*token);
  ASSERT_OK(auth_->SetPassword(*token, "Un autre mot de passe solide", "192.0.2.3", kUa));
  EXPECT_THAT(auth_->Resolve(s1.token), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(auth_->Resolve(s2.token), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(SignIn(a.address(), kGoodPassword), StatusIs(Code::kUnauthenticated));
  EXPECT_OK(SignIn(a.address(), "Un autre mot de passe solide"));
  ASSERT_THAT(Trail("auth.password_reset"), SizeIs(1));
  EXPECT_THAT(Trail("auth.password_reset")[0].event.detail, HasSubstr("\"sessions_closed\":2"));
}

TEST_F(SignInTest, SignOutEverywhereEndsEverySession) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(Session s1, SignIn(a.address(), kGoodPassword));
  ASSERT_OK_AND_ASSIGN(Session s2, SignIn(a.address(), kGoodPassword));
  ASSERT_OK_AND_ASSIGN(int64_t n, auth_->SignOutEverywhere(a.id, "192.0.2.1", kUa));
  EXPECT_EQ(n, 2);
  EXPECT_THAT(auth_->Resolve(s1.token), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(auth_->Resolve(s2.token), StatusIs(Code::kUnauthenticated));
}

// ---- Links ----

TEST_F(SignInTest, ActivationActivatesAndIsSingleUse) {
  Account a = CreatePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(std::string token, auth_->IssueActivation(a.id));
  secrets_.push_back(token);
  ASSERT_OK(auth_->SetPassword(token, kGoodPassword, "192.0.2.1", kUa));
  auto stored = directory_->GetAccount(op_, a.id);
  ASSERT_OK(stored);
  EXPECT_EQ(stored->status, directory::AccountStatus::kActive);
  EXPECT_THAT(auth_->SetPassword(token, "Encore un autre mot de passe", "192.0.2.1", kUa),
              StatusIs(Code::kFailedPrecondition, HasSubstr("déjà servi")));
  EXPECT_THAT(Trail("auth.password_set"), SizeIs(1));
  EXPECT_THAT(auth_->SetPassword("garbage", kGoodPassword, "192.0.2.1", kUa),
              StatusIs(Code::kInvalidArgument));
}

TEST_F(SignInTest, ActivationLinkLastsSevenDays) {
  Account a = CreatePerson("marie.dupont@chu-toulouse.fr");
  Account b = CreatePerson("paul.martin@chu-toulouse.fr", "Martin", "Paul");
  ASSERT_OK_AND_ASSIGN(std::string ta, auth_->IssueActivation(a.id));
  ASSERT_OK_AND_ASSIGN(std::string tb, auth_->IssueActivation(b.id));
  clock_.AdvanceSeconds(7 * 24 * 3600 - 60);
  EXPECT_OK(auth_->SetPassword(ta, kGoodPassword, "192.0.2.1", kUa));
  clock_.AdvanceSeconds(61);
  EXPECT_THAT(auth_->SetPassword(tb, kGoodPassword, "192.0.2.1", kUa),
              StatusIs(Code::kFailedPrecondition, HasSubstr("expiré")));
}

TEST_F(SignInTest, ActivationLifetimeIsConfigurable) {
  AuthOptions o = options_;
  o.activation_seconds = 3600;
  auth_ = MakeService(o);
  Account a = CreatePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(std::string token, auth_->IssueActivation(a.id));
  clock_.AdvanceSeconds(3601);
  EXPECT_THAT(auth_->SetPassword(token, kGoodPassword, "192.0.2.1", kUa),
              StatusIs(Code::kFailedPrecondition));
}

TEST_F(SignInTest, ResetLinkLastsOneHourAndIsSingleUse) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> t1, auth_->RequestReset(a.address(), "", kUa));
  ASSERT_TRUE(t1.has_value());
  clock_.AdvanceSeconds(3601);
  EXPECT_THAT(auth_->SetPassword(*t1, "Un autre mot de passe solide", "", kUa),
              StatusIs(Code::kFailedPrecondition, HasSubstr("expiré")));
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> t2, auth_->RequestReset(a.address(), "", kUa));
  ASSERT_TRUE(t2.has_value());
  clock_.AdvanceSeconds(3500);
  EXPECT_OK(auth_->SetPassword(*t2, "Un autre mot de passe solide", "", kUa));
  EXPECT_THAT(auth_->SetPassword(*t2, "Un troisième mot de passe", "", kUa),
              StatusIs(Code::kFailedPrecondition, HasSubstr("déjà servi")));
}

TEST_F(SignInTest, ResetForAnUnknownAddressIsOkWithoutAToken) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  CreateShared("ORG", "cardio@chu-toulouse.fr", "Secrétariat de cardiologie", marie.address());
  Account off = ActivePerson("paul.martin@chu-toulouse.fr", "Martin", "Paul");
  ASSERT_OK(directory_->SetDisabled(op_, off.id, true));
  for (const char* address :
       {"nobody@chu-toulouse.fr", "cardio@chu-toulouse.fr", "paul.martin@chu-toulouse.fr"}) {
    ASSERT_OK_AND_ASSIGN(std::optional<std::string> token,
                         auth_->RequestReset(address, "192.0.2.1", kUa));
    EXPECT_FALSE(token.has_value()) << address;
  }
  // A pending account may use « Mot de passe oublié ? » to finish its activation.
  Account pending = CreatePerson("new@chu-toulouse.fr", "Nouveau", "Jean");
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> token,
                       auth_->RequestReset(" NEW@chu-toulouse.fr", "192.0.2.1", kUa));
  EXPECT_TRUE(token.has_value());
}

TEST_F(SignInTest, SetPasswordAppliesThePolicyAndKeepsTheLink) {
  Account a = CreatePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(std::string token, auth_->IssueActivation(a.id));
  EXPECT_THAT(auth_->SetPassword(token, "Court-1!", "", kUa),
              StatusIs(Code::kInvalidArgument, HasSubstr("12 caractères")));
  EXPECT_THAT(auth_->SetPassword(token, "marie.dupont@chu!", "", kUa),
              StatusIs(Code::kInvalidArgument, HasSubstr("adresse")));
  EXPECT_THAT(auth_->SetPassword(token, "Ma soeur Marie et moi", "", kUa),
              StatusIs(Code::kInvalidArgument, HasSubstr("adresse")));
  EXPECT_THAT(auth_->SetPassword(token, "le grand DUPONTEL", "", kUa),
              StatusIs(Code::kInvalidArgument, HasSubstr("adresse")));
  EXPECT_THAT(auth_->SetPassword(token, "motdepasse2024", "", kUa),
              StatusIs(Code::kInvalidArgument, HasSubstr("courants")));
  EXPECT_OK(auth_->SetPassword(token, kGoodPassword, "", kUa));
}

TEST_F(SignInTest, NameInThePasswordIsRefused) {
  Account a = CreatePerson("m.dupont@chu-toulouse.fr", "Lefèvre-Dupont", "Hélène");
  ASSERT_OK_AND_ASSIGN(std::string token, auth_->IssueActivation(a.id));
  EXPECT_THAT(auth_->SetPassword(token, "J'aime bien LEFEVRE 42", "", kUa),
              StatusIs(Code::kInvalidArgument, HasSubstr("nom")));
  EXPECT_THAT(auth_->SetPassword(token, "helene au bord de l'eau", "", kUa),
              StatusIs(Code::kInvalidArgument, HasSubstr("prénom")));
}

// ---- Mailbox context ----

TEST_F(SignInTest, SignInLandsInTheDefaultMailbox) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  Account org =
      CreateShared("ORG", "cardio@chu-toulouse.fr", "Secrétariat de cardiologie", a.address());
  ASSERT_OK(directory_->SetDefaultMailbox(op_, a.id, org.id));
  ASSERT_OK_AND_ASSIGN(Session s, SignIn(a.address(), kGoodPassword));
  EXPECT_EQ(s.mailbox_id, org.id);
  ASSERT_OK_AND_ASSIGN(MeView me, auth_->Me(s.token));
  EXPECT_EQ(me.current_mailbox_id, org.id);
  EXPECT_EQ(me.address, a.address());
  EXPECT_THAT(me.mailboxes,
              ElementsAre(Field(&MailboxChoice::id, a.id),
                          Field(&MailboxChoice::description, "Secrétariat de cardiologie")));
}

TEST_F(SignInTest, SwitchNeedsARightAndIsRecorded) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  Account b = ActivePerson("paul.martin@chu-toulouse.fr", "Martin", "Paul");
  Account mine = CreateShared("ORG", "cardio@chu-toulouse.fr", "Cardiologie", a.address());
  Account theirs = CreateShared("APP", "labo@chu-toulouse.fr", "Laboratoire", "");
  ASSERT_OK_AND_ASSIGN(Session s, SignIn(a.address(), kGoodPassword));
  EXPECT_THAT(auth_->Switch(s.token, theirs.id, "192.0.2.1", kUa),
              StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(auth_->Switch(s.token, b.id, "192.0.2.1", kUa), StatusIs(Code::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(MailboxChoice m, auth_->Switch(s.token, mine.id, "192.0.2.1", kUa));
  EXPECT_EQ(m.address, "cardio@chu-toulouse.fr");
  ASSERT_OK_AND_ASSIGN(CurrentMailboxView cur, auth_->CurrentMailbox(s.token));
  EXPECT_EQ(cur.mailbox_id, mine.id);
  EXPECT_FALSE(cur.fell_back);
  ASSERT_OK(auth_->Switch(s.token, a.id, "192.0.2.1", kUa));  // and back
  std::vector<audit::Entry> switches = Trail("auth.switch");
  ASSERT_THAT(switches, SizeIs(2));
  EXPECT_EQ(switches[0].event.actor_person_id, a.id);
  EXPECT_EQ(switches[0].event.mailbox_id, mine.id);
}

TEST_F(SignInTest, RevokedRightStopsTheCurrentMailboxAtOnce) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  Account org = CreateShared("ORG", "cardio@chu-toulouse.fr", "Cardiologie", a.address());
  ASSERT_OK_AND_ASSIGN(Session s, SignIn(a.address(), kGoodPassword));
  ASSERT_OK(auth_->Switch(s.token, org.id, "192.0.2.1", kUa));
  ASSERT_OK(directory_->RevokeRight(op_, org.id, a.id));
  ASSERT_OK_AND_ASSIGN(CurrentMailboxView cur, auth_->CurrentMailbox(s.token));
  EXPECT_EQ(cur.mailbox_id, a.id);
  EXPECT_TRUE(cur.fell_back);
  EXPECT_THAT(cur.notice, HasSubstr("retiré"));
  ASSERT_OK_AND_ASSIGN(MeView me, auth_->Me(s.token));
  EXPECT_THAT(me.mailboxes, SizeIs(1));
  EXPECT_THAT(auth_->Switch(s.token, org.id, "192.0.2.1", kUa), StatusIs(Code::kPermissionDenied));
}

// ---- Hashes and the trail ----

TEST_F(SignInTest, WeakerHashIsReplacedAtSignIn) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  std::string before = CredentialsOf(a.address())->password_hash;
  AuthOptions stronger = options_;
  stronger.cost.opslimit += 1;
  auth_ = MakeService(stronger);
  ASSERT_OK(SignIn(a.address(), kGoodPassword));
  std::string after = CredentialsOf(a.address())->password_hash;
  EXPECT_NE(before, after);
  EXPECT_FALSE(PasswordHasher(stronger.cost).NeedsRehash(after));
  EXPECT_OK(SignIn(a.address(), kGoodPassword));
  EXPECT_EQ(CredentialsOf(a.address())->password_hash, after);  // once only
}

TEST_F(SignInTest, CostlierHashOfAnOlderDefaultIsBroughtToTheConfiguredCost) {
  AuthOptions older = options_;
  older.cost.opslimit += 2;  // the previous, costlier default
  auth_ = MakeService(older);
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  std::string before = CredentialsOf(a.address())->password_hash;
  auth_ = MakeService(options_);
  ASSERT_OK(SignIn(a.address(), kGoodPassword));  // the old hash still verifies
  std::string after = CredentialsOf(a.address())->password_hash;
  EXPECT_NE(before, after);
  EXPECT_FALSE(PasswordHasher(options_.cost).NeedsRehash(after));
  EXPECT_OK(SignIn(a.address(), kGoodPassword));
}

TEST_F(SignInTest, NoPasswordOrTokenReachesTheTrail) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  Account org = CreateShared("ORG", "cardio@chu-toulouse.fr", "Cardiologie", a.address());
  ASSERT_OK_AND_ASSIGN(Session s, SignIn(a.address(), kGoodPassword));
  ASSERT_OK(auth_->Switch(s.token, org.id, "192.0.2.1", kUa));
  const std::string wrong = "Ceci est un mauvais mot de passe";
  (void)SignIn(a.address(), wrong);
  (void)SignIn("nobody@chu-toulouse.fr", wrong);
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> reset, auth_->RequestReset(a.address(), "", kUa));
  secrets_.push_back(*reset);
  const std::string renewed = "Un autre mot de passe solide";
  ASSERT_OK(auth_->SetPassword(*reset, renewed, "192.0.2.1", kUa));
  ASSERT_OK(SignIn(a.address(), renewed));
  ASSERT_OK(auth_->SignOut(secrets_.back(), "192.0.2.1", kUa));
  secrets_.push_back(wrong);
  secrets_.push_back(renewed);
  secrets_.push_back(kGoodPassword);

  std::vector<audit::Entry> trail = Trail();
  ASSERT_GT(trail.size(), 8u);
  for (const audit::Entry& e : trail) {
    std::string all = e.event.actor + "|" + e.event.action + "|" + e.event.object + "|" +
                      e.event.ip + "|" + e.event.detail;
    for (const std::string& secret : secrets_) {
      EXPECT_EQ(all.find(secret), std::string::npos) << e.event.action << " holds a secret";
    }
    EXPECT_EQ(all.find("$argon2"), std::string::npos) << e.event.action << " holds a hash";
  }
  auto tx = db_->Begin(storage::TxMode::kRead);
  auto report = audit_->Verify(**tx);
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_F(SignInTest, PurgeDeletesWhatExpired) {
  Account a = ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK(SignIn(a.address(), kGoodPassword));
  (void)SignIn(a.address(), "mauvais mot de passe");
  clock_.AdvanceSeconds(13 * 3600);
  ASSERT_OK_AND_ASSIGN(int64_t n, auth_->Purge());
  EXPECT_GE(n, 3);  // the session, the used activation token, the failure
}

}  // namespace
}  // namespace caduce::auth
