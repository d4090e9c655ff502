// File: api/directory_suggest.cc
//
// GET /api/directory/suggestions?q=…[&limit=…]: recipient suggestions from the
// directory (annuaire) for any signed-in person, whatever its structure — the
// accounts visible in the directory and not disabled whose address, NOM or
// Prénom starts with the words typed (directory::DirectoryService::
// SuggestRecipients holds every rule). Answers
//   {"items": [{"name", "address", "type", "typeLabel", "structure"}]}
// and nothing else of an account. 401 without a session, 400 for a q shorter
// than two characters or a malformed limit, 429 with Retry-After past
// kPerMinute requests of one person in a minute (a person may read the
// directory, not copy it). Exposure: reads the session cookie and the query of
// unauthenticated requests.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>
#include <memory>
#include <string>
#include <vector>

#include "api/admin.h"
#include "api/internal.h"
#include "api/per_person_limit.h"
#include "directory/fields.h"
#include "http/status_map.h"

namespace caduce::api::internal {
namespace {

constexpr int64_t kPerMinute = 60;

// The `limit` parameter: absent → the default; a whole number ≥ 1, capped.
Result<int> LimitOf(const http::Request& request) {
  CADUCE_TRY(std::optional<std::string> v, QueryParam(request, "limit"));
  if (!v) return directory::DirectoryService::kSuggestDefaultLimit;
  int n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || end != v->data() + v->size() || n < 1) {
    if (ec == std::errc::result_out_of_range && !v->empty() && (*v)[0] != '-') {
      return directory::DirectoryService::kSuggestMaxLimit;
    }
    return InvalidArgumentError(
        "Le paramètre limit doit être un nombre entier positif (20 au plus).");
  }
  return std::min(n, directory::DirectoryService::kSuggestMaxLimit);
}

http::Response Suggestions(AdminContext& ctx, PerPersonLimit& limiter,
                           const http::Request& request) {
  Result<Caller> caller = ResolveCaller(ctx, request, /*require_administrator=*/false);
  if (!caller.ok()) return Refusal(caller.status());
  int64_t wait = limiter.Take(caller->actor.person_id, ctx.directory.clock().NowMicros());
  if (wait > 0) {
    http::Response r = http::Problem(
        429, "Trop de recherches dans l'annuaire en peu de temps : patientez une minute avant "
             "de continuer.");
    r.SetHeader("Retry-After", std::to_string(wait));
    r.SetHeader("Cache-Control", "no-store");
    return r;
  }
  Result<std::optional<std::string>> q = QueryParam(request, "q");
  if (!q.ok()) return Refusal(q.status());
  Result<int> limit = LimitOf(request);
  if (!limit.ok()) return Refusal(limit.status());
  Result<std::vector<directory::DirectorySuggestion>> found =
      ctx.directory.SuggestRecipients(caller->actor, q->value_or(""), *limit);
  if (!found.ok()) return Refusal(found.status());
  boost::json::array items;
  items.reserve(found->size());
  for (const directory::DirectorySuggestion& s : *found) {
    items.push_back(boost::json::object{{"name", s.name},
                                        {"address", s.address},
                                        {"type", directory::AccountTypeCode(s.type)},
                                        {"typeLabel", s.type_label},
                                        {"structure", s.structure}});
  }
  return JsonResponse(200, boost::json::object{{"items", std::move(items)}});
}

}  // namespace

std::vector<http::Route> DirectoryRoutes(AdminContext& ctx) {
  auto limiter = std::make_shared<PerPersonLimit>(kPerMinute);
  http::Route r;
  r.method = "GET";
  r.pattern = "/api/directory/suggestions";
  r.handler = [&ctx, limiter](const http::Request& q, const http::RouteParams&) {
    return Suggestions(ctx, *limiter, q);
  };
  std::vector<http::Route> routes;
  routes.push_back(std::move(r));
  return routes;
}

}  // namespace caduce::api::internal
