// `caduce serve`: runs the HTTP server (for now the sign-in API, /healthz and the
// static web UI) until SIGTERM or SIGINT. It uses the global --db and --data
// options; the services are built by app/, not by the command's Context.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "app/app.h"
#include "cli/runner.h"
#include "http/access_log.h"

namespace caduce::cli {
namespace {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::string web = "web/dist";
  std::string tls_cert;
  std::string tls_key;
};

// "127.0.0.1:8080", "[::1]:8080" → address and port.
Status ParseListen(const std::string& text, std::string* address, uint16_t* port) {
  size_t colon = text.rfind(':');
  Status bad = InvalidArgumentError(fmt::format(
      "--listen « {} » : écrivez ADRESSE:PORT, par exemple 127.0.0.1:8080 ou [::1]:8080.", text));
  if (colon == std::string::npos || colon == 0) return bad;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string digits = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return bad;
  }
  unsigned long value = std::stoul(digits);
  if (value > 65535) return bad;
  *address = host;
  *port = static_cast<uint16_t>(value);
  return OkStatus();
}

}  // namespace

void AddServeCommand(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Lancer le serveur HTTP (API de connexion, interface web) jusqu'à SIGTERM/SIGINT");
  cmd->add_option("--listen", o->listen, "Adresse d'écoute ADRESSE:PORT (défaut : 127.0.0.1:8080)");
  cmd->add_option("--web", o->web, "Dossier de l'interface web construite (défaut : web/dist)");
  auto* cert = cmd->add_option("--tls-cert", o->tls_cert, "Certificat TLS (PEM, chaîne complète)");
  auto* key = cmd->add_option("--tls-key", o->tls_key, "Clé privée TLS (PEM)");
  cert->needs(key);
  key->needs(cert);
  cmd->callback([o, &run] {
    const GlobalOptions& g = run.options();
    app::AppOptions options;
    options.db_path = g.db_path;
    options.data_dir = g.data_dir;
    options.web_dir = o->web;
    options.listener.tls_certificate_file = o->tls_cert;
    options.listener.tls_private_key_file = o->tls_key;
    Status st = ParseListen(o->listen, &options.listener.address, &options.listener.port);
    http::StdioAccessLog log(stderr);
    options.access_log = &log;
    if (st.ok()) {
      st = app::Serve(options, [](const app::App& a) {
        std::cout << "caduce écoute sur " << a.url() << " (Ctrl-C pour arrêter)" << std::endl;
      });
    }
    if (!st.ok()) {
      std::cerr << "caduce serve : " << st.message() << "\n";
      run.SetExitCode(ExitCodeFor(st) == kExitRefused ? kExitUsage : kExitFailure);
    }
  });
}

}  // namespace caduce::cli
