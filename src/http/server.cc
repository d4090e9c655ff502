// Server assembly: router, static files, listener (see server.h).
#include "http/server.h"

#include <algorithm>
#include <boost/asio/thread_pool.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "http/session.h"
#include "net/listener.h"

namespace caduce::http {

struct Server::Impl {
  ServerOptions options;
  std::optional<StaticFiles> static_files;
  internal::ServerCore core;
  std::unique_ptr<net::Listener> listener;  // destroyed (stopped) before core
  // Destroyed first, after Stop(): a handler still running is joined while the
  // listener's io_context, where its completion goes, still exists.
  std::unique_ptr<boost::asio::thread_pool> workers;
  std::unique_ptr<internal::WorkerLoad> worker_load;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options, Router router) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  if (!impl->options.static_dir.empty()) {
    CADUCE_TRY(StaticFiles files, StaticFiles::Open(impl->options.static_dir));
    impl->static_files.emplace(std::move(files));
    impl->core.static_files = &*impl->static_files;
  }
  if (!router.Has("GET", "/healthz")) {
    // Liveness for load balancers and systemd: the event loop answers.
    CADUCE_RETURN_IF_ERROR(router.Add("GET", "/healthz", [](const Request&, const RouteParams&) {
      Response r = Response::Text(200, "ok");
      r.SetHeader("Cache-Control", "no-store");
      return r;
    }));
  }
  impl->core.router = std::move(router);
  impl->core.max_header_bytes = impl->options.max_header_bytes;
  impl->core.access_log = impl->options.access_log;
  int workers = impl->options.worker_threads;
  if (workers <= 0) workers = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  impl->workers = std::make_unique<boost::asio::thread_pool>(workers);
  impl->core.workers = impl->workers.get();
  int queue = std::max(0, impl->options.worker_queue_limit);
  impl->worker_load =
      std::make_unique<internal::WorkerLoad>(queue == 0 ? 0 : int64_t{workers} + queue);
  impl->core.worker_load = impl->worker_load.get();
  impl->core.event_heartbeat = impl->options.event_heartbeat;
  const internal::ServerCore* core = &impl->core;
  CADUCE_TRY(impl->listener,
             net::Listener::Start(impl->options.listener, [core](net::Connection& conn) {
               return internal::ServeHttp(conn, *core);
             }));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return impl_->listener->port(); }

void Server::Stop() { impl_->listener->Stop(impl_->options.shutdown_grace); }

std::size_t Server::connection_count() const { return impl_->listener->connection_count(); }

uint64_t Server::refused_connection_count() const {
  return impl_->listener->refused_connection_count();
}

uint64_t Server::refused_per_ip_count() const { return impl_->listener->refused_per_ip_count(); }

uint64_t Server::refused_busy_count() const { return impl_->worker_load->refused(); }

std::size_t Server::idle_connection_count() const {
  return impl_->listener->idle_connection_count();
}

}  // namespace caduce::http
