#include "import_export/formats/xlsx_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>

#include "import_export/formats/test_util.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::import_export {
namespace {

using ::caduce::testing::StatusIs;
using test::ReadAll;
using test::Texts;
using test::XlsxParts;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Kind = Cell::Kind;

constexpr char kNotXlsx[] = "Le fichier n'est pas un classeur Excel valide (.xlsx)";

class XlsxReaderTest : public ::testing::Test {
 protected:
  std::string Write(const XlsxParts& parts, const std::string& name = "t.xlsx") {
    std::string path = dir_.File(name);
    EXPECT_TRUE(test::WriteXlsx(path, parts));
    return path;
  }
  Result<std::vector<Row>> ReadParts(const XlsxParts& parts, ReadLimits limits = {}) {
    CADUCE_TRY(auto reader, XlsxReader::Open(Write(parts), limits));
    return ReadAll(*reader);
  }
  // Runs tests/fixtures/make_xlsx_fixtures.py (openpyxl) into the temp dir once.
  void MakeOpenpyxlFixtures() {
    std::string out;
    const std::string script =
        test::ReadFile(std::string(CADUCE_FIXTURES_DIR) + "/make_xlsx_fixtures.py");
    ASSERT_FALSE(script.empty());
    ASSERT_EQ(test::RunPython(dir_.path(), "fixtures.py", script, "'" + dir_.path() + "'", &out), 0)
        << out;
  }

  caduce::testing::TempDir dir_;
};

// --- Files written by openpyxl --------------------------------------------------

TEST_F(XlsxReaderTest, OpenpyxlWorkbook) {
  MakeOpenpyxlFixtures();
  ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::Open(dir_.File("main.xlsx"), {}));
  EXPECT_EQ(reader->sheet_name(), "Comptes");
  EXPECT_FALSE(reader->date1904());
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 5u);

  EXPECT_EQ(rows[0].number, 1);
  EXPECT_THAT(Texts(rows[0]),
              ElementsAre("Type de compte", "Adresse mail", "NOM", "Prénom", "CP", "Téléphone (1)",
                          "Date de péremption", "Activité libérale", "VILLE"));
  const Row& per = rows[1];
  EXPECT_EQ(per.number, 2);
  EXPECT_THAT(Texts(per), ElementsAre("PER", "hélène.dupré@exemple.fr", "DUPRÉ", "Hélène-Françoise",
                                      "1000", "612345678", "2024-03-01", "1", "SAINT-ÉTIENNE"));
  EXPECT_EQ(per.cells[4].kind, Kind::kNumber);  // CP typed as a number
  EXPECT_EQ(per.cells[4].number, 1000);
  EXPECT_EQ(per.cells[5].kind, Kind::kNumber);
  EXPECT_EQ(per.cells[6].kind, Kind::kDate);
  EXPECT_EQ(per.cells[7].kind, Kind::kBool);

  // Row 3 is empty: absent, and the next row keeps its true number.
  const Row& in = rows[2];
  EXPECT_EQ(in.number, 4);
  EXPECT_THAT(Texts(in), ElementsAre("INT", "zoé@exemple.fr", "LŒUVRE", "Zoé", "01000",
                                     "0612345678", "2024-03-01T14:30:00", "0", "ÎLE-D'YEU"));
  EXPECT_EQ(in.cells[4].kind, Kind::kText);
  EXPECT_EQ(in.cells[6].kind, Kind::kDate);

  // Sparse cells keep their columns.
  EXPECT_EQ(rows[3].number, 6);
  ASSERT_EQ(rows[3].cells.size(), 4u);
  EXPECT_EQ(rows[3].cells[0], Cell::Text("épars"));
  EXPECT_EQ(rows[3].cells[1].kind, Kind::kEmpty);
  EXPECT_EQ(rows[3].cells[2].kind, Kind::kEmpty);
  EXPECT_EQ(rows[3].cells[3], Cell::Text("çà"));

  // A custom date format is a date; a number format with quoted letters is not.
  EXPECT_EQ(rows[4].cells[1], Cell::Number(1.5));
  EXPECT_EQ(rows[4].cells[2], Cell::Date("1999-12-31"));
  EXPECT_EQ(rows[4].cells[3], Cell::Number(45352));
}

TEST_F(XlsxReaderTest, OpenpyxlHiddenFirstSheetIsSkipped) {
  MakeOpenpyxlFixtures();
  ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::Open(dir_.File("hidden.xlsx"), {}));
  EXPECT_EQ(reader->sheet_name(), "Visible");
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(Texts(rows[0]), ElementsAre("visible"));
}

