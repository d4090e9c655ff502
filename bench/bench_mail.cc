// The mail store's figures (issue 6): durable local delivery of 20 KiB messages to
// one recipient (one sender, then 16 and 64 concurrent senders, each acknowledged
// after the commit holding its delivery; synchronous=FULL; blobs flushed before the
// rows), with the CPU per message; then a mailbox of 100,000 messages: the 50 newest
// (query + get), full-text searches of a rare word and of two common words (query,
// get and snippets timed apart, without and with the total, and their CPU time),
// and the changes after 1,000 changes. Prints the figures, the targets and the
// machine. Messages are made of words with natural-language frequencies (Zipf), so
// that the full-text index does the work real letters give it; the index takes
// delivered messages in the background, and the time it needs after the last
// delivery is printed with the delivery rate. On an ext4 without a journal (as on
// the reference machine), files created within six minutes of removing thousands
// cost more (the allocator skips recently freed inodes): leave six minutes between
// two runs, as the end of each run removes its files.
// Run: CADUCE_DATA_DIR=$PWD/data build/release/bench/bench_mail [delivery|queries]
// (CADUCE_BENCH_MAIL_KEEP=1 keeps the 100,000-message mailbox for the next run;
// CADUCE_BENCH_MAIL_DIR names the folder, /tmp/caduce-bench-mail by default).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include <time.h>

#include "bench/machine.h"
#include "directory/directory_service.h"
#include "directory/reference_data.h"
#include "mail/mail_service.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"
#include "store_sqlite/mail_repo.h"

namespace caduce {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of the calling thread: what a search costs, whatever else the machine runs.
double CpuMs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Die(const Status& s, const char* what) {
  std::fprintf(stderr, "bench_mail: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

constexpr const char* kWords[] = {
    "patient", "bilan", "consultation", "ordonnance", "résultat", "examen", "tension",
    "cardiaque", "rendez-vous", "compte", "rendu", "hospitalisation", "sortie", "traitement",
    "suivi", "analyse", "radiographie", "scanner", "allergie", "vaccin", "pansement", "douleur",
    "fièvre", "glycémie", "insuline", "kinésithérapie", "urgence", "transfert", "dossier",
    "médecin", "infirmier", "pharmacie", "posologie", "contrôle", "prélèvement", "sanguin"};

// Text with the word frequencies of a natural language (Zipf's law, exponent 1):
// the medical words above are the most frequent, then 20,000 made-up words of two
// to four syllables. A 20 KiB body has about 2,900 words of which ~1,300 differ, as
// a real letter would, rather than a few dozen words repeated.
class Vocabulary {
 public:
  Vocabulary() {
    for (const char* w : kWords) words_.emplace_back(w);
    const char* consonants[] = {"b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "ch", "tr", "pl"};
    const char* vowels[] = {"a", "e", "i", "o", "u", "é", "è", "ou", "an", "on", "in"};
    std::mt19937 rng(12345);
    while (words_.size() < std::size(kWords) + 20000) {
      std::string w;
      for (int k = 2 + static_cast<int>(rng() % 3); k > 0; --k) {
        w += consonants[rng() % std::size(consonants)];
        w += vowels[rng() % std::size(vowels)];
      }
      words_.push_back(std::move(w));
    }
    double sum = 0;
    for (size_t r = 1; r <= words_.size(); ++r) {
      sum += 1.0 / static_cast<double>(r);
      cdf_.push_back(sum);
    }
  }
  const std::string& Pick(std::mt19937& rng) const {
    double x = std::uniform_real_distribution<double>(0, cdf_.back())(rng);
    size_t i = static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), x) - cdf_.begin());
    return words_[std::min(i, words_.size() - 1)];
  }

 private:
  std::vector<std::string> words_;
  std::vector<double> cdf_;
};

std::string Body(std::mt19937& rng, size_t bytes) {
  static const Vocabulary vocabulary;
  std::string s;
  while (s.size() < bytes) {
    s += vocabulary.Pick(rng);
    s += s.size() % 70 < 10 ? "\r\n" : " ";
  }
  return s;
}

std::string Message(std::mt19937& rng, int n, size_t body_bytes, const char* extra_word) {
  std::string raw = "From: Dr Expéditeur " + std::to_string(n % 50) + " <exp" +
                    std::to_string(n % 50) + "@clinique.fr>\r\nTo: Destinataire <dest@chu-bench.fr>\r\n"
                    "Subject: Message " + std::to_string(n) + " " + kWords[n % std::size(kWords)] +
                    "\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\nMessage-ID: <bench-" +
                    std::to_string(n) + "-" + std::to_string(rng()) + "@clinique.fr>\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n\r\n";
  if (extra_word != nullptr) raw += std::string(extra_word) + " ";
  raw += Body(rng, body_bytes);
  return raw;
}

struct Store {
  std::unique_ptr<store_sqlite::SqliteDatabase> db;
  directory::ReferenceData ref;
  store_sqlite::SqliteDirectoryRepository dir_repo;
  store_sqlite::SqliteAuditRepository audit_repo;
  store_sqlite::SqliteMailRepository mail_repo;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<directory::DirectoryService> directory;
  std::unique_ptr<mail::BlobStore> blobs;
  std::unique_ptr<mail::MailService> mail;
  int64_t person = 0;

