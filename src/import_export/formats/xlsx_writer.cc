// XLSX writer over libxlsxwriter in constant-memory mode (see xlsx_writer.h).
#include "import_export/formats/xlsx_writer.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cstdio>

#include "base/text.h"
#include "import_export/formats/internal/limit_errors.h"

// libxlsxwriter 1.1.4 (Debian 12) never frees the formula string it copies in
// worksheet_data_validation_range(): a few bytes per drop-down list and export, not
// ours to fix. The library has no frame pointers, so the leak's stack stops at
// lxw_strdup and only its module can be named. LeakSanitizer (sanitizer builds only)
// reads this hook from whichever binary links the writer: tests and `caduce` alike.
extern "C" const char* __lsan_default_suppressions() { return "leak:libxlsxwriter.so\n"; }

// The deflate level of the workbook's parts. libxlsxwriter 1.1.4 has no option for
// it: its packager asks minizip for zlib's default (6) on every part, and at that
// level deflating the worksheet is about a third of an export's CPU time. The
// packager calls minizip through the dynamic linker, so caduce, which links the
// packager's caller, answers that one call first and passes it on with its level
// (zlib's level 1: about three times faster, a file about a fifth larger); any
// other argument is left as libxlsxwriter gave it. Should the symbol not be
// looked up through caduce (a static libxlsxwriter), the default level applies:
// slower, never wrong. The prototype is minizip's (zlib 1.2.13 contrib/minizip/zip.h).
namespace {
constexpr int kDeflateLevel = 1;
}  // namespace

extern "C" int zipOpenNewFileInZip4_64(
    void* file, const char* filename, const void* zipfi, const void* extrafield_local,
    unsigned size_extrafield_local, const void* extrafield_global, unsigned size_extrafield_global,
    const char* comment, int method, int level, int raw, int window_bits, int mem_level,
    int strategy, const char* password, unsigned long crc_for_crypting,   // NOLINT(runtime/int)
    unsigned long version_made_by, unsigned long flag_base, int zip64) {  // NOLINT(runtime/int)
  using Next = int (*)(void*, const char*, const void*, const void*, unsigned, const void*,
                       unsigned, const char*, int, int, int, int, int, int, const char*,
                       unsigned long, unsigned long, unsigned long, int);  // NOLINT(runtime/int)
  static const Next next = reinterpret_cast<Next>(dlsym(RTLD_NEXT, "zipOpenNewFileInZip4_64"));
  if (next == nullptr) return -104;  // minizip's ZIP_INTERNALERROR
  constexpr int kZDefaultCompression = -1;
  if (level == kZDefaultCompression) level = kDeflateLevel;
  return next(file, filename, zipfi, extrafield_local, size_extrafield_local, extrafield_global,
              size_extrafield_global, comment, method, level, raw, window_bits, mem_level, strategy,
              password, crc_for_crypting, version_made_by, flag_base, zip64);
}

