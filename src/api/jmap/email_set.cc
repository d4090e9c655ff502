// File: api/jmap/email_set.cc
//
// Email/set (RFC 8621 §4.6): create a message from JMAP Email properties (the
// addresses, subject, threading ids, a text and an HTML body given by textBody /
// htmlBody / bodyValues or by a bodyStructure, attachments by blobId); update its
// keywords and mailboxIds, whole or by patch ("keywords/$seen": true); destroy.
// Each object gets its own SetError; ifInState gives stateMismatch. Rules and
// traces live in MailService (CreateDraft, SetKeywords, Move, Copy, Destroy).
#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <string>

#include "api/jmap/internal.h"
#include "api/jmap/writing.h"

namespace caduce::api::jmap {
namespace internal {

namespace json = boost::json;
namespace pj = proto::jmap;

json::object InvalidProperties(std::string description,
                               std::initializer_list<std::string_view> properties) {
  json::array props;
  for (std::string_view p : properties) props.emplace_back(p);
  json::object e{{"type", "invalidProperties"}, {"description", std::move(description)}};
  if (!props.empty()) e["properties"] = std::move(props);
  return e;
}

json::object SetErrorFromStatus(const Status& status, std::string_view blob_id) {
  const std::string& m = status.message();
  switch (status.code()) {
    case Code::kInvalidArgument:
      return InvalidProperties(m, {});
    case Code::kNotFound:
      if (m.rfind("Pièce jointe", 0) == 0 || m.rfind("Ce fichier", 0) == 0) {
        json::object e{{"type", "blobNotFound"}, {"description", m}};
        if (!blob_id.empty()) e["notFound"] = json::array{json::string(blob_id)};
        return e;
      }
      if (m.rfind("Dossier", 0) == 0) return InvalidProperties(m, {"mailboxIds"});
      return json::object{{"type", "notFound"}, {"description", m}};
    case Code::kResourceExhausted:
      return json::object{{"type", m.find("quota") != std::string::npos ? "overQuota" : "tooLarge"},
                          {"description", m}};
    case Code::kPermissionDenied:
      return json::object{{"type", "forbidden"}, {"description", m}};
    default:
      return json::object{{"type", "serverFail"},
                          {"description", "Erreur du serveur : réessayez plus tard."}};
  }
}

std::optional<std::vector<int64_t>> MailboxIdsOf(const CallContext& ctx, const json::value& v,
                                                 json::object* error) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    *error =
        InvalidProperties("« mailboxIds » doit être un objet {idDossier: true}.", {"mailboxIds"});
    return std::nullopt;
  }
  std::vector<int64_t> out;
  for (const auto& [key, value] : *o) {
    if (!value.is_bool() || !value.as_bool()) {
      *error = InvalidProperties("« mailboxIds » : chaque valeur vaut true.", {"mailboxIds"});
      return std::nullopt;
    }
    std::string id(key);
    if (!id.empty() && id.front() == '#') {
      std::optional<std::string> resolved = ctx.ResolveCreationId(id);
      if (!resolved) {
        *error =
            InvalidProperties("« mailboxIds » : dossier « " + id + " » inconnu.", {"mailboxIds"});
        return std::nullopt;
      }
      id = *resolved;
    }
    std::optional<int64_t> mb = pj::DecodeId(pj::kMailboxKind, id);
    if (!mb) {
      *error = InvalidProperties("« mailboxIds » : dossier « " + id.substr(0, 64) + " » inconnu.",
                                 {"mailboxIds"});
      return std::nullopt;
    }
    out.push_back(*mb);
  }
  return out;
}

std::optional<uint32_t> KeywordsOf(const json::value& v, json::object* error) {
  const json::object* o = v.if_object();
  if (o == nullptr) {
    *error = InvalidProperties("« keywords » doit être un objet {motClé: true}.", {"keywords"});
    return std::nullopt;
  }
  uint32_t bits = 0;
  for (const auto& [key, value] : *o) {
    std::optional<uint32_t> k = mail::ParseKeyword(key);
    if (!value.is_bool() || !value.as_bool() || !k) {
      *error = InvalidProperties("« keywords » : « " + std::string(key).substr(0, 64) +
                                     " » n'est pas un mot-clé gardé par caduce ($seen, $flagged, "
                                     "$answered, $draft, $forwarded, $junk, $notjunk).",
                                 {"keywords"});
      return std::nullopt;
    }
    bits |= *k;
  }
  return bits;
}

