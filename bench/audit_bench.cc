// Benchmarks of the audit trail on a real SQLite file: how many entries per second an
// import-sized transaction can append (one Append per change, and AppendAll for a
// batch), and how long `caduce audit verify` takes over a 100,000-entry trail. The
// files live under $TMPDIR (default /tmp), with synchronous=FULL as in production, so
// the figures include the commit's fsync. Each run prints the machine it ran on.
//
//   build/audit-rel/bench/bench_audit
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "base/clock.h"
#include "bench/machine.h"
#include "store_sqlite/audit_repo.h"
#include "store_sqlite/db.h"

namespace caduce {
namespace {

constexpr int kVerifyEntries = 100000;

// A directory removed with its content on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/caduce-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  bool ok() const { return !path_.empty(); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A typical entry: a person reading a message of a shared mailbox (ids only, as
// docs/formats/audit-chain.md section 7 requires).
audit::Event TypicalEvent(int i) {
  audit::Event ev;
  ev.actor_person_id = 1000 + i % 50;
  ev.actor = "person" + std::to_string(i % 50) + "@chu-exemple.mssante.fr";
  ev.mailbox_id = 10 + i % 7;
  ev.action = "message.read";
  ev.object = "message:" + std::to_string(i);
  ev.ip = "192.0.2.17";
  ev.detail = R"({"folder":"INBOX","message_id":)" + std::to_string(i) + "}";
  return ev;
}

Result<std::unique_ptr<store_sqlite::SqliteDatabase>> OpenIn(const ScratchDir& dir) {
  store_sqlite::Options options;
  options.path = dir.File("caduce.db");
  return store_sqlite::SqliteDatabase::Open(options);
}

// Appends n entries in one committed transaction, one Append call each.
Status AppendOneByOne(storage::Database& db, audit::AuditLog& log, int n) {
  CADUCE_TRY(auto tx, db.Begin(storage::TxMode::kWrite));
  for (int i = 0; i < n; ++i) {
    CADUCE_RETURN_IF_ERROR(log.Append(*tx, TypicalEvent(i)));
  }
  return tx->Commit();
}

Status AppendBatch(storage::Database& db, audit::AuditLog& log, int n) {
  std::vector<audit::Event> events;
  events.reserve(n);
  for (int i = 0; i < n; ++i) events.push_back(TypicalEvent(i));
  CADUCE_TRY(auto tx, db.Begin(storage::TxMode::kWrite));
  CADUCE_RETURN_IF_ERROR(log.AppendAll(*tx, std::move(events)));
  return tx->Commit();
}

using AppendFn = Status (*)(storage::Database&, audit::AuditLog&, int);

// Each iteration appends to a fresh file, so every run measures the same table size;
// creating and migrating the file is left out of the timing.
void RunAppend(benchmark::State& state, AppendFn append) {
  const int n = static_cast<int>(state.range(0));
  store_sqlite::SqliteAuditRepository repo;
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<ScratchDir>();
    auto db = OpenIn(*dir);
    if (!dir->ok() || !db.ok()) {
      state.SkipWithError(dir->ok() ? db.status().ToString().c_str() : "mkdtemp failed");
      return;
    }
    audit::AuditLog log(repo, SystemClock::Get());
    state.ResumeTiming();

    Status s = append(**db, log, n);

    state.PauseTiming();
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
    db->reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["entries"] = n;
}

void BM_AppendInOneTransaction(benchmark::State& state) { RunAppend(state, AppendOneByOne); }
BENCHMARK(BM_AppendInOneTransaction)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_AppendAllInOneTransaction(benchmark::State& state) { RunAppend(state, AppendBatch); }
BENCHMARK(BM_AppendAllInOneTransaction)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Verify(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  ScratchDir dir;
  auto db = OpenIn(dir);
  if (!dir.ok() || !db.ok()) {
    state.SkipWithError(dir.ok() ? db.status().ToString().c_str() : "mkdtemp failed");
    return;
  }
  store_sqlite::SqliteAuditRepository repo;
  audit::AuditLog log(repo, SystemClock::Get());
  if (Status s = AppendBatch(**db, log, n); !s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  for (auto _ : state) {
    auto tx = (*db)->Begin(storage::TxMode::kRead);
    Result<audit::VerifyReport> report =
        tx.ok() ? log.Verify(**tx) : Result<audit::VerifyReport>(tx.status());
    if (!report.ok() || !report->ok || report->entries != n) {
      state.SkipWithError(report.ok() ? "the chain did not verify"
                                      : report.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(report->head);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["entries"] = n;
}
BENCHMARK(BM_Verify)->Arg(kVerifyEntries)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace caduce

int main(int argc, char** argv) {
  caduce::bench::DescribeMachine();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
