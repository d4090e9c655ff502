// File: api/accounts.cc
//
// The accounts of a structure for its administrators: the list (search, filters,
// sort, paging, total), one account with every field keyed by its FIELDS.md
// header, creation (optionally queuing the activation mail), changes, disable and
// enable, the activation mail sent again, and the autocomplete. Every rule is
// DirectoryService's; a 422 carries its findings and nothing is written.
// Exposure: reads JSON bodies and query strings of signed-in persons.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <fmt/format.h>

#include "api/admin.h"
#include "base/json.h"
#include "directory/fields.h"

namespace caduce::api::internal {
namespace {

using directory::Account;
using directory::AccountPageQuery;
using directory::Field;
using directory::Finding;

Result<int64_t> IntParam(const http::Request& request, std::string_view name, int64_t fallback,
                         int64_t min, int64_t max) {
  CADUCE_TRY(std::optional<std::string> v, QueryParam(request, name));
  if (!v || v->empty()) return fallback;
  int64_t n = 0;
  if (v->size() > 12) n = max + 1;
  for (char c : *v) {
    if (c < '0' || c > '9') {
      n = -1;
      break;
    }
    if (n <= max) n = n * 10 + (c - '0');
  }
  if (n < min || n > max) {
    return InvalidArgumentError(fmt::format(
        "Le paramètre « {} » doit être un nombre entre {} et {}.", name, min, max));
  }
  return n;
}

boost::json::object AccountJson(AdminContext& ctx, const directory::Actor& actor,
                                const Account& a) {
  boost::json::object fields;
  Result<directory::FieldValues> row = [&]() -> Result<directory::FieldValues> {
    CADUCE_TRY(auto tx, ctx.directory.db().Begin(storage::TxMode::kRead));
    return ctx.directory.RowOf(*tx, a);
  }();
  const directory::FieldValues& values = row.ok() ? *row : a.fields;
  for (const directory::FieldSpec& spec : directory::FieldTable()) {
    if (spec.For(a.type) == directory::Requirement::kNotConcerned) continue;
    fields[spec.header] = values[directory::FieldIndex(spec.field)];
  }
  Result<int64_t> last = ctx.directory.LastSignIn(actor, a.id);
  return boost::json::object{
      {"id", a.id},
      {"structure_id", a.structure_id},
      {"type", directory::AccountTypeCode(a.type)},
      {"address", a.address()},
      {"status", directory::AccountStatusName(a.status)},
      {"disabled_reason", TextOrNull(a.disabled_reason)},
      {"pending_since",
       a.status == directory::AccountStatus::kPending ? TimeJson(a.created_at) : nullptr},
      {"created_at", TimeJson(a.created_at)},
      {"updated_at", TimeJson(a.updated_at)},
      {"expires", TextOrNull(a.get(Field::kDatePeremption))},
      {"last_sign_in", TimeJson(last.ok() ? *last : 0)},
      {"visible", a.visible_in_directory},
      {"fields", std::move(fields)}};
}

// The {"fields": {header: value}} of a body, each header matched like the import's.
Result<std::vector<std::pair<Field, std::string>>> FieldsOf(const boost::json::object& body) {
  std::vector<std::pair<Field, std::string>> out;
  const boost::json::value* v = body.if_contains("fields");
  if (v == nullptr || !v->is_object()) {
    return InvalidArgumentError(
        "Le corps doit contenir « fields » : un objet {\"En-tête du fichier\": \"valeur\"}.");
  }
  for (const auto& [key, value] : v->as_object()) {
    std::optional<Field> f = directory::FieldByHeader(key);
    if (!f) f = directory::FieldByKey(key);
    if (!f) {
      return InvalidArgumentError(fmt::format(
          "Le champ « {} » n'existe pas : utilisez les en-têtes du fichier d'import.",
          std::string_view(key)));
    }
    if (!value.is_string()) {
      return InvalidArgumentError(fmt::format("La valeur de « {} » doit être un texte.",
                                              directory::Spec(*f).header));
    }
    out.emplace_back(*f, std::string(value.as_string()));
  }
  return out;
}

http::Response ListAccounts(AdminContext& ctx, const http::Request& request,
                            const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> sid = PathId(params, "sid");
  if (!sid.ok()) return Refusal(sid.status());
  AccountPageQuery q;
  q.structure_id = *sid;
  auto refuse = [](const Status& s) { return Refusal(s); };
  Result<std::optional<std::string>> search = QueryParam(request, "q");
  if (!search.ok()) return refuse(search.status());
  if (*search) q.prefix = **search;
  Result<std::optional<std::string>> types = QueryParam(request, "type");
  if (!types.ok()) return refuse(types.status());
  if (*types && !(*types)->empty()) {
    std::string_view rest = **types;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view code = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      std::optional<directory::AccountType> t = directory::ParseAccountType(code);
      if (!t) {
        return refuse(InvalidArgumentError(
            "Le paramètre « type » vaut PER, INT, MED, ORG ou APP (plusieurs séparés par des "
            "virgules)."));
      }
      q.types.push_back(*t);
    }
    if (q.types.size() > 5) q.types.resize(5);
  }
  Result<std::optional<std::string>> status = QueryParam(request, "status");
  if (!status.ok()) return refuse(status.status());
  if (*status && !(*status)->empty()) {
    q.status = directory::ParseAccountStatus(**status);
    if (!q.status) {
      return refuse(InvalidArgumentError(
          "Le paramètre « status » vaut pending, active ou disabled."));
    }
  }
  Result<std::optional<std::string>> sort = QueryParam(request, "sort");
  if (!sort.ok()) return refuse(sort.status());
  std::string sort_key = sort->value_or("address");
  if (sort_key == "address" || sort_key.empty()) {
    q.sort = AccountPageQuery::Sort::kAddress;
  } else if (sort_key == "nom") {
    q.sort = AccountPageQuery::Sort::kNom;
  } else if (sort_key == "type") {
    q.sort = AccountPageQuery::Sort::kType;
  } else if (sort_key == "status") {
    q.sort = AccountPageQuery::Sort::kStatus;
  } else if (sort_key == "last_sign_in") {
    q.sort = AccountPageQuery::Sort::kLastSignIn;
  } else {
    return refuse(InvalidArgumentError(
        "Le paramètre « sort » vaut address, nom, type, status ou last_sign_in."));
  }
  Result<std::optional<std::string>> order = QueryParam(request, "order");
  if (!order.ok()) return refuse(order.status());
  std::string order_key = order->value_or("asc");
  if (order_key != "asc" && order_key != "desc" && !order_key.empty()) {
    return refuse(InvalidArgumentError("Le paramètre « order » vaut asc ou desc."));
  }
  q.descending = order_key == "desc";
  Result<int64_t> offset = IntParam(request, "offset", 0, 0, 100'000'000);
  if (!offset.ok()) return refuse(offset.status());
  Result<int64_t> limit = IntParam(request, "limit", 50, 1, 200);
  if (!limit.ok()) return refuse(limit.status());
  q.offset = *offset;
  q.limit = static_cast<int>(*limit);

