// File: proto/jmap/jmap.h
//
// The JMAP wire format (RFC 8620, core; RFC 8621, mail) as a pure codec: the
// Request object and its Invocation triples, result references (§3.7), the
// request-level errors as RFC 7807 problems (§3.6.1), the method-level errors
// (§3.6.2), the capabilities and limits a server advertises (§2), and how caduce
// spells ids and state strings. No I/O, no store: the dispatcher in api/jmap/ runs
// the calls. Exposure: parses unauthenticated network input; every limit is
// checked before the work it bounds.
//
//   proto::jmap::RequestError error;
//   std::optional<proto::jmap::Request> req = proto::jmap::ParseRequest(body, limits, &error);
//   if (!req) return Problem(error);  // notJSON, notRequest, limit, unknownCapability
#ifndef CADUCE_PROTO_JMAP_JMAP_H_
#define CADUCE_PROTO_JMAP_JMAP_H_

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace caduce::proto::jmap {

// ---- Capabilities (RFC 8620 §2, RFC 8621 §1.3) ----
inline constexpr std::string_view kCoreCapability = "urn:ietf:params:jmap:core";
inline constexpr std::string_view kMailCapability = "urn:ietf:params:jmap:mail";
inline constexpr std::string_view kSubmissionCapability = "urn:ietf:params:jmap:submission";
// caduce's own: who handled a message of a shared (ORG/APP) mailbox (Email property
// `handledBy`).
inline constexpr std::string_view kHandlingCapability = "urn:caduce:params:jmap:handling";

// The limits of urn:ietf:params:jmap:core (RFC 8620 §2), advertised in the
// session and enforced by the dispatcher and the methods.
struct Limits {
  int64_t max_size_upload = 25 * 1024 * 1024;
  int64_t max_concurrent_upload = 4;
  int64_t max_size_request = 5'000'000;
  int64_t max_concurrent_requests = 8;
  int64_t max_calls_in_request = 32;
  int64_t max_objects_in_get = 500;
  int64_t max_objects_in_set = 500;
  // JSON nesting deeper than this is not a request (notJSON).
  int max_depth = 64;
};

// The value of "urn:ietf:params:jmap:core" in the session object.
boost::json::object CoreCapability(const Limits& limits);

// ---- Request (RFC 8620 §3.3) ----

// One method call or response: [name, arguments, method call id].
struct Invocation {
  std::string name;
  boost::json::object arguments;
  std::string call_id;
};

struct Request {
  std::vector<std::string> using_;
  std::vector<Invocation> calls;
  // Present when the client sent createdIds (the response then carries it too).
  std::optional<boost::json::object> created_ids;
};

// A request-level error (RFC 8620 §3.6.1): answered as an RFC 7807 problem with
// HTTP status 400 and the whole request refused.
struct RequestError {
  std::string type;    // "urn:ietf:params:jmap:error:notJSON" …
  int status = 400;
  std::string detail;  // French, for people
  std::string limit;   // for type …:limit, the name of the limit ("maxCallsInRequest")

  // {"type","status","detail"[,"limit"]}.
  boost::json::object ToJson() const;
};

inline constexpr std::string_view kErrorUnknownCapability =
    "urn:ietf:params:jmap:error:unknownCapability";
inline constexpr std::string_view kErrorNotJson = "urn:ietf:params:jmap:error:notJSON";
inline constexpr std::string_view kErrorNotRequest = "urn:ietf:params:jmap:error:notRequest";
inline constexpr std::string_view kErrorLimit = "urn:ietf:params:jmap:error:limit";

// Parses a request body. Checks, in this order: the size (limit
// maxSizeRequest), the JSON (notJSON: not UTF-8 JSON, or nested deeper than
// limits.max_depth), the shape (notRequest: `using` an array of strings,
// `methodCalls` an array of [string, object, string], `createdIds` absent or an
// object of strings), the number of calls (limit maxCallsInRequest). Capabilities
// are checked by CheckCapabilities, once the server's set is known. nullopt and
// *error set on refusal.
std::optional<Request> ParseRequest(std::string_view body, const Limits& limits,
                                    RequestError* error);

// unknownCapability when `using` names a capability outside `supported`.
std::optional<RequestError> CheckCapabilities(const Request& request,
                                              const std::vector<std::string_view>& supported);

// {"methodResponses": [...], "sessionState": …[, "createdIds": …]}.
boost::json::object ResponseJson(const std::vector<Invocation>& responses,
                                 std::string_view session_state,
                                 const std::optional<boost::json::object>& created_ids);

// ---- Method-level errors (RFC 8620 §3.6.2, §5, RFC 8621) ----

struct MethodError {
  std::string type;         // "unknownMethod", "invalidArguments" …
  std::string description;  // French, optional
  boost::json::object extra;  // further properties (e.g. "arguments")

  // The response invocation ["error", {"type", …}, call_id].
  Invocation ToInvocation(std::string call_id) const;
};

MethodError UnknownMethod(std::string_view name);
MethodError InvalidArguments(std::string description);
MethodError InvalidResultReference(std::string description);
MethodError AccountNotFound();
MethodError AccountNotSupportedByMethod();
MethodError AccountReadOnly();
MethodError Forbidden(std::string description);
MethodError ServerFail(std::string description = {});
MethodError ServerUnavailable();
MethodError StateMismatch();
MethodError CannotCalculateChanges();
MethodError TooManyChanges();
MethodError RequestTooLarge(std::string description);
MethodError AnchorNotFound();
MethodError UnsupportedFilter(std::string description);
MethodError UnsupportedSort(std::string description);

// ---- Result references (RFC 8620 §3.7) ----

// Evaluates `path`, a JSON Pointer (RFC 6901) extended with "*": on an array, "*"
// applies the rest of the pointer to every item and returns the results in order,
// flattening items that are themselves arrays. nullopt when a token does not
// resolve (a missing key, an index out of range, "*" or a key on a scalar).
std::optional<boost::json::value> EvaluatePointer(const boost::json::value& root,
                                                  std::string_view path);

// Replaces each argument "#name" of `arguments` by the value its ResultReference
// {"resultOf","name","path"} points to in `responses` (the responses of the calls
// made so far in this request: a reference can only point backwards, so it cannot
// loop). invalidArguments when both "name" and "#name" are given or the reference
// is malformed; invalidResultReference when no earlier response has that call id,
// its name differs, or the path does not resolve.
std::optional<MethodError> ResolveReferences(boost::json::object& arguments,
                                             const std::vector<Invocation>& responses);

// ---- Ids and states (RFC 8620 §1.2, §5.1) ----

// caduce's ids are a kind letter and the decimal internal id ("M42"); they use
// only the URL-safe base64 alphabet and are at most 20 characters.
inline constexpr char kAccountKind = 'A';
inline constexpr char kMailboxKind = 'F';  // folder
inline constexpr char kEmailKind = 'M';
inline constexpr char kThreadKind = 'T';
inline constexpr char kIdentityKind = 'I';

std::string EncodeId(char kind, int64_t id);
// The internal id of `text`, or nullopt when it is not exactly kind + a positive
// decimal number without leading zeros that fits in int64.
std::optional<int64_t> DecodeId(char kind, std::string_view text);
// True when `text` is a valid JMAP Id (1–255 characters of A-Z a-z 0-9 - _).
bool IsValidId(std::string_view text);

// State strings are the account's modification sequence in decimal.
std::string EncodeState(int64_t modseq);
std::optional<int64_t> DecodeState(std::string_view text);

// ---- Argument helpers for methods ----

// The string of arguments[key] (absent: nullopt; present but not a string: *bad
// set to true).
std::optional<std::string_view> StringArg(const boost::json::object& args, std::string_view key,
                                          bool* bad);
// An UnsignedInt / Int argument (RFC 8620 §1.3): absent → fallback; a negative
// UnsignedInt, a non-integer or a number beyond 2^53-1 → *bad.
int64_t IntArg(const boost::json::object& args, std::string_view key, int64_t fallback,
               bool* bad, bool allow_negative = false);
std::optional<bool> BoolArg(const boost::json::object& args, std::string_view key, bool* bad);
// An array of strings or null (absent/null: nullopt).
std::optional<std::vector<std::string>> StringListArg(const boost::json::object& args,
                                                      std::string_view key, bool* bad);

// UTCDate "2026-11-27T10:15:00Z" ↔ microseconds since the epoch.
std::string UtcDate(int64_t micros);
std::optional<int64_t> ParseUtcDate(std::string_view text);

}  // namespace caduce::proto::jmap

#endif  // CADUCE_PROTO_JMAP_JMAP_H_
