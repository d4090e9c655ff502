// DirectoryService over a real SQLite file: authorisation of every operation, the
// rules on connection rights and default mailboxes, expiry, MSSanté address
// generation, and the audit entry written with each change.
#include "directory/directory_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "testing/account_drafts.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::directory {
namespace {

using ::caduce::testing::IsOk;
using ::caduce::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using F = ::caduce::directory::Field;

class DirectoryServiceTest : public ::testing::Test {
 protected:
  DirectoryServiceTest() {
    store_sqlite::Options o;
    o.path = dir_.File("caduce.db");
    auto db = store_sqlite::SqliteDatabase::Open(o);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    auto ref = ReferenceData::Load(caduce::testing::DataDir());
    EXPECT_TRUE(ref.ok()) << ref.status().ToString();
    ref_ = std::move(*ref);
    audit_ = std::make_unique<audit::AuditLog>(audit_repo_, clock_);
    service_ = std::make_unique<DirectoryService>(*db_, repo_, *audit_, ref_, clock_);

    hospital_ = MakeStructure("CHU de Toulouse", "chu-toulouse.mssante.fr");
    clinic_ = MakeStructure("Clinique du Parc", "");
  }

  Structure MakeStructure(const std::string& name, const std::string& domain) {
    Structure s;
    s.name = name;
    s.mss_domain = domain;
    std::vector<Finding> findings;
    auto r = service_->CreateStructure(op_, s, &findings);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Structure{};
  }

  static AccountDraft Nominative(const std::string& type, const std::string& address,
                                 const std::string& nom = "Dupont",
                                 const std::string& prenom = "Marie") {
    return caduce::testing::PersonDraft(type, address, nom, prenom);
  }

  static AccountDraft Shared(const std::string& type, const std::string& address,
                             const std::string& connection_accounts) {
    return caduce::testing::SharedDraft(type, address, connection_accounts);
  }

  Account Create(const Structure& s, const AccountDraft& d, const Actor* actor = nullptr) {
    std::vector<Finding> findings;
    auto r = service_->CreateAccount(actor ? *actor : op_, s.id, d, CreateOptions{}, &findings);
    EXPECT_TRUE(r.ok()) << r.status().ToString() << " " << Describe(findings);
    return r.ok() ? *r : Account{};
  }

  static std::string Describe(const std::vector<Finding>& findings) {
    std::string s;
    for (const Finding& f : findings) s += "[" + f.code + ": " + f.message + "] ";
    return s;
  }

  Actor AdminOf(const Structure& s, const std::string& address) {
    Account a = Create(s, Nominative("MED", address, "Admin", "Alice"));
    EXPECT_OK(service_->AddAdministrator(op_, s.id, address));
    return Actor{Actor::Kind::kPerson, a.id, address, "192.0.2.10"};
  }

  int64_t CountAccounts() {
    auto all = service_->ListAccounts(op_, AccountFilter{});
    return all.ok() ? static_cast<int64_t>(all->size()) : -1;
  }

  std::vector<audit::Entry> Trail(const std::string& action_prefix = "") {
    auto tx = db_->Begin(storage::TxMode::kRead);
    audit::Filter f;
    if (!action_prefix.empty()) f.action_prefix = action_prefix;
    auto r = audit_->Query(**tx, f);
    return r.ok() ? *r : std::vector<audit::Entry>{};
  }

  bool ChainVerifies() {
    auto tx = db_->Begin(storage::TxMode::kRead);
    auto r = audit_->Verify(**tx);
    return r.ok() && r->ok;
  }

  caduce::testing::TempDir dir_;
  caduce::testing::FakeClock clock_;
  std::unique_ptr<store_sqlite::SqliteDatabase> db_;
  store_sqlite::SqliteDirectoryRepository repo_;
  store_sqlite::SqliteAuditRepository audit_repo_;
  ReferenceData ref_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<DirectoryService> service_;
  Actor op_ = Actor::CommandLine();
  Structure hospital_, clinic_;
};

// ---- Structures and administrators ----

TEST_F(DirectoryServiceTest, StructureNameIsUnique) {
  Structure s;
  s.name = "CHU de Toulouse";
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateStructure(op_, s, &findings), StatusIs(Code::kAlreadyExists));
  EXPECT_THAT(findings, Contains(Field(&Finding::code, "structure_exists")));
}

