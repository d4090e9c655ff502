// File: import_export/formats/sheet.h
//
// The row model shared by every spreadsheet reader (XLSX, XLS, CSV) and the
// limits that bound them. Readers are pure: they turn a file into rows of typed
// cells and know nothing of accounts; the mapping of columns to account fields is
// done above them. Exposure: every reader parses untrusted files uploaded by an
// administrator, so each one is bounded by ReadLimits, reports a malformed file
// as kInvalidArgument with a French message an administrator can act on, a
// crossed limit as kResourceExhausted naming the limit and the row, and never
// crashes.
//
//   CADUCE_TRY(auto reader, OpenSpreadsheet(path, ReadLimits{}));
//   while (true) {
//     CADUCE_TRY(std::optional<Row> row, reader->Next());
//     if (!row) break;
//     ...
//   }
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_SHEET_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_SHEET_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace caduce::import_export {

// One cell as the spreadsheet stores it, before any interpretation by field.
struct Cell {
  enum class Kind { kEmpty, kText, kNumber, kBool, kDate, kError };

  Kind kind = Kind::kEmpty;
  // kText: the string (UTF-8).
  // kNumber: FormatNumber(number): the shortest decimal that reads back as the
  //   same double, without exponent when integral and |x| < 1e15 ("1000",
  //   "612345678"), so that a digit field typed as a number can get its leading
  //   zeros back (FIELDS.md "Values the import accepts").
  // kBool: "1" or "0".
  // kDate: ISO 8601 "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM:SS" when the value has a
  //   time of day; a time without a date (XLS only) is "HH:MM:SS".
  // kError: the error literal, e.g. "#N/A".
  std::string text;
  // kNumber: the value; kDate: the spreadsheet serial when the format has one
  // (0 for CSV/XLS); kBool: 1 or 0; otherwise 0.
  double number = 0;

  static Cell Empty() { return Cell{}; }
  static Cell Text(std::string s) { return Cell{Kind::kText, std::move(s), 0}; }
  static Cell Number(double v);
  static Cell Bool(bool b) { return Cell{Kind::kBool, b ? "1" : "0", b ? 1.0 : 0.0}; }
  static Cell Date(std::string iso, double serial = 0) {
    return Cell{Kind::kDate, std::move(iso), serial};
  }
  static Cell Error(std::string literal) { return Cell{Kind::kError, std::move(literal), 0}; }

  friend bool operator==(const Cell& a, const Cell& b) {
    return a.kind == b.kind && a.text == b.text;
  }
};

// One row of the first visible sheet.
struct Row {
  // 1-based row number as the spreadsheet shows it (for CSV: the record number).
  // Rows the file does not hold (or, in CSV, blank lines) are not returned, so
  // numbers may jump; messages to the administrator quote this number.
  int64_t number = 0;
  // Index = 0-based column. Columns the file skips are kEmpty; the vector ends at
  // the last cell the file holds.
  std::vector<Cell> cells;
};

// Bounds on what a reader accepts. Defaults fit an account list of a large region
// with a wide margin; tests and fuzzers pass smaller ones.
struct ReadLimits {
  // Total bytes a reader may produce from the file: inflated ZIP entries for
  // XLSX, the file size for CSV and XLS.
  uint64_t max_uncompressed_bytes = 512ull * 1024 * 1024;
  // Uncompressed/compressed ratio allowed for one ZIP entry (zip bombs). Checked on
  // the declared sizes before reading and on the bytes actually inflated.
  uint32_t max_ratio = 200;
  // Highest row number (1-based) and number of rows.
  int64_t max_rows = 1'000'000;
  // Number of columns (Excel itself stops at 16,384: column XFD).
  int32_t max_columns = 10'000;
  // Characters (code points) in one cell; 32,767 is Excel's own limit.
  size_t max_cell_chars = 32767;
};

// A pull-style reader of the rows of one sheet.
class RowReader {
 public:
  virtual ~RowReader() = default;

  // Returns the next row holding at least one cell, std::nullopt at the end, or
  // an error: kInvalidArgument when the file is malformed, kResourceExhausted
  // when a ReadLimits bound is crossed. After an error every later call returns
  // the same error.
  virtual Result<std::optional<Row>> Next() = 0;
};

// The shortest decimal that reads back as `v`; integral values below 1e15 in
// magnitude are written without exponent ("1000", "-42"), other values use
// plain notation when 1e-4 <= |v| < 1e15 and exponent notation otherwise.
std::string FormatNumber(double v);

// "A" for 0, "Z" for 25, "AA" for 26, ... "XFD" for 16383.
std::string ColumnName(int32_t column);

// ISO 8601 text of a spreadsheet date serial (ECMA-376 Part 1 §18.17.4: days since
// the epoch, the fraction being the time of day). In the 1900 system serial 1 is
// 1900-01-01 and serial 60 is Excel's fictitious 1900-02-29, kept for Lotus 1-2-3
// compatibility (§18.17.4.1): it is read as 1900-02-28 so that the text is always
// a real date; serial 0 and times alone are based on 1899-12-30. In the 1904
// system serial 0 is 1904-01-01. Returns std::nullopt when the serial is negative,
// not finite, or after 9999-12-31.
std::optional<std::string> SerialToIsoDate(double serial, bool date1904);

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_SHEET_H_