  Result<directory::AccountPage> page = ctx.directory.ListAccountPage(caller->actor, q);
  if (!page.ok()) return Refusal(page.status());
  boost::json::array items;
  for (const directory::AccountListItem& a : page->items) {
    items.push_back(boost::json::object{
        {"id", a.id},
        {"type", directory::AccountTypeCode(a.type)},
        {"address", a.address},
        {"nom", a.nom},
        {"prenom", a.prenom},
        {"description", a.description},
        {"status", directory::AccountStatusName(a.status)},
        {"disabled_reason", TextOrNull(a.disabled_reason)},
        {"visible", a.visible_in_directory},
        {"last_sign_in", TimeJson(a.last_sign_in)},
        {"expires", TextOrNull(a.expires)}});
  }
  return JsonResponse(200, boost::json::object{{"total", page->total}, {"items", std::move(items)}});
}

http::Response GetAccount(AdminContext& ctx, const http::Request& request,
                          const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> id = PathId(params, "id");
  if (!id.ok()) return Refusal(id.status());
  Result<Account> a = ctx.directory.GetAccount(caller->actor, *id);
  if (!a.ok()) return Refusal(a.status());
  return JsonResponse(200, AccountJson(ctx, caller->actor, *a));
}

http::Response CreateAccount(AdminContext& ctx, const http::Request& request,
                             const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> sid = PathId(params, "sid");
  if (!sid.ok()) return Refusal(sid.status());
  const boost::json::object* body = request.json.if_object();
  if (body == nullptr) {
    return Refusal(InvalidArgumentError(
        "Le corps doit être un objet JSON {\"type\", \"fields\", \"notify\"}."));
  }
  Result<std::vector<std::pair<Field, std::string>>> fields = FieldsOf(*body);
  if (!fields.ok()) return Refusal(fields.status());
  directory::AccountDraft draft;
  for (auto& [f, v] : *fields) draft.values[directory::FieldIndex(f)] = std::move(v);
  if (const boost::json::value* t = body->if_contains("type"); t && t->is_string()) {
    draft.values[directory::FieldIndex(Field::kType)] = std::string(t->as_string());
  }
  bool notify = false;
  if (const boost::json::value* n = body->if_contains("notify"); n && n->is_bool()) {
    notify = n->as_bool();
  }
  bool visible = false;
  if (const boost::json::value* v = body->if_contains("visible"); v && v->is_bool()) {
    visible = v->as_bool();
  }
  directory::CreateOptions options;
  options.channel = directory::Channel::kForm;
  options.visible_in_directory = visible;
  std::vector<Finding> findings;
  // The account and its activation message in one transaction (as the import does).
  Result<Account> created = [&]() -> Result<Account> {
    CADUCE_TRY(auto tx, ctx.directory.db().Begin(storage::TxMode::kWrite));
    CADUCE_TRY(Account a, ctx.directory.CreateAccountInTx(*tx, caller->actor, *sid, draft,
                                                          options, &findings));
    if (notify && directory::IsNominative(a.type)) {
      CADUCE_RETURN_IF_ERROR(ctx.directory.repo().EnqueueNotification(
          *tx, a.id, "activation", a.created_at));
    }
    CADUCE_RETURN_IF_ERROR(tx->Commit());
    return a;
  }();
  if (!created.ok()) return Refused(created.status(), findings);
  boost::json::object out = AccountJson(ctx, caller->actor, *created);
  out["findings"] = FindingsJson(findings);
  http::Response r = JsonResponse(201, out);
  r.SetHeader("Location", fmt::format("/api/accounts/{}", created->id));
  return r;
}

http::Response UpdateAccount(AdminContext& ctx, const http::Request& request,
                             const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> id = PathId(params, "id");
  if (!id.ok()) return Refusal(id.status());
  const boost::json::object* body = request.json.if_object();
  if (body == nullptr) {
    return Refusal(InvalidArgumentError("Le corps doit être un objet JSON {\"fields\"}."));
  }
  Result<std::vector<std::pair<Field, std::string>>> fields = FieldsOf(*body);
  if (!fields.ok()) return Refusal(fields.status());
  directory::FieldChanges changes;
  for (auto& [f, v] : *fields) changes[f] = std::move(v);
  std::vector<Finding> findings;
  Result<Account> updated = ctx.directory.UpdateAccount(caller->actor, *id, changes, &findings);
  if (!updated.ok()) return Refused(updated.status(), findings);
  boost::json::object out = AccountJson(ctx, caller->actor, *updated);
  out["findings"] = FindingsJson(findings);
  return JsonResponse(200, out);
}

http::Response SetDisabled(AdminContext& ctx, const http::Request& request,
                           const http::RouteParams& params, bool disabled) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> id = PathId(params, "id");
  if (!id.ok()) return Refusal(id.status());
  Status s = ctx.directory.SetDisabled(caller->actor, *id, disabled);
  if (!s.ok()) return Refusal(s);
  Result<Account> a = ctx.directory.GetAccount(caller->actor, *id);
  if (!a.ok()) return Refusal(a.status());
  return JsonResponse(200, AccountJson(ctx, caller->actor, *a));
}

