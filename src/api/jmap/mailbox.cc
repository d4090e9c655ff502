// File: api/jmap/mailbox.cc
//
// Mailbox/get, Mailbox/changes, Mailbox/query and Mailbox/set (RFC 8621 §2) over
// MailService's folders: the five base mailboxes of every account (roles inbox,
// sent, drafts, trash, archive, which cannot be renamed or destroyed) and the
// folders a person creates. The state of every type is the account's
// modification sequence. Thread counts are the message counts (caduce does not
// count threads per mailbox).
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "api/jmap/internal.h"
#include "api/jmap/method.h"

namespace caduce::api::jmap {
namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

const std::vector<std::string> kProperties = {
    "id",           "name",          "parentId",     "role",          "sortOrder",   "totalEmails",
    "unreadEmails", "totalThreads",  "unreadThreads", "myRights",     "isSubscribed"};

json::object MailboxJson(const mail::Mailbox& m, const std::optional<std::vector<std::string>>& props) {
  bool base = m.role != mail::Role::kNone;
  json::object all{
      {"id", pj::EncodeId(pj::kMailboxKind, m.id)},
      {"name", m.name},
      {"parentId", m.parent_id != 0 ? json::value(pj::EncodeId(pj::kMailboxKind, m.parent_id))
                                    : json::value(nullptr)},
      {"role", base ? json::value(std::string(mail::RoleName(m.role))) : json::value(nullptr)},
      {"sortOrder", m.sort_order},
      {"totalEmails", m.total_emails},
      {"unreadEmails", m.unread_emails},
      {"totalThreads", m.total_emails},
      {"unreadThreads", m.unread_emails},
      {"myRights", json::object{{"mayReadItems", true},
                                {"mayAddItems", true},
                                {"mayRemoveItems", true},
                                {"maySetSeen", true},
                                {"maySetKeywords", true},
                                {"mayCreateChild", true},
                                {"mayRename", !base},
                                {"mayDelete", !base},
                                {"maySubmit", true}}},
      {"isSubscribed", true}};
  if (!props) return all;
  json::object out{{"id", all.at("id")}};
  for (const std::string& p : *props) out[p] = all.at(p);
  return out;
}

MethodOutcome Get(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(args, {"accountId", "ids", "properties"})) return *e;
  std::optional<pj::MethodError> error;
  std::vector<std::string> not_found;
  std::optional<std::vector<int64_t>> ids =
      internal::DecodeIds(args, pj::kMailboxKind, &not_found, &error);
  if (error) return *error;
  if (ids && static_cast<int64_t>(ids->size() + not_found.size()) > ctx.limits().max_objects_in_get) {
    return pj::RequestTooLarge("Trop d'identifiants dans « ids » (maxObjectsInGet = " +
                               std::to_string(ctx.limits().max_objects_in_get) + ").");
  }
  std::optional<std::vector<std::string>> props = internal::Properties(args, kProperties, &error);
  if (error) return *error;
  // The list first: it creates the base mailboxes on first use, and the state
  // returned must include them.
  Result<std::vector<mail::Mailbox>> all = ctx.mail().Mailboxes(ctx.actor, ctx.account_id);
  if (!all.ok()) return ErrorFromStatus(all.status());
  Result<std::string> state = internal::StateOf(ctx);
  if (!state.ok()) return ErrorFromStatus(state.status());
  json::array list;
  json::array missing;
  for (const std::string& s : not_found) missing.push_back(json::string(s));
  if (!ids) {
    for (const mail::Mailbox& m : *all) list.push_back(MailboxJson(m, props));
  } else {
    for (int64_t id : *ids) {
      auto it = std::find_if(all->begin(), all->end(),
                             [id](const mail::Mailbox& m) { return m.id == id; });
      if (it == all->end()) {
        missing.push_back(json::string(pj::EncodeId(pj::kMailboxKind, id)));
      } else {
        list.push_back(MailboxJson(*it, props));
      }
    }
  }
  return json::object{{"accountId", ctx.AccountIdText()},
                      {"state", *state},
                      {"list", std::move(list)},
                      {"notFound", std::move(missing)}};
}

}  // namespace

