// File: app/app.h
//
// The composition root of `caduce serve`: opens the store, loads the reference
// data and the password policy, builds DirectoryService and SignInService, the
// Router with the /api routes (api/), /healthz and the static web UI (none when
// the web directory does not exist: static paths then get a 404), and starts
// http::Server. Serve() runs it until SIGTERM or SIGINT, then stops gracefully.
// Exposure: opens the network listener; holds every service a request reaches.
#ifndef CADUCE_APP_APP_H_
#define CADUCE_APP_APP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "app/config.h"
#include "auth/sign_in.h"
#include "base/status.h"
#include "http/access_log.h"
#include "net/options.h"
#include "notify/mailer.h"
#include "notify/notify_service.h"

namespace caduce::app {

struct AppOptions {
  std::string db_path = "var/caduce.db";
  std::string data_dir;  // "" → ReferenceData::DefaultDir()
  std::string web_dir = "web/dist";
  net::ListenerOptions listener;
  auth::AuthOptions auth;
  // One line per request; null logs nothing. Must outlive the App.
  http::AccessLogSink* access_log = nullptr;
  // Threads of the worker pool for blocking routes (0: one per core, at least
  // 2), and how long a graceful stop lets requests in flight finish.
  int worker_threads = 0;
  // Requests of slow routes waiting for a worker beyond those running; more are
  // answered 503 with Retry-After (http::ServerOptions::worker_queue_limit).
  int worker_queue_limit = 32;
  std::chrono::milliseconds shutdown_grace{10'000};
  // How often the mail store forgets expired uploads and removes the blob files
  // nothing references any more (also once at start).
  std::chrono::milliseconds upload_sweep_interval{10 * 60 * 1000};
  // The whole configuration `caduce serve` read (app/config.h), for the parts
  // wired from it (the mail relay, public_url); the fields above are set from
  // it too.
  Config config;
  // The activation and reset mails: the relay (none: the outbox folder) and the
  // queue's settings (notify.public_url is replaced by public_url below).
  notify::MailerOptions mail;
  notify::NotifyOptions notify;
  // The web UI's address in the mailed links; "" for this server's own URL.
  std::string public_url;
};

class App {
 public:
  // kUnavailable / kFailedPrecondition (store), kNotFound (reference data or
  // password list), kInvalidArgument (address, TLS files), kUnavailable (port).
  static Result<std::unique_ptr<App>> Start(const AppOptions& options);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:8080/" (https under TLS; IPv6 in brackets).
  std::string url() const;
  // Graceful stop of the HTTP server (idempotent).
  void Stop();

 private:
  struct Impl;
  explicit App(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Blocks SIGTERM and SIGINT, starts the App, calls `started` (to print the URL),
// waits for one of those signals, then stops gracefully.
Status Serve(const AppOptions& options, const std::function<void(const App&)>& started);

}  // namespace caduce::app

#endif  // CADUCE_APP_APP_H_
