// Method + path pattern routing (see router.h).
#include "http/router.h"

#include <algorithm>

#include "http/target.h"

namespace caduce::http {

namespace {

bool IsNamed(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// Matches and scores: each literal segment counts, so that "/api/accounts/me"
// wins over "/api/accounts/{id}".
bool Matches(const Route& route, const std::vector<std::string>& segments, int* score) {
  if (route.segments.size() != segments.size()) return false;
  *score = 0;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (IsNamed(route.segments[i])) {
      if (segments[i].empty()) return false;
      continue;
    }
    if (route.segments[i] != segments[i]) return false;
    ++*score;
  }
  return true;
}

}  // namespace

Status Router::Add(std::string_view method, std::string_view pattern, Handler handler,
                   RouteOptions options) {
  if (pattern.empty() || pattern[0] != '/') {
    return InvalidArgumentError("route pattern must start with '/': " + std::string(pattern));
  }
  if (Has(method, pattern)) {
    return InvalidArgumentError("route already taken: " + std::string(method) + " " +
                                std::string(pattern));
  }
  Route route;
  route.method = std::string(method);
  route.pattern = std::string(pattern);
  for (std::string_view s : SplitPath(pattern)) {
    bool braces = s.find('{') != std::string_view::npos || s.find('}') != std::string_view::npos;
    if (braces && (!IsNamed(s) || s.size() == 2)) {
      return InvalidArgumentError("named segments take a whole segment: " + std::string(pattern));
    }
    route.segments.emplace_back(s);
  }
  route.handler = std::move(handler);
  route.options = options;
  routes_.push_back(std::move(route));
  return OkStatus();
}

bool Router::Has(std::string_view method, std::string_view pattern) const {
  return std::any_of(routes_.begin(), routes_.end(),
                     [&](const Route& r) { return r.method == method && r.pattern == pattern; });
}

RouteMatch Router::Find(std::string_view method, const std::vector<std::string>& segments) const {
  std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  RouteMatch match;
  int best = -1;
  const Route* best_other = nullptr;
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    int score = 0;
    if (!Matches(route, segments, &score)) continue;
    if (route.method == wanted || route.method == method) {
      if (score > best) {
        best = score;
        match.route = &route;
      }
    } else {
      best_other = &route;
    }
    allowed.push_back(route.method);
    if (route.method == "GET") allowed.push_back("HEAD");
  }
  if (match.route != nullptr) {
    match.kind = RouteMatch::Kind::kFound;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const std::string& s = match.route->segments[i];
      if (IsNamed(s)) match.params.Set(s.substr(1, s.size() - 2), segments[i]);
    }
    return match;
  }
  if (best_other != nullptr) {
    std::sort(allowed.begin(), allowed.end());
    allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
    match.kind = RouteMatch::Kind::kMethodNotAllowed;
    for (const std::string& m : allowed) {
      if (!match.allow.empty()) match.allow += ", ";
      match.allow += m;
    }
  }
  return match;
}

}  // namespace caduce::http
