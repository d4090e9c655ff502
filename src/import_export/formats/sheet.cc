// Number and date text of the row model shared by the spreadsheet readers.
#include "import_export/formats/sheet.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace caduce::import_export {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (the classic
// days-from-civil computation on 400-year eras).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

}  // namespace

Cell Cell::Number(double v) { return Cell{Kind::kNumber, FormatNumber(v), v}; }

std::string FormatNumber(double v) {
  if (v == 0) return "0";  // also -0
  char buf[64];
  std::to_chars_result r;
  const double a = std::fabs(v);
  if (std::isfinite(v) && a < 1e15 && a >= 1e-4) {
    // Fixed notation, still the shortest digits that round-trip.
    r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v);
  }
  if (r.ec != std::errc()) return "0";
  return std::string(buf, r.ptr);
}

std::string ColumnName(int32_t column) {
  std::string out;
  int64_t n = static_cast<int64_t>(column) + 1;
  while (n > 0) {
    int64_t rem = (n - 1) % 26;
    out.insert(out.begin(), static_cast<char>('A' + rem));
    n = (n - 1) / 26;
  }
  return out;
}

std::optional<std::string> SerialToIsoDate(double serial, bool date1904) {
  if (!std::isfinite(serial) || serial < 0 || serial > 3e6) return std::nullopt;
  // Round to the second first, so that 23:59:59.9 becomes the next day.
  const auto total = static_cast<int64_t>(std::llround(serial * 86400.0));
  int64_t whole = total / 86400;
  const int64_t secs = total % 86400;
  int64_t days;
  if (date1904) {
    days = DaysFromCivil(1904, 1, 1) + whole;
  } else if (whole >= 61 || whole == 0) {
    days = DaysFromCivil(1899, 12, 30) + whole;
  } else if (whole == 60) {
    days = DaysFromCivil(1900, 2, 28);  // the fictitious 1900-02-29
  } else {
    days = DaysFromCivil(1899, 12, 31) + whole;
  }
  const CivilDate d = CivilFromDays(days);
  if (d.year > 9999) return std::nullopt;
  char buf[32];
  int n;
  if (secs == 0) {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year), d.month, d.day);
  } else {
    n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(d.year),
                      d.month, d.day, static_cast<int>(secs / 3600),
                      static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  }
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace caduce::import_export
