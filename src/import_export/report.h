// File: import_export/report.h
//
// The import report ("compte-rendu d'import") in the three forms an administrator
// uses: JSON (the API and scripts), CSV (one line per finding), and XLSX: the
// imported rows with a "Résultat" column in front, so that the administrator fixes
// the rejected rows in that very file and imports it again.
#ifndef CADUCE_IMPORT_EXPORT_REPORT_H_
#define CADUCE_IMPORT_EXPORT_REPORT_H_

#include <string>

#include "base/status.h"
#include "import_export/importer.h"

namespace caduce::import_export {

// The whole report as a JSON object: counts, file findings, and one entry per row
// that is not unchanged.
std::string ReportJson(const ImportReport& report);

// A short French summary ("12 créé(s), 3 modifié(s), …").
std::string ReportSummary(const ImportReport& report);

// One line per finding (and one per changed row without finding): Ligne, Adresse
// mail, Type, Résultat, Colonne, Gravité, Code, Message.
Status WriteReportCsv(const ImportReport& report, const std::string& path);

// The rows of the file (its FIELDS.md columns, in its order) after a first column
// "Résultat" ("rejeté : [CP] …"), rejected rows first, so that they can be fixed
// and the file imported again (the "Résultat" column is ignored by the import).
Status WriteReportXlsx(const ImportReport& report, const std::string& path);

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_REPORT_H_
