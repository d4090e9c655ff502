// Checks FieldTable() against data/fields.csv, the machine-readable copy of
// FIELDS.md, row by row, so that the table and the document cannot drift apart.
#include "directory/fields.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace caduce::directory {
namespace {

// fields.csv has no quoted field: a plain split is enough here.
std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) out.push_back(cell);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

std::vector<std::vector<std::string>> ReadFieldsCsv() {
  std::ifstream in(caduce::testing::DataDir() + "/fields.csv");
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) rows.push_back(SplitCsvLine(line));
  }
  return rows;
}

// The CSV marks footnotes on the letter: O1, OSC2, OSC3, F4 are conditional (their
// footnote decides); O5 is plain mandatory for ORG (footnote 5 only says "at least
// one address", which an empty list already fails).
Requirement FromCsv(const std::string& cell) {
  if (cell == "O" || cell == "O5") return Requirement::kMandatory;
  if (cell == "O1" || cell == "OSC2" || cell == "OSC3" || cell == "F4") {
    return Requirement::kConditional;
  }
  if (cell == "R") return Requirement::kRecommended;
  if (cell == "F") return Requirement::kOptional;
  if (cell == "NC") return Requirement::kNotConcerned;
  ADD_FAILURE() << "unknown requirement in fields.csv: " << cell;
  return Requirement::kOptional;
}

FieldKind KindFromCsv(const std::string& cell) {
  if (cell == "list") return FieldKind::kList;
  if (cell == "address") return FieldKind::kAddress;
  if (cell == "text") return FieldKind::kText;
  if (cell == "digits") return FieldKind::kDigits;
  if (cell == "phone") return FieldKind::kPhone;
  if (cell == "yesno") return FieldKind::kYesNo;
  if (cell == "localpart") return FieldKind::kLocalPart;
  if (cell == "date") return FieldKind::kDate;
  if (cell == "addresses") return FieldKind::kAddresses;
  ADD_FAILURE() << "unknown kind in fields.csv: " << cell;
  return FieldKind::kText;
}

TEST(FieldsTest, TableMatchesFieldsCsvRowByRow) {
  auto rows = ReadFieldsCsv();
  ASSERT_EQ(rows.size(), 1u + kNumFields) << "fields.csv: a header and one row per field";
  EXPECT_EQ(rows[0], (std::vector<std::string>{"index", "header", "kind", "PER", "INT", "MED",
                                               "ORG", "APP", "note"}));
  for (int i = 0; i < kNumFields; ++i) {
    const auto& row = rows[i + 1];
    ASSERT_GE(row.size(), 8u) << "fields.csv row " << i;
    const FieldSpec& spec = FieldTable()[i];
    SCOPED_TRACE("field " + std::to_string(i) + " " + std::string(spec.header));
    EXPECT_EQ(std::stoi(row[0]), i);
    EXPECT_EQ(static_cast<int>(spec.field), i);
    EXPECT_EQ(spec.header, row[1]);
    EXPECT_EQ(spec.kind, KindFromCsv(row[2]));
    for (int t = 0; t < kNumAccountTypes; ++t) {
      EXPECT_EQ(spec.requirement[t], FromCsv(row[3 + t]))
          << "type " << AccountTypeCode(static_cast<AccountType>(t));
    }
  }
}

TEST(FieldsTest, KeysAreUniqueSnakeCaseAscii) {
  for (const FieldSpec& a : FieldTable()) {
    for (char c : a.key) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << a.key;
    }
    EXPECT_EQ(FieldByKey(a.key), a.field);
    for (const FieldSpec& b : FieldTable()) {
      if (a.field != b.field) {
        EXPECT_NE(a.key, b.key);
      }
    }
  }
}

TEST(FieldsTest, FieldByHeaderMatchesExactHeaders) {
  for (const FieldSpec& spec : FieldTable()) {
    EXPECT_EQ(FieldByHeader(spec.header), spec.field) << spec.header;
  }
}

TEST(FieldsTest, FieldByHeaderIgnoresCaseAccentsPunctuationAndSpaces) {
  EXPECT_EQ(FieldByHeader("prenom"), Field::kPrenom);
  EXPECT_EQ(FieldByHeader("PRÉNOM"), Field::kPrenom);
  EXPECT_EQ(FieldByHeader("Téléphone 1"), Field::kTelephone1);
  EXPECT_EQ(FieldByHeader("TELEPHONE (1)"), Field::kTelephone1);
  EXPECT_EQ(FieldByHeader("  telephone   (2) "), Field::kTelephone2);
  EXPECT_EQ(FieldByHeader("Departement"), Field::kDepartement);
  EXPECT_EQ(FieldByHeader("compte(s) de connexion"), Field::kConnectionAccounts);
  EXPECT_EQ(FieldByHeader("Comptes de connexion"), std::nullopt);
  EXPECT_EQ(FieldByHeader("mssante adresse"), Field::kMssAddress);
  EXPECT_EQ(FieldByHeader("telephone_1"), Field::kTelephone1);  // the stable key
}

TEST(FieldsTest, FieldByHeaderRejectsUnknownColumns) {
  EXPECT_EQ(FieldByHeader("Statut"), std::nullopt);  // export-only column
  EXPECT_EQ(FieldByHeader(""), std::nullopt);
  EXPECT_EQ(FieldByHeader("Adresse"), std::nullopt);
}

TEST(FieldsTest, AccountTypesRoundTrip) {
  for (int t = 0; t < kNumAccountTypes; ++t) {
    auto type = static_cast<AccountType>(t);
    EXPECT_EQ(ParseAccountType(AccountTypeCode(type)), type);
  }
  EXPECT_EQ(ParseAccountType(" per "), AccountType::kPer);
  EXPECT_EQ(ParseAccountType("CAB"), std::nullopt);
  EXPECT_TRUE(IsNominative(AccountType::kMed));
  EXPECT_TRUE(IsSharedMailbox(AccountType::kApp));
}

}  // namespace
}  // namespace caduce::directory
