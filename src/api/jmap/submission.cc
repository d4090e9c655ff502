// File: api/jmap/submission.cc
//
// EmailSubmission/get, /changes and /set (RFC 8621 §7): sending a message of
// the account. The identity of an account is "I" + its account id (its own
// address: an ORG mailbox sends with the ORG's address). Creation runs
// MailService::Submit (From check, recipients, local delivery, outbound queue,
// traces); on success, onSuccessUpdateEmail / onSuccessDestroyEmail apply to the
// sent message as an implicit Email/set whose response follows (§7.5). Sent
// submissions are final: they cannot be changed or cancelled, so /changes lists
// created ones only, from any earlier state of the account.
#include <boost/json.hpp>
#include <map>
#include <set>
#include <string>

#include "api/jmap/internal.h"
#include "api/jmap/writing.h"

namespace caduce::api::jmap {
namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

constexpr char kSubmissionKind = 'S';

json::object SubmissionJson(const mail::Submission& s) {
  json::array rcpt;
  json::object delivery;
  for (const auto& r : s.recipients) {
    rcpt.push_back(json::object{{"email", r.address}, {"parameters", nullptr}});
    delivery[r.address] = json::object{
        {"smtpReply", r.local ? "250 2.0.0 Remis dans caduce" : "250 2.0.0 En file d'attente"},
        {"delivered", r.local ? "yes" : "queued"},
        {"displayed", "unknown"}};
  }
  return json::object{
      {"id", pj::EncodeId(kSubmissionKind, s.id)},
      {"identityId",
       s.identity_id.empty() ? pj::EncodeId(pj::kIdentityKind, s.account_id) : s.identity_id},
      {"emailId", pj::EncodeId(pj::kEmailKind, s.email_id)},
      {"threadId", pj::EncodeId(pj::kThreadKind, s.thread_id)},
      {"envelope",
       json::object{{"mailFrom", json::object{{"email", s.mail_from}, {"parameters", nullptr}}},
                    {"rcptTo", std::move(rcpt)}}},
      {"sendAt", pj::UtcDate(s.send_at)},
      {"undoStatus", "final"},
      {"deliveryStatus", std::move(delivery)},
      {"dsnBlobIds", json::array()},
      {"mdnBlobIds", json::array()},
      {"sentBy", s.person}};
}

MethodOutcome SubmissionGet(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(args, {"accountId", "ids", "properties"})) return *e;
  std::vector<std::string> not_found;
  std::optional<pj::MethodError> error;
  std::optional<std::vector<int64_t>> ids =
      internal::DecodeIds(args, kSubmissionKind, &not_found, &error);
  if (error) return *error;
  static const std::vector<std::string> kKnown = {
      "id",         "identityId",     "emailId",    "threadId",   "envelope", "sendAt",
      "undoStatus", "deliveryStatus", "dsnBlobIds", "mdnBlobIds", "sentBy"};
  std::optional<std::vector<std::string>> props = internal::Properties(args, kKnown, &error);
  if (error) return *error;
  if (ids &&
      static_cast<int64_t>(ids->size() + not_found.size()) > ctx.limits().max_objects_in_get) {
    return pj::RequestTooLarge("Trop d'identifiants (maxObjectsInGet = " +
                               std::to_string(ctx.limits().max_objects_in_get) + ").");
  }
  Result<std::string> state = internal::StateOf(ctx);
  if (!state.ok()) return ErrorFromStatus(state.status());
  std::vector<int64_t> wanted = ids ? *ids : std::vector<int64_t>{};
  if (ids && ids->empty()) {
    return json::object{{"accountId", ctx.AccountIdText()},
                        {"state", *state},
                        {"list", json::array()},
                        {"notFound", json::array(not_found.begin(), not_found.end())}};
  }
  Result<std::vector<mail::Submission>> subs =
      ctx.mail().Submissions(ctx.actor, ctx.account_id, wanted);
  if (!subs.ok()) return ErrorFromStatus(subs.status());
  json::array list;
  std::set<int64_t> seen;
  for (const mail::Submission& s : *subs) {
    seen.insert(s.id);
    json::object full = SubmissionJson(s);
    if (!props) {
      list.push_back(std::move(full));
      continue;
    }
    json::object some{{"id", full["id"]}};
    for (const std::string& p : *props) some[p] = full[p];
    list.push_back(std::move(some));
  }
  json::array nf(not_found.begin(), not_found.end());
  for (int64_t id : wanted) {
    if (!seen.contains(id)) nf.emplace_back(pj::EncodeId(kSubmissionKind, id));
  }
  return json::object{{"accountId", ctx.AccountIdText()},
                      {"state", *state},
                      {"list", std::move(list)},
                      {"notFound", std::move(nf)}};
}

