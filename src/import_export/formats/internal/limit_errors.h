// File: import_export/formats/internal/limit_errors.h
//
// The kResourceExhausted statuses every reader returns when a ReadLimits bound is
// crossed, so that the administrator reads the same French sentence whatever the
// file format. Each message names the limit and, when one is known, the row.
// Private to formats/.
#ifndef CADUCE_IMPORT_EXPORT_FORMATS_INTERNAL_LIMIT_ERRORS_H_
#define CADUCE_IMPORT_EXPORT_FORMATS_INTERNAL_LIMIT_ERRORS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace caduce::import_export::internal {

// "Le fichier dépasse la limite de N lignes (ligne R)."
Status TooManyRows(int64_t limit, int64_t row);
// "La ligne R dépasse la limite de N colonnes."
Status TooManyColumns(int32_t limit, int64_t row);
// "La cellule B12 (ligne 12) dépasse la limite de N caractères."
Status CellTooLong(size_t limit, int32_t column, int64_t row);
// "Le fichier dépasse la taille maximale autorisée (N octets une fois décompressé)."
Status TooLarge(uint64_t limit);

// Code points in UTF-8 text (bytes that are not continuation bytes); defined for any
// bytes, so it can count text not yet validated.
size_t CountChars(const std::string& utf8);

}  // namespace caduce::import_export::internal

#endif  // CADUCE_IMPORT_EXPORT_FORMATS_INTERNAL_LIMIT_ERRORS_H_
