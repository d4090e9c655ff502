// File: api/connections.cc
//
// « Gestion des comptes de connexion » (guide 3.2): the persons that may open an
// ORG/APP mailbox, or the mailboxes a person may open; granting from the guide's
// one text field (several addresses separated by commas, semicolons or spaces:
// each valid one granted, each refused one listed with its reason); revoking;
// and an administrator setting a person's default mailbox. Exposure: reads JSON
// bodies of signed-in persons.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <fmt/format.h>

#include "api/admin.h"
#include "base/text.h"
#include "directory/fields.h"
#include "directory/validation.h"

namespace caduce::api::internal {
namespace {

using directory::Account;
using directory::Field;

boost::json::object ConnectionsJson(AdminContext& ctx, const directory::Actor& actor,
                                    const Account& a, Status* status) {
  if (directory::IsSharedMailbox(a.type)) {
    Result<std::vector<Account>> persons = ctx.directory.PersonsWithRight(actor, a.id);
    if (!persons.ok()) {
      *status = persons.status();
      return {};
    }
    boost::json::array out;
    for (const Account& p : *persons) {
      out.push_back(boost::json::object{{"id", p.id},
                                        {"address", p.address()},
                                        {"nom", p.get(Field::kNom)},
                                        {"prenom", p.get(Field::kPrenom)},
                                        {"type", directory::AccountTypeCode(p.type)},
                                        {"status", directory::AccountStatusName(p.status)}});
    }
    return boost::json::object{{"persons", std::move(out)}};
  }
  Result<std::vector<Account>> mailboxes = ctx.directory.MailboxesOfPerson(actor, a.id);
  if (!mailboxes.ok()) {
    *status = mailboxes.status();
    return {};
  }
  boost::json::array out;
  for (const Account& m : *mailboxes) {
    out.push_back(boost::json::object{{"id", m.id},
                                      {"address", m.address()},
                                      {"type", directory::AccountTypeCode(m.type)},
                                      {"description", m.get(Field::kDescription)},
                                      {"default", a.default_mailbox_id == m.id}});
  }
  return boost::json::object{{"mailboxes", std::move(out)}};
}

http::Response ListConnections(AdminContext& ctx, const http::Request& request,
                               const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> id = PathId(params, "id");
  if (!id.ok()) return Refusal(id.status());
  Result<Account> a = ctx.directory.GetAccount(caller->actor, *id);
  if (!a.ok()) return Refusal(a.status());
  Status st;
  boost::json::object out = ConnectionsJson(ctx, caller->actor, *a, &st);
  if (!st.ok()) return Refusal(st);
  return JsonResponse(200, out);
}

// The guide's field: addresses separated by commas, semicolons or white space.
std::vector<std::string> SplitAddresses(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) out.push_back(std::move(current));
    current.clear();
  };
  for (char c : text) {
    if (c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

http::Response Grant(AdminContext& ctx, const http::Request& request,
                     const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> id = PathId(params, "id");
  if (!id.ok()) return Refusal(id.status());
  const boost::json::object* body = request.json.if_object();
  const boost::json::value* text = body ? body->if_contains("addresses") : nullptr;
  if (text == nullptr || !text->is_string()) {
    return Refusal(InvalidArgumentError(
        "Le corps doit être un objet JSON {\"addresses\": \"a@x.fr, b@x.fr\"}."));
  }
  Result<Account> mailbox = ctx.directory.GetAccount(caller->actor, *id);
  if (!mailbox.ok()) return Refusal(mailbox.status());
  if (!directory::IsSharedMailbox(mailbox->type)) {
    return Refused(InvalidArgumentError(
                       "Les comptes de connexion s'ajoutent sur une boîte organisationnelle (ORG) "
                       "ou applicative (APP)."),
                   {directory::Finding{Field::kConnectionAccounts, directory::Severity::kError,
                                       "connection.not_shared",
                                       "Ce compte n'est pas une boîte ORG ou APP."}});
  }
  std::vector<std::string> addresses = SplitAddresses(text->as_string());
  if (addresses.empty()) {
    return Refused(InvalidArgumentError("Saisissez au moins une adresse."),
                   {directory::Finding{Field::kConnectionAccounts, directory::Severity::kError,
                                       "connection.empty",
                                       "Saisissez au moins une adresse, séparées par des virgules."}});
  }
  if (addresses.size() > 500) {
    return Refusal(InvalidArgumentError("Au plus 500 adresses à la fois."));
  }
  boost::json::array granted, refused;
  auto refuse = [&](const std::string& address, std::string_view message) {
    refused.push_back(boost::json::object{{"address", address}, {"message", message}});
  };
  for (std::string& raw : addresses) {
    if (!text::IsValidUtf8(raw) || !directory::IsValidAddress(raw)) {
      refuse(text::IsValidUtf8(raw) ? raw : "?", "Ce n'est pas une adresse mail valide.");
      continue;
    }
    // Unknown and out-of-scope addresses get the same reason (nothing leaks).
    Result<Account> person = ctx.directory.GetAccountByAddress(caller->actor, raw);
    if (!person.ok()) {
      if (person.status().code() != Code::kNotFound) return Refusal(person.status());
      refuse(raw, "Aucun compte de vos structures n'a cette adresse.");
      continue;
    }
    if (!directory::IsNominative(person->type)) {
      refuse(raw, "Ce compte n'est pas nominatif (PER, INT ou MED) : seul un compte nominatif "
                  "peut être compte de connexion.");
      continue;
    }
    Status s = ctx.directory.GrantRight(caller->actor, mailbox->id, person->id);
    if (!s.ok()) {
      if (s.code() == Code::kInvalidArgument || s.code() == Code::kPermissionDenied) {
        refuse(raw, s.message());
        continue;
      }
      return Refusal(s);
    }
    granted.push_back(boost::json::string(person->address()));
  }
  return JsonResponse(200, boost::json::object{{"granted", std::move(granted)},
                                               {"refused", std::move(refused)}});
}

http::Response Revoke(AdminContext& ctx, const http::Request& request,
                      const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> id = PathId(params, "id");
  if (!id.ok()) return Refusal(id.status());
  Result<int64_t> person = PathId(params, "person_id");
  if (!person.ok()) return Refusal(person.status());
  // Both accounts must be visible to the asker, else 404 as for any unknown id.
  Result<Account> mailbox = ctx.directory.GetAccount(caller->actor, *id);
  if (!mailbox.ok()) return Refusal(mailbox.status());
  Status s = ctx.directory.RevokeRight(caller->actor, *id, *person);
  if (!s.ok()) {
    if (s.code() == Code::kPermissionDenied) {
      return Refusal(NotFoundError("Ce compte de connexion n'existe pas."));
    }
    return Refusal(s);
  }
  http::Response r;
  r.status = 204;
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response SetDefault(AdminContext& ctx, const http::Request& request,
                          const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> id = PathId(params, "id");
  if (!id.ok()) return Refusal(id.status());
  const boost::json::object* body = request.json.if_object();
  const boost::json::value* mailbox = body ? body->if_contains("mailbox_id") : nullptr;
  if (mailbox == nullptr || !(mailbox->is_int64() || mailbox->is_null())) {
    return Refusal(InvalidArgumentError(
        "Le corps doit être un objet JSON {\"mailbox_id\": …} (un nombre entier ou null)."));
  }
  Result<Account> person = ctx.directory.GetAccount(caller->actor, *id);
  if (!person.ok()) return Refusal(person.status());
  int64_t target = mailbox->is_null() ? person->id : mailbox->as_int64();
  Status s = ctx.directory.SetDefaultMailbox(caller->actor, person->id, target);
  if (!s.ok()) {
    if (s.code() == Code::kInvalidArgument || s.code() == Code::kNotFound ||
        s.code() == Code::kFailedPrecondition) {
      return Refused(InvalidArgumentError(s.message()),
                     {directory::Finding{Field::kConnectionAccounts, directory::Severity::kError,
                                         "default.no_right", s.message()}});
    }
    return Refusal(s);
  }
  Result<Account> updated = ctx.directory.GetAccount(caller->actor, person->id);
  if (!updated.ok()) return Refusal(updated.status());
  Status st;
  boost::json::object out = ConnectionsJson(ctx, caller->actor, *updated, &st);
  if (!st.ok()) return Refusal(st);
  return JsonResponse(200, out);
}

}  // namespace

std::vector<http::Route> ConnectionRoutes(AdminContext& ctx) {
  std::vector<http::Route> routes(4);
  routes[0].method = "GET";
  routes[0].pattern = "/api/accounts/{id}/connections";
  routes[0].handler = [&ctx](const http::Request& q, const http::RouteParams& p) {
    return ListConnections(ctx, q, p);
  };
  routes[1].method = "POST";
  routes[1].pattern = "/api/accounts/{id}/connections";
  routes[1].handler = [&ctx](const http::Request& q, const http::RouteParams& p) {
    return Grant(ctx, q, p);
  };
  routes[1].options.json_body = true;
  routes[1].options.max_body_bytes = 64 * 1024;
  routes[2].method = "DELETE";
  routes[2].pattern = "/api/accounts/{id}/connections/{person_id}";
  routes[2].handler = [&ctx](const http::Request& q, const http::RouteParams& p) {
    return Revoke(ctx, q, p);
  };
  routes[3].method = "PUT";
  routes[3].pattern = "/api/accounts/{id}/default-mailbox";
  routes[3].handler = [&ctx](const http::Request& q, const http::RouteParams& p) {
    return SetDefault(ctx, q, p);
  };
  routes[3].options.json_body = true;
  routes[3].options.max_body_bytes = 1024;
  return routes;
}

}  // namespace caduce::api::internal