TEST_F(XlsxReaderTest, Openpyxl1904Workbook) {
  MakeOpenpyxlFixtures();
  ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::Open(dir_.File("epoch1904.xlsx"), {}));
  EXPECT_TRUE(reader->date1904());
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].cells[0], Cell::Date("2024-03-01"));
}

// --- Workbooks whose XML the test writes ------------------------------------------

TEST_F(XlsxReaderTest, SharedStringsRichTextAndPhonetic) {
  XlsxParts p;
  p.shared_strings =
      R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">)"
      R"(<si><t>Hélène</t></si>)"
      R"(<si><r><rPr><b/></rPr><t>Saint</t></r><r><t xml:space="preserve">-Étienne </t></r></si>)"
      R"(<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>)"
      R"(<si><t>a_x000D__x000A_b _x005F_x0041_ _xD83D__xDE00_</t></si>)"
      R"(<si><t/></si>)"
      R"(</sst>)";
  p.sheet_data =
      R"(<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>)"
      R"(<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c>)"
      R"(</row></sheetData>)";
  ASSERT_OK_AND_ASSIGN(auto rows, ReadParts(p));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(Texts(rows[0]), ElementsAre("Hélène", "Saint-Étienne ", "東京", "a\r\nb _x0041_ 😀"));
  EXPECT_EQ(rows[0].cells[0].kind, Kind::kText);
}

TEST_F(XlsxReaderTest, InlineStringsFormulasBooleansErrorsAndIsoDates) {
  XlsxParts p;
  p.sheet_data =
      R"(<sheetData><row r="1">)"
      R"(<c r="A1" t="inlineStr"><is><r><t>Raison </t></r><r><t>Sociale</t></r></is></c>)"
      R"(<c r="B1"><f>1+1</f><v>2</v></c>)"
      R"(<c r="C1" t="str"><f>"=1+1"&amp;""</f><v>=1+1</v></c>)"
      R"(<c r="D1"><f>NOW()</f></c>)"
      R"(<c r="E1" t="b"><v>1</v></c>)"
      R"(<c r="F1" t="e"><f>1/0</f><v>#DIV/0!</v></c>)"
      R"(<c r="G1" t="d"><v>2024-03-01T00:00:00</v></c>)"
      R"(<c r="H1" t="d"><v>2024-03-01T08:15:00Z</v></c>)"
      R"(<c r="I1"><v>1.0E+10</v></c>)"
      R"(<c r="J1" t="e"><v>#N/A</v></c>)"
      R"(</row></sheetData>)";
  ASSERT_OK_AND_ASSIGN(auto rows, ReadParts(p));
  ASSERT_EQ(rows.size(), 1u);
  const auto& c = rows[0].cells;
  ASSERT_EQ(c.size(), 10u);
  EXPECT_EQ(c[0], Cell::Text("Raison Sociale"));
  EXPECT_EQ(c[1], Cell::Number(2));     // the cached value, never the formula
  EXPECT_EQ(c[2], Cell::Text("=1+1"));  // a formula's text result stays text
  EXPECT_EQ(c[3].kind, Kind::kEmpty);   // no cached value
  EXPECT_EQ(c[4], Cell::Bool(true));
  EXPECT_EQ(c[5], Cell::Error("#DIV/0!"));
  EXPECT_EQ(c[6], Cell::Date("2024-03-01"));
  EXPECT_EQ(c[7], Cell::Date("2024-03-01T08:15:00"));
  EXPECT_EQ(c[8].kind, Kind::kNumber);
  EXPECT_EQ(c[8].text, "10000000000");
  EXPECT_EQ(c[9], Cell::Error("#N/A"));
}

TEST_F(XlsxReaderTest, CellsAndRowsWithoutReferenceFollowThePreviousOne) {
  XlsxParts p;
  p.sheet_data = R"(<sheetData><row><c t="inlineStr"><is><t>a</t></is></c><c><v>1</v></c></row>)"
                 R"(<row r="5"><c r="C5"><v>2</v></c><c><v>3</v></c></row>)"
                 R"(<row><c><v>4</v></c></row>)"
                 R"(<row r="8" spans="1:3"><c r="A8" s="0"/></row></sheetData>)";
  ASSERT_OK_AND_ASSIGN(auto rows, ReadParts(p));
  ASSERT_EQ(rows.size(), 3u);  // row 8 holds only an empty styled cell
  EXPECT_EQ(rows[0].number, 1);
  EXPECT_THAT(Texts(rows[0]), ElementsAre("a", "1"));
  EXPECT_EQ(rows[1].number, 5);
  EXPECT_THAT(Texts(rows[1]), ElementsAre("", "", "2", "3"));
  EXPECT_EQ(rows[2].number, 6);
}

