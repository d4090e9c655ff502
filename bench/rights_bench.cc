// Granting 100,000 connection rights in one transaction through DirectoryService
// (every right checked, written, and appended to the audit chain), on a real SQLite
// file with synchronous=FULL. Target (foundation issue): <= 1 s.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "bench/machine.h"
#include "directory/directory_service.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"
#include "store_sqlite/directory_repo.h"

namespace caduce {
namespace {

using directory::Account;
using directory::AccountType;
using directory::Field;
using directory::FieldIndex;

constexpr int kPersons = 100000;
constexpr int kMailboxes = 1000;

struct Fixture {
  std::string dir;
  std::unique_ptr<store_sqlite::SqliteDatabase> db;
  store_sqlite::SqliteDirectoryRepository repo;
  store_sqlite::SqliteAuditRepository audit_repo;
  directory::ReferenceData ref;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<directory::DirectoryService> service;
  std::vector<std::pair<int64_t, int64_t>> pairs;
};

// Builds a fresh database: one structure, 1,000 ORG mailboxes and 100,000 MED persons
// (inserted through the repository: the accounts are not what is measured).
std::unique_ptr<Fixture> Build() {
  auto f = std::make_unique<Fixture>();
  char tmpl[] = "/tmp/caduce-bench-rights-XXXXXX";
  f->dir = mkdtemp(tmpl);
  store_sqlite::Options o;
  o.path = f->dir + "/rights.db";
  f->db = std::move(*store_sqlite::SqliteDatabase::Open(o));
  f->ref = std::move(*directory::ReferenceData::Load(directory::ReferenceData::DefaultDir()));
  f->audit = std::make_unique<audit::AuditLog>(f->audit_repo, SystemClock::Get());
  f->service = std::make_unique<directory::DirectoryService>(*f->db, f->repo, *f->audit, f->ref,
                                                             SystemClock::Get());
  auto tx = std::move(*f->db->Begin(storage::TxMode::kWrite));
  directory::Structure s;
  s.name = "CHU";
  int64_t sid = *f->repo.InsertStructure(*tx, s);
  std::vector<int64_t> mailboxes, persons;
  for (int i = 0; i < kMailboxes + kPersons; ++i) {
    Account a;
    a.structure_id = sid;
    a.type = i < kMailboxes ? AccountType::kOrg : AccountType::kMed;
    a.fields[FieldIndex(Field::kAddress)] =
        (i < kMailboxes ? "service" : "personne") + std::to_string(i) + "@chu.fr";
    a.fields[FieldIndex(Field::kNom)] = "NOM" + std::to_string(i);
    int64_t id = *f->repo.InsertAccount(*tx, a);
    (i < kMailboxes ? mailboxes : persons).push_back(id);
  }
  if (!tx->Commit().ok()) std::abort();
  for (int i = 0; i < kPersons; ++i) {
    f->pairs.emplace_back(mailboxes[i % kMailboxes], persons[i]);
  }
  return f;
}

void BM_Grant100kRightsInOneTransaction(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto f = Build();
    state.ResumeTiming();
    Result<int64_t> n = f->service->GrantRights(directory::Actor::CommandLine(), f->pairs);
    state.PauseTiming();
    if (!n.ok() || *n != kPersons) {
      state.SkipWithError(n.ok() ? "wrong count" : n.status().ToString().c_str());
    }
    std::filesystem::remove_all(f->dir);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kPersons);
  state.counters["rights"] = kPersons;
}
BENCHMARK(BM_Grant100kRightsInOneTransaction)->Unit(benchmark::kMillisecond)->Iterations(3)
    ->UseRealTime();

}  // namespace
}  // namespace caduce

int main(int argc, char** argv) {
  std::printf("machine: %s\n", caduce::bench::DescribeMachine().c_str());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
