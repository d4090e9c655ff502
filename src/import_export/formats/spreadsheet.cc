// Format sniffing and the reader factory (see spreadsheet.h).
#include "import_export/formats/spreadsheet.h"

#include <fmt/format.h>

#include <fstream>

#include "import_export/formats/csv_reader.h"
#include "import_export/formats/xls_reader.h"
#include "import_export/formats/xlsx_reader.h"

namespace caduce::import_export {
namespace {

constexpr size_t kSniffBytes = 8192;

bool LooksLikeText(std::string_view head) {
  for (unsigned char c : head) {
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') return false;
    if (c == 0x7F) return false;
  }
  return true;
}

}  // namespace

Result<SpreadsheetFormat> SniffFormat(std::string_view head) {
  if (head.empty()) return InvalidArgumentError("Le fichier est vide.");
  // ZIP (APPNOTE.TXT §4.3.7 local file header; §4.3.16 end of central directory,
  // the whole of an empty archive): an Office Open XML package.
  if (head.starts_with(std::string_view("PK\x03\x04", 4)) ||
      head.starts_with(std::string_view("PK\x05\x06", 4))) {
    return SpreadsheetFormat::kXlsx;
  }
  // [MS-CFB] §2.2 compound file header signature: Excel 97-2003.
  if (head.starts_with(std::string_view("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8))) {
    return SpreadsheetFormat::kXls;
  }
  if (LooksLikeText(head.substr(0, kSniffBytes))) return SpreadsheetFormat::kCsv;
  return InvalidArgumentError(
      "Ce fichier n'est ni un classeur Excel (.xlsx, .xls) ni un fichier CSV.");
}

Result<std::unique_ptr<RowReader>> OpenSpreadsheet(const std::string& path,
                                                   const ReadLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return NotFoundError(fmt::format("Impossible d'ouvrir le fichier « {} ».", path));
  }
  std::string head(kSniffBytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  in.close();
  CADUCE_TRY(SpreadsheetFormat format, SniffFormat(head));
  switch (format) {
    case SpreadsheetFormat::kXlsx: {
      CADUCE_TRY(auto r, XlsxReader::Open(path, limits));
      return std::unique_ptr<RowReader>(std::move(r));
    }
    case SpreadsheetFormat::kXls: {
      CADUCE_TRY(auto r, XlsReader::Open(path, limits));
      return std::unique_ptr<RowReader>(std::move(r));
    }
    case SpreadsheetFormat::kCsv:
      break;
  }
  CADUCE_TRY(auto r, CsvReader::Open(path, limits));
  return std::unique_ptr<RowReader>(std::move(r));
}

}  // namespace caduce::import_export
