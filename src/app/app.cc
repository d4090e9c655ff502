// File: app/app.cc
//
// Builds and owns the services behind `caduce serve` (see app.h), in the order
// they depend on each other, and tears them down in reverse: the HTTP server
// stops before the services its handlers use. Exposure: opens the listener.
#include "app/app.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include "api/api.h"
#include "api/jmap/method.h"
#include "app/periodic.h"
#include "jobs/import_jobs.h"
#include "audit/audit_log.h"
#include "auth/access_tokens.h"
#include "auth/password_policy.h"
#include "base/clock.h"
#include "directory/directory_service.h"
#include "directory/reference_data.h"
#include "fetch/remote_image.h"
#include "http/router.h"
#include "http/server.h"
#include "mail/blob_store.h"
#include "mail/mail_service.h"
#include "notify/notify_service.h"
#include "store_sqlite/access_token_repo.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/auth_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "store_sqlite/mail_repo.h"
#include "store_sqlite/notify_repo.h"

namespace caduce::app {

struct App::Impl {
  bool tls = false;
  directory::ReferenceData ref;
  auth::PasswordPolicy policy;
  std::unique_ptr<store_sqlite::SqliteDatabase> db;
  store_sqlite::SqliteDirectoryRepository directory_repo;
  store_sqlite::SqliteAuditRepository audit_repo;
  store_sqlite::SqliteAuthRepository auth_repo;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<directory::DirectoryService> directory;
  std::unique_ptr<auth::SignInService> sign_in;
  store_sqlite::SqliteAccessTokenRepository token_repo;
  std::unique_ptr<auth::AccessTokenService> tokens;
  store_sqlite::SqliteNotifyRepository notify_repo;
  std::unique_ptr<notify::Mailer> mailer;
  std::unique_ptr<notify::NotifyService> notify;  // its worker stops after the server
  // The mail store behind the JMAP API; its blobs live in <database folder>/blobs.
  store_sqlite::SqliteMailRepository mail_repo;
  std::unique_ptr<mail::BlobStore> blobs;
  std::unique_ptr<mail::MailService> mail;
  std::unique_ptr<Periodic> upload_sweep;  // after mail: stopped before it
  std::unique_ptr<fetch::RemoteImageFetcher> images;  // null: remote_images = off
  std::unique_ptr<jobs::ImportJobs> imports;  // after the server: its jobs outlive requests
  std::unique_ptr<http::Server> server;  // last: stopped and destroyed first
  std::string address;

