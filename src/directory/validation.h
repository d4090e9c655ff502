// File: directory/validation.h
//
// Validation of one account row against the matrix of FIELDS.md, the reference
// lists and the identifier rules. It returns every finding at once (never stops at
// the first), and the row in its stored form: addresses lowercase, NOM and VILLE
// upper case, lists as their codes, phones and dates normalised. Pure: no I/O, no
// database; checks that need stored state (uniqueness, existence of connection
// accounts, structure names) belong to DirectoryService.
#ifndef CADUCE_DIRECTORY_VALIDATION_H_
#define CADUCE_DIRECTORY_VALIDATION_H_

#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/fields.h"
#include "directory/reference_data.h"

namespace caduce::directory {

enum class Severity : uint8_t { kError, kWarning };

// One problem with one field. `code` is stable (tests and the UI key on it);
// `message` is French and tells what to fix.
struct Finding {
  Field field;
  Severity severity;
  std::string code;
  std::string message;
};

// Where the row comes from; it decides how a value in an NC field is treated.
enum class Channel : uint8_t {
  kForm,    // form, API, CLI: a value in an NC field is an error
  kImport,  // spreadsheet import: a value in an NC field is ignored with a warning
};

// A row as a person typed it.
struct AccountDraft {
  FieldValues values;
  // Set for fields whose value came from a numeric spreadsheet cell: digit fields
  // then get their leading zeros back by the field's length (CP 1000 → 01000).
  std::bitset<kNumFields> numeric_cell;
};

struct ValidationResult {
  FieldValues normalized;
  std::vector<Finding> findings;

  bool HasErrors() const;
  size_t ErrorCount() const;
};

// Limits on every value (the "bad input" rules of the foundation issue).
inline constexpr size_t kMaxValueChars = 255;    // any field, in code points
inline constexpr size_t kMaxAddressBytes = 254;  // RFC 5321 path limit less the brackets
inline constexpr size_t kMaxLocalPartBytes = 64;
// "Alias" and "Compte(s) de connexion" hold up to this many addresses (each at most
// kMaxAddressBytes); the 255-character limit does not apply to these lists.
inline constexpr size_t kMaxAddressesPerCell = 1000;

// Validates `draft`. The type column must hold a valid type for the type-dependent
// rules to run; otherwise only the type error and the format errors are reported.
ValidationResult ValidateAccount(const AccountDraft& draft, const ReferenceData& ref,
                                 Channel channel);

// A condition of FIELDS.md's footnotes (an OSC cell, and Compte(s) de connexion),
// as ValidateAccount applies it: the single source of both the validation and
// the form's reference (GET /api/reference).
struct FieldCondition {
  std::string_view sentence;  // French: when the field is required
  // The field whose value triggers the condition, when it is one field.
  std::optional<Field> trigger;
  // The trigger's values (codes) that make the field required; empty with a
  // trigger: any non-empty value does.
  std::vector<std::string> trigger_values;
};

// The condition of `field`, or nullopt for a field without one. The profession
// codes come from `ref`'s list, filtered by the predicates below.
std::optional<FieldCondition> ConditionOf(Field field, const ReferenceData& ref);

// FIELDS.md footnote 2: an INT account with this profession needs a Diplôme
// (the medico-social professions).
bool ProfessionRequiresDiplome(const ListEntry& profession);
// FIELDS.md footnote 3: an INT account with this profession needs a Civilité
// d'exercice (Médecin 10, Pharmacien 21, Chirurgien-Dentiste 40).
bool ProfessionRequiresCiviliteExercice(const ListEntry& profession);

// True when `address` is a mail address caduce accepts: ASCII, lowercase or not,
// dot-atom local part of at most 64 bytes, a domain of LDH labels with a dot,
// at most 254 bytes in all.
bool IsValidAddress(std::string_view address);
// True when `local` is a valid dot-atom local part (the part before @).
bool IsValidLocalPart(std::string_view local);

// The MSSanté local part generated from a person's names (FIELDS.md "MSSanté address
// generation"): "prenom.nom", lowercase, accents removed, spaces and apostrophes
// to '-'; "" when both names are empty. The caller adds a numeric suffix when taken.
std::string MssLocalPartFromNames(std::string_view prenom, std::string_view nom);

// The value a stored field shows in a spreadsheet or a form: "code - label" for
// reference lists (the export form, which the import reads back), the stored value
// for every other field.
std::string DisplayValue(Field field, const std::string& stored, const ReferenceData& ref);

}  // namespace caduce::directory

#endif  // CADUCE_DIRECTORY_VALIDATION_H_
