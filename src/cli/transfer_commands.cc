// `caduce export` and `caduce import`: the account list as a spreadsheet.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/runner.h"
#include "import_export/exporter.h"
#include "import_export/importer.h"
#include "import_export/report.h"

namespace caduce::cli {
namespace {

using directory::Structure;
using import_export::Progress;

// A progress bar on stderr: rows read, then rows applied out of the total.
void ShowProgress(const Progress& p) {
  const char* phase = p.phase == Progress::Phase::kReading ? "lecture"
                      : p.phase == Progress::Phase::kDone  ? "terminé"
                                                           : "application";
  if (p.rows_total > 0) {
    constexpr int kWidth = 30;
    int done = static_cast<int>(kWidth * p.rows_applied / p.rows_total);
    std::cerr << fmt::format("\r{:12} [{}{}] {}/{}", phase, std::string(done, '#'),
                             std::string(kWidth - done, ' '), p.rows_applied, p.rows_total);
  } else {
    std::cerr << fmt::format("\r{:12} {} ligne(s)", phase, p.rows_read);
  }
  if (p.phase == Progress::Phase::kDone) std::cerr << "\n";
}

// Writes the report in the form its file name says (.xlsx, .csv, else JSON).
Status WriteReport(const import_export::ImportReport& r, const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".xlsx") return import_export::WriteReportXlsx(r, path);
  if (ext == ".csv") return import_export::WriteReportCsv(r, path);
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return UnavailableError("Impossible d'écrire " + path);
  std::string j = import_export::ReportJson(r);
  bool ok = std::fwrite(j.data(), 1, j.size(), f) == j.size();
  ok = std::fclose(f) == 0 && ok;
  return ok ? OkStatus() : UnavailableError("Impossible d'écrire " + path);
}

}  // namespace

void AddTransferCommands(CLI::App& app, Runner& run) {
  struct Opts {
    std::string structure, format = "xlsx", output, file, report;
    bool dry_run = false, all_or_nothing = false, notify = false, visible = false,
         quiet = false;
  };
  auto o = std::make_shared<Opts>();

  auto* exp = app.add_subcommand("export", "Exporte la liste des comptes (XLSX ou CSV)");
  exp->add_option("--structure", o->structure, "Structure (défaut : toutes celles administrées)");
  exp->add_option("--format", o->format, "xlsx ou csv")->check(CLI::IsMember({"xlsx", "csv"}));
  exp->add_option("-o,--output", o->output, "Fichier à écrire")->required();
  exp->callback(run([o](Context& c) -> Status {
    import_export::ExportOptions opts;
    opts.format = o->format == "csv" ? import_export::ExportFormat::kCsv
                                     : import_export::ExportFormat::kXlsx;
    if (!o->structure.empty()) {
      CADUCE_TRY(Structure s, c.StructureByName(o->structure));
      opts.structure_ids = {s.id};
    }
    CADUCE_TRY(import_export::ExportStats st,
               import_export::ExportAccounts(c.directory(), c.actor(), o->output, opts));
    c.Done(boost::json::object{{"ok", true}, {"accounts", st.accounts}, {"file", o->output}},
           fmt::format("{} compte(s) exporté(s) dans {}.", st.accounts, o->output));
    return OkStatus();
  }));

  auto* imp = app.add_subcommand("import", "Importe une liste de comptes (XLSX, XLS ou CSV)");
  imp->add_option("file", o->file, "Fichier à importer")->required()->check(CLI::ExistingFile);
  imp->add_option("--structure", o->structure,
                  "Structure courante (colonne « Structure » vide)");
  imp->add_flag("--dry-run", o->dry_run,
                "Simulation : affiche le compte-rendu sans rien enregistrer");
  imp->add_flag("--all-or-nothing", o->all_or_nothing,
                "N'enregistre rien si une ligne est rejetée");
  imp->add_flag("--notify", o->notify,
                "Envoyer une notification aux utilisateurs pour les avertir de leur inscription");
  imp->add_flag("--visible", o->visible, "Rendre les utilisateurs visibles dans l'annuaire");
  imp->add_option("--report", o->report,
                  "Écrit le compte-rendu (.json, .csv ou .xlsx selon l'extension)");
  imp->add_flag("-q,--quiet", o->quiet, "Sans barre de progression");
  imp->callback(run([o, &run](Context& c) -> Status {
    import_export::ImportOptions opts;
    opts.file_name = std::filesystem::path(o->file).filename().string();
    opts.dry_run = o->dry_run;
    opts.all_or_nothing = o->all_or_nothing;
    opts.notify = o->notify;
    opts.visible = o->visible;
    if (!o->structure.empty()) {
      CADUCE_TRY(Structure s, c.StructureByName(o->structure));
      opts.structure_id = s.id;
    }
    if (!c.json() && !o->quiet && isatty(2)) opts.progress = ShowProgress;
    CADUCE_TRY(import_export::ImportReport r,
               import_export::ImportAccounts(c.directory(), c.actor(), o->file, opts));
    if (!o->report.empty()) CADUCE_RETURN_IF_ERROR(WriteReport(r, o->report));
    if (c.json()) {
      std::cout << import_export::ReportJson(r) << "\n";
    } else {
      for (const auto& f : r.file_findings) std::cout << "  ATTENTION " << f.message << "\n";
      for (const auto& row : r.rows_report) {
        if (row.action == import_export::RowAction::kUnchanged && row.findings.empty()) continue;
        std::cout << fmt::format("ligne {:>6}  {:9} {}\n", row.row,
                                 import_export::RowActionLabel(row.action), row.address);
        c.PrintFindings(row.findings);
      }
      std::cout << import_export::ReportSummary(r) << "\n";
    }
    // --all-or-nothing with a rejected row: nothing was written, which is a refusal.
    if (!r.applied && !r.dry_run) run.SetExitCode(kExitRefused);
    return OkStatus();
  }));
}

}  // namespace caduce::cli
