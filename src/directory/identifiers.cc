// Check functions for the national identifiers of FIELDS.md (RPPS, ADELI,
// Identifiant structure resp). The rules and their confidence come from DOMAIN.md
// §8.1: SIREN and SIRET keys are Luhn with the La Poste exception and are enforced
// by the caller as errors; RPPS, ADELI and FINESS have no published key algorithm,
// so their format is strict and a failed Luhn key is reported as kBadKey for the
// caller to turn into a warning (FIELDS.md footnote 6).
#include "directory/identifiers.h"

namespace caduce::directory {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view v) {
  for (char c : v) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// Department prefix of ADELI and FINESS numbers: two digits, or 2A/2B for Corsica
// (DOMAIN.md §8.1, "first 2 = department (2A/2B possible)").
bool IsDepartmentPrefix(char a, char b) {
  if (IsDigit(a) && IsDigit(b)) return true;
  return a == '2' && (b == 'A' || b == 'B' || b == 'a' || b == 'b');
}

// ADELI and FINESS share one shape: 9 characters, a department prefix, 7 digits.
// The key is only checked when every character is a digit: no source says how a
// Corsican number's letter enters the computation.
IdCheck CheckDepartmentNumber(std::string_view v) {
  if (v.size() != 9 || !IsDepartmentPrefix(v[0], v[1]) || !AllDigits(v.substr(2))) {
    return IdCheck::kBadFormat;
  }
  if (!IsDigit(v[1])) return IdCheck::kValid;
  return LuhnValid(v) ? IdCheck::kValid : IdCheck::kBadKey;
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  // DOMAIN.md §8.1: from the rightmost digit, double every second one, subtract 9
  // when above 9, and the sum must be a multiple of 10.
  int sum = 0;
  bool double_it = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (double_it) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

IdCheck CheckSiren(std::string_view v) {
  if (v.size() != 9 || !AllDigits(v)) return IdCheck::kBadFormat;
  return LuhnValid(v) ? IdCheck::kValid : IdCheck::kBadKey;
}

IdCheck CheckSiret(std::string_view v) {
  if (v.size() != 14 || !AllDigits(v)) return IdCheck::kBadFormat;
  // DOMAIN.md §8.1 (python-stdnum): La Poste's establishments share SIREN 356000000
  // and their NICs break Luhn; the sum of the 14 digits is a multiple of 5 instead.
  // The head office 35600000000048 follows the normal rule.
  if (v.substr(0, 9) == "356000000" && v != "35600000000048") {
    int sum = 0;
    for (char c : v) sum += c - '0';
    return sum % 5 == 0 ? IdCheck::kValid : IdCheck::kBadKey;
  }
  return LuhnValid(v) ? IdCheck::kValid : IdCheck::kBadKey;
}

IdCheck CheckRpps(std::string_view v) {
  if (v.size() != 11 || !AllDigits(v)) return IdCheck::kBadFormat;
  return LuhnValid(v) ? IdCheck::kValid : IdCheck::kBadKey;
}

IdCheck CheckAdeli(std::string_view v) { return CheckDepartmentNumber(v); }

IdCheck CheckFiness(std::string_view v) { return CheckDepartmentNumber(v); }

}  // namespace caduce::directory