namespace {

// A JSON Pointer token (RFC 6901 §4): "~1" is "/", "~0" is "~".
std::string UnescapePointer(std::string_view t) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '0' || t[i + 1] == '1')) {
      out += t[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += t[i];
    }
  }
  return out;
}

// EmailAddress[] (RFC 8621 §4.1.2.3).
bool AddressesOf(const json::object& o, std::string_view key,
                 std::vector<mail::EmailAddress>* out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  const json::array* a = v->if_array();
  if (a == nullptr || a->size() > 1000) return false;
  for (const json::value& x : *a) {
    const json::object* ao = x.if_object();
    if (ao == nullptr) return false;
    const json::value* email = ao->if_contains("email");
    const json::value* name = ao->if_contains("name");
    if (email == nullptr || !email->is_string()) return false;
    if (name != nullptr && !name->is_null() && !name->is_string()) return false;
    out->push_back({name != nullptr && name->is_string() ? std::string(name->as_string()) : "",
                    std::string(email->as_string())});
  }
  return true;
}

bool StringsOf(const json::object& o, std::string_view key, std::vector<std::string>* out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return true;
  const json::array* a = v->if_array();
  if (a == nullptr || a->size() > 100) return false;
  for (const json::value& x : *a) {
    if (!x.is_string()) return false;
    out->emplace_back(x.as_string());
  }
  return true;
}

struct BodyParts {
  const json::object* values = nullptr;  // bodyValues
  mail::Draft* draft = nullptr;
};