TEST_F(XlsxReaderTest, DateStylesBuiltinAndCustom) {
  XlsxParts p;
  p.styles =
      R"(<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)"
      R"(<numFmts count="3"><numFmt numFmtId="164" formatCode="[$-40C]d\ mmmm\ yyyy;@"/>)"
      R"(<numFmt numFmtId="165" formatCode="[Red]#,##0.00"/><numFmt numFmtId="166" formatCode="&quot;dmy&quot;0"/></numFmts>)"
      R"(<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>)"
      R"(<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/>)"
      R"(<xf numFmtId="166"/><xf numFmtId="22"/></cellXfs></styleSheet>)";
  p.sheet_data = R"(<sheetData><row r="1"><c s="0"><v>45352</v></c><c s="1"><v>45352</v></c>)"
                 R"(<c s="2"><v>45352</v></c><c s="3"><v>45352</v></c><c s="4"><v>45352</v></c>)"
                 R"(<c s="5"><v>45352.75</v></c><c s="99"><v>45352</v></c><c s="1"><v>-5</v></c>)"
                 R"(</row></sheetData>)";
  ASSERT_OK_AND_ASSIGN(auto rows, ReadParts(p));
  EXPECT_THAT(Texts(rows[0]), ElementsAre("45352", "2024-03-01", "2024-03-01", "45352", "45352",
                                          "2024-03-01T18:00:00", "45352", "-5"));
  EXPECT_EQ(rows[0].cells[1].kind, Kind::kDate);
  EXPECT_EQ(rows[0].cells[1].number, 45352);
  EXPECT_EQ(rows[0].cells[7].kind, Kind::kNumber);  // before the calendar: kept as a number
}

TEST_F(XlsxReaderTest, Date1904FromCraftedWorkbook) {
  XlsxParts p;
  p.workbook_pr = R"(<workbookPr date1904="true"/>)";
  p.styles = R"(<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)"
             R"(<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>)";
  p.sheet_data =
      R"(<sheetData><row r="1"><c s="1"><v>0</v></c><c s="1"><v>43890</v></c></row></sheetData>)";
  ASSERT_OK_AND_ASSIGN(auto rows, ReadParts(p));
  EXPECT_THAT(Texts(rows[0]), ElementsAre("1904-01-01", "2024-03-01"));
}

TEST_F(XlsxReaderTest, PrefixedNamespaceAndAbsoluteTargets) {
  XlsxParts p;
  p.sheet_data =
      R"(<x:sheetData xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)"
      R"(<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>ok</x:t></x:is></x:c></x:row>)"
      R"(</x:sheetData>)";
  ASSERT_OK_AND_ASSIGN(auto rows, ReadParts(p));
  EXPECT_THAT(Texts(rows[0]), ElementsAre("ok"));
}

TEST_F(XlsxReaderTest, AllSheetsHidden) {
  XlsxParts p;
  p.sheets = R"(<sheet name="A" sheetId="1" state="hidden" r:id="rId1"/>)"
             R"(<sheet name="B" sheetId="2" state="veryHidden" r:id="rId2"/>)";
  EXPECT_THAT(ReadParts(p),
              StatusIs(Code::kInvalidArgument,
                       AllOf(HasSubstr(kNotXlsx), HasSubstr("aucune feuille visible"))));
}

TEST_F(XlsxReaderTest, VeryHiddenFirstSheetIsSkipped) {
  XlsxParts p;
  p.sheets = R"(<sheet name="Listes" sheetId="1" state="veryHidden" r:id="rId1"/>)"
             R"(<sheet name="Comptes" sheetId="2" r:id="rId2"/>)";
  p.extra = {
      {"xl/worksheets/sheet2.xml",
       R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)"
       R"(<sheetData><row r="1"><c t="inlineStr"><is><t>deux</t></is></c></row></sheetData></worksheet>)"}};
  ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::Open(Write(p), {}));
  EXPECT_EQ(reader->sheet_name(), "Comptes");
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  EXPECT_THAT(Texts(rows[0]), ElementsAre("deux"));
}

