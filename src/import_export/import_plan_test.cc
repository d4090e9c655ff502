// The dry run plans over PlanRepository, the import writes to SQLite: for every
// kind of row (created, updated, unchanged, rejected for each reason, rights
// granted and revoked, a default mailbox reset, MSSanté local parts generated and
// taken, notifications), the dry run's report must be the import's, and the dry
// run must leave the database as it was. The import applies its plan in bulk: the
// database it leaves, every table and the whole trail with its hashes, must be the
// one the rows written one by one leave. Over real SQLite files.
#include "import_export/plan_repository.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "import_export/importer.h"
#include "import_export/report.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::import_export {
namespace {

using directory::Account;
using directory::Actor;
using ::caduce::testing::StatusIs;

const char* kHeader =
    "Type de compte;Adresse mail;NOM;Prénom;RPPS;ADELI;Raison Sociale;Adresse (1);CP;VILLE;"
    "Département;Région;Profession;Spécialité;Activité libérale;Type identifiant structure resp;"
    "Identifiant structure resp;Nom resp;Prénom resp;Profession resp;Identifiant resp;"
    "Description fonctionnelle;Civilité exercice;Date de péremption;Compte(s) de connexion;"
    "Structure;MSSanté adresse";

// A line of the 27 columns of kHeader: `cells` from the first, the rest empty.
std::string Line(std::vector<std::string> cells) {
  cells.resize(27);
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ';';
    out += cells[i];
  }
  return out;
}
std::string PerRow(const std::string& address, const std::string& nom, const std::string& prenom,
                   const std::string& structure = "", const std::string& mss = "") {
  return Line({"PER", address, nom, prenom, "10001234565", "", "CHU", "1 rue A", "31000",
               "Toulouse", "31", "Occitanie", "Médecin", "SM04", "NON", "", "", "", "", "", "",
               "", "", "", "", structure, mss});
}
std::string MedRow(const std::string& address, const std::string& nom,
                   const std::string& prenom, const std::string& cp = "31000",
                   const std::string& structure = "") {
  return Line({"MED", address, nom, prenom, "", "", "CHU", "1 rue A", cp, "Toulouse", "31",
               "Occitanie", "Secrétaire médical", "", "NON", "", "", "", "", "", "", "", "", "",
               "", structure});
}
std::string OrgRow(const std::string& address, const std::string& persons,
                   const std::string& type = "ORG", const std::string& structure = "") {
  return Line({type, address, "", "", "", "", "CHU", "1 rue A", "31000", "Toulouse", "31",
               "Occitanie", "", "", "", "2", "310001235", "Durand", "Paul", "Cadre", "poste 12",
               "Secrétariat", "", "", "\"" + persons + "\"", structure});
}

class ImportPlanTest : public ::testing::Test {
 protected:
  ImportPlanTest() {
    store_sqlite::Options o;
    o.path = dir_.File("caduce.db");
    db_ = std::move(*store_sqlite::SqliteDatabase::Open(o));
    ref_ = std::move(*directory::ReferenceData::Load(caduce::testing::DataDir()));
    audit_ = std::make_unique<audit::AuditLog>(audit_repo_, clock_);
    service_ = std::make_unique<directory::DirectoryService>(*db_, repo_, *audit_, ref_, clock_);
    std::vector<directory::Finding> findings;
    directory::Structure s;
    s.name = "CHU de Toulouse";
    s.mss_domain = "chu.mssante.fr";
    hospital_ = *service_->CreateStructure(op_, s, &findings);
    s.name = "Clinique du Parc";
    s.mss_domain = "";
    clinic_ = *service_->CreateStructure(op_, s, &findings);
  }

  std::string WriteCsv(const std::string& name, const std::vector<std::string>& lines) {
    std::string path = dir_.File(name);
    std::ofstream out(path, std::ios::binary);
    out << kHeader << "\r\n";
    for (const auto& l : lines) out << l << "\r\n";
    return path;
  }

  Result<ImportReport> Import(const std::string& path, ImportOptions options = {},
                              const Actor* actor = nullptr) {
    if (options.structure_id == 0) options.structure_id = hospital_.id;
    return ImportAccounts(*service_, actor ? *actor : op_, path, options);
  }

  // What the database holds, as a person would list it: every account with its
  // fields, status and default, every right, the trail's length and the
  // notifications queued.
  std::string Snapshot() {
    auto tx = *db_->Begin(storage::TxMode::kRead);
    std::string out;
    directory::AccountFilter f;
    f.limit = 100000;
    for (const Account& a : *repo_.ListAccounts(*tx, f)) {
      out += std::to_string(a.id) + " " + a.address() + " " +
             std::string(directory::AccountStatusName(a.status)) + " default=" +
             std::to_string(a.default_mailbox_id) + " visible=" +
             std::to_string(a.visible_in_directory) + ":";
      for (const std::string& v : a.fields) out += v + "|";
      for (const auto& r : *repo_.RightsOnMailbox(*tx, a.id)) {
        out += " right:" + std::to_string(r.person_id);
      }
      out += "\n";
    }
    audit::Filter af;
    af.limit = 1000000;
    out += "trail " + std::to_string(audit_->Query(*tx, af)->size()) + "\n";
    out += "notifications " + std::to_string(*repo_.PendingNotifications(*tx, "activation", 0));
    return out;
  }

  // The report with what only an applied import differs in (applied, dry_run,
  // notifications queued) made equal.
  static std::string Comparable(ImportReport r) {
    r.dry_run = false;
    r.applied = false;
    r.notifications_queued = 0;
    return ReportJson(r);
  }

