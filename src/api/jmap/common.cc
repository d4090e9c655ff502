// File: api/jmap/common.cc
//
// Argument checks shared by the method files (internal.h).
#include <boost/json/array.hpp>
#include <string>
#include <vector>

#include "api/jmap/internal.h"

namespace caduce::api::jmap::internal {

namespace json = boost::json;
namespace pj = proto::jmap;

std::optional<std::vector<int64_t>> DecodeIds(const json::object& args, char kind,
                                              std::vector<std::string>* not_found,
                                              std::optional<pj::MethodError>* error) {
  const json::value* v = args.if_contains("ids");
  if (v == nullptr || v->is_null()) return std::nullopt;
  const json::array* a = v->if_array();
  if (a == nullptr) {
    *error = pj::InvalidArguments("« ids » doit être un tableau d'identifiants ou null.");
    return std::nullopt;
  }
  std::vector<int64_t> out;
  out.reserve(a->size());
  for (const json::value& x : *a) {
    if (!x.is_string()) {
      *error = pj::InvalidArguments("« ids » doit être un tableau d'identifiants (chaînes).");
      return std::nullopt;
    }
    std::optional<int64_t> id = pj::DecodeId(kind, x.as_string());
    if (id) {
      out.push_back(*id);
    } else {
      not_found->emplace_back(x.as_string());
    }
  }
  return out;
}

std::optional<std::vector<std::string>> Properties(const json::object& args,
                                                   const std::vector<std::string>& known,
                                                   std::optional<pj::MethodError>* error,
                                                   std::string_view key) {
  bool bad = false;
  std::optional<std::vector<std::string>> props = pj::StringListArg(args, key, &bad);
  if (bad) {
    *error = pj::InvalidArguments("« " + std::string(key) +
                                  " » doit être un tableau de noms de propriétés ou null.");
    return std::nullopt;
  }
  if (!props) return std::nullopt;
  for (const std::string& p : *props) {
    bool found = false;
    for (const std::string& k : known) found = found || k == p;
    if (!found) {
      *error = pj::InvalidArguments("Propriété inconnue dans « " + std::string(key) + " » : « " +
                                    p + " ».");
      return std::nullopt;
    }
  }
  return props;
}

std::optional<pj::MethodError> UnknownArguments(const json::object& args,
                                                const std::vector<std::string>& known) {
  for (const auto& [k, v] : args) {
    bool found = false;
    for (const std::string& name : known) found = found || name == k;
    if (!found) {
      return pj::InvalidArguments("Argument inconnu : « " + std::string(k) + " ».");
    }
    (void)v;
  }
  return std::nullopt;
}

Result<std::string> StateOf(CallContext& ctx) {
  CADUCE_TRY(int64_t state, ctx.mail().State(ctx.actor, ctx.account_id));
  return pj::EncodeState(state);
}

}  // namespace caduce::api::jmap::internal
