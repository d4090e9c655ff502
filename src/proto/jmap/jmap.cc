// File: proto/jmap/jmap.cc
//
// The JMAP codec of jmap.h: request parsing with its limits, request- and
// method-level errors, result references (RFC 8620 §3.7), ids, states and dates.
#include "proto/jmap/jmap.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace caduce::proto::jmap {
namespace {

namespace json = boost::json;

constexpr int64_t kMaxSafeInteger = 9007199254740991;  // 2^53-1, RFC 8620 §1.3

RequestError MakeRequestError(std::string_view type, std::string detail,
                              std::string limit = {}) {
  RequestError e;
  e.type = std::string(type);
  e.detail = std::move(detail);
  e.limit = std::move(limit);
  return e;
}

MethodError Make(std::string_view type, std::string description = {}) {
  MethodError e;
  e.type = std::string(type);
  e.description = std::move(description);
  return e;
}

// One reference token of a JSON Pointer, unescaped (~1 → /, ~0 → ~).
std::optional<std::string> Unescape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '~') {
      out += token[i];
      continue;
    }
    if (i + 1 >= token.size()) return std::nullopt;
    if (token[i + 1] == '0') {
      out += '~';
    } else if (token[i + 1] == '1') {
      out += '/';
    } else {
      return std::nullopt;
    }
    ++i;
  }
  return out;
}

std::optional<json::value> Evaluate(const json::value& v, const std::vector<std::string>& tokens,
                                    size_t at) {
  if (at == tokens.size()) return v;
  const std::string& t = tokens[at];
  if (const json::array* a = v.if_array()) {
    if (t == "*") {
      json::array out;
      for (const json::value& item : *a) {
        std::optional<json::value> r = Evaluate(item, tokens, at + 1);
        if (!r) return std::nullopt;
        if (r->is_array()) {
          for (json::value& x : r->as_array()) out.push_back(std::move(x));
        } else {
          out.push_back(std::move(*r));
        }
      }
      return json::value(std::move(out));
    }
    // An array index: digits without a leading zero (RFC 6901 §4).
    if (t.empty() || (t.size() > 1 && t[0] == '0') || t.size() > 9) return std::nullopt;
    size_t index = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return std::nullopt;
      index = index * 10 + static_cast<size_t>(c - '0');
    }
    if (index >= a->size()) return std::nullopt;
    return Evaluate((*a)[index], tokens, at + 1);
  }
  if (const json::object* o = v.if_object()) {
    const json::value* next = o->if_contains(t);
    if (next == nullptr) return std::nullopt;
    return Evaluate(*next, tokens, at + 1);
  }
  return std::nullopt;
}

bool IsIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::optional<int64_t> PositiveDecimal(std::string_view text, bool allow_zero) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (v < 0 || (v == 0 && !allow_zero)) return std::nullopt;
  return v;
}

}  // namespace

json::object CoreCapability(const Limits& limits) {
  return json::object{{"maxSizeUpload", limits.max_size_upload},
                      {"maxConcurrentUpload", limits.max_concurrent_upload},
                      {"maxSizeRequest", limits.max_size_request},
                      {"maxConcurrentRequests", limits.max_concurrent_requests},
                      {"maxCallsInRequest", limits.max_calls_in_request},
                      {"maxObjectsInGet", limits.max_objects_in_get},
                      {"maxObjectsInSet", limits.max_objects_in_set},
                      {"collationAlgorithms", json::array{"i;ascii-casemap", "i;unicode-casemap"}}};
}

json::object RequestError::ToJson() const {
  json::object o{{"type", type}, {"status", status}, {"detail", detail}};
  if (!limit.empty()) o["limit"] = limit;
  return o;
}