  // Plans `path`, checks that nothing was written, imports it, and checks that the
  // plan's report is the import's.
  ImportReport PlanThenApply(const std::string& path, ImportOptions options = {},
                             const Actor* actor = nullptr) {
    std::string before = Snapshot();
    ImportOptions dry = options;
    dry.dry_run = true;
    Result<ImportReport> plan = Import(path, dry, actor);
    EXPECT_TRUE(plan.ok()) << plan.status().message();
    EXPECT_EQ(Snapshot(), before) << "the dry run wrote something";
    Result<ImportReport> done = Import(path, options, actor);
    EXPECT_TRUE(done.ok()) << done.status().message();
    if (!plan.ok() || !done.ok()) return ImportReport{};
    EXPECT_FALSE(plan->applied);
    EXPECT_TRUE(plan->dry_run);
    EXPECT_EQ(Comparable(*plan), Comparable(*done));
    return *done;
  }

  caduce::testing::TempDir dir_;
  caduce::testing::FakeClock clock_;
  std::unique_ptr<store_sqlite::SqliteDatabase> db_;
  store_sqlite::SqliteDirectoryRepository repo_;
  store_sqlite::SqliteAuditRepository audit_repo_;
  directory::ReferenceData ref_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<directory::DirectoryService> service_;
  Actor op_ = Actor::CommandLine();
  directory::Structure hospital_, clinic_;
};

TEST_F(ImportPlanTest, NewAccountsWithEveryKindOfRejectionPlanAsTheyImport) {
  ImportReport r = PlanThenApply(WriteCsv(
      "a.csv",
      {OrgRow("secretariat@chu.fr", "marie@chu.fr;paul@chu.fr"),
       MedRow("marie@chu.fr", "Dupont", "Marie"), PerRow("paul@chu.fr", "Durand", "Paul"),
       MedRow("double@chu.fr", "A", "B"), MedRow("DOUBLE@chu.fr", "C", "D"),
       MedRow("cp@chu.fr", "E", "F", "310"),
       // Rejected when its rights are checked: its creation is undone, so the next
       // row finds no account at all (not a shared one).
       OrgRow("fantome@chu.fr", "inconnu@chu.fr"),
       OrgRow("accueil@chu.fr", "fantome@chu.fr"),
       OrgRow("standard@chu.fr", "secretariat@chu.fr"),
       OrgRow("labo@chu.fr", "marie@chu.fr", "APP"),
       MedRow("x@parc.fr", "X", "Y", "31000", "Clinique inconnue"),
       Line({"XYZ", "drole@chu.fr"}), MedRow("", "Sans", "Adresse"),
       MedRow("'; DROP TABLE accounts; --@chu.fr", "Injection", "Sql")}));
  EXPECT_EQ(r.created, 4) << ReportJson(r);
  EXPECT_EQ(r.rights_granted, 3);
  EXPECT_EQ(r.rejected, 10);
}

TEST_F(ImportPlanTest, UpdatesRevocationsAndADefaultResetPlanAsTheyImport) {
  ASSERT_OK(Import(WriteCsv("a.csv", {MedRow("marie@chu.fr", "Dupont", "Marie"),
                                      PerRow("paul@chu.fr", "Durand", "Paul"),
                                      MedRow("lea@chu.fr", "Roux", "Léa"),
                                      OrgRow("secretariat@chu.fr", "marie@chu.fr;paul@chu.fr"),
                                      OrgRow("accueil@chu.fr", "lea@chu.fr")}))
                .status());
  ASSERT_OK_AND_ASSIGN(Account marie, service_->GetAccountByAddress(op_, "marie@chu.fr"));
  ASSERT_OK_AND_ASSIGN(Account sec, service_->GetAccountByAddress(op_, "secretariat@chu.fr"));
  ASSERT_OK(service_->SetDefaultMailbox(op_, marie.id, sec.id));
  ImportReport r = PlanThenApply(WriteCsv(
      "b.csv", {MedRow("marie@chu.fr", "Dupont-Martin", "Marie"),  // updated
                PerRow("paul@chu.fr", "Durand", "Paul"),            // unchanged
                MedRow("lea@chu.fr", "Roux", "Léa", "3"),           // rejected update
                OrgRow("secretariat@chu.fr", "paul@chu.fr;nina@chu.fr"),  // marie revoked
                OrgRow("accueil@chu.fr", "lea@chu.fr;marie@chu.fr"),
                MedRow("nina@chu.fr", "Petit", "Nina"),
                Line({"ORG", "marie@chu.fr", "", "", "", "", "CHU", "1 rue A", "31000", "Toulouse", "31", "Occitanie"})}));
  EXPECT_EQ(r.rights_revoked, 1) << ReportJson(r);
  EXPECT_EQ(r.created, 1);
  ASSERT_OK_AND_ASSIGN(marie, service_->GetAccountByAddress(op_, "marie@chu.fr"));
  EXPECT_EQ(marie.default_mailbox_id, 0);  // reset with the revoked right
  // Importing it again changes nothing, and plans so.
  ImportReport again = PlanThenApply(dir_.File("b.csv"));
  EXPECT_EQ(again.created + again.updated, 0) << ReportJson(again);
}

TEST_F(ImportPlanTest, GeneratedAndTakenMssLocalPartsPlanAsTheyImport) {
  ASSERT_OK(Import(WriteCsv("a.csv", {PerRow("jean.martin@chu.fr", "Martin", "Jean")})).status());
  ImportReport r = PlanThenApply(WriteCsv(
      "b.csv", {PerRow("jm1@chu.fr", "Martin", "Jean"),   // jean.martin2
                PerRow("jm2@chu.fr", "Martin", "Jean"),   // jean.martin3
                PerRow("jm3@chu.fr", "Martin", "Jean", "", "jean.martin3"),  // taken
                PerRow("jm4@chu.fr", "Autre", "Nom", "", "jean.martin2"),    // taken
                PerRow("jm5@chu.fr", "Libre", "Nom", "", "particule.libre")}));
  EXPECT_EQ(r.created, 3) << ReportJson(r);
  EXPECT_EQ(r.rejected, 2);
}

