// AccessTokenService over a real SQLite file, with the real DirectoryService
// creating the structure, persons, shared mailboxes and rights, and a FakeClock
// for expiry: one test per rule of auth/access_tokens.h, hostile bearers included.
#include "auth/access_tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "directory/directory_service.h"
#include "store_sqlite/access_token_repo.h"
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
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

using directory::Account;
using directory::AccountDraft;
using directory::Actor;

constexpr char kPassword[] = "Le chat boit du thé à 7h";
constexpr char kUa[] = "Thunderbird/128.0";
constexpr int64_t kDay = 24LL * 3600 * 1000000;

class AccessTokensTest : public ::testing::Test {
 protected:
  AccessTokensTest() {
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
    AuthOptions options;
    options.cost = PasswordCost::Minimal();
    sign_in_ = std::make_unique<SignInService>(*db_, auth_repo_, dir_repo_, *audit_, policy_,
                                               clock_, options);
    tokens_ = std::make_unique<AccessTokenService>(*db_, auth_repo_, token_repo_, dir_repo_,
                                                   *audit_, clock_);
    directory::Structure s;
    s.name = "CHU de Toulouse";
    s.mss_domain = "chu-toulouse.mssante.fr";
    std::vector<directory::Finding> findings;
    auto r = directory_->CreateStructure(op_, s, &findings);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    structure_id_ = r.ok() ? r->id : 0;
  }

  Account Create(const AccountDraft& d) {
    std::vector<directory::Finding> findings;
    auto r =
        directory_->CreateAccount(op_, structure_id_, d, directory::CreateOptions{}, &findings);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Account{};
  }

  Account ActivePerson(const std::string& address) {
    Account a = Create(caduce::testing::PersonDraft("MED", address, "Dupont", "Marie"));
    auto token = sign_in_->IssueActivation(a.id);
    EXPECT_TRUE(token.ok()) << token.status().ToString();
    if (token.ok()) {
      EXPECT_OK(sign_in_->SetPassword(*token, kPassword, "192.0.2.1", kUa));
    }
    return a;
  }

  static Actor As(const Account& a, const std::string& ip = "192.0.2.7") {
    Actor actor(Actor::Kind::kPerson, a.id, a.address(), ip);
    actor.user_agent = kUa;
    return actor;
  }

  std::string MakeToken(const Account& a, const std::string& name = "Thunderbird du poste 3",
                        int64_t expires_at = 0) {
    auto t = tokens_->Create(As(a), name, expires_at);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t->secret : std::string();
  }

  std::vector<audit::Entry> Trail(const std::string& action_prefix = "") {
    auto tx = db_->Begin(storage::TxMode::kRead);
    audit::Filter f;
    f.limit = 100000;
    if (!action_prefix.empty()) f.action_prefix = action_prefix;
    auto r = audit_->Query(**tx, f);
    return r.ok() ? *r : std::vector<audit::Entry>{};
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  caduce::testing::TempDir dir_;
  caduce::testing::FakeClock clock_;
  std::unique_ptr<store_sqlite::SqliteDatabase> db_;
  store_sqlite::SqliteDirectoryRepository dir_repo_;
  store_sqlite::SqliteAuditRepository audit_repo_;
  store_sqlite::SqliteAuthRepository auth_repo_;
  store_sqlite::SqliteAccessTokenRepository token_repo_;
  directory::ReferenceData ref_;
  PasswordPolicy policy_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<directory::DirectoryService> directory_;
  std::unique_ptr<SignInService> sign_in_;
  std::unique_ptr<AccessTokenService> tokens_;
  Actor op_ = Actor::CommandLine();
  int64_t structure_id_ = 0;
};

TEST_F(AccessTokensTest, TokenIsShownOnceStoredHashedAndAuthenticatesThePerson) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  auto created = tokens_->Create(As(marie), "  Thunderbird du poste 3 ", 0);
  ASSERT_OK(created);
  const std::string secret = created->secret;
  EXPECT_THAT(secret, StartsWith("cdc_pat_"));
  EXPECT_EQ(secret.size(), 8u + 43u);
  EXPECT_EQ(created->info.name, "Thunderbird du poste 3");

