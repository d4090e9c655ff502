#include "import_export/formats/xlsx_writer.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "import_export/formats/test_util.h"
#include "import_export/formats/xlsx_reader.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"


namespace caduce::import_export {
namespace {

using ::caduce::testing::StatusIs;
using test::ReadAll;
using test::Texts;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Kind = Cell::Kind;

// Prints what openpyxl sees: one line per non-empty cell of every sheet
// ("sheet!A1 type json-value"), then the sheets' states, the frozen pane and the
// data validations of the first sheet.
constexpr char kDumpScript[] = R"PY(
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
for ws in wb.worksheets:
    print("sheet", ws.title, ws.sheet_state)
    for row in ws.iter_rows():
        for c in row:
            if c.value is not None:
                print("%s!%s %s %s" % (ws.title, c.coordinate, c.data_type,
                                       json.dumps(c.value, ensure_ascii=False)))
ws = wb.worksheets[0]
print("freeze", ws.freeze_panes)
for dv in ws.data_validations.dataValidation:
    print("validation", dv.type, str(dv.sqref), dv.formula1)
)PY";

class XlsxWriterTest : public ::testing::Test {
 protected:
  std::vector<std::string> DumpWithOpenpyxl(const std::string& path) {
    std::string out;
    int rc = test::RunPython(dir_.path(), "dump.py", kDumpScript, "'" + path + "'", &out);
    EXPECT_EQ(rc, 0) << out;
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < out.size()) {
      size_t end = out.find('\n', start);
      if (end == std::string::npos) end = out.size();
      lines.push_back(out.substr(start, end - start));
      start = end + 1;
    }
    return lines;
  }

  caduce::testing::TempDir dir_;
};

std::vector<std::string> Departements() {
  std::vector<std::string> out;
  for (int i = 1; i <= 95; ++i) out.push_back(fmt::format("{:02d} - Département {}", i, i));
  return out;
}

TEST_F(XlsxWriterTest, RoundTripThroughOpenpyxlAndOurReader) {
  const std::string path = dir_.File("export.xlsx");
  {
    ASSERT_OK_AND_ASSIGN(auto w, XlsxWriter::Create(path, "Comptes"));
    ASSERT_OK(w->SetColumns(
        {"Type de compte", "Adresse mail", "CP", "Téléphone (1)", "Département", "Alias", "Note"},
        {16, 30, 8, 14, 30}));
    ASSERT_OK(w->AddListValidation(0, {"PER", "INT", "MED", "ORG", "APP"}, 2, 1000));
    ASSERT_OK(w->AddListValidation(4, Departements(), 2, 1000));
    ASSERT_OK(w->AddListValidation(5, {"a,b", "c"}, 2, 1000));
    EXPECT_EQ(w->next_row(), 2);
    ASSERT_OK(
        w->WriteRow(std::vector<std::string>{"PER", "hélène.dupré@exemple.fr", "01000",
                                             "0612345678", "01 - Département 1", "", "=1+1"}));
    ASSERT_OK(w->WriteRow(std::vector<Cell>{
        Cell::Text("ORG"), Cell::Text("@SIDEPE"), Cell::Text("-x"), Cell::Text("+33612345678"),
        Cell::Empty(), Cell::Text("_x0041_ ligne\r\nsuite"), Cell::Number(3.5)}));
    ASSERT_OK(w->Close());
    EXPECT_OK(w->Close());  // idempotent
  }

  // openpyxl: every value is a string ("s") except the explicit number.
  std::vector<std::string> lines = DumpWithOpenpyxl(path);
  EXPECT_THAT(lines, ::testing::IsSupersetOf({
                         "sheet Comptes visible",
                         "sheet Listes hidden",
                         "Comptes!A1 s \"Type de compte\"",
                         "Comptes!D1 s \"Téléphone (1)\"",
                         "Comptes!C2 s \"01000\"",
                         "Comptes!D2 s \"0612345678\"",
                         "Comptes!G2 s \"=1+1\"",
                         "Comptes!B3 s \"@SIDEPE\"",
                         "Comptes!C3 s \"-x\"",
                         "Comptes!D3 s \"+33612345678\"",
                         // openpyxl 3.0 does not decode _xHHHH_ escapes (Excel does):
                         // it shows the escaped '_' and CR as stored.
                         "Comptes!F3 s \"_x005F_x0041_ ligne_x000D_\\nsuite\"",
                         "Comptes!G3 n 3.5",
                         "Listes!A1 s \"01 - Département 1\"",
                         "Listes!A95 s \"95 - Département 95\"",
                         "Listes!B1 s \"a,b\"",
                         "freeze A2",
                         "validation list A2:A1000 \"PER,INT,MED,ORG,APP\"",
                         "validation list E2:E1000 'Listes'!$A$1:$A$95",
                         "validation list F2:F1000 'Listes'!$B$1:$B$2",
                     }))
      << ::testing::PrintToString(lines);
  EXPECT_THAT(lines, Not(::testing::Contains(HasSubstr("Comptes!F2"))));

  // Our reader: the same values, the header row first.
  ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::Open(path, {}));
  EXPECT_EQ(reader->sheet_name(), "Comptes");
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(Texts(rows[1]), ElementsAre("PER", "hélène.dupré@exemple.fr", "01000", "0612345678",
                                          "01 - Département 1", "", "=1+1"));
  EXPECT_EQ(rows[1].cells[6].kind, Kind::kText);
  EXPECT_THAT(Texts(rows[2]), ElementsAre("ORG", "@SIDEPE", "-x", "+33612345678", "",
                                          "_x0041_ ligne\r\nsuite", "3.5"));
  EXPECT_EQ(rows[2].cells[6].kind, Kind::kNumber);

  // The XML itself: frozen pane, bold header, validations, no formula anywhere.
  const std::string sheet = test::ReadZipEntry(path, "xl/worksheets/sheet1.xml");
  EXPECT_THAT(
      sheet,
      HasSubstr(R"(<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>)"));
  EXPECT_THAT(sheet, HasSubstr(R"(<dataValidation type="list")"));
  EXPECT_THAT(sheet, HasSubstr(R"(<formula1>"PER,INT,MED,ORG,APP"</formula1>)"));
  EXPECT_THAT(sheet, HasSubstr("<t>=1+1</t>"));
  EXPECT_THAT(sheet, Not(HasSubstr("<f>")));
  EXPECT_THAT(sheet, HasSubstr(R"(<c r="A1" s="1" t="inlineStr">)"));
  EXPECT_THAT(test::ReadZipEntry(path, "xl/styles.xml"), HasSubstr("<b/>"));
  EXPECT_THAT(test::ReadZipEntry(path, "xl/workbook.xml"),
              HasSubstr(R"(<sheet name="Listes" sheetId="2" state="hidden")"));
}

