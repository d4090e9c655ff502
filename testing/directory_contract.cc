// The directory repository contract: what every backend must do, checked through
// the public interface only. A backend passes when every TEST_P below passes on a
// fresh database from its factory. Expected errors are named by code
// (StatusIs), because callers branch on the code.
#include "testing/directory_contract.h"

#include <gmock/gmock.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "directory/fields.h"
#include "testing/status_matchers.h"

namespace caduce::testing {
namespace {

using directory::Account;
using directory::AccountFilter;
using directory::AccountStatus;
using directory::AccountType;
using directory::ConnectionRight;
using directory::Field;
using directory::SearchQuery;
using directory::Structure;
using storage::TxMode;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr int64_t kT0 = 1795770000LL * 1000000;  // 2026-11-27T09:00:00Z

// A Result that is OK and whose value matches `inner` (abseil's IsOkAndHolds).
MATCHER_P(HoldsValue, inner, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, arg.value(), result_listener);
}

MATCHER(IsNullopt, "holds nothing") { return !arg.has_value(); }

AccountFilter Filter(std::vector<int64_t> structure_ids,
                     std::optional<AccountType> type = std::nullopt,
                     std::optional<AccountStatus> status = std::nullopt) {
  AccountFilter f;
  f.structure_ids = std::move(structure_ids);
  f.type = type;
  f.status = status;
  return f;
}

std::vector<int64_t> Ids(const std::vector<Account>& accounts) {
  std::vector<int64_t> ids;
  for (const Account& a : accounts) ids.push_back(a.id);
  return ids;
}

std::vector<std::string> Names(const std::vector<Structure>& structures) {
  std::vector<std::string> names;
  for (const Structure& s : structures) names.push_back(s.name);
  return names;
}

// `a` as a backend must return it once stored under `id`: the type column mirrors
// `type`, and the relation columns stay empty.
Account AsStored(Account a, int64_t id) {
  a.id = id;
  a.get(Field::kType) = std::string(directory::AccountTypeCode(a.type));
  a.get(Field::kConnectionAccounts).clear();
  a.get(Field::kStructure).clear();
  return a;
}

void ExpectSameAccount(const Account& actual, const Account& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.structure_id, expected.structure_id);
  EXPECT_EQ(actual.type, expected.type);
  EXPECT_EQ(actual.status, expected.status);
  EXPECT_EQ(actual.visible_in_directory, expected.visible_in_directory);
  EXPECT_EQ(actual.default_mailbox_id, expected.default_mailbox_id);
  EXPECT_EQ(actual.disabled_reason, expected.disabled_reason);
  EXPECT_EQ(actual.created_at, expected.created_at);
  EXPECT_EQ(actual.updated_at, expected.updated_at);
  for (const directory::FieldSpec& spec : directory::FieldTable()) {
    EXPECT_EQ(actual.get(spec.field), expected.get(spec.field)) << "field " << spec.key;
  }
}

}  // namespace

// ---- Fixture helpers --------------------------------------------------------------

void DirectoryContractTest::SetUp() {
  Result<DirectoryBackend> made = GetParam().make();
  ASSERT_THAT(made, IsOk());
  backend_ = std::move(made).value();
  ASSERT_NE(backend_.db, nullptr);
  ASSERT_NE(backend_.repo, nullptr);
}

Status DirectoryContractTest::InWrite(const std::function<Status(storage::Tx&)>& fn) {
  CADUCE_TRY(std::unique_ptr<storage::Tx> tx, db().Begin(TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(fn(*tx));
  return tx->Commit();
}

Status DirectoryContractTest::InRead(const std::function<Status(storage::Tx&)>& fn) {
  CADUCE_TRY(std::unique_ptr<storage::Tx> tx, db().Begin(TxMode::kRead));
  return fn(*tx);
}

Result<int64_t> DirectoryContractTest::AddStructure(const std::string& name,
                                                    const std::string& mss_domain) {
  int64_t id = 0;
  CADUCE_RETURN_IF_ERROR(InWrite([&](storage::Tx& tx) -> Status {
    Structure s;
    s.name = name;
    s.mss_domain = mss_domain;
    s.created_at = kT0;
    CADUCE_TRY(id, repo().InsertStructure(tx, s));
    return OkStatus();
  }));
  return id;
}

Result<int64_t> DirectoryContractTest::AddAccount(const Account& account) {
  int64_t id = 0;
  CADUCE_RETURN_IF_ERROR(InWrite([&](storage::Tx& tx) -> Status {
    CADUCE_TRY(id, repo().InsertAccount(tx, account));
    return OkStatus();
  }));
  return id;
}

Result<int64_t> DirectoryContractTest::AddAccount(int64_t structure_id, AccountType type,
                                                  const std::string& address,
                                                  const std::string& nom,
                                                  const std::string& prenom) {
  return AddAccount(NewAccount(structure_id, type, address, nom, prenom));
}

Account DirectoryContractTest::NewAccount(int64_t structure_id, AccountType type,
                                          const std::string& address, const std::string& nom,
                                          const std::string& prenom) {
  Account a;
  a.structure_id = structure_id;
  a.type = type;
  a.status = AccountStatus::kActive;
  a.visible_in_directory = true;
  a.get(Field::kType) = std::string(directory::AccountTypeCode(type));
  a.get(Field::kAddress) = address;
  a.get(Field::kNom) = nom;
  a.get(Field::kPrenom) = prenom;
  a.get(Field::kCp) = "69003";
  a.get(Field::kVille) = "LYON";
  a.get(Field::kDepartement) = "69";
  a.get(Field::kRegion) = "84";
  if (directory::IsNominative(type)) {
    a.get(Field::kProfession) = "10";
    a.get(Field::kActiviteLiberale) = "NON";
  } else {
    a.get(Field::kDescription) = "Secrétariat";
  }
  a.created_at = kT0;
  a.updated_at = kT0;
  return a;
}

Result<std::vector<std::string>> DirectoryContractTest::SearchAddresses(const SearchQuery& q) {
  std::vector<std::string> addresses;
  CADUCE_RETURN_IF_ERROR(InRead([&](storage::Tx& tx) -> Status {
    CADUCE_TRY(std::vector<Account> found, repo().Search(tx, q));
    for (const Account& a : found) addresses.push_back(a.address());
    return OkStatus();
  }));
  return addresses;
}

Result<std::vector<std::string>> DirectoryContractTest::SearchAddresses(const std::string& prefix) {
  SearchQuery q;
  q.prefix = prefix;
  return SearchAddresses(q);
}

// ---- Structures -------------------------------------------------------------------

TEST_P(DirectoryContractTest, InsertedStructureIsFoundByIdAndByName) {
  Structure s;
  s.name = "CHU de Lyon";
  s.id_type = "1";
  s.id_value = "690781810";
  s.mss_domain = "chu-lyon.mssante.fr";
  s.created_at = kT0;
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kWrite));
  ASSERT_OK_AND_ASSIGN(int64_t id, repo().InsertStructure(*tx, s));
  EXPECT_GT(id, 0);
  ASSERT_OK(tx->Commit());

  ASSERT_OK_AND_ASSIGN(auto rtx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::optional<Structure> by_id, repo().FindStructure(*rtx, id));
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->id, id);
  EXPECT_EQ(by_id->name, s.name);
  EXPECT_EQ(by_id->id_type, s.id_type);
  EXPECT_EQ(by_id->id_value, s.id_value);
  EXPECT_EQ(by_id->mss_domain, s.mss_domain);
  EXPECT_EQ(by_id->created_at, s.created_at);
  ASSERT_OK_AND_ASSIGN(std::optional<Structure> by_name,
                       repo().FindStructureByName(*rtx, "CHU de Lyon"));
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->id, id);
}