TEST_F(XlsxReaderTest, MalformedValues) {
  XlsxParts p;
  p.sheet_data = R"(<sheetData><row r="1"><c r="B1"><v>abc</v></c></row></sheetData>)";
  EXPECT_THAT(ReadParts(p), StatusIs(Code::kInvalidArgument,
                                     HasSubstr("valeur numérique invalide dans la cellule B1")));
  p.sheet_data = R"(<sheetData><row r="1"><c r="A1" t="s"><v>3</v></c></row></sheetData>)";
  EXPECT_THAT(ReadParts(p),
              StatusIs(Code::kInvalidArgument, HasSubstr("texte partagé inexistant")));
  p.sheet_data = R"(<sheetData><row r="0"><c><v>1</v></c></row></sheetData>)";
  EXPECT_THAT(ReadParts(p),
              StatusIs(Code::kInvalidArgument, HasSubstr("numéro de ligne invalide")));
  p.sheet_data = R"(<sheetData><row r="1"><c r="12"><v>1</v></c></row></sheetData>)";
  EXPECT_THAT(ReadParts(p), StatusIs(Code::kInvalidArgument, HasSubstr("référence de cellule")));
  p.sheet_data = R"(<sheetData><row r="1"><c><v>1</v></row></sheetData>)";
  EXPECT_THAT(ReadParts(p), StatusIs(Code::kInvalidArgument,
                                     AllOf(HasSubstr("XML mal formé"), HasSubstr("sheet1.xml"))));
}

TEST_F(XlsxReaderTest, MissingParts) {
  std::string path = dir_.File("nowb.xlsx");
  ASSERT_TRUE(test::WriteZip(path, {{"hello.txt", "bonjour"}}));
  EXPECT_THAT(XlsxReader::Open(path, {}),
              StatusIs(Code::kInvalidArgument,
                       AllOf(HasSubstr(kNotXlsx), HasSubstr("ne contient pas de classeur"))));
  XlsxParts p;
  p.sheets = R"(<sheet name="X" sheetId="1" r:id="rId7"/>)";
  EXPECT_THAT(ReadParts(p), StatusIs(Code::kInvalidArgument, HasSubstr("« X » est introuvable")));
  EXPECT_THAT(XlsxReader::Open(dir_.File("absent.xlsx"), {}), StatusIs(Code::kNotFound));
}