TEST_F(XlsxWriterTest, ManyRowsInConstantMemory) {
  const std::string path = dir_.File("big.xlsx");
  ASSERT_OK_AND_ASSIGN(auto w, XlsxWriter::Create(path, "Comptes"));
  ASSERT_OK(w->SetColumns({"Adresse mail", "CP"}, {}));
  for (int i = 0; i < 20000; ++i) {
    ASSERT_OK(w->WriteRow(
        std::vector<std::string>{fmt::format("compte{}@exemple.fr", i), fmt::format("{:05d}", i)}));
  }
  ASSERT_OK(w->Close());
  ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::Open(path, {}));
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 20001u);
  EXPECT_THAT(Texts(rows[20000]), ElementsAre("compte19999@exemple.fr", "19999"));
  EXPECT_EQ(rows[20000].number, 20001);
}

TEST_F(XlsxWriterTest, Errors) {
  EXPECT_THAT(XlsxWriter::Create(dir_.File("x.xlsx"), "a/b"),
              StatusIs(Code::kInvalidArgument, HasSubstr("Nom de feuille invalide")));
  EXPECT_THAT(XlsxWriter::Create(dir_.File("absent/x.xlsx"), "Comptes"),
              StatusIs(Code::kUnavailable, HasSubstr("Impossible de créer")));

  ASSERT_OK_AND_ASSIGN(auto w, XlsxWriter::Create(dir_.File("e.xlsx"), "Comptes"));
  EXPECT_THAT(w->WriteRow(std::vector<std::string>{"ok", std::string(32768, 'x')}),
              StatusIs(Code::kInvalidArgument, HasSubstr("B1 dépasse la limite d'Excel de 32767")));
  EXPECT_THAT(w->WriteRow(std::vector<std::string>{"\xC3("}),
              StatusIs(Code::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(w->AddListValidation(0, {}, 2, 10), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(w->AddListValidation(0, {"A"}, 0, 10), StatusIs(Code::kInvalidArgument));
  ASSERT_OK(w->WriteRow(std::vector<std::string>{"ok"}));
  EXPECT_THAT(w->SetColumns({"a"}, {}), StatusIs(Code::kFailedPrecondition));
  EXPECT_OK(w->Close());
  EXPECT_THAT(w->WriteRow(std::vector<std::string>{"x"}), StatusIs(Code::kFailedPrecondition));
}

}  // namespace
}  // namespace caduce::import_export
