// File: api/openapi.cc
//
// GET /api/openapi.json: the OpenAPI 3.1 document of every /api route, built from
// the one table below (docs/api.md is its prose). A test checks that the table
// and the router hold the same routes.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <string_view>

#include "api/api.h"

namespace caduce::api {
namespace {

enum class Access { kPublic, kSession, kAdministrator, kOwner };
enum class Body { kNone, kJson, kFile };

struct Operation {
  std::string_view method;  // lower case, as OpenAPI keys it
  std::string_view path;
  std::string_view tag;
  std::string_view summary;
  Access access;
  Body body;
  std::string_view success;  // "200", "201", "202", "204"
  std::string_view success_type;  // media type of the success body ("" none)
};

constexpr Operation kOperations[] = {
    {"post", "/api/session", "session", "Se connecter (adresse et mot de passe)", Access::kPublic,
     Body::kJson, "200", "application/json"},
    {"delete", "/api/session", "session", "Se déconnecter", Access::kSession, Body::kNone, "204", ""},
    {"get", "/api/me", "session", "La personne connectée, ses boîtes, ce qu'elle administre",
     Access::kSession, Body::kNone, "200", "application/json"},
    {"post", "/api/me/mailbox", "session", "Changer de compte (boîte courante)", Access::kSession,
     Body::kJson, "200", "application/json"},
    {"put", "/api/me/default-mailbox", "session", "Choisir sa boîte par défaut", Access::kSession,
     Body::kJson, "200", "application/json"},
    {"post", "/api/password/forgot", "password", "Mot de passe oublié : envoyer un lien",
     Access::kPublic, Body::kJson, "202", ""},
    {"post", "/api/password/reset", "password", "Choisir un nouveau mot de passe (lien)",
     Access::kPublic, Body::kJson, "204", ""},
    {"post", "/api/activation", "password", "Activer son compte (lien)", Access::kPublic,
     Body::kJson, "204", ""},
    {"get", "/api/password/token", "password", "Ce qu'un lien permet (activation, réinitialisation)",
     Access::kPublic, Body::kNone, "200", "application/json"},
    {"get", "/api/structures", "structures", "Les structures administrées",
     Access::kAdministrator, Body::kNone, "200", "application/json"},
    {"patch", "/api/structures/{sid}", "structures",
     "Réglage de messagerie d'une structure (en-tête Sender: nommant la personne)",
     Access::kAdministrator, Body::kJson, "200", "application/json"},
    {"get", "/api/reference", "structures", "Les champs du formulaire et les listes de référence",
     Access::kSession, Body::kNone, "200", "application/json"},
    {"get", "/api/structures/{sid}/accounts", "accounts",
     "Comptes d'une structure : recherche, filtres, tri, pages, total", Access::kAdministrator,
     Body::kNone, "200", "application/json"},
    {"post", "/api/structures/{sid}/accounts", "accounts", "Créer un compte",
     Access::kAdministrator, Body::kJson, "201", "application/json"},
    {"get", "/api/structures/{sid}/autocomplete", "accounts", "Suggestions d'adresses (50 au plus)",
     Access::kAdministrator, Body::kNone, "200", "application/json"},
    {"get", "/api/structures/{sid}/export", "transfer", "Exporter la liste d'utilisateurs",
     Access::kAdministrator, Body::kNone, "200",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"post", "/api/structures/{sid}/imports", "transfer",
     "Importer une liste d'utilisateurs (essai lancé aussitôt)", Access::kAdministrator,
     Body::kFile, "202", "application/json"},
    {"get", "/api/structures/{sid}/audit", "audit", "Traces de la structure et état de la chaîne",
     Access::kAdministrator, Body::kNone, "200", "application/json"},
    {"get", "/api/structures/{sid}/audit/export", "audit", "Exporter les traces (CSV)",
     Access::kAdministrator, Body::kNone, "200", "text/csv"},
    {"get", "/api/accounts/{id}", "accounts", "Un compte et tous ses champs",
     Access::kAdministrator, Body::kNone, "200", "application/json"},
    {"patch", "/api/accounts/{id}", "accounts", "Modifier des champs d'un compte",
     Access::kAdministrator, Body::kJson, "200", "application/json"},
    {"post", "/api/accounts/{id}/disable", "accounts", "Désactiver un compte",
     Access::kAdministrator, Body::kNone, "200", "application/json"},
    {"post", "/api/accounts/{id}/enable", "accounts", "Réactiver un compte",
     Access::kAdministrator, Body::kNone, "200", "application/json"},
    {"post", "/api/accounts/{id}/activation", "accounts", "Renvoyer le mail d'activation",
     Access::kAdministrator, Body::kNone, "202", "application/json"},
    {"get", "/api/accounts/{id}/connections", "connections",
     "Comptes de connexion (ORG/APP) ou boîtes accessibles (nominatif)", Access::kAdministrator,
     Body::kNone, "200", "application/json"},
    {"post", "/api/accounts/{id}/connections", "connections",
     "Ajouter des comptes de connexion (adresses séparées par des virgules)",
     Access::kAdministrator, Body::kJson, "200", "application/json"},
    {"delete", "/api/accounts/{id}/connections/{person_id}", "connections",
     "Retirer un compte de connexion", Access::kAdministrator, Body::kNone, "204", ""},
    {"put", "/api/accounts/{id}/default-mailbox", "connections",
     "Définir la boîte par défaut d'une personne", Access::kAdministrator, Body::kJson, "200",
     "application/json"},
    {"get", "/api/imports/{id}", "transfer", "Un import : état, progression, compte-rendu",
     Access::kOwner, Body::kNone, "200", "application/json"},
    {"get", "/api/imports/{id}/events", "transfer", "Progression d'un import (Server-Sent Events)",
     Access::kOwner, Body::kNone, "200", "text/event-stream"},
    {"post", "/api/imports/{id}/apply", "transfer", "Appliquer l'import essayé", Access::kOwner,
     Body::kNone, "202", "application/json"},
    {"get", "/api/imports/{id}/report", "transfer", "Télécharger le compte-rendu", Access::kOwner,
     Body::kNone, "200", "application/octet-stream"},
    {"get", "/api/me/tokens", "tokens", "Ses jetons d'accès personnels (sans leur secret)",
     Access::kSession, Body::kNone, "200", "application/json"},
    {"post", "/api/me/tokens", "tokens",
     "Créer un jeton d'accès pour un logiciel de messagerie (affiché une seule fois)",
     Access::kSession, Body::kJson, "201", "application/json"},
    {"delete", "/api/me/tokens/{token_id}", "tokens", "Révoquer un de ses jetons d'accès",
     Access::kSession, Body::kNone, "204", ""},
    {"get", "/api/accounts/{id}/tokens", "tokens", "Les jetons d'accès d'une personne",
     Access::kAdministrator, Body::kNone, "200", "application/json"},
    {"delete", "/api/accounts/{id}/tokens/{token_id}", "tokens",
     "Révoquer un jeton d'accès d'une personne", Access::kAdministrator, Body::kNone, "204", ""},
    {"get", "/api/mail/image", "mail",
     "Une image distante d'un message, récupérée par caduce (paramètre url)", Access::kSession,
     Body::kNone, "200", "image/*"},
    {"post", "/api/me/password", "session", "Changer son mot de passe (l'actuel et le nouveau)",
     Access::kSession, Body::kJson, "204", ""},
    {"get", "/api/directory/suggestions", "directory",
     "Suggestions de destinataires dans l'annuaire (comptes visibles, 10 par défaut, 20 au plus)",
     Access::kSession, Body::kNone, "200", "application/json"},
    {"get", "/api/mail/image", "mail",
     "Une image distante d'un message, récupérée par caduce (paramètre url)", Access::kSession,
     Body::kNone, "200", "image/*"},
    {"get", "/api/openapi.json", "meta", "Ce document", Access::kPublic, Body::kNone, "200",
     "application/json"},
};

// Answers of a few operations beyond those OperationJson derives from the table.
struct ExtraResponse {
  std::string_view method;
  std::string_view path;
  std::string_view status;
  std::string_view description;
};

constexpr ExtraResponse kExtraResponses[] = {
    {"post", "/api/me/password", "409", "Mot de passe changé entre-temps par une autre requête"},
    {"post", "/api/me/password", "422", "Nouveau mot de passe refusé : la règle non respectée"},
    {"post", "/api/me/password", "429", "Trop d'échecs : patienter (Retry-After)"},
    {"get", "/api/directory/suggestions", "400",
     "q de moins de 2 caractères, ou limit qui n'est pas un entier positif"},
    {"get", "/api/directory/suggestions", "429",
     "Plus de 60 recherches en une minute : patienter (Retry-After)"},
    {"get", "/api/mail/image", "400", "url absente, mal formée, ni http ni https, ou avec identifiants"},
    {"get", "/api/mail/image", "413", "Image de plus de 5 Mio"},
    {"get", "/api/mail/image", "415", "Ni PNG, ni JPEG, ni GIF, ni WebP, ni AVIF, ni ICO (SVG et HTML refusés)"},
    {"get", "/api/mail/image", "429", "Plus de 300 images en une minute : patienter (Retry-After)"},
    {"get", "/api/mail/image", "502", "Serveur de l'image injoignable, réponse autre que 200, trop de redirections"},
    {"get", "/api/mail/image", "503", "Trop de récupérations en cours : réessayer (Retry-After)"},
    {"get", "/api/mail/image", "504", "Le serveur de l'image n'a pas répondu dans les 5 secondes"},
};

// Query parameters of a few operations.
struct QueryParameter {
  std::string_view method;
  std::string_view path;
  std::string_view name;
  bool required;
  std::string_view type;  // "string" or "integer"
};

constexpr QueryParameter kQueryParameters[] = {
    {"get", "/api/directory/suggestions", "q", true, "string"},
    {"get", "/api/directory/suggestions", "limit", false, "integer"},
    {"get", "/api/mail/image", "url", true, "string"},
};

boost::json::object ProblemRef(std::string_view description) {
  return boost::json::object{
      {"description", description},
      {"content",
       boost::json::object{{"application/problem+json",
                            boost::json::object{{"schema", boost::json::object{
                                                               {"$ref", "#/components/schemas/Problem"}}}}}}}};
}

boost::json::object OperationJson(const Operation& op) {
  boost::json::object responses;
  boost::json::object ok{{"description", "Succès"}};
  if (!op.success_type.empty()) {
    ok["content"] = boost::json::object{{op.success_type, boost::json::object{}}};
  }
  responses[op.success] = std::move(ok);
  if (op.body != Body::kNone) responses["400"] = ProblemRef("Requête mal formée");
  if (op.access != Access::kPublic) {
    responses["401"] = ProblemRef("Pas de session valide");
    responses["403"] = ProblemRef("Non administrateur de la structure, ou jeton CSRF absent");
  }
  if (op.path.find('{') != std::string_view::npos) {
    responses["404"] = ProblemRef("Inconnu, ou hors des structures de la personne");
  }
  if (op.body == Body::kJson && op.access == Access::kAdministrator) {
    responses["422"] = ProblemRef("Données invalides : voir « findings »");
  }
  if (op.body == Body::kFile) {
    responses["413"] = ProblemRef("Fichier de plus de 64 Mio");
    responses["415"] = ProblemRef("Ni un classeur Excel (.xlsx, .xls) ni un fichier CSV");
  }
  for (const ExtraResponse& extra : kExtraResponses) {
    if (extra.method == op.method && extra.path == op.path) {
      responses[extra.status] = ProblemRef(extra.description);
    }
  }
  boost::json::object o{{"tags", boost::json::array{op.tag}},
                        {"summary", op.summary},
                        {"responses", std::move(responses)}};
  boost::json::array parameters;
  std::string_view rest = op.path;
  while (true) {
    size_t open = rest.find('{');
    if (open == std::string_view::npos) break;
    size_t close = rest.find('}', open);
    parameters.push_back(boost::json::object{
        {"name", rest.substr(open + 1, close - open - 1)},
        {"in", "path"},
        {"required", true},
        {"schema", boost::json::object{{"type", op.path.starts_with("/api/imports") ? "string"
                                                                                    : "integer"}}}});
    rest = rest.substr(close + 1);
  }
  for (const QueryParameter& q : kQueryParameters) {
    if (q.method != op.method || q.path != op.path) continue;
    parameters.push_back(boost::json::object{{"name", q.name},
                                             {"in", "query"},
                                             {"required", q.required},
                                             {"schema", boost::json::object{{"type", q.type}}}});
  }
  if (!parameters.empty()) o["parameters"] = std::move(parameters);
  if (op.body == Body::kJson) {
    o["requestBody"] = boost::json::object{
        {"required", true},
        {"content", boost::json::object{{"application/json", boost::json::object{}}}}};
  } else if (op.body == Body::kFile) {
    o["requestBody"] = boost::json::object{
        {"required", true},
        {"content", boost::json::object{{"application/octet-stream", boost::json::object{}}}}};
  }
  if (op.access == Access::kPublic) {
    o["security"] = boost::json::array{};
  } else if (op.method != "get") {
    o["security"] = boost::json::array{
        boost::json::object{{"session", boost::json::array{}}, {"csrf", boost::json::array{}}}};
  }
  return o;
}

}  // namespace

std::string OpenApiDocument() {
  boost::json::object paths;
  for (const Operation& op : kOperations) {
    boost::json::value& item = paths[op.path];
    if (!item.is_object()) item = boost::json::object{};
    item.as_object()[op.method] = OperationJson(op);
  }
  boost::json::object doc{
      {"openapi", "3.1.0"},
      {"info", boost::json::object{{"title", "caduce API"},
                                   {"version", "1"},
                                   {"description",
                                    "Sign-in and administration API of caduce (docs/api.md)."}}},
      {"paths", std::move(paths)},
      {"security", boost::json::array{boost::json::object{{"session", boost::json::array{}}}}},
      {"components",
       boost::json::object{
           {"securitySchemes",
            boost::json::object{
                {"session", boost::json::object{{"type", "apiKey"},
                                                {"in", "cookie"},
                                                {"name", "caduce_session"}}},
                {"csrf", boost::json::object{{"type", "apiKey"},
                                             {"in", "header"},
                                             {"name", "X-CSRF-Token"}}}}},
           {"schemas",
            boost::json::object{
                {"Problem",
                 boost::json::object{
                     {"type", "object"},
                     {"required", boost::json::array{"type", "title", "status", "detail"}},
                     {"properties",
                      boost::json::object{
                          {"type", boost::json::object{{"type", "string"}}},
                          {"title", boost::json::object{{"type", "string"}}},
                          {"status", boost::json::object{{"type", "integer"}}},
                          {"detail", boost::json::object{{"type", "string"}}},
                          {"findings",
                           boost::json::object{{"type", "array"},
                                               {"items", boost::json::object{
                                                             {"$ref", "#/components/schemas/Finding"}}}}}}}}},
                {"Finding",
                 boost::json::object{
                     {"type", "object"},
                     {"properties",
                      boost::json::object{
                          {"header", boost::json::object{{"type", "string"}}},
                          {"severity", boost::json::object{{"enum", boost::json::array{"error", "warning"}}}},
                          {"code", boost::json::object{{"type", "string"}}},
                          {"message", boost::json::object{{"type", "string"}}}}}}}}}}}};
  return boost::json::serialize(doc);
}

}  // namespace caduce::api