http::Response ResendActivation(AdminContext& ctx, const http::Request& request,
                                const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> id = PathId(params, "id");
  if (!id.ok()) return Refusal(id.status());
  Result<Account> a = ctx.directory.GetAccount(caller->actor, *id);
  if (!a.ok()) return Refusal(a.status());
  if (!directory::IsNominative(a->type) || a->status != directory::AccountStatus::kPending) {
    return Refusal(FailedPreconditionError(
        "Seul un compte nominatif en attente d'activation reçoit le lien d'activation."));
  }
  Status queued = [&]() -> Status {
    CADUCE_TRY(auto tx, ctx.directory.db().Begin(storage::TxMode::kWrite));
    CADUCE_RETURN_IF_ERROR(
        ctx.directory.repo().EnqueueNotification(*tx, a->id, "activation", a->updated_at));
    JsonObject detail;
    detail.Add("address", a->address());
    if (!caller->actor.user_agent.empty()) detail.Add("user_agent", caller->actor.user_agent);
    audit::Event e;
    e.actor_person_id = caller->actor.person_id;
    e.actor = caller->actor.label;
    e.mailbox_id = a->id;
    e.action = "account.activation_resent";
    e.object = directory::AccountObject(a->id);
    e.ip = caller->actor.ip;
    e.detail = detail.str();
    CADUCE_RETURN_IF_ERROR(ctx.directory.audit().Append(*tx, std::move(e)).status());
    return tx->Commit();
  }();
  if (!queued.ok()) return Refusal(queued);
  return JsonResponse(202, boost::json::object{{"queued", true}});
}

