// File: api/jmap/email_import.cc
//
// Email/import (RFC 8621 §4.8): stores messages from blobs the account holds (an
// upload, or one of its messages) in the given mailboxes, with keywords and
// receivedAt. Per-object errors: blobNotFound, invalidEmail, overQuota,
// tooLarge, invalidProperties. MailService::Import does the work and the trace.
#include <boost/json.hpp>
#include <string>

#include "api/jmap/internal.h"
#include "api/jmap/writing.h"

namespace caduce::api::jmap {
namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

std::optional<json::object> ImportOne(CallContext& ctx, const json::object& in,
                                      json::object* made) {
  for (const auto& [key, value] : in) {
    std::string_view k = key;
    if (k != "blobId" && k != "mailboxIds" && k != "keywords" && k != "receivedAt") {
      return internal::InvalidProperties(
          "Propriété « " + std::string(k).substr(0, 64) + " » inconnue pour Email/import.", {k});
    }
    (void)value;
  }
  const json::value* blob = in.if_contains("blobId");
  if (blob == nullptr || !blob->is_string()) {
    return internal::InvalidProperties("« blobId » est obligatoire.", {"blobId"});
  }
  mail::NewMessage where;
  json::object error;
  const json::value* mailboxes = in.if_contains("mailboxIds");
  if (mailboxes == nullptr) {
    return internal::InvalidProperties("« mailboxIds » est obligatoire.", {"mailboxIds"});
  }
  auto ids = internal::MailboxIdsOf(ctx, *mailboxes, &error);
  if (!ids) return error;
  if (ids->empty())
    return internal::InvalidProperties("« mailboxIds » : au moins un dossier.", {"mailboxIds"});
  where.mailbox_ids = std::move(*ids);
  if (const json::value* v = in.if_contains("keywords"); v != nullptr && !v->is_null()) {
    auto k = internal::KeywordsOf(*v, &error);
    if (!k) return error;
    where.keywords = *k;
  }
  if (const json::value* v = in.if_contains("receivedAt"); v != nullptr && !v->is_null()) {
    std::optional<int64_t> at = v->is_string() ? pj::ParseUtcDate(v->as_string()) : std::nullopt;
    if (!at)
      return internal::InvalidProperties("« receivedAt » : une date UTC attendue.", {"receivedAt"});
    where.received_at = *at;
  }
  std::string blob_id(blob->as_string());
  Result<mail::StoredMessage> s = ctx.mail().Import(ctx.actor, ctx.account_id, blob_id, where);
  if (!s.ok()) {
    if (s.status().code() == Code::kInvalidArgument) {
      return json::object{{"type", "invalidEmail"}, {"description", s.status().message()}};
    }
    return internal::SetErrorFromStatus(s.status(), blob_id);
  }
  *made = json::object{{"id", pj::EncodeId(pj::kEmailKind, s->email_id)},
                       {"blobId", s->blob_id},
                       {"threadId", pj::EncodeId(pj::kThreadKind, s->thread_id)},
                       {"size", s->size}};
  return std::nullopt;
}

MethodOutcome EmailImport(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(args, {"accountId", "ifInState", "emails"})) return *e;
  Result<std::string> old_state = internal::StateOf(ctx);
  if (!old_state.ok()) return ErrorFromStatus(old_state.status());
  bool bad = false;
  std::optional<std::string_view> if_in_state = pj::StringArg(args, "ifInState", &bad);
  if (bad) return pj::InvalidArguments("« ifInState » doit être une chaîne.");
  if (if_in_state && *if_in_state != *old_state) return pj::StateMismatch();
  const json::value* emails = args.if_contains("emails");
  if (emails == nullptr || !emails->is_object()) {
    return pj::InvalidArguments("« emails » est obligatoire : un objet {idCréation: EmailImport}.");
  }
  if (static_cast<int64_t>(emails->as_object().size()) > ctx.limits().max_objects_in_set) {
    return pj::RequestTooLarge("Trop de messages dans un seul Email/import (maxObjectsInSet = " +
                               std::to_string(ctx.limits().max_objects_in_set) + ").");
  }
  json::object created, not_created;
  for (const auto& [creation_id, value] : emails->as_object()) {
    json::object made;
    std::optional<json::object> error =
        value.is_object() ? ImportOne(ctx, value.as_object(), &made)
                          : std::optional<json::object>(
                                internal::InvalidProperties("Un objet EmailImport attendu.", {}));
    if (error) {
      not_created[creation_id] = std::move(*error);
    } else {
      if (ctx.created_ids != nullptr) (*ctx.created_ids)[creation_id] = made["id"];
      created[creation_id] = std::move(made);
    }
  }
  Result<std::string> new_state = internal::StateOf(ctx);
  if (!new_state.ok()) return ErrorFromStatus(new_state.status());
  json::object response{
      {"accountId", ctx.AccountIdText()}, {"oldState", *old_state}, {"newState", *new_state}};
  if (!created.empty()) response["created"] = std::move(created);
  if (!not_created.empty()) response["notCreated"] = std::move(not_created);
  return response;
}

}  // namespace

void RegisterEmailImportMethod(MethodRegistry& registry) {
  (void)registry.Add({.name = "Email/import",
                      .capability = pj::kMailCapability,
                      .needs_account = true,
                      .handler = EmailImport});
}

}  // namespace caduce::api::jmap