// The value of body part `part` (an EmailBodyPart with partId in bodyValues).
std::optional<std::string> PartValue(const BodyParts& b, const json::object& part) {
  const json::value* id = part.if_contains("partId");
  if (id == nullptr || !id->is_string() || b.values == nullptr) return std::nullopt;
  const json::value* bv = b.values->if_contains(id->as_string());
  if (bv == nullptr || !bv->is_object()) return std::nullopt;
  const json::value* value = bv->as_object().if_contains("value");
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

std::string TypeOf(const json::object& part, std::string_view fallback) {
  const json::value* t = part.if_contains("type");
  return t != nullptr && t->is_string() ? std::string(t->as_string()) : std::string(fallback);
}

bool AttachmentOf(const json::object& part, mail::DraftAttachment* a) {
  const json::value* blob = part.if_contains("blobId");
  if (blob == nullptr || !blob->is_string()) return false;
  a->blob_id = std::string(blob->as_string());
  a->type = TypeOf(part, "");
  if (const json::value* n = part.if_contains("name"); n != nullptr && n->is_string()) {
    a->name = std::string(n->as_string());
  }
  if (const json::value* d = part.if_contains("disposition"); d != nullptr && d->is_string()) {
    a->inline_part = d->as_string() == "inline";
  }
  if (const json::value* c = part.if_contains("cid"); c != nullptr && c->is_string()) {
    a->cid = std::string(c->as_string());
  }
  return true;
}

// Walks a bodyStructure: text leaves with a partId become the text or HTML body,
// leaves with a blobId attachments.
bool WalkStructure(const BodyParts& b, const json::object& part, int depth) {
  if (depth > 10) return false;
  if (const json::value* sub = part.if_contains("subParts"); sub != nullptr && !sub->is_null()) {
    const json::array* a = sub->if_array();
    if (a == nullptr || a->size() > 100) return false;
    for (const json::value& x : *a) {
      if (!x.is_object() || !WalkStructure(b, x.as_object(), depth + 1)) return false;
    }
    return true;
  }
  if (part.contains("partId")) {
    std::optional<std::string> value = PartValue(b, part);
    if (!value) return false;
    std::string type = TypeOf(part, "text/plain");
    if (type == "text/html") {
      b.draft->html_body = *value;
    } else if (type == "text/plain") {
      b.draft->text_body = *value;
    } else {
      return false;
    }
    return true;
  }
  mail::DraftAttachment att;
  if (!AttachmentOf(part, &att)) return false;
  b.draft->attachments.push_back(std::move(att));
  return true;
}

const std::set<std::string, std::less<>>& CreatableProperties() {
  static const std::set<std::string, std::less<>> kProps = {
      "mailboxIds", "keywords",   "receivedAt",  "from",         "to",
      "cc",         "bcc",        "replyTo",     "sender",       "subject",
      "sentAt",     "messageId",  "inReplyTo",   "references",   "textBody",
      "htmlBody",   "bodyValues", "attachments", "bodyStructure"};
  return kProps;
}

// One creation: the draft and where it goes, or a SetError.
std::optional<json::object> CreateOne(CallContext& ctx, const json::object& in,
                                      json::object* created) {
  for (const auto& [key, value] : in) {
    if (!CreatableProperties().contains(std::string_view(key))) {
      return InvalidProperties(
          "Propriété « " + std::string(key).substr(0, 64) + " » non modifiable à la création.",
          {std::string_view(key)});
    }
    (void)value;
  }
  mail::Draft d;
  mail::NewMessage where;
  json::object error;
  if (const json::value* v = in.if_contains("mailboxIds")) {
    auto ids = MailboxIdsOf(ctx, *v, &error);
    if (!ids) return error;
    where.mailbox_ids = std::move(*ids);
  }
  if (const json::value* v = in.if_contains("keywords")) {
    auto k = KeywordsOf(*v, &error);
    if (!k) return error;
    where.keywords = *k;
    if (where.keywords == 0) where.keywords = mail::kSeen;  // {} means no $draft
  }
  if (const json::value* v = in.if_contains("receivedAt"); v != nullptr && !v->is_null()) {
    std::optional<int64_t> at = v->is_string() ? pj::ParseUtcDate(v->as_string()) : std::nullopt;
    if (!at) return InvalidProperties("« receivedAt » : une date UTC attendue.", {"receivedAt"});
    where.received_at = *at;
  }
  if (const json::value* v = in.if_contains("sentAt"); v != nullptr && !v->is_null()) {
    std::optional<int64_t> at = v->is_string() ? pj::ParseUtcDate(v->as_string()) : std::nullopt;
    if (!at) return InvalidProperties("« sentAt » : une date attendue.", {"sentAt"});
    d.sent_at = *at;
  }
  for (auto [key, list] : {std::pair{"from", &d.from}, std::pair{"to", &d.to},
                           std::pair{"cc", &d.cc}, std::pair{"bcc", &d.bcc},
                           std::pair{"replyTo", &d.reply_to}, std::pair{"sender", &d.sender}}) {
    if (!AddressesOf(in, key, list)) {
      return InvalidProperties(
          std::string("« ") + key + " » : une liste de {name, email} attendue.", {key});
    }
  }
  if (const json::value* v = in.if_contains("subject"); v != nullptr && !v->is_null()) {
    if (!v->is_string()) return InvalidProperties("« subject » : un texte attendu.", {"subject"});
    d.subject = std::string(v->as_string());
  }
  std::vector<std::string> message_id;
  if (!StringsOf(in, "messageId", &message_id) || message_id.size() > 1) {
    return InvalidProperties("« messageId » : un seul identifiant.", {"messageId"});
  }
  if (!message_id.empty()) d.message_id = message_id.front();
  if (!StringsOf(in, "inReplyTo", &d.in_reply_to)) {
    return InvalidProperties("« inReplyTo » : une liste d'identifiants attendue.", {"inReplyTo"});
  }
  if (!StringsOf(in, "references", &d.references)) {
    return InvalidProperties("« references » : une liste d'identifiants attendue.", {"references"});
  }

  // The body: bodyStructure, or textBody/htmlBody/attachments (RFC 8621 §4.6).
  BodyParts b;
  b.draft = &d;
  if (const json::value* bv = in.if_contains("bodyValues"); bv != nullptr && !bv->is_null()) {
    if (!bv->is_object()) {
      return InvalidProperties("« bodyValues » : un objet {partId: {value}} attendu.",
                               {"bodyValues"});
    }
    b.values = &bv->as_object();
  }
  if (const json::value* bs = in.if_contains("bodyStructure"); bs != nullptr && !bs->is_null()) {
    if (in.contains("textBody") || in.contains("htmlBody") || in.contains("attachments")) {
      return InvalidProperties("« bodyStructure » exclut textBody, htmlBody et attachments.",
                               {"bodyStructure"});
    }
    if (!bs->is_object() || !WalkStructure(b, bs->as_object(), 0)) {
      return InvalidProperties(
          "« bodyStructure » : des parties text/plain ou text/html avec partId (dans bodyValues) "
          "et des pièces jointes avec blobId.",
          {"bodyStructure"});
    }
  } else {
    for (const char* key : {"textBody", "htmlBody"}) {
      const json::value* v = in.if_contains(key);
      if (v == nullptr || v->is_null()) continue;
      const json::array* a = v->if_array();
      std::optional<std::string> value;
      if (a != nullptr && a->size() == 1 && a->front().is_object()) {
        value = PartValue(b, a->front().as_object());
      }
      if (!value) {
        return InvalidProperties(
            std::string("« ") + key + " » : une seule partie dont le partId est dans bodyValues.",
            {key});
      }
      if (std::string_view(key) == "textBody") {
        d.text_body = *value;
      } else {
        d.html_body = *value;
      }
    }
    if (const json::value* v = in.if_contains("attachments"); v != nullptr && !v->is_null()) {
      const json::array* a = v->if_array();
      if (a == nullptr || a->size() > 500) {
        return InvalidProperties("« attachments » : une liste de parties avec blobId.",
                                 {"attachments"});
      }
      for (const json::value& x : *a) {
        mail::DraftAttachment att;
        if (!x.is_object() || !AttachmentOf(x.as_object(), &att)) {
          return InvalidProperties("« attachments » : chaque partie a un blobId.", {"attachments"});
        }
        d.attachments.push_back(std::move(att));
      }
    }
  }
  if (d.html_body && d.text_body.empty()) d.text_body = mail::HtmlToText(*d.html_body);

  std::string first_blob = d.attachments.empty() ? "" : d.attachments.front().blob_id;
  Result<mail::StoredMessage> s =
      ctx.mail().CreateDraft(ctx.actor, ctx.account_id, std::move(d), where);
  if (!s.ok()) {
    // Name the blob that was not found.
    std::string blob;
    const Status status = s.status();
    const std::string& m = status.message();
    size_t at = m.find("le fichier ");
    if (at != std::string::npos) {
      size_t start = at + 11, end = m.find(' ', start);
      blob = m.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    return SetErrorFromStatus(status, blob.empty() ? first_blob : blob);
  }
  *created = json::object{{"id", pj::EncodeId(pj::kEmailKind, s->email_id)},
                          {"blobId", s->blob_id},
                          {"threadId", pj::EncodeId(pj::kThreadKind, s->thread_id)},
                          {"size", s->size}};
  return std::nullopt;
}

json::object EmailNotFound() {
  return json::object{{"type", "notFound"},
                      {"description", "Ce message n'existe pas dans cette boîte aux lettres."}};
}

std::optional<int64_t> EmailIdOf(const CallContext& ctx, std::string_view text) {
  std::string id(text);
  if (!id.empty() && id.front() == '#') {
    std::optional<std::string> resolved = ctx.ResolveCreationId(id);
    if (!resolved) return std::nullopt;
    id = *resolved;
  }
  return pj::DecodeId(pj::kEmailKind, id);
}

// One update: keywords and mailboxIds, whole or patched.
std::optional<json::object> UpdateOne(CallContext& ctx, int64_t email_id,
                                      const json::object& patch) {
  Result<std::vector<mail::Email>> found =
      ctx.mail().GetEmails(ctx.actor, ctx.account_id, {email_id});
  if (!found.ok()) return SetErrorFromStatus(found.status());
  if (found->empty()) return EmailNotFound();
  const mail::Email& email = found->front();
  uint32_t keywords = email.keywords;
  std::set<int64_t> current(email.mailbox_ids.begin(), email.mailbox_ids.end());
  std::vector<int64_t> target(email.mailbox_ids.begin(), email.mailbox_ids.end());
  bool mailboxes_changed = false;
  json::object error;
  for (const auto& [key, value] : patch) {
    std::string_view k = key;
    if (k == "keywords") {
      auto bits = KeywordsOf(value, &error);
      if (!bits) return error;
      keywords = *bits;
    } else if (k.rfind("keywords/", 0) == 0) {
      std::optional<uint32_t> bit = mail::ParseKeyword(UnescapePointer(k.substr(9)));
      bool set = value.is_bool() && value.as_bool();
      if (!bit || (!set && !value.is_null())) {
        return InvalidProperties("« " + std::string(k).substr(0, 64) +
                                     " » : un mot-clé gardé par caduce, à true ou null.",
                                 {k});
      }
      keywords = set ? (keywords | *bit) : (keywords & ~*bit);
    } else if (k == "mailboxIds") {
      auto ids = MailboxIdsOf(ctx, value, &error);
      if (!ids) return error;
      target = std::move(*ids);
      mailboxes_changed = true;
    } else if (k.rfind("mailboxIds/", 0) == 0) {
      json::object one{{std::string(k.substr(11)), true}};
      auto ids = MailboxIdsOf(ctx, one, &error);
      bool set = value.is_bool() && value.as_bool();
      if (!ids || (!set && !value.is_null())) {
        return InvalidProperties(
            "« " + std::string(k).substr(0, 64) + " » : un dossier, à true ou null.", {k});
      }
      int64_t mb = ids->front();
      std::erase(target, mb);
      if (set) target.push_back(mb);
      mailboxes_changed = true;
    } else {
      return InvalidProperties("Propriété « " + std::string(k).substr(0, 64) +
                                   " » non modifiable : seuls keywords et mailboxIds changent.",
                               {k});
    }
  }
  std::set<int64_t> wanted(target.begin(), target.end());
  if (mailboxes_changed && wanted.empty()) {
    return InvalidProperties("« mailboxIds » : un message reste dans au moins un dossier.",
                             {"mailboxIds"});
  }
  uint32_t add = keywords & ~email.keywords, remove = email.keywords & ~keywords;
  if (add != 0 || remove != 0) {
    Status s = ctx.mail().SetKeywords(ctx.actor, ctx.account_id, email_id, add, remove);
    if (!s.ok()) return SetErrorFromStatus(s);
  }
  if (mailboxes_changed && wanted != current) {
    bool only_adds = std::includes(wanted.begin(), wanted.end(), current.begin(), current.end());
    auto it = wanted.begin();
    if (!only_adds) {
      // Move into the first, then copy into the others.
      Status s = ctx.mail().Move(ctx.actor, ctx.account_id, email_id, *it);
      if (!s.ok()) return SetErrorFromStatus(s);
      ++it;
    }
    for (; it != wanted.end(); ++it) {
      if (current.contains(*it)) continue;
      Status s = ctx.mail().Copy(ctx.actor, ctx.account_id, email_id, *it);
      if (!s.ok()) return SetErrorFromStatus(s);
    }
  }
  return std::nullopt;
}

}  // namespace

void ApplyEmailUpdates(CallContext& ctx, const json::object& update, json::object& response) {
  json::object updated, not_updated;
  for (const auto& [key, value] : update) {
    std::optional<int64_t> id = EmailIdOf(ctx, key);
    std::optional<json::object> error;
    if (!id) {
      error = EmailNotFound();
    } else if (!value.is_object()) {
      error = InvalidProperties("Une mise à jour est un objet de propriétés.", {});
    } else {
      error = UpdateOne(ctx, *id, value.as_object());
    }
    if (error) {
      not_updated[key] = std::move(*error);
    } else {
      updated[key] = nullptr;
    }
  }
  if (!updated.empty()) response["updated"] = std::move(updated);
  if (!not_updated.empty()) response["notUpdated"] = std::move(not_updated);
}

void ApplyEmailDestroys(CallContext& ctx, const std::vector<std::string>& ids,
                        json::object& response) {
  json::array destroyed;
  json::object not_destroyed;
  for (const std::string& text : ids) {
    std::optional<int64_t> id = EmailIdOf(ctx, text);
    Status s = id ? ctx.mail().Destroy(ctx.actor, ctx.account_id, *id)
                  : caduce::NotFoundError("Ce message n'existe pas dans cette boîte aux lettres.");
    // The first call moves it to the Corbeille; JMAP's destroy removes it for good.
    if (s.ok()) {
      Result<std::vector<mail::Email>> left =
          ctx.mail().GetEmails(ctx.actor, ctx.account_id, {*id});
      if (left.ok() && !left->empty()) s = ctx.mail().Destroy(ctx.actor, ctx.account_id, *id);
    }
    if (s.ok()) {
      destroyed.emplace_back(text);
    } else {
      not_destroyed[text] = SetErrorFromStatus(s);
    }
  }
  if (!destroyed.empty()) response["destroyed"] = std::move(destroyed);
  if (!not_destroyed.empty()) response["notDestroyed"] = std::move(not_destroyed);
}

}  // namespace internal

namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

MethodOutcome EmailSet(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(
          args, {"accountId", "ifInState", "create", "update", "destroy"})) {
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
  std::optional<std::vector<std::string>> destroy = pj::StringListArg(args, "destroy", &bad);
  if (bad) return pj::InvalidArguments("« destroy » doit être une liste d'identifiants.");
  for (auto [key, out] : {std::pair{"create", &create}, std::pair{"update", &update}}) {
    const json::value* v = args.if_contains(key);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_object())
      return pj::InvalidArguments(std::string("« ") + key + " » doit être un objet.");
    *out = &v->as_object();
  }
  size_t count = (create ? create->size() : 0) + (update ? update->size() : 0) +
                 (destroy ? destroy->size() : 0);
  if (static_cast<int64_t>(count) > ctx.limits().max_objects_in_set) {
    return pj::RequestTooLarge("Trop d'objets dans un seul Email/set (maxObjectsInSet = " +
                               std::to_string(ctx.limits().max_objects_in_set) + ").");
  }

  json::object response{{"accountId", ctx.AccountIdText()}, {"oldState", *old_state}};
  if (create != nullptr) {
    json::object created, not_created;
    for (const auto& [creation_id, value] : *create) {
      json::object made;
      std::optional<json::object> error =
          value.is_object() ? internal::CreateOne(ctx, value.as_object(), &made)
                            : std::optional<json::object>(
                                  internal::InvalidProperties("Un objet Email attendu.", {}));
      if (error) {
        not_created[creation_id] = std::move(*error);
      } else {
        if (ctx.created_ids != nullptr) (*ctx.created_ids)[creation_id] = made["id"];
        created[creation_id] = std::move(made);
      }
    }
    if (!created.empty()) response["created"] = std::move(created);
    if (!not_created.empty()) response["notCreated"] = std::move(not_created);
  }
  if (update != nullptr) internal::ApplyEmailUpdates(ctx, *update, response);
  if (destroy) internal::ApplyEmailDestroys(ctx, *destroy, response);
  Result<std::string> new_state = internal::StateOf(ctx);
  if (!new_state.ok()) return ErrorFromStatus(new_state.status());
  response["newState"] = *new_state;
  return response;
}

}  // namespace

void RegisterEmailWriteMethods(MethodRegistry& registry) {
  (void)registry.Add({.name = "Email/set",
                      .capability = pj::kMailCapability,
                      .needs_account = true,
                      .handler = EmailSet});
  RegisterEmailImportMethod(registry);
}

}  // namespace caduce::api::jmap
