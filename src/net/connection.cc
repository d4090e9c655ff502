// One accepted connection (see connection.h).
#include "net/connection.h"

#include <utility>

#include "net/internal/registry.h"

namespace caduce::net {

Connection::Connection(uint64_t id, std::string remote_ip, std::string peer_key,
                       std::unique_ptr<TcpStream> tcp, std::unique_ptr<TlsStream> tls,
                       const Deadlines& deadlines, std::shared_ptr<internal::Registry> registry)
    : id_(id),
      remote_ip_(std::move(remote_ip)),
      peer_key_(std::move(peer_key)),
      tcp_(std::move(tcp)),
      tls_(std::move(tls)),
      deadlines_(deadlines),
      registry_(std::move(registry)) {
  std::lock_guard lock(registry_->mu);
  registry_->connections.emplace(id_, this);
  ++registry_->per_peer[peer_key_];
}

Connection::~Connection() {
  if (idle_) --registry_->idle;
  {
    std::lock_guard lock(registry_->mu);
    registry_->connections.erase(id_);
    auto it = registry_->per_peer.find(peer_key_);
    if (it != registry_->per_peer.end() && --it->second == 0) registry_->per_peer.erase(it);
  }
  registry_->cv.notify_all();
}

TcpStream& Connection::tcp() { return tls_ ? boost::beast::get_lowest_layer(*tls_) : *tcp_; }

// Without the registry's lock: Listener::Stop() sets `draining` before it posts
// the aborts of idle connections to their loops, so an EnterIdle() that runs on
// the loop after that abort sees `draining`, and one that runs before it has set
// idle_ for the abort to see.
bool Connection::EnterIdle() {
  if (registry_->draining) return false;
  if (!idle_) {
    idle_ = true;
    ++registry_->idle;
  }
  return true;
}

void Connection::LeaveIdle() {
  if (idle_) {
    idle_ = false;
    --registry_->idle;
  }
}

bool Connection::draining() const { return registry_->draining; }

void Connection::Abort() {
  boost::system::error_code ignored;
  tcp().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  tcp().cancel();
}

}  // namespace caduce::net