// EmailSubmission/changes (RFC 8621 §7.2, RFC 8620 §5.2).
MethodOutcome SubmissionChanges(CallContext& ctx, const json::object& args) {
  return internal::ChangesOf(ctx, args, kSubmissionKind, [&ctx](int64_t since, int64_t max) {
    return ctx.mail().SubmissionChanges(ctx.actor, ctx.account_id, since, max);
  });
}

// One creation: the submission, or a SetError.
std::optional<json::object> SubmitOne(CallContext& ctx, const json::object& in,
                                      mail::Submission* out) {
  for (const auto& [key, value] : in) {
    std::string_view k = key;
    if (k != "identityId" && k != "emailId" && k != "envelope") {
      return internal::InvalidProperties(
          "Propriété « " + std::string(k).substr(0, 64) + " » non modifiable à la création.", {k});
    }
    (void)value;
  }
  mail::SubmissionRequest req;
  const json::value* identity = in.if_contains("identityId");
  if (identity == nullptr || !identity->is_string() ||
      pj::DecodeId(pj::kIdentityKind, identity->as_string()) != ctx.account_id) {
    return internal::InvalidProperties(
        "« identityId » : l'identité de cette boîte aux lettres (voir Identity/get).",
        {"identityId"});
  }
  req.identity_id = std::string(identity->as_string());
  const json::value* email = in.if_contains("emailId");
  std::optional<int64_t> email_id;
  if (email != nullptr && email->is_string()) {
    std::string id(email->as_string());
    if (!id.empty() && id.front() == '#') {
      std::optional<std::string> resolved = ctx.ResolveCreationId(id);
      id = resolved.value_or("");
    }
    email_id = pj::DecodeId(pj::kEmailKind, id);
  }
  if (!email_id) {
    return internal::InvalidProperties("« emailId » : un message de cette boîte aux lettres.",
                                       {"emailId"});
  }
  req.email_id = *email_id;
  if (const json::value* env = in.if_contains("envelope"); env != nullptr && !env->is_null()) {
    const json::object* eo = env->if_object();
    const json::value* from = eo ? eo->if_contains("mailFrom") : nullptr;
    const json::value* rcpt = eo ? eo->if_contains("rcptTo") : nullptr;
    bool ok = from != nullptr && from->is_object() && from->as_object().if_contains("email") &&
              from->as_object().at("email").is_string() && rcpt != nullptr && rcpt->is_array();
    std::vector<std::string> rcpts;
    if (ok) {
      for (const json::value& r : rcpt->as_array()) {
        const json::object* ro = r.if_object();
        const json::value* e = ro ? ro->if_contains("email") : nullptr;
        if (e == nullptr || !e->is_string()) {
          ok = false;
          break;
        }
        rcpts.emplace_back(e->as_string());
      }
    }
    if (!ok) {
      return internal::InvalidProperties(
          "« envelope » : {mailFrom: {email}, rcptTo: [{email}, …]}.", {"envelope"});
    }
    req.mail_from = std::string(from->as_object().at("email").as_string());
    req.rcpt_to = std::move(rcpts);
  }
  std::vector<std::string> invalid;
  Result<mail::Submission> s = ctx.mail().Submit(ctx.actor, ctx.account_id, req, &invalid);
  if (s.ok()) {
    *out = std::move(*s);
    return std::nullopt;
  }
  const Status& st = s.status();
  switch (st.code()) {
    case Code::kPermissionDenied:
      return json::object{{"type", req.mail_from ? "forbiddenMailFrom" : "forbiddenFrom"},
                          {"description", st.message()}};
    case Code::kFailedPrecondition:
      return json::object{{"type", "invalidRecipients"},
                          {"description", st.message()},
                          {"invalidRecipients", json::array(invalid.begin(), invalid.end())}};
    case Code::kInvalidArgument:
      if (st.message().rfind("Destinataires", 0) == 0) {
        return json::object{
            {"type",
             st.message().find("1000") != std::string::npos ? "tooManyRecipients" : "noRecipients"},
            {"description", st.message()}};
      }
      return json::object{{"type", "invalidEmail"}, {"description", st.message()}};
    case Code::kNotFound:
      return internal::InvalidProperties(st.message(), {"emailId"});
    case Code::kResourceExhausted:
      return json::object{
          {"type", st.message().find("pleine") != std::string::npos ? "overQuota" : "tooLarge"},
          {"description", st.message()}};
    default:
      return internal::SetErrorFromStatus(st);
  }
}