TEST_P(DirectoryContractTest, MissingStructureIsNotAnError) {
  ASSERT_OK_AND_ASSIGN(int64_t id, AddStructure("Clinique du Parc"));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::optional<Structure> by_id, repo().FindStructure(*tx, id + 100));
  EXPECT_FALSE(by_id.has_value());
  // Names match exactly: the import's "Structure" column names one precisely.
  ASSERT_OK_AND_ASSIGN(std::optional<Structure> by_name,
                       repo().FindStructureByName(*tx, "clinique du parc"));
  EXPECT_FALSE(by_name.has_value());
}

TEST_P(DirectoryContractTest, StructureNameIsUnique) {
  ASSERT_OK(AddStructure("Centre de santé Bellevue"));
  EXPECT_THAT(AddStructure("Centre de santé Bellevue"),
              StatusIs(Code::kAlreadyExists, HasSubstr("Centre de santé Bellevue")));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::vector<Structure> all, repo().ListStructures(*tx));
  EXPECT_THAT(all, SizeIs(1));
}

TEST_P(DirectoryContractTest, ListStructuresReturnsEveryStructure) {
  ASSERT_OK_AND_ASSIGN(auto tx0, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::vector<Structure> none, repo().ListStructures(*tx0));
  EXPECT_THAT(none, IsEmpty());
  tx0.reset();
  ASSERT_OK(AddStructure("B"));
  ASSERT_OK(AddStructure("A"));
  ASSERT_OK(AddStructure("C"));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::vector<Structure> all, repo().ListStructures(*tx));
  EXPECT_THAT(Names(all), UnorderedElementsAre("A", "B", "C"));
}

// ---- Administrators and operators -------------------------------------------------

TEST_P(DirectoryContractTest, AdministratorsAreListedBothWaysAndAddingTwiceIsHarmless) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t s2, AddStructure("S2"));
  ASSERT_OK_AND_ASSIGN(int64_t alice, AddAccount(s1, AccountType::kMed, "alice@s1.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t bob, AddAccount(s1, AccountType::kPer, "bob@s1.fr"));
  ASSERT_OK(InWrite([&](storage::Tx& tx) -> Status {
    CADUCE_RETURN_IF_ERROR(repo().AddAdministrator(tx, alice, s2));
    CADUCE_RETURN_IF_ERROR(repo().AddAdministrator(tx, alice, s1));
    CADUCE_RETURN_IF_ERROR(repo().AddAdministrator(tx, alice, s1));
    return repo().AddAdministrator(tx, bob, s1);
  }));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  EXPECT_THAT(repo().StructuresAdministeredBy(*tx, alice), HoldsValue(ElementsAre(s1, s2)));
  EXPECT_THAT(repo().StructuresAdministeredBy(*tx, bob), HoldsValue(ElementsAre(s1)));
  EXPECT_THAT(repo().AdministratorsOf(*tx, s1), HoldsValue(ElementsAre(alice, bob)));
  EXPECT_THAT(repo().AdministratorsOf(*tx, s2), HoldsValue(ElementsAre(alice)));
  EXPECT_THAT(repo().StructuresAdministeredBy(*tx, bob + 100), HoldsValue(IsEmpty()));
}

TEST_P(DirectoryContractTest, AdministratorOfMissingStructureIsRefused) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t alice, AddAccount(s1, AccountType::kMed, "alice@s1.fr"));
  EXPECT_THAT(InWrite([&](storage::Tx& tx) { return repo().AddAdministrator(tx, alice, s1 + 9); }),
              StatusIs(Code::kFailedPrecondition));
}

TEST_P(DirectoryContractTest, OperatorRoleIsSetAndCleared) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t op, AddAccount(s1, AccountType::kPer, "op@s1.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t other, AddAccount(s1, AccountType::kPer, "other@s1.fr"));
  ASSERT_OK(InWrite([&](storage::Tx& tx) -> Status {
    CADUCE_RETURN_IF_ERROR(repo().SetOperator(tx, op, true));
    return repo().SetOperator(tx, op, true);  // idempotent
  }));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
    EXPECT_THAT(repo().IsOperator(*tx, op), HoldsValue(true));
    EXPECT_THAT(repo().IsOperator(*tx, other), HoldsValue(false));
  }
  ASSERT_OK(InWrite([&](storage::Tx& tx) -> Status {
    CADUCE_RETURN_IF_ERROR(repo().SetOperator(tx, op, false));
    return repo().SetOperator(tx, other, false);  // clearing an absent role is harmless
  }));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  EXPECT_THAT(repo().IsOperator(*tx, op), HoldsValue(false));
}

