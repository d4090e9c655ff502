// File: api/transfer.cc
//
// The account list as a file (« Exporter la liste d'utilisateurs ») and the import
// as a job (« Importer une liste d'utilisateurs »): upload (the raw file as the
// body, 64 MiB at most), the dry run started at once by jobs::ImportJobs, its
// progress as Server-Sent Events, apply, and the report as a download. The slow
// handlers run on the server's worker pool (RouteOptions::blocking). Exposure:
// reads untrusted uploads of signed-in administrators.
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fmt/format.h>

#include "api/admin.h"
#include "base/json.h"
#include "import_export/exporter.h"
#include "import_export/report.h"
#include "http/status_map.h"
#include "jobs/trace.h"

namespace caduce::api::internal {
namespace {

constexpr size_t kMaxUpload = 64u << 20;

const char* kXlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// "CHU de Toulouse" → "CHU-de-Toulouse": a file name part without separators.
std::string FileNamePart(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += (c == ' ' || c == '/' || c == '\\' || c == '"' || static_cast<unsigned char>(c) < 0x20)
               ? '-'
               : c;
  }
  return out;
}

std::string Today(AdminContext&) {
  SystemClock clock;
  return clock.TodayLocal();
}

http::Response Export(AdminContext& ctx, const http::Request& request,
                      const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> sid = PathId(params, "sid");
  if (!sid.ok()) return Refusal(sid.status());
  Result<std::optional<std::string>> format = QueryParam(request, "format");
  if (!format.ok()) return Refusal(format.status());
  std::string f = format->value_or("xlsx");
  if (f != "xlsx" && f != "csv") {
    return Refusal(InvalidArgumentError("Le paramètre « format » vaut xlsx ou csv."));
  }
  if (!caller->scope.Covers(*sid)) {
    return Refusal(PermissionDeniedError(
        "Vous n'administrez pas cette structure : demandez à l'un de ses administrateurs "
        "ou à l'opérateur."));
  }
  Result<std::vector<directory::Structure>> structures =
      ctx.directory.ListStructures(caller->actor);
  if (!structures.ok()) return Refusal(structures.status());
  std::string name;
  for (const directory::Structure& s : *structures) {
    if (s.id == *sid) name = s.name;
  }
  Result<std::string> path = TempPath(ctx, "." + f);
  if (!path.ok()) return Refusal(path.status());
  import_export::ExportOptions options;
  options.format = f == "csv" ? import_export::ExportFormat::kCsv : import_export::ExportFormat::kXlsx;
  options.structure_ids = {*sid};
  Result<import_export::ExportStats> stats =
      import_export::ExportAccounts(ctx.directory, caller->actor, *path, options);
  Result<std::string> body = stats.ok() ? ReadWholeFile(*path) : Result<std::string>(stats.status());
  ::unlink(path->c_str());
  if (!body.ok()) return Refusal(body.status());
  JsonObject detail;
  detail.Add("format", f).Add("accounts", stats->accounts);
  Status traced =
      jobs::TraceStructureAction(ctx.directory, caller->actor, "export.accounts", *sid, detail);
  if (!traced.ok()) return Refusal(traced);  // nothing leaves untraced
  return Download(std::move(*body), f == "csv" ? "text/csv; charset=utf-8" : kXlsxType,
                  fmt::format("utilisateurs-{}-{}.{}", FileNamePart(name), Today(ctx), f));
}

boost::json::object JobJson(const jobs::ImportJobView& job) {
  boost::json::value report = nullptr;
  if (job.report) {
    boost::system::error_code ec;
    boost::json::value full = boost::json::parse(import_export::ReportJson(*job.report), ec);
    if (!ec) report = std::move(full);
  }
  boost::json::object progress{{"rows_read", job.rows_read}, {"rows_applied", job.rows_applied}};
  if (job.rows_total > 0) progress["total"] = job.rows_total;
  return boost::json::object{
      {"id", job.id},
      {"state", jobs::ImportStateName(job.state)},
      {"file_name", job.file_name},
      {"dry_run", job.dry_run},
      {"structure_id", job.structure_id},
      {"created_at", TimeJson(job.created_at)},
      {"options", boost::json::object{{"notify", job.options.notify},
                                      {"visible", job.options.visible},
                                      {"all_or_nothing", job.options.all_or_nothing}}},
      {"progress", std::move(progress)},
      {"report", std::move(report)},
      {"error", TextOrNull(job.error)}};
}

http::Response NoImports() {
  return Refusal(UnavailableError("Les imports ne sont pas disponibles sur ce serveur."));
}

http::Response StartImport(AdminContext& ctx, const http::Request& request,
                           const http::RouteParams& params) {
  if (ctx.imports == nullptr) return NoImports();
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> sid = PathId(params, "sid");
  if (!sid.ok()) return Refusal(sid.status());
  Result<std::optional<std::string>> name = QueryParam(request, "name");
  if (!name.ok()) return Refusal(name.status());
  jobs::ImportJobOptions options;
  for (auto [key, flag] : {std::pair{"notify", &options.notify},
                           std::pair{"visible", &options.visible},
                           std::pair{"all_or_nothing", &options.all_or_nothing}}) {
    Result<bool> v = QueryFlag(request, key, false);
    if (!v.ok()) return Refusal(v.status());
    *flag = *v;
  }
  if (request.body.empty()) {
    return Refusal(InvalidArgumentError("Le fichier est vide : choisissez le fichier à importer."));
  }
  std::string file_name = name->value_or("import");
  if (file_name.size() > 255) file_name.resize(255);
  Result<jobs::ImportJobView> job =
      ctx.imports->Start(caller->actor, *sid, file_name, request.body, options);
  if (!job.ok()) {
    if (job.status().code() == Code::kInvalidArgument) {
      http::Response r = http::Problem(415, job.status().message());
      r.SetHeader("Cache-Control", "no-store");
      return r;
    }
    return Refusal(job.status());
  }
  http::Response r = JsonResponse(202, JobJson(*job));
  r.SetHeader("Location", "/api/imports/" + job->id);
  return r;
}

http::Response GetImport(AdminContext& ctx, const http::Request& request,
                         const http::RouteParams& params) {
  if (ctx.imports == nullptr) return NoImports();
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<jobs::ImportJobView> job = ctx.imports->Get(caller->actor.person_id, params.Get("id"));
  if (!job.ok()) return Refusal(job.status());
  return JsonResponse(200, JobJson(*job));
}

http::Response ApplyImport(AdminContext& ctx, const http::Request& request,
                           const http::RouteParams& params) {
  if (ctx.imports == nullptr) return NoImports();
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<jobs::ImportJobView> job = ctx.imports->Apply(caller->actor, params.Get("id"));
  if (!job.ok()) return Refusal(job.status());
  return JsonResponse(202, JobJson(*job));
}

// Server-Sent Events: "state" at each change of state, "progress" while a pass
// runs, "done" (the job) when the running pass ends; then the stream closes.
http::Response ImportEvents(AdminContext& ctx, const http::Request& request,
                            const http::RouteParams& params) {
  if (ctx.imports == nullptr) return NoImports();
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  auto events = std::make_shared<http::EventStream>();
  struct Seen {
    std::string state;
    int64_t rows_read = -1, rows_applied = -1;
  };
  auto seen = std::make_shared<Seen>();
  Status watched = ctx.imports->Watch(
      caller->actor.person_id, params.Get("id"), [events, seen](const jobs::ImportJobView& job) {
        std::string state(jobs::ImportStateName(job.state));
        if (state != seen->state) {
          seen->state = state;
          if (!events->Send("state", boost::json::serialize(boost::json::object{{"state", state}}))) {
            return false;
          }
        }
        if (job.rows_read != seen->rows_read || job.rows_applied != seen->rows_applied) {
          seen->rows_read = job.rows_read;
          seen->rows_applied = job.rows_applied;
          if (!events->Send("progress",
                            boost::json::serialize(boost::json::object{
                                {"rows_read", job.rows_read}, {"rows_applied", job.rows_applied}}))) {
            return false;
          }
        }
        if (jobs::IsSettled(job.state)) {
          events->Send("done", boost::json::serialize(JobJson(job)));
          events->Close();
          return false;
        }
        return true;
      });
  if (!watched.ok()) return Refusal(watched);
  http::Response r;
  r.status = 200;
  r.events = events;
  return r;
}

http::Response ImportReport(AdminContext& ctx, const http::Request& request,
                            const http::RouteParams& params) {
  if (ctx.imports == nullptr) return NoImports();
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<jobs::ImportJobView> job = ctx.imports->Get(caller->actor.person_id, params.Get("id"));
  if (!job.ok()) return Refusal(job.status());
  Result<std::optional<std::string>> format = QueryParam(request, "format");
  if (!format.ok()) return Refusal(format.status());
  std::string f = format->value_or("xlsx");
  if (f != "xlsx" && f != "csv" && f != "json") {
    return Refusal(InvalidArgumentError("Le paramètre « format » vaut xlsx, csv ou json."));
  }
  if (!job->report) {
    return Refusal(FailedPreconditionError(
        "Le compte-rendu n'est pas encore prêt : attendez la fin de l'essai."));
  }
  std::string file_name = fmt::format("rapport-import-{}.{}", Today(ctx), f);
  if (f == "json") {
    return Download(import_export::ReportJson(*job->report), "application/json", file_name);
  }
  Result<std::string> path = TempPath(ctx, "." + f);
  if (!path.ok()) return Refusal(path.status());
  Status written = f == "csv" ? import_export::WriteReportCsv(*job->report, *path)
                              : import_export::WriteReportXlsx(*job->report, *path);
  Result<std::string> body = written.ok() ? ReadWholeFile(*path) : Result<std::string>(written);
  ::unlink(path->c_str());
  if (!body.ok()) return Refusal(body.status());
  return Download(std::move(*body), f == "csv" ? "text/csv; charset=utf-8" : kXlsxType, file_name);
}

}  // namespace

std::vector<http::Route> TransferRoutes(AdminContext& ctx) {
  std::vector<http::Route> routes(6);
  auto set = [&](http::Route& r, const char* method, const char* pattern, auto fn) {
    r.method = method;
    r.pattern = pattern;
    r.handler = [&ctx, fn](const http::Request& q, const http::RouteParams& p) {
      return fn(ctx, q, p);
    };
  };
  set(routes[0], "GET", "/api/structures/{sid}/export", Export);
  routes[0].options.blocking = true;
  set(routes[1], "POST", "/api/structures/{sid}/imports", StartImport);
  routes[1].options.max_body_bytes = kMaxUpload;
  routes[1].options.blocking = true;
  set(routes[2], "GET", "/api/imports/{id}", GetImport);
  set(routes[3], "GET", "/api/imports/{id}/events", ImportEvents);
  set(routes[4], "POST", "/api/imports/{id}/apply", ApplyImport);
  set(routes[5], "GET", "/api/imports/{id}/report", ImportReport);
  routes[5].options.blocking = true;
  return routes;
}

}  // namespace caduce::api::internal
