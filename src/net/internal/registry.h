// File: net/internal/registry.h
//
// The set of open connections a Listener shares with them, so that Stop() can
// find the idle ones to close and wait for the busy ones. Private to net/.
#ifndef CADUCE_NET_INTERNAL_REGISTRY_H_
#define CADUCE_NET_INTERNAL_REGISTRY_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace caduce::net {
class Connection;
namespace internal {

struct Registry {
  std::mutex mu;
  std::condition_variable cv;  // notified when a connection is removed
  std::atomic<bool> draining{false};
  std::map<uint64_t, Connection*> connections;  // guarded by mu
  // Connections waiting for a next request. Not under mu: each connection
  // changes it twice per request, from its own loop's thread.
  std::atomic<std::size_t> idle{0};
  // Open connections per peer key (PeerKey() in listener.cc).
  std::unordered_map<std::string, std::size_t> per_peer;  // guarded by mu
  // Connections closed at accept because of a cap.
  std::atomic<uint64_t> refused_total{0};
  std::atomic<uint64_t> refused_per_ip{0};
};

}  // namespace internal
}  // namespace caduce::net

#endif  // CADUCE_NET_INTERNAL_REGISTRY_H_