// ---- Accounts ---------------------------------------------------------------------

TEST_P(DirectoryContractTest, InsertedAccountKeepsEveryField) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t org, AddAccount(s1, AccountType::kOrg, "accueil@s1.fr"));
  Account a = NewAccount(s1, AccountType::kInt, "hélène.tests@s1.fr", "DUPONT", "Hélène");
  int i = 0;
  for (const directory::FieldSpec& spec : directory::FieldTable()) {
    if (spec.field == Field::kType || spec.field == Field::kAddress) continue;
    a.get(spec.field) = std::string(spec.key) + " é'\"%_" + std::to_string(i++);
  }
  a.id = 424242;  // ignored: the store assigns ids
  a.status = AccountStatus::kDisabled;
  a.disabled_reason = "admin";
  a.visible_in_directory = false;
  a.default_mailbox_id = org;
  a.created_at = kT0 + 1;
  a.updated_at = kT0 + 2;

  ASSERT_OK_AND_ASSIGN(int64_t id, AddAccount(a));
  EXPECT_NE(id, 424242);
  EXPECT_NE(id, org);
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::optional<Account> by_id, repo().FindAccount(*tx, id));
  ASSERT_TRUE(by_id.has_value());
  ExpectSameAccount(*by_id, AsStored(a, id));
  ASSERT_OK_AND_ASSIGN(std::optional<Account> by_address,
                       repo().FindAccountByAddress(*tx, "hélène.tests@s1.fr"));
  ASSERT_TRUE(by_address.has_value());
  ExpectSameAccount(*by_address, AsStored(a, id));
}

TEST_P(DirectoryContractTest, DefaultMailboxZeroMeansItself) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t id, AddAccount(s1, AccountType::kPer, "p@s1.fr", "P", "Paul"));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::optional<Account> a, repo().FindAccount(*tx, id));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->default_mailbox_id, 0);
}

TEST_P(DirectoryContractTest, MissingAccountIsNotAnError) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t id, AddAccount(s1, AccountType::kPer, "p@s1.fr"));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  EXPECT_THAT(repo().FindAccount(*tx, id + 1), HoldsValue(IsNullopt()));
  EXPECT_THAT(repo().FindAccountByAddress(*tx, "q@s1.fr"), HoldsValue(IsNullopt()));
}

TEST_P(DirectoryContractTest, AccountInMissingStructureIsRefused) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  EXPECT_THAT(AddAccount(s1 + 7, AccountType::kPer, "p@s1.fr"),
              StatusIs(Code::kFailedPrecondition));
}

TEST_P(DirectoryContractTest, AddressIsUniqueOnInsertAndUpdate) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "jean.martin@s1.fr", "MARTIN", "Jean"));
  EXPECT_THAT(AddAccount(s1, AccountType::kMed, "jean.martin@s1.fr", "MARTIN", "Jeanne"),
              StatusIs(Code::kAlreadyExists, HasSubstr("jean.martin@s1.fr")));

  ASSERT_OK_AND_ASSIGN(int64_t other, AddAccount(s1, AccountType::kMed, "jeanne@s1.fr"));
  Account moved = NewAccount(s1, AccountType::kMed, "jean.martin@s1.fr");
  moved.id = other;
  EXPECT_THAT(InWrite([&](storage::Tx& tx) { return repo().UpdateAccount(tx, moved); }),
              StatusIs(Code::kAlreadyExists, HasSubstr("jean.martin@s1.fr")));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::optional<Account> kept, repo().FindAccount(*tx, other));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->address(), "jeanne@s1.fr");
}

TEST_P(DirectoryContractTest, UpdateWritesEveryColumn) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t s2, AddStructure("S2"));
  ASSERT_OK_AND_ASSIGN(int64_t org, AddAccount(s2, AccountType::kOrg, "accueil@s2.fr"));
  Account a = NewAccount(s1, AccountType::kPer, "old@s1.fr", "ANCIEN", "Nom");
  ASSERT_OK_AND_ASSIGN(int64_t id, AddAccount(a));

  Account b = NewAccount(s2, AccountType::kMed, "new@s2.fr", "NOUVEAU", "Prénom");
  int i = 0;
  for (const directory::FieldSpec& spec : directory::FieldTable()) {
    if (spec.field == Field::kType || spec.field == Field::kAddress) continue;
    b.get(spec.field) = "new " + std::string(spec.key) + std::to_string(i++);
  }
  b.id = id;
  b.status = AccountStatus::kDisabled;
  b.disabled_reason = "expired";
  b.visible_in_directory = false;
  b.default_mailbox_id = org;
  b.created_at = a.created_at;
  b.updated_at = kT0 + 60;
  ASSERT_OK(InWrite([&](storage::Tx& tx) { return repo().UpdateAccount(tx, b); }));

  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::optional<Account> found, repo().FindAccount(*tx, id));
  ASSERT_TRUE(found.has_value());
  ExpectSameAccount(*found, AsStored(b, id));
  EXPECT_THAT(repo().FindAccountByAddress(*tx, "old@s1.fr"), HoldsValue(IsNullopt()));
}

TEST_P(DirectoryContractTest, UpdateOfMissingAccountIsNotFound) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  Account a = NewAccount(s1, AccountType::kPer, "ghost@s1.fr");
  a.id = 12345;
  EXPECT_THAT(InWrite([&](storage::Tx& tx) { return repo().UpdateAccount(tx, a); }),
              StatusIs(Code::kNotFound));
}