namespace internal {

// */changes of one type (RFC 8620 §5.2), shared with Thread/changes and
// Email/changes.
MethodOutcome Changes(CallContext& ctx, const json::object& args, mail::ObjectType type,
                      char kind) {
  MethodOutcome out =
      ChangesOf(ctx, args, kind, [&ctx, type](int64_t since, int64_t max_changes) {
        return ctx.mail().ChangesSince(ctx.actor, ctx.account_id, type, since, max_changes);
      });
  if (out.ok() && type == mail::ObjectType::kMailbox) out.arguments["updatedProperties"] = nullptr;
  return out;
}

MethodOutcome ChangesOf(CallContext& ctx, const json::object& args, char kind,
                        const ChangesFetch& fetch) {
  if (auto e = UnknownArguments(args, {"accountId", "sinceState", "maxChanges"})) return *e;
  bool bad = false;
  std::optional<std::string_view> since = pj::StringArg(args, "sinceState", &bad);
  int64_t max_changes = pj::IntArg(args, "maxChanges", 0, &bad);
  if (bad || !since) {
    return pj::InvalidArguments(
        "« sinceState » (une chaîne) est obligatoire ; « maxChanges » est un entier positif.");
  }
  if (args.contains("maxChanges") && !args.at("maxChanges").is_null() && max_changes == 0) {
    return pj::InvalidArguments("« maxChanges » doit être supérieur à 0.");
  }
  std::optional<int64_t> since_state = pj::DecodeState(*since);
  if (!since_state) return pj::CannotCalculateChanges();
  if (max_changes == 0 || max_changes > 5000) max_changes = 5000;
  Result<mail::Changes> c = fetch(*since_state, max_changes);
  if (!c.ok()) {
    if (c.status().code() == Code::kFailedPrecondition) return pj::CannotCalculateChanges();
    return ErrorFromStatus(c.status());
  }
  auto ids = [kind](const std::vector<int64_t>& v) {
    json::array a;
    for (int64_t id : v) a.push_back(json::string(pj::EncodeId(kind, id)));
    return a;
  };
  return json::object{{"accountId", ctx.AccountIdText()},
                      {"oldState", pj::EncodeState(c->old_state)},
                      {"newState", pj::EncodeState(c->new_state)},
                      {"hasMoreChanges", c->has_more},
                      {"created", ids(c->created)},
                      {"updated", ids(c->updated)},
                      {"destroyed", ids(c->destroyed)}};
}

}  // namespace internal