TEST_F(ImportPlanTest, AnAdministratorsPlanKeepsToItsStructures) {
  ASSERT_OK(Import(WriteCsv("a.csv", {MedRow("alice@chu.fr", "Admin", "Alice"),
                                      MedRow("bob@parc.fr", "Autre", "Bob", "31000", "Clinique du Parc")}))
                .status());
  ASSERT_OK(service_->AddAdministrator(op_, hospital_.id, "alice@chu.fr"));
  ASSERT_OK_AND_ASSIGN(Account alice, service_->GetAccountByAddress(op_, "alice@chu.fr"));
  Actor admin{Actor::Kind::kPerson, alice.id, alice.address(), "192.0.2.1"};
  ImportReport r = PlanThenApply(
      WriteCsv("b.csv", {MedRow("x@parc.fr", "X", "Y", "31000", "Clinique du Parc"),
                         MedRow("bob@parc.fr", "Autre", "Bobby"),
                         OrgRow("secretariat@chu.fr", "bob@parc.fr"),
                         MedRow("y@chu.fr", "Y", "Z")}),
      {}, &admin);
  EXPECT_EQ(r.created, 1) << ReportJson(r);
  EXPECT_EQ(r.rejected, 3);
}

TEST_F(ImportPlanTest, NotifyVisibleAndAllOrNothingPlanAsTheyImport) {
  ImportOptions opts;
  opts.notify = true;
  opts.visible = true;
  ImportReport r = PlanThenApply(
      WriteCsv("a.csv", {MedRow("marie@chu.fr", "Dupont", "Marie"),
                         OrgRow("secretariat@chu.fr", "marie@chu.fr")}),
      opts);
  EXPECT_EQ(r.notifications_queued, 1);
  opts.all_or_nothing = true;
  ImportReport none = PlanThenApply(
      WriteCsv("b.csv", {MedRow("paul@chu.fr", "Durand", "Paul"), MedRow("", "X", "Y")}), opts);
  EXPECT_FALSE(none.applied);
  EXPECT_EQ(none.created, 1);
  EXPECT_EQ(none.rejected, 1);
}

TEST_F(ImportPlanTest, PlanGivesTheStoresNextIdsAndUndoesToAMark) {
  ASSERT_OK(Import(WriteCsv("a.csv", {MedRow("marie@chu.fr", "Dupont", "Marie"),
                                      OrgRow("secretariat@chu.fr", "marie@chu.fr")}))
                .status());
  ASSERT_OK_AND_ASSIGN(Account sec, service_->GetAccountByAddress(op_, "secretariat@chu.fr"));
  ASSERT_OK_AND_ASSIGN(Account marie, service_->GetAccountByAddress(op_, "marie@chu.fr"));
  std::string before = Snapshot();
  {
    auto tx = *db_->Begin(storage::TxMode::kWrite);
    PlanRepository plan(repo_);
    Account a = marie;
    a.get(directory::Field::kAddress) = "nina@chu.fr";
    ASSERT_OK_AND_ASSIGN(int64_t id, plan.InsertAccount(*tx, a));
    EXPECT_EQ(id, std::max(sec.id, marie.id) + 1);
    EXPECT_THAT(plan.InsertAccount(*tx, a), StatusIs(Code::kAlreadyExists));
    a.structure_id = 999;
    a.get(directory::Field::kAddress) = "autre@chu.fr";
    EXPECT_THAT(plan.InsertAccount(*tx, a), StatusIs(Code::kFailedPrecondition));
    size_t mark = plan.Mark();
    ASSERT_OK_AND_ASSIGN(bool revoked, plan.DeleteRight(*tx, sec.id, marie.id));
    EXPECT_TRUE(revoked);
    ASSERT_OK_AND_ASSIGN(bool granted, plan.InsertRight(*tx, {sec.id, id, 0, "test"}));
    EXPECT_TRUE(granted);
    EXPECT_THAT(plan.InsertRight(*tx, {sec.id, 12345, 0, "test"}),
                StatusIs(Code::kFailedPrecondition));
    ASSERT_OK_AND_ASSIGN(auto rights, plan.RightsOnMailbox(*tx, sec.id));
    ASSERT_EQ(rights.size(), 1u);
    EXPECT_EQ(rights[0].person_id, id);
    plan.RollbackTo(mark);
    ASSERT_OK_AND_ASSIGN(rights, plan.RightsOnMailbox(*tx, sec.id));
    ASSERT_EQ(rights.size(), 1u);
    EXPECT_EQ(rights[0].person_id, marie.id);
    plan.RollbackTo(0);
    ASSERT_OK_AND_ASSIGN(auto gone, plan.FindAccountBriefByAddress(*tx, "nina@chu.fr"));
    EXPECT_FALSE(gone.has_value());
    EXPECT_THAT(plan.InsertAccount(*tx, marie), StatusIs(Code::kAlreadyExists));
    directory::SearchQuery q;
    q.prefix = "ma";
    EXPECT_THAT(plan.Search(*tx, q),
                StatusIs(Code::kFailedPrecondition));
  }
  EXPECT_EQ(Snapshot(), before);
}