TEST_P(DirectoryContractTest, ListAccountsFiltersByStructureTypeAndStatus) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t s2, AddStructure("S2"));
  ASSERT_OK_AND_ASSIGN(int64_t s3, AddStructure("S3"));
  ASSERT_OK_AND_ASSIGN(int64_t a1, AddAccount(s1, AccountType::kPer, "a1@x.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t a2, AddAccount(s2, AccountType::kOrg, "a2@x.fr"));
  Account pending = NewAccount(s1, AccountType::kPer, "a3@x.fr");
  pending.status = AccountStatus::kPending;
  ASSERT_OK_AND_ASSIGN(int64_t a3, AddAccount(pending));
  ASSERT_OK_AND_ASSIGN(int64_t a4, AddAccount(s3, AccountType::kPer, "a4@x.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t a5, AddAccount(s2, AccountType::kPer, "a5@x.fr"));

  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  auto list = [&](AccountFilter f) -> Result<std::vector<int64_t>> {
    CADUCE_TRY(std::vector<Account> found, repo().ListAccounts(*tx, f));
    return Ids(found);
  };
  EXPECT_THAT(list({}), HoldsValue(ElementsAre(a1, a2, a3, a4, a5)));
  EXPECT_THAT(list(Filter({s1})), HoldsValue(ElementsAre(a1, a3)));
  EXPECT_THAT(list(Filter({s2, s1})), HoldsValue(ElementsAre(a1, a2, a3, a5)));
  EXPECT_THAT(list(Filter({s2, s2})), HoldsValue(ElementsAre(a2, a5)));
  EXPECT_THAT(list(Filter({}, AccountType::kPer)), HoldsValue(ElementsAre(a1, a3, a4, a5)));
  EXPECT_THAT(list(Filter({s2}, AccountType::kOrg)), HoldsValue(ElementsAre(a2)));
  EXPECT_THAT(list(Filter({}, std::nullopt, AccountStatus::kPending)), HoldsValue(ElementsAre(a3)));
  EXPECT_THAT(list(Filter({s1, s3}, AccountType::kPer, AccountStatus::kActive)),
              HoldsValue(ElementsAre(a1, a4)));
  EXPECT_THAT(list(Filter({s3 + 10})), HoldsValue(IsEmpty()));
  AccountFilter none;
  none.limit = 0;
  EXPECT_THAT(list(none), HoldsValue(IsEmpty()));
}

TEST_P(DirectoryContractTest, ListAccountsPagesByKeyset) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t s2, AddStructure("S2"));
  std::vector<int64_t> all, in_s1;
  for (int i = 0; i < 11; ++i) {
    int64_t sid = (i % 3 == 0) ? s2 : s1;
    ASSERT_OK_AND_ASSIGN(int64_t id,
                         AddAccount(sid, AccountType::kPer, "p" + std::to_string(i) + "@x.fr"));
    all.push_back(id);
    if (sid == s1) in_s1.push_back(id);
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  // Walks every page of `f` with pages of 3, as an export does.
  auto walk = [&](AccountFilter f) -> Result<std::vector<int64_t>> {
    std::vector<int64_t> seen;
    f.limit = 3;
    for (;;) {
      CADUCE_TRY(std::vector<Account> page, repo().ListAccounts(*tx, f));
      if (page.size() > 3) return InternalError("page larger than the limit");
      for (const Account& a : page) seen.push_back(a.id);
      if (page.size() < 3) return seen;
      f.after_id = page.back().id;
    }
  };
  EXPECT_THAT(walk({}), HoldsValue(ElementsAreArray(all)));
  EXPECT_THAT(walk(Filter({s1})), HoldsValue(ElementsAreArray(in_s1)));
  EXPECT_THAT(walk(Filter({s1, s2})), HoldsValue(ElementsAreArray(all)));
}

TEST_P(DirectoryContractTest, MssLocalPartTakenLooksAtTheDomainOfTheStructure) {
  ASSERT_OK_AND_ASSIGN(int64_t a, AddStructure("A", "a.mssante.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t a2, AddStructure("A bis", "a.mssante.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t b, AddStructure("B", "b.mssante.fr"));
  Account x = NewAccount(a, AccountType::kPer, "jean.dupont@chu-a.fr", "DUPONT", "Jean");
  x.get(Field::kMssAddress) = "jean.dupont";
  ASSERT_OK_AND_ASSIGN(int64_t xid, AddAccount(x));
  ASSERT_OK_AND_ASSIGN(int64_t yid, AddAccount(a2, AccountType::kPer, "y@chu-a.fr"));
  (void)b;

  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  EXPECT_THAT(repo().MssLocalPartTaken(*tx, "jean.dupont", "a.mssante.fr", 0), HoldsValue(true));
  // Another structure of the same domain shares its address space.
  EXPECT_THAT(repo().MssLocalPartTaken(*tx, "jean.dupont", "a.mssante.fr", yid), HoldsValue(true));
  EXPECT_THAT(repo().MssLocalPartTaken(*tx, "jean.dupont", "a.mssante.fr", xid), HoldsValue(false));
  EXPECT_THAT(repo().MssLocalPartTaken(*tx, "jean.dupont", "b.mssante.fr", 0), HoldsValue(false));
  EXPECT_THAT(repo().MssLocalPartTaken(*tx, "jean.durand", "a.mssante.fr", 0), HoldsValue(false));
  EXPECT_THAT(repo().MssLocalPartTaken(*tx, "", "a.mssante.fr", 0), HoldsValue(false));
}

TEST_P(DirectoryContractTest, WritesInAReadTransactionAreRefused) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t org, AddAccount(s1, AccountType::kOrg, "org@s1.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t per, AddAccount(s1, AccountType::kPer, "per@s1.fr"));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
    Structure s;
    s.name = "S2";
    EXPECT_THAT(repo().InsertStructure(*tx, s), StatusIs(Code::kFailedPrecondition));
    EXPECT_THAT(repo().InsertAccount(*tx, NewAccount(s1, AccountType::kPer, "n@s1.fr")),
                StatusIs(Code::kFailedPrecondition));
    Account update = NewAccount(s1, AccountType::kPer, "per2@s1.fr");
    update.id = per;
    EXPECT_THAT(repo().UpdateAccount(*tx, update), StatusIs(Code::kFailedPrecondition));
    EXPECT_THAT(repo().InsertRight(*tx, {org, per, kT0, "test"}),
                StatusIs(Code::kFailedPrecondition));
    EXPECT_THAT(repo().DeleteRight(*tx, org, per), StatusIs(Code::kFailedPrecondition));
    EXPECT_THAT(repo().AddAdministrator(*tx, per, s1), StatusIs(Code::kFailedPrecondition));
    EXPECT_THAT(repo().SetOperator(*tx, per, true), StatusIs(Code::kFailedPrecondition));
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::vector<Account> accounts, repo().ListAccounts(*tx, {}));
  EXPECT_THAT(accounts, SizeIs(2));
  EXPECT_THAT(repo().HasRight(*tx, org, per), HoldsValue(false));
}

// ---- Connection rights ------------------------------------------------------------

TEST_P(DirectoryContractTest, InsertRightTellsWhetherItWasNew) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t org, AddAccount(s1, AccountType::kOrg, "org@s1.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t per, AddAccount(s1, AccountType::kPer, "per@s1.fr"));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kWrite));
  EXPECT_THAT(repo().InsertRight(*tx, {org, per, kT0, "admin@s1.fr"}), HoldsValue(true));
  EXPECT_THAT(repo().InsertRight(*tx, {org, per, kT0 + 5, "other@s1.fr"}), HoldsValue(false));
  EXPECT_THAT(repo().HasRight(*tx, org, per), HoldsValue(true));
  EXPECT_THAT(repo().HasRight(*tx, per, org), HoldsValue(false));
  ASSERT_OK(tx->Commit());

  ASSERT_OK_AND_ASSIGN(auto rtx, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::vector<ConnectionRight> rights, repo().RightsOnMailbox(*rtx, org));
  ASSERT_THAT(rights, SizeIs(1));
  // The first grant is kept as it was.
  EXPECT_EQ(rights[0].mailbox_id, org);
  EXPECT_EQ(rights[0].person_id, per);
  EXPECT_EQ(rights[0].created_at, kT0);
  EXPECT_EQ(rights[0].created_by, "admin@s1.fr");
}

TEST_P(DirectoryContractTest, RightOnMissingAccountIsRefused) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t per, AddAccount(s1, AccountType::kPer, "per@s1.fr"));
  EXPECT_THAT(InWrite([&](storage::Tx& tx) {
                return repo().InsertRight(tx, {per + 50, per, kT0, "t"}).status();
              }),
              StatusIs(Code::kFailedPrecondition));
}