  explicit Store(const std::string& dir, bool keep = false) {
    if (!keep) std::filesystem::remove_all(dir);
    store_sqlite::Options o;
    o.path = dir + "/caduce.db";
    auto d = store_sqlite::SqliteDatabase::Open(o);
    if (!d.ok()) Die(d.status(), "open");
    db = std::move(*d);
    const char* data = std::getenv("CADUCE_DATA_DIR");
    auto r = directory::ReferenceData::Load(data != nullptr ? data : "data");
    if (!r.ok()) Die(r.status(), "reference data (set CADUCE_DATA_DIR)");
    ref = std::move(*r);
    audit = std::make_unique<audit::AuditLog>(audit_repo, SystemClock::Get());
    directory = std::make_unique<directory::DirectoryService>(*db, dir_repo, *audit, ref,
                                                              SystemClock::Get());
    auto b = mail::BlobStore::Open(dir + "/blobs");
    if (!b.ok()) Die(b.status(), "blobs");
    blobs = std::move(*b);
    mail = std::make_unique<mail::MailService>(*db, mail_repo, dir_repo, *audit, *blobs,
                                               SystemClock::Get(), mail::MailOptions{});
    if (keep) {  // a kept mailbox: its account id is in the marker file
      if (std::FILE* f = std::fopen((dir + "/built").c_str(), "r")) {
        long long id = 0;
        if (std::fscanf(f, "%lld", &id) == 1) person = id;
        std::fclose(f);
      }
      return;
    }
    directory::Structure s;
    s.name = "CHU Bench";
    std::vector<directory::Finding> f;
    auto st = directory->CreateStructure(directory::Actor::CommandLine(), s, &f);
    if (!st.ok()) Die(st.status(), "structure");
    directory::AccountDraft a;
    auto set = [&](directory::Field k, const char* v) { a.values[directory::FieldIndex(k)] = v; };
    using F = directory::Field;
    set(F::kType, "MED");
    set(F::kAddress, "dest@chu-bench.fr");
    set(F::kNom, "Bench");
    set(F::kPrenom, "Marie");
    set(F::kCp, "31000");
    set(F::kVille, "Toulouse");
    set(F::kDepartement, "31");
    set(F::kRegion, "76");
    set(F::kProfession, "C01");
    set(F::kActiviteLiberale, "NON");
    auto acc = directory->CreateAccount(directory::Actor::CommandLine(), st->id, a, {}, &f);
    if (!acc.ok()) Die(acc.status(), "account");
    person = acc->id;
  }
};

void BenchDelivery(const std::string& dir) {
  Store s(dir);
  std::mt19937 rng(1);
  // One sender alone first (each delivery its own flush and commit), for comparison.
  auto t0 = Clock::now();
  for (int i = 0; i < 100; ++i) {
    std::string m = Message(rng, 100000 + i, 20 * 1024, nullptr);
    auto r = s.mail->Deliver(m, "exp@clinique.fr", {"dest@chu-bench.fr"});
    if (!r.ok()) Die(r.status(), "deliver");
  }
  double single = 100 / (Ms(Clock::now() - t0) / 1000);
  std::printf("delivery, 20 KiB, one recipient, durable: %.0f messages/s with one sender\n", single);
  // Then concurrent senders (an SMTP or LMTP server delivers for each of its
  // connections at once): a delivery waits for one blob flush and one commit, so
  // deliveries/s grow with the deliveries in flight.
  constexpr int kMessages = 4096;
  for (int senders : {16, 64}) {
    std::vector<std::vector<std::string>> msgs(static_cast<size_t>(senders));
    for (int n = 0; n < kMessages; ++n) {
      msgs[static_cast<size_t>(n % senders)].push_back(Message(rng, n, 20 * 1024, nullptr));
    }
    std::atomic<int> failed{0};
    timespec p0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0);
    t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < senders; ++t) {
      threads.emplace_back([&, t] {
        for (const std::string& m : msgs[static_cast<size_t>(t)]) {
          if (!s.mail->Deliver(m, "exp@clinique.fr", {"dest@chu-bench.fr"}).ok()) ++failed;
        }
      });
    }
    for (auto& t : threads) t.join();
    double secs = Ms(Clock::now() - t0) / 1000;
    timespec p1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1);
    double cpu_ms = (p1.tv_sec - p0.tv_sec) * 1e3 + (p1.tv_nsec - p0.tv_nsec) / 1e6;
    if (failed > 0) Die(InternalError(std::to_string(failed.load()) + " deliveries failed"), "deliver");
    // The full-text index takes the messages after their delivery (in the background
    // meanwhile): the time it still needs once the last delivery is acknowledged.
    auto i0 = Clock::now();
    Status caught = s.mail->CatchUpIndex();
    if (!caught.ok()) Die(caught, "index");
    double index_secs = Ms(Clock::now() - i0) / 1000;
    timespec p2;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p2);
    double all_cpu_ms = (p2.tv_sec - p0.tv_sec) * 1e3 + (p2.tv_nsec - p0.tv_nsec) / 1e6;
    std::printf("delivery, 20 KiB, one recipient, durable: %.0f messages/s with %d concurrent "
                "senders (%d messages in %.2f s; CPU %.2f ms per message; target >= 2,000/s)\n",
                kMessages / secs, senders, kMessages, secs, cpu_ms / kMessages);
    std::printf("  all of them in the full-text index %.2f s after the last delivery: %.0f "
                "messages/s delivered and indexed (CPU %.2f ms per message with the index)\n",
                index_secs, kMessages / (secs + index_secs), all_cpu_ms / kMessages);
  }
}

