// File: api/jmap/writing.h
//
// The writing side of the JMAP API, registered by registry.cc: Email/set and
// Email/import (email_set.cc, email_import.cc), EmailSubmission/get and
// EmailSubmission/set (submission.cc), and the blob routes (blob.cc) — upload
// `POST /jmap/upload/{accountId}/` and download
// `GET /jmap/download/{accountId}/{blobId}/{name}` (RFC 8620 §6). Handlers only
// translate JMAP to mail::MailService calls (rights, traces, quotas live there).
#ifndef CADUCE_API_JMAP_WRITING_H_
#define CADUCE_API_JMAP_WRITING_H_

#include <boost/json/object.hpp>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/jmap/method.h"
#include "http/router.h"

namespace caduce::api::jmap {

void RegisterEmailWriteMethods(MethodRegistry& registry);  // Email/set, Email/import
void RegisterSubmissionMethods(MethodRegistry& registry);  // EmailSubmission/get, /set
void RegisterEmailImportMethod(MethodRegistry& registry);  // called by the first
std::vector<http::Route> BlobRoutes(const std::shared_ptr<JmapContext>& ctx);

namespace internal {
// Email/set's update and destroy on the call's account, shared with
// EmailSubmission/set's onSuccessUpdateEmail and onSuccessDestroyEmail (RFC 8621
// §7.5): fills "updated", "notUpdated", "destroyed", "notDestroyed" of `response`.
void ApplyEmailUpdates(CallContext& ctx, const boost::json::object& update,
                       boost::json::object& response);
void ApplyEmailDestroys(CallContext& ctx, const std::vector<std::string>& ids,
                        boost::json::object& response);

// A SetError (RFC 8620 §5.3) for a MailService refusal of one object:
// kInvalidArgument → invalidProperties, kNotFound of a blob → blobNotFound (with
// notFound), of a mailbox → invalidProperties ["mailboxIds"], else notFound;
// kResourceExhausted → overQuota or tooLarge; kPermissionDenied → forbidden.
boost::json::object SetErrorFromStatus(const Status& status, std::string_view blob_id = "");
// `mailboxIds` ({"F12": true, "#new": true}) of the account: the ids, or a SetError.
std::optional<std::vector<int64_t>> MailboxIdsOf(const CallContext& ctx,
                                                 const boost::json::value& v,
                                                 boost::json::object* error);
// `keywords` ({"$seen": true}) as bits, or a SetError (a keyword caduce does not
// keep is refused).
std::optional<uint32_t> KeywordsOf(const boost::json::value& v, boost::json::object* error);
boost::json::object InvalidProperties(std::string description,
                                      std::initializer_list<std::string_view> properties);
}  // namespace internal

}  // namespace caduce::api::jmap

#endif  // CADUCE_API_JMAP_WRITING_H_
