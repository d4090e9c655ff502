// Interoperability of the account import and export with files that other programs
// write and read, each run for real over a SQLite file: LibreOffice (an
// administrator's CSV converted to .xlsx and .xls, our exports opened and saved
// again as CSV and as .xlsx), exceljs (numbers where text was expected, date and
// boolean cells, rich text, formulas with a cached result, another column order)
// and openpyxl (what it sees in our export: frozen header, drop-down lists, text
// cells; a 2,000-row workbook in random order). Every tool is the real one; when one
// fails, the test fails with its output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "import_export/exporter.h"
#include "import_export/formats/spreadsheet.h"
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
using directory::Field;
using directory::FieldIndex;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;

// The helper scripts of tests/interop (the exceljs package is installed there).
constexpr char kInteropDir[] = CADUCE_INTEROP_DIR;
// Debian's interpreter, which has python3-openpyxl (`python3` on PATH may not).
constexpr char kPython[] = "/usr/bin/python3";

// A file of tests/interop.
std::string InteropFile(const std::string& name) { return std::string(kInteropDir) + "/" + name; }

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  std::FILE* p = popen(("(" + command + ") 2>&1").c_str(), "r");
  if (p == nullptr) {
    r.output = "popen failed";
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

::testing::AssertionResult Succeeds(const std::string& command) {
  CommandResult r = RunCommand(command);
  if (r.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "`" << command << "` exited with " << r.exit_code << ":\n"
                                       << r.output;
}

// Every row of the first sheet as our reader gives it, each padded to `width` cells.
std::vector<std::vector<Cell>> ReadRows(const std::string& path, size_t width) {
  std::vector<std::vector<Cell>> rows;
  auto reader = OpenSpreadsheet(path, ReadLimits{});
  EXPECT_TRUE(reader.ok()) << path << ": " << reader.status().ToString();
  if (!reader.ok()) return rows;
  for (;;) {
    auto row = (*reader)->Next();
    EXPECT_TRUE(row.ok()) << path << ": " << row.status().ToString();
    if (!row.ok() || !row->has_value()) break;
    std::vector<Cell> cells = std::move((*row)->cells);
    if (cells.size() < width) cells.resize(width);
    rows.push_back(std::move(cells));
  }
  return rows;
}

// One account of a fixture file: its values by field.
using Values = std::map<Field, std::string>;

// A CSV as an administrator writes it: ';', every column of FIELDS.md in order,
// quotes only where RFC 4180 needs them, CRLF, UTF-8 without byte order mark.
void WriteAccountsCsv(const std::string& path, const std::vector<Values>& accounts) {
  auto field = [](const std::string& v) {
    if (v.find_first_of(";\"\r\n") == std::string::npos) return v;
    std::string q = "\"";
    for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::ofstream out(path, std::ios::binary);
  for (size_t i = 0; i < directory::FieldTable().size(); ++i) {
    out << (i ? ";" : "") << directory::FieldTable()[i].header;
  }
  out << "\r\n";
  for (const Values& a : accounts) {
    for (size_t i = 0; i < directory::FieldTable().size(); ++i) {
      auto it = a.find(directory::FieldTable()[i].field);
      out << (i ? ";" : "") << (it == a.end() ? "" : field(it->second));
    }
    out << "\r\n";
  }
}

// The five account types with an accent in every free-text field, digits with leading
// zeros, a date, and an ORG row naming persons of later rows.
std::vector<Values> AdministratorAccounts() {
  return {
      {{Field::kType, "ORG"},
       {Field::kAddress, "secretariat.cardio@chu-toulouse.fr"},
       {Field::kRaisonSociale, "CHU de Toulouse – Hôpital Rangueil"},
       {Field::kService, "Cardiologie pédiatrique"},
       {Field::kAdresse1, "1 avenue du Professeur Jean Poulhès"},
       {Field::kAdresse2, "Bâtiment H3, 2ᵉ étage"},
       {Field::kCp, "31400"},
       {Field::kVille, "Toulouse Cédex 4"},
       {Field::kDepartement, "31"},
       {Field::kRegion, "Occitanie"},
       {Field::kTelephone1, "05 61 32 25 33"},
       {Field::kTypeIdStructure, "3"},
       {Field::kIdStructure, "73282932000074"},
       {Field::kAdresseRetour, "retours@chu-toulouse.fr"},
       {Field::kNomResp, "Lefèvre"},
       {Field::kPrenomResp, "Anaïs"},
       {Field::kProfessionResp, "Cadre de santé"},
       {Field::kIdentifiantResp, "poste 4521 – bureau d'Ève"},
       {Field::kDescription, "Secrétariat de cardiologie pédiatrique"},
       {Field::kMssAddress, "secretariat.cardio"},
       {Field::kDatePeremption, "2031-12-31"},
       {Field::kAlias, "cardio.pediatrie@chu-toulouse.fr"},
       {Field::kConnectionAccounts,
        "eloise.durand@chu-toulouse.fr;luc.martin@chu-toulouse.fr;julie.bernard@chu-toulouse.fr"}},
      {{Field::kType, "APP"},
       {Field::kAddress, "resultats.labo@chu-toulouse.fr"},
       {Field::kRaisonSociale, "Laboratoire Garonne – Biologie médicale"},
       {Field::kService, "Biochimie générale"},
       {Field::kAdresse1, "5 allée Jean Jaurès"},
       {Field::kAdresse2, "Entrée côté rivière"},
       {Field::kCp, "30000"},
       {Field::kVille, "Nîmes"},
       {Field::kDepartement, "30 - Gard"},
       {Field::kRegion, "76"},
       {Field::kTypeIdStructure, "2"},
       {Field::kIdStructure, "552100554"},
       {Field::kNomResp, "Durand-Ségur"},
       {Field::kPrenomResp, "Zoé"},
       {Field::kProfessionResp, "Biologiste médicale"},
       {Field::kIdentifiantResp, "informatique – équipe réseau"},
       {Field::kDescription, "Résultats du laboratoire"},
       {Field::kConnectionAccounts, "julie.bernard@chu-toulouse.fr"}},
      {{Field::kType, "PER"},
       {Field::kAddress, "eloise.durand@chu-toulouse.fr"},
       {Field::kNom, "Durand-Hérault"},
       {Field::kPrenom, "Éloïse"},
       {Field::kRpps, "10001234565"},
       {Field::kAdeli, "011234567"},
       {Field::kRaisonSociale, "Clinique Saint-Éloi"},
       {Field::kService, "Néphrologie"},
       {Field::kAdresse1, "12 rue de l'Hôtel-Dieu"},
       {Field::kAdresse2, "Pavillon Bérénice"},
       {Field::kCp, "01110"},
       {Field::kVille, "Hauteville-Lompnès"},
       {Field::kDepartement, "01"},
       {Field::kRegion, "84 - Auvergne-Rhône-Alpes"},
       {Field::kTelephone1, "0474000000"},
       {Field::kTelephone2, "06 12 34 56 78"},
       {Field::kProfession, "Médecin"},
       {Field::kSpecialite, "SM04"},
       {Field::kActiviteLiberale, "OUI"},
       {Field::kMssAddress, "eloise.durand"},
       {Field::kApicryptAddress, "e.durand"},
       {Field::kApicryptSpecialite, "Néphrologie générale"},
       {Field::kDatePeremption, "2030-06-30"}},
      {{Field::kType, "INT"},
       {Field::kAddress, "luc.martin@chu-toulouse.fr"},
       {Field::kNom, "Martin-Lœuvre"},
       {Field::kPrenom, "Luc-Aimé"},
       {Field::kRaisonSociale, "Association Âge & Santé"},
       {Field::kService, "Coordination à domicile"},
       {Field::kAdresse1, "3 place Saint-Étienne"},
       {Field::kAdresse2, "Résidence Les Érables"},
       {Field::kCp, "24000"},
       {Field::kVille, "Périgueux"},
       {Field::kDepartement, "Dordogne"},
       {Field::kRegion, "Nouvelle-Aquitaine"},
       {Field::kTelephone1, "05.53.00.00.00"},
       {Field::kProfession, "300"},
       {Field::kDiplome, "Diplôme d'État d'assistant de service social"},
       {Field::kActiviteLiberale, "NON"},
       {Field::kTypeIdStructure, "1"},
       {Field::kIdStructure, "310780382"},
       {Field::kApicryptAddress, "l.martin"},
       {Field::kApicryptSpecialite, "Service social hospitalier"}},
      {{Field::kType, "MED"},
       {Field::kAddress, "julie.bernard@chu-toulouse.fr"},
       {Field::kNom, "Bernard-Ségur"},
       {Field::kPrenom, "Julie-Anaëlle"},
       {Field::kRaisonSociale, "Cabinet médical Pasteur"},
       {Field::kService, "Accueil général"},
       {Field::kAdresse1, "7 chemin des Crêtes"},
       {Field::kAdresse2, "Rez-de-chaussée, côté cour"},
       {Field::kCp, "01300"},
       {Field::kVille, "Belley-Écluse"},
       {Field::kDepartement, "01 - Ain"},
       {Field::kRegion, "Auvergne-Rhône-Alpes"},
       {Field::kTelephone1, "+41221234567"},
       {Field::kTelephone2, "+33 4 79 81 00 00"},
       {Field::kProfession, "Secrétaire médical"},
       {Field::kActiviteLiberale, "non"},
       {Field::kApicryptAddress, "j.bernard"},
       {Field::kApicryptSpecialite, "Secrétariat médical général"},
       {Field::kDatePeremption, "2029-02-28"}},
  };
}

// Values a spreadsheet takes for a formula or a sign when they come unguarded.
Values FormulaLikeAccount() {
  return {{Field::kType, "MED"},
          {Field::kAddress, "formule@chu-toulouse.fr"},
          {Field::kNom, "=HYPERLINK(\"http://exemple.fr\";\"clic\")"},
          {Field::kPrenom, "-Zoé"},
          {Field::kRaisonSociale, "+CHU"},
          {Field::kService, "@SIDEPE"},
          {Field::kAdresse1, "1 rue A"},
          {Field::kAdresse2, "=1+1"},
          {Field::kCp, "01000"},
          {Field::kVille, "Bourg-en-Bresse"},
          {Field::kDepartement, "01"},
          {Field::kRegion, "84"},
          {Field::kTelephone1, "0612345678"},
          {Field::kTelephone2, "+41 22 123 45 67"},
          {Field::kProfession, "Secrétaire médical"},
          {Field::kActiviteLiberale, "NON"}};
}

// A caduce directory over its own SQLite file, with one structure.
class Directory {
 public:
  explicit Directory(const std::string& db_path) {
    store_sqlite::Options o;
    o.path = db_path;
    db_ = std::move(*store_sqlite::SqliteDatabase::Open(o));
    ref_ = std::move(*directory::ReferenceData::Load(caduce::testing::DataDir()));
    audit_ = std::make_unique<audit::AuditLog>(audit_repo_, clock_);
    service_ = std::make_unique<directory::DirectoryService>(*db_, repo_, *audit_, ref_, clock_);
    std::vector<directory::Finding> findings;
    directory::Structure s;
    s.name = "CHU de Toulouse";
    hospital_ = *service_->CreateStructure(op_, s, &findings);
  }

  Result<ImportReport> Import(const std::string& path, ImportOptions options = {}) {
    if (options.structure_id == 0) options.structure_id = hospital_.id;
    return ImportAccounts(*service_, op_, path, options);
  }

  Result<ExportStats> Export(const std::string& path, ExportFormat format) {
    ExportOptions eo;
    eo.format = format;
    return ExportAccounts(*service_, op_, path, eo);
  }

  Account Get(const std::string& address) {
    auto a = service_->GetAccountByAddress(op_, address);
    EXPECT_TRUE(a.ok()) << address << ": " << a.status().ToString();
    return a.ok() ? *a : Account{};
  }

  std::vector<std::string> PersonsOf(const std::string& mailbox) {
    std::vector<std::string> out;
    auto m = service_->GetAccountByAddress(op_, mailbox);
    if (!m.ok()) return out;
    for (const Account& a : *service_->PersonsWithRight(op_, m->id)) out.push_back(a.address());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<Account> All() {
    std::vector<Account> out;
    directory::AccountFilter f;
    for (;;) {
      auto page = service_->ListAccounts(op_, f);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) break;
      f.after_id = page->back().id;
      for (Account& a : *page) out.push_back(std::move(a));
    }
    return out;
  }

  // Every account as one line: type, structure, each stored field, and for a shared
  // mailbox the persons it grants; sorted by address. Two directories holding the
  // same accounts give the same snapshot.
  std::vector<std::string> Snapshot() {
    std::vector<std::string> lines;
    for (const Account& a : All()) {
      std::string line = std::string(directory::AccountTypeCode(a.type)) + " structure " +
                         (a.structure_id == hospital_.id ? "hospital" : "other");
      for (const auto& s : directory::FieldTable()) {
        line += " | " + std::string(s.header) + "=" + a.get(s.field);
      }
      if (directory::IsSharedMailbox(a.type)) {
        line += " | rights=";
        for (const std::string& p : PersonsOf(a.address())) line += p + ";";
      }
      lines.push_back(a.address() + " " + line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  directory::DirectoryService& service() { return *service_; }
  const directory::ReferenceData& reference() const { return ref_; }

 private:
  caduce::testing::FakeClock clock_;
  std::unique_ptr<store_sqlite::SqliteDatabase> db_;
  store_sqlite::SqliteDirectoryRepository repo_;
  store_sqlite::SqliteAuditRepository audit_repo_;
  directory::ReferenceData ref_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<directory::DirectoryService> service_;
  Actor op_ = Actor::CommandLine();
  directory::Structure hospital_;
};

// What an administrator reads in a report: the counts, and each row's result with
// the codes of its findings.
std::vector<std::string> Outcome(const ImportReport& r) {
  std::vector<std::string> out = {"rows " + std::to_string(r.rows),
                                  "created " + std::to_string(r.created),
                                  "updated " + std::to_string(r.updated),
                                  "unchanged " + std::to_string(r.unchanged),
                                  "rejected " + std::to_string(r.rejected),
                                  "granted " + std::to_string(r.rights_granted),
                                  "revoked " + std::to_string(r.rights_revoked),
                                  "warnings " + std::to_string(r.warnings)};
  for (const FileFinding& f : r.file_findings) out.push_back("file " + f.code);
  for (const RowReport& row : r.rows_report) {
    std::string line = "row " + std::to_string(row.row) + " " + row.address + " " +
                       std::string(RowActionLabel(row.action));
    for (const directory::Finding& f : row.findings) {
      line += " " + std::string(directory::Spec(f.field).header) + ":" + f.code;
    }
    out.push_back(line);
  }
  return out;
}

class InteropTest : public ::testing::Test {
 protected:
  // One LibreOffice profile (and HOME) for the whole run: creating a profile is the
  // slow part of LibreOffice's start-up.
  static void SetUpTestSuite() { office_home_ = new caduce::testing::TempDir(); }
  static void TearDownTestSuite() {
    delete office_home_;
    office_home_ = nullptr;
  }

  InteropTest() : directory_(dir_.File("caduce.db")) {}

  std::string Mkdir(const std::string& name) {
    std::string path = dir_.File(name);
    std::filesystem::create_directories(path);
    return path;
  }

  // Runs `soffice --convert-to convert_to` on `inputs` into `outdir` (batched in one
  // start-up), with `infilter` for CSV inputs, and checks each output exists.
  ::testing::AssertionResult Soffice(const std::string& convert_to,
                                     const std::vector<std::string>& inputs,
                                     const std::string& outdir, const std::string& infilter = "") {
    const std::string& home = office_home_->path();
    std::string command = "HOME=" + ShellQuote(home) +
                          " timeout 120 soffice --headless --norestore --nolockcheck"
                          " -env:UserInstallation=" +
                          ShellQuote("file://" + home + "/lo");
    if (!infilter.empty()) command += " --infilter=" + ShellQuote(infilter);
    command += " --convert-to " + ShellQuote(convert_to) + " --outdir " + ShellQuote(outdir);
    for (const std::string& in : inputs) command += " " + ShellQuote(in);
    CommandResult r = RunCommand(command);
    std::string ext = convert_to.substr(0, convert_to.find(':'));
    for (const std::string& in : inputs) {
      std::string out = outdir + "/" + std::filesystem::path(in).stem().string() + "." + ext;
      if (r.exit_code != 0 || !std::filesystem::exists(out)) {
        return ::testing::AssertionFailure() << "LibreOffice did not write " << out << " (exit "
                                             << r.exit_code << "): `" << command << "`\n"
                                             << r.output;
      }
    }
    return ::testing::AssertionSuccess();
  }

  // Imports the administrator's accounts, plus the formula-like one.
  void Populate() {
    std::vector<Values> accounts = AdministratorAccounts();
    accounts.push_back(FormulaLikeAccount());
    std::string csv = dir_.File("populate.csv");
    WriteAccountsCsv(csv, accounts);
    ASSERT_OK_AND_ASSIGN(ImportReport r, directory_.Import(csv));
    ASSERT_EQ(r.created, 6) << ReportJson(r);
    ASSERT_EQ(r.rejected, 0) << ReportJson(r);
    ASSERT_EQ(r.rights_granted, 4) << ReportJson(r);
  }

  static caduce::testing::TempDir* office_home_;
  caduce::testing::TempDir dir_;
  Directory directory_;
};

caduce::testing::TempDir* InteropTest::office_home_ = nullptr;

// The CSV filter: ';', '"', UTF-8, from line 1; the phone columns read as text
// (format 2), since LibreOffice takes "+41221234567" for a number and drops its '+'.
std::string CsvInFilter() {
  return "CSV:59,34,76,1," + std::to_string(FieldIndex(Field::kTelephone1) + 1) + "/2/" +
         std::to_string(FieldIndex(Field::kTelephone2) + 1) + "/2";
}

// The same filter with every one of the export's columns read as text, as an
// administrator does in LibreOffice's text import dialog.
std::string CsvAllTextInFilter() {
  std::string formats;
  for (size_t i = 1; i <= ExportHeaders().size(); ++i) {
    formats += (i > 1 ? "/" : "") + std::to_string(i) + "/2";
  }
  return "CSV:59,34,76,1," + formats;
}

// CSV output: ';', '"', UTF-8, text cells not all quoted, values as shown.
constexpr char kCsvOut[] = "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false,false";

TEST_F(InteropTest, LibreOfficeXlsxAndXlsOfAnAdministratorsCsvImportLikeTheCsv) {
  std::string csv = dir_.File("comptes.csv");
  WriteAccountsCsv(csv, AdministratorAccounts());
  std::string out = Mkdir("lo");
  ASSERT_TRUE(Soffice("xlsx", {csv}, out, CsvInFilter()));
  ASSERT_TRUE(Soffice("xls", {csv}, out, CsvInFilter()));

  // The CSV itself: every row created, the ORG row granting persons of later rows.
  ASSERT_OK_AND_ASSIGN(ImportReport from_csv, directory_.Import(csv));
  EXPECT_EQ(from_csv.created, 5) << ReportJson(from_csv);
  EXPECT_EQ(from_csv.rejected, 0) << ReportJson(from_csv);
  EXPECT_EQ(from_csv.rights_granted, 4) << ReportJson(from_csv);
  EXPECT_THAT(
      directory_.PersonsOf("secretariat.cardio@chu-toulouse.fr"),
      ::testing::ElementsAre("eloise.durand@chu-toulouse.fr", "julie.bernard@chu-toulouse.fr",
                             "luc.martin@chu-toulouse.fr"));
  Account per = directory_.Get("eloise.durand@chu-toulouse.fr");
  EXPECT_EQ(per.get(Field::kNom), "DURAND-HÉRAULT");
  EXPECT_EQ(per.get(Field::kPrenom), "Éloïse");
  EXPECT_EQ(per.get(Field::kCp), "01110");
  EXPECT_EQ(per.get(Field::kAdeli), "011234567");
  EXPECT_EQ(per.get(Field::kDepartement), "01");
  EXPECT_EQ(per.get(Field::kTelephone1), "0474000000");
  EXPECT_EQ(per.get(Field::kDatePeremption), "2030-06-30");
  EXPECT_EQ(directory_.Get("julie.bernard@chu-toulouse.fr").get(Field::kTelephone1),
            "+41221234567");
  EXPECT_EQ(directory_.Get("luc.martin@chu-toulouse.fr").get(Field::kVille), "PÉRIGUEUX");
  std::vector<std::string> expected_outcome = Outcome(from_csv);
  std::vector<std::string> expected_snapshot = directory_.Snapshot();

  // LibreOffice's workbooks, each into a directory of its own: the same report, the
  // same stored accounts.
  for (const std::string& ext : std::vector<std::string>{"xlsx", "xls"}) {
    SCOPED_TRACE(ext);
    std::string workbook = out + "/comptes." + ext;
    ASSERT_OK_AND_ASSIGN(SpreadsheetFormat format, [&]() -> Result<SpreadsheetFormat> {
      std::ifstream in(workbook, std::ios::binary);
      std::string head(8192, '\0');
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      head.resize(static_cast<size_t>(in.gcount()));
      return SniffFormat(head);
    }());
    EXPECT_EQ(format, ext == "xlsx" ? SpreadsheetFormat::kXlsx : SpreadsheetFormat::kXls);
    Directory other(dir_.File(ext + ".db"));
    ASSERT_OK_AND_ASSIGN(ImportReport r, other.Import(workbook));
    EXPECT_THAT(Outcome(r), ElementsAreArray(expected_outcome)) << ReportJson(r);
    EXPECT_THAT(other.Snapshot(), ElementsAreArray(expected_snapshot));
    // And imported over the CSV's directory, it changes nothing.
    ASSERT_OK_AND_ASSIGN(ImportReport again, directory_.Import(workbook));
    EXPECT_EQ(again.unchanged, 5) << ReportJson(again);
    EXPECT_EQ(again.rights_granted + again.rights_revoked, 0) << ReportJson(again);
  }
}

TEST_F(InteropTest, LibreOfficeReadsOurXlsxAndCsvExportsAsCaduceStoresThem) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  std::string xlsx = dir_.File("export_x.xlsx");
  std::string csv = dir_.File("export_c.csv");
  ASSERT_OK(directory_.Export(xlsx, ExportFormat::kXlsx).status());
  ASSERT_OK(directory_.Export(csv, ExportFormat::kCsv).status());
  std::string out = Mkdir("lo");
  ASSERT_TRUE(Soffice(kCsvOut, {xlsx}, out));
  ASSERT_TRUE(Soffice(kCsvOut, {csv}, out, CsvAllTextInFilter()));

  const std::vector<std::string> headers = ExportHeaders();
  for (const auto& [ours, theirs] : std::vector<std::pair<std::string, std::string>>{
           {xlsx, out + "/export_x.csv"}, {csv, out + "/export_c.csv"}}) {
    SCOPED_TRACE(ours);
    std::vector<std::vector<Cell>> expected = ReadRows(ours, headers.size());
    std::vector<std::vector<Cell>> seen = ReadRows(theirs, headers.size());
    ASSERT_EQ(expected.size(), 7u);
    ASSERT_EQ(seen.size(), expected.size());
    for (size_t r = 0; r < expected.size(); ++r) {
      ASSERT_EQ(seen[r].size(), expected[r].size()) << "row " << r + 1;
      for (size_t c = 0; c < expected[r].size(); ++c) {
        EXPECT_EQ(seen[r][c].text, expected[r][c].text)
            << "row " << r + 1 << ", column " << headers[c];
      }
    }
    // The export's values are the stored ones, and LibreOffice kept them: zeros,
    // signs, and formula-like text as text.
    std::map<std::string, const std::vector<Cell>*> by_address;
    for (const auto& row : seen) by_address[row[FieldIndex(Field::kAddress)].text] = &row;
    for (const std::string& address :
         {std::string("formule@chu-toulouse.fr"), std::string("eloise.durand@chu-toulouse.fr"),
          std::string("julie.bernard@chu-toulouse.fr")}) {
      ASSERT_TRUE(by_address.count(address)) << address;
      const std::vector<Cell>& row = *by_address[address];
      Account stored = directory_.Get(address);
      for (Field f : {Field::kNom, Field::kPrenom, Field::kRaisonSociale, Field::kService,
                      Field::kAdresse2, Field::kCp, Field::kTelephone1, Field::kTelephone2,
                      Field::kAdeli, Field::kRpps, Field::kDatePeremption}) {
        EXPECT_EQ(row[FieldIndex(f)].text, stored.get(f))
            << address << ", " << directory::Spec(f).header;
      }
    }
    const std::vector<Cell>& formula = *by_address["formule@chu-toulouse.fr"];
    EXPECT_EQ(formula[FieldIndex(Field::kNom)].text, "=HYPERLINK(\"HTTP://EXEMPLE.FR\";\"CLIC\")");
    EXPECT_EQ(formula[FieldIndex(Field::kAdresse2)].text, "=1+1");
    EXPECT_EQ(formula[FieldIndex(Field::kCp)].text, "01000");
    EXPECT_EQ(formula[FieldIndex(Field::kTelephone1)].text, "0612345678");
    EXPECT_EQ(formula[FieldIndex(Field::kTelephone2)].text, "+41221234567");
    EXPECT_EQ(formula[FieldIndex(Field::kService)].text, "@SIDEPE");
  }
}

TEST_F(InteropTest, OurExportSavedAgainByLibreOfficeImportsWithoutAnyChange) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  std::string xlsx = dir_.File("export.xlsx");
  ASSERT_OK(directory_.Export(xlsx, ExportFormat::kXlsx).status());
  std::string out = Mkdir("lo");
  ASSERT_TRUE(Soffice("xlsx", {xlsx}, out));
  std::vector<std::string> before = directory_.Snapshot();
  ASSERT_OK_AND_ASSIGN(ImportReport r, directory_.Import(out + "/export.xlsx"));
  EXPECT_EQ(r.rows, 6);
  EXPECT_EQ(r.created, 0) << ReportJson(r);
  EXPECT_EQ(r.updated, 0) << ReportJson(r);
  EXPECT_EQ(r.rejected, 0) << ReportJson(r);
  EXPECT_EQ(r.unchanged, 6) << ReportJson(r);
  EXPECT_EQ(r.rights_granted, 0);
  EXPECT_EQ(r.rights_revoked, 0);
  EXPECT_TRUE(r.file_findings.empty()) << ReportJson(r);
  EXPECT_THAT(directory_.Snapshot(), ElementsAreArray(before));
}

// The CSV export opened in LibreOffice (every column as text, so that the zeros stay)
// and saved as .xlsx: the same accounts, so the import changes nothing either.
TEST_F(InteropTest, OurCsvExportSavedAsXlsxByLibreOfficeImportsWithoutAnyChange) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  std::string csv = dir_.File("export.csv");
  ASSERT_OK(directory_.Export(csv, ExportFormat::kCsv).status());
  std::string out = Mkdir("lo");
  ASSERT_TRUE(Soffice("xlsx", {csv}, out, CsvAllTextInFilter()));
  std::vector<std::string> before = directory_.Snapshot();
  ASSERT_OK_AND_ASSIGN(ImportReport r, directory_.Import(out + "/export.xlsx"));
  EXPECT_EQ(r.rows, 6);
  EXPECT_EQ(r.created, 0) << ReportJson(r);
  EXPECT_EQ(r.updated, 0) << ReportJson(r);
  EXPECT_EQ(r.rejected, 0) << ReportJson(r);
  EXPECT_EQ(r.unchanged, 6) << ReportJson(r);
  EXPECT_EQ(r.rights_granted + r.rights_revoked, 0);
  for (const RowReport& row : r.rows_report) {
    EXPECT_EQ(row.action, RowAction::kUnchanged)
        << "row " << row.row << " " << row.address << ": " << RowActionLabel(row.action)
        << (row.findings.empty()
                ? ""
                : " [" + row.findings.front().code + "] " + row.findings.front().message);
  }
  // The guarded cells of the CSV ('=1+1, '+41...) come back as the stored values.
  Account formula = directory_.Get("formule@chu-toulouse.fr");
  EXPECT_EQ(formula.get(Field::kAdresse2), "=1+1");
  EXPECT_EQ(formula.get(Field::kService), "@SIDEPE");
  EXPECT_EQ(formula.get(Field::kTelephone2), "+41221234567");
  EXPECT_EQ(directory_.Get("julie.bernard@chu-toulouse.fr").get(Field::kTelephone1),
            "+41221234567");
  EXPECT_THAT(directory_.Snapshot(), ElementsAreArray(before));
}

TEST_F(InteropTest, ExceljsWorkbookWithNumbersDatesBooleansRichTextAndFormulas) {
  std::string path = dir_.File("exceljs.xlsx");
  ASSERT_TRUE(Succeeds("cd " + ShellQuote(kInteropDir) +
                       " && NODE_PATH=" + ShellQuote(InteropFile("node_modules")) + " node " +
                       ShellQuote(InteropFile("make_exceljs.js")) + " " + ShellQuote(path)));
  ASSERT_OK_AND_ASSIGN(ImportReport r, directory_.Import(path));
  EXPECT_EQ(r.rows, 3);
  EXPECT_EQ(r.created, 3) << ReportJson(r);
  EXPECT_EQ(r.rejected, 0) << ReportJson(r);
  EXPECT_EQ(r.rights_granted, 2) << ReportJson(r);
  EXPECT_TRUE(r.file_findings.empty()) << ReportJson(r);

  Account med = directory_.Get("marie.dupont@chu.fr");
  EXPECT_EQ(med.get(Field::kNom), "DUPONT");           // the cached result, not UPPER("dupont")
  EXPECT_EQ(med.get(Field::kPrenom), "Marie-Hélène");  // three runs of rich text
  EXPECT_EQ(med.get(Field::kCp), "01000");
  EXPECT_EQ(med.get(Field::kDepartement), "01");
  EXPECT_EQ(med.get(Field::kRegion), "84");
  EXPECT_EQ(med.get(Field::kTelephone1), "0612345678");
  EXPECT_EQ(med.get(Field::kActiviteLiberale), "NON");  // boolean false
  EXPECT_EQ(med.get(Field::kDatePeremption), "2031-03-31");
  EXPECT_EQ(med.get(Field::kVille), "BOURG-EN-BRESSE");

  Account per = directory_.Get("eloise.durand@chu.fr");
  EXPECT_EQ(per.get(Field::kNom), "DURAND");
  EXPECT_EQ(per.get(Field::kCp), "31000");  // a formula's numeric result
  EXPECT_EQ(per.get(Field::kRpps), "10001234565");
  EXPECT_EQ(per.get(Field::kTelephone1), "0561000000");
  EXPECT_EQ(per.get(Field::kActiviteLiberale), "OUI");  // boolean true
  EXPECT_EQ(per.get(Field::kDatePeremption), "2030-01-15");

  Account org = directory_.Get("secretariat@chu.fr");
  EXPECT_EQ(org.get(Field::kTypeIdStructure), "3");
  EXPECT_EQ(org.get(Field::kIdStructure), "73282932000074");
  EXPECT_EQ(org.get(Field::kDescription), "Secrétariat de cardiologie");
  EXPECT_THAT(directory_.PersonsOf("secretariat@chu.fr"),
              ::testing::ElementsAre("eloise.durand@chu.fr", "marie.dupont@chu.fr"));
  for (const Account& a : directory_.All()) {
    for (const auto& s : directory::FieldTable()) {
      EXPECT_THAT(a.get(s.field), Not(HasSubstr("(\""))) << s.header;  // no formula text
    }
  }
}

TEST_F(InteropTest, OpenpyxlSeesAFrozenHeaderDropDownListsAndOnlyTextCells) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  std::string xlsx = dir_.File("export.xlsx");
  ASSERT_OK(directory_.Export(xlsx, ExportFormat::kXlsx).status());
  CommandResult r =
      RunCommand(std::string(kPython) + " " + ShellQuote(InteropFile("read_export_openpyxl.py")) +
                 " " + ShellQuote(xlsx));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  auto unescape = [](const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        char c = s[++i];
        out += c == 't' ? '\t' : c == 'n' ? '\n' : c;
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::vector<std::string> sheets;
  std::string freeze;
  std::map<std::string, std::string> validations;  // sqref → type
  // (row, column) → (data type, value), 1-based as openpyxl gives them.
  std::map<std::pair<int, int>, std::pair<std::string, std::string>> cells;
  std::istringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::istringstream parts(line);
    std::string part;
    while (std::getline(parts, part, '\t')) f.push_back(unescape(part));
    if (f.empty()) continue;
    if (f[0] == "sheet" && f.size() == 3) {
      sheets.push_back(f[1] + " " + f[2]);
    } else if (f[0] == "freeze" && f.size() == 2) {
      freeze = f[1];
    } else if (f[0] == "validation" && f.size() >= 3) {
      for (std::istringstream ranges(f[2]); std::getline(ranges, part, ' ');) {
        validations[part] = f[1];
      }
    } else if (f[0] == "cell" && f.size() == 5) {
      cells[{std::stoi(f[1]), std::stoi(f[2])}] = {f[3], f[4]};
    } else {
      ADD_FAILURE() << "unexpected line from openpyxl: " << line;
    }
  }

  EXPECT_THAT(sheets, ::testing::ElementsAre("Comptes visible", "Listes hidden"));
  EXPECT_EQ(freeze, "A2");
  for (Field f :
       {Field::kType, Field::kDepartement, Field::kRegion, Field::kProfession, Field::kSpecialite,
        Field::kActiviteLiberale, Field::kTypeIdStructure, Field::kCiviliteExercice}) {
    std::string column = ColumnName(static_cast<int32_t>(FieldIndex(f)));
    std::string range = column + "2:" + column + "1048576";
    ASSERT_TRUE(validations.count(range))
        << directory::Spec(f).header << ": no drop-down on " << range;
    EXPECT_EQ(validations[range], "list") << directory::Spec(f).header;
  }
  EXPECT_EQ(validations.size(), 8u);

  // Every cell is a string, the header row included; the values are the stored ones.
  std::map<int, std::string> address_of_row;
  for (const auto& [at, cell] : cells) {
    EXPECT_EQ(cell.first, "s") << "row " << at.first << ", column " << at.second << ": "
                               << cell.second;
    if (at.second == static_cast<int>(FieldIndex(Field::kAddress)) + 1) {
      address_of_row[at.first] = cell.second;
    }
  }
  ASSERT_EQ(address_of_row.size(), 7u);  // the header and six accounts
  auto cell_of = [&](const std::string& address, Field f) -> std::pair<std::string, std::string> {
    for (const auto& [row, a] : address_of_row) {
      if (a != address) continue;
      auto it = cells.find({row, static_cast<int>(FieldIndex(f)) + 1});
      return it == cells.end() ? std::pair<std::string, std::string>() : it->second;
    }
    return {};
  };
  EXPECT_EQ(
      cell_of("formule@chu-toulouse.fr", Field::kNom),
      std::make_pair(std::string("s"), std::string("=HYPERLINK(\"HTTP://EXEMPLE.FR\";\"CLIC\")")));
  EXPECT_EQ(cell_of("formule@chu-toulouse.fr", Field::kAdresse2),
            std::make_pair(std::string("s"), std::string("=1+1")));
  EXPECT_EQ(cell_of("formule@chu-toulouse.fr", Field::kCp),
            std::make_pair(std::string("s"), std::string("01000")));
  EXPECT_EQ(cell_of("formule@chu-toulouse.fr", Field::kTelephone1),
            std::make_pair(std::string("s"), std::string("0612345678")));
  EXPECT_EQ(cell_of("eloise.durand@chu-toulouse.fr", Field::kRpps),
            std::make_pair(std::string("s"), std::string("10001234565")));
  EXPECT_EQ(cell_of("eloise.durand@chu-toulouse.fr", Field::kAdeli),
            std::make_pair(std::string("s"), std::string("011234567")));
  EXPECT_EQ(cell_of("eloise.durand@chu-toulouse.fr", Field::kDepartement),
            std::make_pair(std::string("s"), std::string("01 - Ain")));
}

TEST_F(InteropTest, OpenpyxlTwoThousandRowsInRandomOrderImportInOnePass) {
  std::string xlsx = dir_.File("big.xlsx");
  std::string expected_path = dir_.File("expected.tsv");
  ASSERT_TRUE(Succeeds(std::string(kPython) + " " +
                       ShellQuote(InteropFile("make_accounts_openpyxl.py")) + " " +
                       ShellQuote(xlsx) + " " + ShellQuote(expected_path) + " 2000"));
  std::map<std::string, std::vector<std::string>> expected;
  int64_t expected_rights = 0;
  {
    std::ifstream in(expected_path);
    std::string line;
    while (std::getline(in, line)) {
      size_t tab = line.find('\t');
      ASSERT_NE(tab, std::string::npos) << line;
      std::vector<std::string>& persons = expected[line.substr(0, tab)];
      std::istringstream list(line.substr(tab + 1));
      for (std::string p; std::getline(list, p, ';');) persons.push_back(p);
      expected_rights += static_cast<int64_t>(persons.size());
    }
  }
  ASSERT_EQ(expected.size(), 400u);

  ASSERT_OK_AND_ASSIGN(ImportReport r, directory_.Import(xlsx));
  EXPECT_EQ(r.rows, 2000);
  EXPECT_EQ(r.created, 2000);
  EXPECT_EQ(r.rejected, 0) << ReportSummary(r);
  EXPECT_EQ(r.rights_granted, expected_rights);
  EXPECT_TRUE(r.applied);
  // The first data row is a shared mailbox naming persons of later rows.
  ASSERT_FALSE(r.rows_report.empty());
  EXPECT_EQ(r.rows_report.front().row, 2);
  EXPECT_TRUE(expected.count(r.rows_report.front().address)) << r.rows_report.front().address;
  for (const RowReport& row : r.rows_report) {
    if (row.action == RowAction::kRejected) {
      ADD_FAILURE() << "row " << row.row << " " << row.address << ": "
                    << (row.findings.empty() ? "" : row.findings.front().message);
    }
  }
  int64_t granted = 0;
  for (const auto& [mailbox, persons] : expected) {
    std::vector<std::string> seen = directory_.PersonsOf(mailbox);
    EXPECT_THAT(seen, ElementsAreArray(persons)) << mailbox;
    granted += static_cast<int64_t>(seen.size());
  }
  EXPECT_EQ(granted, expected_rights);
  // Numbers in digit columns got their form back.
  Account int0 = directory_.Get("p0001.int@chu-toulouse.fr");  // text cells
  Account per2 = directory_.Get("p0002.per@chu-toulouse.fr");  // numeric cells
  EXPECT_EQ(int0.get(Field::kIdStructure), "310780382");
  EXPECT_EQ(per2.get(Field::kCp), "31300");
  EXPECT_EQ(per2.get(Field::kDepartement), "31");
  EXPECT_EQ(per2.get(Field::kTelephone1), "0561000002");
  EXPECT_EQ(per2.get(Field::kDatePeremption), "2031-03-01");
  EXPECT_EQ(per2.get(Field::kNom), "LEFÈVRE-2");
}

}  // namespace
}  // namespace caduce::import_export
