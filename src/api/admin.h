// File: api/admin.h
//
// What the administration handlers (structures.cc, accounts.cc, connections.cc,
// transfer.cc, audit.cc) share and nothing else includes: who asks (the session's
// person as a directory::Actor with its IP and user agent, and its scope), query
// parameters, ids in paths, and the JSON forms of findings and times. The rule of
// refusals: 401 without a valid session, 403 for a person who administers no
// structure (or not the one in the path), 404 for an id the person may not see
// — the answer an id that does not exist gets. Exposure: reads cookies, paths and
// query strings of unauthenticated requests.
#ifndef CADUCE_API_ADMIN_H_
#define CADUCE_API_ADMIN_H_

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "api/internal.h"
#include "auth/sign_in.h"
#include "base/status.h"
#include "directory/directory_service.h"
#include "http/message.h"
#include "jobs/import_jobs.h"

namespace caduce::api::internal {

struct AdminContext {
  AdminContext(auth::SignInService& s, directory::DirectoryService& d, jobs::ImportJobs* i,
               std::string w, ApiOptions o)
      : sign_in(s), directory(d), imports(i), work_dir(std::move(w)), options(std::move(o)) {}

  auth::SignInService& sign_in;
  directory::DirectoryService& directory;
  jobs::ImportJobs* imports;  // null: the import routes answer 503
  std::string work_dir;       // temporary files (exports)
  ApiOptions options;

  // The chain verification of the audit trail, kept while the trail does not grow.
  std::mutex verify_mu;
  int64_t verified_entries = -1;
  bool verified_ok = false;
  std::string verified_head;
};

struct Caller {
  directory::Actor actor;
  directory::Scope scope;
};

// The signed-in person of `request` as an actor. kUnauthenticated without a valid
// session; kPermissionDenied when `require_administrator` and the person
// administers nothing.
Result<Caller> ResolveCaller(AdminContext& ctx, const http::Request& request,
                             bool require_administrator = true);

// The positive integer of path segment `{name}`; kNotFound otherwise (a malformed
// id is an id that does not exist).
Result<int64_t> PathId(const http::RouteParams& params, std::string_view name);

// The decoded value of query parameter `name`, or nullopt when absent.
// kInvalidArgument for a malformed escape or invalid UTF-8.
Result<std::optional<std::string>> QueryParam(const http::Request& request, std::string_view name);
// A flag "0"/"1"/"true"/"false" (absent: `fallback`); kInvalidArgument otherwise.
Result<bool> QueryFlag(const http::Request& request, std::string_view name, bool fallback);

// {"header","severity","code","message"}.
boost::json::object FindingJson(const directory::Finding& f);
boost::json::array FindingsJson(const std::vector<directory::Finding>& findings);

// A 422 problem with the findings (when `status` is kInvalidArgument and there are
// findings), else the status's own problem.
http::Response Refused(const Status& status, const std::vector<directory::Finding>& findings);

// "2026-11-27T10:15:00Z" for microseconds since the epoch; null for 0.
boost::json::value TimeJson(int64_t micros);
// A string, or null when empty.
boost::json::value TextOrNull(std::string_view s);

// 200 application/json with Cache-Control: no-store.
http::Response JsonResponse(int status, const boost::json::value& value);
// A file download: Content-Type, Content-Disposition attachment with `file_name`
// (ASCII fallback and RFC 6266 filename*), no-store.
http::Response Download(std::string body, std::string_view content_type,
                        std::string_view file_name);

// Reads a whole file; kUnavailable when it cannot.
Result<std::string> ReadWholeFile(const std::string& path);
// A new unique path under the work folder (created when missing), ending in `suffix`.
Result<std::string> TempPath(const AdminContext& ctx, std::string_view suffix);

// ---- Route groups, gathered by AddApiRoutes ----
std::vector<http::Route> StructureRoutes(AdminContext& ctx);
std::vector<http::Route> AccountRoutes(AdminContext& ctx);
std::vector<http::Route> ConnectionRoutes(AdminContext& ctx);
std::vector<http::Route> TransferRoutes(AdminContext& ctx);
std::vector<http::Route> AuditRoutes(AdminContext& ctx);
std::vector<http::Route> TokenRoutes(AdminContext& ctx);

}  // namespace caduce::api::internal

#endif  // CADUCE_API_ADMIN_H_
