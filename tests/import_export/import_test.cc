// The account import and export over a real SQLite file: one-pass resolution of
// "Compte(s) de connexion", duplicates, dry run, all-or-nothing, the round trip,
// files written by openpyxl (numbers where text was expected, date cells, an empty
// middle row, columns in another order), the audit trail, and a kill in the middle.
#include "import_export/importer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "import_export/exporter.h"
#include "import_export/formats/spreadsheet.h"
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
using directory::Field;
using ::caduce::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const char* kHeader =
    "Type de compte;Adresse mail;NOM;Prénom;RPPS;ADELI;Raison Sociale;Adresse (1);CP;VILLE;"
    "Département;Région;Profession;Spécialité;Activité libérale;Type identifiant structure resp;"
    "Identifiant structure resp;Nom resp;Prénom resp;Profession resp;Identifiant resp;"
    "Description fonctionnelle;Civilité exercice;Date de péremption;Compte(s) de connexion;"
    "Structure";

std::string PerRow(const std::string& address, const std::string& nom,
                   const std::string& prenom) {
  return "PER;" + address + ";" + nom + ";" + prenom +
         ";10001234565;;CHU;1 rue A;31000;Toulouse;31;Occitanie;Médecin;SM04;NON;;;;;;;;;;;";
}
std::string MedRow(const std::string& address, const std::string& nom,
                   const std::string& prenom) {
  return "MED;" + address + ";" + nom + ";" + prenom +
         ";;;CHU;1 rue A;31000;Toulouse;31;Occitanie;Secrétaire médical;;NON;;;;;;;;;;;";
}
std::string OrgRow(const std::string& address, const std::string& persons,
                   const std::string& structure = "") {
  return "ORG;" + address +
         ";;;;;CHU;1 rue A;31000;Toulouse;31;Occitanie;;;;2;310001235;Durand;Paul;Cadre;"
         "poste 12;Secrétariat;;;\"" +
         persons + "\";" + structure;
}

class ImportTest : public ::testing::Test {
 protected:
  ImportTest() {
    store_sqlite::Options o;
    o.path = dir_.File("caduce.db");
    db_ = std::move(*store_sqlite::SqliteDatabase::Open(o));
    ref_ = std::move(*directory::ReferenceData::Load(caduce::testing::DataDir()));
    audit_ = std::make_unique<audit::AuditLog>(audit_repo_, clock_);
    service_ = std::make_unique<directory::DirectoryService>(*db_, repo_, *audit_, ref_, clock_);
    std::vector<directory::Finding> findings;
    directory::Structure s;
    s.name = "CHU de Toulouse";
    hospital_ = *service_->CreateStructure(op_, s, &findings);
    s.name = "Clinique du Parc";
    clinic_ = *service_->CreateStructure(op_, s, &findings);
  }

  std::string WriteCsv(const std::string& name, const std::vector<std::string>& lines) {
    std::string path = dir_.File(name);
    std::ofstream out(path, std::ios::binary);
    for (const auto& l : lines) out << l << "\r\n";
    return path;
  }

  Result<ImportReport> Import(const std::string& path, ImportOptions options = {},
                              const Actor* actor = nullptr) {
    if (options.structure_id == 0) options.structure_id = hospital_.id;
    return ImportAccounts(*service_, actor ? *actor : op_, path, options);
  }

  int64_t Count() {
    auto all = service_->ListAccounts(op_, directory::AccountFilter{});
    return all.ok() ? static_cast<int64_t>(all->size()) : -1;
  }
  size_t TrailSize(const std::string& prefix = "") {
    auto tx = db_->Begin(storage::TxMode::kRead);
    audit::Filter f;
    f.limit = 100000;
    if (!prefix.empty()) f.action_prefix = prefix;
    return (*audit_->Query(**tx, f)).size();
  }
  std::vector<std::string> PersonsOf(const std::string& mailbox) {
    auto m = service_->GetAccountByAddress(op_, mailbox);
    std::vector<std::string> out;
    if (!m.ok()) return out;
    for (const Account& a : *service_->PersonsWithRight(op_, m->id)) out.push_back(a.address());
    return out;
  }
  const RowReport* RowOf(const ImportReport& r, int64_t row) {
    for (const auto& rr : r.rows_report) {
      if (rr.row == row) return &rr;
    }
    return nullptr;
  }