TEST_F(XlsxReaderTest, OtherZipSpreadsheetFormatsAreNamed) {
  std::string ods = dir_.File("calc.xlsx");
  ASSERT_TRUE(test::WriteZip(ods, {{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"},
                                   {"content.xml", "<office:document-content/>"}}));
  EXPECT_THAT(XlsxReader::Open(ods, {}),
              StatusIs(Code::kInvalidArgument, HasSubstr("OpenDocument (.ods)")));
  XlsxParts p;
  auto entries = test::XlsxEntries(p);
  for (auto& [name, content] : entries) {
    if (name == "_rels/.rels") {
      content.replace(content.find("xl/workbook.xml"), 15, "xl/workbook.bin");
    }
  }
  std::string xlsb = dir_.File("binary.xlsx");
  ASSERT_TRUE(test::WriteZip(xlsb, entries));
  EXPECT_THAT(XlsxReader::Open(xlsb, {}),
              StatusIs(Code::kInvalidArgument, HasSubstr("binaires Excel (.xlsb)")));
}

// --- Hostile files ----------------------------------------------------------------

TEST_F(XlsxReaderTest, NotAZip) {
  std::string random;
  for (int i = 0; i < 4096; ++i) random.push_back(static_cast<char>((i * 7919 + 13) % 251));
  EXPECT_THAT(
      XlsxReader::FromString(random, {}),
      StatusIs(Code::kInvalidArgument, std::string(kNotXlsx) + " : archive ZIP illisible."));
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  EXPECT_THAT(XlsxReader::FromString(png, {}),
              StatusIs(Code::kInvalidArgument, HasSubstr(kNotXlsx)));
  EXPECT_THAT(XlsxReader::FromString("", {}),
              StatusIs(Code::kInvalidArgument, HasSubstr(kNotXlsx)));
}

TEST_F(XlsxReaderTest, TruncatedZip) {
  XlsxParts p;
  p.sheet_data = "<sheetData><row><c><v>1</v></c></row></sheetData>";
  std::string bytes = test::ReadFile(Write(p));
  for (size_t cut : {bytes.size() / 2, bytes.size() - 10, size_t{30}}) {
    EXPECT_THAT(XlsxReader::FromString(bytes.substr(0, cut), {}),
                StatusIs(Code::kInvalidArgument, HasSubstr(kNotXlsx)))
        << cut;
  }
}

TEST_F(XlsxReaderTest, CorruptedEntryData) {
  XlsxParts p;
  std::string rows;
  for (int i = 1; i <= 200; ++i) {
    rows += "<row r=\"" + std::to_string(i) + "\"><c t=\"inlineStr\"><is><t>ligne " +
            std::to_string(i * 31) + "</t></is></c></row>";
  }
  p.sheet_data = "<sheetData>" + rows + "</sheetData>";
  std::string bytes = test::ReadFile(Write(p));
  // Flip bytes inside the deflated worksheet: after its local header.
  size_t at = bytes.find("xl/worksheets/sheet1.xml");
  ASSERT_NE(at, std::string::npos);
  for (size_t i = at + 40; i < at + 120; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
  Result<std::unique_ptr<XlsxReader>> r = XlsxReader::FromString(bytes, {});
  Status s = r.ok() ? ReadAll(**r).status() : r.status();
  EXPECT_THAT(s, StatusIs(Code::kInvalidArgument, HasSubstr(kNotXlsx)));
}

// A worksheet that inflates far beyond its compressed size: refused on the
// declared sizes, before inflating.
TEST_F(XlsxReaderTest, ZipBombIsRefusedBeforeInflating) {
  XlsxParts p;
  p.sheet_data = "<sheetData>" + std::string(64u << 20, ' ') + "</sheetData>";
  std::string path = Write(p);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(XlsxReader::Open(path, {}),
              StatusIs(Code::kResourceExhausted,
                       AllOf(HasSubstr("bombe ZIP"), HasSubstr("limite de 200 fois"),
                             HasSubstr("sheet1.xml"))));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(XlsxReaderTest, TotalUncompressedCap) {
  XlsxParts p;
  std::string rows;
  for (int i = 1; i <= 20000; ++i) {
    rows +=
        "<row r=\"" + std::to_string(i) + "\"><c><v>" + std::to_string(i * 7) + "</v></c></row>";
  }
  p.sheet_data = "<sheetData>" + rows + "</sheetData>";
  ReadLimits limits;
  limits.max_uncompressed_bytes = 100 * 1024;
  EXPECT_THAT(ReadParts(p, limits),
              StatusIs(Code::kResourceExhausted, HasSubstr("taille maximale autorisée (102400")));
}

// Sets the uncompressed size that the local header and the central directory
// announce for entry `name`; false when the entry is not found in both.
bool PatchDeclaredSize(std::string& bytes, const std::string& name, uint32_t size) {
  auto put32 = [&](size_t at, uint32_t v) {
    for (int k = 0; k < 4; ++k) bytes[at + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
  };
  bool local_done = false, central_done = false;
  // Local file header: PK\3\4, uncompressed size at offset 22, name at 30.
  for (size_t at = bytes.find(std::string("PK\x03\x04", 4)); at != std::string::npos;
       at = bytes.find(std::string("PK\x03\x04", 4), at + 4)) {
    if (bytes.compare(at + 30, name.size(), name) == 0) {
      put32(at + 22, size);
      local_done = true;
    }
  }
  // Central directory header: PK\1\2, uncompressed size at offset 24, name at 46.
  for (size_t at = bytes.find(std::string("PK\x01\x02", 4)); at != std::string::npos;
       at = bytes.find(std::string("PK\x01\x02", 4), at + 4)) {
    if (bytes.compare(at + 46, name.size(), name) == 0) {
      put32(at + 24, size);
      central_done = true;
    }
  }
  return local_done && central_done;
}

// A small file declaring a 1 GiB worksheet: refused on the declared size.
TEST_F(XlsxReaderTest, DeclaredHugeEntryIsRefused) {
  XlsxParts p;
  p.sheet_data = "<sheetData>" + std::string(4096, ' ') + "</sheetData>";
  std::string bytes = test::ReadFile(Write(p));
  ASSERT_TRUE(PatchDeclaredSize(bytes, "xl/worksheets/sheet1.xml", 1u << 30));
  EXPECT_THAT(XlsxReader::FromString(bytes, {}),
              StatusIs(Code::kResourceExhausted, HasSubstr("taille maximale autorisée")));
}

// Declared sizes can lie: the central directory and local header announce a
// small entry, the deflated data inflates to much more.
TEST_F(XlsxReaderTest, LyingDeclaredSizeIsCaughtWhileInflating) {
  XlsxParts p;
  p.sheet_data = "<sheetData>" + std::string(8u << 20, ' ') + "</sheetData>";
  std::string bytes = test::ReadFile(Write(p));
  ASSERT_TRUE(PatchDeclaredSize(bytes, "xl/worksheets/sheet1.xml", 1000));
  Result<std::unique_ptr<XlsxReader>> r = XlsxReader::FromString(bytes, {});
  Status s = r.ok() ? ReadAll(**r).status() : r.status();
  EXPECT_THAT(s,
              StatusIs(Code::kInvalidArgument,
                       AllOf(HasSubstr(kNotXlsx), HasSubstr("dépasse la taille qu'elle annonce"))));
}

TEST_F(XlsxReaderTest, BillionLaughsIsRefused) {
  XlsxParts p;
  p.sheet_prolog =
      R"(<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">)"
      R"(<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">)"
      R"(<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">)"
      R"(<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">)"
      R"(<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">)"
      R"(<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">)"
      R"(<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">)"
      R"(<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">)"
      R"(<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>)";
  p.sheet_data =
      R"(<sheetData><row r="1"><c t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData>)";
  Result<std::unique_ptr<XlsxReader>> r = XlsxReader::Open(Write(p), {});
  ASSERT_OK(r);
  EXPECT_THAT((*r)->Next(),
              StatusIs(Code::kInvalidArgument, AllOf(HasSubstr(kNotXlsx), HasSubstr("DOCTYPE"),
                                                     HasSubstr("refusée par sécurité"))));
}

