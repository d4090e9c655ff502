// File: api/jmap/method.h
//
// How JMAP methods plug into `POST /jmap/api` (RFC 8620 §3): a registry from a
// method name ("Email/get") to a handler, and the context each call gets. The
// dispatcher (dispatcher.cc) authenticates the request once, then for each call in
// order: resolves its result references (only backwards, so they cannot loop),
// checks that the request's `using` holds the method's capability, decodes
// `accountId` and checks — at every call, so that a right revoked mid-request
// stops the next call — that the person may open that account (else
// accountNotFound), runs the handler, and appends its response (or error).
// Handlers only translate JMAP arguments to mail::MailService calls; every rule
// (rights, traces of ORG/APP actions, quotas) lives in MailService.
//
// A file of methods exposes one Register…Methods(MethodRegistry&) function, listed
// below and called by RegisterAllMethods (registry.cc):
//
//   void RegisterThreadMethods(MethodRegistry& registry) {
//     registry.Add({.name = "Thread/get",
//                   .capability = proto::jmap::kMailCapability,
//                   .handler = [](CallContext& ctx, const boost::json::object& args)
//                       -> MethodOutcome { … return boost::json::object{…}; }});
//   }
//
// Exposure: handlers receive unauthenticated-looking arguments from an
// authenticated person; every id in them is checked against the account.
#ifndef CADUCE_API_JMAP_METHOD_H_
#define CADUCE_API_JMAP_METHOD_H_

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "http/message.h"
#include "http/router.h"
#include "mail/mail_service.h"
#include "proto/jmap/jmap.h"

namespace caduce::auth {
class SignInService;
}
namespace caduce::storage {
class Database;
}
namespace caduce::directory {
class DirectoryRepository;
}

namespace caduce::api::jmap {

struct JmapContext;

// One method call as the handler sees it. Built by the dispatcher for each call.
struct CallContext {
  // The signed-in person (nominative account) acting, with the request's IP.
  mail::MailActor actor;
  std::string user_agent;
  // The account named by `accountId`, checked for this call: the person may open
  // it now (its own mailbox, or an ORG/APP it holds a right on). 0 for a method
  // registered with needs_account = false.
  int64_t account_id = 0;
  // True for an ORG/APP account (actions on it are traced by MailService).
  bool account_is_shared = false;
  // The services and limits (mail, directory, database, limits).
  JmapContext* jmap = nullptr;
  const http::Request* request = nullptr;
  // creation id → server id for the whole request (RFC 8620 §3.3, §5.3): a /set
  // method adds what it creates, and resolves "#creationId" ids with it.
  boost::json::object* created_ids = nullptr;
  // The request's `using`.
  const std::vector<std::string>* capabilities = nullptr;

  mail::MailService& mail() const;
  const proto::jmap::Limits& limits() const;
  bool Uses(std::string_view capability) const;
  // The JMAP id of the account ("A12").
  std::string AccountIdText() const { return proto::jmap::EncodeId(proto::jmap::kAccountKind, account_id); }
  // The server id of `id`, which may be "#creationId" (a creation of an earlier
  // call of this request); nullopt when that creation id is unknown.
  std::optional<std::string> ResolveCreationId(std::string_view id) const;
};

// What a handler returns: its response arguments, or a method-level error.
struct MethodOutcome {
  MethodOutcome(boost::json::object a) : arguments(std::move(a)) {}  // NOLINT: implicit
  MethodOutcome(proto::jmap::MethodError e) : error(std::move(e)) {}  // NOLINT: implicit

  bool ok() const { return !error.has_value(); }

  boost::json::object arguments;
  std::optional<proto::jmap::MethodError> error;
  // Further responses that follow this one with the same method call id (RFC 8621
  // §7.5: the implicit Email/set of EmailSubmission/set's onSuccessUpdateEmail).
  std::vector<std::pair<std::string, boost::json::object>> also;
};

using MethodHandler = std::function<MethodOutcome(CallContext&, const boost::json::object&)>;

struct MethodSpec {
  std::string name;  // "Email/get"
  // The capability the request's `using` must hold for this method (else
  // unknownMethod, RFC 8620 §3.6.2).
  std::string_view capability = proto::jmap::kMailCapability;
  // The method takes `accountId` (RFC 8620 §5): the dispatcher decodes and checks
  // it (accountNotFound) before calling the handler. False for Core/echo.
  bool needs_account = true;
  // Runs long or writes much (Email/import of large messages): nothing else yet.
  MethodHandler handler;
};

class MethodRegistry {
 public:
  // kAlreadyExists when the name is taken; kInvalidArgument without a handler.
  // The first such error is also kept in status(), which RegisterAllMethods
  // returns, so that Register…Methods functions may ignore Add's result.
  Status Add(MethodSpec spec);
  const Status& status() const { return first_error_; }
  // The method, or null.
  const MethodSpec* Find(std::string_view name) const;
  std::vector<std::string> Names() const;