  // Runs a Python script with Debian's python3 (python3-openpyxl is a dependency).
  void Python(const std::string& script) {
    std::string file = dir_.File("make_fixture.py");
    std::ofstream(file) << script;
    int rc = std::system(("/usr/bin/python3 '" + file + "'").c_str());
    ASSERT_EQ(rc, 0) << script;
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

TEST_F(ImportTest, OrgRowMayNamePersonsCreatedLaterInTheSameFile) {
  std::string path = WriteCsv(
      "a.csv", {kHeader, OrgRow("secretariat@chu.fr", "marie@chu.fr;paul@chu.fr"),
                MedRow("marie@chu.fr", "Dupont", "Marie"), PerRow("paul@chu.fr", "Durand", "Paul")});
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path));
  EXPECT_EQ(r.created, 3);
  EXPECT_EQ(r.rejected, 0);
  EXPECT_EQ(r.rights_granted, 2);
  EXPECT_TRUE(r.applied);
  EXPECT_THAT(PersonsOf("secretariat@chu.fr"),
              ::testing::UnorderedElementsAre("marie@chu.fr", "paul@chu.fr"));
}

TEST_F(ImportTest, TwoRowsWithTheSameAddressAreBothRejected) {
  std::string path = WriteCsv("a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"),
                                        MedRow("paul@chu.fr", "Durand", "Paul"),
                                        MedRow("MARIE@chu.fr", "Dupond", "Marie")});
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path));
  EXPECT_EQ(r.created, 1);
  EXPECT_EQ(r.rejected, 2);
  const RowReport* row2 = RowOf(r, 2);
  ASSERT_NE(row2, nullptr);
  ASSERT_THAT(row2->findings, SizeIs(1));
  EXPECT_EQ(row2->findings[0].code, "duplicate_address");
  EXPECT_THAT(row2->findings[0].message, HasSubstr("2 et 4"));
}

TEST_F(ImportTest, RejectedRowsAreSkippedAndReportedWithRowColumnAndFix) {
  std::string bad = MedRow("bad@chu.fr", "X", "Y");
  bad.replace(bad.find("31000"), 5, "3100");
  std::string path = WriteCsv("a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"), bad});
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path));
  EXPECT_EQ(r.created, 1);
  EXPECT_EQ(r.rejected, 1);
  const RowReport* row3 = RowOf(r, 3);
  ASSERT_NE(row3, nullptr);
  EXPECT_EQ(row3->action, RowAction::kRejected);
  ASSERT_FALSE(row3->findings.empty());
  EXPECT_EQ(row3->findings[0].field, Field::kCp);
  EXPECT_THAT(row3->findings[0].message, HasSubstr("« CP »"));
  EXPECT_THAT(service_->GetAccountByAddress(op_, "bad@chu.fr"), StatusIs(Code::kNotFound));
}

TEST_F(ImportTest, DryRunWritesNothingAndPlansWhatTheImportDoes) {
  std::string path = WriteCsv(
      "a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"),
                OrgRow("secretariat@chu.fr", "marie@chu.fr")});
  size_t trail = TrailSize();
  ImportOptions dry;
  dry.dry_run = true;
  ASSERT_OK_AND_ASSIGN(ImportReport plan, Import(path, dry));
  EXPECT_FALSE(plan.applied);
  EXPECT_EQ(Count(), 0);
  EXPECT_EQ(TrailSize(), trail);
  ASSERT_OK_AND_ASSIGN(ImportReport done, Import(path));
  EXPECT_EQ(plan.created, done.created);
  EXPECT_EQ(plan.rights_granted, done.rights_granted);
  EXPECT_EQ(Count(), 2);
}

