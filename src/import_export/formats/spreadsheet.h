// File: import_export/formats/spreadsheet.h
//
// Opens an uploaded account file with the right reader, chosen from its first
// bytes and never from its name: administrators rename files, and browsers
// send whatever extension the file had. Exposure: reads untrusted files.
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_SPREADSHEET_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_SPREADSHEET_H_

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "import_export/formats/sheet.h"

namespace caduce::import_export {

enum class SpreadsheetFormat { kXlsx, kXls, kCsv };

// The format announced by the first bytes of a file (8 KiB are enough): a ZIP
// local header "PK\3\4" (or the end record of an empty archive) is XLSX, the
// OLE2 compound file signature D0 CF 11 E0 A1 B1 1A E1 is XLS, and text (no
// control character other than tab, line feed, form feed and carriage return)
// is CSV. kInvalidArgument « Ce fichier n'est ni un classeur Excel (.xlsx, .xls)
// ni un fichier CSV. » otherwise, and « Le fichier est vide. » when `head` is.
Result<SpreadsheetFormat> SniffFormat(std::string_view head);

// Opens `path` with the reader of its sniffed format (XlsxReader, XlsReader or
// CsvReader); errors as SniffFormat and the reader's Open.
Result<std::unique_ptr<RowReader>> OpenSpreadsheet(const std::string& path,
                                                   const ReadLimits& limits);

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_SPREADSHEET_H_
