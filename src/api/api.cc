// File: api/api.cc
//
// Registers the /api routes, wraps the state-changing ones in the CSRF check,
// and holds the helpers the handlers share (cookies, CSRF derivation, JSON forms
// of the person and its mailboxes). Exposure: reads cookies and headers of
// unauthenticated requests; compares CSRF tokens in constant time.
#include "api/api.h"

#include <sodium.h>

#include <array>
#include <boost/json/object.hpp>
#include <string>
#include <utility>

#include "api/admin.h"
#include "api/internal.h"
#include "directory/fields.h"
#include "http/status_map.h"

namespace caduce::api {
namespace {

constexpr std::string_view kCsrfMessage = "caduce csrf v1";

bool IsStateChanging(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// True when the X-CSRF-Token header equals the CSRF token of the session cookie.
bool CsrfMatches(const http::Request& request) {
  std::string expected = CsrfTokenFor(internal::SessionToken(request));
  std::string_view given = request.Header(kCsrfHeader);
  if (expected.empty() || given.size() != expected.size()) return false;
  return sodium_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

http::Handler WithCsrf(http::Handler handler) {
  return [handler = std::move(handler)](const http::Request& request,
                                        const http::RouteParams& params) -> http::Response {
    if (!CsrfMatches(request)) {
      http::Response r = http::Problem(
          403, "Jeton anti-falsification (X-CSRF-Token) absent ou invalide : rechargez la page.");
      r.SetHeader("Cache-Control", "no-store");
      return r;
    }
    return handler(request, params);
  };
}

}  // namespace

Status AddApiRoutes(http::Router& router, auth::SignInService& sign_in, ApiOptions options) {
  std::vector<http::Route> routes = SessionRoutes(sign_in, options);
  for (http::Route& r : MeRoutes(sign_in, options)) routes.push_back(std::move(r));
  for (http::Route& r : internal::PasswordChangeRoutes(sign_in)) routes.push_back(std::move(r));
  for (http::Route& r : ImageProxyRoutes(sign_in, options)) routes.push_back(std::move(r));
  if (options.notify != nullptr) {
    for (http::Route& r : PasswordRoutes(*options.notify, options)) routes.push_back(std::move(r));
  }
  for (http::Route& route : routes) {
    bool exempt = (route.method == "POST" && route.pattern == "/api/session") ||
                  IsPublicPasswordRoute(route.method, route.pattern);
    http::Handler h = IsStateChanging(route.method) && !exempt ? WithCsrf(std::move(route.handler))
                                                               : std::move(route.handler);
    CADUCE_RETURN_IF_ERROR(router.Add(route.method, route.pattern, std::move(h), route.options));
  }
  return OkStatus();
}

Status AddApiRoutes(http::Router& router, auth::SignInService& sign_in,
                    const AdminServices& admin, ApiOptions options) {
  if (admin.directory == nullptr) return InvalidArgumentError("AddApiRoutes: no directory service");
  options.admin = std::make_shared<internal::AdminContext>(sign_in, *admin.directory,
                                                          admin.imports, admin.work_dir, options);
  CADUCE_RETURN_IF_ERROR(AddApiRoutes(router, sign_in, options));
  std::shared_ptr<internal::AdminContext> ctx = options.admin;
  std::vector<http::Route> routes = internal::StructureRoutes(*ctx);
  for (auto* group : {&internal::AccountRoutes, &internal::ConnectionRoutes,
                      &internal::TransferRoutes, &internal::AuditRoutes,
                      &internal::TokenRoutes, &internal::DirectoryRoutes}) {
    for (http::Route& r : (*group)(*ctx)) routes.push_back(std::move(r));
  }
  http::Route openapi;
  openapi.method = "GET";
  openapi.pattern = "/api/openapi.json";
  openapi.handler = [document = OpenApiDocument()](const http::Request&,
                                                   const http::RouteParams&) {
    http::Response r = http::Response::Json(200, document);
    r.SetHeader("Cache-Control", "no-cache");
    return r;
  };
  routes.push_back(std::move(openapi));
  for (http::Route& route : routes) {
    // Each handler keeps the shared context alive as long as the router.
    http::Handler h = [ctx, inner = std::move(route.handler)](const http::Request& q,
                                                             const http::RouteParams& p) {
      return inner(q, p);
    };
    if (IsStateChanging(route.method)) h = WithCsrf(std::move(h));
    CADUCE_RETURN_IF_ERROR(router.Add(route.method, route.pattern, std::move(h), route.options));
  }
  return OkStatus();
}

std::string CsrfTokenFor(std::string_view session_token) {
  if (session_token.empty() || session_token.size() > crypto_generichash_KEYBYTES_MAX ||
      session_token.size() < crypto_generichash_KEYBYTES_MIN) {
    return "";
  }
  if (sodium_init() < 0) return "";
  std::array<unsigned char, 32> out{};
  crypto_generichash(
      out.data(), out.size(), reinterpret_cast<const unsigned char*>(kCsrfMessage.data()),
      kCsrfMessage.size(), reinterpret_cast<const unsigned char*>(session_token.data()),
      session_token.size());
  std::string text(sodium_base64_ENCODED_LEN(out.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   '\0');
  sodium_bin2base64(text.data(), text.size(), out.data(), out.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(std::char_traits<char>::length(text.c_str()));
  return text;
}

std::string CookieValue(const http::Request& request, std::string_view name) {
  for (const auto& [field, value] : request.headers) {
    if (field != "cookie") continue;
    std::string_view rest(value);
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
      std::string_view v = pair.substr(eq + 1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      return std::string(v);
    }
  }
  return "";
}

namespace internal {

boost::json::object PersonJson(const auth::MeView& me) {
  return boost::json::object{{"id", me.person_id},
                             {"address", me.address},
                             {"type", directory::AccountTypeCode(me.type)},
                             {"nom", me.nom},
                             {"prenom", me.prenom}};
}

boost::json::object MailboxJson(const auth::MailboxChoice& m, int64_t current_id) {
  return boost::json::object{{"id", m.id},
                             {"address", m.address},
                             {"type", directory::AccountTypeCode(m.type)},
                             {"description", m.description},
                             {"current", m.id == current_id}};
}

std::string SetCookie(std::string_view name, std::string_view value, bool http_only,
                      const ApiOptions& options) {
  std::string c(name);
  c += '=';
  c += value;
  if (value.empty()) c += "; Max-Age=0";
  if (http_only) c += "; HttpOnly";
  c += "; SameSite=Strict; Path=/";
  if (options.secure_cookies) c += "; Secure";
  return c;
}

http::Response Refusal(const Status& status) {
  http::Response r = http::ProblemFromStatus(status);
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

}  // namespace internal
}  // namespace caduce::api
