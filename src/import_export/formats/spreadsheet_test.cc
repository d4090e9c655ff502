#include "import_export/formats/spreadsheet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "import_export/formats/csv_writer.h"
#include "import_export/formats/test_util.h"
#include "import_export/formats/xlsx_writer.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::import_export {
namespace {

using ::caduce::testing::StatusIs;
using test::ReadAll;
using test::Texts;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kNeither[] =
    "Ce fichier n'est ni un classeur Excel (.xlsx, .xls) ni un fichier CSV.";

TEST(SniffFormatTest, Table) {
  struct Case {
    std::string head;
    std::optional<SpreadsheetFormat> want;
  };
  const Case cases[] = {
      {std::string("PK\x03\x04\x14\x00", 6), SpreadsheetFormat::kXlsx},
      {std::string("PK\x05\x06\x00\x00", 6), SpreadsheetFormat::kXlsx},
      {std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00", 9), SpreadsheetFormat::kXls},
      {"NOM;Prénom\r\nDUPONT;Jean\r\n", SpreadsheetFormat::kCsv},
      {"\xEF\xBB\xBFNOM;Pr\xE9nom\n", SpreadsheetFormat::kCsv},  // Windows-1252 is text too
      {"a\tb\tc\n", SpreadsheetFormat::kCsv},
      {std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), std::nullopt},
      {std::string("%PDF-1.7\n\x01\x02", 11), std::nullopt},
      {std::string("\xFF\xFEN\0O\0M\0", 8), std::nullopt},  // UTF-16
      {std::string("PK\x03", 3), std::nullopt},             // too short for ZIP, not text
  };
  for (const auto& c : cases) {
    Result<SpreadsheetFormat> got = SniffFormat(c.head);
    if (c.want) {
      ASSERT_OK(got);
      EXPECT_EQ(*got, *c.want) << c.head;
    } else {
      EXPECT_THAT(got, StatusIs(Code::kInvalidArgument, kNeither)) << c.head;
    }
  }
  EXPECT_THAT(SniffFormat(""), StatusIs(Code::kInvalidArgument, "Le fichier est vide."));
}

TEST(OpenSpreadsheetTest, ContentDecidesNotTheExtension) {
  caduce::testing::TempDir dir;
  // An XLSX named .csv.
  {
    ASSERT_OK_AND_ASSIGN(auto w, XlsxWriter::Create(dir.File("export.csv"), "Comptes"));
    ASSERT_OK(w->SetColumns({"NOM", "CP"}, {}));
    ASSERT_OK(w->WriteRow(std::vector<std::string>{"DUPRÉ", "01000"}));
    ASSERT_OK(w->Close());
  }
  ASSERT_OK_AND_ASSIGN(auto reader, OpenSpreadsheet(dir.File("export.csv"), {}));
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  EXPECT_THAT(Texts(rows[1]), ElementsAre("DUPRÉ", "01000"));

  // A CSV named .xlsx.
  {
    ASSERT_OK_AND_ASSIGN(auto w, CsvWriter::Create(dir.File("export.xlsx")));
    ASSERT_OK(w->WriteRow(std::vector<std::string>{"NOM", "CP"}));
    ASSERT_OK(w->WriteRow(std::vector<std::string>{"DUPRÉ", "01000"}));
    ASSERT_OK(w->Close());
  }
  ASSERT_OK_AND_ASSIGN(reader, OpenSpreadsheet(dir.File("export.xlsx"), {}));
  ASSERT_OK_AND_ASSIGN(rows, ReadAll(*reader));
  EXPECT_THAT(Texts(rows[1]), ElementsAre("DUPRÉ", "01000"));
}

TEST(OpenSpreadsheetTest, RefusesWhatIsNotASpreadsheet) {
  caduce::testing::TempDir dir;
  test::WriteFile(dir.File("image.xlsx"), std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  EXPECT_THAT(OpenSpreadsheet(dir.File("image.xlsx"), {}),
              StatusIs(Code::kInvalidArgument, kNeither));
  std::string random;
  for (int i = 0; i < 4096; ++i) random.push_back(static_cast<char>((i * 7919 + 13) % 256));
  test::WriteFile(dir.File("random.csv"), random);
  EXPECT_THAT(OpenSpreadsheet(dir.File("random.csv"), {}),
              StatusIs(Code::kInvalidArgument, kNeither));
  test::WriteFile(dir.File("empty.csv"), "");
  EXPECT_THAT(OpenSpreadsheet(dir.File("empty.csv"), {}),
              StatusIs(Code::kInvalidArgument, "Le fichier est vide."));
  // A ZIP that is not a workbook.
  ASSERT_TRUE(test::WriteZip(dir.File("doc.xlsx"), {{"word/document.xml", "<w/>"}}));
  EXPECT_THAT(OpenSpreadsheet(dir.File("doc.xlsx"), {}),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("Le fichier n'est pas un classeur Excel valide (.xlsx)")));
  EXPECT_THAT(OpenSpreadsheet(dir.File("absent.xlsx"), {}), StatusIs(Code::kNotFound));
}

}  // namespace
}  // namespace caduce::import_export