 private:
  std::vector<MethodSpec> methods_;
  Status first_error_;
};

// Who asks a JMAP route: the person (nominative account) authenticated by the
// session cookie or a personal access token.
struct JmapCaller {
  int64_t person_id = 0;
  std::string address;
  bool by_cookie = false;  // a state-changing request then needs the CSRF header
  mail::MailActor Actor(const http::Request& r) const {
    return mail::MailActor{person_id, address, r.remote_ip};
  }
};

// Resolves `Authorization: Bearer <token>` to a person id (personal access tokens,
// auth/access_tokens.h). kUnauthenticated for an unknown, revoked or expired token.
using BearerResolver = std::function<Result<int64_t>(std::string_view token, std::string_view ip,
                                                     std::string_view user_agent)>;

// What the JMAP routes need; must outlive the router.
struct JmapServices {
  mail::MailService* mail = nullptr;                   // required
  auth::SignInService* sign_in = nullptr;              // required (session cookies)
  storage::Database* db = nullptr;                     // required (session resource)
  directory::DirectoryRepository* directory = nullptr;  // required
  proto::jmap::Limits limits;
  // Null: a Bearer token is refused (401).
  BearerResolver bearer;
  // How often an event stream reads the accounts' states (RFC 8620 §7.3 push).
  int64_t push_poll_ms = 500;
};

namespace internal {
class Pusher;
}

// Shared by the routes and the calls.
struct JmapContext {
  JmapServices services;
  MethodRegistry registry;
  // The one thread that reads the accounts' states for every event stream
  // (push.cc); started with the first stream, stopped and joined with the context.
  std::shared_ptr<internal::Pusher> pusher;
};

// The person behind a JMAP request: the session cookie (then, for POST, the
// X-CSRF-Token header must match), or Authorization: Bearer. kUnauthenticated
// (401 with WWW-Authenticate) without either; kPermissionDenied for a cookie
// without a valid CSRF header on a POST. For the blob routes too.
Result<JmapCaller> Authenticate(JmapContext& ctx, const http::Request& request);
// The 401 (with WWW-Authenticate: Bearer realm="caduce") or 403 response of a
// failed Authenticate.
http::Response AuthRefusal(const Status& status);

// The accounts a person may open now: its own mailbox first, then each active
// ORG/APP it holds a right on.
struct JmapAccount {
  int64_t id = 0;
  std::string address;
  std::string name;  // « Description fonctionnelle », else the address
  bool shared = false;
};
Result<std::vector<JmapAccount>> AccountsOf(JmapContext& ctx, int64_t person_id);

// Each file of methods (core.cc, mailbox.cc, thread.cc, email_get.cc,
// email_query.cc, identity.cc, and the writing side: email_set.cc,
// email_import.cc, submission.cc) registers its methods here.
void RegisterCoreMethods(MethodRegistry& registry);
void RegisterMailboxMethods(MethodRegistry& registry);
void RegisterThreadMethods(MethodRegistry& registry);
void RegisterEmailReadMethods(MethodRegistry& registry);
void RegisterIdentityMethods(MethodRegistry& registry);
// Calls every Register…Methods above (registry.cc).
Status RegisterAllMethods(MethodRegistry& registry);

// Mapping of MailService refusals to method errors for handlers: kNotFound of the
// account → accountNotFound; kInvalidArgument → invalidArguments;
// kFailedPrecondition → cannotCalculateChanges (for */changes) else
// invalidArguments; others → serverFail.
proto::jmap::MethodError ErrorFromStatus(const Status& status);

// Adds `GET /.well-known/jmap`, `GET /jmap/session`, `POST /jmap/api`,
// `GET /jmap/eventsource` (and the blob routes of blob.cc when present).
// kInvalidArgument when a service is missing or a route is taken.
Status AddJmapRoutes(http::Router& router, JmapServices services);

// Routes besides the four above, given the shared context (registry.cc gathers
// them): blob upload `POST /jmap/upload/{accountId}/` and download
// `GET /jmap/download/{accountId}/{blobId}/{name}` (the session advertises these
// paths), each authenticated with Authenticate().
std::vector<http::Route> ExtraRoutes(const std::shared_ptr<JmapContext>& ctx);

}  // namespace caduce::api::jmap

#endif  // CADUCE_API_JMAP_METHOD_H_