TEST_F(ImportTest, AllOrNothingAppliesNothingWhenARowIsRejected) {
  std::string path = WriteCsv(
      "a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"), MedRow("", "X", "Y")});
  ImportOptions opts;
  opts.all_or_nothing = true;
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path, opts));
  EXPECT_EQ(r.rejected, 1);
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(Count(), 0);
}

TEST_F(ImportTest, MissingMandatoryColumnStopsBeforeWriting) {
  std::string path = WriteCsv("a.csv", {"Type de compte;Adresse mail;NOM;Prénom",
                                        "MED;marie@chu.fr;Dupont;Marie"});
  EXPECT_THAT(Import(path), StatusIs(Code::kInvalidArgument, HasSubstr("« CP »")));
  EXPECT_EQ(Count(), 0);
}

TEST_F(ImportTest, UnknownColumnIsReportedOnceAndIgnored) {
  std::string header = std::string(kHeader) + ";Couleur préférée";
  std::string path = WriteCsv("a.csv", {header, MedRow("marie@chu.fr", "Dupont", "Marie") + ";bleu",
                                        MedRow("paul@chu.fr", "Durand", "Paul") + ";vert"});
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path));
  ASSERT_THAT(r.file_findings, SizeIs(1));
  EXPECT_THAT(r.file_findings[0].message, HasSubstr("Couleur préférée"));
  EXPECT_EQ(r.created, 2);
}

TEST_F(ImportTest, RowNamingAStructureTheImporterDoesNotAdministerIsRejected) {
  ASSERT_OK_AND_ASSIGN(ImportReport r0, Import(WriteCsv(
      "a0.csv", {kHeader, MedRow("alice@chu.fr", "Admin", "Alice")})));
  ASSERT_EQ(r0.created, 1);
  ASSERT_OK(service_->AddAdministrator(op_, hospital_.id, "alice@chu.fr"));
  ASSERT_OK_AND_ASSIGN(Account alice, service_->GetAccountByAddress(op_, "alice@chu.fr"));
  Actor admin{Actor::Kind::kPerson, alice.id, alice.address(), "192.0.2.1"};
  std::string path = WriteCsv(
      "a.csv", {kHeader, MedRow("x@parc.fr", "X", "Y") + "Clinique du Parc",
                MedRow("y@chu.fr", "Y", "Z")});
  ImportOptions opts;
  opts.structure_id = hospital_.id;
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path, opts, &admin));
  EXPECT_EQ(r.rejected, 1);
  EXPECT_EQ(r.created, 1);
  const RowReport* row2 = RowOf(r, 2);
  ASSERT_NE(row2, nullptr);
  EXPECT_EQ(row2->findings.at(0).code, "structure_unknown");
  EXPECT_THAT(service_->GetAccountByAddress(op_, "x@parc.fr"), StatusIs(Code::kNotFound));
}

TEST_F(ImportTest, ConnectionCellIsTheWholeListAndAbsentColumnLeavesRightsAlone) {
  ASSERT_OK(Import(WriteCsv("a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"),
                                      MedRow("paul@chu.fr", "Durand", "Paul"),
                                      OrgRow("secretariat@chu.fr", "marie@chu.fr;paul@chu.fr")}))
                .status());
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(WriteCsv(
      "b.csv", {kHeader, OrgRow("secretariat@chu.fr", "paul@chu.fr")})));
  EXPECT_EQ(r.rights_revoked, 1);
  EXPECT_EQ(r.updated, 1);
  EXPECT_THAT(PersonsOf("secretariat@chu.fr"), ::testing::ElementsAre("paul@chu.fr"));
  // A file without the column: rights untouched.
  std::string header = kHeader;
  header = header.substr(0, header.find(";Compte(s) de connexion"));
  std::string row = OrgRow("secretariat@chu.fr", "x");
  row = row.substr(0, row.rfind(";x;"));
  ASSERT_OK_AND_ASSIGN(ImportReport r2, Import(WriteCsv("c.csv", {header, row})));
  EXPECT_EQ(r2.rejected, 0) << ReportJson(r2);
  EXPECT_THAT(PersonsOf("secretariat@chu.fr"), ::testing::ElementsAre("paul@chu.fr"));
}