TEST_F(DirectoryServiceTest, StructureSiretKeyIsChecked) {
  Structure s;
  s.name = "Centre de santé";
  s.id_type = "3";
  s.id_value = "31000123500013";  // last digit changed
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateStructure(op_, s, &findings), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(findings, Contains(Field(&Finding::field, F::kIdStructure)));
}

TEST_F(DirectoryServiceTest, OnlyTheOperatorCreatesStructures) {
  Actor admin = AdminOf(hospital_, "alice@chu.fr");
  Structure s;
  s.name = "Nouvelle structure";
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateStructure(admin, s, &findings), StatusIs(Code::kPermissionDenied));
}

TEST_F(DirectoryServiceTest, OnlyTheOperatorAddsAdministrators) {
  Actor admin = AdminOf(hospital_, "alice@chu.fr");
  Create(hospital_, Nominative("MED", "bob@chu.fr"));
  EXPECT_THAT(service_->AddAdministrator(admin, hospital_.id, "bob@chu.fr"),
              StatusIs(Code::kPermissionDenied));
}

TEST_F(DirectoryServiceTest, AnAdministratorMustBeAPerson) {
  Create(hospital_, Nominative("MED", "marie@chu.fr"));
  Create(hospital_, Shared("ORG", "secretariat@chu.fr", "marie@chu.fr"));
  EXPECT_THAT(service_->AddAdministrator(op_, hospital_.id, "secretariat@chu.fr"),
              StatusIs(Code::kInvalidArgument, HasSubstr("PER, INT ou MED")));
}

TEST_F(DirectoryServiceTest, APersonMayAdministerSeveralStructures) {
  Actor admin = AdminOf(hospital_, "alice@chu.fr");
  ASSERT_OK(service_->AddAdministrator(op_, clinic_.id, "alice@chu.fr"));
  ASSERT_OK_AND_ASSIGN(auto structures, service_->ListStructures(admin));
  EXPECT_THAT(structures, SizeIs(2));
}

// ---- Accounts: authorisation ----

TEST_F(DirectoryServiceTest, AdministratorCannotCreateInAnotherStructure) {
  Actor admin = AdminOf(hospital_, "alice@chu.fr");
  int64_t before = CountAccounts();
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateAccount(admin, clinic_.id, Nominative("MED", "x@parc.fr"),
                                      CreateOptions{}, &findings),
              StatusIs(Code::kPermissionDenied));
  EXPECT_EQ(CountAccounts(), before);
}

TEST_F(DirectoryServiceTest, AdministratorDoesNotSeeAnotherStructure) {
  Actor admin = AdminOf(hospital_, "alice@chu.fr");
  Account other = Create(clinic_, Nominative("MED", "x@parc.fr"));
  EXPECT_THAT(service_->GetAccount(admin, other.id), StatusIs(Code::kNotFound));
  EXPECT_THAT(service_->GetAccountByAddress(admin, "x@parc.fr"), StatusIs(Code::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto listed, service_->ListAccounts(admin, AccountFilter{}));
  for (const Account& a : listed) EXPECT_EQ(a.structure_id, hospital_.id);
  ASSERT_OK_AND_ASSIGN(auto found, service_->Search(admin, "x@", false));
  EXPECT_THAT(found, IsEmpty());
}

TEST_F(DirectoryServiceTest, AdministratorCannotEditOrDisableAnotherStructure) {
  Actor admin = AdminOf(hospital_, "alice@chu.fr");
  Account other = Create(clinic_, Nominative("MED", "x@parc.fr"));
  std::vector<Finding> findings;
  EXPECT_THAT(service_->UpdateAccount(admin, other.id, {{F::kNom, "Pirate"}}, &findings),
              StatusIs(Code::kNotFound));
  EXPECT_THAT(service_->SetDisabled(admin, other.id, true), StatusIs(Code::kNotFound));
  ASSERT_OK_AND_ASSIGN(Account unchanged, service_->GetAccount(op_, other.id));
  EXPECT_EQ(unchanged.get(F::kNom), "DUPONT");
  EXPECT_EQ(unchanged.status, AccountStatus::kPending);
}

TEST_F(DirectoryServiceTest, APersonWhoAdministersNothingCannotCreate) {
  Account p = Create(hospital_, Nominative("PER", "doc@chu.fr"));
  Actor person{Actor::Kind::kPerson, p.id, p.address(), ""};
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateAccount(person, hospital_.id, Nominative("MED", "y@chu.fr"),
                                      CreateOptions{}, &findings),
              StatusIs(Code::kPermissionDenied));
}

