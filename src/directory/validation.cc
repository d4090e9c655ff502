// The rules of FIELDS.md applied to one account row, "validation, once, as data":
// the requirement of each field per account type comes from FieldTable(), the lists
// from ReferenceData, the identifier keys from identifiers.h, and this file holds
// only what those tables cannot say (formats, normalisations, the footnotes). The
// form, the import, the API and the CLI all call ValidateAccount, so each rule
// exists once. Every finding carries a stable code and a French message naming the
// column by its exact header, because the person who reads it fixes a spreadsheet.
// The import validates whole files, so the hot path avoids regular expressions,
// builds no table per call and folds each list value once.
#include "directory/validation.h"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "base/text.h"
#include "directory/identifiers.h"

namespace caduce::directory {
namespace {

// ---------------------------------------------------------------------------
// Small string helpers.

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

void LowerAsciiInPlace(std::string& s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
}

void UpperAsciiInPlace(std::string& s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
}

void RemoveSpaces(std::string& s) { std::erase(s, ' '); }

std::string Cat(std::initializer_list<std::string_view> parts) {
  size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  std::string s;
  s.reserve(n);
  for (std::string_view p : parts) s += p;
  return s;
}

// A value echoed in a message, cut so that a pasted paragraph does not flood the
// report.
std::string Echo(std::string_view v) {
  constexpr size_t kMaxEchoCodePoints = 40;
  size_t cps = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if ((static_cast<unsigned char>(v[i]) & 0xC0) != 0x80 && cps++ == kMaxEchoCodePoints) {
      return Cat({v.substr(0, i), "…"});
    }
  }
  return std::string(v);
}

std::string_view Header(Field f) { return Spec(f).header; }

// ---------------------------------------------------------------------------
// Generic cleaning (FIELDS.md "bad input" rules): one pass that checks UTF-8,
// refuses control characters, trims and collapses white space, and counts code
// points. Tabs and line breaks (Alt+Entrée inside a spreadsheet cell) are white
// space like in text::CollapseSpaces; every other control character is refused,
// since it is invisible to the person who typed it and unsafe in mail headers.

enum class CleanError { kNone, kUtf8, kControl };

CleanError Clean(std::string_view in, std::string& out, size_t* code_points) {
  out.clear();
  out.reserve(in.size());
  bool pending_space = false;
  bool control = false;
  size_t cps = 0;
  size_t i = 0;
  while (i < in.size()) {
    unsigned char b = static_cast<unsigned char>(in[i]);
    size_t start = i;
    if (b > 0x20 && b < 0x7F) {
      // The common case: a run of printable ASCII, copied at once.
      while (i < in.size() && static_cast<unsigned char>(in[i]) > 0x20 &&
             static_cast<unsigned char>(in[i]) < 0x7F) {
        ++i;
      }
      if (pending_space && !out.empty()) {
        out += ' ';
        ++cps;
      }
      pending_space = false;
      out.append(in.data() + start, i - start);
      cps += i - start;
      continue;
    }
    if (b < 0x80) {
      ++i;
      if (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f') {
        pending_space = true;
        continue;
      }
      if (b < 0x20 || b == 0x7F) {
        control = true;
        continue;
      }
    } else {
      char32_t c = text::DecodeUtf8(in, &i);
      // DecodeUtf8 answers U+FFFD and advances one byte on malformed input; a literal
      // U+FFFD is three bytes long.
      if (c == 0xFFFD && i - start != 3) return CleanError::kUtf8;
      if (c == 0xA0 || c == 0x202F) {  // no-break spaces, as in text::Trim
        pending_space = true;
        continue;
      }
      if (c >= 0x80 && c <= 0x9F) {
        control = true;
        continue;
      }
    }
    if (pending_space && !out.empty()) {
      out += ' ';
      ++cps;
    }
    pending_space = false;
    out.append(in.substr(start, i - start));
    ++cps;
  }
  *code_points = cps;
  return control ? CleanError::kControl : CleanError::kNone;
}

// "1.0E+10", "1,23E+11": what a spreadsheet shows for a long number in a cell not
// formatted as text. The digits are lost: only the person can fix it.
bool IsScientificNotation(std::string_view v) {
  size_t i = 0;
  auto digits = [&] {
    size_t s = i;
    while (i < v.size() && IsDigit(v[i])) ++i;
    return i > s;
  };
  if (!digits()) return false;
  if (i < v.size() && (v[i] == '.' || v[i] == ',')) {
    ++i;
    if (!digits()) return false;
  }
  if (i >= v.size() || (v[i] != 'e' && v[i] != 'E')) return false;
  ++i;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
  return digits() && i == v.size();
}

// A numeric spreadsheet cell may come as "1000.0"; its integer part is the value.
void StripZeroDecimals(std::string& s) {
  size_t dot = s.find_first_of(".,");
  if (dot == std::string::npos || dot == 0) return;
  for (size_t i = dot + 1; i < s.size(); ++i) {
    if (s[i] != '0') return;
  }
  if (AllDigits(std::string_view(s).substr(0, dot))) s.resize(dot);
}

// FIELDS.md "Values the import accepts": a numeric cell loses its leading zeros,
// which come back by the field's length (CP 1000 → 01000).
void RestoreLeadingZeros(std::string& s, size_t length) {
  if (AllDigits(s) && s.size() < length) s.insert(0, length - s.size(), '0');
}

// ---------------------------------------------------------------------------
// Formats.

bool IsAtext(char c) {
  // RFC 5322 §3.2.3 atext.
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return IsDigit(c) || IsAlpha(c) || (c != '\0' && kSpecials.find(c) != std::string_view::npos);
}

bool IsValidDomain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  int labels = 0;
  std::string_view last;
  size_t start = 0;
  while (start <= d.size()) {
    size_t dot = d.find('.', start);
    if (dot == std::string_view::npos) dot = d.size();
    std::string_view label = d.substr(start, dot - start);
    // RFC 1035 §2.3.1 LDH labels of 1 to 63 characters.
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsDigit(c) && !IsAlpha(c) && c != '-') return false;
    }
    last = label;
    ++labels;
    start = dot + 1;
  }
  // A dot is required, and an all-digit top label would be an IP address.
  return labels >= 2 && !AllDigits(last);
}