TEST_F(ImportTest, UnknownConnectionAccountRejectsTheOrgRowOnly) {
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(WriteCsv(
      "a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"),
                OrgRow("secretariat@chu.fr", "marie@chu.fr;inconnu@chu.fr")})));
  EXPECT_EQ(r.created, 1);
  EXPECT_EQ(r.rejected, 1);
  EXPECT_EQ(r.rights_granted, 0);
  const RowReport* row3 = RowOf(r, 3);
  ASSERT_NE(row3, nullptr);
  EXPECT_EQ(row3->findings.back().code, "connection_account_unknown");
  EXPECT_THAT(service_->GetAccountByAddress(op_, "secretariat@chu.fr"), StatusIs(Code::kNotFound));
}

TEST_F(ImportTest, NotifyQueuesActivationForCreatedPersonsAndVisibleMarksThem) {
  ImportOptions opts;
  opts.notify = true;
  opts.visible = true;
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(WriteCsv(
      "a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"),
                OrgRow("secretariat@chu.fr", "marie@chu.fr")}), opts));
  EXPECT_EQ(r.notifications_queued, 1);
  auto tx = db_->Begin(storage::TxMode::kRead);
  EXPECT_EQ(*repo_.PendingNotifications(**tx, "activation", 0), 1);
  EXPECT_TRUE(service_->GetAccountByAddress(op_, "marie@chu.fr")->visible_in_directory);
}

TEST_F(ImportTest, ImportAndEachChangeAreInTheAuditTrail) {
  const std::string path = WriteCsv("a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"),
                                              OrgRow("secretariat@chu.fr", "marie@chu.fr")});
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path));
  // The file's SHA-256 as another program computes it.
  std::string expected;
  if (std::FILE* p = popen(("sha256sum '" + path + "'").c_str(), "r")) {
    char line[200] = {};
    if (std::fgets(line, sizeof line, p) != nullptr) expected.assign(line, 64);
    pclose(p);
  }
  EXPECT_EQ(r.sha256, expected);
  EXPECT_EQ(TrailSize("import.applied"), 1u);
  EXPECT_EQ(TrailSize("account.created"), 2u);
  EXPECT_EQ(TrailSize("right.granted"), 1u);
  auto tx = db_->Begin(storage::TxMode::kRead);
  audit::Filter f;
  f.action_prefix = "import.";
  auto entries = *audit_->Query(**tx, f);
  EXPECT_THAT(entries[0].event.detail, HasSubstr(r.sha256));
  EXPECT_THAT(entries[0].event.detail, HasSubstr("\"created\":2"));
  EXPECT_TRUE(audit_->Verify(**tx)->ok);
}

TEST_F(ImportTest, ExportThenImportChangesNothing) {
  ASSERT_OK(Import(WriteCsv("a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"),
                                      PerRow("paul@chu.fr", "Durand-Hérault", "Éloïse"),
                                      OrgRow("secretariat@chu.fr", "marie@chu.fr;paul@chu.fr")}))
                .status());
  for (ExportFormat format : {ExportFormat::kXlsx, ExportFormat::kCsv}) {
    std::string out = dir_.File(format == ExportFormat::kXlsx ? "export.xlsx" : "export.csv");
    ExportOptions eo;
    eo.format = format;
    ASSERT_OK_AND_ASSIGN(ExportStats st, ExportAccounts(*service_, op_, out, eo));
    EXPECT_EQ(st.accounts, 3);
    size_t trail = TrailSize();
    ASSERT_OK_AND_ASSIGN(ImportReport r, Import(out));
    EXPECT_EQ(r.created, 0) << ReportJson(r);
    EXPECT_EQ(r.updated, 0) << ReportJson(r);
    EXPECT_EQ(r.unchanged, 3);
    EXPECT_EQ(r.rights_granted + r.rights_revoked, 0);
    EXPECT_EQ(TrailSize(), trail + 1);  // the import itself, nothing else
  }
}

