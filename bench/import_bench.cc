// The bulk import and export of 100,000 accounts, measured as an administrator
// runs them: the `caduce` command as a separate process on a real SQLite file
// (synchronous=FULL). The file: a generated XLSX with all five types, 20,000 ORG rows
// naming 3 connection accounts each, ORG rows before the persons they name.
// Printed: the dry run, the import, both together (target <= 3 s), the peak memory
// of each process (target <= 256 MiB), the export (target <= 1.5 s), and, side by
// side, the time openpyxl (read-only mode) takes merely to read the same file
// (caduce's whole import must be at least 10 times faster). Also printed: the
// store's floor, what SQLite alone takes to write the rows that the import wrote
// (read from the imported database, then written into a new one with the import's
// settings and its deferred index builds): the part of the apply that no import code can
// remove while the store keeps these rows.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/machine.h"
#include "directory/fields.h"
#include "import_export/formats/xlsx_writer.h"
#include "store_sqlite/buffered_vfs.h"
#include "store_sqlite/directory_repo.h"

namespace caduce {
namespace {

using directory::Field;
using directory::FieldIndex;

constexpr int kRows = 100000;
constexpr int kOrg = 20000;
constexpr int kApp = 2000;

const char* kFirst[] = {"Marie", "Jean", "Hélène", "Éloïse", "Paul", "Zoé", "Lucas", "Chloé",
                        "Mathis", "Léa", "Noémie", "François", "Anaïs", "Jérôme", "Inès"};
const char* kLast[] = {"Dupont", "Martin", "Lefèvre", "Bernard", "Durand", "Müller",
                       "Petit", "Roux", "Fournier", "Girard", "Bonnet", "Lambert", "Faure"};

struct Measure {
  double seconds = 0;
  double cpu_seconds = 0;  // user + system, every thread: what a busy machine does not inflate
  long max_rss_kib = 0;
  int exit_code = -1;
};

// Runs `argv` as a child process and measures its wall time and peak memory.
Measure RunProcess(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  Measure m;
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.max_rss_kib = ru.ru_maxrss;
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  m.cpu_seconds = secs(ru.ru_utime) + secs(ru.ru_stime);
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return m;
}

// The store's floor: into `floor_db` (the schema and the structure, nothing else),
// SQLite writes the accounts, search terms, connection rights and trail entries
// that the import wrote into `imported_db`, in one transaction, as the import
// writes them: synchronous=FULL, the store's VFS and the import's cache, the new
// accounts' counting trigger dropped and the indexes that the import drops built
// after the rows (read with the statements of store_sqlite/directory_repo.h that
// the import itself uses), each table's rows in its key order, then the commit
// and the checkpoint at close. The rows are first read into in-memory tables,
// outside the measure, so that what is measured is the writing alone: no parsing,
// validation, encoding, hashing or reading of a file. Runs in a child process;
// `cpu_seconds` is the child's user + system time over the measured part; no peak
// memory (the in-memory copy would be counted).
Measure MeasureStoreFloor(const std::string& floor_db, const std::string& imported_db) {
  int fds[2];
  if (pipe(fds) != 0) return Measure{};
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    sqlite3* db = nullptr;
    // The store's own VFS, which gathers the small writes of a synchronous=FULL
    // connection (store_sqlite/buffered_vfs.h), as the import's connection does.
    if (sqlite3_open_v2(floor_db.c_str(), &db, SQLITE_OPEN_READWRITE,
                        store_sqlite::BufferedVfs()) != SQLITE_OK) {
      _exit(1);
    }
    auto exec = [&](const std::string& sql) {
      char* err = nullptr;
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return true;
      std::fprintf(stderr, "floor: %s: %s\n", sql.c_str(), err ? err : "?");
      sqlite3_free(err);
      return false;
    };
    // The first column of each row of `sql`, as text (its second into `second`).
    auto texts = [&](const char* sql, std::vector<std::string>* second = nullptr) {
      std::vector<std::string> out;
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
      while (sqlite3_step(st) == SQLITE_ROW) {
        out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
        if (second != nullptr) {
          second->emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
        }
      }
      sqlite3_finalize(st);
      return out;
    };
    // What the import's bulk insert sets aside (store_sqlite/directory_repo.h).
    std::vector<std::string> creates, trigger;
    const std::vector<std::string> indexes =
        texts(store_sqlite::kBulkDeferredIndexesSql, &creates);
    const std::vector<std::string> trigger_name =
        texts(store_sqlite::kBulkDeferredTriggerSql, &trigger);
    bool ok =
        exec("PRAGMA journal_mode = WAL") && exec("PRAGMA synchronous = FULL") &&
        exec("PRAGMA temp_store = MEMORY") && exec("ATTACH '" + imported_db + "' AS src") &&
        exec("CREATE TEMP TABLE new_accounts AS SELECT * FROM src.accounts "
             "WHERE id > (SELECT coalesce(max(id), 0) FROM main.accounts) ORDER BY id") &&
        exec("CREATE TEMP TABLE new_audit AS SELECT * FROM src.audit "
             "WHERE seq > (SELECT coalesce(max(seq), 0) FROM main.audit) ORDER BY seq") &&
        exec("CREATE TEMP TABLE new_search AS SELECT * FROM src.account_search "
             "ORDER BY term, account_id") &&
        exec("CREATE TEMP TABLE new_rights AS SELECT * FROM src.connection_rights "
             "ORDER BY mailbox_id, person_id") &&
        exec("CREATE TEMP TABLE new_counts AS SELECT structure_id, type, status, "
             "count(*) AS n FROM src.accounts GROUP BY 1, 2, 3") &&
        exec("DETACH src");
    auto start = std::chrono::steady_clock::now();
    struct rusage before {};
    getrusage(RUSAGE_SELF, &before);
    ok = ok && exec("PRAGMA cache_size = -16384") && exec("BEGIN IMMEDIATE");
    for (const std::string& name : indexes) ok = ok && exec("DROP INDEX " + name);
    if (!trigger.empty()) ok = ok && exec("DROP TRIGGER " + trigger_name[0]);
    ok = ok && exec("INSERT INTO accounts SELECT * FROM new_accounts ORDER BY rowid") &&
         exec("INSERT INTO audit SELECT * FROM new_audit ORDER BY rowid") &&
         exec("INSERT INTO account_search SELECT * FROM new_search ORDER BY rowid") &&
         exec("INSERT INTO connection_rights SELECT * FROM new_rights ORDER BY rowid");
    for (const std::string& sql : creates) ok = ok && exec(sql);
    if (!trigger.empty()) {
      ok = ok &&
           exec("INSERT INTO account_counts (structure_id, type, status, n) "
                "SELECT * FROM new_counts WHERE true "
                "ON CONFLICT (structure_id, type, status) DO UPDATE SET n = n + excluded.n") &&
           exec(trigger[0]);
    }
    ok = ok && exec("COMMIT") && exec("DROP TABLE new_accounts") && exec("DROP TABLE new_audit") &&
         exec("DROP TABLE new_search") && exec("DROP TABLE new_rights");
    ok = sqlite3_close(db) == SQLITE_OK && ok;  // the checkpoint at close
    struct rusage after {};
    getrusage(RUSAGE_SELF, &after);
    auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
    double figures[2] = {
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
        secs(after.ru_utime) + secs(after.ru_stime) - secs(before.ru_utime) -
            secs(before.ru_stime)};
    if (write(fds[1], figures, sizeof figures) != static_cast<ssize_t>(sizeof figures)) _exit(2);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  double figures[2] = {0, 0};
  Measure m;
  if (read(fds[0], figures, sizeof figures) == static_cast<ssize_t>(sizeof figures)) {
    m.seconds = figures[0];
    m.cpu_seconds = figures[1];
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return m;
}

std::string PersonAddress(int i) { return "personne" + std::to_string(i) + "@chu-bench.fr"; }

// Writes the 100,000-row file with every column of FIELDS.md.
void WriteFile(const std::string& path) {
  auto w = std::move(*import_export::XlsxWriter::Create(path, "Comptes"));
  std::vector<std::string> headers;
  for (const auto& s : directory::FieldTable()) headers.emplace_back(s.header);
  if (!w->SetColumns(headers, {}).ok()) std::abort();
  const int persons = kRows - kOrg - kApp;
  std::vector<std::string> row(headers.size());
  auto common = [&](std::vector<std::string>& r) {
    r[FieldIndex(Field::kRaisonSociale)] = "CHU de Bench";
    r[FieldIndex(Field::kAdresse1)] = "1 place du Docteur Baylac";
    r[FieldIndex(Field::kCp)] = "31059";
    r[FieldIndex(Field::kVille)] = "Toulouse";
    r[FieldIndex(Field::kDepartement)] = "31 - Haute-Garonne";
    r[FieldIndex(Field::kRegion)] = "76 - Occitanie";
  };
  // Shared mailboxes first: they name persons of later rows (one pass resolves them).
  for (int i = 0; i < kOrg + kApp; ++i) {
    std::fill(row.begin(), row.end(), "");
    common(row);
    bool org = i < kOrg;
    row[FieldIndex(Field::kType)] = org ? "ORG" : "APP";
    row[FieldIndex(Field::kAddress)] = (org ? "service" : "logiciel") + std::to_string(i) +
                                       "@chu-bench.fr";
    row[FieldIndex(Field::kTypeIdStructure)] = "2";
    row[FieldIndex(Field::kIdStructure)] = "310001235";
    row[FieldIndex(Field::kNomResp)] = kLast[i % 13];
    row[FieldIndex(Field::kPrenomResp)] = kFirst[i % 15];
    row[FieldIndex(Field::kProfessionResp)] = "Cadre de santé";
    row[FieldIndex(Field::kIdentifiantResp)] = "poste " + std::to_string(1000 + i % 9000);
    row[FieldIndex(Field::kDescription)] = "Secrétariat du service n°" + std::to_string(i);
    if (org) {
      row[FieldIndex(Field::kConnectionAccounts)] =
          PersonAddress((3 * i) % persons) + ";" + PersonAddress((3 * i + 1) % persons) + ";" +
          PersonAddress((3 * i + 2) % persons);
    }
    if (!w->WriteRow(row).ok()) std::abort();
  }
  for (int i = 0; i < persons; ++i) {
    std::fill(row.begin(), row.end(), "");
    common(row);
    int kind = i % 3;
    row[FieldIndex(Field::kType)] = kind == 0 ? "PER" : kind == 1 ? "INT" : "MED";
    row[FieldIndex(Field::kAddress)] = PersonAddress(i);
    row[FieldIndex(Field::kNom)] = kLast[i % 13];
    row[FieldIndex(Field::kPrenom)] = kFirst[(i / 13) % 15];
    row[FieldIndex(Field::kActiviteLiberale)] = "NON";
    row[FieldIndex(Field::kTelephone1)] = "05 61 00 " + std::to_string(10 + i % 90) + " 00";
    if (kind == 0) {
      row[FieldIndex(Field::kRpps)] = "10001234565";
      row[FieldIndex(Field::kProfession)] = "10 - Médecin";
      row[FieldIndex(Field::kSpecialite)] = "SM04";
    } else if (kind == 1) {
      row[FieldIndex(Field::kProfession)] = "Infirmier";
      row[FieldIndex(Field::kTypeIdStructure)] = "3";
      row[FieldIndex(Field::kIdStructure)] = "31000123500012";
    } else {
      row[FieldIndex(Field::kProfession)] = "Secrétaire médical";
    }
    if (!w->WriteRow(row).ok()) std::abort();
  }
  if (!w->Close().ok()) std::abort();
}

}  // namespace
}  // namespace caduce

int main() {
  using caduce::Measure;
  using caduce::RunProcess;
  std::printf("machine: %s\n", caduce::bench::DescribeMachine().c_str());
  std::string dir = std::filesystem::temp_directory_path() / "caduce-bench-import";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string file = dir + "/comptes-100k.xlsx";
  std::string db = dir + "/caduce.db";
  std::string out = dir + "/export.xlsx";
  std::string bin = CADUCE_BINARY;
  std::string data = CADUCE_DATA_DIR;

  caduce::WriteFile(file);
  std::printf("file: %s, %d rows (%d ORG with 3 connection accounts, %d APP), %.1f MiB\n",
              file.c_str(), caduce::kRows, caduce::kOrg, caduce::kApp,
              std::filesystem::file_size(file) / 1048576.0);
  auto caduce_cmd = [&](std::vector<std::string> args) {
    std::vector<std::string> a = {bin, "--db", db, "--data", data};
    a.insert(a.end(), args.begin(), args.end());
    return RunProcess(a);
  };
  Measure init = caduce_cmd({"structure", "add", "CHU de Bench"});
  if (init.exit_code != 0) {
    std::printf("could not create the structure\n");
    return 1;
  }
  Measure dry = caduce_cmd({"import", file, "--dry-run", "-q", "--structure", "CHU de Bench"});
  Measure apply = caduce_cmd({"import", file, "-q", "--structure", "CHU de Bench"});
  std::string floor_db = dir + "/floor.db";
  Measure floor_init = caduce::RunProcess(
      {bin, "--db", floor_db, "--data", data, "structure", "add", "CHU de Bench"});
  Measure floor = caduce::MeasureStoreFloor(floor_db, db);
  if (floor_init.exit_code != 0) floor.exit_code = floor_init.exit_code;
  Measure exp = caduce_cmd({"export", "-o", out});
  Measure again = caduce_cmd({"import", out, "-q"});
  std::string py = "import openpyxl,sys\nwb=openpyxl.load_workbook(sys.argv[1],read_only=True)\n"
                   "n=sum(1 for _ in wb.active.iter_rows(values_only=True))\n";
  std::string script = dir + "/read.py";
  std::FILE* f = std::fopen(script.c_str(), "w");
  std::fputs(py.c_str(), f);
  std::fclose(f);
  Measure openpyxl = RunProcess({"/usr/bin/python3", script, file});

  double both = dry.seconds + apply.seconds;
  std::printf("\n%-46s %10s %10s %14s %6s\n", "step", "wall (s)", "cpu (s)", "peak RSS (MiB)",
              "exit");
  auto line = [](const char* name, const Measure& m) {
    std::printf("%-46s %10.3f %10.3f %14.1f %6d\n", name, m.seconds, m.cpu_seconds,
                m.max_rss_kib / 1024.0, m.exit_code);
  };
  line("caduce import --dry-run (100k rows)", dry);
  line("caduce import (100k rows, applied)", apply);
  line("caduce export (100k accounts, xlsx)", exp);
  line("caduce import of the export (unchanged)", again);
  line("openpyxl read-only: reading the file only", openpyxl);
  double load[1] = {0};
  if (getloadavg(load, 1) == 1) {
    std::printf("\nload average (1 min) at the end: %.2f (wall times stretch when it exceeds "
                "the cores)\n", load[0]);
  }
  std::printf("\ndry run + import: %.3f s (target <= 3 s), cpu %.3f s\n", both,
              dry.cpu_seconds + apply.cpu_seconds);
  std::printf("peak memory: %.1f MiB (target <= 256 MiB)\n",
              std::max(dry.max_rss_kib, apply.max_rss_kib) / 1024.0);
  std::printf("export: %.3f s (target <= 1.5 s)\n", exp.seconds);
  // The figure: how many times faster caduce's whole import is than
  // openpyxl merely reading the file, in wall time (what the administrator waits)
  // and in CPU time (what a loaded machine does not inflate).
  std::printf("whole import (dry run + apply) vs openpyxl read: %.1fx wall, %.1fx cpu "
              "(target >= 10x)\n",
              openpyxl.seconds / both,
              openpyxl.cpu_seconds / (dry.cpu_seconds + apply.cpu_seconds));
  std::printf("apply-only import (caduce import FILE, no --dry-run) vs openpyxl read: %.1fx "
              "wall, %.1fx cpu\n",
              openpyxl.seconds / apply.seconds, openpyxl.cpu_seconds / apply.cpu_seconds);
  // The import's work above the store: what reading, checking, planning and the
  // trail's encoding and hashing add to the floor, and what 10x openpyxl leaves.
  std::printf("store floor (SQLite alone writing the imported rows, exit %d): %.3f s wall, "
              "%.3f s cpu; "
              "the apply's time above it: %.3f s; 10x openpyxl leaves %.3f s for the whole "
              "import\n",
              floor.exit_code, floor.seconds, floor.cpu_seconds, apply.seconds - floor.seconds,
              openpyxl.seconds / 10);
  if (std::getenv("CADUCE_BENCH_KEEP") == nullptr) {
    std::filesystem::remove_all(dir);
  } else {
    std::printf("kept: %s\n", dir.c_str());
  }
  return (dry.exit_code | apply.exit_code | floor.exit_code | exp.exit_code | again.exit_code) == 0
             ? 0
             : 1;
}
