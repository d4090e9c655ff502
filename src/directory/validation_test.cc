// One test per rule of FIELDS.md, with the real reference data of data/. Each test
// asserts what the person fixing the row sees: the finding's code and severity, the
// stored value, and a message that names the column by its exact header.
#include "directory/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "testing/temp_dir.h"

namespace caduce::directory {
namespace {

using ::testing::HasSubstr;

constexpr Severity kError = Severity::kError;
constexpr Severity kWarning = Severity::kWarning;

std::string Describe(const ValidationResult& r) {
  std::string s;
  for (const Finding& f : r.findings) {
    s += "\n  [" + std::string(Spec(f.field).header) + "] " +
         (f.severity == kError ? "error " : "warning ") + f.code + ": " + f.message;
  }
  return s.empty() ? "\n  (no finding)" : s;
}

// True when `r` has a finding on `field` with `code` and `severity` whose message
// names the column as « header ».
::testing::AssertionResult HasFinding(const ValidationResult& r, Field field, Severity severity,
                                      const std::string& code) {
  for (const Finding& f : r.findings) {
    if (f.field != field || f.code != code) continue;
    if (f.severity != severity) {
      return ::testing::AssertionFailure() << code << " has the wrong severity" << Describe(r);
    }
    std::string quoted = "« " + std::string(Spec(field).header) + " »";
    if (f.message.find(quoted) == std::string::npos) {
      return ::testing::AssertionFailure() << "message does not name " << quoted << Describe(r);
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "no " << code << " on " << Spec(field).header << Describe(r);
}

// True when `r` has no finding at all on `field`.
::testing::AssertionResult Clean(const ValidationResult& r, Field field) {
  for (const Finding& f : r.findings) {
    if (f.field == field) {
      return ::testing::AssertionFailure() << "unexpected finding" << Describe(r);
    }
  }
  return ::testing::AssertionSuccess();
}

// The message of the finding on `field` with `code`, "" when there is none.
std::string Message(const ValidationResult& r, Field field, const std::string& code) {
  for (const Finding& f : r.findings) {
    if (f.field == field && f.code == code) return f.message;
  }
  return "";
}

::testing::AssertionResult NoError(const ValidationResult& r) {
  if (r.HasErrors()) return ::testing::AssertionFailure() << Describe(r);
  return ::testing::AssertionSuccess();
}

class ValidationTest : public ::testing::Test {
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

  static void Set(AccountDraft& d, Field f, std::string v, bool numeric_cell = false) {
    d.values[FieldIndex(f)] = std::move(v);
    d.numeric_cell[FieldIndex(f)] = numeric_cell;
  }

  // A complete PER row: a physician with an RPPS.
  static AccountDraft Per() {
    AccountDraft d;
    Set(d, Field::kType, "PER");
    Set(d, Field::kAddress, "marie.dupont@chu-toulouse.fr");
    Set(d, Field::kNom, "Dupont");
    Set(d, Field::kPrenom, "Marie");
    Set(d, Field::kRpps, "10102727012");
    Set(d, Field::kRaisonSociale, "CHU de Toulouse");
    Set(d, Field::kService, "Cardiologie");
    Set(d, Field::kAdresse1, "2 rue Viguerie");
    Set(d, Field::kCp, "31300");
    Set(d, Field::kVille, "Toulouse");
    Set(d, Field::kDepartement, "31");
    Set(d, Field::kRegion, "76");
    Set(d, Field::kTelephone1, "05 61 77 22 33");
    Set(d, Field::kProfession, "10");
    Set(d, Field::kSpecialite, "SM04");
    Set(d, Field::kActiviteLiberale, "NON");
    Set(d, Field::kMssAddress, "marie.dupont");
    return d;
  }

  // A complete INT row: a nurse of a structure identified by its FINESS.
  static AccountDraft Int() {
    AccountDraft d;
    Set(d, Field::kType, "INT");
    Set(d, Field::kAddress, "luc.martin@chu-toulouse.fr");
    Set(d, Field::kNom, "Martin");
    Set(d, Field::kPrenom, "Luc");
    Set(d, Field::kRaisonSociale, "CHU de Toulouse");
    Set(d, Field::kAdresse1, "2 rue Viguerie");
    Set(d, Field::kCp, "31300");
    Set(d, Field::kVille, "Toulouse");
    Set(d, Field::kDepartement, "31");
    Set(d, Field::kRegion, "76");
    Set(d, Field::kProfession, "60");
    Set(d, Field::kSpecialite, "SI05");
    Set(d, Field::kActiviteLiberale, "NON");
    Set(d, Field::kTypeIdStructure, "1");
    Set(d, Field::kIdStructure, "310780382");
    return d;
  }

  // A complete MED row: a medical secretary (a caduce role, not a health profession).
  static AccountDraft Med() {
    AccountDraft d;
    Set(d, Field::kType, "MED");
    Set(d, Field::kAddress, "julie.bernard@cabinet-pasteur.fr");
    Set(d, Field::kNom, "Bernard");
    Set(d, Field::kPrenom, "Julie");
    Set(d, Field::kRaisonSociale, "Cabinet Pasteur");
    Set(d, Field::kAdresse1, "12 avenue Pasteur");
    Set(d, Field::kCp, "33000");
    Set(d, Field::kVille, "Bordeaux");
    Set(d, Field::kDepartement, "33");
    Set(d, Field::kRegion, "75");
    Set(d, Field::kProfession, "C01");
    Set(d, Field::kActiviteLiberale, "NON");
    return d;
  }

  // A complete ORG row: a shared mailbox with its responsible person.
  static AccountDraft Org() {
    AccountDraft d;
    Set(d, Field::kType, "ORG");
    Set(d, Field::kAddress, "secretariat.cardio@chu-toulouse.fr");
    Set(d, Field::kRaisonSociale, "CHU de Toulouse");
    Set(d, Field::kAdresse1, "2 rue Viguerie");
    Set(d, Field::kCp, "31300");
    Set(d, Field::kVille, "Toulouse");
    Set(d, Field::kDepartement, "31");
    Set(d, Field::kRegion, "76");
    Set(d, Field::kTypeIdStructure, "3");
    Set(d, Field::kIdStructure, "73282932000074");
    Set(d, Field::kNomResp, "Martin");
    Set(d, Field::kPrenomResp, "Paul");
    Set(d, Field::kProfessionResp, "Cadre de santé");
    Set(d, Field::kIdentifiantResp, "poste 4521");
    Set(d, Field::kDescription, "Secrétariat de cardiologie");
    Set(d, Field::kMssAddress, "secretariat.cardio");
    Set(d, Field::kConnectionAccounts, "marie.dupont@chu-toulouse.fr;luc.martin@chu-toulouse.fr");
    return d;
  }

  // A complete APP row: a mailbox fed by an application.
  static AccountDraft App() {
    AccountDraft d;
    Set(d, Field::kType, "APP");
    Set(d, Field::kAddress, "resultats.labo@labo-garonne.fr");
    Set(d, Field::kRaisonSociale, "Laboratoire Garonne");
    Set(d, Field::kAdresse1, "5 allée Jean Jaurès");
    Set(d, Field::kCp, "31000");
    Set(d, Field::kVille, "Toulouse");
    Set(d, Field::kDepartement, "31");
    Set(d, Field::kRegion, "76");
    Set(d, Field::kTypeIdStructure, "2");
    Set(d, Field::kIdStructure, "552100554");
    Set(d, Field::kNomResp, "Durand");
    Set(d, Field::kPrenomResp, "Anne");
    Set(d, Field::kProfessionResp, "Biologiste");
    Set(d, Field::kIdentifiantResp, "informatique@labo-garonne.fr");
    Set(d, Field::kDescription, "Résultats du laboratoire");
    Set(d, Field::kAdresseRetour, "retours@labo-garonne.fr");
    return d;
  }

  static AccountDraft Of(AccountType t) {
    switch (t) {
      case AccountType::kPer:
        return Per();
      case AccountType::kInt:
        return Int();
      case AccountType::kMed:
        return Med();
      case AccountType::kOrg:
        return Org();
      case AccountType::kApp:
        return App();
    }
    return Per();
  }

  static std::vector<AccountType> AllTypes() {
    return {AccountType::kPer, AccountType::kInt, AccountType::kMed, AccountType::kOrg,
            AccountType::kApp};
  }

  static ValidationResult Validate(const AccountDraft& d, Channel c = Channel::kForm) {
    return ValidateAccount(d, *ref_, c);
  }

  // Validates `base` with `f` set to `v`.
  static ValidationResult With(AccountDraft base, Field f, std::string v,
                               bool numeric_cell = false) {
    Set(base, f, std::move(v), numeric_cell);
    return Validate(base);
  }

  // The stored form of `v` in field `f` of a valid row of type `t`.
  static std::string Stored(Field f, std::string v, AccountType t = AccountType::kPer,
                            bool numeric_cell = false) {
    return With(Of(t), f, std::move(v), numeric_cell).normalized[FieldIndex(f)];
  }

  static const ReferenceData* ref_;
};
const ReferenceData* ValidationTest::ref_ = nullptr;

// ---------------------------------------------------------------------------
// Complete rows.

TEST_F(ValidationTest, CompleteRowsOfEveryTypeHaveNoFinding) {
  for (AccountType t :
       {AccountType::kPer, AccountType::kInt, AccountType::kOrg, AccountType::kApp}) {
    ValidationResult r = Validate(Of(t));
    EXPECT_TRUE(r.findings.empty()) << AccountTypeCode(t) << Describe(r);
  }
  // A medical secretary has no ordinal specialty: the recommended column stays empty.
  ValidationResult r = Validate(Med());
  EXPECT_TRUE(HasFinding(r, Field::kSpecialite, kWarning, "recommended"));
  EXPECT_EQ(r.findings.size(), 1u) << Describe(r);
}

TEST_F(ValidationTest, CompleteRowsAreStoredNormalised) {
  ValidationResult r = Validate(Per());
  EXPECT_EQ(r.normalized[FieldIndex(Field::kType)], "PER");
  EXPECT_EQ(r.normalized[FieldIndex(Field::kNom)], "DUPONT");
  EXPECT_EQ(r.normalized[FieldIndex(Field::kVille)], "TOULOUSE");
  EXPECT_EQ(r.normalized[FieldIndex(Field::kTelephone1)], "0561772233");
  EXPECT_EQ(r.normalized[FieldIndex(Field::kPrenom)], "Marie");
}

TEST_F(ValidationTest, DisplayValuesReadBackUnchanged) {
  // FIELDS.md "Export": exporting then importing the same file changes nothing.
  for (AccountType t : AllTypes()) {
    AccountDraft d = Of(t);
    Set(d, Field::kDatePeremption, "31/12/2027");
    ValidationResult first = Validate(d, Channel::kImport);
    ASSERT_TRUE(NoError(first));
    AccountDraft again;
    for (int i = 0; i < kNumFields; ++i) {
      again.values[i] = DisplayValue(static_cast<Field>(i), first.normalized[i], *ref_);
    }
    ValidationResult second = Validate(again, Channel::kImport);
    EXPECT_EQ(second.normalized, first.normalized) << AccountTypeCode(t);
    EXPECT_EQ(second.findings.size(), first.findings.size()) << Describe(second);
  }
}

TEST_F(ValidationTest, ErrorCountCountsErrorsOnly) {
  AccountDraft d = Per();
  Set(d, Field::kNom, "");            // error
  Set(d, Field::kRaisonSociale, "");  // warning
  Set(d, Field::kCp, "3100");         // error
  ValidationResult r = Validate(d);
  EXPECT_TRUE(r.HasErrors());
  EXPECT_EQ(r.ErrorCount(), 2u) << Describe(r);
  EXPECT_EQ(r.findings.size(), 3u) << Describe(r);
}

TEST_F(ValidationTest, EveryFindingIsReportedAtOnce) {
  AccountDraft d = Per();
  Set(d, Field::kAddress, "pas une adresse");
  Set(d, Field::kCp, "ABCDE");
  Set(d, Field::kTelephone1, "12");
  Set(d, Field::kActiviteLiberale, "peut-être");
  ValidationResult r = Validate(d);
  EXPECT_EQ(r.ErrorCount(), 4u) << Describe(r);
}

// ---------------------------------------------------------------------------
// Generic checks on every value.

TEST_F(ValidationTest, InvalidUtf8IsAnError) {
  ValidationResult r = With(Per(), Field::kNom, "Du\xE9pont");  // Windows-1252 é
  EXPECT_TRUE(HasFinding(r, Field::kNom, kError, "invalid_utf8"));
  EXPECT_EQ(r.normalized[FieldIndex(Field::kNom)], "");
  // Reported once: no "required" on top of it.
  EXPECT_EQ(r.ErrorCount(), 1u) << Describe(r);
}

TEST_F(ValidationTest, ControlCharacterIsAnError) {
  EXPECT_TRUE(
      HasFinding(With(Per(), Field::kPrenom, "Ma\x01rie"), Field::kPrenom, kError, "control_char"));
  EXPECT_TRUE(HasFinding(With(Per(), Field::kVille, "Toulouse\x7F"), Field::kVille, kError,
                         "control_char"));
  EXPECT_TRUE(HasFinding(With(Per(), Field::kVille, "Tou\xC2\x85louse"), Field::kVille, kError,
                         "control_char"));  // U+0085, a C1 control
  EXPECT_TRUE(HasFinding(With(Per(), Field::kVille, std::string("Tou\0louse", 9)), Field::kVille,
                         kError, "control_char"));
}

TEST_F(ValidationTest, TabsAndLineBreaksInsideACellAreSpaces) {
  // Alt+Entrée in a spreadsheet cell.
  EXPECT_EQ(Stored(Field::kAdresse1, "2 rue\nViguerie\r\n\tBâtiment B"),
            "2 rue Viguerie Bâtiment B");
}

TEST_F(ValidationTest, ValuesAreTrimmedAndInnerSpacesCollapsed) {
  EXPECT_EQ(Stored(Field::kPrenom, "  Marie   Claire\xC2\xA0"), "Marie Claire");
  EXPECT_EQ(Stored(Field::kRaisonSociale, "\tCHU   de  Toulouse "), "CHU de Toulouse");
  // A value of spaces only is empty.
  EXPECT_TRUE(HasFinding(With(Per(), Field::kNom, "   "), Field::kNom, kError, "required"));
}

TEST_F(ValidationTest, ValueOver255CodePointsIsTooLong) {
  std::string max;
  for (int i = 0; i < 255; ++i) max += "é";  // 510 bytes, 255 code points
  EXPECT_TRUE(Clean(With(Per(), Field::kRaisonSociale, max), Field::kRaisonSociale));
  EXPECT_TRUE(HasFinding(With(Per(), Field::kRaisonSociale, max + "e"), Field::kRaisonSociale,
                         kError, "too_long"));
}

TEST_F(ValidationTest, AddressOver254BytesIsTooLong) {
  std::string domain;
  for (int i = 0; i < 4; ++i) domain += std::string(60, 'd') + ".";
  domain += "fr";                        // 246 bytes
  std::string ok = "abcdefg@" + domain;  // 254
  ASSERT_EQ(ok.size(), 254u);
  EXPECT_TRUE(Clean(With(Per(), Field::kAddress, ok), Field::kAddress));
  EXPECT_TRUE(
      HasFinding(With(Per(), Field::kAddress, "a" + ok), Field::kAddress, kError, "too_long"));
}

TEST_F(ValidationTest, ConnectionAccountListIsNotBoundBy255Characters) {
  // A team of 40 persons: far over 255 characters, each address valid.
  std::string list;
  for (int i = 0; i < 40; ++i) list += "personne" + std::to_string(i) + "@hopital.fr;";
  ValidationResult r = With(Org(), Field::kConnectionAccounts, list);
  EXPECT_TRUE(Clean(r, Field::kConnectionAccounts));
  EXPECT_EQ(std::count(r.normalized[FieldIndex(Field::kConnectionAccounts)].begin(),
                       r.normalized[FieldIndex(Field::kConnectionAccounts)].end(), '@'),
            40);
  std::string huge;
  for (size_t i = 0; i <= kMaxAddressesPerCell; ++i) huge += "p" + std::to_string(i) + "@h.fr;";
  EXPECT_TRUE(HasFinding(With(Org(), Field::kConnectionAccounts, huge),
                         Field::kConnectionAccounts, kError, "too_many_addresses"));
}

TEST_F(ValidationTest, SqlFragmentsAreKeptLiterallyAsText) {
  const std::string sql = "CHU'); DROP TABLE accounts;-- \" OR '1'='1";
  ValidationResult r = With(Per(), Field::kRaisonSociale, sql);
  EXPECT_TRUE(Clean(r, Field::kRaisonSociale));
  EXPECT_EQ(r.normalized[FieldIndex(Field::kRaisonSociale)], sql);
  EXPECT_EQ(Stored(Field::kNom, "o'neil; DELETE FROM x"), "O'NEIL; DELETE FROM X");
}

// ---------------------------------------------------------------------------
// Type de compte.

TEST_F(ValidationTest, TypeIsRequired) {
  AccountDraft d;
  ValidationResult r = Validate(d);
  EXPECT_TRUE(HasFinding(r, Field::kType, kError, "required"));
  EXPECT_EQ(r.findings.size(), 1u) << Describe(r);
}

TEST_F(ValidationTest, UnknownTypeIsOneErrorAndSkipsTypeRules) {
  AccountDraft d;
  Set(d, Field::kType, "CAB");
  ValidationResult r = Validate(d);
  EXPECT_TRUE(HasFinding(r, Field::kType, kError, "invalid_type"));
  EXPECT_EQ(r.findings.size(), 1u) << Describe(r);
}

TEST_F(ValidationTest, UnknownTypeStillReportsFormatErrors) {
  AccountDraft d = Per();
  Set(d, Field::kType, "Médecin");
  Set(d, Field::kCp, "3100");
  ValidationResult r = Validate(d);
  EXPECT_TRUE(HasFinding(r, Field::kType, kError, "invalid_type"));
  EXPECT_TRUE(HasFinding(r, Field::kCp, kError, "invalid_cp"));
}

TEST_F(ValidationTest, TypeIsStoredAsItsCode) {
  EXPECT_EQ(Stored(Field::kType, " per "), "PER");
  EXPECT_EQ(Stored(Field::kType, "Org", AccountType::kOrg), "ORG");
}

// ---------------------------------------------------------------------------
// Requirements per type (FIELDS.md matrix, read from FieldTable()).

TEST_F(ValidationTest, EveryMandatoryFieldIsRequiredPerType) {
  for (AccountType t : AllTypes()) {
    for (const FieldSpec& spec : FieldTable()) {
      if (spec.field == Field::kType || spec.For(t) != Requirement::kMandatory) continue;
      SCOPED_TRACE(std::string(AccountTypeCode(t)) + " " + std::string(spec.header));
      ValidationResult r = With(Of(t), spec.field, "");
      EXPECT_TRUE(HasFinding(r, spec.field, kError, "required"));
      EXPECT_THAT(Message(r, spec.field, "required"), HasSubstr(AccountTypeCode(t)));
    }
  }
}

TEST_F(ValidationTest, EveryRecommendedFieldWarnsWhenEmpty) {
  for (AccountType t : AllTypes()) {
    for (const FieldSpec& spec : FieldTable()) {
      if (spec.For(t) != Requirement::kRecommended) continue;
      SCOPED_TRACE(std::string(AccountTypeCode(t)) + " " + std::string(spec.header));
      ValidationResult r = With(Of(t), spec.field, "");
      EXPECT_TRUE(HasFinding(r, spec.field, kWarning, "recommended"));
      EXPECT_TRUE(NoError(r));
    }
  }
}

TEST_F(ValidationTest, EveryOptionalFieldMayBeEmpty) {
  for (AccountType t : AllTypes()) {
    for (const FieldSpec& spec : FieldTable()) {
      if (spec.For(t) != Requirement::kOptional) continue;
      SCOPED_TRACE(std::string(AccountTypeCode(t)) + " " + std::string(spec.header));
      ValidationResult r = With(Of(t), spec.field, "");
      EXPECT_TRUE(Clean(r, spec.field));
      EXPECT_TRUE(NoError(r));
    }
  }
}

TEST_F(ValidationTest, NotConcernedValueIsRefusedByTheForm) {
  for (AccountType t : AllTypes()) {
    for (const FieldSpec& spec : FieldTable()) {
      if (spec.For(t) != Requirement::kNotConcerned) continue;
      SCOPED_TRACE(std::string(AccountTypeCode(t)) + " " + std::string(spec.header));
      AccountDraft d = Of(t);
      Set(d, spec.field, "x");
      ValidationResult r = Validate(d, Channel::kForm);
      EXPECT_TRUE(HasFinding(r, spec.field, kError, "not_concerned"));
      EXPECT_EQ(r.normalized[FieldIndex(spec.field)], "");
    }
  }
}

TEST_F(ValidationTest, NotConcernedValueIsIgnoredWithAWarningByTheImport) {
  for (AccountType t : AllTypes()) {
    for (const FieldSpec& spec : FieldTable()) {
      if (spec.For(t) != Requirement::kNotConcerned) continue;
      SCOPED_TRACE(std::string(AccountTypeCode(t)) + " " + std::string(spec.header));
      AccountDraft d = Of(t);
      Set(d, spec.field, "10102727012");
      ValidationResult r = Validate(d, Channel::kImport);
      EXPECT_TRUE(HasFinding(r, spec.field, kWarning, "not_concerned"));
      EXPECT_TRUE(NoError(r));
      EXPECT_EQ(r.normalized[FieldIndex(spec.field)], "");
    }
  }
}

TEST_F(ValidationTest, NotConcernedValueIsNotFormatChecked) {
  // An RPPS in an INT row is dropped: its format is nobody's concern.
  ValidationResult r = Validate(
      [] {
        AccountDraft d = Int();
        Set(d, Field::kRpps, "abc\xE9");
        return d;
      }(),
      Channel::kImport);
  EXPECT_TRUE(HasFinding(r, Field::kRpps, kWarning, "not_concerned"));
  EXPECT_TRUE(NoError(r));
}

TEST_F(ValidationTest, NomIsMandatoryForNominativeAccountsOnly) {
  EXPECT_TRUE(HasFinding(With(Per(), Field::kNom, ""), Field::kNom, kError, "required"));
  EXPECT_TRUE(HasFinding(With(Med(), Field::kNom, ""), Field::kNom, kError, "required"));
  EXPECT_TRUE(Clean(With(Org(), Field::kNom, ""), Field::kNom));
  EXPECT_EQ(Stored(Field::kNom, "Secrétariat", AccountType::kOrg), "SECRÉTARIAT");
}

TEST_F(ValidationTest, ProfessionIsNotConcernedForSharedMailboxes) {
  EXPECT_TRUE(HasFinding(With(Org(), Field::kProfession, "10"), Field::kProfession, kError,
                         "not_concerned"));
  EXPECT_TRUE(HasFinding(With(App(), Field::kActiviteLiberale, "NON"), Field::kActiviteLiberale,
                         kError, "not_concerned"));
}

TEST_F(ValidationTest, StructureIdentifierIsMandatoryForIntOrgAppOnly) {
  EXPECT_TRUE(
      HasFinding(With(Int(), Field::kIdStructure, ""), Field::kIdStructure, kError, "required"));
  EXPECT_TRUE(HasFinding(With(Per(), Field::kIdStructure, "310780382"), Field::kIdStructure, kError,
                         "not_concerned"));
}

TEST_F(ValidationTest, MssAddressIsNotConcernedForMed) {
  EXPECT_TRUE(HasFinding(With(Med(), Field::kMssAddress, "julie.bernard"), Field::kMssAddress,
                         kError, "not_concerned"));
  EXPECT_TRUE(Clean(With(Int(), Field::kMssAddress, "luc.martin"), Field::kMssAddress));
}

TEST_F(ValidationTest, ResponsiblePersonIsMandatoryForSharedMailboxes) {
  EXPECT_TRUE(HasFinding(With(Org(), Field::kNomResp, ""), Field::kNomResp, kError, "required"));
  EXPECT_TRUE(
      HasFinding(With(App(), Field::kDescription, ""), Field::kDescription, kError, "required"));
  EXPECT_TRUE(
      HasFinding(With(Per(), Field::kNomResp, "Martin"), Field::kNomResp, kError, "not_concerned"));
}

// ---------------------------------------------------------------------------
// OSC footnotes.

TEST_F(ValidationTest, PerNeedsRppsOrAdeli) {  // footnote 1
  AccountDraft d = Per();
  Set(d, Field::kRpps, "");
  ValidationResult r = Validate(d);
  EXPECT_TRUE(HasFinding(r, Field::kRpps, kError, "rpps_or_adeli_required"));
  EXPECT_THAT(Message(r, Field::kRpps, "rpps_or_adeli_required"), HasSubstr("« ADELI »"));
  Set(d, Field::kAdeli, "311234561");
  EXPECT_TRUE(NoError(Validate(d)));
  Set(d, Field::kRpps, "10102727012");
  EXPECT_TRUE(NoError(Validate(d)));  // both is fine too
}

TEST_F(ValidationTest, PerWithAnInvalidRppsIsNotAlsoMissingOne) {
  ValidationResult r = With(Per(), Field::kRpps, "123");
  EXPECT_TRUE(HasFinding(r, Field::kRpps, kError, "invalid_format"));
  EXPECT_EQ(r.ErrorCount(), 1u) << Describe(r);
}

TEST_F(ValidationTest, IntDiplomeIsMandatoryForMedicoSocialProfessions) {  // footnote 2
  AccountDraft d = Int();
  Set(d, Field::kProfession, "313");  // Aide-soignant, medico-social
  Set(d, Field::kSpecialite, "");
  EXPECT_TRUE(HasFinding(Validate(d), Field::kDiplome, kError, "diplome_required"));
  Set(d, Field::kDiplome, "DEAS");
  EXPECT_TRUE(NoError(Validate(d)));
  // A health profession leaves it optional.
  EXPECT_TRUE(Clean(Validate(Int()), Field::kDiplome));
}

TEST_F(ValidationTest, IntCiviliteIsMandatoryForMedecinPharmacienDentiste) {  // footnote 3
  for (const char* code : {"10", "21", "40"}) {
    SCOPED_TRACE(code);
    AccountDraft d = Int();
    Set(d, Field::kProfession, code);
    Set(d, Field::kSpecialite, "");
    EXPECT_TRUE(HasFinding(Validate(d), Field::kCiviliteExercice, kError, "civilite_required"));
    Set(d, Field::kCiviliteExercice, "Docteur");
    ValidationResult r = Validate(d);
    EXPECT_TRUE(NoError(r));
    EXPECT_EQ(r.normalized[FieldIndex(Field::kCiviliteExercice)], "DR");
  }
  EXPECT_TRUE(Clean(Validate(Int()), Field::kCiviliteExercice));  // Infirmier
}

TEST_F(ValidationTest, ApicryptSpecialiteIsMandatoryWhenApicryptAddressIsFilled) {  // footnote 4
  AccountDraft d = Per();
  EXPECT_TRUE(Clean(Validate(d), Field::kApicryptSpecialite));
  Set(d, Field::kApicryptAddress, "marie.dupont");
  EXPECT_TRUE(
      HasFinding(Validate(d), Field::kApicryptSpecialite, kError, "apicrypt_specialite_required"));
  Set(d, Field::kApicryptSpecialite, "Cardiologie");
  EXPECT_TRUE(NoError(Validate(d)));
}

TEST_F(ValidationTest, OrgNeedsAtLeastOneConnectionAccount) {  // footnote 5
  ValidationResult r = With(Org(), Field::kConnectionAccounts, "");
  EXPECT_TRUE(HasFinding(r, Field::kConnectionAccounts, kError, "required"));
  EXPECT_THAT(Message(r, Field::kConnectionAccounts, "required"),
              HasSubstr("au moins une adresse"));
  EXPECT_TRUE(HasFinding(With(Org(), Field::kConnectionAccounts, " ; ;"),
                         Field::kConnectionAccounts, kError, "required"));
  // An APP row may list some, or none.
  EXPECT_TRUE(Clean(With(App(), Field::kConnectionAccounts, ""), Field::kConnectionAccounts));
  EXPECT_TRUE(Clean(With(App(), Field::kConnectionAccounts, "marie.dupont@chu-toulouse.fr"),
                    Field::kConnectionAccounts));
}

// ---------------------------------------------------------------------------
// Formats and normalisations.

TEST_F(ValidationTest, AddressIsStoredLowercase) {
  EXPECT_EQ(Stored(Field::kAddress, " Marie.DUPONT@CHU-Toulouse.FR "),
            "marie.dupont@chu-toulouse.fr");
  EXPECT_EQ(Stored(Field::kAdresseRetour, "Retours@Labo.fr", AccountType::kApp), "retours@labo.fr");
}

TEST_F(ValidationTest, InvalidAddressIsAnError) {
  for (const char* bad : {"marie.dupont", "marie@", "@chu.fr", "marie dupont@chu.fr",
                          "marie..dupont@chu.fr", "marie@chu", "marie@-chu.fr", "mar\"ie@chu.fr",
                          "marie@chu..fr", "marie@1.2.3.4", "marié@chu.fr", "a@b@chu.fr"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(
        HasFinding(With(Per(), Field::kAddress, bad), Field::kAddress, kError, "invalid_address"));
  }
  EXPECT_TRUE(HasFinding(With(App(), Field::kAdresseRetour, "retours"), Field::kAdresseRetour,
                         kError, "invalid_address"));
}

TEST_F(ValidationTest, IsValidAddressFollowsDotAtomAndLdhDomains) {
  EXPECT_TRUE(IsValidAddress("marie.dupont@chu-toulouse.fr"));
  EXPECT_TRUE(IsValidAddress("Marie.Dupont@CHU.fr"));
  EXPECT_TRUE(IsValidAddress("o'neil+cardio@a.b.c.fr"));
  EXPECT_TRUE(IsValidAddress("x@medecin.mssante.fr"));
  EXPECT_FALSE(IsValidAddress(""));
  EXPECT_FALSE(IsValidAddress(".marie@chu.fr"));
  EXPECT_FALSE(IsValidAddress("marie.@chu.fr"));
  EXPECT_FALSE(IsValidAddress("marie@chu.fr."));
  EXPECT_FALSE(IsValidAddress("marie@" + std::string(64, 'a') + ".fr"));  // label > 63
  EXPECT_FALSE(IsValidAddress(std::string(65, 'a') + "@chu.fr"));         // local > 64
  EXPECT_TRUE(IsValidAddress(std::string(64, 'a') + "@chu.fr"));
}

TEST_F(ValidationTest, IsValidLocalPartIsADotAtom) {
  EXPECT_TRUE(IsValidLocalPart("marie.dupont"));
  EXPECT_TRUE(IsValidLocalPart("jean-pierre.o_neil2"));
  EXPECT_FALSE(IsValidLocalPart(""));
  EXPECT_FALSE(IsValidLocalPart("marie..dupont"));
  EXPECT_FALSE(IsValidLocalPart("marie dupont"));
  EXPECT_FALSE(IsValidLocalPart("marie@chu.fr"));
  EXPECT_FALSE(IsValidLocalPart("hélène"));
  EXPECT_FALSE(IsValidLocalPart(std::string(65, 'a')));
}

TEST_F(ValidationTest, NomAndVilleAreStoredUpperCase) {
  ValidationResult r = With(Per(), Field::kNom, "de la Tour-d'Hélène");
  EXPECT_EQ(r.normalized[FieldIndex(Field::kNom)], "DE LA TOUR-D'HÉLÈNE");
  EXPECT_TRUE(Clean(r, Field::kNom));  // normalised, not refused
  EXPECT_EQ(Stored(Field::kVille, "saint-étienne"), "SAINT-ÉTIENNE");
  EXPECT_EQ(Stored(Field::kPrenom, "hélène"), "hélène");  // other text is kept as typed
}

TEST_F(ValidationTest, CpMustHaveFiveDigits) {
  for (const char* bad : {"3130", "313000", "31 300", "3130A", "F-31300"}) {
    SCOPED_TRACE(bad);
    ValidationResult r = With(Per(), Field::kCp, bad);
    EXPECT_TRUE(HasFinding(r, Field::kCp, kError, "invalid_cp"));
    EXPECT_THAT(Message(r, Field::kCp, "invalid_cp"), HasSubstr("5 chiffres"));
  }
  EXPECT_EQ(Stored(Field::kCp, "01000", AccountType::kPer), "01000");
}

TEST_F(ValidationTest, CpFromANumericCellGetsItsZerosBack) {
  AccountDraft d = Per();
  Set(d, Field::kDepartement, "01");
  Set(d, Field::kRegion, "84");
  Set(d, Field::kCp, "1000", /*numeric_cell=*/true);
  ValidationResult r = Validate(d);
  EXPECT_EQ(r.normalized[FieldIndex(Field::kCp)], "01000");
  EXPECT_TRUE(r.findings.empty()) << Describe(r);
  EXPECT_EQ(Stored(Field::kCp, "31300.0", AccountType::kPer, true), "31300");
  // The same text in a text cell is an error: the zero was typed away by a person.
  EXPECT_TRUE(HasFinding(With(Per(), Field::kCp, "1000"), Field::kCp, kError, "invalid_cp"));
}

TEST_F(ValidationTest, CpInconsistentWithDepartementIsAWarning) {
  ValidationResult r = With(Per(), Field::kCp, "75015");
  EXPECT_TRUE(HasFinding(r, Field::kCp, kWarning, "cp_departement_mismatch"));
  EXPECT_THAT(Message(r, Field::kCp, "cp_departement_mismatch"), HasSubstr("« Département »"));
  EXPECT_TRUE(NoError(r));
}

TEST_F(ValidationTest, CpOfCorsicaAndOverseasMatchTheirDepartements) {
  auto row = [](std::string cp, std::string dep, std::string region) {
    AccountDraft d = Per();
    Set(d, Field::kCp, std::move(cp));
    Set(d, Field::kDepartement, std::move(dep));
    Set(d, Field::kRegion, std::move(region));
    return Validate(d);
  };
  EXPECT_TRUE(row("20000", "2A", "94").findings.empty());
  EXPECT_TRUE(row("20200", "2B", "94").findings.empty());
  EXPECT_TRUE(row("97400", "974", "04").findings.empty());
  EXPECT_TRUE(row("97600", "976", "06").findings.empty());
  EXPECT_TRUE(
      HasFinding(row("97400", "971", "01"), Field::kCp, kWarning, "cp_departement_mismatch"));
  EXPECT_TRUE(
      HasFinding(row("21000", "2A", "94"), Field::kCp, kWarning, "cp_departement_mismatch"));
}

TEST_F(ValidationTest, DepartementIsACodeLabelOrCodeDashLabelStoredAsCode) {
  for (const char* v :
       {"31", "Haute-Garonne", "haute-garonne", "31 - Haute-Garonne", " 31  -  HAUTE-GARONNE "}) {
    SCOPED_TRACE(v);
    ValidationResult r = With(Per(), Field::kDepartement, v);
    EXPECT_EQ(r.normalized[FieldIndex(Field::kDepartement)], "31");
    EXPECT_TRUE(r.findings.empty()) << Describe(r);
  }
  EXPECT_EQ(Stored(Field::kDepartement, "corse-du-sud"), "2A");
}

TEST_F(ValidationTest, DepartementFromANumericCellGetsItsZeroBack) {
  AccountDraft d = Per();
  Set(d, Field::kCp, "01000");
  Set(d, Field::kDepartement, "1", /*numeric_cell=*/true);
  Set(d, Field::kRegion, "84");
  ValidationResult r = Validate(d);
  EXPECT_EQ(r.normalized[FieldIndex(Field::kDepartement)], "01");
  EXPECT_TRUE(r.findings.empty()) << Describe(r);
}

TEST_F(ValidationTest, UnknownDepartementIsAnError) {
  ValidationResult r = With(Per(), Field::kDepartement, "Haute Garonne du Nord");
  EXPECT_TRUE(HasFinding(r, Field::kDepartement, kError, "unknown_value"));
  EXPECT_THAT(Message(r, Field::kDepartement, "unknown_value"), HasSubstr("Haute Garonne du Nord"));
  EXPECT_TRUE(HasFinding(With(Per(), Field::kDepartement, "20"), Field::kDepartement, kError,
                         "unknown_value"));  // pre-1976 Corsica
}

TEST_F(ValidationTest, RegionIsACodeOrLabelStoredAsCode) {
  EXPECT_EQ(Stored(Field::kRegion, "Occitanie"), "76");
  EXPECT_EQ(Stored(Field::kRegion, "76 - Occitanie"), "76");
  EXPECT_TRUE(HasFinding(With(Per(), Field::kRegion, "Midi-Pyrénées"), Field::kRegion, kError,
                         "unknown_value"));  // a pre-2016 region
}

TEST_F(ValidationTest, RegionMustContainTheDepartement) {
  ValidationResult r = With(Per(), Field::kRegion, "Île-de-France");
  EXPECT_TRUE(HasFinding(r, Field::kRegion, kError, "region_departement_mismatch"));
  EXPECT_THAT(Message(r, Field::kRegion, "region_departement_mismatch"),
              HasSubstr("76 - Occitanie"));
}

TEST_F(ValidationTest, FrenchPhonesAreNormalisedToTenDigits) {
  for (const char* v : {"05 61 77 22 33", "05.61.77.22.33", "05-61-77-22-33", "0561772233",
                        "+33 5 61 77 22 33", "+33561772233", "0033 5 61 77 22 33",
                        "+33 (0)5 61 77 22 33", "(0)5 61 77 22 33", "+33 05 61 77 22 33"}) {
    SCOPED_TRACE(v);
    EXPECT_EQ(Stored(Field::kTelephone1, v), "0561772233");
  }
  EXPECT_EQ(Stored(Field::kTelephone2, "06 12 34 56 78"), "0612345678");
}

TEST_F(ValidationTest, InternationalPhonesKeepPlusAndDigits) {
  EXPECT_EQ(Stored(Field::kTelephone1, "+32 2 123 45 67"), "+3221234567");
  EXPECT_EQ(Stored(Field::kTelephone1, "0041 22 123 45 67"), "+41221234567");
  EXPECT_EQ(Stored(Field::kTelephone1, "+262 692 12 34 56"), "+262692123456");
}

TEST_F(ValidationTest, PhoneFromANumericCellGetsItsZeroBack) {
  EXPECT_EQ(Stored(Field::kTelephone1, "612345678", AccountType::kPer, true), "0612345678");
  EXPECT_EQ(Stored(Field::kTelephone1, "33612345678", AccountType::kPer, true), "0612345678");
}

TEST_F(ValidationTest, InvalidPhoneIsAnError) {
  for (const char* bad : {"15", "0561", "05617722331", "612345678", "tél 0561772233", "+33 5 61",
                          "0012", "+0 123456789"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(HasFinding(With(Per(), Field::kTelephone1, bad), Field::kTelephone1, kError,
                           "invalid_phone"));
  }
}

TEST_F(ValidationTest, YesNoAcceptsItsVariants) {
  for (const char* yes : {"OUI", "oui", "O", "o", "1", "true", "TRUE", "VRAI"}) {
    EXPECT_EQ(Stored(Field::kActiviteLiberale, yes), "OUI") << yes;
  }
  for (const char* no : {"NON", "non", "N", "n", "0", "false", "FAUX"}) {
    EXPECT_EQ(Stored(Field::kActiviteLiberale, no), "NON") << no;
  }
  EXPECT_EQ(Stored(Field::kActiviteLiberale, "1.0", AccountType::kPer, true), "OUI");
}

TEST_F(ValidationTest, InvalidYesNoIsAnError) {
  ValidationResult r = With(Per(), Field::kActiviteLiberale, "peut-être");
  EXPECT_TRUE(HasFinding(r, Field::kActiviteLiberale, kError, "invalid_yes_no"));
  EXPECT_THAT(Message(r, Field::kActiviteLiberale, "invalid_yes_no"), HasSubstr("OUI ou NON"));
}

TEST_F(ValidationTest, ListsMatchCodeOrLabelWithoutCaseOrAccentsAndStoreTheCode) {
  EXPECT_EQ(Stored(Field::kProfession, "médecin"), "10");
  EXPECT_EQ(Stored(Field::kProfession, "MEDECIN"), "10");
  EXPECT_EQ(Stored(Field::kProfession, "10 - Médecin"), "10");
  EXPECT_EQ(Stored(Field::kSpecialite, "cardiologie et maladies vasculaires (SM)"), "SM04");
  EXPECT_EQ(Stored(Field::kTypeIdStructure, "finess", AccountType::kInt), "1");
  EXPECT_EQ(Stored(Field::kTypeIdStructure, "1 - FINESS", AccountType::kInt), "1");
  AccountDraft d = Int();
  Set(d, Field::kProfession, "10");
  Set(d, Field::kSpecialite, "");
  Set(d, Field::kCiviliteExercice, "professeur");
  EXPECT_EQ(Validate(d).normalized[FieldIndex(Field::kCiviliteExercice)], "PR");
}

TEST_F(ValidationTest, UnknownListValuesAreErrors) {
  EXPECT_TRUE(HasFinding(With(Per(), Field::kProfession, "Sorcier"), Field::kProfession, kError,
                         "unknown_value"));
  EXPECT_TRUE(HasFinding(With(Int(), Field::kTypeIdStructure, "4"), Field::kTypeIdStructure, kError,
                         "unknown_value"));  // Id cabinet RPPS: not in the file
  AccountDraft d = Int();
  Set(d, Field::kProfession, "10");
  Set(d, Field::kSpecialite, "");
  Set(d, Field::kCiviliteExercice, "Madame");
  EXPECT_TRUE(HasFinding(Validate(d), Field::kCiviliteExercice, kError, "unknown_value"));
}

TEST_F(ValidationTest, PerAndIntNeedAHealthOrMedicoSocialProfession) {
  for (AccountDraft d : {Per(), Int()}) {
    Set(d, Field::kProfession, "C01");  // Secrétaire médical
    Set(d, Field::kSpecialite, "");
    EXPECT_TRUE(HasFinding(Validate(d), Field::kProfession, kError, "profession_not_allowed"));
  }
  AccountDraft d = Per();
  Set(d, Field::kProfession, "326");  // Educateur spécialisé, medico-social
  Set(d, Field::kSpecialite, "");
  EXPECT_TRUE(NoError(Validate(d)));
}

TEST_F(ValidationTest, MedWithAHealthProfessionIsAWarning) {
  AccountDraft d = Med();
  Set(d, Field::kProfession, "60");
  Set(d, Field::kSpecialite, "");
  ValidationResult r = Validate(d);
  EXPECT_TRUE(HasFinding(r, Field::kProfession, kWarning, "profession_sante_for_med"));
  EXPECT_TRUE(NoError(r));
  Set(d, Field::kProfession, "313");  // medico-social: no warning
  EXPECT_TRUE(Clean(Validate(d), Field::kProfession));
}

TEST_F(ValidationTest, UnknownSpecialiteIsAWarningAndKeptAsTyped) {
  ValidationResult r = With(Per(), Field::kSpecialite, "Médecine  du sport");
  EXPECT_TRUE(HasFinding(r, Field::kSpecialite, kWarning, "unknown_specialite"));
  EXPECT_TRUE(NoError(r));
  EXPECT_EQ(r.normalized[FieldIndex(Field::kSpecialite)], "Médecine du sport");
}

TEST_F(ValidationTest, SpecialiteOfAnotherProfessionIsAWarning) {
  ValidationResult r = With(Per(), Field::kSpecialite, "SI05");  // a nurse's, for a physician
  EXPECT_TRUE(HasFinding(r, Field::kSpecialite, kWarning, "specialite_profession_mismatch"));
  EXPECT_THAT(Message(r, Field::kSpecialite, "specialite_profession_mismatch"),
              HasSubstr("« Profession »"));
  EXPECT_TRUE(NoError(r));
  AccountDraft d = Per();
  Set(d, Field::kProfession, "40");
  Set(d, Field::kSpecialite, "SCD02");
  EXPECT_TRUE(Validate(d).findings.empty());
  Set(d, Field::kProfession, "21");
  Set(d, Field::kSpecialite, "SP01");
  EXPECT_TRUE(Validate(d).findings.empty());
}

TEST_F(ValidationTest, FinessFormatIsAnErrorAndItsKeyAWarning) {
  EXPECT_TRUE(HasFinding(With(Int(), Field::kIdStructure, "31078038"), Field::kIdStructure, kError,
                         "invalid_format"));
  ValidationResult r = With(Int(), Field::kIdStructure, "310780383");
  EXPECT_TRUE(HasFinding(r, Field::kIdStructure, kWarning, "suspect_key"));
  EXPECT_TRUE(NoError(r));
  EXPECT_EQ(Stored(Field::kIdStructure, "2a0000016", AccountType::kInt), "2A0000016");
  EXPECT_EQ(Stored(Field::kIdStructure, "61000006", AccountType::kInt, true), "061000006");
}

TEST_F(ValidationTest, SirenAndSiretKeysAreErrors) {
  EXPECT_TRUE(HasFinding(With(App(), Field::kIdStructure, "552100555"), Field::kIdStructure, kError,
                         "invalid_key"));
  EXPECT_TRUE(HasFinding(With(App(), Field::kIdStructure, "55210055"), Field::kIdStructure, kError,
                         "invalid_format"));
  EXPECT_TRUE(HasFinding(With(Org(), Field::kIdStructure, "73282932000075"), Field::kIdStructure,
                         kError, "invalid_key"));
  EXPECT_TRUE(Clean(With(Org(), Field::kIdStructure, "35600000049837"), Field::kIdStructure));
  EXPECT_EQ(Stored(Field::kIdStructure, "732 829 320 00074", AccountType::kOrg), "73282932000074");
}

TEST_F(ValidationTest, StructureIdentifierIsCheckedByItsType) {
  // The same nine digits: a valid SIREN, a FINESS with a doubtful key.
  AccountDraft d = Int();
  Set(d, Field::kIdStructure, "552100554");
  Set(d, Field::kTypeIdStructure, "SIREN");
  EXPECT_TRUE(Validate(d).findings.empty()) << Describe(Validate(d));
  Set(d, Field::kTypeIdStructure, "SIRET");
  EXPECT_TRUE(HasFinding(Validate(d), Field::kIdStructure, kError, "invalid_format"));
}

TEST_F(ValidationTest, RppsFormatIsAnErrorAndItsKeyAWarning) {
  EXPECT_TRUE(
      HasFinding(With(Per(), Field::kRpps, "1010272701"), Field::kRpps, kError, "invalid_format"));
  EXPECT_TRUE(
      HasFinding(With(Per(), Field::kRpps, "1010272701X"), Field::kRpps, kError, "invalid_format"));
  ValidationResult r = With(Per(), Field::kRpps, "10102727017");  // ANS example, fails Luhn
  EXPECT_TRUE(HasFinding(r, Field::kRpps, kWarning, "suspect_key"));
  EXPECT_TRUE(NoError(r));
  EXPECT_EQ(r.normalized[FieldIndex(Field::kRpps)], "10102727017");
}

TEST_F(ValidationTest, AdeliFormatIsAnErrorAndItsKeyAWarning) {
  auto adeli = [](std::string v, bool numeric = false) {
    AccountDraft d = Per();
    Set(d, Field::kRpps, "");
    Set(d, Field::kAdeli, std::move(v), numeric);
    return Validate(d);
  };
  EXPECT_TRUE(HasFinding(adeli("31123456"), Field::kAdeli, kError, "invalid_format"));
  EXPECT_TRUE(HasFinding(adeli("2C1234567"), Field::kAdeli, kError, "invalid_format"));
  EXPECT_TRUE(HasFinding(adeli("311234567"), Field::kAdeli, kWarning, "suspect_key"));
  EXPECT_TRUE(adeli("2a1234567").findings.empty());
  EXPECT_EQ(adeli("2a1234567").normalized[FieldIndex(Field::kAdeli)], "2A1234567");
  EXPECT_EQ(adeli("10002368", true).normalized[FieldIndex(Field::kAdeli)], "010002368");
}

TEST_F(ValidationTest, ScientificNotationAsksToFormatTheColumnAsText) {
  for (Field f : {Field::kRpps, Field::kCp, Field::kTelephone1}) {
    SCOPED_TRACE(Spec(f).header);
    ValidationResult r = With(Per(), f, "1.0E+10", true);
    EXPECT_TRUE(HasFinding(r, f, kError, "scientific_notation"));
    EXPECT_THAT(Message(r, f, "scientific_notation"), HasSubstr("format Texte"));
  }
  EXPECT_TRUE(HasFinding(With(Org(), Field::kIdStructure, "7,3283E+13"), Field::kIdStructure,
                         kError, "scientific_notation"));
}

TEST_F(ValidationTest, MssAddressIsALocalPartStoredLowercase) {
  EXPECT_EQ(Stored(Field::kMssAddress, "Marie.Dupont"), "marie.dupont");
  ValidationResult r = With(Per(), Field::kMssAddress, "marie.dupont@chu-toulouse.fr");
  EXPECT_TRUE(HasFinding(r, Field::kMssAddress, kError, "local_part_has_domain"));
  EXPECT_THAT(Message(r, Field::kMssAddress, "local_part_has_domain"), HasSubstr("avant « @ »"));
  EXPECT_TRUE(HasFinding(With(Per(), Field::kMssAddress, "marie dupont"), Field::kMssAddress,
                         kError, "invalid_local_part"));
  EXPECT_TRUE(HasFinding(With(Per(), Field::kMssAddress, "hélène"), Field::kMssAddress, kError,
                         "invalid_local_part"));
  EXPECT_TRUE(HasFinding(With(Per(), Field::kMssAddress, std::string(65, 'a')), Field::kMssAddress,
                         kError, "invalid_local_part"));
}

TEST_F(ValidationTest, ApicryptAddressIsALocalPart) {
  AccountDraft d = Per();
  Set(d, Field::kApicryptSpecialite, "Cardiologie");
  Set(d, Field::kApicryptAddress, "M.Dupont");
  EXPECT_EQ(Validate(d).normalized[FieldIndex(Field::kApicryptAddress)], "m.dupont");
  Set(d, Field::kApicryptAddress, "m.dupont@apicrypt.org");
  EXPECT_TRUE(HasFinding(Validate(d), Field::kApicryptAddress, kError, "local_part_has_domain"));
}

TEST_F(ValidationTest, DatesAreStoredAsIsoDates) {
  for (const char* v : {"27-12-31", "2027-12-31", "31/12/2027", "2027-12-31T00:00:00",
                        "2027-12-31 00:00:00", "2027-12-31T00:00:00.000Z"}) {
    SCOPED_TRACE(v);
    ValidationResult r = With(Per(), Field::kDatePeremption, v);
    EXPECT_EQ(r.normalized[FieldIndex(Field::kDatePeremption)], "2027-12-31");
    EXPECT_TRUE(r.findings.empty()) << Describe(r);
  }
  EXPECT_EQ(Stored(Field::kDatePeremption, "1/3/2028"), "2028-03-01");
  EXPECT_EQ(Stored(Field::kDatePeremption, "2028-02-29"), "2028-02-29");  // leap year
}

TEST_F(ValidationTest, OnlyRealCalendarDatesAreAccepted) {
  for (const char* bad :
       {"2027-02-29", "31/04/2027", "2027-13-01", "2027-00-10", "00/01/2027", "2100-02-29",
        "demain", "31/12/27", "2027/12/31", "2027-12-31X", "46022"}) {
    SCOPED_TRACE(bad);
    ValidationResult r = With(Per(), Field::kDatePeremption, bad);
    EXPECT_TRUE(HasFinding(r, Field::kDatePeremption, kError, "invalid_date"));
  }
  EXPECT_EQ(Stored(Field::kDatePeremption, "2000-02-29"), "2000-02-29");
}

TEST_F(ValidationTest, AddressListsAreSplitLowercasedDeduplicatedAndJoined) {
  EXPECT_EQ(Stored(Field::kConnectionAccounts,
                   "Marie.Dupont@chu-toulouse.fr; luc.martin@chu-toulouse.fr, "
                   "marie.dupont@CHU-toulouse.fr  paul.roux@chu-toulouse.fr;",
                   AccountType::kOrg),
            "marie.dupont@chu-toulouse.fr;luc.martin@chu-toulouse.fr;paul.roux@chu-toulouse.fr");
  EXPECT_EQ(
      Stored(Field::kAlias, "Cardio@chu-toulouse.fr ;; cardio@chu-toulouse.fr", AccountType::kOrg),
      "cardio@chu-toulouse.fr");
}

TEST_F(ValidationTest, InvalidAddressInAListIsAnError) {
  ValidationResult r =
      With(Org(), Field::kConnectionAccounts, "marie.dupont@chu-toulouse.fr;luc.martin");
  EXPECT_TRUE(HasFinding(r, Field::kConnectionAccounts, kError, "invalid_address"));
  EXPECT_THAT(Message(r, Field::kConnectionAccounts, "invalid_address"), HasSubstr("luc.martin"));
  EXPECT_TRUE(
      HasFinding(With(Org(), Field::kAlias, "cardio@"), Field::kAlias, kError, "invalid_address"));
}

// ---------------------------------------------------------------------------
// Every finding.

TEST_F(ValidationTest, EveryFindingHasASnakeCaseCodeAndAFrenchMessageNamingItsHeader) {
  std::vector<std::pair<AccountDraft, Channel>> rows;
  auto add = [&](AccountDraft d, std::vector<std::pair<Field, std::string>> values,
                 Channel c = Channel::kForm) {
    for (auto& [f, v] : values) Set(d, f, v);
    rows.emplace_back(std::move(d), c);
  };
  add(Per(), {{Field::kAddress, "x"},
              {Field::kNom, ""},
              {Field::kRpps, ""},
              {Field::kRaisonSociale, std::string(300, 'a')},
              {Field::kService, "a\x02"},
              {Field::kAdresse1, "\xFF"},
              {Field::kCp, "75001"},
              {Field::kRegion, "11"},
              {Field::kTelephone1, "1.2E+9"},
              {Field::kTelephone2, "12"},
              {Field::kProfession, "C01"},
              {Field::kActiviteLiberale, "?"},
              {Field::kDiplome, "x"},
              {Field::kMssAddress, "a@b"},
              {Field::kApicryptAddress, "a b"},
              {Field::kDatePeremption, "hier"}});
  add(Per(),
      {{Field::kRpps, "1"},
       {Field::kAdeli, "311234567"},
       {Field::kCp, "1"},
       {Field::kSpecialite, "SCD01"},
       {Field::kAdresse1, ""}},
      Channel::kImport);
  add(Int(), {{Field::kProfession, "10"},
              {Field::kSpecialite, "Inconnue"},
              {Field::kTypeIdStructure, "9"}});
  add(Int(),
      {{Field::kProfession, "313"}, {Field::kSpecialite, ""}, {Field::kIdStructure, "310780383"}});
  add(Med(), {{Field::kProfession, "10"}, {Field::kApicryptAddress, "m.dupont"}});
  add(Org(), {{Field::kIdStructure, "73282932000075"},
              {Field::kConnectionAccounts, ""},
              {Field::kAlias, "a@"},
              {Field::kRpps, "1"}});
  add(Org(), {{Field::kType, "XYZ"}});
  add(AccountDraft{}, {});

  std::set<std::string> codes;
  for (const auto& [row, channel] : rows) {
    ValidationResult r = Validate(row, channel);
    for (const Finding& f : r.findings) {
      codes.insert(f.code);
      SCOPED_TRACE(f.code + ": " + f.message);
      for (char c : f.code) {
        EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
      }
      EXPECT_THAT(f.message, HasSubstr("« " + std::string(Spec(f.field).header) + " »"));
      EXPECT_TRUE(f.message.ends_with(".")) << "a sentence";
      // French: "La colonne…", "Le numéro…", "L'adresse…", "Un compte…", "Une adresse…".
      EXPECT_TRUE(f.message.starts_with("La ") || f.message.starts_with("Le ") ||
                  f.message.starts_with("L'") || f.message.starts_with("Un"));
    }
  }
  // Every code ValidateAccount can give; a new one needs a row above.
  EXPECT_EQ(codes, (std::set<std::string>{"apicrypt_specialite_required",
                                          "civilite_required",
                                          "control_char",
                                          "cp_departement_mismatch",
                                          "diplome_required",
                                          "invalid_address",
                                          "invalid_cp",
                                          "invalid_date",
                                          "invalid_format",
                                          "invalid_key",
                                          "invalid_local_part",
                                          "invalid_phone",
                                          "invalid_type",
                                          "invalid_utf8",
                                          "invalid_yes_no",
                                          "local_part_has_domain",
                                          "not_concerned",
                                          "profession_not_allowed",
                                          "profession_sante_for_med",
                                          "recommended",
                                          "region_departement_mismatch",
                                          "required",
                                          "rpps_or_adeli_required",
                                          "scientific_notation",
                                          "specialite_profession_mismatch",
                                          "suspect_key",
                                          "too_long",
                                          "unknown_specialite",
                                          "unknown_value"}));
}

// ---------------------------------------------------------------------------
// MssLocalPartFromNames and DisplayValue.

TEST_F(ValidationTest, MssLocalPartIsPrenomDotNomWithoutAccents) {
  EXPECT_EQ(MssLocalPartFromNames("Marie", "Dupont"), "marie.dupont");
  EXPECT_EQ(MssLocalPartFromNames("Hélène", "Lefèvre"), "helene.lefevre");
  EXPECT_EQ(MssLocalPartFromNames("Jean Pierre", "D'Artagnan"), "jean-pierre.d-artagnan");
  EXPECT_EQ(MssLocalPartFromNames("Jean-Pierre", "D\u2019 Artagnan"), "jean-pierre.d-artagnan");
  EXPECT_EQ(MssLocalPartFromNames("Zoë", "Œuvray (née Müller)"), "zoe.oeuvray-nee-muller");
  EXPECT_EQ(MssLocalPartFromNames("Ana", "Ødegård"), "ana.odegard");
  EXPECT_EQ(MssLocalPartFromNames("", "Dupont"), "dupont");
  EXPECT_EQ(MssLocalPartFromNames("Marie", ""), "marie");
  EXPECT_EQ(MssLocalPartFromNames("", ""), "");
  EXPECT_EQ(MssLocalPartFromNames("Ἀλέξανδρος", "X"), "x");  // no Latin letter left
}

TEST_F(ValidationTest, GeneratedMssLocalPartIsAValidLocalPart) {
  for (auto [p, n] : std::vector<std::pair<std::string, std::string>>{
           {"Marie", "Dupont"}, {" -Jean- ", "'O'Neil'"}, {std::string(80, 'a'), "b"}}) {
    std::string local = MssLocalPartFromNames(p, n);
    EXPECT_TRUE(IsValidLocalPart(local)) << local;
  }
}

TEST_F(ValidationTest, DisplayValueShowsCodeDashLabelForLists) {
  EXPECT_EQ(DisplayValue(Field::kDepartement, "31", *ref_), "31 - Haute-Garonne");
  EXPECT_EQ(DisplayValue(Field::kRegion, "94", *ref_), "94 - Corse");
  EXPECT_EQ(DisplayValue(Field::kProfession, "10", *ref_), "10 - Médecin");
  EXPECT_EQ(DisplayValue(Field::kSpecialite, "SM04", *ref_),
            "SM04 - Cardiologie et Maladies vasculaires (SM)");
  EXPECT_EQ(DisplayValue(Field::kCiviliteExercice, "DR", *ref_), "DR - Docteur");
  EXPECT_EQ(DisplayValue(Field::kTypeIdStructure, "3", *ref_), "3 - SIRET");
}

TEST_F(ValidationTest, DisplayValueShowsOtherValuesAsStored) {
  EXPECT_EQ(DisplayValue(Field::kType, "PER", *ref_), "PER");
  EXPECT_EQ(DisplayValue(Field::kCp, "01000", *ref_), "01000");
  EXPECT_EQ(DisplayValue(Field::kSpecialite, "Médecine du sport", *ref_), "Médecine du sport");
  EXPECT_EQ(DisplayValue(Field::kDepartement, "", *ref_), "");
}

}  // namespace
}  // namespace caduce::directory
