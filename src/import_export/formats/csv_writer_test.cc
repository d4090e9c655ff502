#include "import_export/formats/csv_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "import_export/formats/csv_reader.h"
#include "import_export/formats/test_util.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::import_export {
namespace {

using ::caduce::testing::StatusIs;
using test::ReadAll;
using test::Texts;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CsvWriterTest, EncodeField) {
  EXPECT_EQ(CsvWriter::EncodeField("abc"), "abc");
  EXPECT_EQ(CsvWriter::EncodeField(""), "");
  EXPECT_EQ(CsvWriter::EncodeField("a;b"), "\"a;b\"");
  EXPECT_EQ(CsvWriter::EncodeField("il dit \"oui\""), "\"il dit \"\"oui\"\"\"");
  EXPECT_EQ(CsvWriter::EncodeField("l1\nl2"), "\"l1\nl2\"");
  EXPECT_EQ(CsvWriter::EncodeField("a,b"), "a,b");
  // CSV injection (OWASP): a leading apostrophe.
  EXPECT_EQ(CsvWriter::EncodeField("=1+1"), "'=1+1");
  EXPECT_EQ(CsvWriter::EncodeField("+33612345678"), "'+33612345678");
  EXPECT_EQ(CsvWriter::EncodeField("-2"), "'-2");
  EXPECT_EQ(CsvWriter::EncodeField("@SIDEPE"), "'@SIDEPE");
  EXPECT_EQ(CsvWriter::EncodeField("\t=1"), "'\t=1");
  EXPECT_EQ(CsvWriter::EncodeField("\r=1"), "\"'\r=1\"");
  EXPECT_EQ(CsvWriter::EncodeField("=SUM(A1;A2)"), "\"'=SUM(A1;A2)\"");
  EXPECT_EQ(CsvWriter::EncodeField("'=x"), "''=x");
  EXPECT_EQ(CsvWriter::EncodeField("''+1"), "'''+1");
  EXPECT_EQ(CsvWriter::EncodeField("'"), "'");
  EXPECT_EQ(CsvWriter::EncodeField("l'école"), "l'école");
  EXPECT_EQ(CsvWriter::EncodeField("a=b"), "a=b");
}

TEST(CsvWriterTest, BomSemicolonCrlf) {
  caduce::testing::TempDir dir;
  const std::string path = dir.File("export.csv");
  ASSERT_OK_AND_ASSIGN(auto w, CsvWriter::Create(path));
  ASSERT_OK(w->WriteRow(std::vector<std::string>{"NOM", "Prénom", "CP"}));
  ASSERT_OK(w->WriteRow(std::vector<Cell>{Cell::Text("DUPRÉ"), Cell::Empty(), Cell::Number(1000)}));
  ASSERT_OK(w->Close());
  EXPECT_EQ(test::ReadFile(path), "\xEF\xBB\xBFNOM;Prénom;CP\r\nDUPRÉ;;1000\r\n");
}

TEST(CsvWriterTest, RoundTripThroughCsvReader) {
  caduce::testing::TempDir dir;
  const std::string path = dir.File("export.csv");
  const std::vector<std::vector<std::string>> rows = {
      {"Type de compte", "Adresse mail", "Téléphone (1)", "Alias", "Note"},
      {"ORG", "secretariat@exemple.fr", "+33612345678", "a@exemple.fr;b@exemple.fr",
       "=HYPERLINK(\"http://x\")"},
      {"PER", "zoé@exemple.fr", "0612345678", "", "ligne 1\r\nligne 2"},
      {"MED", "-x@exemple.fr", "'+33", "@SIDEPE", "'=déjà"},
      {"APP", "\ttab", "\rcr", "€ Œ “ ” …", "\"cité\""},
  };
  {
    ASSERT_OK_AND_ASSIGN(auto w, CsvWriter::Create(path));
    for (const auto& r : rows) ASSERT_OK(w->WriteRow(r));
    ASSERT_OK(w->Close());
  }
  ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::Open(path, {}));
  EXPECT_EQ(reader->separator(), ';');
  EXPECT_EQ(reader->encoding(), CsvReader::Encoding::kUtf8);
  ASSERT_OK_AND_ASSIGN(auto read, ReadAll(*reader));
  ASSERT_EQ(read.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(Texts(read[i]), rows[i]) << "row " << i;
    EXPECT_EQ(read[i].number, static_cast<int64_t>(i + 1));
  }
}

TEST(CsvWriterTest, Errors) {
  caduce::testing::TempDir dir;
  EXPECT_THAT(CsvWriter::Create(dir.File("absent/x.csv")), StatusIs(Code::kUnavailable));
  ASSERT_OK_AND_ASSIGN(auto w, CsvWriter::Create(dir.File("x.csv")));
  EXPECT_THAT(w->WriteRow(std::vector<std::string>{"ok", "\xFF"}),
              StatusIs(Code::kInvalidArgument, HasSubstr("La cellule B")));
  EXPECT_OK(w->Close());
  EXPECT_THAT(w->WriteRow(std::vector<std::string>{"x"}), StatusIs(Code::kFailedPrecondition));
}

}  // namespace
}  // namespace caduce::import_export
