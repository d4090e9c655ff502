// The JMAP API's figures (issue 6, section Numbers) over real HTTP on loopback,
// against the real server (app::App: router, session check, JMAP dispatcher,
// MailService, SQLite file) with a mailbox of 100,000 messages of about 2 KiB of
// text (words drawn from a fixed vocabulary with a Zipf-like law, and one rare
// word in 1 % of the messages), one keep-alive connection signed in with the
// session cookie and the CSRF header as the web mail does:
//
//   1. one POST /jmap/api holding Email/query (inbox, receivedAt descending, 50)
//      and Email/get of its #ids with the list's properties: median and p99 of
//      200 requests (target: median <= 10 ms);
//   2. the same with a full-text filter: a word in 1 % of the messages, and two
//      common words (target: median <= 50 ms);
//   3. Email/changes from a state 1,000 changes old (1,000 keyword changes made
//      through Email/set first): median and p99 (target: median <= 20 ms);
//   4. Mailbox/get of every mailbox of the account with its counts (total and
//      unread), which the web mail asks again when a message is opened (issue 7:
//      opening a message <= 200 ms in the browser): median and p99.
//
// Each request is timed from its first byte sent to the last byte of the answer.
// Prints the machine and the 1-minute load average.
//
// The mailbox is built once through MailService::Deliver (16 concurrent senders,
// about a minute or two) into /tmp/caduce-bench-jmap (or $CADUCE_BENCH_JMAP_DIR)
// and reused; delete the folder to rebuild it.
//
//   build/release/bench/bench_jmap
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/app.h"
#include "audit/audit_log.h"
#include "auth/password.h"
#include "auth/password_policy.h"
#include "auth/sign_in.h"
#include "base/clock.h"
#include "base/status.h"
#include "bench/http_client.h"
#include "bench/machine.h"
#include "directory/directory_service.h"
#include "directory/fields.h"
#include "directory/model.h"
#include "directory/reference_data.h"
#include "mail/blob_store.h"
#include "mail/mail_service.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/auth_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "store_sqlite/mail_repo.h"

#ifndef CADUCE_DATA_DIR
#define CADUCE_DATA_DIR "data"
#endif