TEST_P(DirectoryContractTest, DeleteRightTellsWhetherOneExisted) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t org, AddAccount(s1, AccountType::kOrg, "org@s1.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t per, AddAccount(s1, AccountType::kPer, "per@s1.fr"));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kWrite));
  EXPECT_THAT(repo().DeleteRight(*tx, org, per), HoldsValue(false));
  ASSERT_OK(repo().InsertRight(*tx, {org, per, kT0, "t"}));
  EXPECT_THAT(repo().DeleteRight(*tx, org, per), HoldsValue(true));
  EXPECT_THAT(repo().DeleteRight(*tx, org, per), HoldsValue(false));
  EXPECT_THAT(repo().HasRight(*tx, org, per), HoldsValue(false));
  ASSERT_OK(tx->Commit());
}

TEST_P(DirectoryContractTest, RightsAreListedBothWaysInIdOrder) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t org1, AddAccount(s1, AccountType::kOrg, "org1@s1.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t p1, AddAccount(s1, AccountType::kPer, "p1@s1.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t org2, AddAccount(s1, AccountType::kApp, "app2@s1.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t p2, AddAccount(s1, AccountType::kMed, "p2@s1.fr"));
  ASSERT_OK(InWrite([&](storage::Tx& tx) -> Status {
    // Inserted out of order on purpose.
    CADUCE_RETURN_IF_ERROR(repo().InsertRight(tx, {org2, p2, kT0, "t"}));
    CADUCE_RETURN_IF_ERROR(repo().InsertRight(tx, {org1, p2, kT0, "t"}));
    CADUCE_RETURN_IF_ERROR(repo().InsertRight(tx, {org2, p1, kT0, "t"}));
    return repo().InsertRight(tx, {org1, p1, kT0, "t"}).status();
  }));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  auto persons = [&](int64_t mailbox) -> Result<std::vector<int64_t>> {
    CADUCE_TRY(std::vector<ConnectionRight> rights, repo().RightsOnMailbox(*tx, mailbox));
    std::vector<int64_t> ids;
    for (const ConnectionRight& r : rights) {
      if (r.mailbox_id != mailbox) return InternalError("right of another mailbox");
      ids.push_back(r.person_id);
    }
    return ids;
  };
  auto mailboxes = [&](int64_t person) -> Result<std::vector<int64_t>> {
    CADUCE_TRY(std::vector<ConnectionRight> rights, repo().RightsOfPerson(*tx, person));
    std::vector<int64_t> ids;
    for (const ConnectionRight& r : rights) {
      if (r.person_id != person) return InternalError("right of another person");
      ids.push_back(r.mailbox_id);
    }
    return ids;
  };
  EXPECT_THAT(persons(org1), HoldsValue(ElementsAre(p1, p2)));
  EXPECT_THAT(persons(org2), HoldsValue(ElementsAre(p1, p2)));
  EXPECT_THAT(mailboxes(p1), HoldsValue(ElementsAre(org1, org2)));
  EXPECT_THAT(mailboxes(p2), HoldsValue(ElementsAre(org1, org2)));
  EXPECT_THAT(persons(p1), HoldsValue(IsEmpty()));
}

TEST_P(DirectoryContractTest, PersonsWithDefaultListsNominativeAccountsLandingThere) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t org, AddAccount(s1, AccountType::kOrg, "org@s1.fr"));
  ASSERT_OK_AND_ASSIGN(int64_t other, AddAccount(s1, AccountType::kOrg, "other@s1.fr"));
  std::vector<int64_t> landing;
  for (int i = 0; i < 3; ++i) {
    Account p = NewAccount(s1, AccountType::kPer, "p" + std::to_string(i) + "@s1.fr");
    p.default_mailbox_id = org;
    ASSERT_OK_AND_ASSIGN(int64_t id, AddAccount(p));
    landing.push_back(id);
  }
  Account elsewhere = NewAccount(s1, AccountType::kMed, "m@s1.fr");
  elsewhere.default_mailbox_id = other;
  ASSERT_OK(AddAccount(elsewhere));
  ASSERT_OK(AddAccount(s1, AccountType::kInt, "self@s1.fr"));

  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  EXPECT_THAT(repo().PersonsWithDefault(*tx, org), HoldsValue(ElementsAreArray(landing)));
  EXPECT_THAT(repo().PersonsWithDefault(*tx, landing[0]), HoldsValue(IsEmpty()));
}