TEST_F(DirectoryServiceTest, AnOperatorPersonSeesEverything) {
  Account p = Create(hospital_, Nominative("MED", "ops@chu.fr"));
  ASSERT_OK(service_->SetOperator(op_, "ops@chu.fr", true));
  Actor ops{Actor::Kind::kPerson, p.id, p.address(), ""};
  Account other = Create(clinic_, Nominative("MED", "x@parc.fr"));
  EXPECT_THAT(service_->GetAccount(ops, other.id), IsOk());
}

// ---- Accounts: validation and state ----

TEST_F(DirectoryServiceTest, RefusedRowWritesNothing) {
  AccountDraft d = Nominative("PER", "doc@chu.fr");
  d.values[FieldIndex(F::kCp)] = "3100";
  d.values[FieldIndex(F::kRpps)] = "";
  int64_t before = CountAccounts();
  size_t trail_before = Trail().size();
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateAccount(op_, hospital_.id, d, CreateOptions{}, &findings),
              StatusIs(Code::kInvalidArgument));
  // Every finding at once: the CP and the missing RPPS/ADELI.
  EXPECT_THAT(findings, Contains(Field(&Finding::field, F::kCp)));
  EXPECT_THAT(findings, Contains(Field(&Finding::field, F::kRpps)));
  EXPECT_EQ(CountAccounts(), before);
  EXPECT_EQ(Trail().size(), trail_before);
}

TEST_F(DirectoryServiceTest, AddressIsUniqueAcrossStructures) {
  Create(hospital_, Nominative("MED", "marie@chu.fr"));
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateAccount(op_, clinic_.id, Nominative("MED", "MARIE@chu.fr"),
                                      CreateOptions{}, &findings),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(findings, Contains(Field(&Finding::code, "address_taken")));
}

TEST_F(DirectoryServiceTest, StoredFormIsNormalised) {
  Account a = Create(hospital_, Nominative("MED", "  Marie.Dupont@CHU.fr ", "de la Tour", "Marie"));
  EXPECT_EQ(a.address(), "marie.dupont@chu.fr");
  EXPECT_EQ(a.get(F::kNom), "DE LA TOUR");
  EXPECT_EQ(a.get(F::kVille), "TOULOUSE");
  EXPECT_EQ(a.status, AccountStatus::kPending);
}

TEST_F(DirectoryServiceTest, SqlFragmentsAreStoredLiterally) {
  AccountDraft d = Nominative("MED", "robert@chu.fr", "Robert'); DROP TABLE accounts;--", "Bob");
  Account a = Create(hospital_, d);
  ASSERT_OK_AND_ASSIGN(Account back, service_->GetAccount(op_, a.id));
  EXPECT_EQ(back.get(F::kNom), "ROBERT'); DROP TABLE ACCOUNTS;--");
  EXPECT_GE(CountAccounts(), 1);
}