bool DaysInMonthOk(int y, int m, int d) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  return d <= max;
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// FIELDS.md "Dates": AA-MM-JJ, AAAA-MM-JJ, JJ/MM/AAAA, and what a spreadsheet date
// cell gives (an ISO date, possibly with a time, which is dropped). Real calendar
// dates only. Returns "AAAA-MM-JJ".
std::optional<std::string> NormalizeDate(std::string_view v) {
  int y = 0, m = 0, d = 0;
  auto digits_at = [&](size_t pos, size_t len) {
    return pos + len <= v.size() && AllDigits(v.substr(pos, len));
  };
  if (v.size() >= 10 && v[4] == '-' && v[7] == '-' && digits_at(0, 4) && digits_at(5, 2) &&
      digits_at(8, 2)) {
    std::string_view rest = v.substr(10);
    if (!rest.empty()) {
      if ((rest[0] != 'T' && rest[0] != ' ') || rest.size() < 2) return std::nullopt;
      for (char c : rest.substr(1)) {
        if (!IsDigit(c) && c != ':' && c != '.' && c != 'Z') return std::nullopt;
      }
    }
    y = ToInt(v.substr(0, 4));
    m = ToInt(v.substr(5, 2));
    d = ToInt(v.substr(8, 2));
  } else if (v.size() == 8 && v[2] == '-' && v[5] == '-' && digits_at(0, 2) && digits_at(3, 2) &&
             digits_at(6, 2)) {
    // AA-MM-JJ, the annex's format: the twenty-first century.
    y = 2000 + ToInt(v.substr(0, 2));
    m = ToInt(v.substr(3, 2));
    d = ToInt(v.substr(6, 2));
  } else {
    size_t s1 = v.find('/');
    size_t s2 = s1 == std::string_view::npos ? s1 : v.find('/', s1 + 1);
    if (s2 == std::string_view::npos) return std::nullopt;
    std::string_view dd = v.substr(0, s1), mm = v.substr(s1 + 1, s2 - s1 - 1),
                     yy = v.substr(s2 + 1);
    if (dd.empty() || dd.size() > 2 || mm.empty() || mm.size() > 2 || yy.size() != 4 ||
        !AllDigits(dd) || !AllDigits(mm) || !AllDigits(yy)) {
      return std::nullopt;
    }
    y = ToInt(yy);
    m = ToInt(mm);
    d = ToInt(dd);
  }
  if (y < 1900 || !DaysInMonthOk(y, m, d)) return std::nullopt;
  std::string out(10, '0');
  out[0] = static_cast<char>('0' + y / 1000);
  out[1] = static_cast<char>('0' + y / 100 % 10);
  out[2] = static_cast<char>('0' + y / 10 % 10);
  out[3] = static_cast<char>('0' + y % 10);
  out[4] = '-';
  out[5] = static_cast<char>('0' + m / 10);
  out[6] = static_cast<char>('0' + m % 10);
  out[7] = '-';
  out[8] = static_cast<char>('0' + d / 10);
  out[9] = static_cast<char>('0' + d % 10);
  return out;
}

