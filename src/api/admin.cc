// File: api/admin.cc
//
// The helpers of the administration handlers (see admin.h).
#include "api/admin.h"

#include <sodium.h>

#include <array>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "base/text.h"
#include "http/status_map.h"
#include "http/target.h"

namespace caduce::api::internal {

Result<Caller> ResolveCaller(AdminContext& ctx, const http::Request& request,
                             bool require_administrator) {
  std::string token = SessionToken(request);
  if (token.empty()) return UnauthenticatedError("Vous n'êtes pas connecté.");
  CADUCE_TRY(auth::Session session, ctx.sign_in.Resolve(token));
  Caller caller;
  caller.actor.kind = directory::Actor::Kind::kPerson;
  caller.actor.person_id = session.person_id;
  caller.actor.ip = request.remote_ip;
  std::string_view ua = UserAgent(request);
  if (text::IsValidUtf8(ua)) caller.actor.user_agent = std::string(ua.substr(0, 512));
  {
    CADUCE_TRY(auto tx, ctx.directory.db().Begin(storage::TxMode::kRead));
    CADUCE_TRY(std::optional<directory::AccountBrief> brief,
               ctx.directory.repo().FindAccountBrief(*tx, session.person_id));
    if (!brief) return UnauthenticatedError("Vous n'êtes pas connecté.");
    caller.actor.label = brief->address;
    CADUCE_TRY(caller.scope, ctx.directory.ScopeOf(*tx, caller.actor));
  }
  if (require_administrator && !caller.scope.IsAdministrator()) {
    return PermissionDeniedError(
        "Cette fonction est réservée aux administrateurs de structure : demandez à "
        "l'administrateur de votre structure.");
  }
  return caller;
}

Result<int64_t> PathId(const http::RouteParams& params, std::string_view name) {
  std::string_view v = params.Get(name);
  int64_t id = 0;
  if (v.empty() || v.size() > 18) return NotFoundError("Cet élément n'existe pas.");
  for (char c : v) {
    if (c < '0' || c > '9') return NotFoundError("Cet élément n'existe pas.");
    id = id * 10 + (c - '0');
  }
  if (id <= 0) return NotFoundError("Cet élément n'existe pas.");
  return id;
}

Result<std::optional<std::string>> QueryParam(const http::Request& request,
                                              std::string_view name) {
  std::string_view rest = request.query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key != name) continue;
    std::string raw(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    for (char& c : raw) {
      if (c == '+') c = ' ';  // application/x-www-form-urlencoded
    }
    std::string value;
    if (!http::PercentDecode(raw, &value) || !text::IsValidUtf8(value)) {
      return InvalidArgumentError(
          fmt::format("Le paramètre « {} » est mal encodé : corrigez l'adresse de la page.", name));
    }
    return std::optional<std::string>(std::move(value));
  }
  return std::optional<std::string>();
}

Result<bool> QueryFlag(const http::Request& request, std::string_view name, bool fallback) {
  CADUCE_TRY(std::optional<std::string> v, QueryParam(request, name));
  if (!v || v->empty()) return fallback;
  if (*v == "1" || *v == "true") return true;
  if (*v == "0" || *v == "false") return false;
  return InvalidArgumentError(
      fmt::format("Le paramètre « {} » vaut 0 ou 1, pas « {} ».", name, *v));
}

boost::json::object FindingJson(const directory::Finding& f) {
  return boost::json::object{
      {"header", directory::Spec(f.field).header},
      {"severity", f.severity == directory::Severity::kError ? "error" : "warning"},
      {"code", f.code},
      {"message", f.message}};
}

boost::json::array FindingsJson(const std::vector<directory::Finding>& findings) {
  boost::json::array out;
  for (const directory::Finding& f : findings) out.push_back(FindingJson(f));
  return out;
}

http::Response Refused(const Status& status, const std::vector<directory::Finding>& findings) {
  if (status.code() != Code::kInvalidArgument || findings.empty()) return Refusal(status);
  boost::json::object o{{"type", "about:blank"},
                        {"title", "Données invalides"},
                        {"status", 422},
                        {"detail", status.message()},
                        {"findings", FindingsJson(findings)}};
  http::Response r = http::Response::Json(422, o);
  r.SetHeader("Content-Type", "application/problem+json");
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

boost::json::value TimeJson(int64_t micros) {
  if (micros <= 0) return nullptr;
  std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return boost::json::string(buf);
}

boost::json::value TextOrNull(std::string_view s) {
  if (s.empty()) return nullptr;
  return boost::json::string(s);
}

http::Response JsonResponse(int status, const boost::json::value& value) {
  http::Response r = http::Response::Json(status, value);
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

http::Response Download(std::string body, std::string_view content_type,
                        std::string_view file_name) {
  http::Response r;
  r.status = 200;
  r.body = std::move(body);
  r.SetHeader("Content-Type", std::string(content_type));
  // An ASCII fallback (anything else as '_'), then the UTF-8 name (RFC 6266 §4.3).
  std::string ascii;
  std::string encoded;
  for (unsigned char c : file_name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_';
    ascii += plain ? static_cast<char>(c) : '_';
    encoded += plain ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  r.SetHeader("Content-Disposition",
              fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii, encoded));
  r.SetHeader("Cache-Control", "no-store");
  return r;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return UnavailableError(fmt::format("cannot read {}", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<std::string> TempPath(const AdminContext& ctx, std::string_view suffix) {
  std::error_code ec;
  std::filesystem::create_directories(ctx.work_dir, ec);
  if (ec) return UnavailableError(fmt::format("cannot create {}: {}", ctx.work_dir, ec.message()));
  std::array<unsigned char, 12> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  hex.resize(bytes.size() * 2);
  return fmt::format("{}/tmp-{}{}", ctx.work_dir, hex, suffix);
}

}  // namespace caduce::api::internal
