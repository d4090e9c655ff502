// File: api/me.cc
//
// GET /api/me: the signed-in person, the mailboxes it may open (itself first,
// then each ORG/APP it holds a right on, with its « Description fonctionnelle »)
// and which one is current — the right on the current mailbox is checked again,
// so a revoked right shows the person's own mailbox as current, with a notice.
// POST /api/me/mailbox {"mailbox_id"} switches the current mailbox (403 without
// a right). Both answer 401 without a valid session. GET /api/me also says whether
// the web mail may offer to show a message's remote images (remote_images).
// Exposure: reads the session cookie of unauthenticated requests.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "api/admin.h"
#include "api/api.h"
#include "api/internal.h"
#include "http/status_map.h"

namespace caduce::api {
namespace {

constexpr std::string_view kNoSessionMessage = "Vous n'êtes pas connecté.";

// What an administration context adds to GET /api/me: the structures the person
// administers, whether it is the operator, and its default mailbox. One read
// transaction, for the person whose session Me() just resolved.
Status AddAdministration(internal::AdminContext& ctx, const http::Request& request,
                         int64_t person_id, boost::json::object& out) {
  directory::Actor actor(directory::Actor::Kind::kPerson, person_id, "", request.remote_ip);
  CADUCE_TRY(auto tx, ctx.directory.db().Begin(storage::TxMode::kRead));
  CADUCE_TRY(std::optional<directory::AccountBrief> brief,
             ctx.directory.repo().FindAccountBrief(*tx, person_id));
  if (!brief) return UnauthenticatedError(std::string(kNoSessionMessage));
  actor.label = brief->address;
  CADUCE_TRY(directory::Scope scope, ctx.directory.ScopeOf(*tx, actor));
  boost::json::array administers;
  if (scope.IsAdministrator()) {
    CADUCE_TRY(std::vector<directory::Structure> all,
               ctx.directory.ListStructuresInTx(*tx, actor));
    for (const directory::Structure& s : all) {
      administers.push_back(boost::json::object{{"id", s.id}, {"name", s.name}});
    }
  }
  out["administers"] = std::move(administers);
  out["operator"] = scope.all;
  if (brief->default_mailbox_id != 0) {
    out["default_mailbox_id"] = brief->default_mailbox_id;
  } else {
    out["default_mailbox_id"] = nullptr;
  }
  return OkStatus();
}

http::Response GetMe(auth::SignInService& service, const http::Request& request,
                     bool remote_images, internal::AdminContext* admin = nullptr) {
  std::string token = internal::SessionToken(request);
  if (token.empty()) return internal::Refusal(UnauthenticatedError(std::string(kNoSessionMessage)));
  Result<auth::MeView> me = service.Me(token, request.remote_ip, internal::UserAgent(request));
  if (!me.ok()) return internal::Refusal(me.status());
  boost::json::object out;
  out["person"] = internal::PersonJson(*me);
  boost::json::array mailboxes;
  for (const auth::MailboxChoice& m : me->mailboxes) {
    mailboxes.push_back(internal::MailboxJson(m, me->current_mailbox_id));
  }
  out["mailboxes"] = std::move(mailboxes);
  out["current_mailbox_id"] = me->current_mailbox_id;
  if (!me->notice.empty()) out["notice"] = me->notice;
  // Whether the web mail may offer « Afficher les images » (remote_images = on).
  out["remote_images"] = remote_images;
  if (admin != nullptr) {
    Status added = AddAdministration(*admin, request, me->person_id, out);
    if (!added.ok()) return internal::Refusal(added);
  }
  http::Response r = http::Response::Json(200, out);
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response SwitchMailbox(auth::SignInService& service, const http::Request& request) {
  std::string token = internal::SessionToken(request);
  if (token.empty()) return internal::Refusal(UnauthenticatedError(std::string(kNoSessionMessage)));
  const boost::json::object* body = request.json.if_object();
  const boost::json::value* id = body ? body->if_contains("mailbox_id") : nullptr;
  if (id == nullptr || !id->is_int64()) {
    return internal::Refusal(InvalidArgumentError(
        "Le corps doit être un objet JSON {\"mailbox_id\": …} (un nombre entier)."));
  }
  Result<auth::MailboxChoice> chosen =
      service.Switch(token, id->as_int64(), request.remote_ip, internal::UserAgent(request));
  if (!chosen.ok()) return internal::Refusal(chosen.status());
  http::Response r = http::Response::Json(
      200, boost::json::object{{"mailbox", internal::MailboxJson(*chosen, chosen->id)}});
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

// PUT /api/me/default-mailbox {"mailbox_id"}: the person's own choice among its
// mailboxes (its own id clears it); answers the GET /api/me body.
http::Response SetOwnDefault(internal::AdminContext& ctx, const http::Request& request,
                             bool remote_images) {
  Result<internal::Caller> caller =
      internal::ResolveCaller(ctx, request, /*require_administrator=*/false);
  if (!caller.ok()) return internal::Refusal(caller.status());
  const boost::json::object* body = request.json.if_object();
  const boost::json::value* id = body ? body->if_contains("mailbox_id") : nullptr;
  if (id == nullptr || !id->is_int64()) {
    return internal::Refusal(InvalidArgumentError(
        "Le corps doit être un objet JSON {\"mailbox_id\": …} (un nombre entier)."));
  }
  Status set = ctx.directory.SetDefaultMailbox(caller->actor, caller->actor.person_id,
                                               id->as_int64());
  if (!set.ok()) {
    // A mailbox the person has no right on is a refusal, whatever the reason.
    if (set.code() == Code::kNotFound || set.code() == Code::kInvalidArgument ||
        set.code() == Code::kFailedPrecondition) {
      return internal::Refusal(PermissionDeniedError(
          "Vous n'avez pas accès à cette boîte : choisissez-en une de la liste."));
    }
    return internal::Refusal(set);
  }
  return GetMe(ctx.sign_in, request, remote_images, &ctx);
}

}  // namespace

std::vector<http::Route> MeRoutes(auth::SignInService& sign_in, const ApiOptions& options) {
  internal::AdminContext* admin = options.admin.get();
  const bool remote_images = options.images != nullptr;
  std::vector<http::Route> routes(2);
  routes[0].method = "GET";
  routes[0].pattern = "/api/me";
  routes[0].handler = [&sign_in, admin, remote_images](const http::Request& r,
                                                       const http::RouteParams&) {
    return GetMe(sign_in, r, remote_images, admin);
  };
  routes[1].method = "POST";
  routes[1].pattern = "/api/me/mailbox";
  routes[1].handler = [&sign_in](const http::Request& r, const http::RouteParams&) {
    return SwitchMailbox(sign_in, r);
  };
  routes[1].options.max_body_bytes = 1024;
  routes[1].options.json_body = true;
  if (admin != nullptr) {
    http::Route d;
    d.method = "PUT";
    d.pattern = "/api/me/default-mailbox";
    d.handler = [admin, remote_images](const http::Request& r, const http::RouteParams&) {
      return SetOwnDefault(*admin, r, remote_images);
    };
    d.options.max_body_bytes = 1024;
    d.options.json_body = true;
    routes.push_back(std::move(d));
  }
  return routes;
}

}  // namespace caduce::api
