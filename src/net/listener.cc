// The accept loop, the connection lifecycle and the graceful stop (see listener.h).
#include "net/listener.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "net/connection.h"
#include "net/internal/registry.h"
#include "net/tls.h"

namespace caduce::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// The Asio boundary (STYLE.md convention 5): what escapes a coroutine is a bug,
// logged here; it ends that coroutine only.
void LogStray(std::exception_ptr e, const char* where, uint64_t conn_id) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "caduce net: stray exception in %s (conn %llu): %s\n", where,
                 static_cast<unsigned long long>(conn_id), ex.what());
  } catch (...) {
    std::fprintf(stderr, "caduce net: stray exception in %s (conn %llu)\n", where,
                 static_cast<unsigned long long>(conn_id));
  }
}

// What the per-address cap counts: the IPv4 address (also when mapped into
// IPv6), or the /64 prefix of an IPv6 address.
std::string PeerKey(const asio::ip::address& address) {
  if (address.is_v4()) return address.to_string();
  asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace

// One event loop per thread, each run by that thread alone: a connection's
// handlers never meet another thread's, so the loops share no lock, and a
// request wakes no other thread (with one loop run by several threads, the
// hand-over of ready sockets between them cost more CPU per request than the
// request's own work on loopback).
std::vector<std::unique_ptr<asio::io_context>> MakeLoops(int count) {
  std::vector<std::unique_ptr<asio::io_context>> loops;
  for (int i = 0; i < std::max(1, count); ++i) {
    loops.push_back(std::make_unique<asio::io_context>(1));  // concurrency hint: one thread
  }
  return loops;
}

struct Listener::Impl {
  Impl(const ListenerOptions& o, ConnectionHandler h)
      : options(o),
        handler(std::move(h)),
        accept_loop(1),
        loops(MakeLoops(o.threads)),
        acceptor(accept_loop) {}

  ListenerOptions options;
  ConnectionHandler handler;
  // Before the loops: after a forced stop, an io_context destroys the frames of
  // unfinished sessions, whose TLS streams use this context.
  std::shared_ptr<asio::ssl::context> tls;
  std::shared_ptr<internal::Registry> registry = std::make_shared<internal::Registry>();
  // Accepting has its own loop and thread, so that a connection's handler that
  // takes its time never delays the acceptance of others.
  asio::io_context accept_loop;
  // The connections' loops; each accepted connection goes to the next one in
  // turn and stays on it.
  std::vector<std::unique_ptr<asio::io_context>> loops;
  tcp::acceptor acceptor;  // on accept_loop
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::atomic<uint64_t> next_id{1};
  std::size_t next_loop = 0;  // accept_loop only
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex stop_mu;
  bool stopped = false;  // guarded by stop_mu

  static asio::awaitable<void> AcceptLoop(Impl* self);
  static asio::awaitable<void> Run(Impl* self, std::unique_ptr<Connection> conn);
};

asio::awaitable<void> Listener::Impl::AcceptLoop(Impl* self) {
  for (;;) {
    boost::system::error_code ec;
    asio::io_context& loop = *self->loops[self->next_loop];
    tcp::socket socket =
        co_await self->acceptor.async_accept(loop, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) co_return;
      // EMFILE, ENFILE, ENOBUFS: pause so that a full descriptor table does not
      // turn the loop into a busy spin; the peers wait in the backlog meanwhile.
      std::fprintf(stderr, "caduce net: accept: %s\n", ec.message().c_str());
      asio::steady_timer pause(co_await asio::this_coro::executor, 50ms);
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    tcp::endpoint remote = socket.remote_endpoint(ec);
    if (ec) {
      socket.close(ec);
      continue;
    }
    std::string peer_key = PeerKey(remote.address());
    bool over_total, over_peer;
    {
      // Only the accept loop adds connections: the counts cannot grow before the
      // Connection below registers itself.
      std::lock_guard lock(self->registry->mu);
      over_total = self->registry->connections.size() >= self->options.max_connections;
      auto it = self->registry->per_peer.find(peer_key);
      over_peer = self->options.max_connections_per_ip > 0 &&
                  it != self->registry->per_peer.end() &&
                  it->second >= self->options.max_connections_per_ip;
    }
    if (over_total || over_peer) {
      // Closed at once, without reading: the peer sees the connection end.
      ++self->registry->refused_total;
      if (over_peer) ++self->registry->refused_per_ip;
      socket.set_option(asio::socket_base::linger(true, 0), ec);  // RST, no TIME_WAIT here
      socket.close(ec);
      continue;
    }
    uint64_t id = self->next_id.fetch_add(1);
    self->next_loop = (self->next_loop + 1) % self->loops.size();
    std::unique_ptr<TcpStream> plain;
    std::unique_ptr<TlsStream> secure;
    if (self->tls) {
      secure = std::make_unique<TlsStream>(std::move(socket), *self->tls);
    } else {
      plain = std::make_unique<TcpStream>(std::move(socket));
    }
    auto conn = std::make_unique<Connection>(id, remote.address().to_string(),
                                             std::move(peer_key), std::move(plain),
                                             std::move(secure), self->options.deadlines,
                                             self->registry);
    auto executor = conn->tcp().get_executor();
    asio::co_spawn(executor, Run(self, std::move(conn)),
                   [id](std::exception_ptr e) { LogStray(e, "connection", id); });
  }
}

asio::awaitable<void> Listener::Impl::Run(Impl* self, std::unique_ptr<Connection> conn) {
  boost::system::error_code ec;
  if (conn->is_tls()) {
    // The handshake counts as header time: a peer that opens TLS and stalls is a
    // slow client like any other.
    conn->tcp().expires_after(conn->deadlines().header);
    co_await conn->tls().async_handshake(asio::ssl::stream_base::server,
                                         asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
  co_await self->handler(*conn);
  if (conn->is_tls()) {
    // close_notify (RFC 8446 §6.1); a peer that never answers costs at most 1 s.
    conn->tcp().expires_after(std::min<std::chrono::milliseconds>(conn->deadlines().write, 1s));
    co_await conn->tls().async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  } else {
    // Half-close so that the peer reads the whole last response before EOF
    // (RFC 9112 §9.6).
    conn->tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

Listener::Listener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Listener::~Listener() { Stop(0ms); }

Result<std::unique_ptr<Listener>> Listener::Start(const ListenerOptions& options,
                                                  ConnectionHandler handler) {
  if (options.threads < 1) return InvalidArgumentError("listener needs at least one thread");
  if (options.tls_certificate_file.empty() != options.tls_private_key_file.empty()) {
    return InvalidArgumentError("TLS needs both a certificate file and a private key file");
  }
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  if (!options.tls_certificate_file.empty()) {
    CADUCE_TRY(impl->tls,
               MakeServerTlsContext(options.tls_certificate_file, options.tls_private_key_file));
  }
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(options.address, ec);
  if (ec)
    return InvalidArgumentError("listen address \"" + options.address + "\": " + ec.message());
  tcp::endpoint endpoint(address, options.port);
  const std::string where = options.address + ":" + std::to_string(options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  if (ec) return UnavailableError("cannot listen on " + where + ": " + ec.message());

  impl->work.push_back(asio::make_work_guard(impl->accept_loop));
  for (auto& loop : impl->loops) impl->work.push_back(asio::make_work_guard(*loop));
  asio::co_spawn(impl->acceptor.get_executor(), Impl::AcceptLoop(impl.get()),
                 [](std::exception_ptr e) { LogStray(e, "accept loop", 0); });
  auto run = [](asio::io_context* loop) {
    for (;;) {
      try {
        loop->run();
        return;
      } catch (const std::exception& e) {
        // A handler threw outside any coroutine: log it and keep the thread.
        std::fprintf(stderr, "caduce net: event loop: %s\n", e.what());
      }
    }
  };
  impl->threads.emplace_back(run, &impl->accept_loop);
  for (auto& loop : impl->loops) impl->threads.emplace_back(run, loop.get());
  return std::unique_ptr<Listener>(new Listener(std::move(impl)));
}

uint16_t Listener::port() const { return impl_->port; }
bool Listener::is_tls() const { return impl_->tls != nullptr; }

std::size_t Listener::connection_count() const {
  std::lock_guard lock(impl_->registry->mu);
  return impl_->registry->connections.size();
}

uint64_t Listener::refused_connection_count() const {
  return impl_->registry->refused_total.load();
}

uint64_t Listener::refused_per_ip_count() const { return impl_->registry->refused_per_ip.load(); }

std::size_t Listener::idle_connection_count() const { return impl_->registry->idle.load(); }

void Listener::Stop(std::chrono::milliseconds grace) {
  std::lock_guard stop_lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  Impl* impl = impl_.get();
  asio::post(impl->acceptor.get_executor(), [impl] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
  std::shared_ptr<internal::Registry> registry = impl->registry;
  registry->draining = true;
  // Each abort runs on the connection's loop, where the connection cannot be
  // destroyed under it; the id is looked up again there.
  auto abort_connections = [&registry](bool idle_only) {
    std::lock_guard lock(registry->mu);
    for (auto& [id, conn] : registry->connections) {
      asio::post(conn->tcp().get_executor(), [registry, id = id, idle_only] {
        std::lock_guard inner(registry->mu);
        auto it = registry->connections.find(id);
        if (it != registry->connections.end() && (!idle_only || it->second->idle_)) {
          it->second->Abort();
        }
      });
    }
  };
  auto wait_empty = [&registry](std::chrono::milliseconds limit) {
    std::unique_lock lock(registry->mu);
    return registry->cv.wait_for(lock, limit, [&] { return registry->connections.empty(); });
  };
  abort_connections(/*idle_only=*/true);
  if (!wait_empty(grace)) {
    abort_connections(/*idle_only=*/false);
    if (!wait_empty(5s)) {
      // A handler is still running synchronously; its thread is joined below.
      std::fprintf(stderr, "caduce net: connections still open after the grace period\n");
    }
  }
  impl->work.clear();
  if (!wait_empty(0ms)) {
    impl->accept_loop.stop();
    for (auto& loop : impl->loops) loop->stop();
  }
  for (std::thread& t : impl->threads) {
    if (t.joinable()) t.join();
  }
}

}  // namespace caduce::net
