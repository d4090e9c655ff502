// Tests of the reference lists: the real files of data/ load, a broken copy fails
// with kDataLoss naming the file and the line, and values match by code, label or
// "code - label" without regard to case, accents or spaces.
#include "directory/reference_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace caduce::directory {
namespace {

using ::caduce::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A copy of data/ that a test may break.
class DataCopy {
 public:
  DataCopy() {
    for (const auto& entry : std::filesystem::directory_iterator(caduce::testing::DataDir())) {
      if (entry.path().extension() == ".csv") {
        std::filesystem::copy_file(entry.path(),
                                   std::filesystem::path(dir_.path()) / entry.path().filename());
      }
    }
  }
  std::string path() const { return dir_.path(); }
  std::string File(const std::string& name) const { return dir_.File(name); }
  void Write(const std::string& name, const std::string& content) const {
    std::ofstream(File(name), std::ios::binary | std::ios::trunc) << content;
  }

 private:
  caduce::testing::TempDir dir_;
};

class ReferenceDataTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto r = ReferenceData::Load(caduce::testing::DataDir());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ref_ = new ReferenceData(std::move(r).value());
  }
  static void TearDownTestSuite() {
    delete ref_;
    ref_ = nullptr;
  }
  static const ReferenceData* ref_;
};
const ReferenceData* ReferenceDataTest::ref_ = nullptr;

TEST_F(ReferenceDataTest, LoadsEveryList) {
  EXPECT_EQ(ref_->regions().entries().size(), 18u);
  EXPECT_EQ(ref_->departements().entries().size(), 101u);
  EXPECT_EQ(ref_->civilites().entries().size(), 6u);
  EXPECT_GE(ref_->professions().entries().size(), 50u);
  EXPECT_GE(ref_->specialites().entries().size(), 100u);
}

TEST_F(ReferenceDataTest, TypesOfStructureIdentifierKeepOnlyFinessSirenSiret) {
  const auto& types = ref_->types_id_structure().entries();
  ASSERT_EQ(types.size(), 3u);
  EXPECT_EQ(types[0].code, "1");
  EXPECT_EQ(types[0].label, "FINESS");
  EXPECT_EQ(types[1].label, "SIREN");
  EXPECT_EQ(types[2].label, "SIRET");
  EXPECT_EQ(ref_->types_id_structure().Find("4"), nullptr);  // Id cabinet RPPS
}

TEST_F(ReferenceDataTest, ExtraColumnsAreKept) {
  EXPECT_EQ(ref_->departements().FindCode("31")->extra, "76");
  EXPECT_EQ(ref_->professions().FindCode("10")->extra, "sante");
  EXPECT_EQ(ref_->professions().FindCode("313")->extra, "medico-social");
  EXPECT_EQ(ref_->professions().FindCode("C01")->extra, "non-sante");
  EXPECT_EQ(ref_->specialites().FindCode("SP01")->extra, "deprecated 2018-03-30");
}

TEST_F(ReferenceDataTest, QuotedLabelsKeepTheirCommas) {
  const ListEntry* e = ref_->specialites().FindCode("SM22");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->label, "Hématologie, option Maladie du sang (SM)");
}

TEST_F(ReferenceDataTest, FindsByCodeIgnoringCase) {
  const ListEntry* e = ref_->departements().Find("2a");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->code, "2A");
  EXPECT_EQ(ref_->civilites().Find("dr")->code, "DR");
  EXPECT_EQ(ref_->professions().Find(" 10 ")->code, "10");
}

TEST_F(ReferenceDataTest, FindsByLabelIgnoringCaseAccentsAndSpaces) {
  EXPECT_EQ(ref_->regions().Find("ile-de-france")->code, "11");
  EXPECT_EQ(ref_->regions().Find("  ÎLE-DE-FRANCE ")->code, "11");
  EXPECT_EQ(ref_->departements().Find("corse du sud"), nullptr);  // hyphens matter
  EXPECT_EQ(ref_->departements().Find("CORSE-DU-SUD")->code, "2A");
  EXPECT_EQ(ref_->professions().Find("chirurgien-dentiste")->code, "40");
  EXPECT_EQ(ref_->professions().Find("Medecin")->code, "10");
  EXPECT_EQ(ref_->regions().Find("Provence-Alpes-Côte d\u2019Azur")->code, "93");
}