  // The database file (and its WAL) never holds the token in clear.
  db_.reset();
  std::string bytes = ReadFile(dir_.File("caduce.db")) + ReadFile(dir_.File("caduce.db-wal"));
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(secret.substr(8)), std::string::npos);
  EXPECT_NE(bytes.find("Thunderbird du poste 3"), std::string::npos);
  store_sqlite::Options o;
  o.path = dir_.File("caduce.db");
  auto db = store_sqlite::SqliteDatabase::Open(o);
  ASSERT_OK(db);
  db_ = std::move(*db);
  audit_ = std::make_unique<audit::AuditLog>(audit_repo_, clock_);
  tokens_ = std::make_unique<AccessTokenService>(*db_, auth_repo_, token_repo_, dir_repo_,
                                                 *audit_, clock_);

  auto who = tokens_->Authenticate(secret, "192.0.2.8", kUa);
  ASSERT_OK(who);
  EXPECT_EQ(who->me.person_id, marie.id);
  EXPECT_EQ(who->me.address, "marie.dupont@chu-toulouse.fr");
  EXPECT_EQ(who->token_id, created->info.id);
  EXPECT_EQ(who->me.current_mailbox_id, marie.id);

  // Listed without any secret; last use and IP recorded.
  auto list = tokens_->List(marie.id);
  ASSERT_OK(list);
  ASSERT_THAT(*list, SizeIs(1));
  EXPECT_EQ((*list)[0].last_used_ip, "192.0.2.8");
  EXPECT_EQ((*list)[0].last_used_at, clock_.NowMicros());
}

TEST_F(AccessTokensTest, OrgAndAppMailboxesHaveNoTokens) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  Account org = Create(caduce::testing::SharedDraft("ORG", "cardio@chu-toulouse.fr",
                                                    marie.address(), "Secrétariat"));
  Account app = Create(caduce::testing::SharedDraft("APP", "labo@chu-toulouse.fr", "", "Labo"));
  EXPECT_THAT(tokens_->Create(As(org), "Client", 0),
              StatusIs(Code::kPermissionDenied, HasSubstr("boîte organisationnelle")));
  EXPECT_THAT(tokens_->Create(As(app), "Client", 0), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(Trail("auth.token_created"), SizeIs(0));
}

TEST_F(AccessTokensTest, PendingOrDisabledPersonCannotCreate) {
  Account pending = Create(caduce::testing::PersonDraft("MED", "new@chu-toulouse.fr", "A", "B"));
  EXPECT_THAT(tokens_->Create(As(pending), "Client", 0), StatusIs(Code::kPermissionDenied));
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  ASSERT_OK(directory_->SetDisabled(op_, marie.id, true));
  EXPECT_THAT(tokens_->Create(As(marie), "Client", 0), StatusIs(Code::kPermissionDenied));
}

TEST_F(AccessTokensTest, BadNamesAndPastExpiryAreRefusedAndWriteNothing) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  for (const std::string& name :
       {std::string(""), std::string("   "), std::string(101, 'a'), std::string("a\nb"),
        std::string("nul\0x", 5), std::string("\xff\xfe"), std::string("tab\there")}) {
    EXPECT_THAT(tokens_->Create(As(marie), name, 0),
                StatusIs(Code::kInvalidArgument, HasSubstr("Nom du jeton")))
        << name;
  }
  EXPECT_OK(tokens_->Create(As(marie), std::string(100, 'e'), 0));  // the limit itself
  EXPECT_THAT(tokens_->Create(As(marie), "Client", clock_.NowMicros()),
              StatusIs(Code::kInvalidArgument, HasSubstr("expiration")));
  auto list = tokens_->List(marie.id);
  ASSERT_OK(list);
  EXPECT_THAT(*list, SizeIs(1));
}

