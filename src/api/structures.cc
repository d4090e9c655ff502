// File: api/structures.cc
//
// GET /api/structures (the structures the person administers, all for the
// operator, with their mail settings), PATCH /api/structures/{sid} (a structure's
// administrator sets « mailAddsSender »: mail sent from its ORG/APP mailboxes
// names the person in a Sender: header), GET /api/reference (the fields of FIELDS.md with what each type
// requires, and the reference lists, for the creation form's selects: the UI
// lists nothing itself), and PUT /api/me/default-mailbox (a person sets its own
// default mailbox). Exposure: reads sessions of unauthenticated requests.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "api/admin.h"
#include "directory/fields.h"
#include "directory/reference_data.h"
#include "directory/validation.h"
#include "mail/mail_service.h"

namespace caduce::api::internal {
namespace {

using directory::Field;
using directory::Requirement;

std::string_view RequirementName(Requirement r) {
  switch (r) {
    case Requirement::kMandatory:
      return "mandatory";
    case Requirement::kConditional:
      return "conditional";
    case Requirement::kRecommended:
      return "recommended";
    case Requirement::kOptional:
      return "optional";
    case Requirement::kNotConcerned:
      return "none";
  }
  return "none";
}

// The reference list a field takes its values from (names of "lists").
std::string_view ListOf(Field f) {
  switch (f) {
    case Field::kType:
      return "types";
    case Field::kDepartement:
      return "departements";
    case Field::kRegion:
      return "regions";
    case Field::kProfession:
    case Field::kProfessionResp:
      return "professions";
    case Field::kSpecialite:
      return "specialites";
    case Field::kCiviliteExercice:
      return "civilites";
    case Field::kTypeIdStructure:
      return "types_id_structure";
    case Field::kActiviteLiberale:
      return "oui_non";
    default:
      return "";
  }
}

boost::json::array ListJson(const directory::ReferenceList& list) {
  boost::json::array out;
  for (const directory::ListEntry& e : list.entries()) {
    out.push_back(boost::json::object{{"code", e.code}, {"label", e.label}});
  }
  return out;
}

// The conditions of FIELDS.md's footnotes, from directory/ (the ones validation
// applies), so that the form shows a conditional field when its condition holds.
void AddCondition(Field f, const directory::ReferenceData& ref, boost::json::object& o) {
  std::optional<directory::FieldCondition> c = directory::ConditionOf(f, ref);
  if (!c) return;
  o["condition"] = c->sentence;
  o["condition_field"] = c->trigger ? boost::json::value(directory::Spec(*c->trigger).key)
                                    : boost::json::value(nullptr);
  boost::json::value values = nullptr;
  if (!c->trigger_values.empty()) {
    boost::json::array codes;
    for (const std::string& code : c->trigger_values) codes.push_back(boost::json::string(code));
    values = std::move(codes);
  }
  o["condition_values"] = std::move(values);
}

http::Response GetReference(AdminContext& ctx, const http::Request& request) {
  Result<Caller> caller = ResolveCaller(ctx, request, /*require_administrator=*/false);
  if (!caller.ok()) return Refusal(caller.status());
  const directory::ReferenceData& ref = ctx.directory.reference();
  boost::json::array fields;
  for (const directory::FieldSpec& spec : directory::FieldTable()) {
    boost::json::object types;
    for (int t = 0; t < directory::kNumAccountTypes; ++t) {
      auto type = static_cast<directory::AccountType>(t);
      types[directory::AccountTypeCode(type)] = RequirementName(spec.For(type));
    }
    std::string_view list = ListOf(spec.field);
    boost::json::object o{{"key", spec.key},
                          {"header", spec.header},
                          {"types", std::move(types)},
                          {"list", list.empty() ? boost::json::value(nullptr)
                                                : boost::json::value(list)},
                          {"condition", nullptr}};
    AddCondition(spec.field, ref, o);
    fields.push_back(std::move(o));
  }
  boost::json::object lists{
      {"types",
       boost::json::array{
           boost::json::object{{"code", "PER"},
                               {"label", "Professionnel de santé avec RPPS ou ADELI (ex. un médecin)"}},
           boost::json::object{{"code", "INT"},
                               {"label", "Professionnel de santé sans RPPS ni ADELI (ex. un interne)"}},
           boost::json::object{{"code", "MED"},
                               {"label", "Personnel non médical (ex. une secrétaire médicale)"}},
           boost::json::object{{"code", "ORG"},
                               {"label", "Boîte organisationnelle (ex. le secrétariat d'un service)"}},
           boost::json::object{{"code", "APP"},
                               {"label", "Boîte applicative (ex. le logiciel d'un laboratoire)"}}}},
      {"departements", ListJson(ref.departements())},
      {"regions", ListJson(ref.regions())},
      {"professions", ListJson(ref.professions())},
      {"specialites", ListJson(ref.specialites())},
      {"civilites", ListJson(ref.civilites())},
      {"types_id_structure", ListJson(ref.types_id_structure())},
      {"oui_non", boost::json::array{boost::json::object{{"code", "OUI"}, {"label", "Oui"}},
                                     boost::json::object{{"code", "NON"}, {"label", "Non"}}}}};
  return JsonResponse(200, boost::json::object{{"fields", std::move(fields)},
                                               {"lists", std::move(lists)}});
}

boost::json::object StructureJson(const directory::Structure& s) {
  auto id_of = [&](std::string_view type) {
    return s.id_type == type ? TextOrNull(s.id_value) : boost::json::value(nullptr);
  };
  return boost::json::object{{"id", s.id},
                             {"name", s.name},
                             {"finess", id_of("1")},
                             {"siren", id_of("2")},
                             {"siret", id_of("3")},
                             {"domain", TextOrNull(s.mss_domain)}};
}

http::Response ListStructures(AdminContext& ctx, const http::Request& request) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<std::vector<directory::Structure>> all = ctx.directory.ListStructures(caller->actor);
  if (!all.ok()) return Refusal(all.status());
  boost::json::array out;
  for (const directory::Structure& s : *all) {
    boost::json::object o = StructureJson(s);
    if (ctx.options.mail != nullptr) {
      Result<bool> adds = ctx.options.mail->StructureAddsSender(s.id);
      if (!adds.ok()) return Refusal(adds.status());
      o["mailAddsSender"] = *adds;
    }
    out.push_back(std::move(o));
  }
  return JsonResponse(200, out);
}

// PATCH /api/structures/{sid} {"mailAddsSender": true|false}: 403 for a structure
// the person does not administer, as every structure-scoped URL answers (404 for
// the operator naming one that does not exist); the change is traced
// `structure.updated` by mail/ in the transaction that writes it.
http::Response UpdateStructure(AdminContext& ctx, const http::Request& request,
                               const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> id = PathId(params, "sid");
  if (!id.ok()) return Refusal(id.status());
  if (!caller->scope.Covers(*id)) {
    return Refusal(PermissionDeniedError(
        "Vous n'administrez pas cette structure : demandez à l'un de ses administrateurs ou à "
        "l'opérateur."));
  }
  if (ctx.options.mail == nullptr) {
    return Refusal(UnavailableError("La messagerie n'est pas disponible sur ce serveur."));
  }
  const boost::json::object* body = request.json.if_object();
  if (body == nullptr || body->empty()) {
    return Refusal(InvalidArgumentError(
        "Le corps doit être un objet JSON, par exemple {\"mailAddsSender\": true}."));
  }
  bool adds = false;  // set below: the body holds exactly this one key
  for (const auto& [key, value] : *body) {
    if (key != "mailAddsSender") {
      return Refusal(InvalidArgumentError(
          "Champ « " + std::string(key).substr(0, 64) +
          " » inconnu : seul « mailAddsSender » (true ou false) se modifie ici."));
    }
    if (!value.is_bool()) {
      return Refusal(InvalidArgumentError(
          "Champ « mailAddsSender » : indiquez true (ajouter l'en-tête Sender: nommant la "
          "personne) ou false."));
    }
    adds = value.as_bool();
  }
  Status st = ctx.options.mail->SetStructureAddsSender(caller->actor, *id, adds);
  if (!st.ok()) return Refusal(st);
  Result<std::vector<directory::Structure>> all = ctx.directory.ListStructures(caller->actor);
  if (!all.ok()) return Refusal(all.status());
  for (const directory::Structure& s : *all) {
    if (s.id != *id) continue;
    boost::json::object o = StructureJson(s);
    o["mailAddsSender"] = adds;
    return JsonResponse(200, o);
  }
  return Refusal(NotFoundError("Cette structure n'existe pas."));
}

}  // namespace

std::vector<http::Route> StructureRoutes(AdminContext& ctx) {
  std::vector<http::Route> routes;
  http::Route r;
  r.method = "GET";
  r.pattern = "/api/structures";
  r.handler = [&ctx](const http::Request& q, const http::RouteParams&) {
    return ListStructures(ctx, q);
  };
  routes.push_back(r);
  r.pattern = "/api/reference";
  r.handler = [&ctx](const http::Request& q, const http::RouteParams&) {
    return GetReference(ctx, q);
  };
  routes.push_back(r);
  r.method = "PATCH";
  r.pattern = "/api/structures/{sid}";
  r.handler = [&ctx](const http::Request& q, const http::RouteParams& p) {
    return UpdateStructure(ctx, q, p);
  };
  r.options.json_body = true;
  r.options.max_body_bytes = 4 * 1024;
  routes.push_back(r);
  return routes;
}

}  // namespace caduce::api::internal
