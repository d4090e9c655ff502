// File: import_export/formats/csv_writer.h
//
// Writes the account export as CSV the way French Excel reads it by a double
// click: UTF-8 with a byte order mark (without it Excel assumes Windows-1252),
// ';' as separator, CRLF line ends (RFC 4180 §2). Exposure: writes values that
// come from the directory, some typed by other people, into a file opened in a
// spreadsheet.
//
// Quoting (RFC 4180 §2.6–2.7): a field holding ';', '"', CR or LF is enclosed
// in double quotes, with inner quotes doubled.
//
// CSV injection: a spreadsheet opening a CSV evaluates a field that starts with
// '=', '+', '-' or '@' as a formula, and tab or CR can hide such a start. As the
// OWASP "CSV Injection" page advises, such a field is written with a leading
// apostrophe ('=1+1), which makes the spreadsheet take it as text. The choice
// costs a visible apostrophe in a text editor, and "+33..." phone numbers get
// one too; CsvReader removes exactly this apostrophe, so that export then import
// changes nothing (FIELDS.md "Export"). A value that itself starts with
// apostrophes before such a character ('=x) gets one more for the same reason.
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_CSV_WRITER_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_CSV_WRITER_H_

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "import_export/formats/sheet.h"

namespace caduce::import_export {

class CsvWriter {
 public:
  // Creates (or truncates) `path` and writes the byte order mark. kUnavailable
  // when the file cannot be created.
  static Result<std::unique_ptr<CsvWriter>> Create(const std::string& path);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;

  // Writes one line. kInvalidArgument when a value is not UTF-8.
  Status WriteRow(const std::vector<std::string>& texts);
  // Same, each cell by its text (numbers as FormatNumber wrote them).
  Status WriteRow(const std::vector<Cell>& cells);

  // Flushes and closes the file. Later calls return the same status.
  Status Close();

  // The field as written on a line: guarded and quoted as needed.
  static std::string EncodeField(const std::string& value);

 private:
  explicit CsvWriter(std::FILE* f) : file_(f) {}
  std::FILE* file_;
  bool closed_ = false;
  Status close_status_;
};

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_CSV_WRITER_H_
