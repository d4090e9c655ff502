#include "import_export/formats/xls_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

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
using Kind = Cell::Kind;

constexpr char kNotXls[] = "Le fichier n'est pas un classeur Excel 97-2003 valide (.xls)";

// The fixtures come from xlwt (tests/fixtures/make_xls_fixtures.py), run once per
// test into a fresh directory.
class XlsReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string out;
    const std::string script =
        test::ReadFile(std::string(CADUCE_FIXTURES_DIR) + "/make_xls_fixtures.py");
    ASSERT_FALSE(script.empty());
    ASSERT_EQ(test::RunPython(dir_.path(), "fixtures.py", script, "'" + dir_.path() + "'", &out), 0)
        << out;
  }
  caduce::testing::TempDir dir_;
};

TEST_F(XlsReaderTest, XlwtWorkbook) {
  ASSERT_OK_AND_ASSIGN(auto reader, XlsReader::Open(dir_.File("main.xls"), {}));
  EXPECT_EQ(reader->sheet_name(), "Comptes");
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].number, 1);
  EXPECT_THAT(Texts(rows[0]),
              ElementsAre("Type de compte", "Adresse mail", "NOM", "Prénom", "CP", "Téléphone (1)",
                          "Date de péremption", "Activité libérale"));
  EXPECT_THAT(Texts(rows[1]),
              ElementsAre("PER", "hélène.dupré@exemple.fr", "DUPRÉ", "Hélène-Françoise Œ €", "1000",
                          "612345678", "2024-03-01", "1"));
  EXPECT_EQ(rows[1].cells[4].kind, Kind::kNumber);
  EXPECT_EQ(rows[1].cells[5].kind, Kind::kNumber);
  EXPECT_EQ(rows[1].cells[6].kind, Kind::kDate);
  EXPECT_EQ(rows[1].cells[7].kind, Kind::kNumber);  // FreeXL gives booleans as numbers
  // Row 3 is empty: absent.
  EXPECT_EQ(rows[2].number, 4);
  EXPECT_THAT(Texts(rows[2]),
              ElementsAre("INT", "", "", "", "01000", "", "2024-03-01T14:30:00", "1.5"));
  EXPECT_EQ(rows[2].cells[4].kind, Kind::kText);
  EXPECT_EQ(rows[2].cells[1].kind, Kind::kEmpty);
  EXPECT_EQ(rows[3].number, 6);
  EXPECT_THAT(Texts(rows[3]), ElementsAre("", "", "", "épars"));
  EXPECT_EQ(rows[4].number, 7);
  EXPECT_EQ(rows[4].cells[1].text, std::string(200, 'x'));
}

TEST_F(XlsReaderTest, Date1904) {
  ASSERT_OK_AND_ASSIGN(auto reader, XlsReader::Open(dir_.File("epoch1904.xls"), {}));
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].cells[0], Cell::Date("2024-03-01"));
}

// FreeXL cannot tell a hidden sheet: the first sheet is read even when hidden.
TEST_F(XlsReaderTest, FirstSheetIsReadEvenWhenHidden) {
  ASSERT_OK_AND_ASSIGN(auto reader, XlsReader::Open(dir_.File("hidden.xls"), {}));
  EXPECT_EQ(reader->sheet_name(), "Cachée");
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  EXPECT_THAT(Texts(rows[0]), ElementsAre("secret"));
}

TEST_F(XlsReaderTest, Limits) {
  ReadLimits limits;
  limits.max_rows = 6;
  ASSERT_OK_AND_ASSIGN(auto reader, XlsReader::Open(dir_.File("main.xls"), limits));
  EXPECT_THAT(ReadAll(*reader),
              StatusIs(Code::kResourceExhausted, HasSubstr("limite de 6 lignes (ligne 7)")));

  limits = {};
  limits.max_columns = 7;
  ASSERT_OK_AND_ASSIGN(reader, XlsReader::Open(dir_.File("main.xls"), limits));
  EXPECT_THAT(ReadAll(*reader),
              StatusIs(Code::kResourceExhausted, "La ligne 1 dépasse la limite de 7 colonnes."));

  limits = {};
  limits.max_cell_chars = 199;
  ASSERT_OK_AND_ASSIGN(reader, XlsReader::Open(dir_.File("main.xls"), limits));
  EXPECT_THAT(ReadAll(*reader),
              StatusIs(Code::kResourceExhausted,
                       "La cellule B7 (ligne 7) dépasse la limite de 199 caractères."));

  limits = {};
  limits.max_uncompressed_bytes = 1000;
  EXPECT_THAT(XlsReader::Open(dir_.File("main.xls"), limits),
              StatusIs(Code::kResourceExhausted, HasSubstr("taille maximale")));
}

TEST_F(XlsReaderTest, HostileFiles) {
  EXPECT_THAT(XlsReader::Open(dir_.File("absent.xls"), {}), StatusIs(Code::kNotFound));

  // The OLE2 signature followed by garbage.
  std::string garbage("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) % 256));
  test::WriteFile(dir_.File("garbage.xls"), garbage);
  EXPECT_THAT(XlsReader::Open(dir_.File("garbage.xls"), {}),
              StatusIs(Code::kInvalidArgument, HasSubstr(kNotXls)));

  // Not OLE2 at all.
  test::WriteFile(dir_.File("text.xls"), "NOM;Prénom\n");
  EXPECT_THAT(XlsReader::Open(dir_.File("text.xls"), {}),
              StatusIs(Code::kInvalidArgument, HasSubstr(kNotXls)));

  // Truncated.
  std::string bytes = test::ReadFile(dir_.File("main.xls"));
  for (size_t cut : {bytes.size() / 2, size_t{512}, size_t{100}}) {
    test::WriteFile(dir_.File("cut.xls"), bytes.substr(0, cut));
    Result<std::unique_ptr<XlsReader>> r = XlsReader::Open(dir_.File("cut.xls"), {});
    Status s = r.ok() ? ReadAll(**r).status() : r.status();
    // FreeXL may read what it can of a cut file: either rows or a clean refusal.
    if (!s.ok()) {
      EXPECT_THAT(s, StatusIs(Code::kInvalidArgument, HasSubstr(kNotXls))) << cut;
    }
  }
}

// Found by fuzz/xls_fuzz.cc: FreeXL 1.0.6 reads past a stack buffer (into
// iconv) on this file. FreeXL runs in a child process, so the crash, when a
// sanitizer or the corrupted memory turns it into one, only refuses the file.
TEST_F(XlsReaderTest, FreexlMemoryErrorStaysInTheChild) {
  const std::string path = std::string(CADUCE_FUZZ_CORPUS_DIR) + "/xls/freexl_iconv_overread.xls";
  Result<std::unique_ptr<XlsReader>> r = XlsReader::Open(path, {});
  Status s = r.ok() ? ReadAll(**r).status() : r.status();
  if (!s.ok()) {
    EXPECT_THAT(s, StatusIs(Code::kInvalidArgument, HasSubstr(kNotXls)));
  }
  // This process is intact and reads the next file.
  ASSERT_OK_AND_ASSIGN(auto reader, XlsReader::Open(dir_.File("main.xls"), {}));
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  EXPECT_EQ(rows.size(), 5u);
}

TEST_F(XlsReaderTest, StoppingEarlyEndsTheChild) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(auto reader, XlsReader::Open(dir_.File("main.xls"), {}));
    ASSERT_OK_AND_ASSIGN(std::optional<Row> row, reader->Next());
    ASSERT_TRUE(row.has_value());
  }                                              // each reader kills and reaps its child
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);  // no child left behind
}

}  // namespace
}  // namespace caduce::import_export
