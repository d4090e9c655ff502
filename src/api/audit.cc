// File: api/audit.cc
//
// The audit trail of a structure for its administrators: the entries on its
// mailboxes and on the structure itself, newest first, filtered by mailbox,
// person, action and dates, with whether the hash chain verifies; and the same
// as a CSV download (itself traced). Exposure: reads query strings of signed-in
// administrators.
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include <ctime>
#include <map>

#include <fmt/format.h>

#include "api/admin.h"
#include "base/json.h"
#include "jobs/trace.h"

namespace caduce::api::internal {
namespace {

// "AAAA-MM-JJ" (start of that UTC day, or its end when `end_of_day`) or
// "AAAA-MM-JJTHH:MM:SSZ" → microseconds; nullopt when malformed.
std::optional<int64_t> ParseTime(const std::string& s, bool end_of_day) {
  std::tm tm{};
  const char* end = nullptr;
  if (s.size() == 10) {
    end = strptime(s.c_str(), "%Y-%m-%d", &tm);
  } else {
    end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (end && *end == 'Z') ++end;
  }
  if (end == nullptr || *end != '\0') return std::nullopt;
  int64_t secs = timegm(&tm);
  if (s.size() == 10 && end_of_day) secs += 86400;
  return secs * 1'000'000;
}

// The filter of the query string; kInvalidArgument naming the parameter.
Result<audit::Filter> FilterOf(AdminContext& ctx, const Caller& caller, int64_t sid,
                               const http::Request& request, int max_limit) {
  audit::Filter f;
  f.structure_id = sid;
  f.newest_first = true;
  f.limit = 100;
  auto address_id = [&](std::string_view param,
                        std::optional<int64_t>* out) -> Status {
    CADUCE_TRY(std::optional<std::string> v, QueryParam(request, param));
    if (!v || v->empty()) return OkStatus();
    Result<directory::Account> a = ctx.directory.GetAccountByAddress(caller.actor, *v);
    // An address outside the asker's structures matches nothing (and says nothing).
    *out = a.ok() ? a->id : -1;
    return OkStatus();
  };
  CADUCE_RETURN_IF_ERROR(address_id("mailbox", &f.mailbox_id));
  CADUCE_RETURN_IF_ERROR(address_id("person", &f.actor_person_id));
  CADUCE_TRY(std::optional<std::string> action, QueryParam(request, "action"));
  if (action && !action->empty()) f.action_prefix = *action;
  for (auto [param, out, end] : {std::tuple{"from", &f.from, false}, std::tuple{"to", &f.to, true}}) {
    CADUCE_TRY(std::optional<std::string> v, QueryParam(request, param));
    if (!v || v->empty()) continue;
    std::optional<int64_t> t = ParseTime(*v, end);
    if (!t) {
      return InvalidArgumentError(
          fmt::format("Le paramètre « {} » est une date AAAA-MM-JJ.", param));
    }
    *out = *t;
  }
  CADUCE_TRY(std::optional<std::string> before, QueryParam(request, "before_seq"));
  if (before && !before->empty()) {
    try {
      f.before_seq = std::stoll(*before);
    } catch (...) {
      return InvalidArgumentError("Le paramètre « before_seq » est un nombre.");
    }
  }
  CADUCE_TRY(std::optional<std::string> limit, QueryParam(request, "limit"));
  if (limit && !limit->empty()) {
    int n = 0;
    try {
      n = std::stoi(*limit);
    } catch (...) {
      n = 0;
    }
    if (n < 1 || n > max_limit) {
      return InvalidArgumentError(
          fmt::format("Le paramètre « limit » est un nombre entre 1 et {}.", max_limit));
    }
    f.limit = n;
  }
  return f;
}

// The addresses of the mailboxes of `entries` (one lookup per distinct id).
std::map<int64_t, std::string> MailboxAddresses(AdminContext& ctx,
                                                const std::vector<audit::Entry>& entries) {
  std::map<int64_t, std::string> out;
  Result<std::unique_ptr<storage::Tx>> tx = ctx.directory.db().Begin(storage::TxMode::kRead);
  if (!tx.ok()) return out;
  for (const audit::Entry& e : entries) {
    if (e.event.mailbox_id == 0 || out.count(e.event.mailbox_id)) continue;
    Result<std::optional<directory::AccountBrief>> b =
        ctx.directory.repo().FindAccountBrief(**tx, e.event.mailbox_id);
    out[e.event.mailbox_id] = b.ok() && *b ? (*b)->address : "";
  }
  return out;
}

Status CheckStructure(const Caller& caller, int64_t sid) {
  if (!caller.scope.Covers(sid)) {
    return PermissionDeniedError(
        "Vous n'administrez pas cette structure : demandez à l'un de ses administrateurs "
        "ou à l'opérateur.");
  }
  return OkStatus();
}

http::Response ListAudit(AdminContext& ctx, const http::Request& request,
                         const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> sid = PathId(params, "sid");
  if (!sid.ok()) return Refusal(sid.status());
  if (Status s = CheckStructure(*caller, *sid); !s.ok()) return Refusal(s);
  Result<audit::Filter> filter = FilterOf(ctx, *caller, *sid, request, 500);
  if (!filter.ok()) return Refusal(filter.status());
  Result<std::unique_ptr<storage::Tx>> tx = ctx.directory.db().Begin(storage::TxMode::kRead);
  if (!tx.ok()) return Refusal(tx.status());
  Result<std::vector<audit::Entry>> entries = ctx.directory.audit().Query(**tx, *filter);
  if (!entries.ok()) return Refusal(entries.status());
  // The chain: verified again only when it grew since the last verification.
  boost::json::object chain;
  {
    std::lock_guard lock(ctx.verify_mu);
    audit::Filter last;
    last.newest_first = true;
    last.limit = 1;
    Result<std::vector<audit::Entry>> head = ctx.directory.audit().Query(**tx, last);
    int64_t count = head.ok() && !head->empty() ? head->front().seq : 0;
    if (count != ctx.verified_entries) {
      Result<audit::VerifyReport> report = ctx.directory.audit().Verify(**tx);
      if (!report.ok()) return Refusal(report.status());
      ctx.verified_entries = report->entries;
      ctx.verified_ok = report->ok;
      ctx.verified_head = audit::HexOf(report->head);
    }
    chain = boost::json::object{{"verified", ctx.verified_ok},
                                {"head", ctx.verified_head},
                                {"entries", ctx.verified_entries}};
  }
  std::map<int64_t, std::string> mailboxes = MailboxAddresses(ctx, *entries);
  boost::json::array items;
  for (const audit::Entry& e : *entries) {
    boost::system::error_code ec;
    boost::json::value details = boost::json::parse(e.event.detail, ec);
    if (ec) details = boost::json::string(e.event.detail);
    boost::json::value ua = nullptr;
    if (const boost::json::object* o = details.if_object()) {
      if (const boost::json::value* u = o->if_contains("user_agent")) ua = *u;
    }
    items.push_back(boost::json::object{
        {"seq", e.seq},
        {"time", TimeJson(e.at)},
        {"actor", e.event.actor},
        {"person", e.event.actor_person_id == 0 ? boost::json::value(nullptr)
                                                : boost::json::value(e.event.actor)},
        {"mailbox", TextOrNull(mailboxes[e.event.mailbox_id])},
        {"action", e.event.action},
        {"object", e.event.object},
        {"details", std::move(details)},
        {"ip", TextOrNull(e.event.ip)},
        {"user_agent", std::move(ua)}});
  }
  return JsonResponse(200, boost::json::object{{"items", std::move(items)},
                                               {"chain", std::move(chain)}});
}

void AppendCsvField(std::string& out, std::string_view v) {
  // RFC 4180 quoting; a leading = + - @ is prefixed with ' so that a spreadsheet
  // does not run it as a formula.
  out += '"';
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) out += '\'';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

http::Response ExportAudit(AdminContext& ctx, const http::Request& request,
                           const http::RouteParams& params) {
  Result<Caller> caller = ResolveCaller(ctx, request);
  if (!caller.ok()) return Refusal(caller.status());
  Result<int64_t> sid = PathId(params, "sid");
  if (!sid.ok()) return Refusal(sid.status());
  if (Status s = CheckStructure(*caller, *sid); !s.ok()) return Refusal(s);
  Result<std::optional<std::string>> format = QueryParam(request, "format");
  if (!format.ok()) return Refusal(format.status());
  if (format->value_or("csv") != "csv") {
    return Refusal(InvalidArgumentError("Le paramètre « format » vaut csv."));
  }
  Result<audit::Filter> filter = FilterOf(ctx, *caller, *sid, request, 1'000'000);
  if (!filter.ok()) return Refusal(filter.status());
  Result<std::optional<std::string>> limit = QueryParam(request, "limit");
  if (!limit.ok() || !*limit) filter->limit = 1'000'000;
  std::vector<audit::Entry> entries;
  {
    Result<std::unique_ptr<storage::Tx>> tx = ctx.directory.db().Begin(storage::TxMode::kRead);
    if (!tx.ok()) return Refusal(tx.status());
    Result<std::vector<audit::Entry>> got = ctx.directory.audit().Query(**tx, *filter);
    if (!got.ok()) return Refusal(got.status());
    entries = std::move(*got);
  }
  std::map<int64_t, std::string> mailboxes = MailboxAddresses(ctx, entries);
  std::string csv = "\xEF\xBB\xBFNuméro;Date;Personne;Boîte;Action;Objet;Détails;IP\r\n";
  for (const audit::Entry& e : entries) {
    std::string line;
    line += std::to_string(e.seq) + ';';
    boost::json::value t = TimeJson(e.at);
    AppendCsvField(line, t.is_string() ? std::string_view(t.as_string()) : "");
    line += ';';
    AppendCsvField(line, e.event.actor);
    line += ';';
    AppendCsvField(line, mailboxes[e.event.mailbox_id]);
    line += ';';
    AppendCsvField(line, e.event.action);
    line += ';';
    AppendCsvField(line, e.event.object);
    line += ';';
    AppendCsvField(line, e.event.detail);
    line += ';';
    AppendCsvField(line, e.event.ip);
    csv += line + "\r\n";
  }
  JsonObject detail;
  detail.Add("format", "csv").Add("entries", static_cast<int64_t>(entries.size()));
  Status traced =
      jobs::TraceStructureAction(ctx.directory, caller->actor, "audit.exported", *sid, detail);
  if (!traced.ok()) return Refusal(traced);
  SystemClock clock;
  return Download(std::move(csv), "text/csv; charset=utf-8",
                  fmt::format("traces-{}-{}.csv", *sid, clock.TodayLocal()));
}

}  // namespace

std::vector<http::Route> AuditRoutes(AdminContext& ctx) {
  std::vector<http::Route> routes(2);
  routes[0].method = "GET";
  routes[0].pattern = "/api/structures/{sid}/audit";
  routes[0].handler = [&ctx](const http::Request& q, const http::RouteParams& p) {
    return ListAudit(ctx, q, p);
  };
  routes[0].options.blocking = true;
  routes[1].method = "GET";
  routes[1].pattern = "/api/structures/{sid}/audit/export";
  routes[1].handler = [&ctx](const http::Request& q, const http::RouteParams& p) {
    return ExportAudit(ctx, q, p);
  };
  routes[1].options.blocking = true;
  return routes;
}

}  // namespace caduce::api::internal
