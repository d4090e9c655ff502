// File: api/jmap/push.cc
//
// Push over EventSource (RFC 8620 §7.3): GET /jmap/eventsource?types=…&
// closeafter=state|no&ping=N streams `state` events carrying a StateChange
// (§7.1) with the Email, Mailbox and Thread states of each account the person
// may open whenever one changes, and `ping` events every N seconds. In the
// database-driven spirit of DESIGN.md no state lives only in this process: one
// shared thread reads the accounts' states from the database every
// push_poll_ms (a cheap read per account) and sends what changed, so that a
// delivery made by another process is pushed too. The rights are read again at
// every poll: a revoked account drops out of the stream. Exposure: long-lived
// connections of authenticated persons; capped per person.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/admin.h"
#include "api/jmap/internal.h"
#include "api/jmap/method.h"
#include "http/status_map.h"

namespace caduce::api::jmap::internal {

namespace json = boost::json;
namespace pj = proto::jmap;
using SteadyClock = std::chrono::steady_clock;

constexpr size_t kMaxStreamsPerPerson = 10;
constexpr const char* kPushTypes[] = {"Email", "Mailbox", "Thread"};

class Pusher {
 public:
  struct Stream {
    std::shared_ptr<http::EventStream> events;
    JmapCaller caller;
    std::string ip;
    std::set<std::string> types;  // of kPushTypes
    bool close_after_state = false;
    std::chrono::seconds ping{0};
    SteadyClock::time_point next_ping;
    std::map<int64_t, int64_t> sent;  // account → state last sent
  };

  explicit Pusher(JmapContext* ctx) : ctx_(ctx) {}
  ~Pusher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    for (auto& s : streams_) s->events->Close();
  }

  // False when the person already has kMaxStreamsPerPerson streams.
  bool Add(std::shared_ptr<Stream> s) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t mine = 0;
    for (auto& x : streams_) mine += x->caller.person_id == s->caller.person_id ? 1 : 0;
    if (mine >= kMaxStreamsPerPerson) return false;
    streams_.push_back(std::move(s));
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
    cv_.notify_all();
    return true;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      std::vector<std::shared_ptr<Stream>> streams = streams_;
      lock.unlock();
      std::vector<Stream*> done;
      std::map<int64_t, int64_t> states;  // read once per account per round
      for (auto& s : streams) {
        if (!Poll(*s, states)) done.push_back(s.get());
      }
      lock.lock();
      if (!done.empty()) {
        std::erase_if(streams_, [&](const std::shared_ptr<Stream>& s) {
          for (Stream* d : done) {
            if (d == s.get()) return true;
          }
          return false;
        });
      }
      cv_.wait_for(lock, std::chrono::milliseconds(ctx_->services.push_poll_ms),
                   [this] { return stop_; });
    }
  }

  // Sends what changed for one stream; false when the stream is over.
  bool Poll(Stream& s, std::map<int64_t, int64_t>& states) {
    if (s.events->gone()) return false;
    Result<std::vector<JmapAccount>> accounts = AccountsOf(*ctx_, s.caller.person_id);
    if (!accounts.ok()) {
      // The person can no longer sign in (disabled): the stream ends.
      if (accounts.status().code() == Code::kUnauthenticated) {
        s.events->Close();
        return false;
      }
      return true;
    }
    json::object changed;
    std::map<int64_t, int64_t> now;
    for (const JmapAccount& a : *accounts) {
      auto cached = states.find(a.id);
      int64_t state = 0;
      if (cached != states.end()) {
        state = cached->second;
      } else {
        mail::MailActor actor{s.caller.person_id, s.caller.address, s.ip};
        Result<int64_t> st = ctx_->services.mail->State(actor, a.id);
        if (!st.ok()) continue;
        state = *st;
        states[a.id] = state;
      }
      now[a.id] = state;
      auto sent = s.sent.find(a.id);
      if (sent != s.sent.end() && sent->second == state) continue;
      json::object types;
      for (const std::string& t : s.types) types[t] = pj::EncodeState(state);
      if (!types.empty()) changed[pj::EncodeId(pj::kAccountKind, a.id)] = std::move(types);
    }
    s.sent = std::move(now);
    if (!changed.empty()) {
      json::object event{{"@type", "StateChange"}, {"changed", std::move(changed)}};
      if (!s.events->Send("state", json::serialize(event))) return false;
      if (s.close_after_state) {
        s.events->Close();
        return false;
      }
    }
    if (s.ping.count() > 0 && SteadyClock::now() >= s.next_ping) {
      s.next_ping = SteadyClock::now() + s.ping;
      json::object ping{{"@type", "Ping"}, {"interval", s.ping.count()}};
      if (!s.events->Send("ping", json::serialize(ping))) return false;
    }
    return true;
  }

  JmapContext* ctx_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                              // guarded by mu_
  std::vector<std::shared_ptr<Stream>> streams_;  // guarded by mu_
  std::thread thread_;
};

namespace {

std::mutex& PusherMutex() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}

}  // namespace

http::Response HandleEventSource(const std::shared_ptr<JmapContext>& ctx,
                                 const http::Request& request) {
  Result<JmapCaller> caller = Authenticate(*ctx, request);
  if (!caller.ok()) return AuthRefusal(caller.status());
  auto stream = std::make_shared<Pusher::Stream>();
  stream->caller = *caller;
  stream->ip = request.remote_ip;

  auto bad = [](std::string detail) {
    http::Response r = http::Problem(400, detail);
    r.SetHeader("Cache-Control", "no-store");
    return r;
  };
  auto types = api::internal::QueryParam(request, "types");
  auto closeafter = api::internal::QueryParam(request, "closeafter");
  auto ping = api::internal::QueryParam(request, "ping");
  if (!types.ok() || !closeafter.ok() || !ping.ok()) {
    return bad("Paramètres de l'URL mal encodés : voir eventSourceUrl dans la session.");
  }
  std::string t = types->value_or("*");
  if (t == "*" || t.empty()) {
    for (const char* k : kPushTypes) stream->types.insert(k);
  } else {
    size_t start = 0;
    while (start <= t.size()) {
      size_t comma = t.find(',', start);
      std::string one = t.substr(start, comma == std::string::npos ? std::string::npos
                                                                   : comma - start);
      for (const char* k : kPushTypes) {
        if (one == k) stream->types.insert(k);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  std::string c = closeafter->value_or("no");
  if (c != "state" && c != "no") {
    return bad("closeafter doit valoir « state » ou « no » (RFC 8620 §7.3).");
  }
  stream->close_after_state = c == "state";
  std::string p = ping->value_or("0");
  int64_t seconds = 0;
  if (p.empty() || p.size() > 6 || p.find_first_not_of("0123456789") != std::string::npos) {
    return bad("ping doit être un nombre entier de secondes (0 : pas de ping).");
  }
  seconds = std::stoll(p);
  if (seconds > 3600) seconds = 3600;
  stream->ping = std::chrono::seconds(seconds);
  stream->next_ping = SteadyClock::now() + stream->ping;
  stream->events = std::make_shared<http::EventStream>();

  {
    std::lock_guard<std::mutex> lock(PusherMutex());
    if (!ctx->pusher) ctx->pusher = std::make_shared<Pusher>(ctx.get());
  }
  if (!ctx->pusher->Add(stream)) {
    http::Response r = http::Problem(
        429, "Trop de flux d'événements ouverts pour vous : fermez d'anciens onglets ou clients.");
    r.SetHeader("Cache-Control", "no-store");
    return r;
  }
  http::Response r;
  r.events = stream->events;
  return r;
}

}  // namespace caduce::api::jmap::internal