TEST_F(ImportTest, OpenpyxlFileWithNumbersDatesEmptyRowAndOtherColumnOrder) {
  std::string path = dir_.File("openpyxl.xlsx");
  Python(R"py(
import datetime, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.append(["Adresse mail", "Type de compte", "Prénom", "NOM", "CP", "VILLE", "Département",
           "Région", "Profession", "Activité libérale", "Téléphone (1)", "Date de péremption",
           "Raison Sociale", "Adresse (1)"])
ws.append(["hélène.test@chu.fr", "MED", "Hélène", "Lefèvre-Müller", 1000, "Bourg-en-Bresse", 1,
           "Auvergne-Rhône-Alpes", "Secrétaire médical", "non", 612345678,
           datetime.date(2027, 3, 31), "Hôpital Saint-Éloi", "2 allée des Cèdres"])
ws.append([])
ws.append(["ok@chu.fr", "MED", "Zoé", "Ñúñez", "31000", "Toulouse", "31", "Occitanie",
           "Secrétaire médical", "NON", "05 61 00 00 00", "2027-01-15", "CHU", "1 rue A"])
wb.save(")py" + path + R"py(")
)py");
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path));
  EXPECT_EQ(r.rows, 2);
  // The first row's address has an accent: refused with its row and column.
  const RowReport* row2 = RowOf(r, 2);
  ASSERT_NE(row2, nullptr);
  EXPECT_EQ(row2->action, RowAction::kRejected);
  EXPECT_EQ(row2->findings.at(0).field, Field::kAddress);
  const RowReport* row4 = RowOf(r, 4);
  ASSERT_NE(row4, nullptr);
  EXPECT_EQ(row4->action, RowAction::kCreated) << ReportJson(r);
  // Fix the address and import again: numbers get their zeros back, the date cell is a date.
  Python(R"py(
import openpyxl
wb = openpyxl.load_workbook(")py" + path + R"py(")
wb.active["A2"] = "helene.test@chu.fr"
wb.save(")py" + path + R"py(")
)py");
  ASSERT_OK_AND_ASSIGN(ImportReport r2, Import(path));
  EXPECT_EQ(r2.created, 1) << ReportJson(r2);
  ASSERT_OK_AND_ASSIGN(Account a, service_->GetAccountByAddress(op_, "helene.test@chu.fr"));
  EXPECT_EQ(a.get(Field::kCp), "01000");
  EXPECT_EQ(a.get(Field::kDepartement), "01");
  EXPECT_EQ(a.get(Field::kTelephone1), "0612345678");
  EXPECT_EQ(a.get(Field::kDatePeremption), "2027-03-31");
  EXPECT_EQ(a.get(Field::kNom), "LEFÈVRE-MÜLLER");
  EXPECT_EQ(a.get(Field::kActiviteLiberale), "NON");
}

