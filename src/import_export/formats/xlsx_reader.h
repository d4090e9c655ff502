// File: import_export/formats/xlsx_reader.h
//
// Streams the rows of the first visible sheet of an Office Open XML workbook
// (.xlsx, ECMA-376 Part 1 §18 SpreadsheetML, packaged per Part 2 OPC). Exposure:
// reads untrusted files uploaded by an administrator. The ZIP container is read
// with libzip, the small XML parts (relationships, workbook, styles, shared
// strings) with expat as a SAX stream, and the worksheet, nearly all of the bytes,
// with a small pull scanner of the XML that SpreadsheetML uses
// (internal/xml_scanner.h), one row per Next() call; memory stays bounded by the
// shared strings table and one row.
//
// Defences, each bounded by ReadLimits:
// - ZIP bombs: each entry's declared size and uncompressed/compressed ratio are
//   checked before it is opened, and the bytes actually inflated are counted
//   while streaming, because declared sizes can lie; the total over all parts
//   read is capped.
// - XML: no DTD at all. A DOCTYPE or ENTITY declaration stops the parser with an
//   error (no SpreadsheetML part needs one), and parameter entities are never
//   parsed, so neither "billion laughs" nor an external entity (XXE) can expand.
//   The worksheet's scanner knows only the five predefined entities and
//   character references, checks that elements nest, and reads UTF-8 only.
// - Rows, columns (a reference beyond XFD or beyond max_columns) and cell length
//   are capped.
//
// Values: a shared string (t="s", rich text runs concatenated, phonetic runs
// <rPh> ignored), an inline string (t="inlineStr"), the cached result of a
// formula (t="str", or a number with <f>: the formula itself is never read),
// booleans (t="b"), errors (t="e"), ISO dates (t="d"), and numbers, which become
// kDate when their cell format is a date format (§18.8.30 built-in ids 14–22 and
// 45–47, or a custom code with d, m, y, h or s outside quotes and brackets),
// converted from the 1900 or 1904 date system (workbookPr date1904, §18.2.28).
// Escapes _xHHHH_ in strings (§22.9.2.19 ST_Xstring) are decoded.
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_XLSX_READER_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_XLSX_READER_H_

#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "import_export/formats/sheet.h"

namespace caduce::import_export {

class XlsxReader : public RowReader {
 public:
  // Opens the workbook at `path`, reads its workbook, relationships, styles and
  // shared strings, and positions on the first visible sheet. Errors:
  // kNotFound when the file cannot be opened; kInvalidArgument when it is not a
  // valid workbook (unreadable ZIP, an .ods or .xlsb package, missing parts,
  // malformed XML, a DTD, no visible sheet); kResourceExhausted when a limit is
  // crossed.
  static Result<std::unique_ptr<XlsxReader>> Open(const std::string& path,
                                                  const ReadLimits& limits);
  // Same, over the bytes of a file in memory (fuzzers, tests).
  static Result<std::unique_ptr<XlsxReader>> FromString(std::string data, const ReadLimits& limits);

  ~XlsxReader() override;

  Result<std::optional<Row>> Next() override;

  // The name of the sheet being read.
  const std::string& sheet_name() const;
  // True when the workbook uses the 1904 date system.
  bool date1904() const;

 private:
  class Impl;
  explicit XlsxReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_XLSX_READER_H_
