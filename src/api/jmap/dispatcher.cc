// File: api/jmap/dispatcher.cc
//
// POST /jmap/api (RFC 8620 §3): authenticates the request, parses it with its
// limits, checks its capabilities, then runs each method call in order —
// references resolved against the responses so far, the account re-checked at
// every call — and answers the Response object. Also the method registry, who
// asks (session cookie with CSRF, or Bearer token), the accounts a person may
// open, and the route table. Exposure: reads unauthenticated network input
// (cookies, Authorization headers, request bodies).
#include <sodium.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "api/api.h"
#include "api/jmap/internal.h"
#include "api/jmap/method.h"
#include "auth/sign_in.h"
#include "directory/fields.h"
#include "directory/repository.h"
#include "http/status_map.h"
#include "storage/database.h"

namespace caduce::api::jmap {
namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

constexpr std::string_view kNoCredentials =
    "Authentification requise : connectez-vous (cookie de session) ou envoyez "
    "« Authorization: Bearer <jeton d'accès personnel> ».";

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.empty() || a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

http::Response RequestProblem(const pj::RequestError& e) {
  http::Response r = http::Response::Json(e.status, json::serialize(e.ToJson()));
  r.SetHeader("Content-Type", "application/problem+json");
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

// Counts the requests each person has running, for maxConcurrentRequests.
class InFlight {
 public:
  bool Enter(int64_t person, int64_t max) {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t& n = running_[person];
    if (n >= max) return false;
    ++n;
    return true;
  }
  void Leave(int64_t person) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find(person);
    if (it != running_.end() && --it->second <= 0) running_.erase(it);
  }

 private:
  std::mutex mu_;
  std::map<int64_t, int64_t> running_;
};

InFlight& Requests() {
  static InFlight* in_flight = new InFlight();  // never destroyed: used by server threads
  return *in_flight;
}

}  // namespace

// ---- CallContext, registry ----

mail::MailService& CallContext::mail() const { return *jmap->services.mail; }
const pj::Limits& CallContext::limits() const { return jmap->services.limits; }

bool CallContext::Uses(std::string_view capability) const {
  if (capabilities == nullptr) return false;
  for (const std::string& c : *capabilities) {
    if (c == capability) return true;
  }
  return false;
}