// Whether the plan read every stored address at once (a store not larger than
// asked) or looks each one up as asked, it finds the same stored accounts, and
// the same addresses free.
TEST_F(ImportPlanTest, StoredAddressesAreFoundWhetherReadAtOnceOrOneByOne) {
  ASSERT_OK(Import(WriteCsv("a.csv", {MedRow("marie@chu.fr", "Dupont", "Marie"),
                                      OrgRow("secretariat@chu.fr", "marie@chu.fr")}))
                .status());
  ASSERT_OK_AND_ASSIGN(Account marie, service_->GetAccountByAddress(op_, "marie@chu.fr"));
  for (size_t max : {size_t{1000}, size_t{1}}) {
    SCOPED_TRACE(max);
    auto tx = *db_->Begin(storage::TxMode::kRead);
    PlanRepository plan(repo_);
    ASSERT_OK(plan.LoadStoredBriefs(*tx, max));
    ASSERT_OK_AND_ASSIGN(auto found, plan.FindAccountBriefByAddress(*tx, "marie@chu.fr"));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->id, marie.id);
    EXPECT_EQ(found->type, directory::AccountType::kMed);
    EXPECT_EQ(found->structure_id, hospital_.id);
    ASSERT_OK_AND_ASSIGN(auto none, plan.FindAccountBriefByAddress(*tx, "nina@chu.fr"));
    EXPECT_FALSE(none.has_value());
    // The address is taken for a new account, free once the plan's copy of its
    // account gave it up.
    Account nina = marie;
    nina.get(directory::Field::kAddress) = "nina@chu.fr";
    EXPECT_THAT(plan.InsertAccount(*tx, marie), StatusIs(Code::kAlreadyExists));
    ASSERT_OK(plan.InsertAccount(*tx, nina).status());
    Account renamed = marie;
    renamed.get(directory::Field::kAddress) = "marie.dupont@chu.fr";
    ASSERT_OK(plan.UpdateAccount(*tx, renamed));
    ASSERT_OK_AND_ASSIGN(auto freed, plan.FindAccountBriefByAddress(*tx, "marie@chu.fr"));
    EXPECT_FALSE(freed.has_value());
    Account again = marie;
    again.get(directory::Field::kAddress) = "marie@chu.fr";
    again.get(directory::Field::kNom) = "Autre";
    EXPECT_OK(plan.InsertAccount(*tx, again).status());
  }
}

// The stored accounts of a batch of rows read at once (PrefetchStored): the plan
// sees them as when it reads them one by one, its own writes over them, the
// stored ones again once a write is rolled back; what the store does not hold is
// found nowhere, and without the briefs read at once nothing is read ahead.
TEST_F(ImportPlanTest, StoredAccountsReadAheadAreSeenAsTheStoreHoldsThemUnderThePlansWrites) {
  ASSERT_OK(Import(WriteCsv("a.csv", {MedRow("marie@chu.fr", "Dupont", "Marie"),
                                      MedRow("paul@chu.fr", "Martin", "Paul"),
                                      OrgRow("secretariat@chu.fr", "marie@chu.fr")}))
                .status());
  ASSERT_OK_AND_ASSIGN(Account marie, service_->GetAccountByAddress(op_, "marie@chu.fr"));
  ASSERT_OK_AND_ASSIGN(Account paul, service_->GetAccountByAddress(op_, "paul@chu.fr"));
  for (size_t max : {size_t{1000}, size_t{1}}) {
    for (bool ahead : {true, false}) {
      SCOPED_TRACE("max " + std::to_string(max) + (ahead ? ", read ahead" : ""));
      auto tx = *db_->Begin(storage::TxMode::kRead);
      PlanRepository plan(repo_);
      ASSERT_OK(plan.LoadStoredBriefs(*tx, max));
      if (ahead) {
        std::vector<std::string_view> batch = {"paul@chu.fr", "nobody@chu.fr", "marie@chu.fr"};
        ASSERT_OK(plan.PrefetchStored(*tx, batch));
      }
      ASSERT_OK_AND_ASSIGN(std::optional<Account> m, plan.FindAccount(*tx, marie.id));
      ASSERT_TRUE(m.has_value());
      EXPECT_EQ(m->fields, marie.fields);
      EXPECT_EQ(m->updated_at, marie.updated_at);
      ASSERT_OK_AND_ASSIGN(std::optional<Account> p, plan.FindAccount(*tx, paul.id));
      ASSERT_TRUE(p.has_value());
      EXPECT_EQ(p->fields, paul.fields);
      ASSERT_OK_AND_ASSIGN(auto brief, plan.FindAccountBrief(*tx, paul.id));
      ASSERT_TRUE(brief.has_value());
      EXPECT_EQ(brief->address, "paul@chu.fr");
      const int64_t missing = paul.id + marie.id + 1000;
      ASSERT_OK_AND_ASSIGN(std::optional<Account> none, plan.FindAccount(*tx, missing));
      EXPECT_FALSE(none.has_value());
      ASSERT_OK_AND_ASSIGN(auto no_brief, plan.FindAccountBrief(*tx, missing));
      EXPECT_FALSE(no_brief.has_value());

      const size_t mark = plan.Mark();
      Account renamed = marie;
      renamed.get(directory::Field::kNom) = "DURAND";
      ASSERT_OK(plan.UpdateAccount(*tx, renamed));
      ASSERT_OK_AND_ASSIGN(m, plan.FindAccount(*tx, marie.id));
      ASSERT_TRUE(m.has_value());
      EXPECT_EQ(m->get(directory::Field::kNom), "DURAND");
      plan.RollbackTo(mark);
      ASSERT_OK_AND_ASSIGN(m, plan.FindAccount(*tx, marie.id));
      ASSERT_TRUE(m.has_value());
      EXPECT_EQ(m->get(directory::Field::kNom), marie.get(directory::Field::kNom));
    }
  }
}

// One column of a query's rows, a line each (defined below).
std::string Column(store_sqlite::SqliteDatabase& db, const std::string& sql);