std::optional<Request> ParseRequest(std::string_view body, const Limits& limits,
                                    RequestError* error) {
  if (static_cast<int64_t>(body.size()) > limits.max_size_request) {
    *error = MakeRequestError(
        kErrorLimit,
        "La requête dépasse la taille maximale (maxSizeRequest = " +
            std::to_string(limits.max_size_request) + " octets) : envoyez moins d'appels à la fois.",
        "maxSizeRequest");
    return std::nullopt;
  }
  json::parse_options options;
  options.max_depth = static_cast<std::size_t>(limits.max_depth);
  boost::system::error_code ec;
  json::value root = json::parse(body, ec, json::storage_ptr(), options);
  if (ec) {
    *error = MakeRequestError(kErrorNotJson,
                              "Le corps n'est pas du JSON valide (UTF-8, " +
                                  std::to_string(limits.max_depth) +
                                  " niveaux d'imbrication au plus) : corrigez la requête.");
    return std::nullopt;
  }
  auto not_request = [&](std::string why) {
    *error = MakeRequestError(kErrorNotRequest,
                              "Ce n'est pas une requête JMAP (RFC 8620 §3.3) : " + why);
    return std::nullopt;
  };
  const json::object* o = root.if_object();
  if (o == nullptr) return not_request("le corps doit être un objet JSON.");
  const json::value* using_v = o->if_contains("using");
  const json::value* calls_v = o->if_contains("methodCalls");
  if (using_v == nullptr || !using_v->is_array()) {
    return not_request("« using » doit être un tableau de chaînes.");
  }
  if (calls_v == nullptr || !calls_v->is_array()) {
    return not_request("« methodCalls » doit être un tableau.");
  }
  Request req;
  for (const json::value& u : using_v->as_array()) {
    if (!u.is_string()) return not_request("« using » doit être un tableau de chaînes.");
    req.using_.emplace_back(u.as_string());
  }
  const json::array& calls = calls_v->as_array();
  if (static_cast<int64_t>(calls.size()) > limits.max_calls_in_request) {
    *error = MakeRequestError(kErrorLimit,
                              "Trop d'appels dans une requête (maxCallsInRequest = " +
                                  std::to_string(limits.max_calls_in_request) +
                                  ") : répartissez-les sur plusieurs requêtes.",
                              "maxCallsInRequest");
    return std::nullopt;
  }
  for (const json::value& c : calls) {
    const json::array* triple = c.if_array();
    if (triple == nullptr || triple->size() != 3 || !(*triple)[0].is_string() ||
        !(*triple)[1].is_object() || !(*triple)[2].is_string()) {
      return not_request(
          "chaque appel de « methodCalls » doit être [nom, arguments (objet), identifiant].");
    }
    req.calls.push_back(Invocation{std::string((*triple)[0].as_string()),
                                   (*triple)[1].as_object(),
                                   std::string((*triple)[2].as_string())});
  }
  if (const json::value* created = o->if_contains("createdIds")) {
    const json::object* m = created->if_object();
    if (m == nullptr) return not_request("« createdIds » doit être un objet.");
    for (const auto& [k, v] : *m) {
      if (!v.is_string() || !IsValidId(v.as_string())) {
        return not_request("« createdIds » doit associer des identifiants à des identifiants.");
      }
      (void)k;
    }
    req.created_ids = *m;
  }
  return req;
}

std::optional<RequestError> CheckCapabilities(const Request& request,
                                              const std::vector<std::string_view>& supported) {
  for (const std::string& u : request.using_) {
    bool known = false;
    for (std::string_view s : supported) known = known || s == u;
    if (!known) {
      return MakeRequestError(kErrorUnknownCapability,
                              "Capacité inconnue de ce serveur dans « using » : « " + u +
                                  " ». Lisez la liste des capacités dans /jmap/session.");
    }
  }
  return std::nullopt;
}

json::object ResponseJson(const std::vector<Invocation>& responses,
                          std::string_view session_state,
                          const std::optional<json::object>& created_ids) {
  json::array list;
  list.reserve(responses.size());
  for (const Invocation& r : responses) {
    list.push_back(json::array{json::string(r.name), r.arguments, json::string(r.call_id)});
  }
  json::object out{{"methodResponses", std::move(list)}, {"sessionState", session_state}};
  if (created_ids) out["createdIds"] = *created_ids;
  return out;
}

