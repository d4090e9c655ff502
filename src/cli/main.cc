// The `caduce` command: the operator's and administrators' tool on the server.
// It only translates arguments into DirectoryService and AuditLog calls; every rule
// lives in directory/ and audit/. See README.md "The caduce command".
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "base/text.h"
#include "cli/context.h"
#include "cli/demo.h"
#include "import_export/exporter.h"
#include "import_export/importer.h"
#include "import_export/report.h"

namespace caduce::cli {
namespace {

using directory::Account;
using directory::AccountDraft;
using directory::Field;
using directory::FieldChanges;
using directory::Finding;
using directory::Structure;

// Parses repeated "--set HEADER=VALUE" (header or key, loosely matched).
Status ParseSets(const std::vector<std::string>& sets, std::map<Field, std::string>* out) {
  for (const std::string& s : sets) {
    size_t eq = s.find('=');
    if (eq == std::string::npos) {
      return InvalidArgumentError(
          fmt::format("--set « {} » : écrivez COLONNE=VALEUR, par exemple --set \"NOM=Dupont\".",
                      s));
    }
    std::optional<Field> f = directory::FieldByHeader(s.substr(0, eq));
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

void PrintAccount(Context& ctx, const Account& a) {
  std::cout << fmt::format("{} ({}, n°{}, {}{})\n", a.address(),
                           directory::AccountTypeCode(a.type), a.id,
                           directory::AccountStatusName(a.status),
                           a.visible_in_directory ? ", visible dans l'annuaire" : "");
  for (const directory::FieldSpec& s : directory::FieldTable()) {
    if (s.field == Field::kType || s.field == Field::kAddress ||
        s.field == Field::kConnectionAccounts || s.field == Field::kStructure) {
      continue;
    }
    const std::string& v = a.get(s.field);
    if (!v.empty()) {
      std::cout << fmt::format("  {:32} {}\n", s.header,
                               directory::DisplayValue(s.field, v, ctx.reference()));
    }
  }
}

int Run(int argc, char** argv) {
  CLI::App app{"caduce : messagerie sécurisée de santé (administration en ligne de commande)",
               "caduce"};
  app.require_subcommand(1);
  GlobalOptions g;
  app.add_option("--db", g.db_path, "Fichier SQLite (défaut : var/caduce.db)");
  app.add_option("--data", g.data_dir, "Dossier des listes de référence (défaut : data/)");
  app.add_option("--as", g.as, "Agir en tant que cette personne (adresse) au lieu de l'opérateur");
  app.add_flag("--json", g.json, "Sortie JSON");

  int rc = kExitOk;
  std::unique_ptr<Context> ctx;
  auto open = [&]() -> Context* {
    if (!ctx) ctx = Context::Open(g, &rc);
    return ctx.get();
  };

  // ---- init ----
  bool demo = false;
  auto* init = app.add_subcommand("init", "Crée ou met à jour la base (migrations)");
  init->add_flag("--demo", demo, "Ajoute une structure et des comptes de démonstration si la base est vide");
  init->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<int> v = c->db().SchemaVersion();
    if (!v.ok()) {
      rc = c->Fail(v.status());
      return;
    }
    if (demo) {
      Result<bool> created = CreateDemoData(*c);
      if (!created.ok()) {
        rc = c->Fail(created.status());
        return;
      }
      if (!c->json()) {
        std::cout << (*created ? "Données de démonstration créées.\n"
                               : "La base contient déjà des structures : rien d'ajouté.\n");
      }
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true}, {"db", g.db_path}, {"schema_version", *v}});
    } else {
      std::cout << fmt::format("Base {} prête (schéma version {}).\n", g.db_path, *v);
    }
  });

  // ---- structure ----
  auto* structure = app.add_subcommand("structure", "Structures")->require_subcommand(1);
  Structure sdraft;
  auto* sadd = structure->add_subcommand("add", "Crée une structure (opérateur)");
  sadd->add_option("name", sdraft.name, "Nom exact de la structure")->required();
  sadd->add_option("--id-type", sdraft.id_type, "Type d'identifiant : 1 FINESS, 2 SIREN, 3 SIRET");
  sadd->add_option("--id-value", sdraft.id_value, "Numéro FINESS, SIREN ou SIRET");
  sadd->add_option("--mss-domain", sdraft.mss_domain, "Domaine MSSanté de la structure");
  sadd->callback([&] {
    Context* c = open();
    if (!c) return;
    std::vector<Finding> findings;
    Result<Structure> s = c->directory().CreateStructure(c->actor(), sdraft, &findings);
    if (!s.ok()) {
      rc = c->Fail(s.status(), findings);
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true}, {"id", s->id}, {"name", s->name}});
    } else {
      std::cout << fmt::format("Structure créée : {} (n°{})\n", s->name, s->id);
    }
  });
  auto* slist = structure->add_subcommand("list", "Liste les structures visibles");
  slist->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<std::vector<Structure>> all = c->directory().ListStructures(c->actor());
    if (!all.ok()) {
      rc = c->Fail(all.status());
      return;
    }
    boost::json::array arr;
    for (const Structure& s : *all) {
      if (c->json()) {
        arr.push_back(boost::json::object{{"id", s.id}, {"name", s.name},
                                          {"id_type", s.id_type}, {"id_value", s.id_value},
                                          {"mss_domain", s.mss_domain}});
      } else {
        std::cout << fmt::format("{:>5}  {}{}\n", s.id, s.name,
                                 s.mss_domain.empty() ? "" : "  (@" + s.mss_domain + ")");
      }
    }
    if (c->json()) c->PrintJson(arr);
  });

  // ---- admin ----
  auto* admin = app.add_subcommand("admin", "Administrateurs de structure")->require_subcommand(1);
  std::string admin_structure, admin_address;
  auto* aadd = admin->add_subcommand("add", "Fait d'une personne un administrateur d'une structure");
  aadd->add_option("--structure", admin_structure, "Nom exact de la structure")->required();
  aadd->add_option("address", admin_address, "Adresse du compte nominatif")->required();
  aadd->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<Structure> s = c->StructureByName(admin_structure);
    if (!s.ok()) {
      rc = c->Fail(s.status());
      return;
    }
    Status st = c->directory().AddAdministrator(c->actor(), s->id, admin_address);
    if (!st.ok()) {
      rc = c->Fail(st);
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true}});
    } else {
      std::cout << fmt::format("{} administre maintenant « {} ».\n", admin_address, s->name);
    }
  });

  // ---- account ----
  auto* account = app.add_subcommand("account", "Comptes")->require_subcommand(1);
  std::string acc_structure, acc_type, acc_address;
  std::vector<std::string> acc_sets;
  bool acc_visible = false, acc_generate_mss = false;
  auto* acc_add = account->add_subcommand("add", "Crée un compte");
  acc_add->add_option("--structure", acc_structure, "Structure (défaut : la seule administrée)");
  acc_add->add_option("--type", acc_type, "PER, INT, MED, ORG ou APP")->required();
  acc_add->add_option("--set", acc_sets, "COLONNE=VALEUR (en-têtes du fichier d'import)");
  acc_add->add_flag("--visible", acc_visible, "Visible dans l'annuaire");
  acc_add->add_flag("--generate-mss", acc_generate_mss, "Générer l'adresse MSSanté si vide");
  acc_add->callback([&] {
    Context* c = open();
    if (!c) return;
    std::map<Field, std::string> sets;
    Status st = ParseSets(acc_sets, &sets);
    if (!st.ok()) {
      rc = c->Fail(st);
      return;
    }
    Result<Structure> s = c->StructureByName(acc_structure);
    if (!s.ok()) {
      rc = c->Fail(s.status());
      return;
    }
    AccountDraft draft;
    draft.values[directory::FieldIndex(Field::kType)] = acc_type;
    for (auto& [f, v] : sets) draft.values[directory::FieldIndex(f)] = v;
    directory::CreateOptions opts;
    opts.visible_in_directory = acc_visible;
    opts.generate_mss_address = acc_generate_mss;
    std::vector<Finding> findings;
    Result<Account> a = c->directory().CreateAccount(c->actor(), s->id, draft, opts, &findings);
    if (!a.ok()) {
      rc = c->Fail(a.status(), findings);
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true},
                                       {"account", c->AccountJson(*a)},
                                       {"findings", FindingsJson(findings)}});
    } else {
      std::cout << fmt::format("Compte créé : {} ({}, n°{})\n", a->address(),
                               directory::AccountTypeCode(a->type), a->id);
      c->PrintFindings(findings);
    }
  });

  auto* acc_show = account->add_subcommand("show", "Affiche un compte");
  acc_show->add_option("address", acc_address, "Adresse du compte")->required();
  acc_show->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<Account> a = c->AccountByAddress(acc_address);
    if (!a.ok()) {
      rc = c->Fail(a.status());
      return;
    }
    Result<std::vector<Account>> linked =
        directory::IsNominative(a->type)
            ? c->directory().MailboxesOfPerson(c->actor(), a->id)
            : c->directory().PersonsWithRight(c->actor(), a->id);
    if (!linked.ok()) {
      rc = c->Fail(linked.status());
      return;
    }
    if (c->json()) {
      boost::json::object o = c->AccountJson(*a);
      boost::json::array l;
      for (const Account& x : *linked) l.push_back(boost::json::value(x.address()));
      o[directory::IsNominative(a->type) ? "mailboxes" : "connection_accounts"] = l;
      c->PrintJson(o);
      return;
    }
    PrintAccount(*c, *a);
    if (directory::IsNominative(a->type)) {
      std::cout << "  Boîtes accessibles :\n";
      std::string def = a->address();
      for (const Account& x : *linked) {
        if (x.id == a->default_mailbox_id) def = x.address();
        std::cout << "    " << x.address() << "  " << x.get(Field::kDescription) << "\n";
      }
      std::cout << fmt::format("  Compte par défaut : {}\n", def);
    } else {
      std::cout << fmt::format("  Comptes de connexion ({}) :\n", linked->size());
      for (const Account& x : *linked) std::cout << "    " << x.address() << "\n";
    }
  });

  std::string list_structure, list_type, list_status;
  int64_t list_after = 0;
  int list_limit = 100;
  auto* acc_list = account->add_subcommand("list", "Liste les comptes");
  acc_list->add_option("--structure", list_structure, "Structure");
  acc_list->add_option("--type", list_type, "PER, INT, MED, ORG ou APP");
  acc_list->add_option("--status", list_status, "pending, active ou disabled");
  acc_list->add_option("--after", list_after, "Après le compte n° (pagination)");
  acc_list->add_option("--limit", list_limit, "Nombre maximal (défaut 100)")
      ->check(CLI::Range(1, 100000));
  acc_list->callback([&] {
    Context* c = open();
    if (!c) return;
    directory::AccountFilter f;
    f.after_id = list_after;
    f.limit = list_limit;
    if (!list_structure.empty()) {
      Result<Structure> s = c->StructureByName(list_structure);
      if (!s.ok()) {
        rc = c->Fail(s.status());
        return;
      }
      f.structure_ids = {s->id};
    }
    if (!list_type.empty()) {
      f.type = directory::ParseAccountType(list_type);
      if (!f.type) {
        rc = c->Fail(InvalidArgumentError("--type : PER, INT, MED, ORG ou APP."));
        return;
      }
    }
    if (!list_status.empty()) {
      f.status = directory::ParseAccountStatus(list_status);
      if (!f.status) {
        rc = c->Fail(InvalidArgumentError("--status : pending, active ou disabled."));
        return;
      }
    }
    Result<std::vector<Account>> all = c->directory().ListAccounts(c->actor(), f);
    if (!all.ok()) {
      rc = c->Fail(all.status());
      return;
    }
    boost::json::array arr;
    for (const Account& a : *all) {
      if (c->json()) {
        arr.push_back(c->AccountJson(a));
      } else {
        std::string who = directory::IsNominative(a.type)
                              ? a.get(Field::kNom) + " " + a.get(Field::kPrenom)
                              : a.get(Field::kDescription);
        std::cout << fmt::format("{:>7}  {}  {:9}  {}  {}\n", a.id,
                                 directory::AccountTypeCode(a.type),
                                 directory::AccountStatusName(a.status), a.address(), who);
      }
    }
    if (c->json()) c->PrintJson(arr);
  });

  std::string search_prefix;
  bool search_nominative = false;
  int search_limit = 50;
  auto* acc_search = account->add_subcommand("search", "Recherche (autocomplétion, 50 au plus)");
  acc_search->add_option("prefix", search_prefix, "Début d'adresse, de nom ou de prénom")
      ->required();
  acc_search->add_flag("--nominative", search_nominative, "Comptes PER, INT et MED seulement");
  acc_search->add_option("--limit", search_limit, "Au plus (1 à 50)")->check(CLI::Range(1, 50));
  acc_search->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<std::vector<Account>> found =
        c->directory().Search(c->actor(), search_prefix, search_nominative, search_limit);
    if (!found.ok()) {
      rc = c->Fail(found.status());
      return;
    }
    boost::json::array arr;
    for (const Account& a : *found) {
      if (c->json()) {
        arr.push_back(boost::json::object{
            {"id", a.id},
            {"address", a.address()},
            {"type", std::string(directory::AccountTypeCode(a.type))},
            {"nom", a.get(Field::kNom)},
            {"prenom", a.get(Field::kPrenom)}});
      } else {
        std::cout << fmt::format("{}  {}  {} {}\n", directory::AccountTypeCode(a.type),
                                 a.address(), a.get(Field::kNom), a.get(Field::kPrenom));
      }
    }
    if (c->json()) c->PrintJson(arr);
  });

  std::vector<std::string> edit_sets;
  auto* acc_edit = account->add_subcommand("edit", "Modifie un compte");
  acc_edit->add_option("address", acc_address, "Adresse du compte")->required();
  acc_edit->add_option("--set", edit_sets, "COLONNE=VALEUR (vide pour effacer)")->required();
  acc_edit->callback([&] {
    Context* c = open();
    if (!c) return;
    FieldChanges changes;
    Status st = ParseSets(edit_sets, &changes);
    if (!st.ok()) {
      rc = c->Fail(st);
      return;
    }
    Result<Account> a = c->AccountByAddress(acc_address);
    if (!a.ok()) {
      rc = c->Fail(a.status());
      return;
    }
    std::vector<Finding> findings;
    Result<Account> updated = c->directory().UpdateAccount(c->actor(), a->id, changes, &findings);
    if (!updated.ok()) {
      rc = c->Fail(updated.status(), findings);
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true},
                                       {"account", c->AccountJson(*updated)},
                                       {"findings", FindingsJson(findings)}});
    } else {
      std::cout << fmt::format("Compte modifié : {}\n", updated->address());
      c->PrintFindings(findings);
    }
  });

  auto set_disabled = [&](bool disabled) {
    Context* c = open();
    if (!c) return;
    Result<Account> a = c->AccountByAddress(acc_address);
    if (!a.ok()) {
      rc = c->Fail(a.status());
      return;
    }
    Status st = c->directory().SetDisabled(c->actor(), a->id, disabled);
    if (!st.ok()) {
      rc = c->Fail(st);
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true}});
    } else {
      std::cout << fmt::format("Compte {} : {}\n", disabled ? "désactivé" : "réactivé",
                               a->address());
    }
  };
  auto* acc_disable = account->add_subcommand("disable", "Désactive un compte");
  acc_disable->add_option("address", acc_address, "Adresse du compte")->required();
  acc_disable->callback([&] { set_disabled(true); });
  auto* acc_enable = account->add_subcommand("enable", "Réactive un compte");
  acc_enable->add_option("address", acc_address, "Adresse du compte")->required();
  acc_enable->callback([&] { set_disabled(false); });

  // ---- right ----
  auto* right = app.add_subcommand("right", "Droits de connexion (comptes de connexion)")
                    ->require_subcommand(1);
  std::string right_mailbox;
  std::vector<std::string> right_persons;
  auto resolve = [&](Context* c, const std::string& address) -> Result<Account> {
    return c->AccountByAddress(address);
  };
  auto* radd = right->add_subcommand("add", "Permet à des personnes d'ouvrir une boîte ORG/APP");
  radd->add_option("mailbox", right_mailbox, "Adresse de la boîte ORG ou APP")->required();
  radd->add_option("persons", right_persons, "Adresses des comptes nominatifs (séparées par , ou ;)")
      ->required();
  radd->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<Account> mailbox = resolve(c, right_mailbox);
    if (!mailbox.ok()) {
      rc = c->Fail(mailbox.status());
      return;
    }
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (const std::string& arg : right_persons) {
      std::string cell = arg;
      for (char& ch : cell) {
        if (ch == ',') ch = ';';
      }
      size_t start = 0;
      while (start <= cell.size()) {
        size_t end = cell.find(';', start);
        if (end == std::string::npos) end = cell.size();
        std::string one(text::Trim(std::string_view(cell).substr(start, end - start)));
        start = end + 1;
        if (one.empty()) continue;
        Result<Account> person = resolve(c, one);
        if (!person.ok()) {
          rc = c->Fail(person.status());
          return;
        }
        pairs.emplace_back(mailbox->id, person->id);
      }
    }
    Result<int64_t> n = c->directory().GrantRights(c->actor(), pairs);
    if (!n.ok()) {
      rc = c->Fail(n.status());
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true}, {"granted", *n}});
    } else {
      std::cout << fmt::format("{} droit(s) ajouté(s) sur {}.\n", *n, mailbox->address());
    }
  });
  std::string rremove_person;
  auto* rremove = right->add_subcommand("remove", "Retire un droit de connexion");
  rremove->add_option("mailbox", right_mailbox, "Adresse de la boîte ORG ou APP")->required();
  rremove->add_option("person", rremove_person, "Adresse du compte nominatif")->required();
  rremove->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<Account> mailbox = resolve(c, right_mailbox);
    if (!mailbox.ok()) {
      rc = c->Fail(mailbox.status());
      return;
    }
    Result<Account> person = resolve(c, rremove_person);
    if (!person.ok()) {
      rc = c->Fail(person.status());
      return;
    }
    Status st = c->directory().RevokeRight(c->actor(), mailbox->id, person->id);
    if (!st.ok()) {
      rc = c->Fail(st);
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true}});
    } else {
      std::cout << fmt::format("Droit retiré : {} ne peut plus ouvrir {}.\n", person->address(),
                               mailbox->address());
    }
  });
  std::string rlist_address;
  auto* rlist = right->add_subcommand("list", "Droits d'une boîte ORG/APP ou d'une personne");
  rlist->add_option("address", rlist_address, "Adresse")->required();
  rlist->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<Account> a = resolve(c, rlist_address);
    if (!a.ok()) {
      rc = c->Fail(a.status());
      return;
    }
    Result<std::vector<Account>> linked =
        directory::IsNominative(a->type) ? c->directory().MailboxesOfPerson(c->actor(), a->id)
                                         : c->directory().PersonsWithRight(c->actor(), a->id);
    if (!linked.ok()) {
      rc = c->Fail(linked.status());
      return;
    }
    boost::json::array arr;
    for (const Account& x : *linked) {
      if (c->json()) {
        arr.push_back(boost::json::object{
            {"id", x.id},
            {"address", x.address()},
            {"type", std::string(directory::AccountTypeCode(x.type))},
            {"default", x.id == a->default_mailbox_id}});
      } else {
        std::cout << fmt::format("{}  {}{}\n", directory::AccountTypeCode(x.type), x.address(),
                                 x.id == a->default_mailbox_id ? "  (compte par défaut)" : "");
      }
    }
    if (c->json()) c->PrintJson(arr);
  });

  // ---- default ----
  auto* def = app.add_subcommand("default", "Compte par défaut")->require_subcommand(1);
  std::string def_person, def_mailbox;
  auto* dset = def->add_subcommand("set", "Définit le compte affiché après la connexion");
  dset->add_option("person", def_person, "Adresse du compte nominatif")->required();
  dset->add_option("mailbox", def_mailbox, "Boîte ORG/APP, ou la personne elle-même")->required();
  dset->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<Account> person = resolve(c, def_person);
    if (!person.ok()) {
      rc = c->Fail(person.status());
      return;
    }
    int64_t mailbox_id = person->id;
    if (text::ToLowerAscii(text::Trim(def_mailbox)) != person->address()) {
      Result<Account> mailbox = resolve(c, def_mailbox);
      if (!mailbox.ok()) {
        rc = c->Fail(mailbox.status());
        return;
      }
      mailbox_id = mailbox->id;
    }
    Status st = c->directory().SetDefaultMailbox(c->actor(), person->id, mailbox_id);
    if (!st.ok()) {
      rc = c->Fail(st);
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true}});
    } else {
      std::cout << fmt::format(
          "A la prochaine connexion avec l'identifiant {}, le compte {} sera affiché par "
          "défaut.\n",
          person->address(), text::ToLowerAscii(text::Trim(def_mailbox)));
    }
  });

  // ---- export / import ----
  std::string exp_structure, exp_format = "xlsx", exp_output;
  auto* exp = app.add_subcommand("export", "Exporte la liste des comptes (XLSX ou CSV)");
  exp->add_option("--structure", exp_structure, "Structure (défaut : toutes celles administrées)");
  exp->add_option("--format", exp_format, "xlsx ou csv")->check(CLI::IsMember({"xlsx", "csv"}));
  exp->add_option("-o,--output", exp_output, "Fichier à écrire")->required();
  exp->callback([&] {
    Context* c = open();
    if (!c) return;
    import_export::ExportOptions opts;
    opts.format = exp_format == "csv" ? import_export::ExportFormat::kCsv
                                      : import_export::ExportFormat::kXlsx;
    if (!exp_structure.empty()) {
      Result<Structure> s = c->StructureByName(exp_structure);
      if (!s.ok()) {
        rc = c->Fail(s.status());
        return;
      }
      opts.structure_ids = {s->id};
    }
    Result<import_export::ExportStats> st =
        import_export::ExportAccounts(c->directory(), c->actor(), exp_output, opts);
    if (!st.ok()) {
      rc = c->Fail(st.status());
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true}, {"accounts", st->accounts},
                                       {"file", exp_output}});
    } else {
      std::cout << fmt::format("{} compte(s) exporté(s) dans {}.\n", st->accounts, exp_output);
    }
  });

  std::string imp_file, imp_structure, imp_report;
  bool imp_dry = false, imp_all = false, imp_notify = false, imp_visible = false,
       imp_quiet = false;
  auto* imp = app.add_subcommand("import", "Importe une liste de comptes (XLSX, XLS ou CSV)");
  imp->add_option("file", imp_file, "Fichier à importer")->required()->check(CLI::ExistingFile);
  imp->add_option("--structure", imp_structure, "Structure courante (colonne « Structure » vide)");
  imp->add_flag("--dry-run", imp_dry, "Simulation : affiche le compte-rendu sans rien enregistrer");
  imp->add_flag("--all-or-nothing", imp_all, "N'enregistre rien si une ligne est rejetée");
  imp->add_flag("--notify", imp_notify,
                "Envoyer une notification aux utilisateurs pour les avertir de leur inscription");
  imp->add_flag("--visible", imp_visible, "Rendre les utilisateurs visibles dans l'annuaire");
  imp->add_option("--report", imp_report,
                  "Écrit le compte-rendu (.json, .csv ou .xlsx selon l'extension)");
  imp->add_flag("-q,--quiet", imp_quiet, "Sans barre de progression");
  imp->callback([&] {
    Context* c = open();
    if (!c) return;
    import_export::ImportOptions opts;
    opts.file_name = std::filesystem::path(imp_file).filename().string();
    opts.dry_run = imp_dry;
    opts.all_or_nothing = imp_all;
    opts.notify = imp_notify;
    opts.visible = imp_visible;
    if (!imp_structure.empty()) {
      Result<Structure> s = c->StructureByName(imp_structure);
      if (!s.ok()) {
        rc = c->Fail(s.status());
        return;
      }
      opts.structure_id = s->id;
    }
    bool tty = !c->json() && !imp_quiet && isatty(2);
    if (tty) {
      opts.progress = [](const import_export::Progress& p) {
        const char* phase = p.phase == import_export::Progress::Phase::kReading ? "lecture"
                            : p.phase == import_export::Progress::Phase::kDone  ? "terminé"
                                                                                : "application";
        if (p.rows_total > 0) {
          int width = 30;
          int done = static_cast<int>(width * p.rows_applied / p.rows_total);
          std::cerr << fmt::format("\r{:12} [{}{}] {}/{}", phase, std::string(done, '#'),
                                   std::string(width - done, ' '), p.rows_applied,
                                   p.rows_total);
        } else {
          std::cerr << fmt::format("\r{:12} {} ligne(s)", phase, p.rows_read);
        }
        if (p.phase == import_export::Progress::Phase::kDone) std::cerr << "\n";
      };
    }
    Result<import_export::ImportReport> r =
        import_export::ImportAccounts(c->directory(), c->actor(), imp_file, opts);
    if (!r.ok()) {
      rc = c->Fail(r.status());
      return;
    }
    if (!imp_report.empty()) {
      Status st;
      std::string ext = std::filesystem::path(imp_report).extension().string();
      if (ext == ".xlsx") {
        st = import_export::WriteReportXlsx(*r, imp_report);
      } else if (ext == ".csv") {
        st = import_export::WriteReportCsv(*r, imp_report);
      } else {
        std::FILE* f = std::fopen(imp_report.c_str(), "w");
        if (f == nullptr) {
          st = UnavailableError("Impossible d'écrire " + imp_report);
        } else {
          std::string j = import_export::ReportJson(*r);
          std::fwrite(j.data(), 1, j.size(), f);
          std::fclose(f);
        }
      }
      if (!st.ok()) {
        rc = c->Fail(st);
        return;
      }
    }
    if (c->json()) {
      std::cout << import_export::ReportJson(*r) << "\n";
    } else {
      for (const auto& f : r->file_findings) std::cout << "  ATTENTION " << f.message << "\n";
      for (const auto& row : r->rows_report) {
        if (row.action == import_export::RowAction::kUnchanged && row.findings.empty()) continue;
        std::cout << fmt::format("ligne {:>6}  {:9} {}\n", row.row,
                                 import_export::RowActionLabel(row.action), row.address);
        c->PrintFindings(row.findings);
      }
      std::cout << import_export::ReportSummary(*r) << "\n";
    }
    if (!r->applied && !r->dry_run) rc = kExitRefused;
  });

  // ---- expire ----
  auto* expire = app.add_subcommand("expire", "Désactive les comptes dont la date de péremption est atteinte");
  expire->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<int64_t> n = c->directory().ExpireAccounts(c->actor());
    if (!n.ok()) {
      rc = c->Fail(n.status());
      return;
    }
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", true}, {"disabled", *n}});
    } else {
      std::cout << fmt::format("{} compte(s) désactivé(s) (date de péremption atteinte).\n", *n);
    }
  });

  // ---- audit ----
  auto* aud = app.add_subcommand("audit", "Traces")->require_subcommand(1);
  std::string aud_mailbox, aud_person, aud_action, aud_from, aud_to;
  int aud_limit = 1000;
  int64_t aud_after = 0;
  auto* alist = aud->add_subcommand("list", "Liste les traces");
  alist->add_option("--mailbox", aud_mailbox, "Adresse de la boîte concernée");
  alist->add_option("--person", aud_person, "Adresse de la personne qui a agi");
  alist->add_option("--action", aud_action, "Début du nom d'action (ex. right.)");
  alist->add_option("--from", aud_from, "Depuis (AAAA-MM-JJ ou horodatage RFC 3339)");
  alist->add_option("--to", aud_to, "Avant (AAAA-MM-JJ ou horodatage RFC 3339)");
  alist->add_option("--after", aud_after, "Après la trace n° (pagination)");
  alist->add_option("--limit", aud_limit, "Nombre maximal (défaut 1000)")
      ->check(CLI::Range(1, 100000));
  alist->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<directory::Scope> scope = [&]() -> Result<directory::Scope> {
      CADUCE_TRY(auto tx, c->db().Begin(storage::TxMode::kRead));
      return c->directory().ScopeOf(*tx, c->actor());
    }();
    if (!scope.ok()) {
      rc = c->Fail(scope.status());
      return;
    }
    if (!scope->all) {
      rc = c->Fail(PermissionDeniedError(
          "Seul l'opérateur lit les traces en ligne de commande (les administrateurs les lisent "
          "dans l'administration web)."));
      return;
    }
    audit::Filter f;
    f.limit = aud_limit;
    f.after_seq = aud_after;
    if (!aud_mailbox.empty()) {
      Result<Account> a = c->AccountByAddress(aud_mailbox);
      if (!a.ok()) {
        rc = c->Fail(a.status());
        return;
      }
      f.mailbox_id = a->id;
    }
    if (!aud_person.empty()) {
      Result<Account> a = c->AccountByAddress(aud_person);
      if (!a.ok()) {
        rc = c->Fail(a.status());
        return;
      }
      f.actor_person_id = a->id;
    }
    if (!aud_action.empty()) f.action_prefix = aud_action;
    int64_t t = 0;
    if (!aud_from.empty()) {
      if (!ParseTimestamp(aud_from, &t)) {
        rc = c->Fail(InvalidArgumentError("--from : date AAAA-MM-JJ attendue."));
        return;
      }
      f.from = t;
    }
    if (!aud_to.empty()) {
      if (!ParseTimestamp(aud_to, &t)) {
        rc = c->Fail(InvalidArgumentError("--to : date AAAA-MM-JJ attendue."));
        return;
      }
      f.to = t;
    }
    Result<std::vector<audit::Entry>> entries = [&]() -> Result<std::vector<audit::Entry>> {
      CADUCE_TRY(auto tx, c->db().Begin(storage::TxMode::kRead));
      return c->audit().Query(*tx, f);
    }();
    if (!entries.ok()) {
      rc = c->Fail(entries.status());
      return;
    }
    boost::json::array arr;
    for (const audit::Entry& e : *entries) {
      if (c->json()) {
        boost::json::value detail;
        boost::system::error_code ec;
        detail = boost::json::parse(e.event.detail, ec);
        if (ec) detail = e.event.detail;
        arr.push_back(boost::json::object{{"seq", e.seq},
                                          {"at", FormatRfc3339(e.at)},
                                          {"actor", e.event.actor},
                                          {"actor_person_id", e.event.actor_person_id},
                                          {"mailbox_id", e.event.mailbox_id},
                                          {"action", e.event.action},
                                          {"object", e.event.object},
                                          {"ip", e.event.ip},
                                          {"detail", detail},
                                          {"hash", audit::HexOf(e.hash)}});
      } else {
        std::cout << fmt::format("{:>7}  {}  {:22} {:28} {}  {}\n", e.seq, FormatRfc3339(e.at),
                                 e.event.action, e.event.actor, e.event.object, e.event.detail);
      }
    }
    if (c->json()) c->PrintJson(arr);
  });
  std::string expect_head;
  auto* averify = aud->add_subcommand("verify", "Vérifie la chaîne des traces");
  averify->add_option("--expect-head", expect_head,
                      "Empreinte attendue de la dernière trace (détecte une fin coupée)");
  averify->callback([&] {
    Context* c = open();
    if (!c) return;
    Result<audit::VerifyReport> report = [&]() -> Result<audit::VerifyReport> {
      CADUCE_TRY(auto tx, c->db().Begin(storage::TxMode::kRead));
      CADUCE_TRY(directory::Scope scope, c->directory().ScopeOf(*tx, c->actor()));
      if (!scope.all) return PermissionDeniedError("Seul l'opérateur vérifie la chaîne des traces.");
      return c->audit().Verify(*tx);
    }();
    if (!report.ok()) {
      rc = c->Fail(report.status());
      return;
    }
    bool head_ok = expect_head.empty() || audit::HexOf(report->head) == expect_head;
    if (c->json()) {
      c->PrintJson(boost::json::object{{"ok", report->ok && head_ok},
                                       {"entries", report->entries},
                                       {"first_bad_seq", report->first_bad_seq},
                                       {"problem", report->problem},
                                       {"head", audit::HexOf(report->head)},
                                       {"head_matches", head_ok}});
    } else if (!report->ok) {
      std::cout << fmt::format("Chaîne ROMPUE à la trace n°{} : {}\n({} trace(s) lue(s))\n",
                               report->first_bad_seq, report->problem, report->entries);
    } else {
      std::cout << fmt::format("Chaîne intacte : {} trace(s) vérifiée(s).\nEmpreinte de tête : {}\n",
                               report->entries, audit::HexOf(report->head));
      if (!head_ok) {
        std::cout << fmt::format(
            "MAIS l'empreinte de tête diffère de celle attendue ({}) : des traces ont été "
            "retirées à la fin ou la base n'est pas celle attendue.\n",
            expect_head);
      }
    }
    if (!report->ok || !head_ok) rc = kExitRefused;
  });

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
  return rc;
}

}  // namespace
}  // namespace caduce::cli

int main(int argc, char** argv) { return caduce::cli::Run(argc, argv); }
