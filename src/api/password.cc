// File: api/password.cc
//
// The password links, public (no session): « Mot de passe oublié ? » and the two
// pages a mailed link opens (notify/ holds every rule).
//  - POST /api/password/forgot {"address"} → 202, the same body whatever the
//    address (no enumeration: notify writes the same work for both answers and
//    the mail leaves later, from the delivery worker);
//  - GET /api/password/token?token=… → {"purpose":"activation"|"reset","address",
//    "expires_at"} for a usable link, else 404, so that the page greets the person;
//  - POST /api/password/reset and POST /api/activation {"token","password"} → 204,
//    400 when the link is unknown, used, expired or for the other page, 422 with
//    the policy's French message for a refused password, 403 for a disabled
//    account.
// And, for a signed-in person, POST /api/me/password {"current","new"} (CSRF
// checked like every state-changing route with a session; see ChangePassword).
// The link routes take no CSRF token: there is no session to ride, and a JSON
// body cannot come from a cross-site form without a CORS preflight, which caduce
// never grants.
// Exposure: reads unauthenticated input carrying passwords and link tokens; the
// token travels in the query of one GET, which the access log leaves out.
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/api.h"
#include "api/internal.h"
#include "http/status_map.h"
#include "http/target.h"
#include "notify/notify_service.h"

namespace caduce::api {
namespace {

constexpr std::string_view kForgotAnswer =
    "Si cette adresse correspond à un compte, un courriel contenant un lien pour choisir un "
    "nouveau mot de passe vient de lui être envoyé. Le lien est valable peu de temps : pensez à "
    "vérifier vos courriels indésirables.";

const boost::json::string* StringMember(const boost::json::value& body, std::string_view key) {
  const boost::json::object* o = body.if_object();
  const boost::json::value* v = o ? o->if_contains(key) : nullptr;
  return v == nullptr ? nullptr : v->if_string();
}

// The decoded value of `name` in a query string, or "".
std::string QueryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name || eq == std::string_view::npos) continue;
    std::string out;
    return http::PercentDecode(pair.substr(eq + 1), &out) ? out : std::string();
  }
  return "";
}