TEST_F(AccessTokensTest, ExpiredTokenIsRefusedAndTraced) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  std::string secret = MakeToken(marie, "Logiciel", clock_.NowMicros() + kDay);
  ASSERT_OK(tokens_->Authenticate(secret, "192.0.2.8"));
  clock_.AdvanceSeconds(24 * 3600);
  EXPECT_THAT(tokens_->Authenticate(secret, "192.0.2.8", kUa),
              StatusIs(Code::kUnauthenticated,
                       std::string(AccessTokenService::kRefusedMessage)));
  auto refused = Trail("auth.token_refused");
  ASSERT_THAT(refused, SizeIs(1));
  EXPECT_EQ(refused[0].event.actor_person_id, marie.id);
  EXPECT_THAT(refused[0].event.detail, HasSubstr("\"reason\":\"expired\""));
  EXPECT_THAT(refused[0].event.detail, HasSubstr("Logiciel"));
  auto list = tokens_->List(marie.id);
  ASSERT_OK(list);
  ASSERT_THAT(*list, SizeIs(1));
  EXPECT_TRUE((*list)[0].expired);
}

TEST_F(AccessTokensTest, RevocationIsEffectiveAtTheNextRequest) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  Account jean = ActivePerson("jean.martin@chu-toulouse.fr");
  std::string secret = MakeToken(marie);
  auto list = tokens_->List(marie.id);
  ASSERT_OK(list);
  int64_t id = (*list)[0].id;
  ASSERT_OK(tokens_->Authenticate(secret, "192.0.2.8"));
  // Another person cannot revoke it through its own id.
  EXPECT_THAT(tokens_->Revoke(As(jean), jean.id, id), StatusIs(Code::kNotFound));
  ASSERT_OK(tokens_->Revoke(As(marie), marie.id, id));
  EXPECT_THAT(tokens_->Authenticate(secret, "192.0.2.8"), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(tokens_->Revoke(As(marie), marie.id, id), StatusIs(Code::kNotFound));
  auto after = tokens_->List(marie.id);
  ASSERT_OK(after);
  EXPECT_THAT(*after, SizeIs(0));
  auto revoked = Trail("auth.token_revoked");
  ASSERT_THAT(revoked, SizeIs(1));
  EXPECT_EQ(revoked[0].event.ip, "192.0.2.7");
  EXPECT_THAT(revoked[0].event.detail, HasSubstr("Thunderbird du poste 3"));
  EXPECT_THAT(revoked[0].event.detail, HasSubstr(kUa));
}

TEST_F(AccessTokensTest, DisabledAccountStopsItsTokens) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  std::string secret = MakeToken(marie);
  ASSERT_OK(tokens_->Authenticate(secret, "192.0.2.8"));
  ASSERT_OK(directory_->SetDisabled(op_, marie.id, true));
  EXPECT_THAT(tokens_->Authenticate(secret, "192.0.2.8"), StatusIs(Code::kUnauthenticated));
  auto refused = Trail("auth.token_refused");
  ASSERT_THAT(refused, SizeIs(1));
  EXPECT_THAT(refused[0].event.detail, HasSubstr("account_disabled"));
  ASSERT_OK(directory_->SetDisabled(op_, marie.id, false));
  EXPECT_OK(tokens_->Authenticate(secret, "192.0.2.8"));
}

TEST_F(AccessTokensTest, ThePersonsMailboxesFollowItsRights) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  Account org = Create(caduce::testing::SharedDraft("ORG", "cardio@chu-toulouse.fr",
                                                    marie.address(), "Secrétariat de cardiologie"));
  ASSERT_OK(directory_->SetDefaultMailbox(op_, marie.id, org.id));
  std::string secret = MakeToken(marie);
  auto who = tokens_->Authenticate(secret, "192.0.2.8");
  ASSERT_OK(who);
  ASSERT_THAT(who->me.mailboxes, SizeIs(2));
  EXPECT_EQ(who->me.mailboxes[1].id, org.id);
  EXPECT_EQ(who->me.mailboxes[1].description, "Secrétariat de cardiologie");
  EXPECT_EQ(who->me.current_mailbox_id, org.id);
  ASSERT_OK(directory_->RevokeRight(op_, org.id, marie.id));
  who = tokens_->Authenticate(secret, "192.0.2.8");
  ASSERT_OK(who);
  EXPECT_THAT(who->me.mailboxes, SizeIs(1));
  EXPECT_EQ(who->me.current_mailbox_id, marie.id);
}

