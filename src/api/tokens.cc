// File: api/tokens.cc
//
// Personal access tokens for mail clients (auth/access_tokens.h):
//  - GET /api/me/tokens: the person's tokens, without their secret;
//  - POST /api/me/tokens {"name", "expires_in_days"?}: 201 with the token in
//    clear, once ("secret"), never shown again;
//  - DELETE /api/me/tokens/{token_id}: revokes one of the person's tokens;
//  - GET /api/accounts/{id}/tokens and DELETE /api/accounts/{id}/tokens/{token_id}:
//    the same for an administrator of the account's structure (404 outside its
//    structures, as for an account that does not exist).
// Only the session cookie (with its CSRF token for POST and DELETE) is accepted:
// a request that carries an Authorization header is refused, so that a token a
// mail client holds can neither make more tokens nor reach these routes.
// Exposure: reads JSON bodies of signed-in persons; returns a secret once.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "api/admin.h"
#include "auth/access_tokens.h"
#include "directory/fields.h"

namespace caduce::api::internal {
namespace {

constexpr int64_t kDayMicros = 24LL * 3600 * 1000000;
constexpr int64_t kMaxDays = 3650;

http::Response NoContent() {
  http::Response r;
  r.status = 204;
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response NoTokens() {
  return Refusal(UnavailableError("Les jetons d'accès ne sont pas disponibles sur ce serveur."));
}

// A token is for the mail API only: these routes take the session cookie alone.
bool CarriesAuthorization(const http::Request& request) {
  return !request.Header("authorization").empty();
}

http::Response BearerRefused() {
  return Refusal(PermissionDeniedError(
      "Un jeton d'accès personnel ne sert qu'à la messagerie (JMAP) : pour gérer vos jetons ou "
      "administrer, connectez-vous avec votre adresse et votre mot de passe."));
}

boost::json::object TokenJson(const auth::AccessTokenInfo& t) {
  return boost::json::object{{"id", t.id},
                             {"name", t.name},
                             {"created_at", TimeJson(t.created_at)},
                             {"expires_at", TimeJson(t.expires_at)},
                             {"last_used_at", TimeJson(t.last_used_at)},
                             {"last_used_ip", TextOrNull(t.last_used_ip)},
                             {"expired", t.expired}};
}

http::Response ListJson(const Result<std::vector<auth::AccessTokenInfo>>& list) {
  if (!list.ok()) return Refusal(list.status());
  boost::json::array out;
  for (const auth::AccessTokenInfo& t : *list) out.push_back(TokenJson(t));
  return JsonResponse(200, boost::json::object{{"tokens", std::move(out)}});
}

http::Response ListOwn(AdminContext& ctx, const http::Request& request) {
  if (ctx.options.tokens == nullptr) return NoTokens();
  if (CarriesAuthorization(request)) return BearerRefused();
  Result<Caller> caller = ResolveCaller(ctx, request, /*require_administrator=*/false);
  if (!caller.ok()) return Refusal(caller.status());
  return ListJson(ctx.options.tokens->List(caller->actor.person_id));
}

http::Response CreateOwn(AdminContext& ctx, const http::Request& request) {
  if (ctx.options.tokens == nullptr) return NoTokens();
  if (CarriesAuthorization(request)) return BearerRefused();
  Result<Caller> caller = ResolveCaller(ctx, request, /*require_administrator=*/false);
  if (!caller.ok()) return Refusal(caller.status());
  const boost::json::object* body = request.json.if_object();
  const boost::json::value* name = body ? body->if_contains("name") : nullptr;
  if (name == nullptr || !name->is_string()) {
    return Refusal(InvalidArgumentError(
        "Nom du jeton : obligatoire. Envoyez {\"name\": \"Thunderbird du poste 3\"} (et, si "
        "vous le souhaitez, \"expires_in_days\": un nombre de jours)."));
  }
  int64_t expires_at = 0;
  const boost::json::value* days = body->if_contains("expires_in_days");
  if (days != nullptr && !days->is_null()) {
    if (!days->is_int64() || days->as_int64() < 1 || days->as_int64() > kMaxDays) {
      return Refusal(InvalidArgumentError(
          "Durée de validité du jeton (expires_in_days) : un nombre entier de jours entre 1 et "
          "3650, ou null pour un jeton sans expiration."));
    }
    expires_at = ctx.options.tokens->clock().NowMicros() + days->as_int64() * kDayMicros;
  }
  std::string_view text(name->as_string().data(), name->as_string().size());
  Result<auth::CreatedAccessToken> created =
      ctx.options.tokens->Create(caller->actor, text, expires_at);
  if (!created.ok()) return Refusal(created.status());
  boost::json::object out = TokenJson(created->info);
  out["secret"] = created->secret;
  out["notice"] =
      "Copiez ce jeton maintenant : il ne sera plus jamais affiché. Il donne accès à votre "
      "messagerie ; révoquez-le s'il est perdu.";
  return JsonResponse(201, out);
}

http::Response RevokeOwn(AdminContext& ctx, const http::Request& request,
                         const http::RouteParams& params) {
  if (ctx.options.tokens == nullptr) return NoTokens();
  if (CarriesAuthorization(request)) return BearerRefused();
  Result<Caller> caller = ResolveCaller(ctx, request, /*require_administrator=*/false);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> token_id = PathId(params, "token_id");
  if (!token_id.ok()) return Refusal(token_id.status());
  Status revoked =
      ctx.options.tokens->Revoke(caller->actor, caller->actor.person_id, *token_id);
  if (!revoked.ok()) return Refusal(revoked);
  return NoContent();
}

// The account `{id}` when the caller administers its structure (404 otherwise),
// and a nominative one (an ORG/APP account has no token: 404 as well).
Result<directory::Account> AdministeredPerson(AdminContext& ctx, const Caller& caller,
                                              const http::RouteParams& params) {
  CADUCE_TRY(int64_t id, PathId(params, "id"));
  CADUCE_TRY(directory::Account a, ctx.directory.GetAccount(caller.actor, id));
  if (!directory::IsNominative(a.type)) {
    return NotFoundError("Une boîte organisationnelle ou applicative n'a pas de jeton d'accès.");
  }
  return a;
}

http::Response ListOfAccount(AdminContext& ctx, const http::Request& request,
                             const http::RouteParams& params) {
  if (ctx.options.tokens == nullptr) return NoTokens();
  if (CarriesAuthorization(request)) return BearerRefused();
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<directory::Account> person = AdministeredPerson(ctx, *caller, params);
  if (!person.ok()) return Refusal(person.status());
  return ListJson(ctx.options.tokens->List(person->id));
}

http::Response RevokeOfAccount(AdminContext& ctx, const http::Request& request,
                               const http::RouteParams& params) {
  if (ctx.options.tokens == nullptr) return NoTokens();
  if (CarriesAuthorization(request)) return BearerRefused();
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<directory::Account> person = AdministeredPerson(ctx, *caller, params);
  if (!person.ok()) return Refusal(person.status());
  Result<int64_t> token_id = PathId(params, "token_id");
  if (!token_id.ok()) return Refusal(token_id.status());
  Status revoked = ctx.options.tokens->Revoke(caller->actor, person->id, *token_id);
  if (!revoked.ok()) return Refusal(revoked);
  return NoContent();
}

}  // namespace

std::vector<http::Route> TokenRoutes(AdminContext& ctx) {
  std::vector<http::Route> routes;
  auto add = [&](std::string method, std::string pattern, http::Handler handler,
                 bool json_body = false) {
    http::Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    r.handler = std::move(handler);
    if (json_body) {
      r.options.max_body_bytes = 2048;
      r.options.json_body = true;
    }
    routes.push_back(std::move(r));
  };
  add("GET", "/api/me/tokens",
      [&ctx](const http::Request& q, const http::RouteParams&) { return ListOwn(ctx, q); });
  add(
      "POST", "/api/me/tokens",
      [&ctx](const http::Request& q, const http::RouteParams&) { return CreateOwn(ctx, q); },
      /*json_body=*/true);
  add("DELETE", "/api/me/tokens/{token_id}",
      [&ctx](const http::Request& q, const http::RouteParams& p) { return RevokeOwn(ctx, q, p); });
  add("GET", "/api/accounts/{id}/tokens",
      [&ctx](const http::Request& q, const http::RouteParams& p) {
        return ListOfAccount(ctx, q, p);
      });
  add("DELETE", "/api/accounts/{id}/tokens/{token_id}",
      [&ctx](const http::Request& q, const http::RouteParams& p) {
        return RevokeOfAccount(ctx, q, p);
      });
  return routes;
}

}  // namespace caduce::api::internal
