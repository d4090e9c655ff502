// File: import_export/formats/xls_reader.h
//
// Reads the rows of an Excel 97-2003 workbook (.xls, BIFF8 in an OLE2 compound
// file) through FreeXL. Exposure: reads untrusted files uploaded by an
// administrator. FreeXL loads the whole workbook in memory, so the file size is
// checked against ReadLimits::max_uncompressed_bytes before it is opened, and
// rows, columns and cell length are checked on the cells it returns.
//
// Limits of FreeXL 1.0.6 that the caller should know:
// - it does not tell whether a sheet is hidden, so the FIRST sheet is read,
//   visible or not (the XLSX reader skips hidden sheets);
// - it skips formula cells (FORMULA records), even with a cached value;
// - booleans come back as the numbers 1 and 0;
// - it returns dates, date-times and times already formatted, honouring the
//   workbook's 1900 or 1904 date system; they become kDate cells
//   ("YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS", or "HH:MM:SS" for a time alone).
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_XLS_READER_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_XLS_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "import_export/formats/sheet.h"

namespace caduce::import_export {

class XlsReader : public RowReader {
 public:
  // Opens the workbook and selects its first sheet. kNotFound when the file
  // cannot be opened; kInvalidArgument when it is not a readable .xls (not
  // OLE2, no workbook stream, corrupt, password-protected, no sheet);
  // kResourceExhausted when the file exceeds limits.max_uncompressed_bytes or
  // FreeXL runs out of memory.
  static Result<std::unique_ptr<XlsReader>> Open(const std::string& path,
                                                 const ReadLimits& limits);
  ~XlsReader() override;
  XlsReader(const XlsReader&) = delete;
  XlsReader& operator=(const XlsReader&) = delete;

  Result<std::optional<Row>> Next() override;

  const std::string& sheet_name() const { return sheet_name_; }

 private:
  XlsReader(const void* handle, const ReadLimits& limits) : handle_(handle), limits_(limits) {}

  const void* handle_;
  ReadLimits limits_;
  std::string sheet_name_;
  uint32_t rows_ = 0;
  uint16_t columns_ = 0;
  uint32_t next_row_ = 0;  // 0-based
  Status failed_;
};

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_XLS_READER_H_
