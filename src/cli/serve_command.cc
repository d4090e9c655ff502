// `caduce serve`: runs the HTTP server (the API, /healthz and the static web
// UI) until SIGTERM or SIGINT. Its settings come from app/config.h: defaults,
// then the configuration file (--config), then CADUCE_* variables, then the
// flags below and the global --db and --data; the services are built by app/,
// not by the command's Context.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "app/app.h"
#include "app/config.h"
#include "cli/runner.h"
#include "http/access_log.h"
#include "notify/mailer.h"

extern char** environ;

namespace caduce::cli {
namespace {

struct ServeOptions {
  std::string config;
  std::string listen;
  std::string web;
  std::string tls_cert;
  std::string tls_key;
};

// Flags win over the file and the environment; each goes through the same
// parser as its configuration key.
Status ApplyFlags(const CLI::App& app, const CLI::App& cmd, const ServeOptions& o,
                  const GlobalOptions& g, app::Config* config) {
  auto set = [&](const CLI::App& from, const char* flag, const char* key,
                 const std::string& value) -> Status {
    if (from.get_option(flag)->count() == 0) return OkStatus();
    return config->Set(key, value, fmt::format("option {}", flag));
  };
  CADUCE_RETURN_IF_ERROR(set(app, "--db", "db", g.db_path));
  CADUCE_RETURN_IF_ERROR(set(app, "--data", "data_dir", g.data_dir));
  CADUCE_RETURN_IF_ERROR(set(cmd, "--listen", "listen", o.listen));
  CADUCE_RETURN_IF_ERROR(set(cmd, "--web", "web_dir", o.web));
  CADUCE_RETURN_IF_ERROR(set(cmd, "--tls-cert", "tls_cert", o.tls_cert));
  CADUCE_RETURN_IF_ERROR(set(cmd, "--tls-key", "tls_key", o.tls_key));
  return config->Validate();
}

app::AppOptions ToAppOptions(const app::Config& c) {
  app::AppOptions options;
  options.db_path = c.db_path;
  options.data_dir = c.data_dir;
  options.web_dir = c.web_dir;
  options.listener.address = c.listen_address;
  options.listener.port = c.listen_port;
  options.listener.tls_certificate_file = c.tls_cert;
  options.listener.tls_private_key_file = c.tls_key;
  options.listener.threads = c.io_threads;
  options.listener.max_connections = c.max_connections;
  options.listener.max_connections_per_ip = c.max_connections_per_ip;
  options.worker_threads = c.worker_threads;
  options.worker_queue_limit = c.worker_queue;
  options.auth.cost.memlimit = static_cast<size_t>(c.argon2_memory_mib) << 20;
  options.auth.cost.opslimit = static_cast<unsigned long long>(c.argon2_passes);
  options.shutdown_grace = std::chrono::seconds(c.shutdown_grace_seconds);
  options.auth.session_idle_seconds = c.session_idle_seconds;
  options.auth.session_absolute_seconds = c.session_absolute_seconds;
  options.auth.activation_seconds = c.activation_seconds;
  options.auth.reset_seconds = c.reset_seconds;
  options.public_url = c.public_url;
  options.mail.smtp_url = c.mail.smtp_url;
  options.mail.smtp_user = c.mail.smtp_user;
  options.mail.smtp_password_file = c.mail.smtp_password_file;
  options.mail.starttls = c.mail.smtp_starttls == "required" ? notify::StartTls::kRequired
                          : c.mail.smtp_starttls == "off"    ? notify::StartTls::kOff
                                                             : notify::StartTls::kAuto;
  options.mail.outbox_dir = c.mail.outbox_dir;
  options.notify.mail_from = c.mail.mail_from;
  options.config = c;
  return options;
}

}  // namespace

void AddServeCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Lancer le serveur HTTP (API, interface web) jusqu'à SIGTERM/SIGINT");
  cmd->add_option("--config", o->config,
                  "Fichier de configuration (défaut : $CADUCE_CONFIG, sinon "
                  "/etc/caduce/caduce.conf s'il existe)");
  cmd->add_option("--listen", o->listen, "Adresse d'écoute ADRESSE:PORT (défaut : 127.0.0.1:8080)");
  cmd->add_option("--web", o->web, "Dossier de l'interface web construite (défaut : web/dist)");
  cmd->add_option("--tls-cert", o->tls_cert, "Certificat TLS (PEM, chaîne complète)");
  cmd->add_option("--tls-key", o->tls_key, "Clé privée TLS (PEM)");
  cmd->callback([o, &run, &app, cmd] {
    Result<app::Config> config = app::LoadConfig(o->config, environ);
    Status st = config.status();
    if (st.ok()) st = ApplyFlags(app, *cmd, *o, run.options(), &*config);
    if (st.ok()) {
      app::AppOptions options = ToAppOptions(*config);
      http::StdioAccessLog log(stderr, config->log_format == "text"
                                           ? http::AccessLogFormat::kText
                                           : http::AccessLogFormat::kJson);
      options.access_log = &log;
      st = app::Serve(options, [](const app::App& a) {
        std::cout << "caduce écoute sur " << a.url() << " (Ctrl-C pour arrêter)" << std::endl;
      });
      if (!st.ok()) {
        std::cerr << "caduce serve : " << st.message() << "\n";
        run.SetExitCode(ExitCodeFor(st) == kExitRefused ? kExitUsage : kExitFailure);
      }
      return;
    }
    // A bad file, variable or flag: a usage error, nothing started.
    std::cerr << "caduce serve : " << st.message() << "\n";
    run.SetExitCode(kExitUsage);
  });
}

}  // namespace caduce::cli