TEST_F(XlsxReaderTest, ExternalEntityIsRefused) {
  XlsxParts p;
  p.shared_strings =
      R"(<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>)"
      R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t></si></sst>)";
  p.sheet_data = R"(<sheetData><row r="1"><c t="s"><v>0</v></c></row></sheetData>)";
  EXPECT_THAT(XlsxReader::Open(Write(p), {}),
              StatusIs(Code::kInvalidArgument,
                       AllOf(HasSubstr("sharedStrings.xml"), HasSubstr("DOCTYPE"))));
  // Same in the workbook part, and a parameter entity.
  XlsxParts q;
  q.extra = {};
  auto entries = test::XlsxEntries(q);
  for (auto& [name, content] : entries) {
    if (name == "xl/workbook.xml") {
      content.insert(content.find("<workbook"),
                     R"(<!DOCTYPE workbook [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>)");
    }
  }
  std::string path = dir_.File("wb.xlsx");
  ASSERT_TRUE(test::WriteZip(path, entries));
  EXPECT_THAT(
      XlsxReader::Open(path, {}),
      StatusIs(Code::kInvalidArgument, AllOf(HasSubstr("workbook.xml"), HasSubstr("DOCTYPE"))));
}

TEST_F(XlsxReaderTest, MaxRows) {
  XlsxParts p;
  p.sheet_data =
      "<sheetData><row><c><v>1</v></c></row><row><c><v>2</v></c></row>"
      "<row><c><v>3</v></c></row></sheetData>";
  ReadLimits limits;
  limits.max_rows = 3;
  EXPECT_OK(ReadParts(p, limits));
  limits.max_rows = 2;
  EXPECT_THAT(ReadParts(p, limits),
              StatusIs(Code::kResourceExhausted, HasSubstr("limite de 2 lignes (ligne 3)")));
  // A far row number counts too.
  p.sheet_data = R"(<sheetData><row r="1048576"><c><v>1</v></c></row></sheetData>)";
  EXPECT_THAT(ReadParts(p), StatusIs(Code::kResourceExhausted,
                                     HasSubstr("limite de 1000000 lignes (ligne 1048576)")));
}

TEST_F(XlsxReaderTest, MaxColumns) {
  XlsxParts p;
  p.sheet_data =
      R"(<sheetData><row r="4"><c r="A4"><v>1</v></c><c r="E4"><v>1</v></c></row></sheetData>)";
  ReadLimits limits;
  limits.max_columns = 5;
  EXPECT_OK(ReadParts(p, limits));
  limits.max_columns = 4;
  EXPECT_THAT(
      ReadParts(p, limits),
      StatusIs(Code::kResourceExhausted, HasSubstr("La ligne 4 dépasse la limite de 4 colonnes")));
  // Cells without reference count as well.
  p.sheet_data =
      "<sheetData><row><c><v>1</v></c><c><v>1</v></c><c><v>1</v></c><c><v>1</v></c>"
      "<c><v>1</v></c></row></sheetData>";
  EXPECT_THAT(ReadParts(p, limits), StatusIs(Code::kResourceExhausted));
  // Beyond XFD, whatever the limit.
  limits.max_columns = 100000;
  p.sheet_data = R"(<sheetData><row r="1"><c r="XFE1"><v>1</v></c></row></sheetData>)";
  EXPECT_THAT(ReadParts(p, limits),
              StatusIs(Code::kResourceExhausted, HasSubstr("limite de 16384 colonnes")));
  p.sheet_data =
      R"(<sheetData><row r="1"><c r="ZZZZZZZZZZZZZZZZZZZZ1"><v>1</v></c></row></sheetData>)";
  EXPECT_THAT(ReadParts(p, limits), StatusIs(Code::kResourceExhausted));
}

