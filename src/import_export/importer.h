// File: import_export/importer.h
//
// The bulk import of the account list (the guide's "fichier de chargement des
// comptes", section 2.1): a spreadsheet (XLSX, XLS or CSV) whose columns are those
// of FIELDS.md, in any order. Each row creates or updates the account its "Adresse
// mail" names; "Compte(s) de connexion" is applied after every other row, so that
// an ORG row may name persons created anywhere in the same file: one import is
// always enough (DESIGN.md rule 7).
//
// One planner serves the dry run and the real import: the rows go through
// DirectoryService (every rule of directory/ applies) over a store that keeps every
// write in memory (PlanRepository, plan_repository.h), each row inside its own
// savepoint of the plan so that a rejected row leaves no trace. The planner reads
// the store in a read transaction: a dry run stops there and writes nothing at
// all (nor holds up the store's other writers). A real import first takes the
// store's write transaction, then plans in a read transaction begun after it (the
// same store), while a writer thread holds the write transaction and writes, as
// the rows are accepted, their trail entries and their new accounts
// (PlanRepository::StreamNewAccounts); once every row is planned it writes the
// rest of the plan in bulk (WriteTo: the remaining accounts, their search terms
// sorted, the indexes set aside, the rights) and commits. The report is therefore
// exactly the dry run's, and the database what the rows written one by one would
// have left (ImportOptions::apply_row_by_row, the reference path). A crash or
// kill before the commit leaves the database as it was. The file is read on a
// thread of its own while the person rows already read are planned (pass 1); a
// file-level error found late still stops the import before anything is
// committed. Three threads, two of which do the most: on two cores, the XML, the
// planning and the writing overlap (and a fourth, short, hashes the file).
//
// Exposure: reads an untrusted file uploaded by an administrator (bounded by
// ReadLimits), and acts with the administrator's rights only.
#ifndef CADUCE_IMPORT_EXPORT_IMPORTER_H_
#define CADUCE_IMPORT_EXPORT_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "directory/directory_service.h"
#include "import_export/formats/sheet.h"

namespace caduce::import_export {

// Reported as the import goes: rows read from the file, then rows applied.
struct Progress {
  // kWriting: an applied import writes its plan to the store, reported when it
  // starts and when everything but the commit is written.
  enum class Phase { kReading, kApplying, kRights, kWriting, kDone };
  Phase phase = Phase::kReading;
  int64_t rows_read = 0;
  int64_t rows_total = 0;  // known once the file is read
  int64_t rows_applied = 0;
};

struct ImportOptions {
  std::string file_name;          // as the administrator named it (report, audit)
  int64_t structure_id = 0;       // the current structure; 0: the actor's only one
  bool dry_run = false;           // plan and report, write nothing
  bool all_or_nothing = false;    // apply nothing when any row is rejected
  bool notify = false;            // queue an activation message for each created person
  bool visible = false;           // created accounts are visible in the directory
  // Writes each row through the service as it is planned, in its own savepoint,
  // instead of applying the plan in bulk at the end: slower, with the very same
  // result (kept as the reference the bulk path is tested against).
  bool apply_row_by_row = false;
  ReadLimits limits;
  // Called every few hundred rows and at each phase change; may be empty.
  std::function<void(const Progress&)> progress;
};

enum class RowAction { kCreated, kUpdated, kUnchanged, kRejected };
// "créé", "modifié", "inchangé", "rejeté".
std::string_view RowActionLabel(RowAction action);

struct RowReport {
  int64_t row = 0;  // as the spreadsheet shows it
  std::string address;
  std::string type;
  RowAction action = RowAction::kUnchanged;
  std::vector<directory::Finding> findings;  // errors (rejected) and warnings
  int64_t rights_granted = 0;
  int64_t rights_revoked = 0;
  // The row's values as the file gave them (read with RowValues).
  std::string packed_values;
};

// The values of the row as the file gave them, indexed by field.
directory::FieldValues RowValues(const RowReport& row);

// A problem with the file as a whole (a column), not with a row.
struct FileFinding {
  directory::Severity severity = directory::Severity::kWarning;
  std::string code;
  std::string message;
};

struct ImportReport {
  std::string file_name;
  std::string sha256;  // of the file's bytes, hex
  bool dry_run = false;
  bool applied = false;  // the changes were committed
  int64_t rows = 0;      // data rows read (empty rows skipped)
  int64_t created = 0, updated = 0, unchanged = 0, rejected = 0;
  int64_t rights_granted = 0, rights_revoked = 0;
  int64_t warnings = 0;
  int64_t notifications_queued = 0;
  std::vector<FileFinding> file_findings;
  // The columns of FIELDS.md the file has, in the file's order.
  std::vector<directory::Field> columns;
  // One entry per row, in file order (unchanged rows included, so that the XLSX
  // report can give every row its result).
  std::vector<RowReport> rows_report;
};

// Imports `path` as `actor`. File-level problems (not a spreadsheet, a missing
// mandatory column, a crossed limit) return an error with a French message and
// write nothing; row-level problems are in the report. The import and every change
// it makes are written to the audit trail (nothing is written for a dry run).
Result<ImportReport> ImportAccounts(directory::DirectoryService& service,
                                    const directory::Actor& actor, const std::string& path,
                                    const ImportOptions& options);

// The counts of a report as a JSON object (the audit entry of an import and the
// JSON report share it).
std::string CountsJson(const ImportReport& report);

// The columns an import file must have: those mandatory for every type.
std::vector<directory::Field> MandatoryColumns();

}  // namespace caduce::import_export

#endif  // CADUCE_IMPORT_EXPORT_IMPORTER_H_
