// File: api/jmap/identity.cc
//
// Identity/get (RFC 8621 §6): the one identity of each account, its own address —
// a person sends as itself, an ORG/APP mailbox as the mailbox (its « Description
// fonctionnelle » as the name), never as the person who acts for it.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "api/jmap/internal.h"
#include "api/jmap/method.h"
#include "directory/repository.h"

namespace caduce::api::jmap {
namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

MethodOutcome Get(CallContext& ctx, const json::object& args) {
  if (auto e = internal::UnknownArguments(args, {"accountId", "ids", "properties"})) return *e;
  std::optional<pj::MethodError> error;
  std::vector<std::string> not_found;
  std::optional<std::vector<int64_t>> ids =
      internal::DecodeIds(args, pj::kIdentityKind, &not_found, &error);
  if (error) return *error;
  std::vector<std::string> known = {"id",      "name",    "email",        "replyTo",
                                    "bcc",     "textSignature", "htmlSignature", "mayDelete"};
  std::optional<std::vector<std::string>> props = internal::Properties(args, known, &error);
  if (error) return *error;
  JmapServices& s = ctx.jmap->services;
  Result<std::unique_ptr<storage::Tx>> tx = s.db->Begin(storage::TxMode::kRead);
  if (!tx.ok()) return pj::ServerUnavailable();
  Result<std::optional<JmapAccount>> account =
      internal::CheckAccount(**tx, *s.directory, ctx.actor.person_id, ctx.account_id);
  if (!account.ok()) return pj::ServerUnavailable();
  if (!*account) return pj::AccountNotFound();
  Result<std::optional<directory::Account>> full = s.directory->FindAccount(**tx, ctx.account_id);
  std::string name;
  if (full.ok() && *full) {
    const directory::Account& a = **full;
    name = (*account)->shared ? (*account)->name
                              : a.get(directory::Field::kPrenom) + " " + a.get(directory::Field::kNom);
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
  }
  Result<std::string> state = internal::StateOf(ctx);
  if (!state.ok()) return ErrorFromStatus(state.status());
  json::object all{{"id", pj::EncodeId(pj::kIdentityKind, ctx.account_id)},
                   {"name", name},
                   {"email", (*account)->address},
                   {"replyTo", nullptr},
                   {"bcc", nullptr},
                   {"textSignature", ""},
                   {"htmlSignature", ""},
                   {"mayDelete", false}};
  json::object one{{"id", all.at("id")}};
  if (props) {
    for (const std::string& p : *props) one[p] = all.at(p);
  } else {
    one = all;
  }
  json::array list;
  json::array missing;
  for (const std::string& x : not_found) missing.push_back(json::string(x));
  if (!ids) {
    list.push_back(one);
  } else {
    for (int64_t id : *ids) {
      if (id == ctx.account_id) {
        list.push_back(one);
      } else {
        missing.push_back(json::string(pj::EncodeId(pj::kIdentityKind, id)));
      }
    }
  }
  return json::object{{"accountId", ctx.AccountIdText()},
                      {"state", *state},
                      {"list", std::move(list)},
                      {"notFound", std::move(missing)}};
}

}  // namespace

void RegisterIdentityMethods(MethodRegistry& registry) {
  MethodSpec get;
  get.name = "Identity/get";
  get.capability = pj::kSubmissionCapability;
  get.handler = Get;
  (void)registry.Add(std::move(get));
}

}  // namespace caduce::api::jmap
