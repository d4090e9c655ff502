// The export over a real SQLite file, read back with the import's own readers:
// every account in order across the batches the export hands from the database
// thread to the writing thread, ORG rows with their connection accounts, texts a
// spreadsheet could take for formulas kept as text, and an unwritable path.
#include "import_export/exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "import_export/formats/spreadsheet.h"
#include "import_export/importer.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::import_export {
namespace {

using ::caduce::testing::StatusIs;
using directory::Actor;
using directory::Field;
using directory::FieldIndex;
using ::testing::HasSubstr;

constexpr int kPersons = 2500;  // more rows than the batches in flight hold
constexpr int kOrgs = 300;

std::string Person(int i) { return "personne" + std::to_string(i) + "@chu.fr"; }

class ExporterTest : public ::testing::Test {
 protected:
  ExporterTest() {
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
  }

  // Imports the accounts the tests export: kOrgs ORG rows naming three persons
  // each, then kPersons MED rows, some with texts that start like formulas.
  void ImportAccounts() {
    std::vector<std::string> header = ExportHeaders();
    header.pop_back();  // "Statut" is informative only
    std::string csv;
    auto line = [&](const std::vector<std::string>& cells) {
      for (size_t i = 0; i < cells.size(); ++i) {
        if (i) csv += ';';
        csv += "\"" + cells[i] + "\"";
      }
      csv += "\r\n";
    };
    line(header);
    std::vector<std::string> row(header.size());
    auto common = [&] {
      std::fill(row.begin(), row.end(), "");
      row[FieldIndex(Field::kRaisonSociale)] = "CHU";
      row[FieldIndex(Field::kAdresse1)] = "1 rue A";
      row[FieldIndex(Field::kCp)] = "01000";  // a leading zero to keep
      row[FieldIndex(Field::kVille)] = "Bourg";
      row[FieldIndex(Field::kDepartement)] = "01";
      row[FieldIndex(Field::kRegion)] = "84";
    };
    for (int i = 0; i < kOrgs; ++i) {
      common();
      row[FieldIndex(Field::kType)] = "ORG";
      row[FieldIndex(Field::kAddress)] = "service" + std::to_string(i) + "@chu.fr";
      row[FieldIndex(Field::kTypeIdStructure)] = "2";
      row[FieldIndex(Field::kIdStructure)] = "310001235";
      row[FieldIndex(Field::kNomResp)] = "Durand";
      row[FieldIndex(Field::kPrenomResp)] = "Paul";
      row[FieldIndex(Field::kProfessionResp)] = "Cadre";
      row[FieldIndex(Field::kIdentifiantResp)] = "poste 12";
      row[FieldIndex(Field::kDescription)] = i % 2 ? "=1+1" : "Accueil";
      row[FieldIndex(Field::kConnectionAccounts)] =
          Person(3 * i + 2) + ";" + Person(3 * i) + ";" + Person(3 * i + 1);
      line(row);
    }
    for (int i = 0; i < kPersons; ++i) {
      common();
      row[FieldIndex(Field::kType)] = "MED";
      row[FieldIndex(Field::kAddress)] = Person(i);
      row[FieldIndex(Field::kNom)] = "Dupont";
      row[FieldIndex(Field::kPrenom)] = "Zoé";
      row[FieldIndex(Field::kProfession)] = "Secrétaire médical";
      row[FieldIndex(Field::kActiviteLiberale)] = "NON";
      line(row);
    }
    std::string path = dir_.File("comptes.csv");
    std::ofstream(path, std::ios::binary) << csv;
    ImportOptions io;
    io.structure_id = hospital_.id;
    auto r = import_export::ImportAccounts(*service_, op_, path, io);
    ASSERT_OK(r);
    ASSERT_EQ(r->created, kOrgs + kPersons) << r->rejected;
  }

