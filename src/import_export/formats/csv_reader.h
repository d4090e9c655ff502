// File: import_export/formats/csv_reader.h
//
// Reads a CSV file as saved by Excel, LibreOffice or caduce's own CsvWriter into
// rows of kText cells. Exposure: reads untrusted files uploaded by an
// administrator; bounded by ReadLimits, never crashes.
//
// What it accepts, and why:
// - Quoting per RFC 4180 §2: a field may be enclosed in double quotes, a quote
//   inside is doubled (""), and a quoted field may hold the separator and line
//   breaks. Leniency where RFC 4180 is silent or strict: a quote inside an
//   unquoted field is taken literally, text after the closing quote of a
//   quoted field is appended to it, lone CR or LF end a line as well as CRLF.
//   A quote still open at the end of the file is an error naming the line where
//   it was opened.
// - Separator: French Excel writes ';', other locales ',' and "Unicode text"
//   a tab. The one used is the most frequent of the three outside quotes on the
//   first line (the header row); on a tie ';' wins, then ',', then tab.
// - Encoding: UTF-8 (with or without byte order mark) when every byte of the
//   file is valid UTF-8, otherwise Windows-1252 (Excel's "CSV (séparateur :
//   point-virgule)" on a French Windows), converted to UTF-8.
// - Every non-empty field is kText, an empty one kEmpty; a line with nothing
//   on it is skipped (the row numbers count it, like a spreadsheet would).
// - A leading apostrophe followed by '=', '+', '-', '@', tab or CR (possibly after
//   more apostrophes) is removed: it is the CSV-injection guard CsvWriter adds (OWASP "CSV
//   Injection"), and a spreadsheet saving to CSV never keeps such an apostrophe itself, so removing
//   it makes export then import change nothing.
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_CSV_READER_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "import_export/formats/sheet.h"

namespace caduce::import_export {

class CsvReader : public RowReader {
 public:
  enum class Encoding { kUtf8, kWindows1252 };

  // Opens the file at `path`. kNotFound when it cannot be opened,
  // kResourceExhausted when it is larger than limits.max_uncompressed_bytes,
  // kInvalidArgument when it is empty.
  static Result<std::unique_ptr<CsvReader>> Open(const std::string& path, const ReadLimits& limits);
  // Same, over bytes in memory (fuzzers, tests).
  static Result<std::unique_ptr<CsvReader>> FromString(std::string data, const ReadLimits& limits);

  ~CsvReader() override;

  Result<std::optional<Row>> Next() override;

  char separator() const { return separator_; }
  Encoding encoding() const { return encoding_; }

 private:
  CsvReader(std::unique_ptr<std::istream> in, const ReadLimits& limits);
  // Detects encoding and separator, then positions the stream after the BOM.
  Status Prepare();
  // Reads the next chunk into buf_ (converted to UTF-8); false at end of file.
  Result<bool> Refill();
  Status EndField();
  Status EndRecord(std::optional<Row>* out);
  Status Fail(Status s);

  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };

  std::unique_ptr<std::istream> in_;
  ReadLimits limits_;
  std::streamoff data_start_ = 0;
  char separator_ = ';';
  Encoding encoding_ = Encoding::kUtf8;

  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
  bool done_ = false;
  Status failed_;

  State state_ = State::kFieldStart;
  bool pending_cr_ = false;
  std::string field_;
  size_t field_chars_ = 0;
  bool field_oversize_ = false;
  std::vector<Cell> cells_;
  int64_t line_ = 1;           // physical line of the current byte
  int64_t quote_line_ = 0;     // line where the open quote started
  int64_t record_number_ = 0;  // records ended so far
};

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_CSV_READER_H_
