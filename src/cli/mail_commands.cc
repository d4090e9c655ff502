// `caduce mail queue|flush|activation`: the operator's view of the activation and
// reset mails (notify/): list the queue with its failures, deliver what is due now
// with the server's mail settings, and queue an activation mail for a person.
// The settings come from the environment (CADUCE_SMTP_URL, CADUCE_SMTP_USER,
// CADUCE_SMTP_PASSWORD_FILE, CADUCE_MAIL_FROM, CADUCE_OUTBOX_DIR,
// CADUCE_PUBLIC_URL), overridden by the options of the same names; with no relay
// the mails go to the outbox folder, as with `caduce serve`.
#include <fmt/format.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "auth/password_policy.h"
#include "auth/sign_in.h"
#include "cli/runner.h"
#include "notify/mailer.h"
#include "notify/notify_service.h"
#include "store_sqlite/auth_repo.h"
#include "store_sqlite/notify_repo.h"

namespace caduce::cli {
namespace {

struct MailSettings {
  std::string smtp_url, smtp_user, smtp_password_file, mail_from, outbox_dir, public_url;
};

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

Status RequireOperator(Context& c) {
  CADUCE_TRY(auto tx, c.db().Begin(storage::TxMode::kRead));
  CADUCE_TRY(directory::Scope scope, c.directory().ScopeOf(*tx, c.actor()));
  if (!scope.all) {
    return PermissionDeniedError("Seul l'opérateur gère la file des courriels.");
  }
  return OkStatus();
}

// The services a delivery needs, built on the command's context.
struct MailStack {
  store_sqlite::SqliteAuthRepository auth_repo;
  store_sqlite::SqliteNotifyRepository notify_repo;
  auth::PasswordPolicy policy;
  std::unique_ptr<auth::SignInService> sign_in;
  std::unique_ptr<notify::Mailer> mailer;
  std::unique_ptr<notify::NotifyService> notify;
};

Result<std::unique_ptr<MailStack>> BuildStack(Context& c, const MailSettings& s) {
  auto m = std::make_unique<MailStack>();
  std::string data_dir = c.options().data_dir.empty() ? directory::ReferenceData::DefaultDir()
                                                      : c.options().data_dir;
  CADUCE_TRY(m->policy,
             auth::PasswordPolicy::WithCommonPasswords(data_dir + "/common-passwords.txt"));
  const Clock& clock = SystemClock::Get();
  m->sign_in = std::make_unique<auth::SignInService>(c.db(), m->auth_repo, c.directory().repo(),
                                                     c.audit(), m->policy, clock);
  notify::MailerOptions mo;
  mo.smtp_url = Env("CADUCE_SMTP_URL", s.smtp_url);
  mo.smtp_user = Env("CADUCE_SMTP_USER", s.smtp_user);
  mo.smtp_password_file = Env("CADUCE_SMTP_PASSWORD_FILE", s.smtp_password_file);
  mo.outbox_dir = Env("CADUCE_OUTBOX_DIR", s.outbox_dir.empty() ? mo.outbox_dir : s.outbox_dir);
  if (!s.smtp_url.empty()) mo.smtp_url = s.smtp_url;
  if (!s.smtp_user.empty()) mo.smtp_user = s.smtp_user;
  if (!s.smtp_password_file.empty()) mo.smtp_password_file = s.smtp_password_file;
  CADUCE_TRY(m->mailer, notify::MakeMailer(mo));
  notify::NotifyOptions no;
  no.public_url = s.public_url.empty() ? Env("CADUCE_PUBLIC_URL", no.public_url) : s.public_url;
  no.mail_from = s.mail_from.empty() ? Env("CADUCE_MAIL_FROM", no.mail_from) : s.mail_from;
  no.log = [](const std::string& line) { std::cerr << "caduce : " << line << "\n"; };
  CADUCE_TRY(m->notify, notify::NotifyService::Create(c.db(), m->notify_repo, m->auth_repo,
                                                      c.directory().repo(), c.audit(),
                                                      *m->sign_in, *m->mailer, clock, no));
  return m;
}

std::string When(int64_t micros) { return micros == 0 ? "-" : FormatRfc3339(micros); }

boost::json::object IntentJson(const notify::Intent& i) {
  boost::json::object o{{"id", i.id},
                        {"kind", notify::MailKindName(i.kind)},
                        {"account_id", i.account_id},
                        {"address", i.address},
                        {"state", notify::IntentStateName(i.state)},
                        {"attempts", i.attempts},
                        {"created_at", When(i.created_at)},
                        {"last_error", i.last_error}};
  if (i.state == notify::IntentState::kPending) o["next_attempt_at"] = When(i.next_attempt_at);
  if (i.sent_at != 0) o["sent_at"] = When(i.sent_at);
  if (i.failed_at != 0) o["ended_at"] = When(i.failed_at);
  return o;
}

std::string_view StateLabel(notify::IntentState s) {
  switch (s) {
    case notify::IntentState::kPending:
      return "en attente";
    case notify::IntentState::kSent:
      return "envoyé";
    case notify::IntentState::kFailed:
      return "ÉCHEC";
    case notify::IntentState::kCancelled:
      return "annulé";
  }
  return "";
}

}  // namespace

void AddMailCommands(CLI::App& app, Runner& run) {
  auto* mail = app.add_subcommand("mail", "Courriels d'activation et de réinitialisation")
                   ->require_subcommand(1);
  auto s = std::make_shared<MailSettings>();
  auto settings = [s](CLI::App* cmd) {
    cmd->add_option("--smtp-url", s->smtp_url, "Relais smtp://hôte:587 ou smtps://hôte:465");
    cmd->add_option("--smtp-user", s->smtp_user, "Utilisateur du relais");
    cmd->add_option("--smtp-password-file", s->smtp_password_file,
                    "Fichier du mot de passe du relais (première ligne)");
    cmd->add_option("--mail-from", s->mail_from, "Expéditeur : « Nom <adresse> »");
    cmd->add_option("--outbox", s->outbox_dir, "Dossier des .eml sans relais (var/outbox)");
    cmd->add_option("--public-url", s->public_url, "Adresse de l'interface web (liens)");
  };

  struct QueueOpts {
    bool all = false;
    int64_t limit = 100;
  };
  auto q = std::make_shared<QueueOpts>();
  auto* queue = mail->add_subcommand("queue", "Liste les courriels en attente et en échec");
  queue->add_flag("--all", q->all, "Aussi les courriels envoyés et annulés");
  queue->add_option("--limit", q->limit, "Nombre maximal (défaut 100)")
      ->check(CLI::Range(1, 100000));
  queue->callback(run([q](Context& c) -> Status {
    CADUCE_RETURN_IF_ERROR(RequireOperator(c));
    store_sqlite::SqliteNotifyRepository repo;
    notify::IntentFilter f;
    f.include_done = q->all;
    f.limit = q->limit;
    CADUCE_TRY(auto tx, c.db().Begin(storage::TxMode::kRead));
    CADUCE_TRY(std::vector<notify::Intent> intents, repo.List(*tx, f));
    boost::json::array out;
    std::string text;
    for (const notify::Intent& i : intents) {
      out.push_back(IntentJson(i));
      text += fmt::format("n°{} {} {} — {} après {} essai(s)", i.id, notify::MailKindName(i.kind),
                          i.address, StateLabel(i.state), i.attempts);
      if (i.state == notify::IntentState::kPending) {
        text += ", prochain essai " + When(i.next_attempt_at);
      }
      if (!i.last_error.empty()) text += " : " + i.last_error;
      text += "\n";
    }
    if (intents.empty()) text = "Aucun courriel en attente ni en échec.";
    c.Done(out, text);
    return OkStatus();
  }));

  auto retry = std::make_shared<bool>(false);
  auto* flush = mail->add_subcommand("flush", "Envoie maintenant les courriels dus");
  settings(flush);
  flush->add_flag("--retry-failed", *retry, "Remet d'abord les courriels en échec dans la file");
  flush->callback(run([s, retry](Context& c) -> Status {
    CADUCE_RETURN_IF_ERROR(RequireOperator(c));
    CADUCE_TRY(std::unique_ptr<MailStack> m, BuildStack(c, *s));
    int64_t requeued = 0;
    if (*retry) {
      CADUCE_TRY(requeued, m->notify->Requeue(0));
    }
    CADUCE_TRY(notify::DeliveryCounts n, m->notify->DeliverDue());
    boost::json::object out{{"via", m->mailer->Describe()}, {"requeued", requeued},
                            {"sent", n.sent},   {"retried", n.retried},
                            {"failed", n.failed}, {"cancelled", n.cancelled}};
    c.Done(out, fmt::format("Par {} : {} envoyé(s), {} reporté(s), {} en échec, {} annulé(s).",
                            m->mailer->Describe(), n.sent, n.retried, n.failed, n.cancelled));
    return OkStatus();
  }));

  auto address = std::make_shared<std::string>();
  auto* activation =
      mail->add_subcommand("activation", "Met en file le courriel d'activation d'une personne");
  activation->add_option("ADDRESS", *address, "Adresse de la personne")->required();
  activation->callback(run([address](Context& c) -> Status {
    CADUCE_RETURN_IF_ERROR(RequireOperator(c));
    CADUCE_TRY(directory::Account a, c.AccountByAddress(*address));
    CADUCE_TRY(std::unique_ptr<MailStack> m, BuildStack(c, MailSettings{}));
    notify::QueuedBy by;
    by.person_id = c.actor().person_id;
    by.label = c.actor().label;
    CADUCE_RETURN_IF_ERROR(m->notify->QueueActivation(a.id, by));
    c.Done(boost::json::object{{"queued", true}},
           fmt::format("Courriel d'activation de {} mis en file : `caduce serve` l'envoie (ou "
                       "`caduce mail flush`).",
                       a.address()));
    return OkStatus();
  }));
}

}  // namespace caduce::cli
