// The `caduce` command: the operator's and administrators' tool on the server.
// It only translates arguments into service calls (directory/, audit/,
// import_export/); every rule lives there. See README.md "The caduce command".
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "cli/runner.h"
#include "directory/fields.h"

namespace caduce::cli {

std::function<void()> Runner::operator()(std::function<Status(Context&)> body) {
  return [this, body = std::move(body)] {
    if (!context_) {
      context_ = Context::Open(options_, &exit_code_);
      if (!context_) return;
    }
    Status st = body(*context_);
    if (!st.ok()) exit_code_ = context_->Fail(st, context_->findings);
  };
}

Status ParseSets(const std::vector<std::string>& sets,
                 std::map<directory::Field, std::string>* out) {
  for (const std::string& s : sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos) {
      return InvalidArgumentError(fmt::format(
          "--set « {} » : écrivez COLONNE=VALEUR, par exemple --set \"NOM=Dupont\".", s));
    }
    std::optional<directory::Field> f = directory::FieldByHeader(s.substr(0, eq));
    if (!f) {
      return InvalidArgumentError(fmt::format(
          "--set : colonne « {} » inconnue (voir les en-têtes du fichier d'import, par exemple "
          "« Prénom » ou « Date de péremption »).",
          s.substr(0, eq)));
    }
    (*out)[*f] = s.substr(eq + 1);
  }
  return OkStatus();
}

namespace {

int Main(int argc, char** argv) {
  CLI::App app{"caduce : messagerie sécurisée de santé (administration en ligne de commande)",
               "caduce"};
  app.require_subcommand(1);
  Runner run;
  GlobalOptions& g = run.options();
  app.add_option("--db", g.db_path, "Fichier SQLite (défaut : var/caduce.db)");
  app.add_option("--data", g.data_dir, "Dossier des listes de référence (défaut : data/)");
  app.add_option("--as", g.as, "Agir en tant que cette personne (adresse) au lieu de l'opérateur");
  app.add_flag("--json", g.json, "Sortie JSON");

  AddDirectoryCommands(app, run);
  AddTransferCommands(app, run);
  AddAuditCommands(app, run);
  AddServeCommand(app, run);
  AddMailCommands(app, run);
  AddMailStoreCommands(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return run.exit_code();
}

}  // namespace
}  // namespace caduce::cli

int main(int argc, char** argv) { return caduce::cli::Main(argc, argv); }