TEST_P(DirectoryContractTest, DefaultMailboxMustExist) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  Account p = NewAccount(s1, AccountType::kPer, "p@s1.fr");
  p.default_mailbox_id = 999;
  EXPECT_THAT(AddAccount(p), StatusIs(Code::kFailedPrecondition));
}

// ---- Expiry -----------------------------------------------------------------------

TEST_P(DirectoryContractTest, AccountsExpiringByIncludesTodayAndSkipsDisabled) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  auto with_date = [&](const std::string& address, const std::string& date,
                       AccountStatus status) -> Result<int64_t> {
    Account a = NewAccount(s1, AccountType::kPer, address);
    a.get(Field::kDatePeremption) = date;
    a.status = status;
    return AddAccount(a);
  };
  ASSERT_OK_AND_ASSIGN(int64_t tomorrow,
                       with_date("t@s1.fr", "2026-11-28", AccountStatus::kActive));
  ASSERT_OK_AND_ASSIGN(int64_t today, with_date("d@s1.fr", "2026-11-27", AccountStatus::kActive));
  ASSERT_OK_AND_ASSIGN(int64_t past, with_date("p@s1.fr", "2025-12-31", AccountStatus::kPending));
  ASSERT_OK(with_date("x@s1.fr", "2026-01-01", AccountStatus::kDisabled));
  ASSERT_OK(with_date("n@s1.fr", "", AccountStatus::kActive));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
    EXPECT_THAT(repo().AccountsExpiringBy(*tx, "2026-11-27"),
                HoldsValue(UnorderedElementsAre(today, past)));
    EXPECT_THAT(repo().AccountsExpiringBy(*tx, "2026-11-28"),
                HoldsValue(UnorderedElementsAre(today, past, tomorrow)));
    EXPECT_THAT(repo().AccountsExpiringBy(*tx, "2025-01-01"), HoldsValue(IsEmpty()));
  }
  // Once disabled by the daily job, an account is not listed again.
  ASSERT_OK(InWrite([&](storage::Tx& tx) -> Status {
    CADUCE_TRY(std::optional<Account> a, repo().FindAccount(tx, today));
    if (!a) return NotFoundError("today");
    a->status = AccountStatus::kDisabled;
    a->disabled_reason = "expired";
    return repo().UpdateAccount(tx, *a);
  }));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  EXPECT_THAT(repo().AccountsExpiringBy(*tx, "2026-11-27"), HoldsValue(UnorderedElementsAre(past)));
}

// ---- Search -----------------------------------------------------------------------

TEST_P(DirectoryContractTest, SearchIgnoresCaseAndAccents) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "helene.dupont@chu-a.fr", "DUPONT", "Hélène"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "eric.lefevre@chu-a.fr", "LEFÈVRE", "Éric"));
  ASSERT_OK(AddAccount(s1, AccountType::kMed, "zoe.oconnor@chu-a.fr", "Œ'CONNOR", "Zoé"));

  const std::string helene = "helene.dupont@chu-a.fr";
  const std::string eric = "eric.lefevre@chu-a.fr";
  const std::string zoe = "zoe.oconnor@chu-a.fr";
  EXPECT_THAT(SearchAddresses("HÉL"), HoldsValue(ElementsAre(helene)));  // Prénom
  EXPECT_THAT(SearchAddresses("hel"), HoldsValue(ElementsAre(helene)));
  EXPECT_THAT(SearchAddresses("Dup"), HoldsValue(ElementsAre(helene)));  // NOM
  EXPECT_THAT(SearchAddresses("lefev"), HoldsValue(ElementsAre(eric)));  // accent dropped
  EXPECT_THAT(SearchAddresses("LEFÈV"), HoldsValue(ElementsAre(eric)));
  EXPECT_THAT(SearchAddresses("eric le"), HoldsValue(ElementsAre(eric)));        // prénom nom
  EXPECT_THAT(SearchAddresses("Dupont  Hél"), HoldsValue(ElementsAre(helene)));  // nom prénom
  EXPECT_THAT(SearchAddresses("ERIC.LEF"), HoldsValue(ElementsAre(eric)));       // address
  EXPECT_THAT(SearchAddresses("zoe.oc"), HoldsValue(ElementsAre(zoe)));
  EXPECT_THAT(SearchAddresses("oe'c"), HoldsValue(ElementsAre(zoe)));  // Œ → oe
  EXPECT_THAT(SearchAddresses("chu-a"), HoldsValue(IsEmpty()));        // prefixes, not substrings
  EXPECT_THAT(SearchAddresses("xyz"), HoldsValue(IsEmpty()));
}

TEST_P(DirectoryContractTest, SearchOrdersByMatchingTermThenId) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "a1@x.fr", "BERNARD", "Alice"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "z1@x.fr", "BERGER", "Zoé"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "m2@x.fr", "BERNARD", "Alice"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "q@x.fr", "ZED", "Bea"));
  // "bea" < "berger" < "bernard" (= "bernard", ordered by id).
  EXPECT_THAT(SearchAddresses("be"),
              HoldsValue(ElementsAre("q@x.fr", "z1@x.fr", "a1@x.fr", "m2@x.fr")));
  // Each account ranks by its smallest matching term: "a1@x.fr" < "alice bernard".
  EXPECT_THAT(SearchAddresses("a"), HoldsValue(ElementsAre("a1@x.fr", "m2@x.fr")));
}

TEST_P(DirectoryContractTest, SearchReturnsEachAccountOnce) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  // Address, NOM, Prénom, "prénom nom" and "nom prénom" all start with "mar".
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "martin.martine@x.fr", "MARTIN", "Martine"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "marc.marc@x.fr", "Marc", "Marc"));
  EXPECT_THAT(SearchAddresses("mar"),
              HoldsValue(ElementsAre("marc.marc@x.fr", "martin.martine@x.fr")));
}