namespace caduce::import_export {
namespace {

// Excel's sheet size (ECMA-376 Part 1 §18.3.1.73: rows 1..1,048,576; columns A..XFD).
constexpr int64_t kMaxRows = 1048576;
constexpr int32_t kMaxColumns = 16384;
constexpr size_t kMaxCellChars = 32767;
// Excel refuses an inline list (the formula1 of a list validation) over 255 characters.
constexpr size_t kMaxInlineList = 255;

Status LxwError(lxw_error err) {
  return InternalError(fmt::format("Écriture du classeur impossible : {}.", lxw_strerror(err)));
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Escapes the '_' of every literal "_xHHHH_" as "_x005F_" (ECMA-376 Part 1
// §22.9.2.19), so that readers keep the text as written.
std::string EscapeXstring(const std::string& s) {
  if (s.find("_x") == std::string::npos) return s;
  std::string out;
  out.reserve(s.size() + 14);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_' && i + 6 < s.size() && s[i + 1] == 'x' && IsHex(s[i + 2]) && IsHex(s[i + 3]) &&
        IsHex(s[i + 4]) && IsHex(s[i + 5]) && s[i + 6] == '_') {
      out += "_x005F_";
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

struct XlsxWriter::Handles {
  lxw_workbook* workbook = nullptr;
  lxw_worksheet* sheet = nullptr;
  lxw_format* bold = nullptr;
  std::string lists_sheet_name;
};

Result<std::unique_ptr<XlsxWriter>> XlsxWriter::Create(const std::string& path,
                                                       const std::string& sheet_name) {
  // libxlsxwriter creates the file only in workbook_close(): try now, so that a
  // wrong path fails before the export does any work.
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fclose(f);
  } else {
    return UnavailableError(fmt::format("Impossible de créer le fichier « {} ».", path));
  }
  std::unique_ptr<XlsxWriter> w(new XlsxWriter());
  w->path_ = path;
  w->sheet_name_ = sheet_name;
  w->h_ = std::make_unique<Handles>();
  lxw_workbook_options options = {};
  options.constant_memory = LXW_TRUE;
  options.use_zip64 = LXW_FALSE;
  w->h_->workbook = workbook_new_opt(path.c_str(), &options);
  if (w->h_->workbook == nullptr) {
    return ResourceExhaustedError("Mémoire insuffisante pour créer le classeur.");
  }
  if (lxw_error err = workbook_validate_sheet_name(w->h_->workbook, sheet_name.c_str());
      err != LXW_NO_ERROR || !text::IsValidUtf8(sheet_name)) {
    w->closed_ = true;
    workbook_close(w->h_->workbook);
    return InvalidArgumentError(fmt::format(
        "Nom de feuille invalide « {} » (31 caractères au plus, sans []:*?/\\).", sheet_name));
  }
  w->h_->sheet = workbook_add_worksheet(w->h_->workbook, sheet_name.c_str());
  w->h_->bold = workbook_add_format(w->h_->workbook);
  format_set_bold(w->h_->bold);
  w->h_->lists_sheet_name =
      text::Fold(sheet_name) == text::Fold(kListsSheetName) ? "Listes2" : kListsSheetName;
  return w;
}

XlsxWriter::~XlsxWriter() {
  if (!closed_) (void)Close();
}

Status XlsxWriter::CheckText(int64_t row, int32_t column, const std::string& text) {
  if (!text::IsValidUtf8(text)) {
    return InvalidArgumentError(
        fmt::format("La cellule {}{} n'est pas du texte UTF-8 valide.", ColumnName(column), row));
  }
  if (internal::CountChars(text) > kMaxCellChars) {
    return InvalidArgumentError(
        fmt::format("La cellule {}{} dépasse la limite d'Excel de {} caractères.",
                    ColumnName(column), row, kMaxCellChars));
  }
  return OkStatus();
}

Status XlsxWriter::WriteText(int64_t row, int32_t column, const std::string& text, bool bold) {
  if (text.empty()) return OkStatus();
  // A string cell, whatever its first character: never a formula. Escaped only
  // when it must be: most texts hold no "_x" and are handed over as they are.
  std::string escaped;
  const char* value = text.c_str();
  if (text.find("_x") != std::string::npos) {
    escaped = EscapeXstring(text);
    value = escaped.c_str();
  }
  lxw_error err =
      worksheet_write_string(h_->sheet, static_cast<lxw_row_t>(row - 1),
                             static_cast<lxw_col_t>(column), value, bold ? h_->bold : nullptr);
  return err == LXW_NO_ERROR ? OkStatus() : LxwError(err);
}

Status XlsxWriter::SetColumns(const std::vector<std::string>& headers,
                              const std::vector<double>& widths) {
  if (closed_) return FailedPreconditionError("Le classeur est déjà fermé.");
  if (headers_written_ || next_row_ != 1) {
    return FailedPreconditionError("Les en-têtes doivent être écrits avant les lignes.");
  }
  if (headers.size() > static_cast<size_t>(kMaxColumns)) {
    return InvalidArgumentError("Trop de colonnes pour une feuille Excel.");
  }
  for (size_t i = 0; i < widths.size() && i < static_cast<size_t>(kMaxColumns); ++i) {
    lxw_error err = worksheet_set_column(h_->sheet, static_cast<lxw_col_t>(i),
                                         static_cast<lxw_col_t>(i), widths[i], nullptr);
    if (err != LXW_NO_ERROR) return LxwError(err);
  }
  for (size_t i = 0; i < headers.size(); ++i) {
    CADUCE_RETURN_IF_ERROR(CheckText(1, static_cast<int32_t>(i), headers[i]));
  }
  for (size_t i = 0; i < headers.size(); ++i) {
    CADUCE_RETURN_IF_ERROR(WriteText(1, static_cast<int32_t>(i), headers[i], /*bold=*/true));
  }
  worksheet_freeze_panes(h_->sheet, 1, 0);
  headers_written_ = true;
  next_row_ = 2;
  return OkStatus();
}

Status XlsxWriter::AddListValidation(int32_t column, const std::vector<std::string>& values,
                                     int64_t first_row, int64_t last_row) {
  if (closed_) return FailedPreconditionError("Le classeur est déjà fermé.");
  if (column < 0 || column >= kMaxColumns || first_row < 1 || last_row < first_row ||
      last_row > kMaxRows) {
    return InvalidArgumentError("Plage de validation hors de la feuille.");
  }
  std::vector<std::string> list;
  size_t inline_length = 0;
  bool inline_ok = true;
  for (const auto& v : values) {
    if (v.empty()) continue;
    if (!text::IsValidUtf8(v)) return InvalidArgumentError("Valeur de liste non UTF-8.");
    inline_length += v.size() + (list.empty() ? 0 : 1);
    // The inline form is a comma-separated quoted string: no comma or quote inside.
    if (v.find_first_of(",\"") != std::string::npos) inline_ok = false;
    list.push_back(v);
  }
  if (list.empty()) return InvalidArgumentError("Liste de validation vide.");
  if (list.size() > static_cast<size_t>(kMaxRows)) {
    return InvalidArgumentError("Liste de validation trop longue.");
  }
  inline_ok = inline_ok && inline_length <= kMaxInlineList;

  lxw_data_validation dv = {};
  dv.ignore_blank = LXW_VALIDATION_ON;
  dv.dropdown = LXW_VALIDATION_ON;
  dv.show_error = LXW_VALIDATION_ON;
  dv.error_type = LXW_VALIDATION_ERROR_TYPE_STOP;
  std::string error_title = "Valeur non autorisée";
  std::string error_message = "Choisissez une valeur dans la liste.";
  dv.error_title = error_title.data();
  dv.error_message = error_message.data();
  std::string formula;
  if (inline_ok) {
    // The inline list is itself a formula: a string literal of comma-separated
    // values (what Excel writes in formula1). Given that way rather than as
    // value_list, which libxlsxwriter 1.1.4 leaks.
    formula = "\"";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0) formula += ',';
      formula += list[i];
    }
    formula += '"';
  } else {
    // Column k of the hidden sheet; written by Close() in row order.
    const auto k = static_cast<int32_t>(lists_.size());
    if (k >= kMaxColumns) return InvalidArgumentError("Trop de listes de validation.");
    const std::string col = ColumnName(k);
    formula = fmt::format("='{}'!${}$1:${}${}", h_->lists_sheet_name, col, col, list.size());
    lists_.push_back(List{std::move(list)});
  }
  dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
  dv.value_formula = formula.data();
  lxw_error err = worksheet_data_validation_range(
      h_->sheet, static_cast<lxw_row_t>(first_row - 1), static_cast<lxw_col_t>(column),
      static_cast<lxw_row_t>(last_row - 1), static_cast<lxw_col_t>(column), &dv);
  return err == LXW_NO_ERROR ? OkStatus() : LxwError(err);
}

Status XlsxWriter::WriteRow(const std::vector<Cell>& cells) {
  if (closed_) return FailedPreconditionError("Le classeur est déjà fermé.");
  if (next_row_ > kMaxRows) {
    return ResourceExhaustedError(
        fmt::format("L'export dépasse la limite d'Excel de {} lignes.", kMaxRows));
  }
  if (cells.size() > static_cast<size_t>(kMaxColumns)) {
    return InvalidArgumentError("Trop de colonnes pour une feuille Excel.");
  }
  const int64_t row = next_row_;
  // Checked first, so that a refused row leaves nothing written.
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].kind != Cell::Kind::kEmpty && cells[i].kind != Cell::Kind::kNumber) {
      CADUCE_RETURN_IF_ERROR(CheckText(row, static_cast<int32_t>(i), cells[i].text));
    }
  }
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cell& c = cells[i];
    switch (c.kind) {
      case Cell::Kind::kEmpty:
        break;
      case Cell::Kind::kNumber: {
        lxw_error err = worksheet_write_number(h_->sheet, static_cast<lxw_row_t>(row - 1),
                                               static_cast<lxw_col_t>(i), c.number, nullptr);
        if (err != LXW_NO_ERROR) return LxwError(err);
        break;
      }
      default:
        CADUCE_RETURN_IF_ERROR(WriteText(row, static_cast<int32_t>(i), c.text));
    }
  }
  ++next_row_;
  return OkStatus();
}