TEST_F(ImportTest, ReportXlsxListsRejectedRowsFirstAndCanBeImportedAgain) {
  std::string path = WriteCsv("a.csv", {kHeader, MedRow("marie@chu.fr", "Dupont", "Marie"),
                                        MedRow("paul@chu", "Durand", "Paul")});
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path));
  ASSERT_EQ(r.rejected, 1);
  std::string report = dir_.File("report.xlsx");
  ASSERT_OK(WriteReportXlsx(r, report));
  auto reader = OpenSpreadsheet(report, ReadLimits{});
  ASSERT_TRUE(reader.ok());
  auto header = *(*reader)->Next();
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->cells.at(0).text, "Résultat");
  auto first = *(*reader)->Next();
  EXPECT_THAT(first->cells.at(0).text, HasSubstr("ligne 3 : rejeté"));
  EXPECT_THAT(first->cells.at(0).text, HasSubstr("[Adresse mail]"));
  // The report imports as it is: the rejected row is rejected again, nothing else changes.
  ASSERT_OK_AND_ASSIGN(ImportReport again, Import(report));
  EXPECT_EQ(again.rejected, 1);
  EXPECT_EQ(again.unchanged, 1);
  EXPECT_TRUE(again.file_findings.empty());
}

TEST_F(ImportTest, ProgressIsReported) {
  std::vector<std::string> lines = {kHeader};
  for (int i = 0; i < 1200; ++i) {
    lines.push_back(MedRow("p" + std::to_string(i) + "@chu.fr", "Nom", "Prénom"));
  }
  std::vector<Progress> seen;
  ImportOptions opts;
  opts.progress = [&](const Progress& p) { seen.push_back(p); };
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(WriteCsv("a.csv", lines), opts));
  EXPECT_EQ(r.created, 1200);
  ASSERT_GE(seen.size(), 4u);
  EXPECT_EQ(seen.back().phase, Progress::Phase::kDone);
  EXPECT_EQ(seen.back().rows_applied, 1200);
  int64_t last = 0;
  for (const Progress& p : seen) {
    EXPECT_GE(p.rows_applied, last);
    last = p.rows_applied;
  }
}

TEST_F(ImportTest, AKillInTheMiddleLeavesTheDatabaseAsBefore) {
  std::vector<std::string> lines = {kHeader};
  for (int i = 0; i < 3000; ++i) {
    lines.push_back(MedRow("k" + std::to_string(i) + "@chu.fr", "Nom", "Prénom"));
  }
  std::string path = WriteCsv("big.csv", lines);
  size_t trail = TrailSize();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child opens its own connection and is killed once half the rows are applied.
    store_sqlite::Options o;
    o.path = dir_.File("caduce.db");
    auto db = std::move(*store_sqlite::SqliteDatabase::Open(o));
    store_sqlite::SqliteDirectoryRepository repo;
    store_sqlite::SqliteAuditRepository audit_repo;
    audit::AuditLog log(audit_repo, SystemClock::Get());
    directory::DirectoryService service(*db, repo, log, ref_, SystemClock::Get());
    ImportOptions opts;
    opts.structure_id = hospital_.id;
    opts.progress = [](const Progress& p) {
      if (p.rows_applied >= 1500) kill(getpid(), SIGKILL);
    };
    (void)ImportAccounts(service, Actor::CommandLine(), path, opts);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(Count(), 0);
  EXPECT_EQ(TrailSize(), trail);
  // And the database still works.
  ASSERT_OK_AND_ASSIGN(ImportReport r, Import(path));
  EXPECT_EQ(r.created, 3000);
}

TEST_F(ImportTest, AFileThatCannotBeReadIsNamedWithNothingWritten) {
  std::string path = dir_.File("absent.xlsx");
  EXPECT_THAT(Import(path), StatusIs(Code::kInvalidArgument,
                                     HasSubstr("Le fichier « " + path + " » est illisible.")));
  EXPECT_EQ(Count(), 0);
}

TEST_F(ImportTest, NotASpreadsheetIsRefusedWithNothingWritten) {
  std::string path = dir_.File("image.png");
  std::ofstream(path, std::ios::binary) << "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
  EXPECT_THAT(Import(path), StatusIs(Code::kInvalidArgument));
  EXPECT_EQ(Count(), 0);
}

}  // namespace
}  // namespace caduce::import_export
