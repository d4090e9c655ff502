// Import report writers.
#include "import_export/report.h"

#include <fmt/format.h>

#include "base/json.h"
#include "import_export/formats/csv_writer.h"
#include "import_export/formats/xlsx_writer.h"

namespace caduce::import_export {
namespace {

using directory::Finding;
using directory::Severity;

std::string FindingsText(const RowReport& r) {
  std::string out;
  for (const Finding& f : r.findings) {
    if (!out.empty()) out += " ; ";
    out += fmt::format("[{}] {}", directory::Spec(f.field).header, f.message);
  }
  return out;
}

std::string ResultText(const RowReport& r) {
  std::string out(RowActionLabel(r.action));
  if (r.rights_granted || r.rights_revoked) {
    out += fmt::format(" ({} droit(s) ajouté(s), {} retiré(s))", r.rights_granted,
                       r.rights_revoked);
  }
  std::string f = FindingsText(r);
  if (!f.empty()) out += " : " + f;
  return out;
}

}  // namespace

std::string ReportSummary(const ImportReport& r) {
  return fmt::format(
      "{}{} ligne(s) lue(s) : {} créé(s), {} modifié(s), {} inchangé(s), {} rejeté(s) ; "
      "droits de connexion : {} ajouté(s), {} retiré(s) ; {} avertissement(s).{}",
      r.dry_run ? "Simulation (rien n'est enregistré). " : "", r.rows, r.created, r.updated,
      r.unchanged, r.rejected, r.rights_granted, r.rights_revoked, r.warnings,
      r.applied ? "" : (r.dry_run ? "" : " Rien n'a été enregistré (--all-or-nothing)."));
}

std::string ReportJson(const ImportReport& r) {
  std::string file_findings = "[";
  for (size_t i = 0; i < r.file_findings.size(); ++i) {
    const FileFinding& f = r.file_findings[i];
    JsonObject o;
    o.Add("severity", f.severity == Severity::kError ? "error" : "warning")
        .Add("code", f.code)
        .Add("message", f.message);
    if (i) file_findings += ',';
    file_findings += o.str();
  }
  file_findings += "]";
  std::string rows = "[";
  bool first = true;
  for (const RowReport& row : r.rows_report) {
    if (row.action == RowAction::kUnchanged && row.findings.empty()) continue;
    std::string findings = "[";
    for (size_t i = 0; i < row.findings.size(); ++i) {
      const Finding& f = row.findings[i];
      JsonObject o;
      o.Add("column", directory::Spec(f.field).header)
          .Add("severity", f.severity == Severity::kError ? "error" : "warning")
          .Add("code", f.code)
          .Add("message", f.message);
      if (i) findings += ',';
      findings += o.str();
    }
    findings += "]";
    JsonObject o;
    o.Add("row", row.row)
        .Add("address", row.address)
        .Add("type", row.type)
        .Add("action", RowActionLabel(row.action))
        .Add("rights_granted", row.rights_granted)
        .Add("rights_revoked", row.rights_revoked)
        .AddRaw("findings", findings);
    if (!first) rows += ',';
    rows += o.str();
    first = false;
  }
  rows += "]";
  JsonObject o;
  o.Add("file", r.file_name)
      .Add("sha256", r.sha256)
      .Add("dry_run", r.dry_run)
      .Add("applied", r.applied)
      .Add("summary", ReportSummary(r))
      .AddRaw("counts", CountsJson(r))
      .AddRaw("file_findings", file_findings)
      .AddRaw("rows", rows);
  return o.str();
}

Status WriteReportCsv(const ImportReport& r, const std::string& path) {
  CADUCE_TRY(auto w, CsvWriter::Create(path));
  CADUCE_RETURN_IF_ERROR(w->WriteRow(std::vector<std::string>{
      "Ligne", "Adresse mail", "Type de compte", "Résultat", "Colonne", "Gravité", "Code",
      "Message"}));
  for (const FileFinding& f : r.file_findings) {
    CADUCE_RETURN_IF_ERROR(w->WriteRow(std::vector<std::string>{
        "1", "", "", "fichier", "", f.severity == Severity::kError ? "erreur" : "avertissement",
        f.code, f.message}));
  }
  for (const RowReport& row : r.rows_report) {
    if (row.action == RowAction::kUnchanged && row.findings.empty()) continue;
    std::string action(RowActionLabel(row.action));
    if (row.findings.empty()) {
      CADUCE_RETURN_IF_ERROR(w->WriteRow(std::vector<std::string>{
          std::to_string(row.row), row.address, row.type, action, "", "", "", ""}));
    }
    for (const Finding& f : row.findings) {
      CADUCE_RETURN_IF_ERROR(w->WriteRow(std::vector<std::string>{
          std::to_string(row.row), row.address, row.type, action,
          std::string(directory::Spec(f.field).header),
          f.severity == Severity::kError ? "erreur" : "avertissement", f.code, f.message}));
    }
  }
  return w->Close();
}

Status WriteReportXlsx(const ImportReport& r, const std::string& path) {
  CADUCE_TRY(auto w, XlsxWriter::Create(path, "Compte-rendu"));
  std::vector<std::string> headers = {"Résultat"};
  std::vector<double> widths = {60};
  for (directory::Field f : r.columns) {
    headers.emplace_back(directory::Spec(f).header);
    widths.push_back(18);
  }
  CADUCE_RETURN_IF_ERROR(w->SetColumns(headers, widths));
  std::vector<std::string> cells(headers.size());
  // Rejected rows first: they are the ones to fix.
  for (int pass = 0; pass < 2; ++pass) {
    for (const RowReport& row : r.rows_report) {
      bool rejected = row.action == RowAction::kRejected;
      if ((pass == 0) != rejected) continue;
      directory::FieldValues v = RowValues(row);
      cells[0] = fmt::format("ligne {} : {}", row.row, ResultText(row));
      for (size_t i = 0; i < r.columns.size(); ++i) {
        cells[i + 1] = v[directory::FieldIndex(r.columns[i])];
      }
      CADUCE_RETURN_IF_ERROR(w->WriteRow(cells));
    }
  }
  return w->Close();
}

}  // namespace caduce::import_export
