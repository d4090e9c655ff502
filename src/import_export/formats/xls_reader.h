// File: import_export/formats/xls_reader.h
//
// Reads the rows of an Excel 97-2003 workbook (.xls, BIFF8 in an OLE2 compound
// file) through FreeXL. Exposure: reads untrusted files uploaded by an
// administrator.
//
// FreeXL 1.0.6 is C and not memory-safe on hostile input: fuzzing found a
// crafted file that makes it read past a stack buffer (into iconv). It therefore
// runs in a child process (fork) with a CPU-time limit (and an address-space
// limit outside sanitizer builds); the child sends the rows back through a pipe
// in a small length-prefixed format that the parent checks against ReadLimits
// again. A child that crashes, is killed or stops answering makes the file
// refused as corrupt; the server process is never at risk. Because fork copies
// the parent's memory, a later split could exec a dedicated helper instead:
// the pipe protocol would stay the same. FreeXL loads the whole workbook in
// memory, so the file size is checked against max_uncompressed_bytes first.
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
  static Result<std::unique_ptr<XlsReader>> Open(const std::string& path, const ReadLimits& limits);
  // Kills and reaps the child if it still runs.
  ~XlsReader() override;
  XlsReader(const XlsReader&) = delete;
  XlsReader& operator=(const XlsReader&) = delete;

  Result<std::optional<Row>> Next() override;

  const std::string& sheet_name() const { return sheet_name_; }

 private:
  explicit XlsReader(const ReadLimits& limits) : limits_(limits) {}
  // Reads exactly n bytes from the child; kInvalidArgument when it ended early
  // (crash) or stopped answering.
  Status ReadExact(void* out, size_t n);
  // Reads one record: a row, the end, or the child's error.
  Result<std::optional<Row>> ReadRecord();
  // Kills and reaps the child; the status of a file that made it fail.
  Status ChildFailure();
  // Reads the child's error after its 'X' tag, and reaps it.
  Status ReadError();
  void Reap(bool kill_first);

  ReadLimits limits_;
  std::string sheet_name_;
  int pid_ = -1;
  int fd_ = -1;
  bool done_ = false;
  Status failed_;
};

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_XLS_READER_H_