Invocation MethodError::ToInvocation(std::string call_id) const {
  json::object args = extra;
  args["type"] = type;
  if (!description.empty()) args["description"] = description;
  return Invocation{"error", std::move(args), std::move(call_id)};
}

MethodError UnknownMethod(std::string_view name) {
  return Make("unknownMethod", "Méthode inconnue de ce serveur : « " + std::string(name) + " ».");
}
MethodError InvalidArguments(std::string d) { return Make("invalidArguments", std::move(d)); }
MethodError InvalidResultReference(std::string d) {
  return Make("invalidResultReference", std::move(d));
}
MethodError AccountNotFound() {
  return Make("accountNotFound",
              "Ce compte n'existe pas ou vous n'y avez pas (ou plus) accès : relisez la session.");
}
MethodError AccountNotSupportedByMethod() {
  return Make("accountNotSupportedByMethod", "Cette méthode ne s'applique pas à ce compte.");
}
MethodError AccountReadOnly() { return Make("accountReadOnly", "Ce compte est en lecture seule."); }
MethodError Forbidden(std::string d) { return Make("forbidden", std::move(d)); }
MethodError ServerFail(std::string d) {
  return Make("serverFail", d.empty() ? "Erreur du serveur : réessayez plus tard." : std::move(d));
}
MethodError ServerUnavailable() {
  return Make("serverUnavailable", "Le serveur est momentanément indisponible : réessayez.");
}
MethodError StateMismatch() {
  return Make("stateMismatch",
              "L'état donné (ifInState) n'est plus l'état actuel : relisez puis recommencez.");
}
MethodError CannotCalculateChanges() {
  return Make("cannotCalculateChanges",
              "Les changements depuis cet état ne sont plus connus : resynchronisez tout.");
}
MethodError TooManyChanges() {
  return Make("tooManyChanges", "Trop de changements depuis cet état : augmentez maxChanges.");
}
MethodError RequestTooLarge(std::string d) { return Make("requestTooLarge", std::move(d)); }
MethodError AnchorNotFound() {
  return Make("anchorNotFound", "L'ancre (anchor) ne fait pas partie des résultats.");
}
MethodError UnsupportedFilter(std::string d) { return Make("unsupportedFilter", std::move(d)); }
MethodError UnsupportedSort(std::string d) { return Make("unsupportedSort", std::move(d)); }

std::optional<json::value> EvaluatePointer(const json::value& root, std::string_view path) {
  if (path.empty()) return root;
  if (path[0] != '/') return std::nullopt;
  std::vector<std::string> tokens;
  std::string_view rest = path.substr(1);
  for (;;) {
    size_t slash = rest.find('/');
    std::optional<std::string> t = Unescape(rest.substr(0, slash));
    if (!t) return std::nullopt;
    tokens.push_back(std::move(*t));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return Evaluate(root, tokens, 0);
}

std::optional<MethodError> ResolveReferences(json::object& arguments,
                                             const std::vector<Invocation>& responses) {
  std::vector<std::string> refs;
  for (const auto& [key, value] : arguments) {
    if (!key.empty() && key[0] == '#') refs.emplace_back(key);
  }
  for (const std::string& key : refs) {
    std::string plain = key.substr(1);
    if (arguments.contains(plain)) {
      return InvalidArguments("« " + plain + " » et « " + key +
                              " » ne peuvent pas être donnés ensemble.");
    }
    const json::object* ref = arguments.at(key).if_object();
    const json::value* result_of = ref ? ref->if_contains("resultOf") : nullptr;
    const json::value* name = ref ? ref->if_contains("name") : nullptr;
    const json::value* path = ref ? ref->if_contains("path") : nullptr;
    if (result_of == nullptr || !result_of->is_string() || name == nullptr || !name->is_string() ||
        path == nullptr || !path->is_string()) {
      return InvalidArguments("« " + key +
                              " » doit être une référence {resultOf, name, path} (RFC 8620 §3.7).");
    }
    const Invocation* target = nullptr;
    for (const Invocation& r : responses) {
      if (r.call_id == result_of->as_string()) {
        target = &r;
        break;
      }
    }
    if (target == nullptr) {
      return InvalidResultReference("« " + key + " » : aucun appel précédent n'a l'identifiant « " +
                                    std::string(result_of->as_string()) + " ».");
    }
    if (target->name != name->as_string()) {
      return InvalidResultReference("« " + key + " » : la réponse de « " +
                                    std::string(result_of->as_string()) + " » est « " +
                                    target->name + " », pas « " +
                                    std::string(name->as_string()) + " ».");
    }
    std::optional<json::value> v = EvaluatePointer(json::value(target->arguments),
                                                   std::string_view(path->as_string()));
    if (!v) {
      return InvalidResultReference("« " + key + " » : le chemin « " +
                                    std::string(path->as_string()) +
                                    " » ne désigne rien dans la réponse.");
    }
    arguments.erase(key);
    arguments[plain] = std::move(*v);
  }
  return std::nullopt;
}

std::string EncodeId(char kind, int64_t id) { return kind + std::to_string(id); }

std::optional<int64_t> DecodeId(char kind, std::string_view text) {
  if (text.size() < 2 || text[0] != kind) return std::nullopt;
  return PositiveDecimal(text.substr(1), /*allow_zero=*/false);
}

bool IsValidId(std::string_view text) {
  if (text.empty() || text.size() > 255) return false;
  for (char c : text) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

std::string EncodeState(int64_t modseq) { return std::to_string(modseq); }

std::optional<int64_t> DecodeState(std::string_view text) {
  return PositiveDecimal(text, /*allow_zero=*/true);
}

std::optional<std::string_view> StringArg(const json::object& args, std::string_view key,
                                          bool* bad) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    *bad = true;
    return std::nullopt;
  }
  return std::string_view(v->as_string());
}