MethodOutcome SubmissionSet(CallContext& ctx, const json::object& args) {
  if (auto e =
          internal::UnknownArguments(args, {"accountId", "ifInState", "create", "update", "destroy",
                                            "onSuccessUpdateEmail", "onSuccessDestroyEmail"})) {
    return *e;
  }
  Result<std::string> old_state = internal::StateOf(ctx);
  if (!old_state.ok()) return ErrorFromStatus(old_state.status());
  bool bad = false;
  std::optional<std::string_view> if_in_state = pj::StringArg(args, "ifInState", &bad);
  if (bad) return pj::InvalidArguments("« ifInState » doit être une chaîne.");
  if (if_in_state && *if_in_state != *old_state) return pj::StateMismatch();
  const json::object* create = nullptr;
  const json::object* update = nullptr;
  const json::object* on_update = nullptr;
  for (auto [key, out] : {std::pair{"create", &create}, std::pair{"update", &update},
                          std::pair{"onSuccessUpdateEmail", &on_update}}) {
    const json::value* v = args.if_contains(key);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_object())
      return pj::InvalidArguments(std::string("« ") + key + " » doit être un objet.");
    *out = &v->as_object();
  }
  std::optional<std::vector<std::string>> destroy = pj::StringListArg(args, "destroy", &bad);
  if (bad) return pj::InvalidArguments("« destroy » doit être une liste d'identifiants.");
  std::optional<std::vector<std::string>> on_destroy =
      pj::StringListArg(args, "onSuccessDestroyEmail", &bad);
  if (bad)
    return pj::InvalidArguments("« onSuccessDestroyEmail » doit être une liste d'identifiants.");
  size_t count = (create ? create->size() : 0) + (update ? update->size() : 0) +
                 (destroy ? destroy->size() : 0);
  if (static_cast<int64_t>(count) > ctx.limits().max_objects_in_set) {
    return pj::RequestTooLarge(
        "Trop d'objets dans un seul EmailSubmission/set (maxObjectsInSet = " +
        std::to_string(ctx.limits().max_objects_in_set) + ").");
  }

  json::object response{{"accountId", ctx.AccountIdText()}, {"oldState", *old_state}};
  // creation id or submission id → the message it sent.
  std::map<std::string, int64_t, std::less<>> sent_email;
  if (create != nullptr) {
    json::object created, not_created;
    for (const auto& [creation_id, value] : *create) {
      mail::Submission s;
      std::optional<json::object> error =
          value.is_object() ? SubmitOne(ctx, value.as_object(), &s)
                            : std::optional<json::object>(internal::InvalidProperties(
                                  "Un objet EmailSubmission attendu.", {}));
      if (error) {
        not_created[creation_id] = std::move(*error);
        continue;
      }
      std::string id = pj::EncodeId(kSubmissionKind, s.id);
      if (ctx.created_ids != nullptr) (*ctx.created_ids)[creation_id] = id;
      sent_email["#" + std::string(creation_id)] = s.email_id;
      sent_email[id] = s.email_id;
      created[creation_id] = json::object{{"id", id},
                                          {"threadId", pj::EncodeId(pj::kThreadKind, s.thread_id)},
                                          {"sendAt", pj::UtcDate(s.send_at)},
                                          {"undoStatus", "final"}};
    }
    if (!created.empty()) response["created"] = std::move(created);
    if (!not_created.empty()) response["notCreated"] = std::move(not_created);
  }
  if (update != nullptr && !update->empty()) {
    json::object not_updated;
    for (const auto& [id, value] : *update) {
      (void)value;
      not_updated[id] = json::object{
          {"type", "cannotUnsend"}, {"description", "Un message envoyé ne peut plus être annulé."}};
    }
    response["notUpdated"] = std::move(not_updated);
  }
  if (destroy && !destroy->empty()) {
    json::object not_destroyed;
    for (const std::string& id : *destroy) {
      not_destroyed[id] = json::object{{"type", "forbidden"},
                                       {"description", "L'historique des envois est conservé."}};
    }
    response["notDestroyed"] = std::move(not_destroyed);
  }
  Result<std::string> new_state = internal::StateOf(ctx);
  if (!new_state.ok()) return ErrorFromStatus(new_state.status());
  response["newState"] = *new_state;

  // The implicit Email/set (RFC 8621 §7.5), only for submissions that succeeded.
  json::object email_update;
  std::vector<std::string> email_destroy;
  if (on_update != nullptr) {
    for (const auto& [ref, patch] : *on_update) {
      auto it = sent_email.find(std::string_view(ref));
      if (it != sent_email.end()) email_update[pj::EncodeId(pj::kEmailKind, it->second)] = patch;
    }
  }
  if (on_destroy) {
    for (const std::string& ref : *on_destroy) {
      auto it = sent_email.find(ref);
      if (it != sent_email.end()) email_destroy.push_back(pj::EncodeId(pj::kEmailKind, it->second));
    }
  }
  MethodOutcome outcome(std::move(response));
  if (!email_update.empty() || !email_destroy.empty()) {
    json::object email_set{{"accountId", ctx.AccountIdText()}, {"oldState", *new_state}};
    if (!email_update.empty()) internal::ApplyEmailUpdates(ctx, email_update, email_set);
    if (!email_destroy.empty()) internal::ApplyEmailDestroys(ctx, email_destroy, email_set);
    Result<std::string> after = internal::StateOf(ctx);
    email_set["newState"] = after.ok() ? *after : *new_state;
    outcome.also.emplace_back("Email/set", std::move(email_set));
  }
  return outcome;
}

}  // namespace

void RegisterSubmissionMethods(MethodRegistry& registry) {
  (void)registry.Add({.name = "EmailSubmission/get",
                      .capability = pj::kSubmissionCapability,
                      .needs_account = true,
                      .handler = SubmissionGet});
  (void)registry.Add({.name = "EmailSubmission/changes",
                      .capability = pj::kSubmissionCapability,
                      .needs_account = true,
                      .handler = SubmissionChanges});
  (void)registry.Add({.name = "EmailSubmission/set",
                      .capability = pj::kSubmissionCapability,
                      .needs_account = true,
                      .handler = SubmissionSet});
}

}  // namespace caduce::api::jmap
