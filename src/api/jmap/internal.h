// File: api/jmap/internal.h
//
// What the files of api/jmap/ share and nothing else includes: the route
// handlers (dispatcher.cc, session.cc, push.cc), the per-call account check, the
// session state, and JSON helpers of the method files. Exposure: as method.h.
#ifndef CADUCE_API_JMAP_INTERNAL_H_
#define CADUCE_API_JMAP_INTERNAL_H_

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/jmap/method.h"
#include "directory/repository.h"
#include "http/message.h"
#include "storage/database.h"

namespace caduce::api::jmap::internal {

// The account `account_id` when `person_id` may open it now: its own, or an
// active ORG/APP it holds a right on; nullopt otherwise (also for ids that do not
// exist: the same answer, so that ids cannot be probed).
Result<std::optional<JmapAccount>> CheckAccount(storage::Tx& tx,
                                                directory::DirectoryRepository& dir,
                                                int64_t person_id, int64_t account_id);

// The session's state string (RFC 8620 §2): changes with the account list.
std::string SessionState(const std::vector<JmapAccount>& accounts);

http::Response HandleApi(JmapContext& ctx, const http::Request& request);
http::Response HandleSession(JmapContext& ctx, const http::Request& request);
http::Response HandleEventSource(const std::shared_ptr<JmapContext>& ctx,
                                 const http::Request& request);

// Argument checks shared by the method files. Each returns an invalidArguments
// error naming the argument when it is malformed.

// The ids of `ids` (an array of strings or null) decoded with `kind`; ids that do
// not decode are put in *not_found (they cannot exist). nullopt for null/absent.
std::optional<std::vector<int64_t>> DecodeIds(const boost::json::object& args, char kind,
                                              std::vector<std::string>* not_found,
                                              std::optional<proto::jmap::MethodError>* error);
// The requested `properties` (null/absent: nullopt), each checked against `known`.
std::optional<std::vector<std::string>> Properties(const boost::json::object& args,
                                                   const std::vector<std::string>& known,
                                                   std::optional<proto::jmap::MethodError>* error,
                                                   std::string_view key = "properties");
// Arguments not in `known` → invalidArguments (RFC 8620 §3.6.2).
std::optional<proto::jmap::MethodError> UnknownArguments(const boost::json::object& args,
                                                         const std::vector<std::string>& known);
// The account's state as a string, or the error.
Result<std::string> StateOf(CallContext& ctx);
// */changes of one type (RFC 8620 §5.2): Mailbox/, Thread/ and Email/changes.
MethodOutcome Changes(CallContext& ctx, const boost::json::object& args, mail::ObjectType type,
                      char kind);
// The same for any object kind whose changes `fetch(since_state, max_changes)`
// reads (EmailSubmission/changes): arguments checked, ids encoded with `kind`.
using ChangesFetch = std::function<Result<mail::Changes>(int64_t since, int64_t max_changes)>;
MethodOutcome ChangesOf(CallContext& ctx, const boost::json::object& args, char kind,
                        const ChangesFetch& fetch);

}  // namespace caduce::api::jmap::internal

#endif  // CADUCE_API_JMAP_INTERNAL_H_