Status XlsxWriter::WriteRow(const std::vector<std::string>& texts) {
  // The export's path: the same checks as above, without a copy of each text.
  if (closed_) return FailedPreconditionError("Le classeur est déjà fermé.");
  if (next_row_ > kMaxRows) {
    return ResourceExhaustedError(
        fmt::format("L'export dépasse la limite d'Excel de {} lignes.", kMaxRows));
  }
  if (texts.size() > static_cast<size_t>(kMaxColumns)) {
    return InvalidArgumentError("Trop de colonnes pour une feuille Excel.");
  }
  const int64_t row = next_row_;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (!texts[i].empty()) {
      CADUCE_RETURN_IF_ERROR(CheckText(row, static_cast<int32_t>(i), texts[i]));
    }
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    CADUCE_RETURN_IF_ERROR(WriteText(row, static_cast<int32_t>(i), texts[i]));
  }
  ++next_row_;
  return OkStatus();
}

Status XlsxWriter::WriteLists() {
  if (lists_.empty()) return OkStatus();
  lxw_worksheet* sheet = workbook_add_worksheet(h_->workbook, h_->lists_sheet_name.c_str());
  if (sheet == nullptr)
    return InternalError("Écriture du classeur impossible (feuille des listes).");
  size_t longest = 0;
  for (const auto& l : lists_) longest = std::max(longest, l.values.size());
  for (size_t r = 0; r < longest; ++r) {
    for (size_t k = 0; k < lists_.size(); ++k) {
      if (r >= lists_[k].values.size()) continue;
      lxw_error err =
          worksheet_write_string(sheet, static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(k),
                                 EscapeXstring(lists_[k].values[r]).c_str(), nullptr);
      if (err != LXW_NO_ERROR) return LxwError(err);
    }
  }
  worksheet_hide(sheet);
  return OkStatus();
}

Status XlsxWriter::Close() {
  if (closed_) return close_status_;
  closed_ = true;
  Status lists = WriteLists();
  lxw_error err = workbook_close(h_->workbook);  // frees the workbook in every case
  h_->workbook = nullptr;
  if (!lists.ok()) {
    close_status_ = lists;
  } else if (err != LXW_NO_ERROR) {
    close_status_ = LxwError(err);
  }
  return close_status_;
}

}  // namespace caduce::import_export
