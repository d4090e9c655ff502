#include "import_export/formats/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

Result<std::vector<Row>> Parse(std::string data, ReadLimits limits = {}) {
  CADUCE_TRY(auto reader, CsvReader::FromString(std::move(data), limits));
  return ReadAll(*reader);
}

TEST(CsvReaderTest, DetectsSemicolon) {
  ASSERT_OK_AND_ASSIGN(auto reader,
                       CsvReader::FromString("NOM;Prénom;CP\r\nDUPONT;Jean;01000\r\n", {}));
  EXPECT_EQ(reader->separator(), ';');
  EXPECT_EQ(reader->encoding(), CsvReader::Encoding::kUtf8);
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(Texts(rows[0]), ElementsAre("NOM", "Prénom", "CP"));
  EXPECT_THAT(Texts(rows[1]), ElementsAre("DUPONT", "Jean", "01000"));
  EXPECT_EQ(rows[1].number, 2);
  EXPECT_EQ(rows[1].cells[2].kind, Cell::Kind::kText);
}

TEST(CsvReaderTest, DetectsComma) {
  ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::FromString("a,b;c,d\n1,2;3,4\n", {}));
  EXPECT_EQ(reader->separator(), ',');
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  EXPECT_THAT(Texts(rows[1]), ElementsAre("1", "2;3", "4"));
}

TEST(CsvReaderTest, DetectsTab) {
  ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::FromString("a\tb\tc\n1\t2\t3", {}));
  EXPECT_EQ(reader->separator(), '\t');
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  EXPECT_THAT(Texts(rows[1]), ElementsAre("1", "2", "3"));
}

TEST(CsvReaderTest, SeparatorsInsideQuotesOnTheFirstLineDoNotCount) {
  ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::FromString("\"a,b,c\";d\n", {}));
  EXPECT_EQ(reader->separator(), ';');
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  EXPECT_THAT(Texts(rows[0]), ElementsAre("a,b,c", "d"));
}

TEST(CsvReaderTest, OneColumnDefaultsToSemicolon) {
  ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::FromString("Adresse mail\na@b.fr\n", {}));
  EXPECT_EQ(reader->separator(), ';');
}

TEST(CsvReaderTest, Utf8WithBom) {
  ASSERT_OK_AND_ASSIGN(auto reader,
                       CsvReader::FromString("\xEF\xBB\xBFVILLE;Région\nÉVRY;Île-de-France\n", {}));
  EXPECT_EQ(reader->encoding(), CsvReader::Encoding::kUtf8);
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  EXPECT_THAT(Texts(rows[0]), ElementsAre("VILLE", "Région"));
  EXPECT_THAT(Texts(rows[1]), ElementsAre("ÉVRY", "Île-de-France"));
}

TEST(CsvReaderTest, Windows1252IsConvertedToUtf8) {
  // "Hélène;Œuvre €;“x” – ‘y’…;Ÿ" in Windows-1252.
  std::string data =
      "H\xE9l\xE8ne;\x8C"
      "uvre \x80;\x93x\x94 \x96 \x91y\x92\x85;\x9F\r\n";
  ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::FromString(data, {}));
  EXPECT_EQ(reader->encoding(), CsvReader::Encoding::kWindows1252);
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(Texts(rows[0]), ElementsAre("Hélène", "Œuvre €", "“x” – ‘y’…", "Ÿ"));
}

TEST(CsvReaderTest, Windows1252WholeHighRange) {
  std::string data;
  for (int b = 0x80; b <= 0x9F; ++b) data.push_back(static_cast<char>(b));
  ASSERT_OK_AND_ASSIGN(auto rows, Parse(data));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].cells[0].text, "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ");
}

TEST(CsvReaderTest, Utf8SequenceAcrossChunks) {
  // Put "é" (2 bytes) across the 64 KiB chunk boundary.
  std::string data;
  for (int i = 0; i < 655; ++i) data += std::string(99, 'a') + "\n";
  data += std::string(35, 'b') + "é;c\n";
  ASSERT_EQ(data.find("é"), 64u * 1024 - 1);
  ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::FromString(data, {}));
  EXPECT_EQ(reader->encoding(), CsvReader::Encoding::kUtf8);
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  ASSERT_EQ(rows.size(), 656u);
  EXPECT_THAT(Texts(rows[655]), ElementsAre(std::string(35, 'b') + "é", "c"));
}

TEST(CsvReaderTest, CrlfAndQuotesAcrossChunks) {
  // CR ends the first 64 KiB chunk and LF starts the second; then the doubled
  // quote of a quoted field straddles the second boundary.
  std::string data;
  for (int i = 0; i < 655; ++i) data += std::string(98, 'a') + "\r\n";
  data += std::string(35, 'b') + "\r\n";
  ASSERT_EQ(data[64 * 1024 - 1], '\r');
  ASSERT_EQ(data[64 * 1024], '\n');
  int c_lines = 0;
  while (data.size() + 3 <= 128 * 1024 - 20) {
    data += "c\r\n";
    ++c_lines;
  }
  const size_t pad = 128 * 1024 - 1 - (data.size() + 2);
  data += "\"x" + std::string(pad, 'q') + "\"\"y\";z\r\n";
  ASSERT_EQ(data.substr(128 * 1024 - 1, 2), "\"\"");
  ASSERT_OK_AND_ASSIGN(auto rows, Parse(data));
  ASSERT_EQ(rows.size(), 656u + c_lines + 1);
  EXPECT_THAT(Texts(rows[655]), ElementsAre(std::string(35, 'b')));
  EXPECT_THAT(Texts(rows[656]), ElementsAre("c"));
  EXPECT_EQ(rows.back().number, static_cast<int64_t>(rows.size()));
  EXPECT_THAT(Texts(rows.back()), ElementsAre("x" + std::string(pad, 'q') + "\"y", "z"));
}