namespace {

MethodOutcome Query(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(
          args, {"accountId", "filter", "sort", "position", "anchor", "anchorOffset", "limit",
                 "calculateTotal", "sortAsTree", "filterAsTree"})) {
    return *e;
  }
  bool bad = false;
  int64_t position = pj::IntArg(args, "position", 0, &bad, true);
  int64_t limit = pj::IntArg(args, "limit", -1, &bad);
  bool total = pj::BoolArg(args, "calculateTotal", &bad).value_or(false);
  if (bad) return pj::InvalidArguments("« position », « limit » ou « calculateTotal » invalide.");
  if (args.contains("anchor") && !args.at("anchor").is_null()) {
    return pj::UnsupportedFilter("« anchor » n'est pas pris en charge pour Mailbox/query.");
  }
  Result<std::vector<mail::Mailbox>> all = ctx.mail().Mailboxes(ctx.actor, ctx.account_id);
  if (!all.ok()) return ErrorFromStatus(all.status());
  std::vector<mail::Mailbox> list = std::move(*all);
  if (const json::value* f = args.if_contains("filter"); f != nullptr && !f->is_null()) {
    const json::object* filter = f->if_object();
    if (filter == nullptr) return pj::InvalidArguments("« filter » doit être un objet.");
    for (const auto& [k, v] : *filter) {
      if (k == "parentId") {
        int64_t parent = 0;
        if (v.is_string()) {
          std::optional<int64_t> p = pj::DecodeId(pj::kMailboxKind, v.as_string());
          parent = p.value_or(-1);
        } else if (!v.is_null()) {
          return pj::InvalidArguments("Filtre « parentId » : un identifiant ou null.");
        }
        std::erase_if(list, [parent](const mail::Mailbox& m) { return m.parent_id != parent; });
      } else if (k == "role") {
        std::string role = v.is_string() ? std::string(v.as_string()) : "";
        if (!v.is_string() && !v.is_null()) {
          return pj::InvalidArguments("Filtre « role » : une chaîne ou null.");
        }
        std::erase_if(list, [&role](const mail::Mailbox& m) { return mail::RoleName(m.role) != role; });
      } else if (k == "hasAnyRole") {
        if (!v.is_bool()) return pj::InvalidArguments("Filtre « hasAnyRole » : un booléen.");
        bool want = v.as_bool();
        std::erase_if(list, [want](const mail::Mailbox& m) {
          return (m.role != mail::Role::kNone) != want;
        });
      } else if (k == "name") {
        if (!v.is_string()) return pj::InvalidArguments("Filtre « name » : une chaîne.");
        std::string needle(v.as_string());
        std::erase_if(list, [&needle](const mail::Mailbox& m) {
          return m.name.find(needle) == std::string::npos;
        });
      } else if (k == "isSubscribed") {
        if (!v.is_bool()) return pj::InvalidArguments("Filtre « isSubscribed » : un booléen.");
        if (!v.as_bool()) list.clear();
      } else {
        return pj::UnsupportedFilter("Filtre inconnu pour Mailbox/query : « " + std::string(k) +
                                     " ».");
      }
    }
  }
  bool by_name = false;
  if (const json::value* s = args.if_contains("sort"); s != nullptr && !s->is_null()) {
    if (!s->is_array()) return pj::InvalidArguments("« sort » doit être un tableau.");
    for (const json::value& c : s->as_array()) {
      const json::object* o = c.if_object();
      const json::value* p = o ? o->if_contains("property") : nullptr;
      if (p == nullptr || !p->is_string()) {
        return pj::InvalidArguments("Chaque tri est un objet {property, isAscending}.");
      }
      if (p->as_string() == "name") {
        by_name = true;
      } else if (p->as_string() != "sortOrder") {
        return pj::UnsupportedSort("Tri non pris en charge : « " +
                                   std::string(p->as_string()) + " » (sortOrder, name).");
      }
    }
  }
  std::stable_sort(list.begin(), list.end(), [by_name](const mail::Mailbox& a, const mail::Mailbox& b) {
    if (!by_name && a.sort_order != b.sort_order) return a.sort_order < b.sort_order;
    if (a.name != b.name) return a.name < b.name;
    return a.id < b.id;
  });
  int64_t n = static_cast<int64_t>(list.size());
  if (position < 0) position = std::max<int64_t>(0, n + position);
  if (position > n) position = n;
  int64_t end = limit < 0 ? n : std::min(n, position + limit);
  json::array ids;
  for (int64_t i = position; i < end; ++i) {
    ids.push_back(json::string(pj::EncodeId(pj::kMailboxKind, list[static_cast<size_t>(i)].id)));
  }
  Result<std::string> state = internal::StateOf(ctx);
  if (!state.ok()) return ErrorFromStatus(state.status());
  json::object out{{"accountId", ctx.AccountIdText()},
                   {"queryState", *state},
                   {"canCalculateChanges", false},
                   {"position", position},
                   {"ids", std::move(ids)}};
  if (total) out["total"] = n;
  return out;
}

json::object SetError(std::string type, std::string description) {
  return json::object{{"type", std::move(type)}, {"description", std::move(description)}};
}

json::object SetErrorOf(const Status& st) {
  switch (st.code()) {
    case Code::kNotFound:
      return SetError("notFound", st.message());
    case Code::kFailedPrecondition:
      return SetError(st.message().find("base") != std::string::npos ? "forbidden"
                                                                      : "mailboxHasEmail",
                      st.message());
    case Code::kInvalidArgument:
    case Code::kAlreadyExists:
      return SetError("invalidProperties", st.message());
    case Code::kPermissionDenied:
      return SetError("forbidden", st.message());
    default:
      return SetError("serverFail", "Erreur du serveur : réessayez.");
  }
}

// parentId of a create/update: null → 0; "#k" → a mailbox created earlier.
std::optional<int64_t> ParentOf(const CallContext& ctx, const json::value& v) {
  if (v.is_null()) return 0;
  if (!v.is_string()) return std::nullopt;
  std::optional<std::string> id = ctx.ResolveCreationId(v.as_string());
  if (!id) return std::nullopt;
  return pj::DecodeId(pj::kMailboxKind, *id);
}

