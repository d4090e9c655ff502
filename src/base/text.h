// File: base/text.h
//
// UTF-8 text helpers shared by validation, search and the spreadsheet readers.
// French names and lists must match "without regard to case and accents"
// (FIELDS.md): Fold() gives the key they are compared on. Case mappings cover
// ASCII, Latin-1 Supplement and Latin Extended-A (every letter of French and of
// the European names an administrator meets); other code points pass through.
#ifndef CADUCE_BASE_TEXT_H_
#define CADUCE_BASE_TEXT_H_

#include <string>
#include <string_view>

namespace caduce::text {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// True when `s` holds a C0 control character (other than none), DEL or a C1 control.
// REQUIRES: IsValidUtf8(s).
bool HasControlChars(std::string_view s);

// Number of code points. REQUIRES: IsValidUtf8(s).
size_t CodePointCount(std::string_view s);

// Removes leading and trailing white space (ASCII blanks and U+00A0 NO-BREAK SPACE).
std::string_view Trim(std::string_view s);

// Trims and folds every inner run of white space to one ASCII space.
std::string CollapseSpaces(std::string_view s);

// The matching key: lowercase, accents removed (é→e, œ→oe, ß→ss), white space
// collapsed and trimmed. Fold("  Île-de-FRANCE ") == "ile-de-france".
std::string Fold(std::string_view s);

// Like Fold() but also maps every character that is neither a letter nor a digit to
// a space before collapsing ("Chirurgien-Dentiste" → "chirurgien dentiste"); used
// for lenient header and label matching.
std::string FoldLoose(std::string_view s);

// Upper case, accents kept ("Hélène de la Tour" → "HÉLÈNE DE LA TOUR").
std::string ToUpper(std::string_view s);

// ASCII-only lowercase (addresses are ASCII after validation).
std::string ToLowerAscii(std::string_view s);

// Appends the UTF-8 encoding of code point `cp` to `out`.
void AppendUtf8(char32_t cp, std::string& out);

// Decodes one code point at `s[*i]` and advances *i; returns U+FFFD on malformed input
// (advancing one byte).
char32_t DecodeUtf8(std::string_view s, size_t* i);

}  // namespace caduce::text

#endif  // CADUCE_BASE_TEXT_H_
