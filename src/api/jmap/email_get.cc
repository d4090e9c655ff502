// File: api/jmap/email_get.cc
//
// The reading side of Email (RFC 8621 §4): Email/get (metadata from the store;
// the body — bodyStructure, textBody, htmlBody, attachments, bodyValues — read
// through MailService::OpenBody, which traces the opening on an ORG/APP
// account), Email/changes, Email/query (one AND of conditions, sorted by
// receivedAt), Email/queryChanges (always cannotCalculateChanges: clients query
// again), SearchSnippet/get (§5), and caduce's `handledBy` property
// (urn:caduce:params:jmap:handling): who opened, answered, moved … a message of
// a shared mailbox, and when.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "mail/body_structure.h"
#include "api/jmap/internal.h"
#include "api/jmap/method.h"

namespace caduce::api::jmap {
namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

const std::vector<std::string> kDefaultProperties = {
    "id",      "blobId",  "threadId", "mailboxIds", "keywords",      "size",
    "receivedAt", "messageId", "inReplyTo", "references", "sender",  "from",
    "to",      "cc",      "bcc",      "replyTo",    "subject",       "sentAt",
    "hasAttachment", "preview", "bodyValues", "textBody", "htmlBody", "attachments"};
const std::vector<std::string> kBodyOnly = {"bodyStructure", "bodyValues", "textBody", "htmlBody",
                                            "attachments"};
const std::vector<std::string> kPartProperties = {"partId", "blobId",   "size", "name",
                                                  "type",   "charset",  "disposition", "cid",
                                                  "language", "location", "subParts"};
const std::vector<std::string> kDefaultPartProperties = {"partId", "blobId", "size", "name",
                                                         "type", "charset", "disposition", "cid",
                                                         "language", "location"};

std::vector<std::string> AllProperties() {
  std::vector<std::string> all = kDefaultProperties;
  all.push_back("bodyStructure");
  all.push_back("handledBy");
  return all;
}

json::value Addresses(const std::vector<mail::EmailAddress>& list) {
  if (list.empty()) return nullptr;
  json::array a;
  for (const mail::EmailAddress& x : list) {
    a.push_back(json::object{{"name", x.name.empty() ? json::value(nullptr) : json::value(x.name)},
                             {"email", x.email}});
  }
  return a;
}

json::value Ids(const std::vector<std::string>& ids) {
  if (ids.empty()) return nullptr;
  json::array a;
  for (const std::string& s : ids) a.push_back(json::string(s));
  return a;
}

bool Has(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

json::object PartJson(const mail::BodyPart& p, const std::string& blob_id,
                      const std::vector<std::string>& props) {
  json::object o;
  for (const std::string& k : props) {
    if (k == "partId") {
      o[k] = p.part_id.empty() ? json::value(nullptr) : json::value(p.part_id);
    } else if (k == "blobId") {
      o[k] = p.part_id.empty() ? json::value(nullptr) : json::value(blob_id + "_" + p.part_id);
    } else if (k == "size") {
      o[k] = p.size;
    } else if (k == "name") {
      o[k] = p.name.empty() ? json::value(nullptr) : json::value(p.name);
    } else if (k == "type") {
      o[k] = p.type;
    } else if (k == "charset") {
      o[k] = p.charset.empty() ? json::value(nullptr) : json::value(p.charset);
    } else if (k == "disposition") {
      o[k] = p.disposition.empty() ? json::value(nullptr) : json::value(p.disposition);
    } else if (k == "cid") {
      o[k] = p.cid.empty() ? json::value(nullptr) : json::value(p.cid);
    } else if (k == "language") {
      o[k] = p.language.empty() ? json::value(nullptr) : Ids(p.language);
    } else if (k == "location") {
      o[k] = p.location.empty() ? json::value(nullptr) : json::value(p.location);
    } else if (k == "subParts") {
      if (p.type.rfind("multipart/", 0) == 0) {
        json::array subs;
        for (const mail::BodyPart& s : p.sub_parts) subs.push_back(PartJson(s, blob_id, props));
        o[k] = std::move(subs);
      } else {
        o[k] = nullptr;
      }
    }
  }
  return o;
}

bool IsInlineMediaType(std::string_view t) {
  return t.rfind("image/", 0) == 0 || t.rfind("audio/", 0) == 0 || t.rfind("video/", 0) == 0;
}

// RFC 8621 §4.1.4: the parts a client shows as the text body, the HTML body and
// the attachments, walked as the RFC's parseStructure() does.
using PartList = std::vector<const mail::BodyPart*>;
void ParseStructure(const std::vector<const mail::BodyPart*>& parts, std::string_view multipart,
                    bool in_alternative, PartList* html, PartList* text, PartList* attachments) {
  long text_len = text ? static_cast<long>(text->size()) : -1;
  long html_len = html ? static_cast<long>(html->size()) : -1;
  for (size_t i = 0; i < parts.size(); ++i) {
    const mail::BodyPart& part = *parts[i];
    bool is_multipart = part.type.rfind("multipart/", 0) == 0;
    bool is_inline =
        part.disposition != "attachment" &&
        (part.type == "text/plain" || part.type == "text/html" || IsInlineMediaType(part.type)) &&
        (i == 0 || (multipart != "related" && (IsInlineMediaType(part.type) || part.name.empty())));
    if (is_multipart) {
      std::string sub = part.type.substr(10);
      std::vector<const mail::BodyPart*> children;
      for (const mail::BodyPart& c : part.sub_parts) children.push_back(&c);
      ParseStructure(children, sub, in_alternative || sub == "alternative", html, text,
                     attachments);
    } else if (is_inline) {
      if (multipart == "alternative") {
        if (part.type == "text/plain") {
          if (text) text->push_back(&part);
        } else if (part.type == "text/html") {
          if (html) html->push_back(&part);
        } else {
          attachments->push_back(&part);
        }
        continue;
      }
      PartList* t = text;
      PartList* h = html;
      if (in_alternative) {
        if (part.type == "text/plain") h = nullptr;
        if (part.type == "text/html") t = nullptr;
      }
      if (t) t->push_back(&part);
      if (h) h->push_back(&part);
      if ((!t || !h) && IsInlineMediaType(part.type)) attachments->push_back(&part);
    } else {
      attachments->push_back(&part);
    }
  }
  if (multipart == "alternative" && text && html) {
    if (text_len == static_cast<long>(text->size()) && html_len != static_cast<long>(html->size())) {
      for (size_t i = static_cast<size_t>(html_len); i < html->size(); ++i) text->push_back((*html)[i]);
    }
    if (html_len == static_cast<long>(html->size()) && text_len != static_cast<long>(text->size())) {
      for (size_t i = static_cast<size_t>(text_len); i < text->size(); ++i) html->push_back((*text)[i]);
    }
  }
}

// The first `max` bytes of `s`, cut at a character boundary.
std::string Truncate(const std::string& s, int64_t max, bool* truncated) {
  *truncated = false;
  if (max <= 0 || static_cast<int64_t>(s.size()) <= max) return s;
  size_t n = static_cast<size_t>(max);
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  *truncated = true;
  return s.substr(0, n);
}

std::string ActionName(std::string_view a) { return std::string(a); }

MethodOutcome Get(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(
          args, {"accountId", "ids", "properties", "bodyProperties", "fetchTextBodyValues",
                 "fetchHTMLBodyValues", "fetchAllBodyValues", "maxBodyValueBytes"})) {
    return *e;
  }
  std::optional<pj::MethodError> error;
  std::vector<std::string> not_found;
  std::optional<std::vector<int64_t>> ids =
      internal::DecodeIds(args, pj::kEmailKind, &not_found, &error);
  if (error) return *error;
  if (!ids && not_found.empty()) {
    return pj::RequestTooLarge("Email/get demande des « ids » (au plus " +
                               std::to_string(ctx.limits().max_objects_in_get) + ").");
  }
  size_t asked = (ids ? ids->size() : 0) + not_found.size();
  if (static_cast<int64_t>(asked) > ctx.limits().max_objects_in_get) {
    return pj::RequestTooLarge("Trop d'identifiants dans « ids » (maxObjectsInGet = " +
                               std::to_string(ctx.limits().max_objects_in_get) + ").");
  }
  std::optional<std::vector<std::string>> asked_props =
      internal::Properties(args, AllProperties(), &error);
  if (error) return *error;
  std::vector<std::string> props = asked_props.value_or(kDefaultProperties);
  if (!asked_props && ctx.account_is_shared && ctx.Uses(pj::kHandlingCapability)) {
    props.push_back("handledBy");
  }
  if (Has(props, "handledBy") && !ctx.Uses(pj::kHandlingCapability)) {
    return pj::InvalidArguments("La propriété « handledBy » demande la capacité « " +
                                std::string(pj::kHandlingCapability) + " » dans « using ».");
  }
  std::optional<std::vector<std::string>> part_props =
      internal::Properties(args, kPartProperties, &error, "bodyProperties");
  if (error) return *error;
  std::vector<std::string> body_props = part_props.value_or(kDefaultPartProperties);
  bool bad = false;
  bool fetch_text = pj::BoolArg(args, "fetchTextBodyValues", &bad).value_or(false);
  bool fetch_html = pj::BoolArg(args, "fetchHTMLBodyValues", &bad).value_or(false);
  bool fetch_all = pj::BoolArg(args, "fetchAllBodyValues", &bad).value_or(false);
  int64_t max_value_bytes = pj::IntArg(args, "maxBodyValueBytes", 0, &bad);
  if (bad) {
    return pj::InvalidArguments(
        "« fetch…BodyValues » sont des booléens, « maxBodyValueBytes » un entier positif.");
  }
  bool wants_body = false;
  for (const std::string& p : kBodyOnly) wants_body = wants_body || Has(props, p);

  Result<std::string> state = internal::StateOf(ctx);
  if (!state.ok()) return ErrorFromStatus(state.status());
  std::vector<int64_t> wanted = ids.value_or(std::vector<int64_t>());
  Result<std::vector<mail::Email>> emails = ctx.mail().GetEmails(ctx.actor, ctx.account_id, wanted);
  if (!emails.ok()) return ErrorFromStatus(emails.status());

  json::array list;
  for (int64_t id : wanted) {
    auto it = std::find_if(emails->begin(), emails->end(),
                           [id](const mail::Email& e) { return e.id == id; });
    if (it == emails->end()) {
      not_found.push_back(pj::EncodeId(pj::kEmailKind, id));
      continue;
    }
    const mail::Email& e = *it;
    json::object o{{"id", pj::EncodeId(pj::kEmailKind, e.id)}};
    for (const std::string& p : props) {
      if (p == "blobId") {
        o[p] = e.blob_id;
      } else if (p == "threadId") {
        o[p] = pj::EncodeId(pj::kThreadKind, e.thread_id);
      } else if (p == "mailboxIds") {
        json::object m;
        for (int64_t b : e.mailbox_ids) m[pj::EncodeId(pj::kMailboxKind, b)] = true;
        o[p] = std::move(m);
      } else if (p == "keywords") {
        json::object k;
        for (const std::string& name : mail::KeywordNames(e.keywords)) k[name] = true;
        o[p] = std::move(k);
      } else if (p == "size") {
        o[p] = e.size;
      } else if (p == "receivedAt") {
        o[p] = pj::UtcDate(e.received_at);
      } else if (p == "messageId") {
        o[p] = e.message_id.empty() ? json::value(nullptr) : json::value(json::array{json::string(e.message_id)});
      } else if (p == "inReplyTo") {
        o[p] = Ids(e.in_reply_to);
      } else if (p == "references") {
        o[p] = Ids(e.references);
      } else if (p == "sender") {
        o[p] = Addresses(e.sender);
      } else if (p == "from") {
        o[p] = Addresses(e.from);
      } else if (p == "to") {
        o[p] = Addresses(e.to);
      } else if (p == "cc") {
        o[p] = Addresses(e.cc);
      } else if (p == "bcc") {
        o[p] = Addresses(e.bcc);
      } else if (p == "replyTo") {
        o[p] = Addresses(e.reply_to);
      } else if (p == "subject") {
        o[p] = e.subject;
      } else if (p == "sentAt") {
        o[p] = e.sent_at ? json::value(pj::UtcDate(*e.sent_at)) : json::value(nullptr);
      } else if (p == "hasAttachment") {
        o[p] = e.has_attachment;
      } else if (p == "preview") {
        o[p] = e.preview;
      }
    }
    if (wants_body) {
      // Opening the message: traced on a shared mailbox by MailService.
      Result<std::string> raw = ctx.mail().OpenBody(ctx.actor, ctx.account_id, e.id);
      if (!raw.ok()) {
        if (raw.status().code() == Code::kNotFound) {
          not_found.push_back(pj::EncodeId(pj::kEmailKind, e.id));
          continue;
        }
        return ErrorFromStatus(raw.status());
      }
      bool any_values = fetch_text || fetch_html || fetch_all;
      Result<mail::BodyPart> tree = mail::ParseBodyStructure(*raw, any_values);
      if (!tree.ok()) return pj::ServerFail();
      PartList text, html, attachments;
      ParseStructure({&*tree}, "mixed", false, &html, &text, &attachments);
      auto part_list = [&](const PartList& l) {
        json::array a;
        for (const mail::BodyPart* x : l) a.push_back(PartJson(*x, e.blob_id, body_props));
        return a;
      };
      if (Has(props, "bodyStructure")) {
        std::vector<std::string> with_subs = body_props;
        if (!Has(with_subs, "subParts")) with_subs.push_back("subParts");
        o["bodyStructure"] = PartJson(*tree, e.blob_id, with_subs);
      }
      if (Has(props, "textBody")) o["textBody"] = part_list(text);
      if (Has(props, "htmlBody")) o["htmlBody"] = part_list(html);
      if (Has(props, "attachments")) o["attachments"] = part_list(attachments);
      if (Has(props, "bodyValues")) {
        json::object values;
        auto add = [&](const mail::BodyPart* x) {
          if (x->type.rfind("text/", 0) != 0 || values.contains(x->part_id)) return;
          bool truncated = false;
          std::string v = Truncate(x->text, max_value_bytes, &truncated);
          values[x->part_id] = json::object{{"value", std::move(v)},
                                            {"isEncodingProblem", x->encoding_problem},
                                            {"isTruncated", truncated}};
        };
        if (fetch_all) {
          std::vector<const mail::BodyPart*> stack{&*tree};
          while (!stack.empty()) {
            const mail::BodyPart* x = stack.back();
            stack.pop_back();
            if (!x->part_id.empty()) add(x);
            for (auto it2 = x->sub_parts.rbegin(); it2 != x->sub_parts.rend(); ++it2) {
              stack.push_back(&*it2);
            }
          }
        }
        if (fetch_text) {
          for (const mail::BodyPart* x : text) add(x);
        }
        if (fetch_html) {
          for (const mail::BodyPart* x : html) add(x);
        }
        o["bodyValues"] = std::move(values);
      }
    }
    if (Has(props, "handledBy")) {
      if (!ctx.account_is_shared) {
        o["handledBy"] = nullptr;
      } else {
        Result<std::vector<mail::EmailAction>> history =
            ctx.mail().History(ctx.actor, ctx.account_id, e.id);
        if (!history.ok()) return ErrorFromStatus(history.status());
        json::array h;
        for (const mail::EmailAction& a : *history) {
          h.push_back(json::object{{"action", ActionName(a.action)},
                                   {"by", a.person},
                                   {"at", pj::UtcDate(a.at)}});
        }
        o["handledBy"] = std::move(h);
      }
    }
    list.push_back(std::move(o));
  }
  json::array missing;
  for (const std::string& s : not_found) missing.push_back(json::string(s));
  return json::object{{"accountId", ctx.AccountIdText()},
                      {"state", *state},
                      {"list", std::move(list)},
                      {"notFound", std::move(missing)}};
}

// One FilterCondition merged into `f` (an AND of conditions). Conditions that
// cannot be merged (two different mailboxes) or are not supported are refused.
std::optional<pj::MethodError> MergeCondition(const json::object& c, mail::EmailFilter* f) {
  for (const auto& [k, v] : c) {
    auto text = [&](std::string* into) -> std::optional<pj::MethodError> {
      if (!v.is_string()) {
        return pj::InvalidArguments("Filtre « " + std::string(k) + " » : une chaîne.");
      }
      if (!into->empty()) *into += ' ';
      *into += std::string(v.as_string());
      return std::nullopt;
    };
    std::optional<pj::MethodError> e;
    if (k == "inMailbox") {
      std::optional<int64_t> id =
          v.is_string() ? pj::DecodeId(pj::kMailboxKind, v.as_string()) : std::nullopt;
      if (!v.is_string()) return pj::InvalidArguments("Filtre « inMailbox » : un identifiant.");
      int64_t m = id.value_or(-1);  // an id that cannot exist matches nothing
      if (f->in_mailbox && *f->in_mailbox != m) {
        return pj::UnsupportedFilter("Un seul dossier (inMailbox) par recherche.");
      }
      f->in_mailbox = m;
    } else if (k == "text") {
      e = text(&f->text);
    } else if (k == "from") {
      e = text(&f->from);
    } else if (k == "to") {
      e = text(&f->to);
    } else if (k == "subject") {
      e = text(&f->subject);
    } else if (k == "body") {
      e = text(&f->text);
    } else if (k == "before" || k == "after") {
      std::optional<int64_t> t =
          v.is_string() ? pj::ParseUtcDate(v.as_string()) : std::nullopt;
      if (!t) {
        return pj::InvalidArguments("Filtre « " + std::string(k) +
                                    " » : une date UTC, par exemple 2026-11-27T10:15:00Z.");
      }
      if (k == "before") {
        f->before = f->before ? std::min(*f->before, *t) : *t;
      } else {
        f->after = f->after ? std::max(*f->after, *t) : *t;
      }
    } else if (k == "hasKeyword" || k == "notKeyword") {
      if (!v.is_string()) return pj::InvalidArguments("Filtre « " + std::string(k) + " » : un mot-clé.");
      std::optional<uint32_t> bit = mail::ParseKeyword(v.as_string());
      if (!bit) {
        // A keyword caduce does not keep is set on no message.
        if (k == "hasKeyword") f->in_mailbox = -1;
        continue;
      }
      (k == "hasKeyword" ? f->has_keywords : f->not_keywords) |= *bit;
    } else if (k == "hasAttachment") {
      if (!v.is_bool()) return pj::InvalidArguments("Filtre « hasAttachment » : un booléen.");
      if (f->has_attachment && *f->has_attachment != v.as_bool()) f->in_mailbox = -1;
      f->has_attachment = v.as_bool();
    } else {
      return pj::UnsupportedFilter("Filtre non pris en charge : « " + std::string(k) +
                                   " » (inMailbox, text, from, to, subject, body, before, after, "
                                   "hasKeyword, notKeyword, hasAttachment).");
    }
    if (e) return e;
  }
  return std::nullopt;
}

std::optional<pj::MethodError> ParseFilter(const json::value& v, mail::EmailFilter* f, int depth) {
  if (v.is_null()) return std::nullopt;
  const json::object* o = v.if_object();
  if (o == nullptr) return pj::InvalidArguments("« filter » doit être un objet.");
  if (depth > 16) return pj::UnsupportedFilter("Filtre trop imbriqué.");
  if (const json::value* op = o->if_contains("operator")) {
    if (!op->is_string() || op->as_string() != "AND") {
      return pj::UnsupportedFilter("Seul l'opérateur « AND » est pris en charge.");
    }
    const json::value* conds = o->if_contains("conditions");
    if (conds == nullptr || !conds->is_array()) {
      return pj::InvalidArguments("« conditions » doit être un tableau de filtres.");
    }
    for (const json::value& c : conds->as_array()) {
      if (auto e = ParseFilter(c, f, depth + 1)) return e;
    }
    return std::nullopt;
  }
  return MergeCondition(*o, f);
}

struct QueryArgs {
  mail::EmailQuery q;
  std::optional<int64_t> anchor;
  int64_t anchor_offset = 0;
  int64_t position = 0;
  int64_t limit = 256;
  bool limit_clamped = false;
};

std::optional<pj::MethodError> ParseQuery(CallContext& ctx, const json::object& args,
                                          QueryArgs* out) {
  if (auto e = internal::UnknownArguments(
          args, {"accountId", "filter", "sort", "position", "anchor", "anchorOffset", "limit",
                 "calculateTotal", "collapseThreads"})) {
    return e;
  }
  bool bad = false;
  out->position = pj::IntArg(args, "position", 0, &bad, true);
  out->anchor_offset = pj::IntArg(args, "anchorOffset", 0, &bad, true);
  int64_t limit = pj::IntArg(args, "limit", 256, &bad);
  bool total = pj::BoolArg(args, "calculateTotal", &bad).value_or(false);
  bool collapse = pj::BoolArg(args, "collapseThreads", &bad).value_or(false);
  std::optional<std::string_view> anchor = pj::StringArg(args, "anchor", &bad);
  if (bad) {
    return pj::InvalidArguments(
        "« position », « anchorOffset », « limit » sont des entiers (limit positif), "
        "« calculateTotal » et « collapseThreads » des booléens, « anchor » un identifiant.");
  }
  if (collapse) {
    return pj::UnsupportedFilter("« collapseThreads » n'est pas pris en charge : "
                                 "regroupez par threadId côté client.");
  }
  if (anchor) {
    out->anchor = pj::DecodeId(pj::kEmailKind, *anchor).value_or(-1);
  }
  if (limit > 1000) {
    limit = 1000;
    out->limit_clamped = true;
  }
  out->limit = limit;
  out->q.account_id = ctx.account_id;
  out->q.person_id = ctx.actor.person_id;
  out->q.want_total = total;
  if (const json::value* f = args.if_contains("filter")) {
    if (auto e = ParseFilter(*f, &out->q.filter, 0)) return e;
  }
  if (const json::value* s = args.if_contains("sort"); s != nullptr && !s->is_null()) {
    if (!s->is_array()) return pj::InvalidArguments("« sort » doit être un tableau.");
    const json::array& sorts = s->as_array();
    for (size_t i = 0; i < sorts.size(); ++i) {
      const json::object* c = sorts[i].if_object();
      const json::value* p = c ? c->if_contains("property") : nullptr;
      if (p == nullptr || !p->is_string()) {
        return pj::InvalidArguments("Chaque tri est un objet {property, isAscending}.");
      }
      if (p->as_string() != "receivedAt" || i > 0) {
        return pj::UnsupportedSort("Tri non pris en charge : « " + std::string(p->as_string()) +
                                   " » (seul receivedAt l'est).");
      }
      const json::value* asc = c->if_contains("isAscending");
      if (asc != nullptr && !asc->is_bool()) {
        return pj::InvalidArguments("« isAscending » doit être un booléen.");
      }
      out->q.ascending = asc != nullptr && asc->as_bool();
    }
  }
  return std::nullopt;
}

MethodOutcome Query(CallContext& ctx, const json::object& args) {
  QueryArgs a;
  if (auto e = ParseQuery(ctx, args, &a)) return *e;
  mail::EmailQuery q = a.q;
  int64_t position = a.position;
  if (a.anchor) {
    // Walks the results page by page until the anchor (10,000 results at most).
    int64_t found = -1;
    q.want_total = false;
    for (int64_t start = 0; found < 0 && start < 10'000; start += 1000) {
      q.position = start;
      q.limit = 1000;
      Result<mail::EmailQueryResult> page = ctx.mail().Query(ctx.actor, q);
      if (!page.ok()) return ErrorFromStatus(page.status());
      for (size_t i = 0; i < page->ids.size(); ++i) {
        if (page->ids[i] == *a.anchor) found = start + static_cast<int64_t>(i);
      }
      if (static_cast<int64_t>(page->ids.size()) < 1000) break;
    }
    if (found < 0) return pj::AnchorNotFound();
    position = std::max<int64_t>(0, found + a.anchor_offset);
    q.want_total = a.q.want_total;
  } else if (position < 0) {
    mail::EmailQuery count = a.q;
    count.want_total = true;
    count.limit = 0;
    count.position = 0;
    Result<mail::EmailQueryResult> t = ctx.mail().Query(ctx.actor, count);
    if (!t.ok()) return ErrorFromStatus(t.status());
    position = std::max<int64_t>(0, t->total + position);
  }
  q.position = position;
  q.limit = a.limit;
  Result<mail::EmailQueryResult> r = ctx.mail().Query(ctx.actor, q);
  if (!r.ok()) return ErrorFromStatus(r.status());
  json::array ids;
  for (int64_t id : r->ids) ids.push_back(json::string(pj::EncodeId(pj::kEmailKind, id)));
  json::object out{{"accountId", ctx.AccountIdText()},
                   {"queryState", pj::EncodeState(r->query_state)},
                   {"canCalculateChanges", false},
                   {"position", r->position},
                   {"ids", std::move(ids)}};
  if (q.want_total) out["total"] = r->total;
  if (a.limit_clamped) out["limit"] = a.limit;
  return out;
}

MethodOutcome QueryChanges(CallContext& ctx, const json::object& args) {
  QueryArgs a;
  json::object rest = args;
  for (const char* k : {"sinceQueryState", "maxChanges", "upToId", "calculateTotal"}) rest.erase(k);
  if (auto e = ParseQuery(ctx, rest, &a)) return *e;
  const json::value* since = args.if_contains("sinceQueryState");
  if (since == nullptr || !since->is_string()) {
    return pj::InvalidArguments("« sinceQueryState » (une chaîne) est obligatoire.");
  }
  // Query results are not kept per state: the client runs the query again.
  return pj::CannotCalculateChanges();
}

MethodOutcome Snippets(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(args, {"accountId", "filter", "emailIds"})) return *e;
  mail::EmailFilter f;
  if (const json::value* fv = args.if_contains("filter")) {
    if (auto e = ParseFilter(*fv, &f, 0)) return *e;
  }
  const json::value* ev = args.if_contains("emailIds");
  if (ev == nullptr || !ev->is_array()) {
    return pj::InvalidArguments("« emailIds » (un tableau d'identifiants) est obligatoire.");
  }
  const json::array& email_ids = ev->as_array();
  if (static_cast<int64_t>(email_ids.size()) > ctx.limits().max_objects_in_get) {
    return pj::RequestTooLarge("Trop d'identifiants dans « emailIds » (maxObjectsInGet = " +
                               std::to_string(ctx.limits().max_objects_in_get) + ").");
  }
  std::vector<int64_t> ids;
  json::array not_found;
  for (const json::value& v : email_ids) {
    if (!v.is_string()) return pj::InvalidArguments("« emailIds » : des chaînes.");
    std::optional<int64_t> id = pj::DecodeId(pj::kEmailKind, v.as_string());
    if (id) {
      ids.push_back(*id);
    } else {
      not_found.push_back(v);
    }
  }
  std::string words = f.text;
  for (const std::string* s : {&f.subject, &f.from, &f.to}) {
    if (!s->empty()) words += (words.empty() ? "" : " ") + *s;
  }
  Result<std::vector<mail::Snippet>> snippets =
      ctx.mail().Snippets(ctx.actor, ctx.account_id, words, ids);
  if (!snippets.ok()) return ErrorFromStatus(snippets.status());
  json::array list;
  for (int64_t id : ids) {
    auto it = std::find_if(snippets->begin(), snippets->end(),
                           [id](const mail::Snippet& s) { return s.email_id == id; });
    if (it == snippets->end()) {
      not_found.push_back(json::string(pj::EncodeId(pj::kEmailKind, id)));
      continue;
    }
    list.push_back(json::object{
        {"emailId", pj::EncodeId(pj::kEmailKind, id)},
        {"subject", it->subject.empty() ? json::value(nullptr) : json::value(it->subject)},
        {"preview", it->preview.empty() ? json::value(nullptr) : json::value(it->preview)}});
  }
  return json::object{{"accountId", ctx.AccountIdText()},
                      {"list", std::move(list)},
                      {"notFound", not_found.empty() ? json::value(nullptr) : json::value(not_found)}};
}

}  // namespace

void RegisterEmailReadMethods(MethodRegistry& registry) {
  auto add = [&registry](std::string name, MethodHandler h) {
    MethodSpec s;
    s.name = std::move(name);
    s.handler = std::move(h);
    (void)registry.Add(std::move(s));
  };
  add("Email/get", Get);
  add("Email/changes", [](CallContext& ctx, const json::object& args) {
    return internal::Changes(ctx, args, mail::ObjectType::kEmail, pj::kEmailKind);
  });
  add("Email/query", Query);
  add("Email/queryChanges", QueryChanges);
  add("SearchSnippet/get", Snippets);
}

}  // namespace caduce::api::jmap