http::Response Autocomplete(AdminContext& ctx, const http::Request& request,
                            const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> sid = PathId(params, "sid");
  if (!sid.ok()) return Refusal(sid.status());
  if (!caller->scope.Covers(*sid)) {
    return Refusal(PermissionDeniedError(
        "Vous n'administrez pas cette structure : demandez à l'un de ses administrateurs "
        "ou à l'opérateur."));
  }
  Result<std::optional<std::string>> q = QueryParam(request, "q");
  if (!q.ok()) return Refusal(q.status());
  Result<bool> nominative = QueryFlag(request, "nominative", false);
  if (!nominative.ok()) return Refusal(nominative.status());
  boost::json::array out;
  if (*q && !(*q)->empty()) {
    // The scope's other structures are searched too (a right may link two structures
    // the person administers), then this one's accounts come first.
    Result<std::vector<Account>> hits = ctx.directory.Search(caller->actor, **q, *nominative, 50);
    if (!hits.ok()) return Refusal(hits.status());
    for (const Account& a : *hits) {
      out.push_back(boost::json::object{{"id", a.id},
                                        {"address", a.address()},
                                        {"nom", a.get(Field::kNom)},
                                        {"prenom", a.get(Field::kPrenom)},
                                        {"type", directory::AccountTypeCode(a.type)}});
    }
  }
  return JsonResponse(200, out);
}

http::Route MakeRoute(std::string method, std::string pattern, http::Handler h,
                      bool json = false) {
  http::Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.handler = std::move(h);
  if (json) {
    r.options.json_body = true;
    r.options.max_body_bytes = 64 * 1024;
  }
  return r;
}

}  // namespace

std::vector<http::Route> AccountRoutes(AdminContext& ctx) {
  using P = const http::RouteParams&;
  using Q = const http::Request&;
  std::vector<http::Route> routes;
  routes.push_back(MakeRoute("GET", "/api/structures/{sid}/accounts",
                             [&ctx](Q q, P p) { return ListAccounts(ctx, q, p); }));
  routes.push_back(MakeRoute("POST", "/api/structures/{sid}/accounts",
                             [&ctx](Q q, P p) { return CreateAccount(ctx, q, p); }, true));
  routes.push_back(MakeRoute("GET", "/api/structures/{sid}/autocomplete",
                             [&ctx](Q q, P p) { return Autocomplete(ctx, q, p); }));
  routes.push_back(MakeRoute("GET", "/api/accounts/{id}",
                             [&ctx](Q q, P p) { return GetAccount(ctx, q, p); }));
  routes.push_back(MakeRoute("PATCH", "/api/accounts/{id}",
                             [&ctx](Q q, P p) { return UpdateAccount(ctx, q, p); }, true));
  routes.push_back(MakeRoute("POST", "/api/accounts/{id}/disable",
                             [&ctx](Q q, P p) { return SetDisabled(ctx, q, p, true); }));
  routes.push_back(MakeRoute("POST", "/api/accounts/{id}/enable",
                             [&ctx](Q q, P p) { return SetDisabled(ctx, q, p, false); }));
  routes.push_back(MakeRoute("POST", "/api/accounts/{id}/activation",
                             [&ctx](Q q, P p) { return ResendActivation(ctx, q, p); }));
  return routes;
}

}  // namespace caduce::api::internal
