// File: api/jmap/session.cc
//
// The JMAP session resource (RFC 8620 §2), at GET /.well-known/jmap and
// GET /jmap/session: the capabilities and limits, the accounts the person may
// open now — its own mailbox (isPersonal) and each active ORG/APP it holds a
// right on, named by its « Description fonctionnelle » —, the primary account
// (the person's default mailbox while the right on it holds), and the URLs of
// the API, blobs and push. Exposure: reads the credentials of unauthenticated
// requests.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "api/jmap/internal.h"
#include "api/jmap/method.h"
#include "directory/repository.h"

namespace caduce::api::jmap::internal {
namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

// "https://host" from the request (Host header), or "" for relative URLs.
std::string Origin(const http::Request& r) {
  std::string_view host = r.Header("host");
  for (char c : host) {
    // A Host that is not a plain host[:port] is not echoed.
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return "";
  }
  if (host.empty() || host.size() > 255) return "";
  return std::string(r.tls ? "https://" : "http://") + std::string(host);
}

json::object MailAccountCapability(const JmapContext& ctx) {
  return json::object{{"maxMailboxesPerEmail", nullptr},
                      {"maxMailboxDepth", 10},
                      {"maxSizeMailboxName", 1020},
                      {"maxSizeAttachmentsPerEmail", ctx.services.mail->options().max_message_bytes},
                      {"emailQuerySortOptions", json::array{"receivedAt"}},
                      {"mayCreateTopLevelMailbox", true}};
}

}  // namespace

http::Response HandleSession(JmapContext& ctx, const http::Request& request) {
  Result<JmapCaller> caller = Authenticate(ctx, request);
  if (!caller.ok()) return AuthRefusal(caller.status());
  Result<std::vector<JmapAccount>> accounts = AccountsOf(ctx, caller->person_id);
  if (!accounts.ok()) return AuthRefusal(accounts.status());

  int64_t primary = caller->person_id;
  {
    Result<std::unique_ptr<storage::Tx>> tx = ctx.services.db->Begin(storage::TxMode::kRead);
    if (tx.ok()) {
      Result<std::optional<directory::AccountBrief>> brief =
          ctx.services.directory->FindAccountBrief(**tx, caller->person_id);
      if (brief.ok() && *brief && (*brief)->default_mailbox_id != 0) {
        for (const JmapAccount& a : *accounts) {
          if (a.id == (*brief)->default_mailbox_id) primary = a.id;
        }
      }
    }
  }

  json::object account_map;
  for (const JmapAccount& a : *accounts) {
    json::object caps{{std::string(pj::kMailCapability), MailAccountCapability(ctx)},
                      {std::string(pj::kSubmissionCapability),
                       json::object{{"maxDelayedSend", 0}, {"submissionExtensions", json::object()}}}};
    if (a.shared) caps[std::string(pj::kHandlingCapability)] = json::object();
    account_map[pj::EncodeId(pj::kAccountKind, a.id)] =
        json::object{{"name", a.name},
                     {"isPersonal", !a.shared},
                     {"isReadOnly", false},
                     {"accountCapabilities", std::move(caps)}};
  }
  std::string primary_id = pj::EncodeId(pj::kAccountKind, primary);
  std::string origin = Origin(request);
  json::object session{
      {"capabilities",
       json::object{{std::string(pj::kCoreCapability), pj::CoreCapability(ctx.services.limits)},
                    {std::string(pj::kMailCapability), json::object()},
                    {std::string(pj::kSubmissionCapability), json::object()},
                    {std::string(pj::kHandlingCapability), json::object()}}},
      {"accounts", std::move(account_map)},
      {"primaryAccounts",
       json::object{{std::string(pj::kMailCapability), primary_id},
                    {std::string(pj::kSubmissionCapability), primary_id},
                    {std::string(pj::kHandlingCapability), primary_id}}},
      {"username", caller->address},
      {"apiUrl", origin + "/jmap/api"},
      {"downloadUrl", origin + "/jmap/download/{accountId}/{blobId}/{name}?type={type}"},
      {"uploadUrl", origin + "/jmap/upload/{accountId}/"},
      {"eventSourceUrl",
       origin + "/jmap/eventsource?types={types}&closeafter={closeafter}&ping={ping}"},
      {"state", SessionState(*accounts)}};
  http::Response r = http::Response::Json(200, json::serialize(session));
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

}  // namespace caduce::api::jmap::internal
