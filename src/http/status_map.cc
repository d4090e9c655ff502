// Status → HTTP status and problem details, in one table (see status_map.h).
#include "http/status_map.h"

#include "base/json.h"

namespace caduce::http {

int HttpStatusFor(Code code, ExhaustedAs exhausted) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
      return 409;
    case Code::kFailedPrecondition:
      return 409;
    case Code::kResourceExhausted:
      return exhausted == ExhaustedAs::kContentTooLarge ? 413 : 429;
    case Code::kUnavailable:
      return 503;
    case Code::kAborted:
    case Code::kDataLoss:
    case Code::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ProblemTitle(int http_status) {
  switch (http_status) {
    case 400:
      return "Requête invalide";
    case 401:
      return "Authentification requise";
    case 403:
      return "Accès refusé";
    case 404:
      return "Ressource introuvable";
    case 405:
      return "Méthode non autorisée";
    case 408:
      return "Délai de requête dépassé";
    case 409:
      return "Conflit avec l'état actuel";
    case 413:
      return "Contenu trop volumineux";
    case 415:
      return "Type de contenu non pris en charge";
    case 429:
      return "Trop de requêtes";
    case 431:
      return "En-têtes de requête trop volumineux";
    case 500:
      return "Erreur interne du serveur";
    case 503:
      return "Service indisponible";
    default:
      return http_status >= 500 ? "Erreur du serveur" : "Requête refusée";
  }
}

Response Problem(int http_status, std::string_view detail) {
  JsonObject o;
  // "about:blank": the status code says it all (RFC 9457 §4.2.1); the title may
  // be localised.
  o.Add("type", "about:blank").Add("title", ProblemTitle(http_status)).Add("status", http_status);
  if (!detail.empty()) o.Add("detail", detail);
  Response r;
  r.status = http_status;
  r.SetHeader("Content-Type", "application/problem+json");
  r.body = o.str();
  return r;
}

Response ProblemFromStatus(const Status& status, ExhaustedAs exhausted) {
  int http_status = HttpStatusFor(status.code(), exhausted);
  if (http_status >= 500) {
    return Problem(http_status, http_status == 503
                                    ? "Le service est momentanément indisponible, réessayez."
                                    : "Une erreur interne est survenue.");
  }
  return Problem(http_status, status.message());
}

}  // namespace caduce::http