// The new accounts go to the store in batches while the plan is still made (by
// the writer thread of an applied import): only once a batch waits, every row
// that made them was accepted, and they outnumber the store's own; a streamed
// account cannot change any more; WriteTo writes the rest, all with the plan's ids.
TEST_F(ImportPlanTest, NewAccountsStreamToTheStoreOnceFinalAndThenCannotChange) {
  auto write = *db_->Begin(storage::TxMode::kWrite);
  auto read = *db_->Begin(storage::TxMode::kRead);
  ASSERT_OK(repo_.ListStructures(*read).status());  // the plan's snapshot
  PlanRepository plan(repo_);
  auto make = [&](int i) {
    Account a;
    a.structure_id = hospital_.id;
    a.type = directory::AccountType::kMed;
    a.status = directory::AccountStatus::kPending;
    a.get(directory::Field::kAddress) = "s" + std::to_string(i) + "@chu.fr";
    a.get(directory::Field::kNom) = "Nom" + std::to_string(i);
    a.get(directory::Field::kPrenom) = "Prénom";  // three search terms: see below
    a.created_at = a.updated_at = 1;
    return a;
  };
  const int batch = static_cast<int>(PlanRepository::kStreamBatch);
  std::vector<int64_t> ids;
  size_t mark = plan.Mark();
  for (int i = 0; i < batch - 1; ++i) ids.push_back(*plan.InsertAccount(*read, make(i)));
  plan.Forget(mark);
  EXPECT_FALSE(plan.StreamNewAccounts());  // fewer than a batch
  mark = plan.Mark();
  ids.push_back(*plan.InsertAccount(*read, make(batch - 1)));
  EXPECT_FALSE(plan.StreamNewAccounts());  // the row is not accepted yet
  plan.Forget(mark);
  auto job = plan.StreamNewAccounts();
  ASSERT_TRUE(job);
  ASSERT_OK(job(*write));
  EXPECT_FALSE(plan.StreamNewAccounts());  // nothing new since
  // The plan still reads them, and refuses to change them.
  ASSERT_OK_AND_ASSIGN(auto found, plan.FindAccountByAddress(*read, "s5@chu.fr"));
  ASSERT_TRUE(found.has_value());
  found->get(directory::Field::kNom) = "Autre";
  EXPECT_THAT(plan.UpdateAccount(*read, *found), StatusIs(Code::kInternal));
  for (int i = batch; i < batch + 10; ++i) ids.push_back(*plan.InsertAccount(*read, make(i)));
  plan.Forget(0);
  ASSERT_OK(plan.WriteTo(*write));
  ASSERT_OK(write->Commit());
  read.reset();
  directory::AccountFilter f;
  f.limit = 100000;
  auto tx = *db_->Begin(storage::TxMode::kRead);
  ASSERT_OK_AND_ASSIGN(auto stored, repo_.ListAccounts(*tx, f));
  ASSERT_EQ(stored.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(stored[i].id, ids[i]);
    EXPECT_EQ(stored[i].address(), "s" + std::to_string(i) + "@chu.fr");
    EXPECT_EQ(stored[i].get(directory::Field::kNom), "Nom" + std::to_string(i));
  }
  EXPECT_EQ(Column(*db_, "PRAGMA integrity_check"), "ok\n");
  EXPECT_EQ(Column(*db_, "SELECT count(*) FROM account_search"),
            std::to_string(ids.size() * 3) + "\n");
}

// A dry run writes nothing: it reads a snapshot and leaves the store's other
// writers alone while it plans (they are not held up for the length of the file).
TEST_F(ImportPlanTest, ADryRunLetsOtherWritersCommitWhileItPlans) {
  std::vector<std::string> lines;
  for (int i = 0; i < 1200; ++i) {
    lines.push_back(MedRow("d" + std::to_string(i) + "@chu.fr", "Nom", "Prénom"));
  }
  ImportOptions opts;
  opts.dry_run = true;
  Status other;
  bool wrote = false;
  opts.progress = [&](const Progress& p) {
    if (p.phase != Progress::Phase::kApplying || wrote) return;
    wrote = true;
    // Another writer, while the dry run is under way: a structure created and
    // committed at once (it would wait for the lock, then fail, were it held).
    std::vector<directory::Finding> findings;
    directory::Structure s;
    s.name = "Maison de santé";
    other = service_->CreateStructure(op_, s, &findings).status();
  };
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(WriteCsv("a.csv", lines), opts));
  EXPECT_TRUE(wrote);
  EXPECT_OK(other);
  EXPECT_EQ(r.created, 1200);
  EXPECT_FALSE(r.applied);
  EXPECT_THAT(service_->GetAccountByAddress(op_, "d0@chu.fr"), StatusIs(Code::kNotFound));
}

TEST_F(ImportPlanTest, AnAddressRepeatedFarBelowRejectsBothRowsThoughTheFirstWasApplied) {
  // More rows than the reader hands over at once: pass 1 overlaps the reading,
  // and row 1102 repeats the address of row 6, already applied by then.
  std::vector<std::string> lines;
  for (int i = 0; i < 1200; ++i) {
    std::string address = "p" + std::to_string(i == 1100 ? 4 : i) + "@chu.fr";
    lines.push_back(MedRow(address, "Nom", "Prénom"));
  }
  lines.push_back(OrgRow("secretariat@chu.fr", "p4@chu.fr;p5@chu.fr"));
  ImportReport r = PlanThenApply(WriteCsv("a.csv", lines));
  EXPECT_EQ(r.created, 1198) << ReportSummary(r);
  EXPECT_EQ(r.rejected, 3);  // both p4 rows, and the ORG naming p4
  EXPECT_THAT(service_->GetAccountByAddress(op_, "p4@chu.fr"), StatusIs(Code::kNotFound));
  ASSERT_OK(service_->GetAccountByAddress(op_, "p1199@chu.fr").status());
}

TEST_F(ImportPlanTest, AFileErrorFoundAfterRowsWereAppliedWritesNothing) {
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    lines.push_back(MedRow("p" + std::to_string(i) + "@chu.fr", "Nom", "Prénom"));
  }
  lines.push_back(MedRow("long@chu.fr", std::string(300, 'x'), "Prénom"));
  std::string path = WriteCsv("a.csv", lines);
  std::string before = Snapshot();
  for (bool dry : {true, false}) {
    ImportOptions opts;
    opts.dry_run = dry;
    opts.limits.max_cell_chars = 200;
    EXPECT_THAT(Import(path, opts), StatusIs(Code::kResourceExhausted));
    EXPECT_EQ(Snapshot(), before);
  }
}

