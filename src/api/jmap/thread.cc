// File: api/jmap/thread.cc
//
// Thread/get and Thread/changes (RFC 8621 §3): a thread is the messages of an
// account linked by their Message-ID chain and base subject (mail/), listed
// oldest first.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "api/jmap/internal.h"
#include "api/jmap/method.h"

namespace caduce::api::jmap {
namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

MethodOutcome Get(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(args, {"accountId", "ids", "properties"})) return *e;
  std::optional<pj::MethodError> error;
  std::vector<std::string> not_found;
  std::optional<std::vector<int64_t>> ids =
      internal::DecodeIds(args, pj::kThreadKind, &not_found, &error);
  if (error) return *error;
  if (!ids && not_found.empty()) {
    return pj::RequestTooLarge("Thread/get demande des « ids ».");
  }
  if (static_cast<int64_t>((ids ? ids->size() : 0) + not_found.size()) >
      ctx.limits().max_objects_in_get) {
    return pj::RequestTooLarge("Trop d'identifiants dans « ids » (maxObjectsInGet = " +
                               std::to_string(ctx.limits().max_objects_in_get) + ").");
  }
  (void)internal::Properties(args, {"id", "emailIds"}, &error);
  if (error) return *error;
  Result<std::string> state = internal::StateOf(ctx);
  if (!state.ok()) return ErrorFromStatus(state.status());
  json::array list;
  json::array missing;
  for (const std::string& s : not_found) missing.push_back(json::string(s));
  for (int64_t id : ids.value_or(std::vector<int64_t>())) {
    Result<std::vector<int64_t>> emails = ctx.mail().ThreadEmails(ctx.actor, ctx.account_id, id);
    if (!emails.ok() && emails.status().code() != Code::kNotFound) {
      return ErrorFromStatus(emails.status());
    }
    if (!emails.ok() || emails->empty()) {
      missing.push_back(json::string(pj::EncodeId(pj::kThreadKind, id)));
      continue;
    }
    json::array e;
    for (int64_t m : *emails) e.push_back(json::string(pj::EncodeId(pj::kEmailKind, m)));
    list.push_back(json::object{{"id", pj::EncodeId(pj::kThreadKind, id)}, {"emailIds", std::move(e)}});
  }
  return json::object{{"accountId", ctx.AccountIdText()},
                      {"state", *state},
                      {"list", std::move(list)},
                      {"notFound", std::move(missing)}};
}

}  // namespace

void RegisterThreadMethods(MethodRegistry& registry) {
  MethodSpec get;
  get.name = "Thread/get";
  get.handler = Get;
  (void)registry.Add(std::move(get));
  MethodSpec changes;
  changes.name = "Thread/changes";
  changes.handler = [](CallContext& ctx, const json::object& args) {
    return internal::Changes(ctx, args, mail::ObjectType::kThread, pj::kThreadKind);
  };
  (void)registry.Add(std::move(changes));
}

}  // namespace caduce::api::jmap