// FIELDS.md "Téléphone": a French number becomes its ten national digits
// ("0XXXXXXXXX") whatever the separators or the +33 / 0033 / (0) prefixes; another
// country's number is kept as "+" and its digits (E.164: at most 15).
std::optional<std::string> NormalizePhone(std::string_view v) {
  std::string digits;
  digits.reserve(v.size());
  bool international = false;
  size_t i = 0;
  if (!v.empty() && v[0] == '+') {
    international = true;
    i = 1;
  }
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (IsDigit(c)) {
      digits += c;
    } else if (v.substr(i, 3) == "(0)") {
      // "+33 (0)1 ...": the trunk zero, dialled only from inside the country.
      if (!international && !digits.starts_with("00")) digits += '0';
      i += 2;
    } else if (c != ' ' && c != '.' && c != '-' && c != '/' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  if (!international && digits.size() > 2 && digits[0] == '0' && digits[1] == '0') {
    international = true;
    digits.erase(0, 2);
  }
  // A "+33 6..." typed in a numeric cell reaches us as 33612345678.
  if (!international && digits.size() == 11 && digits.starts_with("33") && digits[2] != '0') {
    international = true;
  }
  if (international) {
    if (digits.starts_with("33")) {
      std::string_view national = std::string_view(digits).substr(2);
      if (national.size() == 10 && national[0] == '0') national.remove_prefix(1);
      if (national.size() != 9 || national[0] == '0') return std::nullopt;
      return Cat({"0", national});
    }
    if (digits.size() < 7 || digits.size() > 15 || digits[0] == '0') return std::nullopt;
    return Cat({"+", digits});
  }
  if (digits.size() != 10 || digits[0] != '0' || digits[1] == '0') return std::nullopt;
  return digits;
}

// FIELDS.md "OUI/NON": also oui, non, O, N, 1, 0 and true/false; VRAI/FAUX is what a
// French spreadsheet shows for a boolean cell.
std::optional<std::string_view> NormalizeYesNo(std::string v) {
  LowerAsciiInPlace(v);
  if (v == "oui" || v == "o" || v == "1" || v == "true" || v == "vrai") return "OUI";
  if (v == "non" || v == "n" || v == "0" || v == "false" || v == "faux") return "NON";
  return std::nullopt;
}

// TRE_R38 codes carry their profession in their prefix (DOMAIN.md §8.3): SCD
// dentists, SI nurses, SM physicians, SP pharmacists.
std::string_view ProfessionOfSpecialite(std::string_view code) {
  if (code.starts_with("SCD")) return "40";
  if (code.starts_with("SI")) return "60";
  if (code.starts_with("SM")) return "10";
  if (code.starts_with("SP")) return "21";
  return {};
}

const ReferenceList* ListOf(Field f, const ReferenceData& ref) {
  switch (f) {
    case Field::kDepartement:
      return &ref.departements();
    case Field::kRegion:
      return &ref.regions();
    case Field::kProfession:
      return &ref.professions();
    case Field::kSpecialite:
      return &ref.specialites();
    case Field::kCiviliteExercice:
      return &ref.civilites();
    case Field::kTypeIdStructure:
      return &ref.types_id_structure();
    default:
      return nullptr;
  }
}

// An example for the message of a value missing from a list.
std::string_view ListExample(Field f) {
  switch (f) {
    case Field::kDepartement:
      return "31 - Haute-Garonne, 31 ou Haute-Garonne";
    case Field::kRegion:
      return "76 - Occitanie, 76 ou Occitanie";
    case Field::kProfession:
      return "10 - Médecin, 10 ou Médecin";
    case Field::kCiviliteExercice:
      return "DR - Docteur, DR ou Docteur";
    case Field::kTypeIdStructure:
      return "1 - FINESS, 2 - SIREN ou 3 - SIRET";
    default:
      return "";
  }
}

std::string CodeLabel(const ListEntry& e) { return Cat({e.code, " - ", e.label}); }

// ---------------------------------------------------------------------------
// The validator of one row.

class RowValidator {
 public:
  RowValidator(const AccountDraft& draft, const ReferenceData& ref, Channel channel,
               ValidationResult& result)
      : draft_(draft), ref_(ref), channel_(channel), r_(result) {}

  void Run() {
    CheckType();
    for (const FieldSpec& spec : FieldTable()) {
      if (spec.field != Field::kType) CheckValue(spec);
    }
    CheckConsistency();
    if (type_) CheckRequirements();
  }

 private:
  std::string& Out(Field f) { return r_.normalized[FieldIndex(f)]; }
  bool Filled(Field f) const {
    return !r_.normalized[FieldIndex(f)].empty() || bad_[FieldIndex(f)];
  }
  std::string_view TypeCode() const { return AccountTypeCode(*type_); }

  void Add(Field f, Severity s, std::string_view code, std::string message) {
    if (s == Severity::kError) bad_[FieldIndex(f)] = true;
    r_.findings.push_back(Finding{f, s, std::string(code), std::move(message)});
  }
  void Error(Field f, std::string_view code, std::string message) {
    Add(f, Severity::kError, code, std::move(message));
  }
  void Warn(Field f, std::string_view code, std::string message) {
    Add(f, Severity::kWarning, code, std::move(message));
  }

  // "Type de compte" (FIELDS.md row 0, caduce): every other rule depends on it.
  void CheckType() {
    std::string& out = Out(Field::kType);
    size_t cps = 0;
    CleanError e = Clean(draft_.values[FieldIndex(Field::kType)], out, &cps);
    if (e == CleanError::kNone && out.empty()) {
      Error(Field::kType, "required",
            Cat({"La colonne « ", Header(Field::kType),
                 " » est obligatoire : indiquez PER, INT, MED, ORG ou APP."}));
      return;
    }
    type_ = e == CleanError::kNone ? ParseAccountType(out) : std::nullopt;
    if (!type_) {
      Error(Field::kType, "invalid_type",
            Cat({"La colonne « ", Header(Field::kType),
                 " » doit contenir PER, INT, MED, ORG ou APP."}));
      out.clear();
      return;
    }
    out = AccountTypeCode(*type_);
  }

  // The generic checks, then the NC rule, then the field's format.
  void CheckValue(const FieldSpec& spec) {
    const Field f = spec.field;
    std::string& out = Out(f);
    size_t cps = 0;
    CleanError e = Clean(draft_.values[FieldIndex(f)], out, &cps);
    if (e == CleanError::kNone && out.empty()) return;

    // NC: a value is refused by the form and ignored, with a warning, by the import
    // (FIELDS.md legend). Nothing else is said about a value that is not kept.
    if (type_ && spec.For(*type_) == Requirement::kNotConcerned) {
      out.clear();
      if (channel_ == Channel::kForm) {
        Error(f, "not_concerned",
              Cat({"La colonne « ", spec.header, " » ne concerne pas un compte ", TypeCode(),
                   " : videz-la."}));
      } else {
        Warn(f, "not_concerned",
             Cat({"La colonne « ", spec.header, " » ne concerne pas un compte ", TypeCode(),
                  " : sa valeur est ignorée."}));
      }
      return;
    }
    if (e == CleanError::kUtf8) {
      out.clear();
      Error(f, "invalid_utf8",
            Cat({"La colonne « ", spec.header,
                 " » contient des caractères illisibles : enregistrez le fichier en UTF-8 "
                 "(CSV UTF-8) ou retapez la valeur."}));
      return;
    }
    if (e == CleanError::kControl) {
      Error(f, "control_char",
            Cat({"La colonne « ", spec.header,
                 " » contient un caractère de contrôle invisible : retapez la valeur."}));
      return;
    }
    // Address lists are bounded per address and by count (CheckAddresses), not by the
    // 255 characters of a single value: a team's mailbox may have dozens of persons.
    if (cps > kMaxValueChars && spec.kind != FieldKind::kAddresses) {
      Error(f, "too_long",
            Cat({"La colonne « ", spec.header, " » dépasse ", std::to_string(kMaxValueChars),
                 " caractères : raccourcissez la valeur."}));
      return;
    }
    switch (spec.kind) {
      case FieldKind::kList:
        CheckList(f, out);
        break;
      case FieldKind::kAddress:
        CheckAddress(f, out);
        break;
      case FieldKind::kText:
        CheckText(f, out);
        break;
      case FieldKind::kDigits:
        CheckDigits(f, out);
        break;
      case FieldKind::kPhone:
        CheckPhone(f, out);
        break;
      case FieldKind::kYesNo:
        CheckYesNo(f, out);
        break;
      case FieldKind::kLocalPart:
        CheckLocalPart(f, out);
        break;
      case FieldKind::kDate:
        CheckDate(f, out);
        break;
      case FieldKind::kAddresses:
        CheckAddresses(f, out);
        break;
    }
  }

  // Lists: by code, label or "code - label", stored as the code (FIELDS.md "Lists").
  void CheckList(Field f, std::string& out) {
    const ReferenceList* list = ListOf(f, ref_);
    if (list == nullptr) return;
    // A numeric cell turns department 01 into 1 (and region 01 Guadeloupe likewise).
    if ((f == Field::kDepartement || f == Field::kRegion) && IsNumericCell(f)) {
      StripZeroDecimals(out);
      RestoreLeadingZeros(out, 2);
    }
    const ListEntry* e = list->Find(out);
    if (e == nullptr) {
      if (f == Field::kSpecialite) {
        // data/README.md: the specialty list is incomplete, so an unknown value is
        // kept as typed with a warning, never rejected.
        Warn(f, "unknown_specialite",
             Cat({"La colonne « ", Header(f), " » contient « ", Echo(out),
                  " », absent de la liste connue : vérifiez la valeur (elle est conservée "
                  "telle quelle)."}));
        return;
      }
      Error(f, "unknown_value",
            Cat({"La colonne « ", Header(f), " » contient « ", Echo(out),
                 " », absent de la liste : choisissez une valeur de la liste (exemple : ",
                 ListExample(f), ")."}));
      return;
    }
    out = e->code;
    switch (f) {
      case Field::kDepartement:
        departement_ = e;
        break;
      case Field::kRegion:
        region_ = e;
        break;
      case Field::kProfession:
        profession_ = e;
        break;
      case Field::kSpecialite:
        specialite_ = e;
        break;
      case Field::kTypeIdStructure:
        type_id_ = e;
        break;
      default:
        break;
    }
  }

  // "Adresse mail" and "Adresse de retour": stored lowercase (FIELDS.md row 1).
  void CheckAddress(Field f, std::string& out) {
    if (out.size() > kMaxAddressBytes) {
      Error(f, "too_long",
            Cat({"L'adresse de la colonne « ", Header(f), " » dépasse ",
                 std::to_string(kMaxAddressBytes), " caractères."}));
      return;
    }
    LowerAsciiInPlace(out);
    if (!IsValidAddress(out)) {
      Error(f, "invalid_address",
            Cat({"La colonne « ", Header(f), " » contient « ", Echo(out),
                 " », qui n'est pas une adresse valide (exemple : marie.dupont@hopital.fr)."}));
    }
  }

  // NOM and VILLE are stored in upper case (FIELDS.md rows 2 and 11); the import
  // normalises them rather than rejecting, so no finding is needed.
  void CheckText(Field f, std::string& out) {
    if (f == Field::kNom || f == Field::kVille) out = text::ToUpper(out);
  }

  bool IsNumericCell(Field f) const { return draft_.numeric_cell[FieldIndex(f)]; }

  bool RejectScientific(Field f, const std::string& out) {
    if (!IsScientificNotation(out)) return false;
    Error(f, "scientific_notation",
          Cat({"La colonne « ", Header(f), " » contient « ", Echo(out),
               " », un nombre que le tableur a arrondi : mettez la colonne au format Texte, "
               "puis saisissez de nouveau les numéros complets."}));
    return true;
  }

  // Digit fields keep their zeros (FIELDS.md rows 4, 5, 10 and 21).
  void CheckDigits(Field f, std::string& out) {
    if (RejectScientific(f, out)) return;
    if (IsNumericCell(f)) StripZeroDecimals(out);
    switch (f) {
      case Field::kCp:
        if (IsNumericCell(f)) RestoreLeadingZeros(out, 5);
        if (out.size() != 5 || !AllDigits(out)) {
          Error(
              f, "invalid_cp",
              Cat({"La colonne « ", Header(f), " » doit contenir 5 chiffres (exemple : 31000)."}));
        }
        break;
      case Field::kRpps:
        // Identifiers are often written in groups ("101 0272 7017"): the spaces go.
        RemoveSpaces(out);
        if (IsNumericCell(f)) RestoreLeadingZeros(out, 11);
        Report(f, CheckRpps(out), "RPPS", "11 chiffres", /*key_is_error=*/false);
        break;
      case Field::kAdeli:
        RemoveSpaces(out);
        UpperAsciiInPlace(out);  // 2a → 2A
        if (IsNumericCell(f)) RestoreLeadingZeros(out, 9);
        Report(f, CheckAdeli(out), "ADELI",
               "9 caractères : 2 pour le département (chiffres, 2A ou 2B) puis 7 chiffres",
               /*key_is_error=*/false);
        break;
      case Field::kIdStructure:
        RemoveSpaces(out);
        UpperAsciiInPlace(out);
        CheckIdStructure(out);
        break;
      default:
        break;
    }
  }

  // "Identifiant structure resp" by its type (FIELDS.md row 21): FINESS key advisory,
  // SIREN and SIRET keys enforced. Without a known type only the type's own finding
  // is reported.
  void CheckIdStructure(std::string& out) {
    const Field f = Field::kIdStructure;
    if (type_id_ == nullptr) return;
    if (type_id_->code == "1") {
      if (IsNumericCell(f)) RestoreLeadingZeros(out, 9);
      Report(f, CheckFiness(out), "FINESS",
             "9 caractères : 2 pour le département (chiffres, 2A ou 2B) puis 7 chiffres",
             /*key_is_error=*/false);
    } else if (type_id_->code == "2") {
      if (IsNumericCell(f)) RestoreLeadingZeros(out, 9);
      Report(f, CheckSiren(out), "SIREN", "9 chiffres", /*key_is_error=*/true);
    } else if (type_id_->code == "3") {
      if (IsNumericCell(f)) RestoreLeadingZeros(out, 14);
      Report(f, CheckSiret(out), "SIRET", "14 chiffres", /*key_is_error=*/true);
    }
  }

  // FIELDS.md footnote 6: a bad format is always an error; a bad key is an error for
  // SIREN and SIRET and a warning for RPPS, ADELI and FINESS.
  void Report(Field f, IdCheck check, std::string_view id, std::string_view format,
              bool key_is_error) {
    switch (check) {
      case IdCheck::kValid:
        return;
      case IdCheck::kBadFormat:
        Error(f, "invalid_format",
              Cat({"La colonne « ", Header(f), " » doit contenir un numéro ", id, " de ", format,
                   "."}));
        return;
      case IdCheck::kBadKey:
        if (key_is_error) {
          Error(f, "invalid_key",
                Cat({"Le numéro ", id, " de la colonne « ", Header(f),
                     " » a une clé de contrôle fausse : vérifiez le numéro."}));
        } else {
          Warn(f, "suspect_key",
               Cat({"Le numéro ", id, " de la colonne « ", Header(f),
                    " » ne passe pas le contrôle de clé habituel (Luhn) : vérifiez-le ; il "
                    "est accepté."}));
        }
        return;
    }
  }

  void CheckPhone(Field f, std::string& out) {
    if (RejectScientific(f, out)) return;
    if (IsNumericCell(f)) {
      StripZeroDecimals(out);
      RestoreLeadingZeros(out, 10);  // 612345678 → 0612345678
    }
    std::optional<std::string> phone = NormalizePhone(out);
    if (!phone) {
      Error(f, "invalid_phone",
            Cat({"La colonne « ", Header(f),
                 " » doit contenir un numéro français à 10 chiffres (exemple : 05 61 23 45 67) "
                 "ou un numéro international commençant par + (exemple : +32 2 123 45 67)."}));
      return;
    }
    out = std::move(*phone);
  }

  void CheckYesNo(Field f, std::string& out) {
    if (IsNumericCell(f)) StripZeroDecimals(out);
    std::optional<std::string_view> yn = NormalizeYesNo(out);
    if (!yn) {
      Error(f, "invalid_yes_no", Cat({"La colonne « ", Header(f), " » doit contenir OUI ou NON."}));
      return;
    }
    out = *yn;
  }

  // "MSSanté adresse" and "Apicrypt adresse": the part before @ only (FIELDS.md rows
  // 29 and 30); the domain is the structure's.
  void CheckLocalPart(Field f, std::string& out) {
    if (out.find('@') != std::string::npos) {
      Error(f, "local_part_has_domain",
            Cat({"La colonne « ", Header(f),
                 " » ne contient que la partie de l'adresse avant « @ » (exemple : "
                 "marie.dupont)."}));
      return;
    }
    LowerAsciiInPlace(out);
    if (!IsValidLocalPart(out)) {
      Error(f, "invalid_local_part",
            Cat({"La colonne « ", Header(f), " » contient « ", Echo(out),
                 " », qui n'est pas un début d'adresse valide : lettres sans accents, "
                 "chiffres, points et tirets (exemple : marie.dupont)."}));
    }
  }

  void CheckDate(Field f, std::string& out) {
    std::optional<std::string> date = NormalizeDate(out);
    if (!date) {
      Error(f, "invalid_date",
            Cat({"La colonne « ", Header(f), " » contient « ", Echo(out),
                 " », qui n'est pas une date réelle au format AAAA-MM-JJ, AA-MM-JJ ou "
                 "JJ/MM/AAAA (exemple : 2026-12-31)."}));
      return;
    }
    out = std::move(*date);
  }

  // "Alias" and "Compte(s) de connexion": addresses separated by ';' (FIELDS.md rows
  // 33 and 34); ',' and spaces are accepted too. Stored lowercase, without
  // duplicates, joined by ';'.
  void CheckAddresses(Field f, std::string& out) {
    std::string joined;
    joined.reserve(out.size());
    std::string_view in = out;
    size_t i = 0;
    size_t count = 0;
    while (i < in.size()) {
      size_t end = in.find_first_of(";, ", i);
      if (end == std::string_view::npos) end = in.size();
      std::string address(in.substr(i, end - i));
      i = end + 1;
      if (address.empty()) continue;
      LowerAsciiInPlace(address);
      if (++count > kMaxAddressesPerCell) {
        Error(f, "too_many_addresses",
              Cat({"La colonne « ", Header(f), " » contient plus de ",
                   std::to_string(kMaxAddressesPerCell), " adresses : répartissez-les."}));
        break;
      }
      if (address.size() > kMaxAddressBytes) {
        Error(f, "too_long",
              Cat({"Une adresse de la colonne « ", Header(f), " » dépasse ",
                   std::to_string(kMaxAddressBytes), " caractères."}));
        continue;
      }
      if (!IsValidAddress(address)) {
        Error(f, "invalid_address",
              Cat({"La colonne « ", Header(f), " » contient « ", Echo(address),
                   " », qui n'est pas une adresse valide : séparez les adresses par « ; » "
                   "(exemple : secretariat@hopital.fr;accueil@hopital.fr)."}));
        continue;
      }
      bool seen = false;
      for (size_t p = 0; p < joined.size() && !seen;) {
        size_t q = joined.find(';', p);
        if (q == std::string::npos) q = joined.size();
        seen = std::string_view(joined).substr(p, q - p) == address;
        p = q + 1;
      }
      if (seen) continue;
      if (!joined.empty()) joined += ';';
      joined += address;
    }
    out = std::move(joined);
  }

  // Rules between fields that hold whatever the account type.
  void CheckConsistency() {
    // FIELDS.md row 10: CP consistent with Département, a warning (CEDEX and border
    // communes break the rule). Corsica's codes start with 20, overseas codes with
    // the three digits of their department.
    if (departement_ != nullptr && !bad_[FieldIndex(Field::kCp)] && !Out(Field::kCp).empty()) {
      const std::string& cp = Out(Field::kCp);
      const std::string& code = departement_->code;
      bool ok = code == "2A" || code == "2B" ? cp.starts_with("20") : cp.starts_with(code);
      if (!ok) {
        Warn(Field::kCp, "cp_departement_mismatch",
             Cat({"Le code postal ", cp, " de la colonne « ", Header(Field::kCp),
                  " » ne correspond pas au département ", CodeLabel(*departement_),
                  " de la colonne « ", Header(Field::kDepartement),
                  " » : vérifiez l'une ou l'autre."}));
      }
    }
    // FIELDS.md row 13: the Région must contain the Département.
    if (departement_ != nullptr && region_ != nullptr && departement_->extra != region_->code) {
      const ListEntry* actual = ref_.regions().FindCode(departement_->extra);
      Error(Field::kRegion, "region_departement_mismatch",
            Cat({"La colonne « ", Header(Field::kRegion), " » (", CodeLabel(*region_),
                 ") ne contient pas le département ", CodeLabel(*departement_), " de la colonne « ",
                 Header(Field::kDepartement), " », qui est en ",
                 actual != nullptr ? CodeLabel(*actual) : departement_->extra, "."}));
    }
    // FIELDS.md row 17: the Spécialité should belong to the Profession.
    if (specialite_ != nullptr && profession_ != nullptr) {
      std::string_view expected = ProfessionOfSpecialite(specialite_->code);
      if (!expected.empty() && expected != profession_->code) {
        Warn(Field::kSpecialite, "specialite_profession_mismatch",
             Cat({"La colonne « ", Header(Field::kSpecialite), " » (", CodeLabel(*specialite_),
                  ") ne correspond pas à la colonne « ", Header(Field::kProfession), " » (",
                  CodeLabel(*profession_), ") : vérifiez l'une ou l'autre."}));
      }
    }
  }

  // O, R and OSC per account type, from FieldTable(); NC was handled with the value.
  void CheckRequirements() {
    const AccountType type = *type_;
    if (profession_ != nullptr) CheckProfessionCategory(type);
    for (const FieldSpec& spec : FieldTable()) {
      if (spec.field == Field::kType) continue;
      const bool empty = !Filled(spec.field);
      switch (spec.For(type)) {
        case Requirement::kMandatory:
          if (empty) Required(spec);
          break;
        case Requirement::kRecommended:
          if (empty) {
            Warn(spec.field, "recommended",
                 Cat({"La colonne « ", spec.header, " » est recommandée pour un compte ",
                      TypeCode(), " : complétez-la si possible."}));
          }
          break;
        case Requirement::kConditional:
          if (empty) CheckCondition(spec.field, type);
          break;
        case Requirement::kOptional:
        case Requirement::kNotConcerned:
          break;
      }
    }
  }

  void Required(const FieldSpec& spec) {
    std::string message =
        Cat({"La colonne « ", spec.header, " » est obligatoire pour un compte ", TypeCode(), "."});
    if (spec.field == Field::kConnectionAccounts) {
      // FIELDS.md footnote 5: an ORG mailbox needs at least one person to open it.
      message.pop_back();
      message += " : indiquez au moins une adresse de compte PER, INT ou MED.";
    }
    Error(spec.field, "required", std::move(message));
  }

  // The OSC footnotes of FIELDS.md, for an empty field.
  void CheckCondition(Field f, AccountType type) {
    switch (f) {
      case Field::kRpps:
        // Footnote 1: PER needs an RPPS or an ADELI, at least one of the two (reported
        // once, on RPPS).
        if (type == AccountType::kPer && !Filled(Field::kAdeli)) {
          Error(f, "rpps_or_adeli_required",
                Cat({"Un compte PER doit avoir un numéro dans la colonne « ", Header(Field::kRpps),
                     " » ou dans la colonne « ", Header(Field::kAdeli),
                     " » (au moins l'un des deux)."}));
        }
        break;
      case Field::kDiplome:
        // Footnote 2: INT with a medico-social profession.
        if (type == AccountType::kInt && profession_ != nullptr &&
            ProfessionRequiresDiplome(*profession_)) {
          Error(f, "diplome_required",
                Cat({"La colonne « ", Header(f),
                     " » est obligatoire pour un compte INT dont la "
                     "profession est du médico-social (",
                     CodeLabel(*profession_), ")."}));
        }
        break;
      case Field::kCiviliteExercice:
        // Footnote 3: INT Médecin (10), Pharmacien (21) or Chirurgien-Dentiste (40).
        if (type == AccountType::kInt && profession_ != nullptr &&
            ProfessionRequiresCiviliteExercice(*profession_)) {
          Error(f, "civilite_required",
                Cat({"La colonne « ", Header(f),
                     " » est obligatoire pour un compte INT de "
                     "profession ",
                     CodeLabel(*profession_), " (exemple : DR - Docteur)."}));
        }
        break;
      case Field::kApicryptSpecialite:
        // Footnote 4: mandatory when "Apicrypt adresse" is filled.
        if (Filled(Field::kApicryptAddress)) {
          Error(f, "apicrypt_specialite_required",
                Cat({"La colonne « ", Header(f), " » est obligatoire quand la colonne « ",
                     Header(Field::kApicryptAddress), " » est remplie."}));
        }
        break;
      default:
        break;
    }
  }

  // FIELDS.md row 16: PER and INT need a sante or medico-social profession; a MED
  // account with a sante one is probably a PER or INT typed wrong (warning).
  void CheckProfessionCategory(AccountType type) {
    const std::string& category = profession_->extra;
    if ((type == AccountType::kPer || type == AccountType::kInt) && category != "sante" &&
        category != "medico-social") {
      Error(
          Field::kProfession, "profession_not_allowed",
          Cat({"La colonne « ", Header(Field::kProfession), " » contient ", CodeLabel(*profession_),
               ", qui n'est pas une profession de santé ou du "
               "médico-social : elle ne convient pas à un compte ",
               TypeCode(), " (choisissez le type MED pour un personnel non soignant)."}));
    } else if (type == AccountType::kMed && category == "sante") {
      Warn(
          Field::kProfession, "profession_sante_for_med",
          Cat({"La colonne « ", Header(Field::kProfession), " » contient ", CodeLabel(*profession_),
               ", une profession de santé, pour un compte MED : "
               "un professionnel de santé a normalement un compte PER ou INT."}));
    }
  }

  const AccountDraft& draft_;
  const ReferenceData& ref_;
  const Channel channel_;
  ValidationResult& r_;
  std::optional<AccountType> type_;
  std::bitset<kNumFields> bad_;  // an error already explains this field
  const ListEntry* departement_ = nullptr;
  const ListEntry* region_ = nullptr;
  const ListEntry* profession_ = nullptr;
  const ListEntry* specialite_ = nullptr;
  const ListEntry* type_id_ = nullptr;
};

// The characters MssLocalPartFromNames keeps from a folded name.
void AppendNamePart(std::string_view name, std::string& out) {
  std::string folded = text::Fold(name);
  size_t start = out.size();
  for (char c : folded) {
    if (IsDigit(c) || (c >= 'a' && c <= 'z')) {
      out += c;
    } else if (c == ' ' || c == '\'' || c == '-') {
      // FIELDS.md: spaces and apostrophes become '-'; runs collapse so that
      // "D' Artagnan" gives "d-artagnan", a valid dot-atom.
      if (out.size() > start && out.back() != '-') out += '-';
    }
  }
  while (out.size() > start && out.back() == '-') out.pop_back();
}

}  // namespace