TEST_F(AccessTokensTest, HostileBearersAreRefusedThenTheAddressIsLocked) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  std::string secret = MakeToken(marie);
  auto session = sign_in_->SignIn(marie.address(), kPassword, "192.0.2.1", kUa);
  ASSERT_OK(session);
  const std::vector<std::string> hostile = {
      "", "cdc_pat_", "cdc_pat_" + std::string(43, '!'), secret.substr(8),  // no prefix
      session->token,                       // a session token is not an access token
      "cdc_pat_" + session->token,          // unknown hash
      secret + "A", std::string(100000, 'x'), "cdc_pat_" + std::string("\0abc", 4),
      "' OR 1=1 --"};
  for (const std::string& bad : hostile) {
    EXPECT_THAT(tokens_->Authenticate(bad, "203.0.113.9", "curl/8\r\nX: y"),
                StatusIs(Code::kUnauthenticated))
        << bad.substr(0, 60);
  }
  // The tenth failure locked the address (ThrottleOptions::lock_after = 10): even the
  // right token is refused from there, without more trail entries.
  ASSERT_THAT(Trail("auth.locked"), SizeIs(1));
  size_t refused = Trail("auth.token_refused").size();
  EXPECT_EQ(refused, hostile.size());
  EXPECT_THAT(tokens_->Authenticate(secret, "203.0.113.9"), StatusIs(Code::kResourceExhausted));
  EXPECT_THAT(Trail("auth.token_refused"), SizeIs(refused));
  // Another address is not concerned.
  EXPECT_OK(tokens_->Authenticate(secret, "192.0.2.8"));
  // The user agent went into the trail without its CR LF.
  EXPECT_THAT(Trail("auth.token_refused")[0].event.detail, HasSubstr("curl/8??X: y"));
}

TEST_F(AccessTokensTest, AtMostFiftyLiveTokens) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  for (int i = 0; i < AccessTokenService::kMaxLiveTokens; ++i) MakeToken(marie, "Client");
  EXPECT_THAT(tokens_->Create(As(marie), "Un de trop", 0),
              StatusIs(Code::kResourceExhausted, HasSubstr("révoquez")));
  auto list = tokens_->List(marie.id);
  ASSERT_OK(list);
  ASSERT_OK(tokens_->Revoke(As(marie), marie.id, (*list)[0].id));
  EXPECT_OK(tokens_->Create(As(marie), "Un de plus", 0));
}

TEST_F(AccessTokensTest, TheTrailNamesTokensButNeverHoldsTheirSecret) {
  Account marie = ActivePerson("marie.dupont@chu-toulouse.fr");
  std::string secret = MakeToken(marie);
  ASSERT_OK(tokens_->Authenticate(secret, "192.0.2.8"));
  EXPECT_THAT(tokens_->Authenticate(secret + "x", "192.0.2.8"), Not(IsOk()));
  auto list = tokens_->List(marie.id);
  ASSERT_OK(list);
  ASSERT_OK(tokens_->Revoke(As(marie), marie.id, (*list)[0].id));
  auto created = Trail("auth.token_created");
  ASSERT_THAT(created, SizeIs(1));
  EXPECT_EQ(created[0].event.actor_person_id, marie.id);
  EXPECT_EQ(created[0].event.ip, "192.0.2.7");
  EXPECT_THAT(created[0].event.detail, HasSubstr("Thunderbird du poste 3"));
  EXPECT_THAT(created[0].event.detail, HasSubstr(kUa));
  for (const audit::Entry& e : Trail()) {
    EXPECT_EQ(e.event.detail.find(secret.substr(8, 20)), std::string::npos) << e.event.action;
    EXPECT_EQ(e.event.object.find(secret.substr(8, 20)), std::string::npos);
  }
}

TEST(BearerTokenTest, ParsesTheSchemeWithoutRegardToCase) {
  EXPECT_EQ(BearerToken("Bearer cdc_pat_abc"), "cdc_pat_abc");
  EXPECT_EQ(BearerToken("bearer   cdc_pat_abc "), "cdc_pat_abc");
  EXPECT_EQ(BearerToken("BEARER x"), "x");
  EXPECT_EQ(BearerToken("Basic dXNlcjpwYXNz"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer "), std::nullopt);
  EXPECT_EQ(BearerToken("Bearertoken"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer a b"), std::nullopt);
  EXPECT_EQ(BearerToken(""), std::nullopt);
}

}  // namespace
}  // namespace caduce::auth