TEST_P(DirectoryContractTest, SearchReturnsAtMostTheLimitAndNeverMoreThan50) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  std::vector<std::string> by_id;
  ASSERT_OK(InWrite([&](storage::Tx& tx) -> Status {
    for (int i = 0; i < 60; ++i) {
      // Letters keep the addresses' order equal to the insertion order.
      std::string address = "jean.martin." + std::string(1, static_cast<char>('a' + i / 26)) +
                            std::string(1, static_cast<char>('a' + i % 26)) + "@x.fr";
      CADUCE_RETURN_IF_ERROR(
          repo().InsertAccount(tx, NewAccount(s1, AccountType::kPer, address, "MARTIN", "Jean")));
      by_id.push_back(address);
    }
    return OkStatus();
  }));
  SearchQuery q;
  q.prefix = "martin";
  q.limit = 500;
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> capped, SearchAddresses(q));
  EXPECT_THAT(capped, ElementsAreArray(by_id.begin(), by_id.begin() + 50));
  q.limit = 7;
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAreArray(by_id.begin(), by_id.begin() + 7)));
  q.prefix = "jean.martin.";
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAreArray(by_id.begin(), by_id.begin() + 7)));
  q.limit = 0;
  EXPECT_THAT(SearchAddresses(q), HoldsValue(IsEmpty()));
}

TEST_P(DirectoryContractTest, SearchFiltersByStructures) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t s2, AddStructure("S2"));
  ASSERT_OK_AND_ASSIGN(int64_t s3, AddStructure("S3"));
  ASSERT_OK(AddAccount(s3, AccountType::kPer, "anne.c@x.fr", "C", "Anne"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "anne.a@x.fr", "A", "Anne"));
  ASSERT_OK(AddAccount(s2, AccountType::kPer, "anne.b@x.fr", "B", "Anne"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "anne.d@x.fr", "D", "Anne"));

  SearchQuery q;
  q.prefix = "anne.";
  EXPECT_THAT(SearchAddresses(q),
              HoldsValue(ElementsAre("anne.a@x.fr", "anne.b@x.fr", "anne.c@x.fr", "anne.d@x.fr")));
  q.structure_ids = {s1};
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAre("anne.a@x.fr", "anne.d@x.fr")));
  q.structure_ids = {s3, s1};
  EXPECT_THAT(SearchAddresses(q),
              HoldsValue(ElementsAre("anne.a@x.fr", "anne.c@x.fr", "anne.d@x.fr")));
  q.structure_ids = {s2, s2};
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAre("anne.b@x.fr")));
  q.structure_ids = {s3, s2, s1};
  q.limit = 2;
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAre("anne.a@x.fr", "anne.b@x.fr")));
  q.structure_ids = {s3 + 1};
  EXPECT_THAT(SearchAddresses(q), HoldsValue(IsEmpty()));
}

TEST_P(DirectoryContractTest, SearchOnlyVisibleSkipsHiddenAccounts) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t s2, AddStructure("S2"));
  Account hidden = NewAccount(s1, AccountType::kPer, "paul.hidden@x.fr", "PAUL", "Hidden");
  hidden.visible_in_directory = false;
  ASSERT_OK(AddAccount(hidden));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "paul.shown@x.fr", "PAUL", "Shown"));
  ASSERT_OK(AddAccount(s2, AccountType::kOrg, "paul.org@x.fr", "PAUL", ""));

  SearchQuery q;
  q.prefix = "paul.";
  EXPECT_THAT(SearchAddresses(q), HoldsValue(SizeIs(3)));
  q.only_visible = true;
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAre("paul.org@x.fr", "paul.shown@x.fr")));
  q.structure_ids = {s1};
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAre("paul.shown@x.fr")));
}

TEST_P(DirectoryContractTest, SearchOnlyNominativeSkipsSharedMailboxes) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK(AddAccount(s1, AccountType::kOrg, "secretariat.cardio@x.fr", "", ""));
  ASSERT_OK(AddAccount(s1, AccountType::kApp, "secretariat.lab@x.fr", "", ""));
  ASSERT_OK(AddAccount(s1, AccountType::kMed, "secretariat.med@x.fr", "SEC", "Med"));
  ASSERT_OK(AddAccount(s1, AccountType::kInt, "secretariat.int@x.fr", "SEC", "Int"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "secretariat.per@x.fr", "SEC", "Per"));

  SearchQuery q;
  q.prefix = "secretariat.";
  EXPECT_THAT(SearchAddresses(q), HoldsValue(SizeIs(5)));
  q.only_nominative = true;
  EXPECT_THAT(SearchAddresses(q),
              HoldsValue(ElementsAre("secretariat.int@x.fr", "secretariat.med@x.fr",
                                     "secretariat.per@x.fr")));
  q.structure_ids = {s1};
  q.only_visible = true;
  EXPECT_THAT(SearchAddresses(q), HoldsValue(SizeIs(3)));
}

TEST_P(DirectoryContractTest, SearchTakesThePrefixLiterally) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "obrien@x.fr", "O'BRIEN", "Liam"));
  ASSERT_OK(AddAccount(s1, AccountType::kOrg, "accueil@x.fr", "100% SANTÉ", ""));
  ASSERT_OK(
      AddAccount(s1, AccountType::kPer, "bobby@x.fr", "ROBERT'); DROP TABLE accounts;--", "Bobby"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "under_score@x.fr", "UNDER", "Score"));

  for (const char* attack : {"'; DROP TABLE accounts; --", "%", "_", "%%", "a%", "' OR '1'='1",
                             "\" OR \"\"=\"", "\\", "*", ".*", "?", "--", ";"}) {
    EXPECT_THAT(SearchAddresses(attack), HoldsValue(IsEmpty())) << attack;
  }
  EXPECT_THAT(SearchAddresses("o'b"), HoldsValue(ElementsAre("obrien@x.fr")));
  EXPECT_THAT(SearchAddresses("100%"), HoldsValue(ElementsAre("accueil@x.fr")));
  EXPECT_THAT(SearchAddresses("robert');"), HoldsValue(ElementsAre("bobby@x.fr")));
  EXPECT_THAT(SearchAddresses("under_"), HoldsValue(ElementsAre("under_score@x.fr")));
  EXPECT_THAT(SearchAddresses("a"), HoldsValue(ElementsAre("accueil@x.fr")));

  // Nothing was dropped or changed.
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  EXPECT_THAT(repo().ListAccounts(*tx, {}), HoldsValue(SizeIs(4)));
  EXPECT_THAT(repo().ListStructures(*tx), HoldsValue(SizeIs(1)));
}

