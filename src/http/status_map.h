// File: http/status_map.h
//
// The one table that maps a caduce Status to the wire (STYLE.md convention 4):
// an HTTP status code and an RFC 9457 problem body (application/problem+json with
// type, title, status, detail). Titles and details are for people, in French.
// Exposure: builds responses to unauthenticated clients; never puts the message
// of an internal error on the wire.
#ifndef CADUCE_HTTP_STATUS_MAP_H_
#define CADUCE_HTTP_STATUS_MAP_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "http/message.h"

namespace caduce::http {

// kResourceExhausted means two things on the wire: a request too large for a
// limit (413, RFC 9110 §15.5.14) or too many requests (429, RFC 6585 §4).
enum class ExhaustedAs { kTooManyRequests, kContentTooLarge };

// kOk→200, kInvalidArgument→400, kUnauthenticated→401, kPermissionDenied→403,
// kNotFound→404, kAlreadyExists→409, kFailedPrecondition→409,
// kResourceExhausted→413 or 429, kUnavailable→503, others→500.
int HttpStatusFor(Code code, ExhaustedAs exhausted = ExhaustedAs::kTooManyRequests);

// The French title of an HTTP status code ("Ressource introuvable" for 404).
std::string_view ProblemTitle(int http_status);

// An application/problem+json response: {"type":"about:blank","title":…,
// "status":…,"detail":…}. An empty `detail` is left out.
Response Problem(int http_status, std::string_view detail);

// The problem response for a failed Status. The message becomes the detail,
// except for 5xx codes, whose message is logged by the caller and replaced by a
// generic French sentence (internal details are not for clients).
// REQUIRES: !status.ok().
Response ProblemFromStatus(const Status& status,
                           ExhaustedAs exhausted = ExhaustedAs::kTooManyRequests);

}  // namespace caduce::http

#endif  // CADUCE_HTTP_STATUS_MAP_H_