bool ValidationResult::HasErrors() const { return ErrorCount() > 0; }

size_t ValidationResult::ErrorCount() const {
  size_t n = 0;
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) ++n;
  }
  return n;
}

ValidationResult ValidateAccount(const AccountDraft& draft, const ReferenceData& ref,
                                 Channel channel) {
  ValidationResult result;
  RowValidator(draft, ref, channel, result).Run();
  return result;
}

bool IsValidLocalPart(std::string_view local) {
  // RFC 5322 §3.2.3 dot-atom; RFC 5321 §4.5.3.1.1 limits it to 64 octets.
  if (local.empty() || local.size() > kMaxLocalPartBytes) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  char prev = 0;
  for (char c : local) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!IsAtext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

bool IsValidAddress(std::string_view address) {
  if (address.size() > kMaxAddressBytes) return false;
  size_t at = address.find('@');
  if (at == std::string_view::npos) return false;
  return IsValidLocalPart(address.substr(0, at)) && IsValidDomain(address.substr(at + 1));
}

std::string MssLocalPartFromNames(std::string_view prenom, std::string_view nom) {
  std::string out;
  AppendNamePart(prenom, out);
  const size_t prenom_end = out.size();
  if (prenom_end > 0) out += '.';
  AppendNamePart(nom, out);
  if (prenom_end > 0 && out.size() == prenom_end + 1) out.pop_back();  // no usable nom
  if (out.size() > kMaxLocalPartBytes) out.resize(kMaxLocalPartBytes);
  while (!out.empty() && (out.back() == '.' || out.back() == '-')) out.pop_back();
  return out;
}

bool ProfessionRequiresDiplome(const ListEntry& profession) {
  return profession.extra == "medico-social";
}

bool ProfessionRequiresCiviliteExercice(const ListEntry& profession) {
  return profession.code == "10" || profession.code == "21" || profession.code == "40";
}

std::optional<FieldCondition> ConditionOf(Field field, const ReferenceData& ref) {
  // The professions of the list for which `holds` is true.
  auto professions = [&](bool (*holds)(const ListEntry&)) {
    std::vector<std::string> codes;
    for (const ListEntry& e : ref.professions().entries()) {
      if (holds(e)) codes.push_back(e.code);
    }
    return codes;
  };
  switch (field) {
    case Field::kRpps:
    case Field::kAdeli:
      return FieldCondition{"PER : RPPS ou ADELI, au moins l'un des deux.", std::nullopt, {}};
    case Field::kDiplome:
      return FieldCondition{"INT : obligatoire quand la profession est médico-sociale.",
                            Field::kProfession, professions(&ProfessionRequiresDiplome)};
    case Field::kCiviliteExercice:
      return FieldCondition{
          "INT : obligatoire quand la profession est Médecin, Pharmacien ou Chirurgien-Dentiste.",
          Field::kProfession, professions(&ProfessionRequiresCiviliteExercice)};
    case Field::kApicryptSpecialite:
      return FieldCondition{"Obligatoire quand « Apicrypt adresse » est rempli.",
                            Field::kApicryptAddress, {}};
    case Field::kConnectionAccounts:
      return FieldCondition{
          "ORG : au moins un compte nominatif (PER, INT ou MED), adresses séparées par des "
          "virgules.",
          std::nullopt, {}};
    default:
      return std::nullopt;
  }
}

std::string DisplayValue(Field field, const std::string& stored, const ReferenceData& ref) {
  const ReferenceList* list = ListOf(field, ref);
  if (list == nullptr || stored.empty()) return stored;
  const ListEntry* e = list->FindCode(stored);
  // An unknown Spécialité is stored as typed: show it as is, so that it reads back
  // to the same value.
  if (e == nullptr) return stored;
  return CodeLabel(*e);
}

}  // namespace caduce::directory
