// French messages for crossed read limits (see limit_errors.h).
#include "import_export/formats/internal/limit_errors.h"

#include <fmt/format.h>

#include "import_export/formats/sheet.h"

namespace caduce::import_export::internal {

Status TooManyRows(int64_t limit, int64_t row) {
  return ResourceExhaustedError(
      fmt::format("Le fichier dépasse la limite de {} lignes (ligne {}).", limit, row));
}

Status TooManyColumns(int32_t limit, int64_t row) {
  return ResourceExhaustedError(
      fmt::format("La ligne {} dépasse la limite de {} colonnes.", row, limit));
}

Status CellTooLong(size_t limit, int32_t column, int64_t row) {
  return ResourceExhaustedError(
      fmt::format("La cellule {}{} (ligne {}) dépasse la limite de {} caractères.",
                  ColumnName(column), row, row, limit));
}

Status TooLarge(uint64_t limit) {
  return ResourceExhaustedError(fmt::format(
      "Le fichier dépasse la taille maximale autorisée ({} octets une fois décompressé).", limit));
}

size_t CountChars(const std::string& utf8) {
  size_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace caduce::import_export::internal