  // The rows of an exported file, read back as the import reads them.
  std::vector<std::vector<std::string>> ReadBack(const std::string& path) {
    std::vector<std::vector<std::string>> out;
    auto reader = OpenSpreadsheet(path, ReadLimits{});
    EXPECT_OK(reader);
    if (!reader.ok()) return out;
    while (true) {
      auto row = (*reader)->Next();
      EXPECT_OK(row);
      if (!row.ok() || !*row) break;
      std::vector<std::string> texts;
      for (const Cell& c : (*row)->cells) texts.push_back(c.text);
      texts.resize(ExportHeaders().size());
      out.push_back(std::move(texts));
    }
    return out;
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
  directory::Structure hospital_;
};

TEST_F(ExporterTest, EveryAccountInOrderWithConnectionAccountsInBothFormats) {
  ImportAccounts();
  for (ExportFormat format : {ExportFormat::kXlsx, ExportFormat::kCsv}) {
    std::string out = dir_.File(format == ExportFormat::kXlsx ? "export.xlsx" : "export.csv");
    ExportOptions eo;
    eo.format = format;
    ASSERT_OK_AND_ASSIGN(ExportStats st, ExportAccounts(*service_, op_, out, eo));
    EXPECT_EQ(st.accounts, kOrgs + kPersons);
    std::vector<std::vector<std::string>> rows = ReadBack(out);
    ASSERT_EQ(rows.size(), 1u + kOrgs + kPersons);
    EXPECT_EQ(rows[0], ExportHeaders());
    const size_t address = FieldIndex(Field::kAddress);
    std::map<std::string, const std::vector<std::string>*> by_address;
    std::vector<int> person_order;
    for (size_t k = 1; k < rows.size(); ++k) {
      ASSERT_TRUE(by_address.emplace(rows[k][address], &rows[k]).second) << rows[k][address];
      if (rows[k][address].starts_with("personne")) {
        person_order.push_back(std::stoi(rows[k][address].substr(8)));
      }
    }
    // In the order the accounts were created, whichever batch carried them.
    ASSERT_EQ(person_order.size(), static_cast<size_t>(kPersons));
    EXPECT_TRUE(std::is_sorted(person_order.begin(), person_order.end()));
    for (int i = 0; i < kOrgs; ++i) {
      auto it = by_address.find("service" + std::to_string(i) + "@chu.fr");
      ASSERT_NE(it, by_address.end()) << i;
      const auto& r = *it->second;
      // Sorted, separated by ';'.
      std::vector<std::string> persons = {Person(3 * i), Person(3 * i + 1), Person(3 * i + 2)};
      std::sort(persons.begin(), persons.end());
      ASSERT_EQ(r[FieldIndex(Field::kConnectionAccounts)],
                persons[0] + ";" + persons[1] + ";" + persons[2]);
      ASSERT_EQ(r[FieldIndex(Field::kDescription)], i % 2 ? "=1+1" : "Accueil");
      ASSERT_EQ(r[FieldIndex(Field::kStructure)], "CHU de Toulouse");
    }
    for (int i = 0; i < kPersons; ++i) {
      const auto& r = *by_address.at(Person(i));
      ASSERT_EQ(r[FieldIndex(Field::kType)], "MED");
      ASSERT_EQ(r[FieldIndex(Field::kCp)], "01000");
      ASSERT_EQ(r[FieldIndex(Field::kConnectionAccounts)], "");
      ASSERT_EQ(r.back(), "en attente d'activation");
    }
  }
}

TEST_F(ExporterTest, FormulaLikeTextsAreStringCells) {
  ImportAccounts();
  std::string out = dir_.File("export.xlsx");
  ASSERT_OK(ExportAccounts(*service_, op_, out, ExportOptions{}));
  // What a spreadsheet evaluates is an <f> element; the export writes none.
  std::string unzip = "unzip -p '" + out + "' xl/worksheets/sheet1.xml > '" + out + ".xml'";
  ASSERT_EQ(std::system(unzip.c_str()), 0);
  std::ifstream in(out + ".xml", std::ios::binary);
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(xml, HasSubstr("<t>=1+1</t>"));
  EXPECT_EQ(xml.find("<f>"), std::string::npos);
  EXPECT_EQ(xml.find("<f "), std::string::npos);
}

TEST_F(ExporterTest, UnwritablePathIsNamed) {
  EXPECT_THAT(ExportAccounts(*service_, op_, dir_.File("absent/x.xlsx"), ExportOptions{}),
              StatusIs(Code::kUnavailable, HasSubstr("Impossible de créer le fichier")));
}

}  // namespace
}  // namespace caduce::import_export