TEST_F(ReferenceDataTest, FindsCodeDashLabel) {
  EXPECT_EQ(ref_->departements().Find("31 - Haute-Garonne")->code, "31");
  EXPECT_EQ(ref_->departements().Find("31 -   haute-garonne")->code, "31");
  EXPECT_EQ(ref_->professions().Find("10 - MÉDECIN")->code, "10");
  // A label that itself holds " - ".
  const ListEntry* e = ref_->specialites().Find(
      "SM86 - ORL - chir cervico-faciale opt "
      "audiophonologie (SM)");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->code, "SM86");
  EXPECT_EQ(ref_->specialites().Find("ORL - chir cervico-faciale opt audiophonologie (SM)")->code,
            "SM86");
}

TEST_F(ReferenceDataTest, CodeDashLabelMustAgree) {
  EXPECT_EQ(ref_->departements().Find("31 - Gironde"), nullptr);
  EXPECT_EQ(ref_->departements().Find("Haute-Garonne - Haute-Garonne"), nullptr);
  EXPECT_EQ(ref_->departements().Find("99 - Haute-Garonne"), nullptr);
}

TEST_F(ReferenceDataTest, UnknownValuesAreNotFound) {
  EXPECT_EQ(ref_->departements().Find(""), nullptr);
  EXPECT_EQ(ref_->departements().Find("20"), nullptr);  // old Corsica code
  EXPECT_EQ(ref_->professions().Find("Sorcier"), nullptr);
}

TEST_F(ReferenceDataTest, FindCodeIgnoresLabels) {
  EXPECT_EQ(ref_->departements().FindCode("Haute-Garonne"), nullptr);
  EXPECT_EQ(ref_->departements().FindCode("2b")->code, "2B");
}

TEST(ReferenceDataLoadTest, MissingFileIsDataLossNamingTheFile) {
  DataCopy data;
  std::filesystem::remove(data.File("regions.csv"));
  EXPECT_THAT(ReferenceData::Load(data.path()),
              StatusIs(Code::kDataLoss, HasSubstr(data.File("regions.csv"))));
}

TEST(ReferenceDataLoadTest, MissingDirectoryIsDataLoss) {
  EXPECT_THAT(ReferenceData::Load("/nonexistent/caduce-data"),
              StatusIs(Code::kDataLoss, HasSubstr("/nonexistent/caduce-data/")));
}

TEST(ReferenceDataLoadTest, MissingColumnNamesFileAndLine) {
  DataCopy data;
  data.Write("regions.csv",
             "code,label\n01,Guadeloupe\n02,Martinique\n03,Guyane\n04,La Réunion\n"
             "06,Mayotte\n11\n");
  EXPECT_THAT(ReferenceData::Load(data.path()),
              StatusIs(Code::kDataLoss, HasSubstr(data.File("regions.csv") +
                                                  " line 7: expected 2 columns, found 1")));
}

TEST(ReferenceDataLoadTest, ExtraColumnNamesFileAndLine) {
  DataCopy data;
  data.Write("civilites_exercice.csv", "code,label\r\nDR,Docteur\r\nPR,Professeur,x\r\n");
  EXPECT_THAT(ReferenceData::Load(data.path()),
              StatusIs(Code::kDataLoss, AllOf(HasSubstr("civilites_exercice.csv line 3"),
                                              HasSubstr("expected 2 columns, found 3"))));
}

TEST(ReferenceDataLoadTest, WrongHeaderIsDataLoss) {
  DataCopy data;
  data.Write("regions.csv", "code;label\n11;Île-de-France\n");
  EXPECT_THAT(ReferenceData::Load(data.path()),
              StatusIs(Code::kDataLoss,
                       AllOf(HasSubstr("regions.csv line 1"), HasSubstr("expected header"))));
}