// Every row of every table an import writes, as text: the accounts with every
// column, their search terms, the per-structure counts, the rights, the queued
// messages and the trail with its hashes.
std::string DumpTables(store_sqlite::SqliteDatabase& db) {
  auto tx = *db.Begin(storage::TxMode::kRead);
  sqlite3* h = store_sqlite::SqliteTx::ConnOf(*tx).handle();
  std::string out;
  for (const char* table : {"accounts", "account_search", "account_counts", "connection_rights",
                            "notifications", "audit"}) {
    sqlite3_stmt* st = nullptr;
    std::string sql = std::string("SELECT * FROM ") + table;
    EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << table;
    std::vector<std::string> rows;
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string row = table;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        row += c ? "|" : ":";
        if (sqlite3_column_type(st, c) == SQLITE_NULL) {
          row += "NULL";
        } else if (sqlite3_column_type(st, c) == SQLITE_BLOB) {
          const auto* b = static_cast<const unsigned char*>(sqlite3_column_blob(st, c));
          for (int i = 0; i < sqlite3_column_bytes(st, c); ++i) {
            char hex[3];
            std::snprintf(hex, sizeof hex, "%02x", b[i]);
            row += hex;
          }
        } else {
          row += reinterpret_cast<const char*>(sqlite3_column_text(st, c));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    std::sort(rows.begin(), rows.end());
    for (const std::string& r : rows) out += r + "\n";
  }
  return out;
}

// The first line where `a` and `b` differ, or "" when they are equal.
std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    size_t ei = std::min(a.find('\n', i), a.size());
    size_t ej = std::min(b.find('\n', j), b.size());
    std::string la = a.substr(i, ei - i), lb = b.substr(j, ej - j);
    if (la != lb) return "bulk:      " + la + "\nrow by row: " + lb;
    i = ei + 1;
    j = ej + 1;
  }
  return "";
}

// The same history (two imports with a default mailbox chosen between them) in a
// fresh database: written row by row, or applied from the plan in bulk.
struct History {
  std::string tables;
  std::string reports;
  bool chain_ok = false;
  // PRAGMA integrity_check (every index holds exactly its table's rows) and the
  // indexes and triggers of the schema: the bulk path drops and creates some of
  // them again.
  std::string integrity;
  std::string indexes;
};

std::string Column(store_sqlite::SqliteDatabase& db, const std::string& sql) {
  auto tx = *db.Begin(storage::TxMode::kRead);
  store_sqlite::Stmt st(store_sqlite::SqliteTx::ConnOf(*tx), sql);
  std::string out;
  while (st.Step()) out += st.Text(0) + "\n";
  EXPECT_OK(st.status());
  return out;
}

class BulkApplyTest : public ImportPlanTest {
 public:
  History Run(bool row_by_row, const std::vector<std::string>& first,
              const std::vector<std::string>& second) {
    History h;
    ImportOptions opts;
    opts.apply_row_by_row = row_by_row;
    opts.notify = true;
    opts.visible = true;
    opts.file_name = "a.csv";  // the report and the trail name it: the same in both
    Result<ImportReport> a = Import(WriteCsv("a.csv", first), opts);
    EXPECT_TRUE(a.ok()) << a.status().message();
    if (!a.ok()) return h;
    h.reports += ReportJson(*a);
    Result<Account> marie = service_->GetAccountByAddress(op_, "marie@chu.fr");
    Result<Account> sec = service_->GetAccountByAddress(op_, "secretariat@chu.fr");
    if (marie.ok() && sec.ok()) {
      EXPECT_OK(service_->SetDefaultMailbox(op_, marie->id, sec->id));
    }
    opts.notify = false;
    opts.visible = false;
    opts.file_name = "b.csv";
    Result<ImportReport> b = Import(WriteCsv("b.csv", second), opts);
    EXPECT_TRUE(b.ok()) << b.status().message();
    if (!b.ok()) return h;
    h.reports += ReportJson(*b);
    h.tables = DumpTables(*db_);
    h.integrity = Column(*db_, "PRAGMA integrity_check");
    h.indexes = Column(*db_, "SELECT name || ' ' || coalesce(sql, '') FROM sqlite_schema "
                             "WHERE type IN ('index', 'trigger') ORDER BY name");
    auto tx = *db_->Begin(storage::TxMode::kRead);
    Result<audit::VerifyReport> v = audit_->Verify(*tx);
    h.chain_ok = v.ok() && v->ok;
    return h;
  }
};

// A second, fresh database beside the test's own.
class FreshWorld final : public BulkApplyTest {
  void TestBody() override {}
};

const std::vector<std::string> kFirst = {
    OrgRow("secretariat@chu.fr", "marie@chu.fr;paul@chu.fr"),
    MedRow("marie@chu.fr", "Dupont", "Marie"),
    PerRow("paul@chu.fr", "Durand", "Paul"),
    MedRow("lea@chu.fr", "Roux", "Léa"),
    PerRow("jean.martin@chu.fr", "Martin", "Jean"),
    PerRow("jm1@chu.fr", "Martin", "Jean"),  // jean.martin2
    PerRow("jm2@chu.fr", "Martin", "Jean", "", "jean.martin2"),  // taken
    MedRow("double@chu.fr", "A", "B"),
    MedRow("DOUBLE@chu.fr", "C", "D"),
    MedRow("cp@chu.fr", "E", "F", "310"),
    OrgRow("fantome@chu.fr", "inconnu@chu.fr"),
    OrgRow("accueil@chu.fr", "lea@chu.fr"),
    OrgRow("labo@chu.fr", "marie@chu.fr", "APP"),
    MedRow("x@parc.fr", "X", "Y", "31000", "Clinique du Parc"),
    MedRow("'; DROP TABLE accounts; --@chu.fr", "Injection", "Sql"),
    Line({"XYZ", "drole@chu.fr"})};
const std::vector<std::string> kSecond = {
    MedRow("marie@chu.fr", "Dupont-Martin", "Marie"),  // updated
    PerRow("paul@chu.fr", "Durand", "Paul"),            // unchanged
    MedRow("lea@chu.fr", "Roux", "Léa", "3"),           // rejected update
    OrgRow("secretariat@chu.fr", "paul@chu.fr;nina@chu.fr"),  // marie revoked, default reset
    OrgRow("accueil@chu.fr", "lea@chu.fr;marie@chu.fr"),
    MedRow("nina@chu.fr", "Petit", "Nina"),
    OrgRow("standard@chu.fr", "nina@chu.fr;x@parc.fr"),
    MedRow("x@parc.fr", "X", "Yves", "31000", "Clinique du Parc")};