std::optional<std::string> CallContext::ResolveCreationId(std::string_view id) const {
  if (id.empty() || id[0] != '#') return std::string(id);
  if (created_ids == nullptr) return std::nullopt;
  const json::value* v = created_ids->if_contains(id.substr(1));
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

Status MethodRegistry::Add(MethodSpec spec) {
  Status st;
  if (!spec.handler) {
    st = InvalidArgumentError("JMAP method without a handler: " + spec.name);
  } else if (Find(spec.name) != nullptr) {
    st = AlreadyExistsError("JMAP method registered twice: " + spec.name);
  } else {
    methods_.push_back(std::move(spec));
  }
  if (!st.ok() && first_error_.ok()) first_error_ = st;
  return st;
}

const MethodSpec* MethodRegistry::Find(std::string_view name) const {
  for (const MethodSpec& m : methods_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::vector<std::string> MethodRegistry::Names() const {
  std::vector<std::string> out;
  for (const MethodSpec& m : methods_) out.push_back(m.name);
  return out;
}

pj::MethodError ErrorFromStatus(const Status& status) {
  switch (status.code()) {
    case Code::kNotFound:
      return pj::AccountNotFound();
    case Code::kInvalidArgument:
    case Code::kAlreadyExists:
      return pj::InvalidArguments(status.message());
    case Code::kFailedPrecondition:
      return pj::CannotCalculateChanges();
    case Code::kPermissionDenied:
      return pj::Forbidden(status.message());
    case Code::kResourceExhausted:
      return pj::RequestTooLarge(status.message());
    case Code::kUnavailable:
    case Code::kAborted:
      return pj::ServerUnavailable();
    default:
      return pj::ServerFail();
  }
}

// ---- Who asks ----

Result<JmapCaller> Authenticate(JmapContext& ctx, const http::Request& request) {
  JmapServices& s = ctx.services;
  std::string_view authorization = request.Header("authorization");
  int64_t person_id = 0;
  JmapCaller caller;
  if (!authorization.empty()) {
    constexpr std::string_view kBearer = "bearer ";
    bool is_bearer = authorization.size() > kBearer.size();
    for (size_t i = 0; is_bearer && i < kBearer.size(); ++i) {
      is_bearer = std::tolower(static_cast<unsigned char>(authorization[i])) == kBearer[i];
    }
    if (!is_bearer || !s.bearer) return UnauthenticatedError(std::string(kNoCredentials));
    std::string_view token = authorization.substr(kBearer.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    CADUCE_TRY(person_id, s.bearer(token, request.remote_ip, request.Header("user-agent")));
  } else {
    std::string token = CookieValue(request, kSessionCookie);
    if (token.empty()) return UnauthenticatedError(std::string(kNoCredentials));
    Result<auth::Session> session = s.sign_in->Resolve(token);
    if (!session.ok()) return UnauthenticatedError(std::string(kNoCredentials));
    if (request.method != "GET" && request.method != "HEAD" &&
        !ConstantTimeEquals(CsrfTokenFor(token), request.Header(kCsrfHeader))) {
      return PermissionDeniedError(
          "Jeton anti-falsification (X-CSRF-Token) absent ou invalide : rechargez la page.");
    }
    person_id = session->person_id;
    caller.by_cookie = true;
  }
  CADUCE_TRY(auto tx, s.db->Begin(storage::TxMode::kRead));
  CADUCE_TRY(std::optional<directory::AccountBrief> brief,
             s.directory->FindAccountBrief(*tx, person_id));
  if (!brief || !directory::IsNominative(brief->type)) {
    // Never an ORG/APP credential (DESIGN.md rule 1).
    return UnauthenticatedError(std::string(kNoCredentials));
  }
  caller.person_id = person_id;
  caller.address = brief->address;
  return caller;
}

http::Response AuthRefusal(const Status& status) {
  http::Response r = http::ProblemFromStatus(status);
  r.SetHeader("Cache-Control", "no-store");
  if (status.code() == Code::kUnauthenticated) {
    r.SetHeader("WWW-Authenticate", "Bearer realm=\"caduce\"");
  }
  return r;
}

// ---- Accounts ----

namespace internal {

Result<std::optional<JmapAccount>> CheckAccount(storage::Tx& tx,
                                                directory::DirectoryRepository& dir,
                                                int64_t person_id, int64_t account_id) {
  if (account_id <= 0) return std::optional<JmapAccount>();
  CADUCE_TRY(std::optional<directory::Account> a, dir.FindAccount(tx, account_id));
  if (!a) return std::optional<JmapAccount>();
  if (account_id == person_id) {
    return std::optional<JmapAccount>(JmapAccount{a->id, a->address(), a->address(), false});
  }
  if (directory::IsNominative(a->type) || a->status != directory::AccountStatus::kActive) {
    return std::optional<JmapAccount>();
  }
  CADUCE_TRY(bool right, dir.HasRight(tx, account_id, person_id));
  if (!right) return std::optional<JmapAccount>();
  std::string name = a->get(directory::Field::kDescription);
  if (name.empty()) name = a->address();
  return std::optional<JmapAccount>(JmapAccount{a->id, a->address(), name, true});
}

}  // namespace internal

Result<std::vector<JmapAccount>> AccountsOf(JmapContext& ctx, int64_t person_id) {
  JmapServices& s = ctx.services;
  CADUCE_TRY(auto tx, s.db->Begin(storage::TxMode::kRead));
  std::vector<JmapAccount> out;
  CADUCE_TRY(std::optional<JmapAccount> own,
             internal::CheckAccount(*tx, *s.directory, person_id, person_id));
  if (!own) return UnauthenticatedError(std::string(kNoCredentials));
  out.push_back(*own);
  CADUCE_TRY(std::vector<directory::ConnectionRight> rights,
             s.directory->RightsOfPerson(*tx, person_id));
  for (const directory::ConnectionRight& r : rights) {
    CADUCE_TRY(std::optional<JmapAccount> a,
               internal::CheckAccount(*tx, *s.directory, person_id, r.mailbox_id));
    if (a) out.push_back(*a);
  }
  return out;
}

namespace internal {

std::string SessionState(const std::vector<JmapAccount>& accounts) {
  // FNV-1a over the accounts and their names: changes when a right is granted or
  // revoked or a name changes (RFC 8620 §2: the session's state).
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  };
  for (const JmapAccount& a : accounts) {
    mix(std::to_string(a.id));
    mix(a.name);
  }
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kHex[(h >> (60 - 4 * i)) & 0xf];
  return out;
}

// ---- The dispatcher ----

http::Response HandleApi(JmapContext& ctx, const http::Request& request) {
  Result<JmapCaller> caller = Authenticate(ctx, request);
  if (!caller.ok()) return AuthRefusal(caller.status());
  const pj::Limits& limits = ctx.services.limits;

  pj::RequestError error;
  std::optional<pj::Request> req = pj::ParseRequest(request.body, limits, &error);
  if (!req) return RequestProblem(error);
  std::vector<std::string_view> supported = {pj::kCoreCapability, pj::kMailCapability,
                                             pj::kSubmissionCapability, pj::kHandlingCapability};
  if (std::optional<pj::RequestError> e = pj::CheckCapabilities(*req, supported)) {
    return RequestProblem(*e);
  }
  if (!Requests().Enter(caller->person_id, limits.max_concurrent_requests)) {
    pj::RequestError busy;
    busy.type = std::string(pj::kErrorLimit);
    busy.limit = "maxConcurrentRequests";
    busy.detail = "Trop de requêtes en cours pour vous (maxConcurrentRequests = " +
                  std::to_string(limits.max_concurrent_requests) +
                  ") : attendez la fin des précédentes.";
    return RequestProblem(busy);
  }
  struct Leave {
    int64_t person;
    ~Leave() { Requests().Leave(person); }
  } leave{caller->person_id};

  Result<std::vector<JmapAccount>> accounts = AccountsOf(ctx, caller->person_id);
  if (!accounts.ok()) return AuthRefusal(accounts.status());
  std::string session_state = SessionState(*accounts);

  json::object created_ids = req->created_ids ? *req->created_ids : json::object();
  std::vector<pj::Invocation> responses;
  const std::string user_agent(request.Header("user-agent"));
  for (pj::Invocation& call : req->calls) {
    json::object args = std::move(call.arguments);
    if (std::optional<pj::MethodError> e = pj::ResolveReferences(args, responses)) {
      responses.push_back(e->ToInvocation(call.call_id));
      continue;
    }
    const MethodSpec* spec = ctx.registry.Find(call.name);
    bool capable = false;
    if (spec != nullptr) {
      for (const std::string& u : req->using_) capable = capable || u == spec->capability;
    }
    if (spec == nullptr || !capable) {
      responses.push_back(pj::UnknownMethod(call.name).ToInvocation(call.call_id));
      continue;
    }
    CallContext cc;
    cc.actor = caller->Actor(request);
    cc.user_agent = user_agent;
    cc.jmap = &ctx;
    cc.request = &request;
    cc.created_ids = &created_ids;
    cc.capabilities = &req->using_;
    if (spec->needs_account) {
      const json::value* id = args.if_contains("accountId");
      if (id == nullptr || !id->is_string()) {
        responses.push_back(
            pj::InvalidArguments("« accountId » est obligatoire (une chaîne, voir la session).")
                .ToInvocation(call.call_id));
        continue;
      }
      std::optional<int64_t> account = pj::DecodeId(pj::kAccountKind, id->as_string());
      // Checked again at every call: a right revoked since the previous call stops
      // this one.
      Result<std::optional<JmapAccount>> checked = std::optional<JmapAccount>();
      if (account) {
        Result<std::unique_ptr<storage::Tx>> tx = ctx.services.db->Begin(storage::TxMode::kRead);
        checked = tx.ok() ? CheckAccount(**tx, *ctx.services.directory, caller->person_id,
                                         *account)
                          : Result<std::optional<JmapAccount>>(tx.status());
      }
      if (!checked.ok()) {
        responses.push_back(pj::ServerUnavailable().ToInvocation(call.call_id));
        continue;
      }
      if (!*checked) {
        responses.push_back(pj::AccountNotFound().ToInvocation(call.call_id));
        continue;
      }
      cc.account_id = (*checked)->id;
      cc.account_is_shared = (*checked)->shared;
    }
    std::optional<MethodOutcome> outcome;
    try {
      outcome.emplace(spec->handler(cc, args));
    } catch (const std::exception&) {
      outcome.emplace(pj::ServerFail());
    }
    if (!outcome->ok()) {
      responses.push_back(outcome->error->ToInvocation(call.call_id));
      continue;
    }
    responses.push_back(pj::Invocation{call.name, std::move(outcome->arguments), call.call_id});
    for (auto& [name, arguments] : outcome->also) {
      responses.push_back(pj::Invocation{name, std::move(arguments), call.call_id});
    }
  }
  std::optional<json::object> out_created;
  if (req->created_ids) out_created = std::move(created_ids);
  http::Response r =
      http::Response::Json(200, json::serialize(pj::ResponseJson(responses, session_state,
                                                                 out_created)));
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

}  // namespace internal

// ---- Routes ----

Status AddJmapRoutes(http::Router& router, JmapServices services) {
  if (services.mail == nullptr || services.sign_in == nullptr || services.db == nullptr ||
      services.directory == nullptr) {
    return InvalidArgumentError("AddJmapRoutes: a service is missing");
  }
  auto ctx = std::make_shared<JmapContext>();
  ctx->services = std::move(services);
  CADUCE_RETURN_IF_ERROR(RegisterAllMethods(ctx->registry));

  http::RouteOptions api_options;
  // Larger than maxSizeRequest so that the dispatcher answers the JMAP `limit`
  // error itself (RFC 8620 §3.6.1); far larger bodies get a 413 unread.
  api_options.max_body_bytes = static_cast<size_t>(ctx->services.limits.max_size_request) + 65536;
  api_options.blocking = true;
  CADUCE_RETURN_IF_ERROR(router.Add(
      "POST", "/jmap/api",
      [ctx](const http::Request& r, const http::RouteParams&) {
        return internal::HandleApi(*ctx, r);
      },
      api_options));

  http::RouteOptions read_options;
  read_options.max_body_bytes = 0;
  read_options.blocking = true;
  auto session = [ctx](const http::Request& r, const http::RouteParams&) {
    return internal::HandleSession(*ctx, r);
  };
  CADUCE_RETURN_IF_ERROR(router.Add("GET", "/.well-known/jmap", session, read_options));
  CADUCE_RETURN_IF_ERROR(router.Add("GET", "/jmap/session", session, read_options));
  CADUCE_RETURN_IF_ERROR(router.Add(
      "GET", "/jmap/eventsource",
      [ctx](const http::Request& r, const http::RouteParams&) {
        return internal::HandleEventSource(ctx, r);
      },
      read_options));
  for (http::Route& route : ExtraRoutes(ctx)) {
    CADUCE_RETURN_IF_ERROR(
        router.Add(route.method, route.pattern, std::move(route.handler), route.options));
  }
  return OkStatus();
}

}  // namespace caduce::api::jmap
