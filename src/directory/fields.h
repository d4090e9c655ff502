// File: directory/fields.h
//
// The matrix of FIELDS.md as one table: every column of the account file, its
// exact French header, its kind, and what each account type requires of it
// (O, OSC, R, F, NC). The creation form, the import, the API and the CLI all read
// this table; no other place lists the fields. A test checks it against
// data/fields.csv, the machine-readable copy of FIELDS.md.
#ifndef CADUCE_DIRECTORY_FIELDS_H_
#define CADUCE_DIRECTORY_FIELDS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace caduce::directory {

// Seed annex and FIELDS.md: PER, INT and MED are nominative (they sign in); ORG and
// APP are shared mailboxes that nobody signs into directly.
enum class AccountType : uint8_t { kPer = 0, kInt, kMed, kOrg, kApp };
inline constexpr int kNumAccountTypes = 5;

// "PER", "INT", "MED", "ORG", "APP".
std::string_view AccountTypeCode(AccountType type);
// Matches a code without regard to case or surrounding spaces.
std::optional<AccountType> ParseAccountType(std::string_view code);
// PER, INT and MED.
inline bool IsNominative(AccountType t) {
  return t == AccountType::kPer || t == AccountType::kInt || t == AccountType::kMed;
}
// ORG and APP: the mailboxes a connection right opens.
inline bool IsSharedMailbox(AccountType t) { return !IsNominative(t); }

// The columns of FIELDS.md, in file order (the enum value is the column index).
enum class Field : uint8_t {
  kType = 0,            // Type de compte
  kAddress,             // Adresse mail
  kNom,                 // NOM
  kPrenom,              // Prénom
  kRpps,                // RPPS
  kAdeli,               // ADELI
  kRaisonSociale,       // Raison Sociale
  kService,             // Service de rattachement
  kAdresse1,            // Adresse (1)
  kAdresse2,            // Adresse (2)
  kCp,                  // CP
  kVille,               // VILLE
  kDepartement,         // Département
  kRegion,              // Région
  kTelephone1,          // Téléphone (1)
  kTelephone2,          // Téléphone (2)
  kProfession,          // Profession
  kSpecialite,          // Spécialité
  kDiplome,             // Diplôme
  kActiviteLiberale,    // Activité libérale
  kTypeIdStructure,     // Type identifiant structure resp
  kIdStructure,         // Identifiant structure resp
  kAdresseRetour,       // Adresse de retour
  kNomResp,             // Nom resp
  kPrenomResp,          // Prénom resp
  kProfessionResp,      // Profession resp
  kIdentifiantResp,     // Identifiant resp
  kDescription,         // Description fonctionnelle
  kCiviliteExercice,    // Civilité exercice
  kMssAddress,          // MSSanté adresse
  kApicryptAddress,     // Apicrypt adresse
  kApicryptSpecialite,  // Apicrypt spécialité
  kDatePeremption,      // Date de péremption
  kAlias,               // Alias
  kConnectionAccounts,  // Compte(s) de connexion
  kStructure,           // Structure
};
inline constexpr int kNumFields = 36;

inline constexpr size_t FieldIndex(Field f) { return static_cast<size_t>(f); }

// FIELDS.md legend.
enum class Requirement : uint8_t {
  kMandatory,     // O
  kConditional,   // OSC: mandatory under the condition of the field's footnote
  kRecommended,   // R: a warning when empty
  kOptional,      // F
  kNotConcerned,  // NC: must be empty
};

enum class FieldKind : uint8_t {
  kList,       // a value of a reference list, by code or label
  kAddress,    // one mail address
  kText,       // free text
  kDigits,     // digits (or the identifier's characters), zeros kept
  kPhone,      // a phone number, normalised
  kYesNo,      // OUI / NON
  kLocalPart,  // the part of an address before @
  kDate,       // a civil date
  kAddresses,  // mail addresses separated by ';'
};

struct FieldSpec {
  Field field;
  std::string_view header;  // exact header of FIELDS.md
  std::string_view key;     // stable ASCII name: API JSON keys, SQL columns, CLI --set
  FieldKind kind;
  std::array<Requirement, kNumAccountTypes> requirement;  // by AccountType

  Requirement For(AccountType t) const { return requirement[static_cast<size_t>(t)]; }
};

// The whole table, indexed by Field.
const std::array<FieldSpec, kNumFields>& FieldTable();
inline const FieldSpec& Spec(Field f) { return FieldTable()[FieldIndex(f)]; }

// Finds a field by its header, matched without regard to case, accents, punctuation
// or extra spaces ("prenom", "Téléphone 1" and "TELEPHONE (1)" all match).
std::optional<Field> FieldByHeader(std::string_view header);
// Finds a field by its stable key ("nom", "telephone_1").
std::optional<Field> FieldByKey(std::string_view key);

// A row of values, one per field, indexed by Field.
using FieldValues = std::array<std::string, kNumFields>;

}  // namespace caduce::directory

#endif  // CADUCE_DIRECTORY_FIELDS_H_