TEST_F(BulkApplyTest, BulkApplyWritesTheTablesAndTheTrailOfTheRowByRowPath) {
  History reference = Run(true, kFirst, kSecond);
  ASSERT_FALSE(reference.tables.empty());
  FreshWorld bulk_world;
  History bulk = bulk_world.Run(false, kFirst, kSecond);
  EXPECT_EQ(bulk.reports, reference.reports);
  EXPECT_EQ(FirstDifference(bulk.tables, reference.tables), "");
  EXPECT_TRUE(bulk.chain_ok);
  EXPECT_TRUE(reference.chain_ok);
  EXPECT_NE(bulk.tables.find("right.revoked"), std::string::npos);
  EXPECT_NE(bulk.tables.find("default.reset"), std::string::npos);
  EXPECT_NE(bulk.tables.find("import.applied"), std::string::npos);
}

TEST_F(BulkApplyTest, BulkApplyOfThousandsOfRowsWritesWhatTheRowByRowPathWrites) {
  // More trail entries than the importer holds before appending them (1,024), a
  // rejected row among them, ORG rows before the persons they name.
  std::vector<std::string> first;
  for (int i = 0; i < 300; ++i) {
    first.push_back(OrgRow("service" + std::to_string(i) + "@chu.fr",
                           "p" + std::to_string(2 * i) + "@chu.fr;p" + std::to_string(2 * i + 1) +
                               "@chu.fr"));
  }
  const char* noms[] = {"Dupont", "Martin", "Lefèvre", "Müller", "Roux", "Faure", "Petit"};
  for (int i = 0; i < 1200; ++i) {
    std::string address = "p" + std::to_string(i) + "@chu.fr";
    // Rows 700 and 1150 rejected: before and after the first new accounts went to
    // the store while the rest were planned (PlanRepository::kStreamBatch).
    first.push_back(
        MedRow(address, noms[i % 7], "Prénom", i == 700 || i == 1150 ? "3" : "31000"));
  }
  std::vector<std::string> second = {MedRow("p1@chu.fr", "Autre", "Prénom"),
                                     OrgRow("service0@chu.fr", "p2@chu.fr")};
  History reference = Run(true, first, second);
  ASSERT_FALSE(reference.tables.empty());
  FreshWorld bulk_world;
  History bulk = bulk_world.Run(false, first, second);
  EXPECT_TRUE(bulk.reports == reference.reports) << FirstDifference(bulk.reports, reference.reports);
  EXPECT_EQ(FirstDifference(bulk.tables, reference.tables), "");
  EXPECT_TRUE(bulk.chain_ok);
  EXPECT_EQ(bulk.integrity, "ok\n");
  EXPECT_EQ(bulk.indexes, reference.indexes);
  EXPECT_NE(bulk.indexes.find("accounts_by_structure_nom"), std::string::npos);
  EXPECT_NE(bulk.indexes.find("account_counts_insert"), std::string::npos);
}

TEST_F(BulkApplyTest, AnAddressRepeatedAfterAccountsWentToTheStoreStartsOverAsTheRowByRowPath) {
  // Row 1,402 repeats row 3's address: by then more than PlanRepository::kStreamBatch
  // new accounts were written by the writer thread; the import starts over (both
  // rows rejected) in a fresh transaction and must leave what the row-by-row path
  // leaves.
  std::vector<std::string> first;
  for (int i = 0; i < 1500; ++i) {
    first.push_back(MedRow("q" + std::to_string(i == 1400 ? 1 : i) + "@chu.fr", "Nom", "Prénom"));
  }
  first.push_back(OrgRow("secretariat@chu.fr", "q2@chu.fr;q1499@chu.fr"));
  History reference = Run(true, first, {MedRow("q2@chu.fr", "Autre", "Prénom")});
  ASSERT_FALSE(reference.tables.empty());
  FreshWorld bulk_world;
  History bulk = bulk_world.Run(false, first, {MedRow("q2@chu.fr", "Autre", "Prénom")});
  EXPECT_TRUE(bulk.reports == reference.reports) << FirstDifference(bulk.reports, reference.reports);
  EXPECT_NE(bulk.reports.find("duplicate_address"), std::string::npos);
  EXPECT_EQ(FirstDifference(bulk.tables, reference.tables), "");
  EXPECT_TRUE(bulk.chain_ok);
  EXPECT_EQ(bulk.integrity, "ok\n");
  EXPECT_EQ(bulk.indexes, reference.indexes);
}

TEST_F(BulkApplyTest, AStoreFailureOnTheWriterThreadStopsTheImportAndWritesNothing) {
  // The store refuses one trail entry, then one account, each written by the
  // writer thread while the rows are still being planned (the first 1,024 of
  // each go to it before the 1,500 rows are all planned), as a full disk would:
  // the import fails with the store's error and the database is as before.
  std::vector<std::string> lines;
  for (int i = 0; i < 1500; ++i) {
    lines.push_back(MedRow("f" + std::to_string(i) + "@chu.fr", "Nom", "Prénom"));
  }
  std::string path = WriteCsv("f.csv", lines);
  auto exec = [&](const std::string& sql) {
    auto tx = *db_->Begin(storage::TxMode::kWrite);
    ASSERT_OK(store_sqlite::SqliteTx::ConnOf(*tx).Exec(sql));
    ASSERT_OK(tx->Commit());
  };
  for (const char* trigger :
       {"CREATE TRIGGER refuse_one BEFORE INSERT ON audit WHEN NEW.detail LIKE "
        "'%\"f500@chu.fr\"%' BEGIN SELECT RAISE(ABORT, 'disque plein'); END",
        "CREATE TRIGGER refuse_one BEFORE INSERT ON accounts WHEN NEW.address = "
        "'f700@chu.fr' BEGIN SELECT RAISE(ABORT, 'disque plein'); END"}) {
    exec(trigger);
    std::string before = DumpTables(*db_);
    Result<ImportReport> r = Import(path);
    ASSERT_FALSE(r.ok()) << trigger;
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("disque plein")) << trigger;
    EXPECT_EQ(DumpTables(*db_), before) << trigger;
    EXPECT_EQ(Column(*db_, "PRAGMA integrity_check"), "ok\n");
    exec("DROP TRIGGER refuse_one");
  }
  ASSERT_OK_AND_ASSIGN(ImportReport again, Import(path));
  EXPECT_EQ(again.created, 1500);
}

