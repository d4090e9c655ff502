// XLS reader over FreeXL (see xls_reader.h).
#include "import_export/formats/xls_reader.h"

#include <fmt/format.h>
#include <freexl.h>

#include <filesystem>

#include "base/text.h"
#include "import_export/formats/internal/limit_errors.h"

namespace caduce::import_export {
namespace {

Status NotXls(std::string_view detail) {
  return InvalidArgumentError(
      fmt::format("Le fichier n'est pas un classeur Excel 97-2003 valide (.xls) : {}.", detail));
}

Status FreexlError(int code) {
  switch (code) {
    case FREEXL_INSUFFICIENT_MEMORY:
      return ResourceExhaustedError("Mémoire insuffisante pour lire le classeur .xls.");
    case FREEXL_INVALID_CFBF_HEADER:
    case FREEXL_CFBF_INVALID_SIGNATURE:
      return NotXls("ce n'est pas un fichier OLE2 (Excel 97-2003)");
    case FREEXL_BIFF_WORKBOOK_NOT_FOUND:
      return NotXls("le fichier ne contient pas de classeur");
    case FREEXL_BIFF_INVALID_BOF:
      return NotXls("version d'Excel non prise en charge ou fichier corrompu");
    case FREEXL_UNSUPPORTED_CHARSET:
    case FREEXL_INVALID_CHARACTER:
      return NotXls("encodage des textes non pris en charge");
    case FREEXL_CRAFTED_FILE:
      return NotXls("fichier corrompu ou forgé");
    default:
      return NotXls(fmt::format("fichier corrompu (code FreeXL {})", code));
  }
}

// FreeXL's "YYYY-MM-DD HH:MM:SS" as ISO 8601, without the time at midnight
// (the XLSX reader's form).
std::string IsoDateTime(std::string_view s) {
  if (s.size() == 19 && s[10] == ' ') {
    if (s.substr(11) == "00:00:00") return std::string(s.substr(0, 10));
    std::string out(s);
    out[10] = 'T';
    return out;
  }
  return std::string(s);
}

}  // namespace

Result<std::unique_ptr<XlsReader>> XlsReader::Open(const std::string& path,
                                                   const ReadLimits& limits) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return NotFoundError(fmt::format("Impossible d'ouvrir le fichier « {} ».", path));
  // FreeXL reads the whole file in memory.
  if (size > limits.max_uncompressed_bytes) return internal::TooLarge(limits.max_uncompressed_bytes);

  const void* handle = nullptr;
  int rc = freexl_open(path.c_str(), &handle);
  // Owned from here: freexl_close() is due even when freexl_open() fails.
  std::unique_ptr<XlsReader> r(new XlsReader(handle, limits));
  if (rc == FREEXL_FILE_NOT_FOUND) {
    return NotFoundError(fmt::format("Impossible d'ouvrir le fichier « {} ».", path));
  }
  if (rc != FREEXL_OK) return FreexlError(rc);

  unsigned int info = 0;
  if (freexl_get_info(handle, FREEXL_BIFF_PASSWORD, &info) == FREEXL_OK &&
      info == FREEXL_BIFF_OBFUSCATED) {
    return NotXls("le classeur est protégé par un mot de passe");
  }
  unsigned int sheets = 0;
  if (freexl_get_info(handle, FREEXL_BIFF_SHEET_COUNT, &sheets) != FREEXL_OK || sheets == 0) {
    return NotXls("le classeur n'a aucune feuille");
  }
  // FreeXL cannot tell a hidden sheet: the first one is read.
  if ((rc = freexl_select_active_worksheet(handle, 0)) != FREEXL_OK) return FreexlError(rc);
  const char* name = nullptr;
  if (freexl_get_worksheet_name(handle, 0, &name) == FREEXL_OK && name != nullptr &&
      text::IsValidUtf8(name)) {
    r->sheet_name_ = name;
  }
  unsigned int rows = 0;
  unsigned short columns = 0;
  if ((rc = freexl_worksheet_dimensions(handle, &rows, &columns)) != FREEXL_OK) {
    return FreexlError(rc);
  }
  r->rows_ = rows;
  r->columns_ = columns;
  return r;
}

XlsReader::~XlsReader() {
  if (handle_ != nullptr) freexl_close(handle_);
}

Result<std::optional<Row>> XlsReader::Next() {
  if (!failed_.ok()) return failed_;
  while (next_row_ < rows_) {
    const uint32_t r = next_row_++;
    const int64_t number = static_cast<int64_t>(r) + 1;
    Row row{number, {}};
    for (uint16_t c = 0; c < columns_; ++c) {
      FreeXL_CellValue v;
      int rc = freexl_get_cell_value(handle_, r, c, &v);
      if (rc != FREEXL_OK) return failed_ = FreexlError(rc);
      Cell cell;
      switch (v.type) {
        case FREEXL_CELL_INT:
          cell = Cell::Number(v.value.int_value);
          break;
        case FREEXL_CELL_DOUBLE:
          cell = Cell::Number(v.value.double_value);
          break;
        case FREEXL_CELL_TEXT:
        case FREEXL_CELL_SST_TEXT:
        case FREEXL_CELL_DATE:
        case FREEXL_CELL_DATETIME:
        case FREEXL_CELL_TIME: {
          if (v.value.text_value == nullptr) break;
          std::string s = v.value.text_value;
          if (!text::IsValidUtf8(s)) {
            return failed_ = NotXls(fmt::format("texte illisible dans la cellule {}{}",
                                                ColumnName(c), number));
          }
          if (internal::CountChars(s) > limits_.max_cell_chars) {
            return failed_ = internal::CellTooLong(limits_.max_cell_chars, c, number);
          }
          if (v.type == FREEXL_CELL_TEXT || v.type == FREEXL_CELL_SST_TEXT) {
            if (!s.empty()) cell = Cell::Text(std::move(s));
          } else {
            cell = Cell::Date(IsoDateTime(s));
          }
          break;
        }
        default:  // FREEXL_CELL_NULL
          break;
      }
      if (cell.kind == Cell::Kind::kEmpty) continue;
      if (c >= limits_.max_columns) {
        return failed_ = internal::TooManyColumns(limits_.max_columns, number);
      }
      if (number > limits_.max_rows) return failed_ = internal::TooManyRows(limits_.max_rows, number);
      row.cells.resize(c + 1);
      row.cells[c] = std::move(cell);
    }
    if (!row.cells.empty()) return std::optional<Row>(std::move(row));
  }
  return std::optional<Row>();
}

}  // namespace caduce::import_export