http::Response Forgot(notify::NotifyService& notify, const http::Request& request) {
  const boost::json::string* address = StringMember(request.json, "address");
  if (address == nullptr || address->empty() || address->size() > 254) {
    return internal::Refusal(InvalidArgumentError(
        "Le corps doit être un objet JSON {\"address\": …} : indiquez votre adresse de "
        "messagerie."));
  }
  Status st = notify.RequestReset(*address, request.remote_ip, internal::UserAgent(request));
  if (!st.ok()) return internal::Refusal(st);
  http::Response r = http::Response::Json(202, boost::json::object{{"message", kForgotAnswer}});
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response SetPassword(notify::NotifyService& notify, auth::TokenPurpose purpose,
                           const http::Request& request) {
  const boost::json::string* token = StringMember(request.json, "token");
  const boost::json::string* password = StringMember(request.json, "password");
  if (token == nullptr || password == nullptr) {
    return internal::Refusal(InvalidArgumentError(
        "Le corps doit être un objet JSON {\"token\": …, \"password\": …} (deux textes)."));
  }
  Status st = notify.SetPasswordWithLink(purpose, *token, *password, request.remote_ip,
                                         internal::UserAgent(request));
  http::Response r;
  if (st.ok()) {
    r.status = 204;
  } else if (st.code() == Code::kFailedPrecondition) {
    r = http::Problem(400, st.message());  // the link, not the password
  } else if (st.code() == Code::kInvalidArgument) {
    r = http::Problem(422, st.message());  // the password policy's sentence
  } else {
    r = http::ProblemFromStatus(st);
  }
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response InspectToken(notify::NotifyService& notify, const http::Request& request) {
  Result<notify::LinkInfo> info = notify.InspectLink(QueryValue(request.query, "token"));
  if (!info.ok()) return internal::Refusal(info.status());
  boost::json::object out{
      {"purpose", info->purpose == auth::TokenPurpose::kActivate ? "activation" : "reset"},
      {"address", info->address},
      {"expires_at", FormatRfc3339(info->expires_at)}};
  http::Response r = http::Response::Json(200, out);
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::vector<http::Route> PasswordRoutes(notify::NotifyService& notify, const ApiOptions&) {
  http::RouteOptions json;
  json.json_body = true;
  json.max_body_bytes = 16 * 1024;
  // argon2id runs in these two: on the worker pool, never on the I/O threads.
  http::RouteOptions hashing = json;
  hashing.blocking = true;

  std::vector<http::Route> routes;
  auto add = [&](std::string method, std::string pattern, http::Handler h,
                 http::RouteOptions o) {
    http::Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.handler = std::move(h);
    r.options = o;
    routes.push_back(std::move(r));
  };
  // A committed write (the request is counted): on the worker pool too.
  http::RouteOptions forgot = json;
  forgot.blocking = true;
  add("POST", "/api/password/forgot",
      [&notify](const http::Request& q, const http::RouteParams&) { return Forgot(notify, q); },
      forgot);
  add("GET", "/api/password/token",
      [&notify](const http::Request& q, const http::RouteParams&) {
        return InspectToken(notify, q);
      },
      http::RouteOptions{});
  add("POST", "/api/password/reset",
      [&notify](const http::Request& q, const http::RouteParams&) {
        return SetPassword(notify, auth::TokenPurpose::kReset, q);
      },
      hashing);
  add("POST", "/api/activation",
      [&notify](const http::Request& q, const http::RouteParams&) {
        return SetPassword(notify, auth::TokenPurpose::kActivate, q);
      },
      hashing);
  return routes;
}

namespace internal {
namespace {

// POST /api/me/password {"current","new"}: the signed-in person changes its
// password (auth::SignInService::ChangePassword holds every rule). 204; 400 for a
// malformed body; 401 without a session (a bearer token is no session); 403 for
// a wrong current password; 422 with the policy's French sentence; 429 with
// Retry-After when throttled or locked; 409 when the password changed meanwhile.
http::Response ChangePassword(auth::SignInService& sign_in, const http::Request& request) {
  std::string token = SessionToken(request);
  if (token.empty()) return Refusal(UnauthenticatedError("Vous n'êtes pas connecté."));
  const boost::json::string* current = StringMember(request.json, "current");
  const boost::json::string* fresh = StringMember(request.json, "new");
  if (current == nullptr || fresh == nullptr) {
    return Refusal(InvalidArgumentError(
        "Le corps doit être un objet JSON {\"current\": …, \"new\": …} : le mot de passe "
        "actuel et le nouveau (deux textes)."));
  }
  int64_t retry_after = 0;
  Status st = sign_in.ChangePassword(token, *current, *fresh, request.remote_ip,
                                     UserAgent(request), &retry_after);
  http::Response r;
  if (st.ok()) {
    r.status = 204;
  } else if (st.code() == Code::kInvalidArgument) {
    r = http::Problem(422, st.message());  // the password policy's sentence
  } else if (st.code() == Code::kUnavailable || st.code() == Code::kResourceExhausted) {
    r = http::Problem(429, st.message());
    r.SetHeader("Retry-After", std::to_string(retry_after > 0 ? retry_after : 1));
  } else if (st.code() == Code::kAborted) {
    r = http::Problem(409, st.message());
  } else {
    r = http::ProblemFromStatus(st);
  }
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::vector<http::Route> PasswordChangeRoutes(auth::SignInService& sign_in) {
  http::Route r;
  r.method = "POST";
  r.pattern = "/api/me/password";
  r.handler = [&sign_in](const http::Request& q, const http::RouteParams&) {
    return ChangePassword(sign_in, q);
  };
  r.options.json_body = true;
  r.options.max_body_bytes = 16 * 1024;
  r.options.blocking = true;  // argon2id twice: on the worker pool, never the I/O threads
  std::vector<http::Route> routes;
  routes.push_back(std::move(r));
  return routes;
}

}  // namespace internal

bool IsPublicPasswordRoute(std::string_view method, std::string_view pattern) {
  return method == "POST" && (pattern == "/api/password/forgot" ||
                              pattern == "/api/password/reset" || pattern == "/api/activation");
}

}  // namespace caduce::api
