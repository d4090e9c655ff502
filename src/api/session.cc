// File: api/session.cc
//
// POST /api/session signs in with {"address","password"}: 200 with the person,
// the mailbox it lands in and the CSRF token, and the two cookies (see api.h).
// Refusals go through http's status table with auth's French message: an ORG or
// APP address → 400, unknown address or wrong password → 401 with one body, a
// pending account → 409, a disabled or expired one → 403; too many failures → 429
// with Retry-After (a lock, and also the progressive delay, which auth reports
// as kUnavailable but which is "too many requests" on the wire). DELETE
// /api/session signs out and clears both cookies. Exposure: reads passwords from
// unauthenticated requests; never logs them nor the tokens.
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/api.h"
#include "api/internal.h"
#include "http/status_map.h"

namespace caduce::api {
namespace {

constexpr std::string_view kBodyMessage =
    "Le corps doit être un objet JSON {\"address\": …, \"password\": …} (deux textes).";

// The string member `key` of `o`, or nullptr.
const boost::json::string* StringMember(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v == nullptr ? nullptr : v->if_string();
}

http::Response SignIn(auth::SignInService& service, const ApiOptions& options,
                      const http::Request& request) {
  const boost::json::object* body = request.json.if_object();
  const boost::json::string* address = body ? StringMember(*body, "address") : nullptr;
  const boost::json::string* password = body ? StringMember(*body, "password") : nullptr;
  if (address == nullptr || password == nullptr) {
    return internal::Refusal(InvalidArgumentError(std::string(kBodyMessage)));
  }
  int64_t retry_after = 0;
  Result<auth::Session> session = service.SignIn(*address, *password, request.remote_ip,
                                                 internal::UserAgent(request), &retry_after);
  if (!session.ok()) {
    const Status& st = session.status();
    http::Response r;
    if (st.code() == Code::kUnavailable || st.code() == Code::kResourceExhausted) {
      r = http::Problem(429, st.message());
      r.SetHeader("Cache-Control", "no-store");
      r.SetHeader("Retry-After", std::to_string(retry_after > 0 ? retry_after : 1));
    } else {
      r = internal::Refusal(st);
    }
    return r;
  }
  Result<auth::MeView> me = service.Me(session->token);
  if (!me.ok()) return internal::Refusal(me.status());
  std::string csrf = CsrfTokenFor(session->token);
  boost::json::object out;
  out["person"] = internal::PersonJson(*me);
  out["mailbox"] = nullptr;
  for (const auth::MailboxChoice& m : me->mailboxes) {
    if (m.id == me->current_mailbox_id) out["mailbox"] = internal::MailboxJson(m, m.id);
  }
  out["csrf_token"] = csrf;
  http::Response r = http::Response::Json(200, out);
  r.SetHeader("Cache-Control", "no-store");
  r.headers.emplace_back("Set-Cookie",
                         internal::SetCookie(kSessionCookie, session->token, true, options));
  r.headers.emplace_back("Set-Cookie", internal::SetCookie(kCsrfCookie, csrf, false, options));
  return r;
}

http::Response SignOut(auth::SignInService& service, const ApiOptions& options,
                       const http::Request& request) {
  std::string token = internal::SessionToken(request);
  if (!token.empty()) {
    Status st = service.SignOut(token, request.remote_ip, internal::UserAgent(request));
    if (!st.ok()) return internal::Refusal(st);
  }
  http::Response r;
  r.status = 204;
  r.SetHeader("Cache-Control", "no-store");
  r.headers.emplace_back("Set-Cookie", internal::SetCookie(kSessionCookie, "", true, options));
  r.headers.emplace_back("Set-Cookie", internal::SetCookie(kCsrfCookie, "", false, options));
  return r;
}

}  // namespace

std::vector<http::Route> SessionRoutes(auth::SignInService& sign_in, const ApiOptions& options) {
  std::vector<http::Route> routes(2);
  routes[0].method = "POST";
  routes[0].pattern = "/api/session";
  routes[0].handler = [&sign_in, options](const http::Request& r, const http::RouteParams&) {
    return SignIn(sign_in, options, r);
  };
  routes[0].options.max_body_bytes = 4096;
  routes[0].options.json_body = true;
  // argon2id (64 MiB, 3 passes) runs on the worker pool, off the event loop.
  routes[0].options.blocking = true;
  routes[1].method = "DELETE";
  routes[1].pattern = "/api/session";
  routes[1].handler = [&sign_in, options](const http::Request& r, const http::RouteParams&) {
    return SignOut(sign_in, options, r);
  };
  routes[1].options.max_body_bytes = 0;
  return routes;
}

}  // namespace caduce::api
