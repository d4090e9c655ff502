// `caduce mail deliver`: puts a message (RFC 5322 bytes on standard input) into the
// mailboxes of local accounts, the way a delivery from the SMTP side will, so that the
// demo and the tests can fill mailboxes. The operator only. The blobs live beside the
// database, in <database folder>/blobs. Also the few French messages of the demo.
// `caduce mail uploads expire` (the operator): the sweep `caduce serve` runs every
// ten minutes, at once. `caduce structure set NAME --mail-adds-sender on|off` (its
// administrator or the operator): the structure's Sender: setting, traced.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "cli/runner.h"
#include "mail/mail_service.h"
#include "store_sqlite/mail_repo.h"

namespace caduce::cli {
namespace {

// The mail store built on the command's context.
struct MailStore {
  store_sqlite::SqliteMailRepository repo;
  std::unique_ptr<mail::BlobStore> blobs;
  std::unique_ptr<mail::MailService> service;
};

Result<std::unique_ptr<MailStore>> OpenMailStore(Context& c) {
  auto m = std::make_unique<MailStore>();
  std::filesystem::path db(c.options().db_path);
  std::filesystem::path root = db.parent_path().empty() ? std::filesystem::path("blobs")
                                                        : db.parent_path() / "blobs";
  CADUCE_TRY(m->blobs, mail::BlobStore::Open(root.string()));
  m->service = std::make_unique<mail::MailService>(c.db(), m->repo, c.directory().repo(),
                                                   c.audit(), *m->blobs, SystemClock::Get(),
                                                   mail::MailOptions{});
  return m;
}

struct DeliverOptions {
  std::string from;
  std::vector<std::string> to;
};

}  // namespace

void AddStructureMailCommands(CLI::App& app, Runner& run) {
  CLI::App* structure = nullptr;
  try {
    structure = app.get_subcommand("structure");
  } catch (const CLI::OptionNotFound&) {
    structure = app.add_subcommand("structure", "Structures");
    structure->require_subcommand(1);
  }
  struct Opts {
    std::string name, adds_sender;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* set = structure->add_subcommand("set", "Change un réglage de messagerie d'une structure");
  set->add_option("name", o->name, "Nom exact de la structure")->required();
  set->add_option("--mail-adds-sender", o->adds_sender,
                  "on : les messages envoyés depuis ses boîtes ORG/APP portent un en-tête Sender: "
                  "nommant la personne ; off : non")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  set->callback(run([o](Context& c) -> Status {
    CADUCE_TRY(directory::Structure s, c.StructureByName(o->name));
    CADUCE_TRY(auto store, OpenMailStore(c));
    bool adds = o->adds_sender == "on";
    CADUCE_RETURN_IF_ERROR(store->service->SetStructureAddsSender(c.actor(), s.id, adds));
    c.Done(boost::json::object{{"ok", true}, {"id", s.id}, {"mail_adds_sender", adds}},
           adds ? fmt::format("« {} » : les messages envoyés depuis ses boîtes ORG/APP nomment "
                              "désormais la personne (en-tête Sender:).",
                              s.name)
                : fmt::format("« {} » : les messages envoyés depuis ses boîtes ORG/APP ne nomment "
                              "plus la personne (pas d'en-tête Sender:).",
                              s.name));
    return OkStatus();
  }));
}

void AddMailStoreCommands(CLI::App& app, Runner& run) {
  AddStructureMailCommands(app, run);
  CLI::App* mail = nullptr;
  try {
    mail = app.get_subcommand("mail");
  } catch (const CLI::OptionNotFound&) {
    mail = app.add_subcommand("mail", "Messagerie");
    mail->require_subcommand(1);
  }
  auto o = std::make_shared<DeliverOptions>();
  CLI::App* deliver = mail->add_subcommand(
      "deliver", "Remet un message (lu sur l'entrée standard) dans les boîtes de réception");
  deliver->add_option("--from", o->from, "Expéditeur de l'enveloppe")->required();
  deliver->add_option("--to", o->to, "Destinataire (répétable)")->required();
  deliver->callback(run([o](Context& c) -> Status {
    {
      CADUCE_TRY(auto tx, c.db().Begin(storage::TxMode::kRead));
      CADUCE_TRY(directory::Scope scope, c.directory().ScopeOf(*tx, c.actor()));
      if (!scope.all) return PermissionDeniedError("Seul l'opérateur remet des messages.");
    }
    std::string raw((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    CADUCE_TRY(auto store, OpenMailStore(c));
    CADUCE_TRY(mail::DeliveryResult r, store->service->Deliver(raw, o->from, o->to));
    boost::json::array delivered, queued;
    for (const auto& d : r.delivered) {
      delivered.push_back({{"account_id", d.account_id}, {"email_id", d.email_id}});
    }
    for (const auto& q : r.queued) queued.emplace_back(q);
    std::string text = fmt::format("Message remis dans {} boîte(s) de réception.", r.delivered.size());
    if (!r.queued.empty()) {
      text += fmt::format(" En attente d'envoi hors de caduce : {}.", fmt::join(r.queued, ", "));
    }
    c.Done(boost::json::object{{"blob_id", r.blob_id}, {"delivered", delivered}, {"queued", queued}},
           text);
    return OkStatus();
  }));

  CLI::App* uploads = mail->add_subcommand("uploads", "Fichiers déposés (pièces jointes en attente)");
  uploads->require_subcommand(1);
  CLI::App* expire = uploads->add_subcommand(
      "expire", "Oublie les dépôts expirés (24 h) et supprime les fichiers que plus rien n'utilise");
  expire->callback(run([](Context& c) -> Status {
    {
      CADUCE_TRY(auto tx, c.db().Begin(storage::TxMode::kRead));
      CADUCE_TRY(directory::Scope scope, c.directory().ScopeOf(*tx, c.actor()));
      if (!scope.all) return PermissionDeniedError("Seul l'opérateur nettoie les dépôts.");
    }
    CADUCE_TRY(auto store, OpenMailStore(c));
    CADUCE_TRY(mail::MailService::UploadSweep r, store->service->SweepUploads());
    c.Done(boost::json::object{{"uploads_expired", r.uploads_expired},
                               {"files_removed", r.files_removed}},
           fmt::format("Dépôts expirés oubliés : {} ; fichiers supprimés : {}.", r.uploads_expired,
                       r.files_removed));
    return OkStatus();
  }));
}

Status DeliverDemoMail(Context& c) {
  CADUCE_TRY(auto store, OpenMailStore(c));
  struct Demo {
    const char* from;
    const char* to;
    const char* subject;
    const char* id;
    const char* reply_to_id;
    const char* body;
  };
  static constexpr Demo kDemo[] = {
      {"Laboratoire <laboratoire@chu-demo.fr>", "secretariat.cardiologie@chu-demo.fr",
       "Résultats de biologie disponibles", "demo-1@chu-demo.fr", "",
       "Bonjour,\n\nLes résultats du bilan demandé le 25 novembre sont disponibles dans le "
       "dossier du patient.\n\nLe laboratoire"},
      {"Dr Jean Dupont <jean.dupont@chu-demo.fr>", "secretariat.cardiologie@chu-demo.fr",
       "Demande de rendez-vous d'échographie", "demo-2@chu-demo.fr", "",
       "Bonjour,\n\nMerci de programmer une échographie cardiaque dans les quinze jours.\n\n"
       "Dr Dupont"},
      {"Secrétariat de cardiologie <secretariat.cardiologie@chu-demo.fr>", "jean.dupont@chu-demo.fr",
       "Re: Demande de rendez-vous d'échographie", "demo-3@chu-demo.fr", "demo-2@chu-demo.fr",
       "Bonjour Docteur,\n\nLe rendez-vous est fixé au 3 décembre à 10 h.\n\nLe secrétariat"},
      {"Dr Claire Petit <claire.petit@chu-demo.fr>", "jean.dupont@chu-demo.fr",
       "Réunion de service", "demo-4@chu-demo.fr", "",
       "Bonjour,\n\nLa réunion de service aura lieu jeudi à 14 h en salle 2.\n\nClaire"},
  };
  for (const Demo& d : kDemo) {
    // The subject is sent as RFC 2047 quoted-printable (UTF-8), as mail clients do.
    std::string q;
    for (unsigned char ch : std::string(d.subject)) {
      if (ch == ' ') q += '_';
      else if (ch < 0x80 && std::isalnum(ch)) q += static_cast<char>(ch);
      else q += fmt::format("={:02X}", ch);
    }
    std::string raw = fmt::format("From: {}\r\nTo: <{}>\r\nSubject: =?UTF-8?Q?{}?=\r\n"
                      "Date: Fri, 27 Nov 2026 09:00:00 +0100\r\nMessage-ID: <{}>\r\n",
                      d.from, d.to, q, d.id);
    if (*d.reply_to_id != '\0') {
      raw += fmt::format("In-Reply-To: <{0}>\r\nReferences: <{0}>\r\n", d.reply_to_id);
    }
    raw += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n";
    for (const char* p = d.body; *p != '\0'; ++p) {
      if (*p == '\n') raw += "\r\n";
      else raw += *p;
    }
    raw += "\r\n";
    CADUCE_RETURN_IF_ERROR(store->service->Deliver(raw, "", {d.to}));
  }
  return OkStatus();
}

}  // namespace caduce::cli