MethodOutcome Set(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(args, {"accountId", "ifInState", "create", "update",
                                                 "destroy", "onDestroyRemoveEmails"})) {
    return *e;
  }
  bool bad = false;
  std::optional<std::string_view> if_in_state = pj::StringArg(args, "ifInState", &bad);
  std::optional<std::vector<std::string>> destroy = pj::StringListArg(args, "destroy", &bad);
  if (bad) return pj::InvalidArguments("« ifInState » est une chaîne, « destroy » un tableau.");
  const json::object* create = nullptr;
  const json::object* update = nullptr;
  for (auto [key, target] : {std::pair{"create", &create}, std::pair{"update", &update}}) {
    const json::value* v = args.if_contains(key);
    if (v == nullptr || v->is_null()) continue;
    *target = v->if_object();
    if (*target == nullptr) {
      return pj::InvalidArguments("« " + std::string(key) + " » doit être un objet.");
    }
  }
  int64_t count = (create ? static_cast<int64_t>(create->size()) : 0) +
                  (update ? static_cast<int64_t>(update->size()) : 0) +
                  (destroy ? static_cast<int64_t>(destroy->size()) : 0);
  if (count > ctx.limits().max_objects_in_set) {
    return pj::RequestTooLarge("Trop d'objets dans une requête Mailbox/set (maxObjectsInSet = " +
                               std::to_string(ctx.limits().max_objects_in_set) + ").");
  }
  Result<std::string> old_state = internal::StateOf(ctx);
  if (!old_state.ok()) return ErrorFromStatus(old_state.status());
  if (if_in_state && *if_in_state != *old_state) return pj::StateMismatch();

  json::object created, not_created, updated, not_updated, not_destroyed;
  json::array destroyed;
  if (create != nullptr) {
    for (const auto& [cid, value] : *create) {
      const json::object* o = value.if_object();
      const json::value* name = o ? o->if_contains("name") : nullptr;
      if (name == nullptr || !name->is_string()) {
        not_created[cid] = json::object{
            {"type", "invalidProperties"},
            {"properties", json::array{"name"}},
            {"description", "Nom du dossier : obligatoire (une chaîne)."}};
        continue;
      }
      std::optional<int64_t> parent = 0;
      if (const json::value* p = o->if_contains("parentId")) parent = ParentOf(ctx, *p);
      if (!parent) {
        not_created[cid] = json::object{{"type", "invalidProperties"},
                                        {"properties", json::array{"parentId"}},
                                        {"description", "Dossier parent : ce dossier n'existe pas."}};
        continue;
      }
      bool other = false;
      for (const auto& [k, v] : *o) {
        if (k != "name" && k != "parentId" && k != "isSubscribed" && k != "sortOrder" &&
            !(k == "role" && v.is_null())) {
          other = true;
        }
      }
      if (other) {
        not_created[cid] = SetError("invalidProperties",
                                    "Seuls « name » et « parentId » peuvent être donnés.");
        continue;
      }
      Result<mail::Mailbox> m =
          ctx.mail().CreateMailbox(ctx.actor, ctx.account_id, name->as_string(), *parent);
      if (!m.ok()) {
        not_created[cid] = SetErrorOf(m.status());
        continue;
      }
      std::string id = pj::EncodeId(pj::kMailboxKind, m->id);
      (*ctx.created_ids)[cid] = id;
      created[cid] = json::object{{"id", id},
                                  {"role", nullptr},
                                  {"sortOrder", m->sort_order},
                                  {"totalEmails", 0},
                                  {"unreadEmails", 0},
                                  {"totalThreads", 0},
                                  {"unreadThreads", 0},
                                  {"isSubscribed", true}};
    }
  }
  if (update != nullptr) {
    Result<std::vector<mail::Mailbox>> all = ctx.mail().Mailboxes(ctx.actor, ctx.account_id);
    if (!all.ok()) return ErrorFromStatus(all.status());
    for (const auto& [key, value] : *update) {
      std::optional<std::string> text = ctx.ResolveCreationId(key);
      // 0 is no mailbox's id (a plain value: GCC's -O3 flow analysis misreads an
      // optional captured by the lambda as maybe uninitialized).
      int64_t id = 0;
      if (text) id = pj::DecodeId(pj::kMailboxKind, *text).value_or(0);
      auto it = std::find_if(all->begin(), all->end(),
                             [id](const mail::Mailbox& m) { return id != 0 && m.id == id; });
      const json::object* patch = value.if_object();
      if (it == all->end()) {
        not_updated[key] = SetError("notFound", "Ce dossier n'existe pas.");
        continue;
      }
      if (patch == nullptr) {
        not_updated[key] = SetError("invalidPatch", "La mise à jour doit être un objet.");
        continue;
      }
      std::string name = it->name;
      int64_t parent = it->parent_id;
      bool ok = true;
      for (const auto& [k, v] : *patch) {
        if (k == "name" && v.is_string()) {
          name = std::string(v.as_string());
        } else if (k == "parentId") {
          std::optional<int64_t> p = ParentOf(ctx, v);
          if (!p) ok = false;
          parent = p.value_or(0);
        } else if (k == "isSubscribed" || k == "sortOrder") {
          // Accepted and ignored: every mailbox is subscribed, the order is the server's.
        } else {
          ok = false;
        }
      }
      if (!ok) {
        not_updated[key] = SetError("invalidProperties",
                                    "Seuls « name » (une chaîne) et « parentId » se modifient.");
        continue;
      }
      if (it->role != mail::Role::kNone && (name != it->name || parent != it->parent_id)) {
        not_updated[key] = SetError("forbidden", "« " + it->name +
                                                     " » est un dossier de base : il ne peut pas "
                                                     "être renommé ni déplacé.");
        continue;
      }
      Status st = ctx.mail().RenameMailbox(ctx.actor, ctx.account_id, it->id, name, parent);
      if (!st.ok()) {
        not_updated[key] = SetErrorOf(st);
        continue;
      }
      updated[key] = nullptr;
    }
  }
  if (destroy) {
    for (const std::string& key : *destroy) {
      std::optional<std::string> text = ctx.ResolveCreationId(key);
      std::optional<int64_t> id = text ? pj::DecodeId(pj::kMailboxKind, *text) : std::nullopt;
      if (!id) {
        not_destroyed[key] = SetError("notFound", "Ce dossier n'existe pas.");
        continue;
      }
      Status st = ctx.mail().DestroyMailbox(ctx.actor, ctx.account_id, *id);
      if (!st.ok()) {
        json::object e = SetErrorOf(st);
        if (st.message().find("contient") != std::string::npos ||
            st.message().find("sous-dossier") != std::string::npos) {
          e["type"] = st.message().find("sous-dossier") != std::string::npos ? "mailboxHasChild"
                                                                              : "mailboxHasEmail";
        }
        not_destroyed[key] = std::move(e);
        continue;
      }
      destroyed.push_back(json::string(key));
    }
  }
  Result<std::string> new_state = internal::StateOf(ctx);
  if (!new_state.ok()) return ErrorFromStatus(new_state.status());
  json::object out{{"accountId", ctx.AccountIdText()},
                   {"oldState", *old_state},
                   {"newState", *new_state},
                   {"created", created.empty() ? json::value(nullptr) : json::value(created)},
                   {"updated", updated.empty() ? json::value(nullptr) : json::value(updated)},
                   {"destroyed", destroyed.empty() ? json::value(nullptr) : json::value(destroyed)},
                   {"notCreated", not_created.empty() ? json::value(nullptr) : json::value(not_created)},
                   {"notUpdated", not_updated.empty() ? json::value(nullptr) : json::value(not_updated)},
                   {"notDestroyed",
                    not_destroyed.empty() ? json::value(nullptr) : json::value(not_destroyed)}};
  return out;
}

}  // namespace

void RegisterMailboxMethods(MethodRegistry& registry) {
  auto add = [&registry](std::string name, MethodHandler h) {
    MethodSpec s;
    s.name = std::move(name);
    s.handler = std::move(h);
    (void)registry.Add(std::move(s));
  };
  add("Mailbox/get", Get);
  add("Mailbox/changes", [](CallContext& ctx, const json::object& args) {
    return internal::Changes(ctx, args, mail::ObjectType::kMailbox, pj::kMailboxKind);
  });
  add("Mailbox/query", Query);
  add("Mailbox/set", Set);
}

}  // namespace caduce::api::jmap