TEST_P(DirectoryContractTest, EmptyPrefixMatchesEveryAccountUpToTheLimit) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "b@x.fr", "BB", "Bob"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "a@x.fr", "AA", "Ann"));
  SearchQuery q;
  q.prefix = "   ";
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAre("a@x.fr", "b@x.fr")));
  q.limit = 1;
  q.structure_ids = {s1};
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAre("a@x.fr")));
}

TEST_P(DirectoryContractTest, SearchFollowsUpdates) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("S1"));
  ASSERT_OK_AND_ASSIGN(int64_t s2, AddStructure("S2"));
  Account a = NewAccount(s1, AccountType::kPer, "paul.durand@x.fr", "DURAND", "Paul");
  ASSERT_OK_AND_ASSIGN(int64_t id, AddAccount(a));
  EXPECT_THAT(SearchAddresses("durand"), HoldsValue(ElementsAre("paul.durand@x.fr")));

  a.id = id;
  a.get(Field::kAddress) = "paul.moreau@x.fr";
  a.get(Field::kNom) = "MOREAU";
  a.structure_id = s2;
  a.visible_in_directory = false;
  a.type = AccountType::kOrg;
  ASSERT_OK(InWrite([&](storage::Tx& tx) { return repo().UpdateAccount(tx, a); }));

  EXPECT_THAT(SearchAddresses("durand"), HoldsValue(IsEmpty()));
  EXPECT_THAT(SearchAddresses("paul.d"), HoldsValue(IsEmpty()));
  EXPECT_THAT(SearchAddresses("moreau p"), HoldsValue(ElementsAre("paul.moreau@x.fr")));
  SearchQuery q;
  q.prefix = "paul";
  q.structure_ids = {s1};
  EXPECT_THAT(SearchAddresses(q), HoldsValue(IsEmpty()));
  q.structure_ids = {s2};
  EXPECT_THAT(SearchAddresses(q), HoldsValue(ElementsAre("paul.moreau@x.fr")));
  q.only_visible = true;
  EXPECT_THAT(SearchAddresses(q), HoldsValue(IsEmpty()));
  q.only_visible = false;
  q.only_nominative = true;
  EXPECT_THAT(SearchAddresses(q), HoldsValue(IsEmpty()));
}

// ---- Transactions -----------------------------------------------------------------

TEST_P(DirectoryContractTest, WriteTransactionDroppedWithoutCommitLeavesNothing) {
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kWrite));
    Structure s;
    s.name = "Éphémère";
    ASSERT_OK_AND_ASSIGN(int64_t sid, repo().InsertStructure(*tx, s));
    ASSERT_OK_AND_ASSIGN(int64_t org,
                         repo().InsertAccount(*tx, NewAccount(sid, AccountType::kOrg, "o@e.fr")));
    ASSERT_OK_AND_ASSIGN(
        int64_t per, repo().InsertAccount(
                         *tx, NewAccount(sid, AccountType::kPer, "p@e.fr", "EPHEMERE", "Pierre")));
    ASSERT_OK(repo().InsertRight(*tx, {org, per, kT0, "t"}));
    ASSERT_OK(repo().AddAdministrator(*tx, per, sid));
    ASSERT_OK(repo().SetOperator(*tx, per, true));
    // Dropped here: rolled back.
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TxMode::kRead));
  EXPECT_THAT(repo().ListStructures(*tx), HoldsValue(IsEmpty()));
  EXPECT_THAT(repo().FindStructureByName(*tx, "Éphémère"), HoldsValue(IsNullopt()));
  EXPECT_THAT(repo().ListAccounts(*tx, {}), HoldsValue(IsEmpty()));
  EXPECT_THAT(repo().FindAccountByAddress(*tx, "p@e.fr"), HoldsValue(IsNullopt()));
  SearchQuery q;
  q.prefix = "ephemere";
  EXPECT_THAT(repo().Search(*tx, q), HoldsValue(IsEmpty()));
  tx.reset();
  // The names are free again.
  ASSERT_OK_AND_ASSIGN(int64_t sid, AddStructure("Éphémère"));
  EXPECT_THAT(AddAccount(sid, AccountType::kPer, "p@e.fr"), IsOk());
}

TEST_P(DirectoryContractTest, ReadTransactionSeesASnapshot) {
  ASSERT_OK_AND_ASSIGN(int64_t s1, AddStructure("Avant"));
  ASSERT_OK(AddAccount(s1, AccountType::kPer, "avant@x.fr", "AVANT", "Anne"));

  ASSERT_OK_AND_ASSIGN(auto reader, db().Begin(TxMode::kRead));
  ASSERT_OK_AND_ASSIGN(std::vector<Structure> before, repo().ListStructures(*reader));
  EXPECT_THAT(Names(before), ElementsAre("Avant"));

  // A writer commits while the reader is open; it must neither wait for the reader
  // nor show through it.
  ASSERT_OK_AND_ASSIGN(int64_t s2, AddStructure("Après"));
  ASSERT_OK(AddAccount(s2, AccountType::kPer, "apres@x.fr", "APRES", "Alain"));

  EXPECT_THAT(repo().ListStructures(*reader), HoldsValue(SizeIs(1)));
  EXPECT_THAT(repo().FindStructureByName(*reader, "Après"), HoldsValue(IsNullopt()));
  EXPECT_THAT(repo().FindAccountByAddress(*reader, "apres@x.fr"), HoldsValue(IsNullopt()));
  SearchQuery q;
  q.prefix = "a";
  ASSERT_OK_AND_ASSIGN(std::vector<Account> found, repo().Search(*reader, q));
  EXPECT_THAT(Ids(found), SizeIs(1));
  reader.reset();

  ASSERT_OK_AND_ASSIGN(auto fresh, db().Begin(TxMode::kRead));
  EXPECT_THAT(repo().ListStructures(*fresh), HoldsValue(SizeIs(2)));
  EXPECT_THAT(repo().Search(*fresh, q), HoldsValue(SizeIs(2)));
}

}  // namespace caduce::testing