int64_t IntArg(const json::object& args, std::string_view key, int64_t fallback, bool* bad,
               bool allow_negative) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr || v->is_null()) return fallback;
  int64_t n = 0;
  if (v->is_int64()) {
    n = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(kMaxSafeInteger)) {
    n = static_cast<int64_t>(v->as_uint64());
  } else {
    *bad = true;
    return fallback;
  }
  if (n > kMaxSafeInteger || n < -kMaxSafeInteger || (!allow_negative && n < 0)) {
    *bad = true;
    return fallback;
  }
  return n;
}

std::optional<bool> BoolArg(const json::object& args, std::string_view key, bool* bad) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_bool()) {
    *bad = true;
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::vector<std::string>> StringListArg(const json::object& args,
                                                      std::string_view key, bool* bad) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  const json::array* a = v->if_array();
  if (a == nullptr) {
    *bad = true;
    return std::nullopt;
  }
  std::vector<std::string> out;
  out.reserve(a->size());
  for (const json::value& x : *a) {
    if (!x.is_string()) {
      *bad = true;
      return std::nullopt;
    }
    out.emplace_back(x.as_string());
  }
  return out;
}

std::string UtcDate(int64_t micros) {
  std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  if (micros < 0 && micros % 1'000'000 != 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<int64_t> ParseUtcDate(std::string_view text) {
  // RFC 3339 date-time in UTC, "Z" upper case, optional fraction (RFC 8620 §1.4).
  if (text.size() < 20 || text.size() > 40 || text.back() != 'Z') return std::nullopt;
  auto num = [&](size_t at, size_t len, int* out) {
    int v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, &y) || text[4] != '-' || !num(5, 2, &mo) || text[7] != '-' || !num(8, 2, &d) ||
      text[10] != 'T' || !num(11, 2, &h) || text[13] != ':' || !num(14, 2, &mi) ||
      text[16] != ':' || !num(17, 2, &s)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  int64_t frac_us = 0;
  size_t pos = 19;
  if (text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() - 1) {
      char c = text[pos];
      if (c < '0' || c > '9') return std::nullopt;
      if (digits < 6) frac_us = frac_us * 10 + (c - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 6; ++digits) frac_us *= 10;
  }
  if (pos != text.size() - 1) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t secs = timegm(&tm);
  return static_cast<int64_t>(secs) * 1'000'000 + frac_us;
}

}  // namespace caduce::proto::jmap
