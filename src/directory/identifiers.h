// File: directory/identifiers.h
//
// National identifiers and their check keys (DOMAIN.md §8.1, data/README.md).
// SIREN and SIRET keys are Luhn (SIRET of La Poste: sum of digits multiple of 5)
// and a wrong key is an error. No official algorithm is published for RPPS, ADELI
// and FINESS, and published example numbers fail Luhn: their format is checked
// strictly and a failed Luhn key is only a warning (FIELDS.md footnote 6).
#ifndef CADUCE_DIRECTORY_IDENTIFIERS_H_
#define CADUCE_DIRECTORY_IDENTIFIERS_H_

#include <string_view>

namespace caduce::directory {

enum class IdCheck {
  kValid,        // format and key hold
  kBadFormat,    // wrong length or characters: always an error
  kBadKey,       // format holds, the check key does not
};

// True when the decimal digits of `digits` pass the Luhn check.
// REQUIRES: every character of `digits` is 0-9.
bool LuhnValid(std::string_view digits);

IdCheck CheckSiren(std::string_view v);   // 9 digits, Luhn
IdCheck CheckSiret(std::string_view v);   // 14 digits, Luhn or the La Poste rule
IdCheck CheckRpps(std::string_view v);    // 11 digits; key (Luhn) advisory
IdCheck CheckAdeli(std::string_view v);   // 9 chars: department (2A/2B ok) + 7 digits; key advisory
IdCheck CheckFiness(std::string_view v);  // 9 chars: department (2A/2B ok) + 7 digits; key advisory

}  // namespace caduce::directory

#endif  // CADUCE_DIRECTORY_IDENTIFIERS_H_
