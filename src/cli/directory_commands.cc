// `caduce init|structure|admin|account|right|default|expire`: the directory as the
// operator (or, with --as, an administrator) manages it.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "base/text.h"
#include "cli/demo.h"
#include "cli/runner.h"

namespace caduce::cli {
namespace {

using directory::Account;
using directory::AccountDraft;
using directory::Field;
using directory::FieldChanges;
using directory::Structure;

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

// The persons who may open a shared mailbox, or the mailboxes a person may open.
Result<std::vector<Account>> Linked(Context& c, const Account& a) {
  return directory::IsNominative(a.type) ? c.directory().MailboxesOfPerson(c.actor(), a.id)
                                         : c.directory().PersonsWithRight(c.actor(), a.id);
}

// Splits "a@x.fr,b@x.fr;c@x.fr" into addresses.
std::vector<std::string> SplitAddresses(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (std::string cell : args) {
    for (char& ch : cell) {
      if (ch == ',') ch = ';';
    }
    size_t start = 0;
    while (start <= cell.size()) {
      size_t end = cell.find(';', start);
      if (end == std::string::npos) end = cell.size();
      std::string one(text::Trim(std::string_view(cell).substr(start, end - start)));
      if (!one.empty()) out.push_back(std::move(one));
      start = end + 1;
    }
  }
  return out;
}

boost::json::object Ok() { return boost::json::object{{"ok", true}}; }

void AddInit(CLI::App& app, Runner& run) {
  auto demo = std::make_shared<bool>(false);
  auto* init = app.add_subcommand("init", "Crée ou met à jour la base (migrations)");
  init->add_flag("--demo", *demo,
                 "Ajoute une structure et des comptes de démonstration si la base est vide");
  init->callback(run([demo, &run](Context& c) -> Status {
    CADUCE_TRY(int version, c.db().SchemaVersion());
    std::string text;
    if (*demo) {
      CADUCE_TRY(bool created, CreateDemoData(c));
      text = created ? "Données de démonstration créées.\n"
                     : "La base contient déjà des structures : rien d'ajouté.\n";
    }
    const std::string& db = run.options().db_path;
    c.Done(boost::json::object{{"ok", true}, {"db", db}, {"schema_version", version}},
           text + fmt::format("Base {} prête (schéma version {}).", db, version));
    return OkStatus();
  }));
}

void AddStructure(CLI::App& app, Runner& run) {
  auto* structure = app.add_subcommand("structure", "Structures")->require_subcommand(1);
  auto draft = std::make_shared<Structure>();
  auto* add = structure->add_subcommand("add", "Crée une structure (opérateur)");
  add->add_option("name", draft->name, "Nom exact de la structure")->required();
  add->add_option("--id-type", draft->id_type, "Type d'identifiant : 1 FINESS, 2 SIREN, 3 SIRET");
  add->add_option("--id-value", draft->id_value, "Numéro FINESS, SIREN ou SIRET");
  add->add_option("--mss-domain", draft->mss_domain, "Domaine MSSanté de la structure");
  add->callback(run([draft](Context& c) -> Status {
    CADUCE_TRY(Structure s, c.directory().CreateStructure(c.actor(), *draft, &c.findings));
    c.Done(boost::json::object{{"ok", true}, {"id", s.id}, {"name", s.name}},
           fmt::format("Structure créée : {} (n°{})", s.name, s.id));
    return OkStatus();
  }));

  auto* list = structure->add_subcommand("list", "Liste les structures visibles");
  list->callback(run([](Context& c) -> Status {
    CADUCE_TRY(std::vector<Structure> all, c.directory().ListStructures(c.actor()));
    boost::json::array arr;
    std::string text;
    for (const Structure& s : all) {
      arr.push_back(boost::json::object{{"id", s.id}, {"name", s.name}, {"id_type", s.id_type},
                                        {"id_value", s.id_value},
                                        {"mss_domain", s.mss_domain}});
      text += fmt::format("{:>5}  {}{}\n", s.id, s.name,
                          s.mss_domain.empty() ? "" : "  (@" + s.mss_domain + ")");
    }
    c.Done(arr, text);
    return OkStatus();
  }));
}

void AddAdmin(CLI::App& app, Runner& run) {
  auto* admin = app.add_subcommand("admin", "Administrateurs de structure")->require_subcommand(1);
  struct Opts {
    std::string structure, address;
  };
  auto o = std::make_shared<Opts>();
  auto* add = admin->add_subcommand("add", "Fait d'une personne un administrateur d'une structure");
  add->add_option("--structure", o->structure, "Nom exact de la structure")->required();
  add->add_option("address", o->address, "Adresse du compte nominatif")->required();
  add->callback(run([o](Context& c) -> Status {
    CADUCE_TRY(Structure s, c.StructureByName(o->structure));
    CADUCE_RETURN_IF_ERROR(c.directory().AddAdministrator(c.actor(), s.id, o->address));
    c.Done(Ok(), fmt::format("{} administre maintenant « {} ».", o->address, s.name));
    return OkStatus();
  }));
}

void AddAccount(CLI::App& app, Runner& run) {
  auto* account = app.add_subcommand("account", "Comptes")->require_subcommand(1);
  struct Opts {
    std::string structure, type, address, status, prefix;
    std::vector<std::string> sets;
    bool visible = false, generate_mss = false, nominative = false;
    int64_t after = 0;
    int limit = 100, search_limit = 50;
  };
  auto o = std::make_shared<Opts>();

  auto* add = account->add_subcommand("add", "Crée un compte");
  add->add_option("--structure", o->structure, "Structure (défaut : la seule administrée)");
  add->add_option("--type", o->type, "PER, INT, MED, ORG ou APP")->required();
  add->add_option("--set", o->sets, "COLONNE=VALEUR (en-têtes du fichier d'import)");
  add->add_flag("--visible", o->visible, "Visible dans l'annuaire");
  add->add_flag("--generate-mss", o->generate_mss, "Générer l'adresse MSSanté si vide");
  add->callback(run([o](Context& c) -> Status {
    std::map<Field, std::string> sets;
    CADUCE_RETURN_IF_ERROR(ParseSets(o->sets, &sets));
    CADUCE_TRY(Structure s, c.StructureByName(o->structure));
    AccountDraft draft;
    draft.values[directory::FieldIndex(Field::kType)] = o->type;
    for (auto& [f, v] : sets) draft.values[directory::FieldIndex(f)] = v;
    directory::CreateOptions opts;
    opts.visible_in_directory = o->visible;
    opts.generate_mss_address = o->generate_mss;
    CADUCE_TRY(Account a,
               c.directory().CreateAccount(c.actor(), s.id, draft, opts, &c.findings));
    if (!c.json()) {
      std::cout << fmt::format("Compte créé : {} ({}, n°{})\n", a.address(),
                               directory::AccountTypeCode(a.type), a.id);
      c.PrintFindings(c.findings);
    }
    c.Done(boost::json::object{{"ok", true},
                               {"account", c.AccountJson(a)},
                               {"findings", FindingsJson(c.findings)}},
           "");
    return OkStatus();
  }));

  auto* show = account->add_subcommand("show", "Affiche un compte");
  show->add_option("address", o->address, "Adresse du compte")->required();
  show->callback(run([o](Context& c) -> Status {
    CADUCE_TRY(Account a, c.AccountByAddress(o->address));
    CADUCE_TRY(std::vector<Account> linked, Linked(c, a));
    bool person = directory::IsNominative(a.type);
    if (c.json()) {
      boost::json::object j = c.AccountJson(a);
      boost::json::array l;
      for (const Account& x : linked) l.push_back(boost::json::value(x.address()));
      j[person ? "mailboxes" : "connection_accounts"] = l;
      c.PrintJson(j);
      return OkStatus();
    }
    PrintAccount(c, a);
    if (person) {
      std::cout << "  Boîtes accessibles :\n";
      std::string def = a.address();
      for (const Account& x : linked) {
        if (x.id == a.default_mailbox_id) def = x.address();
        std::cout << "    " << x.address() << "  " << x.get(Field::kDescription) << "\n";
      }
      std::cout << fmt::format("  Compte par défaut : {}\n", def);
    } else {
      std::cout << fmt::format("  Comptes de connexion ({}) :\n", linked.size());
      for (const Account& x : linked) std::cout << "    " << x.address() << "\n";
    }
    return OkStatus();
  }));

  auto* list = account->add_subcommand("list", "Liste les comptes");
  list->add_option("--structure", o->structure, "Structure");
  list->add_option("--type", o->type, "PER, INT, MED, ORG ou APP");
  list->add_option("--status", o->status, "pending, active ou disabled");
  list->add_option("--after", o->after, "Après le compte n° (pagination)");
  list->add_option("--limit", o->limit, "Nombre maximal (défaut 100)")
      ->check(CLI::Range(1, 100000));
  list->callback(run([o](Context& c) -> Status {
    directory::AccountFilter f;
    f.after_id = o->after;
    f.limit = o->limit;
    if (!o->structure.empty()) {
      CADUCE_TRY(Structure s, c.StructureByName(o->structure));
      f.structure_ids = {s.id};
    }
    if (!o->type.empty()) {
      f.type = directory::ParseAccountType(o->type);
      if (!f.type) return InvalidArgumentError("--type : PER, INT, MED, ORG ou APP.");
    }
    if (!o->status.empty()) {
      f.status = directory::ParseAccountStatus(o->status);
      if (!f.status) return InvalidArgumentError("--status : pending, active ou disabled.");
    }
    CADUCE_TRY(std::vector<Account> all, c.directory().ListAccounts(c.actor(), f));
    boost::json::array arr;
    std::string text;
    for (const Account& a : all) {
      arr.push_back(c.AccountJson(a));
      std::string who = directory::IsNominative(a.type)
                            ? a.get(Field::kNom) + " " + a.get(Field::kPrenom)
                            : a.get(Field::kDescription);
      text += fmt::format("{:>7}  {}  {:9}  {}  {}\n", a.id, directory::AccountTypeCode(a.type),
                          directory::AccountStatusName(a.status), a.address(), who);
    }
    c.Done(arr, text);
    return OkStatus();
  }));

  auto* search = account->add_subcommand("search", "Recherche (autocomplétion, 50 au plus)");
  search->add_option("prefix", o->prefix, "Début d'adresse, de nom ou de prénom")->required();
  search->add_flag("--nominative", o->nominative, "Comptes PER, INT et MED seulement");
  search->add_option("--limit", o->search_limit, "Au plus (1 à 50)")->check(CLI::Range(1, 50));
  search->callback(run([o](Context& c) -> Status {
    CADUCE_TRY(std::vector<Account> found,
               c.directory().Search(c.actor(), o->prefix, o->nominative, o->search_limit));
    boost::json::array arr;
    std::string text;
    for (const Account& a : found) {
      arr.push_back(boost::json::object{{"id", a.id},
                                        {"address", a.address()},
                                        {"type", std::string(directory::AccountTypeCode(a.type))},
                                        {"nom", a.get(Field::kNom)},
                                        {"prenom", a.get(Field::kPrenom)}});
      text += fmt::format("{}  {}  {} {}\n", directory::AccountTypeCode(a.type), a.address(),
                          a.get(Field::kNom), a.get(Field::kPrenom));
    }
    c.Done(arr, text);
    return OkStatus();
  }));

  auto* edit = account->add_subcommand("edit", "Modifie un compte");
  edit->add_option("address", o->address, "Adresse du compte")->required();
  edit->add_option("--set", o->sets, "COLONNE=VALEUR (vide pour effacer)")->required();
  edit->callback(run([o](Context& c) -> Status {
    FieldChanges changes;
    CADUCE_RETURN_IF_ERROR(ParseSets(o->sets, &changes));
    CADUCE_TRY(Account a, c.AccountByAddress(o->address));
    CADUCE_TRY(Account updated,
               c.directory().UpdateAccount(c.actor(), a.id, changes, &c.findings));
    if (!c.json()) {
      std::cout << fmt::format("Compte modifié : {}\n", updated.address());
      c.PrintFindings(c.findings);
    }
    c.Done(boost::json::object{{"ok", true},
                               {"account", c.AccountJson(updated)},
                               {"findings", FindingsJson(c.findings)}},
           "");
    return OkStatus();
  }));

  for (bool disabled : {true, false}) {
    auto* cmd = account->add_subcommand(disabled ? "disable" : "enable",
                                        disabled ? "Désactive un compte" : "Réactive un compte");
    cmd->add_option("address", o->address, "Adresse du compte")->required();
    cmd->callback(run([o, disabled](Context& c) -> Status {
      CADUCE_TRY(Account a, c.AccountByAddress(o->address));
      CADUCE_RETURN_IF_ERROR(c.directory().SetDisabled(c.actor(), a.id, disabled));
      c.Done(Ok(), fmt::format("Compte {} : {}", disabled ? "désactivé" : "réactivé",
                               a.address()));
      return OkStatus();
    }));
  }
}

void AddRight(CLI::App& app, Runner& run) {
  auto* right = app.add_subcommand("right", "Droits de connexion (comptes de connexion)")
                    ->require_subcommand(1);
  struct Opts {
    std::string mailbox, person, address;
    std::vector<std::string> persons;
  };
  auto o = std::make_shared<Opts>();

  auto* add = right->add_subcommand("add", "Permet à des personnes d'ouvrir une boîte ORG/APP");
  add->add_option("mailbox", o->mailbox, "Adresse de la boîte ORG ou APP")->required();
  add->add_option("persons", o->persons,
                  "Adresses des comptes nominatifs (séparées par , ou ;)")
      ->required();
  add->callback(run([o](Context& c) -> Status {
    CADUCE_TRY(Account mailbox, c.AccountByAddress(o->mailbox));
    std::vector<std::pair<int64_t, int64_t>> pairs;
    for (const std::string& address : SplitAddresses(o->persons)) {
      CADUCE_TRY(Account person, c.AccountByAddress(address));
      pairs.emplace_back(mailbox.id, person.id);
    }
    CADUCE_TRY(int64_t n, c.directory().GrantRights(c.actor(), pairs));
    c.Done(boost::json::object{{"ok", true}, {"granted", n}},
           fmt::format("{} droit(s) ajouté(s) sur {}.", n, mailbox.address()));
    return OkStatus();
  }));

  auto* remove = right->add_subcommand("remove", "Retire un droit de connexion");
  remove->add_option("mailbox", o->mailbox, "Adresse de la boîte ORG ou APP")->required();
  remove->add_option("person", o->person, "Adresse du compte nominatif")->required();
  remove->callback(run([o](Context& c) -> Status {
    CADUCE_TRY(Account mailbox, c.AccountByAddress(o->mailbox));
    CADUCE_TRY(Account person, c.AccountByAddress(o->person));
    CADUCE_RETURN_IF_ERROR(c.directory().RevokeRight(c.actor(), mailbox.id, person.id));
    c.Done(Ok(), fmt::format("Droit retiré : {} ne peut plus ouvrir {}.", person.address(),
                             mailbox.address()));
    return OkStatus();
  }));

  auto* list = right->add_subcommand("list", "Droits d'une boîte ORG/APP ou d'une personne");
  list->add_option("address", o->address, "Adresse")->required();
  list->callback(run([o](Context& c) -> Status {
    CADUCE_TRY(Account a, c.AccountByAddress(o->address));
    CADUCE_TRY(std::vector<Account> linked, Linked(c, a));
    boost::json::array arr;
    std::string text;
    for (const Account& x : linked) {
      bool is_default = x.id == a.default_mailbox_id;
      arr.push_back(boost::json::object{{"id", x.id},
                                        {"address", x.address()},
                                        {"type", std::string(directory::AccountTypeCode(x.type))},
                                        {"default", is_default}});
      text += fmt::format("{}  {}{}\n", directory::AccountTypeCode(x.type), x.address(),
                          is_default ? "  (compte par défaut)" : "");
    }
    c.Done(arr, text);
    return OkStatus();
  }));
}

void AddDefault(CLI::App& app, Runner& run) {
  auto* def = app.add_subcommand("default", "Compte par défaut")->require_subcommand(1);
  struct Opts {
    std::string person, mailbox;
  };
  auto o = std::make_shared<Opts>();
  auto* set = def->add_subcommand("set", "Définit le compte affiché après la connexion");
  set->add_option("person", o->person, "Adresse du compte nominatif")->required();
  set->add_option("mailbox", o->mailbox, "Boîte ORG/APP, ou la personne elle-même")->required();
  set->callback(run([o](Context& c) -> Status {
    CADUCE_TRY(Account person, c.AccountByAddress(o->person));
    std::string target = text::ToLowerAscii(text::Trim(o->mailbox));
    int64_t mailbox_id = person.id;
    if (target != person.address()) {
      CADUCE_TRY(Account mailbox, c.AccountByAddress(target));
      mailbox_id = mailbox.id;
    }
    CADUCE_RETURN_IF_ERROR(c.directory().SetDefaultMailbox(c.actor(), person.id, mailbox_id));
    // The guide's own sentence (section 3.2).
    c.Done(Ok(), fmt::format("A la prochaine connexion avec l'identifiant {}, le compte {} sera "
                             "affiché par défaut.",
                             person.address(), target));
    return OkStatus();
  }));
}

void AddExpire(CLI::App& app, Runner& run) {
  auto* expire = app.add_subcommand(
      "expire", "Désactive les comptes dont la date de péremption est atteinte");
  expire->callback(run([](Context& c) -> Status {
    CADUCE_TRY(int64_t n, c.directory().ExpireAccounts(c.actor()));
    c.Done(boost::json::object{{"ok", true}, {"disabled", n}},
           fmt::format("{} compte(s) désactivé(s) (date de péremption atteinte).", n));
    return OkStatus();
  }));
}

}  // namespace

void AddDirectoryCommands(CLI::App& app, Runner& run) {
  AddInit(app, run);
  AddStructure(app, run);
  AddAdmin(app, run);
  AddAccount(app, run);
  AddRight(app, run);
  AddDefault(app, run);
  AddExpire(app, run);
}

}  // namespace caduce::cli
