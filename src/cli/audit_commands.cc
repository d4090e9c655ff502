// `caduce audit list|verify`: the trail as the operator reads and proves it.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "cli/runner.h"

namespace caduce::cli {
namespace {

using directory::Account;

Status RequireOperator(Context& c, const char* what) {
  CADUCE_TRY(auto tx, c.db().Begin(storage::TxMode::kRead));
  CADUCE_TRY(directory::Scope scope, c.directory().ScopeOf(*tx, c.actor()));
  if (!scope.all) return PermissionDeniedError(what);
  return OkStatus();
}

Status ParseDate(const std::string& option, const std::string& text,
                 std::optional<int64_t>* out) {
  if (text.empty()) return OkStatus();
  int64_t t = 0;
  if (!ParseTimestamp(text, &t)) {
    return InvalidArgumentError(
        fmt::format("{} : date AAAA-MM-JJ ou horodatage RFC 3339 attendu.", option));
  }
  *out = t;
  return OkStatus();
}

}  // namespace

void AddAuditCommands(CLI::App& app, Runner& run) {
  auto* aud = app.add_subcommand("audit", "Traces")->require_subcommand(1);
  struct Opts {
    std::string mailbox, person, action, from, to, expect_head;
    int limit = 1000;
    int64_t after = 0;
  };
  auto o = std::make_shared<Opts>();

  auto* list = aud->add_subcommand("list", "Liste les traces");
  list->add_option("--mailbox", o->mailbox, "Adresse de la boîte concernée");
  list->add_option("--person", o->person, "Adresse de la personne qui a agi");
  list->add_option("--action", o->action, "Début du nom d'action (ex. right.)");
  list->add_option("--from", o->from, "Depuis (AAAA-MM-JJ ou horodatage RFC 3339)");
  list->add_option("--to", o->to, "Avant (AAAA-MM-JJ ou horodatage RFC 3339)");
  list->add_option("--after", o->after, "Après la trace n° (pagination)");
  list->add_option("--limit", o->limit, "Nombre maximal (défaut 1000)")
      ->check(CLI::Range(1, 100000));
  list->callback(run([o](Context& c) -> Status {
    CADUCE_RETURN_IF_ERROR(RequireOperator(
        c, "Seul l'opérateur lit les traces en ligne de commande (les administrateurs les lisent "
           "dans l'administration web)."));
    audit::Filter f;
    f.limit = o->limit;
    f.after_seq = o->after;
    if (!o->mailbox.empty()) {
      CADUCE_TRY(Account a, c.AccountByAddress(o->mailbox));
      f.mailbox_id = a.id;
    }
    if (!o->person.empty()) {
      CADUCE_TRY(Account a, c.AccountByAddress(o->person));
      f.actor_person_id = a.id;
    }
    if (!o->action.empty()) f.action_prefix = o->action;
    CADUCE_RETURN_IF_ERROR(ParseDate("--from", o->from, &f.from));
    CADUCE_RETURN_IF_ERROR(ParseDate("--to", o->to, &f.to));
    CADUCE_TRY(auto tx, c.db().Begin(storage::TxMode::kRead));
    CADUCE_TRY(std::vector<audit::Entry> entries, c.audit().Query(*tx, f));
    boost::json::array arr;
    std::string text;
    for (const audit::Entry& e : entries) {
      boost::system::error_code ec;
      boost::json::value detail = boost::json::parse(e.event.detail, ec);
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
      text += fmt::format("{:>7}  {}  {:22} {:28} {}  {}\n", e.seq, FormatRfc3339(e.at),
                          e.event.action, e.event.actor, e.event.object, e.event.detail);
    }
    c.Done(arr, text);
    return OkStatus();
  }));

  auto* verify = aud->add_subcommand("verify", "Vérifie la chaîne des traces");
  verify->add_option("--expect-head", o->expect_head,
                     "Empreinte attendue de la dernière trace (détecte une fin coupée)");
  verify->callback(run([o, &run](Context& c) -> Status {
    CADUCE_RETURN_IF_ERROR(
        RequireOperator(c, "Seul l'opérateur vérifie la chaîne des traces."));
    CADUCE_TRY(auto tx, c.db().Begin(storage::TxMode::kRead));
    CADUCE_TRY(audit::VerifyReport report, c.audit().Verify(*tx));
    std::string head = audit::HexOf(report.head);
    bool head_ok = o->expect_head.empty() || head == o->expect_head;
    std::string text;
    if (!report.ok) {
      text = fmt::format("Chaîne ROMPUE à la trace n°{} : {}\n({} trace(s) lue(s))",
                         report.first_bad_seq, report.problem, report.entries);
    } else {
      text = fmt::format("Chaîne intacte : {} trace(s) vérifiée(s).\nEmpreinte de tête : {}",
                         report.entries, head);
      if (!head_ok) {
        text += fmt::format(
            "\nMAIS l'empreinte de tête diffère de celle attendue ({}) : des traces ont été "
            "retirées à la fin ou la base n'est pas celle attendue.",
            o->expect_head);
      }
    }
    c.Done(boost::json::object{{"ok", report.ok && head_ok},
                               {"entries", report.entries},
                               {"first_bad_seq", report.first_bad_seq},
                               {"problem", report.problem},
                               {"head", head},
                               {"head_matches", head_ok}},
           text);
    // A broken chain is a refusal (exit 1), already explained on stdout.
    if (!report.ok || !head_ok) run.SetExitCode(kExitRefused);
    return OkStatus();
  }));
}

}  // namespace caduce::cli