void BenchQueries(const std::string& dir, bool keep) {
  // CADUCE_BENCH_MAIL_KEEP=1 keeps the mailbox for the next run (and reuses it).
  bool reuse = keep && std::filesystem::exists(dir + "/built");
  Store s(dir, reuse);
  constexpr int kMessages = 100000;
  std::mt19937 rng(2);
  // Built with the service's own delivery path, many senders at once.
  auto t0 = Clock::now();
  if (!reuse) {
    std::atomic<int> next{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&, t] {
        std::mt19937 r(100 + t);
        for (int n = next++; n < kMessages; n = next++) {
          // One message in 1,000 holds the rare word searched below.
          std::string m = Message(r, n, 1024, n % 1000 == 0 ? "tachycardie" : nullptr);
          if (!s.mail->Deliver(m, "exp@clinique.fr", {"dest@chu-bench.fr"}).ok()) ++failed;
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failed > 0) Die(InternalError("deliveries failed"), "build");
    if (keep) {
      if (std::FILE* f = std::fopen((dir + "/built").c_str(), "w")) {
        std::fprintf(f, "%lld\n", static_cast<long long>(s.person));
        std::fclose(f);
      }
    }
  }
  Status caught = s.mail->CatchUpIndex();
  if (!caught.ok()) Die(caught, "index");
  std::printf("built a mailbox of %d messages (1 KiB of text each) in %.1f s, indexed\n",
              kMessages, Ms(Clock::now() - t0) / 1000);
  mail::MailActor me{s.person, "dest@chu-bench.fr", "127.0.0.1"};
  auto boxes = s.mail->Mailboxes(me, s.person);
  if (!boxes.ok()) Die(boxes.status(), "mailboxes");
  int64_t inbox = (*boxes)[0].id;

  std::vector<double> newest, rare, common;
  for (int i = 0; i < 200; ++i) {
    auto a = Clock::now();
    mail::EmailQuery q;
    q.account_id = s.person;
    q.filter.in_mailbox = inbox;
    q.limit = 50;
    auto r = s.mail->Query(me, q);
    if (!r.ok() || r->ids.size() != 50 || r->total != kMessages) Die(r.status(), "query");
    auto got = s.mail->GetEmails(me, s.person, r->ids);
    if (!got.ok() || got->size() != 50) Die(got.status(), "get");
    newest.push_back(Ms(Clock::now() - a));
  }
  // Each search: Email/query (with and without the total), Email/get and
  // SearchSnippet/get of the 50 newest matches, timed apart and together.
  struct Search {
    const char* words = "";
    int64_t matches = 0;
    std::vector<double> query, query_total, get, snippets, all, all_total, cpu, cpu_total;
  };
  Search searches[2];
  searches[0].words = "tachycardie";
  searches[1].words = "glycémie insuline";
  for (int i = 0; i < 30; ++i) {
    for (Search& x : searches) {
      for (bool total : {false, true}) {
        double cpu = CpuMs();
        auto a = Clock::now();
        mail::EmailQuery q;
        q.account_id = s.person;
        q.filter.in_mailbox = inbox;
        q.filter.text = x.words;
        q.limit = 50;
        q.want_total = total;
        auto r = s.mail->Query(me, q);
        if (!r.ok() || r->ids.empty()) Die(r.status(), "search");
        auto b = Clock::now();
        auto got = s.mail->GetEmails(me, s.person, r->ids);
        if (!got.ok() || got->size() != r->ids.size()) Die(got.status(), "search get");
        auto c = Clock::now();
        auto snippets = s.mail->Snippets(me, s.person, x.words, r->ids);
        if (!snippets.ok()) Die(snippets.status(), "snippets");
        auto d = Clock::now();
        (total ? x.cpu_total : x.cpu).push_back(CpuMs() - cpu);
        if (total) {
          x.matches = r->total;
          x.query_total.push_back(Ms(b - a));
          x.all_total.push_back(Ms(d - a));
        } else {
          x.query.push_back(Ms(b - a));
          x.get.push_back(Ms(c - b));
          x.snippets.push_back(Ms(d - c));
          x.all.push_back(Ms(d - a));
        }
      }
    }
  }
  mail::EmailQuery q;
  q.account_id = s.person;
  q.limit = 1000;
  auto ids = s.mail->Query(me, q);
  if (!ids.ok()) Die(ids.status(), "ids");
  for (int64_t id : ids->ids) {  // a kept mailbox has them flagged from its last run
    Status st = s.mail->SetKeywords(me, s.person, id, 0, mail::kFlagged);
    if (!st.ok()) Die(st, "unflag");
  }
  auto state = s.mail->State(me, s.person);
  if (!state.ok()) Die(state.status(), "state");
  for (int64_t id : ids->ids) {
    Status st = s.mail->SetKeywords(me, s.person, id, mail::kFlagged, 0);
    if (!st.ok()) Die(st, "flag");
  }
  std::vector<double> changes;
  for (int i = 0; i < 100; ++i) {
    auto a = Clock::now();
    auto c = s.mail->ChangesSince(me, s.person, mail::ObjectType::kEmail, *state, 5000);
    if (!c.ok() || c->updated.size() != 1000) Die(c.status(), "changes");
    changes.push_back(Ms(Clock::now() - a));
  }
  std::printf("mailbox of %d: query + get of the 50 newest: median %.2f ms (target <= 10 ms)\n",
              kMessages, Median(newest));
  for (const Search& x : searches) {
    std::printf("full-text search \"%s\" (%lld matches): query + get + snippets of the 50 newest "
                "median %.2f ms (query %.2f, get %.2f, snippets %.2f; CPU %.2f); with the total "
                "%.2f ms (query %.2f; CPU %.2f) (target <= 50 ms)\n",
                x.words, static_cast<long long>(x.matches), Median(x.all), Median(x.query),
                Median(x.get), Median(x.snippets), Median(x.cpu), Median(x.all_total),
                Median(x.query_total), Median(x.cpu_total));
  }
  std::printf("Email changes after 1,000 changes: median %.2f ms (target <= 20 ms)\n", Median(changes));
}

}  // namespace
}  // namespace caduce

int main(int argc, char** argv) {
  // An optional argument runs one part: "delivery" or "queries".
  std::string only = argc > 1 ? argv[1] : "";
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as soon as it is measured
  std::printf("%s\n", caduce::bench::DescribeMachine().c_str());
  // CADUCE_BENCH_MAIL_DIR: where the databases go (default /tmp/caduce-bench-mail), so
  // that two runs on one machine do not share them.
  const char* env_dir = std::getenv("CADUCE_BENCH_MAIL_DIR");
  std::string dir = env_dir != nullptr && *env_dir != '\0'
                        ? std::string(env_dir)
                        : std::filesystem::temp_directory_path().string() + "/caduce-bench-mail";
  if (only.empty() || only == "delivery") caduce::BenchDelivery(dir + "/delivery");
  bool keep = std::getenv("CADUCE_BENCH_MAIL_KEEP") != nullptr;
  // A kept mailbox lives apart, so that a run without CADUCE_BENCH_MAIL_KEEP never
  // spends minutes removing its 100,000 files.
  if (only.empty() || only == "queries") {
    caduce::BenchQueries(keep ? dir + "-kept" : dir + "/queries", keep);
  }
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