TEST(CsvReaderTest, QuotedFieldsWithSeparatorsQuotesAndNewlines) {
  ASSERT_OK_AND_ASSIGN(
      auto rows,
      Parse("a;b;c\r\n\"x;y\";\"il a dit \"\"oui\"\"\";\"ligne 1\r\nligne 2\nligne 3\"\r\n"
            "end;;\r\n"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(Texts(rows[1]),
              ElementsAre("x;y", "il a dit \"oui\"", "ligne 1\r\nligne 2\nligne 3"));
  // The quoted line breaks do not make new rows.
  EXPECT_EQ(rows[2].number, 3);
  EXPECT_THAT(Texts(rows[2]), ElementsAre("end", "", ""));
  EXPECT_EQ(rows[2].cells[1].kind, Cell::Kind::kEmpty);
}

TEST(CsvReaderTest, LfCrlfAndLastLineWithoutBreak) {
  ASSERT_OK_AND_ASSIGN(auto rows, Parse("a;b\n1;2\r\n3;4"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(Texts(rows[2]), ElementsAre("3", "4"));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButCounted) {
  ASSERT_OK_AND_ASSIGN(auto rows, Parse("a;b\r\n\r\n1;2\r\n;\r\n"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].number, 3);
  // ";" is a row of two empty cells: kept.
  EXPECT_EQ(rows[2].number, 4);
  EXPECT_EQ(rows[2].cells.size(), 2u);
}

TEST(CsvReaderTest, StrayQuoteInUnquotedFieldIsLiteral) {
  ASSERT_OK_AND_ASSIGN(auto rows, Parse("a;b\n5\" disque;l'école\n"));
  EXPECT_THAT(Texts(rows[1]), ElementsAre("5\" disque", "l'école"));
}

TEST(CsvReaderTest, TextAfterClosingQuoteIsKept) {
  ASSERT_OK_AND_ASSIGN(auto rows, Parse("\"abc\"def;g\n"));
  EXPECT_THAT(Texts(rows[0]), ElementsAre("abcdef", "g"));
}

TEST(CsvReaderTest, InjectionGuardApostropheIsRemoved) {
  ASSERT_OK_AND_ASSIGN(auto rows, Parse("'=1+1;'+33612345678;'-x;'@SIDEPE;'abc;';''=x\n"));
  EXPECT_THAT(Texts(rows[0]),
              ElementsAre("=1+1", "+33612345678", "-x", "@SIDEPE", "'abc", "'", "'=x"));
}

TEST(CsvReaderTest, UnterminatedQuoteNamesTheLine) {
  EXPECT_THAT(Parse("a;b\n1;2\n\"ouvert;3\n4;5\n"),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("guillemet ouvert à la ligne 3 n'est jamais refermé")));
}

TEST(CsvReaderTest, ErrorIsSticky) {
  ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::FromString("\"x", {}));
  EXPECT_THAT(reader->Next(), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(reader->Next(), StatusIs(Code::kInvalidArgument));
}

TEST(CsvReaderTest, EmptyFileIsRefused) {
  EXPECT_THAT(CsvReader::FromString("", {}), StatusIs(Code::kInvalidArgument, HasSubstr("vide")));
  EXPECT_THAT(CsvReader::FromString("\xEF\xBB\xBF", {}), StatusIs(Code::kInvalidArgument));
}

TEST(CsvReaderTest, MaxRows) {
  ReadLimits limits;
  limits.max_rows = 3;
  EXPECT_OK(Parse("a\nb\nc\n", limits));
  EXPECT_THAT(Parse("a\nb\nc\nd\n", limits),
              StatusIs(Code::kResourceExhausted, HasSubstr("limite de 3 lignes (ligne 4)")));
}

TEST(CsvReaderTest, MaxColumns) {
  ReadLimits limits;
  limits.max_columns = 3;
  EXPECT_OK(Parse("a;b;c\n", limits));
  EXPECT_THAT(
      Parse("a;b;c\n1;2;3;4\n", limits),
      StatusIs(Code::kResourceExhausted, HasSubstr("La ligne 2 dépasse la limite de 3 colonnes")));
}

TEST(CsvReaderTest, MaxCellChars) {
  std::string ok(32767, 'x');
  EXPECT_OK(Parse("a;" + ok + "\n"));
  std::string too_long = "a;b\nc;" + std::string(32768, 'x') + "\n";
  EXPECT_THAT(Parse(too_long),
              StatusIs(Code::kResourceExhausted,
                       HasSubstr("La cellule B2 (ligne 2) dépasse la limite de 32767 caractères")));
  // Characters, not bytes.
  std::string accents;
  for (int i = 0; i < 32767; ++i) accents += "é";
  EXPECT_OK(Parse(accents));
}

TEST(CsvReaderTest, MaxBytes) {
  ReadLimits limits;
  limits.max_uncompressed_bytes = 10;
  EXPECT_THAT(CsvReader::FromString("0123456789A", limits),
              StatusIs(Code::kResourceExhausted, HasSubstr("taille maximale")));
}

TEST(CsvReaderTest, OpensAFile) {
  caduce::testing::TempDir dir;
  test::WriteFile(dir.File("a.csv"), "x;y\n1;2\n");
  ASSERT_OK_AND_ASSIGN(auto reader, CsvReader::Open(dir.File("a.csv"), {}));
  ASSERT_OK_AND_ASSIGN(auto rows, ReadAll(*reader));
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_THAT(CsvReader::Open(dir.File("absent.csv"), {}), StatusIs(Code::kNotFound));
}

}  // namespace
}  // namespace caduce::import_export
