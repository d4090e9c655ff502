// File: api/jmap/blob.cc
//
// Binary data over HTTP (RFC 8620 §6.1, §6.2): upload to an account, download of
// a blob the account holds. Both authenticate like /jmap/api (session cookie with
// the CSRF header on POST, or a personal access token), and MailService checks the
// right on the account at each call; a blob of another account is "not found",
// whatever exists. Downloads always leave the browser as attachments with a safe
// file name, nosniff and a sandboxing CSP, so an uploaded HTML file never runs in
// caduce's origin.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <string>

#include "api/admin.h"
#include "api/jmap/writing.h"
#include "http/status_map.h"

namespace caduce::api::jmap {
namespace {

namespace json = boost::json;
namespace pj = proto::jmap;

http::Response NotFound() {
  return http::Problem(404, "Ce fichier n'existe pas dans cette boîte aux lettres.");
}

// A media type "type/subtype" of RFC 2045 tokens, lowercase; "" otherwise.
std::string MediaType(std::string_view t) {
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  size_t slash = t.find('/');
  if (t.empty() || t.size() > 127 || slash == 0 || slash == std::string_view::npos ||
      slash + 1 == t.size() || t.find('/', slash + 1) != std::string_view::npos) {
    return {};
  }
  std::string out;
  for (unsigned char c : t) {
    if (c == '/') {
      out += '/';
      continue;
    }
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("()<>@,;:\\\"[]?=").find(c) != std::string_view::npos) {
      return {};
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// Content-Disposition with an ASCII fallback and the UTF-8 name (RFC 6266 §4.3,
// RFC 8187): no quote, backslash, slash or control character can reach the header.
std::string Disposition(std::string_view name) {
  if (name.empty() || name.size() > 255) name = "fichier";
  std::string ascii, encoded;
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_';
    ascii += plain ? static_cast<char>(c) : '_';
    if (plain) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  if (ascii.find_first_not_of("._") == std::string::npos) ascii = "fichier";
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

http::Response Upload(JmapContext& ctx, const http::Request& request,
                      const http::RouteParams& params) {
  Result<JmapCaller> caller = Authenticate(ctx, request);
  if (!caller.ok()) return AuthRefusal(caller.status());
  std::optional<int64_t> account = pj::DecodeId(pj::kAccountKind, params.Get("accountId"));
  if (!account)
    return http::Problem(404, "Cette boîte aux lettres n'existe pas ou vous n'y avez pas accès.");
  int64_t limit = ctx.services.limits.max_size_upload;
  if (static_cast<int64_t>(request.body.size()) > limit) {
    json::object problem{{"type", pj::kErrorLimit},
                         {"limit", "maxSizeUpload"},
                         {"status", 413},
                         {"detail", "Fichier trop volumineux : un dépôt est limité à " +
                                        (limit >= (1 << 20)
                                             ? std::to_string(limit >> 20) + " Mio"
                                             : std::to_string(limit >> 10) + " Kio") +
                                        " (maxSizeUpload) : réduisez-le ou découpez-le."}};
    http::Response r = http::Response::Json(413, json::serialize(problem));
    r.SetHeader("Content-Type", "application/problem+json");
    return r;
  }
  Result<mail::Upload> up = ctx.services.mail->UploadBlob(
      caller->Actor(request), *account, request.Header("content-type"), request.body);
  if (!up.ok()) return http::ProblemFromStatus(up.status(), http::ExhaustedAs::kContentTooLarge);
  json::object body{{"accountId", pj::EncodeId(pj::kAccountKind, *account)},
                    {"blobId", up->blob_id},
                    {"type", up->type},
                    {"size", up->size}};
  http::Response r = http::Response::Json(201, json::serialize(body));
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response Download(JmapContext& ctx, const http::Request& request,
                        const http::RouteParams& params) {
  Result<JmapCaller> caller = Authenticate(ctx, request);
  if (!caller.ok()) return AuthRefusal(caller.status());
  std::optional<int64_t> account = pj::DecodeId(pj::kAccountKind, params.Get("accountId"));
  std::string_view blob_id = params.Get("blobId");
  if (!account || !pj::IsValidId(blob_id)) return NotFound();
  Result<mail::MailService::BlobContent> blob =
      ctx.services.mail->ReadBlob(caller->Actor(request), *account, blob_id);
  if (!blob.ok()) {
    if (blob.status().code() == Code::kNotFound) return NotFound();
    return http::ProblemFromStatus(blob.status());
  }
  // The type the client asks for (RFC 8620 §6.2 {type}), else the blob's.
  std::string type;
  for (std::string_view key : {"type", "accept"}) {
    Result<std::optional<std::string>> asked = api::internal::QueryParam(request, key);
    if (asked.ok() && *asked && type.empty()) type = MediaType(**asked);
  }
  if (type.empty()) type = MediaType(blob->type);
  if (type.empty()) type = "application/octet-stream";
  std::string name(params.Get("name"));
  if (name.empty()) name = blob->name;
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '/' || c == '\\') c = '_';
  }
  http::Response r;
  r.status = 200;
  r.body = std::move(blob->bytes);
  r.SetHeader("Content-Type", type);
  r.SetHeader("Content-Disposition", Disposition(name));
  r.SetHeader("X-Content-Type-Options", "nosniff");
  r.SetHeader("Content-Security-Policy", "default-src 'none'; sandbox");
  r.SetHeader("Cache-Control", "private, no-store");
  return r;
}

}  // namespace

std::vector<http::Route> BlobRoutes(const std::shared_ptr<JmapContext>& ctx) {
  std::vector<http::Route> routes;
  http::RouteOptions upload;
  // Slightly above maxSizeUpload so that the handler answers the JMAP limit
  // problem itself; far larger bodies get a 413 unread.
  upload.max_body_bytes = static_cast<size_t>(ctx->services.limits.max_size_upload) + 1;
  upload.blocking = true;
  auto up = [ctx](const http::Request& r, const http::RouteParams& p) {
    return Upload(*ctx, r, p);
  };
  routes.push_back(http::Route{"POST", "/jmap/upload/{accountId}/", {}, up, upload});
  routes.push_back(http::Route{"POST", "/jmap/upload/{accountId}", {}, up, upload});
  http::RouteOptions download;
  download.max_body_bytes = 0;
  download.blocking = true;
  routes.push_back(http::Route{
      "GET",
      "/jmap/download/{accountId}/{blobId}/{name}",
      {},
      [ctx](const http::Request& r, const http::RouteParams& p) { return Download(*ctx, r, p); },
      download});
  return routes;
}

}  // namespace caduce::api::jmap
