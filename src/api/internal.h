// File: api/internal.h
//
// Helpers the /api handlers share and nothing else includes: the JSON forms of
// the signed-in person and its mailboxes, cookies as Set-Cookie values, and
// problem responses for refusals. Exposure: builds responses that carry
// session and CSRF tokens; never logs them.
#ifndef CADUCE_API_INTERNAL_H_
#define CADUCE_API_INTERNAL_H_

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "api/api.h"
#include "auth/sign_in.h"
#include "http/message.h"

namespace caduce::api::internal {

// {"id","address","type","nom","prenom"}.
boost::json::object PersonJson(const auth::MeView& me);
// {"id","address","type","description","current"}.
boost::json::object MailboxJson(const auth::MailboxChoice& m, int64_t current_id);

// "name=value; [HttpOnly; ]SameSite=Strict; Path=/[; Secure]"; an empty value
// clears the cookie (Max-Age=0).
std::string SetCookie(std::string_view name, std::string_view value, bool http_only,
                      const ApiOptions& options);

// The session token of the request (its cookie), or "".
inline std::string SessionToken(const http::Request& r) { return CookieValue(r, kSessionCookie); }
inline std::string_view UserAgent(const http::Request& r) { return r.Header("user-agent"); }

// A problem response with "Cache-Control: no-store".
http::Response Refusal(const Status& status);

// GET /api/directory/suggestions (directory_suggest.cc), for every signed-in person.
std::vector<http::Route> DirectoryRoutes(AdminContext& ctx);
// POST /api/me/password (password.cc): a signed-in person changes its password.
std::vector<http::Route> PasswordChangeRoutes(auth::SignInService& sign_in);

}  // namespace caduce::api::internal

#endif  // CADUCE_API_INTERNAL_H_