TEST_F(XlsxReaderTest, CellOver32767Characters) {
  XlsxParts p;
  p.sheet_data = R"(<sheetData><row r="2"><c r="C2" t="inlineStr"><is><t>)" +
                 std::string(32767, 'x') + "</t></is></c></row></sheetData>";
  EXPECT_OK(ReadParts(p));
  p.sheet_data = R"(<sheetData><row r="2"><c r="C2" t="inlineStr"><is><t>)" +
                 std::string(32768, 'x') + "</t></is></c></row></sheetData>";
  EXPECT_THAT(ReadParts(p),
              StatusIs(Code::kResourceExhausted,
                       "La cellule C2 (ligne 2) dépasse la limite de 32767 caractères."));
  // In the shared strings: reported on the cell that uses it.
  p.shared_strings =
      R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>)" +
      std::string(40000, 'y') + "</t></si><si><t>court</t></si></sst>";
  p.sheet_data =
      R"(<sheetData><row r="1"><c t="s"><v>1</v></c></row><row r="7"><c r="B7" t="s"><v>0</v></c></row></sheetData>)";
  Result<std::vector<Row>> rows = ReadParts(p);
  EXPECT_THAT(rows, StatusIs(Code::kResourceExhausted, HasSubstr("La cellule B7 (ligne 7)")));
  // Characters, not bytes.
  std::string accents;
  for (int i = 0; i < 32767; ++i) accents += "é";
  p.sheet_data = R"(<sheetData><row r="1"><c t="inlineStr"><is><t>)" + accents +
                 "</t></is></c></row></sheetData>";
  EXPECT_OK(ReadParts(p));
}

TEST_F(XlsxReaderTest, ErrorIsSticky) {
  XlsxParts p;
  p.sheet_data =
      R"(<sheetData><row r="1"><c><v>1</v></c></row><row r="2"><c><v>x</v></c></row></sheetData>)";
  ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::Open(Write(p), {}));
  EXPECT_OK(reader->Next());
  EXPECT_THAT(reader->Next(), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(reader->Next(), StatusIs(Code::kInvalidArgument));
}

// The worksheet is read by a scanner of its own (not expat): the XML rules a
// spreadsheet's text depends on, wherever the 64 KiB reads of the entry cut it.
TEST_F(XlsxReaderTest, WorksheetTextFollowsXmlRulesAcrossReadBoundaries) {
  XlsxParts p;
  std::string rows;
  // Each cell text straddles some read boundary at some row.
  for (int i = 1; i <= 3000; ++i) {
    rows += "<row r=\"" + std::to_string(i) +
            "\"><c t=\"inlineStr\"><is><t>L&apos;&#xC9;cole &amp; Cie\r\nn&#176;" +
            std::to_string(i) + "</t></is></c><c t=\"str\"><v><![CDATA[a<b>&amp;]]></v></c>" +
            "<!-- " + std::string(i % 7, '-') + " --></row>";
  }
  p.sheet_data = "<sheetData>" + rows + "</sheetData>";
  ASSERT_OK_AND_ASSIGN(auto all, ReadParts(p));
  ASSERT_EQ(all.size(), 3000u);
  for (int i = 1; i <= 3000; ++i) {
    ASSERT_THAT(Texts(all[i - 1]),
                ElementsAre("L'École & Cie\nn°" + std::to_string(i), "a<b>&amp;"))
        << i;
  }
}

TEST_F(XlsxReaderTest, WorksheetXmlErrorsAreNamed) {
  XlsxParts p;
  p.sheet_data =
      R"(<sheetData><row r="1"><c t="inlineStr"><is><t>&nbsp;</t></is></c></row></sheetData>)";
  EXPECT_THAT(ReadParts(p), StatusIs(Code::kInvalidArgument,
                                     AllOf(HasSubstr(kNotXlsx), HasSubstr("XML mal formé"),
                                           HasSubstr("entité inconnue « &nbsp; »"))));
  p.sheet_data =
      "<sheetData><row r=\"1\"><c t=\"inlineStr\"><is><t>a\x02</t></is></c></row></sheetData>";
  EXPECT_THAT(ReadParts(p), StatusIs(Code::kInvalidArgument, HasSubstr("U+0002 interdit")));
  // Bytes that are not UTF-8 in a cell's text.
  p.sheet_data =
      "<sheetData><row r=\"1\"><c r=\"B1\" "
      "t=\"inlineStr\"><is><t>caf\xE9</t></is></c></row></sheetData>";
  EXPECT_THAT(ReadParts(p),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("la cellule B1 contient un texte qui n'est pas en UTF-8")));
  // The sheet data left open.
  p.sheet_data = R"(<sheetData><row r="1"><c><v>1</v></c></row>)";
  EXPECT_THAT(ReadParts(p), StatusIs(Code::kInvalidArgument,
                                     HasSubstr("balise fermante </worksheet> inattendue")));
}

