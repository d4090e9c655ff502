// File: import_export/formats/xlsx_writer.h
//
// Writes the account export as an .xlsx workbook through libxlsxwriter, in its
// constant-memory mode so that an export of any size holds one row in memory.
// Exposure: writes values that come from the directory, some typed by other
// administrators or users, into a file opened in Excel; nothing it writes may be
// evaluated as a formula (FIELDS.md "Export").
//
// Rules:
// - Every value is a string cell (t="inlineStr", ECMA-376 Part 1 §18.3.1.4)
//   unless the caller passes a kNumber cell: digit fields keep their leading
//   zeros, and a text starting with '=', '+', '-' or '@' stays text, because a
//   spreadsheet never evaluates a string cell (only <f> elements are formulas).
// - A literal "_xHHHH_" in a text is escaped as "_x005F_xHHHH_" (§22.9.2.19), so
//   that a reader does not decode it: export then import changes nothing.
// - The header row is bold and frozen; list columns get a drop-down (data
//   validation of type list, §18.3.1.32). An inline list is limited by Excel to
//   255 characters, so a longer one, or one whose values hold a comma or a
//   quote, is written to a hidden second sheet and referenced as a range.
// - Constant-memory mode writes rows in order: SetColumns first, then WriteRow.
// - Parts are deflated at zlib's level 1 rather than libxlsxwriter's default 6
//   (see zipOpenNewFileInZip4_64 in xlsx_writer.cc): about three times less CPU
//   for the deflate, a file about a fifth larger.
// - Not thread-safe; one writer may be used from any one thread at a time.
//
//   CADUCE_TRY(auto w, XlsxWriter::Create(path, "Comptes"));
//   CADUCE_RETURN_IF_ERROR(w->SetColumns(headers, widths));
//   CADUCE_RETURN_IF_ERROR(w->AddListValidation(0, {"PER", "INT", ...}, 2, 10001));
//   for (...) CADUCE_RETURN_IF_ERROR(w->WriteRow(cells));
//   CADUCE_RETURN_IF_ERROR(w->Close());
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_XLSX_WRITER_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_XLSX_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "import_export/formats/sheet.h"

namespace caduce::import_export {

class XlsxWriter {
 public:
  // Name of the hidden sheet holding long drop-down lists.
  static constexpr const char* kListsSheetName = "Listes";

  // Prepares a workbook whose single visible sheet is `sheet_name`; the file is
  // written by Close(). kInvalidArgument when the sheet name is not a valid
  // Excel name (over 31 characters, or one of []:*?/\), kUnavailable when
  // `path` cannot be created.
  static Result<std::unique_ptr<XlsxWriter>> Create(const std::string& path,
                                                    const std::string& sheet_name);
  // Closes the workbook if Close() was not called (its status is lost).
  ~XlsxWriter();
  XlsxWriter(const XlsxWriter&) = delete;
  XlsxWriter& operator=(const XlsxWriter&) = delete;

  // Writes the header row (row 1, bold, frozen) and sets each column's width in
  // characters (`widths` may be shorter than `headers`: the rest keep Excel's
  // default). REQUIRES: called once, before any WriteRow.
  Status SetColumns(const std::vector<std::string>& headers, const std::vector<double>& widths);

  // Adds a drop-down list of `values` to column `column` (0-based) on rows
  // first_row..last_row (1-based, inclusive, as the spreadsheet shows them).
  // kInvalidArgument when the list is empty or a bound is out of the sheet.
  Status AddListValidation(int32_t column, const std::vector<std::string>& values,
                           int64_t first_row, int64_t last_row);

  // Writes the next row: kNumber cells as numbers, kEmpty cells not at all, and
  // every other cell as a string of its text. kInvalidArgument when a text is
  // not UTF-8 or longer than 32,767 characters.
  Status WriteRow(const std::vector<Cell>& cells);
  // Same, every value a string ("" leaves the cell empty).
  Status WriteRow(const std::vector<std::string>& texts);

  // Number (1-based) of the row the next WriteRow writes.
  int64_t next_row() const { return next_row_; }

  // Writes the hidden lists, then the file. Later calls return the same status.
  Status Close();

 private:
  struct List {
    std::vector<std::string> values;
  };
  XlsxWriter() = default;
  static Status CheckText(int64_t row, int32_t column, const std::string& text);
  Status WriteText(int64_t row, int32_t column, const std::string& text, bool bold = false);
  Status WriteLists();

  struct Handles;
  std::unique_ptr<Handles> h_;
  std::string path_;
  std::string sheet_name_;
  int64_t next_row_ = 1;
  bool headers_written_ = false;
  std::vector<List> lists_;  // column k of the hidden sheet
  bool closed_ = false;
  Status close_status_;
};

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_XLSX_WRITER_H_
