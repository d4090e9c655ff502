// File: import_export/exporter.h
//
// The export of the account list (the guide's "Exporter la liste d'utilisateurs"):
// the columns of FIELDS.md in order, a header row, one row per account, ORG/APP rows
// with their current "Compte(s) de connexion", list values as "code - label" (what
// the drop-down lists offer, and what the import reads back), and a last column
// "Statut" for the administrator's information (ignored on import). Exporting then
// importing the file untouched changes nothing. The rows are read and formatted on
// the calling thread and written to the file on a second one.
#ifndef CADUCE_IMPORT_EXPORT_EXPORTER_H_
#define CADUCE_IMPORT_EXPORT_EXPORTER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "directory/directory_service.h"

namespace caduce::import_export {

enum class ExportFormat { kXlsx, kCsv };

struct ExportOptions {
  ExportFormat format = ExportFormat::kXlsx;
  // The structures to export; empty: every structure the actor administers.
  std::vector<int64_t> structure_ids;
};

struct ExportStats {
  int64_t accounts = 0;
};

// Writes the accounts the actor may see to `path`. kPermissionDenied when a
// structure is not the actor's; kUnavailable when the file cannot be written.
Result<ExportStats> ExportAccounts(directory::DirectoryService& service,
                                   const directory::Actor& actor, const std::string& path,
                                   const ExportOptions& options);

// The header row of an export: the 36 columns of FIELDS.md, then "Statut".
std::vector<std::string> ExportHeaders();

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_EXPORTER_H_