// Damage in the middle of a large worksheet's compressed bytes stops the reading
// with the archive's error, after the rows before it came in order.
TEST_F(XlsxReaderTest, CorruptedLargeEntryStopsAfterTheRowsBeforeIt) {
  XlsxParts p;
  // Letters drawn at random: a sheet that deflates to several hundred KiB.
  auto text_of = [](int64_t i) {
    std::string t;
    uint64_t x = static_cast<uint64_t>(i) * 6364136223846793005u + 1442695040888963407u;
    for (int k = 0; k < 24; ++k) {
      x = x * 6364136223846793005u + 1442695040888963407u;
      t += static_cast<char>('a' + (x >> 59) % 26);
    }
    return t;
  };
  std::string rows;
  for (int i = 1; i <= 50000; ++i) {
    rows += "<row r=\"" + std::to_string(i) + "\"><c t=\"inlineStr\"><is><t>" + text_of(i) +
            "</t></is></c></row>";
  }
  p.sheet_data = "<sheetData>" + rows + "</sheetData>";
  std::string bytes = test::ReadFile(Write(p));
  size_t at = bytes.find("xl/worksheets/sheet1.xml");
  ASSERT_NE(at, std::string::npos);
  size_t next = bytes.find(std::string("PK\x01\x02", 4), at);  // the central directory
  ASSERT_NE(next, std::string::npos);
  ASSERT_GT(next - at, 200000u);  // the deflated sheet lies in between
  const size_t mid = at + (next - at) / 2;
  for (size_t i = mid; i < mid + 64; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
  ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::FromString(bytes, {}));
  int64_t n = 0;
  Status s;
  while (true) {
    Result<std::optional<Row>> row = reader->Next();
    if (!row.ok()) {
      s = row.status();
      break;
    }
    if (!*row) break;
    ++n;
    ASSERT_EQ((*row)->number, n);
    ASSERT_EQ((*row)->cells[0].text, text_of(n));
  }
  EXPECT_THAT(s, StatusIs(Code::kInvalidArgument, HasSubstr("archive ZIP corrompue")));
  EXPECT_GT(n, 0);
  EXPECT_LT(n, 50000);
}

// A reader let go before the end of a large worksheet ends cleanly.
TEST_F(XlsxReaderTest, ALargeSheetLeftUnreadEndsCleanly) {
  XlsxParts p;
  std::string rows;
  for (int i = 1; i <= 50000; ++i) {
    rows += "<row r=\"" + std::to_string(i) + "\"><c><v>" + std::to_string(i) + "</v></c></row>";
  }
  p.sheet_data = "<sheetData>" + rows + "</sheetData>";
  for (int read : {0, 1, 20000}) {
    ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::Open(Write(p), {}));
    for (int i = 1; i <= read; ++i) {
      ASSERT_OK_AND_ASSIGN(std::optional<Row> row, reader->Next());
      ASSERT_TRUE(row.has_value());
      ASSERT_EQ(row->cells[0].text, std::to_string(i));
    }
  }
}

TEST_F(XlsxReaderTest, StreamsManyRows) {
  XlsxParts p;
  std::string rows;
  for (int i = 1; i <= 50000; ++i) {
    rows += "<row r=\"" + std::to_string(i) + "\"><c t=\"inlineStr\"><is><t>compte" +
            std::to_string(i) + "@exemple.fr</t></is></c><c><v>" + std::to_string(i) +
            "</v></c></row>";
  }
  p.sheet_data = "<sheetData>" + rows + "</sheetData>";
  ASSERT_OK_AND_ASSIGN(auto reader, XlsxReader::Open(Write(p), {}));
  int64_t n = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(std::optional<Row> row, reader->Next());
    if (!row) break;
    ++n;
    ASSERT_EQ(row->number, n);
    ASSERT_EQ(row->cells[1].text, std::to_string(n));
  }
  EXPECT_EQ(n, 50000);
}

}  // namespace
}  // namespace caduce::import_export
