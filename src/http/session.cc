// The HTTP/1.1 session coroutine (see session.h).
//
// Memory of an idle keep-alive connection: the coroutine frames of the listener's
// Run() and of Serve() (the per-request state lives in ServeOne()'s frame, freed
// after each request), the socket and tcp_stream state, and a 512-byte read
// buffer; with TLS, OpenSSL's SSL object, whose record buffers are released
// while idle (SSL_MODE_RELEASE_BUFFERS). ServerTest.IdleKeepAliveConnectionIsSmall
// (tests/http/server_test.cc) measures the heap growth over 64 idle plain-TCP
// connections: about 4.0 KiB each (3.9 to 4.1 KiB over 30 runs, Debug build
// with ASan, 2026-11); kernel socket buffers come on top. The budget is 16 KiB.
#include "http/session.h"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/clock.h"
#include "base/text.h"
#include "http/compression.h"
#include "http/status_map.h"
#include "http/target.h"

namespace caduce::http::internal {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using namespace std::chrono_literals;

// What an idle keep-alive connection reads into while it waits for the next
// request. A request is read on from there into a buffer that grows as needed
// (up to the header cap) and is given back before the next idle wait.
constexpr std::size_t kIdleReadBytes = 512;

// No inline script or style anywhere in the UI, so 'self' is the whole policy.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

enum class After { kKeepAlive, kClose, kLingerClose };

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The media type of a Content-Type without its parameters (RFC 9110 §8.3.1).
bool IsJsonContentType(std::string_view value) {
  return Lower(Trim(value.substr(0, value.find(';')))) == "application/json";
}

bool IsApiPath(const std::string& path) { return path == "/api" || path.rfind("/api/", 0) == 0; }

bool IsSafeHeaderText(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
}

template <class Message>
void FillHeader(Message& m, const Response& r, unsigned version, bool keep_alive, bool tls) {
  m.version(version);
  m.result(static_cast<unsigned>(r.status));
  for (const auto& [name, value] : r.headers) {
    // A handler that copies input into a header must not split the response.
    // insert, not set: a handler may send a field more than once (Set-Cookie,
    // which RFC 6265 §3 forbids folding); SetHeader already keeps others unique.
    if (IsSafeHeaderText(name) && IsSafeHeaderText(value)) m.insert(name, value);
  }
  // A handler may send a stricter policy of its own (the image proxy's
  // "default-src 'none'; sandbox"); every other response gets the UI's.
  if (r.Header("Content-Security-Policy").empty()) {
    m.set("Content-Security-Policy", kContentSecurityPolicy);
  }
  m.set("X-Content-Type-Options", "nosniff");
  m.set("Referrer-Policy", "no-referrer");
  // Only over TLS: browsers ignore it over plain HTTP, where it could be forged
  // (RFC 6797 §7.2).
  if (tls) m.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  m.keep_alive(keep_alive);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The status line and header fields of a response whose content is in memory,
// as FillHeader and Beast's serializer would write them, built in one string:
// Beast's field container allocates every field apart, and its serializer walks
// them piece by piece, which was a tenth of the CPU time of a small API answer.
// The server's own fields replace a handler's fields of the same name, and the
// message framing (Content-Length, Connection) is the server's alone.
std::string HeaderText(const Response& r, unsigned version, bool keep_alive, bool tls,
                       bool with_length, std::size_t length) {
  const bool own_policy = !r.Header("Content-Security-Policy").empty();
  auto server_owned = [&](std::string_view name) {
    return EqualsIgnoreCase(name, "Content-Length") ||
           EqualsIgnoreCase(name, "Transfer-Encoding") || EqualsIgnoreCase(name, "Connection") ||
           EqualsIgnoreCase(name, "X-Content-Type-Options") ||
           EqualsIgnoreCase(name, "Referrer-Policy") ||
           (tls && EqualsIgnoreCase(name, "Strict-Transport-Security"));
  };
  std::string out;
  out.reserve(384 + r.headers.size() * 48);
  out += version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
  out += std::to_string(r.status);
  out += ' ';
  out += bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(r.status)));
  out += "\r\n";
  auto field = [&out](std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  };
  for (const auto& [name, value] : r.headers) {
    // A handler that copies input into a header must not split the response.
    if (!IsSafeHeaderText(name) || !IsSafeHeaderText(value) || name.empty()) continue;
    if (server_owned(name)) continue;
    field(name, value);
  }
  if (!own_policy) field("Content-Security-Policy", kContentSecurityPolicy);
  field("X-Content-Type-Options", "nosniff");
  field("Referrer-Policy", "no-referrer");
  if (tls) field("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  // HTTP/1.1 keeps the connection unless told (RFC 9112 §9.3), HTTP/1.0 closes
  // it unless told.
  if (version >= 11 && !keep_alive) field("Connection", "close");
  if (version < 11 && keep_alive) field("Connection", "keep-alive");
  if (with_length) field("Content-Length", std::to_string(length));
  out += "\r\n";
  return out;
}

template <class Stream, class Message>
asio::awaitable<error_code> Write(Stream& stream, net::Connection& conn, Message& m) {
  conn.tcp().expires_after(conn.deadlines().write);
  error_code ec;
  co_await bhttp::async_write(stream, m, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

struct Sent {
  int status = 0;
  uint64_t bytes = 0;
  error_code ec;
};

template <class Stream>
asio::awaitable<Sent> SendResponse(Stream& stream, net::Connection& conn, Response r,
                                   unsigned version, bool head, bool keep_alive) {
  if (r.status < 100 || r.status > 599) r = Problem(500, "");
  Sent sent;
  if (!r.file_path.empty()) {
    bhttp::file_body::value_type file;
    error_code fec;
    file.open(r.file_path.c_str(), beast::file_mode::scan, fec);
    if (fec) {
      r = Problem(404, "");  // removed between the lookup and the open
    } else {
      sent.status = r.status;
      const uint64_t size = file.size();
      if (head || r.status == 304) {
        bhttp::response<bhttp::empty_body> m;
        FillHeader(m, r, version, keep_alive, conn.is_tls());
        if (r.status != 304) m.content_length(size);
        sent.ec = co_await Write(stream, conn, m);
      } else {
        bhttp::response<bhttp::file_body> m;
        FillHeader(m, r, version, keep_alive, conn.is_tls());
        m.body() = std::move(file);
        m.content_length(size);
        sent.ec = co_await Write(stream, conn, m);
        sent.bytes = size;
      }
      co_return sent;
    }
  }
  sent.status = r.status;
  // 1xx, 204 and 304 have no content (RFC 9110 §6.4.1), HEAD sends none but
  // announces the GET's length (RFC 9110 §9.3.2).
  const bool no_content = r.status < 200 || r.status == 204 || r.status == 304;
  if (head || no_content) {
    bhttp::response<bhttp::empty_body> m;
    FillHeader(m, r, version, keep_alive, conn.is_tls());
    if (!no_content) m.content_length(r.body.size());
    sent.ec = co_await Write(stream, conn, m);
  } else {
    const std::string header =
        HeaderText(r, version, keep_alive, conn.is_tls(), /*with_length=*/true, r.body.size());
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(header), asio::buffer(r.body)};
    conn.tcp().expires_after(conn.deadlines().write);
    co_await asio::async_write(stream, buffers,
                               asio::redirect_error(asio::use_awaitable, sent.ec));
    sent.bytes = r.body.size();
  }
  co_return sent;
}

// The wake-up of a session that streams events: producers post a cancel of
// the timer it waits on to the connection's loop. Shared with the posted
// work, so that a wake-up arriving after the session ended is harmless.
struct EventWaiter {
  explicit EventWaiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool reader_done = false;  // the connection's loop only
};

// Reads (and drops) what the client sends during an event stream, so that
// its leaving is noticed at once and not at the next write.
template <class Stream>
asio::awaitable<void> WatchForLeaving(Stream& stream) {
  std::array<char, 256> sink;
  std::size_t total = 0;
  error_code ec;
  // A client has nothing to send here; one that keeps sending is cut.
  while (total < 64 * 1024) {
    total += co_await stream.async_read_some(asio::buffer(sink),
                                             asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
}

// Sends a Response whose body is an EventStream: the header, then each batch
// of queued events as one chunk (HTTP/1.1) or as raw bytes up to the close
// (HTTP/1.0), a heartbeat comment when idle, until the producer closes, the
// client leaves, a write fails or the server stops.
template <class Stream>
asio::awaitable<Sent> SendEvents(Stream& stream, net::Connection& conn, const ServerCore& core,
                                 Response r, unsigned version, bool head) {
  std::shared_ptr<EventStream> events = std::move(r.events);
  r.status = 200;
  r.body.clear();
  r.file_path.clear();
  r.SetHeader("Content-Type", "text/event-stream; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  Sent sent;
  sent.status = r.status;
  const bool chunked = version >= 11;
  bhttp::response<bhttp::empty_body> m;
  FillHeader(m, r, version, /*keep_alive=*/false, conn.is_tls());
  if (chunked) m.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> serializer(m);
  conn.tcp().expires_after(conn.deadlines().write);
  co_await bhttp::async_write_header(stream, serializer,
                                     asio::redirect_error(asio::use_awaitable, sent.ec));
  if (sent.ec || head) {
    events->Detach();
    co_return sent;
  }

  const asio::any_io_executor executor = conn.tcp().get_executor();
  auto waiter = std::make_shared<EventWaiter>(executor);
  events->Attach([waiter, executor] {
    asio::post(executor, [waiter] { waiter->timer.cancel(); });
  });
  // The read side has no deadline while the stream lasts; each write has its own.
  conn.tcp().expires_never();
  asio::co_spawn(executor, WatchForLeaving(stream), [waiter](std::exception_ptr) {
    waiter->reader_done = true;
    waiter->timer.cancel();
  });

  auto write_bytes = [&](std::string text, bool last) -> asio::awaitable<error_code> {
    error_code ec;
    conn.tcp().expires_after(conn.deadlines().write);
    if (!chunked) {
      if (!text.empty()) {
        co_await asio::async_write(stream, asio::buffer(text),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
    } else {
      if (!text.empty()) {
        co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(text)),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!ec && last) {
        co_await asio::async_write(stream, bhttp::make_chunk_last(),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    sent.bytes += text.size();
    co_return ec;
  };

  auto next_heartbeat = std::chrono::steady_clock::now() + core.event_heartbeat;
  for (;;) {
    bool closed = false;
    std::string batch = events->Take(&closed);
    if (events->gone() || waiter->reader_done) break;  // overflow, or the client left
    if (!batch.empty() || closed) {
      sent.ec = co_await write_bytes(std::move(batch), closed);
      if (sent.ec || closed) break;
      next_heartbeat = std::chrono::steady_clock::now() + core.event_heartbeat;
      continue;
    }
    if (std::chrono::steady_clock::now() >= next_heartbeat) {
      sent.ec = co_await write_bytes(":\n\n", false);
      if (sent.ec) break;
      next_heartbeat = std::chrono::steady_clock::now() + core.event_heartbeat;
      continue;
    }
    // Woken early by a producer (or the reader) through cancel().
    error_code ignored;
    waiter->timer.expires_at(next_heartbeat);
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  events->Detach();
  // Wait for the reader before the connection (and its stream) goes.
  error_code ignored;
  conn.tcp().socket().cancel(ignored);
  while (!waiter->reader_done) {
    waiter->timer.expires_after(1s);
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!waiter->reader_done) conn.Abort();
  }
  co_return sent;
}

Response Invoke(const Route& route, const Request& request, const RouteParams& params) {
  // The Asio boundary for handlers: an exception is a bug, logged, and costs this
  // request a 500, not the server.
  try {
    return route.handler(request, params);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "caduce http: handler %s %s threw: %s\n", route.method.c_str(),
                 route.pattern.c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "caduce http: handler %s %s threw\n", route.method.c_str(),
                 route.pattern.c_str());
  }
  return Problem(500, "Une erreur interne est survenue.");
}

asio::awaitable<Response> InvokeHere(const Route* route, const Request* request,
                                     const RouteParams* params) {
  co_return Invoke(*route, *request, *params);
}

// Runs a blocking route's handler on the worker pool; the caller's coroutine is
// resumed on its own executor (the connection's loop) with the response.
// The request and params stay valid: the caller is suspended until then.
asio::awaitable<Response> InvokeOnWorkers(asio::thread_pool& workers, const Route& route,
                                          const Request& request, const RouteParams& params) {
  co_return co_await asio::co_spawn(workers.get_executor(),
                                    InvokeHere(&route, &request, &params), asio::use_awaitable);
}

bool IsParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// After an error response to a request whose input was not read to its end,
// closing at once would make the kernel answer the unread bytes with a reset,
// and the client could lose the response. Half-close, then read and drop for a
// bounded time and amount (RFC 9112 §9.6).
asio::awaitable<void> Linger(net::Connection& conn) {
  error_code ec;
  conn.tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  conn.tcp().expires_after(std::min<std::chrono::milliseconds>(conn.deadlines().header, 2s));
  std::array<char, 2048> sink;
  std::size_t total = 0;
  while (total < (1u << 20)) {
    std::size_t n = co_await conn.tcp().async_read_some(
        asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    total += n;
  }
}

template <class Stream>
asio::awaitable<After> ServeOne(Stream& stream, net::Connection& conn, const ServerCore& core,
                                beast::flat_buffer& buffer) {
  const auto started = std::chrono::steady_clock::now();
  AccessLogEntry entry;
  entry.time_micros = SystemClock::Get().NowMicros();
  entry.connection_id = conn.id();
  entry.remote_ip = conn.remote_ip();
  auto log = [&](const Sent& sent) {
    if (core.access_log == nullptr) return;
    entry.status = sent.status;
    entry.bytes = sent.bytes;
    entry.duration_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
    core.access_log->WriteEntry(entry);
  };

  error_code ec;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(core.max_header_bytes));
  // The route's cap is applied once the route is known (below).
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  conn.tcp().expires_after(conn.deadlines().header);
  co_await bhttp::async_read_header(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    int status = 0;
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      status = 431;  // RFC 6585 §5
    } else if (IsParseError(ec)) {
      status = 400;
    } else {
      co_return After::kClose;  // timeout, reset, EOF: nobody to answer
    }
    Response r = Problem(status, status == 431 ? "Les en-têtes de la requête dépassent la limite."
                                               : "La requête HTTP est mal formée.");
    Sent sent = co_await SendResponse(stream, conn, std::move(r), 11, false, false);
    log(sent);
    co_return After::kLingerClose;
  }

  auto& header = parser.get();
  Request request;
  request.method = std::string(header.method_string());
  request.target = std::string(header.target());
  request.connection_id = conn.id();
  request.remote_ip = conn.remote_ip();
  request.tls = conn.is_tls();
  for (const auto& field : header) {
    request.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
  }
  entry.method = request.method;
  entry.user_agent = std::string(request.Header("user-agent"));
  const unsigned version = header.version();
  const bool head = header.method() == bhttp::verb::head;
  const bool body_pending = !parser.is_done();
  bool keep_alive = header.keep_alive();
  bool unread_input = false;  // the body was not read: the connection must end

  std::optional<Response> response;
  Result<Target> target = ParseTarget(request.target);
  if (!target.ok()) {
    entry.path = request.target.substr(0, request.target.find('?'));
    response = Problem(400, target.status().message());
  } else {
    request.path = std::move(target->path);
    request.query = std::move(target->query);
    request.segments = std::move(target->segments);
    entry.path = request.path;
    RouteMatch match = core.router.Find(request.method, request.segments);
    if (match.kind == RouteMatch::Kind::kFound) {
      const RouteOptions& options = match.route->options;
      auto length = parser.content_length();  // boost::optional
      if (options.json_body && !IsJsonContentType(request.Header("content-type"))) {
        response = Problem(415, "Le corps de la requête doit être de type application/json.");
      } else if (length && *length > options.max_body_bytes) {
        response = ProblemFromStatus(
            ResourceExhaustedError("Le corps de la requête dépasse la taille autorisée (" +
                                   std::to_string(options.max_body_bytes) + " octets)."),
            ExhaustedAs::kContentTooLarge);
      } else {
        if (body_pending) {
          parser.body_limit(options.max_body_bytes);
          // The client waits for this before it sends a large body (RFC 9110 §10.1.1).
          if (Lower(request.Header("expect")) == "100-continue") {
            bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
            if (co_await Write(stream, conn, cont)) co_return After::kClose;
          }
          conn.tcp().expires_after(conn.deadlines().body);
          co_await bhttp::async_read(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
          if (ec == bhttp::error::body_limit) {
            response = ProblemFromStatus(
                ResourceExhaustedError("Le corps de la requête dépasse la taille autorisée (" +
                                       std::to_string(options.max_body_bytes) + " octets)."),
                ExhaustedAs::kContentTooLarge);
            unread_input = true;
          } else if (IsParseError(ec)) {
            response = Problem(400, "Le corps de la requête est mal formé.");
            unread_input = true;
          } else if (ec) {
            co_return After::kClose;
          }
        }
        if (!response) {
          request.body = std::move(parser.get().body());
          if (options.json_body) {
            if (!text::IsValidUtf8(request.body)) {
              response = Problem(400, "Le corps de la requête n'est pas de l'UTF-8 valide.");
            } else {
              boost::json::error_code jec;
              request.json = boost::json::parse(request.body, jec);
              if (jec) response = Problem(400, "JSON invalide : " + jec.message());
            }
          }
        }
        if (!response && options.blocking && core.workers != nullptr) {
          if (core.worker_load != nullptr && !core.worker_load->TryEnter()) {
            // Refused at once: waiting seconds in the queue helps nobody.
            response = Problem(
                503, "Le serveur est très sollicité en ce moment : réessayez dans une seconde.");
            response->SetHeader("Retry-After", "1");
          } else {
            struct Leave {
              WorkerLoad* load;
              ~Leave() {
                if (load != nullptr) load->Leave();
              }
            } leave{core.worker_load};
            Response r = co_await InvokeOnWorkers(*core.workers, *match.route, request,
                                                  match.params);
            response.emplace(std::move(r));
          }
        }
        if (!response) response = Invoke(*match.route, request, match.params);
      }
    } else if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
      response = Problem(405, "Méthode " + request.method + " non autorisée pour cette ressource.");
      response->SetHeader("Allow", match.allow);
    } else if (core.static_files != nullptr && !IsApiPath(request.path) &&
               (request.method == "GET" || head)) {
      response = core.static_files->Serve(request);
    } else {
      response = Problem(404, "");
    }
  }
  // A body left unread cannot be told apart from the next request.
  if (body_pending && !parser.is_done()) unread_input = true;
  if (response->events != nullptr && response->status == 200) {
    Sent sent = co_await SendEvents(stream, conn, core, std::move(*response), version, head);
    log(sent);
    co_return After::kClose;
  }
  MaybeCompress(*response, request.Header("accept-encoding"));
  if (response->events != nullptr) {
    // Not a success: the status and body are sent as they are, without events.
    response->events->Detach();
    response->events.reset();
  }
  keep_alive = keep_alive && !unread_input && !response->close && !conn.draining();
  Sent sent = co_await SendResponse(stream, conn, std::move(*response), version, head, keep_alive);
  log(sent);
  if (sent.ec) co_return After::kClose;
  if (unread_input) co_return After::kLingerClose;
  co_return keep_alive ? After::kKeepAlive : After::kClose;
}

template <class Stream>
asio::awaitable<void> Serve(Stream& stream, net::Connection& conn, const ServerCore& core) {
  beast::flat_buffer buffer;
  for (;;) {
    error_code ec;
    if (buffer.size() == 0) {
      // Idle between requests: give back what the last request grew the buffer
      // to, and wait for the first byte under the keep-alive deadline.
      if (!conn.EnterIdle()) co_return;
      buffer.shrink_to_fit();
      conn.tcp().expires_after(conn.deadlines().idle);
      std::size_t n = co_await stream.async_read_some(
          buffer.prepare(kIdleReadBytes), asio::redirect_error(asio::use_awaitable, ec));
      conn.LeaveIdle();
      if (ec) co_return;
      buffer.commit(n);
    } else if (conn.draining()) {
      co_return;  // a pipelined request not yet begun is not in flight
    }
    After after = co_await ServeOne(stream, conn, core, buffer);
    if (after == After::kKeepAlive) continue;
    if (after == After::kLingerClose && !conn.is_tls()) co_await Linger(conn);
    co_return;
  }
}

}  // namespace

asio::awaitable<void> ServeHttp(net::Connection& conn, const ServerCore& core) {
  if (conn.is_tls()) {
    co_await Serve(conn.tls(), conn, core);
  } else {
    co_await Serve(conn.tcp(), conn, core);
  }
}

}  // namespace caduce::http::internal
