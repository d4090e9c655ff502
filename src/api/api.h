// File: api/api.h
//
// The JSON API that `caduce serve` exposes under /api: for now sign-in
// (POST/DELETE /api/session) and the signed-in person (GET /api/me, POST
// /api/me/mailbox). Handlers only translate HTTP to auth/ calls; every rule
// (who may sign in, throttling, rights) lives in auth::SignInService. Session
// rules on the wire:
//  - the session token travels in the cookie caduce_session (HttpOnly,
//    SameSite=Strict, Path=/, Secure under TLS), never in a body or a log;
//  - every state-changing request (POST, PUT, PATCH, DELETE) except POST
//    /api/session carries X-CSRF-Token equal to the session's CSRF token, else
//    403. The CSRF token is not stored: it is derived from the session token as
//    BLAKE2b-256 keyed with the token (see CsrfTokenFor), so it survives a
//    restart, dies with the session, and does not reveal the session token. It is
//    returned in the sign-in body and in the readable cookie caduce_csrf.
// Exposure: reads unauthenticated network input and handles credentials
// (passwords in sign-in bodies, session tokens in cookies).
#ifndef CADUCE_API_API_H_
#define CADUCE_API_API_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sign_in.h"
#include "base/status.h"
#include "http/message.h"
#include "http/router.h"

namespace caduce::directory {
class DirectoryService;
}
namespace caduce::jobs {
class ImportJobs;
}

namespace caduce::notify {
class NotifyService;
}
namespace caduce::auth {
class AccessTokenService;
}
namespace caduce::fetch {
class RemoteImageFetcher;
}
namespace caduce::mail {
class MailService;
}

namespace caduce::api {
namespace internal {
struct AdminContext;
}

inline constexpr std::string_view kSessionCookie = "caduce_session";
inline constexpr std::string_view kCsrfCookie = "caduce_csrf";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

struct ApiOptions {
  // Adds "; Secure" to the cookies (the server runs TLS).
  bool secure_cookies = false;
  // The mail part: when set, the public password routes (password.cc) are added.
  notify::NotifyService* notify = nullptr;
  // Personal access tokens (api/tokens.cc): null, the token routes answer 503.
  auth::AccessTokenService* tokens = nullptr;
  // A message's remote images (api/image_proxy.cc): null, GET /api/mail/image
  // answers 403 (turned off). Requests per signed-in person and minute beyond
  // images_per_minute get 429.
  fetch::RemoteImageFetcher* images = nullptr;
  int images_per_minute = 300;
  // The mail store, for the structures' mail settings (PATCH /api/structures/{sid}):
  // null, that route answers 503.
  mail::MailService* mail = nullptr;
  // Set by the AdminServices overload of AddApiRoutes (the routes share it).
  std::shared_ptr<internal::AdminContext> admin;
};

// Adds every /api route to `router`, state-changing ones behind the CSRF check.
// `sign_in` must outlive the router. kInvalidArgument when a route is taken.
Status AddApiRoutes(http::Router& router, auth::SignInService& sign_in, ApiOptions options = {});

// What the administration API (docs/api.md) needs besides sign-in.
struct AdminServices {
  directory::DirectoryService* directory = nullptr;  // required
  jobs::ImportJobs* imports = nullptr;  // null: the import routes answer 503
  std::string work_dir;                 // temporary files of exports (the db's folder)
};

// Adds every /api route, the administration ones included (structures,
// reference lists, accounts, rights, default mailboxes, export, import jobs,
// audit trail, GET /api/openapi.json). The services must outlive the router.
Status AddApiRoutes(http::Router& router, auth::SignInService& sign_in,
                    const AdminServices& admin, ApiOptions options = {});

// The OpenAPI 3.1 document of every route AddApiRoutes registers (docs/api.md),
// built from one table in openapi.cc.
std::string OpenApiDocument();

// The CSRF token of a session token: base64url (no padding) of BLAKE2b-256 of
// the fixed message "caduce csrf v1" keyed with the token's text. "" when the
// token is empty or too long to be a key (it cannot be a session token then).
std::string CsrfTokenFor(std::string_view session_token);

// The value of cookie `name` in the request's Cookie header(s), or "".
std::string CookieValue(const http::Request& request, std::string_view name);

// ---- Per resource (session.cc, me.cc), gathered by AddApiRoutes ----
// Each returns its routes (method, pattern, handler, options) without the CSRF
// check, which AddApiRoutes puts in front of them in one place.

std::vector<http::Route> SessionRoutes(auth::SignInService& sign_in, const ApiOptions& options);
// With options.admin, GET /api/me also says what the person administers, and PUT
// /api/me/default-mailbox is added.
std::vector<http::Route> MeRoutes(auth::SignInService& sign_in, const ApiOptions& options);
// « Mot de passe oublié ? », the link pages' token check, and setting a password
// with an activation or reset link (public: no session, no CSRF token).
std::vector<http::Route> PasswordRoutes(notify::NotifyService& notify, const ApiOptions& options);
bool IsPublicPasswordRoute(std::string_view method, std::string_view pattern);
// GET /api/mail/image?url=…: a message's remote image, fetched by caduce for a
// signed-in person (api/image_proxy.cc).
std::vector<http::Route> ImageProxyRoutes(auth::SignInService& sign_in, const ApiOptions& options);

}  // namespace caduce::api

#endif  // CADUCE_API_API_H_