  ~Impl() {
    if (server) server->Stop();
    server.reset();
  }
};

App::App(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
App::~App() = default;

Result<std::unique_ptr<App>> App::Start(const AppOptions& options) {
  auto impl = std::make_unique<Impl>();
  std::string data_dir =
      options.data_dir.empty() ? directory::ReferenceData::DefaultDir() : options.data_dir;
  CADUCE_TRY(impl->ref, directory::ReferenceData::Load(data_dir));
  CADUCE_TRY(impl->policy,
             auth::PasswordPolicy::WithCommonPasswords(data_dir + "/common-passwords.txt"));

  store_sqlite::Options db_options;
  db_options.path = options.db_path;
  db_options.on_checkpoint_error = [](const Status& st) {
    std::fprintf(stderr,
                 "caduce : base de données : la copie du journal dans le fichier a échoué "
                 "(checkpoint), les données validées restent dans le journal : %s\n",
                 st.ToString().c_str());
  };
  CADUCE_TRY(impl->db, store_sqlite::SqliteDatabase::Open(db_options));
  const Clock& clock = SystemClock::Get();
  impl->audit = std::make_unique<audit::AuditLog>(impl->audit_repo, clock);
  impl->directory = std::make_unique<directory::DirectoryService>(*impl->db, impl->directory_repo,
                                                                  *impl->audit, impl->ref, clock);
  impl->sign_in =
      std::make_unique<auth::SignInService>(*impl->db, impl->auth_repo, impl->directory_repo,
                                            *impl->audit, impl->policy, clock, options.auth);
  auth::AccessTokenOptions token_options;
  token_options.throttle = options.auth.throttle;
  impl->tokens = std::make_unique<auth::AccessTokenService>(
      *impl->db, impl->auth_repo, impl->token_repo, impl->directory_repo, *impl->audit, clock,
      token_options);

  impl->tls = !options.listener.tls_certificate_file.empty();
  notify::NotifyOptions notify_options = options.notify;
  notify_options.public_url = options.public_url;
  if (notify_options.public_url.empty()) {
    std::string host = options.listener.address;
    if (host == "127.0.0.1" || host == "0.0.0.0" || host == "::" || host.empty()) {
      host = "localhost";
    } else if (host.find(':') != std::string::npos) {
      host = "[" + host + "]";
    }
    notify_options.public_url = std::string(impl->tls ? "https://" : "http://") + host + ":" +
                                std::to_string(options.listener.port);
  }
  if (!notify_options.log) {
    notify_options.log = [](const std::string& line) {
      std::fprintf(stderr, "caduce : %s\n", line.c_str());
    };
  }
  CADUCE_TRY(impl->mailer, notify::MakeMailer(options.mail));
  CADUCE_TRY(impl->notify, notify::NotifyService::Create(
                               *impl->db, impl->notify_repo, impl->auth_repo, impl->directory_repo,
                               *impl->audit, *impl->sign_in, *impl->mailer, clock, notify_options));
  // The mail store; its uploads expire and unreferenced blob files are removed
  // at start and every upload_sweep_interval.
  std::filesystem::path db_folder = std::filesystem::path(options.db_path).parent_path();
  CADUCE_TRY(impl->blobs, mail::BlobStore::Open(
                              (db_folder.empty() ? std::filesystem::path("blobs")
                                                 : db_folder / "blobs").string()));
  mail::MailOptions mail_options;
  mail_options.max_message_bytes = options.config.mail_max_message_bytes;
  mail_options.max_upload_bytes = options.config.MaxUploadBytes();
  mail_options.local_domains = options.config.local_domains;
  impl->mail = std::make_unique<mail::MailService>(*impl->db, impl->mail_repo, impl->directory_repo,
                                                   *impl->audit, *impl->blobs, clock, mail_options);
  impl->upload_sweep = std::make_unique<Periodic>(
      options.upload_sweep_interval, [store = impl->mail.get(), log = notify_options.log] {
        Result<mail::MailService::UploadSweep> r = store->SweepUploads();
        if (!r.ok()) {
          log("dépôts de fichiers : le nettoyage a échoué : " + r.status().message());
        } else if (r->uploads_expired > 0 || r->files_removed > 0) {
          log("dépôts de fichiers : " + std::to_string(r->uploads_expired) + " expiré(s), " +
              std::to_string(r->files_removed) + " fichier(s) supprimé(s).");
        }
      });
  http::Router router;
  api::ApiOptions api_options;
  api_options.mail = impl->mail.get();
  api_options.secure_cookies = impl->tls;
  api_options.notify = impl->notify.get();
  api_options.tokens = impl->tokens.get();
  if (options.config.remote_images) {
    fetch::RemoteImageOptions image_options;
    image_options.allow_private = options.config.remote_images_allow_private;
    // Half the worker pool at most, so that slow image servers never keep
    // sign-ins and imports waiting for a thread.
    int workers = options.worker_threads > 0
                      ? options.worker_threads
                      : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
    image_options.max_concurrent_fetches = std::max(1, workers / 2);
    impl->images = std::make_unique<fetch::RemoteImageFetcher>(image_options);
    api_options.images = impl->images.get();
  }
  // Import uploads and export files go beside the database (same file system).
  std::string work_dir =
      std::filesystem::path(options.db_path).parent_path().string() + "/work";
  if (work_dir == "/work") work_dir = "work";
  impl->imports = std::make_unique<jobs::ImportJobs>(*impl->directory, work_dir, clock);
  api::AdminServices admin;
  admin.directory = impl->directory.get();
  admin.imports = impl->imports.get();
  admin.work_dir = work_dir;
  CADUCE_RETURN_IF_ERROR(api::AddApiRoutes(router, *impl->sign_in, admin, api_options));

  // The JMAP API (/.well-known/jmap, /jmap/…) over the mail store.
  api::jmap::JmapServices jmap;
  jmap.mail = impl->mail.get();
  jmap.sign_in = impl->sign_in.get();
  jmap.db = impl->db.get();
  jmap.directory = &impl->directory_repo;
  jmap.limits.max_size_upload = options.config.MaxUploadBytes();
  // Mail clients authenticate with a personal access token (never an ORG credential).
  jmap.bearer = [tokens = impl->tokens.get()](std::string_view token, std::string_view ip,
                                              std::string_view user_agent) -> Result<int64_t> {
    CADUCE_TRY(auth::TokenPerson person, tokens->Authenticate(token, ip, user_agent));
    return person.me.person_id;
  };
  CADUCE_RETURN_IF_ERROR(api::jmap::AddJmapRoutes(router, std::move(jmap)));

  http::ServerOptions server_options;
  server_options.listener = options.listener;
  std::error_code ec;
  // Without a built web UI, static paths get a 404 (the API still runs).
  server_options.static_dir =
      std::filesystem::is_directory(options.web_dir, ec) ? options.web_dir : std::string();
  server_options.access_log = options.access_log;
  server_options.worker_threads = options.worker_threads;
  server_options.worker_queue_limit = options.worker_queue_limit;
  server_options.shutdown_grace = options.shutdown_grace;
  CADUCE_TRY(impl->server, http::Server::Start(std::move(server_options), std::move(router)));
  impl->notify->Start();  // resumes the queue left by an earlier run
  impl->address = options.listener.address;
  return std::unique_ptr<App>(new App(std::move(impl)));
}

uint16_t App::port() const { return impl_->server->port(); }

std::string App::url() const {
  std::string host =
      impl_->address.find(':') != std::string::npos ? "[" + impl_->address + "]" : impl_->address;
  return std::string(impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(port()) +
         "/";
}

void App::Stop() {
  if (impl_->server) impl_->server->Stop();
}

Status Serve(const AppOptions& options, const std::function<void(const App&)>& started) {
  // Blocked before the server threads start, so that they inherit the mask and
  // only sigwait below receives the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  Result<std::unique_ptr<App>> app = App::Start(options);
  if (!app.ok()) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return app.status();
  }
  if (started) started(**app);
  int received = 0;
  sigwait(&signals, &received);
  (*app)->Stop();
  app->reset();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return OkStatus();
}

}  // namespace caduce::app