TEST(ReferenceDataLoadTest, UnterminatedQuoteIsDataLoss) {
  DataCopy data;
  data.Write("specialites.csv",
             "code,label,status,source_version\nSM01,\"Anatomie,unchecked,IG\nSM02,x,y,z\n");
  EXPECT_THAT(ReferenceData::Load(data.path()),
              StatusIs(Code::kDataLoss,
                       AllOf(HasSubstr("specialites.csv line 2"), HasSubstr("unterminated"))));
}

TEST(ReferenceDataLoadTest, QuotedFieldsSpanLinesAndEscapeQuotes) {
  DataCopy data;
  data.Write("civilites_exercice.csv",
             "code,label\nDR,\"Docteur \"\"honoraire\"\"\"\nPR,\"Pro\nfesseur\"\nMG,Médecin\n,x\n");
  // The record after the two-line one starts on line 6, and its code is empty.
  EXPECT_THAT(ReferenceData::Load(data.path()),
              StatusIs(Code::kDataLoss, HasSubstr("civilites_exercice.csv line 6: empty code")));
  data.Write("civilites_exercice.csv", "code,label\nDR,\"Docteur \"\"honoraire\"\"\"\n");
  ASSERT_OK_AND_ASSIGN(ReferenceData ref, ReferenceData::Load(data.path()));
  EXPECT_EQ(ref.civilites().FindCode("DR")->label, "Docteur \"honoraire\"");
}

TEST(ReferenceDataLoadTest, DuplicateCodeIsDataLoss) {
  DataCopy data;
  data.Write("civilites_exercice.csv", "code,label\nDR,Docteur\nDR,Docteur bis\n");
  EXPECT_THAT(ReferenceData::Load(data.path()),
              StatusIs(Code::kDataLoss, HasSubstr("civilites_exercice.csv line 3: duplicate")));
}

TEST(ReferenceDataLoadTest, InvalidUtf8IsDataLoss) {
  DataCopy data;
  data.Write("regions.csv", "code,label\n11,\xCEle-de-France\n");  // Latin-1 Î
  EXPECT_THAT(ReferenceData::Load(data.path()),
              StatusIs(Code::kDataLoss, HasSubstr("regions.csv line 2: invalid UTF-8")));
}

TEST(ReferenceDataLoadTest, DepartmentInUnknownRegionIsDataLoss) {
  DataCopy data;
  data.Write("departements.csv", "code,label,region_code\n01,Ain,84\n02,Aisne,99\n");
  EXPECT_THAT(ReferenceData::Load(data.path()),
              StatusIs(Code::kDataLoss, HasSubstr("departements.csv line 3: unknown region")));
}

TEST(ReferenceDataLoadTest, ByteOrderMarkAndBlankLinesAreAccepted) {
  DataCopy data;
  data.Write("civilites_exercice.csv",
             "\xEF\xBB\xBF"
             "code,label\n\nDR,Docteur\n\n");
  ASSERT_OK_AND_ASSIGN(ReferenceData ref, ReferenceData::Load(data.path()));
  EXPECT_EQ(ref.civilites().entries().size(), 1u);
}

TEST(ReferenceDataLoadTest, DefaultDirReadsTheEnvironment) {
  const char* old = std::getenv("CADUCE_DATA_DIR");
  std::string saved = old ? old : "";
  setenv("CADUCE_DATA_DIR", "/srv/caduce/data", 1);
  EXPECT_EQ(ReferenceData::DefaultDir(), "/srv/caduce/data");
  unsetenv("CADUCE_DATA_DIR");
  EXPECT_FALSE(ReferenceData::DefaultDir().empty());  // the build-time default
  if (old) setenv("CADUCE_DATA_DIR", saved.c_str(), 1);
}

}  // namespace
}  // namespace caduce::directory