namespace caduce {
namespace {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

constexpr int kMessages = 100000;
constexpr int kListRequests = 200;
constexpr int kSearchRequests = 100;
constexpr int kChangesRequests = 100;
constexpr int kChanges = 1000;
constexpr int kMailboxRequests = 100;
constexpr char kAddress[] = "marie.mesure@chu-bench.fr";
constexpr char kPassword[] = "Lecture-Boite-Essai-2026";
constexpr char kRareWord[] = "tachycardie";  // in one message of 100

[[noreturn]] void Die(const Status& s, const char* what) {
  std::fprintf(stderr, "bench_jmap: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

double Ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// ---- The messages -----------------------------------------------------------------

// clang-format off
constexpr const char* kWords[] = {
    "patient", "bilan", "consultation", "ordonnance", "résultat", "examen", "tension",
    "cardiaque", "rendez-vous", "compte", "rendu", "hospitalisation", "sortie", "traitement",
    "suivi", "analyse", "radiographie", "scanner", "allergie", "vaccin", "pansement", "douleur",
    "fièvre", "glycémie", "insuline", "kinésithérapie", "urgence", "transfert", "dossier",
    "médecin", "infirmier", "pharmacie", "posologie", "contrôle", "prélèvement", "sanguin",
    "biologie", "hémoglobine", "créatinine", "potassium", "sodium", "cholestérol", "thyroïde",
    "échographie", "abdominale", "thoracique", "pulmonaire", "rénale", "hépatique", "cutanée",
    "antibiotique", "amoxicilline", "paracétamol", "anticoagulant", "héparine", "morphine",
    "perfusion", "cathéter", "sonde", "intubation", "réanimation", "anesthésie", "chirurgie",
    "opération", "cicatrice", "suture", "fracture", "plâtre", "entorse", "luxation",
    "diabète", "hypertension", "asthme", "bronchite", "pneumonie", "grippe", "angine",
    "otite", "sinusite", "gastro-entérite", "appendicite", "cholécystite", "pancréatite",
    "migraine", "épilepsie", "accident", "vasculaire", "cérébral", "infarctus", "arythmie",
    "insuffisance", "cancer", "tumeur", "biopsie", "chimiothérapie", "radiothérapie",
    "métastase", "rémission", "surveillance", "dépistage", "mammographie", "coloscopie",
    "endoscopie", "fibroscopie", "IRM", "électrocardiogramme", "holter", "épreuve", "effort",
    "pédiatrie", "nourrisson", "croissance", "vaccination", "grossesse", "accouchement",
    "césarienne", "allaitement", "gériatrie", "chute", "dénutrition", "démence", "autonomie",
    "domicile", "ambulance", "transport", "convocation", "lettre", "liaison", "courrier",
    "confrère", "consœur", "avis", "spécialisé", "demande", "urgent", "semaine", "prochaine",
    "matin", "après-midi", "service", "unité", "chambre", "lit", "admission", "mutation",
};
// clang-format on

// Words drawn with weights 1/(rank+1): the first ones are in nearly every message,
// the last ones in a few percent of them.
class Text {
 public:
  Text() {
    std::vector<double> w;
    for (size_t i = 0; i < std::size(kWords); ++i) w.push_back(1.0 / static_cast<double>(i + 1));
    pick_ = std::discrete_distribution<size_t>(w.begin(), w.end());
  }
  std::string Body(std::mt19937& rng, size_t bytes) {
    std::string s;
    size_t line = 0;
    while (s.size() < bytes) {
      const char* w = kWords[pick_(rng)];
      s += w;
      line += std::string_view(w).size() + 1;
      if (line > 70) {
        s += "\r\n";
        line = 0;
      } else {
        s += ' ';
      }
    }
    return s;
  }

 private:
  std::discrete_distribution<size_t> pick_;
};

std::string Message(Text& text, std::mt19937& rng, int n) {
  int who = n % 97;
  std::string raw = "From: Dr Expéditeur " + std::to_string(who) + " <exp" + std::to_string(who) +
                    "@clinique.fr>\r\nTo: Marie Mesure <" + kAddress + ">\r\nSubject: " +
                    kWords[(n * 7) % std::size(kWords)] + " " +
                    kWords[(n * 13 + 5) % std::size(kWords)] + " n° " + std::to_string(n) +
                    "\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\nMessage-ID: <jmap-bench-" +
                    std::to_string(n) + "-" + std::to_string(rng()) +
                    "@clinique.fr>\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: 8bit\r\n\r\n";
  std::string body = text.Body(rng, 2048);
  if (n % 100 == 0) body.insert(body.size() / 2, std::string(" ") + kRareWord + " ");
  raw += body;
  raw += "\r\n";
  return raw;
}

// ---- The database (built once) ----------------------------------------------------

// One structure, one person (MED) with its password, and 100,000 messages delivered
// to it by 16 concurrent senders through MailService::Deliver.
void Build(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto start = SteadyClock::now();
  store_sqlite::Options o;
  o.path = dir + "/caduce.db";
  o.synchronous_full = false;  // the setup only; the server opens it as in production
  auto db = store_sqlite::SqliteDatabase::Open(o);
  if (!db.ok()) Die(db.status(), "open");
  auto ref = directory::ReferenceData::Load(CADUCE_DATA_DIR);
  if (!ref.ok()) Die(ref.status(), "reference data");
  auto policy =
      auth::PasswordPolicy::WithCommonPasswords(std::string(CADUCE_DATA_DIR) + "/common-passwords.txt");
  if (!policy.ok()) Die(policy.status(), "password policy");
  const Clock& clock = SystemClock::Get();
  store_sqlite::SqliteDirectoryRepository dir_repo;
  store_sqlite::SqliteAuditRepository audit_repo;
  store_sqlite::SqliteAuthRepository auth_repo;
  store_sqlite::SqliteMailRepository mail_repo;
  audit::AuditLog audit(audit_repo, clock);
  directory::DirectoryService directory(**db, dir_repo, audit, *ref, clock);
  auth::AuthOptions ao;
  ao.cost = auth::PasswordCost::Minimal();
  auth::SignInService sign_in(**db, auth_repo, dir_repo, audit, *policy, clock, ao);
  auto blobs = mail::BlobStore::Open(dir + "/blobs");
  if (!blobs.ok()) Die(blobs.status(), "blobs");
  mail::MailService mail(**db, mail_repo, dir_repo, audit, **blobs, clock, mail::MailOptions{});

  directory::Structure s;
  s.name = "CHU Bench JMAP";
  std::vector<directory::Finding> findings;
  auto st = directory.CreateStructure(directory::Actor::CommandLine(), s, &findings);
  if (!st.ok()) Die(st.status(), "structure");
  directory::AccountDraft a;
  auto set = [&](directory::Field k, const char* v) { a.values[directory::FieldIndex(k)] = v; };
  using F = directory::Field;
  set(F::kType, "MED");
  set(F::kAddress, kAddress);
  set(F::kNom, "Mesure");
  set(F::kPrenom, "Marie");
  set(F::kCp, "31000");
  set(F::kVille, "Toulouse");
  set(F::kDepartement, "31");
  set(F::kRegion, "76");
  set(F::kProfession, "C01");
  set(F::kActiviteLiberale, "NON");
  auto acc = directory.CreateAccount(directory::Actor::CommandLine(), st->id, a, {}, &findings);
  if (!acc.ok()) Die(acc.status(), "account");
  auto token = sign_in.IssueActivation(acc->id);
  if (!token.ok()) Die(token.status(), "activation");
  Status pw = sign_in.SetPassword(*token, kPassword, "127.0.0.1", "bench");
  if (!pw.ok()) Die(pw, "password");

  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      Text text;
      for (int n = next++; n < kMessages; n = next++) {
        std::string m = Message(text, rng, n);
        if (!mail.Deliver(m, "exp@clinique.fr", {kAddress}).ok()) ++failed;
        if (n % 10000 == 9999) std::fprintf(stderr, "  %d messages delivered\n", n + 1);
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed > 0) Die(InternalError(std::to_string(failed.load()) + " deliveries failed"), "build");
  if (std::FILE* f = std::fopen((dir + "/built").c_str(), "w")) {
    std::fprintf(f, "%d\n", kMessages);
    std::fclose(f);
  }
  std::printf("built the mailbox of %d messages (about 2 KiB of text each) in %.1f s\n", kMessages,
              Ms(SteadyClock::now() - start) / 1000);
}

// ---- HTTP over loopback -----------------------------------------------------------

// One keep-alive HTTP/1.1 connection to the server (bench/http_client.h).
using Client = bench::HttpClient;

// The signed-in web mail: its cookies and CSRF header on one connection.
struct Session {
  Client* client = nullptr;
  std::string headers;  // "Cookie: …\r\nX-CSRF-Token: …\r\n"
  std::string account;  // "A2"

  // POSTs a JMAP request; dies unless the answer is 200 and JSON.
  json::object Api(const std::string& body, double* ms = nullptr) {
    std::string req = "POST /jmap/api HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench-jmap\r\n"
                      "Content-Type: application/json\r\n" +
                      headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                      body;
    auto t0 = SteadyClock::now();
    auto r = client->Send(req);
    auto t1 = SteadyClock::now();
    if (!r.ok()) Die(r.status(), "POST /jmap/api");
    if (r->status != 200) Die(InternalError(std::to_string(r->status) + " " + r->body), "POST /jmap/api");
    if (ms != nullptr) *ms = Ms(t1 - t0);
    return json::parse(r->body).as_object();
  }
};

// The arguments of the i-th response, dying on a method error.
const json::object& Response(const json::object& reply, size_t i, std::string_view name) {
  const json::array& responses = reply.at("methodResponses").as_array();
  if (responses.size() <= i) Die(InternalError(json::serialize(reply)), "methodResponses");
  const json::array& r = responses[i].as_array();
  if (r[0].as_string() != name) {
    Die(InternalError(json::serialize(r)), std::string(name).c_str());
  }
  return r[1].as_object();
}

constexpr char kUsing[] = R"("using":["urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail"])";

// Email/query (filter, receivedAt descending, 50) + Email/get of its #ids with the
// properties of the message list, in one request.
std::string ListRequest(const Session& s, const json::object& filter, bool total) {
  json::object query{{"accountId", s.account},
                     {"filter", filter},
                     {"sort", json::array{json::object{{"property", "receivedAt"},
                                                       {"isAscending", false}}}},
                     {"limit", 50}};
  if (total) query["calculateTotal"] = true;
  json::object get{{"accountId", s.account},
                   {"#ids", json::object{{"resultOf", "q"}, {"name", "Email/query"}, {"path", "/ids"}}},
                   {"properties", json::array{"id", "threadId", "mailboxIds", "keywords", "from",
                                              "subject", "receivedAt", "preview", "hasAttachment"}}};
  return std::string("{") + kUsing + R"(,"methodCalls":[["Email/query",)" + json::serialize(query) +
         R"(,"q"],["Email/get",)" + json::serialize(get) + R"(,"g"]]})";
}

struct Figure {
  std::string name;
  double median = 0, p99 = 0, target = 0;
  std::string note;
};

Figure TimeList(Session& s, const std::string& name, const json::object& filter, int requests,
                double target) {
  const std::string body = ListRequest(s, filter, false);
  auto check = [&](const json::object& reply) {
    const json::object& q = Response(reply, 0, "Email/query");
    const json::object& g = Response(reply, 1, "Email/get");
    size_t ids = q.at("ids").as_array().size();
    if (ids == 0 || g.at("list").as_array().size() != ids) {
      Die(InternalError(json::serialize(reply).substr(0, 500)), name.c_str());
    }
    return ids;
  };
  for (int i = 0; i < 10; ++i) check(s.Api(body));  // warm-up
  std::vector<double> ms;
  size_t listed = 0;
  for (int i = 0; i < requests; ++i) {
    double t = 0;
    json::object reply = s.Api(body, &t);
    listed = check(reply);
    ms.push_back(t);
  }
  // The number of matches, from one more request that asks for the total.
  double with_total = 0;
  json::object counted = s.Api(ListRequest(s, filter, true), &with_total);
  int64_t total = Response(counted, 0, "Email/query").at("total").as_int64();
  Figure f{name, Percentile(ms, 0.5), Percentile(ms, 0.99), target, ""};
  char note[160];
  std::snprintf(note, sizeof note, "%lld matches, %zu listed; one request with calculateTotal: %.2f ms",
                static_cast<long long>(total), listed, with_total);
  f.note = note;
  return f;
}

}  // namespace
}  // namespace caduce

int main() {
  using namespace caduce;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string machine = bench::DescribeMachine();
  const char* env = std::getenv("CADUCE_BENCH_JMAP_DIR");
  const std::string dir = env != nullptr ? std::string(env)
                                         : std::filesystem::temp_directory_path().string() +
                                               "/caduce-bench-jmap";
  if (!std::filesystem::exists(dir + "/built")) {
    std::fprintf(stderr, "building %s (%d messages)…\n", dir.c_str(), kMessages);
    Build(dir);
  } else {
    std::printf("reusing the mailbox of %d messages in %s (delete it to rebuild)\n", kMessages,
                dir.c_str());
  }

  // The real server, as `caduce serve` builds it, on a free port of 127.0.0.1.
  app::AppOptions options;
  options.db_path = dir + "/caduce.db";
  options.data_dir = CADUCE_DATA_DIR;
  options.web_dir = dir + "/no-web";
  options.auth.cost = auth::PasswordCost::Minimal();
  options.mail.outbox_dir = dir + "/outbox";
  auto started = app::App::Start(options);
  if (!started.ok()) Die(started.status(), "App::Start");
  std::unique_ptr<app::App> server = std::move(*started);

  Client client(server->port());
  Session s{&client, "", ""};
  {
    std::string body = std::string(R"({"address":")") + kAddress + R"(","password":")" +
                       kPassword + R"("})";
    auto r = client.Send("POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                         "application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body);
    if (!r.ok()) Die(r.status(), "sign-in");
    if (r->status != 200) Die(InternalError(r->body), "sign-in refused");
    auto cookie = [&](std::string_view name) {
      size_t at = r->head.find(std::string(name) + "=");
      if (at == std::string::npos) Die(InternalError(r->head), "cookie");
      size_t start = at + name.size() + 1;
      return r->head.substr(start, r->head.find_first_of(";\r", start) - start);
    };
    std::string session = cookie("caduce_session"), csrf = cookie("caduce_csrf");
    s.headers = "Cookie: caduce_session=" + session + "; caduce_csrf=" + csrf +
                "\r\nX-CSRF-Token: " + csrf + "\r\n";
    auto sr = client.Send("GET /jmap/session HTTP/1.1\r\nHost: localhost\r\nCookie: caduce_session=" +
                          session + "; caduce_csrf=" + csrf + "\r\n\r\n");
    if (!sr.ok() || sr->status != 200) Die(sr.ok() ? InternalError(sr->body) : sr.status(), "session");
    s.account = json::value_to<std::string>(
        json::parse(sr->body).at("primaryAccounts").at("urn:ietf:params:jmap:mail"));
  }
  std::string inbox;
  {
    json::object reply = s.Api(std::string("{") + kUsing +
                               R"(,"methodCalls":[["Mailbox/get",{"accountId":")" + s.account +
                               R"(","ids":null,"properties":["id","role","totalEmails"]},"m"]]})");
    for (const json::value& m : Response(reply, 0, "Mailbox/get").at("list").as_array()) {
      if (m.at("role").is_string() && m.at("role").as_string() == "inbox") {
        inbox = json::value_to<std::string>(m.at("id"));
        std::printf("inbox %s of account %s: %lld messages\n", inbox.c_str(), s.account.c_str(),
                    static_cast<long long>(m.at("totalEmails").as_int64()));
      }
    }
    if (inbox.empty()) Die(InternalError("no inbox"), "Mailbox/get");
  }

  std::vector<Figure> figures;
  figures.push_back(TimeList(s, "Email/query + Email/get, 50 newest of the inbox",
                             json::object{{"inMailbox", inbox}}, kListRequests, 10));
  figures.push_back(TimeList(s, std::string("search \"") + kRareWord + "\" (1 % of messages) + get",
                             json::object{{"inMailbox", inbox}, {"text", kRareWord}},
                             kSearchRequests, 50));
  figures.push_back(TimeList(s, "search \"glycémie insuline\" (two common words) + get",
                             json::object{{"inMailbox", inbox}, {"text", "glycémie insuline"}},
                             kSearchRequests, 50));

  // Email/changes from a state 1,000 keyword changes old. The 1,000 newest are
  // unflagged first (a reused mailbox has them flagged by the last run), then
  // flagged one by one, 25 Email/set calls per request, each its own change.
  {
    json::object q = s.Api(std::string("{") + kUsing +
                           R"(,"methodCalls":[["Email/query",{"accountId":")" + s.account +
                           R"(","filter":{"inMailbox":")" + inbox + R"("},"limit":)" +
                           std::to_string(kChanges) + R"(},"q"]]})");
    std::vector<std::string> ids;
    for (const json::value& id : Response(q, 0, "Email/query").at("ids").as_array()) {
      ids.push_back(json::value_to<std::string>(id));
    }
    if (ids.size() != static_cast<size_t>(kChanges)) Die(InternalError("too few ids"), "changes");
    auto flag_all = [&](bool on) {
      for (size_t i = 0; i < ids.size(); i += 25) {
        json::array calls;
        for (size_t k = i; k < std::min(ids.size(), i + 25); ++k) {
          json::object patch;
          if (on) {
            patch["keywords/$flagged"] = true;
          } else {
            patch["keywords/$flagged"] = nullptr;
          }
          calls.push_back(json::array{
              "Email/set",
              json::object{{"accountId", s.account}, {"update", json::object{{ids[k], patch}}}},
              "s" + std::to_string(k)});
        }
        json::object reply = s.Api(std::string("{") + kUsing + R"(,"methodCalls":)" +
                                   json::serialize(calls) + "}");
        for (size_t k = 0; k < calls.size(); ++k) {
          const json::object& r = Response(reply, k, "Email/set");
          if (!r.at("updated").is_object() || r.at("updated").as_object().size() != 1) {
            Die(InternalError(json::serialize(r)), "Email/set");
          }
        }
      }
    };
    flag_all(false);
    json::object g = s.Api(std::string("{") + kUsing +
                           R"(,"methodCalls":[["Email/get",{"accountId":")" + s.account +
                           R"(","ids":[]},"g"]]})");
    std::string old_state = json::value_to<std::string>(Response(g, 0, "Email/get").at("state"));
    auto t0 = SteadyClock::now();
    flag_all(true);
    double set_ms = Ms(SteadyClock::now() - t0);
    const std::string body = std::string("{") + kUsing +
                             R"(,"methodCalls":[["Email/changes",{"accountId":")" + s.account +
                             R"(","sinceState":")" + old_state + R"("},"c"]]})";
    std::vector<double> ms;
    size_t updated = 0;
    for (int i = 0; i < kChangesRequests + 5; ++i) {
      double t = 0;
      json::object reply = s.Api(body, &t);
      const json::object& c = Response(reply, 0, "Email/changes");
      updated = c.at("updated").as_array().size();
      if (updated != static_cast<size_t>(kChanges) || c.at("hasMoreChanges").as_bool()) {
        Die(InternalError(json::serialize(c).substr(0, 300)), "Email/changes");
      }
      if (i >= 5) ms.push_back(t);
    }
    Figure f{"Email/changes from a state 1,000 keyword changes old", Percentile(ms, 0.5),
             Percentile(ms, 0.99), 20, ""};
    f.note = std::to_string(updated) + " updated ids; the 1,000 Email/set changes took " +
             std::to_string(static_cast<int>(set_ms)) + " ms over HTTP";
    figures.push_back(f);
  }
  // Mailbox/get with the counts, as the web mail asks it after opening a message.
  {
    const std::string body = std::string("{") + kUsing +
                             R"(,"methodCalls":[["Mailbox/get",{"accountId":")" + s.account +
                             R"(","ids":null},"m"]]})";
    std::vector<double> ms;
    int64_t unread = -1;
    for (int i = 0; i < kMailboxRequests + 5; ++i) {
      double t = 0;
      json::object reply = s.Api(body, &t);
      for (const json::value& m : Response(reply, 0, "Mailbox/get").at("list").as_array()) {
        if (json::value_to<std::string>(m.at("id")) == inbox) {
          unread = m.at("unreadEmails").as_int64();
        }
      }
      if (i >= 5) ms.push_back(t);
    }
    Figure f{"Mailbox/get, every mailbox with its counts", Percentile(ms, 0.5),
             Percentile(ms, 0.99), 10, ""};
    f.note = "inbox: " + std::to_string(unread) + " unread of " + std::to_string(kMessages) +
             "; asked again when a message is opened (issue 7: <= 200 ms in the browser)";
    figures.push_back(f);
  }
  server->Stop();

  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("\nJMAP over HTTP on loopback (POST /jmap/api, session cookie + CSRF header, one "
              "keep-alive connection), a mailbox of %d messages of ~2 KiB, real server and "
              "SQLite file\n",
              kMessages);
  std::printf("machine: %s\n", machine.c_str());
  std::printf("load average (1 min): %.2f\n", load[0]);
  std::printf("%-58s %10s %10s %10s\n", "request", "median ms", "p99 ms", "target");
  bool within = true;
  for (const Figure& f : figures) {
    within = within && f.median <= f.target;
    std::printf("%-58s %10.2f %10.2f %7s%.0f ms\n    (%s)\n", f.name.c_str(), f.median, f.p99,
                "<= ", f.target, f.note.c_str());
  }
  std::printf("targets (issue 6, medians): %s\n", within ? "all met" : "SOME MEDIAN ABOVE TARGET");
  return 0;
}