TEST_F(DirectoryServiceTest, UpdateValidatesTheWholeRowAndAudits) {
  Account a = Create(hospital_, Nominative("MED", "marie@chu.fr"));
  std::vector<Finding> findings;
  ASSERT_OK_AND_ASSIGN(Account b,
                       service_->UpdateAccount(op_, a.id, {{F::kNom, "Martin"}}, &findings));
  EXPECT_EQ(b.get(F::kNom), "MARTIN");
  auto trail = Trail("account.updated");
  ASSERT_THAT(trail, SizeIs(1));
  EXPECT_THAT(trail[0].event.detail, HasSubstr("\"nom\":{\"from\":\"DUPONT\",\"to\":\"MARTIN\"}"));
  findings.clear();
  EXPECT_THAT(service_->UpdateAccount(op_, a.id, {{F::kCp, "ABCDE"}}, &findings),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(findings, Contains(Field(&Finding::field, F::kCp)));
}

TEST_F(DirectoryServiceTest, TypeAndAddressDoNotChange) {
  Account a = Create(hospital_, Nominative("MED", "marie@chu.fr"));
  std::vector<Finding> findings;
  EXPECT_THAT(service_->UpdateAccount(op_, a.id, {{F::kType, "ORG"}}, &findings),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(findings, Contains(Field(&Finding::code, "type_immutable")));
  findings.clear();
  EXPECT_THAT(service_->UpdateAccount(op_, a.id, {{F::kAddress, "autre@chu.fr"}}, &findings),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(findings, Contains(Field(&Finding::code, "address_immutable")));
}

TEST_F(DirectoryServiceTest, DisableAndEnable) {
  Account a = Create(hospital_, Nominative("MED", "marie@chu.fr"));
  ASSERT_OK(service_->SetDisabled(op_, a.id, true));
  ASSERT_OK_AND_ASSIGN(Account d, service_->GetAccount(op_, a.id));
  EXPECT_EQ(d.status, AccountStatus::kDisabled);
  EXPECT_EQ(d.disabled_reason, "admin");
  ASSERT_OK(service_->SetDisabled(op_, a.id, false));
  ASSERT_OK_AND_ASSIGN(Account e, service_->GetAccount(op_, a.id));
  EXPECT_EQ(e.status, AccountStatus::kPending);  // no password set yet
  EXPECT_THAT(Trail("account.disabled"), SizeIs(1));
  EXPECT_THAT(Trail("account.enabled"), SizeIs(1));
}

TEST_F(DirectoryServiceTest, ReEnablingAPersonWithAPasswordMakesItActive) {
  Account a = Create(hospital_, Nominative("MED", "marie@chu.fr"));
  {
    // The sign-in part sets passwords; here the column is set directly.
    ASSERT_OK_AND_ASSIGN(auto tx, db_->Begin(storage::TxMode::kWrite));
    ASSERT_OK(store_sqlite::SqliteTx::ConnOf(*tx).Exec(
        "UPDATE accounts SET password_hash = '$argon2id$x', status = 'active' WHERE id = " +
        std::to_string(a.id)));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK(service_->SetDisabled(op_, a.id, true));
  ASSERT_OK(service_->SetDisabled(op_, a.id, false));
  ASSERT_OK_AND_ASSIGN(Account back, service_->GetAccount(op_, a.id));
  EXPECT_TRUE(back.has_password);
  EXPECT_EQ(back.status, AccountStatus::kActive);
}

TEST_F(DirectoryServiceTest, SharedMailboxesAreActiveFromTheirCreation) {
  Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  EXPECT_EQ(org.status, AccountStatus::kActive);
}

// ---- MSSanté address generation (FIELDS.md) ----

TEST_F(DirectoryServiceTest, MssAddressGeneratedForPerWithRppsAndSuffixedWhenTaken) {
  Account a = Create(hospital_, Nominative("PER", "m1@chu.fr", "Dupont", "Hélène"));
  Account b = Create(hospital_, Nominative("PER", "m2@chu.fr", "Dupont", "Hélène"));
  EXPECT_EQ(a.get(F::kMssAddress), "helene.dupont");
  EXPECT_EQ(b.get(F::kMssAddress), "helene.dupont2");
}

TEST_F(DirectoryServiceTest, MssAddressSkipsALocalPartThatIsAnAccountsOwnAddress) {
  Create(hospital_, Nominative("MED", "marie.dupont@chu-toulouse.mssante.fr"));
  Account a = Create(hospital_, Nominative("PER", "m1@chu.fr", "Dupont", "Marie"));
  EXPECT_EQ(a.get(F::kMssAddress), "marie.dupont2");
}

TEST_F(DirectoryServiceTest, MssAddressNotGeneratedWithoutDomainOrForMed) {
  Account a = Create(clinic_, Nominative("PER", "m1@parc.fr"));
  Account b = Create(hospital_, Nominative("MED", "m2@chu.fr"));
  EXPECT_EQ(a.get(F::kMssAddress), "");
  EXPECT_EQ(b.get(F::kMssAddress), "");
}

TEST_F(DirectoryServiceTest, MssAddressGivenMustBeFree) {
  Create(hospital_, Nominative("PER", "m1@chu.fr", "Dupont", "Marie"));
  AccountDraft d = Nominative("PER", "m2@chu.fr", "Durand", "Paul");
  d.values[FieldIndex(F::kMssAddress)] = "marie.dupont";
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateAccount(op_, hospital_.id, d, CreateOptions{}, &findings),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(findings, Contains(Field(&Finding::code, "mss_address_taken")));
}

// ---- Connection rights ----

TEST_F(DirectoryServiceTest, OrgCreatedWithItsConnectionAccounts) {
  Account marie = Create(hospital_, Nominative("MED", "marie@chu.fr"));
  Account paul = Create(hospital_, Nominative("PER", "paul@chu.fr", "Durand", "Paul"));
  Account org = Create(hospital_, Shared("ORG", "secretariat@chu.fr", "marie@chu.fr; paul@chu.fr"));
  ASSERT_OK_AND_ASSIGN(auto persons, service_->PersonsWithRight(op_, org.id));
  EXPECT_THAT(persons, ElementsAre(Field(&Account::id, marie.id), Field(&Account::id, paul.id)));
  EXPECT_THAT(Trail("right.granted"), SizeIs(2));
}

TEST_F(DirectoryServiceTest, OrgWithUnknownConnectionAccountIsRefusedWhole) {
  Create(hospital_, Nominative("MED", "marie@chu.fr"));
  int64_t before = CountAccounts();
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateAccount(op_, hospital_.id,
                                      Shared("ORG", "secretariat@chu.fr",
                                             "marie@chu.fr;inconnu@chu.fr"),
                                      CreateOptions{}, &findings),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(findings, Contains(Field(&Finding::code, "connection_account_unknown")));
  EXPECT_EQ(CountAccounts(), before);
}

TEST_F(DirectoryServiceTest, OrgWithoutConnectionAccountIsRefused) {
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateAccount(op_, hospital_.id, Shared("ORG", "secretariat@chu.fr", ""),
                                      CreateOptions{}, &findings),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(findings, Contains(Field(&Finding::field, F::kConnectionAccounts)));
}

TEST_F(DirectoryServiceTest, AppMayHaveNoConnectionAccount) {
  Account app = Create(hospital_, Shared("APP", "labo@chu.fr", ""));
  EXPECT_EQ(app.type, AccountType::kApp);
}

TEST_F(DirectoryServiceTest, RightBetweenTwoPersonsIsRefused) {
  Account a = Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account b = Create(hospital_, Nominative("MED", "b@chu.fr"));
  EXPECT_THAT(service_->GrantRight(op_, a.id, b.id),
              StatusIs(Code::kInvalidArgument, HasSubstr("ORG ou APP")));
}

TEST_F(DirectoryServiceTest, RightBetweenTwoOrgMailboxesIsRefused) {
  Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account o1 = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  Account o2 = Create(hospital_, Shared("ORG", "o2@chu.fr", "a@chu.fr"));
  EXPECT_THAT(service_->GrantRight(op_, o1.id, o2.id), StatusIs(Code::kInvalidArgument));
  size_t before = Trail("right.").size();
  EXPECT_EQ(Trail("right.").size(), before);
}

TEST_F(DirectoryServiceTest, RightMayBeGrantedToAPendingPerson) {
  Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  Account pending = Create(hospital_, Nominative("INT", "interne@chu.fr", "Roux", "Léa"));
  ASSERT_EQ(pending.status, AccountStatus::kPending);
  EXPECT_OK(service_->GrantRight(op_, org.id, pending.id));
}

TEST_F(DirectoryServiceTest, RightAcrossStructuresNeedsBothAdministered) {
  Actor admin = AdminOf(hospital_, "alice@chu.fr");
  Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  Account outsider = Create(clinic_, Nominative("MED", "x@parc.fr"));
  EXPECT_THAT(service_->GrantRight(admin, org.id, outsider.id), StatusIs(Code::kNotFound));
  EXPECT_OK(service_->GrantRight(op_, org.id, outsider.id));
}

TEST_F(DirectoryServiceTest, GrantRightsIsAllOrNothing) {
  Account a = Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account b = Create(hospital_, Nominative("MED", "b@chu.fr"));
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  EXPECT_THAT(service_->GrantRights(op_, {{org.id, b.id}, {a.id, b.id}}),
              StatusIs(Code::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(auto persons, service_->PersonsWithRight(op_, org.id));
  EXPECT_THAT(persons, ElementsAre(Field(&Account::id, a.id)));
}

TEST_F(DirectoryServiceTest, ConnectionListIsTheWholeList) {
  Account a = Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account b = Create(hospital_, Nominative("MED", "b@chu.fr"));
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  std::vector<Finding> findings;
  ASSERT_OK(service_->UpdateAccount(op_, org.id, {{F::kConnectionAccounts, "b@chu.fr"}},
                                    &findings)
                .status());
  ASSERT_OK_AND_ASSIGN(auto persons, service_->PersonsWithRight(op_, org.id));
  EXPECT_THAT(persons, ElementsAre(Field(&Account::id, b.id)));
  EXPECT_THAT(Trail("right.revoked"), SizeIs(1));
  (void)a;
}

TEST_F(DirectoryServiceTest, ConnectionAccountMustBeNominative) {
  Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account o1 = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  std::vector<Finding> findings;
  EXPECT_THAT(service_->CreateAccount(op_, hospital_.id, Shared("ORG", "o2@chu.fr", "o1@chu.fr"),
                                      CreateOptions{}, &findings),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(findings, Contains(Field(&Finding::code, "connection_account_not_nominative")));
  (void)o1;
}

// ---- Default mailbox ----

TEST_F(DirectoryServiceTest, DefaultMailboxNeedsARight) {
  Account a = Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account b = Create(hospital_, Nominative("MED", "b@chu.fr"));
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  EXPECT_OK(service_->SetDefaultMailbox(op_, a.id, org.id));
  EXPECT_THAT(service_->SetDefaultMailbox(op_, b.id, org.id),
              StatusIs(Code::kFailedPrecondition, HasSubstr("droit de connexion")));
  ASSERT_OK_AND_ASSIGN(Account back, service_->GetAccount(op_, a.id));
  EXPECT_EQ(back.default_mailbox_id, org.id);
  EXPECT_THAT(Trail("default.changed"), SizeIs(1));
}

TEST_F(DirectoryServiceTest, RevokingTheRightBehindTheDefaultResetsIt) {
  Account a = Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  ASSERT_OK(service_->SetDefaultMailbox(op_, a.id, org.id));
  ASSERT_OK(service_->RevokeRight(op_, org.id, a.id));
  ASSERT_OK_AND_ASSIGN(Account back, service_->GetAccount(op_, a.id));
  EXPECT_EQ(back.default_mailbox_id, 0);
  EXPECT_THAT(Trail("default.reset"), SizeIs(1));
}

TEST_F(DirectoryServiceTest, APersonSetsItsOwnDefaultButNotAnother) {
  Account a = Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account b = Create(hospital_, Nominative("MED", "b@chu.fr"));
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr;b@chu.fr"));
  Actor self{Actor::Kind::kPerson, a.id, a.address(), ""};
  EXPECT_OK(service_->SetDefaultMailbox(self, a.id, org.id));
  EXPECT_THAT(service_->SetDefaultMailbox(self, b.id, org.id), StatusIs(Code::kNotFound));
}

TEST_F(DirectoryServiceTest, DefaultMailboxOfASharedMailboxIsRefused) {
  Create(hospital_, Nominative("MED", "a@chu.fr"));
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"));
  EXPECT_THAT(service_->SetDefaultMailbox(op_, org.id, org.id), StatusIs(Code::kInvalidArgument));
}

// ---- Expiry ----

TEST_F(DirectoryServiceTest, AccountIsDisabledOnItsExpiryDay) {
  AccountDraft d = Nominative("MED", "cdd@chu.fr");
  d.values[FieldIndex(F::kDatePeremption)] = "26-12-01";  // AA-MM-JJ
  Account a = Create(hospital_, d);
  EXPECT_EQ(a.get(F::kDatePeremption), "2026-12-01");
  clock_.SetDate("2026-11-30");
  ASSERT_OK_AND_ASSIGN(int64_t n0, service_->ExpireAccounts(Actor::System()));
  EXPECT_EQ(n0, 0);
  clock_.SetDate("2026-12-01");
  ASSERT_OK_AND_ASSIGN(int64_t n1, service_->ExpireAccounts(Actor::System()));
  EXPECT_EQ(n1, 1);
  ASSERT_OK_AND_ASSIGN(Account back, service_->GetAccount(op_, a.id));
  EXPECT_EQ(back.status, AccountStatus::kDisabled);
  EXPECT_EQ(back.disabled_reason, "expired");
  EXPECT_THAT(Trail("account.expired"), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(int64_t n2, service_->ExpireAccounts(Actor::System()));
  EXPECT_EQ(n2, 0);
}

TEST_F(DirectoryServiceTest, AnAdministratorDoesNotRunExpiry) {
  Actor admin = AdminOf(hospital_, "alice@chu.fr");
  EXPECT_THAT(service_->ExpireAccounts(admin), StatusIs(Code::kPermissionDenied));
}

// ---- Search ----

TEST_F(DirectoryServiceTest, PersonSearchesOnlyTheVisibleDirectory) {
  Account p = Create(hospital_, Nominative("PER", "doc@chu.fr", "Martin", "Luc"));
  std::vector<Finding> findings;
  CreateOptions visible;
  visible.visible_in_directory = true;
  ASSERT_OK(service_->CreateAccount(op_, clinic_.id, Nominative("MED", "dupont.v@parc.fr"),
                                    visible, &findings)
                .status());
  ASSERT_OK(service_->CreateAccount(op_, clinic_.id, Nominative("MED", "dupont.h@parc.fr"),
                                    CreateOptions{}, &findings)
                .status());
  Actor person{Actor::Kind::kPerson, p.id, p.address(), ""};
  ASSERT_OK_AND_ASSIGN(auto found, service_->Search(person, "dup", false));
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].address(), "dupont.v@parc.fr");
}

TEST_F(DirectoryServiceTest, SearchIgnoresCaseAndAccents) {
  Create(hospital_, Nominative("MED", "h1@chu.fr", "Hérault", "Élodie"));
  ASSERT_OK_AND_ASSIGN(auto by_nom, service_->Search(op_, "HERA", false));
  EXPECT_THAT(by_nom, SizeIs(1));
  ASSERT_OK_AND_ASSIGN(auto by_prenom, service_->Search(op_, "elo", false));
  EXPECT_THAT(by_prenom, SizeIs(1));
}

// ---- Audit ----

TEST_F(DirectoryServiceTest, EveryChangeIsTracedWithItsActorAndTheChainVerifies) {
  Actor admin = AdminOf(hospital_, "alice@chu.fr");
  Account a = Create(hospital_, Nominative("MED", "a@chu.fr"), &admin);
  Account org = Create(hospital_, Shared("ORG", "o1@chu.fr", "a@chu.fr"), &admin);
  ASSERT_OK(service_->SetDefaultMailbox(admin, a.id, org.id));
  ASSERT_OK(service_->RevokeRight(admin, org.id, a.id));
  auto trail = Trail();
  std::vector<std::string> actions;
  for (const auto& e : trail) actions.push_back(e.event.action);
  EXPECT_THAT(actions, Contains("structure.created"));
  EXPECT_THAT(actions, Contains("administrator.added"));
  EXPECT_THAT(actions, Contains("right.granted"));
  EXPECT_THAT(actions, Contains("default.changed"));
  EXPECT_THAT(actions, Contains("right.revoked"));
  for (const auto& e : Trail("right.")) {
    EXPECT_EQ(e.event.actor, "alice@chu.fr");
    EXPECT_EQ(e.event.actor_person_id, admin.person_id);
    EXPECT_EQ(e.event.mailbox_id, org.id);
    EXPECT_EQ(e.event.ip, "192.0.2.10");
  }
  EXPECT_TRUE(ChainVerifies());
}

// ---- Concurrency ----

TEST_F(DirectoryServiceTest, ConcurrentWritersWaitInsteadOfFailing) {
  auto worker = [&](int base) {
    for (int i = 0; i < 20; ++i) {
      std::vector<Finding> findings;
      auto r = service_->CreateAccount(
          op_, hospital_.id, Nominative("MED", "w" + std::to_string(base + i) + "@chu.fr"),
          CreateOptions{}, &findings);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
  };
  std::thread t1(worker, 0), t2(worker, 100);
  t1.join();
  t2.join();
  EXPECT_EQ(CountAccounts(), 40);
  EXPECT_TRUE(ChainVerifies());
}

}  // namespace
}  // namespace caduce::directory