TEST_F(BulkApplyTest, AKillOnceThePlanIsWrittenButNotCommittedLeavesTheDatabaseAsBefore) {
  // Enough rows for trail entries to be appended while the rows are planned; the
  // child is killed when the plan is written, before the commit.
  std::vector<std::string> lines;
  for (int i = 0; i < 1200; ++i) {
    lines.push_back(MedRow("k" + std::to_string(i) + "@chu.fr", "Nom", "Prénom"));
  }
  for (int i = 0; i < 300; ++i) {
    lines.push_back(OrgRow("s" + std::to_string(i) + "@chu.fr",
                           "k" + std::to_string(i) + "@chu.fr;k" + std::to_string(i + 1) + "@chu.fr"));
  }
  std::string path = WriteCsv("big.csv", lines);
  std::string before = DumpTables(*db_);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    store_sqlite::Options o;
    o.path = dir_.File("caduce.db");
    auto db = std::move(*store_sqlite::SqliteDatabase::Open(o));
    store_sqlite::SqliteDirectoryRepository repo;
    store_sqlite::SqliteAuditRepository audit_repo;
    audit::AuditLog log(audit_repo, SystemClock::Get());
    directory::DirectoryService service(*db, repo, log, ref_, SystemClock::Get());
    ImportOptions opts;
    opts.structure_id = hospital_.id;
    int writing = 0;
    opts.progress = [&writing](const Progress& p) {
      if (p.phase == Progress::Phase::kWriting && ++writing == 2) kill(getpid(), SIGKILL);
    };
    (void)ImportAccounts(service, Actor::CommandLine(), path, opts);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(DumpTables(*db_), before);
  // And the database still works: the same import goes through.
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path));
  EXPECT_EQ(r.created, 1500);
  EXPECT_EQ(r.rights_granted, 600);
}

// The search terms a bulk import writes (the address, "prénom nom", "nom
// prénom") find each account by the start of its address, its name, its first
// name, or both in either order, accents and case aside; an update of an account
// a former store indexed under its name and first name alone too leaves none of
// its old terms behind.
TEST_F(BulkApplyTest, BulkImportedAccountsAreFoundByNameFirstNameAndAddress) {
  std::vector<std::string> rows;
  for (int i = 0; i < 1100; ++i) {
    rows.push_back(MedRow("m" + std::to_string(i) + "@chu.fr", i == 7 ? "Hérault" : "Durand",
                          i == 7 ? "Élodie" : "Paul"));
  }
  rows.push_back(OrgRow("accueil@chu.fr", "m7@chu.fr"));
  ASSERT_OK(Import(WriteCsv("a.csv", rows)).status());
  auto addresses = [&](std::string_view prefix) {
    std::vector<std::string> out;
    Result<std::vector<Account>> found = service_->Search(op_, prefix, false);
    EXPECT_TRUE(found.ok()) << found.status().message();
    if (found.ok()) {
      for (const Account& a : *found) out.push_back(a.address());
    }
    return out;
  };
  for (std::string_view q : {"hera", "HÉRAULT", "elo", "élodie h", "herault elodie", "m7@"}) {
    EXPECT_THAT(addresses(q), ::testing::ElementsAre("m7@chu.fr")) << q;
  }
  EXPECT_THAT(addresses("accueil"), ::testing::ElementsAre("accueil@chu.fr"));
  EXPECT_THAT(addresses("durand paul"), ::testing::SizeIs(50));
  EXPECT_THAT(addresses("herault paul"), ::testing::IsEmpty());
  EXPECT_THAT(addresses("'; drop"), ::testing::IsEmpty());
  EXPECT_EQ(Column(*db_, "SELECT count(*) FROM account_search"),
            std::to_string(1100 * 3 + 1) + "\n");

  // m7 as a former store left it: its name and first name are terms of their own.
  Result<Account> m7 = service_->GetAccountByAddress(op_, "m7@chu.fr");
  ASSERT_OK(m7.status());
  {
    auto tx = *db_->Begin(storage::TxMode::kWrite);
    ASSERT_OK(store_sqlite::SqliteTx::ConnOf(*tx).Exec(
        "INSERT INTO account_search (term, account_id, structure_id, visible, nominative) "
        "SELECT t, " + std::to_string(m7->id) + ", " + std::to_string(hospital_.id) +
        ", 0, 1 FROM (SELECT 'herault' AS t UNION ALL SELECT 'elodie')"));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK(Import(WriteCsv("b.csv", {MedRow("m7@chu.fr", "Roux", "Léa")})).status());
  EXPECT_THAT(addresses("hera"), ::testing::IsEmpty());
  EXPECT_THAT(addresses("elo"), ::testing::IsEmpty());
  EXPECT_THAT(addresses("roux"), ::testing::ElementsAre("m7@chu.fr"));
  EXPECT_THAT(addresses("lea r"), ::testing::ElementsAre("m7@chu.fr"));
  EXPECT_EQ(Column(*db_, "SELECT count(*) FROM account_search WHERE account_id = " +
                             std::to_string(m7->id)),
            "3\n");
}

}  // namespace
}  // namespace caduce::import_export
